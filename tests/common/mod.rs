//! Helpers shared by the facade's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A fresh empty directory under the target dir, unique per test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

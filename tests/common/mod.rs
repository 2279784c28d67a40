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

/// An external tool the tests need: `Some(path)` when found; `None` (with a
/// message) when missing locally; a panic when missing in CI (`CI=true`),
/// so CI can never pass by skipping.
pub fn require_tool(name: &str, found: Option<PathBuf>) -> Option<PathBuf> {
    if found.is_some() {
        return found;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{name} is required in CI: run .ci/run, which installs it into .venv");
    }
    eprintln!("SKIPPED: {name} not found (run .ci/run to install it into .venv)");
    None
}

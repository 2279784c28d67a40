//! Test support for mlcdk's own tests (not published).
//!
//! - [`tools`]: the external tools the tests run (cfn-lint, moto, checkov),
//!   pinned to one version each and provisioned on first use into a cache in
//!   the build directory, so `cargo test --workspace` on a fresh machine runs
//!   the real checks instead of skipping them.
//! - [`moto::MotoServer`]: a moto server on a free port, killed when dropped.
//! - [`Scratch`]: a scratch directory inside the build directory that is
//!   removed when dropped, so test runs leave nothing in the system temp
//!   directory.
#![warn(missing_docs)]

pub mod moto;
pub mod tools;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cargo target directory the running test binary was built into: the
/// nearest ancestor of the executable that holds cargo's `CACHEDIR.TAG`.
/// `None` when the binary does not live in a target directory.
pub fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
}

/// A directory for one test's files, removed (with its contents) when
/// dropped — also when the test panics, since unwinding drops it.
///
/// It lives under `<target>/tmp/mlcdk-scratch/` (the system temp directory
/// only when the binary is not in a target directory), named after the test,
/// the process and a counter, so parallel tests never share one.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new empty directory whose name starts with `label`.
    pub fn new(label: &str) -> Scratch {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let root = target_dir()
            .map(|t| t.join("tmp").join("mlcdk-scratch"))
            .unwrap_or_else(|| std::env::temp_dir().join("mlcdk-scratch"));
        let path = root.join(format!("{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create scratch dir {}: {e}", path.display()));
        Scratch { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_dirs_are_unique_and_removed_on_drop() {
        let a = Scratch::new("unit");
        let b = Scratch::new("unit");
        assert_ne!(a.path(), b.path());
        std::fs::write(a.path().join("f"), "x").unwrap();
        let kept = a.path().to_path_buf();
        assert!(kept.join("f").is_file());
        drop(a);
        assert!(!kept.exists(), "{} was not removed", kept.display());
        // Inside the build directory, not the system temp directory.
        assert!(
            b.path().starts_with(target_dir().unwrap()),
            "{:?}",
            b.path()
        );
    }
}

//! File assets: local files (Glue scripts, large pipeline definitions) that
//! the deployer uploads to the environment's assets bucket before deploying.
//!
//! An asset is addressed by the SHA-256 of its content (`assets/<hash>.<ext>`),
//! so an unchanged file is never uploaded twice and a changed one never
//! overwrites what a running stack still uses.
//!
//! ```no_run
//! use mlcdk_core::{Asset, Scope, Stack};
//!
//! let mut stack = Stack::for_test();
//! let script = stack.asset(Asset::file("etl/job.py"));
//! let uri = script.s3_uri(); // s3://mlcdk-assets-<account>-<region>/assets/<sha256>.py
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::expr::Expr;

/// The name of the per-environment assets bucket that `bootstrap` creates.
pub const ASSETS_BUCKET_PATTERN: &str = "mlcdk-assets-${AWS::AccountId}-${AWS::Region}";

/// A local file to ship with the stack, or content generated at synth (a
/// large pipeline definition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    source: PathBuf,
    content: Option<Vec<u8>>,
}

impl Asset {
    /// A file, relative to the app's base directory (or absolute).
    pub fn file(path: impl Into<PathBuf>) -> Asset {
        Asset {
            source: path.into(),
            content: None,
        }
    }

    /// Content made at synth; `name` (e.g. `training-pipeline.json`) gives the
    /// extension and names it in the manifest. `synth --out DIR` writes it to
    /// `DIR/assets/` for the deployer.
    pub fn generated(name: &str, content: Vec<u8>) -> Asset {
        Asset {
            source: PathBuf::from(name),
            content: Some(content),
        }
    }

    pub(crate) fn resolve(&self, base_dir: &Path) -> Result<AssetEntry, String> {
        let full = base_dir.join(&self.source);
        let bytes = match &self.content {
            Some(c) => c.clone(),
            None => std::fs::read(&full).map_err(|e| {
                format!(
                    "asset file '{}' cannot be read ({e}); paths are relative to the app's base directory '{}'",
                    self.source.display(),
                    base_dir.display()
                )
            })?,
        };
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let ext = self
            .source
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric()))
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        Ok(AssetEntry {
            source: self.source.to_string_lossy().replace('\\', "/"),
            file: full,
            key: format!("assets/{sha256}{ext}"),
            sha256,
            size: bytes.len() as u64,
            content: self.content.is_some().then_some(bytes),
        })
    }
}

/// An asset as listed in the manifest, for the deployer to upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetEntry {
    /// The path as given in the definition (relative to the base directory).
    pub source: String,
    /// Where the deployer reads it from (the base directory joined with `source`).
    pub file: PathBuf,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Object key in the assets bucket.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Generated content (not read from `file`); written out by `synth`.
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
}

impl AssetEntry {
    /// The bytes to upload: generated content, or the file read now.
    pub fn bytes(&self) -> std::io::Result<Vec<u8>> {
        match &self.content {
            Some(c) => Ok(c.clone()),
            None => std::fs::read(&self.file),
        }
    }
}

impl AssetEntry {
    pub(crate) fn reference(&self) -> AssetRef {
        AssetRef {
            key: Some(self.key.clone()),
        }
    }
}

/// Where an asset will be in S3, as template values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetRef {
    /// `None` when the file could not be read (an error is recorded).
    key: Option<String>,
}

impl AssetRef {
    pub(crate) fn unresolved() -> AssetRef {
        AssetRef { key: None }
    }

    /// The assets bucket's name (`mlcdk-assets-<account>-<region>`), resolved
    /// by CloudFormation.
    pub fn bucket_name(&self) -> Expr {
        Expr::sub(ASSETS_BUCKET_PATTERN)
    }

    /// The object key, `assets/<sha256>.<ext>`.
    pub fn key(&self) -> Expr {
        Expr::lit(self.key.clone().unwrap_or_default())
    }

    /// `s3://<assets bucket>/assets/<hash>.<ext>`
    pub fn s3_uri(&self) -> Expr {
        Expr::sub(format!(
            "s3://{ASSETS_BUCKET_PATTERN}/{}",
            self.key.as_deref().unwrap_or_default()
        ))
    }

    /// The bucket's ARN, for grants.
    pub fn bucket_arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:s3:::{ASSETS_BUCKET_PATTERN}"
        ))
    }

    /// The object's ARN, for grants.
    pub fn object_arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:s3:::{ASSETS_BUCKET_PATTERN}/{}",
            self.key.as_deref().unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_content_and_keeps_extension() {
        let scratch = mlcdk_testkit::Scratch::new("asset");
        let dir = scratch.path();
        std::fs::write(dir.join("job.py"), b"print('hi')\n").unwrap();
        let e = Asset::file("job.py").resolve(dir).unwrap();
        // sha256 of "print('hi')\n", computed with `sha256sum`.
        assert_eq!(
            e.sha256,
            "caf026f25d7140209f98072605307a438914b9ce6f3c14b23d15d9667241de52"
        );
        assert_eq!(e.key, format!("assets/{}.py", e.sha256));
        assert_eq!(e.size, 12);
        let err = Asset::file("missing.py").resolve(dir).unwrap_err();
        assert!(err.contains("'missing.py' cannot be read"), "{err}");
    }
}

//! File assets: local files (Glue scripts, large pipeline definitions) that
//! the deployer uploads to the environment's assets bucket before deploying.
//!
//! An asset is addressed by the SHA-256 of its content and keeps its file
//! name (`assets/<sha256>/<file name>`), so an unchanged file is never
//! uploaded twice, a changed one never overwrites what a running stack still
//! uses, and a service that copies the object by its key's last part (a
//! SageMaker processing input, whose entrypoint names the script) finds it
//! under the name the code was written with.
//!
//! ```no_run
//! use mlcdk_core::{Asset, Scope, Stack};
//!
//! let mut stack = Stack::for_test();
//! let script = stack.asset(Asset::file("etl/job.py"));
//! let uri = script.s3_uri(); // s3://mlcdk-assets-<account>-<region>/assets/<sha256>/job.py
//! assert_eq!(script.file_name(), "job.py");
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::expr::Expr;

/// The name of the per-environment assets bucket that `bootstrap` creates.
pub const ASSETS_BUCKET_PATTERN: &str = "mlcdk-assets-${AWS::AccountId}-${AWS::Region}";

/// The assets bucket of an account and region, as the deployer names it:
/// [`ASSETS_BUCKET_PATTERN`] with the values filled in.
pub fn assets_bucket_name(account: &str, region: &str) -> String {
    ASSETS_BUCKET_PATTERN
        .replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
}

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
        let name = file_name(&self.source);
        Ok(AssetEntry {
            source: self.source.to_string_lossy().replace('\\', "/"),
            file: full,
            key: format!("assets/{sha256}/{name}"),
            sha256,
            size: bytes.len() as u64,
            content: self.content.is_some().then_some(bytes),
        })
    }
}

/// The last part of an asset's key: the source's file name, with characters
/// outside `[A-Za-z0-9._-]` replaced by `_` (S3 keys take them, but a
/// processing entrypoint or a shell would need quoting), or `asset` when the
/// source has no file name.
pub(crate) fn file_name(source: &Path) -> String {
    let name: String = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "asset".to_string()
    } else {
        name
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

    /// The object key, `assets/<sha256>/<file name>`.
    pub fn key(&self) -> Expr {
        Expr::lit(self.key.clone().unwrap_or_default())
    }

    /// `s3://<assets bucket>/assets/<sha256>/<file name>`
    pub fn s3_uri(&self) -> Expr {
        Expr::sub(format!(
            "s3://{ASSETS_BUCKET_PATTERN}/{}",
            self.key.as_deref().unwrap_or_default()
        ))
    }

    /// The file name the object has in S3 (the key's last part), which is
    /// what a SageMaker processing input or a Glue job names the file by;
    /// empty when the file could not be read.
    pub fn file_name(&self) -> &str {
        self.key
            .as_deref()
            .and_then(|k| k.rsplit('/').next())
            .unwrap_or_default()
    }

    /// The object's folder, `assets/<sha256>/`: the prefix to allow
    /// `s3:ListBucket` on for inputs that list before they read.
    pub fn prefix(&self) -> String {
        self.key
            .as_deref()
            .and_then(|k| k.rsplit_once('/'))
            .map(|(dir, _)| format!("{dir}/"))
            .unwrap_or_default()
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

    /// Read the object as a SageMaker processing input does: `GetObject` on
    /// it, and `ListBucket` on its folder (an `S3Prefix` input lists first).
    pub fn grant_read(&self, grantee: &impl crate::iam::Grantee) -> crate::iam::Grant {
        use crate::iam::{Grant, PolicyStatement};
        Grant::to(
            grantee,
            [
                PolicyStatement::allow()
                    .actions(["s3:GetObject"])
                    .resources([self.object_arn()]),
                PolicyStatement::allow()
                    .actions(["s3:ListBucket"])
                    .resources([self.bucket_arn()])
                    .condition(
                        "StringLike",
                        "s3:prefix",
                        crate::Json::array([crate::Json::from(format!("{}*", self.prefix()))]),
                    ),
            ],
        )
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
        assert_eq!(e.key, format!("assets/{}/job.py", e.sha256));
        let r = e.reference();
        assert_eq!(r.file_name(), "job.py");
        assert_eq!(r.prefix(), format!("assets/{}/", e.sha256));
        assert_eq!(e.size, 12);
        // Names that would need quoting are made plain; the content decides
        // the folder.
        std::fs::write(dir.join("my job (v2).py"), b"print('hi')\n").unwrap();
        let e = Asset::file("my job (v2).py").resolve(dir).unwrap();
        assert_eq!(
            e.key,
            "assets/caf026f25d7140209f98072605307a438914b9ce6f3c14b23d15d9667241de52/my_job__v2_.py"
        );
        assert_eq!(file_name(Path::new("..")), "asset");
        assert_eq!(file_name(Path::new("")), "asset");
        let err = Asset::file("missing.py").resolve(dir).unwrap_err();
        assert!(err.contains("'missing.py' cannot be read"), "{err}");
    }
}

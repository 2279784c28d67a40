//! Logical IDs, computed the way the AWS CDK computes them, so they are stable
//! across refactors that keep paths, and familiar to CDK users.
//!
//! For the construct path below the stack:
//! 1. drop every component named `Default`;
//! 2. a single remaining component is used as is (non-alphanumerics removed);
//! 3. otherwise: a readable part (consecutive duplicates and `Resource` removed,
//!    non-alphanumerics stripped, at most 240 characters) followed by the first 8
//!    hex digits, upper-cased, of the MD5 of the components joined by `/`.

use md5::{Digest, Md5};

pub(crate) const HIDDEN_ID: &str = "Default";
const HIDDEN_FROM_HUMAN_ID: &str = "Resource";
const MAX_HUMAN_LEN: usize = 240;
/// CloudFormation's limit on logical IDs and output, parameter, mapping names.
pub const MAX_ID_LEN: usize = 255;

/// The logical ID of a resource at `components` (path below the stack).
/// Returns `None` for an empty path.
pub fn logical_id(components: &[&str]) -> Option<String> {
    let components: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| *c != HIDDEN_ID)
        .collect();
    match components.as_slice() {
        [] => return None,
        [single] => {
            let id = remove_non_alphanumeric(single);
            if id.len() <= MAX_ID_LEN {
                return Some(id);
            }
        }
        _ => {}
    }
    let hash = path_hash(&components);
    let mut human: String = remove_dupes(&components)
        .into_iter()
        .filter(|c| *c != HIDDEN_FROM_HUMAN_ID)
        .map(remove_non_alphanumeric)
        .collect();
    human.truncate(MAX_HUMAN_LEN);
    Some(human + &hash)
}

/// Whether `id` is a valid CloudFormation logical ID (`^[A-Za-z0-9]{1,255}$`).
pub fn is_valid(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn path_hash(components: &[&str]) -> String {
    let digest = Md5::digest(components.join("/").as_bytes());
    digest[..4].iter().map(|b| format!("{b:02X}")).collect()
}

/// Drops a component when the previously kept one ends with it
/// (`Bucket/Bucket` → `Bucket`, `MyBucket/Bucket` → `MyBucket`).
fn remove_dupes<'a>(components: &[&'a str]) -> Vec<&'a str> {
    let mut kept: Vec<&str> = Vec::with_capacity(components.len());
    for c in components {
        if kept.last().is_none_or(|last| !last.ends_with(c)) {
            kept.push(c);
        }
    }
    kept
}

fn remove_non_alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently of this code, with Python:
    //   hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    #[test]
    fn matches_independently_computed_vectors() {
        let cases: &[(&[&str], &str)] = &[
            (&["Bucket"], "Bucket"),
            (&["My-Bucket_1"], "MyBucket1"),
            (&["RawData", "Resource"], "RawData202C7BD0"),
            (&["Training", "Role", "Resource"], "TrainingRole4C1607BC"),
            (&["Training", "Default", "Role"], "TrainingRoleD8FAF6C8"),
            (&["Bucket", "Bucket"], "BucketDC7D6F65"),
            (&["MyBucket", "Bucket", "Policy"], "MyBucketPolicyAFD29FB9"),
            (&["a-b", "c.d"], "abcd145DAF6D"),
            (&["Outer", "Default"], "Outer"),
            // The CDK's getting-started bucket, as printed by `cdk synth`.
            (&["MyFirstBucket", "Resource"], "MyFirstBucketB8884501"),
        ];
        for (components, expected) in cases {
            assert_eq!(
                logical_id(components).as_deref(),
                Some(*expected),
                "{components:?}"
            );
        }
    }

    #[test]
    fn an_empty_path_has_no_id() {
        assert_eq!(logical_id(&[]), None);
        assert_eq!(logical_id(&["Default"]), None);
    }

    #[test]
    fn long_paths_are_cut_to_240_plus_hash() {
        let long = "A".repeat(300);
        let id = logical_id(&[&long, "B"]).unwrap();
        assert_eq!(id.len(), 248);
        assert!(id.ends_with("60C7B2B7"), "{id}");
        assert!(is_valid(&id));
        // A single component too long to use as is falls back to the hashed form.
        let id = logical_id(&[&long]).unwrap();
        assert_eq!(id.len(), 248);
    }

    #[test]
    fn validity() {
        assert!(is_valid("Abc123"));
        assert!(!is_valid(""));
        assert!(!is_valid("a-b"));
        assert!(!is_valid(&"a".repeat(256)));
        assert!(is_valid(&"a".repeat(255)));
    }
}

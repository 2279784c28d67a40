//! Where suppressions are written in a template, and the rules they follow.
//!
//! A suppression says "this finding does not apply here, because …". mlcdk
//! writes it where every reader of the template sees it, and where
//! `mlcdk_checks::check` reads it back:
//!
//! - on a resource ([`Stack::suppress`](crate::Stack::suppress),
//!   [`Stack::suppress_at`](crate::Stack::suppress_at),
//!   [`Stack::suppress_subtree`](crate::Stack::suppress_subtree)): the resource's
//!   `Metadata.mlcdk:suppress`, a list of `{"rule", "reason"}` (checkov ids,
//!   `CKV_…`, go to `Metadata.checkov.skip`, where checkov reads them);
//! - on the stack ([`Stack::suppress_stack`](crate::Stack::suppress_stack)): the
//!   template's top-level `Metadata.mlcdk:suppress`, in the same shape. A stack
//!   suppression covers the rule's stack-level findings (`COST-001`, pinned to
//!   `(stack)`) **and** its findings on every resource of the template, like
//!   cdk-nag's stack suppressions: one line for "this stage does not do X,
//!   because Y". Prefer the narrower ones when they fit.
//!
//! Every suppression names a rule and gives a reason of at least
//! [`MIN_REASON_CHARS`] characters (the minimum cdk-nag uses): a reviewer must
//! see why the finding does not apply. A shorter reason is a validation error
//! at synth, and `check` ignores a shorter one in a hand-written template.
//!
//! ```
//! use mlcdk_core::suppression::{self, MIN_REASON_CHARS};
//! assert_eq!(MIN_REASON_CHARS, 10);
//! assert!(suppression::validate("SNS-001", "public build notifications only").is_ok());
//! assert!(suppression::validate("SNS-001", "why").is_err());
//! ```

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The `Metadata` key of mlcdk suppressions, on a resource or the template.
pub const METADATA_KEY: &str = "mlcdk:suppress";

/// The fewest characters a suppression's reason has (after trimming).
pub const MIN_REASON_CHARS: usize = 10;

/// Checks a suppression's rule id and reason; the error says what is wrong and
/// what is accepted.
pub fn validate(rule: &str, reason: &str) -> Result<(), String> {
    if rule.trim().is_empty() {
        return Err(format!(
            "suppression needs a rule id (got '{rule}'): name the rule whose finding does not apply"
        ));
    }
    let chars = reason.trim().chars().count();
    if chars < MIN_REASON_CHARS {
        return Err(format!(
            "suppression '{rule}' needs a reason of at least {MIN_REASON_CHARS} characters (got '{reason}', {chars}): a reviewer must see why the finding does not apply"
        ));
    }
    Ok(())
}

/// The reason `metadata` (a resource's or the template's) gives for
/// suppressing `rule`, when it has one that [`validate`] accepts.
pub fn reason(metadata: &BTreeMap<String, Value>, rule: &str) -> Option<String> {
    metadata
        .get(METADATA_KEY)?
        .as_array()?
        .iter()
        .find_map(|e| {
            let reason = e.get("reason")?.as_str()?.trim();
            (e.get("rule")?.as_str()? == rule && validate(rule, reason).is_ok())
                .then(|| reason.to_string())
        })
}

/// Adds a suppression to a resource's metadata (checkov ids where checkov
/// reads them). The caller has validated it.
pub(crate) fn write(metadata: &mut BTreeMap<String, Value>, rule: &str, reason: &str) {
    if rule.starts_with("CKV") {
        let checkov = metadata
            .entry("checkov".to_string())
            .or_insert_with(|| json!({}));
        if let Value::Object(map) = checkov {
            let skip = map
                .entry("skip".to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = skip
                && !items
                    .iter()
                    .any(|i| i.get("id").and_then(Value::as_str) == Some(rule))
            {
                items.push(json!({"id": rule, "comment": reason}));
            }
        }
    } else {
        let slot = metadata
            .entry(METADATA_KEY.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = slot
            && !items
                .iter()
                .any(|i| i.get("rule").and_then(Value::as_str) == Some(rule))
        {
            items.push(json!({"rule": rule, "reason": reason}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_validated_and_read_back() {
        assert!(
            validate(" ", "a good long reason")
                .unwrap_err()
                .contains("rule id")
        );
        let e = validate("S3-004", "  short  ").unwrap_err();
        assert!(e.contains("at least 10 characters"), "{e}");
        assert!(e.contains("5)"), "{e}");

        let mut metadata = BTreeMap::new();
        write(&mut metadata, "S3-004", "access logs only, never rewritten");
        // The first reason for a rule stays (a subtree and a resource
        // suppression of the same rule do not write it twice).
        write(&mut metadata, "S3-004", "another reason for the same rule");
        write(
            &mut metadata,
            "CKV_AWS_21",
            "access logs only, never rewritten",
        );
        assert_eq!(
            metadata[METADATA_KEY],
            json!([{"rule": "S3-004", "reason": "access logs only, never rewritten"}])
        );
        assert_eq!(
            metadata["checkov"],
            json!({"skip": [{"id": "CKV_AWS_21", "comment": "access logs only, never rewritten"}]})
        );
        assert_eq!(
            reason(&metadata, "S3-004").as_deref(),
            Some("access logs only, never rewritten")
        );
        assert_eq!(reason(&metadata, "S3-005"), None);

        let short = BTreeMap::from([(
            METADATA_KEY.to_string(),
            json!([{"rule": "S3-004", "reason": "why"}]),
        )]);
        assert_eq!(reason(&short, "S3-004"), None);
    }
}

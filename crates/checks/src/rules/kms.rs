//! KMS rules: key rotation.

use mlcdk_core::Template;
use serde_json::Value;

use super::{is_true, of};
use crate::{Hit, Options, Rule, Severity};
use Severity::Error;

/// `KMS-001`: symmetric KMS keys rotate.
pub(super) const ROTATION: Rule = Rule {
    id: "KMS-001",
    severity: Error,
    error_in_production: true,
    title: "symmetric KMS keys rotate",
    explanation: "Automatic rotation gives a key new key material every year by default, which limits \
        what one leaked version can decrypt; older material is kept, so data stays readable. \
        AWS supports automatic rotation for symmetric encryption keys only, so other key \
        specs are exempt. AWS: \
        https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    check: kms_rotation,
};

/// The check of [`ROTATION`].
fn kms_rotation(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::KMS::Key") {
        let symmetric = r
            .prop(&["KeySpec"])
            .and_then(Value::as_str)
            .is_none_or(|s| s == "SYMMETRIC_DEFAULT");
        if symmetric && !is_true(r.prop(&["EnableKeyRotation"])) {
            out.push(
                Hit::new(id, "key rotation is off; set EnableKeyRotation: true")
                    .fix("KmsKey enables rotation; build the key with KmsKey::new"),
            );
        }
    }
}

//! SNS rules: topic encryption.

use mlcdk_core::Template;

use super::of;
use crate::{Hit, Options, Rule, Severity};
use Severity::Error;

/// `SNS-001`: topics are encrypted.
pub(super) const ENCRYPTION: Rule = Rule {
    id: "SNS-001",
    severity: Error,
    error_in_production: true,
    title: "topics are encrypted",
    explanation: "Alerts and asynchronous inference results carry endpoint names, errors and sometimes \
        payload locations; server-side encryption with a KMS key (KmsMasterKeyId) encrypts \
        them at rest. AWS: \
        https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    check: sns_encryption,
};

/// The check of [`ENCRYPTION`].
fn sns_encryption(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SNS::Topic") {
        if r.prop(&["KmsMasterKeyId"]).is_none() {
            out.push(
                Hit::new(id, "topic is not encrypted; set KmsMasterKeyId").fix(
                    "AlertsTopic encrypts its topic; TopicRef::from_arn for a topic made elsewhere",
                ),
            );
        }
    }
}

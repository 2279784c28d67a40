//! Reliability rules: stateful resources kept on delete in production.

use mlcdk_core::Template;
use mlcdk_core::stateful::is_stateful;
use mlcdk_core::template::DeletionPolicy;

use crate::{Hit, Options, Rule, Severity};
use Severity::Error;

/// `REL-001`: production keeps stateful resources on delete.
pub(super) const RETAIN: Rule = Rule {
    id: "REL-001",
    severity: Error,
    error_in_production: true,
    title: "production keeps stateful resources on delete",
    explanation: "In production a data store deleted with its stack, or replaced by an update, is lost \
        data; DeletionPolicy Retain (or Snapshot) keeps the physical resource when the stack \
        lets go of it. Production only. AWS: \
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
    check: rel_retain,
};

/// The check of [`RETAIN`].
fn rel_retain(t: &Template, o: &Options, out: &mut Vec<Hit>) {
    if !o.production {
        return;
    }
    for (id, r) in &t.resources {
        let kept = matches!(
            r.deletion_policy,
            Some(
                DeletionPolicy::Retain
                    | DeletionPolicy::RetainExceptOnCreate
                    | DeletionPolicy::Snapshot
            )
        );
        if is_stateful(&r.resource_type) && !kept {
            out.push(Hit::new(id, format!("{} without DeletionPolicy Retain in production; set Retain (and UpdateReplacePolicy)", r.resource_type)).fix("removal_policy: None keeps the default, Retain"));
        }
    }
}

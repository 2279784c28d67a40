//! Athena rules: bounded workgroups.

use mlcdk_core::Template;

use super::{is_true, of};
use crate::{Hit, Options, Rule, Severity};
use Severity::Warning;

/// `ATH-001`: Athena workgroups enforce their configuration and a scan cutoff.
pub(super) const BOUNDED: Rule = Rule {
    id: "ATH-001",
    severity: Warning,
    error_in_production: false,
    title: "Athena workgroups enforce their configuration and a scan cutoff",
    explanation: "Athena bills per byte scanned: a per-query data usage control \
        (BytesScannedCutoffPerQuery) cancels a runaway query, and \
        EnforceWorkGroupConfiguration stops clients from overriding the workgroup's \
        settings, the cutoff and the result location included. AWS: \
        https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html",
    check: athena_bounded,
};

/// The check of [`BOUNDED`].
fn athena_bounded(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::Athena::WorkGroup") {
        let mut missing = Vec::new();
        if !is_true(r.prop(&["WorkGroupConfiguration", "EnforceWorkGroupConfiguration"])) {
            missing.push("EnforceWorkGroupConfiguration: true");
        }
        if r.prop(&["WorkGroupConfiguration", "BytesScannedCutoffPerQuery"])
            .is_none()
        {
            missing.push("BytesScannedCutoffPerQuery");
        }
        if !missing.is_empty() {
            out.push(Hit::new(
                id,
                format!(
                    "workgroup lacks {}; set it in WorkGroupConfiguration",
                    missing.join(" and ")
                ),
            ).fix("AthenaWorkGroupProps { bytes_scanned_cutoff } (the construct enforces its configuration)"));
        }
    }
}

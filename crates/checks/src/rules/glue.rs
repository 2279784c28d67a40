//! Glue rules: job timeouts and security configurations.

use mlcdk_core::Template;

use super::of;
use crate::{Hit, Options, Rule, Severity};
use Severity::Warning;

/// `GLUE-001`: Glue jobs have a timeout.
pub(super) const TIMEOUT: Rule = Rule {
    id: "GLUE-001",
    severity: Warning,
    error_in_production: false,
    title: "Glue jobs have a timeout",
    explanation: "A Glue job without Timeout gets the default of 2,880 minutes: a hung job bills its \
        DPUs for 48 hours. AWS: \
        https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html",
    check: glue_timeout,
};

/// `GLUE-002`: Glue jobs and crawlers use a security configuration.
pub(super) const SECURITY: Rule = Rule {
    id: "GLUE-002",
    severity: Warning,
    error_in_production: true,
    title: "Glue jobs and crawlers use a security configuration",
    explanation: "Without a security configuration Glue writes its S3 data, CloudWatch logs and job \
        bookmarks without the KMS keys you choose; a security configuration encrypts all \
        three. AWS: \
        https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html",
    check: glue_security,
};

/// The check of [`TIMEOUT`].
fn glue_timeout(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::Glue::Job") {
        if r.prop(&["Timeout"]).is_none() {
            out.push(
                Hit::new(
                    id,
                    "no Timeout (Glue defaults to 48 hours); set Timeout in minutes",
                )
                .fix("GlueJobProps { timeout_minutes }"),
            );
        }
    }
}

/// The check of [`SECURITY`].
fn glue_security(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for ty in ["AWS::Glue::Job", "AWS::Glue::Crawler"] {
        for (id, r) in of(t, ty) {
            let key = if ty == "AWS::Glue::Job" {
                "SecurityConfiguration"
            } else {
                "CrawlerSecurityConfiguration"
            };
            if r.prop(&[key]).is_none() {
                out.push(Hit::new(id, format!("no {key}; attach a Glue security configuration (S3, CloudWatch and bookmark encryption)")).fix("GlueJobProps / CrawlerProps { encryption_key: Some(..) }"));
            }
        }
    }
}

//! A rule pack over a CloudFormation [`Template`]: security, reliability and
//! cost rules for ML platforms. It reads templates, not constructs, so it works
//! on any template, including ones written by hand.
//!
//! A finding is suppressed, with a reason of at least 10 characters, by the
//! `mlcdk:suppress` entries of its resource's `Metadata` or of the template's
//! top-level `Metadata` (a stack suppression, which covers the rule's
//! stack-level findings and its findings on every resource); see
//! `mlcdk_core::suppression`, and `Stack::suppress`, `suppress_subtree` and
//! `suppress_stack`, which write them. On a resource mlcdk wrote, a finding's
//! message ends with the construct field that fixes it
//! (`(mlcdk: BucketProps { versioned: true })`).
//!
//! Part of mlcdk: use it as `mlcdk::checks`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod compat;
mod instance_types;
pub mod policy;
mod rules;
pub mod runtime;
mod wiring;

use std::fmt;

use mlcdk_core::Template;

pub use rules::RULES;

/// How bad a finding is: errors fail `check` and the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Reported; `check` still succeeds.
    Warning,
    /// Fails `check` (exit 1) and the plan.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A rule of the pack. The rationale of each is in `rules.rs`.
pub struct Rule {
    /// Stable id, e.g. `S3-001`; suppressions name it.
    pub id: &'static str,
    /// Severity in a non-production stage.
    pub severity: Severity,
    /// Raised to an error in production.
    pub error_in_production: bool,
    /// One line: what the rule wants.
    pub title: &'static str,
    check: fn(&Template, &Options, &mut Vec<Hit>),
}

/// One resource that breaks a rule, and the fix.
pub(crate) struct Hit {
    logical_id: String,
    message: String,
    /// The mlcdk construct field that fixes it, appended to the message
    /// when mlcdk wrote the template.
    fix: Option<&'static str>,
}

impl Hit {
    pub(crate) fn new(logical_id: &str, message: impl Into<String>) -> Hit {
        Hit {
            logical_id: logical_id.to_string(),
            message: message.into(),
            fix: None,
        }
    }

    /// The construct field that fixes the finding (`BucketProps { versioned:
    /// true }`): shown as `(mlcdk: …)` after the message when the resource (or,
    /// for a stack-level finding, the template) was written by mlcdk.
    pub(crate) fn fix(mut self, construct_field: &'static str) -> Hit {
        self.fix = Some(construct_field);
        self
    }
}

/// Whether mlcdk wrote the resource (it carries `Metadata.mlcdk:path`); for a
/// stack-level finding, whether any resource of the template does.
fn written_by_mlcdk(template: &Template, logical_id: &str) -> bool {
    let made = |r: &mlcdk_core::template::Resource| r.metadata.contains_key("mlcdk:path");
    match template.resources.get(logical_id) {
        Some(r) => made(r),
        None => template.resources.values().any(made),
    }
}

/// What the rules need to know about the stage.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Production: rules marked so raise warnings to errors, and
    /// production-only rules apply.
    pub production: bool,
    /// Upper bound on a tuning job's MaxNumberOfTrainingJobs (default 50).
    pub max_tuning_jobs: Option<u64>,
}

/// A finding of one rule on one resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule's id, e.g. `S3-001`.
    pub rule: &'static str,
    /// The severity in this stage (warnings of rules marked so are errors in
    /// production).
    pub severity: Severity,
    /// The resource's logical ID.
    pub logical_id: String,
    /// The construct path (`mlcdk:path`) or the logical ID.
    pub path: String,
    /// What is wrong and how to fix it: the CloudFormation property, and on a
    /// resource mlcdk wrote, the construct field that sets it
    /// (`… (mlcdk: BucketProps { versioned: true })`).
    pub message: String,
    /// The reason, when the finding is suppressed (by its resource's
    /// suppression, or else by the stack's).
    pub suppressed: Option<String>,
}

/// All findings of a template.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every finding, suppressed ones included; errors first, then by path and
    /// rule.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Findings not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// `(logical id, message)` of every finding of `rule`, suppressed ones
    /// included: what a test of one rule asserts on.
    pub fn of_rule(&self, rule: &str) -> Vec<(String, String)> {
        self.findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| (f.logical_id.clone(), f.message.clone()))
            .collect()
    }

    /// Active findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.active().filter(|f| f.severity == severity).count()
    }

    /// Whether any active finding is an error: what fails `check`.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// How many findings are suppressed.
    pub fn suppressed(&self) -> usize {
        self.findings.len() - self.active().count()
    }

    /// `2 errors, 1 warning, 3 suppressed`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}, {} suppressed",
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning"),
            self.suppressed()
        )
    }
}

/// Run every rule of the pack over `template`.
pub fn check(template: &Template, options: &Options) -> Report {
    runtime::forget();
    let mut findings = Vec::new();
    for rule in RULES {
        let mut hits = Vec::new();
        (rule.check)(template, options, &mut hits);
        let severity = if options.production && rule.error_in_production {
            Severity::Error
        } else {
            rule.severity
        };
        for hit in hits {
            let suppressed = suppression(template, &hit.logical_id, rule.id);
            let message = match hit.fix {
                Some(fix) if written_by_mlcdk(template, &hit.logical_id) => {
                    format!("{} (mlcdk: {fix})", hit.message)
                }
                _ => hit.message,
            };
            findings.push(Finding {
                rule: rule.id,
                severity,
                path: template.display_path(&hit.logical_id).to_string(),
                logical_id: hit.logical_id,
                message,
                suppressed,
            });
        }
    }
    runtime::forget();
    findings.sort_by(|a, b| (b.severity, &a.path, a.rule).cmp(&(a.severity, &b.path, b.rule)));
    Report { findings }
}

/// The reason a finding of `rule` on `logical_id` is suppressed: the
/// resource's own suppression first, then the template's (a stack
/// suppression covers the rule's findings on `(stack)` and on every resource).
/// See `mlcdk_core::suppression`.
fn suppression(template: &Template, logical_id: &str, rule: &str) -> Option<String> {
    template
        .resources
        .get(logical_id)
        .and_then(|r| mlcdk_core::suppression::reason(&r.metadata, rule))
        .or_else(|| mlcdk_core::suppression::reason(&template.metadata, rule))
}

/// The findings as a table, one line each, suppressed ones last.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let rows = report
        .active()
        .chain(report.findings.iter().filter(|f| f.suppressed.is_some()));
    for f in rows {
        let sev = match &f.suppressed {
            Some(_) => "suppressed".to_string(),
            None => f.severity.to_string(),
        };
        out.push_str(&format!(
            "{sev:<10}  {:<8}  {:<28}  {}",
            f.rule, f.path, f.message
        ));
        if let Some(reason) = &f.suppressed {
            out.push_str(&format!(" (suppressed: {reason})"));
        }
        out.push('\n');
    }
    out
}

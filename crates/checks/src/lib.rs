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
//! The built-in rules are [`RULES`], defined by service (S3, KMS, IAM, SNS,
//! SageMaker hosting, training, Glue, Athena, cost, reliability, and the
//! run-time rules); each has a one-line title and, apart from it, an
//! explanation with the AWS page that states it ([`rule`] finds one by id).
//! A user's own [`Rule`]s run beside them with [`check_with`], and their
//! findings are suppressed and counted like the built-in ones.
//!
//! Part of mlcdk: use it as `mlcdk::checks`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod bedrock;
mod compat;
mod instance_types;
pub mod policy;
mod rules;
pub mod runtime;
mod wiring;

use std::fmt;

use mlcdk_core::Template;

pub use rules::{DEFAULT_MAX_TUNING_JOBS, RULES};

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

/// A rule: the built-in ones are [`RULES`]; a user's own run beside them
/// through [`check_with`].
///
/// Like cdk-nag's `info` and `explanation`, the one-line [`title`](Rule::title)
/// says what the rule wants and the [`explanation`](Rule::explanation) why it
/// matters, with the AWS page that states it.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// Stable id, e.g. `S3-001`; suppressions name it.
    pub id: &'static str,
    /// Severity in a non-production stage.
    pub severity: Severity,
    /// Raised to an error in production.
    pub error_in_production: bool,
    /// One line: what the rule wants.
    pub title: &'static str,
    /// Why it matters, and the AWS documentation page where it is stated.
    pub explanation: &'static str,
    /// The check: pushes a [`Hit`] for each resource that breaks the rule
    /// (or one on [`Hit::STACK`] for a stack-level finding).
    pub check: fn(&Template, &Options, &mut Vec<Hit>),
}

impl Rule {
    /// A rule that keeps its `severity` in production; write
    /// `Rule { error_in_production: true, ..Rule::new(..) }` for one that is
    /// an error there.
    pub const fn new(
        id: &'static str,
        severity: Severity,
        title: &'static str,
        explanation: &'static str,
        check: fn(&Template, &Options, &mut Vec<Hit>),
    ) -> Rule {
        Rule {
            id,
            severity,
            error_in_production: false,
            title,
            explanation,
            check,
        }
    }

    /// The rule's severity in a stage (`production` or not).
    pub fn severity_in(&self, production: bool) -> Severity {
        if production && self.error_in_production {
            Severity::Error
        } else {
            self.severity
        }
    }
}

/// The built-in rule `id` (`"S3-001"`), with its title and explanation.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One resource that breaks a rule: what a rule's check reports.
#[derive(Clone, Debug)]
pub struct Hit {
    logical_id: String,
    message: String,
    /// The mlcdk construct field that fixes it, appended to the message
    /// when mlcdk wrote the template.
    fix: Option<&'static str>,
}

impl Hit {
    /// The pseudo logical ID of a stack-level finding (a stage without a
    /// budget): suppressed only by a stack suppression.
    pub const STACK: &'static str = "(stack)";

    /// A finding on the resource `logical_id` (or [`Hit::STACK`]): what is
    /// wrong and how to fix it.
    pub fn new(logical_id: &str, message: impl Into<String>) -> Hit {
        Hit {
            logical_id: logical_id.to_string(),
            message: message.into(),
            fix: None,
        }
    }

    /// The construct field that fixes the finding (`BucketProps { versioned:
    /// true }`): shown as `(mlcdk: …)` after the message when the resource (or,
    /// for a stack-level finding, the template) was written by mlcdk.
    pub fn fix(mut self, construct_field: &'static str) -> Hit {
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
    check_with(template, options, &[])
}

/// Run every rule of the pack and the user's `extra` rules over `template`.
///
/// A user rule's findings are reported, suppressed (by its id, with a reason
/// of at least 10 characters, as `Stack::suppress` and `suppress_stack`
/// write it) and counted like the built-in ones. Its id must be its own: a
/// user rule whose id is already taken (by a built-in rule or an earlier
/// user rule) does not run, and is reported instead as an error finding on
/// `(stack)`, which no suppression hides.
///
/// ```
/// use mlcdk_checks::{Hit, Options, Rule, Severity, check_with};
/// use mlcdk_core::Template;
///
/// /// Our buckets carry a cost-center tag.
/// fn cost_center(t: &Template, _: &Options, out: &mut Vec<Hit>) {
///     for (id, bucket) in t.resources_of_type("AWS::S3::Bucket") {
///         let tagged = bucket.prop(&["Tags"]).and_then(|v| v.as_array()).is_some_and(|tags| {
///             tags.iter().any(|tag| tag["Key"] == "cost-center")
///         });
///         if !tagged {
///             out.push(Hit::new(id, "no cost-center tag; add Tags [{Key: cost-center, ..}]"));
///         }
///     }
/// }
///
/// static OURS: &[Rule] = &[Rule {
///     error_in_production: true,
///     ..Rule::new(
///         "ACME-001",
///         Severity::Warning,
///         "buckets carry a cost-center tag",
///         "Finance splits the bill by the cost-center tag; an untagged bucket is billed to nobody.",
///         cost_center,
///     )
/// }];
///
/// let template = Template::from_json_str(r#"{"Resources": {
///     "Data": {"Type": "AWS::S3::Bucket"}
/// }}"#).unwrap();
/// let production = Options { production: true, ..Default::default() };
/// let report = check_with(&template, &production, OURS);
/// assert_eq!(report.of_rule("ACME-001")[0].0, "Data");
/// assert!(report.findings.iter().any(|f| f.rule == "ACME-001" && f.severity == Severity::Error));
/// ```
pub fn check_with(template: &Template, options: &Options, extra: &[Rule]) -> Report {
    runtime::forget();
    let mut findings = Vec::new();
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for rule in RULES {
        run(rule, template, options, &mut findings);
    }
    for rule in extra {
        if ids.contains(&rule.id) {
            findings.push(Finding {
                rule: rule.id,
                severity: Severity::Error,
                logical_id: Hit::STACK.to_string(),
                path: Hit::STACK.to_string(),
                message: format!(
                    "user rule {} ({}) was not run: its id is already taken; give it an id of its own",
                    rule.id, rule.title
                ),
                suppressed: None,
            });
            continue;
        }
        ids.push(rule.id);
        run(rule, template, options, &mut findings);
    }
    runtime::forget();
    findings.sort_by(|a, b| (b.severity, &a.path, a.rule).cmp(&(a.severity, &b.path, b.rule)));
    Report { findings }
}

/// Runs one rule and adds its findings, suppressions and fixes applied.
fn run(rule: &Rule, template: &Template, options: &Options, findings: &mut Vec<Finding>) {
    let mut hits = Vec::new();
    (rule.check)(template, options, &mut hits);
    let severity = rule.severity_in(options.production);
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

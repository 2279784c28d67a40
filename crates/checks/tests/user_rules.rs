//! User-defined rules run beside the pack (`check_with`), and every rule of
//! the registry explains itself.

use mlcdk_checks::{Hit, Options, RULES, Rule, Severity, check, check_with, render, rule};
use mlcdk_core::{CfnResource, Scope, Stack, Template};
use serde_json::{Value, json};

/// Queues are for dead letters only in this organization.
fn no_queues(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, _) in t.resources_of_type("AWS::SQS::Queue") {
        out.push(Hit::new(id, "a queue; use the event bus instead").fix("EventBus::new"));
    }
}

/// A stack-level user rule: every stage has a tag policy resource.
fn tagged_stage(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    if t.resources_of_type("AWS::Organizations::Policy")
        .next()
        .is_none()
    {
        out.push(Hit::new(Hit::STACK, "the stage has no tag policy"));
    }
}

static OURS: &[Rule] = &[
    Rule {
        error_in_production: true,
        ..Rule::new(
            "ACME-001",
            Severity::Warning,
            "no SQS queues",
            "The platform standardizes on EventBridge; a queue is an exception to review.",
            no_queues,
        )
    },
    Rule::new(
        "ACME-002",
        Severity::Error,
        "the stage has a tag policy",
        "Cost allocation needs the tag policy of the stage.",
        tagged_stage,
    ),
];

fn template(resources: Value, metadata: Value) -> Template {
    Template::from_json_str(&json!({ "Metadata": metadata, "Resources": resources }).to_string())
        .unwrap()
}

#[test]
fn a_user_rule_trips_and_is_counted_like_the_pack() {
    let t = template(json!({"Jobs": {"Type": "AWS::SQS::Queue"}}), json!({}));
    let report = check_with(&t, &Options::default(), OURS);
    assert_eq!(
        report.of_rule("ACME-001"),
        vec![(
            "Jobs".to_string(),
            "a queue; use the event bus instead".to_string()
        )]
    );
    assert_eq!(
        report.of_rule("ACME-002"),
        vec![(
            "(stack)".to_string(),
            "the stage has no tag policy".to_string()
        )]
    );
    let acme = |rule: &str| report.findings.iter().find(|f| f.rule == rule).unwrap();
    assert_eq!(acme("ACME-001").severity, Severity::Warning);
    assert_eq!(acme("ACME-002").severity, Severity::Error);
    assert!(report.has_errors());
    // The pack ran too (COST-001: no budget), and the summary counts both.
    let pack = check(&t, &Options::default());
    assert!(!pack.of_rule("COST-001").is_empty());
    assert_eq!(report.findings.len(), pack.findings.len() + 2);
    assert_eq!(
        report.count(Severity::Error),
        pack.count(Severity::Error) + 1
    );
    assert!(render(&report).contains("ACME-001"), "{}", render(&report));

    let production = Options {
        production: true,
        ..Default::default()
    };
    let report = check_with(&t, &production, OURS);
    assert_eq!(acme_severity(&report, "ACME-001"), Severity::Error);
}

fn acme_severity(report: &mlcdk_checks::Report, rule: &str) -> Severity {
    report
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap()
        .severity
}

#[test]
fn a_user_rule_is_suppressed_on_its_resource_and_on_the_stack() {
    let t = template(
        json!({"Jobs": {"Type": "AWS::SQS::Queue", "Metadata": {
            "mlcdk:suppress": [{"rule": "ACME-001", "reason": "legacy consumer until Q3"}]
        }}}),
        json!({"mlcdk:suppress": [{"rule": "ACME-002", "reason": "sandbox account, no tag policy"}]}),
    );
    let report = check_with(&t, &Options::default(), OURS);
    let suppressed = |rule: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .and_then(|f| f.suppressed.clone())
    };
    assert_eq!(
        suppressed("ACME-001").as_deref(),
        Some("legacy consumer until Q3")
    );
    assert_eq!(
        suppressed("ACME-002").as_deref(),
        Some("sandbox account, no tag policy")
    );
    assert!(report.active().all(|f| !f.rule.starts_with("ACME")));
    let pack = check(&t, &Options::default());
    assert_eq!(report.suppressed(), pack.suppressed() + 2);
}

#[test]
fn a_user_rule_is_suppressed_by_stack_suppress_and_gets_its_fix_on_mlcdk_resources() {
    let mut stack = Stack::for_test();
    stack.add_resource("Jobs", CfnResource::new("AWS::SQS::Queue"));
    let t = stack.synth().unwrap().template;
    let report = check_with(&t, &Options::default(), OURS);
    let message = &report.of_rule("ACME-001")[0].1;
    assert_eq!(
        message,
        "a queue; use the event bus instead (mlcdk: EventBus::new)"
    );

    let mut stack = Stack::for_test();
    let queue = stack.add_resource("Jobs", CfnResource::new("AWS::SQS::Queue"));
    stack.suppress(&queue, "ACME-001", "legacy consumer until Q3");
    let t = stack.synth().unwrap().template;
    let report = check_with(&t, &Options::default(), OURS);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "ACME-001")
        .unwrap();
    assert_eq!(f.suppressed.as_deref(), Some("legacy consumer until Q3"));
}

#[test]
fn a_user_rule_with_a_taken_id_does_not_run_and_is_an_error() {
    fn never(_: &Template, _: &Options, out: &mut Vec<Hit>) {
        out.push(Hit::new(Hit::STACK, "must not run"));
    }
    let clash = [
        Rule::new("S3-001", Severity::Warning, "mine", "Mine.", never),
        Rule::new("ACME-009", Severity::Warning, "first", "First.", never),
        Rule::new("ACME-009", Severity::Warning, "second", "Second.", never),
    ];
    // A stack suppression of the id does not hide the clash.
    let t = template(
        json!({"Jobs": {"Type": "AWS::SQS::Queue"}}),
        json!({"mlcdk:suppress": [{"rule": "S3-001", "reason": "no buckets in this stage"}]}),
    );
    let report = check_with(&t, &Options::default(), &clash);
    let messages: Vec<String> = report
        .active()
        .filter(|f| f.path == "(stack)" && f.severity == Severity::Error)
        .map(|f| f.message.clone())
        .collect();
    assert!(
        messages.contains(&"user rule S3-001 (mine) was not run: its id is already taken; give it an id of its own".to_string()),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("user rule ACME-009 (second)"))
    );
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.message == "must not run")
            .count(),
        1,
        "only the first ACME-009 runs"
    );
}

#[test]
fn every_rule_explains_itself_apart_from_its_title() {
    for r in RULES {
        assert!(
            r.explanation.len() > r.title.len() && r.explanation != r.title,
            "{} needs an explanation of its own",
            r.id
        );
        assert!(
            r.explanation.contains("https://docs.aws.amazon.com/"),
            "{}'s explanation names no AWS page: {}",
            r.id,
            r.explanation
        );
        assert!(
            !r.explanation.contains("  "),
            "{}: a line break left two spaces",
            r.id
        );
    }
    let s3 = rule("S3-004").unwrap();
    assert_eq!(
        (s3.severity, s3.error_in_production, s3.title),
        (Severity::Warning, false, "buckets are versioned")
    );
    assert!(s3.explanation.ends_with("userguide/Versioning.html"));
    assert!(rule("NOPE-001").is_none());
    assert_eq!(rule("SM-007").unwrap().severity_in(true), Severity::Error);
    assert_eq!(
        rule("SM-007").unwrap().severity_in(false),
        Severity::Warning
    );
}

#[test]
fn the_registry_keeps_ids_in_order_by_service() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "S3-001", "S3-002", "S3-003", "S3-004", "S3-005", "KMS-001", "IAM-001", "IAM-002",
            "IAM-003", "IAM-004", "SNS-001", "SM-001", "SM-002", "SM-003", "SM-004", "SM-005",
            "SM-006", "SM-007", "TRN-001", "TRN-002", "TRN-003", "GLUE-001", "GLUE-002", "ATH-001",
            "COST-001", "REL-001", "RT-001", "RT-002", "RT-003", "RT-004", "RT-005", "RT-006",
            "RT-007", "RT-008", "RT-009", "RT-010", "RT-011", "RT-012", "RT-013", "RT-014",
        ]
    );
}

//! checkov, the second shape check, over every stage's template of the example,
//! of the options app (the construct options the example does not use) and
//! the bootstrap stack: no failed
//! check at all. Skips are allowed only with a reason in the resource's
//! Metadata (`stack.suppress(…, "CKV_…", reason)`), and are counted here.
//!
//! checkov is the pinned version, provisioned on first use by
//! `mlcdk_testkit::tools` (it has a virtualenv of its own: it pins a boto3
//! that moto's would conflict with).

#[path = "../examples/options/stack.rs"]
mod options;
#[path = "../examples/deploy/stack.rs"]
mod stack;

use std::path::Path;

use mlcdk_testkit::{Scratch, tools};
use serde_json::Value;

/// checkov's summary over the templates in `dir`: (passed, failed, skipped,
/// parsing errors, the failed checks as `id resource file` lines).
fn checkov(dir: &Path) -> (u64, u64, u64, u64, Vec<String>) {
    let tool = tools::require("checkov");
    let output = tool
        .command()
        .args(["--directory"])
        .arg(dir)
        .args([
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
        ])
        .args(["--skip-download", "--compact"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}); stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    // One framework gives one report object; several would give a list.
    let report = match report {
        Value::Array(mut reports) if reports.len() == 1 => reports.remove(0),
        other => other,
    };
    let n = |k: &str| {
        report["summary"][k]
            .as_u64()
            .unwrap_or_else(|| panic!("no summary.{k}: {report}"))
    };
    let failed = report["results"]["failed_checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .map(|c| format!("{} {} {}", c["check_id"], c["resource"], c["file_path"]))
                .collect()
        })
        .unwrap_or_default();
    (
        n("passed"),
        n("failed"),
        n("skipped"),
        n("parsing_errors"),
        failed,
    )
}

#[test]
fn external_checkov_every_stage_template_has_no_failed_check() {
    let dir = Scratch::new("checkov");
    let assemblies = [
        stack::app().synth(None).expect("the example synthesizes"),
        options::app()
            .synth(None)
            .expect("the options app synthesizes"),
    ];
    let mut templates = 0;
    for s in assemblies.iter().flat_map(|a| &a.stacks) {
        std::fs::write(
            dir.path()
                .join(format!("{}.template.json", s.info.stack_name)),
            &s.text,
        )
        .unwrap();
        templates += 1;
    }
    // The bootstrap stack every account and region gets before its first deploy.
    let boot = mlcdk::cli::bootstrap::bootstrap_stack(&mlcdk::prelude::Env::new(
        "111111111111",
        "us-east-1",
    ))
    .expect("the bootstrap stack synthesizes");
    std::fs::write(dir.path().join("mlcdk-bootstrap.template.json"), &boot.text).unwrap();
    templates += 1;
    assert_eq!(templates, 5);
    let (passed, failed, skipped, parsing_errors, failures) = checkov(dir.path());
    assert_eq!(parsing_errors, 0);
    assert_eq!(failed, 0, "checkov failed checks:\n{}", failures.join("\n"));
    assert!(
        passed > 100,
        "checkov passed only {passed} checks: did it read the templates?"
    );
    tools::announce(&format!(
        "checkov {}: {} templates, {passed} passed, 0 failed, {skipped} skipped (reasons in Metadata)",
        tools::pin("checkov").version,
        templates
    ));
}

/// The harness itself: an unencrypted, public bucket must fail checks, so a
/// checkov that reads nothing cannot pass the test above.
#[test]
fn external_checkov_harness_sees_failures() {
    let dir = Scratch::new("checkov-bad");
    std::fs::write(
        dir.path().join("bad.template.json"),
        r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {}}}}"#,
    )
    .unwrap();
    let (_, failed, _, _, failures) = checkov(dir.path());
    assert!(failed > 0, "no failures for a bare bucket");
    assert!(
        failures.iter().any(|f| f.contains("CKV_AWS_")),
        "{failures:?}"
    );
}

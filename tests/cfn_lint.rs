//! Every template mlcdk ships passes cfn-lint with no findings at all (errors,
//! warnings or informational): both stages of the example, both stages of the
//! options app (the construct options the example does not use), the local
//! example and the bootstrap stack.
//!
//! cfn-lint is the pinned version, provisioned on first use by
//! `mlcdk_testkit::tools` (a copy on PATH is used only at that version). When
//! it cannot be had, the tests fail with one line saying why: they never pass
//! without having run.

#[path = "../examples/local/stack.rs"]
mod local;
#[path = "../examples/options/stack.rs"]
mod options;
#[path = "../examples/deploy/stack.rs"]
mod stack;

use std::path::PathBuf;

use mlcdk_testkit::{Scratch, tools};

#[test]
fn external_cfn_lint_every_template_passes() {
    let lint = tools::require("cfn-lint");
    let dir = Scratch::new("cfn-lint");
    let mut files: Vec<PathBuf> = Vec::new();
    for assembly in [
        stack::app().synth(None),
        options::app().synth(None),
        local::app().synth(None),
    ] {
        let assembly = assembly.expect("the example synthesizes");
        for s in &assembly.stacks {
            let path = dir.join(format!("{}.template.json", s.info.stack_name));
            std::fs::write(&path, &s.text).unwrap();
            files.push(path);
        }
    }
    let boot = mlcdk::cli::bootstrap::bootstrap_stack(&mlcdk::prelude::Env::new(
        "111111111111",
        "us-east-1",
    ))
    .unwrap();
    let path = dir.join("mlcdk-bootstrap.template.json");
    std::fs::write(&path, &boot.text).unwrap();
    files.push(path);
    assert_eq!(files.len(), 6);
    let output = lint
        .command()
        .arg("--format")
        .arg("json")
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", lint.program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "cfn-lint printed no JSON ({e}); stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        findings,
        serde_json::json!([]),
        "cfn-lint findings:\n{}",
        serde_json::to_string_pretty(&findings).unwrap()
    );
    assert!(
        output.status.success(),
        "cfn-lint exit status {}",
        output.status
    );
    tools::announce(&format!(
        "cfn-lint {}: {} templates, no findings",
        lint.pin.version,
        files.len()
    ));
}

/// The harness itself: a template with a known problem must produce findings,
/// so a silent cfn-lint (wrong binary, wrong output format) cannot pass.
#[test]
fn external_cfn_lint_harness_sees_findings() {
    let lint = tools::require("cfn-lint");
    let dir = Scratch::new("cfn-lint-bad");
    let bad = dir.join("bad.template.json");
    std::fs::write(
        &bad,
        r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"NoSuchProperty": 1}}}}"#,
    )
    .unwrap();
    let output = lint
        .command()
        .args(["--format", "json"])
        .arg(&bad)
        .output()
        .unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["Rule"]["Id"].as_str())
        .collect();
    assert!(
        ids.contains(&"E3002"),
        "expected E3002 (unknown property), got {ids:?}"
    );
    assert!(!output.status.success());
}

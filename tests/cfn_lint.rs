//! Every template mlcdk ships passes cfn-lint with no findings at all (errors,
//! warnings or informational): both stages of the example, the local example
//! and the bootstrap stack.
//!
//! cfn-lint comes from the virtualenv `.ci/run` creates (`.venv/bin/cfn-lint`),
//! or from `MLCDK_CFN_LINT`, or from PATH. In CI (`CI=true`) a missing cfn-lint
//! fails the test; locally the test is skipped with a message.

mod common;
#[path = "../examples/local/stack.rs"]
mod local;
#[path = "../examples/deploy/stack.rs"]
mod stack;

use std::path::{Path, PathBuf};
use std::process::Command;

fn cfn_lint() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MLCDK_CFN_LINT") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/cfn-lint");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("cfn-lint")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("cfn-lint"))
}

#[test]
fn every_template_passes_cfn_lint() {
    let Some(lint) = common::require_tool("cfn-lint", cfn_lint()) else {
        return;
    };
    let dir = common::scratch_dir("cfn-lint");
    let mut files: Vec<PathBuf> = Vec::new();
    for assembly in [stack::app().synth(None), local::app().synth(None)] {
        let assembly = assembly.expect("the example synthesizes");
        for s in &assembly.stacks {
            let path = dir.join(format!("{}.template.json", s.info.stack_name));
            std::fs::write(&path, &s.text).unwrap();
            files.push(path);
        }
    }
    let boot = mlcdk::deploy::bootstrap::bootstrap_stack(&mlcdk::prelude::Env::new(
        "111111111111",
        "us-east-1",
    ))
    .unwrap();
    let path = dir.join("mlcdk-bootstrap.template.json");
    std::fs::write(&path, &boot.text).unwrap();
    files.push(path);
    assert_eq!(files.len(), 4);
    let output = Command::new(&lint)
        .arg("--format")
        .arg("json")
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", lint.display()));
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
}

/// The harness itself: a template with a known problem must produce findings,
/// so a silent cfn-lint (wrong binary, wrong output format) cannot pass.
#[test]
fn the_harness_sees_findings() {
    let Some(lint) = common::require_tool("cfn-lint", cfn_lint()) else {
        return;
    };
    let dir = common::scratch_dir("cfn-lint-bad");
    let bad = dir.join("bad.template.json");
    std::fs::write(
        &bad,
        r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"NoSuchProperty": 1}}}}"#,
    )
    .unwrap();
    let output = Command::new(&lint)
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

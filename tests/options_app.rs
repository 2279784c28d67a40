//! The options app (`examples/options`): the construct options the deploy
//! example does not use, through the rule pack. `check` must find no error in
//! either stage, and no run-time finding is suppressed: the construct defects
//! the run-time rules found (issue 14) are fixed in the constructs (issue 15).

#[path = "../examples/options/stack.rs"]
mod options;

use mlcdk::cli::{EXIT_OK, run};

#[test]
fn check_finds_no_error_in_the_options_app() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(&options::app(), ["options", "check"], &mut out, &mut err);
    let out = String::from_utf8(out).unwrap();
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, EXIT_OK, "{out}{err}");
    for stage in [
        "staging (options-staging)",
        "production (options-production)",
    ] {
        assert!(out.contains(&format!("{stage}: 0 errors")), "{out}");
    }
    let suppressed_runtime: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("suppressed") && l.contains(" RT-"))
        .collect();
    assert!(suppressed_runtime.is_empty(), "{suppressed_runtime:#?}");
}

#[test]
fn the_bulk_pipeline_definition_is_stored_in_s3() {
    let assembly = options::app()
        .synth(None)
        .expect("the options app synthesizes");
    for s in &assembly.stacks {
        let stored: Vec<_> = s
            .template
            .resources_of_type("AWS::SageMaker::Pipeline")
            .filter(|(_, r)| {
                r.prop(&["PipelineDefinition", "PipelineDefinitionS3Location"])
                    .is_some()
            })
            .collect();
        assert_eq!(stored.len(), 1, "{}", s.info.stack_name);
    }
}

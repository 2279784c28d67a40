//! Stages from one definition: stage files, their schema, the stage diff on
//! the command line, and production's refusal of Delete on stateful resources.

#[path = "../examples/deploy/stack.rs"]
mod stack;

use mlcdk::cli::{EXIT_OK, EXIT_USAGE, run};
use mlcdk::prelude::*;
use mlcdk::storage::{Bucket, BucketProps};
use mlcdk_testkit::Scratch;

fn run_cli<K>(app: &App<K>, args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["deploy"];
    argv.extend_from_slice(args);
    let code = run(app, argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn app_from(dir: &std::path::Path) -> App<stack::Knobs> {
    App::new("churn", stack::ml_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stages_dir(dir)
        .stage_file(
            "staging",
            StageKind::Staging,
            Env::new("111111111111", "us-east-1"),
        )
}

#[test]
fn a_stage_file_with_several_mistakes_reports_all_of_them() {
    let dir = Scratch::new("stage-file-mistakes");
    std::fs::write(
        dir.join("staging.toml"),
        r#"
noncurrent_artifact_days = -7
etl_workers = "two"
athena_cutoff_bytes = 1073741824
training_instance = "ml.m5.large"
tuning_max_jobs = 4
model_version = 1
endpoint_instance = "ml.m5.large"
endpoint_capacity = [1, 2, 3]
alert_emails = "ml-team@example.com"
monthly_budjet_usd = 300
"#,
    )
    .unwrap();
    let (code, _, err) = run_cli(
        &app_from(&dir),
        &["synth", "--out", dir.join("out").to_str().unwrap()],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    let file = dir.join("staging.toml").display().to_string();
    for e in [
        format!("{file}: noncurrent_artifact_days: -7 is below the minimum 0"),
        format!("{file}: etl_workers: expected integer, found string \"two\""),
        format!("{file}: endpoint_capacity: 3 items, at most 2 expected"),
        format!("{file}: alert_emails: expected array, found string \"ml-team@example.com\""),
        format!("{file}: monthly_budget_usd: missing"),
        format!("{file}: monthly_budjet_usd: unknown field"),
    ] {
        assert!(err.contains(&e), "missing {e:?} in\n{err}");
    }
    assert!(!dir.join("out").exists(), "nothing is written");
}

#[test]
fn json_stage_files_and_missing_ones() {
    let dir = Scratch::new("stage-file-json");
    let toml_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/deploy/stages/staging.toml"
    ))
    .unwrap();
    let value: toml::Value = toml::from_str(&toml_text).unwrap();
    std::fs::write(
        dir.join("staging.json"),
        serde_json::to_string(&value).unwrap(),
    )
    .unwrap();
    let (code, _, err) = run_cli(&app_from(&dir), &["list"]);
    assert_eq!(code, EXIT_OK, "{err}");

    let empty = Scratch::new("stage-file-none");
    let (code, _, err) = run_cli(&app_from(&empty), &["list"]);
    assert_eq!(code, EXIT_USAGE);
    assert!(err.contains("no stage file for 'staging'"), "{err}");
}

#[test]
fn schema_is_printed_for_editors() {
    let (code, out, _) = run_cli(&stack::app(), &["schema"]);
    assert_eq!(code, EXIT_OK);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["title"], "Knobs");
    assert_eq!(schema["properties"]["etl_workers"]["type"], "integer");
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn stage_diff_on_the_command_line() {
    let (code, out, err) = run_cli(&stack::app(), &["diff", "--stages", "staging,production"]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(out.starts_with("staging → production: "), "{out}");
    assert!(
        out.contains(".Properties.NumberOfWorkers: 2 → 10\n"),
        "{out}"
    );
    assert!(
        out.contains(".Properties.Budget.BudgetLimit.Amount: 900 → 2000\n"),
        "{out}"
    );
    // The monthly delta between the stages, each priced with its own table
    // and assumptions.
    assert!(
        out.contains("\nmonthly cost, staging → production:\n"),
        "{out}"
    );
    assert!(
        out.contains("capacity 1..2 instances → 2..6 instances; price $0.115/h → $0.23/h\n"),
        "{out}"
    );
    assert!(
        out.ends_with("  total: $170.90 .. $736.77 (+ 1 unknown) → $422.75 .. $1,752.06 (+ 1 unknown) per month (floor +$251.85, ceiling +$1,015.28)\n"),
        "{out}"
    );
    let (code, _, err) = run_cli(&stack::app(), &["diff", "--stages", "staging"]);
    assert_eq!(code, EXIT_USAGE);
    assert!(err.contains("--stages takes two stage names"), "{err}");
}

#[test]
fn production_refuses_delete_on_a_bucket() {
    let app = App::new("churn", |stack: &mut Stack, _: &()| {
        Bucket::new(
            stack,
            "Data",
            BucketProps {
                removal_policy: Some(DeletionPolicy::Delete),
                ..Default::default()
            },
        );
    })
    .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()))
    .stage(Stage::production(Env::new("222222222222", "us-east-1"), ()));
    let errors = app.synth(None).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(
        errors.mentions("[churn-production/Data] removal policy Delete is not allowed in production stage 'production'"),
        "{errors}"
    );
    assert!(app.synth(Some("staging")).is_ok(), "staging may delete");
}

/// A new stage's first deploy: no registered version exists yet, so the
/// stage file leaves `model_version` out; the stage has data and training,
/// no model or endpoint (CreateModel would fail on a version that does not
/// exist and roll the stack back), and the plan says how serving starts.
#[test]
fn a_first_deploy_without_a_model_version_has_no_serving_and_the_plan_says_so() {
    let dir = Scratch::new("first-deploy");
    std::fs::write(
        dir.join("staging.toml"),
        r#"
noncurrent_artifact_days = 7
etl_workers = 2
athena_cutoff_bytes = 1073741824
training_instance = "ml.m5.large"
tuning_max_jobs = 4
endpoint_instance = "ml.m5.large"
endpoint_capacity = [1, 2]
monthly_budget_usd = 300
alert_emails = ["ml-team@example.com"]
"#,
    )
    .unwrap();
    let app = app_from(&dir);
    let assembly = app.synth(Some("staging")).expect("the stage synthesizes");
    let template = &assembly.stacks[0].template;
    let count = |ty: &str| template.resources_of_type(ty).count();
    assert_eq!(
        count("AWS::SageMaker::Model"),
        1,
        "only the multi-model endpoint's model"
    );
    assert_eq!(count("AWS::SageMaker::Pipeline"), 1);
    assert!(
        template
            .resources_of_type("AWS::SageMaker::Model")
            .all(|(_, m)| m.prop(&["PrimaryContainer", "ModelPackageName"]).is_none()),
        "no model names a registry version"
    );
    assert_eq!(count("AWS::SageMaker::MonitoringSchedule"), 0);

    let (code, out, err) = run_cli(&app, &["--out", dir.join("out").to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{out}\n{err}");
    assert!(
        out.contains("note: staging: serving is off: no model_version is set"),
        "{out}"
    );
}

/// The example passes the rule pack in both stages with no run-time finding
/// suppressed: every defect the run-time rules found is fixed in the
/// constructs.
#[test]
fn the_example_has_no_error_and_no_suppressed_runtime_finding() {
    let (code, out, err) = run_cli(&stack::app(), &["check"]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    for stage in ["staging (churn-staging)", "production (churn-production)"] {
        assert!(out.contains(&format!("{stage}: 0 errors")), "{out}");
    }
    assert!(
        !out.lines()
            .any(|l| l.starts_with("suppressed") && l.contains(" RT-")),
        "{out}"
    );
}

/// Model Monitor is closed to new customers: no stage of the example has a
/// Model Monitor resource; its endpoint is monitored by mlcdk's drift job, a
/// scheduled pipeline whose step names the endpoint.
#[test]
fn the_example_deploys_no_model_monitor_resource() {
    let assembly = stack::app().synth(None).unwrap();
    for s in &assembly.stacks {
        for ty in [
            "AWS::SageMaker::MonitoringSchedule",
            "AWS::SageMaker::DataQualityJobDefinition",
            "AWS::SageMaker::ModelQualityJobDefinition",
            "AWS::SageMaker::ModelBiasJobDefinition",
            "AWS::SageMaker::ModelExplainabilityJobDefinition",
        ] {
            assert_eq!(
                s.template.resources_of_type(ty).count(),
                0,
                "{}: {ty}",
                s.info.stack_name
            );
        }
        let monitor_pipeline = s
            .template
            .resources_of_type("AWS::SageMaker::Pipeline")
            .find(|(id, _)| id.starts_with("Drift"))
            .expect("the drift monitor's pipeline");
        let steps = mlcdk::core::template::pipeline_steps(monitor_pipeline.1);
        let entry = steps[0]["Arguments"]["AppSpecification"]["ContainerEntrypoint"].to_string();
        assert!(
            entry.contains(&format!("\"--endpoint\",\"{}-serve\"", s.info.stack_name)),
            "{entry}"
        );
    }
}

/// The example's staging file with `knob` replaced by `value`, or with
/// `extra` appended (its `[assumptions]` table is last).
fn staging_with(dir: &std::path::Path, replace: &[(&str, &str)], extra: &str) {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/deploy/stages/staging.toml"
    ))
    .unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    text.push_str(extra);
    std::fs::write(dir.join("staging.toml"), text).unwrap();
}

/// The example's budgets fit its estimate; a knob that pushes the floor over
/// the budget fails the plan.
#[test]
fn the_plan_fails_when_a_knob_pushes_the_floor_over_the_budget() {
    let dir = Scratch::new("stage-budget");
    let out = dir.join("out");
    staging_with(&dir, &[], "");
    let (code, stdout, err) = run_cli(&app_from(&dir), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{stdout}{err}");
    assert!(
        stdout.contains("cost    staging       $170.90 .. $736.77 per month"),
        "{stdout}"
    );
    // 12 ml.m5.large around the clock: 12 × 730 h × $0.115 = $1,007.40 for
    // Serve alone, over the $900 budget.
    staging_with(
        &dir,
        &[("endpoint_capacity = [1, 2]", "endpoint_capacity = [12, 12]")],
        "",
    );
    let (code, stdout, err) = run_cli(&app_from(&dir), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(
        stdout.contains("error: the floor of $1,094.35 exceeds the budget of $900.00"),
        "{stdout}"
    );
    assert!(err.contains("a budget exceeded in staging"), "{err}");
}

/// `[assumptions]` in a stage file: checked by the schema with the knobs
/// (every mistake at once), and used by the estimate, stated values without
/// the `(default)` mark.
#[test]
fn stage_files_state_usage_assumptions_checked_by_the_schema() {
    let dir = Scratch::new("stage-assumptions");
    staging_with(
        &dir,
        &[
            ("requests_per_month = 100_000", "requests_per_month = -5"),
            (
                "stored_gb_per_bucket = 20",
                "stored_gb_per_bucket = \"lots\"",
            ),
        ],
        "request_bytes = 3\n",
    );
    let (code, _, err) = run_cli(&app_from(&dir), &["cost"]);
    assert_eq!(code, EXIT_USAGE, "{err}");
    let file = dir.join("staging.toml").display().to_string();
    for e in [
        format!("{file}: assumptions.requests_per_month: -5 is below the minimum 0"),
        format!(
            "{file}: assumptions.stored_gb_per_bucket: expected number or null, found string \"lots\""
        ),
        format!(
            "{file}: assumptions.request_bytes: unknown field (known: athena_gb_scanned_per_month, bedrock_input_tokens_per_request, bedrock_output_tokens_per_request, bedrock_requests_per_month, captured_gb_per_month,"
        ),
    ] {
        assert!(err.contains(&e), "{e}\n{err}");
    }

    staging_with(
        &dir,
        &[(
            "requests_per_month = 100_000",
            "requests_per_month = 2_000_000",
        )],
        "transform_hours_per_run = 2.5\n",
    );
    let (code, out, err) = run_cli(&app_from(&dir), &["cost"]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(
        out.contains("up to 2,000,000 requests × (0.2 (default) s"),
        "{out}"
    );
    assert!(out.contains("× 2.5 h assumed ×"), "{out}");
    assert!(out.contains("20 GB stored × $0.023/GB-month"), "{out}");
    // The schema subcommand shows the table to editors.
    let (code, schema, _) = run_cli(&app_from(&dir), &["schema"]);
    assert_eq!(code, EXIT_OK);
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(
        schema["properties"]["assumptions"]["$ref"],
        "#/$defs/StageAssumptions"
    );
    assert!(schema["$defs"]["StageAssumptions"]["properties"]["requests_per_month"].is_object());
}

/// `cost --against DIR`: the estimate of the templates of a previous
/// `synth --out DIR` against the current ones, per resource and in total,
/// with what changed.
#[test]
fn cost_against_a_previous_synth_says_what_changed() {
    let dir = Scratch::new("cost-against");
    let before = dir.join("before");
    staging_with(&dir, &[], "");
    let (code, out, err) = run_cli(
        &app_from(&dir),
        &["synth", "--out", before.to_str().unwrap()],
    );
    assert_eq!(code, EXIT_OK, "{out}{err}");
    let against = ["cost", "--against", before.to_str().unwrap()];
    let (code, out, err) = run_cli(&app_from(&dir), &against);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("  no line changed (32 lines)\n"), "{out}");
    assert!(out.contains("(floor $0.00, ceiling $0.00)"), "{out}");

    staging_with(
        &dir,
        &[
            (
                "endpoint_instance = \"ml.m5.large\"",
                "endpoint_instance = \"ml.m5.xlarge\"",
            ),
            ("endpoint_capacity = [1, 2]", "endpoint_capacity = [2, 3]"),
            ("tuning_max_jobs = 4", "tuning_max_jobs = 6"),
        ],
        "",
    );
    let (code, out, err) = run_cli(&app_from(&dir), &against);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    // Serve: 1..2 × $0.115 → 2..3 × $0.23 around the clock.
    let serve = out
        .lines()
        .find(|l| l.contains("Serve/Resource") && l.contains("variant"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(serve.starts_with("  ~ "), "{serve}");
    assert!(
        serve.contains(&format!("+${:.2}", 2.0 * 730.0 * 0.23 - 730.0 * 0.115)),
        "{serve}"
    );
    assert!(serve.contains("+$335.80"), "{serve}");
    assert!(
        serve.ends_with(
            "instance type ml.m5.large → ml.m5.xlarge; capacity 1..2 instances → 2..3 instances; price $0.115/h → $0.23/h"
        ),
        "{serve}"
    );
    let tune = out.lines().find(|l| l.contains("step Tune")).unwrap();
    assert!(tune.ends_with("max jobs 4 jobs → 6 jobs"), "{tune}");
    assert!(out.contains("  (30 lines unchanged)\n"), "{out}");
    assert!(
        out.contains("total: $170.90 .. $736.77 (+ 1 unknown) → $422.75 .. $1,074.49 (+ 1 unknown) per month (floor +$251.85, ceiling +$337.72)"),
        "{out}"
    );
    // A stage that was not in DIR: every line is new.
    std::fs::remove_file(before.join("churn-staging.template.json")).unwrap();
    std::fs::remove_file(before.join("manifest.json")).unwrap();
    let (code, out, err) = run_cli(&app_from(&dir), &against);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("(not there: every line is new)"), "{out}");
    assert!(out.contains("new endpoint"), "{out}");
    // A file there that is not a template: a usage error naming it.
    std::fs::write(before.join("churn-staging.template.json"), "{").unwrap();
    std::fs::write(before.join("manifest.json"), "[]").unwrap();
    let (code, _, err) = run_cli(&app_from(&dir), &against);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains("manifest.json] is not an mlcdk manifest"),
        "{err}"
    );
    assert!(
        err.contains("churn-staging.template.json] is not a CloudFormation template in JSON"),
        "{err}"
    );
}

//! The command line: exit codes, what is written, and that nothing is written
//! while a validation error stands.

#[path = "../examples/deploy/stack.rs"]
mod stack;

use mlcdk::cli::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, run};
use mlcdk::prelude::*;
use mlcdk_testkit::Scratch;

fn run_cli<K>(app: &App<K>, args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["deploy"];
    argv.extend_from_slice(args);
    let code = run(app, argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn plan_writes_every_stage_and_prints_a_summary() {
    let dir = Scratch::new("cli-plan");
    let (code, out, err) = run_cli(&stack::app(), &["--out", dir.to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(out.contains("churn: 2 stages synthesized to"), "{out}");
    assert!(out.contains("churn-staging"));
    assert!(out.contains("222222222222/us-east-1"));
    for f in [
        "churn-staging.template.json",
        "churn-production.template.json",
        "manifest.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["app"], "churn");
    assert_eq!(manifest["stages"][1]["stack_name"], "churn-production");
    assert_eq!(manifest["stages"][1]["termination_protection"], true);
    assert_eq!(manifest["stages"][0]["termination_protection"], false);
    // The example's templates are past the inline limit: the deployer uploads them.
    let bytes = manifest["stages"][0]["template_bytes"].as_u64().unwrap();
    assert!(bytes > 51_200, "{bytes}");
    assert_eq!(manifest["stages"][0]["needs_s3_upload"], true);
    assert!(out.contains("(via S3)"), "{out}");
}

#[test]
fn synth_one_stage_into_a_directory() {
    let dir = Scratch::new("cli-synth");
    let (code, out, err) = run_cli(
        &stack::app(),
        &[
            "synth",
            "--out",
            dir.to_str().unwrap(),
            "--stage",
            "production",
        ],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(out.contains("churn-production.template.json"), "{out}");
    assert!(dir.join("churn-production.template.json").is_file());
    assert!(!dir.join("churn-staging.template.json").exists());
    let text = std::fs::read_to_string(dir.join("churn-production.template.json")).unwrap();
    let expected = stack::app().synth(Some("production")).unwrap().stacks[0]
        .text
        .clone();
    assert_eq!(text, expected, "the file is the canonical template text");
}

#[test]
fn list_prints_stages_without_writing() {
    let (code, out, _) = run_cli(&stack::app(), &["list"]);
    assert_eq!(code, EXIT_OK);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].contains("STAGE") && lines[0].contains("RESOURCES"));
    assert!(lines[1].contains("staging") && lines[1].contains("111111111111/us-east-1"));
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run_cli(&stack::app(), &["synth", "--stage", "nope"]);
    assert_eq!(code, EXIT_USAGE);
    assert!(
        err.contains("no stage named 'nope'; stages are: staging, production"),
        "{err}"
    );
    let (code, _, err) = run_cli(&stack::app(), &["frobnicate"]);
    assert_eq!(code, EXIT_USAGE);
    assert!(err.contains("frobnicate"), "{err}");
    let (code, _, err) = run_cli(&stack::app(), &["cost", "--prices", "Cargo.toml"]);
    assert_eq!(code, EXIT_USAGE);
    assert!(err.contains("[Cargo.toml] price table:"), "{err}");
    let (code, _, err) = run_cli(&stack::app(), &["deploy"]);
    assert_eq!(code, EXIT_USAGE, "deploy needs --stage");
    assert!(err.contains("--stage"), "{err}");
    let (code, _, err) = run_cli(&stack::app(), &["drift"]);
    assert_eq!(code, EXIT_USAGE, "drift needs --stage");
    assert!(err.contains("--stage"), "{err}");
    let (code, _, err) = run_cli(&stack::app(), &["drift", "--stage", "staging", "--yes"]);
    assert_eq!(code, EXIT_USAGE, "drift changes nothing: it takes no --yes");
    assert!(err.contains("--yes"), "{err}");
    // A stage that does not exist stops before any AWS call (there is no
    // endpoint here; a call would fail with exit 1, not 2).
    let (code, _, err) = run_cli(&stack::app(), &["drift", "--stage", "nope"]);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(err.contains("no stage named 'nope'"), "{err}");
    let (code, _, err) = run_cli(
        &stack::app(),
        &[
            "deploy",
            "--stage",
            "nope",
            "--check-drift",
            "--allow-drift",
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(err.contains("no stage named 'nope'"), "{err}");
    let (code, out, _) = run_cli(&stack::app(), &["--help"]);
    assert_eq!(code, EXIT_OK);
    assert!(out.contains("synth"));
}

#[derive(Clone)]
struct Bad;

fn bad_definition(stack: &mut Stack, _: &Bad) {
    let topic = || CfnResource::new("AWS::SNS::Topic");
    stack.add_resource("Alerts", topic());
    stack.add_resource("Alerts", topic());
    let r = stack.add_resource("Renamed", topic());
    stack.override_logical_id(&r, &"X".repeat(300));
    for i in 0..500 {
        stack.add_resource(&format!("T{i}"), topic());
    }
}

#[test]
fn bad_input_reports_every_error_writes_nothing_and_exits_2() {
    let app = App::new("bad app", bad_definition)
        .stage(Stage::staging(Env::new("111111111111", "us-east-1"), Bad));
    let dir = Scratch::new("cli-bad");
    let out_dir = dir.join("out");
    let (code, _, err) = run_cli(&app, &["synth", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, EXIT_USAGE);
    for expected in [
        "[bad app-staging] stack name 'bad app-staging' (15 characters) is invalid",
        "[bad app-staging] duplicate construct id 'Alerts'",
        "[bad app-staging/Renamed] logical ID 'XXXX",
        "(300 characters) is invalid: logical IDs match ^[A-Za-z0-9]{1,255}$",
        // 503 resources were defined; the two colliding ones occupy one slot.
        "template has 502 resources; CloudFormation accepts at most 500",
        "nothing was written.",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(
        !out_dir.exists(),
        "nothing may be written while errors stand"
    );
    // The default plan too.
    let (code, _, _) = run_cli(&app, &["--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, EXIT_USAGE);
    assert!(!out_dir.exists());
}

#[test]
fn deploy_with_validation_errors_stops_before_any_aws_call() {
    let app = App::new("bad app", bad_definition)
        .stage(Stage::staging(Env::new("111111111111", "us-east-1"), Bad));
    for cmd in ["deploy", "diff", "destroy", "bootstrap", "drift"] {
        let (code, _, err) = run_cli(
            &app,
            &[cmd, "--stage", "staging", "--yes"][..if matches!(cmd, "diff" | "drift") {
                3
            } else {
                4
            }],
        );
        assert_eq!(code, EXIT_USAGE, "{cmd}: {err}");
        assert!(err.contains("nothing was deployed."), "{cmd}: {err}");
        assert!(
            err.contains("duplicate construct id 'Alerts'"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn check_prints_findings_and_fails_on_errors() {
    // The example: no error findings; the suppression shows with its reason.
    let (code, out, err) = run_cli(&stack::app(), &["check"]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("staging (churn-staging): 0 errors"), "{out}");
    assert!(
        out.contains("suppressed  SM-006    Segments/Resource"),
        "{out}"
    );
    assert!(
        out.contains("(suppressed: segment models score nightly"),
        "{out}"
    );

    // An unencrypted topic is an error finding: check, the plan and deploy exit 1;
    // deploy refuses before any AWS call (none could succeed here: no endpoint).
    #[cfg(feature = "deploy")]
    {
        let bad = App::new("bad", |stack: &mut Stack, _: &()| {
            stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
        })
        .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()));
        let (code, out, err) = run_cli(&bad, &["deploy", "--stage", "staging", "--yes"]);
        assert_eq!(code, EXIT_FAILED, "{out}{err}");
        assert!(err.contains("checks  staging       1 error"), "{err}");
        assert!(
            err.contains(
                "error: refusing to deploy staging: error findings or a budget floor over its limit"
            ),
            "{err}"
        );
        assert!(!err.contains("sts:"), "no AWS call: {err}");
    }
    // An unencrypted topic is an error finding: check and the plan exit 1.
    let bad = App::new("bad", |stack: &mut Stack, _: &()| {
        stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
    })
    .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()));
    let (code, out, err) = run_cli(&bad, &["check", "--stage", "staging"]);
    assert_eq!(code, EXIT_FAILED, "{out}{err}");
    assert!(out.contains("error       SNS-001   Topic"), "{out}");
    assert!(err.contains("error findings in staging"), "{err}");
    let dir = Scratch::new("cli-plan-findings");
    let (code, out, err) = run_cli(&bad, &["--out", dir.to_str().unwrap()]);
    assert_eq!(code, EXIT_FAILED, "{out}{err}");
    assert!(
        out.contains("checks  staging       1 error, 1 warning, 0 suppressed"),
        "{out}"
    );
}

#[test]
fn cost_prices_each_stage_and_guards_the_budget() {
    // The shipped table prices every SageMaker line; only what has no
    // source (the feature group) is unknown.
    let (code, out, err) = run_cli(&stack::app(), &["cost", "--stage", "production"]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(
        out.contains("variant Primary: ml.m5.xlarge               $335.80    $1,007.40  2..6 instances × 730 h × $0.23/h"),
        "{out}"
    );
    let unknown: Vec<&str> = out.lines().filter(|l| l.contains(" unknown ")).collect();
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(unknown[0].contains("feature group"), "{unknown:#?}");
    assert!(out.contains("budget: $2,000.00 per month"), "{out}");

    // With the user's own table: production's Serve runs 2..6 ml.m5.xlarge,
    // so at $1/h its floor alone (2 × 730 h) is $1,460; at $3/h it is $4,380,
    // above the $2,000 budget.
    let dir = Scratch::new("cli-cost");
    let table = |price: f64| {
        let path = dir.join(format!("prices-{price}.toml"));
        std::fs::write(
            &path,
            format!(
                "region = \"us-east-1\"\ndate = \"2026-11-29\"\nsource = \"test\"\n[sagemaker.hosting]\n\"ml.m5.xlarge\" = {price:.1}\n"
            ),
        )
        .unwrap();
        path
    };
    let low = table(1.0);
    let (code, out, err) = run_cli(
        &stack::app(),
        &[
            "cost",
            "--stage",
            "production",
            "--prices",
            low.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("$1,460.00"), "{out}");
    assert!(out.contains("$4,380.00"), "{out}");
    let high = table(3.0);
    let (code, out, err) = run_cli(
        &stack::app(),
        &[
            "cost",
            "--stage",
            "production",
            "--prices",
            high.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_FAILED, "{out}{err}");
    assert!(out.contains("error: the floor of $"), "{out}");
    assert!(err.contains("exceeds the budget in production"), "{err}");
}

/// A price file is an input, like a stage file: one that cannot be used —
/// missing, a directory, not UTF-8, not a price table — is a usage error
/// that names the file.
#[test]
fn price_files_that_cannot_be_used_exit_2_and_name_the_file() {
    let dir = Scratch::new("cli-prices");
    let binary = dir.join("binary.toml");
    std::fs::write(&binary, b"region = \"us-east-1\"\n\xff\xfe\x00\x01").unwrap();
    let garbage = dir.join("garbage.toml");
    std::fs::write(&garbage, "region = [").unwrap();
    for (path, expected) in [
        (dir.join("missing.toml"), "price table cannot be read: "),
        (dir.to_path_buf(), "price table cannot be read: "),
        (binary, "price table cannot be read: "),
        (garbage, "price table: "),
    ] {
        let (code, _, err) = run_cli(&stack::app(), &["cost", "--prices", path.to_str().unwrap()]);
        assert_eq!(code, EXIT_USAGE, "{}: {err}", path.display());
        assert!(
            err.contains(&format!("[{}] {expected}", path.display())),
            "{}: {err}",
            path.display()
        );
    }
}

/// Output that cannot be written is an I/O error (exit 1) naming the path,
/// for synth and the plan alike.
#[test]
fn output_that_cannot_be_written_exits_1_and_names_the_path() {
    let dir = Scratch::new("cli-out-file");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    for args in [vec!["synth", "--out"], vec!["--out"]] {
        let mut args = args;
        args.push(file.to_str().unwrap());
        let (code, _, err) = run_cli(&stack::app(), &args);
        assert_eq!(code, EXIT_FAILED, "{args:?}: {err}");
        assert!(
            err.contains(&format!("cannot write {}: ", file.display())),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
}

/// The stage files of `dir` as an app: staging and production.
fn app_from(dir: &std::path::Path) -> App<stack::Knobs> {
    App::new("churn", stack::ml_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stages_dir(dir)
        .stage_file(
            "staging",
            StageKind::Staging,
            Env::new("111111111111", "us-east-1"),
        )
        .stage_file(
            "production",
            StageKind::Production,
            Env::new("222222222222", "us-east-1"),
        )
}

/// An unreadable stage file is a usage error for every offline command, and
/// for every stage: the stage files are one definition, valid together or
/// not at all (README, "The command line").
#[test]
fn an_unreadable_stage_file_blocks_every_offline_command_and_stage() {
    let dir = Scratch::new("cli-stage-file-binary");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/deploy/stages/production.toml"
        ),
        dir.join("production.toml"),
    )
    .unwrap();
    let staging = dir.join("staging.toml");
    std::fs::write(&staging, b"etl_workers = 2\n\xff\xfe").unwrap();
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let app = app_from(&dir);
    for args in [
        vec!["--out", out],
        vec!["synth", "--out", out],
        vec!["synth", "--out", out, "--stage", "production"],
        vec!["list"],
        vec!["check", "--stage", "production"],
        vec!["cost", "--stage", "production"],
        vec!["diff", "--stages", "production,production"],
    ] {
        let (code, _, err) = run_cli(&app, &args);
        assert_eq!(code, EXIT_USAGE, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{}: cannot be read", staging.display())),
            "{args:?}: {err}"
        );
    }
    assert!(!dir.join("out").exists(), "nothing was written");
}

/// An asset file is an input too.
#[test]
fn a_missing_asset_file_exits_2_and_names_it() {
    let app = App::new("churn", |stack: &mut Stack, _: &()| {
        stack.asset(Asset::file("etl/no-such-job.py"));
        stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
    })
    .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()));
    let dir = Scratch::new("cli-missing-asset");
    let out = dir.join("out");
    for args in [vec!["synth", "--out", out.to_str().unwrap()], vec!["list"]] {
        let (code, _, err) = run_cli(&app, &args);
        assert_eq!(code, EXIT_USAGE, "{args:?}: {err}");
        assert!(
            err.contains("asset file 'etl/no-such-job.py' cannot be read"),
            "{args:?}: {err}"
        );
    }
    assert!(!out.exists(), "nothing was written");
}

/// Each stage is priced with its own region's table: a table for another
/// region is not used for it, and a region without a table is unknown, said
/// once per stage with the commands that make and pass one.
#[test]
fn each_stage_is_priced_with_its_regions_table() {
    let dir = Scratch::new("cli-prices-region");
    let prices = dir.join("eu.toml");
    let builtin = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/cost/prices/us-east-1.toml"
    ))
    .unwrap();
    std::fs::write(
        &prices,
        builtin
            .replace("region = \"us-east-1\"", "region = \"eu-west-1\"")
            .replace("\"ml.m5.large\" = 0.115 ", "\"ml.m5.large\" = 0.128 "),
    )
    .unwrap();
    let eu = App::new("churn", stack::ml_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stages_dir("examples/deploy/stages")
        .stage_file(
            "staging",
            StageKind::Staging,
            Env::new("111111111111", "eu-west-1"),
        );
    // No table for eu-west-1: one hint for the stage, every line unknown.
    let (code, out, err) = run_cli(&eu, &["cost"]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert_eq!(
        out.matches("no price table for eu-west-1").count(),
        2,
        "{out}"
    );
    assert!(
        out.contains("  no price table for eu-west-1: every price is unknown; make one with `prices refresh --region eu-west-1 --offer FILE --out prices-eu-west-1.toml` and pass it with `cost --prices prices-eu-west-1.toml`"),
        "{out}"
    );
    assert!(!out.contains("$0.115/h"), "{out}");
    let (code, out, err) = run_cli(&eu, &[]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert_eq!(
        out.matches("no price table for eu-west-1").count(),
        1,
        "{out}"
    );
    // With its table: priced from it.
    let with = ["cost", "--prices", prices.to_str().unwrap()];
    let (code, out, err) = run_cli(&eu, &with);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("× $0.128/h"), "{out}");
    assert!(!out.contains("no price table"), "{out}");
    // The us-east-1 stages keep the shipped us-east-1 table.
    let (code, out, err) = run_cli(&stack::app(), &with);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(
        out.contains("× $0.115/h") && !out.contains("$0.128"),
        "{out}"
    );
    // Two tables for one region: which one would be meant?
    let (code, _, err) = run_cli(
        &eu,
        &[
            "cost",
            "--prices",
            prices.to_str().unwrap(),
            "--prices",
            prices.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains("a second price table for \"eu-west-1\": pass one table per region"),
        "{err}"
    );
}

/// `check --template FILE...`: the rule pack on templates mlcdk did not
/// write; unusable files are usage errors, all named; `--stage` and
/// `--template` do not mix.
#[test]
fn check_takes_any_template_file() {
    let dir = Scratch::new("cli-check-template");
    // Written by hand, as another tool would: an unencrypted, public bucket.
    let foreign = dir.join("foreign.json");
    std::fs::write(
        &foreign,
        r#"{"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Uploads": {"Type": "AWS::S3::Bucket",
              "Properties": {"BucketName": "team-uploads"}}}}"#,
    )
    .unwrap();
    let clean = dir.join("clean.json");
    std::fs::write(
        &clean,
        r#"{"Resources": {"Alerts": {"Type": "AWS::SNS::Topic",
              "Properties": {"KmsMasterKeyId": "alias/team"}}}}"#,
    )
    .unwrap();
    let (code, out, err) = run_cli(
        &stack::app(),
        &[
            "check",
            "--template",
            foreign.to_str().unwrap(),
            clean.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_FAILED, "{out}{err}");
    assert!(
        out.contains(&format!("{}: 3 errors", foreign.display())),
        "{out}"
    );
    assert!(out.contains("error       S3-001    Uploads"), "{out}");
    assert!(
        out.contains(&format!("{}: 0 errors, 1 warning", clean.display())),
        "{out}"
    );
    assert!(err.contains("error findings in"), "{err}");

    let (code, out, err) = run_cli(
        &stack::app(),
        &["check", "--template", clean.to_str().unwrap()],
    );
    assert_eq!(code, EXIT_OK, "{out}{err}");

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "Resources: [").unwrap();
    let missing = dir.join("missing.json");
    let (code, _, err) = run_cli(
        &stack::app(),
        &[
            "check",
            "--template",
            garbage.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains(&format!(
            "[{}] is not a CloudFormation template in JSON",
            garbage.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("[{}] cannot be read", missing.display())),
        "{err}"
    );

    let (code, _, err) = run_cli(
        &stack::app(),
        &[
            "check",
            "--stage",
            "staging",
            "--template",
            clean.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
}

/// `prices refresh`: a table from offer files (fixtures in the bulk offer
/// file's format; no network), which `cost --prices` then uses; without an
/// offer file, the URLs to download and exit 2; a bad file, exit 2 naming it.
#[test]
fn prices_refresh_builds_a_table_from_offer_files() {
    let dir = Scratch::new("cli-prices-refresh");
    let fixture = |name: &str| {
        format!(
            "{}/crates/cost/tests/fixtures/offer-{name}-us-east-1.json",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let table = dir.join("prices-us-east-1.toml");
    let (sagemaker, cloudwatch) = (fixture("AmazonSageMaker"), fixture("AmazonCloudWatch"));
    let args = [
        "prices",
        "refresh",
        "--region",
        "us-east-1",
        "--offer",
        &sagemaker,
        "--offer",
        &cloudwatch,
        "--out",
        table.to_str().unwrap(),
    ];
    let (code, out, err) = run_cli(&stack::app(), &args);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(
        out.starts_with(&format!(
            "wrote {}: 7 prices for us-east-1 (fixed.alarm_high_resolution_month 1, fixed.alarm_month 1, sagemaker.hosting 2,",
            table.display()
        )),
        "{out}"
    );
    let text = std::fs::read_to_string(&table).unwrap();
    assert!(text.contains("date = \"2026-09-25\""), "{text}");
    let (code, out, err) = run_cli(
        &stack::app(),
        &[
            "cost",
            "--stage",
            "staging",
            "--prices",
            table.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("1..2 instances × 730 h × $0.115/h"), "{out}");
    // Not in those offer files: unknown, not the shipped price.
    assert!(
        out.contains("KMS key                                     unknown      unknown"),
        "{out}"
    );

    let (code, out, err) = run_cli(
        &stack::app(),
        &["prices", "refresh", "--region", "eu-west-1"],
    );
    assert_eq!(code, EXIT_USAGE, "{out}{err}");
    assert!(
        out.contains("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonSageMaker/current/eu-west-1/index.json"),
        "{out}"
    );
    assert!(err.contains("no offer file given"), "{err}");

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[1, 2]").unwrap();
    let missing = dir.join("missing.json");
    let (code, _, err) = run_cli(
        &stack::app(),
        &[
            "prices",
            "refresh",
            "--offer",
            bad.to_str().unwrap(),
            "--out",
            dir.join("x.toml").to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains(&format!(
            "{}: not an AWS Price List offer file",
            bad.display()
        )),
        "{err}"
    );
    assert!(!dir.join("x.toml").exists());
    let (code, _, err) = run_cli(
        &stack::app(),
        &["prices", "refresh", "--offer", missing.to_str().unwrap()],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains(&format!(
            "[{}] offer file cannot be read",
            missing.display()
        )),
        "{err}"
    );
}

//! `jumpstart lock`: resolves a fixture spec (the real format; no network)
//! into the lock file next to the app, which synth then reads.

use std::path::{Path, PathBuf};

use mlcdk::cli::{EXIT_OK, EXIT_USAGE, run};
use mlcdk::inference::*;
use mlcdk::prelude::*;
use mlcdk_testkit::Scratch;

fn run_cli<K>(app: &App<K>, args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["app"];
    argv.extend_from_slice(args);
    let code = run(app, argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("constructs/inference/tests/fixtures/jumpstart")
        .join(name)
}

/// An app serving the mobilenet fixture from a real-time endpoint, with
/// staging in us-east-1 and production in us-west-2, based in `dir`.
fn app(dir: &Path) -> App<()> {
    App::new("vision", |stack: &mut Stack, _: &()| {
        let model = Model::new(
            stack,
            "Vision",
            ModelProps::jumpstart(JumpStartModel::new("pytorch-ic-mobilenet-v2", "3.0.25")),
        );
        RealtimeEndpoint::new(
            stack,
            "Classify",
            RealtimeEndpointProps::single(&model, InstanceType::m5_large()),
        );
    })
    .base_dir(dir)
    .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()))
    .stage(Stage::production(Env::new("222222222222", "us-west-2"), ()))
}

#[test]
fn lock_writes_the_file_synth_reads_for_every_stage_region() {
    let dir = Scratch::new("jumpstart-cli");
    let app = app(dir.path());
    // Before: synth is refused, and names the command.
    let (code, _, err) = run_cli(&app, &["synth", "--out", dir.join("out").to_str().unwrap()]);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains("[vision-staging/Vision] JumpStart model pytorch-ic-mobilenet-v2@3.0.25: the lock file")
            && err.contains("run `jumpstart lock pytorch-ic-mobilenet-v2@3.0.25 --region us-east-1 --spec specs_v3.0.25.json`"),
        "{err}"
    );

    let fixture = spec("pytorch-ic-mobilenet-v2.json");
    let (code, out, err) = run_cli(
        &app,
        &[
            "jumpstart",
            "lock",
            "pytorch-ic-mobilenet-v2@3.0.25",
            "--spec",
            fixture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    let file = dir.join(LOCK_FILE);
    assert!(
        out.contains("locked pytorch-ic-mobilenet-v2@3.0.25: 8 container(s) in us-east-1, us-west-2; default ml.m5.large; no EULA"),
        "{out}"
    );
    assert!(out.contains(&format!("wrote {}", file.display())), "{out}");
    let lock = JumpStartLock::parse(&std::fs::read_to_string(&file).unwrap(), "lock").unwrap();
    let m = lock.find("pytorch-ic-mobilenet-v2", "3.0.25").unwrap();
    assert_eq!(
        m.locked_regions().into_iter().collect::<Vec<_>>(),
        ["us-east-1", "us-west-2"]
    );

    // After: every stage synthesizes, each with its region's image.
    let out_dir = dir.join("out");
    let (code, _, err) = run_cli(&app, &["synth", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, EXIT_OK, "{err}");
    for (stage, region) in [("staging", "us-east-1"), ("production", "us-west-2")] {
        let t =
            std::fs::read_to_string(out_dir.join(format!("vision-{stage}.template.json"))).unwrap();
        assert!(
            t.contains(&format!(
                "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:1.10.0-cpu-py38"
            )),
            "{stage}"
        );
    }

    // Priced as any endpoint: instance-hours of the type it serves on.
    let (code, out, err) = run_cli(&app, &["cost", "--stage", "staging"]);
    assert_eq!(code, EXIT_OK, "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("Classify/Resource"))
        .unwrap_or_else(|| panic!("no endpoint line in:\n{out}"));
    assert!(
        line.contains("variant Primary: ml.m5.large") && line.contains("$83.95"),
        "{line}"
    );

    // Locking again gives the same bytes: the file is reproducible.
    let before = std::fs::read_to_string(&file).unwrap();
    let (code, _, err) = run_cli(
        &app,
        &[
            "jumpstart",
            "lock",
            "pytorch-ic-mobilenet-v2",
            "--region",
            "us-west-2",
            "--spec",
            fixture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn without_a_spec_it_prints_where_to_download_it_and_writes_nothing() {
    let dir = Scratch::new("jumpstart-cli");
    let app = app(dir.path());
    let (code, out, err) = run_cli(
        &app,
        &[
            "jumpstart",
            "lock",
            "pytorch-ic-mobilenet-v2@3.0.25",
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        out.contains(
            "https://jumpstart-cache-prod-eu-west-1.s3.eu-west-1.amazonaws.com/models_manifest.json"
        ),
        "{out}"
    );
    assert!(
        out.contains("https://jumpstart-cache-prod-eu-west-1.s3.eu-west-1.amazonaws.com/community_models/pytorch-ic-mobilenet-v2/specs_v3.0.25.json"),
        "{out}"
    );
    assert!(err.contains("no spec given"), "{err}");
    assert!(!dir.join(LOCK_FILE).exists());
}

#[test]
fn a_spec_of_another_model_version_or_region_is_refused_with_every_reason() {
    let dir = Scratch::new("jumpstart-cli");
    let app = app(dir.path());
    let fixture = spec("pytorch-ic-mobilenet-v2.json");
    let (code, _, err) = run_cli(
        &app,
        &[
            "jumpstart",
            "lock",
            "pytorch-ic-resnet18@1.0.0",
            "--spec",
            fixture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains("the spec is of model 'pytorch-ic-mobilenet-v2', not 'pytorch-ic-resnet18'"),
        "{err}"
    );
    assert!(
        err.contains("the spec is of version 3.0.25, not 1.0.0: download specs_v1.0.0.json"),
        "{err}"
    );

    let (code, _, err) = run_cli(
        &app,
        &[
            "jumpstart",
            "lock",
            "pytorch-ic-mobilenet-v2",
            "--region",
            "ap-south-2",
            "--spec",
            fixture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(
        err.contains("the model is not available in ap-south-2"),
        "{err}"
    );

    let (code, _, err) = run_cli(&app, &["jumpstart", "lock", "@1.0"]);
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(err.contains("'@1.0' is not MODEL_ID[@VERSION]"), "{err}");
    assert!(!dir.join(LOCK_FILE).exists());

    // A lock file that is not one is named, and left as it was.
    std::fs::write(dir.join(LOCK_FILE), "version = 7\n").unwrap();
    let (code, _, err) = run_cli(
        &app,
        &[
            "jumpstart",
            "lock",
            "pytorch-ic-mobilenet-v2",
            "--spec",
            fixture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, EXIT_USAGE, "{err}");
    assert!(err.contains("lock file format 7"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap(),
        "version = 7\n"
    );
}

//! JumpStart models: the resolver against fixture specs in the real format,
//! the lock file, the model source at synth and every validation. No test
//! touches the network.
//!
//! The fixtures (`tests/fixtures/jumpstart/`) are small specs written in the
//! format of JumpStart's `specs_v<version>.json` (field names and nesting as
//! in the SageMaker Python SDK's `JumpStartModelSpecs`): an open model with
//! uncompressed artifacts and CPU/GPU images (modelled on
//! pytorch-ic-mobilenet-v2), a gated LLM with inference configurations
//! (modelled on the Llama specs), and a `.tar.gz` model.

use std::path::{Path, PathBuf};

use mlcdk_checks::{Options, check};
use mlcdk_core::{Construct, Stack, Template};
use mlcdk_inference::*;
use mlcdk_sagemaker::InstanceType;
use mlcdk_testkit::Scratch;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jumpstart")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn regions(list: &[&str]) -> Vec<String> {
    list.iter().map(|r| r.to_string()).collect()
}

fn it(instance: &str) -> InstanceType {
    instance.parse().unwrap()
}

const MOBILENET: &str = "pytorch-ic-mobilenet-v2.json";
const LLAMA: &str = "meta-textgeneration-llama-3-2-1b.json";
const XGBOOST: &str = "xgboost-classification-model.json";

#[test]
fn resolves_images_artifacts_and_environment_per_instance_type() {
    let m = resolve(&fixture(MOBILENET), &regions(&["us-east-1"])).unwrap();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("pytorch-ic-mobilenet-v2", "3.0.25")
    );
    assert_eq!(m.default_instance_type, "ml.m5.large");
    assert_eq!(m.regions, regions(&["eu-west-1", "us-east-1", "us-west-2"]));
    assert!(m.network_isolation);
    assert_eq!((m.eula.as_deref(), m.gated_bucket), (None, false));
    assert_eq!(m.deployment.len(), 4, "one per supported instance type");
    let cpu = m.deployment("us-east-1", "ml.m5.large").unwrap();
    assert_eq!(
        cpu.image,
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:1.10.0-cpu-py38"
    );
    // The prepacked artifacts (hosting_use_script_uri false), uncompressed.
    assert_eq!(
        cpu.model_data,
        "s3://jumpstart-cache-prod-us-east-1/pytorch-ic/pytorch-ic-mobilenet-v2/artifacts/inference-prepack/v1.0.0/"
    );
    assert!(cpu.uncompressed);
    // Only the variables the model class sets; an int default as a string.
    assert_eq!(cpu.environment["SAGEMAKER_PROGRAM"], "inference.py");
    assert_eq!(cpu.environment["ENDPOINT_SERVER_TIMEOUT"], "3600");
    assert_eq!(cpu.environment["SAGEMAKER_MODEL_SERVER_WORKERS"], "1");
    assert!(!cpu.environment.contains_key("SAGEMAKER_SUBMIT_DIRECTORY"));
    // The GPU family's image, and the instance type's own variable.
    let gpu = m.deployment("us-east-1", "ml.g4dn.xlarge").unwrap();
    assert!(gpu.image.ends_with("pytorch-inference:1.10.0-gpu-py38"));
    assert_eq!(gpu.environment["SAGEMAKER_MODEL_SERVER_WORKERS"], "2");
}

#[test]
fn a_spec_with_inference_configs_uses_the_top_ranked_one_and_its_private_bucket() {
    let m = resolve(&fixture(LLAMA), &regions(&["us-west-2"])).unwrap();
    // `lmi` ranks first: its components override the top-level g6 fields.
    assert_eq!(m.default_instance_type, "ml.g5.2xlarge");
    assert_eq!(
        m.supported_instance_types,
        regions(&["ml.g5.2xlarge", "ml.g5.12xlarge"])
    );
    assert!(m.gated_bucket);
    assert_eq!(
        m.eula.as_deref(),
        Some(
            "https://jumpstart-cache-prod-us-west-2.s3.us-west-2.amazonaws.com/fmhMetadata/eula/llama3_2Eula.txt"
        )
    );
    let big = m.deployment("us-west-2", "ml.g5.12xlarge").unwrap();
    assert!(
        big.model_data
            .starts_with("s3://jumpstart-private-cache-prod-us-west-2/meta-textgeneration/")
    );
    assert_eq!(big.environment["OPTION_TENSOR_PARALLEL_DEGREE"], "4");
    assert_eq!(big.environment["OPTION_ENFORCE_EAGER"], "true");
    let small = m.deployment("us-west-2", "ml.g5.2xlarge").unwrap();
    assert!(
        !small
            .environment
            .contains_key("OPTION_TENSOR_PARALLEL_DEGREE")
    );
}

#[test]
fn a_tar_gz_model_is_not_uncompressed() {
    let m = resolve(&fixture(XGBOOST), &regions(&["us-east-1"])).unwrap();
    let d = m.deployment("us-east-1", "ml.m5.large").unwrap();
    assert!(!d.uncompressed);
    assert_eq!(
        d.model_data,
        "s3://jumpstart-cache-prod-us-east-1/xgboost-infer/infer-xgboost-classification-model.tar.gz"
    );
}

#[test]
fn the_resolver_reports_every_problem_of_a_spec() {
    let err = resolve(&fixture(MOBILENET), &regions(&["ap-south-2", "us-east-1"])).unwrap_err();
    assert_eq!(
        err,
        [
            "the model is not available in ap-south-2 (the spec has images for: eu-west-1, us-east-1, us-west-2)"
        ]
    );

    let mut spec: Value = serde_json::from_str(&fixture(XGBOOST)).unwrap();
    spec["hosting_instance_type_variants"] = Value::Null;
    spec["supported_inference_instance_types"] = json!(["m5.large"]);
    spec["hosting_artifact_s3_data_type"] = json!("S3Prefix");
    spec["hosting_artifact_compression_type"] = json!("Gzip");
    let err = resolve(&spec.to_string(), &regions(&["us-east-1"])).unwrap_err();
    let all = err.join("\n");
    for expected in [
        "supported_inference_instance_types: instance type 'm5.large' is invalid",
        "default_inference_instance_type ml.m5.large is not among supported_inference_instance_types",
        "the spec has no hosting_instance_type_variants (only hosting_ecr_specs",
        "hosting_artifact_s3_data_type Some(\"S3Prefix\") with hosting_artifact_compression_type Some(\"Gzip\") is not supported",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    assert!(resolve("[1]", &[]).unwrap_err()[0].contains("not a JSON object"));
    assert!(resolve("{", &[]).unwrap_err()[0].contains("not a JumpStart model spec (JSON)"));

    let mut spec: Value = serde_json::from_str(&fixture(XGBOOST)).unwrap();
    spec["hosting_use_script_uri"] = json!(true);
    let err = resolve(&spec.to_string(), &regions(&["us-east-1"])).unwrap_err();
    assert!(err[0].contains("hosting_use_script_uri"), "{err:?}");
}

#[test]
fn the_lock_file_round_trips_and_locking_a_region_keeps_the_others() {
    let east = resolve(&fixture(MOBILENET), &regions(&["us-east-1"])).unwrap();
    let west = resolve(&fixture(MOBILENET), &regions(&["us-west-2"])).unwrap();
    let mut lock = JumpStartLock::default();
    lock.upsert(resolve(&fixture(XGBOOST), &regions(&["us-east-1"])).unwrap());
    lock.upsert(east.clone());
    lock.upsert(west);
    let text = lock.render();
    let back = JumpStartLock::parse(&text, "jumpstart.lock").unwrap();
    assert_eq!(back, lock);
    // Sorted by id, then by region and instance type.
    assert_eq!(back.model[0].id, "pytorch-ic-mobilenet-v2");
    let m = back.find("pytorch-ic-mobilenet-v2", "3.0.25").unwrap();
    assert_eq!(
        m.locked_regions().into_iter().collect::<Vec<_>>(),
        ["us-east-1", "us-west-2"]
    );
    // Locking us-east-1 again replaces its containers, not us-west-2's.
    lock.upsert(east);
    assert_eq!(
        lock.find("pytorch-ic-mobilenet-v2", "3.0.25")
            .unwrap()
            .deployment
            .len(),
        8
    );
    // The same input renders the same bytes (a lock file diff is a change).
    assert_eq!(lock.render(), text);

    let err = JumpStartLock::parse("version = 2\n", "x.lock").unwrap_err();
    assert!(err.contains("lock file format 2 is not the one this mlcdk reads (1)"));
    let err = JumpStartLock::parse("version = 1\nmodels = []\n", "x.lock").unwrap_err();
    assert!(
        err.starts_with("x.lock: not a JumpStart lock file"),
        "{err}"
    );
}

/// A lock file in a scratch directory with the given fixtures resolved for
/// `region`; the model's `lock_file` is its absolute path.
fn locked(fixtures: &[&str], region: &str) -> (Scratch, PathBuf) {
    let dir = Scratch::new("jumpstart-lock");
    let mut lock = JumpStartLock::default();
    for f in fixtures {
        lock.upsert(resolve(&fixture(f), &regions(&[region])).unwrap());
    }
    let file = dir.path().join(LOCK_FILE);
    std::fs::write(&file, lock.render()).unwrap();
    (dir, file)
}

fn js(id: &str, version: &str, lock: &Path) -> JumpStartModel {
    JumpStartModel {
        lock_file: lock.to_path_buf(),
        ..JumpStartModel::new(id, version)
    }
}

fn model_props(t: &Template) -> Value {
    let (_, model) = t.resources_of_type("AWS::SageMaker::Model").next().unwrap();
    Value::Object(model.properties.clone().into_iter().collect())
}

fn statements(t: &Template) -> Vec<Value> {
    t.resources_of_type("AWS::IAM::Role")
        .flat_map(|(_, r)| r.properties.get("Policies").cloned())
        .flat_map(|p| p.as_array().cloned().unwrap_or_default())
        .flat_map(|p| {
            p.pointer("/PolicyDocument/Statement")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn an_uncompressed_model_is_a_model_data_source_its_role_reads_and_rt_rules_pass() {
    let (_dir, lock) = locked(&[MOBILENET], "us-east-1");
    let mut stack = Stack::for_test();
    let model = Model::new(
        &mut stack,
        "Vision",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)),
    );
    assert_eq!(model.jumpstart_instance(), Some(it("ml.m5.large")));
    RealtimeEndpoint::new(
        &mut stack,
        "Classify",
        RealtimeEndpointProps::single(&model, it("ml.m5.large")),
    );
    let t = stack.synth().unwrap().template;
    let props = model_props(&t);
    let c = &props["PrimaryContainer"];
    assert_eq!(
        c["Image"],
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:1.10.0-cpu-py38"
    );
    assert_eq!(
        c["ModelDataSource"],
        json!({"S3DataSource": {
            "S3Uri": "s3://jumpstart-cache-prod-us-east-1/pytorch-ic/pytorch-ic-mobilenet-v2/artifacts/inference-prepack/v1.0.0/",
            "S3DataType": "S3Prefix",
            "CompressionType": "None"
        }})
    );
    assert!(c.get("ModelDataUrl").is_none());
    assert_eq!(c["Environment"]["SAGEMAKER_PROGRAM"], "inference.py");
    assert_eq!(props["EnableNetworkIsolation"], true);
    let s = statements(&t);
    let has = |action: &str, resource: &str| {
        s.iter().any(|st| {
            st["Action"].to_string().contains(action)
                && st["Resource"].to_string().contains(resource)
        })
    };
    assert!(has(
        "s3:GetObject",
        "jumpstart-cache-prod-us-east-1/pytorch-ic/pytorch-ic-mobilenet-v2/artifacts/inference-prepack/v1.0.0/*"
    ));
    assert!(has("s3:ListBucket", ":s3:::jumpstart-cache-prod-us-east-1"));
    assert!(has("ecr:BatchGetImage", "repository/pytorch-inference"));
    let report = check(&t, &Options::default());
    for rule in ["RT-001", "RT-002", "RT-006"] {
        assert_eq!(report.of_rule(rule), [], "{rule}");
    }
}

#[test]
fn rt006_sees_a_model_data_source_the_role_cannot_read() {
    let (_dir, lock) = locked(&[MOBILENET], "us-east-1");
    let mut stack = Stack::for_test();
    let model = Model::new(
        &mut stack,
        "Vision",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)),
    );
    let _ = model;
    let mut t = stack.synth().unwrap().template;
    // The same model with its artifacts moved where the role has no grant.
    for (_, r) in t.resources.iter_mut() {
        if r.resource_type == "AWS::SageMaker::Model" {
            let uri = r
                .properties
                .get_mut("PrimaryContainer")
                .and_then(|c| c.pointer_mut("/ModelDataSource/S3DataSource/S3Uri"))
                .unwrap();
            *uri = json!("s3://other-bucket/models/");
        }
    }
    let findings = check(&t, &Options::default()).of_rule("RT-006");
    let text = format!("{findings:?}");
    assert!(
        text.contains("s3:ListBucket") && text.contains("s3:GetObject"),
        "{text}"
    );
}

#[test]
fn a_gated_model_needs_the_eula_choice_written_in_the_definition() {
    let (_dir, lock) = locked(&[LLAMA], "us-east-1");
    let mut stack = Stack::for_test();
    Model::new(
        &mut stack,
        "Chat",
        ModelProps::jumpstart(js("meta-textgeneration-llama-3-2-1b", "1.2.3", &lock)),
    );
    let errors = stack.synth().unwrap_err().to_string();
    assert!(
        errors.contains("[test-staging/Chat] JumpStart model meta-textgeneration-llama-3-2-1b@1.2.3 is gated by an end-user license agreement (https://jumpstart-cache-prod-us-east-1.s3.us-east-1.amazonaws.com/fmhMetadata/eula/llama3_2Eula.txt): read it, then write `eula: Eula::accepted(\"why it may be accepted\")` in its JumpStartModel"),
        "{errors}"
    );

    let mut stack = Stack::for_test();
    Model::new(
        &mut stack,
        "Chat",
        ModelProps::jumpstart(JumpStartModel {
            eula: Eula::accepted("ok"),
            ..js("meta-textgeneration-llama-3-2-1b", "1.2.3", &lock)
        }),
    );
    let errors = stack.synth().unwrap_err().to_string();
    assert!(
        errors.contains("the EULA acceptance reason 'ok' is too short"),
        "{errors}"
    );

    let mut stack = Stack::for_test();
    let model = Model::new(
        &mut stack,
        "Chat",
        ModelProps::jumpstart(JumpStartModel {
            eula: Eula::accepted("legal review LEGAL-42 accepted the Llama 3.2 license"),
            ..js("meta-textgeneration-llama-3-2-1b", "1.2.3", &lock)
        }),
    );
    RealtimeEndpoint::new(
        &mut stack,
        "ChatEndpoint",
        RealtimeEndpointProps::single(&model, it("ml.g5.2xlarge")),
    );
    let t = stack.synth().unwrap().template;
    let source = &model_props(&t)["PrimaryContainer"]["ModelDataSource"]["S3DataSource"];
    assert_eq!(source["ModelAccessConfig"], json!({"AcceptEula": true}));
    assert!(
        source["S3Uri"]
            .as_str()
            .unwrap()
            .starts_with("s3://jumpstart-private-cache-prod-us-east-1/")
    );
    let report = check(&t, &Options::default());
    for rule in ["RT-006", "RT-013"] {
        assert_eq!(report.of_rule(rule), [], "{rule}");
    }
}

#[test]
fn a_tar_gz_model_is_a_model_data_url_and_props_environment_wins() {
    let (_dir, lock) = locked(&[XGBOOST], "us-east-1");
    let mut stack = Stack::for_test();
    Model::new(
        &mut stack,
        "Scorer",
        ModelProps {
            environment: [("SAGEMAKER_PROGRAM".to_string(), "serve.py".to_string())].into(),
            ..ModelProps::jumpstart(js("xgboost-classification-model", "2.1.0", &lock))
        },
    );
    let t = stack.synth().unwrap().template;
    let c = &model_props(&t)["PrimaryContainer"];
    assert_eq!(
        c["ModelDataUrl"],
        "s3://jumpstart-cache-prod-us-east-1/xgboost-infer/infer-xgboost-classification-model.tar.gz"
    );
    assert!(c.get("ModelDataSource").is_none());
    assert_eq!(c["Environment"]["SAGEMAKER_PROGRAM"], "serve.py");
    assert_eq!(check(&t, &Options::default()).of_rule("RT-006"), []);
}

#[test]
fn endpoints_refuse_instance_types_the_model_does_not_support_or_was_not_resolved_for() {
    let (_dir, lock) = locked(&[MOBILENET], "us-east-1");
    let mut stack = Stack::for_test();
    let model = Model::new(
        &mut stack,
        "Vision",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)),
    );
    RealtimeEndpoint::new(
        &mut stack,
        "Unsupported",
        RealtimeEndpointProps::single(&model, it("ml.r5.large")),
    );
    RealtimeEndpoint::new(
        &mut stack,
        "Other",
        RealtimeEndpointProps::single(&model, it("ml.c5.xlarge")),
    );
    let out = mlcdk_storage::Bucket::new(&mut stack, "Out", mlcdk_storage::BucketProps::default());
    AsyncEndpoint::new(
        &mut stack,
        "Queue",
        AsyncEndpointProps {
            instance: it("ml.m5.xlarge"),
            ..AsyncEndpointProps::scale_to_zero(&model, out.prefix("async/"))
        },
    );
    let errors = stack.synth().unwrap_err().to_string();
    for expected in [
        "[test-staging/Unsupported] variant 'Primary': JumpStart model pytorch-ic-mobilenet-v2@3.0.25 does not support ml.r5.large; it supports: ml.m5.large, ml.m5.xlarge, ml.c5.xlarge, ml.g4dn.xlarge",
        "[test-staging/Other] variant 'Primary': JumpStart model pytorch-ic-mobilenet-v2@3.0.25 (Vision) was resolved for ml.m5.large (its image and environment depend on the instance type), not ml.c5.xlarge: set `instance: Some(\"ml.c5.xlarge\".parse()?)` in its JumpStartModel",
        "[test-staging/Queue] JumpStart model pytorch-ic-mobilenet-v2@3.0.25 (Vision) was resolved for ml.m5.large",
    ] {
        assert!(
            errors.contains(expected),
            "missing {expected:?} in:\n{errors}"
        );
    }

    // Resolved for the type it is served on: accepted, with that type's image.
    let mut stack = Stack::for_test();
    let model = Model::new(
        &mut stack,
        "Vision",
        ModelProps::jumpstart(JumpStartModel {
            instance: Some(it("ml.g4dn.xlarge")),
            ..js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)
        }),
    );
    RealtimeEndpoint::new(
        &mut stack,
        "Gpu",
        RealtimeEndpointProps::single(&model, it("ml.g4dn.xlarge")),
    );
    // Serverless runs on CPU: a GPU-resolved container is refused.
    let open = Model::new(
        &mut stack,
        "OpenVision",
        ModelProps {
            network_isolation: NetworkIsolation::open(
                "serverless inference runs no isolated model",
            ),
            ..ModelProps::jumpstart(JumpStartModel {
                instance: Some(it("ml.g4dn.xlarge")),
                ..js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)
            })
        },
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Adhoc",
        ServerlessEndpointProps::new(&open, Memory::Gb2, 5),
    );
    let errors = stack.synth().unwrap_err().to_string();
    assert!(!errors.contains("test-staging/Gpu"), "{errors}");
    assert!(
        errors.contains("[test-staging/Adhoc] model OpenVision is a JumpStart model resolved for ml.g4dn.xlarge, an accelerated instance type, and serverless endpoints run on CPU only"),
        "{errors}"
    );
}

#[test]
fn a_model_missing_from_the_lock_file_names_the_command_to_run() {
    let (dir, lock) = locked(&[MOBILENET], "us-west-2");
    let mut stack = Stack::for_test();
    // Not locked at all.
    Model::new(
        &mut stack,
        "Absent",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "9.9.9", &lock)),
    );
    // Locked for another region than the stage's (us-east-1).
    Model::new(
        &mut stack,
        "Elsewhere",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)),
    );
    // No lock file.
    Model::new(
        &mut stack,
        "NoFile",
        ModelProps::jumpstart(js(
            "pytorch-ic-mobilenet-v2",
            "3.0.25",
            &dir.path().join("missing.lock"),
        )),
    );
    // An instance type the model does not support.
    Model::new(
        &mut stack,
        "Huge",
        ModelProps::jumpstart(JumpStartModel {
            instance: Some(it("ml.p5.48xlarge")),
            ..js("pytorch-ic-mobilenet-v2", "3.0.25", &lock)
        }),
    );
    let errors = stack.synth().unwrap_err().to_string();
    let l = lock.display();
    for expected in [
        format!(
            "[test-staging/Absent] JumpStart model pytorch-ic-mobilenet-v2@9.9.9 is not in the lock file {l}; run `jumpstart lock pytorch-ic-mobilenet-v2@9.9.9 --region us-east-1 --lock {l} --spec specs_v9.9.9.json`"
        ),
        "[test-staging/Elsewhere] JumpStart model pytorch-ic-mobilenet-v2@3.0.25 is locked for us-west-2 but not for the stage's region us-east-1; run `jumpstart lock pytorch-ic-mobilenet-v2@3.0.25 --region us-east-1".to_string(),
        format!(
            "[test-staging/NoFile] JumpStart model pytorch-ic-mobilenet-v2@3.0.25: the lock file {} cannot be read",
            dir.path().join("missing.lock").display()
        ),
        "[test-staging/Huge] JumpStart model pytorch-ic-mobilenet-v2@3.0.25: instance ml.p5.48xlarge is not supported; it supports: ml.m5.large".to_string(),
    ] {
        assert!(errors.contains(&expected), "missing {expected:?} in:\n{errors}");
    }
}

#[test]
fn a_region_without_the_model_and_a_model_that_needs_the_network_are_refused() {
    let dir = Scratch::new("jumpstart-lock");
    let mut m = resolve(&fixture(MOBILENET), &regions(&["us-east-1"])).unwrap();
    m.regions = regions(&["eu-west-1"]);
    let mut open = resolve(&fixture(XGBOOST), &regions(&["us-east-1"])).unwrap();
    open.network_isolation = false;
    let mut lock = JumpStartLock::default();
    lock.upsert(m);
    lock.upsert(open);
    let file = dir.path().join(LOCK_FILE);
    std::fs::write(&file, lock.render()).unwrap();
    let mut stack = Stack::for_test();
    Model::new(
        &mut stack,
        "Vision",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &file)),
    );
    let scorer = Model::new(
        &mut stack,
        "Scorer",
        ModelProps::jumpstart(js("xgboost-classification-model", "2.1.0", &file)),
    );
    assert_eq!(scorer.node_path().to_string(), "Scorer");
    let errors = stack.synth().unwrap_err().to_string();
    for expected in [
        "[test-staging/Vision] JumpStart model pytorch-ic-mobilenet-v2@3.0.25 is not available in the stage's region us-east-1 (its spec has: eu-west-1)",
        "[test-staging/Scorer] JumpStart model xgboost-classification-model@2.1.0 runs with network access (its spec has inference_enable_network_isolation false): set `network_isolation: NetworkIsolation::open(\"…\")`",
    ] {
        assert!(
            errors.contains(expected),
            "missing {expected:?} in:\n{errors}"
        );
    }
}

#[test]
fn a_hand_edited_lock_file_is_refused_with_the_bad_value() {
    let dir = Scratch::new("jumpstart-lock");
    let mut m = resolve(&fixture(MOBILENET), &regions(&["us-east-1"])).unwrap();
    for d in &mut m.deployment {
        if d.instance_type == "ml.m5.large" {
            d.image = "pytorch-inference:latest".into();
        }
        if d.instance_type == "ml.m5.xlarge" {
            d.model_data = "https://example.com/model".into();
        }
    }
    let mut lock = JumpStartLock::default();
    lock.upsert(m);
    let file = dir.path().join(LOCK_FILE);
    std::fs::write(&file, lock.render()).unwrap();
    let broken = dir.path().join("broken.lock");
    std::fs::write(&broken, "version = 1\n[[model]]\nid = 3\n").unwrap();
    let mut stack = Stack::for_test();
    Model::new(
        &mut stack,
        "Image",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &file)),
    );
    Model::new(
        &mut stack,
        "Data",
        ModelProps::jumpstart(JumpStartModel {
            instance: Some(it("ml.m5.xlarge")),
            ..js("pytorch-ic-mobilenet-v2", "3.0.25", &file)
        }),
    );
    Model::new(
        &mut stack,
        "Broken",
        ModelProps::jumpstart(js("pytorch-ic-mobilenet-v2", "3.0.25", &broken)),
    );
    let errors = stack.synth().unwrap_err().to_string();
    for expected in [
        "[test-staging/Image] JumpStart model pytorch-ic-mobilenet-v2@3.0.25: lock file image: ".to_string(),
        "[test-staging/Data] JumpStart model pytorch-ic-mobilenet-v2@3.0.25: lock file model_data 'https://example.com/model' is not an s3://bucket/key URI".to_string(),
        format!("[test-staging/Broken] {}: not a JumpStart lock file", broken.display()),
    ] {
        assert!(errors.contains(&expected), "missing {expected:?} in:\n{errors}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn deployment() -> impl Strategy<Value = LockedDeployment> {
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<bool>(),
            prop::collection::btree_map(any::<String>(), any::<String>(), 0..4),
        )
            .prop_map(
                |(region, instance_type, image, model_data, uncompressed, environment)| {
                    LockedDeployment {
                        region,
                        instance_type,
                        image,
                        model_data,
                        uncompressed,
                        environment,
                    }
                },
            )
    }

    fn model() -> impl Strategy<Value = LockedModel> {
        (
            (any::<String>(), any::<String>(), any::<Option<String>>()),
            (any::<bool>(), any::<bool>(), any::<String>()),
            prop::collection::vec(any::<String>(), 0..3),
            prop::collection::vec(any::<String>(), 0..3),
            prop::collection::vec(deployment(), 0..3),
        )
            .prop_map(
                |((id, version, eula), (gated_bucket, network_isolation, default), s, r, d)| {
                    LockedModel {
                        id,
                        version,
                        eula,
                        gated_bucket,
                        network_isolation,
                        default_instance_type: default,
                        supported_instance_types: s,
                        regions: r,
                        deployment: d,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the strings (quotes, backslashes, control characters,
        /// any Unicode), the rendered file parses back to the same lock.
        #[test]
        fn a_rendered_lock_file_reads_back_the_same(models in prop::collection::vec(model(), 0..3)) {
            let mut lock = JumpStartLock::default();
            for m in models {
                lock.upsert(m);
            }
            let text = lock.render();
            let back = JumpStartLock::parse(&text, "jumpstart.lock");
            prop_assert_eq!(back.as_ref(), Ok(&lock), "{}", text);
        }

        /// Any text is refused with a message or read; never a panic.
        #[test]
        fn any_text_is_refused_or_read(text in any::<String>()) {
            let _ = JumpStartLock::parse(&text, "jumpstart.lock");
        }
    }
}

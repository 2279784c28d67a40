//! Training pipelines: the definition's structure, the role, the triggers, and
//! every validation with bad input.

use std::collections::BTreeMap;

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{Construct, Expr, Json, PhysicallyNamed, Stack, StageKind};
use mlcdk_registry::ModelVersion;
use mlcdk_storage::{Bucket, BucketProps};
use mlcdk_training::definition::{Definition, Parameter, ParameterType, SpotSpec, TrainingJobSpec};
use mlcdk_training::*;
use serde_json::{Value, json};

fn buckets(stack: &mut Stack) -> (Bucket, Bucket) {
    (
        Bucket::new(stack, "Data", BucketProps::default()),
        Bucket::new(stack, "Artifacts", BucketProps::default()),
    )
}

fn props(data: &Bucket, artifacts: &Bucket) -> TrainingPipelineProps {
    TrainingPipelineProps::xgboost(data.prefix("features/"), artifacts.prefix("pipeline/"))
}

/// The definition as plain JSON, stack references shown as `<Ref X>` / `<X.Attr>`.
fn decoded(def: &Definition) -> Value {
    let body = def.to_json().to_cfn_string();
    let text = match body {
        Expr::Literal(s) => s,
        Expr::Join(_, parts) => parts
            .iter()
            .map(|p| match p {
                Expr::Literal(s) => s.clone(),
                Expr::Ref(id) => format!("<Ref {id}>"),
                Expr::GetAtt(id, a) => format!("<{id}.{a}>"),
                // Resolved, a Sub is its pattern with the names filled in.
                Expr::Sub(pattern, _) => pattern.clone(),
                other => panic!("unexpected reference {other:?}"),
            })
            .collect(),
        other => panic!("unexpected body {other:?}"),
    };
    serde_json::from_str(&text).expect("the definition is JSON once references are resolved")
}

fn step<'a>(def: &'a Value, name: &str) -> &'a Value {
    fn find<'a>(steps: &'a Value, name: &str) -> Option<&'a Value> {
        for s in steps.as_array()? {
            if s["Name"] == name {
                return Some(s);
            }
            for branch in ["IfSteps", "ElseSteps"] {
                if let Some(found) = find(&s["Arguments"][branch], name) {
                    return Some(found);
                }
            }
        }
        None
    }
    find(&def["Steps"], name).unwrap_or_else(|| panic!("no step {name}"))
}

#[test]
fn plain_training_defaults() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(&mut stack, "Training", props(&data, &artifacts));
    let def = decoded(t.definition());
    assert_eq!(def["Version"], "2020-12-01");
    let names: Vec<&str> = def["Steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Train"]);
    let train = &step(&def, "Train")["Arguments"];
    assert_eq!(
        train["StoppingCondition"],
        json!({"MaxRuntimeInSeconds": 3600})
    );
    assert!(train.get("EnableManagedSpotTraining").is_none());
    assert_eq!(
        train["AlgorithmSpecification"]["TrainingImage"],
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5",
        "the maintained XGBoost line by default"
    );
    // Every run writes under its own execution ID.
    assert_eq!(
        train["OutputDataConfig"]["S3OutputPath"],
        json!({"Std:Join": {"On": "", "Values": [
            "s3://<Ref Artifacts82DD59A1>/pipeline/",
            {"Get": "Execution.PipelineExecutionId"},
            "/models"]}})
    );
    // The stage's tags on the job, for the budget.
    assert_eq!(
        train["Tags"],
        json!([{"Key": "app", "Value": "test"}, {"Key": "stage", "Value": "staging"}])
    );
    assert_eq!(
        train["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"],
        json!({"Std:Join": {"On": "", "Values": [{"Get": "Parameters.InputData"}, "train/"]}})
    );
    assert_eq!(train["HyperParameters"]["objective"], "binary:logistic");
    assert_eq!(
        def["Parameters"][1],
        json!({"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "Approved"})
    );

    let tpl = TemplateAssert::new(stack.synth().unwrap().template);
    tpl.has_resource_properties(
        "AWS::SageMaker::Pipeline",
        json!({"PipelineName": "test-staging-training-pipeline",
               "RoleArn": {"Fn::GetAtt": ["TrainingRole4C1607BC", "Arn"]},
               "ParallelismConfiguration": {"MaxParallelExecutionSteps": 10}}),
    );
    // The job runs as the job role, not as the pipeline's.
    assert_eq!(
        train["RoleArn"], "<TrainingJobRoleF750C0D4.Arn>",
        "{}",
        train["RoleArn"]
    );
}

#[test]
fn full_pipeline_structure() {
    let mut stack = Stack::for_stage(StageKind::Production);
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(
        &mut stack,
        "Training",
        TrainingPipelineProps {
            spot: Some(Spot::without_checkpoints()),
            tuning: Some(Tuning::xgboost_auc(10, 2)),
            processing: Some(Processing::script("tests/fixtures/preprocess.py")),
            evaluation: Some(Evaluation::at_least(
                "tests/fixtures/evaluate.py",
                "metrics.auc.value",
                0.8,
            )),
            register_into: Some(ModelGroupRef::named("churn")),
            batch_transform: Some(BatchTransform {
                input: data.prefix("to-score/"),
                output: artifacts.prefix("scores/"),
                instance: InstanceType::m5_large(),
                instance_count: 1,
            }),
            ..props(&data, &artifacts)
        },
    );
    let def = decoded(t.definition());
    let top: Vec<(&str, &str)> = def["Steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["Name"].as_str().unwrap(), s["Type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        top,
        [
            ("Preprocess", "Processing"),
            ("Tune", "Tuning"),
            ("Evaluate", "Processing"),
            ("CheckMetric", "Condition")
        ]
    );
    // Spot and tuning.
    let tune = &step(&def, "Tune")["Arguments"];
    let job = &tune["TrainingJobDefinition"];
    assert_eq!(job["EnableManagedSpotTraining"], true);
    assert_eq!(
        job["StoppingCondition"],
        json!({"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200})
    );
    assert!(
        job.get("CheckpointConfig").is_none(),
        "tuning trials must not share one checkpoint prefix"
    );
    assert!(
        job["StaticHyperParameters"].get("eta").is_none(),
        "tuned parameters are not static"
    );
    let config = &tune["HyperParameterTuningJobConfig"];
    assert_eq!(
        config["ResourceLimits"],
        json!({"MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2})
    );
    assert_eq!(
        config["HyperParameterTuningJobObjective"],
        json!({"MetricName": "validation:auc", "Type": "Maximize"})
    );
    assert_eq!(config["TrainingJobEarlyStoppingType"], "Auto");
    // Data flows from the processing outputs.
    assert_eq!(
        job["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"],
        json!({"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri"})
    );
    // Evaluation depends on tuning, reads the best model, and gates registration.
    let evaluate = step(&def, "Evaluate");
    assert_eq!(evaluate["DependsOn"], json!(["Tune"]));
    assert_eq!(
        evaluate["PropertyFiles"],
        json!([{"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}])
    );
    let best_model = json!({"Std:Join": {"On": "/", "Values": [
        {"Std:Join": {"On": "", "Values": [
            "s3://<Ref Artifacts82DD59A1>/pipeline/",
            {"Get": "Execution.PipelineExecutionId"},
            "/models"]}},
        {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"},
        "output/model.tar.gz"]}});
    assert_eq!(
        evaluate["Arguments"]["ProcessingInputs"][1]["S3Input"]["S3Uri"],
        best_model
    );
    let check = &step(&def, "CheckMetric")["Arguments"];
    assert_eq!(check["Conditions"][0]["Type"], "GreaterThanOrEqualTo");
    assert_eq!(check["Conditions"][0]["RightValue"], 0.8);
    let branch: Vec<&str> = check["IfSteps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(branch, ["Register", "CreateModel", "BatchScore"]);
    assert_eq!(check["ElseSteps"][0]["Type"], "Fail");
    // Registration: the best model, manual approval in production, metrics attached.
    let register = &step(&def, "Register")["Arguments"];
    assert_eq!(register["ModelPackageGroupName"], "churn");
    assert_eq!(
        register["ModelApprovalStatus"],
        json!({"Get": "Parameters.ModelApprovalStatus"})
    );
    assert_eq!(
        register["InferenceSpecification"]["Containers"][0]["ModelDataUrl"],
        best_model
    );
    assert_eq!(
        def["Parameters"][1]["DefaultValue"],
        "PendingManualApproval"
    );
    assert_eq!(
        step(&def, "BatchScore")["Arguments"]["ModelName"],
        json!({"Get": "Steps.CreateModel.ModelName"})
    );
    // Outputs keyed by execution: a registered version's metrics and the
    // scores are never overwritten by the next run.
    assert_eq!(
        register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"],
        json!({"Std:Join": {"On": "", "Values": [
            "s3://<Ref Artifacts82DD59A1>/pipeline/",
            {"Get": "Execution.PipelineExecutionId"},
            "/evaluation/evaluation.json"]}})
    );
    assert_eq!(
        step(&def, "BatchScore")["Arguments"]["TransformOutput"]["S3OutputPath"],
        json!({"Std:Join": {"On": "", "Values": [
            "s3://<Ref Artifacts82DD59A1>/scores/",
            {"Get": "Execution.PipelineExecutionId"},
            "/"]}})
    );
    // Every step that creates something carries the stage's tags.
    for name in [
        "Preprocess",
        "Tune",
        "Evaluate",
        "Register",
        "CreateModel",
        "BatchScore",
    ] {
        assert_eq!(
            step(&def, name)["Arguments"]["Tags"],
            json!([{"Key": "app", "Value": "test"}, {"Key": "stage", "Value": "production"}]),
            "{name}"
        );
    }
    // Scripts are keyed `assets/<sha256>/<file>`, so the entrypoint's file is
    // where the input puts it.
    let preprocess = &step(&def, "Preprocess")["Arguments"];
    let code = preprocess["ProcessingInputs"][0]["S3Input"]["S3Uri"]
        .as_str()
        .unwrap();
    assert!(code.ends_with("/preprocess.py"), "{code}");
    assert_eq!(
        preprocess["AppSpecification"]["ContainerEntrypoint"],
        json!(["python3", "/opt/ml/processing/input/code/preprocess.py"])
    );

    // The role: scoped SageMaker actions, PassRole on itself only, no wildcards.
    let s = stack.synth().unwrap();
    assert_eq!(s.assets.len(), 2, "both scripts are assets");
    let tpl = TemplateAssert::new(s.template);
    let statements = |m: Match| {
        Match::object([(
            "Policies",
            Match::array_with([Match::object([(
                "PolicyDocument",
                Match::object([("Statement", Match::array_with([m]))]),
            )])]),
        )])
    };
    // The pipeline role passes the job role and nothing else.
    tpl.has_resource_properties(
        "AWS::IAM::Role",
        statements(Match::object_like(json!({"Action": "iam:PassRole",
            "Resource": {"Fn::GetAtt": ["TrainingJobRoleF750C0D4", "Arn"]},
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}))),
    );
    tpl.has_resource_properties(
        "AWS::IAM::Role",
        statements(Match::object_like(json!({"Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:683313688378:repository/sagemaker-xgboost"}}))),
    );
    let template = tpl.template();
    let actions = |id: &str| -> Vec<String> {
        let mut out = Vec::new();
        for policy in template.resources[id].properties["Policies"]
            .as_array()
            .unwrap()
        {
            for st in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                match &st["Action"] {
                    Value::String(a) => out.push(a.clone()),
                    Value::Array(a) => {
                        out.extend(a.iter().map(|a| a.as_str().unwrap().to_string()))
                    }
                    _ => {}
                }
            }
        }
        out
    };
    // The job role (user code) reaches data, keys, logs and images only.
    let job = actions("TrainingJobRoleF750C0D4");
    assert!(
        job.iter()
            .all(|a| !a.starts_with("sagemaker:") && !a.starts_with("iam:")),
        "{job:?}"
    );
    assert!(job.contains(&"s3:ListBucket".to_string()));
    // The pipeline role starts jobs and passes the job role; the only data it
    // reads is the evaluation report its condition evaluates.
    let pipeline = actions("TrainingRole4C1607BC");
    assert!(pipeline.contains(&"sagemaker:CreateTrainingJob".to_string()));
    assert!(
        pipeline
            .iter()
            .filter(|a| a.starts_with("s3:"))
            .all(|a| a == "s3:GetObject"),
        "{pipeline:?}"
    );
    assert!(
        pipeline
            .iter()
            .all(|a| !a.starts_with("ecr:") && !a.starts_with("logs:"))
    );
    // Its SageMaker grants name job kinds and this pipeline's group, never `*`.
    for st in template.resources["TrainingRole4C1607BC"].properties["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .unwrap()
    {
        let text = st["Resource"].to_string();
        assert!(!text.contains(":*\""), "{text}");
    }
}

#[test]
fn fine_tuning() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(
        &mut stack,
        "FromArtifact",
        TrainingPipelineProps {
            strategy: ModelStrategy::FineTune(artifacts.prefix("base/model.tar.gz")),
            ..props(&data, &artifacts)
        },
    );
    let def = decoded(t.definition());
    assert_eq!(
        step(&def, "Train")["Arguments"]["InputDataConfig"][2]["ChannelName"],
        "model"
    );
    let t = TrainingPipeline::new(
        &mut stack,
        "FromPackage",
        TrainingPipelineProps {
            strategy: ModelStrategy::FineTunePackage(ModelVersion::pinned(
                "arn:aws:sagemaker:us-east-1:111111111111:model-package/base/1",
            )),
            register_into: Some(ModelGroupRef::named("churn")),
            ..props(&data, &artifacts)
        },
    );
    let def = decoded(t.definition());
    assert_eq!(
        step(&def, "Train")["Arguments"]["ModelPackageConfig"]["SourceModelPackageArn"],
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/base/1"
    );
    assert!(stack.synth().is_ok());
}

#[test]
fn pipeline_validations() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let cases: Vec<(&str, TrainingPipelineProps, &str)> = vec![
        (
            "SpotWait",
            TrainingPipelineProps {
                spot: Some(Spot {
                    max_wait_seconds: Some(600),
                    ..Spot::with_checkpoints(artifacts.prefix("c/"))
                }),
                ..props(&data, &artifacts)
            },
            "spot max_wait_seconds (600) is below max_runtime_seconds (3600); SageMaker requires MaxWaitTimeInSeconds >= MaxRuntimeInSeconds",
        ),
        (
            "TunedCheckpoints",
            TrainingPipelineProps {
                spot: Some(Spot::with_checkpoints(artifacts.prefix("checkpoints/"))),
                tuning: Some(Tuning::xgboost_auc(4, 2)),
                ..props(&data, &artifacts)
            },
            "spot checkpoints under 'checkpoints/' of bucket Artifacts would never be used: SageMaker gives every trial of a tuning job the same CheckpointConfig, so tuned pipelines do not checkpoint (an interrupted trial restarts); use Spot::without_checkpoints() with tuning",
        ),
        (
            "NoMax",
            TrainingPipelineProps {
                tuning: Some(Tuning {
                    max_jobs: None,
                    ..Tuning::xgboost_auc(1, 1)
                }),
                ..props(&data, &artifacts)
            },
            "tuning without max_jobs: MaxNumberOfTrainingJobs is required",
        ),
        (
            "Parallel",
            TrainingPipelineProps {
                tuning: Some(Tuning::xgboost_auc(3, 5)),
                ..props(&data, &artifacts)
            },
            "max_parallel (5) exceeds max_jobs (3)",
        ),
        (
            "Runtime",
            TrainingPipelineProps {
                max_runtime_seconds: 3_000_000,
                spot: None,
                ..props(&data, &artifacts)
            },
            "max_runtime_seconds 3000000 is out of range: 1 to 2419200 (28 days)",
        ),
        (
            "TuneRuntime",
            TrainingPipelineProps {
                tuning: Some(Tuning {
                    max_runtime_seconds: Some(60),
                    ..Tuning::xgboost_auc(2, 1)
                }),
                ..props(&data, &artifacts)
            },
            "tuning max_runtime_seconds 60 is out of range: 120 to 15768000",
        ),
        (
            "Range",
            TrainingPipelineProps {
                tuning: Some(Tuning {
                    ranges: vec![ParameterRange::Integer {
                        name: "max_depth".into(),
                        min: 5,
                        max: 5,
                        scaling: Scaling::Auto,
                    }],
                    ..Tuning::xgboost_auc(2, 1)
                }),
                ..props(&data, &artifacts)
            },
            "range 'max_depth': min (5) must be below max (5)",
        ),
        (
            "Proc",
            TrainingPipelineProps {
                processing: Some(Processing {
                    max_runtime_seconds: 500_000,
                    ..Processing::script("tests/fixtures/preprocess.py")
                }),
                ..props(&data, &artifacts)
            },
            "max_runtime_seconds 500000 is out of range: 1 to 432000 (5 days)",
        ),
        (
            "Parallelism",
            TrainingPipelineProps {
                max_parallel_steps: 0,
                ..props(&data, &artifacts)
            },
            "max_parallel_steps 0 is out of range: 1 to 256",
        ),
        (
            "NanRange",
            TrainingPipelineProps {
                tuning: Some(Tuning {
                    ranges: vec![ParameterRange::Continuous {
                        name: "eta".into(),
                        min: f64::NAN,
                        max: f64::INFINITY,
                        scaling: Scaling::Auto,
                    }],
                    ..Tuning::xgboost_auc(2, 1)
                }),
                ..props(&data, &artifacts)
            },
            "range 'eta': min (NaN) and max (inf) must be finite numbers",
        ),
        (
            "LogRange",
            TrainingPipelineProps {
                tuning: Some(Tuning {
                    ranges: vec![ParameterRange::Continuous {
                        name: "eta".into(),
                        min: 0.0,
                        max: 1.0,
                        scaling: Scaling::Logarithmic,
                    }],
                    ..Tuning::xgboost_auc(2, 1)
                }),
                ..props(&data, &artifacts)
            },
            "range 'eta': logarithmic scaling needs min above 0, got 0",
        ),
        (
            "NanGate",
            TrainingPipelineProps {
                evaluation: Some(Evaluation::at_least(
                    "tests/fixtures/evaluate.py",
                    "metrics.auc.value",
                    f64::NAN,
                )),
                ..props(&data, &artifacts)
            },
            "evaluation threshold NaN of 'metrics.auc.value' is not a finite number",
        ),
        (
            "Package",
            TrainingPipelineProps {
                strategy: ModelStrategy::FineTunePackage(ModelVersion::pinned(
                    "arn:aws:sagemaker:us-east-1:1:model-package/x/1",
                )),
                ..props(&data, &artifacts)
            },
            "fine-tuning a model package needs register_into",
        ),
    ];
    let expected: Vec<(String, String)> = cases
        .iter()
        .map(|(id, _, why)| (format!("[test-staging/{id}"), why.to_string()))
        .collect();
    for (id, p, _) in cases {
        TrainingPipeline::new(&mut stack, id, p);
    }
    let errors = stack.synth().unwrap_err();
    for (path, why) in &expected {
        assert!(
            errors
                .iter()
                .any(|x| x.to_string().starts_with(path) && x.message.contains(why)),
            "missing {path}…] {why} in\n{errors}"
        );
    }
}

#[test]
fn unknown_region_for_the_builtin_image() {
    let app = mlcdk_core::App::new("x", |stack: &mut Stack, _: &()| {
        let (data, artifacts) = buckets(stack);
        TrainingPipeline::new(stack, "T", props(&data, &artifacts));
    })
    .stage(mlcdk_core::Stage::staging(
        mlcdk_core::Env::any_account("mars-north-1"),
        (),
    ));
    let errors = app.synth(None).unwrap_err();
    assert!(
        errors.mentions("no built-in XGBoost image is known for region 'mars-north-1'"),
        "{errors}"
    );
}

fn job(name_suffix: &str) -> TrainingJobSpec {
    TrainingJobSpec {
        image: PipelineValue::lit("111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"),
        role_arn: Expr::lit("arn:aws:iam::111111111111:role/r"),
        instance_type: "ml.m5.large".into(),
        instance_count: 1,
        volume_gb: 30,
        max_runtime_seconds: 60,
        spot: None,
        channels: vec![],
        output_uri: PipelineValue::lit(format!("s3://b/{name_suffix}")),
        hyperparameters: Default::default(),
        model_package: None,
    }
}

#[test]
fn definition_rules() {
    let mut bad = Definition {
        tags: vec![],
        parameters: vec![
            Parameter {
                name: "P".into(),
                kind: ParameterType::String,
                default: Json::from("x"),
            },
            Parameter {
                name: "P".into(),
                kind: ParameterType::Integer,
                default: Json::from(1),
            },
        ],
        steps: vec![
            Step::new("Train", StepKind::Training(job("a"))),
            Step::new("Train", StepKind::Training(job("b"))),
            Step::new(
                "bad name!",
                StepKind::Fail {
                    message: PipelineValue::param("Missing"),
                },
            ),
            Step::new(
                "Zero",
                StepKind::Training(TrainingJobSpec {
                    instance_count: 0,
                    volume_gb: 0,
                    ..job("c")
                }),
            ),
            Step::new(
                "Spot",
                StepKind::Training(TrainingJobSpec {
                    spot: Some(SpotSpec {
                        max_wait_seconds: 10,
                        checkpoint_uri: Some(PipelineValue::lit("s3://b/c")),
                    }),
                    ..job("d")
                }),
            ),
        ],
    };
    bad.steps[1].depends_on = vec!["Nowhere".into(), "Train".into()];
    bad.steps.push(Step::new(
        "Ref",
        StepKind::Fail {
            message: PipelineValue::property("Ghost", "X"),
        },
    ));
    let errors = bad.validate();
    let all = errors.join("\n");
    for e in [
        "step name 'Train' is used twice; step names are unique",
        "step name 'bad name!' is invalid: 1 to 64 letters, digits, '-' or '_'",
        "parameter 'P' is defined twice",
        "step 'Train' depends on 'Nowhere', which is not a step of the pipeline",
        "step 'Train' depends on itself",
        "step 'bad name!' uses parameter 'Missing', which the pipeline does not define",
        "step 'Zero': instance count must be at least 1",
        "step 'Zero': volume of 0 GB is out of range: 1 to 16384",
        "step 'Spot': spot max_wait_seconds (10) is below max_runtime_seconds (60)",
        "step 'Ref' refers to step 'Ghost', which is not a step of the pipeline",
    ] {
        assert!(all.contains(e), "missing {e:?} in\n{all}");
    }
    assert!(
        Definition::default()
            .validate()
            .iter()
            .any(|e| e == "the pipeline has no steps")
    );
}

#[test]
fn large_literal_definitions_go_to_s3_and_large_ones_with_references_are_refused() {
    let big = |role: Expr| Definition {
        parameters: vec![],
        tags: vec![],
        steps: (0..400)
            .map(|i| {
                Step::new(
                    &format!("Train{i}"),
                    StepKind::Training(TrainingJobSpec {
                        role_arn: role.clone(),
                        ..job(&format!("{i}/{}", "x".repeat(100)))
                    }),
                )
            })
            .collect(),
    };
    let mut stack = Stack::for_test();
    let role = Role::new(
        &mut stack,
        "R",
        RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
    );
    Pipeline::new(
        &mut stack,
        "Literal",
        PipelineProps {
            depends_on: vec![role.resource().clone()],
            ..PipelineProps::new(big(Expr::lit("arn:aws:iam::111111111111:role/r")), &role)
        },
    );
    let s = stack.synth().unwrap();
    assert_eq!(s.assets.len(), 1);
    assert!(s.assets[0].content.as_ref().unwrap().len() > INLINE_DEFINITION_LIMIT);
    TemplateAssert::new(s.template).has_resource_properties(
        "AWS::SageMaker::Pipeline",
        Match::object([(
            "PipelineDefinition",
            Match::object([(
                "PipelineDefinitionS3Location",
                Match::object_like(json!({
                    "Bucket": {"Fn::Sub": "mlcdk-assets-${AWS::AccountId}-${AWS::Region}"}
                })),
            )]),
        )]),
    );

    let mut stack = Stack::for_test();
    let role = Role::new(
        &mut stack,
        "R",
        RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
    );
    Pipeline::new(
        &mut stack,
        "Refs",
        PipelineProps::new(big(Expr::get_att("Role", "Arn")), &role),
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions(
            "refers to stack resources, which CloudFormation cannot resolve in an S3 object"
        ),
        "{errors}"
    );
}

#[test]
fn triggers() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(&mut stack, "Training", props(&data, &artifacts));
    PipelineTrigger::new(
        &mut stack,
        "Weekly",
        TriggerProps {
            parameters: BTreeMap::from([("InputData".to_string(), Expr::lit("s3://x/y/"))]),
            ..TriggerProps::schedule(&t, Schedule::weekly("MON", 3))
        },
    );
    PipelineTrigger::new(
        &mut stack,
        "Hourly",
        TriggerProps::schedule(t.pipeline(), Schedule::Rate(1, RateUnit::Hours)),
    );
    let on_alarm = PipelineTrigger::new(
        &mut stack,
        "OnAlarm",
        TriggerProps::on_event(
            &t,
            Json::from(
                json!({"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}),
            ),
        ),
    );
    assert_eq!(on_alarm.node_path().to_string(), "OnAlarm");
    assert_eq!(on_alarm.arn(), on_alarm.resource().get_att("Arn"));
    let tpl = TemplateAssert::new(stack.synth().unwrap().template);
    tpl.resource_count_is("AWS::Events::Rule", 3);
    let arn = json!({"Fn::Join": ["", [{"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/"}, {"Ref": "TrainingPipeline6C07D285"}]]});
    tpl.has_resource_properties(
        "AWS::Events::Rule",
        json!({"ScheduleExpression": "cron(0 3 ? * MON *)", "State": "ENABLED", "Targets": [{
            "Id": "Pipeline", "Arn": arn,
            "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "InputData", "Value": "s3://x/y/"}]}}]}),
    );
    tpl.has_resource_properties(
        "AWS::Events::Rule",
        json!({"ScheduleExpression": "rate(1 hour)"}),
    );
    tpl.has_resource_properties(
        "AWS::Events::Rule",
        json!({"EventPattern": {"source": ["aws.cloudwatch"]}}),
    );
    // Each trigger role may start this pipeline only.
    tpl.has_resource_properties(
        "AWS::IAM::Role",
        json!({"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "events.amazonaws.com"}}]},
               "Policies": [{"PolicyDocument": {"Statement": [{"Action": "sagemaker:StartPipelineExecution", "Resource": arn}]}}]}),
    );
}

#[test]
fn trigger_validations() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(&mut stack, "Training", props(&data, &artifacts));
    PipelineTrigger::new(
        &mut stack,
        "Cron",
        TriggerProps::schedule(&t, Schedule::Cron("0 3 * * *".into())),
    );
    PipelineTrigger::new(
        &mut stack,
        "Rate",
        TriggerProps::schedule(&t, Schedule::Rate(0, RateUnit::Days)),
    );
    let mut parameters = BTreeMap::from([("-bad".to_string(), Expr::lit("x"))]);
    for i in 0..200 {
        parameters.insert(format!("P{i}"), Expr::lit("v"));
    }
    parameters.insert("Long".into(), Expr::lit("v".repeat(1025)));
    PipelineTrigger::new(
        &mut stack,
        "Many",
        TriggerProps {
            parameters,
            description: Some("d".repeat(513)),
            ..TriggerProps::schedule(&t, Schedule::weekly("MON", 3))
        },
    );
    PipelineTrigger::new(
        &mut stack,
        "Empty",
        TriggerProps::on_event(&t, Json::from(json!({}))),
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Cron] schedule: cron expression '0 3 * * *' has 5 fields",
        "[test-staging/Rate] schedule: rate(0 …) never fires",
        "[test-staging/Many] 202 pipeline parameters; EventBridge passes at most 200",
        "[test-staging/Many] pipeline parameter 'Long' has a value of 1025 characters",
        "[test-staging/Many] description has 513 characters; EventBridge accepts at most 512",
        "[test-staging/Many] pipeline parameter name '-bad' is invalid",
        "[test-staging/Empty] the event pattern must be a non-empty JSON object",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

#[test]
fn instance_types_and_images_are_checked_when_parsed() {
    // `serving_instances: ["m5.large"]` (no `ml.`) cannot be written: the
    // type refuses it where it is parsed (a stage file fails when loaded).
    let e = "m5.large".parse::<InstanceType>().unwrap_err();
    assert!(e.contains("look like 'ml.m5.xlarge'"), "{e}");
    assert!(EcrImage::parse("python:3.11").is_none());
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    TrainingPipeline::new(
        &mut stack,
        "Training",
        TrainingPipelineProps {
            register_into: Some(ModelGroupRef::named("churn")),
            serving_instances: vec![InstanceType::m5_large(), "ml.c5.xlarge".parse().unwrap()],
            ..props(&data, &artifacts)
        },
    );
    stack.synth().unwrap();
}

#[test]
fn evaluation_and_fine_tune_inputs_that_would_fail_at_run_time_are_refused_at_synth() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    TrainingPipeline::new(
        &mut stack,
        "EmptyPath",
        TrainingPipelineProps {
            evaluation: Some(Evaluation::at_least("tests/fixtures/evaluate.py", " ", 0.8)),
            ..props(&data, &artifacts)
        },
    );
    TrainingPipeline::new(
        &mut stack,
        "NanThreshold",
        TrainingPipelineProps {
            evaluation: Some(Evaluation::builtin_xgboost_binary(
                BinaryMetric::F1,
                f64::NAN,
            )),
            ..props(&data, &artifacts)
        },
    );
    TrainingPipeline::new(
        &mut stack,
        "NoScript",
        TrainingPipelineProps {
            evaluation: Some(Evaluation::at_least("", "metrics.auc.value", 0.8)),
            ..props(&data, &artifacts)
        },
    );
    for (id, arn) in [
        ("NotAnArn", "not-an-arn"),
        (
            "Group",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/base",
        ),
        (
            "Account",
            "arn:aws:sagemaker:us-east-1:1111:model-package/base/1",
        ),
        (
            "Version",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package/base/v1",
        ),
    ] {
        TrainingPipeline::new(
            &mut stack,
            id,
            TrainingPipelineProps {
                strategy: ModelStrategy::FineTunePackage(ModelVersion::pinned(arn)),
                register_into: Some(ModelGroupRef::named("churn")),
                ..props(&data, &artifacts)
            },
        );
    }
    // Valid forms, and a reference (checked by CloudFormation) pass.
    for (id, arn) in [
        (
            "Ok1",
            Expr::lit("arn:aws:sagemaker:us-east-1:111111111111:model-package/base/1"),
        ),
        (
            "Ok2",
            Expr::lit("arn:aws-cn:sagemaker:cn-north-1:111111111111:model-package/base"),
        ),
        (
            "Ok3",
            Expr::sub(
                "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/base/1",
            ),
        ),
    ] {
        TrainingPipeline::new(
            &mut stack,
            id,
            TrainingPipelineProps {
                strategy: ModelStrategy::FineTunePackage(ModelVersion::pinned(arn)),
                register_into: Some(ModelGroupRef::named("churn")),
                ..props(&data, &artifacts)
            },
        );
    }
    TrainingPipeline::new(
        &mut stack,
        "BuiltinCustomImage",
        TrainingPipelineProps {
            algorithm: Algorithm::Image(
                "111111111111.dkr.ecr.us-east-1.amazonaws.com/trainer:1"
                    .parse()
                    .unwrap(),
            ),
            evaluation: Some(Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.7)),
            ..props(&data, &artifacts)
        },
    );
    TrainingPipeline::new(
        &mut stack,
        "BuiltinRegression",
        TrainingPipelineProps {
            hyperparameters: [("objective".to_string(), "reg:squarederror".to_string())].into(),
            evaluation: Some(Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.7)),
            ..props(&data, &artifacts)
        },
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/BuiltinCustomImage] the built-in XGBoost evaluation runs in the training image, and '111111111111.dkr.ecr.us-east-1.amazonaws.com/trainer:1' is not SageMaker's XGBoost image",
        "[test-staging/BuiltinRegression] the built-in XGBoost evaluation scores a binary classifier, and the objective is 'reg:squarederror'",
        "[test-staging/EmptyPath] evaluation metric_path is empty",
        "[test-staging/NanThreshold] evaluation threshold NaN of 'metrics.f1.value' is not a finite number",
        "[test-staging/NoScript] evaluation script is empty",
        "[test-staging/NotAnArn] fine-tune model package: 'not-an-arn' is not a model package ARN",
        "[test-staging/Group] fine-tune model package",
        "[test-staging/Account] fine-tune model package",
        "[test-staging/Version] fine-tune model package",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
    assert!(!errors.to_string().contains("test-staging/Ok"), "{errors}");
}

#[test]
fn the_builtin_xgboost_evaluation_ships_its_script_as_a_generated_asset() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(
        &mut stack,
        "Training",
        TrainingPipelineProps {
            evaluation: Some(Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.75)),
            register_into: Some(ModelGroupRef::named("churn")),
            ..props(&data, &artifacts)
        },
    );
    let def = decoded(t.definition());
    let s = stack.synth().unwrap();
    let script = s
        .assets
        .iter()
        .find(|a| a.key.ends_with("evaluate_xgboost.py"))
        .expect("the evaluation script is an asset");
    let content = String::from_utf8(script.content.clone().unwrap()).unwrap();
    assert!(content.contains("/opt/ml/processing/output/evaluation"));
    assert!(content.contains("def auc("));
    let text = def.to_string();
    assert!(text.contains("evaluate_xgboost.py"), "{text}");
    assert!(text.contains("metrics.auc.value"), "{text}");
}

/// The built-in evaluation's metric code, run with the Python standard
/// library (no network, no packages). python3 is required, as it is for the
/// pinned tools the tests provision: no silent skip.
#[test]
fn the_builtin_evaluation_metrics_pass_their_python_tests() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    let run = std::process::Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", dir, "-p", "test_*.py"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output();
    match run {
        Err(e) => panic!(
            "python3 is needed to test the built-in evaluation script ({e}); install Python 3, as the README's test command requires"
        ),
        Ok(out) => assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
fn handles_grants_and_model_artifacts() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(&mut stack, "Training", props(&data, &artifacts));
    assert_eq!(t.node_path().to_string(), "Training");
    assert_eq!(t.pipeline().node_path().to_string(), "Training/Pipeline");
    assert_eq!(t.physical_name(), "test-staging-training-pipeline");
    assert_eq!(t.name(), t.resource().reference());
    let artifacts_ref = t.model_artifacts();
    assert_eq!(
        artifacts_ref.location.uri(),
        artifacts.prefix("pipeline/").uri()
    );
    assert_eq!(artifacts_ref.image.uri(), t.image().uri());
    // The training pipeline is a grantee: grants go to its job role.
    t.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:GetObject"])
            .resources(["arn:aws:s3:::extra/*"]),
    );
    let starter = Role::new(
        &mut stack,
        "Starter",
        RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")),
    );
    let grant = t.grant_start(&starter);
    assert_eq!(grant.actions(), ["sagemaker:StartPipelineExecution"]);
    let job_policy = format!("{:?}", t.job_role().policy());
    assert!(job_policy.contains("arn:aws:s3:::extra/*"), "{job_policy}");
    stack.synth().unwrap();
}

#[test]
fn pipeline_props_are_validated() {
    let mut stack = Stack::for_test();
    let role = Role::new(
        &mut stack,
        "R",
        RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
    );
    Pipeline::new(
        &mut stack,
        "Zero",
        PipelineProps {
            max_parallel_steps: 0,
            ..PipelineProps::new(Definition::default(), &role)
        },
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Zero] max_parallel_steps 0 is out of range: 1 to 256",
        "[test-staging/Zero] the pipeline has no steps",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

/// The run-time contract (the rule pack's RT rules: roles that can do what
/// the steps need, scripts the job role can read, create order) holds for a
/// pipeline with every step, the built-in evaluation among them.
#[test]
fn the_runtime_rules_pass_on_a_full_pipeline_with_the_builtin_evaluation() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    TrainingPipeline::new(
        &mut stack,
        "Training",
        TrainingPipelineProps {
            spot: Some(Spot::with_checkpoints(artifacts.prefix("checkpoints/"))),
            processing: Some(Processing::script("tests/fixtures/preprocess.py")),
            evaluation: Some(Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.75)),
            register_into: Some(ModelGroupRef::named("churn")),
            batch_transform: Some(BatchTransform::new(
                data.prefix("to-score/"),
                artifacts.prefix("scores/"),
            )),
            ..props(&data, &artifacts)
        },
    );
    let t = stack.synth().unwrap().template;
    let runtime: Vec<String> = mlcdk_checks::check(&t, &mlcdk_checks::Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule.starts_with("RT-"))
        .map(|f| format!("{} {}: {}", f.rule, f.logical_id, f.message))
        .collect();
    assert_eq!(runtime, Vec::<String>::new());
}

/// The baseline step: statistics of the training split, registered with the
/// version as its data-quality statistics, and registration waits for it.
#[test]
fn the_baseline_step_is_registered_with_the_version() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    let t = TrainingPipeline::new(
        &mut stack,
        "Training",
        TrainingPipelineProps {
            processing: Some(Processing::script("tests/fixtures/preprocess.py")),
            evaluation: Some(Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.7)),
            baseline: Some(FeatureBaseline {
                categorical: vec!["plan".into()],
                ..FeatureBaseline::new(["tenure_months", "plan"])
            }),
            register_into: Some(ModelGroupRef::named("churn")),
            ..props(&data, &artifacts)
        },
    );
    assert_eq!(t.baselines().prefix, "pipeline/");
    let def = t.definition().to_json().to_cfn();
    let baseline = step(&def, "Baseline");
    let args = &baseline["Arguments"];
    assert_eq!(
        args["AppSpecification"]["ContainerEntrypoint"],
        json!([
            "python3",
            "/opt/ml/processing/input/code/baseline.py",
            "--train",
            "/opt/ml/processing/input/train",
            "--features",
            "tenure_months,plan",
            "--output",
            "/opt/ml/processing/output/baseline",
            "--categorical",
            "plan"
        ])
    );
    // It reads the preprocessed train split and writes beside the models.
    assert_eq!(
        args["ProcessingInputs"][1]["S3Input"]["S3Uri"],
        json!({"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"})
    );
    let out = args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].to_string();
    assert!(out.contains("/baseline/"), "{out}");
    // The gate holding the registration waits for the baseline.
    assert_eq!(step(&def, "CheckMetric")["DependsOn"], json!(["Baseline"]));
    let register = &step(&def, "CheckMetric")["Arguments"]["IfSteps"][0];
    let metrics = &register["Arguments"]["ModelMetrics"];
    assert_eq!(
        metrics["ModelDataQuality"]["Statistics"]["ContentType"],
        "application/json"
    );
    assert!(
        metrics["ModelDataQuality"]["Statistics"]["S3Uri"]
            .to_string()
            .contains("/baseline/statistics.json"),
        "{metrics}"
    );
    assert!(
        metrics["ModelQuality"]["Statistics"]["S3Uri"]
            .to_string()
            .contains("evaluation.json")
    );
    stack.synth().unwrap();
}

#[test]
fn baseline_validations() {
    let mut stack = Stack::for_test();
    let (data, artifacts) = buckets(&mut stack);
    for (id, baseline, algorithm) in [
        (
            "NoFeatures",
            FeatureBaseline::new(Vec::<String>::new()),
            None,
        ),
        ("Comma", FeatureBaseline::new(["a,b"]), None),
        ("Twice", FeatureBaseline::new(["a", "a"]), None),
        (
            "UnknownCategorical",
            FeatureBaseline {
                categorical: vec!["plan".into()],
                ..FeatureBaseline::new(["a"])
            },
            None,
        ),
        (
            "CustomImage",
            FeatureBaseline::new(["a"]),
            Some(Algorithm::Image(
                "111111111111.dkr.ecr.us-east-1.amazonaws.com/trainer:1"
                    .parse()
                    .unwrap(),
            )),
        ),
    ] {
        TrainingPipeline::new(
            &mut stack,
            id,
            TrainingPipelineProps {
                baseline: Some(baseline),
                algorithm: algorithm.unwrap_or(Algorithm::Xgboost(XgboostVersion::default())),
                ..props(&data, &artifacts)
            },
        );
    }
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/NoFeatures] baseline: 0 features; give 1 to 1000",
        "[test-staging/Comma] baseline: feature name 'a,b' is empty or has a comma",
        "[test-staging/Twice] baseline: feature 'a' is named twice",
        "[test-staging/UnknownCategorical] baseline: categorical feature 'plan' is not one of the features (a)",
        "[test-staging/CustomImage] the baseline step runs in the training image, and '111111111111.dkr.ecr.us-east-1.amazonaws.com/trainer:1' is not SageMaker's XGBoost image",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

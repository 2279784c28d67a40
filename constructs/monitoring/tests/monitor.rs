//! The default monitor (issue 17): schedule → rule → pipeline → processing
//! step, the job's and the pipeline's roles asked of the policy evaluator,
//! alarms on the metrics the job publishes, retraining, the rule pack, and
//! every validation with bad input.

use std::collections::BTreeMap;

use mlcdk_checks::policy::{Evaluator, Symbols};
use mlcdk_checks::{Options, check};
use mlcdk_core::schedule::Schedule;
use mlcdk_core::{Construct, Stack, Template};
use mlcdk_inference::*;
use mlcdk_monitoring::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps, ModelVersion};
use mlcdk_storage::{Bucket, BucketEncryption, BucketProps, KmsKey, KmsKeyProps};
use mlcdk_training::{FeatureBaseline, TrainingPipeline, TrainingPipelineProps};
use serde_json::{Value, json};

struct Fixture {
    stack: Stack,
    bucket: Bucket,
    training: TrainingPipeline,
    version: ModelVersion,
    serve: RealtimeEndpoint,
}

fn fixture(baseline: bool) -> Fixture {
    let mut stack = Stack::for_test();
    let bucket = Bucket::new(
        &mut stack,
        "Artifacts",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            ..Default::default()
        },
    );
    let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
    let training = TrainingPipeline::new(
        &mut stack,
        "Training",
        TrainingPipelineProps {
            baseline: baseline
                .then(|| FeatureBaseline::new(["tenure_months", "monthly_spend", "plan"])),
            register_into: Some((&registry).into()),
            ..TrainingPipelineProps::xgboost(bucket.prefix("features/"), bucket.prefix("pipeline/"))
        },
    );
    let version = registry.version(1).served_from(training.model_artifacts());
    let model = Model::new(&mut stack, "M", ModelProps::from_registry(version.clone()));
    let serve = RealtimeEndpoint::new(
        &mut stack,
        "Serve",
        RealtimeEndpointProps {
            data_capture: Some(DataCapture::sample(20, bucket.prefix("capture/"))),
            ..RealtimeEndpointProps::single(&model, mlcdk_sagemaker::InstanceType::m5_large())
        },
    );
    Fixture {
        stack,
        bucket,
        training,
        version,
        serve,
    }
}

fn ids_of(t: &Template, ty: &str, prefix: &str) -> Vec<String> {
    t.resources_of_type(ty)
        .map(|(id, _)| id.clone())
        .filter(|id| id.starts_with(prefix))
        .collect()
}

/// The decoded definition of the pipeline whose logical ID starts with
/// `prefix`, references as the evaluator's symbols.
fn definition(t: &Template, prefix: &str) -> Value {
    let id = &ids_of(t, "AWS::SageMaker::Pipeline", prefix)[0];
    let body = t.resources[id]
        .prop(&["PipelineDefinition", "PipelineDefinitionBody"])
        .unwrap();
    mlcdk_core::template::decode_document(body).expect("the definition decodes")
}

fn no_context() -> BTreeMap<String, Vec<String>> {
    BTreeMap::new()
}

#[test]
fn a_drift_monitor_is_a_scheduled_pipeline_whose_job_reads_the_window_and_publishes_metrics() {
    let Fixture {
        mut stack,
        bucket,
        training,
        version,
        serve,
    } = fixture(true);
    let volume = KmsKey::new(&mut stack, "Volume", KmsKeyProps::default());
    let alerts = AlertsTopic::new(&mut stack, "Alerts", AlertsTopicProps { emails: vec![] });
    let monitor = Monitor::new(
        &mut stack,
        "Drift",
        MonitorProps {
            drift_alarms: vec![
                DriftThreshold::new("monthly_spend", 0.2),
                DriftThreshold {
                    statistic: DriftStatistic::Distance,
                    ..DriftThreshold::new("plan", 0.3)
                },
            ],
            encryption_key: Some((&volume).into()),
            alerts: Some((&alerts).into()),
            ..MonitorProps::data_quality(
                &serve,
                Baseline::of_version(version.clone(), &training),
                bucket.prefix("monitoring/reports/"),
                MonitorSchedule::Hourly,
            )
        },
    );
    monitor.retrain_on_drift(&mut stack, "Retrain", &training);
    assert_eq!(monitor.alarms().len(), 2);
    assert_eq!(monitor.node_path().to_string(), "Drift");
    let psi = monitor.metric_drift("monthly_spend", DriftStatistic::Psi);
    assert_eq!(
        (psi.namespace.as_str(), psi.name.as_str()),
        (MONITOR_NAMESPACE, "psi")
    );
    assert_eq!(monitor.metric_no_data().name, "no_data");
    let t = stack.synth().unwrap().template;

    // No Model Monitor resource unless asked.
    for ty in [
        "AWS::SageMaker::MonitoringSchedule",
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::ModelQualityJobDefinition",
    ] {
        assert_eq!(t.resources_of_type(ty).count(), 0, "{ty}");
    }

    // The schedule starts the monitor's pipeline, hourly.
    let rule = &ids_of(&t, "AWS::Events::Rule", "DriftSchedule")[0];
    let rule = &t.resources[rule];
    assert_eq!(
        rule.prop(&["ScheduleExpression"]),
        Some(&json!("cron(0 * ? * * *)"))
    );
    let pipeline = &ids_of(&t, "AWS::SageMaker::Pipeline", "Drift")[0];
    assert!(
        rule.prop(&["Targets"])
            .unwrap()
            .to_string()
            .contains(&format!("{{\"Ref\":\"{pipeline}\"}}")),
        "{:?}",
        rule.prop(&["Targets"])
    );

    // One processing step: mlcdk's script in the scikit-learn image, the
    // window of one hour, the served version's baseline, the volume key.
    let def = definition(&t, "Drift");
    let steps = def["Steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1);
    let args = &steps[0]["Arguments"];
    assert_eq!(
        args["AppSpecification"]["ImageUri"],
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    );
    let entry: Vec<String> = args["AppSpecification"]["ContainerEntrypoint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let after = |flag: &str| -> &str {
        let i = entry
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("{flag} in {entry:?}"));
        &entry[i + 1]
    };
    assert_eq!(entry[1], "/opt/ml/processing/input/code/monitor.py");
    assert_eq!(after("--endpoint"), "test-staging-serve");
    assert_eq!(after("--mode"), "data-quality");
    assert_eq!(after("--window-hours"), "1");
    assert_eq!(after("--namespace"), "mlcdk/monitoring");
    assert_eq!(after("--region"), "us-east-1");
    assert!(after("--capture").ends_with("/capture/"), "{entry:?}");
    assert!(
        after("--baseline-package").ends_with(":model-package/test-staging-churn/1"),
        "{entry:?}"
    );
    assert!(
        args["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"].is_string(),
        "{args}"
    );
    assert_eq!(args["StoppingCondition"]["MaxRuntimeInSeconds"], 1800);
    assert_eq!(
        args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath"],
        "/opt/ml/processing/output/report"
    );

    // Alarms on the metrics the job publishes, per feature and statistic.
    let alarms: Vec<&mlcdk_core::template::Resource> =
        ids_of(&t, "AWS::CloudWatch::Alarm", "Drift")
            .iter()
            .map(|id| &t.resources[id])
            .collect();
    let metric = |a: &mlcdk_core::template::Resource| {
        (
            a.prop(&["MetricName"])
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
            a.prop(&["Dimensions"]).unwrap().clone(),
        )
    };
    let mut seen: Vec<(String, Value)> = alarms.iter().map(|a| metric(a)).collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            (
                "distance".into(),
                json!([{"Name": "Endpoint", "Value": "test-staging-serve"}, {"Name": "Feature", "Value": "plan"}])
            ),
            (
                "psi".into(),
                json!([{"Name": "Endpoint", "Value": "test-staging-serve"}, {"Name": "Feature", "Value": "monthly_spend"}])
            ),
        ]
    );
    for a in &alarms {
        assert_eq!(a.prop(&["Namespace"]), Some(&json!("mlcdk/monitoring")));
        assert_eq!(a.prop(&["Period"]), Some(&json!(3600)));
        assert_eq!(a.prop(&["Statistic"]), Some(&json!("Maximum")));
        assert_eq!(a.prop(&["TreatMissingData"]), Some(&json!("notBreaching")));
        assert!(a.prop(&["AlarmActions"]).is_some());
    }

    // Retraining: the alarms start the training pipeline.
    let retrain = &ids_of(&t, "AWS::Events::Rule", "Retrain")[0];
    let retrain = t.resources[retrain]
        .prop(&["EventPattern"])
        .unwrap()
        .to_string();
    for a in ids_of(&t, "AWS::CloudWatch::Alarm", "Drift") {
        assert!(retrain.contains(&a), "{retrain}");
    }

    // The rule pack: no run-time finding, and the capture is monitored.
    let report = check(&t, &Options::default());
    let bad: Vec<String> = report
        .active()
        .filter(|f| f.rule.starts_with("RT-") || f.rule == "SM-007")
        .map(|f| format!("{} {}: {}", f.rule, f.logical_id, f.message))
        .collect();
    assert_eq!(bad, Vec::<String>::new());

    // The job's role, asked of the policy evaluator.
    let ev = Evaluator::from_template(&t);
    let symbols = Symbols::new(&t);
    let job = &ids_of(&t, "AWS::IAM::Role", "DriftRole")[0];
    let pipeline_role = &ids_of(&t, "AWS::IAM::Role", "DriftPipelineRole")[0];
    let bucket_id = bucket.resource().logical_id().to_string();
    let objects = |key: &str| format!("{}/{key}", symbols.arn(&bucket_id));
    let capture = objects("capture/test-staging-serve/Primary/2026/12/02/05/a.jsonl");
    assert!(
        ev.can(job, "s3:GetObject", &capture, &no_context())
            .is_allowed()
    );
    assert!(
        ev.can(job, "s3:PutObject", &capture, &no_context())
            .is_denied()
    );
    let list = |prefix: &str| -> BTreeMap<String, Vec<String>> {
        [("s3:prefix".to_string(), vec![prefix.to_string()])].into()
    };
    assert!(
        ev.can(
            job,
            "s3:ListBucket",
            &symbols.arn(&bucket_id),
            &list("capture/test-staging-serve/")
        )
        .is_allowed()
    );
    // The served version's baseline, and nothing else the pipeline wrote.
    let package = symbols.resolve(&version.package_arn.to_json());
    assert!(
        ev.can(
            job,
            "sagemaker:DescribeModelPackage",
            &package,
            &no_context()
        )
        .is_allowed()
    );
    assert!(
        ev.can(
            job,
            "s3:GetObject",
            &objects("pipeline/exec-1/baseline/statistics.json"),
            &no_context()
        )
        .is_allowed()
    );
    assert!(
        ev.can(
            job,
            "s3:GetObject",
            &objects("pipeline/exec-1/models/model.tar.gz"),
            &no_context()
        )
        .is_denied()
    );
    assert!(
        ev.can(
            job,
            "s3:PutObject",
            &objects("monitoring/reports/exec-1/report.json"),
            &no_context()
        )
        .is_allowed()
    );
    // Metrics in its namespace only.
    let namespace = |ns: &str| -> BTreeMap<String, Vec<String>> {
        [("cloudwatch:namespace".to_string(), vec![ns.to_string()])].into()
    };
    assert!(
        ev.can(
            job,
            "cloudwatch:PutMetricData",
            "*",
            &namespace("mlcdk/monitoring")
        )
        .is_allowed()
    );
    assert!(
        ev.can(
            job,
            "cloudwatch:PutMetricData",
            "*",
            &namespace("AWS/SageMaker")
        )
        .is_denied()
    );
    // The volume key: SageMaker's grant.
    let key = symbols.arn(volume.resource().logical_id());
    let grant: BTreeMap<String, Vec<String>> = [(
        "kms:GrantIsForAWSResource".to_string(),
        vec!["true".to_string()],
    )]
    .into();
    assert!(ev.can(job, "kms:CreateGrant", &key, &grant).is_allowed());
    // The pipeline's role starts processing jobs as the job role, nothing else.
    let jobs = symbols.resolve(&json!({"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/x"}));
    assert!(
        ev.can(
            pipeline_role,
            "sagemaker:CreateProcessingJob",
            &jobs,
            &no_context()
        )
        .is_allowed()
    );
    let training_jobs = jobs.replace("processing-job", "training-job");
    assert!(
        ev.can(
            pipeline_role,
            "sagemaker:CreateTrainingJob",
            &training_jobs,
            &no_context()
        )
        .is_denied()
    );
    let passed: BTreeMap<String, Vec<String>> = [(
        "iam:PassedToService".to_string(),
        vec!["sagemaker.amazonaws.com".to_string()],
    )]
    .into();
    assert!(
        ev.can(pipeline_role, "iam:PassRole", &symbols.arn(job), &passed)
            .is_allowed()
    );
}

#[test]
fn a_model_quality_monitor_alarms_when_the_metric_gets_worse() {
    for (problem, metric, comparison, statistic) in [
        (
            ProblemType::Regression,
            QualityMetric::Rmse,
            "GreaterThanThreshold",
            "Maximum",
        ),
        (
            ProblemType::BinaryClassification,
            QualityMetric::Auc,
            "LessThanThreshold",
            "Minimum",
        ),
    ] {
        let Fixture {
            mut stack,
            bucket,
            serve,
            ..
        } = fixture(false);
        Monitor::new(
            &mut stack,
            "Quality",
            MonitorProps {
                quality_alarm: Some(QualityThreshold::new(metric, 0.5)),
                ..MonitorProps::model_quality(
                    &serve,
                    problem,
                    bucket.prefix("labels/"),
                    bucket.prefix("reports/"),
                    MonitorSchedule::Daily { hour: 4 },
                )
            },
        );
        let t = stack.synth().unwrap().template;
        let alarm = &t.resources[&ids_of(&t, "AWS::CloudWatch::Alarm", "Quality")[0]];
        assert_eq!(
            alarm.prop(&["MetricName"]),
            Some(&json!(metric.metric_name()))
        );
        assert_eq!(
            alarm.prop(&["ComparisonOperator"]),
            Some(&json!(comparison))
        );
        assert_eq!(alarm.prop(&["Statistic"]), Some(&json!(statistic)));
        assert_eq!(alarm.prop(&["Period"]), Some(&json!(86_400)));
        let def = definition(&t, "Quality");
        let entry =
            def["Steps"][0]["Arguments"]["AppSpecification"]["ContainerEntrypoint"].to_string();
        assert!(entry.contains("\"--mode\",\"model-quality\""), "{entry}");
        assert!(entry.contains("\"--window-hours\",\"24\""), "{entry}");
        assert!(entry.contains("/labels/"), "{entry}");
        // The ground truth is read, not written.
        let report = check(&t, &Options::default());
        assert!(
            report.active().all(|f| !f.rule.starts_with("RT-")),
            "{}",
            report.summary()
        );
    }
}

#[test]
fn every_bad_monitor_prop_is_refused_with_its_path() {
    let Fixture {
        mut stack,
        bucket,
        training,
        version,
        serve,
    } = fixture(true);
    let data = |baseline: Baseline| {
        MonitorProps::data_quality(
            &serve,
            baseline,
            bucket.prefix("r/"),
            MonitorSchedule::Hourly,
        )
    };
    let of_version = || Baseline::of_version(version.clone(), &training);
    let quality = |problem| {
        MonitorProps::model_quality(
            &serve,
            problem,
            bucket.prefix("labels/"),
            bucket.prefix("r/"),
            MonitorSchedule::Hourly,
        )
    };
    let cases: Vec<(&str, MonitorProps)> = vec![
        (
            "NoCapture",
            MonitorProps {
                capture: None,
                ..data(of_version())
            },
        ),
        (
            "Weekly",
            MonitorProps {
                schedule: Schedule::weekly("MON", 3),
                ..data(of_version())
            },
        ),
        (
            "LongRun",
            MonitorProps {
                max_runtime_seconds: 3601,
                ..data(of_version())
            },
        ),
        (
            "NoVolume",
            MonitorProps {
                volume_gb: 0,
                ..data(of_version())
            },
        ),
        (
            "AwsNamespace",
            MonitorProps {
                namespace: "AWS/SageMaker".into(),
                ..data(of_version())
            },
        ),
        (
            "NoScript",
            MonitorProps {
                script: MonitorScript::File(" ".into()),
                ..data(of_version())
            },
        ),
        (
            "UnknownFeature",
            MonitorProps {
                drift_alarms: vec![DriftThreshold::new("zip_code", 0.2)],
                ..data(of_version())
            },
        ),
        (
            "NanMax",
            MonitorProps {
                drift_alarms: vec![DriftThreshold::new("plan", f64::NAN)],
                ..data(of_version())
            },
        ),
        (
            "QualityOnData",
            MonitorProps {
                quality_alarm: Some(QualityThreshold::new(QualityMetric::Auc, 0.7)),
                ..data(of_version())
            },
        ),
        (
            "BadPackage",
            data(Baseline::Registered {
                version: ModelVersion::pinned("not-an-arn"),
                location: bucket.prefix("pipeline/"),
                features: None,
            }),
        ),
        (
            "DriftOnQuality",
            MonitorProps {
                drift_alarms: vec![DriftThreshold::new("plan", 0.2)],
                ..quality(ProblemType::BinaryClassification)
            },
        ),
        (
            "AucOnRegression",
            MonitorProps {
                quality_alarm: Some(QualityThreshold::new(QualityMetric::Auc, 0.7)),
                ..quality(ProblemType::Regression)
            },
        ),
        (
            "AccuracyAboveOne",
            MonitorProps {
                quality_alarm: Some(QualityThreshold::new(QualityMetric::Accuracy, 1.5)),
                ..quality(ProblemType::MulticlassClassification)
            },
        ),
        (
            "Threshold",
            MonitorProps {
                check: MonitorCheck::ModelQuality {
                    problem: ProblemType::BinaryClassification,
                    ground_truth: bucket.prefix("labels/"),
                    probability_threshold: 1.0,
                },
                ..quality(ProblemType::BinaryClassification)
            },
        ),
    ];
    for (id, props) in cases {
        Monitor::new(&mut stack, id, props);
    }
    // A training pipeline without a baseline gives none to monitor with.
    let bare = TrainingPipeline::new(
        &mut stack,
        "Bare",
        TrainingPipelineProps::xgboost(bucket.prefix("f/"), bucket.prefix("p/")),
    );
    Monitor::new(
        &mut stack,
        "NoBaseline",
        data(Baseline::of_version(version.clone(), &bare)),
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/NoCapture] endpoint 'test-staging-serve' captures no data",
        "[test-staging/Weekly] schedule: schedule 'cron(0 3 ? * MON *)' is not a form",
        "[test-staging/LongRun] max_runtime_seconds 3601 is out of range: 1 to 3600 (the schedule's interval",
        "[test-staging/NoVolume] volume_gb 0 is out of range: 1 to 16384",
        "[test-staging/AwsNamespace] namespace 'AWS/SageMaker' is not a CloudWatch namespace for custom metrics",
        "[test-staging/NoScript] script: MonitorScript::File needs the local file of the script",
        "[test-staging/UnknownFeature] drift alarm on 'zip_code': the baseline has no such feature (it has tenure_months, monthly_spend, plan)",
        "[test-staging/NanMax] drift alarm on 'plan': max",
        "[test-staging/QualityOnData] quality_alarm on auc needs a model-quality monitor",
        "[test-staging/BadPackage] baseline: 'not-an-arn' is not a model package ARN",
        "[test-staging/DriftOnQuality] drift_alarms watch the drift metrics of a data-quality monitor",
        "[test-staging/AucOnRegression] quality_alarm on auc: the job does not compute it for Regression",
        "[test-staging/AccuracyAboveOne] quality_alarm on accuracy: limit 1.5 is out of range: 0 to 1",
        "[test-staging/Threshold] probability_threshold 1 is out of range: above 0 and below 1",
        "[test-staging/NoBaseline] baseline: the training pipeline computes no baseline",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

#[test]
fn model_monitor_takes_the_default_drift_statistic_only() {
    let Fixture {
        mut stack,
        bucket,
        serve,
        ..
    } = fixture(false);
    ModelMonitor::new(
        &mut stack,
        "Legacy",
        ModelMonitorProps {
            drift_alarms: vec![DriftThreshold {
                statistic: DriftStatistic::Ks,
                ..DriftThreshold::new("plan", 0.2)
            }],
            ..ModelMonitorProps::data_quality(
                &serve,
                DataQuality {
                    statistics: bucket.prefix("b/statistics.json"),
                    constraints: bucket.prefix("b/constraints.json"),
                },
                bucket.prefix("r/"),
                MonitorSchedule::Hourly,
            )
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Legacy] drift alarm on 'plan': Model Monitor publishes one drift distance per feature"),
        "{errors}"
    );
}

/// RT-001 knows the monitoring script's contract: a job role that cannot
/// put metrics in its namespace, or read the capture, is a finding naming
/// the call (the mutation proves the rule reads the arguments).
#[test]
fn the_runtime_rules_ask_what_the_monitoring_job_does_through_the_apis() {
    let Fixture {
        mut stack,
        bucket,
        training,
        version,
        serve,
    } = fixture(true);
    Monitor::new(
        &mut stack,
        "Drift",
        MonitorProps::data_quality(
            &serve,
            Baseline::of_version(version, &training),
            bucket.prefix("reports/"),
            MonitorSchedule::Hourly,
        ),
    );
    let t = stack.synth().unwrap().template;
    let rt001 = |t: &Template| -> Vec<String> {
        check(t, &Options::default())
            .findings
            .into_iter()
            .filter(|f| f.rule == "RT-001")
            .map(|f| f.message)
            .collect()
    };
    assert_eq!(rt001(&t), Vec::<String>::new());
    for (dropped, expected) in [
        (
            "cloudwatch:PutMetricData",
            "publishes its metrics in mlcdk/monitoring",
        ),
        (
            "sagemaker:DescribeModelPackage",
            "looks up the served version's baseline",
        ),
    ] {
        let mut broken = t.clone();
        let job = ids_of(&broken, "AWS::IAM::Role", "DriftRole")[0].clone();
        let statements = broken.resources.get_mut(&job).unwrap().properties["Policies"][0]
            ["PolicyDocument"]["Statement"]
            .as_array_mut()
            .unwrap();
        let before = statements.len();
        statements.retain(|s| s["Action"] != json!(dropped));
        assert_eq!(statements.len(), before - 1, "{dropped}");
        let found = rt001(&broken);
        assert!(
            found.iter().any(|m| m.contains(expected)),
            "{dropped}: {found:#?}"
        );
    }
}

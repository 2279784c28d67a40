//! Monitoring: schedules, the alarm → rule → pipeline wiring, alerts, budgets,
//! and every validation with bad input.

use std::collections::BTreeMap;

use mlcdk_core::assertions::{Capture, Match, TemplateAssert};
use mlcdk_core::iam::{Grantee, PolicyStatement};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::schedule::{RateUnit, Schedule};
use mlcdk_core::{Construct, Expr, PhysicallyNamed, Stack};
use mlcdk_inference::*;
use mlcdk_monitoring::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
use mlcdk_sagemaker::{EndpointRef, InstanceType};
use mlcdk_storage::{Bucket, BucketProps};
use mlcdk_training::{TrainingPipeline, TrainingPipelineProps};
use serde_json::json;

struct World {
    bucket: Bucket,
    endpoint: RealtimeEndpoint,
    uncaptured: RealtimeEndpoint,
    training: TrainingPipeline,
}

fn world(stack: &mut Stack) -> World {
    let bucket = Bucket::new(stack, "Artifacts", BucketProps::default());
    let registry = ModelRegistry::new(stack, "Churn", ModelRegistryProps::default());
    let model = Model::new(stack, "M", ModelProps::from_registry(registry.version(1)));
    let mut serve = RealtimeEndpointProps::single(&model, InstanceType::m5_large());
    serve.data_capture = Some(DataCapture::sample(20, bucket.prefix("capture/")));
    let endpoint = RealtimeEndpoint::new(stack, "Serve", serve);
    let uncaptured = RealtimeEndpoint::new(
        stack,
        "Plain",
        RealtimeEndpointProps::single(&model, InstanceType::m5_large()),
    );
    let training = TrainingPipeline::new(
        stack,
        "Training",
        TrainingPipelineProps::xgboost(bucket.prefix("features/"), bucket.prefix("pipeline/")),
    );
    World {
        bucket,
        endpoint,
        uncaptured,
        training,
    }
}

fn baseline(b: &Bucket) -> DataQuality {
    DataQuality {
        statistics: b.prefix("baseline/statistics.json"),
        constraints: b.prefix("baseline/constraints.json"),
    }
}

fn data_quality(
    b: &Bucket,
    endpoint: &RealtimeEndpoint,
    schedule: impl Into<Schedule>,
) -> ModelMonitorProps {
    ModelMonitorProps::data_quality(endpoint, baseline(b), b.prefix("reports/"), schedule)
}

fn alerts() -> TopicRef {
    TopicRef::from_arn(Expr::lit("arn:aws:sns:us-east-1:111111111111:alerts"))
}

#[test]
fn schedule_forms() {
    assert_eq!(
        MonitorSchedule::Hourly.expression().unwrap(),
        "cron(0 * ? * * *)"
    );
    assert_eq!(
        MonitorSchedule::Daily { hour: 3 }.expression().unwrap(),
        "cron(0 3 ? * * *)"
    );
    assert_eq!(
        MonitorSchedule::EveryHours { start: 0, every: 6 }
            .expression()
            .unwrap(),
        "cron(0 0/6 ? * * *)"
    );
    let narrow = |text: &str| text.parse::<Schedule>().and_then(MonitorSchedule::try_from);
    assert_eq!(narrow("cron(0 * ? * * *)"), Ok(MonitorSchedule::Hourly));
    // The core schedule's own hourly and daily forms narrow too.
    assert_eq!(
        MonitorSchedule::try_from(Schedule::hourly()),
        Ok(MonitorSchedule::Hourly)
    );
    assert_eq!(
        MonitorSchedule::try_from(Schedule::daily(3)),
        Ok(MonitorSchedule::Daily { hour: 3 })
    );
    assert_eq!(narrow("rate(1 hour)"), Ok(MonitorSchedule::Hourly));
    assert_eq!(
        narrow("rate(6 hours)"),
        Ok(MonitorSchedule::EveryHours { start: 0, every: 6 })
    );
    assert_eq!(
        narrow("rate(1 day)"),
        Ok(MonitorSchedule::Daily { hour: 0 })
    );
    assert_eq!(
        narrow("cron(0 5 ? * * *)"),
        Ok(MonitorSchedule::Daily { hour: 5 })
    );
    assert_eq!(
        narrow("cron(0 2/4 ? * * *)"),
        Ok(MonitorSchedule::EveryHours { start: 2, every: 4 })
    );
    // Round trip: every form is a schedule and narrows back to itself.
    for m in [
        MonitorSchedule::Hourly,
        MonitorSchedule::Daily { hour: 23 },
        MonitorSchedule::EveryHours { start: 1, every: 6 },
    ] {
        assert_eq!(MonitorSchedule::try_from(Schedule::from(m)), Ok(m));
        assert_eq!(Schedule::from(m).expression(), m.expression());
    }
    for bad in [
        "rate(30 minutes)",
        "rate(2 days)",
        "rate(25 hours)",
        "cron(15 * ? * * *)",
        "cron(0 3 ? * MON *)",
        "cron(0 3 1 * ? *)",
        "cron(0 25 ? * * *)",
        "NOW",
    ] {
        let e = narrow(bad).unwrap_err();
        assert!(
            e.contains("not a form Model Monitor accepts")
                || e.contains("hours are 0 to 23")
                || e.contains("interval 1 to 24")
                || e.contains("cron"),
            "{bad}: {e}"
        );
    }
    assert!(
        MonitorSchedule::Daily { hour: 24 }
            .expression()
            .unwrap_err()
            .contains("hours are 0 to 23")
    );
    assert!(
        MonitorSchedule::EveryHours { start: 0, every: 0 }
            .expression()
            .unwrap_err()
            .contains("interval 1 to 24")
    );
}

#[test]
fn data_quality_monitor_alarms_and_retraining_wiring() {
    let mut stack = Stack::for_test();
    let w = world(&mut stack);
    let monitor = ModelMonitor::new(
        &mut stack,
        "Drift",
        ModelMonitorProps {
            drift_alarms: vec![DriftThreshold::new("monthly_spend", 0.2)],
            alerts: Some(alerts()),
            ..data_quality(&w.bucket, &w.endpoint, MonitorSchedule::Hourly)
        },
    );
    assert_eq!(monitor.physical_name(), "test-staging-drift");
    assert_eq!(monitor.node_path().to_string(), "Drift");
    assert_eq!(monitor.arn(), monitor.resource().reference());
    let retrain = monitor.retrain_on_drift(&mut stack, "Retrain", &w.training);
    // The rule is at the construct's own path, as before it was a construct.
    assert_eq!(retrain.node_path().to_string(), "Retrain");
    let t = TemplateAssert::new(stack.synth().unwrap().template);

    t.has_resource_properties(
        "AWS::SageMaker::DataQualityJobDefinition",
        json!({
            "DataQualityAppSpecification": {
                "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
                "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
            "DataQualityJobInput": {"EndpointInput": {"EndpointName": {"Fn::GetAtt": ["Serve512DB17D", "EndpointName"]}}},
            "NetworkConfig": {"EnableNetworkIsolation": true, "EnableInterContainerTrafficEncryption": true},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}
        }),
    );
    // The endpoint's name is a reference: the schedule is created after it.
    t.has_resource(
        "AWS::SageMaker::MonitoringSchedule",
        json!({"Properties": {
            "MonitoringScheduleName": "test-staging-drift",
            "EndpointName": {"Fn::GetAtt": ["Serve512DB17D", "EndpointName"]},
            "MonitoringScheduleConfig": {"MonitoringType": "DataQuality",
                "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}}}),
    );
    // The drift alarm watches Model Monitor's metric for this endpoint and schedule.
    let alarm_id = Capture::new();
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"Namespace": "aws/sagemaker/Endpoints/data-metrics",
               "MetricName": "feature_baseline_drift_monthly_spend",
               "Dimensions": [{"Name": "Endpoint", "Value": "test-staging-serve"},
                              {"Name": "MonitoringSchedule", "Value": "test-staging-drift"}],
               "Threshold": 0.2, "ComparisonOperator": "GreaterThanThreshold",
               "AlarmActions": ["arn:aws:sns:us-east-1:111111111111:alerts"]}),
    );
    let drift = t.find_resources(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "feature_baseline_drift_monthly_spend"}),
    );
    let (drift_id, _) = drift.iter().next().unwrap();
    // The rule matches that alarm entering ALARM and starts the pipeline.
    t.has_resource_properties(
        "AWS::Events::Rule",
        Match::object([
            (
                "EventPattern",
                Match::exact(json!({
                    "source": ["aws.cloudwatch"],
                    "detail-type": ["CloudWatch Alarm State Change"],
                    "detail": {"alarmName": [{"Ref": drift_id}], "state": {"value": ["ALARM"]}}
                })),
            ),
            (
                "Targets",
                Match::array_with([Match::object_like(json!({
                    "Arn": {"Fn::Join": ["", [{"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/"}, {"Ref": "TrainingPipeline6C07D285"}]]},
                    "RoleArn": {"Fn::GetAtt": ["RetrainRole77F8710C", "Arn"]}
                }))]),
            ),
        ]),
    );
    let _ = alarm_id;
    // And that role may start this pipeline only.
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "events.amazonaws.com"}}]},
               "Policies": [{"PolicyDocument": {"Statement": [{"Action": "sagemaker:StartPipelineExecution",
                   "Resource": {"Fn::Join": ["", [{"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/"}, {"Ref": "TrainingPipeline6C07D285"}]]}}]}}]}),
    );
}

#[test]
fn model_quality_monitor() {
    let mut stack = Stack::for_test();
    let w = world(&mut stack);
    ModelMonitor::new(
        &mut stack,
        "Quality",
        ModelMonitorProps::model_quality(
            &w.endpoint,
            ModelQuality {
                problem: ProblemType::BinaryClassification,
                constraints: w.bucket.prefix("baseline/quality.json"),
                ground_truth: w.bucket.prefix("labels/"),
                inference_attribute: "prediction".into(),
            },
            w.bucket.prefix("reports/"),
            MonitorSchedule::Daily { hour: 4 },
        ),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::ModelQualityJobDefinition",
        json!({"ModelQualityAppSpecification": {"ProblemType": "BinaryClassification"},
               "ModelQualityJobInput": {"EndpointInput": {"InferenceAttribute": "prediction"},
                   "GroundTruthS3Input": {"S3Uri": {"Fn::Join": ["", ["s3://", {"Ref": "Artifacts82DD59A1"}, "/labels/"]]}}}}),
    );
    t.has_resource_properties(
        "AWS::SageMaker::MonitoringSchedule",
        json!({"MonitoringScheduleConfig": {"MonitoringType": "ModelQuality", "ScheduleConfig": {"ScheduleExpression": "cron(0 4 ? * * *)"}}}),
    );
}

#[test]
fn monitor_validations() {
    let mut stack = Stack::for_test();
    let w = world(&mut stack);
    assert!("xlarge".parse::<InstanceType>().is_err());
    ModelMonitor::new(
        &mut stack,
        "NoCapture",
        data_quality(&w.bucket, &w.uncaptured, MonitorSchedule::Hourly),
    );
    ModelMonitor::new(
        &mut stack,
        "Imported",
        ModelMonitorProps {
            endpoint: EndpointRef::from_name("elsewhere", ["AllTraffic"]),
            capture: None,
            ..data_quality(&w.bucket, &w.endpoint, MonitorSchedule::Hourly)
        },
    );
    ModelMonitor::new(
        &mut stack,
        "Bad",
        ModelMonitorProps {
            max_runtime_seconds: 7200,
            volume_gb: 0,
            drift_alarms: vec![
                DriftThreshold::new("", 0.1),
                DriftThreshold::new("x", -1.0),
                DriftThreshold::new("y", f64::NAN),
                DriftThreshold::new("z", f64::INFINITY),
            ],
            ..data_quality(&w.bucket, &w.endpoint, MonitorSchedule::Hourly)
        },
    );
    ModelMonitor::new(
        &mut stack,
        "Time",
        data_quality(&w.bucket, &w.endpoint, MonitorSchedule::Daily { hour: 30 }),
    );
    ModelMonitor::new(
        &mut stack,
        "Weekly",
        data_quality(&w.bucket, &w.endpoint, Schedule::weekly("MON", 3)),
    );
    ModelMonitor::new(
        &mut stack,
        "Rate",
        data_quality(
            &w.bucket,
            &w.endpoint,
            Schedule::Rate(15, RateUnit::Minutes),
        ),
    );
    ModelMonitor::new(
        &mut stack,
        "Quality",
        ModelMonitorProps {
            drift_alarms: vec![DriftThreshold::new("x", 0.1)],
            ..ModelMonitorProps::model_quality(
                &w.endpoint,
                ModelQuality {
                    problem: ProblemType::Regression,
                    constraints: w.bucket.prefix("q/constraints.json"),
                    ground_truth: w.bucket.prefix("labels/"),
                    inference_attribute: " ".into(),
                },
                w.bucket.prefix("q/"),
                MonitorSchedule::Hourly,
            )
        },
    );
    let m = ModelMonitor::new(
        &mut stack,
        "NoAlarms",
        data_quality(&w.bucket, &w.endpoint, MonitorSchedule::Hourly),
    );
    // Same name, same signature as on DriftAlarm: the handle, and an error.
    let _: RetrainOnAlarm = m.retrain_on_drift(&mut stack, "Retrain", &w.training);
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/NoCapture] endpoint 'test-staging-plain' captures no data",
        "[test-staging/Imported] endpoint 'elsewhere' captures no data",
        "[test-staging/Bad] max_runtime_seconds 7200 exceeds the schedule's interval (3600 s)",
        "[test-staging/Bad] volume_gb 0 is out of range: 1 to 16384",
        "[test-staging/Bad] drift alarm with max 0.1 has no feature name",
        "[test-staging/Bad] drift alarm on 'x': max -1 is out of range; accepted: a finite number above 0 and at most 2^360",
        "[test-staging/Bad] drift alarm on 'y': max NaN is not a finite number",
        "[test-staging/Bad] drift alarm on 'z': max inf is not a finite number",
        "[test-staging/Time] schedule: cron expression '0 30 ? * * *': '30' is not valid in hours (values 0–23)",
        "[test-staging/Weekly] schedule: schedule 'cron(0 3 ? * MON *)' is not a form Model Monitor accepts",
        "[test-staging/Rate] schedule: schedule 'rate(15 minutes)' is not a form Model Monitor accepts",
        "[test-staging/Quality] model quality: inference_attribute is empty",
        "[test-staging/Quality] drift_alarms watch the feature_baseline_drift_<feature> metrics",
        "[test-staging/Retrain] no alarms to retrain on",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

#[test]
fn custom_metric_drift_alarm_retrains_too() {
    let mut stack = Stack::for_test();
    let w = world(&mut stack);
    let alarm = DriftAlarm::new(
        &mut stack,
        "OwnDrift",
        DriftAlarmProps {
            alerts: Some(alerts()),
            ..DriftAlarmProps::new(CustomMetric {
                dimensions: BTreeMap::from([("Model".into(), "churn".into())]),
                evaluation_periods: 2,
                ..CustomMetric::new("Churn/Drift", "psi", 0.25)
            })
        },
    );
    assert_eq!(alarm.name(), alarm.resource().reference());
    alarm.retrain_on_drift(&mut stack, "RetrainOwn", &w.training);
    // Alarms of several sources retrain one pipeline: a construct of its own.
    RetrainOnAlarm::new(
        &mut stack,
        "RetrainAll",
        RetrainOnAlarmProps::new(vec![alarm.resource().clone()], &w.training),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"Namespace": "Churn/Drift", "MetricName": "psi", "EvaluationPeriods": 2,
               "Dimensions": [{"Name": "Model", "Value": "churn"}],
               "AlarmActions": ["arn:aws:sns:us-east-1:111111111111:alerts"]}),
    );
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({"EventPattern": {"detail": {"alarmName": [{"Ref": "OwnDrift836B5164"}]}}}),
    );

    let mut stack = Stack::for_test();
    DriftAlarm::new(
        &mut stack,
        "Bad",
        DriftAlarmProps::new(CustomMetric {
            period_seconds: 45,
            evaluation_periods: 0,
            ..CustomMetric::new("", "psi", 1.0)
        }),
    );
    DriftAlarm::new(
        &mut stack,
        "Nan",
        DriftAlarmProps::new(CustomMetric::new("n", "psi", f64::NAN)),
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("a drift alarm needs a namespace and a metric name"),
        "{errors}"
    );
    assert!(errors.mentions("period 45 s is invalid"));
    assert!(errors.mentions("0 periods of 45 s"));
    assert!(
        errors.mentions("[test-staging/Nan] threshold NaN is not a finite number"),
        "{errors}"
    );
}

#[test]
fn alerts_topic_is_encrypted_and_open_to_the_publishers() {
    let mut stack = Stack::for_test();
    AlertsTopic::new(
        &mut stack,
        "Alerts",
        AlertsTopicProps {
            emails: vec!["oncall@example.com".into(), "nope".into()],
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions(
            "[test-staging/Alerts] emails[1]: \"nope\" is not an email address: it has no '@'"
        ),
        "{errors}"
    );

    let mut stack = Stack::for_test();
    AlertsTopic::new(
        &mut stack,
        "Alerts",
        AlertsTopicProps {
            emails: vec!["oncall@example.com".into()],
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SNS::Topic",
        json!({"KmsMasterKeyId": {"Fn::GetAtt": ["AlertsKey9E1197AF", "Arn"]}}),
    );
    let publishers = json!([
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
        "budgets.amazonaws.com"
    ]);
    t.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        json!({"PolicyDocument": {"Statement": [{"Action": "sns:Publish", "Principal": {"Service": publishers}}]}}),
    );
    t.has_resource_properties(
        "AWS::KMS::Key",
        Match::object([(
            "KeyPolicy",
            Match::object([(
                "Statement",
                Match::array_with([Match::object_like(
                    json!({"Principal": {"Service": publishers}}),
                )]),
            )]),
        )]),
    );
    t.has_resource_properties(
        "AWS::SNS::Subscription",
        json!({"Protocol": "email", "Endpoint": "oncall@example.com"}),
    );
}

#[test]
fn budget_and_its_limits() {
    let mut stack = Stack::for_test();
    Budget::new(
        &mut stack,
        "Budget",
        BudgetProps::monthly(500, Some(alerts())),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::Budgets::Budget",
        json!({"Budget": {"BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": 500, "Unit": "USD"},
                          "CostFilters": {"TagKeyValue": ["user:stage$staging"]}},
               "NotificationsWithSubscribers": [
                   {"Notification": {"NotificationType": "ACTUAL", "Threshold": 80.0, "ThresholdType": "PERCENTAGE", "ComparisonOperator": "GREATER_THAN"},
                    "Subscribers": [{"SubscriptionType": "SNS", "Address": "arn:aws:sns:us-east-1:111111111111:alerts"}]},
                   {"Notification": {"NotificationType": "FORECASTED", "Threshold": 100.0}}]}),
    );

    let mut stack = Stack::for_test();
    let alert = |emails: usize, topic: bool| BudgetAlert {
        signal: BudgetSignal::Actual,
        percent: 50.0,
        emails: (0..emails).map(|i| format!("p{i}@example.com")).collect(),
        topic: topic.then(alerts),
    };
    Budget::new(
        &mut stack,
        "TooMany",
        BudgetProps {
            monthly_usd: 100,
            alerts: (0..6).map(|_| alert(1, false)).collect(),
        },
    );
    Budget::new(
        &mut stack,
        "Crowded",
        BudgetProps {
            monthly_usd: 100,
            alerts: vec![alert(11, true), alert(0, false)],
        },
    );
    Budget::new(
        &mut stack,
        "Zero",
        BudgetProps {
            monthly_usd: 0,
            alerts: vec![BudgetAlert {
                percent: 0.0,
                ..alert(1, false)
            }],
        },
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/TooMany] 6 notifications; a budget has at most 5",
        "[test-staging/Crowded] notification 1 has 12 subscribers; a notification has 1 to 11",
        "[test-staging/Crowded] notification 2 has 0 subscribers",
        "[test-staging/Zero] monthly_usd must be above 0",
        "[test-staging/Zero] notification 1: threshold 0 is out of range; accepted: a finite number above 0 and at most 1000 (percent of the budget)",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

const PERCENTS: &str = "a finite number above 0 and at most 1000 (percent of the budget)";

const RULE: &str = "(accepted: exactly one '@', 1 to 64 characters before it, a domain with a dot, at most 254 characters, no whitespace or control characters)";

#[test]
fn alert_emails_follow_the_documented_rule_and_are_not_repeated() {
    let mut stack = Stack::for_test();
    let long_local = format!("{}@example.com", "a".repeat(5000));
    let long_total = format!("a@{}.com", "b".repeat(250));
    AlertsTopic::new(
        &mut stack,
        "Alerts",
        AlertsTopicProps {
            emails: vec![
                "oncall@example.com".into(),
                "on\ncall@example.com".into(),
                "oncall@example.com\u{202e}".into(),
                "a@b@example.com".into(),
                "@example.com".into(),
                long_local,
                long_total,
                "oncall@localhost".into(),
                "oncall@example.".into(),
                "oncall@example..com".into(),
                "OnCall@Example.com".into(),
                "x.y+tag@sub.example.co.uk".into(),
            ],
        },
    );
    let errors = stack.synth().unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let at = "[test-staging/Alerts] ";
    assert_eq!(
        messages,
        [
            format!(
                "{at}emails[1]: \"on\\ncall@example.com\" is not an email address: it contains whitespace, a control or an invisible character {RULE}"
            ),
            format!(
                "{at}emails[2]: \"oncall@example.com\\u{{202e}}\" is not an email address: it contains whitespace, a control or an invisible character {RULE}"
            ),
            format!(
                "{at}emails[3]: \"a@b@example.com\" is not an email address: it has 2 '@' {RULE}"
            ),
            format!(
                "{at}emails[4]: \"@example.com\" is not an email address: nothing comes before the '@' {RULE}"
            ),
            format!(
                "{at}emails[5]: \"{}\"… (5012 characters) is not an email address: it has 5012 characters, at most 254 are accepted {RULE}",
                "a".repeat(60)
            ),
            format!(
                "{at}emails[6]: \"a@{}\"… (256 characters) is not an email address: it has 256 characters, at most 254 are accepted {RULE}",
                "b".repeat(58)
            ),
            format!(
                "{at}emails[7]: \"oncall@localhost\" is not an email address: the domain \"localhost\" needs a dot between non-empty parts {RULE}"
            ),
            format!(
                "{at}emails[8]: \"oncall@example.\" is not an email address: the domain \"example.\" needs a dot between non-empty parts {RULE}"
            ),
            format!(
                "{at}emails[9]: \"oncall@example..com\" is not an email address: the domain \"example..com\" needs a dot between non-empty parts {RULE}"
            ),
            format!(
                "{at}emails[10]: \"OnCall@Example.com\" repeats emails[0]; subscribe each address once"
            ),
        ]
    );

    let mut stack = Stack::for_test();
    let local_65 = format!("{}@example.com", "a".repeat(65));
    AlertsTopic::new(
        &mut stack,
        "Alerts",
        AlertsTopicProps {
            emails: vec![local_65, format!("{}@example.com", "a".repeat(64))],
        },
    );
    let errors = stack.synth().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(
        errors.mentions("emails[0]: ") && errors.mentions("is not an email address: the part before the '@' has 65 characters, at most 64 are accepted"),
        "{errors}"
    );
}

#[test]
fn budget_emails_are_checked_and_a_nan_threshold_does_not_panic() {
    let mut stack = Stack::for_test();
    Budget::new(
        &mut stack,
        "Budget",
        BudgetProps {
            monthly_usd: 100,
            alerts: vec![
                BudgetAlert {
                    signal: BudgetSignal::Actual,
                    percent: 80.0,
                    emails: vec![
                        "finance@example.com".into(),
                        "FINANCE@example.com".into(),
                        "finance".into(),
                    ],
                    topic: None,
                },
                BudgetAlert {
                    signal: BudgetSignal::Forecasted,
                    percent: f64::NAN,
                    emails: vec!["finance@example.com".into()],
                    topic: None,
                },
                BudgetAlert {
                    signal: BudgetSignal::Forecasted,
                    percent: f64::INFINITY,
                    emails: vec!["finance@example.com".into()],
                    topic: None,
                },
            ],
        },
    );
    let errors = stack.synth().unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let at = "[test-staging/Budget] ";
    assert_eq!(
        messages,
        [
            format!(
                "{at}notification 1 emails[1]: \"FINANCE@example.com\" repeats notification 1 emails[0]; subscribe each address once"
            ),
            format!(
                "{at}notification 1 emails[2]: \"finance\" is not an email address: it has no '@' {RULE}"
            ),
            format!(
                "{at}notification 2: threshold NaN is not a finite number; accepted: {PERCENTS}"
            ),
            format!(
                "{at}notification 3: threshold inf is not a finite number; accepted: {PERCENTS}"
            ),
        ]
    );
}

#[test]
fn an_imported_endpoint_is_monitored_and_the_monitor_is_a_grantee() {
    let mut stack = Stack::for_test();
    let w = world(&mut stack);
    let monitor = ModelMonitor::new(
        &mut stack,
        "Shared",
        ModelMonitorProps {
            endpoint: EndpointRef::from_name("fraud-prod-scoring", ["AllTraffic"]),
            capture: Some(w.bucket.prefix("shared-capture/")),
            drift_alarms: vec![DriftThreshold::new("amount", 0.3)],
            ..data_quality(&w.bucket, &w.endpoint, Schedule::daily(2))
        },
    );
    monitor.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:GetObject"])
            .resources(["arn:aws:s3:::extra/*"]),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::MonitoringSchedule",
        json!({"EndpointName": "fraud-prod-scoring",
               "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": "cron(0 2 ? * * *)"}}}),
    );
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"Dimensions": [{"Name": "Endpoint", "Value": "fraud-prod-scoring"},
                              {"Name": "MonitoringSchedule", "Value": "test-staging-shared"}]}),
    );
    let role = format!("{:?}", monitor.role().policy());
    assert!(role.contains("arn:aws:s3:::extra/*"), "{role}");
}

#[test]
fn handles_of_the_topic_and_the_budget() {
    let mut stack = Stack::for_test();
    let topic = AlertsTopic::new(&mut stack, "Alerts", AlertsTopicProps::default());
    assert_eq!(topic.node_path().to_string(), "Alerts");
    assert_eq!(TopicRef::from(&topic).arn(), topic.arn());
    assert_eq!(topic.name(), topic.resource().get_att("TopicName"));
    let budget = Budget::new(
        &mut stack,
        "Budget",
        BudgetProps::monthly(100, Some((&topic).into())),
    );
    assert_eq!(budget.physical_name(), "test-staging-Budget");
    assert_eq!(budget.name(), budget.resource().reference());
    assert_eq!(budget.node_path().to_string(), "Budget");
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::Budgets::Budget",
        json!({"Budget": {"BudgetName": "test-staging-Budget"}}),
    );
}

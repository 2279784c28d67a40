//! Monitoring: schedules, the alarm → rule → pipeline wiring, alerts, budgets,
//! and every validation with bad input.

use mlcdk_core::assertions::{Capture, Match, TemplateAssert};
use mlcdk_core::{Expr, Stack};
use mlcdk_inference::*;
use mlcdk_monitoring::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
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
    let mut serve = RealtimeEndpointProps::single(&model, "ml.m5.large");
    serve.data_capture = Some(DataCapture::sample(20, bucket.path("capture/")));
    let endpoint = RealtimeEndpoint::new(stack, "Serve", serve);
    let uncaptured = RealtimeEndpoint::new(
        stack,
        "Plain",
        RealtimeEndpointProps::single(&model, "ml.m5.large"),
    );
    let training = TrainingPipeline::new(
        stack,
        "Training",
        TrainingPipelineProps::xgboost(bucket.path("features/"), bucket.path("pipeline/")),
    );
    World {
        bucket,
        endpoint,
        uncaptured,
        training,
    }
}

fn data_quality(b: &Bucket, schedule: MonitorSchedule) -> MonitorProps {
    MonitorProps::data_quality(
        b.path("baseline/statistics.json"),
        b.path("baseline/constraints.json"),
        b.path("reports/"),
        schedule,
    )
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
    assert_eq!(
        MonitorSchedule::parse("cron(0 * ? * * *)"),
        Ok(MonitorSchedule::Hourly)
    );
    assert_eq!(
        MonitorSchedule::parse("cron(0 5 ? * * *)"),
        Ok(MonitorSchedule::Daily { hour: 5 })
    );
    assert_eq!(
        MonitorSchedule::parse("cron(0 2/4 ? * * *)"),
        Ok(MonitorSchedule::EveryHours { start: 2, every: 4 })
    );
    for bad in [
        "rate(1 hour)",
        "cron(15 * ? * * *)",
        "cron(0 3 * * ? *)",
        "cron(0 3 ? * MON *)",
        "cron(0 25 ? * * *)",
        "NOW",
    ] {
        let e = MonitorSchedule::parse(bad).unwrap_err();
        assert!(
            e.contains("not a form Model Monitor accepts") || e.contains("hours are 0 to 23"),
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
    let mut props = data_quality(&w.bucket, MonitorSchedule::Hourly);
    props.drift_alarms = vec![("monthly_spend".into(), 0.2)];
    props.alerts = Some(Expr::lit("arn:aws:sns:us-east-1:111111111111:alerts"));
    let monitor = Monitor::new(&mut stack, "Drift", &w.endpoint, props);
    assert_eq!(monitor.schedule_name(), "test-staging-drift");
    monitor
        .retrain_on_drift(&mut stack, "Retrain", &w.training)
        .unwrap();
    let t = TemplateAssert::new(stack.synth().unwrap().template);

    t.has_resource_properties(
        "AWS::SageMaker::DataQualityJobDefinition",
        json!({
            "DataQualityAppSpecification": {
                "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
                "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
            "DataQualityJobInput": {"EndpointInput": {"EndpointName": "test-staging-serve"}},
            "NetworkConfig": {"EnableNetworkIsolation": true, "EnableInterContainerTrafficEncryption": true},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}
        }),
    );
    t.has_resource(
        "AWS::SageMaker::MonitoringSchedule",
        json!({"DependsOn": ["Serve512DB17D"], "Properties": {
            "MonitoringScheduleName": "test-staging-drift",
            "EndpointName": "test-staging-serve",
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
                    "Arn": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/test-staging-training-pipeline"},
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
                   "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/test-staging-training-pipeline"}}]}}]}),
    );
}

#[test]
fn model_quality_monitor() {
    let mut stack = Stack::for_test();
    let w = world(&mut stack);
    Monitor::new(
        &mut stack,
        "Quality",
        &w.endpoint,
        MonitorProps {
            kind: MonitorKind::ModelQuality {
                problem: ProblemType::BinaryClassification,
                constraints: w.bucket.path("baseline/quality.json"),
                ground_truth: w.bucket.path("labels/"),
                inference_attribute: "prediction".into(),
            },
            ..data_quality(&w.bucket, MonitorSchedule::Daily { hour: 4 })
        },
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
    Monitor::new(
        &mut stack,
        "NoCapture",
        &w.uncaptured,
        data_quality(&w.bucket, MonitorSchedule::Hourly),
    );
    Monitor::new(
        &mut stack,
        "Bad",
        &w.endpoint,
        MonitorProps {
            instance: "xlarge".into(),
            max_runtime_seconds: 7200,
            drift_alarms: vec![("".into(), 0.1), ("x".into(), -1.0)],
            ..data_quality(&w.bucket, MonitorSchedule::Hourly)
        },
    );
    Monitor::new(
        &mut stack,
        "Time",
        &w.endpoint,
        data_quality(&w.bucket, MonitorSchedule::Daily { hour: 30 }),
    );
    let m = Monitor::new(
        &mut stack,
        "NoAlarms",
        &w.endpoint,
        data_quality(&w.bucket, MonitorSchedule::Hourly),
    );
    assert!(
        m.retrain_on_drift(&mut stack, "Retrain", &w.training)
            .is_none()
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/NoCapture] endpoint 'test-staging-plain' captures no data",
        "[test-staging/Bad] instance type 'xlarge' is invalid",
        "[test-staging/Bad] max_runtime_seconds 7200 exceeds the hourly schedule's interval (3600 s)",
        "[test-staging/Bad] drift alarm with threshold 0.1 has no feature name",
        "[test-staging/Bad] drift alarm on 'x': threshold -1 is out of range; accepted: a finite number above 0 and at most 2^360",
        "[test-staging/Time] schedule: daily at hour 30: hours are 0 to 23",
        "[test-staging/Retrain] the monitor has no drift alarms to retrain on",
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
        CustomMetric {
            namespace: "Churn/Drift".into(),
            metric: "psi".into(),
            dimensions: vec![("Model".into(), "churn".into())],
            threshold: 0.25,
            period_seconds: 3600,
            evaluation_periods: 2,
        },
        None,
    );
    alarm.retrain_on_drift(&mut stack, "RetrainOwn", &w.training);
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"Namespace": "Churn/Drift", "MetricName": "psi", "EvaluationPeriods": 2}),
    );
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({"EventPattern": {"detail": {"alarmName": [{"Ref": "OwnDrift836B5164"}]}}}),
    );

    let mut stack = Stack::for_test();
    DriftAlarm::new(
        &mut stack,
        "Bad",
        CustomMetric {
            namespace: "".into(),
            metric: "psi".into(),
            dimensions: vec![],
            threshold: 1.0,
            period_seconds: 45,
            evaluation_periods: 0,
        },
        None,
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("a drift alarm needs a namespace and a metric name"),
        "{errors}"
    );
    assert!(errors.mentions("period 45 s is invalid"));
    assert!(errors.mentions("0 periods of 45 s"));
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
        BudgetProps::monthly(
            500,
            Some(Expr::lit("arn:aws:sns:us-east-1:111111111111:alerts")),
        ),
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
        topic: topic.then(|| Expr::lit("arn:aws:sns:us-east-1:111111111111:t")),
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

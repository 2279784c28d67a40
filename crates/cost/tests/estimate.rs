//! The arithmetic on small templates with known prices.

use mlcdk_core::Template;
use mlcdk_cost::{Assumptions, Guard, PriceTable, estimate, render};
use serde_json::{Value, json};

fn prices() -> PriceTable {
    PriceTable::from_toml_str(
        r#"
        region = "us-east-1"
        date = "2026-11-29"
        source = "test"
        [sagemaker.hosting]
        "ml.m5.large" = 0.1
        [sagemaker.training]
        "ml.m5.xlarge" = 0.2
        [sagemaker.processing]
        "ml.m5.large" = 0.1
        [serverless]
        per_gb_second = 0.00002
        provisioned_per_gb_second = 0.00001
        per_gb_processed = 0.016
        [glue]
        job_dpu_hour = 0.44
        [fixed]
        kms_key_month = 1.0
        alarm_month = 0.1
        alarm_high_resolution_month = 0.3
        budget_notifications_month = 0.0
        [s3]
        standard_gb_month = 0.023
        [athena]
        tb_scanned = 5.0
        "#,
    )
    .unwrap()
}

fn template(resources: Value) -> Template {
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

fn endpoint(variant: Value) -> Value {
    json!({
        "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [variant]}},
        "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "ep",
            "EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}}
    })
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a known amount");
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

#[test]
fn realtime_variant_from_min_to_max_capacity() {
    let mut r = endpoint(
        json!({"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}),
    );
    r["Scaling"] = json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
        "ResourceId": "endpoint/ep/variant/Primary", "MinCapacity": 2, "MaxCapacity": 6,
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "ServiceNamespace": "sagemaker"}});
    let e = estimate(&template(r), &prices(), &Assumptions::default());
    let l = &e.lines[0];
    close(l.floor, 2.0 * 730.0 * 0.1);
    close(l.ceiling, 6.0 * 730.0 * 0.1);
    assert!(
        l.assumption.contains("2..6 instances × 730 h × $0.10/h"),
        "{}",
        l.assumption
    );
}

#[test]
fn an_unknown_instance_type_is_unknown_not_zero() {
    let r = endpoint(
        json!({"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.x99.huge", "InitialInstanceCount": 1}),
    );
    let e = estimate(&template(r), &prices(), &Assumptions::default());
    assert_eq!((e.lines[0].floor, e.lines[0].ceiling), (None, None));
    assert_eq!(e.unknown(), 1);
    assert!(e.total().ends_with("(+ 1 unknown)"), "{}", e.total());
    assert!(render(&e).contains("unknown"));
}

#[test]
fn serverless_from_provisioned_to_expected_requests() {
    let r = endpoint(json!({"VariantName": "Primary", "ModelName": "m",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 1}}));
    let a = Assumptions {
        requests_per_month: 1000.0,
        request_kb: 6.0,
        response_kb: 2.0,
        serverless_seconds_per_request: 0.5,
        ..Default::default()
    };
    let e = estimate(&template(r), &prices(), &a);
    let provisioned = 1.0 * 2.0 * 730.0 * 3600.0 * 0.00001;
    close(e.lines[0].floor, provisioned);
    close(
        e.lines[0].ceiling,
        provisioned + 1000.0 * 0.5 * 2.0 * 0.00002 + 1000.0 * 8.0 / 1024.0 / 1024.0 * 0.016,
    );
}

#[test]
fn pipeline_steps_from_schedule_runtime_and_instances() {
    let steps = json!([
        {"Name": "Prep", "Type": "Processing", "Arguments": {
            "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 30}},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}},
        {"Name": "Tune", "Type": "Tuning", "Arguments": {
            "HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2}},
            "TrainingJobDefinition": {"EnableManagedSpotTraining": true,
                "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}}}}
    ]);
    let body = json!({"Version": "2020-12-01", "Steps": steps}).to_string();
    let r = json!({
        "P": {"Type": "AWS::SageMaker::Pipeline", "Properties": {"PipelineName": "train", "RoleArn": "r",
            "PipelineDefinition": {"PipelineDefinitionBody": body}}},
        // Daily: 365/12 runs a month.
        "Daily": {"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "cron(0 3 * * ? *)",
            "Targets": [{"Id": "p", "Arn": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/train"}}]}}
    });
    let e = estimate(&template(r), &prices(), &Assumptions::default());
    let runs = 365.0 / 12.0;
    let prep = e
        .lines
        .iter()
        .find(|l| l.item.starts_with("step Prep"))
        .unwrap();
    close(prep.floor, 0.0);
    close(prep.ceiling, runs * 2.0 * 0.5 * 0.1);
    let tune = e
        .lines
        .iter()
        .find(|l| l.item.starts_with("step Tune"))
        .unwrap();
    close(tune.ceiling, runs * 10.0 * 1.0 * 1.0 * 0.2);
    assert!(
        tune.assumption.contains("spot: ceiling at on-demand price"),
        "{}",
        tune.assumption
    );
}

#[test]
fn monitoring_glue_and_fixed_items() {
    let r = json!({
        "Def": {"Type": "AWS::SageMaker::DataQualityJobDefinition", "Properties": {
            "JobResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 20}},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}},
        "Sched": {"Type": "AWS::SageMaker::MonitoringSchedule", "Properties": {"MonitoringScheduleConfig": {
            "MonitoringJobDefinitionName": {"Fn::GetAtt": ["Def", "JobDefinitionName"]},
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}}},
        "Job": {"Type": "AWS::Glue::Job", "Properties": {"Name": "etl", "WorkerType": "G.1X", "NumberOfWorkers": 10, "Timeout": 30}},
        "Key": {"Type": "AWS::KMS::Key"},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm"},
        "Topic": {"Type": "AWS::SNS::Topic"}
    });
    let e = estimate(&template(r), &prices(), &Assumptions::default());
    let by = |id: &str| e.lines.iter().find(|l| l.logical_id == id).unwrap();
    close(by("Sched").ceiling, 730.0 * 0.5 * 0.1);
    // Not scheduled: the on-demand assumption (4 runs).
    close(by("Job").ceiling, 4.0 * 10.0 * 0.5 * 0.44);
    close(by("Key").floor, 1.0);
    close(by("Alarm").ceiling, 0.1);
    assert!(e.lines.iter().all(|l| l.logical_id != "Topic"));
    close(Some(e.floor()), 1.1);
}

#[test]
fn budget_guard() {
    let r = |amount: f64, min: u32, max: u32| {
        let mut r = endpoint(
            json!({"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}),
        );
        r["Scaling"] = json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ResourceId": "endpoint/ep/variant/Primary", "MinCapacity": min, "MaxCapacity": max}});
        r["Budget"] = json!({"Type": "AWS::Budgets::Budget", "Properties": {"Budget": {
            "BudgetLimit": {"Amount": amount, "Unit": "USD"}, "BudgetType": "COST", "TimeUnit": "MONTHLY"}}});
        estimate(&template(r), &prices(), &Assumptions::default()).guard()
    };
    // 1 instance = $73/month.
    assert_eq!(r(100.0, 1, 1), Guard::Within);
    assert!(
        matches!(r(100.0, 1, 2), Guard::Warn(m) if m.contains("ceiling of $146.00 exceeds the budget of $100.00"))
    );
    assert!(
        matches!(r(100.0, 2, 2), Guard::Fail(m) if m.contains("floor of $146.00 exceeds the budget of $100.00"))
    );
    let none = estimate(
        &template(json!({"Key": {"Type": "AWS::KMS::Key"}})),
        &prices(),
        &Assumptions::default(),
    );
    assert_eq!(none.guard(), Guard::NoBudget);
}

#[test]
fn the_builtin_table_parses_and_names_its_source() {
    let t = PriceTable::builtin();
    assert_eq!(t.region, "us-east-1");
    assert!(!t.source.is_empty() && !t.date.is_empty());
    assert!(PriceTable::from_toml_str("region = 1").is_err());
}

#[test]
fn dollars_are_grouped() {
    assert_eq!(mlcdk_cost::usd(1234567.891), "$1,234,567.89");
    assert_eq!(mlcdk_cost::usd(0.1), "$0.10");
}

#[test]
fn unit_prices_keep_their_precision_and_totals_their_cents() {
    use mlcdk_cost::rate;
    assert_eq!(rate(0.115), "$0.115");
    assert_eq!(rate(0.7364), "$0.7364");
    assert_eq!(rate(0.00002), "$0.00002");
    assert_eq!(rate(0.23), "$0.23");
    assert_eq!(rate(1.0), "$1.00");
    assert_eq!(rate(0.0), "$0.00");
    assert_eq!(rate(f64::NAN), "$NaN");
    assert_eq!(rate(2e13), "$2.000e13");
    let mut r = endpoint(
        json!({"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}),
    );
    r["Cfg"]["Properties"]["DataCaptureConfig"] =
        json!({"EnableCapture": true, "InitialSamplingPercentage": 50});
    let mut p = prices();
    p.sagemaker.hosting.insert("ml.m5.large".into(), 0.115);
    let e = estimate(&template(r), &p, &Assumptions::default());
    let variant = &e.lines[0];
    assert!(variant.assumption.ends_with("× $0.115/h"), "{variant:?}");
    // 730 h × $0.115 = $83.95 exactly; the rendering keeps the rate's digits.
    assert!(render(&e).contains("$83.95"), "{}", render(&e));
}

#[test]
fn storage_capture_and_athena_scans_from_the_assumptions() {
    let mut r = endpoint(
        json!({"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}),
    );
    r["Cfg"]["Properties"]["DataCaptureConfig"] =
        json!({"EnableCapture": true, "InitialSamplingPercentage": 50});
    r["Bucket"] = json!({"Type": "AWS::S3::Bucket"});
    r["Athena"] = json!({"Type": "AWS::Athena::WorkGroup", "Properties": {"WorkGroupConfiguration": {
        "BytesScannedCutoffPerQuery": 10737418240u64}}});
    let stage = mlcdk_core::StageAssumptions {
        requests_per_month: Some(2_000_000.0),
        request_kb: Some(3.0),
        stored_gb_per_bucket: Some(500.0),
        ..Default::default()
    };
    let a = Assumptions::from_stage(&stage);
    assert_eq!(
        a.response_kb, 10.0,
        "a default where the stage states nothing"
    );
    let e = estimate(&template(r), &prices(), &a);
    let by = |item: &str| e.lines.iter().find(|l| l.item == item).unwrap().clone();
    let capture = by("data capture");
    // 2M requests × 50 % × 13 KB, in GB, stored a month.
    close(capture.ceiling, 2e6 * 0.5 * 13.0 / 1024.0 / 1024.0 * 0.023);
    assert_eq!(capture.floor, Some(0.0));
    assert!(
        capture
            .assumption
            .starts_with("2,000,000 requests × 50 % sampled × 13 KB"),
        "{capture:?}"
    );
    let storage = by("S3 storage");
    close(storage.ceiling, 500.0 * 0.023);
    assert!(
        storage.assumption.starts_with("500 GB stored"),
        "{storage:?}"
    );
    let athena = by("Athena queries");
    close(athena.ceiling, 100.0 / 1024.0 * 5.0);
    assert!(
        athena.assumption.starts_with("100 (default) GB scanned"),
        "{athena:?}"
    );
    assert!(
        athena.assumption.ends_with("at most 10 GB per query"),
        "{athena:?}"
    );
    // Captured volume stated outright.
    let stated = Assumptions {
        captured_gb_per_month: Some(40.0),
        ..Default::default()
    };
    let mut r = endpoint(
        json!({"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}),
    );
    r["Cfg"]["Properties"]["DataCaptureConfig"] = json!({"EnableCapture": false});
    assert!(
        estimate(&template(r.clone()), &prices(), &stated)
            .lines
            .iter()
            .all(|l| l.item != "data capture")
    );
    r["Cfg"]["Properties"]["DataCaptureConfig"] = json!({"EnableCapture": true});
    let e = estimate(&template(r), &prices(), &stated);
    close(
        e.lines
            .iter()
            .find(|l| l.item == "data capture")
            .unwrap()
            .ceiling,
        40.0 * 0.023,
    );
}

#[test]
fn a_component_without_a_price_takes_the_hosting_price_as_a_stated_assumption() {
    let steps = json!({"Version": "2020-12-01", "Steps": [
        {"Name": "Score", "Type": "Transform", "Arguments": {
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 2}}},
        {"Name": "Train", "Type": "Training", "Arguments": {
            "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 7200}}}
    ]})
    .to_string();
    let r = json!({"P": {"Type": "AWS::SageMaker::Pipeline", "Properties": {"PipelineName": "p",
        "PipelineDefinition": {"PipelineDefinitionBody": steps}}}});
    let a = Assumptions {
        transform_hours_per_run: 3.0,
        stated: ["transform_hours_per_run".to_string()].into(),
        ..Default::default()
    };
    let e = estimate(&template(r), &prices(), &a);
    // Not scheduled: 4 runs × 2 instances × 3 h × the hosting price.
    close(e.lines[0].ceiling, 4.0 * 2.0 * 3.0 * 0.1);
    assert!(
        e.lines[0].assumption.contains("× 3 h assumed ×"),
        "{:?}",
        e.lines[0]
    );
    assert!(
        e.lines[0].assumption.contains("no batch transform price for ml.m5.large with a source: assumed = its hosting price $0.10/h"),
        "{:?}",
        e.lines[0]
    );
    // No hosting price either: unknown, not zero.
    assert_eq!(e.lines[1].ceiling, None);
}

#[test]
fn alarms_by_resolution_and_budgets_without_actions_are_free() {
    let r = json!({
        "Std": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 60}},
        "High": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 10}},
        "B": {"Type": "AWS::Budgets::Budget", "Properties": {"Budget": {"BudgetLimit": {"Amount": 5}}}},
        "C": {"Type": "AWS::Glue::Crawler", "Properties": {"Schedule": {"ScheduleExpression": "cron(0 2 * * ? *)"}}}
    });
    let mut p = prices();
    p.glue.crawler_dpu_hour = Some(0.44);
    let e = estimate(&template(r), &p, &Assumptions::default());
    let by = |id: &str| e.lines.iter().find(|l| l.logical_id == id).unwrap().clone();
    close(by("Std").floor, 0.1);
    close(by("High").floor, 0.3);
    close(by("B").ceiling, 0.0);
    close(by("C").ceiling, 365.0 / 12.0 * 0.25 * 0.44);
    assert!(
        by("C").assumption.contains("0.25 (default) DPU-h"),
        "{:?}",
        by("C")
    );
    assert_eq!(e.guard(), Guard::Within);
}

#[test]
fn the_shipped_table_prices_every_sagemaker_component_it_has_a_source_for() {
    let t = PriceTable::builtin();
    assert_eq!(t.sagemaker.hosting.get("ml.m5.large"), Some(&0.115));
    assert_eq!(t.sagemaker.training.get("ml.m5.xlarge"), Some(&0.23));
    assert_eq!(t.sagemaker.processing.get("ml.t3.medium"), Some(&0.05));
    // No source: not shipped (the estimate says what it assumes instead).
    assert!(t.sagemaker.transform.is_empty());
    assert_eq!(t.serverless.provisioned_per_gb_second, None);
    assert!(
        !t.sagemaker.hosting.contains_key("ml.m5.4xlarge"),
        "derived only"
    );
    assert!(PriceTable::builtin_for("eu-west-1").is_none());
    assert!(PriceTable::empty("eu-west-1").is_empty());
}

//! Every rule gets a template that trips it and one that passes.

use mlcdk_checks::{Options, RULES, Severity, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

fn template(resources: Value) -> Template {
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

/// Logical IDs that `rule` flags (suppressed or not).
fn hits(rule: &str, resources: Value, production: bool) -> Vec<String> {
    let options = Options {
        production,
        ..Default::default()
    };
    check(&template(resources), &options)
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.logical_id)
        .collect()
}

fn trips(rule: &str, resources: Value) {
    trips_in(rule, resources, false)
}

fn trips_in(rule: &str, resources: Value, production: bool) {
    let found = hits(rule, resources, production);
    assert_eq!(
        found,
        vec!["Bad".to_string()],
        "{rule} should flag exactly Bad"
    );
}

fn passes(rule: &str, resources: Value) {
    passes_in(rule, resources, false)
}

fn passes_in(rule: &str, resources: Value, production: bool) {
    let found = hits(rule, resources, production);
    assert!(found.is_empty(), "{rule} flagged {found:?}");
}

fn good_bucket() -> Value {
    json!({"Type": "AWS::S3::Bucket", "Properties": {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}}
    }})
}

#[test]
fn s3_rules() {
    passes("S3-001", json!({"Good": good_bucket()}));
    trips("S3-001", json!({"Bad": {"Type": "AWS::S3::Bucket"}}));

    passes("S3-002", json!({"Good": good_bucket()}));
    let mut partial = good_bucket();
    partial["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = json!(false);
    trips("S3-002", json!({"Bad": partial}));

    let tls = |bucket: &str| {
        json!({"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": bucket},
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}})
    };
    passes("S3-003", json!({"Good": good_bucket(), "P": tls("Good")}));
    trips(
        "S3-003",
        json!({"Bad": good_bucket(), "Good": good_bucket(), "P": tls("Good")}),
    );

    passes("S3-004", json!({"Good": good_bucket()}));
    trips("S3-004", json!({"Bad": {"Type": "AWS::S3::Bucket"}}));
    // The access-log bucket needs neither versioning nor logging.
    passes(
        "S3-004",
        json!({"Good": good_bucket(), "Logs": {"Type": "AWS::S3::Bucket"}}),
    );
    passes(
        "S3-005",
        json!({"Good": good_bucket(), "Logs": {"Type": "AWS::S3::Bucket"}}),
    );
    trips("S3-005", json!({"Bad": {"Type": "AWS::S3::Bucket"}}));
}

#[test]
fn kms_rotation() {
    passes(
        "KMS-001",
        json!({"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true}}}),
    );
    passes(
        "KMS-001",
        json!({"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": "RSA_2048"}}}),
    );
    trips(
        "KMS-001",
        json!({"Bad": {"Type": "AWS::KMS::Key", "Properties": {}}}),
    );
}

fn role(statement: Value) -> Value {
    json!({"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}]}})
}

#[test]
fn iam_rules() {
    let scoped = json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"});
    for rule in ["IAM-001", "IAM-002", "IAM-003", "IAM-004"] {
        passes(rule, json!({"Good": role(scoped.clone())}));
    }
    trips(
        "IAM-001",
        json!({"Bad": role(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}))}),
    );
    // A Deny with a wildcard is fine.
    passes(
        "IAM-001",
        json!({"Good": role(json!({"Effect": "Deny", "Action": "*", "Resource": "*"}))}),
    );

    trips(
        "IAM-002",
        json!({"Bad": role(json!({"Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": "*"}))}),
    );
    passes(
        "IAM-002",
        json!({"Good": role(json!({"Effect": "Allow", "Action": ["sagemaker:DescribeEndpoint", "cloudwatch:PutMetricData"], "Resource": "*"}))}),
    );

    let mut full = role(scoped.clone());
    full["Properties"]["ManagedPolicyArns"] =
        json!(["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]);
    trips("IAM-003", json!({"Bad": full}));

    trips(
        "IAM-004",
        json!({"Bad": role(json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))}),
    );
    passes(
        "IAM-004",
        json!({"Good": role(json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": {"Fn::GetAtt": ["R", "Arn"]}}))}),
    );
}

#[test]
fn sns_encryption() {
    passes(
        "SNS-001",
        json!({"T": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}}),
    );
    trips("SNS-001", json!({"Bad": {"Type": "AWS::SNS::Topic"}}));
}

/// An endpoint `Ep` named `ep` over config `Cfg` with `count` ml.m5.large instances.
fn endpoint(config_extra: Value, count: u32) -> Value {
    let mut config = json!({"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
        "ProductionVariants": [{"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": count}]}});
    if let (Value::Object(props), Value::Object(extra)) = (&mut config["Properties"], config_extra)
    {
        props.extend(extra);
    }
    json!({
        "Cfg": config,
        "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "ep", "EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}}
    })
}

fn with(mut base: Value, id: &str, resource: Value) -> Value {
    base[id] = resource;
    base
}

fn rename(mut resources: Value, from: &str, to: &str) -> Value {
    let r = resources.as_object_mut().unwrap().remove(from).unwrap();
    resources[to] = r;
    resources
}

#[test]
fn endpoint_config_kms_and_capture() {
    passes("SM-001", endpoint(json!({"KmsKeyId": "k"}), 1));
    trips("SM-001", rename(endpoint(json!({}), 1), "Cfg", "Bad"));
    let capture = |kms: bool| {
        let mut c = json!({"DestinationS3Uri": "s3://b/c", "InitialSamplingPercentage": 10, "CaptureOptions": [{"CaptureMode": "Input"}]});
        if kms {
            c["KmsKeyId"] = json!("k");
        }
        json!({"DataCaptureConfig": c})
    };
    passes("SM-002", endpoint(capture(true), 1));
    // SM-002 is about the config resource.
    let found = hits("SM-002", endpoint(capture(false), 1), false);
    assert_eq!(found, vec!["Cfg".to_string()]);
}

#[test]
fn network_isolation() {
    passes(
        "SM-003",
        json!({"M": {"Type": "AWS::SageMaker::Model", "Properties": {"EnableNetworkIsolation": true}}}),
    );
    trips(
        "SM-003",
        json!({"Bad": {"Type": "AWS::SageMaker::Model", "Properties": {}}}),
    );
}

#[test]
fn endpoint_autoscaling_idle_alarm_and_count() {
    let ep = || rename(endpoint(json!({}), 1), "Ep", "Bad");
    let fixed = |ep: Value| rename(ep, "Bad", "Ep");
    trips("SM-004", ep());
    let target = json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
        "ResourceId": "endpoint/ep/variant/Primary", "ServiceNamespace": "sagemaker", "MinCapacity": 1, "MaxCapacity": 2,
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}});
    passes("SM-004", with(fixed(ep()), "T", target.clone()));

    trips("SM-005", ep());
    let alarm = |metric: &str| {
        json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "MetricName": metric, "Namespace": "AWS/SageMaker", "Dimensions": [{"Name": "EndpointName", "Value": "ep"}]}})
    };
    passes("SM-005", with(fixed(ep()), "A", alarm("Invocations")));
    // An alarm on another metric is not an idle alarm.
    trips("SM-005", with(ep(), "A", alarm("ModelLatency")));
    // Async endpoints' idle signal (they never publish Invocations, RT-004).
    passes(
        "SM-005",
        with(fixed(ep()), "A", alarm("InvocationsProcessed")),
    );

    // An endpoint that scales to zero costs nothing idle: no alarm needed;
    // a floor of one instance still needs it.
    let mut to_zero = target.clone();
    to_zero["Properties"]["MinCapacity"] = json!(0);
    passes("SM-005", with(fixed(ep()), "T", to_zero));
    trips("SM-005", with(ep(), "T", target));

    // Production only.
    passes_in("SM-006", ep(), false);
    trips_in("SM-006", ep(), true);
    passes_in("SM-006", endpoint(json!({}), 2), true);
}

#[test]
fn capture_is_monitored() {
    let capturing = rename(
        endpoint(
            json!({"DataCaptureConfig": {"DestinationS3Uri": "s3://b/c", "KmsKeyId": "k"}}),
            1,
        ),
        "Ep",
        "Bad",
    );
    trips("SM-007", capturing.clone());
    let monitored = with(
        rename(capturing, "Bad", "Ep"),
        "D",
        json!({"Type": "AWS::SageMaker::DataQualityJobDefinition",
        "Properties": {"DataQualityJobInput": {"EndpointInput": {"EndpointName": {"Fn::GetAtt": ["Ep", "EndpointName"]}}}}}),
    );
    passes("SM-007", monitored);
}

/// A pipeline `Bad` whose definition body is `Fn::Join`ed around a reference,
/// as mlcdk writes it, holding `steps`.
fn pipeline(steps: Value) -> Value {
    let body = json!({"Version": "2020-12-01", "Steps": steps}).to_string();
    let (head, tail) = body.split_at(body.find("\"Steps\"").unwrap());
    let head = format!("{head}\"Bucket\":\"s3://");
    json!({"Bad": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
        "PipelineName": "p", "RoleArn": "arn",
        "PipelineDefinition": {"PipelineDefinitionBody": {"Fn::Join": ["", [head, {"Ref": "Data"}, format!("\",{tail}")]]}}}}})
}

fn training(stopping: Value, spot: Option<Value>) -> Value {
    let mut args = json!({"StoppingCondition": stopping});
    if let Some(checkpoint) = spot {
        args["EnableManagedSpotTraining"] = json!(true);
        args["CheckpointConfig"] = checkpoint;
    }
    json!({"Name": "Train", "Type": "Training", "Arguments": args})
}

#[test]
fn pipeline_rules_read_the_decoded_definition() {
    let bounded = json!({"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200});
    passes(
        "TRN-001",
        pipeline(json!([training(bounded.clone(), None)])),
    );
    trips("TRN-001", pipeline(json!([training(json!({}), None)])));
    // Steps inside a condition's branches count too.
    let nested = json!([{"Name": "C", "Type": "Condition", "Arguments": {"Conditions": [], "IfSteps": [training(json!({}), None)], "ElseSteps": []}}]);
    trips("TRN-001", pipeline(nested));

    passes(
        "TRN-002",
        pipeline(json!([training(
            bounded.clone(),
            Some(json!({"S3Uri": "s3://b/ck/"}))
        )])),
    );
    trips(
        "TRN-002",
        pipeline(json!([training(bounded, Some(json!({})))])),
    );
    trips(
        "TRN-002",
        pipeline(json!([training(
            json!({"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 600}),
            Some(json!({"S3Uri": "s3://b/ck/"}))
        )])),
    );

    // A tuning job's one CheckpointConfig would be shared by its trials.
    let spot_tuning = |checkpoint: Option<Value>| {
        let mut job = json!({"EnableManagedSpotTraining": true,
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}});
        if let Some(c) = checkpoint {
            job["CheckpointConfig"] = c;
        }
        json!([{"Name": "Tune", "Type": "Tuning", "Arguments": {"TrainingJobDefinition": job}}])
    };
    passes("TRN-002", pipeline(spot_tuning(None)));
    trips(
        "TRN-002",
        pipeline(spot_tuning(Some(json!({"S3Uri": "s3://b/ck/"})))),
    );

    let tuning = |limits: Value| {
        json!([{"Name": "Tune", "Type": "Tuning", "Arguments": {
        "HyperParameterTuningJobConfig": {"ResourceLimits": limits},
        "TrainingJobDefinition": {"StoppingCondition": {"MaxRuntimeInSeconds": 3600}}}}])
    };
    passes(
        "TRN-003",
        pipeline(tuning(
            json!({"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2}),
        )),
    );
    trips(
        "TRN-003",
        pipeline(tuning(json!({"MaxParallelTrainingJobs": 2}))),
    );
    trips(
        "TRN-003",
        pipeline(tuning(json!({"MaxNumberOfTrainingJobs": 500}))),
    );
    passes(
        "TRN-001",
        pipeline(tuning(json!({"MaxNumberOfTrainingJobs": 20}))),
    );
    let raised = Options {
        max_tuning_jobs: Some(10),
        ..Default::default()
    };
    let report = check(
        &template(pipeline(tuning(json!({"MaxNumberOfTrainingJobs": 20})))),
        &raised,
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "TRN-003" && f.message.contains("above the cap of 10"))
    );
}

#[test]
fn glue_and_athena() {
    let job = |props: Value| json!({"Type": "AWS::Glue::Job", "Properties": props});
    passes("GLUE-001", json!({"J": job(json!({"Timeout": 60}))}));
    trips("GLUE-001", json!({"Bad": job(json!({}))}));
    passes(
        "GLUE-002",
        json!({"J": job(json!({"SecurityConfiguration": "s"})),
        "C": {"Type": "AWS::Glue::Crawler", "Properties": {"CrawlerSecurityConfiguration": "s"}}}),
    );
    trips(
        "GLUE-002",
        json!({"Bad": {"Type": "AWS::Glue::Crawler", "Properties": {}}}),
    );

    let wg = |config: Value| json!({"Type": "AWS::Athena::WorkGroup", "Properties": {"Name": "w", "WorkGroupConfiguration": config}});
    passes(
        "ATH-001",
        json!({"W": wg(json!({"EnforceWorkGroupConfiguration": true, "BytesScannedCutoffPerQuery": 10_000_000_000u64}))}),
    );
    trips(
        "ATH-001",
        json!({"Bad": wg(json!({"EnforceWorkGroupConfiguration": true}))}),
    );
    trips(
        "ATH-001",
        json!({"Bad": wg(json!({"BytesScannedCutoffPerQuery": 10_000_000_000u64}))}),
    );
}

#[test]
fn budget_and_retain() {
    let topic = json!({"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "k"}});
    assert_eq!(
        hits("COST-001", json!({"T": topic.clone()}), false),
        vec!["(stack)".to_string()]
    );
    passes(
        "COST-001",
        json!({"T": topic, "B": {"Type": "AWS::Budgets::Budget", "Properties": {}}}),
    );

    let bucket = |policy: Option<&str>| {
        let mut b = good_bucket();
        if let Some(p) = policy {
            b["DeletionPolicy"] = json!(p);
        }
        b
    };
    passes_in("REL-001", json!({"Bad": bucket(None)}), false);
    trips_in("REL-001", json!({"Bad": bucket(None)}), true);
    trips_in("REL-001", json!({"Bad": bucket(Some("Delete"))}), true);
    passes_in("REL-001", json!({"Good": bucket(Some("Retain"))}), true);
}

#[test]
fn production_raises_marked_warnings_to_errors() {
    let glue = json!({"Bad": {"Type": "AWS::Glue::Crawler", "Properties": {}}});
    let severity = |production| {
        let options = Options {
            production,
            ..Default::default()
        };
        check(&template(glue.clone()), &options)
            .findings
            .iter()
            .find(|f| f.rule == "GLUE-002")
            .unwrap()
            .severity
    };
    assert_eq!(severity(false), Severity::Warning);
    assert_eq!(severity(true), Severity::Error);
}

#[test]
fn suppressions_need_a_reason_and_are_reported() {
    let topic = |reason: &str| {
        json!({"Bad": {"Type": "AWS::SNS::Topic",
        "Metadata": {"mlcdk:suppress": [{"rule": "SNS-001", "reason": reason}]}}})
    };
    let report = check(
        &template(topic("public build notifications only")),
        &Options::default(),
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "SNS-001")
        .unwrap();
    assert_eq!(
        f.suppressed.as_deref(),
        Some("public build notifications only")
    );
    assert!(!report.has_errors());
    assert!(report.summary().contains("1 suppressed"));
    assert!(
        mlcdk_checks::render(&report).contains("(suppressed: public build notifications only)")
    );

    // A blank reason suppresses nothing; another rule's suppression neither.
    let report = check(&template(topic("  ")), &Options::default());
    assert!(report.has_errors());
    let other = json!({"Bad": {"Type": "AWS::SNS::Topic", "Metadata": {"mlcdk:suppress": [{"rule": "S3-001", "reason": "r"}]}}});
    assert!(check(&template(other), &Options::default()).has_errors());
}

#[test]
fn findings_name_the_construct_path_and_fix() {
    let t =
        json!({"Bad": {"Type": "AWS::SNS::Topic", "Metadata": {"mlcdk:path": "Alerts/Resource"}}});
    let report = check(&template(t), &Options::default());
    let f = &report.findings[0];
    assert_eq!(
        (f.rule, f.path.as_str(), f.severity),
        ("SNS-001", "Alerts/Resource", Severity::Error)
    );
    assert!(f.message.contains("set KmsMasterKeyId"), "{}", f.message);
}

#[test]
fn rule_ids_are_unique_and_titled() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    assert!(RULES.iter().all(|r| !r.title.is_empty()));
}

#[test]
fn stack_suppress_writes_metadata_and_rejects_a_blank_reason() {
    use mlcdk_core::{CfnResource, Scope, Stack};
    let mut stack = Stack::for_test();
    let topic = stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
    stack.suppress(&topic, "SNS-001", "public build notifications only");
    stack.suppress(&topic, "CKV_AWS_26", "public build notifications only");
    let template = stack.synth().unwrap().template;
    let metadata = &template.resources["Topic"].metadata;
    assert_eq!(
        metadata["checkov"],
        json!({"skip": [{"id": "CKV_AWS_26", "comment": "public build notifications only"}]})
    );
    let report = check(&template, &Options::default());
    assert!(!report.has_errors(), "{}", mlcdk_checks::render(&report));
    assert_eq!(report.suppressed(), 1);

    let mut stack = Stack::for_test();
    let topic = stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
    stack.suppress(&topic, "SNS-001", " ");
    let errors = stack.synth().unwrap_err().to_string();
    assert!(
        errors.contains(
            "[test-staging/Topic] suppression 'SNS-001' needs a reason of at least 10 characters"
        ),
        "{errors}"
    );
}

#[test]
fn stack_suppressions_cover_stack_findings_and_the_rule_everywhere() {
    use mlcdk_core::{CfnResource, Scope, Stack};
    let mut stack = Stack::for_test();
    let bucket = stack.add_resource("Data", CfnResource::new("AWS::S3::Bucket"));
    stack.suppress_stack("COST-001", "the sandbox account's budget covers this stage");
    stack.suppress_stack("S3-004", "data is rebuilt from the source every night");
    // The resource's own reason is shown before the stack's.
    stack.suppress(&bucket, "S3-005", "this bucket's own reason for no logs");
    stack.suppress_stack("S3-005", "access logs are collected by the org trail");
    let template = stack.synth().unwrap().template;
    let report = check(&template, &Options::default());
    let reason = |rule: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("{rule} fires"))
            .suppressed
            .clone()
    };
    assert_eq!(
        reason("COST-001").as_deref(),
        Some("the sandbox account's budget covers this stage")
    );
    assert_eq!(
        reason("S3-004").as_deref(),
        Some("data is rebuilt from the source every night")
    );
    assert_eq!(
        reason("S3-005").as_deref(),
        Some("this bucket's own reason for no logs")
    );
    assert_eq!(reason("S3-001"), None, "other rules stay active");

    // In a hand-written template too; a reason under 10 characters does not
    // count.
    let hand = |reason: &str| {
        Template::from_json_str(
            &json!({
                "Metadata": {"mlcdk:suppress": [{"rule": "COST-001", "reason": reason}]},
                "Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "k"}}}
            })
            .to_string(),
        )
        .unwrap()
    };
    let suppressed = |t: &Template| {
        check(t, &Options::default())
            .findings
            .iter()
            .find(|f| f.rule == "COST-001")
            .unwrap()
            .suppressed
            .clone()
    };
    assert_eq!(
        suppressed(&hand("budgets live in the payer account")).as_deref(),
        Some("budgets live in the payer account")
    );
    assert_eq!(suppressed(&hand("none")), None);
}

#[test]
fn messages_name_the_construct_field_on_resources_mlcdk_wrote() {
    let bucket = json!({"Type": "AWS::S3::Bucket", "Properties": {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{}]}}});
    let mut ours = bucket.clone();
    ours["Metadata"] = json!({"mlcdk:path": "Data/Resource"});
    let report = check(
        &template(json!({"Foreign": bucket, "Ours": ours})),
        &Options::default(),
    );
    let message = |id: &str, rule: &str| {
        report
            .findings
            .iter()
            .find(|f| f.logical_id == id && f.rule == rule)
            .unwrap()
            .message
            .clone()
    };
    assert_eq!(
        message("Ours", "S3-004"),
        "versioning is off; set VersioningConfiguration.Status to Enabled (mlcdk: BucketProps { versioned: true })"
    );
    assert_eq!(
        message("Foreign", "S3-004"),
        "versioning is off; set VersioningConfiguration.Status to Enabled"
    );
    assert!(
        message("Ours", "S3-005")
            .ends_with("(mlcdk: BucketProps { access_logs: AccessLogging::StackLogBucket } (the default) or AccessLogging::To(..))")
    );
    // A stack-level finding names the construct when mlcdk wrote the template.
    assert!(
        message("(stack)", "COST-001").contains("(mlcdk: Budget::new("),
        "{}",
        message("(stack)", "COST-001")
    );
    let foreign = check(
        &template(json!({"Foreign": {"Type": "AWS::SNS::Topic"}})),
        &Options::default(),
    );
    assert!(
        foreign
            .findings
            .iter()
            .all(|f| !f.message.contains("(mlcdk:")),
        "{}",
        mlcdk_checks::render(&foreign)
    );
}

//! RT-006 on small templates: endpoint features (data capture, asynchronous
//! inference, deployment guardrails) and monitoring jobs trip when their role
//! cannot make the calls SageMaker makes with it, and pass once granted.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Map, Value, json};

const CAPTURE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html";
const ASYNC_DOC: &str = "https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html";
const GUARDRAILS_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html";
const ROLES_DOC: &str = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html";
const KEY: &str = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}";

/// A bucket `Out`, a key `Key` whose policy delegates to the account, a role
/// `Role` with `statements`, a model `Model` running as `model_role`, and
/// `extra` resources.
fn template(statements: Value, model_role: Value, extra: Value) -> Template {
    let mut resources: Map<String, Value> = json!({
        "Out": {"Type": "AWS::S3::Bucket"},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": "kms:*", "Resource": "*"}]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {},
            "Policies": [{"PolicyName": "run", "PolicyDocument": {"Statement": statements}}]}},
        "Model": {"Type": "AWS::SageMaker::Model", "Properties": {
            "ExecutionRoleArn": model_role,
            "PrimaryContainer": {"Image": "image"}}}
    })
    .as_object()
    .unwrap()
    .clone();
    resources.extend(extra.as_object().unwrap().clone());
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

fn role() -> Value {
    json!({"Fn::GetAtt": ["Role", "Arn"]})
}

fn s3(key: &str) -> Value {
    json!({"Fn::Join": ["", ["s3://", {"Ref": "Out"}, key]]})
}

fn key() -> Value {
    json!({"Fn::GetAtt": ["Key", "Arn"]})
}

fn allow(action: &str, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn put_under(prefix: &str) -> Value {
    allow(
        "s3:PutObject",
        json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::${{Out}}/{prefix}*")}),
    )
}

/// An endpoint config `Config` serving `Model` as variant `Primary`, with
/// `properties` added.
fn config(properties: Value) -> Value {
    let mut props = json!({"ProductionVariants": [{
        "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
        "VariantName": "Primary", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]});
    props
        .as_object_mut()
        .unwrap()
        .extend(properties.as_object().unwrap().clone());
    json!({"Type": "AWS::SageMaker::EndpointConfig", "Properties": props})
}

/// `(logical id, message)` of a rule's findings.
fn findings(t: &Template, rule: &str) -> Vec<(String, String)> {
    check(t, &Options::default()).of_rule(rule)
}

fn messages(t: &Template, rule: &str) -> Vec<String> {
    findings(t, rule).into_iter().map(|(_, m)| m).collect()
}

fn capture(enable: bool) -> Value {
    json!({"Config": config(json!({"DataCaptureConfig": {
        "EnableCapture": enable, "InitialSamplingPercentage": 20,
        "CaptureOptions": [{"CaptureMode": "Input"}],
        "DestinationS3Uri": s3("/capture"), "KmsKeyId": key()}}))})
}

#[test]
fn rt_006_data_capture_needs_put_object_and_the_capture_key() {
    let t = template(json!([]), role(), capture(true));
    let hits = findings(&t, "RT-006");
    assert_eq!(
        hits,
        [
            (
                "Config".to_string(),
                format!(
                    "role Role cannot s3:PutObject on arn:${{AWS::Partition}}:s3:::${{Out}}/capture/object: data capture (variant Primary) writes to s3://${{Out}}/capture; grant it (see {CAPTURE_DOC})"
                )
            ),
            (
                "Config".to_string(),
                format!(
                    "role Role cannot kms:GenerateDataKey on {KEY}: data capture (variant Primary) encrypts what it writes to S3 with this key; grant it (see {CAPTURE_DOC})"
                )
            ),
        ]
    );
    assert!(check(&t, &Options::default()).has_errors());

    let granted = json!([put_under("capture/"), allow("kms:GenerateDataKey", key())]);
    let fixed = template(granted, role(), capture(true));
    assert_eq!(messages(&fixed, "RT-006"), Vec::<String>::new());
    assert_eq!(messages(&fixed, "RT-002"), Vec::<String>::new());
}

#[test]
fn rt_006_disabled_capture_needs_nothing() {
    let t = template(json!([]), role(), capture(false));
    assert_eq!(messages(&t, "RT-006"), Vec::<String>::new());
}

fn asynchronous() -> Value {
    json!({
        "Done": {"Type": "AWS::SNS::Topic"},
        "Failed": {"Type": "AWS::SNS::Topic"},
        "Config": config(json!({"AsyncInferenceConfig": {"OutputConfig": {
            "S3OutputPath": s3("/async/"), "S3FailurePath": s3("/async/failures/"),
            "KmsKeyId": key(),
            "NotificationConfig": {"SuccessTopic": {"Ref": "Done"}, "ErrorTopic": {"Ref": "Failed"}}}}}))
    })
}

#[test]
fn rt_006_async_inference_needs_its_outputs_key_and_topics() {
    let t = template(json!([]), role(), asynchronous());
    let hits = messages(&t, "RT-006");
    let topic = |name: &str| {
        format!("arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:${{{name}}}")
    };
    assert_eq!(
        hits,
        [
            format!(
                "role Role cannot s3:PutObject on arn:${{AWS::Partition}}:s3:::${{Out}}/async/object: async inference (variant Primary) writes to s3://${{Out}}/async/; grant it (see {ASYNC_DOC})"
            ),
            format!(
                "role Role cannot s3:PutObject on arn:${{AWS::Partition}}:s3:::${{Out}}/async/failures/object: async inference (variant Primary) writes to s3://${{Out}}/async/failures/; grant it (see {ASYNC_DOC})"
            ),
            format!(
                "role Role cannot kms:GenerateDataKey on {KEY}: async inference (variant Primary) encrypts what it writes to S3 with this key; grant it (see {ASYNC_DOC})"
            ),
            format!(
                "role Role cannot sns:Publish on {}: async inference (variant Primary) publishes its notifications to this topic; grant it (see {ASYNC_DOC})",
                topic("Done")
            ),
            format!(
                "role Role cannot sns:Publish on {}: async inference (variant Primary) publishes its notifications to this topic; grant it (see {ASYNC_DOC})",
                topic("Failed")
            ),
        ]
    );

    // Everything but the error topic.
    let mut granted = vec![
        put_under("async/"),
        allow("kms:GenerateDataKey", key()),
        allow("sns:Publish", json!({"Ref": "Done"})),
    ];
    let t = template(json!(granted), role(), asynchronous());
    assert_eq!(
        findings(&t, "RT-006"),
        [(
            "Config".to_string(),
            format!(
                "role Role cannot sns:Publish on {}: async inference (variant Primary) publishes its notifications to this topic; grant it (see {ASYNC_DOC})",
                topic("Failed")
            )
        )]
    );

    granted.push(allow("sns:Publish", json!({"Ref": "Failed"})));
    let fixed = template(json!(granted), role(), asynchronous());
    assert_eq!(messages(&fixed, "RT-006"), Vec::<String>::new());
    assert_eq!(messages(&fixed, "RT-002"), Vec::<String>::new());
}

fn guarded() -> Value {
    json!({
        "Config": config(json!({})),
        "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": "serve-errors", "MetricName": "Invocation5XXErrors",
            "Namespace": "AWS/SageMaker", "Statistic": "Sum", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
            "DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": {"Ref": "Errors"}}]}}}}
    })
}

#[test]
fn rt_006_auto_rollback_needs_describe_alarms_on_its_alarms() {
    let t = template(json!([]), role(), guarded());
    assert_eq!(
        findings(&t, "RT-006"),
        [(
            "Endpoint".to_string(),
            format!(
                "role Role cannot cloudwatch:DescribeAlarms on arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:serve-errors: auto-rollback (variant Primary) watches alarm serve-errors during deployments; grant it (see {GUARDRAILS_DOC})"
            )
        )]
    );

    let alarm = allow(
        "cloudwatch:DescribeAlarms",
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:serve-errors"}),
    );
    let fixed = template(json!([alarm]), role(), guarded());
    assert_eq!(messages(&fixed, "RT-006"), Vec::<String>::new());
    // As AWS's examples grant it: on every alarm.
    let fixed = template(
        json!([allow("cloudwatch:DescribeAlarms", json!("*"))]),
        role(),
        guarded(),
    );
    assert_eq!(messages(&fixed, "RT-006"), Vec::<String>::new());
}

fn monitoring_output(config: &str) -> Value {
    json!({ config: {"KmsKeyId": key(), "MonitoringOutputs": [{"S3Output": {
        "S3Uri": s3("/reports/"), "LocalPath": "/opt/ml/processing/output"}}]}})
}

fn monitoring_calls(id: &str) -> Vec<(String, String)> {
    [
        format!(
            "role Role cannot s3:PutObject on arn:${{AWS::Partition}}:s3:::${{Out}}/reports/object: the monitoring job writes to s3://${{Out}}/reports/; grant it (see {ROLES_DOC})"
        ),
        format!(
            "role Role cannot kms:GenerateDataKey on {KEY}: the monitoring job encrypts what it writes to S3 with this key; grant it (see {ROLES_DOC})"
        ),
        format!(
            "role Role cannot kms:CreateGrant on {KEY} (kms:GrantIsForAWSResource=true): the monitoring job encrypts its instance volumes with this key; grant it (see {ROLES_DOC})"
        ),
    ]
    .into_iter()
    .map(|m| (id.to_string(), m))
    .collect()
}

fn monitoring_grants() -> Value {
    json!([
        put_under("reports/"),
        allow("kms:GenerateDataKey", key()),
        {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": key(),
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
    ])
}

fn job_definition(resource_type: &str, output_config: &str) -> Value {
    let mut props = json!({
        "RoleArn": role(),
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
            "VolumeSizeInGB": 20, "VolumeKmsKeyId": key()}}});
    props.as_object_mut().unwrap().extend(
        monitoring_output(output_config)
            .as_object()
            .unwrap()
            .clone(),
    );
    json!({"Job": {"Type": resource_type, "Properties": props}})
}

#[test]
fn rt_006_monitoring_job_definitions_need_their_outputs_and_keys() {
    for (ty, output) in [
        (
            "AWS::SageMaker::DataQualityJobDefinition",
            "DataQualityJobOutputConfig",
        ),
        (
            "AWS::SageMaker::ModelQualityJobDefinition",
            "ModelQualityJobOutputConfig",
        ),
    ] {
        let t = template(json!([]), role(), job_definition(ty, output));
        assert_eq!(findings(&t, "RT-006"), monitoring_calls("Job"), "{ty}");
        let fixed = template(monitoring_grants(), role(), job_definition(ty, output));
        assert_eq!(messages(&fixed, "RT-006"), Vec::<String>::new(), "{ty}");
        assert_eq!(messages(&fixed, "RT-002"), Vec::<String>::new(), "{ty}");
    }
}

fn schedule() -> Value {
    let mut definition = json!({
        "RoleArn": role(),
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1,
            "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20, "VolumeKmsKeyId": key()}}});
    definition.as_object_mut().unwrap().extend(
        monitoring_output("MonitoringOutputConfig")
            .as_object()
            .unwrap()
            .clone(),
    );
    json!({"Schedule": {"Type": "AWS::SageMaker::MonitoringSchedule", "Properties": {
        "MonitoringScheduleName": "drift",
        "MonitoringScheduleConfig": {"MonitoringJobDefinition": definition}}}})
}

#[test]
fn rt_006_a_schedule_with_an_inline_job_definition_is_checked_too() {
    let t = template(json!([]), role(), schedule());
    assert_eq!(findings(&t, "RT-006"), monitoring_calls("Schedule"));
    let fixed = template(monitoring_grants(), role(), schedule());
    assert_eq!(messages(&fixed, "RT-006"), Vec::<String>::new());
}

#[test]
fn rt_002_names_endpoint_calls_that_cannot_be_decided() {
    let odd = json!({"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
    let t = template(json!([odd]), role(), guarded());
    assert_eq!(messages(&t, "RT-006"), Vec::<String>::new());
    let undecided = findings(&t, "RT-002");
    assert_eq!(undecided.len(), 1, "{undecided:?}");
    assert_eq!(undecided[0].0, "Endpoint");
    assert!(
        undecided[0]
            .1
            .starts_with("cannot tell whether role Role may cloudwatch:DescribeAlarms on arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:serve-errors (auto-rollback (variant Primary) watches alarm serve-errors during deployments): "),
        "{undecided:?}"
    );
}

#[test]
fn a_model_or_job_role_outside_the_template_is_not_judged() {
    let imported = json!("arn:aws:iam::111111111111:role/platform-serving");
    for extra in [capture(true), asynchronous(), guarded()] {
        let t = template(json!([]), imported.clone(), extra);
        assert_eq!(messages(&t, "RT-006"), Vec::<String>::new());
        assert_eq!(messages(&t, "RT-002"), Vec::<String>::new());
    }
    let mut job = job_definition(
        "AWS::SageMaker::DataQualityJobDefinition",
        "DataQualityJobOutputConfig",
    );
    job["Job"]["Properties"]["RoleArn"] = imported;
    let t = template(json!([]), role(), job);
    assert_eq!(messages(&t, "RT-006"), Vec::<String>::new());
}

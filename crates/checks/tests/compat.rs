//! The compatibility rules (RT-003, RT-004, RT-005): each trips on a
//! combination AWS refuses or that never works, with its exact message, and
//! passes on the fixed template.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

/// `(logical id, message)` of each finding of `rule`.
fn findings(rule: &str, resources: Value) -> Vec<(String, String)> {
    let template = Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap();
    check(&template, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.logical_id, f.message))
        .collect()
}

fn trips(rule: &str, resources: Value, id: &str, message: &str) {
    assert_eq!(
        findings(rule, resources),
        vec![(id.to_string(), message.to_string())]
    );
}

fn passes(rule: &str, resources: Value) {
    let found = findings(rule, resources);
    assert!(found.is_empty(), "{rule} flagged {found:?}");
}

fn model(props: Value) -> Value {
    let mut p = json!({"ExecutionRoleArn": "arn:aws:iam::111122223333:role/r",
        "PrimaryContainer": {"Image": "img"}});
    p.as_object_mut()
        .unwrap()
        .extend(props.as_object().unwrap().clone());
    json!({"Type": "AWS::SageMaker::Model", "Properties": p})
}

fn serverless_config(model_name: Value) -> Value {
    json!({"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [{
        "VariantName": "Primary", "ModelName": model_name,
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}]}})
}

#[test]
fn serverless_isolation() {
    let isolated = model(json!({"EnableNetworkIsolation": true}));
    trips(
        "RT-003",
        json!({"M": isolated, "Cfg": serverless_config(json!({"Fn::GetAtt": ["M", "ModelName"]}))}),
        "Cfg",
        "endpoint config Cfg: serverless variant Primary serves model M, which sets EnableNetworkIsolation; serverless inference supports neither network isolation nor VPC; serve it from an instance variant, or serve a model without EnableNetworkIsolation",
    );
    // A literal model name, and a VpcConfig.
    let vpc = model(json!({"ModelName": "churn",
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}}));
    trips(
        "RT-003",
        json!({"M": vpc, "Cfg": serverless_config(json!("churn"))}),
        "Cfg",
        "endpoint config Cfg: serverless variant Primary serves model M, which sets VpcConfig; serverless inference supports neither network isolation nor VPC; serve it from an instance variant, or serve a model without VpcConfig",
    );
    // A Ref, both features.
    let both = model(json!({"EnableNetworkIsolation": true,
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}}));
    trips(
        "RT-003",
        json!({"M": both, "Cfg": serverless_config(json!({"Ref": "M"}))}),
        "Cfg",
        "endpoint config Cfg: serverless variant Primary serves model M, which sets EnableNetworkIsolation and VpcConfig; serverless inference supports neither network isolation nor VPC; serve it from an instance variant, or serve a model without EnableNetworkIsolation or VpcConfig",
    );

    // The model without isolation serves serverless.
    passes(
        "RT-003",
        json!({"M": model(json!({"EnableNetworkIsolation": false})),
            "Cfg": serverless_config(json!({"Fn::GetAtt": ["M", "ModelName"]}))}),
    );
    // The isolated model serves from instances.
    passes(
        "RT-003",
        json!({"M": model(json!({"EnableNetworkIsolation": true})),
            "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [{
                "VariantName": "Primary", "ModelName": {"Fn::GetAtt": ["M", "ModelName"]},
                "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]}}}),
    );
}

/// An endpoint `E` named `churn` on config `Cfg` (asynchronous or
/// serverless), model `M`, and `alarm`.
fn endpoint_with_alarm(kind: &str, alarm: Value) -> Value {
    let config = match kind {
        "async" => json!({"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
            "ProductionVariants": [{"VariantName": "Primary", "ModelName": {"Fn::GetAtt": ["M", "ModelName"]},
                "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
            "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/out"}}}}),
        _ => serverless_config(json!({"Fn::GetAtt": ["M", "ModelName"]})),
    };
    json!({
        "M": model(json!({})),
        "Cfg": config,
        "E": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": "churn", "EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}},
        "Alarm": alarm,
    })
}

fn alarm(namespace: &str, metric: &str, endpoint: Value) -> Value {
    json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "Namespace": namespace, "MetricName": metric, "Statistic": "Sum", "Period": 3600,
        "EvaluationPeriods": 1, "Threshold": 0, "ComparisonOperator": "LessThanOrEqualToThreshold",
        "Dimensions": [{"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": "Primary"}]}})
}

#[test]
fn alarm_metrics() {
    // A literal endpoint name.
    trips(
        "RT-004",
        endpoint_with_alarm(
            "async",
            alarm("AWS/SageMaker", "Invocations", json!("churn")),
        ),
        "Alarm",
        "alarm Alarm watches Invocations of asynchronous endpoint E, which never publishes it, so the alarm never fires; watch InvocationsProcessed (or ApproximateBacklogSize for requests waiting) instead",
    );
    // A reference to the endpoint.
    trips(
        "RT-004",
        endpoint_with_alarm(
            "async",
            alarm(
                "AWS/SageMaker",
                "OverheadLatency",
                json!({"Fn::GetAtt": ["E", "EndpointName"]}),
            ),
        ),
        "Alarm",
        "alarm Alarm watches OverheadLatency of asynchronous endpoint E, which never publishes it, so the alarm never fires; watch TotalProcessingTime or TimeInBacklog instead",
    );
    // Metric math.
    let math = json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "EvaluationPeriods": 1, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "m1", "ReturnData": true, "MetricStat": {"Stat": "Average", "Period": 60,
            "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "InvocationsPerInstance",
                "Dimensions": [{"Name": "EndpointName", "Value": "churn"}]}}}]}});
    trips(
        "RT-004",
        endpoint_with_alarm("async", math),
        "Alarm",
        "alarm Alarm watches InvocationsPerInstance of asynchronous endpoint E, which never publishes it, so the alarm never fires; watch ApproximateBacklogSizePerInstance instead",
    );
    trips(
        "RT-004",
        endpoint_with_alarm(
            "serverless",
            alarm("/aws/sagemaker/Endpoints", "CPUUtilization", json!("churn")),
        ),
        "Alarm",
        "alarm Alarm watches CPUUtilization of serverless endpoint E, which never publishes it, so the alarm never fires; watch MemoryUtilization or ModelLatency instead",
    );

    // What asynchronous endpoints publish.
    for metric in [
        "ApproximateBacklogSize",
        "InvocationsProcessed",
        "ModelLatency",
        "Invocation5XXErrors",
    ] {
        passes(
            "RT-004",
            endpoint_with_alarm("async", alarm("AWS/SageMaker", metric, json!("churn"))),
        );
    }
    // Instance metrics of an asynchronous endpoint's instances.
    passes(
        "RT-004",
        endpoint_with_alarm(
            "async",
            alarm("/aws/sagemaker/Endpoints", "CPUUtilization", json!("churn")),
        ),
    );
    // Serverless endpoints publish Invocations.
    passes(
        "RT-004",
        endpoint_with_alarm(
            "serverless",
            alarm("AWS/SageMaker", "Invocations", json!("churn")),
        ),
    );
    // An alarm on another endpoint.
    passes(
        "RT-004",
        endpoint_with_alarm(
            "async",
            alarm("AWS/SageMaker", "Invocations", json!("other")),
        ),
    );
}

fn bedrock_alarm(metric: &str, dimension: &str) -> Value {
    json!({"A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "Namespace": "AWS/Bedrock", "MetricName": metric, "Statistic": "Sum", "Period": 300,
        "EvaluationPeriods": 1, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold",
        "Dimensions": [{"Name": dimension, "Value": "anthropic.claude-3-haiku-20240307-v1:0"}]}}})
}

#[test]
fn bedrock_alarm_metrics() {
    // What Bedrock publishes by ModelId.
    for metric in [
        "Invocations",
        "InvocationThrottles",
        "InvocationClientErrors",
        "InvocationServerErrors",
        "InputTokenCount",
        "OutputTokenCount",
        "InvocationLatency",
    ] {
        passes("RT-004", bedrock_alarm(metric, "ModelId"));
    }
    // A SageMaker endpoint's metric name in the Bedrock namespace.
    let found = findings("RT-004", bedrock_alarm("Invocation5XXErrors", "ModelId"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.starts_with("alarm A watches Invocation5XXErrors in AWS/Bedrock, which is not among the runtime metrics Bedrock publishes (Invocations, "),
        "{found:?}"
    );
    // The right metric by a dimension Bedrock does not publish it by.
    trips(
        "RT-004",
        bedrock_alarm("InputTokenCount", "EndpointName"),
        "A",
        "alarm A selects InputTokenCount in AWS/Bedrock by EndpointName, but Bedrock publishes its runtime metrics by ModelId only, so the alarm never fires; select by ModelId (the model id)",
    );
}

fn variant_config(instance: &str) -> Value {
    json!({"M": model(json!({})), "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [{
        "VariantName": "Primary", "ModelName": {"Fn::GetAtt": ["M", "ModelName"]},
        "InstanceType": instance, "InitialInstanceCount": 1}]}}})
}

/// A pipeline `P` whose one step `Train` of `step_type` has `arguments`.
fn pipeline(step_type: &str, arguments: Value) -> Value {
    let body = json!({"Version": "2020-12-01", "Steps": [
        {"Name": "Train", "Type": step_type, "Arguments": arguments}]});
    json!({"P": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
        "PipelineName": "p", "RoleArn": "arn:aws:iam::111122223333:role/r",
        "PipelineDefinition": {"PipelineDefinitionBody": body.to_string()}}}})
}

fn quality_job(ty: &str, instance: Value) -> Value {
    json!({"J": {"Type": ty, "Properties": {
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": instance, "VolumeSizeInGB": 20}},
        "RoleArn": "arn:aws:iam::111122223333:role/r"}}})
}

#[test]
fn instance_types_endpoint() {
    trips(
        "RT-005",
        variant_config("ml.m5.huge"),
        "Cfg",
        "variant Primary: instance type ml.m5.huge is not an endpoint instance type (SageMaker API, ProductionVariantInstanceType)",
    );
    passes("RT-005", variant_config("ml.m5.large"));
}

#[test]
fn instance_types_training() {
    let training = |ty: &str| json!({"ResourceConfig": {"InstanceType": ty, "InstanceCount": 1, "VolumeSizeInGB": 30}});
    trips(
        "RT-005",
        pipeline("Training", training("ml.m5.huge")),
        "P",
        "step Train: instance type ml.m5.huge is not a training instance type (SageMaker API, TrainingInstanceType)",
    );
    passes("RT-005", pipeline("Training", training("ml.m5.xlarge")));
    // An inference-only type, valid on an endpoint, is not a training type.
    passes("RT-005", variant_config("ml.inf2.xlarge"));
    trips(
        "RT-005",
        pipeline("Training", training("ml.inf2.xlarge")),
        "P",
        "step Train: instance type ml.inf2.xlarge is not a training instance type (SageMaker API, TrainingInstanceType)",
    );
    // A pipeline parameter is not checked.
    passes(
        "RT-005",
        pipeline(
            "Training",
            json!({"ResourceConfig": {"InstanceType": {"Get": "Parameters.Instance"}}}),
        ),
    );

    let tuning = |ty: &str| json!({"TrainingJobDefinition": training(ty)});
    trips(
        "RT-005",
        pipeline("Tuning", tuning("ml.m5.huge")),
        "P",
        "step Train: instance type ml.m5.huge is not a training instance type (SageMaker API, TrainingInstanceType)",
    );
    passes("RT-005", pipeline("Tuning", tuning("ml.m5.xlarge")));
}

#[test]
fn instance_types_processing_and_transform() {
    let processing = |ty: &str| json!({"ProcessingResources": {"ClusterConfig": {"InstanceType": ty, "InstanceCount": 1, "VolumeSizeInGB": 30}}});
    trips(
        "RT-005",
        pipeline("Processing", processing("ml.m5.huge")),
        "P",
        "step Train: instance type ml.m5.huge is not a processing instance type (SageMaker API, ProcessingInstanceType)",
    );
    passes("RT-005", pipeline("Processing", processing("ml.m5.xlarge")));

    let transform =
        |ty: &str| json!({"TransformResources": {"InstanceType": ty, "InstanceCount": 1}});
    trips(
        "RT-005",
        pipeline("Transform", transform("ml.m5.huge")),
        "P",
        "step Train: instance type ml.m5.huge is not a transform instance type (SageMaker API, TransformInstanceType)",
    );
    passes("RT-005", pipeline("Transform", transform("ml.m5.xlarge")));
}

#[test]
fn instance_types_monitoring() {
    for ty in [
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::ModelQualityJobDefinition",
    ] {
        trips(
            "RT-005",
            quality_job(ty, json!("ml.m5.huge")),
            "J",
            "monitoring job: instance type ml.m5.huge is not a processing instance type (SageMaker API, ProcessingInstanceType)",
        );
        passes("RT-005", quality_job(ty, json!("ml.m5.large")));
        passes("RT-005", quality_job(ty, json!({"Ref": "Instance"})));
    }

    let schedule = |ty: &str| {
        json!({"S": {"Type": "AWS::SageMaker::MonitoringSchedule", "Properties": {
            "MonitoringScheduleName": "s",
            "MonitoringScheduleConfig": {"MonitoringJobDefinition": {
                "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": ty, "VolumeSizeInGB": 20}},
                "RoleArn": "arn:aws:iam::111122223333:role/r"}}}}})
    };
    trips(
        "RT-005",
        schedule("ml.m5.huge"),
        "S",
        "monitoring job: instance type ml.m5.huge is not a processing instance type (SageMaker API, ProcessingInstanceType)",
    );
    passes("RT-005", schedule("ml.m5.large"));
}

/// RT-013: a model of JumpStart's gated bucket without the EULA accepted
/// (a ModelDataUrl, or a data source without AcceptEula), and the fix.
#[test]
fn rt013_gated_jumpstart_artifacts_need_the_eula_accepted() {
    let gated = "s3://jumpstart-private-cache-prod-us-east-1/meta-textgeneration/llama/artifacts/inference-prepack/v1.0.0/";
    let source = |access: Value| {
        let mut s = json!({"S3Uri": gated, "S3DataType": "S3Prefix", "CompressionType": "None"});
        if !access.is_null() {
            s["ModelAccessConfig"] = access;
        }
        model(json!({"PrimaryContainer": {"Image": "img", "ModelDataSource": {"S3DataSource": s}}}))
    };
    trips(
        "RT-013",
        json!({"Chat": source(Value::Null)}),
        "Chat",
        &format!(
            "model Chat loads {gated} from JumpStart's gated bucket jumpstart-private-cache-prod-us-east-1 without accepting the model's EULA; set ModelDataSource.S3DataSource.ModelAccessConfig.AcceptEula to true once the EULA is accepted (mlcdk: JumpStartModel {{ eula: Eula::accepted(reason) }})"
        ),
    );
    trips(
        "RT-013",
        json!({"Chat": source(json!({"AcceptEula": false}))}),
        "Chat",
        &format!(
            "model Chat loads {gated} from JumpStart's gated bucket jumpstart-private-cache-prod-us-east-1 without accepting the model's EULA; set ModelDataSource.S3DataSource.ModelAccessConfig.AcceptEula to true once the EULA is accepted (mlcdk: JumpStartModel {{ eula: Eula::accepted(reason) }})"
        ),
    );
    trips(
        "RT-013",
        json!({"Chat": model(json!({"Containers": [
            {"Image": "a", "ModelDataUrl": "s3://bucket/a.tar.gz"},
            {"Image": "b", "ModelDataUrl": "s3://jumpstart-private-cache-prod-us-east-1/m.tar.gz"}
        ]}))}),
        "Chat",
        "model Chat loads s3://jumpstart-private-cache-prod-us-east-1/m.tar.gz from JumpStart's gated bucket jumpstart-private-cache-prod-us-east-1 without accepting the model's EULA; its ModelDataUrl cannot carry the acceptance: use ModelDataSource.S3DataSource with ModelAccessConfig.AcceptEula true",
    );
    passes(
        "RT-013",
        json!({"Chat": source(json!({"AcceptEula": true}))}),
    );
    // The public bucket needs no acceptance.
    passes(
        "RT-013",
        json!({"Vision": model(json!({"PrimaryContainer": {"Image": "img",
            "ModelDataUrl": "s3://jumpstart-cache-prod-us-east-1/m.tar.gz"}}))}),
    );
}

//! Compatibility rules: combinations AWS refuses or that never work at run
//! time although each property is valid on its own.

use mlcdk_core::Template;
use mlcdk_core::template::{Resource, reference_target};
use serde_json::Value;

use crate::instance_types;
use crate::{Hit, Options};

/// What an asynchronous endpoint publishes in `AWS/SageMaker`, from
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html>: the common endpoint metrics, then the asynchronous
/// ones. The page says the list is exhaustive.
const ASYNC_PUBLISHED: &[&str] = &[
    "Invocation4XXErrors",
    "Invocation5XXErrors",
    "ModelLatency",
    "ApproximateBacklogSize",
    "ApproximateBacklogSizePerInstance",
    "ApproximateAgeOfOldestRequest",
    "HasBacklogWithoutCapacity",
    "RequestDownloadFailures",
    "ResponseUploadFailures",
    "NotificationFailures",
    "InvocationFailures",
    "InvocationsProcessed",
    "TimeInBacklog",
    "TotalProcessingTime",
];

/// Real-time metrics in `AWS/SageMaker` that <https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html> names as
/// not published for asynchronous endpoints, each with what to watch instead.
/// Only the metrics the page names are flagged.
const ASYNC_NOT_PUBLISHED: &[(&str, &str)] = &[
    (
        "Invocations",
        "InvocationsProcessed (or ApproximateBacklogSize for requests waiting)",
    ),
    (
        "InvocationsPerInstance",
        "ApproximateBacklogSizePerInstance",
    ),
    ("OverheadLatency", "TotalProcessingTime or TimeInBacklog"),
];

/// Instance metrics a serverless endpoint never publishes: it has no
/// instances, and <https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html> lists (exhaustively) only
/// invocation, latency, setup, memory and concurrency metrics.
const SERVERLESS_NOT_PUBLISHED: &[(&str, &str)] = &[
    ("CPUUtilization", "MemoryUtilization or ModelLatency"),
    ("GPUUtilization", "MemoryUtilization or ModelLatency"),
    ("GPUMemoryUtilization", "MemoryUtilization"),
    ("DiskUtilization", "MemoryUtilization"),
    (
        "InvocationsPerInstance",
        "Invocations or ServerlessConcurrentExecutionsUtilization",
    ),
];

/// The runtime metrics Bedrock publishes in `AWS/Bedrock`, per model (the
/// `ModelId` dimension) or across all models (no dimension), from the
/// user guide's table
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring.html>,
/// "Amazon Bedrock runtime metrics", and
/// <https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html>),
/// with the invocation-logging delivery metrics the same page lists. The
/// guardrail and agent metrics are in other namespaces.
const BEDROCK_PUBLISHED: &[&str] = &[
    "Invocations",
    "InvocationLatency",
    "InvocationClientErrors",
    "InvocationServerErrors",
    "InvocationThrottles",
    "InputTokenCount",
    "LegacyModelInvocations",
    "OutputTokenCount",
    "OutputImageCount",
    "ModelInvocationLogsCloudWatchDeliverySuccess",
    "ModelInvocationLogsCloudWatchDeliveryFailure",
    "ModelInvocationLogsS3DeliverySuccess",
    "ModelInvocationLogsS3DeliveryFailure",
];

/// The dimension Bedrock's runtime metrics are published by.
const BEDROCK_DIMENSION: &str = "ModelId";

fn of<'a>(t: &'a Template, ty: &'a str) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
    t.resources_of_type(ty)
}

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true))) || v.and_then(Value::as_str) == Some("true")
}

/// The resource of type `ty` that `value` names: a `Ref` or `Fn::GetAtt` to
/// it, or a literal equal to its `name_prop` property.
fn resolve<'a>(
    t: &'a Template,
    value: &Value,
    ty: &'a str,
    name_prop: &str,
) -> Option<(&'a str, &'a Resource)> {
    if let Some(target) = reference_target(value) {
        return t
            .resources
            .get_key_value(target)
            .filter(|(_, r)| r.resource_type == ty)
            .map(|(id, r)| (id.as_str(), r));
    }
    let name = value.as_str()?;
    of(t, ty)
        .find(|(_, r)| r.prop(&[name_prop]).and_then(Value::as_str) == Some(name))
        .map(|(id, r)| (id.as_str(), r))
}

fn variants(config: &Resource) -> &[Value] {
    config
        .prop(&["ProductionVariants"])
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn variant_name(v: &Value) -> &str {
    v.get("VariantName").and_then(Value::as_str).unwrap_or("?")
}

/// Serverless inference runs the model on capacity SageMaker manages for
/// you, outside your VPC and without a network-isolation switch: the
/// developer guide's "Feature exclusions" for serverless endpoints list VPC
/// configuration and network isolation among the features serverless
/// inference does not support
/// (<https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html>).
/// A serverless variant whose model sets `EnableNetworkIsolation: true` or a
/// `VpcConfig` is refused by SageMaker at deploy time, midway through the
/// stack. Serve the model from an instance variant, or use
/// a model without isolation and VPC for the serverless one.
pub(crate) fn rt_serverless_isolation(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, config) in of(t, "AWS::SageMaker::EndpointConfig") {
        for v in variants(config) {
            if v.get("ServerlessConfig").is_none() {
                continue;
            }
            let Some((model_id, model)) = v
                .get("ModelName")
                .and_then(|m| resolve(t, m, "AWS::SageMaker::Model", "ModelName"))
            else {
                continue;
            };
            let mut features = Vec::new();
            if is_true(model.prop(&["EnableNetworkIsolation"])) {
                features.push("EnableNetworkIsolation");
            }
            if model.prop(&["VpcConfig"]).is_some() {
                features.push("VpcConfig");
            }
            if !features.is_empty() {
                out.push(Hit::new(
                    id,
                    format!(
                        "endpoint config {id}: serverless variant {} serves model {model_id}, which sets {}; serverless inference supports neither network isolation nor VPC; serve it from an instance variant, or serve a model without {}",
                        variant_name(v),
                        features.join(" and "),
                        features.join(" or ")
                    ),
                ));
            }
        }
    }
}

/// `RT-013`: each container of an `AWS::SageMaker::Model` whose artifacts are
/// in JumpStart's gated bucket (`jumpstart-private-cache-<stage>-<region>`,
/// the SDK's `gated_content_bucket`) accepts the EULA: SageMaker reads gated
/// artifacts only with `ModelDataSource.S3DataSource.ModelAccessConfig.AcceptEula`
/// true, so a `ModelDataUrl` or a data source without it cannot load.
pub(crate) fn rt_gated_eula(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, model) in of(t, "AWS::SageMaker::Model") {
        let mut containers: Vec<&Value> = model.prop(&["PrimaryContainer"]).into_iter().collect();
        if let Some(Value::Array(list)) = model.prop(&["Containers"]) {
            containers.extend(list);
        }
        for container in containers {
            let source = container.pointer("/ModelDataSource/S3DataSource");
            let Some(uri) = container
                .get("ModelDataUrl")
                .or_else(|| source.and_then(|s| s.get("S3Uri")))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let bucket = uri
                .strip_prefix("s3://")
                .and_then(|u| u.split('/').next())
                .unwrap_or_default();
            if !bucket.starts_with("jumpstart-private-cache-") {
                continue;
            }
            if is_true(source.and_then(|s| s.pointer("/ModelAccessConfig/AcceptEula"))) {
                continue;
            }
            let how = if container.get("ModelDataUrl").is_some() {
                "its ModelDataUrl cannot carry the acceptance: use ModelDataSource.S3DataSource with ModelAccessConfig.AcceptEula true"
            } else {
                "set ModelDataSource.S3DataSource.ModelAccessConfig.AcceptEula to true once the EULA is accepted (mlcdk: JumpStartModel { eula: Eula::accepted(reason) })"
            };
            out.push(Hit::new(
                id,
                format!(
                    "model {id} loads {uri} from JumpStart's gated bucket {bucket} without accepting the model's EULA; {how}"
                ),
            ));
        }
    }
}

/// `(namespace, metric name, dimensions)` of a metric, read with `get`.
fn metric<'a>(get: impl Fn(&str) -> Option<&'a Value>) -> Option<(&'a str, &'a str, &'a Value)> {
    Some((
        get("Namespace")?.as_str()?,
        get("MetricName")?.as_str()?,
        get("Dimensions")?,
    ))
}

/// Each metric an alarm watches: its own metric, or each `MetricStat` of its
/// metric math.
fn alarm_metrics(alarm: &Resource) -> Vec<(&str, &str, &Value)> {
    let mut out: Vec<_> = metric(|k| alarm.properties.get(k)).into_iter().collect();
    if let Some(Value::Array(queries)) = alarm.prop(&["Metrics"]) {
        for q in queries {
            if let Some(m) = q.pointer("/MetricStat/Metric") {
                out.extend(metric(|k| m.get(k)));
            }
        }
    }
    out
}

/// The value of the `EndpointName` dimension.
fn endpoint_dimension(dims: &Value) -> Option<&Value> {
    dims.as_array()?
        .iter()
        .find(|d| d.get("Name").and_then(Value::as_str) == Some("EndpointName"))?
        .get("Value")
}

/// CloudWatch accepts an alarm on any metric name, published or not; an
/// alarm on a metric nobody publishes stays in `INSUFFICIENT_DATA` (or `OK`,
/// with missing data treated so) and never fires. Asynchronous endpoints do
/// not publish `Invocations`, `InvocationsPerInstance` or `OverheadLatency`:
/// the developer guide's exhaustive list of their `AWS/SageMaker` metrics
/// names them as not published
/// (<https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html>;
/// `Invocation4XXErrors`, `Invocation5XXErrors` and `ModelLatency` are
/// published and not flagged). Serverless endpoints have no instances and
/// publish no instance metrics (`CPUUtilization`, `GPUUtilization`,
/// `GPUMemoryUtilization`, `DiskUtilization`) nor `InvocationsPerInstance`
/// (exhaustive list:
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html>).
/// The endpoint is the one the alarm's `EndpointName` dimension names, by
/// reference or by its literal `EndpointName`.
pub(crate) fn rt_alarm_metrics(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, alarm) in of(t, "AWS::CloudWatch::Alarm") {
        for (namespace, metric, dims) in alarm_metrics(alarm) {
            if namespace == "AWS/Bedrock" {
                bedrock_alarm_metric(id, metric, dims, out);
                continue;
            }
            let Some((endpoint_id, endpoint)) = endpoint_dimension(dims)
                .and_then(|v| resolve(t, v, "AWS::SageMaker::Endpoint", "EndpointName"))
            else {
                continue;
            };
            let Some((_, config)) = endpoint.prop(&["EndpointConfigName"]).and_then(|c| {
                resolve(t, c, "AWS::SageMaker::EndpointConfig", "EndpointConfigName")
            }) else {
                continue;
            };
            let asynchronous = config.prop(&["AsyncInferenceConfig"]).is_some();
            let serverless = variants(config)
                .iter()
                .any(|v| v.get("ServerlessConfig").is_some());
            let (kind, table) = if asynchronous && namespace == "AWS/SageMaker" {
                ("asynchronous", ASYNC_NOT_PUBLISHED)
            } else if serverless
                && (namespace == "AWS/SageMaker" || namespace == "/aws/sagemaker/Endpoints")
            {
                ("serverless", SERVERLESS_NOT_PUBLISHED)
            } else {
                continue;
            };
            let published = asynchronous && ASYNC_PUBLISHED.contains(&metric);
            if let Some((_, instead)) = table.iter().find(|(m, _)| *m == metric && !published) {
                out.push(Hit::new(
                    id,
                    format!(
                        "alarm {id} watches {metric} of {kind} endpoint {endpoint_id}, which never publishes it, so the alarm never fires; watch {instead} instead"
                    ),
                ));
            }
        }
    }
}

/// An alarm on `AWS/Bedrock` watches a runtime metric Bedrock publishes, by
/// the one dimension it publishes them by (`ModelId`): any other name or
/// dimension selects a series that never has data.
fn bedrock_alarm_metric(id: &str, metric: &str, dims: &Value, out: &mut Vec<Hit>) {
    if !BEDROCK_PUBLISHED.contains(&metric) {
        out.push(Hit::new(
            id,
            format!(
                "alarm {id} watches {metric} in AWS/Bedrock, which is not among the runtime metrics Bedrock publishes ({}; https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html), so the alarm never fires",
                BEDROCK_PUBLISHED.join(", ")
            ),
        ));
    }
    let other: Vec<&str> = dims
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("Name").and_then(Value::as_str))
        .filter(|n| *n != BEDROCK_DIMENSION)
        .collect();
    if !other.is_empty() {
        out.push(Hit::new(
            id,
            format!(
                "alarm {id} selects {metric} in AWS/Bedrock by {}, but Bedrock publishes its runtime metrics by {BEDROCK_DIMENSION} only, so the alarm never fires; select by {BEDROCK_DIMENSION} (the model id)",
                other.join(" and ")
            ),
        ));
    }
}

/// Instance types of one component, named for messages.
struct Component {
    /// `training`, `processing`, ...
    kind: &'static str,
    /// The SageMaker API enum.
    shape: &'static str,
    types: &'static [&'static str],
}

const ENDPOINT: Component = Component {
    kind: "endpoint",
    shape: "ProductionVariantInstanceType",
    types: instance_types::PRODUCTION_VARIANT,
};
const PROCESSING: Component = Component {
    kind: "processing",
    shape: "ProcessingInstanceType",
    types: instance_types::PROCESSING,
};
const TRAINING: Component = Component {
    kind: "training",
    shape: "TrainingInstanceType",
    types: instance_types::TRAINING,
};
const TRANSFORM: Component = Component {
    kind: "transform",
    shape: "TransformInstanceType",
    types: instance_types::TRANSFORM,
};

/// Push a hit when `value` is a literal instance type `component` does not
/// accept; `what` says where it is (`step Train`, `variant AllTraffic`).
fn check_type(
    out: &mut Vec<Hit>,
    id: &str,
    what: &str,
    value: Option<&Value>,
    component: &Component,
) {
    let Some(ty) = value.and_then(Value::as_str) else {
        return;
    };
    if !component.types.contains(&ty) {
        let article = if component.kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        out.push(Hit::new(
            id,
            format!(
                "{what}: instance type {ty} is not {article} {} instance type (SageMaker API, {})",
                component.kind, component.shape
            ),
        ));
    }
}

/// The instance type of a monitoring job definition (data or model quality
/// job definitions, and those inline in a monitoring schedule).
const MONITORING_INSTANCE: &[&str] = &["JobResources", "ClusterConfig", "InstanceType"];

/// Each SageMaker component accepts its own list of instance types, and the
/// lists differ (an instance type can host endpoints but not run training,
/// or the other way round). CloudFormation does not check the value: a
/// wrong one fails when the endpoint is created or, for pipeline steps, when
/// the pipeline runs. The lists are the enums of the SageMaker API model
/// (`ProductionVariantInstanceType`, `ProcessingInstanceType`,
/// `TrainingInstanceType`, `TransformInstanceType`; API reference:
/// <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html>,
/// <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingClusterConfig.html>,
/// <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceConfig.html>,
/// <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformResources.html>),
/// generated from botocore's copy of the model into `instance_types.rs` by
/// `scripts/instance-types.py`. Checked: endpoint config variants, pipeline
/// processing, training, tuning and transform steps, data and model quality
/// job definitions and monitoring schedules' inline job definitions (these
/// run processing jobs). Parameters and references are not checked.
pub(crate) fn rt_instance_types(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, config) in of(t, "AWS::SageMaker::EndpointConfig") {
        for v in variants(config) {
            let what = format!("variant {}", variant_name(v));
            check_type(out, id, &what, v.get("InstanceType"), &ENDPOINT);
        }
    }
    for (id, pipeline) in of(t, "AWS::SageMaker::Pipeline") {
        for step in mlcdk_core::template::pipeline_steps(pipeline) {
            let name = step.get("Name").and_then(Value::as_str).unwrap_or("?");
            let what = format!("step {name}");
            let (pointer, component) = match step.get("Type").and_then(Value::as_str) {
                Some("Processing") => (
                    "/Arguments/ProcessingResources/ClusterConfig/InstanceType",
                    &PROCESSING,
                ),
                Some("Training") => ("/Arguments/ResourceConfig/InstanceType", &TRAINING),
                Some("Tuning") => (
                    "/Arguments/TrainingJobDefinition/ResourceConfig/InstanceType",
                    &TRAINING,
                ),
                Some("Transform") => ("/Arguments/TransformResources/InstanceType", &TRANSFORM),
                _ => continue,
            };
            check_type(out, id, &what, step.pointer(pointer), component);
        }
    }
    for ty in [
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::ModelQualityJobDefinition",
        "AWS::SageMaker::ModelBiasJobDefinition",
        "AWS::SageMaker::ModelExplainabilityJobDefinition",
    ] {
        for (id, r) in of(t, ty) {
            check_type(
                out,
                id,
                "monitoring job",
                r.prop(MONITORING_INSTANCE),
                &PROCESSING,
            );
        }
    }
    for (id, r) in of(t, "AWS::SageMaker::MonitoringSchedule") {
        let ty = r.prop(&[
            "MonitoringScheduleConfig",
            "MonitoringJobDefinition",
            "MonitoringResources",
            "ClusterConfig",
            "InstanceType",
        ]);
        check_type(out, id, "monitoring job", ty, &PROCESSING);
    }
}

/// Where SageMaker states the traffic-routing limits: the API reference of
/// `TrafficRoutingConfig`.
pub const TRAFFIC_ROUTING_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html";

/// The smallest fleet a variant runs on: its `InitialInstanceCount`, or the
/// `MinCapacity` of a scalable target on it when that is smaller (and at
/// least 1: a target that scales to zero has no fleet to shift then).
fn smallest_fleet(t: &Template, endpoint: &Resource, variant: &Value) -> Option<u64> {
    let initial = variant.get("InitialInstanceCount")?.as_u64()?;
    let name = endpoint.prop(&["EndpointName"]).and_then(Value::as_str);
    let variant = variant_name(variant);
    let minimum = of(t, "AWS::ApplicationAutoScaling::ScalableTarget")
        .filter(|(_, target)| {
            let id = target.prop(&["ResourceId"]).and_then(Value::as_str);
            name.is_some_and(|n| id == Some(format!("endpoint/{n}/variant/{variant}").as_str()))
        })
        .filter_map(|(_, target)| target.prop(&["MinCapacity"])?.as_u64())
        .filter(|m| *m >= 1)
        .min();
    Some(minimum.map_or(initial, |m| m.min(initial)))
}

/// A blue/green deployment with canary or linear traffic shifting turns on
/// the new fleet in batches: the canary, or each linear step. SageMaker
/// states their bounds: the canary "must be less than or equal to 50% of the
/// variant's total instance count", and each linear step "must be 10-50% of
/// the variant's total instance count" (API reference, TrafficRoutingConfig:
/// [`TRAFFIC_ROUTING_DOC`]; the developer guide's canary and linear pages,
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-canary.html>
/// and
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-linear.html>,
/// say the same of the green fleet's capacity). An `INSTANCE_COUNT` size is
/// compared with the variant's fleet: its `InitialInstanceCount`, or the
/// `MinCapacity` of the scalable target on it when that is smaller (and at
/// least 1), since the update may start when the fleet is at its minimum.
/// A `CAPACITY_PERCENT` size is compared with the stated percentages. The
/// template deploys, and the next update of the endpoint fails, which is
/// when the guardrail was wanted. Only literal sizes and counts are judged;
/// the docs state no rounding rule for percentages, so none is assumed.
pub(crate) fn rt_traffic_shift(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, endpoint) in of(t, "AWS::SageMaker::Endpoint") {
        let Some(routing) = endpoint.prop(&[
            "DeploymentConfig",
            "BlueGreenUpdatePolicy",
            "TrafficRoutingConfiguration",
        ]) else {
            continue;
        };
        let (size_prop, low, kind) = match routing.get("Type").and_then(Value::as_str) {
            Some("CANARY") => ("CanarySize", 0, "canary"),
            Some("LINEAR") => ("LinearStepSize", 10, "linear step"),
            _ => continue,
        };
        let Some(size) = routing.get(size_prop) else {
            continue;
        };
        let Some(value) = size.get("Value").and_then(Value::as_u64) else {
            continue;
        };
        let bound = if low == 0 {
            "at most 50%".to_string()
        } else {
            format!("{low}-50%")
        };
        match size.get("Type").and_then(Value::as_str) {
            Some("CAPACITY_PERCENT") if value > 50 || value < low => {
                out.push(Hit::new(
                    id,
                    format!(
                        "endpoint {id}: the {kind} ({size_prop}) is {value}% of the fleet; SageMaker wants {bound} of the variant's instance count, so the next update fails (see {TRAFFIC_ROUTING_DOC})"
                    ),
                ));
            }
            Some("INSTANCE_COUNT") => {
                let Some((_, config)) = endpoint.prop(&["EndpointConfigName"]).and_then(|c| {
                    resolve(t, c, "AWS::SageMaker::EndpointConfig", "EndpointConfigName")
                }) else {
                    continue;
                };
                for v in variants(config) {
                    let Some(fleet) = smallest_fleet(t, endpoint, v) else {
                        continue;
                    };
                    // value / fleet within [low %, 50 %], in integers.
                    if value * 100 > fleet * 50 || value * 100 < fleet * low {
                        out.push(Hit::new(
                            id,
                            format!(
                                "endpoint {id}: the {kind} ({size_prop}) is {value} instance(s), but variant {} runs {fleet}; SageMaker wants {bound} of the variant's instance count, so the next update fails (see {TRAFFIC_ROUTING_DOC})",
                                variant_name(v)
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

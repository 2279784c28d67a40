//! SageMaker hosting rules: endpoint and capture encryption, network isolation,
//! autoscaling, idle alarms, instance counts and monitoring.

use mlcdk_core::Template;
use mlcdk_core::template::{Resource, reference_target as target};
use serde_json::Value;

use super::{is_true, of};
use crate::{Hit, Options, Rule, Severity};
use Severity::{Error, Warning};

/// `SM-001`: instance endpoint configs use a KMS key.
pub(super) const ENDPOINT_KMS: Rule = Rule {
    id: "SM-001",
    severity: Warning,
    error_in_production: false,
    title: "instance endpoint configs use a KMS key",
    explanation: "The ML storage volume of an instance variant holds the model; KmsKeyId encrypts it \
        with a key you control, so its use is logged and can be revoked. Endpoint configs \
        without instance variants (serverless) have no such volume and are exempt. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html",
    check: sm_endpoint_kms,
};

/// `SM-002`: captured data is encrypted with a KMS key.
pub(super) const CAPTURE_KMS: Rule = Rule {
    id: "SM-002",
    severity: Error,
    error_in_production: true,
    title: "captured data is encrypted with a KMS key",
    explanation: "Captured requests and responses are production data, often personal data; \
        DataCaptureConfig.KmsKeyId encrypts the capture destination with a key you control. \
        AWS: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html",
    check: sm_capture_kms,
};

/// `SM-003`: models run network-isolated.
pub(super) const NETWORK_ISOLATION: Rule = Rule {
    id: "SM-003",
    severity: Warning,
    error_in_production: false,
    title: "models run network-isolated",
    explanation: "A network-isolated container makes no outbound network calls, so it cannot send data \
        or model weights out, even if the image is compromised. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html",
    check: sm_network_isolation,
};

/// `SM-004`: real-time endpoints autoscale.
pub(super) const AUTOSCALING: Rule = Rule {
    id: "SM-004",
    severity: Warning,
    error_in_production: false,
    title: "real-time endpoints autoscale",
    explanation: "Fixed capacity is either too small for peaks or paid for while idle; an Application \
        Auto Scaling scalable target on the variant lets the instance count follow the load. \
        AWS: https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html",
    check: sm_autoscaling,
};

/// `SM-005`: instance endpoints have an idle alarm (unless they scale to zero).
pub(super) const IDLE_ALARM: Rule = Rule {
    id: "SM-005",
    severity: Warning,
    error_in_production: false,
    title: "instance endpoints have an idle alarm (unless they scale to zero)",
    explanation: "An endpoint nobody calls still bills every instance-hour; an alarm on Invocations \
        (InvocationsProcessed for asynchronous endpoints, which publish no Invocations) \
        makes the waste visible. An endpoint whose scalable target has a minimum of 0 costs \
        nothing while idle and is exempt. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html",
    check: sm_idle_alarm,
};

/// `SM-006`: production endpoints run two or more instances.
pub(super) const SINGLE_INSTANCE: Rule = Rule {
    id: "SM-006",
    severity: Warning,
    error_in_production: false,
    title: "production endpoints run two or more instances",
    explanation: "One instance is one Availability Zone: an instance or zone failure is an outage. \
        With two or more instances SageMaker spreads them across zones. Production only; \
        asynchronous variants scale from zero by design and are exempt. AWS Config encodes \
        the same rule: \
        https://docs.aws.amazon.com/config/latest/developerguide/sagemaker-endpoint-config-prod-instance-count.html",
    check: sm_single_instance,
};

/// `SM-007`: endpoints that capture data are monitored.
pub(super) const CAPTURE_MONITORED: Rule = Rule {
    id: "SM-007",
    severity: Warning,
    error_in_production: true,
    title: "endpoints that capture data are monitored",
    explanation: "Capturing data without a monitor pays for storage and catches no drift. A \
        monitor compares the captured traffic with a baseline: mlcdk's drift job (a scheduled \
        pipeline whose processing step names the endpoint with `--endpoint`), or a Model \
        Monitor schedule where the account still has Model Monitor. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html",
    check: sm_capture_monitored,
};

/// Whether any of `types` mentions `id` (by reference: `Ref`, `Fn::GetAtt`,
/// `Fn::Sub`) or `name` (inside a literal string, e.g. the endpoint name in a
/// scalable target's `endpoint/<name>/variant/<v>`).
fn mentioned_by(
    t: &Template,
    types: &[&str],
    id: &str,
    name: Option<&str>,
    mut filter: impl FnMut(&Resource) -> bool,
) -> bool {
    fn has_literal(value: &Value, name: &str) -> bool {
        match value {
            Value::String(s) => s.contains(name),
            Value::Array(items) => items.iter().any(|v| has_literal(v, name)),
            Value::Object(map) => map.values().any(|v| has_literal(v, name)),
            _ => false,
        }
    }
    t.resources
        .values()
        .filter(|r| types.contains(&r.resource_type.as_str()) && filter(r))
        .any(|r| {
            let props = Value::Object(r.properties.clone());
            mlcdk_core::template::references(&props).any(|reference| reference.target() == id)
                || name.is_some_and(|n| has_literal(&props, n))
        })
}

fn instance_variants(r: &Resource) -> Vec<&Value> {
    r.prop(&["ProductionVariants"])
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("InstanceType").is_some())
                .collect()
        })
        .unwrap_or_default()
}

/// Real-time endpoints (with instance variants) and their name and config.
fn instance_endpoints(t: &Template) -> Vec<(&str, Option<&str>, &Resource)> {
    of(t, "AWS::SageMaker::Endpoint")
        .filter_map(|(id, r)| {
            let config = t
                .resources
                .get(r.prop(&["EndpointConfigName"]).and_then(target)?)?;
            (!instance_variants(config).is_empty()).then(|| {
                (
                    id.as_str(),
                    r.prop(&["EndpointName"]).and_then(Value::as_str),
                    config,
                )
            })
        })
        .collect()
}

/// The check of [`ENDPOINT_KMS`].
fn sm_endpoint_kms(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SageMaker::EndpointConfig") {
        if !instance_variants(r).is_empty() && r.prop(&["KmsKeyId"]).is_none() {
            out.push(
                Hit::new(
                    id,
                    "instance variants without KmsKeyId; set a KMS key for the ML storage volume",
                )
                .fix("RealtimeEndpointProps { encryption_key: Some(..) }"),
            );
        }
    }
}

/// The check of [`CAPTURE_KMS`].
fn sm_capture_kms(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SageMaker::EndpointConfig") {
        if r.prop(&["DataCaptureConfig"]).is_some()
            && r.prop(&["DataCaptureConfig", "KmsKeyId"]).is_none()
        {
            out.push(Hit::new(id, "data capture without DataCaptureConfig.KmsKeyId; encrypt captured data with a KMS key").fix("RealtimeEndpointProps { encryption_key: Some(..) } encrypts captured data too"));
        }
    }
}

/// The check of [`NETWORK_ISOLATION`].
fn sm_network_isolation(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SageMaker::Model") {
        if !is_true(r.prop(&["EnableNetworkIsolation"])) {
            out.push(
                Hit::new(
                    id,
                    "model is not network-isolated; set EnableNetworkIsolation: true",
                )
                .fix("ModelProps { network_isolation: true }"),
            );
        }
    }
}

/// The check of [`AUTOSCALING`].
fn sm_autoscaling(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, name, _) in instance_endpoints(t) {
        let needle = name.map(|n| format!("endpoint/{n}/"));
        if !mentioned_by(
            t,
            &["AWS::ApplicationAutoScaling::ScalableTarget"],
            id,
            needle.as_deref(),
            |_| true,
        ) {
            out.push(Hit::new(id, "no autoscaling target; add an ApplicationAutoScaling ScalableTarget for the variant").fix("Variant { autoscaling: Some(Autoscaling::between(min, max)) }"));
        }
    }
}

/// The check of [`IDLE_ALARM`].
fn sm_idle_alarm(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, name, _) in instance_endpoints(t) {
        // Async endpoints never publish Invocations (RT-004): their idle
        // signal is InvocationsProcessed.
        let idle = |r: &Resource| {
            matches!(
                r.prop(&["MetricName"]).and_then(Value::as_str),
                Some("Invocations" | "InvocationsProcessed")
            )
        };
        // An endpoint that scales to zero costs nothing while idle: no
        // idle alarm is needed (the async scale-to-zero pattern).
        let to_zero = |r: &Resource| r.prop(&["MinCapacity"]).and_then(Value::as_u64) == Some(0);
        if mentioned_by(
            t,
            &["AWS::ApplicationAutoScaling::ScalableTarget"],
            id,
            name,
            to_zero,
        ) {
            continue;
        }
        if !mentioned_by(t, &["AWS::CloudWatch::Alarm"], id, name, idle) {
            out.push(Hit::new(
                id,
                "no alarm on Invocations (InvocationsProcessed for async endpoints); add an idle alarm so an unused endpoint is noticed",
            ).fix("RealtimeEndpointProps { idle_hours: Some(24) }"));
        }
    }
}

/// The check of [`SINGLE_INSTANCE`].
fn sm_single_instance(t: &Template, o: &Options, out: &mut Vec<Hit>) {
    if !o.production {
        return;
    }
    for (id, _, config) in instance_endpoints(t) {
        for v in instance_variants(config) {
            let count = v
                .get("InitialInstanceCount")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            // Async variants scale from zero by design.
            if count < 2 && config.prop(&["AsyncInferenceConfig"]).is_none() {
                out.push(Hit::new(id, format!("variant {} starts with {count} instance in production; run at least 2 for availability", v.get("VariantName").and_then(Value::as_str).unwrap_or("?"))).fix("Variant { initial_count: 2 } and an autoscaling minimum of 2"));
            }
        }
    }
}

/// Whether a pipeline started on a schedule runs a processing step given
/// `--endpoint <endpoint>` (mlcdk's monitoring job, or one with its
/// contract).
fn monitored_by_scheduled_job(t: &Template, endpoint: &str) -> bool {
    of(t, "AWS::SageMaker::Pipeline").any(|(pipeline, r)| {
        let names_endpoint = mlcdk_core::template::pipeline_steps(r).iter().any(|step| {
            step.pointer("/Arguments/AppSpecification/ContainerEntrypoint")
                .and_then(Value::as_array)
                .is_some_and(|args| {
                    args.windows(2)
                        .any(|w| w[0] == "--endpoint" && w[1] == endpoint)
                })
        });
        names_endpoint
            && mentioned_by(t, &["AWS::Events::Rule"], pipeline, None, |rule| {
                rule.prop(&["ScheduleExpression"]).is_some()
            })
    })
}

/// The check of [`CAPTURE_MONITORED`].
fn sm_capture_monitored(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    const MONITORS: &[&str] = &[
        "AWS::SageMaker::MonitoringSchedule",
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::ModelQualityJobDefinition",
        "AWS::SageMaker::ModelBiasJobDefinition",
        "AWS::SageMaker::ModelExplainabilityJobDefinition",
    ];
    for (id, r) in of(t, "AWS::SageMaker::Endpoint") {
        let Some(config) = r
            .prop(&["EndpointConfigName"])
            .and_then(target)
            .and_then(|c| t.resources.get(c))
        else {
            continue;
        };
        let capturing = config.prop(&["DataCaptureConfig"]).is_some()
            && config.prop(&["DataCaptureConfig", "EnableCapture"]) != Some(&Value::Bool(false));
        let name = r
            .prop(&["EndpointName"])
            .and_then(Value::as_str)
            .map(|n| format!("\"{n}\""));
        let by_job = r
            .prop(&["EndpointName"])
            .and_then(Value::as_str)
            .is_some_and(|n| monitored_by_scheduled_job(t, n));
        if capturing && !by_job && !mentioned_by(t, MONITORS, id, name.as_deref(), |_| true) {
            out.push(
                Hit::new(
                    id,
                    "captures data but no monitoring schedule reads it; add a data-quality monitor",
                )
                .fix("a Monitor (mlcdk::monitoring) on the endpoint"),
            );
        }
    }
}

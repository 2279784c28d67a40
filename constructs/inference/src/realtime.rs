//! Real-time and multi-model endpoints.

use std::collections::HashSet;

use mlcdk_core::iam::{Grant, PolicyStatement};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, Construct, Expr, Json, Node, ResourceRef, Scope};
use mlcdk_sagemaker::{
    Alarm, AlarmProps, Comparison, EndpointRef, InstanceType, MissingData, PRIMARY_VARIANT,
};
use mlcdk_storage::{KeyRef, S3Path};

use crate::common::*;
use crate::model::Model;

/// Target-tracking autoscaling of an instance variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscaling {
    /// At least 1: a real-time variant cannot scale to zero.
    pub min: u32,
    /// At least `min`; the ceiling of the variant's cost (instances × hourly
    /// price).
    pub max: u32,
    /// Target `SageMakerVariantInvocationsPerInstance` (per minute); a finite
    /// number above 0.
    pub invocations_per_instance: f64,
    /// Seconds after a scale-in before the next one (default 300): slow to shed
    /// capacity.
    pub scale_in_cooldown: u32,
    /// Seconds after a scale-out before the next one (default 60): quick to add
    /// capacity.
    pub scale_out_cooldown: u32,
}

impl Autoscaling {
    /// Scale between `min` and `max` instances, targeting 1,000 invocations per
    /// instance per minute.
    pub fn between(min: u32, max: u32) -> Autoscaling {
        Autoscaling {
            min,
            max,
            invocations_per_instance: 1000.0,
            scale_in_cooldown: 300,
            scale_out_cooldown: 60,
        }
    }
}

/// One production variant.
#[derive(Clone, Debug)]
pub struct Variant {
    /// 1–63 letters, digits or `-`, unique within the endpoint; the
    /// `VariantName` dimension of its metrics and alarms.
    pub name: String,
    /// The model the variant serves.
    pub model: Model,
    /// Instance type, `ml.<family>.<size>` (e.g. `ml.m5.large`).
    ///
    /// Changing it on a variant with `autoscaling` makes the stack update
    /// fail: "If the update would change the instance type for any model
    /// that is a target for auto scaling, the update fails"
    /// (<https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html>).
    /// Renaming the variant does not help (removing an autoscaled variant
    /// needs the same deregistration, and blue/green updates need the same
    /// variant names). Change it in two deploys: one with `autoscaling: None`
    /// (CloudFormation deletes the scalable target), then one with the new
    /// type and autoscaling back.
    pub instance: InstanceType,
    /// Instances at creation, at least 1 (default 1); raised to the autoscaling
    /// minimum when lower.
    pub initial_count: u32,
    /// Relative share of traffic (A/B tests): a finite number, 0 or more.
    pub weight: f64,
    /// Target-tracking autoscaling; a fixed `initial_count` when `None`.
    pub autoscaling: Option<Autoscaling>,
}

impl Variant {
    /// A variant named `name` of `model` on one `instance`, weight 1, no
    /// autoscaling.
    pub fn new(name: &str, model: &Model, instance: InstanceType) -> Variant {
        Variant {
            name: name.to_string(),
            model: model.clone(),
            instance,
            initial_count: 1,
            weight: 1.0,
            autoscaling: None,
        }
    }
}

/// Data capture for monitoring.
#[derive(Clone, Debug)]
pub struct DataCapture {
    /// 0–100.
    pub sampling_percent: u32,
    /// Where captures go (JSON Lines per hour); encrypted with the bucket's
    /// key, else the endpoint's.
    pub destination: S3Path,
    /// Capture requests (default on).
    pub capture_input: bool,
    /// Capture responses (default on); a monitor of model quality needs both.
    pub capture_output: bool,
}

impl DataCapture {
    /// Capture `percent` % of requests and responses to `destination`.
    pub fn sample(percent: u32, destination: S3Path) -> DataCapture {
        DataCapture {
            sampling_percent: percent,
            destination,
            capture_input: true,
            capture_output: true,
        }
    }
}

/// How a blue/green deployment shifts traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrafficShift {
    /// All traffic to the new fleet at once, then `wait_seconds` of watching
    /// the alarms before the old fleet goes.
    AllAtOnce {
        /// Seconds, 0–3,600.
        wait_seconds: u32,
    },
    /// `percent` of capacity first, the rest after `wait_seconds`.
    Canary {
        /// Share of the new fleet's capacity in the canary, 1–50 %, and at
        /// least one instance of the variant's smallest fleet (its autoscaling
        /// minimum, else its instance count).
        percent: u32,
        /// Seconds, 0–3,600.
        wait_seconds: u32,
    },
    /// `percent` of capacity per step, every `wait_seconds`.
    Linear {
        /// Share of capacity shifted per step, 10–50 %, and at least one
        /// instance of the variant's smallest fleet.
        percent: u32,
        /// Seconds between steps, 0–3,600.
        wait_seconds: u32,
    },
}

/// Deployment guardrails: blue/green updates that roll back when an alarm fires.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Guardrails {
    /// How traffic moves to the new fleet.
    pub shift: TrafficShift,
    /// Keep the old fleet this long after shifting (0–3,600 s).
    pub termination_wait_seconds: u32,
    /// Give up (and roll back) after this long (600–28,800 s).
    pub max_execution_seconds: u32,
}

impl Guardrails {
    /// 10 % canary for 10 minutes, rolled back on the endpoint's alarms; the
    /// fleet needs at least 10 instances for 10 % to be one.
    pub fn canary() -> Guardrails {
        Guardrails {
            shift: TrafficShift::Canary {
                percent: 10,
                wait_seconds: 600,
            },
            termination_wait_seconds: 600,
            max_execution_seconds: 3600,
        }
    }

    /// A canary of one instance of a fleet of `fleet` instances (the
    /// variant's autoscaling minimum, else its instance count) for 10
    /// minutes: the smallest whole-instance share, rounded up. A fleet of one
    /// instance cannot have a canary (one instance is 100 %, and SageMaker
    /// takes at most 50 %), so it gets all-at-once traffic shifting with the
    /// same 10 minutes of baking on the alarms.
    pub fn canary_of_one(fleet: u32) -> Guardrails {
        let shift = if fleet >= 2 {
            TrafficShift::Canary {
                percent: 100_u32.div_ceil(fleet),
                wait_seconds: 600,
            }
        } else {
            TrafficShift::AllAtOnce { wait_seconds: 600 }
        };
        Guardrails {
            shift,
            ..Guardrails::canary()
        }
    }
}

/// Props of a [`RealtimeEndpoint`].
#[derive(Clone, Debug)]
pub struct RealtimeEndpointProps {
    /// 1 to 10 variants; traffic is split by weight.
    pub variants: Vec<Variant>,
    /// Capture requests and responses to S3, which monitors need; off when
    /// `None`.
    pub data_capture: Option<DataCapture>,
    /// Encrypts the instances' storage volumes (and data capture, when its
    /// bucket has no key of its own).
    pub encryption_key: Option<KeyRef>,
    /// Blue/green updates with automatic rollback on the endpoint's error and
    /// latency alarms (single-variant endpoints only); `None` updates in place.
    pub guardrails: Option<Guardrails>,
    /// Topic the alarms notify.
    pub alerts: Option<TopicRef>,
    /// Alarm when a variant has had no invocation for this many hours
    /// (1–168); `None` turns the idle alarm off.
    pub idle_hours: Option<u32>,
    /// Share of requests answered with a 5xx (above 0, below 1; default
    /// 0.05) that raises the error alarm, a rollback alarm of the guardrails.
    /// Below the canary's (or first linear step's) share, or a canary that
    /// fails every request could not raise it.
    pub max_5xx_rate: f64,
    /// Average model latency (ms) that raises the latency alarm.
    pub max_latency_ms: u32,
}

impl RealtimeEndpointProps {
    /// `variants` (1 to 10), sharing traffic by weight; idle alarm after 24 h,
    /// error alarm above 5 % of requests, latency alarm above 1 s.
    pub fn new(variants: impl IntoIterator<Item = Variant>) -> RealtimeEndpointProps {
        RealtimeEndpointProps {
            variants: variants.into_iter().collect(),
            data_capture: None,
            encryption_key: None,
            guardrails: None,
            alerts: None,
            idle_hours: Some(24),
            max_5xx_rate: 0.05,
            max_latency_ms: 1000,
        }
    }

    /// One variant, `Primary`, of `model` on one `instance`.
    pub fn single(model: &Model, instance: InstanceType) -> RealtimeEndpointProps {
        RealtimeEndpointProps::new([Variant::new(PRIMARY_VARIANT, model, instance)])
    }

    /// One variant, `Primary`, of `model` on `instance`, scaled by
    /// `autoscaling` (and started at its minimum).
    pub fn autoscaled(
        model: &Model,
        instance: InstanceType,
        autoscaling: Autoscaling,
    ) -> RealtimeEndpointProps {
        RealtimeEndpointProps::new([Variant {
            autoscaling: Some(autoscaling),
            ..Variant::new(PRIMARY_VARIANT, model, instance)
        }])
    }

    /// A/B testing: one variant per `(model, weight)` on `instance`, sharing
    /// traffic by weight (`[(&champion, 0.9), (&challenger, 0.1)]`). Each
    /// variant is named after its model's construct id (letters, digits and
    /// `-`), which names its metrics and alarms.
    pub fn weighted<'a>(
        instance: InstanceType,
        models: impl IntoIterator<Item = (&'a Model, f64)>,
    ) -> RealtimeEndpointProps {
        RealtimeEndpointProps::new(models.into_iter().map(|(model, weight)| {
            let id = model.node_path().components().last().unwrap_or_default();
            let name: String = id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(63)
                .collect();
            Variant {
                weight,
                ..Variant::new(&name, model, instance.clone())
            }
        }))
    }
}

/// A real-time endpoint: instance variants with autoscaling, data capture,
/// KMS-encrypted volumes, blue/green guardrails, and alarms (5xx errors, model
/// latency, idleness).
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
/// use mlcdk_sagemaker::InstanceType;
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let capture = Bucket::new(&mut stack, "Capture", BucketProps::default());
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let model = Model::new(&mut stack, "Churn3", ModelProps::from_registry(registry.version(3)));
/// let serve = RealtimeEndpoint::new(&mut stack, "Serve", RealtimeEndpointProps {
///     data_capture: Some(DataCapture::sample(20, capture.prefix("capture/"))),
///     // A canary of one instance of the 2-instance floor.
///     guardrails: Some(Guardrails::canary_of_one(2)),
///     ..RealtimeEndpointProps::autoscaled(&model, InstanceType::m5_large(), Autoscaling::between(2, 4))
/// });
/// assert!(serve.scaling_target("Primary").is_some());
/// assert_eq!(serve.metric_invocations("Primary").name, "Invocations");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct RealtimeEndpoint {
    parts: Parts,
    capture: Option<S3Path>,
}

endpoint_handle!(RealtimeEndpoint, "Invocations");

impl RealtimeEndpoint {
    /// An endpoint, its config, alarms and autoscaling, validated at synth:
    /// variants (names, instance types, counts, weights, autoscaling bounds
    /// and targets), data capture, guardrails (traffic steps that fit the
    /// fleet), the error rate, idle hours.
    pub fn new(scope: &mut impl Scope, id: &str, props: RealtimeEndpointProps) -> RealtimeEndpoint {
        RealtimeEndpoint::build(scope, id, props, false)
    }

    fn build(
        scope: &mut impl Scope,
        id: &str,
        props: RealtimeEndpointProps,
        multi_model: bool,
    ) -> RealtimeEndpoint {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let name = endpoint_name(&node);
        let variant_names = || props.variants.iter().map(|v| v.name.clone());
        // Metrics and alarms name the endpoint by its fixed name.
        let named = EndpointRef::from_name(&name, variant_names());
        for e in validate(&props) {
            node.error(e);
        }
        if multi_model && props.variants.iter().any(|v| !v.model.is_multi_model()) {
            node.error(
                "a multi-model endpoint needs a multi-model model (ModelProps::multi_model)",
            );
        }
        let config = node.add_resource("Config", endpoint_config(&props));

        let (alarms, rollback_alarms) = variant_alarms(&mut node, &named, &props);

        let mut endpoint = CfnResource::new("AWS::SageMaker::Endpoint")
            .set("EndpointName", name.as_str())
            .set("EndpointConfigName", config.get_att("EndpointConfigName"));
        if let Some(g) = &props.guardrails {
            for v in &props.variants {
                grant_describe_alarms(&v.model, &rollback_alarms);
            }
            endpoint = endpoint.set("DeploymentConfig", deployment_config(g, &rollback_alarms));
        }
        // An update without RetainAllVariantProperties resets every variant
        // to its InitialInstanceCount, dropping an autoscaled fleet to its
        // floor on each model promotion; with it, "production variants with
        // the same name are updated with the most recent
        // DesiredInstanceCount from DescribeEndpoint, regardless of the
        // values of the InitialInstanceCount field in the new
        // EndpointConfig" (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
        // Retaining also keeps the old weights, which autoscaling never
        // changes, so the template's weights still apply: DesiredWeight is
        // excluded (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VariantProperty.html;
        // DataCaptureConfig, the other type, is "not currently supported").
        // The model, the instance type and the data capture come from the
        // new config either way. Residual: the instance count of a variant
        // without autoscaling beside an autoscaled one is retained too, so a
        // changed initial_count of it takes effect only on replacement.
        if props.variants.iter().any(|v| v.autoscaling.is_some()) {
            endpoint = endpoint.set("RetainAllVariantProperties", true).set(
                "ExcludeRetainedVariantProperties",
                Json::array([Json::object([(
                    "VariantPropertyType",
                    Json::from("DesiredWeight"),
                )])]),
            );
        }
        let resource = node.add_resource("Resource", endpoint);

        let scaling_targets = variant_scaling(&mut node, &name, &props, &resource);
        let capture = props.data_capture.as_ref().map(|c| c.destination.clone());
        RealtimeEndpoint {
            parts: Parts {
                scaling_targets,
                alarms,
                ..Parts::in_stack(
                    resource,
                    path,
                    &name,
                    variant_names().collect(),
                    capture.clone(),
                    config,
                )
            },
            capture,
        }
    }

    /// Where data capture writes, when on (monitoring needs it).
    pub fn capture(&self) -> Option<&S3Path> {
        self.capture.as_ref()
    }
}

/// The endpoint config: the variants (each started at its autoscaling
/// floor), the volume key and data capture; grants the models' roles what
/// capture needs.
fn endpoint_config(props: &RealtimeEndpointProps) -> CfnResource {
    let variants: Vec<Json> = props
        .variants
        .iter()
        .map(|v| {
            Json::object([
                ("VariantName", Json::from(v.name.as_str())),
                ("ModelName", Json::from(v.model.name())),
                ("InstanceType", Json::from(v.instance.as_str())),
                // Start at the autoscaling floor: scaling only reacts
                // to load, so a lower start would stay below the floor
                // until the first scaling event.
                (
                    "InitialInstanceCount",
                    Json::from(
                        v.initial_count
                            .max(v.autoscaling.as_ref().map_or(0, |a| a.min)),
                    ),
                ),
                ("InitialVariantWeight", number(v.weight)),
            ])
        })
        .collect();
    let mut config = CfnResource::new("AWS::SageMaker::EndpointConfig")
        .set("ProductionVariants", Json::Array(variants));
    if let Some(k) = &props.encryption_key {
        config = config.set("KmsKeyId", k.arn());
    }
    if let Some(c) = &props.data_capture {
        let mut options = Vec::new();
        if c.capture_input {
            options.push(Json::object([("CaptureMode", Json::from("Input"))]));
        }
        if c.capture_output {
            options.push(Json::object([("CaptureMode", Json::from("Output"))]));
        }
        let mut dc = vec![
            ("EnableCapture", Json::Bool(true)),
            ("InitialSamplingPercentage", Json::from(c.sampling_percent)),
            ("DestinationS3Uri", Json::from(c.destination.uri())),
            ("CaptureOptions", Json::Array(options)),
            (
                "CaptureContentTypeHeader",
                Json::object([("CsvContentTypes", Json::array([Json::from("text/csv")]))]),
            ),
        ];
        // Captures are production requests: encrypt them with the
        // bucket's key, else the endpoint's.
        let key = c
            .destination
            .bucket
            .encryption_key()
            .or_else(|| props.encryption_key.clone());
        if let Some(k) = key {
            dc.push(("KmsKeyId", Json::from(k.arn())));
            for v in &props.variants {
                k.grant_encrypt(&v.model);
            }
        }
        config = config.set("DataCaptureConfig", Json::object(dc));
        // The endpoint writes captures as the model's role.
        for v in &props.variants {
            c.destination.grant_write(&v.model);
        }
    }
    config
}

/// Each variant's error-rate, latency and (when on) idle alarms, and the
/// rollback alarms of the guardrails (errors and latency).
fn variant_alarms(
    node: &mut Node<'_>,
    named: &EndpointRef,
    props: &RealtimeEndpointProps,
) -> (Vec<Alarm>, Vec<ResourceRef>) {
    let name = named.physical_name();
    let alerts = props.alerts.as_ref();
    let mut alarms: Vec<Alarm> = Vec::new();
    let mut rollback_alarms = Vec::new();
    for v in &props.variants {
        let errors = error_rate_alarm(
            node,
            (named, &v.name),
            &format!("{name}/{}", v.name),
            props.max_5xx_rate,
            alerts,
        );
        let latency = Alarm::new(
            node,
            &format!("{}Latency", v.name),
            AlarmProps {
                description: Some(format!(
                    "{name}/{}: model latency above {} ms",
                    v.name, props.max_latency_ms
                )),
                evaluation_periods: 5,
                missing_data: MissingData::NotBreaching,
                alerts: alerts.cloned(),
                // ModelLatency is in microseconds.
                ..AlarmProps::new(
                    named.metric_model_latency(&v.name),
                    Comparison::GreaterThan,
                    f64::from(props.max_latency_ms) * 1000.0,
                )
            },
        );
        rollback_alarms.push(errors.resource().clone());
        rollback_alarms.push(latency.resource().clone());
        alarms.push(errors);
        alarms.push(latency);
        if let Some(h) = props.idle_hours {
            alarms.push(idle_alarm(
                node,
                (name, &v.name),
                named.metric_invocations(&v.name),
                h,
                alerts,
            ));
        }
    }
    (alarms, rollback_alarms)
}

/// SageMaker reads the auto-rollback alarms as the model's execution role:
/// "Ensure that your IAM execution role has permission to perform the
/// cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify"
/// (<https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html>).
/// Scoped to the alarms' ARNs; the alarms refer to nothing of the model, so
/// this makes no cycle.
fn grant_describe_alarms(model: &Model, rollback_alarms: &[ResourceRef]) -> Grant {
    Grant::to(
        model,
        [PolicyStatement::allow()
            .actions(["cloudwatch:DescribeAlarms"])
            .resources(rollback_alarms.iter().map(|a| {
                // The alarm's ARN from its name (`Ref`), the form
                // DescribeAlarms authorizes
                // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html),
                // which the rule pack can also follow.
                Expr::concat([
                    Expr::lit("arn:"),
                    Expr::partition(),
                    Expr::lit(":cloudwatch:"),
                    Expr::region(),
                    Expr::lit(":"),
                    Expr::account_id(),
                    Expr::lit(":alarm:"),
                    a.reference(),
                ])
            }))],
    )
}

/// The blue/green `DeploymentConfig` of the guardrails, rolled back on
/// `rollback_alarms`.
fn deployment_config(g: &Guardrails, rollback_alarms: &[ResourceRef]) -> Json {
    let (kind, size, wait) = match g.shift {
        TrafficShift::AllAtOnce { wait_seconds } => ("ALL_AT_ONCE", None, wait_seconds),
        TrafficShift::Canary {
            percent,
            wait_seconds,
        } => ("CANARY", Some(("CanarySize", percent)), wait_seconds),
        TrafficShift::Linear {
            percent,
            wait_seconds,
        } => ("LINEAR", Some(("LinearStepSize", percent)), wait_seconds),
    };
    let mut routing = vec![
        ("Type", Json::from(kind)),
        ("WaitIntervalInSeconds", Json::from(wait)),
    ];
    if let Some((key, percent)) = size {
        routing.push((
            key,
            Json::object([
                ("Type", Json::from("CAPACITY_PERCENT")),
                ("Value", Json::from(percent)),
            ]),
        ));
    }
    Json::object([
        (
            "BlueGreenUpdatePolicy",
            Json::object([
                ("TrafficRoutingConfiguration", Json::object(routing)),
                (
                    "TerminationWaitInSeconds",
                    Json::from(g.termination_wait_seconds),
                ),
                (
                    "MaximumExecutionTimeoutInSeconds",
                    Json::from(g.max_execution_seconds),
                ),
            ]),
        ),
        (
            "AutoRollbackConfiguration",
            Json::object([(
                "Alarms",
                Json::Array(
                    rollback_alarms
                        .iter()
                        .map(|a| Json::object([("AlarmName", Json::from(a.reference()))]))
                        .collect(),
                ),
            )]),
        ),
    ])
}

/// Target tracking on `SageMakerVariantInvocationsPerInstance` for each
/// autoscaled variant; its scalable targets by variant name.
fn variant_scaling(
    node: &mut Node<'_>,
    name: &str,
    props: &RealtimeEndpointProps,
    resource: &ResourceRef,
) -> Vec<(String, ResourceRef)> {
    let mut scaling_targets = Vec::new();
    for v in &props.variants {
        if let Some(a) = &v.autoscaling {
            let target = scalable_target(
                node,
                &format!("{}Scaling", v.name),
                (name, &v.name),
                "sagemaker:variant:DesiredInstanceCount",
                (a.min, a.max),
                resource,
            );
            target_tracking(
                node,
                &format!("{}Invocations", v.name),
                &target,
                (
                    "PredefinedMetricSpecification",
                    Json::object([(
                        "PredefinedMetricType",
                        Json::from("SageMakerVariantInvocationsPerInstance"),
                    )]),
                ),
                a.invocations_per_instance,
                (a.scale_in_cooldown, a.scale_out_cooldown),
            );
            scaling_targets.push((v.name.clone(), target));
        }
    }
    scaling_targets
}

fn validate(p: &RealtimeEndpointProps) -> Vec<String> {
    let mut errors = Vec::new();
    if p.variants.is_empty() {
        errors.push("the endpoint has no variants".into());
    }
    if p.variants.len() > 10 {
        errors.push(format!(
            "{} variants; an endpoint has at most 10",
            p.variants.len()
        ));
    }
    let mut names = HashSet::new();
    for v in &p.variants {
        let valid = !v.name.is_empty()
            && v.name.len() <= 63
            && v.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            errors.push(format!(
                "variant name '{}' is invalid: 1 to 63 letters, digits or '-'",
                v.name
            ));
        }
        if !names.insert(v.name.as_str()) {
            errors.push(format!("variant '{}' is defined twice", v.name));
        }
        if v.initial_count == 0 {
            errors.push(format!(
                "variant '{}': initial_count must be at least 1",
                v.name
            ));
        }
        // InitialVariantWeight: a float, 0 or more
        // (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html).
        if let Err(e) = check_float("weight", v.weight, (0.0, false), f64::MAX) {
            errors.push(format!("variant '{}': {e}", v.name));
        }
        if let Some(a) = &v.autoscaling {
            if a.min == 0 {
                errors.push(format!(
                    "variant '{}': autoscaling min 0 is not allowed: a real-time instance variant keeps at least 1 instance (use an async endpoint to scale to zero)",
                    v.name
                ));
            }
            if a.min > a.max {
                errors.push(format!(
                    "variant '{}': autoscaling min ({}) exceeds max ({})",
                    v.name, a.min, a.max
                ));
            }
            if let Err(e) = check_float(
                "autoscaling.invocations_per_instance target",
                a.invocations_per_instance,
                (0.0, true),
                MAX_TARGET_VALUE,
            ) {
                errors.push(format!("variant '{}': {e}", v.name));
            }
        }
        if let Err(e) = v.model.check_instance(&v.instance) {
            errors.push(format!("variant '{}': {e}", v.name));
        }
        if p.encryption_key.is_some() && v.instance.has_local_storage() {
            errors.push(format!(
                "variant '{}': {} has local NVMe storage, which SageMaker encrypts itself; it takes no volume KMS key (remove encryption_key or pick another instance type)",
                v.name, v.instance
            ));
        }
    }
    if !p.variants.is_empty() && p.variants.iter().all(|v| v.weight == 0.0) {
        errors.push("every variant has weight 0: no traffic would be served".into());
    }
    if let Some(c) = &p.data_capture {
        if c.sampling_percent > 100 {
            errors.push(format!(
                "data capture sampling {} % is out of range: 0 to 100",
                c.sampling_percent
            ));
        }
        if !c.capture_input && !c.capture_output {
            errors
                .push("data capture captures neither input nor output; enable at least one".into());
        }
    }
    if let Some(g) = &p.guardrails {
        if p.variants.len() > 1 {
            errors.push("deployment guardrails (blue/green) need a single-variant endpoint".into());
        }
        let (percent, wait) = match g.shift {
            TrafficShift::AllAtOnce { wait_seconds } => (None, wait_seconds),
            TrafficShift::Canary {
                percent,
                wait_seconds,
            }
            | TrafficShift::Linear {
                percent,
                wait_seconds,
            } => (Some(percent), wait_seconds),
        };
        // "CanarySize: ... Value must be less than or equal to 50% of the
        // variant's total instance count"; "LinearStepSize: ... Value must be
        // 10-50% of the variant's total instance count"
        // (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html).
        // And a step is whole instances: one that is less than one instance
        // of the variant's smallest fleet (the update may start with the
        // fleet at its autoscaling floor) shifts nothing, or more than asked.
        let (kind, low) = match g.shift {
            TrafficShift::Linear { .. } => ("linear step", 10),
            _ => ("canary", 1),
        };
        if let Some(pc) = percent {
            if !(low..=50).contains(&pc) {
                errors.push(format!(
                    "guardrails: the {kind} of {pc} % is out of range: {low} to 50 % of the variant's instance count (API_TrafficRoutingConfig)"
                ));
            }
            for v in &p.variants {
                let fleet = v.autoscaling.as_ref().map_or(v.initial_count, |a| a.min);
                if fleet > 0 && u64::from(pc) * u64::from(fleet) < 100 {
                    errors.push(format!(
                        "guardrails: the {kind} of {pc} % of variant '{}' is {:.2} of its {fleet} instance(s), less than one instance; use at least {} % (Guardrails::canary_of_one), a bigger fleet, or TrafficShift::AllAtOnce",
                        v.name,
                        f64::from(pc) * f64::from(fleet) / 100.0,
                        100_u32.div_ceil(fleet)
                    ));
                }
            }
            // During the first step the new fleet takes about `pc` % of
            // the traffic; the error alarm watches the whole variant, so a
            // new model failing every request shows as a rate of about
            // pc/100, which must exceed the threshold to roll back.
            if p.max_5xx_rate.is_finite() && p.max_5xx_rate * 100.0 >= f64::from(pc) {
                errors.push(format!(
                    "guardrails: max_5xx_rate {} is not below the {kind}'s share of traffic ({pc} %): a new model failing every request could not raise the rollback alarm; lower max_5xx_rate",
                    p.max_5xx_rate
                ));
            }
        }
        if wait > 3600 {
            errors.push(format!(
                "guardrails: wait of {wait} s is out of range: 0 to 3600"
            ));
        }
        if g.termination_wait_seconds > 3600 {
            errors.push(format!(
                "guardrails: termination wait of {} s is out of range: 0 to 3600",
                g.termination_wait_seconds
            ));
        }
        if !(600..=28800).contains(&g.max_execution_seconds) {
            errors.push(format!(
                "guardrails: maximum execution time of {} s is out of range: 600 to 28800",
                g.max_execution_seconds
            ));
        }
    }
    if let Some(h) = p.idle_hours
        && let Err(e) = check_idle_hours(h)
    {
        errors.push(e);
    }
    if let Err(e) = check_error_rate(p.max_5xx_rate) {
        errors.push(e);
    }
    errors
}

/// Props of a [`MultiModelEndpoint`].
#[derive(Clone, Debug)]
pub struct MultiModelEndpointProps {
    /// A model made with `ModelProps::multi_model`.
    pub model: Model,
    /// Instance type of the fleet.
    pub instance: InstanceType,
    /// Target-tracking autoscaling of the fleet; fixed at one instance when
    /// `None`.
    pub autoscaling: Option<Autoscaling>,
    /// Topic the alarms notify.
    pub alerts: Option<TopicRef>,
    /// Alarm when no model was invoked for this many hours (1–168); `None`
    /// turns the idle alarm off.
    pub idle_hours: Option<u32>,
    /// Encrypts the instances' storage volumes.
    pub encryption_key: Option<KeyRef>,
}

impl MultiModelEndpointProps {
    /// One instance of `instance` serving `model`, idle alarm after 24 h.
    pub fn new(model: &Model, instance: InstanceType) -> MultiModelEndpointProps {
        MultiModelEndpointProps {
            model: model.clone(),
            instance,
            autoscaling: None,
            alerts: None,
            idle_hours: Some(24),
            encryption_key: None,
        }
    }
}

/// Many models sharing one fleet: a real-time endpoint whose single container
/// loads models from an S3 prefix on demand.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_sagemaker::{EcrImage, InstanceType};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let models = Bucket::new(&mut stack, "Models", BucketProps::default());
/// let image: EcrImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5".parse().unwrap();
/// let many = Model::new(&mut stack, "Segments", ModelProps::multi_model(image, models.prefix("segments/")));
/// let endpoint = MultiModelEndpoint::new(&mut stack, "SegmentsEndpoint", MultiModelEndpointProps {
///     autoscaling: Some(Autoscaling::between(1, 3)),
///     ..MultiModelEndpointProps::new(&many, InstanceType::m5_large())
/// });
/// assert_eq!(endpoint.variants(), ["Primary"]);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct MultiModelEndpoint {
    parts: Parts,
    endpoint: RealtimeEndpoint,
}

endpoint_handle!(MultiModelEndpoint, "Invocations");

impl MultiModelEndpoint {
    /// A multi-model endpoint: a single-variant real-time endpoint whose model
    /// must be in multi-model mode (checked at synth).
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        props: MultiModelEndpointProps,
    ) -> MultiModelEndpoint {
        let variant = Variant {
            autoscaling: props.autoscaling,
            ..Variant::new(PRIMARY_VARIANT, &props.model, props.instance)
        };
        let rt = RealtimeEndpointProps {
            alerts: props.alerts,
            idle_hours: props.idle_hours,
            encryption_key: props.encryption_key,
            ..RealtimeEndpointProps::new([variant])
        };
        let endpoint = RealtimeEndpoint::build(scope, id, rt, true);
        MultiModelEndpoint {
            parts: endpoint.parts.clone(),
            endpoint,
        }
    }

    /// The underlying real-time endpoint.
    pub fn endpoint(&self) -> &RealtimeEndpoint {
        &self.endpoint
    }
}

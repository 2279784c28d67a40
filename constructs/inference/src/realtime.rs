//! Real-time and multi-model endpoints.

use std::collections::HashSet;

use mlcdk_core::iam::PolicyStatement;
use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};
use mlcdk_storage::{KmsKey, S3Path};
use mlcdk_training::definition::check_instance_type;

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
    pub instance: String,
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
    pub fn new(name: &str, model: &Model, instance: &str) -> Variant {
        Variant {
            name: name.to_string(),
            model: model.clone(),
            instance: instance.to_string(),
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
    /// Encrypts the instances' storage volumes.
    pub kms: Option<KmsKey>,
    /// Blue/green updates with automatic rollback on the endpoint's error and
    /// latency alarms (single-variant endpoints only); `None` updates in place.
    pub guardrails: Option<Guardrails>,
    /// Topic the alarms notify.
    pub alerts: Option<Expr>,
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
    /// One variant of `model` on `instance`.
    pub fn single(model: &Model, instance: &str) -> RealtimeEndpointProps {
        RealtimeEndpointProps {
            variants: vec![Variant::new("Primary", model, instance)],
            data_capture: None,
            kms: None,
            guardrails: None,
            alerts: None,
            idle_hours: Some(24),
            max_5xx_rate: 0.05,
            max_latency_ms: 1000,
        }
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
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let capture = Bucket::new(&mut stack, "Capture", BucketProps::default());
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let model = Model::new(&mut stack, "Churn3", ModelProps::from_registry(registry.version(3)));
/// let mut props = RealtimeEndpointProps::single(&model, "ml.m5.large");
/// props.variants[0].autoscaling = Some(Autoscaling::between(2, 4));
/// props.data_capture = Some(DataCapture::sample(20, capture.path("capture/")));
/// // A canary of one instance of the 2-instance floor.
/// props.guardrails = Some(Guardrails::canary_of_one(2));
/// RealtimeEndpoint::new(&mut stack, "Serve", props);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct RealtimeEndpoint {
    resource: ResourceRef,
    name: String,
    capture: Option<S3Path>,
}

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
        let name = endpoint_name(&node);
        for e in validate(&props) {
            node.error(e);
        }
        if multi_model && props.variants.iter().any(|v| !v.model.is_multi_model()) {
            node.error(
                "a multi-model endpoint needs a multi-model model (ModelProps::multi_model)",
            );
        }
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
        if let Some(k) = &props.kms {
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
            if let Some(k) = c.destination.bucket.key().or(props.kms.as_ref()) {
                dc.push(("KmsKeyId", Json::from(k.arn())));
                for v in &props.variants {
                    k.grant_encrypt(v.model.role());
                }
            }
            config = config.set("DataCaptureConfig", Json::object(dc));
            // The endpoint writes captures as the model's role.
            for v in &props.variants {
                c.destination.grant_write(v.model.role());
            }
        }
        let config = node.add_resource("Config", config);

        let alerts = props.alerts.as_ref();
        let mut rollback_alarms = Vec::new();
        for v in &props.variants {
            let dims = || {
                vec![
                    ("EndpointName", name.clone()),
                    ("VariantName", v.name.clone()),
                ]
            };
            let errors = alarm(
                &mut node,
                &format!("{}Errors", v.name),
                AlarmSpec {
                    description: format!(
                        "{name}/{}: more than {} % of requests answered with a 5xx",
                        v.name,
                        percent(props.max_5xx_rate)
                    ),
                    // The error rate, not a count: each request counts 1
                    // (5xx) or 0 in Invocation5XXErrors, so its Average is
                    // the share of failing requests, as in AWS's own
                    // auto-rollback example ("monitors an endpoint's average
                    // error rate",
                    // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
                    // A count (Sum ≥ 5 a minute) never trips at low traffic
                    // or on a 10 % canary, so a broken model was promoted; a
                    // rate trips on one failing request in a quiet minute.
                    // Two breaching minutes of five, minutes without
                    // requests not counting against the model.
                    metric: "Invocation5XXErrors",
                    statistic: "Average",
                    period: 60,
                    evaluation_periods: 5,
                    threshold: props.max_5xx_rate,
                    comparison: "GreaterThanThreshold",
                    missing: "notBreaching",
                    dimensions: dims(),
                    datapoints: Some(2),
                    warm_up_minutes: None,
                },
                alerts,
            );
            let latency = alarm(
                &mut node,
                &format!("{}Latency", v.name),
                AlarmSpec {
                    description: format!(
                        "{name}/{}: model latency above {} ms",
                        v.name, props.max_latency_ms
                    ),
                    metric: "ModelLatency",
                    statistic: "Average",
                    period: 60,
                    evaluation_periods: 5,
                    // ModelLatency is in microseconds.
                    threshold: f64::from(props.max_latency_ms) * 1000.0,
                    comparison: "GreaterThanThreshold",
                    missing: "notBreaching",
                    dimensions: dims(),
                    datapoints: None,
                    warm_up_minutes: None,
                },
                alerts,
            );
            rollback_alarms.push(errors);
            rollback_alarms.push(latency);
            if let Some(h) = props.idle_hours {
                idle_alarm(&mut node, (&name, &v.name), "Invocations", h, alerts);
            }
        }

        let mut endpoint = CfnResource::new("AWS::SageMaker::Endpoint")
            .set("EndpointName", name.as_str())
            .set("EndpointConfigName", config.get_att("EndpointConfigName"));
        if let Some(g) = &props.guardrails {
            // SageMaker reads the auto-rollback alarms as the model's
            // execution role: "Ensure that your IAM execution role has
            // permission to perform the cloudwatch:DescribeAlarms action on
            // the auto-rollback alarms you specify"
            // (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
            // Scoped to the alarms' ARNs; the alarms refer to nothing of the
            // model, so this makes no cycle.
            for v in &props.variants {
                v.model.grant(
                    PolicyStatement::allow()
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
                        })),
                );
            }
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
            endpoint = endpoint.set(
                "DeploymentConfig",
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
                                    .map(|a| {
                                        Json::object([("AlarmName", Json::from(a.reference()))])
                                    })
                                    .collect(),
                            ),
                        )]),
                    ),
                ]),
            );
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

        for v in &props.variants {
            if let Some(a) = &v.autoscaling {
                let target = scalable_target(
                    &mut node,
                    &format!("{}Scaling", v.name),
                    (&name, &v.name),
                    "sagemaker:variant:DesiredInstanceCount",
                    (a.min, a.max),
                    &resource,
                );
                target_tracking(
                    &mut node,
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
            }
        }
        RealtimeEndpoint {
            resource,
            name,
            capture: props.data_capture.as_ref().map(|c| c.destination.clone()),
        }
    }

    /// The endpoint's name (set, so known at synth).
    pub fn name(&self) -> Expr {
        Expr::lit(self.name.clone())
    }

    /// The endpoint's name as a string, for names and documents built at synth.
    pub fn name_literal(&self) -> &str {
        &self.name
    }

    /// `Ref` of the endpoint (its ARN).
    pub fn arn(&self) -> Expr {
        self.resource.reference()
    }

    /// The `AWS::SageMaker::Endpoint` resource, e.g. to depend on it or
    /// suppress a finding on it.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// Where data capture writes, when on (monitoring needs it).
    pub fn capture(&self) -> Option<&S3Path> {
        self.capture.as_ref()
    }
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
        if let Err(e) = check_instance_type(&v.instance) {
            errors.push(format!("variant '{}': {e}", v.name));
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
        if p.kms.is_some() && has_local_storage(&v.instance) {
            errors.push(format!(
                "variant '{}': {} has local NVMe storage, which SageMaker encrypts itself; it takes no volume KMS key (remove kms or pick another instance type)",
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
    /// Instance type, `ml.<family>.<size>`.
    pub instance: String,
    /// Target-tracking autoscaling of the fleet; fixed at one instance when
    /// `None`.
    pub autoscaling: Option<Autoscaling>,
    /// Topic the alarms notify.
    pub alerts: Option<Expr>,
    /// Alarm when no model was invoked for this many hours (1–168); `None`
    /// turns the idle alarm off.
    pub idle_hours: Option<u32>,
    /// Encrypts the instances' storage volumes.
    pub kms: Option<KmsKey>,
}

/// Many models sharing one fleet: a real-time endpoint whose single container
/// loads models from an S3 prefix on demand.
#[derive(Clone, Debug)]
pub struct MultiModelEndpoint {
    endpoint: RealtimeEndpoint,
}

impl MultiModelEndpoint {
    /// A multi-model endpoint: a single-variant real-time endpoint whose model
    /// must be in multi-model mode (checked at synth).
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        props: MultiModelEndpointProps,
    ) -> MultiModelEndpoint {
        let mut rt = RealtimeEndpointProps::single(&props.model, &props.instance);
        rt.variants[0].autoscaling = props.autoscaling;
        rt.alerts = props.alerts;
        rt.idle_hours = props.idle_hours;
        rt.kms = props.kms;
        MultiModelEndpoint {
            endpoint: RealtimeEndpoint::build(scope, id, rt, true),
        }
    }

    /// The underlying real-time endpoint (name, ARN, resource).
    pub fn endpoint(&self) -> &RealtimeEndpoint {
        &self.endpoint
    }
}

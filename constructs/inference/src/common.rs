//! What every endpoint kind shares: names, alarms, scalable targets, and the
//! handle's accessors.

use mlcdk_core::naming;
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, ConstructPath, Handle, Json, ResourceRef, Scope};
use mlcdk_sagemaker::{
    Alarm, AlarmProps, Comparison, EndpointRef, MAX_WARM_UP_MINUTES, Metric, MissingData,
    PRIMARY_VARIANT, Statistic,
};
use mlcdk_storage::S3Path;

/// An endpoint's fixed name (alarms and scaling name it without referring to
/// the endpoint, which lets the endpoint refer to its rollback alarms).
pub(crate) fn endpoint_name(scope: &impl Scope) -> String {
    scope.physical_name_for(naming::SAGEMAKER_ENDPOINT)
}

/// The idle alarm: no request counted in `metric` (`Invocations` for
/// real-time endpoints, `InvocationsProcessed` for asynchronous ones) for
/// `hours` hours.
///
/// It means "idle for the whole window": `hours` hourly periods, every one
/// of them breaching (`DatapointsToAlarm` = `EvaluationPeriods`), missing data
/// breaching (the metric is only published for requests that happen, so an
/// endpoint nobody calls has no data at all). Missing data alone would put a
/// freshly created alarm in ALARM at its first evaluation, minutes after the
/// first deploy, although the window has not passed
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data>).
/// A warm-up of the window's length (at most two days) keeps the alarm in
/// `INSUFFICIENT_DATA`, without actions, until then
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-warm-up.html>).
/// Residual behaviour: for windows longer than 48 h the warm-up ends after
/// 48 h, so an endpoint idle since it was created alarms after 48 h rather
/// than after the window; and a stack update that changes the alarm starts a
/// new warm-up.
pub(crate) fn idle_alarm(
    scope: &mut impl Scope,
    (endpoint, variant): (&str, &str),
    metric: Metric,
    hours: u32,
    alerts: Option<&TopicRef>,
) -> Alarm {
    Alarm::new(
        scope,
        &format!("{variant}Idle"),
        AlarmProps {
            description: Some(format!(
                "{endpoint}/{variant} had no invocations for {hours} h: an idle endpoint is ongoing cost; remove or scale it down"
            )),
            evaluation_periods: hours,
            datapoints_to_alarm: Some(hours),
            // No data at all is the idlest endpoint there is.
            missing_data: MissingData::Breaching,
            warm_up_minutes: Some(hours.saturating_mul(60).min(MAX_WARM_UP_MINUTES)),
            alerts: alerts.cloned(),
            ..AlarmProps::new(
                metric.with_statistic(Statistic::Sum).with_period(3600),
                Comparison::LessThan,
                1.0,
            )
        },
    )
}

/// The error-rate alarm of `variant`: more than `rate` of its requests
/// answered with a 5xx in 2 of 5 minutes. `label` names the endpoint (and
/// variant) in the description.
pub(crate) fn error_rate_alarm(
    scope: &mut impl Scope,
    (endpoint, variant): (&EndpointRef, &str),
    label: &str,
    rate: f64,
    alerts: Option<&TopicRef>,
) -> Alarm {
    // The error rate, not a count: each request counts 1 (5xx) or 0 in
    // Invocation5XXErrors, so its Average is the share of failing requests,
    // as in AWS's own auto-rollback example ("monitors an endpoint's average
    // error rate",
    // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
    // A count (Sum ≥ 5 a minute) never trips at low traffic or on a 10 %
    // canary, so a broken model was promoted; a rate trips on one failing
    // request in a quiet minute. Two breaching minutes of five, minutes
    // without requests not counting against the model.
    Alarm::new(
        scope,
        &format!("{variant}Errors"),
        AlarmProps {
            description: Some(format!(
                "{label}: more than {} % of requests answered with a 5xx",
                percent(rate)
            )),
            evaluation_periods: 5,
            datapoints_to_alarm: Some(2),
            missing_data: MissingData::NotBreaching,
            alerts: alerts.cloned(),
            ..AlarmProps::new(
                endpoint
                    .metric_5xx_errors(variant)
                    .with_statistic(Statistic::Average),
                Comparison::GreaterThan,
                rate,
            )
        },
    )
}

/// Checks the idle window. An alarm's periods times evaluation periods may
/// reach seven days (604,800 s) when the period is at least one hour, which
/// the idle alarm's is; one day is the limit only for shorter periods
/// (PutMetricAlarm, `Period`:
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html>).
pub(crate) fn check_idle_hours(hours: u32) -> Result<(), String> {
    if (1..=168).contains(&hours) {
        Ok(())
    } else {
        Err(format!(
            "idle alarm window {hours} h is out of range: 1 to 168 hours (CloudWatch evaluates hourly periods over at most 7 days)"
        ))
    }
}

/// The largest magnitude Application Auto Scaling takes for a target
/// tracking `TargetValue`: 2^360
/// (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html>).
pub(crate) const MAX_TARGET_VALUE: f64 = 2.348_542_582_773_833_2e108;

/// Checks that `value` is a finite number in `low..=high` (above `low`
/// when `low_exclusive`): `what` is the prop, named in the message with the
/// value and the accepted range.
pub(crate) fn check_float(
    what: &str,
    value: f64,
    (low, low_exclusive): (f64, bool),
    high: f64,
) -> Result<(), String> {
    let above_low = if low_exclusive {
        value > low
    } else {
        value >= low
    };
    if value.is_finite() && above_low && value <= high {
        Ok(())
    } else {
        let from = if low_exclusive {
            format!("above {}", shown(low))
        } else {
            shown(low)
        };
        Err(format!(
            "{what} {} is out of range: a finite number from {from} to {}",
            shown(value),
            shown(high)
        ))
    }
}

/// An Application Auto Scaling target for a variant; it depends on the
/// endpoint, which must exist before it can be registered.
pub(crate) fn scalable_target(
    scope: &mut impl Scope,
    id: &str,
    (endpoint, variant): (&str, &str),
    dimension: &str,
    (min, max): (u32, u32),
    endpoint_resource: &ResourceRef,
) -> ResourceRef {
    scope.add_resource(
        id,
        CfnResource::new("AWS::ApplicationAutoScaling::ScalableTarget")
            .set("ServiceNamespace", "sagemaker")
            .set(
                "ResourceId",
                format!("endpoint/{endpoint}/variant/{variant}"),
            )
            .set("ScalableDimension", dimension)
            .set("MinCapacity", min)
            .set("MaxCapacity", max)
            .depends_on(endpoint_resource),
    )
}

/// A target-tracking policy; `metric` is `("PredefinedMetricSpecification", …)`
/// or `("CustomizedMetricSpecification", …)`.
pub(crate) fn target_tracking(
    scope: &mut impl Scope,
    id: &str,
    target: &ResourceRef,
    metric: (&str, Json),
    value: f64,
    cooldowns: (u32, u32),
) -> ResourceRef {
    let name = scope.physical_name_for(naming::SCALING_POLICY);
    scope.add_resource(
        id,
        CfnResource::new("AWS::ApplicationAutoScaling::ScalingPolicy")
            .set("PolicyName", format!("{name}-{id}"))
            .set("PolicyType", "TargetTrackingScaling")
            .set("ScalingTargetId", target.reference())
            .set(
                "TargetTrackingScalingPolicyConfiguration",
                Json::object([
                    ("TargetValue", number(value)),
                    ("ScaleInCooldown", Json::from(cooldowns.0)),
                    ("ScaleOutCooldown", Json::from(cooldowns.1)),
                    metric,
                ]),
            ),
    )
}

/// A number for a message: very large or very small magnitudes in
/// scientific notation (`1e300`, not 301 digits).
pub(crate) fn shown(v: f64) -> String {
    let magnitude = v.abs();
    if v.is_finite() && (magnitude >= 1e6 || (magnitude != 0.0 && magnitude < 1e-4)) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A share as a percentage for a message (`0.07` is `7`, not
/// `7.000000000000001`).
pub(crate) fn percent(share: f64) -> String {
    shown((share * 100.0 * 1e6).round() / 1e6)
}

/// Checks an error-rate threshold: a finite share above 0 and below 1 (an
/// `Average` of `Invocation5XXErrors` never exceeds 1).
pub(crate) fn check_error_rate(rate: f64) -> Result<(), String> {
    if rate.is_finite() && rate > 0.0 && rate < 1.0 {
        Ok(())
    } else {
        Err(format!(
            "max_5xx_rate {} is out of range: a finite share above 0 and below 1 (0.05 is 5 % of requests)",
            shown(rate)
        ))
    }
}

/// A JSON number; a non-finite value (which validation has already
/// reported) renders as `null` rather than panicking.
pub(crate) fn number(v: f64) -> Json {
    serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
}

/// What every endpoint handle holds; the accessors are generated by
/// `endpoint_handle!`.
#[derive(Clone, Debug)]
pub(crate) struct Parts {
    pub endpoint: EndpointRef,
    pub handle: Handle,
    pub config: ResourceRef,
    /// Scalable targets by variant name.
    pub scaling_targets: Vec<(String, ResourceRef)>,
    pub alarms: Vec<Alarm>,
}

impl Parts {
    /// The parts of the endpoint `resource` (its `AWS::SageMaker::Endpoint`:
    /// `Ref` is its ARN, `GetAtt EndpointName` its name) at `path`, with
    /// fixed name `name`, its variants, where it captures data and its
    /// `config`; no scaling targets or alarms yet.
    pub fn in_stack(
        resource: ResourceRef,
        path: ConstructPath,
        name: &str,
        variants: Vec<String>,
        capture: Option<S3Path>,
        config: ResourceRef,
    ) -> Parts {
        let endpoint = EndpointRef::in_stack(&resource, name, variants, capture);
        let handle = Handle::new(resource, path, endpoint.arn())
            .with_name(endpoint.name())
            .named(name);
        Parts {
            endpoint,
            handle,
            config,
            scaling_targets: Vec::new(),
            alarms: Vec::new(),
        }
    }

    /// [`Parts::in_stack`] of an endpoint with one variant,
    /// [`PRIMARY_VARIANT`], that captures no data (serverless and
    /// asynchronous endpoints).
    pub fn primary_only(
        resource: ResourceRef,
        path: ConstructPath,
        name: &str,
        config: ResourceRef,
    ) -> Parts {
        let variants = vec![PRIMARY_VARIANT.to_string()];
        Parts::in_stack(resource, path, name, variants, None, config)
    }
}

/// The handle accessors every endpoint kind has (the guidelines' handle),
/// over a `parts: Parts` field; `$invocations` is the metric that counts its
/// requests.
macro_rules! endpoint_handle {
    ($t:ty, $invocations:expr) => {
        impl $t {
            /// The `AWS::SageMaker::EndpointConfig` resource (what the
            /// SageMaker rules SM-001 and SM-002 look at).
            pub fn config(&self) -> &mlcdk_core::ResourceRef {
                &self.parts.config
            }

            /// The Application Auto Scaling target of `variant`, when it
            /// scales.
            pub fn scaling_target(&self, variant: &str) -> Option<&mlcdk_core::ResourceRef> {
                self.parts
                    .scaling_targets
                    .iter()
                    .find(|(v, _)| v == variant)
                    .map(|(_, r)| r)
            }

            /// The endpoint's alarms, in the order they were made.
            pub fn alarms(&self) -> &[mlcdk_sagemaker::Alarm] {
                &self.parts.alarms
            }

            /// The alarm with construct id `id` (e.g. `PrimaryErrors`,
            /// `PrimaryIdle`).
            pub fn alarm(&self, id: &str) -> Option<&mlcdk_sagemaker::Alarm> {
                self.parts
                    .alarms
                    .iter()
                    .find(|a| mlcdk_core::Construct::node_path(*a).components().last() == Some(id))
            }

            /// The names of the endpoint's production variants.
            pub fn variants(&self) -> &[String] {
                self.parts.endpoint.variants()
            }

            /// Requests of `variant`, sum per minute.
            pub fn metric_invocations(&self, variant: &str) -> mlcdk_sagemaker::Metric {
                self.parts
                    .endpoint
                    .metric($invocations, variant, mlcdk_sagemaker::Statistic::Sum)
            }

            /// Requests of `variant` answered with a 5xx
            /// (`Invocation5XXErrors`, sum per minute; the error alarm reads
            /// its average, the share of failing requests).
            pub fn metric_5xx_errors(&self, variant: &str) -> mlcdk_sagemaker::Metric {
                self.parts.endpoint.metric_5xx_errors(variant)
            }

            /// Time the model of `variant` takes to answer (`ModelLatency`,
            /// microseconds, average per minute).
            pub fn metric_model_latency(&self, variant: &str) -> mlcdk_sagemaker::Metric {
                self.parts.endpoint.metric_model_latency(variant)
            }

            /// Let `grantee` call the endpoint (`sagemaker:InvokeEndpoint`,
            /// `InvokeEndpointAsync`), on this endpoint only.
            pub fn grant_invoke(
                &self,
                grantee: &impl mlcdk_core::iam::Grantee,
            ) -> mlcdk_core::iam::Grant {
                self.parts.endpoint.grant_invoke(grantee)
            }
        }

        /// The endpoint's `AWS::SageMaker::Endpoint` resource; its name
        /// (`GetAtt EndpointName`: using it depends on the endpoint), its ARN
        /// (`Ref`), and its physical name (`<app>-<stage>-<id>`, lower case),
        /// naming the endpoint without depending on it.
        impl mlcdk_core::Construct for $t {
            fn handle(&self) -> &mlcdk_core::Handle {
                &self.parts.handle
            }
        }

        impl mlcdk_core::PhysicallyNamed for $t {}

        impl From<&$t> for mlcdk_sagemaker::EndpointRef {
            fn from(e: &$t) -> mlcdk_sagemaker::EndpointRef {
                e.parts.endpoint.clone()
            }
        }
    };
}
pub(crate) use endpoint_handle;

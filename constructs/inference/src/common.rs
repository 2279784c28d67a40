//! What every endpoint kind shares: names, alarms, scalable targets.

use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};

/// An endpoint's fixed name (alarms and scaling name it without referring to
/// the endpoint, which lets the endpoint refer to its rollback alarms).
pub(crate) fn endpoint_name(scope: &impl Scope) -> String {
    scope.physical_name('-', 63).to_ascii_lowercase()
}

/// A CloudWatch alarm on an `AWS/SageMaker` metric of one variant.
pub(crate) struct AlarmSpec<'a> {
    pub description: String,
    pub metric: &'a str,
    pub statistic: &'a str,
    pub period: u32,
    pub evaluation_periods: u32,
    pub threshold: f64,
    pub comparison: &'a str,
    pub missing: &'a str,
    pub dimensions: Vec<(&'a str, String)>,
    /// Breaching periods out of `evaluation_periods` that raise the alarm
    /// (all of them when `None`).
    pub datapoints: Option<u32>,
    /// Minutes after the alarm is created or updated during which it stays
    /// in `INSUFFICIENT_DATA` and runs no action.
    pub warm_up_minutes: Option<u32>,
}

pub(crate) fn alarm(
    scope: &mut impl Scope,
    id: &str,
    spec: AlarmSpec<'_>,
    alerts: Option<&Expr>,
) -> ResourceRef {
    let dims: Vec<Json> = spec
        .dimensions
        .iter()
        .map(|(n, v)| Json::object([("Name", Json::from(*n)), ("Value", Json::from(v.as_str()))]))
        .collect();
    let mut a = CfnResource::new("AWS::CloudWatch::Alarm")
        .set("AlarmDescription", spec.description.as_str())
        .set("Namespace", "AWS/SageMaker")
        .set("MetricName", spec.metric)
        .set("Statistic", spec.statistic)
        .set("Period", spec.period)
        .set("EvaluationPeriods", spec.evaluation_periods)
        .set("Threshold", number(spec.threshold))
        .set("ComparisonOperator", spec.comparison)
        .set("TreatMissingData", spec.missing)
        .set("Dimensions", Json::Array(dims));
    if let Some(n) = spec.datapoints {
        a = a.set("DatapointsToAlarm", n);
    }
    if let Some(minutes) = spec.warm_up_minutes {
        // Evaluation waits for the whole warm-up, even if data comes sooner
        // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-warm-up.html;
        // WarmUpPeriodDurationInMinutes is 1 to 2,880:
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_WarmUpConfiguration.html).
        a = a.set(
            "WarmUpConfiguration",
            Json::object([
                ("WarmUpPeriodDurationInMinutes", Json::from(minutes)),
                ("OnlyStartEvaluatingAfterWarmUpPeriodEnds", Json::Bool(true)),
            ]),
        );
    }
    if let Some(topic) = alerts {
        a = a.set("AlarmActions", Json::array([Json::from(topic)]));
    }
    scope.add_resource(id, a)
}

/// The longest warm-up CloudWatch takes: 2,880 minutes (two days)
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_WarmUpConfiguration.html>).
const MAX_WARM_UP_MINUTES: u32 = 2880;

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
    metric: &str,
    hours: u32,
    alerts: Option<&Expr>,
) -> ResourceRef {
    alarm(
        scope,
        &format!("{variant}Idle"),
        AlarmSpec {
            description: format!(
                "{endpoint}/{variant} had no invocations for {hours} h: an idle endpoint is ongoing cost; remove or scale it down"
            ),
            metric,
            statistic: "Sum",
            period: 3600,
            evaluation_periods: hours,
            threshold: 1.0,
            comparison: "LessThanThreshold",
            // No data at all is the idlest endpoint there is.
            missing: "breaching",
            dimensions: vec![
                ("EndpointName", endpoint.to_string()),
                ("VariantName", variant.to_string()),
            ],
            datapoints: Some(hours),
            warm_up_minutes: Some(hours.saturating_mul(60).min(MAX_WARM_UP_MINUTES)),
        },
        alerts,
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
    let name = scope.physical_name('-', 200);
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

/// Instance families with local NVMe storage take no volume KMS key.
pub(crate) fn has_local_storage(instance_type: &str) -> bool {
    let family = instance_type.split('.').nth(1).unwrap_or_default();
    let trailing: String = family
        .chars()
        .skip_while(|c| c.is_ascii_alphabetic())
        .collect();
    // m5d, c5d, r5d, g4dn, g5, p3dn, p4d, inf…: the letters after the generation number.
    let suffix: String = trailing
        .chars()
        .skip_while(|c| c.is_ascii_digit())
        .collect();
    suffix.contains('d')
        || family.starts_with("g5")
        || family.starts_with("g6")
        || family.starts_with("p4")
        || family.starts_with("p5")
}

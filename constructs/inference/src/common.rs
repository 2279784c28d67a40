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
    if let Some(topic) = alerts {
        a = a.set("AlarmActions", Json::array([Json::from(topic)]));
    }
    scope.add_resource(id, a)
}

/// The idle alarm: no invocations for `hours` hours.
pub(crate) fn idle_alarm(
    scope: &mut impl Scope,
    endpoint: &str,
    variant: &str,
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
            metric: "Invocations",
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
        },
        alerts,
    )
}

/// Checks the idle period: CloudWatch alarms look back at most one day.
pub(crate) fn check_idle_hours(hours: u32) -> Result<(), String> {
    if (1..=24).contains(&hours) {
        Ok(())
    } else {
        Err(format!(
            "idle alarm period {hours} h is out of range: 1 to 24 hours (CloudWatch evaluates at most one day)"
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

pub(crate) fn number(v: f64) -> Json {
    Json::Number(serde_json::Number::from_f64(v).expect("a finite number"))
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

//! CloudWatch metrics and the one alarm builder of the SageMaker constructs:
//! endpoints hand out their metrics ([`Metric`]) and build their own alarms
//! from them ([`Alarm`]), and so can a team or a monitor.

use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, Scope};

/// How CloudWatch aggregates a metric's data points over a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// The mean of the data points (for a 0-or-1 metric such as
    /// `Invocation5XXErrors`, the share of requests that were 1).
    Average,
    /// The total.
    Sum,
    /// The smallest data point.
    Minimum,
    /// The largest data point.
    Maximum,
    /// The number of data points.
    SampleCount,
}

impl Statistic {
    /// The statistic as CloudWatch spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
            Statistic::SampleCount => "SampleCount",
        }
    }
}

/// One dimension of a metric (`EndpointName` = `churn-prod-serve`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dimension {
    /// The dimension's name.
    pub name: String,
    /// Its value: a literal (`"churn-prod-serve".into()`), or an expression
    /// for a value known only once the resource exists (the id Bedrock gives
    /// an inference profile).
    pub value: Expr,
}

/// A CloudWatch metric: namespace, name, dimensions, and how it is read
/// (statistic over a period). What `metric_*()` accessors return and what
/// [`AlarmProps`] takes.
///
/// ```
/// use mlcdk_sagemaker::{EndpointRef, Statistic};
///
/// let endpoint = EndpointRef::from_name("fraud-prod-scoring", ["AllTraffic"]);
/// let errors = endpoint.metric_5xx_errors("AllTraffic");
/// assert_eq!((errors.namespace.as_str(), errors.name.as_str()), ("AWS/SageMaker", "Invocation5XXErrors"));
/// // The share of failing requests rather than their count:
/// let rate = errors.with_statistic(Statistic::Average);
/// assert_eq!(rate.statistic, Statistic::Average);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// E.g. `AWS/SageMaker`.
    pub namespace: String,
    /// E.g. `Invocations`.
    pub name: String,
    /// The dimensions that select the series.
    pub dimensions: Vec<Dimension>,
    /// How data points are aggregated per period.
    pub statistic: Statistic,
    /// The period in seconds (60 for SageMaker's one-minute metrics).
    pub period_seconds: u32,
}

impl Metric {
    /// A metric of the `AWS/SageMaker` namespace with `dimensions`, read as
    /// `statistic` per minute.
    pub fn sagemaker<'a>(
        name: &str,
        dimensions: impl IntoIterator<Item = (&'a str, &'a str)>,
        statistic: Statistic,
    ) -> Metric {
        Metric {
            namespace: "AWS/SageMaker".into(),
            name: name.into(),
            dimensions: dimensions
                .into_iter()
                .map(|(n, v)| Dimension {
                    name: n.into(),
                    value: Expr::lit(v),
                })
                .collect(),
            statistic,
            period_seconds: 60,
        }
    }

    /// The same metric read with another statistic.
    pub fn with_statistic(self, statistic: Statistic) -> Metric {
        Metric { statistic, ..self }
    }

    /// The same metric read over another period (seconds).
    pub fn with_period(self, period_seconds: u32) -> Metric {
        Metric {
            period_seconds,
            ..self
        }
    }

    /// The `Dimensions` array of an alarm or a customized scaling metric.
    pub fn dimensions_json(&self) -> Json {
        Json::Array(
            self.dimensions
                .iter()
                .map(|d| {
                    Json::object([
                        ("Name", Json::from(d.name.as_str())),
                        ("Value", Json::from(d.value.clone())),
                    ])
                })
                .collect(),
        )
    }
}

/// How an alarm compares the metric with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `GreaterThanThreshold`.
    GreaterThan,
    /// `GreaterThanOrEqualToThreshold`.
    GreaterThanOrEqual,
    /// `LessThanThreshold`.
    LessThan,
    /// `LessThanOrEqualToThreshold`.
    LessThanOrEqual,
}

impl Comparison {
    /// The operator as CloudWatch spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::GreaterThan => "GreaterThanThreshold",
            Comparison::GreaterThanOrEqual => "GreaterThanOrEqualToThreshold",
            Comparison::LessThan => "LessThanThreshold",
            Comparison::LessThanOrEqual => "LessThanOrEqualToThreshold",
        }
    }
}

/// What a period without data counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingData {
    /// `missing`: the period is skipped (the CloudWatch default).
    Missing,
    /// `notBreaching`: a quiet period is a good one.
    NotBreaching,
    /// `breaching`: no data is a problem (an idle endpoint publishes none).
    Breaching,
    /// `ignore`: the alarm keeps its state.
    Ignore,
}

impl MissingData {
    /// The value as CloudWatch spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingData::Missing => "missing",
            MissingData::NotBreaching => "notBreaching",
            MissingData::Breaching => "breaching",
            MissingData::Ignore => "ignore",
        }
    }
}

/// The longest warm-up CloudWatch takes: 2,880 minutes (two days)
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_WarmUpConfiguration.html>).
pub const MAX_WARM_UP_MINUTES: u32 = 2880;

/// Props of an [`Alarm`].
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmProps {
    /// The metric watched.
    pub metric: Metric,
    /// How the metric is compared with `threshold`.
    pub comparison: Comparison,
    /// A finite number.
    pub threshold: f64,
    /// What the alarm means and what to do (shown in notifications).
    pub description: Option<String>,
    /// Periods evaluated, at least 1 (default 1).
    pub evaluation_periods: u32,
    /// Breaching periods out of `evaluation_periods` that raise the alarm
    /// (all of them when `None`).
    pub datapoints_to_alarm: Option<u32>,
    /// What a period without data counts as (default: missing).
    pub missing_data: MissingData,
    /// Minutes (1 to 2,880) after the alarm is created or updated during
    /// which it stays in `INSUFFICIENT_DATA` and runs no action.
    pub warm_up_minutes: Option<u32>,
    /// The topic notified when the alarm fires.
    pub alerts: Option<TopicRef>,
    /// Other actions when it fires (e.g. a scaling policy's ARN), after
    /// `alerts`.
    pub actions: Vec<Expr>,
}

impl AlarmProps {
    /// Alarm when `metric` compared with `threshold` by `comparison` breaches
    /// in one period.
    pub fn new(metric: Metric, comparison: Comparison, threshold: f64) -> AlarmProps {
        AlarmProps {
            metric,
            comparison,
            threshold,
            description: None,
            evaluation_periods: 1,
            datapoints_to_alarm: None,
            missing_data: MissingData::Missing,
            warm_up_minutes: None,
            alerts: None,
            actions: Vec::new(),
        }
    }
}

/// A CloudWatch alarm (`AWS::CloudWatch::Alarm`) on a [`Metric`], validated
/// when built: a finite threshold, at least one evaluation period, datapoints
/// within them, a warm-up of 1 to 2,880 minutes.
///
/// The handle ([`Construct`]): `name()` is its `Ref`
/// (CloudFormation generates the name), `arn()` its `GetAtt Arn`.
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::Stack;
/// use mlcdk_sagemaker::{Alarm, AlarmProps, Comparison, EndpointRef};
///
/// let mut stack = Stack::for_test();
/// let endpoint = EndpointRef::from_name("fraud-prod-scoring", ["AllTraffic"]);
/// let slow = Alarm::new(&mut stack, "Slow", AlarmProps {
///     evaluation_periods: 5,
///     ..AlarmProps::new(endpoint.metric_model_latency("AllTraffic"), Comparison::GreaterThan, 500_000.0)
/// });
/// assert_eq!(slow.node_path().to_string(), "Slow");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Alarm {
    handle: Handle,
}

impl Alarm {
    /// An alarm named by CloudFormation. The resource is the construct
    /// itself (construct path `<scope>/<id>`, no `Resource` child), so the
    /// alarms of a construct sit beside its other resources; a problem is
    /// recorded at `scope`'s path, naming the alarm.
    pub fn new(scope: &mut impl Scope, id: &str, props: AlarmProps) -> Alarm {
        let path = scope.path().child(id);
        let mut errors = Vec::new();
        if !props.threshold.is_finite() {
            errors.push(format!(
                "alarm threshold {} is not a finite number",
                props.threshold
            ));
        }
        if props.evaluation_periods == 0 {
            errors.push("alarm evaluation_periods 0 is out of range: at least 1".to_string());
        }
        if let Some(n) = props.datapoints_to_alarm
            && (n == 0 || n > props.evaluation_periods)
        {
            errors.push(format!(
                "alarm datapoints_to_alarm {n} is out of range: 1 to evaluation_periods ({})",
                props.evaluation_periods
            ));
        }
        if let Some(m) = props.warm_up_minutes
            && !(1..=MAX_WARM_UP_MINUTES).contains(&m)
        {
            errors.push(format!(
                "alarm warm-up of {m} minutes is out of range: 1 to {MAX_WARM_UP_MINUTES}"
            ));
        }
        let mut a = CfnResource::new("AWS::CloudWatch::Alarm")
            .set("Namespace", props.metric.namespace.as_str())
            .set("MetricName", props.metric.name.as_str())
            .set("Statistic", props.metric.statistic.as_str())
            .set("Period", props.metric.period_seconds)
            .set("EvaluationPeriods", props.evaluation_periods)
            .set("Threshold", number(props.threshold))
            .set("ComparisonOperator", props.comparison.as_str())
            .set("TreatMissingData", props.missing_data.as_str())
            .set("Dimensions", props.metric.dimensions_json());
        if let Some(d) = &props.description {
            a = a.set("AlarmDescription", d.as_str());
        }
        if let Some(n) = props.datapoints_to_alarm {
            a = a.set("DatapointsToAlarm", n);
        }
        if let Some(minutes) = props.warm_up_minutes {
            // Evaluation waits for the whole warm-up, even if data comes sooner
            // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-warm-up.html).
            a = a.set(
                "WarmUpConfiguration",
                Json::object([
                    ("WarmUpPeriodDurationInMinutes", Json::from(minutes)),
                    ("OnlyStartEvaluatingAfterWarmUpPeriodEnds", Json::Bool(true)),
                ]),
            );
        }
        let actions: Vec<Json> = props
            .alerts
            .iter()
            .map(|t| Json::from(t.arn()))
            .chain(props.actions.iter().map(Json::from))
            .collect();
        if !actions.is_empty() {
            a = a.set("AlarmActions", Json::Array(actions));
        }
        for e in errors {
            scope.error(format!("alarm {id}: {e}"));
        }
        let resource = scope.add_resource(id, a);
        // `Ref` of an alarm is its name (generated by CloudFormation).
        let arn = resource.get_att("Arn");
        Alarm {
            handle: Handle::new(resource, path, arn),
        }
    }
}

impl Construct for Alarm {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// A JSON number; a non-finite value (reported as an error first) renders
/// as `null`.
pub(crate) fn number(v: f64) -> Json {
    serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlcdk_core::Stack;

    fn metric() -> Metric {
        Metric::sagemaker(
            "Invocations",
            [("EndpointName", "e"), ("VariantName", "Primary")],
            Statistic::Sum,
        )
    }

    #[test]
    fn renders_the_alarm_with_its_metric_and_actions() {
        let mut stack = Stack::for_test();
        let alarm = Alarm::new(
            &mut stack,
            "Quiet",
            AlarmProps {
                description: Some("quiet".into()),
                evaluation_periods: 3,
                datapoints_to_alarm: Some(2),
                missing_data: MissingData::Breaching,
                warm_up_minutes: Some(60),
                alerts: Some(TopicRef::from_arn(Expr::lit("arn:aws:sns:us-east-1:1:t"))),
                actions: vec![Expr::lit("arn:aws:autoscaling:policy")],
                ..AlarmProps::new(metric().with_period(3600), Comparison::LessThan, 1.0)
            },
        );
        assert_eq!(alarm.node_path().to_string(), "Quiet");
        let t = stack.synth().unwrap().template;
        let text = serde_json::to_string(&t).unwrap();
        for part in [
            r#""Namespace":"AWS/SageMaker""#,
            r#""MetricName":"Invocations""#,
            r#""Statistic":"Sum""#,
            r#""Period":3600"#,
            r#""EvaluationPeriods":3"#,
            r#""DatapointsToAlarm":2"#,
            r#""ComparisonOperator":"LessThanThreshold""#,
            r#""TreatMissingData":"breaching""#,
            r#""Dimensions":[{"Name":"EndpointName","Value":"e"},{"Name":"VariantName","Value":"Primary"}]"#,
            r#""AlarmActions":["arn:aws:sns:us-east-1:1:t","arn:aws:autoscaling:policy"]"#,
            r#""WarmUpPeriodDurationInMinutes":60"#,
        ] {
            assert!(text.contains(part), "missing {part} in {text}");
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut stack = Stack::for_test();
            Alarm::new(
                &mut stack,
                "Bad",
                AlarmProps {
                    evaluation_periods: 0,
                    datapoints_to_alarm: Some(3),
                    warm_up_minutes: Some(5000),
                    ..AlarmProps::new(metric(), Comparison::GreaterThan, bad)
                },
            );
            let errors = stack.synth().unwrap_err().to_string();
            for part in [
                format!("alarm Bad: alarm threshold {bad} is not a finite number"),
                "alarm Bad: alarm evaluation_periods 0 is out of range: at least 1".to_string(),
                "alarm Bad: alarm datapoints_to_alarm 3 is out of range: 1 to evaluation_periods (0)"
                    .to_string(),
                "alarm Bad: alarm warm-up of 5000 minutes is out of range: 1 to 2880".to_string(),
            ] {
                assert!(errors.contains(&part), "missing {part} in {errors}");
            }
        }
    }
}

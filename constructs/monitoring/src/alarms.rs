//! Drift alarms on any metric, and the retraining they start.

use std::collections::BTreeMap;

use mlcdk_core::refs::TopicRef;
use mlcdk_core::{Construct, Handle, Json, Node, ResourceRef, Scope};
use mlcdk_sagemaker::{Alarm, AlarmProps, Comparison, Dimension, Metric, MissingData, Statistic};
use mlcdk_training::{Pipeline, PipelineTrigger, TrainingPipeline, TriggerProps};

use crate::numbers::{CLOUDWATCH_MAX, check_range};

/// Which drift statistic of a feature a [`Monitor`](crate::Monitor) alarm
/// watches: the metrics its job publishes per feature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DriftStatistic {
    /// Population stability index (numeric features over the baseline's
    /// deciles, categorical ones over their categories): below 0.1 is
    /// stable, 0.1–0.25 a moderate shift, above 0.25 a large one.
    #[default]
    Psi,
    /// Kolmogorov–Smirnov statistic (numeric features), 0 to 1: the
    /// largest gap between the baseline's and the window's distributions.
    Ks,
    /// Total variation distance of category shares (categorical features),
    /// 0 to 1.
    Distance,
    /// The window's share of missing values minus the baseline's, -1 to 1.
    MissingRateDelta,
}

impl DriftStatistic {
    /// The metric's name in CloudWatch.
    pub fn metric_name(self) -> &'static str {
        match self {
            DriftStatistic::Psi => "psi",
            DriftStatistic::Ks => "ks",
            DriftStatistic::Distance => "distance",
            DriftStatistic::MissingRateDelta => "missing_rate_delta",
        }
    }
}

/// A drift alarm: the feature's drift statistic above `max`. On a
/// [`Monitor`](crate::Monitor), `statistic` chooses the metric; Model
/// Monitor ([`ModelMonitor`](crate::ModelMonitor)) publishes one,
/// `feature_baseline_drift_<feature>`, so it takes the default only.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftThreshold {
    /// The feature (column) whose drift metric is watched; not empty.
    pub feature: String,
    /// The largest drift accepted: a finite number above 0 and at most
    /// 2^360 (the largest metric value CloudWatch accepts); others are
    /// refused at synth.
    pub max: f64,
    /// The statistic watched (default PSI).
    pub statistic: DriftStatistic,
}

impl DriftThreshold {
    /// An alarm when `feature`'s PSI exceeds `max`.
    pub fn new(feature: &str, max: f64) -> DriftThreshold {
        DriftThreshold {
            feature: feature.to_string(),
            max,
            statistic: DriftStatistic::Psi,
        }
    }
}

/// A CloudWatch metric to alarm on: Model Monitor's, or a team's own.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomMetric {
    /// CloudWatch namespace, e.g. `aws/sagemaker/Endpoints/data-metrics` or a
    /// team's own.
    pub namespace: String,
    /// Metric name.
    pub metric: String,
    /// Dimensions that select the metric's series, name → value.
    pub dimensions: BTreeMap<String, String>,
    /// Alarm when the metric's maximum exceeds this: a finite number from
    /// -2^360 to 2^360, the metric values CloudWatch accepts (checked at
    /// synth by [`DriftAlarm::new`]).
    pub threshold: f64,
    /// Seconds per evaluated period: 10, 30 or a multiple of 60.
    pub period_seconds: u32,
    /// Periods over the threshold before the alarm fires, at least 1; periods ×
    /// seconds at most one day.
    pub evaluation_periods: u32,
}

impl CustomMetric {
    /// `metric` of `namespace` above `threshold` for one hour (one period of
    /// 3,600 s), with no dimensions.
    pub fn new(namespace: &str, metric: &str, threshold: f64) -> CustomMetric {
        CustomMetric {
            namespace: namespace.to_string(),
            metric: metric.to_string(),
            dimensions: BTreeMap::new(),
            threshold,
            period_seconds: 3600,
            evaluation_periods: 1,
        }
    }
}

/// The alarm of a drift metric, built by the shared alarm builder
/// ([`Alarm`]): the metric's maximum above the threshold, a quiet period
/// counting as no drift. The caller has validated `m` and reported what is
/// wrong; a value that failed is rendered neutral so that the builder does
/// not report it again (the template is not written).
pub(crate) fn drift_alarm(
    scope: &mut impl Scope,
    id: &str,
    m: &CustomMetric,
    alerts: Option<&TopicRef>,
) -> Alarm {
    let threshold = if m.threshold.is_finite() {
        m.threshold
    } else {
        0.0
    };
    let metric = Metric {
        namespace: m.namespace.clone(),
        name: m.metric.clone(),
        dimensions: m
            .dimensions
            .iter()
            .map(|(name, value)| Dimension {
                name: name.clone(),
                value: value.as_str().into(),
            })
            .collect(),
        statistic: Statistic::Maximum,
        period_seconds: m.period_seconds,
    };
    Alarm::new(
        scope,
        id,
        AlarmProps {
            description: Some(match m.dimensions.get("Feature") {
                Some(feature) => format!(
                    "{} of {feature} above {}: the data drifted",
                    m.metric, m.threshold
                ),
                None => format!("{} above {}: the data drifted", m.metric, m.threshold),
            }),
            evaluation_periods: m.evaluation_periods.max(1),
            missing_data: MissingData::NotBreaching,
            alerts: alerts.cloned(),
            ..AlarmProps::new(metric, Comparison::GreaterThan, threshold)
        },
    )
}

/// The thresholds a Model Monitor drift alarm accepts. Drift is a distance,
/// so a threshold of 0 or less fires on every run; above 2^360 no metric
/// value CloudWatch accepts can cross it ([`CLOUDWATCH_MAX`]).
const DRIFT_THRESHOLD_RANGE: &str = "a finite number above 0 and at most 2^360 (about 2.35e108), the largest metric value CloudWatch accepts";

/// Whether `t` names a feature and has a threshold a drift alarm accepts;
/// what is wrong is reported on `node`. `watched` says which metric the
/// alarm would watch, for the message.
pub(crate) fn check_threshold(node: &mut Node<'_>, t: &DriftThreshold, watched: &str) -> bool {
    let mut ok = true;
    if t.feature.is_empty() {
        node.error(format!(
            "drift alarm with max {} has no feature name; give the feature whose {watched} metric it watches",
            t.max
        ));
        ok = false;
    }
    if let Some(e) = check_range(
        &format!("drift alarm on '{}': max", t.feature),
        t.max,
        0.0,
        true,
        CLOUDWATCH_MAX,
        DRIFT_THRESHOLD_RANGE,
    ) {
        node.error(e);
        ok = false;
    }
    ok
}

/// What every monitor of captured requests needs, whatever runs it: data
/// capture on the endpoint, and a storage volume SageMaker accepts.
pub(crate) fn check_capture_and_volume(
    node: &mut Node<'_>,
    capture: Option<&mlcdk_storage::S3Path>,
    endpoint_name: &str,
    volume_gb: u32,
) {
    if capture.is_none() {
        node.error(format!(
            "endpoint '{endpoint_name}' captures no data; a monitor reads captured requests (set data_capture on the endpoint, or capture for an imported one)"
        ));
    }
    if !(1..=16_384).contains(&volume_gb) {
        node.error(format!("volume_gb {volume_gb} is out of range: 1 to 16384"));
    }
}

/// The thresholds a custom-metric alarm accepts: any value a metric can
/// take ([`CLOUDWATCH_MAX`]).
const CUSTOM_THRESHOLD_RANGE: &str =
    "a finite number from -2^360 to 2^360 (about ±2.35e108), the metric values CloudWatch accepts";

/// Props of a [`DriftAlarm`].
#[derive(Clone, Debug, PartialEq)]
pub struct DriftAlarmProps {
    /// The metric and when it alarms.
    pub metric: CustomMetric,
    /// Where the alarm notifies.
    pub alerts: Option<TopicRef>,
}

impl DriftAlarmProps {
    /// An alarm on `metric` that notifies no one.
    pub fn new(metric: CustomMetric) -> DriftAlarmProps {
        DriftAlarmProps {
            metric,
            alerts: None,
        }
    }
}

/// An alarm on any metric, for drift detection that is not Model Monitor's.
///
/// The handle ([`Construct`]): `name()` is the alarm's
/// `Ref` (CloudFormation generates the name), `arn()` its `GetAtt Arn`.
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::Stack;
/// use mlcdk_monitoring::{CustomMetric, DriftAlarm, DriftAlarmProps};
///
/// let mut stack = Stack::for_test();
/// let psi = DriftAlarm::new(&mut stack, "Psi", DriftAlarmProps::new(CustomMetric {
///     evaluation_periods: 3,
///     ..CustomMetric::new("team/models", "population_stability_index", 0.25)
/// }));
/// assert_eq!(psi.node_path().to_string(), "Psi");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct DriftAlarm {
    handle: Handle,
}

impl DriftAlarm {
    /// An alarm on `props.metric`, validated at synth: a namespace and metric
    /// name, a valid period, at most a day of evaluation, a finite threshold
    /// within CloudWatch's range.
    pub fn new(scope: &mut impl Scope, id: &str, props: DriftAlarmProps) -> DriftAlarm {
        let metric = &props.metric;
        let mut errors = Vec::new();
        if metric.namespace.is_empty() || metric.metric.is_empty() {
            errors.push("a drift alarm needs a namespace and a metric name".to_string());
        }
        if !(metric.period_seconds == 10
            || metric.period_seconds == 30
            || (metric.period_seconds >= 60 && metric.period_seconds.is_multiple_of(60)))
        {
            errors.push(format!(
                "period {} s is invalid: CloudWatch periods are 10, 30 or a multiple of 60 seconds",
                metric.period_seconds
            ));
        }
        if metric.evaluation_periods == 0
            || u64::from(metric.period_seconds) * u64::from(metric.evaluation_periods) > 86_400
        {
            errors.push(format!(
                "{} periods of {} s: at least one, and at most one day in all",
                metric.evaluation_periods, metric.period_seconds
            ));
        }
        errors.extend(check_range(
            "threshold",
            metric.threshold,
            -CLOUDWATCH_MAX,
            false,
            CLOUDWATCH_MAX,
            CUSTOM_THRESHOLD_RANGE,
        ));
        let mut node = scope.node(id);
        let path = node.path().clone();
        for e in errors {
            node.error(e);
        }
        // The alarm's resource, name and ARN, at the drift alarm's own path.
        let alarm = drift_alarm(&mut node, "Resource", metric, props.alerts.as_ref());
        DriftAlarm {
            handle: Handle::new(alarm.resource().clone(), path, alarm.arn()),
        }
    }
}

impl Construct for DriftAlarm {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// What can start retraining: its alarms, and the wiring from them to a
/// training pipeline. Monitors and drift alarms implement it.
pub trait RetrainOnDrift {
    /// The alarms whose change to ALARM starts retraining.
    fn drift_alarms(&self) -> Vec<ResourceRef>;

    /// Start `training` when any of [`RetrainOnDrift::drift_alarms`] goes to
    /// ALARM (a [`RetrainOnAlarm`] at `id`); no alarms is refused at synth.
    fn retrain_on_drift(
        &self,
        scope: &mut impl Scope,
        id: &str,
        training: &TrainingPipeline,
    ) -> RetrainOnAlarm {
        RetrainOnAlarm::new(
            scope,
            id,
            RetrainOnAlarmProps::new(self.drift_alarms(), training),
        )
    }
}

/// Props of a [`RetrainOnAlarm`].
#[derive(Clone, Debug)]
pub struct RetrainOnAlarmProps {
    /// The alarms (`AWS::CloudWatch::Alarm` resources) whose change to ALARM
    /// starts the pipeline; at least one.
    pub alarms: Vec<ResourceRef>,
    /// The pipeline started (a [`TrainingPipeline`] converts into it).
    pub pipeline: Pipeline,
    /// Shown in the EventBridge console.
    pub description: String,
}

impl RetrainOnAlarmProps {
    /// Start `pipeline` when any of `alarms` goes to ALARM.
    pub fn new(alarms: Vec<ResourceRef>, pipeline: impl Into<Pipeline>) -> RetrainOnAlarmProps {
        RetrainOnAlarmProps {
            alarms,
            pipeline: pipeline.into(),
            description: "Retrain when the data drifts".into(),
        }
    }
}

/// The alarm → rule → pipeline wiring: an EventBridge rule on the alarms'
/// state change to ALARM, with the pipeline as target and a role that may
/// start that pipeline only. Its resources are the rule's
/// ([`PipelineTrigger`]), at this construct's path.
///
/// The handle ([`Construct`]): those of its
/// [`PipelineTrigger`].
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::Stack;
/// use mlcdk_monitoring::{CustomMetric, DriftAlarm, DriftAlarmProps, RetrainOnAlarm, RetrainOnAlarmProps};
/// use mlcdk_storage::{Bucket, BucketProps};
/// use mlcdk_training::{TrainingPipeline, TrainingPipelineProps};
///
/// let mut stack = Stack::for_test();
/// let data = Bucket::new(&mut stack, "Data", BucketProps::default());
/// let training = TrainingPipeline::new(&mut stack, "Training",
///     TrainingPipelineProps::xgboost(data.prefix("features/"), data.prefix("pipeline/")));
/// let psi = DriftAlarm::new(&mut stack, "Psi",
///     DriftAlarmProps::new(CustomMetric::new("team/models", "psi", 0.25)));
/// RetrainOnAlarm::new(&mut stack, "Retrain",
///     RetrainOnAlarmProps::new(vec![psi.resource().clone()], &training));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct RetrainOnAlarm {
    trigger: PipelineTrigger,
}

impl RetrainOnAlarm {
    /// The rule and its role; no alarms is refused at synth.
    pub fn new(scope: &mut impl Scope, id: &str, props: RetrainOnAlarmProps) -> RetrainOnAlarm {
        let mut node = scope.node(id);
        if props.alarms.is_empty() {
            node.error(
                "no alarms to retrain on: give at least one alarm (a monitor needs drift_alarms)",
            );
        }
        let pattern = Json::object([
            ("source", Json::array([Json::from("aws.cloudwatch")])),
            (
                "detail-type",
                Json::array([Json::from("CloudWatch Alarm State Change")]),
            ),
            (
                "detail",
                Json::object([
                    (
                        "alarmName",
                        Json::Array(
                            props
                                .alarms
                                .iter()
                                .map(|a| Json::from(a.reference()))
                                .collect(),
                        ),
                    ),
                    (
                        "state",
                        Json::object([("value", Json::array([Json::from("ALARM")]))]),
                    ),
                ]),
            ),
        ]);
        let trigger = PipelineTrigger::within(
            &mut node,
            TriggerProps {
                description: Some(props.description),
                ..TriggerProps::on_event(props.pipeline, pattern)
            },
        );
        RetrainOnAlarm { trigger }
    }

    /// The trigger: its rule, role and path.
    pub fn trigger(&self) -> &PipelineTrigger {
        &self.trigger
    }
}

impl Construct for RetrainOnAlarm {
    fn handle(&self) -> &Handle {
        self.trigger.handle()
    }
}

/// Start `training` when this alarm goes to ALARM.
impl RetrainOnDrift for DriftAlarm {
    fn drift_alarms(&self) -> Vec<ResourceRef> {
        vec![self.resource().clone()]
    }
}

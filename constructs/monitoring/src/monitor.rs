//! Model Monitor schedules, drift alarms, and the retraining they trigger.

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::naming;
use mlcdk_core::refs::TopicRef;
use mlcdk_core::schedule::{RateUnit, Schedule};
use mlcdk_core::{
    CfnResource, Construct, Expr, Handle, Json, Node, PhysicallyNamed, ResourceRef, Scope,
};
use mlcdk_sagemaker::{
    Alarm, AlarmProps, Comparison, Dimension, EcrImage, EndpointRef, InstanceType, Metric,
    MissingData, Statistic,
};
use mlcdk_sagemaker::{NetworkIsolation, RoleBasics};
use mlcdk_storage::{KeyRef, S3Path};
use mlcdk_training::{Pipeline, PipelineTrigger, TrainingPipeline, TriggerProps};

use crate::numbers::{CLOUDWATCH_MAX, check_range};

/// When a monitoring job runs: the forms of [`Schedule`] SageMaker Model
/// Monitor accepts. Props take a [`Schedule`] (`MonitorSchedule::Hourly.into()`,
/// or one read from a stage file); the monitor narrows it with
/// `MonitorSchedule::try_from` and refuses the others at synth.
///
/// ```
/// use mlcdk_core::schedule::Schedule;
/// use mlcdk_monitoring::MonitorSchedule;
///
/// let s: Schedule = "cron(0 3 ? * * *)".parse().unwrap();
/// assert_eq!(MonitorSchedule::try_from(s), Ok(MonitorSchedule::Daily { hour: 3 }));
/// assert!(MonitorSchedule::try_from(Schedule::weekly("MON", 3)).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorSchedule {
    /// `cron(0 * ? * * *)`
    Hourly,
    /// `cron(0 H ? * * *)`, at `hour` UTC.
    Daily {
        /// 0–23, UTC.
        hour: u32,
    },
    /// `cron(0 H/N ? * * *)`: every `every` hours from `start` UTC.
    EveryHours {
        /// The first run's hour of the day, 0–23, UTC.
        start: u32,
        /// Hours between runs, 1–24.
        every: u32,
    },
}

impl MonitorSchedule {
    /// The `cron(...)` expression, or why the hours are out of range.
    pub fn expression(self) -> Result<String, String> {
        match self {
            MonitorSchedule::Hourly => Ok("cron(0 * ? * * *)".into()),
            MonitorSchedule::Daily { hour } if hour <= 23 => Ok(format!("cron(0 {hour} ? * * *)")),
            MonitorSchedule::Daily { hour } => {
                Err(format!("daily at hour {hour}: hours are 0 to 23"))
            }
            MonitorSchedule::EveryHours { start, every }
                if start <= 23 && (1..=24).contains(&every) =>
            {
                Ok(format!("cron(0 {start}/{every} ? * * *)"))
            }
            MonitorSchedule::EveryHours { start, every } => Err(format!(
                "every {every} hours from {start}: the start hour is 0 to 23 and the interval 1 to 24 hours"
            )),
        }
    }

    /// The longest a run may take: the interval between runs, in seconds.
    fn interval_seconds(self) -> u32 {
        match self {
            MonitorSchedule::Hourly => 3600,
            MonitorSchedule::Daily { .. } => 86_400,
            MonitorSchedule::EveryHours { every, .. } => every.clamp(1, 24) * 3600,
        }
    }
}

impl From<MonitorSchedule> for Schedule {
    fn from(s: MonitorSchedule) -> Schedule {
        let hours = match s {
            MonitorSchedule::Hourly => "*".to_string(),
            MonitorSchedule::Daily { hour } => hour.to_string(),
            MonitorSchedule::EveryHours { start, every } => format!("{start}/{every}"),
        };
        Schedule::Cron(format!("0 {hours} ? * * *"))
    }
}

impl TryFrom<Schedule> for MonitorSchedule {
    type Error = String;

    /// The schedule as one of the forms Model Monitor accepts: hourly,
    /// daily at an hour, or every N hours from an hour (as cron fields, either
    /// day field `?`, or the rates `rate(N hours)` with N 1–24 and
    /// `rate(1 day)`).
    fn try_from(schedule: Schedule) -> Result<MonitorSchedule, String> {
        let expression = schedule.expression()?;
        let reject = || {
            format!(
                "schedule '{expression}' is not a form Model Monitor accepts: hourly 'cron(0 * ? * * *)', daily 'cron(0 H ? * * *)' or every N hours 'cron(0 H/N ? * * *)'"
            )
        };
        let narrowed = match &schedule {
            Schedule::Rate(1, RateUnit::Hours) => MonitorSchedule::Hourly,
            Schedule::Rate(n, RateUnit::Hours) => MonitorSchedule::EveryHours {
                start: 0,
                every: *n,
            },
            Schedule::Rate(1, RateUnit::Days) => MonitorSchedule::Daily { hour: 0 },
            Schedule::Rate(..) => return Err(reject()),
            Schedule::Cron(_) => {
                let fields: Vec<&str> = expression
                    .strip_prefix("cron(")
                    .and_then(|e| e.strip_suffix(')'))
                    .map(|e| e.split_whitespace().collect())
                    .unwrap_or_default();
                let [minute, hour, dom, month, dow, year] = fields[..] else {
                    return Err(reject());
                };
                let days_ok = matches!((dom, dow), ("?", "*") | ("*", "?"));
                if minute != "0" || !days_ok || month != "*" || year != "*" {
                    return Err(reject());
                }
                let number = |t: &str| t.parse::<u32>().map_err(|_| reject());
                match hour.split_once('/') {
                    _ if hour == "*" => MonitorSchedule::Hourly,
                    Some((start, every)) => MonitorSchedule::EveryHours {
                        start: if start == "*" { 0 } else { number(start)? },
                        every: number(every)?,
                    },
                    None => MonitorSchedule::Daily {
                        hour: number(hour)?,
                    },
                }
            }
        };
        narrowed.expression().map(|_| narrowed)
    }
}

/// The Model Monitor analyzer image's registry account per region (SageMaker
/// Python SDK, `image_uri_config/model-monitor.json`).
const MONITOR_REGISTRIES: &[(&str, &str)] = &[
    ("ap-east-1", "001633400207"),
    ("ap-northeast-1", "574779866223"),
    ("ap-northeast-2", "709848358524"),
    ("ap-south-1", "126357580389"),
    ("ap-southeast-1", "245545462676"),
    ("ap-southeast-2", "563025443158"),
    ("ca-central-1", "536280801234"),
    ("eu-central-1", "048819808253"),
    ("eu-north-1", "895015795356"),
    ("eu-west-1", "468650794304"),
    ("eu-west-2", "749857270468"),
    ("eu-west-3", "680080141114"),
    ("me-south-1", "607024016150"),
    ("sa-east-1", "539772159869"),
    ("us-east-1", "156813124566"),
    ("us-east-2", "777275614652"),
    ("us-west-1", "890145073186"),
    ("us-west-2", "159807026194"),
];

/// Model-quality problem types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemType {
    /// Two classes: accuracy, precision, recall, F1, AUC.
    BinaryClassification,
    /// More than two classes: accuracy and per-class metrics.
    MulticlassClassification,
    /// A number: MAE, MSE, RMSE, R².
    Regression,
}

/// Data quality against a baseline (from a baselining job).
#[derive(Clone, Debug)]
pub struct DataQuality {
    /// The baseline's `statistics.json`.
    pub statistics: S3Path,
    /// The baseline's `constraints.json`: what counts as a violation.
    pub constraints: S3Path,
}

/// Model quality against ground truth labels.
#[derive(Clone, Debug)]
pub struct ModelQuality {
    /// Which metrics are computed (accuracy and F1, or RMSE and R²…).
    pub problem: ProblemType,
    /// The baseline's `constraints.json`: the metric thresholds.
    pub constraints: S3Path,
    /// Where labels for the captured requests arrive, matched by inference ID.
    pub ground_truth: S3Path,
    /// The attribute of the endpoint's output holding the prediction; not
    /// empty.
    pub inference_attribute: String,
}

/// What a monitor checks.
#[derive(Clone, Debug)]
pub enum MonitorKind {
    /// Data quality against baseline statistics and constraints.
    DataQuality(DataQuality),
    /// Model quality against ground truth labels.
    ModelQuality(ModelQuality),
}

/// A Model Monitor drift alarm: on `feature_baseline_drift_<feature>` above
/// `max`.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftThreshold {
    /// The feature (column) whose drift metric is watched; not empty.
    pub feature: String,
    /// The largest drift distance accepted: a finite number above 0 and at
    /// most 2^360 (the largest metric value CloudWatch accepts); others are
    /// refused at synth.
    pub max: f64,
}

impl DriftThreshold {
    /// An alarm when `feature` drifts beyond `max`.
    pub fn new(feature: &str, max: f64) -> DriftThreshold {
        DriftThreshold {
            feature: feature.to_string(),
            max,
        }
    }
}

/// Props of a [`Monitor`]; start from [`MonitorProps::data_quality`] or
/// [`MonitorProps::model_quality`].
#[derive(Clone, Debug)]
pub struct MonitorProps {
    /// The endpoint monitored (a real-time endpoint of the stack converts
    /// into it, or one imported with [`EndpointRef::from_name`]).
    pub endpoint: EndpointRef,
    /// Where the endpoint captures requests, which the monitor reads: the
    /// endpoint's own data capture destination in the presets
    /// ([`EndpointRef::capture`]); set it for an imported endpoint. An
    /// endpoint without data capture cannot be monitored (refused at synth).
    pub capture: Option<S3Path>,
    /// What the monitor checks.
    pub kind: MonitorKind,
    /// When it runs: a form Model Monitor accepts ([`MonitorSchedule`]),
    /// refused at synth otherwise.
    pub schedule: Schedule,
    /// Where reports go (encrypted like its bucket).
    pub output: S3Path,
    /// Instance type of the monitoring job (default `ml.m5.xlarge`).
    pub instance: InstanceType,
    /// Storage per instance in GB (default 20); SageMaker accepts 1–16,384.
    pub volume_gb: u32,
    /// Encrypts the monitoring job's storage volume (and its reports, when
    /// the output bucket has no key of its own) with this key.
    pub encryption_key: Option<KeyRef>,
    /// 1–86,400 s, and within the schedule's interval.
    pub max_runtime_seconds: u32,
    /// No network access from the monitoring container (default), or access
    /// with its reason (`NetworkIsolation::open("…")`).
    pub network_isolation: NetworkIsolation,
    /// An alarm on `feature_baseline_drift_<feature>` per entry (data quality).
    pub drift_alarms: Vec<DriftThreshold>,
    /// Where the drift alarms notify.
    pub alerts: Option<TopicRef>,
}

impl MonitorProps {
    /// Data quality of `endpoint` against `baseline`, on one ml.m5.xlarge, one
    /// hour at most, no alarms.
    pub fn data_quality(
        endpoint: impl Into<EndpointRef>,
        baseline: DataQuality,
        output: S3Path,
        schedule: impl Into<Schedule>,
    ) -> MonitorProps {
        MonitorProps::of(
            endpoint.into(),
            MonitorKind::DataQuality(baseline),
            output,
            schedule.into(),
        )
    }

    /// Model quality of `endpoint` against ground truth (`quality`), on one
    /// ml.m5.xlarge, one hour at most.
    pub fn model_quality(
        endpoint: impl Into<EndpointRef>,
        quality: ModelQuality,
        output: S3Path,
        schedule: impl Into<Schedule>,
    ) -> MonitorProps {
        MonitorProps::of(
            endpoint.into(),
            MonitorKind::ModelQuality(quality),
            output,
            schedule.into(),
        )
    }

    fn of(
        endpoint: EndpointRef,
        kind: MonitorKind,
        output: S3Path,
        schedule: Schedule,
    ) -> MonitorProps {
        MonitorProps {
            capture: endpoint.capture().cloned(),
            endpoint,
            kind,
            schedule,
            output,
            instance: InstanceType::m5_xlarge(),
            volume_gb: 20,
            encryption_key: None,
            max_runtime_seconds: 3600,
            network_isolation: NetworkIsolation::Isolated,
            drift_alarms: Vec::new(),
            alerts: None,
        }
    }
}

/// A Model Monitor job definition and its schedule on a real-time endpoint
/// that captures data, with CloudWatch metrics published and drift alarms.
///
/// The handle ([`Construct`]): `name()` is the
/// schedule's name as a literal (`AWS::SageMaker::MonitoringSchedule` has no
/// name attribute; it is also `physical_name()`, the `MonitoringSchedule`
/// dimension of its metrics), `arn()` its `Ref`.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_monitoring::{DataQuality, DriftThreshold, Monitor, MonitorProps, MonitorSchedule};
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let b = Bucket::new(&mut stack, "Artifacts", BucketProps::default());
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let model = Model::new(&mut stack, "M", ModelProps::from_registry(registry.version(1)));
/// let endpoint = RealtimeEndpoint::new(&mut stack, "Serve", RealtimeEndpointProps {
///     data_capture: Some(DataCapture::sample(20, b.prefix("capture/"))),
///     ..RealtimeEndpointProps::single(&model, mlcdk_sagemaker::InstanceType::m5_large())
/// });
/// let baseline = DataQuality {
///     statistics: b.prefix("baseline/statistics.json"),
///     constraints: b.prefix("baseline/constraints.json"),
/// };
/// let monitor = Monitor::new(&mut stack, "Drift", MonitorProps {
///     drift_alarms: vec![DriftThreshold::new("monthly_spend", 0.2)],
///     ..MonitorProps::data_quality(&endpoint, baseline, b.prefix("monitoring/"), MonitorSchedule::Hourly)
/// });
/// assert_eq!(monitor.alarms().len(), 1);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Monitor {
    handle: Handle,
    definition: ResourceRef,
    role: Role,
    alarms: Vec<ResourceRef>,
}

impl Monitor {
    /// A monitor of `props.endpoint`, which must capture data, with its role,
    /// job definition, schedule and drift alarms; validated at synth: the
    /// schedule, runtime within the interval, volume size, drift thresholds, a
    /// Model Monitor image for the stage's region.
    pub fn new(scope: &mut impl Scope, id: &str, props: MonitorProps) -> Monitor {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let endpoint_name = props.endpoint.physical_name().to_string();
        let expression = check_props(&mut node, &props, &endpoint_name);
        let analyzer = analyzer_image(&mut node);
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some(format!("Model Monitor of {endpoint_name}")),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        grant_monitor(&role, &props, &analyzer);
        let (definition, monitoring_type) = job_definition(&mut node, &props, &role, &analyzer);
        let schedule_name = node.physical_name_for(naming::MONITORING_SCHEDULE);
        let resource = node.add_resource(
            "Schedule",
            CfnResource::new("AWS::SageMaker::MonitoringSchedule")
                .set("MonitoringScheduleName", schedule_name.as_str())
                .set("EndpointName", props.endpoint.name())
                .set(
                    "MonitoringScheduleConfig",
                    Json::object([
                        (
                            "MonitoringJobDefinitionName",
                            Json::from(definition.get_att("JobDefinitionName")),
                        ),
                        ("MonitoringType", Json::from(monitoring_type)),
                        (
                            "ScheduleConfig",
                            Json::object([("ScheduleExpression", Json::from(expression))]),
                        ),
                    ]),
                ),
        );
        let alarms = drift_alarms(&mut node, &props, &endpoint_name, &schedule_name);
        // `AWS::SageMaker::MonitoringSchedule` returns no name attribute: its
        // name is the one fixed at synth, with no reference; `Ref` is its ARN.
        let arn = resource.reference();
        let handle = Handle::new(resource, path, arn)
            .with_name(Expr::lit(schedule_name.clone()))
            .named(schedule_name);
        Monitor {
            handle,
            definition,
            role,
            alarms,
        }
    }

    /// The job definition (`AWS::SageMaker::DataQualityJobDefinition` or
    /// `ModelQualityJobDefinition`).
    pub fn definition(&self) -> &ResourceRef {
        &self.definition
    }

    /// The role the monitoring jobs run as.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The drift alarms of this monitor.
    pub fn alarms(&self) -> &[ResourceRef] {
        &self.alarms
    }

    /// Start `training` when any of this monitor's drift alarms goes to
    /// ALARM; a monitor without drift alarms is refused at synth.
    pub fn retrain_on_drift(
        &self,
        scope: &mut impl Scope,
        id: &str,
        training: &TrainingPipeline,
    ) -> RetrainOnAlarm {
        RetrainOnAlarm::new(
            scope,
            id,
            RetrainOnAlarmProps::new(self.alarms.clone(), training),
        )
    }
}

impl Construct for Monitor {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for Monitor {}

/// Grants to a monitor go to the role its jobs run as.
impl Grantee for Monitor {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.role.add_to_policy(statement);
    }
}

/// Checks the props a monitor's resources cannot check themselves; returns
/// the schedule's expression (empty when the schedule was refused).
fn check_props(node: &mut Node<'_>, props: &MonitorProps, endpoint_name: &str) -> String {
    if let Err(e) = props.network_isolation.check() {
        node.error(e);
    }
    if props.capture.is_none() {
        node.error(format!(
            "endpoint '{endpoint_name}' captures no data; a monitor reads captured requests (set data_capture on the endpoint, or capture for an imported one)"
        ));
    }
    let schedule = MonitorSchedule::try_from(props.schedule.clone());
    let expression = match schedule.and_then(MonitorSchedule::expression) {
        Ok(e) => e,
        Err(e) => {
            node.error(format!("schedule: {e}"));
            String::new()
        }
    };
    if !(1..=86_400).contains(&props.max_runtime_seconds) {
        node.error(format!(
            "max_runtime_seconds {} is out of range: 1 to 86400",
            props.max_runtime_seconds
        ));
    }
    if let Ok(s) = MonitorSchedule::try_from(props.schedule.clone())
        && props.max_runtime_seconds > s.interval_seconds()
        && props.max_runtime_seconds <= 86_400
    {
        node.error(format!(
            "max_runtime_seconds {} exceeds the schedule's interval ({} s)",
            props.max_runtime_seconds,
            s.interval_seconds()
        ));
    }
    if !(1..=16_384).contains(&props.volume_gb) {
        node.error(format!(
            "volume_gb {} is out of range: 1 to 16384",
            props.volume_gb
        ));
    }
    if let MonitorKind::ModelQuality(q) = &props.kind {
        if q.inference_attribute.trim().is_empty() {
            node.error("model quality: inference_attribute is empty; name the attribute of the endpoint's output that holds the prediction");
        }
        if !props.drift_alarms.is_empty() {
            node.error("drift_alarms watch the feature_baseline_drift_<feature> metrics of a data-quality monitor; a model-quality monitor publishes none (alarm on its metrics with DriftAlarm)");
        }
    }
    expression
}

/// The Model Monitor analyzer image of the stage's region; an unknown
/// region is reported.
fn analyzer_image(node: &mut Node<'_>) -> EcrImage {
    let region = node.stage().env.region.clone();
    let account = match MONITOR_REGISTRIES.iter().find(|(r, _)| *r == region) {
        Some((_, a)) => *a,
        None => {
            node.error(format!(
                "no Model Monitor image is known for region '{region}'"
            ));
            "000000000000"
        }
    };
    EcrImage {
        account: account.to_string(),
        region,
        repository: "sagemaker-model-monitor-analyzer".into(),
        tag: "latest".into(),
    }
}

/// The job definition of the monitor's kind (data or model quality) and
/// its `MonitoringType`.
fn job_definition(
    node: &mut Node<'_>,
    props: &MonitorProps,
    role: &Role,
    analyzer: &EcrImage,
) -> (ResourceRef, &'static str) {
    // The analyzer is named without a tag, as SageMaker documents it.
    let image = format!(
        "{}.dkr.ecr.{}.amazonaws.com/{}",
        analyzer.account, analyzer.region, analyzer.repository
    );
    // Metrics go to CloudWatch, where the drift alarms watch them.
    let env = Json::object([("publish_cloudwatch_metrics", Json::from("Enabled"))]);
    match &props.kind {
        MonitorKind::DataQuality(DataQuality {
            statistics,
            constraints,
        }) => {
            let def = job_common(
                CfnResource::new("AWS::SageMaker::DataQualityJobDefinition"),
                props,
                role,
            )
            .set(
                "DataQualityAppSpecification",
                Json::object([
                    ("ImageUri", Json::from(image.as_str())),
                    ("Environment", env),
                ]),
            )
            .set(
                "DataQualityJobInput",
                Json::object([("EndpointInput", endpoint_input(props, vec![]))]),
            )
            .set("DataQualityJobOutputConfig", job_output(props))
            .set(
                "DataQualityBaselineConfig",
                Json::object([
                    (
                        "ConstraintsResource",
                        Json::object([("S3Uri", Json::from(constraints.uri()))]),
                    ),
                    (
                        "StatisticsResource",
                        Json::object([("S3Uri", Json::from(statistics.uri()))]),
                    ),
                ]),
            );
            (node.add_resource("Definition", def), "DataQuality")
        }
        MonitorKind::ModelQuality(ModelQuality {
            problem,
            constraints,
            ground_truth,
            inference_attribute,
        }) => {
            let def = job_common(
                CfnResource::new("AWS::SageMaker::ModelQualityJobDefinition"),
                props,
                role,
            )
            .set(
                "ModelQualityAppSpecification",
                Json::object([
                    ("ImageUri", Json::from(image.as_str())),
                    ("ProblemType", Json::from(format!("{problem:?}"))),
                    ("Environment", env),
                ]),
            )
            .set(
                "ModelQualityJobInput",
                Json::object([
                    (
                        "EndpointInput",
                        endpoint_input(
                            props,
                            vec![(
                                "InferenceAttribute",
                                Json::from(inference_attribute.as_str()),
                            )],
                        ),
                    ),
                    (
                        "GroundTruthS3Input",
                        Json::object([("S3Uri", Json::from(ground_truth.uri()))]),
                    ),
                ]),
            )
            .set("ModelQualityJobOutputConfig", job_output(props))
            .set(
                "ModelQualityBaselineConfig",
                Json::object([(
                    "ConstraintsResource",
                    Json::object([("S3Uri", Json::from(constraints.uri()))]),
                )]),
            );
            (node.add_resource("Definition", def), "ModelQuality")
        }
    }
}

/// Where a monitoring job writes its reports, and the key they are
/// encrypted with.
fn job_output(props: &MonitorProps) -> Json {
    let mut output = vec![(
        "MonitoringOutputs",
        Json::array([Json::object([(
            "S3Output",
            Json::object([
                ("S3Uri", Json::from(props.output.uri())),
                ("LocalPath", Json::from("/opt/ml/processing/output")),
                ("S3UploadMode", Json::from("EndOfJob")),
            ]),
        )])]),
    )];
    // Reports describe production data: the bucket's key, else the volume's.
    let report_key = props
        .output
        .bucket
        .encryption_key()
        .map(|k| k.arn())
        .or_else(|| props.encryption_key.as_ref().map(KeyRef::arn));
    if let Some(k) = report_key {
        output.push(("KmsKeyId", Json::from(k)));
    }
    Json::object(output)
}

/// The endpoint a monitoring job reads, with `extra` fields of the kind.
fn endpoint_input(props: &MonitorProps, extra: Vec<(&'static str, Json)>) -> Json {
    // The endpoint's name is a reference (`GetAtt EndpointName`) when the
    // endpoint is in the stack, so CloudFormation creates the endpoint
    // before the job definition and the schedule.
    let mut e = vec![
        ("EndpointName", Json::from(props.endpoint.name())),
        ("LocalPath", Json::from("/opt/ml/processing/input/endpoint")),
        ("S3InputMode", Json::from("File")),
        ("S3DataDistributionType", Json::from("FullyReplicated")),
    ];
    e.extend(extra);
    Json::object(e)
}

/// What every kind of job definition sets: role, instances and volume key,
/// runtime cap, network.
fn job_common(def: CfnResource, props: &MonitorProps, role: &Role) -> CfnResource {
    let mut cluster = vec![
        ("InstanceCount", Json::from(1u32)),
        ("InstanceType", Json::from(props.instance.as_str())),
        ("VolumeSizeInGB", Json::from(props.volume_gb)),
    ];
    if let Some(k) = &props.encryption_key {
        cluster.push(("VolumeKmsKeyId", Json::from(k.arn())));
    }
    def.set("RoleArn", role.arn())
        .set(
            "JobResources",
            Json::object([("ClusterConfig", Json::object(cluster))]),
        )
        .set(
            "StoppingCondition",
            Json::object([("MaxRuntimeInSeconds", Json::from(props.max_runtime_seconds))]),
        )
        .set(
            "NetworkConfig",
            Json::object([
                (
                    "EnableNetworkIsolation",
                    Json::Bool(props.network_isolation.is_isolated()),
                ),
                ("EnableInterContainerTrafficEncryption", Json::Bool(true)),
            ]),
        )
}

/// The drift alarms of a data-quality monitor, one per feature threshold;
/// a threshold that is refused makes no alarm.
fn drift_alarms(
    node: &mut Node<'_>,
    props: &MonitorProps,
    endpoint_name: &str,
    schedule_name: &str,
) -> Vec<ResourceRef> {
    let mut alarms = Vec::new();
    for DriftThreshold { feature, max } in &props.drift_alarms {
        let mut ok = true;
        if feature.is_empty() {
            node.error(format!(
                "drift alarm with max {max} has no feature name; give the feature whose feature_baseline_drift_<feature> metric it watches"
            ));
            ok = false;
        }
        if let Some(e) = check_range(
            &format!("drift alarm on '{feature}': max"),
            *max,
            0.0,
            true,
            CLOUDWATCH_MAX,
            DRIFT_THRESHOLD_RANGE,
        ) {
            node.error(e);
            ok = false;
        }
        if !ok {
            continue;
        }
        alarms.push(
            drift_alarm(
                node,
                &format!(
                    "Drift{}",
                    feature
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
                &CustomMetric {
                    namespace: "aws/sagemaker/Endpoints/data-metrics".into(),
                    metric: format!("feature_baseline_drift_{feature}"),
                    dimensions: BTreeMap::from([
                        ("Endpoint".to_string(), endpoint_name.to_string()),
                        ("MonitoringSchedule".to_string(), schedule_name.to_string()),
                    ]),
                    threshold: *max,
                    period_seconds: 3600,
                    evaluation_periods: 1,
                },
                props.alerts.as_ref(),
            )
            .resource()
            .clone(),
        );
    }
    alarms
}

/// What the monitoring jobs need: the captured data, baselines and ground
/// truth, the reports' prefix, the analyzer image, logs and metrics, and the
/// volume key.
fn grant_monitor(role: &Role, props: &MonitorProps, analyzer: &EcrImage) {
    if let Some(capture) = &props.capture {
        capture.grant_read(role);
    }
    props.output.grant_read_write(role);
    // Model Monitor publishes in `aws/sagemaker/Endpoints/*` (no leading
    // slash), unlike the jobs' own `/aws/sagemaker/*`.
    let _ = RoleBasics {
        log_groups: "/aws/sagemaker/*",
        describe_log_streams: false,
        metrics_namespace: "aws/sagemaker/Endpoints/*",
        images: std::slice::from_ref(analyzer),
    }
    .grant(role);
    if let Some(k) = &props.encryption_key {
        k.grant_encrypt_decrypt(role);
        // The job's instances get their volume encrypted with the key
        // through a grant SageMaker creates with this role; without it
        // every scheduled run fails before it starts (CreateProcessingJob
        // with a volume key needs kms:CreateGrant:
        // https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html).
        k.grant_volume_encryption(role);
    }
    match &props.kind {
        MonitorKind::DataQuality(d) => {
            d.statistics.grant_read(role);
            d.constraints.grant_read(role);
        }
        MonitorKind::ModelQuality(q) => {
            q.constraints.grant_read(role);
            q.ground_truth.grant_read(role);
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
fn drift_alarm(
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
                value: value.clone(),
            })
            .collect(),
        statistic: Statistic::Maximum,
        period_seconds: m.period_seconds,
    };
    Alarm::new(
        scope,
        id,
        AlarmProps {
            description: Some(format!(
                "{} above {}: the data drifted",
                m.metric, m.threshold
            )),
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

    /// Start `training` when this alarm goes to ALARM.
    pub fn retrain_on_drift(
        &self,
        scope: &mut impl Scope,
        id: &str,
        training: &TrainingPipeline,
    ) -> RetrainOnAlarm {
        RetrainOnAlarm::new(
            scope,
            id,
            RetrainOnAlarmProps::new(vec![self.resource().clone()], training),
        )
    }
}

impl Construct for DriftAlarm {
    fn handle(&self) -> &Handle {
        &self.handle
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

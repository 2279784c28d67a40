//! The Model Monitor backend: SageMaker Model Monitor job definitions and
//! schedules, for accounts that already use Model Monitor.
//!
//! Amazon SageMaker Model Monitor is no longer open to new customers (since
//! 2026-07-30; existing customers continue to use it, and no new features are
//! planned: SageMaker developer guide, "Model Monitor availability change").
//! A new account cannot deploy these resources: use [`Monitor`](crate::Monitor),
//! which runs mlcdk's drift job on SageMaker Pipelines.

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::naming;
use mlcdk_core::refs::TopicRef;
use mlcdk_core::schedule::Schedule;
use mlcdk_core::{
    CfnResource, Construct, Expr, Handle, Json, Node, PhysicallyNamed, ResourceRef, Scope,
};
use mlcdk_sagemaker::{EcrImage, EndpointRef, InstanceType};
use mlcdk_sagemaker::{NetworkIsolation, RoleBasics};
use mlcdk_storage::{KeyRef, S3Path};

use crate::alarms::{
    CustomMetric, DriftStatistic, DriftThreshold, RetrainOnDrift, check_capture_and_volume,
    check_threshold, drift_alarm,
};
use crate::monitor::ProblemType;
use crate::schedule::MonitorSchedule;

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
pub enum ModelMonitorKind {
    /// Data quality against baseline statistics and constraints.
    DataQuality(DataQuality),
    /// Model quality against ground truth labels.
    ModelQuality(ModelQuality),
}

/// Props of a [`ModelMonitor`]; start from [`ModelMonitorProps::data_quality`] or
/// [`ModelMonitorProps::model_quality`].
#[derive(Clone, Debug)]
pub struct ModelMonitorProps {
    /// The endpoint monitored (a real-time endpoint of the stack converts
    /// into it, or one imported with [`EndpointRef::from_name`]).
    pub endpoint: EndpointRef,
    /// Where the endpoint captures requests, which the monitor reads: the
    /// endpoint's own data capture destination in the presets
    /// ([`EndpointRef::capture`]); set it for an imported endpoint. An
    /// endpoint without data capture cannot be monitored (refused at synth).
    pub capture: Option<S3Path>,
    /// What the monitor checks.
    pub kind: ModelMonitorKind,
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

impl ModelMonitorProps {
    /// Data quality of `endpoint` against `baseline`, on one ml.m5.xlarge, one
    /// hour at most, no alarms.
    pub fn data_quality(
        endpoint: impl Into<EndpointRef>,
        baseline: DataQuality,
        output: S3Path,
        schedule: impl Into<Schedule>,
    ) -> ModelMonitorProps {
        ModelMonitorProps::of(
            endpoint.into(),
            ModelMonitorKind::DataQuality(baseline),
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
    ) -> ModelMonitorProps {
        ModelMonitorProps::of(
            endpoint.into(),
            ModelMonitorKind::ModelQuality(quality),
            output,
            schedule.into(),
        )
    }

    fn of(
        endpoint: EndpointRef,
        kind: ModelMonitorKind,
        output: S3Path,
        schedule: Schedule,
    ) -> ModelMonitorProps {
        ModelMonitorProps {
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
/// **Model Monitor is closed to new customers** (since 2026-07-30: "Amazon
/// SageMaker Model Monitor is no longer open to new customers. Existing
/// customers can continue to use the service as normal", SageMaker developer
/// guide, "Model Monitor availability change"). Use it only in an account
/// that already does; [`Monitor`](crate::Monitor) is the default, which runs
/// on services open to everyone.
///
/// The handle ([`Construct`]): `name()` is the
/// schedule's name as a literal (`AWS::SageMaker::MonitoringSchedule` has no
/// name attribute; it is also `physical_name()`, the `MonitoringSchedule`
/// dimension of its metrics), `arn()` its `Ref`.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_monitoring::{DataQuality, DriftThreshold, ModelMonitor, ModelMonitorProps, MonitorSchedule};
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
/// let monitor = ModelMonitor::new(&mut stack, "Drift", ModelMonitorProps {
///     drift_alarms: vec![DriftThreshold::new("monthly_spend", 0.2)],
///     ..ModelMonitorProps::data_quality(&endpoint, baseline, b.prefix("monitoring/"), MonitorSchedule::Hourly)
/// });
/// assert_eq!(monitor.alarms().len(), 1);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ModelMonitor {
    handle: Handle,
    definition: ResourceRef,
    role: Role,
    alarms: Vec<ResourceRef>,
}

impl ModelMonitor {
    /// A monitor of `props.endpoint`, which must capture data, with its role,
    /// job definition, schedule and drift alarms; validated at synth: the
    /// schedule, runtime within the interval, volume size, drift thresholds, a
    /// Model Monitor image for the stage's region.
    pub fn new(scope: &mut impl Scope, id: &str, props: ModelMonitorProps) -> ModelMonitor {
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
        ModelMonitor {
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
}

impl Construct for ModelMonitor {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for ModelMonitor {}

/// Grants to a monitor go to the role its jobs run as.
impl Grantee for ModelMonitor {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.role.add_to_policy(statement);
    }
}

/// Checks the props a monitor's resources cannot check themselves; returns
/// the schedule's expression (empty when the schedule was refused).
fn check_props(node: &mut Node<'_>, props: &ModelMonitorProps, endpoint_name: &str) -> String {
    if let Err(e) = props.network_isolation.check() {
        node.error(e);
    }
    check_capture_and_volume(node, props.capture.as_ref(), endpoint_name, props.volume_gb);
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
    if let ModelMonitorKind::ModelQuality(q) = &props.kind {
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
    props: &ModelMonitorProps,
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
        ModelMonitorKind::DataQuality(DataQuality {
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
        ModelMonitorKind::ModelQuality(ModelQuality {
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
fn job_output(props: &ModelMonitorProps) -> Json {
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
fn endpoint_input(props: &ModelMonitorProps, extra: Vec<(&'static str, Json)>) -> Json {
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
fn job_common(def: CfnResource, props: &ModelMonitorProps, role: &Role) -> CfnResource {
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
    props: &ModelMonitorProps,
    endpoint_name: &str,
    schedule_name: &str,
) -> Vec<ResourceRef> {
    let mut alarms = Vec::new();
    for threshold in &props.drift_alarms {
        let DriftThreshold {
            feature,
            max,
            statistic,
        } = threshold;
        if *statistic != DriftStatistic::Psi {
            node.error(format!(
                "drift alarm on '{feature}': Model Monitor publishes one drift distance per feature (feature_baseline_drift_{feature}); leave statistic at its default"
            ));
            continue;
        }
        if !check_threshold(node, threshold, "feature_baseline_drift_<feature>") {
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
fn grant_monitor(role: &Role, props: &ModelMonitorProps, analyzer: &EcrImage) {
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
        ModelMonitorKind::DataQuality(d) => {
            d.statistics.grant_read(role);
            d.constraints.grant_read(role);
        }
        ModelMonitorKind::ModelQuality(q) => {
            q.constraints.grant_read(role);
            q.ground_truth.grant_read(role);
        }
    }
}

/// Start training when any of this monitor's drift alarms goes to ALARM; a
/// monitor without drift alarms is refused at synth.
impl RetrainOnDrift for ModelMonitor {
    fn drift_alarms(&self) -> Vec<ResourceRef> {
        self.alarms.clone()
    }
}

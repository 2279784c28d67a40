//! Drift and model-quality monitoring on services open to every account: an
//! EventBridge schedule starts a one-step SageMaker pipeline whose processing
//! job (mlcdk's script, in SageMaker's scikit-learn image) compares the
//! endpoint's captured requests with the baseline training registered, and
//! publishes CloudWatch metrics that alarms watch.
//!
//! Why not Model Monitor: it is closed to new customers since 2026-07-30
//! (SageMaker developer guide, "Model Monitor availability change"); AWS
//! points new setups to open-source drift detection run on SageMaker and
//! published to CloudWatch, which this is. [`ModelMonitor`](crate::ModelMonitor)
//! stays for accounts that already use Model Monitor.

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::schedule::Schedule;
use mlcdk_core::{Asset, Construct, Handle, Node, PhysicallyNamed, ResourceRef, Scope};
use mlcdk_registry::ModelVersion;
use mlcdk_sagemaker::images::{self, EcrImage};
use mlcdk_sagemaker::{
    Alarm, AlarmProps, Comparison, Dimension, EndpointRef, InstanceType, Metric, MissingData,
    RoleBasics, Statistic,
};
use mlcdk_storage::{KeyRef, S3Path};
use mlcdk_training::definition::{ProcessingSpec, Step, StepKind};
use mlcdk_training::{
    Definition, Pipeline, PipelineProps, PipelineTrigger, PipelineValue, TrainingPipeline,
    TriggerProps, grant_pass_job_role, grant_pipeline_jobs,
};

use crate::alarms::{
    CustomMetric, DriftStatistic, DriftThreshold, RetrainOnDrift, check_capture_and_volume,
    check_threshold, drift_alarm,
};
use crate::numbers::CLOUDWATCH_MAX;
use crate::schedule::MonitorSchedule;

/// The monitoring script shipped with mlcdk: reads the capture window,
/// compares it with the baseline (or joins it with ground truth), publishes
/// the metrics and writes the report. Standard library and boto3 only.
const MONITOR_SCRIPT: &[u8] = include_bytes!("../scripts/monitor.py");

/// The CloudWatch namespace the monitoring jobs publish in, unless
/// [`MonitorProps::namespace`] says otherwise; the endpoint (and the
/// feature) are dimensions, so stages and endpoints never mix.
pub const MONITOR_NAMESPACE: &str = "mlcdk/monitoring";

/// Where the job writes its report before SageMaker uploads it.
const REPORT_DIR: &str = "/opt/ml/processing/output/report";

/// The pipeline step's name.
const CHECK_STEP: &str = "Check";

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

impl ProblemType {
    /// The `--problem` argument of the monitoring script.
    fn argument(self) -> &'static str {
        match self {
            ProblemType::BinaryClassification => "binary",
            ProblemType::MulticlassClassification => "multiclass",
            ProblemType::Regression => "regression",
        }
    }
}

/// The statistics a data-quality monitor compares captured requests with.
// Props are built once per construct: boxing would only make them harder to
// write (as for `ModelStrategy`).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Baseline {
    /// The baseline a training pipeline registered with `version`
    /// (`ModelMetrics.ModelDataQuality.Statistics`, see
    /// `mlcdk_training::FeatureBaseline`): each run reads it through
    /// `DescribeModelPackage`, so the monitor always compares with the data
    /// the served version was trained on. Use [`Baseline::of_version`].
    Registered {
        /// The version served.
        version: ModelVersion,
        /// Where the pipeline writes baselines (what the job may read).
        location: S3Path,
        /// The features the baseline has, when known: drift alarms are
        /// checked against them at synth.
        features: Option<Vec<String>>,
    },
    /// A `statistics.json` of one's own, in the format of mlcdk's baseline
    /// script (see the README's "Monitoring" section).
    File(S3Path),
}

impl Baseline {
    /// The baseline `training` registered with `version`; `training` must
    /// compute one (`baseline: Some(FeatureBaseline::new([..]))`), which the
    /// monitor checks at synth.
    pub fn of_version(version: ModelVersion, training: &TrainingPipeline) -> Baseline {
        Baseline::Registered {
            version,
            location: training.baselines(),
            features: training.baseline().map(|b| b.features.clone()),
        }
    }
}

/// A model-quality metric the monitoring job publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QualityMetric {
    /// Area under the ROC curve (binary classification); alarms below.
    Auc,
    /// Share of right predictions (classification); alarms below.
    Accuracy,
    /// F1 score (binary; macro F1 for multiclass); alarms below.
    F1,
    /// Root mean squared error (regression); alarms above.
    Rmse,
    /// Mean absolute error (regression); alarms above.
    Mae,
}

impl QualityMetric {
    /// The metric's name in CloudWatch.
    pub fn metric_name(self) -> &'static str {
        match self {
            QualityMetric::Auc => "auc",
            QualityMetric::Accuracy => "accuracy",
            QualityMetric::F1 => "f1",
            QualityMetric::Rmse => "rmse",
            QualityMetric::Mae => "mae",
        }
    }

    /// Whether a higher value is better (the alarm fires below the limit).
    fn higher_is_better(self) -> bool {
        !matches!(self, QualityMetric::Rmse | QualityMetric::Mae)
    }

    /// Whether the job computes it for `problem`.
    fn applies_to(self, problem: ProblemType) -> bool {
        match self {
            QualityMetric::Auc => problem == ProblemType::BinaryClassification,
            QualityMetric::Accuracy | QualityMetric::F1 => problem != ProblemType::Regression,
            QualityMetric::Rmse | QualityMetric::Mae => problem == ProblemType::Regression,
        }
    }
}

/// A model-quality alarm: `metric` worse than `limit` (below it for AUC,
/// accuracy and F1; above it for RMSE and MAE).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QualityThreshold {
    /// The metric watched; one the monitor's problem type has.
    pub metric: QualityMetric,
    /// The worst value accepted: a finite number (0 to 1 for AUC, accuracy
    /// and F1; 0 or more for RMSE and MAE).
    pub limit: f64,
}

impl QualityThreshold {
    /// An alarm when `metric` is worse than `limit`.
    pub fn new(metric: QualityMetric, limit: f64) -> QualityThreshold {
        QualityThreshold { metric, limit }
    }
}

/// What a [`Monitor`] checks.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum MonitorCheck {
    /// The captured requests' features against the baseline: PSI and
    /// Kolmogorov–Smirnov for numeric features, distribution distance for
    /// categorical ones, the change of missing values.
    DataQuality {
        /// What the requests are compared with.
        baseline: Baseline,
    },
    /// Captured predictions against the labels a team uploads, joined by
    /// inference ID (ground-truth JSON lines, AWS's merge convention).
    ModelQuality {
        /// Which metrics are computed.
        problem: ProblemType,
        /// Where labels arrive: `<prefix>/yyyy/mm/dd/hh/*.jsonl`.
        ground_truth: S3Path,
        /// Binary classification: the score from which a prediction counts
        /// as positive, above 0 and below 1 (default 0.5).
        probability_threshold: f64,
    },
}

/// The script a [`Monitor`] runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MonitorScript {
    /// mlcdk's `monitor.py` (default).
    #[default]
    Builtin,
    /// A script of one's own (a local file, uploaded as an asset) with the
    /// same arguments, metrics and report (the README's "Monitoring"
    /// section is the contract).
    File(String),
}

/// Props of a [`Monitor`]: `MonitorProps { .., ..MonitorProps::data_quality(..) }`
/// or `..MonitorProps::model_quality(..)`.
#[derive(Clone, Debug)]
pub struct MonitorProps {
    /// The endpoint monitored: any endpoint kind with data capture converts
    /// into it, or one imported with [`EndpointRef::from_name`].
    pub endpoint: EndpointRef,
    /// Where the endpoint captures requests: the endpoint's own data
    /// capture destination in the presets; set it for an imported endpoint.
    /// An endpoint without data capture cannot be monitored (refused at
    /// synth).
    pub capture: Option<S3Path>,
    /// What is checked.
    pub check: MonitorCheck,
    /// When it runs: hourly, daily at an hour, or every N hours
    /// ([`MonitorSchedule`]; capture files are hourly). Each run reads the
    /// whole hours since the previous one.
    pub schedule: Schedule,
    /// Where each run's report goes (`<reports>/<execution id>/report.json`).
    pub reports: S3Path,
    /// Instance type of the job (default `ml.m5.large`).
    pub instance: InstanceType,
    /// Storage of the instance in GB, 1 to 16,384 (default 20).
    pub volume_gb: u32,
    /// Runtime cap in seconds, 1 to the schedule's interval (default 1,800).
    pub max_runtime_seconds: u32,
    /// Encrypts the job's volume (and its reports, when the reports' bucket
    /// has no key of its own).
    pub encryption_key: Option<KeyRef>,
    /// The CloudWatch namespace of the metrics (default
    /// [`MONITOR_NAMESPACE`]); 1–255 characters, not starting with `AWS/`.
    pub namespace: String,
    /// The script the job runs (default mlcdk's).
    pub script: MonitorScript,
    /// Per-feature alarms on the drift metrics (data quality).
    pub drift_alarms: Vec<DriftThreshold>,
    /// An alarm on a quality metric (model quality).
    pub quality_alarm: Option<QualityThreshold>,
    /// Where the alarms notify.
    pub alerts: Option<TopicRef>,
}

impl MonitorProps {
    /// Data quality of `endpoint` against `baseline`, on one ml.m5.large,
    /// 30 minutes at most, no alarms.
    pub fn data_quality(
        endpoint: impl Into<EndpointRef>,
        baseline: Baseline,
        reports: S3Path,
        schedule: impl Into<Schedule>,
    ) -> MonitorProps {
        MonitorProps::of(
            endpoint.into(),
            MonitorCheck::DataQuality { baseline },
            reports,
            schedule.into(),
        )
    }

    /// Model quality of `endpoint` for `problem`, against the labels
    /// uploaded under `ground_truth`, on one ml.m5.large, 30 minutes at most.
    pub fn model_quality(
        endpoint: impl Into<EndpointRef>,
        problem: ProblemType,
        ground_truth: S3Path,
        reports: S3Path,
        schedule: impl Into<Schedule>,
    ) -> MonitorProps {
        MonitorProps::of(
            endpoint.into(),
            MonitorCheck::ModelQuality {
                problem,
                ground_truth,
                probability_threshold: 0.5,
            },
            reports,
            schedule.into(),
        )
    }

    fn of(
        endpoint: EndpointRef,
        check: MonitorCheck,
        reports: S3Path,
        schedule: Schedule,
    ) -> MonitorProps {
        MonitorProps {
            capture: endpoint.capture().cloned(),
            endpoint,
            check,
            schedule,
            reports,
            instance: InstanceType::m5_large(),
            volume_gb: 20,
            max_runtime_seconds: 1800,
            encryption_key: None,
            namespace: MONITOR_NAMESPACE.into(),
            script: MonitorScript::Builtin,
            drift_alarms: Vec::new(),
            quality_alarm: None,
            alerts: None,
        }
    }
}

/// A monitor of an endpoint that captures data: on its schedule an
/// EventBridge rule starts a one-step SageMaker pipeline, whose processing
/// job reads the capture window, compares it with the baseline (or joins it
/// with ground truth), publishes CloudWatch metrics in
/// [`MonitorProps::namespace`] and writes a report; alarms watch the metrics
/// and can start retraining ([`Monitor::retrain_on_drift`]).
///
/// Metrics, with dimensions `Endpoint` and, per feature, `Feature`: `psi`,
/// `ks`, `distance`, `missing_rate_delta` per feature; `records`,
/// `malformed_records` and `no_data` (1 for a window without requests: no
/// drift is computed, and the run succeeds) per run; `auc`, `accuracy`,
/// `f1`, `rmse`, `mae` and `matched_records` for model quality.
///
/// The job reaches S3 and CloudWatch through their APIs (the capture window
/// is listed by hour, and metrics are put), so its container is not
/// network-isolated: it runs in SageMaker's network with internet access,
/// or in a VPC with S3 and CloudWatch endpoints. Its role may read the
/// capture, the baseline and the ground truth, write the reports, and put
/// metrics in its namespace only.
///
/// The handle ([`Construct`]): the pipeline's resource, `name()`,
/// `physical_name()` and `arn()` (the pipeline's).
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_monitoring::{Baseline, DriftThreshold, Monitor, MonitorProps, MonitorSchedule};
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
/// use mlcdk_storage::{Bucket, BucketProps};
/// use mlcdk_training::{FeatureBaseline, ModelGroupRef, TrainingPipeline, TrainingPipelineProps};
///
/// let mut stack = Stack::for_test();
/// let b = Bucket::new(&mut stack, "Artifacts", BucketProps::default());
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let training = TrainingPipeline::new(&mut stack, "Training", TrainingPipelineProps {
///     baseline: Some(FeatureBaseline::new(["tenure_months", "monthly_spend"])),
///     register_into: Some((&registry).into()),
///     ..TrainingPipelineProps::xgboost(b.prefix("features/"), b.prefix("pipeline/"))
/// });
/// let version = registry.version(1);
/// let model = Model::new(&mut stack, "M", ModelProps::from_registry(version.clone()));
/// let endpoint = RealtimeEndpoint::new(&mut stack, "Serve", RealtimeEndpointProps {
///     data_capture: Some(DataCapture::sample(20, b.prefix("capture/"))),
///     ..RealtimeEndpointProps::single(&model, mlcdk_sagemaker::InstanceType::m5_large())
/// });
/// let monitor = Monitor::new(&mut stack, "Drift", MonitorProps {
///     drift_alarms: vec![DriftThreshold::new("monthly_spend", 0.2)],
///     ..MonitorProps::data_quality(
///         &endpoint,
///         Baseline::of_version(version, &training),
///         b.prefix("monitoring/"),
///         MonitorSchedule::Hourly,
///     )
/// });
/// assert_eq!(monitor.alarms().len(), 1);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Monitor {
    handle: Handle,
    pipeline: Pipeline,
    role: Role,
    trigger: PipelineTrigger,
    alarms: Vec<ResourceRef>,
    endpoint_name: String,
    namespace: String,
    interval_seconds: u32,
}

impl Monitor {
    /// The monitor's job role, pipeline, schedule and alarms, validated at
    /// synth: data capture, the schedule, runtime within the interval,
    /// volume, namespace, alarms against the check and the baseline's
    /// features, the image for the stage's region.
    pub fn new(scope: &mut impl Scope, id: &str, props: MonitorProps) -> Monitor {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let endpoint_name = props.endpoint.physical_name().to_string();
        let schedule = check_props(&mut node, &props, &endpoint_name);
        let region = node.stage().env.region.clone();
        let image = images::scikit_learn(&region).unwrap_or_else(|e| {
            node.error(e);
            EcrImage {
                account: "000000000000".into(),
                region: region.clone(),
                repository: "sagemaker-scikit-learn".into(),
                tag: "unknown".into(),
            }
        });
        let job_role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some(format!("Monitoring jobs of {endpoint_name}")),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        grant_job(&job_role, &props, &image);
        let script = match &props.script {
            MonitorScript::Builtin => Asset::generated("monitor.py", MONITOR_SCRIPT.to_vec()),
            MonitorScript::File(path) => Asset::file(path),
        };
        let script = node.asset(script);
        script.grant_read(&job_role);
        let window_hours = schedule.map_or(1, |s| s.interval_seconds() / 3600);
        let step = ProcessingSpec {
            image: PipelineValue::lit(image.uri()),
            role_arn: job_role.arn(),
            instance_type: props.instance.to_string(),
            instance_count: 1,
            volume_gb: props.volume_gb,
            max_runtime_seconds: props.max_runtime_seconds,
            code: PipelineValue::from(script.s3_uri()),
            script_name: script.file_name().to_string(),
            arguments: arguments(&props, &endpoint_name, window_hours, &region),
            inputs: Vec::new(),
            outputs: vec![(
                "report".into(),
                PipelineValue::join(
                    "",
                    [
                        PipelineValue::from(folder_uri(&props.reports)),
                        PipelineValue::execution_id(),
                        PipelineValue::lit("/"),
                    ],
                ),
            )],
            property_files: Vec::new(),
            volume_key: props.encryption_key.as_ref().map(KeyRef::arn),
            // Reports describe production traffic: the reports bucket's key,
            // else the monitor's.
            output_key: props
                .reports
                .bucket
                .encryption_key()
                .or_else(|| props.encryption_key.clone())
                .map(|k| k.arn()),
        };
        let stage = node.stage();
        let definition = Definition {
            steps: vec![Step::new(CHECK_STEP, StepKind::Processing(step))],
            // The job carries the stage's tags, so the budget counts it.
            tags: vec![
                ("app".into(), stage.app.clone()),
                ("stage".into(), stage.name.clone()),
            ],
            ..Definition::default()
        };
        let pipeline_role = Role::new(
            &mut node,
            "PipelineRole",
            RoleProps {
                description: Some(format!("Runs the monitoring pipeline of {endpoint_name}")),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        grant_pipeline_jobs(&pipeline_role, &["processing-job"]);
        grant_pass_job_role(&pipeline_role, &job_role);
        let pipeline = Pipeline::new(
            &mut node,
            "Pipeline",
            PipelineProps {
                max_parallel_steps: 1,
                ..PipelineProps::new(definition, &pipeline_role)
            },
        );
        let trigger = PipelineTrigger::new(
            &mut node,
            "Schedule",
            TriggerProps {
                description: Some(format!("Monitors {endpoint_name}")),
                ..TriggerProps::schedule(&pipeline, props.schedule.clone())
            },
        );
        let interval_seconds = schedule.map_or(3600, MonitorSchedule::interval_seconds);
        let alarms = alarms(&mut node, &props, &endpoint_name, interval_seconds);
        let handle = Handle::new(pipeline.resource().clone(), path, pipeline.arn())
            .named(pipeline.physical_name());
        Monitor {
            handle,
            pipeline,
            role: job_role,
            trigger,
            alarms,
            endpoint_name,
            namespace: props.namespace,
            interval_seconds,
        }
    }

    /// The role the monitoring jobs run as.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The pipeline the schedule starts.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The schedule: its EventBridge rule and role.
    pub fn trigger(&self) -> &PipelineTrigger {
        &self.trigger
    }

    /// The alarms of this monitor (drift, then quality).
    pub fn alarms(&self) -> &[ResourceRef] {
        &self.alarms
    }

    /// The `statistic` of `feature` that the job publishes (maximum per
    /// schedule interval).
    pub fn metric_drift(&self, feature: &str, statistic: DriftStatistic) -> Metric {
        self.metric(
            statistic.metric_name(),
            vec![("Feature", feature.to_string())],
        )
    }

    /// `no_data`: 1 when a run found no request in its window.
    pub fn metric_no_data(&self) -> Metric {
        self.metric("no_data", Vec::new())
    }

    /// A quality metric the job publishes (model quality).
    pub fn metric_quality(&self, metric: QualityMetric) -> Metric {
        self.metric(metric.metric_name(), Vec::new())
    }

    fn metric(&self, name: &str, extra: Vec<(&str, String)>) -> Metric {
        let mut dimensions = vec![Dimension {
            name: "Endpoint".into(),
            value: self.endpoint_name.as_str().into(),
        }];
        dimensions.extend(extra.into_iter().map(|(name, value)| Dimension {
            name: name.into(),
            value: value.into(),
        }));
        Metric {
            namespace: self.namespace.clone(),
            name: name.into(),
            dimensions,
            statistic: Statistic::Maximum,
            period_seconds: self.interval_seconds,
        }
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

/// The S3 URI of `path` as a folder (with a trailing `/`).
fn folder_uri(path: &S3Path) -> mlcdk_core::Expr {
    if path.prefix.is_empty() || path.prefix.ends_with('/') {
        path.uri()
    } else {
        mlcdk_core::Expr::concat([path.uri(), mlcdk_core::Expr::lit("/")])
    }
}

/// The script's arguments (the contract in the README's "Monitoring").
fn arguments(
    props: &MonitorProps,
    endpoint_name: &str,
    window_hours: u32,
    region: &str,
) -> Vec<PipelineValue> {
    let lit = |s: &str| PipelineValue::lit(s);
    let mut a = vec![
        lit("--endpoint"),
        lit(endpoint_name),
        lit("--capture"),
        props
            .capture
            .as_ref()
            .map_or_else(|| lit(""), |c| PipelineValue::from(folder_uri(c))),
        lit("--window-hours"),
        lit(&window_hours.to_string()),
        lit("--namespace"),
        lit(&props.namespace),
        lit("--report-dir"),
        lit(REPORT_DIR),
        // The stage's region, rather than whatever the container's
        // environment says.
        lit("--region"),
        lit(region),
    ];
    match &props.check {
        MonitorCheck::DataQuality { baseline } => {
            a.extend([lit("--mode"), lit("data-quality")]);
            match baseline {
                Baseline::Registered { version, .. } => a.extend([
                    lit("--baseline-package"),
                    PipelineValue::from(version.package_arn.clone()),
                ]),
                Baseline::File(f) => {
                    a.extend([lit("--baseline-uri"), PipelineValue::from(f.uri())]);
                }
            }
        }
        MonitorCheck::ModelQuality {
            problem,
            ground_truth,
            probability_threshold,
        } => a.extend([
            lit("--mode"),
            lit("model-quality"),
            lit("--ground-truth"),
            PipelineValue::from(folder_uri(ground_truth)),
            lit("--problem"),
            lit(problem.argument()),
            lit("--probability-threshold"),
            lit(&probability_threshold.to_string()),
        ]),
    }
    a
}

/// What the monitoring job needs: the capture, the baseline or ground truth,
/// the reports, its logs, metrics in its namespace, the image, and the
/// volume key.
fn grant_job(role: &Role, props: &MonitorProps, image: &EcrImage) {
    if let Some(capture) = &props.capture {
        capture.grant_read(role);
    }
    props.reports.grant_read_write(role);
    match &props.check {
        MonitorCheck::DataQuality { baseline } => match baseline {
            Baseline::Registered {
                version, location, ..
            } => {
                // The run looks up the served version's baseline, then reads
                // that one object: `<location>/<execution id>/baseline/…`.
                role.add_to_policy(
                    PolicyStatement::allow()
                        .actions(["sagemaker:DescribeModelPackage"])
                        .resources([version.package_arn.clone()]),
                );
                let folder = if location.prefix.is_empty() || location.prefix.ends_with('/') {
                    location.prefix.clone()
                } else {
                    format!("{}/", location.prefix)
                };
                role.add_to_policy(
                    PolicyStatement::allow()
                        .actions(["s3:GetObject"])
                        .resources([location
                            .bucket
                            .arn_for_objects(&format!("{folder}*/baseline/*"))]),
                );
                if let Some(k) = location.bucket.encryption_key() {
                    k.grant_decrypt(role);
                }
            }
            Baseline::File(f) => {
                f.grant_read(role);
            }
        },
        MonitorCheck::ModelQuality { ground_truth, .. } => {
            ground_truth.grant_read(role);
        }
    }
    let _ = RoleBasics {
        log_groups: "/aws/sagemaker/*",
        describe_log_streams: false,
        metrics_namespace: &props.namespace,
        images: std::slice::from_ref(image),
    }
    .grant(role);
    if let Some(k) = &props.encryption_key {
        k.grant_encrypt_decrypt(role);
        // A volume key needs a grant SageMaker creates with this role
        // (CreateProcessingJob with VolumeKmsKeyId:
        // https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html).
        k.grant_volume_encryption(role);
    }
}

/// Checks the props; returns the schedule narrowed (None when refused).
fn check_props(
    node: &mut Node<'_>,
    props: &MonitorProps,
    endpoint_name: &str,
) -> Option<MonitorSchedule> {
    check_capture_and_volume(node, props.capture.as_ref(), endpoint_name, props.volume_gb);
    let schedule = match MonitorSchedule::try_from(props.schedule.clone()) {
        Ok(s) => Some(s),
        Err(e) => {
            node.error(format!(
                "schedule: {e} (capture files are hourly, so a monitor runs on whole hours)"
            ));
            None
        }
    };
    let interval = schedule.map_or(86_400, MonitorSchedule::interval_seconds);
    if !(1..=interval).contains(&props.max_runtime_seconds) {
        node.error(format!(
            "max_runtime_seconds {} is out of range: 1 to {interval} (the schedule's interval: a run must end before the next starts)",
            props.max_runtime_seconds
        ));
    }
    let ns = &props.namespace;
    if ns.is_empty() || ns.chars().count() > 255 || ns.starts_with("AWS/") || ns.starts_with(':') {
        node.error(format!(
            "namespace '{ns}' is not a CloudWatch namespace for custom metrics: 1 to 255 characters, not starting with 'AWS/' or ':'"
        ));
    }
    if let MonitorScript::File(f) = &props.script
        && f.trim().is_empty()
    {
        node.error("script: MonitorScript::File needs the local file of the script");
    }
    match &props.check {
        MonitorCheck::DataQuality { baseline } => {
            if let Some(q) = &props.quality_alarm {
                node.error(format!(
                    "quality_alarm on {} needs a model-quality monitor; a data-quality one publishes drift metrics (use drift_alarms)",
                    q.metric.metric_name()
                ));
            }
            match baseline {
                Baseline::Registered {
                    version, features, ..
                } => {
                    if let Err(e) = version.check() {
                        node.error(format!("baseline: {e}"));
                    }
                    match features {
                        None => node.error(
                            "baseline: the training pipeline computes no baseline; set baseline: Some(FeatureBaseline::new([..])) in its props, so every version it registers has one",
                        ),
                        Some(features) => {
                            for t in &props.drift_alarms {
                                if !features.contains(&t.feature) {
                                    node.error(format!(
                                        "drift alarm on '{}': the baseline has no such feature (it has {})",
                                        t.feature,
                                        features.join(", ")
                                    ));
                                }
                            }
                        }
                    }
                }
                Baseline::File(_) => {}
            }
        }
        MonitorCheck::ModelQuality {
            problem,
            probability_threshold,
            ..
        } => {
            if !props.drift_alarms.is_empty() {
                node.error(
                    "drift_alarms watch the drift metrics of a data-quality monitor; a model-quality monitor publishes quality metrics (use quality_alarm)",
                );
            }
            if !(probability_threshold.is_finite()
                && *probability_threshold > 0.0
                && *probability_threshold < 1.0)
            {
                node.error(format!(
                    "probability_threshold {probability_threshold} is out of range: above 0 and below 1"
                ));
            }
            if let Some(q) = &props.quality_alarm {
                if !q.metric.applies_to(*problem) {
                    node.error(format!(
                        "quality_alarm on {}: the job does not compute it for {problem:?}",
                        q.metric.metric_name()
                    ));
                }
                let (low, high, range) = if q.metric.higher_is_better() {
                    (0.0, 1.0, "0 to 1")
                } else {
                    (0.0, CLOUDWATCH_MAX, "a finite number from 0")
                };
                if !(q.limit.is_finite() && q.limit >= low && q.limit <= high) {
                    node.error(format!(
                        "quality_alarm on {}: limit {} is out of range: {range}",
                        q.metric.metric_name(),
                        q.limit
                    ));
                }
            }
        }
    }
    schedule
}

/// One alarm per drift threshold, then the quality alarm; a threshold that
/// is refused makes no alarm.
fn alarms(
    node: &mut Node<'_>,
    props: &MonitorProps,
    endpoint_name: &str,
    interval_seconds: u32,
) -> Vec<ResourceRef> {
    let mut alarms = Vec::new();
    for t in &props.drift_alarms {
        let DriftThreshold {
            feature,
            max,
            statistic,
        } = t;
        if !check_threshold(node, t, statistic.metric_name()) {
            continue;
        }
        let id: String = feature
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let suffix = match statistic {
            DriftStatistic::Psi => String::new(),
            other => other.metric_name().replace('_', ""),
        };
        alarms.push(
            drift_alarm(
                node,
                &format!("Drift{id}{suffix}"),
                &CustomMetric {
                    namespace: props.namespace.clone(),
                    metric: statistic.metric_name().into(),
                    dimensions: [
                        ("Endpoint".to_string(), endpoint_name.to_string()),
                        ("Feature".to_string(), feature.clone()),
                    ]
                    .into(),
                    threshold: *max,
                    period_seconds: interval_seconds,
                    evaluation_periods: 1,
                },
                props.alerts.as_ref(),
            )
            .resource()
            .clone(),
        );
    }
    if let Some(q) = &props.quality_alarm
        && q.limit.is_finite()
    {
        let name = q.metric.metric_name();
        let (comparison, worse) = if q.metric.higher_is_better() {
            (Comparison::LessThan, "below")
        } else {
            (Comparison::GreaterThan, "above")
        };
        let alarm = Alarm::new(
            node,
            "Quality",
            AlarmProps {
                description: Some(format!(
                    "{name} of {endpoint_name} {worse} {}: the model's predictions got worse against the ground truth",
                    q.limit
                )),
                // A window without labels publishes no quality metric: that
                // is not a worse model.
                missing_data: MissingData::NotBreaching,
                alerts: props.alerts.clone(),
                ..AlarmProps::new(
                    Metric {
                        namespace: props.namespace.clone(),
                        name: name.into(),
                        dimensions: vec![Dimension {
                            name: "Endpoint".into(),
                            value: endpoint_name.into(),
                        }],
                        // The worst value of the period.
                        statistic: if q.metric.higher_is_better() {
                            Statistic::Minimum
                        } else {
                            Statistic::Maximum
                        },
                        period_seconds: interval_seconds,
                    },
                    comparison,
                    q.limit,
                )
            },
        );
        alarms.push(alarm.resource().clone());
    }
    alarms
}

/// Start training when any of this monitor's alarms (drift, then quality)
/// goes to ALARM; a monitor without alarms is refused at synth.
impl RetrainOnDrift for Monitor {
    fn drift_alarms(&self) -> Vec<ResourceRef> {
        self.alarms.clone()
    }
}

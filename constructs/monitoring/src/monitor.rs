//! Model Monitor schedules, drift alarms, and the retraining they trigger.

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};
use mlcdk_inference::RealtimeEndpoint;
use mlcdk_storage::{KmsKey, S3Path};
use mlcdk_training::definition::check_instance_type;
use mlcdk_training::{PipelineTrigger, TrainingPipeline, TriggerProps};

use crate::numbers::{CLOUDWATCH_MAX, check_range, number};

/// When a monitoring job runs: the forms SageMaker Model Monitor accepts.
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

    /// Read an expression, accepting only the forms Model Monitor takes.
    pub fn parse(expression: &str) -> Result<MonitorSchedule, String> {
        let fields: Vec<&str> = expression
            .strip_prefix("cron(")
            .and_then(|e| e.strip_suffix(')'))
            .map(|e| e.split_whitespace().collect())
            .unwrap_or_default();
        let reject = || {
            format!(
                "schedule '{expression}' is not a form Model Monitor accepts: hourly 'cron(0 * ? * * *)', daily 'cron(0 H ? * * *)' or every N hours 'cron(0 H/N ? * * *)'"
            )
        };
        if fields.len() != 6 || fields[0] != "0" || fields[2..] != ["?", "*", "*", "*"] {
            return Err(reject());
        }
        let schedule = match fields[1].split_once('/') {
            _ if fields[1] == "*" => MonitorSchedule::Hourly,
            Some((s, n)) => MonitorSchedule::EveryHours {
                start: s.parse().map_err(|_| reject())?,
                every: n.parse().map_err(|_| reject())?,
            },
            None => MonitorSchedule::Daily {
                hour: fields[1].parse().map_err(|_| reject())?,
            },
        };
        schedule.expression().map(|_| schedule)
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

/// What a monitor checks.
#[derive(Clone, Debug)]
pub enum MonitorKind {
    /// Data quality against baseline statistics and constraints.
    DataQuality {
        /// The baseline's `statistics.json` (from a baselining job).
        statistics: S3Path,
        /// The baseline's `constraints.json`: what counts as a violation.
        constraints: S3Path,
    },
    /// Model quality against ground truth labels.
    ModelQuality {
        /// Which metrics are computed (accuracy and F1, or RMSE and R²…).
        problem: ProblemType,
        /// The baseline's `constraints.json`: the metric thresholds.
        constraints: S3Path,
        /// Where labels for the captured requests arrive, matched by
        /// inference ID.
        ground_truth: S3Path,
        /// The attribute of the endpoint's output holding the prediction.
        inference_attribute: String,
    },
}

/// Props of a [`Monitor`].
#[derive(Clone, Debug)]
pub struct MonitorProps {
    /// What the monitor checks.
    pub kind: MonitorKind,
    /// When it runs.
    pub schedule: MonitorSchedule,
    /// Where reports go (encrypted like its bucket).
    pub output: S3Path,
    /// Instance type of the monitoring job, `ml.<family>.<size>` (default
    /// `ml.m5.xlarge`).
    pub instance: String,
    /// Storage per instance in GB (default 20); SageMaker accepts 1–16,384.
    pub volume_gb: u32,
    /// Encrypts the monitoring job's storage volume with this key.
    pub volume_key: Option<KmsKey>,
    /// 1–86,400 s, and within the schedule's interval.
    pub max_runtime_seconds: u32,
    /// No network access from the monitoring container (default on).
    pub network_isolation: bool,
    /// `(feature, threshold)`: an alarm on `feature_baseline_drift_<feature>` per entry.
    /// Thresholds are finite, above 0 and at most 2^360 (the largest metric
    /// value CloudWatch accepts); others are refused at synth.
    pub drift_alarms: Vec<(String, f64)>,
    /// Topic the drift alarms notify.
    pub alerts: Option<Expr>,
}

impl MonitorProps {
    /// Data quality against a baseline, on one ml.m5.xlarge, one hour at most.
    pub fn data_quality(
        statistics: S3Path,
        constraints: S3Path,
        output: S3Path,
        schedule: MonitorSchedule,
    ) -> MonitorProps {
        MonitorProps {
            kind: MonitorKind::DataQuality {
                statistics,
                constraints,
            },
            schedule,
            output,
            instance: "ml.m5.xlarge".into(),
            volume_gb: 20,
            volume_key: None,
            max_runtime_seconds: 3600,
            network_isolation: true,
            drift_alarms: Vec::new(),
            alerts: None,
        }
    }
}

/// A Model Monitor job definition and its schedule on a real-time endpoint
/// that captures data, with CloudWatch metrics published and drift alarms.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_monitoring::{Monitor, MonitorProps, MonitorSchedule};
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let b = Bucket::new(&mut stack, "Artifacts", BucketProps::default());
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let model = Model::new(&mut stack, "M", ModelProps::from_registry(registry.version(1)));
/// let mut serve = RealtimeEndpointProps::single(&model, "ml.m5.large");
/// serve.data_capture = Some(DataCapture::sample(20, b.path("capture/")));
/// let endpoint = RealtimeEndpoint::new(&mut stack, "Serve", serve);
/// let mut props = MonitorProps::data_quality(
///     b.path("baseline/statistics.json"), b.path("baseline/constraints.json"),
///     b.path("monitoring/"), MonitorSchedule::Hourly);
/// props.drift_alarms = vec![("monthly_spend".into(), 0.2)];
/// Monitor::new(&mut stack, "Drift", &endpoint, props);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Monitor {
    alarms: Vec<ResourceRef>,
    schedule_name: String,
}

impl Monitor {
    /// A monitor of `endpoint`, which must capture data, with its role, job
    /// definition, schedule and drift alarms; validated at synth: schedule,
    /// instance type, runtime within the interval, a Model Monitor image for
    /// the stage's region.
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        endpoint: &RealtimeEndpoint,
        props: MonitorProps,
    ) -> Monitor {
        let mut node = scope.node(id);
        let endpoint_name = endpoint.name_literal().to_string();
        let Some(capture) = endpoint.capture() else {
            node.error(format!(
                "endpoint '{endpoint_name}' captures no data; a monitor reads captured requests (set data_capture on the endpoint)"
            ));
            return Monitor {
                alarms: Vec::new(),
                schedule_name: String::new(),
            };
        };
        let expression = match props.schedule.expression() {
            Ok(e) => e,
            Err(e) => {
                node.error(format!("schedule: {e}"));
                String::new()
            }
        };
        if let Err(e) = check_instance_type(&props.instance) {
            node.error(e);
        }
        if !(1..=86_400).contains(&props.max_runtime_seconds) {
            node.error(format!(
                "max_runtime_seconds {} is out of range: 1 to 86400",
                props.max_runtime_seconds
            ));
        }
        if props.schedule == MonitorSchedule::Hourly && props.max_runtime_seconds > 3600 {
            node.error(format!(
                "max_runtime_seconds {} exceeds the hourly schedule's interval (3600 s)",
                props.max_runtime_seconds
            ));
        }
        let region = node.stage().env.region.clone();
        let account = MONITOR_REGISTRIES
            .iter()
            .find(|(r, _)| *r == region)
            .map(|(_, a)| *a);
        let Some(account) = account else {
            node.error(format!(
                "no Model Monitor image is known for region '{region}'"
            ));
            return Monitor {
                alarms: Vec::new(),
                schedule_name: String::new(),
            };
        };
        let image =
            format!("{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer");

        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some(format!("Model Monitor of {endpoint_name}")),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        capture.grant_read(&role);
        props.output.grant_read_write(&role);
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["ecr:GetAuthorizationToken"])
                .resources(["*"]),
        );
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"])
                .resources([Expr::sub(format!(
                    "arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/sagemaker-model-monitor-analyzer"
                ))]),
        );
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
                .resources([Expr::sub(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/sagemaker/*",
                )]),
        );
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["cloudwatch:PutMetricData"])
                .resources(["*"])
                .condition(
                    "StringLike",
                    "cloudwatch:namespace",
                    "aws/sagemaker/Endpoints/*",
                ),
        );
        if let Some(k) = &props.volume_key {
            k.grant_encrypt_decrypt(&role);
            // The job's instances get their volume encrypted with the key
            // through a grant SageMaker creates with this role; without it
            // every scheduled run fails before it starts (CreateProcessingJob
            // with a volume key needs kms:CreateGrant:
            // https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html).
            k.grant_volume_encryption(&role);
        }

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
        if let Some(k) = props.output.bucket.key().or(props.volume_key.as_ref()) {
            output.push(("KmsKeyId", Json::from(k.arn())));
        }
        let mut cluster = vec![
            ("InstanceCount", Json::from(1u32)),
            ("InstanceType", Json::from(props.instance.as_str())),
            ("VolumeSizeInGB", Json::from(props.volume_gb)),
        ];
        if let Some(k) = &props.volume_key {
            cluster.push(("VolumeKmsKeyId", Json::from(k.arn())));
        }
        let endpoint_input = |extra: Vec<(&'static str, Json)>| {
            let mut e = vec![
                ("EndpointName", Json::from(endpoint_name.as_str())),
                ("LocalPath", Json::from("/opt/ml/processing/input/endpoint")),
                ("S3InputMode", Json::from("File")),
                ("S3DataDistributionType", Json::from("FullyReplicated")),
            ];
            e.extend(extra);
            Json::object(e)
        };
        // The job definition names the endpoint by its literal name, which
        // orders nothing: DependsOn makes CloudFormation create the endpoint
        // first (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html),
        // as the schedule below does.
        let common = |def: CfnResource| {
            def.depends_on(endpoint.resource())
                .set("RoleArn", role.arn())
                .set(
                    "JobResources",
                    Json::object([("ClusterConfig", Json::object(cluster.clone()))]),
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
                            Json::Bool(props.network_isolation),
                        ),
                        ("EnableInterContainerTrafficEncryption", Json::Bool(true)),
                    ]),
                )
        };
        // Metrics go to CloudWatch, where the drift alarms watch them.
        let env = Json::object([("publish_cloudwatch_metrics", Json::from("Enabled"))]);
        let (definition, monitoring_type) = match &props.kind {
            MonitorKind::DataQuality {
                statistics,
                constraints,
            } => {
                statistics.grant_read(&role);
                constraints.grant_read(&role);
                let def = common(CfnResource::new("AWS::SageMaker::DataQualityJobDefinition"))
                    .set(
                        "DataQualityAppSpecification",
                        Json::object([
                            ("ImageUri", Json::from(image.as_str())),
                            ("Environment", env),
                        ]),
                    )
                    .set(
                        "DataQualityJobInput",
                        Json::object([("EndpointInput", endpoint_input(vec![]))]),
                    )
                    .set("DataQualityJobOutputConfig", Json::object(output))
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
            MonitorKind::ModelQuality {
                problem,
                constraints,
                ground_truth,
                inference_attribute,
            } => {
                constraints.grant_read(&role);
                ground_truth.grant_read(&role);
                let def = common(CfnResource::new(
                    "AWS::SageMaker::ModelQualityJobDefinition",
                ))
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
                            endpoint_input(vec![(
                                "InferenceAttribute",
                                Json::from(inference_attribute.as_str()),
                            )]),
                        ),
                        (
                            "GroundTruthS3Input",
                            Json::object([("S3Uri", Json::from(ground_truth.uri()))]),
                        ),
                    ]),
                )
                .set("ModelQualityJobOutputConfig", Json::object(output))
                .set(
                    "ModelQualityBaselineConfig",
                    Json::object([(
                        "ConstraintsResource",
                        Json::object([("S3Uri", Json::from(constraints.uri()))]),
                    )]),
                );
                (node.add_resource("Definition", def), "ModelQuality")
            }
        };
        let schedule_name = node.physical_name('-', 63).to_ascii_lowercase();
        node.add_resource(
            "Schedule",
            CfnResource::new("AWS::SageMaker::MonitoringSchedule")
                .set("MonitoringScheduleName", schedule_name.as_str())
                .set("EndpointName", endpoint_name.as_str())
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
                )
                .depends_on(endpoint.resource()),
        );

        let mut alarms = Vec::new();
        for (feature, threshold) in &props.drift_alarms {
            let mut ok = true;
            if feature.is_empty() {
                node.error(format!(
                    "drift alarm with threshold {threshold} has no feature name; give the feature whose feature_baseline_drift_<feature> metric it watches"
                ));
                ok = false;
            }
            if let Some(e) = check_range(
                &format!("drift alarm on '{feature}': threshold"),
                *threshold,
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
            alarms.push(drift_alarm_resource(
                &mut node,
                &format!(
                    "Drift{}",
                    feature
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
                CustomMetric {
                    namespace: "aws/sagemaker/Endpoints/data-metrics".into(),
                    metric: format!("feature_baseline_drift_{feature}"),
                    dimensions: vec![
                        ("Endpoint".into(), endpoint_name.clone()),
                        ("MonitoringSchedule".into(), schedule_name.clone()),
                    ],
                    threshold: *threshold,
                    period_seconds: 3600,
                    evaluation_periods: 1,
                },
                props.alerts.as_ref(),
            ));
        }
        Monitor {
            alarms,
            schedule_name,
        }
    }

    /// The drift alarms of this monitor.
    pub fn alarms(&self) -> &[ResourceRef] {
        &self.alarms
    }

    /// The monitoring schedule's name.
    pub fn schedule_name(&self) -> &str {
        &self.schedule_name
    }

    /// Start `training` when any of this monitor's drift alarms goes to ALARM.
    pub fn retrain_on_drift(
        &self,
        scope: &mut impl Scope,
        id: &str,
        training: &TrainingPipeline,
    ) -> Option<PipelineTrigger> {
        if self.alarms.is_empty() {
            scope
                .node(id)
                .error("the monitor has no drift alarms to retrain on; set drift_alarms");
            return None;
        }
        Some(retrain_on_alarms(scope, id, &self.alarms, training))
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
    /// `(name, value)` dimensions that select the metric's series.
    pub dimensions: Vec<(String, String)>,
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

fn drift_alarm_resource(
    scope: &mut impl Scope,
    id: &str,
    m: CustomMetric,
    alerts: Option<&Expr>,
) -> ResourceRef {
    let mut alarm = CfnResource::new("AWS::CloudWatch::Alarm")
        .set(
            "AlarmDescription",
            format!("{} above {}: the data drifted", m.metric, m.threshold),
        )
        .set("Namespace", m.namespace.as_str())
        .set("MetricName", m.metric.as_str())
        .set(
            "Dimensions",
            Json::Array(
                m.dimensions
                    .iter()
                    .map(|(n, v)| {
                        Json::object([
                            ("Name", Json::from(n.as_str())),
                            ("Value", Json::from(v.as_str())),
                        ])
                    })
                    .collect(),
            ),
        )
        .set("Statistic", "Maximum")
        .set("Period", m.period_seconds)
        .set("EvaluationPeriods", m.evaluation_periods)
        // A non-finite threshold was reported by the caller; `null` keeps
        // rendering from panicking and is never written.
        .set("Threshold", number(m.threshold))
        .set("ComparisonOperator", "GreaterThanThreshold")
        .set("TreatMissingData", "notBreaching");
    if let Some(a) = alerts {
        alarm = alarm.set("AlarmActions", Json::array([Json::from(a)]));
    }
    scope.add_resource(id, alarm)
}

/// The thresholds a Model Monitor drift alarm accepts. Drift is a distance,
/// so a threshold of 0 or less fires on every run; above 2^360 no metric
/// value CloudWatch accepts can cross it ([`CLOUDWATCH_MAX`]).
const DRIFT_THRESHOLD_RANGE: &str = "a finite number above 0 and at most 2^360 (about 2.35e108), the largest metric value CloudWatch accepts";

/// The thresholds a custom-metric alarm accepts: any value a metric can
/// take ([`CLOUDWATCH_MAX`]).
const CUSTOM_THRESHOLD_RANGE: &str =
    "a finite number from -2^360 to 2^360 (about ±2.35e108), the metric values CloudWatch accepts";

/// An alarm on any metric, for drift detection that is not Model Monitor's.
#[derive(Clone, Debug)]
pub struct DriftAlarm {
    resource: ResourceRef,
}

impl DriftAlarm {
    /// An alarm on `metric`, validated at synth: a namespace and metric name, a
    /// valid period, at most a day of evaluation, a finite threshold within
    /// CloudWatch's range.
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        metric: CustomMetric,
        alerts: Option<Expr>,
    ) -> DriftAlarm {
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
        for e in errors {
            node.error(e);
        }
        let resource = drift_alarm_resource(&mut node, "Resource", metric, alerts.as_ref());
        DriftAlarm { resource }
    }

    /// Start `training` when this alarm goes to ALARM.
    pub fn retrain_on_drift(
        &self,
        scope: &mut impl Scope,
        id: &str,
        training: &TrainingPipeline,
    ) -> PipelineTrigger {
        retrain_on_alarms(scope, id, std::slice::from_ref(&self.resource), training)
    }

    /// The `AWS::CloudWatch::Alarm` resource, e.g. for a rollback configuration
    /// or suppressions.
    pub fn alarm(&self) -> &ResourceRef {
        &self.resource
    }
}

/// The alarm → rule → pipeline wiring: an EventBridge rule on the alarms'
/// state change to ALARM, with the pipeline as target and a role that may
/// start that pipeline only (the training issue's trigger).
pub fn retrain_on_alarms(
    scope: &mut impl Scope,
    id: &str,
    alarms: &[ResourceRef],
    training: &TrainingPipeline,
) -> PipelineTrigger {
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
                    Json::Array(alarms.iter().map(|a| Json::from(a.reference())).collect()),
                ),
                (
                    "state",
                    Json::object([("value", Json::array([Json::from("ALARM")]))]),
                ),
            ]),
        ),
    ]);
    PipelineTrigger::new(
        scope,
        id,
        training.pipeline(),
        TriggerProps {
            description: Some("Retrain when the data drifts".into()),
            ..TriggerProps::on_event(pattern)
        },
    )
}

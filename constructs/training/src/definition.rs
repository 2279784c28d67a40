//! A typed model of the SageMaker Pipelines definition (schema version
//! `2020-12-01`): parameters, steps and the references between them.
//!
//! Field names follow the SageMaker API requests each step wraps
//! (`CreateProcessingJob`, `CreateTrainingJob`, `CreateHyperParameterTuningJob`,
//! `CreateModelPackage`, `CreateModel`, `CreateTransformJob`), without the job
//! names, which the pipeline assigns. Values are [`PValue`]s: literals, stack
//! references (`Expr`), pipeline parameters, step properties
//! (`{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}`), `Std:JsonGet` of a
//! property file, `Std:Join`. The whole renders to a [`Json`] document, which
//! the `AWS::SageMaker::Pipeline` resource takes as a string with the stack
//! references joined in.

use std::collections::{BTreeMap, HashSet};

use mlcdk_core::{Expr, Json};

/// The definition schema version SageMaker accepts.
pub const SCHEMA_VERSION: &str = "2020-12-01";

/// Training and processing runtime cap (CreateTrainingJob: 28 days).
pub const MAX_TRAINING_RUNTIME: u32 = 2_419_200;
/// Processing runtime cap (CreateProcessingJob: 5 days).
pub const MAX_PROCESSING_RUNTIME: u32 = 432_000;
/// Tuning job runtime range (ResourceLimits.MaxRuntimeInSeconds).
pub const TUNING_RUNTIME_RANGE: (u32, u32) = (120, 15_768_000);

/// A value in the definition.
#[derive(Clone, Debug, PartialEq)]
pub enum PValue {
    /// A literal, or a stack reference (an `Expr` leaf).
    Json(Json),
    /// `{"Get": "Parameters.<name>"}`
    Param(String),
    /// `{"Get": "Steps.<step>.<path>"}`
    Property {
        /// The step whose property is read.
        step: String,
        /// The property, as in the API response the step wraps, e.g.
        /// `ModelArtifacts.S3ModelArtifacts`.
        path: String,
    },
    /// `{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.<step>.PropertyFiles.<file>"}, "Path": <path>}}`
    JsonGet {
        /// The Processing step that writes the file.
        step: String,
        /// The property file's name, as declared by the step.
        file: String,
        /// JSONPath into the file, e.g. `metrics.auc.value`.
        path: String,
    },
    /// `{"Get": "Execution.<name>"}`, e.g. `PipelineExecutionId`: a value
    /// of the running execution.
    Execution(String),
    /// `{"Std:Join": {"On": <on>, "Values": [...]}}`
    Join {
        /// The separator.
        on: String,
        /// The values joined, in order.
        values: Vec<PValue>,
    },
}

impl PValue {
    /// A literal string.
    pub fn lit(s: impl Into<String>) -> PValue {
        PValue::Json(Json::String(s.into()))
    }

    /// The pipeline parameter `name`, resolved when an execution starts.
    pub fn param(name: &str) -> PValue {
        PValue::Param(name.to_string())
    }

    /// A property of an earlier step, e.g. `("Train",
    /// "ModelArtifacts.S3ModelArtifacts")`; the step runs after that one.
    pub fn property(step: &str, path: &str) -> PValue {
        PValue::Property {
            step: step.to_string(),
            path: path.to_string(),
        }
    }

    /// The running execution's ID (`Execution.PipelineExecutionId`): what
    /// keys a run's outputs, so executions never overwrite each other's.
    pub fn execution_id() -> PValue {
        PValue::Execution("PipelineExecutionId".into())
    }

    /// `values` joined with `on` at execution time (`Std:Join`), e.g. an S3 URI
    /// with the execution ID in it.
    pub fn join(on: &str, values: impl IntoIterator<Item = PValue>) -> PValue {
        PValue::Join {
            on: on.to_string(),
            values: values.into_iter().collect(),
        }
    }

    /// Render as it appears in the definition.
    pub fn to_json(&self) -> Json {
        match self {
            PValue::Json(j) => j.clone(),
            PValue::Param(n) => Json::object([("Get", Json::from(format!("Parameters.{n}")))]),
            PValue::Execution(n) => Json::object([("Get", Json::from(format!("Execution.{n}")))]),
            PValue::Property { step, path } => {
                Json::object([("Get", Json::from(format!("Steps.{step}.{path}")))])
            }
            PValue::JsonGet { step, file, path } => Json::object([(
                "Std:JsonGet",
                Json::object([
                    (
                        "PropertyFile",
                        Json::object([(
                            "Get",
                            Json::from(format!("Steps.{step}.PropertyFiles.{file}")),
                        )]),
                    ),
                    ("Path", Json::from(path.as_str())),
                ]),
            )]),
            PValue::Join { on, values } => Json::object([(
                "Std:Join",
                Json::object([
                    ("On", Json::from(on.as_str())),
                    (
                        "Values",
                        Json::Array(values.iter().map(PValue::to_json).collect()),
                    ),
                ]),
            )]),
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&PValue)) {
        f(self);
        if let PValue::Join { values, .. } = self {
            values.iter().for_each(|v| v.visit(f));
        }
    }
}

impl From<&str> for PValue {
    fn from(s: &str) -> PValue {
        PValue::lit(s)
    }
}

impl From<String> for PValue {
    fn from(s: String) -> PValue {
        PValue::lit(s)
    }
}

impl From<Expr> for PValue {
    fn from(e: Expr) -> PValue {
        PValue::Json(Json::from(e))
    }
}

impl From<f64> for PValue {
    fn from(n: f64) -> PValue {
        PValue::Json(
            serde_json::Number::from_f64(n)
                .map(Json::Number)
                .unwrap_or(Json::Null),
        )
    }
}

/// A pipeline parameter's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A floating-point number.
    Float,
    /// `true` or `false`.
    Boolean,
}

/// A pipeline parameter with its default.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Unique within the pipeline; steps refer to it as `Parameters.<name>`.
    pub name: String,
    /// The parameter's type.
    pub kind: ParameterType,
    /// The value an execution gets when it starts without one.
    pub default: Json,
}

/// Managed spot training: a cap on the total wait, and where checkpoints go.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotSpec {
    /// Training time plus time waiting for spot capacity, in seconds; at least
    /// the job's `max_runtime_seconds`.
    pub max_wait_seconds: u32,
    /// S3 URI the job checkpoints to, so an interrupted job resumes instead of
    /// restarting; `None` for tuning trials, which must not share one (see
    /// [`crate::Spot`]).
    pub checkpoint_uri: Option<PValue>,
}

/// An input channel of a training job.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    /// Channel name the algorithm expects, e.g. `train` or `validation`.
    pub name: String,
    /// S3 prefix of the channel's data.
    pub uri: PValue,
    /// MIME type of the data, e.g. `text/csv`; the algorithm's default when
    /// `None`.
    pub content_type: Option<String>,
}

/// Continued fine-tuning of a registered model (`ModelPackageConfig`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelPackageSpec {
    /// ARN of the model package group the fine-tuned model belongs to.
    pub group_arn: Expr,
    /// ARN of the registered model version to continue from.
    pub source_package_arn: Expr,
}

/// What a training job runs on and with: the part of `CreateTrainingJob`
/// shared by the Training step and a tuning job's `TrainingJobDefinition`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingJobSpec {
    /// Training image URI.
    pub image: PValue,
    /// Role the job runs as.
    pub role_arn: Expr,
    /// Instance type, `ml.<family>.<size>`.
    pub instance_type: String,
    /// Instances, at least 1 (distributed training above 1).
    pub instance_count: u32,
    /// Storage per instance in GB, 1–16,384.
    pub volume_gb: u32,
    /// Training time cap in seconds, 1 to [`MAX_TRAINING_RUNTIME`] (28 days);
    /// the job is stopped after it.
    pub max_runtime_seconds: u32,
    /// Managed spot training (cheaper, interruptible); on-demand when `None`.
    pub spot: Option<SpotSpec>,
    /// Input channels.
    pub channels: Vec<Channel>,
    /// S3 prefix the model artifacts are written under.
    pub output_uri: PValue,
    /// Static hyperparameters, at most 100; names and literal values have 1–256
    /// characters.
    pub hyperparameters: BTreeMap<String, PValue>,
    /// Continue training a registered model; a fresh model when `None`.
    pub model_package: Option<ModelPackageSpec>,
}

impl TrainingJobSpec {
    fn to_json(&self, static_hyperparameters: bool) -> Json {
        let mut m: Vec<(&str, Json)> = vec![
            (
                "AlgorithmSpecification",
                Json::object([
                    ("TrainingImage", self.image.to_json()),
                    ("TrainingInputMode", Json::from("File")),
                ]),
            ),
            ("RoleArn", Json::from(&self.role_arn)),
            (
                "OutputDataConfig",
                Json::object([("S3OutputPath", self.output_uri.to_json())]),
            ),
            (
                "ResourceConfig",
                Json::object([
                    ("InstanceCount", Json::from(self.instance_count)),
                    ("InstanceType", Json::from(self.instance_type.as_str())),
                    ("VolumeSizeInGB", Json::from(self.volume_gb)),
                ]),
            ),
            (
                "InputDataConfig",
                Json::Array(
                    self.channels
                        .iter()
                        .map(|c| {
                            let mut ch = vec![
                                ("ChannelName", Json::from(c.name.as_str())),
                                (
                                    "DataSource",
                                    Json::object([(
                                        "S3DataSource",
                                        Json::object([
                                            ("S3DataType", Json::from("S3Prefix")),
                                            ("S3Uri", c.uri.to_json()),
                                            (
                                                "S3DataDistributionType",
                                                Json::from("FullyReplicated"),
                                            ),
                                        ]),
                                    )]),
                                ),
                            ];
                            if let Some(t) = &c.content_type {
                                ch.push(("ContentType", Json::from(t.as_str())));
                            }
                            Json::object(ch)
                        })
                        .collect(),
                ),
            ),
        ];
        let mut stopping = vec![("MaxRuntimeInSeconds", Json::from(self.max_runtime_seconds))];
        if let Some(spot) = &self.spot {
            stopping.push(("MaxWaitTimeInSeconds", Json::from(spot.max_wait_seconds)));
            m.push(("EnableManagedSpotTraining", Json::Bool(true)));
            if let Some(uri) = &spot.checkpoint_uri {
                m.push(("CheckpointConfig", Json::object([("S3Uri", uri.to_json())])));
            }
        }
        m.push(("StoppingCondition", Json::object(stopping)));
        if !self.hyperparameters.is_empty() {
            m.push((
                if static_hyperparameters {
                    "StaticHyperParameters"
                } else {
                    "HyperParameters"
                },
                Json::Object(
                    self.hyperparameters
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect(),
                ),
            ));
        }
        if let Some(p) = &self.model_package {
            m.push((
                "ModelPackageConfig",
                Json::object([
                    ("ModelPackageGroupArn", Json::from(&p.group_arn)),
                    ("SourceModelPackageArn", Json::from(&p.source_package_arn)),
                ]),
            ));
        }
        Json::object(m)
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        check_instance(errors, what, &self.instance_type, self.instance_count);
        if !(1..=16384).contains(&self.volume_gb) {
            errors.push(format!(
                "{what}: volume of {} GB is out of range: 1 to 16384",
                self.volume_gb
            ));
        }
        if !(1..=MAX_TRAINING_RUNTIME).contains(&self.max_runtime_seconds) {
            errors.push(format!(
                "{what}: max_runtime_seconds {} is out of range: 1 to {MAX_TRAINING_RUNTIME} (28 days)",
                self.max_runtime_seconds
            ));
        }
        if let Some(spot) = &self.spot
            && spot.max_wait_seconds < self.max_runtime_seconds
        {
            errors.push(format!(
                "{what}: spot max_wait_seconds ({}) is below max_runtime_seconds ({}); SageMaker requires MaxWaitTimeInSeconds >= MaxRuntimeInSeconds",
                spot.max_wait_seconds, self.max_runtime_seconds
            ));
        }
        if self.hyperparameters.len() > 100 {
            errors.push(format!(
                "{what}: {} hyperparameters; SageMaker accepts at most 100",
                self.hyperparameters.len()
            ));
        }
        for (k, v) in &self.hyperparameters {
            let long_value = matches!(v, PValue::Json(Json::String(s)) if s.chars().count() > 256);
            if k.is_empty() || k.chars().count() > 256 || long_value {
                errors.push(format!(
                    "{what}: hyperparameter '{k}': names and values have 1 to 256 characters"
                ));
            }
        }
    }
}

/// SageMaker instance types: `ml.<family>.<size>` (`ml.m5.xlarge`).
pub fn check_instance_type(instance_type: &str) -> Result<(), String> {
    let shape_ok = instance_type.strip_prefix("ml.").is_some_and(|rest| {
        rest.split('.').count() == 2
            && rest
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    if shape_ok {
        Ok(())
    } else {
        Err(format!(
            "instance type '{instance_type}' is invalid: SageMaker instance types look like 'ml.m5.xlarge'"
        ))
    }
}

fn check_instance(errors: &mut Vec<String>, what: &str, instance_type: &str, count: u32) {
    if let Err(e) = check_instance_type(instance_type) {
        errors.push(format!("{what}: {e}"));
    }
    if count == 0 {
        errors.push(format!("{what}: instance count must be at least 1"));
    }
}

/// Objective direction of a tuning job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Higher is better (accuracy, AUC).
    Maximize,
    /// Lower is better (loss, RMSE).
    Minimize,
}

/// How hyperparameter values are searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scaling {
    /// SageMaker picks the scale.
    Auto,
    /// Values spread evenly between min and max.
    Linear,
    /// Values spread evenly in log space, for ranges spanning orders of
    /// magnitude (learning rates); min must be above 0.
    Logarithmic,
}

/// A hyperparameter range to tune.
#[derive(Clone, Debug, PartialEq)]
pub enum ParameterRange {
    /// Real values between `min` and `max`.
    Continuous {
        /// The hyperparameter's name.
        name: String,
        /// Lower bound, below `max`.
        min: f64,
        /// Upper bound.
        max: f64,
        /// How the range is searched.
        scaling: Scaling,
    },
    /// Whole values between `min` and `max`.
    Integer {
        /// The hyperparameter's name.
        name: String,
        /// Lower bound, below `max`.
        min: i64,
        /// Upper bound.
        max: i64,
        /// How the range is searched.
        scaling: Scaling,
    },
    /// One of a list of values.
    Categorical {
        /// The hyperparameter's name.
        name: String,
        /// 1 to 30 values.
        values: Vec<String>,
    },
}

impl ParameterRange {
    /// The hyperparameter the range tunes.
    pub fn name(&self) -> &str {
        match self {
            ParameterRange::Continuous { name, .. }
            | ParameterRange::Integer { name, .. }
            | ParameterRange::Categorical { name, .. } => name,
        }
    }
}

fn scaling(s: Scaling) -> Json {
    Json::from(match s {
        Scaling::Auto => "Auto",
        Scaling::Linear => "Linear",
        Scaling::Logarithmic => "Logarithmic",
    })
}

/// Bounded hyperparameter tuning: what is searched, for what, within which bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    /// The metric the algorithm emits that the tuning optimizes, e.g.
    /// `validation:auc`.
    pub objective_metric: String,
    /// Whether higher or lower is better.
    pub goal: Goal,
    /// 1 to 30 ranges, each for a different hyperparameter that is not also
    /// static.
    pub ranges: Vec<ParameterRange>,
    /// Required: an unbounded tuning job is an unbounded bill.
    pub max_jobs: Option<u32>,
    /// Training jobs at a time, at least 1 and at most `max_jobs`; fewer learn
    /// more from earlier jobs.
    pub max_parallel: u32,
    /// Cap on the whole tuning job.
    pub max_runtime_seconds: Option<u32>,
    /// Stop training jobs that are unlikely to beat the best so far.
    pub early_stopping: bool,
}

/// A tuning job: the tuning settings and the training job it repeats.
#[derive(Clone, Debug, PartialEq)]
pub struct TuningSpec {
    /// The training job each trial runs, with the tuned hyperparameters added.
    pub job: TrainingJobSpec,
    /// What is searched and the bounds.
    pub tuning: Tuning,
}

impl TuningSpec {
    fn to_json(&self) -> Json {
        let (mut cont, mut int, mut cat) = (Vec::new(), Vec::new(), Vec::new());
        for r in &self.tuning.ranges {
            match r {
                ParameterRange::Continuous {
                    name,
                    min,
                    max,
                    scaling: s,
                } => cont.push(Json::object([
                    ("Name", Json::from(name.as_str())),
                    ("MinValue", Json::from(min.to_string())),
                    ("MaxValue", Json::from(max.to_string())),
                    ("ScalingType", scaling(*s)),
                ])),
                ParameterRange::Integer {
                    name,
                    min,
                    max,
                    scaling: s,
                } => int.push(Json::object([
                    ("Name", Json::from(name.as_str())),
                    ("MinValue", Json::from(min.to_string())),
                    ("MaxValue", Json::from(max.to_string())),
                    ("ScalingType", scaling(*s)),
                ])),
                ParameterRange::Categorical { name, values } => cat.push(Json::object([
                    ("Name", Json::from(name.as_str())),
                    (
                        "Values",
                        Json::Array(values.iter().map(|v| Json::from(v.as_str())).collect()),
                    ),
                ])),
            }
        }
        let mut limits = vec![
            (
                "MaxNumberOfTrainingJobs",
                Json::from(self.tuning.max_jobs.unwrap_or(0)),
            ),
            (
                "MaxParallelTrainingJobs",
                Json::from(self.tuning.max_parallel),
            ),
        ];
        if let Some(r) = self.tuning.max_runtime_seconds {
            limits.push(("MaxRuntimeInSeconds", Json::from(r)));
        }
        Json::object([
            (
                "HyperParameterTuningJobConfig",
                Json::object([
                    ("Strategy", Json::from("Bayesian")),
                    (
                        "HyperParameterTuningJobObjective",
                        Json::object([
                            (
                                "Type",
                                Json::from(match self.tuning.goal {
                                    Goal::Maximize => "Maximize",
                                    Goal::Minimize => "Minimize",
                                }),
                            ),
                            (
                                "MetricName",
                                Json::from(self.tuning.objective_metric.as_str()),
                            ),
                        ]),
                    ),
                    ("ResourceLimits", Json::object(limits)),
                    (
                        "ParameterRanges",
                        Json::object([
                            ("ContinuousParameterRanges", Json::Array(cont)),
                            ("IntegerParameterRanges", Json::Array(int)),
                            ("CategoricalParameterRanges", Json::Array(cat)),
                        ]),
                    ),
                    (
                        "TrainingJobEarlyStoppingType",
                        Json::from(if self.tuning.early_stopping {
                            "Auto"
                        } else {
                            "Off"
                        }),
                    ),
                ]),
            ),
            ("TrainingJobDefinition", self.job.to_json(true)),
        ])
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        self.job.validate(errors, what);
        match self.tuning.max_jobs {
            None => errors.push(format!(
                "{what}: tuning without max_jobs: MaxNumberOfTrainingJobs is required (bounded tuning)"
            )),
            Some(0) => errors.push(format!("{what}: max_jobs must be at least 1")),
            Some(n) if self.tuning.max_parallel > n => errors.push(format!(
                "{what}: max_parallel ({}) exceeds max_jobs ({n})",
                self.tuning.max_parallel
            )),
            Some(_) => {}
        }
        if self.tuning.max_parallel == 0 {
            errors.push(format!("{what}: max_parallel must be at least 1"));
        }
        if let Some(r) = self.tuning.max_runtime_seconds {
            let (lo, hi) = TUNING_RUNTIME_RANGE;
            if !(lo..=hi).contains(&r) {
                errors.push(format!(
                    "{what}: tuning max_runtime_seconds {r} is out of range: {lo} to {hi}"
                ));
            }
        }
        if self.tuning.objective_metric.is_empty() {
            errors.push(format!("{what}: the objective metric name is empty"));
        }
        if self.tuning.ranges.is_empty() {
            errors.push(format!("{what}: tuning has no parameter ranges"));
        }
        if self.tuning.ranges.len() > 30 {
            errors.push(format!(
                "{what}: {} parameter ranges; SageMaker tunes at most 30",
                self.tuning.ranges.len()
            ));
        }
        let mut names = HashSet::new();
        for r in &self.tuning.ranges {
            if !names.insert(r.name()) {
                errors.push(format!(
                    "{what}: parameter range '{}' is defined twice",
                    r.name()
                ));
            }
            if self.job.hyperparameters.contains_key(r.name()) {
                errors.push(format!(
                    "{what}: '{}' is both tuned and a static hyperparameter",
                    r.name()
                ));
            }
            match r {
                ParameterRange::Continuous { name, min, max, .. }
                    if !min.is_finite() || !max.is_finite() =>
                {
                    errors.push(format!(
                        "{what}: range '{name}': min ({min}) and max ({max}) must be finite numbers"
                    ))
                }
                ParameterRange::Continuous { name, min, max, .. } if min >= max => errors.push(
                    format!("{what}: range '{name}': min ({min}) must be below max ({max})"),
                ),
                // SageMaker: logarithmic scaling works only for ranges above 0
                // (HyperParameterTuning, "Hyperparameter scaling types").
                ParameterRange::Continuous {
                    name,
                    min,
                    scaling: Scaling::Logarithmic,
                    ..
                } if *min <= 0.0 => errors.push(format!(
                    "{what}: range '{name}': logarithmic scaling needs min above 0, got {min}"
                )),
                ParameterRange::Integer {
                    name,
                    min,
                    scaling: Scaling::Logarithmic,
                    ..
                } if *min <= 0 => errors.push(format!(
                    "{what}: range '{name}': logarithmic scaling needs min above 0, got {min}"
                )),
                ParameterRange::Integer { name, min, max, .. } if min >= max => errors.push(
                    format!("{what}: range '{name}': min ({min}) must be below max ({max})"),
                ),
                ParameterRange::Categorical { name, values }
                    if values.is_empty() || values.len() > 30 =>
                {
                    errors.push(format!(
                        "{what}: range '{name}' has {} values; categorical ranges take 1 to 30",
                        values.len()
                    ))
                }
                _ => {}
            }
        }
    }
}

/// A processing job running a Python script.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessingSpec {
    /// Processing image URI (one with `python3`).
    pub image: PValue,
    /// Role the job runs as.
    pub role_arn: Expr,
    /// Instance type, `ml.<family>.<size>`.
    pub instance_type: String,
    /// Instances, at least 1.
    pub instance_count: u32,
    /// Storage per instance in GB (SageMaker accepts 1–16,384).
    pub volume_gb: u32,
    /// Runtime cap in seconds, 1 to [`MAX_PROCESSING_RUNTIME`] (5 days).
    pub max_runtime_seconds: u32,
    /// S3 URI of the script.
    pub code: PValue,
    /// The script's file name (the last part of `code`).
    pub script_name: String,
    /// Command-line arguments of the script.
    pub arguments: Vec<String>,
    /// `(name, S3 URI)`: available under `/opt/ml/processing/input/<name>`.
    pub inputs: Vec<(String, PValue)>,
    /// `(name, S3 URI)`: written from `/opt/ml/processing/output/<name>`.
    pub outputs: Vec<(String, PValue)>,
    /// JSON files of the step's outputs that later steps read
    /// (`Std:JsonGet`).
    pub property_files: Vec<PropertyFile>,
}

/// A JSON file a Processing step writes, declared so that later steps can
/// read values of it (`Std:JsonGet`).
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyFile {
    /// The name later steps refer to it by.
    pub name: String,
    /// The step's output the file is written to.
    pub output: String,
    /// The file's path in that output, e.g. `evaluation.json`.
    pub path: String,
}

impl ProcessingSpec {
    fn to_json(&self) -> Json {
        let mut inputs = vec![Json::object([
            ("InputName", Json::from("code")),
            (
                "S3Input",
                Json::object([
                    ("S3Uri", self.code.to_json()),
                    ("LocalPath", Json::from("/opt/ml/processing/input/code")),
                    ("S3DataType", Json::from("S3Prefix")),
                    ("S3InputMode", Json::from("File")),
                ]),
            ),
        ])];
        for (name, uri) in &self.inputs {
            inputs.push(Json::object([
                ("InputName", Json::from(name.as_str())),
                (
                    "S3Input",
                    Json::object([
                        ("S3Uri", uri.to_json()),
                        (
                            "LocalPath",
                            Json::from(format!("/opt/ml/processing/input/{name}")),
                        ),
                        ("S3DataType", Json::from("S3Prefix")),
                        ("S3InputMode", Json::from("File")),
                    ]),
                ),
            ]));
        }
        let outputs: Vec<Json> = self
            .outputs
            .iter()
            .map(|(name, uri)| {
                Json::object([
                    ("OutputName", Json::from(name.as_str())),
                    (
                        "S3Output",
                        Json::object([
                            ("S3Uri", uri.to_json()),
                            (
                                "LocalPath",
                                Json::from(format!("/opt/ml/processing/output/{name}")),
                            ),
                            ("S3UploadMode", Json::from("EndOfJob")),
                        ]),
                    ),
                ])
            })
            .collect();
        let mut entry = vec![
            Json::from("python3"),
            Json::from(format!(
                "/opt/ml/processing/input/code/{}",
                self.script_name
            )),
        ];
        entry.extend(self.arguments.iter().map(|a| Json::from(a.as_str())));
        Json::object([
            (
                "ProcessingResources",
                Json::object([(
                    "ClusterConfig",
                    Json::object([
                        ("InstanceCount", Json::from(self.instance_count)),
                        ("InstanceType", Json::from(self.instance_type.as_str())),
                        ("VolumeSizeInGB", Json::from(self.volume_gb)),
                    ]),
                )]),
            ),
            (
                "AppSpecification",
                Json::object([
                    ("ImageUri", self.image.to_json()),
                    ("ContainerEntrypoint", Json::Array(entry)),
                ]),
            ),
            ("RoleArn", Json::from(&self.role_arn)),
            ("ProcessingInputs", Json::Array(inputs)),
            (
                "ProcessingOutputConfig",
                Json::object([("Outputs", Json::Array(outputs))]),
            ),
            (
                "StoppingCondition",
                Json::object([("MaxRuntimeInSeconds", Json::from(self.max_runtime_seconds))]),
            ),
        ])
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        check_instance(errors, what, &self.instance_type, self.instance_count);
        if !(1..=MAX_PROCESSING_RUNTIME).contains(&self.max_runtime_seconds) {
            errors.push(format!(
                "{what}: max_runtime_seconds {} is out of range: 1 to {MAX_PROCESSING_RUNTIME} (5 days)",
                self.max_runtime_seconds
            ));
        }
        for PropertyFile {
            name: file, output, ..
        } in &self.property_files
        {
            if !self.outputs.iter().any(|(n, _)| n == output) {
                errors.push(format!(
                    "{what}: property file '{file}' reads output '{output}', which the step does not have"
                ));
            }
        }
    }
}

/// Comparison in a Condition step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Left equals right.
    Equals,
    /// Left > right.
    GreaterThan,
    /// Left ≥ right.
    GreaterThanOrEqualTo,
    /// Left < right.
    LessThan,
    /// Left ≤ right.
    LessThanOrEqualTo,
}

/// One condition of a Condition step: `left <comparison> right`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// How the values are compared.
    pub comparison: Comparison,
    /// The left value (e.g. a metric read from a property file).
    pub left: PValue,
    /// The right value (e.g. a threshold).
    pub right: PValue,
}

/// A Condition step: all conditions true → `if_steps`, else `else_steps`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionSpec {
    /// Conditions, all of which must hold.
    pub conditions: Vec<Condition>,
    /// Steps run when every condition holds.
    pub if_steps: Vec<Step>,
    /// Steps run otherwise.
    pub else_steps: Vec<Step>,
}

/// Registration of a model version into a model package group.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterSpec {
    /// The model package group registered into.
    pub group_name: Expr,
    /// Inference image URI of the version.
    pub image: PValue,
    /// S3 URI of the model artifact, usually a training step's
    /// `ModelArtifacts.S3ModelArtifacts`.
    pub model_data: PValue,
    /// Request MIME types the model accepts, e.g. `text/csv`.
    pub content_types: Vec<String>,
    /// Response MIME types it returns.
    pub response_types: Vec<String>,
    /// Instance types for real-time inference that the version lists as
    /// supported.
    pub inference_instances: Vec<String>,
    /// Instance types for batch transform that the version lists as supported.
    pub transform_instances: Vec<String>,
    /// `Approved` or `PendingManualApproval` (or a parameter).
    pub approval: PValue,
    /// An evaluation report (JSON) attached as model-quality statistics.
    pub metrics_uri: Option<PValue>,
}

/// A SageMaker model made from artifacts (for batch transform).
#[derive(Clone, Debug, PartialEq)]
pub struct CreateModelSpec {
    /// Inference image URI.
    pub image: PValue,
    /// S3 URI of the model artifact.
    pub model_data: PValue,
    /// Execution role of the model.
    pub role_arn: Expr,
}

/// Batch scoring of an S3 prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct TransformSpec {
    /// The model to score with, usually a CreateModel step's `ModelName`.
    pub model_name: PValue,
    /// S3 prefix of the records to score.
    pub input: PValue,
    /// S3 prefix the scores are written under.
    pub output: PValue,
    /// MIME type of the input, e.g. `text/csv`; records are split by line.
    pub content_type: String,
    /// Instance type, `ml.<family>.<size>`.
    pub instance_type: String,
    /// Instances, at least 1.
    pub instance_count: u32,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    /// Runs a script (preprocessing, evaluation).
    Processing(ProcessingSpec),
    /// Trains a model.
    Training(TrainingJobSpec),
    /// Tunes hyperparameters over many training jobs.
    Tuning(TuningSpec),
    /// Branches on values, e.g. an evaluation metric.
    Condition(ConditionSpec),
    /// Registers a model version.
    RegisterModel(RegisterSpec),
    /// Creates a SageMaker model (for batch transform).
    CreateModel(CreateModelSpec),
    /// Scores a prefix in batch.
    Transform(TransformSpec),
    /// Stops the execution as failed, e.g. in the else branch of an
    /// evaluation gate.
    Fail {
        /// Why, shown in the execution's details.
        message: PValue,
    },
}

/// One step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Unique within the pipeline: 1–64 letters, digits, `-` or `_`; other
    /// steps refer to it.
    pub name: String,
    /// What the step does.
    pub kind: StepKind,
    /// Steps that must finish first, besides those whose properties this step
    /// reads.
    pub depends_on: Vec<String>,
}

impl Step {
    /// A step `name` doing `kind`, with no explicit dependencies.
    pub fn new(name: &str, kind: StepKind) -> Step {
        Step {
            name: name.to_string(),
            kind,
            depends_on: Vec::new(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self.kind {
            StepKind::Processing(_) => "Processing",
            StepKind::Training(_) => "Training",
            StepKind::Tuning(_) => "Tuning",
            StepKind::Condition(_) => "Condition",
            StepKind::RegisterModel(_) => "RegisterModel",
            StepKind::CreateModel(_) => "Model",
            StepKind::Transform(_) => "Transform",
            StepKind::Fail { .. } => "Fail",
        }
    }

    fn to_json(&self, tags: &[(String, String)]) -> Json {
        let mut m: Vec<(&str, Json)> = vec![
            ("Name", Json::from(self.name.as_str())),
            ("Type", Json::from(self.type_name())),
            ("Arguments", self.arguments(tags)),
        ];
        if !self.depends_on.is_empty() {
            m.push((
                "DependsOn",
                Json::Array(
                    self.depends_on
                        .iter()
                        .map(|d| Json::from(d.as_str()))
                        .collect(),
                ),
            ));
        }
        if let StepKind::Processing(p) = &self.kind
            && !p.property_files.is_empty()
        {
            m.push((
                "PropertyFiles",
                Json::Array(
                    p.property_files
                        .iter()
                        .map(|PropertyFile { name, output, path }| {
                            Json::object([
                                ("PropertyFileName", Json::from(name.as_str())),
                                ("OutputName", Json::from(output.as_str())),
                                ("FilePath", Json::from(path.as_str())),
                            ])
                        })
                        .collect(),
                ),
            ));
        }
        Json::object(m)
    }

    /// The step's `Arguments`: the request of the API it calls, with `tags`
    /// on every request that creates something billable or registered.
    fn arguments(&self, tags: &[(String, String)]) -> Json {
        let mut args = self.request(tags);
        let tagged = matches!(
            self.kind,
            StepKind::Processing(_)
                | StepKind::Training(_)
                | StepKind::Tuning(_)
                | StepKind::RegisterModel(_)
                | StepKind::CreateModel(_)
                | StepKind::Transform(_)
        );
        if tagged
            && !tags.is_empty()
            && let Json::Object(map) = &mut args
        {
            // Pipelines tags its jobs only with `sagemaker:pipeline-*` keys;
            // the stage's own tags must be in each request for the job's
            // spend to count in the stage's budget (CreateTrainingJob and
            // the other create requests take `Tags`; a tuning job's tags are
            // added to the training jobs it launches).
            map.insert(
                "Tags".to_string(),
                Json::Array(
                    tags.iter()
                        .map(|(k, v)| {
                            Json::object([
                                ("Key", Json::from(k.as_str())),
                                ("Value", Json::from(v.as_str())),
                            ])
                        })
                        .collect(),
                ),
            );
        }
        args
    }

    fn request(&self, tags: &[(String, String)]) -> Json {
        match &self.kind {
            StepKind::Processing(p) => p.to_json(),
            StepKind::Training(t) => t.to_json(false),
            StepKind::Tuning(t) => t.to_json(),
            StepKind::Condition(c) => Json::object([
                (
                    "Conditions",
                    Json::Array(
                        c.conditions
                            .iter()
                            .map(|c| {
                                Json::object([
                                    ("Type", Json::from(format!("{:?}", c.comparison))),
                                    ("LeftValue", c.left.to_json()),
                                    ("RightValue", c.right.to_json()),
                                ])
                            })
                            .collect(),
                    ),
                ),
                (
                    "IfSteps",
                    Json::Array(c.if_steps.iter().map(|s| s.to_json(tags)).collect()),
                ),
                (
                    "ElseSteps",
                    Json::Array(c.else_steps.iter().map(|s| s.to_json(tags)).collect()),
                ),
            ]),
            StepKind::RegisterModel(r) => {
                let strings =
                    |v: &[String]| Json::Array(v.iter().map(|s| Json::from(s.as_str())).collect());
                let mut m = vec![
                    ("ModelPackageGroupName", Json::from(&r.group_name)),
                    (
                        "InferenceSpecification",
                        Json::object([
                            (
                                "Containers",
                                Json::array([Json::object([
                                    ("Image", r.image.to_json()),
                                    ("ModelDataUrl", r.model_data.to_json()),
                                ])]),
                            ),
                            ("SupportedContentTypes", strings(&r.content_types)),
                            ("SupportedResponseMIMETypes", strings(&r.response_types)),
                            (
                                "SupportedRealtimeInferenceInstanceTypes",
                                strings(&r.inference_instances),
                            ),
                            (
                                "SupportedTransformInstanceTypes",
                                strings(&r.transform_instances),
                            ),
                        ]),
                    ),
                    ("ModelApprovalStatus", r.approval.to_json()),
                ];
                if let Some(uri) = &r.metrics_uri {
                    m.push((
                        "ModelMetrics",
                        Json::object([(
                            "ModelQuality",
                            Json::object([(
                                "Statistics",
                                Json::object([
                                    ("ContentType", Json::from("application/json")),
                                    ("S3Uri", uri.to_json()),
                                ]),
                            )]),
                        )]),
                    ));
                }
                Json::object(m)
            }
            StepKind::CreateModel(c) => Json::object([
                ("ExecutionRoleArn", Json::from(&c.role_arn)),
                (
                    "PrimaryContainer",
                    Json::object([
                        ("Image", c.image.to_json()),
                        ("ModelDataUrl", c.model_data.to_json()),
                    ]),
                ),
            ]),
            StepKind::Transform(t) => Json::object([
                ("ModelName", t.model_name.to_json()),
                (
                    "TransformInput",
                    Json::object([
                        (
                            "DataSource",
                            Json::object([(
                                "S3DataSource",
                                Json::object([
                                    ("S3DataType", Json::from("S3Prefix")),
                                    ("S3Uri", t.input.to_json()),
                                ]),
                            )]),
                        ),
                        ("ContentType", Json::from(t.content_type.as_str())),
                        ("SplitType", Json::from("Line")),
                    ]),
                ),
                (
                    "TransformOutput",
                    Json::object([
                        ("S3OutputPath", t.output.to_json()),
                        ("AssembleWith", Json::from("Line")),
                    ]),
                ),
                (
                    "TransformResources",
                    Json::object([
                        ("InstanceCount", Json::from(t.instance_count)),
                        ("InstanceType", Json::from(t.instance_type.as_str())),
                    ]),
                ),
            ]),
            StepKind::Fail { message } => Json::object([("ErrorMessage", message.to_json())]),
        }
    }

    /// Every value of the step (not of nested steps), for reference checks.
    fn values(&self) -> Vec<&PValue> {
        let mut v: Vec<&PValue> = Vec::new();
        match &self.kind {
            StepKind::Processing(p) => {
                v.push(&p.image);
                v.push(&p.code);
                v.extend(p.inputs.iter().map(|(_, u)| u));
                v.extend(p.outputs.iter().map(|(_, u)| u));
            }
            StepKind::Training(t) => push_job(t, &mut v),
            StepKind::Tuning(t) => push_job(&t.job, &mut v),
            StepKind::Condition(c) => {
                for c in &c.conditions {
                    v.push(&c.left);
                    v.push(&c.right);
                }
            }
            StepKind::RegisterModel(r) => {
                v.push(&r.image);
                v.push(&r.model_data);
                v.push(&r.approval);
                v.extend(r.metrics_uri.iter());
            }
            StepKind::CreateModel(c) => {
                v.push(&c.image);
                v.push(&c.model_data);
            }
            StepKind::Transform(t) => {
                v.push(&t.model_name);
                v.push(&t.input);
                v.push(&t.output);
            }
            StepKind::Fail { message } => v.push(message),
        }
        v
    }
}

fn push_job<'a>(j: &'a TrainingJobSpec, v: &mut Vec<&'a PValue>) {
    v.push(&j.image);
    v.push(&j.output_uri);
    v.extend(j.channels.iter().map(|c| &c.uri));
    v.extend(j.hyperparameters.values());
    if let Some(uri) = j.spot.as_ref().and_then(|s| s.checkpoint_uri.as_ref()) {
        v.push(uri);
    }
}

/// A whole pipeline definition.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definition {
    /// Pipeline parameters, set per execution.
    pub parameters: Vec<Parameter>,
    /// Top-level steps; condition steps hold their branches.
    pub steps: Vec<Step>,
    /// `(key, value)` tags put on every job, model and model version the
    /// steps create (`TrainingPipeline` puts the stage's `app` and `stage`
    /// tags here, which the stage's budget filters on).
    pub tags: Vec<(String, String)>,
}

impl Definition {
    /// The definition document SageMaker takes.
    pub fn to_json(&self) -> Json {
        Json::object([
            ("Version", Json::from(SCHEMA_VERSION)),
            ("Metadata", Json::Object(BTreeMap::new())),
            (
                "Parameters",
                Json::Array(
                    self.parameters
                        .iter()
                        .map(|p| {
                            Json::object([
                                ("Name", Json::from(p.name.as_str())),
                                ("Type", Json::from(format!("{:?}", p.kind))),
                                ("DefaultValue", p.default.clone()),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "Steps",
                Json::Array(self.steps.iter().map(|s| s.to_json(&self.tags)).collect()),
            ),
        ])
    }

    /// Every step, those inside condition branches included.
    pub fn all_steps(&self) -> Vec<&Step> {
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
            for s in steps {
                out.push(s);
                if let StepKind::Condition(c) = &s.kind {
                    walk(&c.if_steps, out);
                    walk(&c.else_steps, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, &mut out);
        out
    }

    /// Every rule the definition must follow; each message names the step.
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let steps = self.all_steps();
        if steps.is_empty() {
            errors.push("the pipeline has no steps".to_string());
        }
        let mut names = HashSet::new();
        for s in &steps {
            if !valid_step_name(&s.name) {
                errors.push(format!(
                    "step name '{}' is invalid: 1 to 64 letters, digits, '-' or '_'",
                    s.name
                ));
            }
            if !names.insert(s.name.as_str()) {
                errors.push(format!(
                    "step name '{}' is used twice; step names are unique",
                    s.name
                ));
            }
        }
        let mut params = HashSet::new();
        for p in &self.parameters {
            let valid = !p.name.is_empty()
                && p.name.len() <= 256
                && p.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                errors.push(format!(
                    "parameter name '{}' is invalid: 1 to 256 letters, digits, '-' or '_'",
                    p.name
                ));
            }
            if !params.insert(p.name.as_str()) {
                errors.push(format!("parameter '{}' is defined twice", p.name));
            }
        }
        for s in &steps {
            let what = format!("step '{}'", s.name);
            for d in &s.depends_on {
                if d == &s.name {
                    errors.push(format!("{what} depends on itself"));
                } else if !names.contains(d.as_str()) {
                    errors.push(format!(
                        "{what} depends on '{d}', which is not a step of the pipeline"
                    ));
                }
            }
            for v in s.values() {
                v.visit(&mut |v| match v {
                    PValue::Param(p) if !params.contains(p.as_str()) => errors.push(format!(
                        "{what} uses parameter '{p}', which the pipeline does not define"
                    )),
                    PValue::Property { step, .. } | PValue::JsonGet { step, .. }
                        if !names.contains(step.as_str()) =>
                    {
                        errors.push(format!(
                            "{what} refers to step '{step}', which is not a step of the pipeline"
                        ))
                    }
                    PValue::JsonGet { step, file, .. } => {
                        let has_file = steps.iter().any(|t| {
                            &t.name == step
                                && matches!(&t.kind, StepKind::Processing(p) if p.property_files.iter().any(|f| &f.name == file))
                        });
                        if names.contains(step.as_str()) && !has_file {
                            errors.push(format!(
                                "{what} reads property file '{file}' of step '{step}', which has no such file"
                            ));
                        }
                    }
                    _ => {}
                });
            }
            match &s.kind {
                StepKind::Processing(p) => p.validate(&mut errors, &what),
                StepKind::Training(t) => t.validate(&mut errors, &what),
                StepKind::Tuning(t) => t.validate(&mut errors, &what),
                StepKind::Condition(c) if c.conditions.is_empty() => errors.push(format!(
                    "{what}: a condition step needs at least one condition"
                )),
                StepKind::Transform(t) => {
                    check_instance(&mut errors, &what, &t.instance_type, t.instance_count)
                }
                _ => {}
            }
        }
        errors
    }
}

/// SageMaker step names: `^[A-Za-z0-9\-_]{1,64}$`.
pub fn valid_step_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

//! The Tuning step: a `CreateHyperParameterTuningJob` request over a
//! training job.

use std::collections::HashSet;

use mlcdk_core::Json;

use super::training::push_job;
use super::{PipelineValue, StepArguments, TUNING_RUNTIME_RANGE, TrainingJobSpec};

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

impl Tuning {
    /// At most `max_jobs` training jobs, `max_parallel` at a time, maximizing
    /// `validation:auc` over XGBoost's main parameters, with early stopping.
    pub fn xgboost_auc(max_jobs: u32, max_parallel: u32) -> Tuning {
        Tuning {
            objective_metric: "validation:auc".into(),
            goal: Goal::Maximize,
            ranges: vec![
                ParameterRange::Continuous {
                    name: "eta".into(),
                    min: 0.01,
                    max: 0.3,
                    scaling: Scaling::Logarithmic,
                },
                ParameterRange::Integer {
                    name: "max_depth".into(),
                    min: 3,
                    max: 10,
                    scaling: Scaling::Auto,
                },
                ParameterRange::Continuous {
                    name: "subsample".into(),
                    min: 0.5,
                    max: 1.0,
                    scaling: Scaling::Auto,
                },
            ],
            max_jobs: Some(max_jobs),
            max_parallel,
            max_runtime_seconds: None,
            early_stopping: true,
        }
    }
}

/// A tuning job: the tuning settings and the training job it repeats.
#[derive(Clone, Debug, PartialEq)]
pub struct TuningSpec {
    /// The training job each trial runs, with the tuned hyperparameters added.
    pub job: TrainingJobSpec,
    /// What is searched and the bounds.
    pub tuning: Tuning,
}

impl StepArguments for TuningSpec {
    fn type_name(&self) -> &'static str {
        "Tuning"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
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
            ("TrainingJobDefinition", self.job.job_json(true)),
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

    fn values(&self) -> Vec<&PipelineValue> {
        let mut v = Vec::new();
        push_job(&self.job, &mut v);
        v
    }
}

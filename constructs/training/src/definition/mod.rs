//! A typed model of the SageMaker Pipelines definition (schema version
//! `2020-12-01`): parameters, steps and the references between them.
//!
//! Field names follow the SageMaker API requests each step wraps
//! (`CreateProcessingJob`, `CreateTrainingJob`, `CreateHyperParameterTuningJob`,
//! `CreateModelPackage`, `CreateModel`, `CreateTransformJob`), without the job
//! names, which the pipeline assigns. Values are [`PipelineValue`]s: literals, stack
//! references (`Expr`), pipeline parameters, step properties
//! (`{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}`), `Std:JsonGet` of a
//! property file, `Std:Join`. The whole renders to a [`Json`] document, which
//! the `AWS::SageMaker::Pipeline` resource takes as a string with the stack
//! references joined in.

use std::collections::{BTreeMap, HashSet};

use mlcdk_core::Json;

mod condition;
mod fail;
mod model;
mod processing;
mod register;
mod training;
mod transform;
mod tuning;
mod value;

pub use condition::{Comparison, Condition, ConditionSpec};
use fail::FailArguments;
pub use model::CreateModelSpec;
pub use processing::{ProcessingSpec, PropertyFile};
pub use register::RegisterSpec;
pub use training::{Channel, ModelPackageSpec, SpotSpec, TrainingJobSpec};
pub use transform::TransformSpec;
pub use tuning::{Goal, ParameterRange, Scaling, Tuning, TuningSpec};
pub use value::{Parameter, ParameterType, PipelineValue};

/// The definition schema version SageMaker accepts.
pub const SCHEMA_VERSION: &str = "2020-12-01";

/// Training and processing runtime cap (CreateTrainingJob: 28 days).
pub const MAX_TRAINING_RUNTIME: u32 = 2_419_200;
/// Processing runtime cap (CreateProcessingJob: 5 days).
pub const MAX_PROCESSING_RUNTIME: u32 = 432_000;
/// Tuning job runtime range (ResourceLimits.MaxRuntimeInSeconds).
pub const TUNING_RUNTIME_RANGE: (u32, u32) = (120, 15_768_000);

/// The arguments of one kind of step: how they render, what they must
/// follow, and the values in them. Each kind of step implements it in its own
/// file ([`ProcessingSpec`], [`TrainingJobSpec`], [`TuningSpec`],
/// [`ConditionSpec`], [`RegisterSpec`], [`CreateModelSpec`],
/// [`TransformSpec`], and the message of [`StepKind::Fail`]).
pub trait StepArguments {
    /// The step's `Type` in the definition (`Processing`, `Training`, …).
    fn type_name(&self) -> &'static str;

    /// The step's `Arguments`: the request of the API it calls (without the
    /// tags, which [`Definition`] adds where [`StepArguments::tagged`]).
    /// `tags` are passed on to nested steps.
    fn to_json(&self, tags: &[(String, String)]) -> Json;

    /// Adds to `errors` what is wrong with the arguments; `what` names the
    /// step in each message.
    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        let _ = (errors, what);
    }

    /// Every value of the step (not of nested steps), for reference checks.
    fn values(&self) -> Vec<&PipelineValue>;

    /// Whether the request creates something billable or registered, and so
    /// takes the definition's tags.
    fn tagged(&self) -> bool {
        true
    }

    /// The JSON files the step writes that later steps read.
    fn property_files(&self) -> &[PropertyFile] {
        &[]
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
        message: PipelineValue,
    },
}

impl StepKind {
    /// Calls `f` with the step's arguments: the one place that matches on
    /// the kind of step.
    fn with_arguments<R>(&self, f: impl FnOnce(&dyn StepArguments) -> R) -> R {
        match self {
            StepKind::Processing(p) => f(p),
            StepKind::Training(t) => f(t),
            StepKind::Tuning(t) => f(t),
            StepKind::Condition(c) => f(c),
            StepKind::RegisterModel(r) => f(r),
            StepKind::CreateModel(c) => f(c),
            StepKind::Transform(t) => f(t),
            StepKind::Fail { message } => f(&FailArguments { message }),
        }
    }
}

/// The step's `Arguments`: the request of the API it calls, with `tags` on
/// every request that creates something billable or registered.
fn tagged_arguments(args: &dyn StepArguments, tags: &[(String, String)]) -> Json {
    let mut json = args.to_json(tags);
    if args.tagged()
        && !tags.is_empty()
        && let Json::Object(map) = &mut json
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
    json
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

    /// The step in the definition document, with `tags` on every request
    /// that creates something billable or registered.
    fn to_json(&self, tags: &[(String, String)]) -> Json {
        self.kind.with_arguments(|args| {
            let mut m: Vec<(&str, Json)> = vec![
                ("Name", Json::from(self.name.as_str())),
                ("Type", Json::from(args.type_name())),
                ("Arguments", tagged_arguments(args, tags)),
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
            let files = args.property_files();
            if !files.is_empty() {
                m.push((
                    "PropertyFiles",
                    Json::Array(
                        files
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
        })
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
            s.kind.with_arguments(|args| {
                for v in args.values() {
                    v.visit(&mut |v| match v {
                        PipelineValue::Param(p) if !params.contains(p.as_str()) => errors.push(format!(
                            "{what} uses parameter '{p}', which the pipeline does not define"
                        )),
                        PipelineValue::Property { step, .. } | PipelineValue::JsonGet { step, .. }
                            if !names.contains(step.as_str()) =>
                        {
                            errors.push(format!(
                                "{what} refers to step '{step}', which is not a step of the pipeline"
                            ))
                        }
                        PipelineValue::JsonGet { step, file, .. } => {
                            let has_file = steps.iter().any(|t| {
                                &t.name == step
                                    && t.kind.with_arguments(|a| {
                                        a.property_files().iter().any(|f| &f.name == file)
                                    })
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
                args.validate(&mut errors, &what);
            });
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

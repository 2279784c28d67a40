//! The values of a definition: literals, stack references, parameters,
//! step properties, `Std:JsonGet` and `Std:Join`; and pipeline parameters.

use mlcdk_core::{Expr, Json};

/// A value in the definition.
#[derive(Clone, Debug, PartialEq)]
pub enum PipelineValue {
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
        values: Vec<PipelineValue>,
    },
}

impl PipelineValue {
    /// A literal string.
    pub fn lit(s: impl Into<String>) -> PipelineValue {
        PipelineValue::Json(Json::String(s.into()))
    }

    /// The pipeline parameter `name`, resolved when an execution starts.
    pub fn param(name: &str) -> PipelineValue {
        PipelineValue::Param(name.to_string())
    }

    /// A property of an earlier step, e.g. `("Train",
    /// "ModelArtifacts.S3ModelArtifacts")`; the step runs after that one.
    pub fn property(step: &str, path: &str) -> PipelineValue {
        PipelineValue::Property {
            step: step.to_string(),
            path: path.to_string(),
        }
    }

    /// The running execution's ID (`Execution.PipelineExecutionId`): what
    /// keys a run's outputs, so executions never overwrite each other's.
    pub fn execution_id() -> PipelineValue {
        PipelineValue::Execution("PipelineExecutionId".into())
    }

    /// `values` joined with `on` at execution time (`Std:Join`), e.g. an S3 URI
    /// with the execution ID in it.
    pub fn join(on: &str, values: impl IntoIterator<Item = PipelineValue>) -> PipelineValue {
        PipelineValue::Join {
            on: on.to_string(),
            values: values.into_iter().collect(),
        }
    }

    /// Render as it appears in the definition.
    pub fn to_json(&self) -> Json {
        match self {
            PipelineValue::Json(j) => j.clone(),
            PipelineValue::Param(n) => {
                Json::object([("Get", Json::from(format!("Parameters.{n}")))])
            }
            PipelineValue::Execution(n) => {
                Json::object([("Get", Json::from(format!("Execution.{n}")))])
            }
            PipelineValue::Property { step, path } => {
                Json::object([("Get", Json::from(format!("Steps.{step}.{path}")))])
            }
            PipelineValue::JsonGet { step, file, path } => Json::object([(
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
            PipelineValue::Join { on, values } => Json::object([(
                "Std:Join",
                Json::object([
                    ("On", Json::from(on.as_str())),
                    (
                        "Values",
                        Json::Array(values.iter().map(PipelineValue::to_json).collect()),
                    ),
                ]),
            )]),
        }
    }

    pub(super) fn visit(&self, f: &mut dyn FnMut(&PipelineValue)) {
        f(self);
        if let PipelineValue::Join { values, .. } = self {
            values.iter().for_each(|v| v.visit(f));
        }
    }
}

impl From<&str> for PipelineValue {
    fn from(s: &str) -> PipelineValue {
        PipelineValue::lit(s)
    }
}

impl From<String> for PipelineValue {
    fn from(s: String) -> PipelineValue {
        PipelineValue::lit(s)
    }
}

impl From<Expr> for PipelineValue {
    fn from(e: Expr) -> PipelineValue {
        PipelineValue::Json(Json::from(e))
    }
}

impl From<f64> for PipelineValue {
    fn from(n: f64) -> PipelineValue {
        PipelineValue::Json(
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

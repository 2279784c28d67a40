//! The registry of the built-in rules, and the helpers the rules share.
//!
//! Each rule is defined once, with its id, severity, title, explanation and
//! check, in the file of its service (`s3.rs`, `kms.rs`, `iam.rs`, `sns.rs`,
//! `sagemaker.rs`, `training.rs`, `glue.rs`, `athena.rs`, `cost.rs`,
//! `reliability.rs`); the run-time rules (`rt.rs`) check with
//! `crate::runtime`, `crate::compat` and `crate::wiring`. [`RULES`] lists
//! them all: a rule not listed there does not run.

use mlcdk_core::Template;
use mlcdk_core::template::{Resource, decode_document};
use serde_json::Value;

use crate::Rule;

mod athena;
mod cost;
mod glue;
mod iam;
mod kms;
mod reliability;
mod rt;
mod s3;
mod sagemaker;
mod sns;
mod training;

pub use training::DEFAULT_MAX_TUNING_JOBS;

/// The built-in rules, in id order: what [`crate::check`] runs.
pub static RULES: &[Rule] = &[
    s3::ENCRYPTION,
    s3::PUBLIC_ACCESS,
    s3::TLS_ONLY,
    s3::VERSIONING,
    s3::ACCESS_LOGGING,
    kms::ROTATION,
    iam::WILDCARD_ACTIONS,
    iam::WILDCARD_RESOURCE_WRITES,
    iam::FULL_ACCESS,
    iam::UNSCOPED_PASS_ROLE,
    sns::ENCRYPTION,
    sagemaker::ENDPOINT_KMS,
    sagemaker::CAPTURE_KMS,
    sagemaker::NETWORK_ISOLATION,
    sagemaker::AUTOSCALING,
    sagemaker::IDLE_ALARM,
    sagemaker::SINGLE_INSTANCE,
    sagemaker::CAPTURE_MONITORED,
    training::MAX_RUNTIME,
    training::SPOT,
    training::TUNING_BOUNDED,
    glue::TIMEOUT,
    glue::SECURITY,
    athena::BOUNDED,
    cost::BUDGET,
    reliability::RETAIN,
    rt::JOB_PERMISSIONS,
    rt::UNDECIDED,
    rt::SERVERLESS_ISOLATION,
    rt::ALARM_METRICS,
    rt::INSTANCE_TYPES,
    rt::ENDPOINT_PERMISSIONS,
    rt::ENTRYPOINTS,
    rt::SERVICE_PERMISSIONS,
    rt::CREATE_ORDER,
    rt::DEAD_GRANTS,
    rt::TRAFFIC_SHIFT,
    rt::PIPELINE_ROLE,
    rt::GATED_EULA,
    rt::INFERENCE_PROFILE_MODELS,
];

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true))) || v.and_then(Value::as_str) == Some("true")
}

fn of<'a>(t: &'a Template, ty: &'a str) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
    t.resources_of_type(ty)
}

fn statements(doc: Option<&Value>) -> Vec<Value> {
    let Some(doc) = doc else { return Vec::new() };
    let doc = decode_document(doc).unwrap_or_else(|| doc.clone());
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

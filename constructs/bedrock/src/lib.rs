//! Amazon Bedrock: typed access to a foundation model ([`FoundationModel`],
//! `grant_invoke` on exactly its ARN), an application inference profile per
//! stage ([`InferenceProfile`], tagged with the stage's tags so Bedrock spend
//! is attributable to the stage and falls inside its budget, with alarms on
//! its own CloudWatch metrics) and guardrails ([`Guardrail`], validated
//! against what Bedrock accepts).
//!
//! Part of mlcdk: use it as `mlcdk::bedrock`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod guardrail;
mod model;
mod profile;

pub use guardrail::{
    ContentCategory, ContentFilter, DeniedTopic, FilterStrength, Guardrail, GuardrailProps,
    PiiEntity, PiiType, SensitiveAction, SensitiveRegex,
};
// The shared alarm types the props and handles take, so that
// `use mlcdk_bedrock::*` is enough.
pub use mlcdk_sagemaker::{Metric, Statistic};
pub use model::{BEDROCK_METRICS_NAMESPACE, FoundationModel};
pub use profile::{InferenceProfile, InferenceProfileProps, UsageAlarms};

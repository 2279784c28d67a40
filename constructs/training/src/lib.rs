//! Training constructs: a typed SageMaker Pipelines definition, the
//! [`TrainingPipeline`] that builds one (processing, spot training, bounded
//! tuning, evaluation gate, registration, batch transform) with a
//! least-privilege role, and EventBridge triggers that start it.
//!
//! Part of mlcdk: use it as `mlcdk::training`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

pub mod definition;
mod pipeline;
mod trigger;

pub use definition::{
    Comparison, Definition, Goal, ParameterRange, PipelineValue, Scaling, Step, StepKind, Tuning,
};
pub use mlcdk_sagemaker::{EcrImage, InstanceType, ModelArtifacts};
/// Images moved to the shared SageMaker crate; kept here for the paths
/// users wrote.
pub use mlcdk_sagemaker::{XgboostVersion, images};
pub use pipeline::{
    Algorithm, Approval, BatchTransform, BinaryMetric, Evaluation, EvaluationScript,
    FeatureBaseline, INLINE_DEFINITION_LIMIT, ModelGroupRef, ModelStrategy, Pipeline,
    PipelineProps, Processing, Spot, TrainingPipeline, TrainingPipelineProps, grant_pass_job_role,
    grant_pipeline_jobs,
};
pub use trigger::{PipelineTrigger, RateUnit, Schedule, TriggerProps, TriggerSource};

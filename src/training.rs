//! Training constructs: a typed SageMaker Pipelines definition, the
//! [`TrainingPipeline`] that builds one (processing, spot training, bounded
//! tuning, evaluation gate, registration, batch transform) with a
//! least-privilege role, and EventBridge triggers that start it.

#[doc(inline)]
pub use mlcdk_training::*;

//! Inference constructs: models (from the registry, an artifact, a
//! multi-model prefix, or several containers) and the endpoint kinds.
//!
//! Part of mlcdk: use it as `mlcdk::inference`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod asynchronous;
mod common;
mod jumpstart;
mod model;
mod realtime;
mod serverless;

pub use asynchronous::{AsyncEndpoint, AsyncEndpointProps, AsyncScaling};
// The shared SageMaker types the props and handles take, so that
// `use mlcdk_inference::*` is enough to build endpoints.
pub use jumpstart::{
    Eula, JumpStartLock, JumpStartModel, LOCK_FILE, LOCK_FORMAT, LockedDeployment, LockedModel,
    content_bucket, gated_bucket, manifest_url, resolve, spec_url,
};
pub use mlcdk_sagemaker::{
    EcrImage, EndpointRef, InstanceType, Metric, ModelArtifacts, NetworkIsolation, PRIMARY_VARIANT,
    Statistic,
};
pub use model::{Container, Model, ModelProps, ModelSource, Vpc};
pub use realtime::{
    Autoscaling, DataCapture, Guardrails, MultiModelEndpoint, MultiModelEndpointProps,
    RealtimeEndpoint, RealtimeEndpointProps, TrafficShift, Variant,
};
pub use serverless::{
    Memory, Provisioned, ProvisionedScaling, ServerlessEndpoint, ServerlessEndpointProps,
};

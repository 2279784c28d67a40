//! Building blocks shared by the SageMaker constructs (training, registry,
//! inference, monitoring), so that none of them depends on another for them:
//! [`InstanceType`] and [`EcrImage`] (validated when parsed, so a stage file
//! with a wrong value fails when it is loaded), the built-in algorithm images
//! ([`images`]), [`EndpointRef`], what monitors and grants take to name an
//! endpoint, [`ModelGroupRef`], what a training pipeline registers into, and
//! the one CloudWatch [`Metric`] and [`Alarm`] builder of the SageMaker
//! constructs.
//!
//! Part of mlcdk: use it as `mlcdk::sagemaker`.

#![warn(missing_docs)]

pub mod images;
mod instance;
mod isolation;
mod metric;
mod refs;
mod role;

pub use images::{EcrImage, XgboostVersion};
pub use instance::InstanceType;
pub use isolation::NetworkIsolation;
pub use metric::{
    Alarm, AlarmProps, Comparison, Dimension, MAX_WARM_UP_MINUTES, Metric, MissingData, Statistic,
};
pub use refs::{EndpointRef, ModelArtifacts, ModelGroupRef, PRIMARY_VARIANT};
pub use role::RoleBasics;

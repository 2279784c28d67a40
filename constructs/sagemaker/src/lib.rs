//! Building blocks shared by the SageMaker constructs (training, registry,
//! inference, monitoring), so that none of them depends on another for them:
//! [`InstanceType`] and [`EcrImage`] (validated when parsed, so a stage file
//! with a wrong value fails when it is loaded), the built-in algorithm images
//! ([`images`]), and [`EndpointRef`], what monitors and grants take to name an
//! endpoint.
//!
//! Part of mlcdk: use it as `mlcdk::sagemaker`.

#![warn(missing_docs)]

pub mod images;
mod instance;
mod refs;

pub use images::{EcrImage, XgboostVersion};
pub use instance::InstanceType;
pub use refs::{EndpointRef, ModelArtifacts};

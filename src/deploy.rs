//! The deployer: change-set deployment with progress, diff, destroy,
//! bootstrap and drift detection ([`drift`]), over the AWS SDK.
//!
//! The state machine ([`Deployer`]) is written against three small traits
//! ([`api::CloudFormationApi`], [`api::ObjectStore`], [`api::Identity`]), so it is
//! tested with fakes; [`aws`] implements them with the SDK, and [`run`] is what
//! the command line calls.
//!
//! Needs the feature `deploy` (on by default), the only part of mlcdk that
//! compiles the AWS SDK: an app that only synthesizes leaves it out with
//! `default-features = false`.

#[doc(inline)]
pub use mlcdk_deploy::*;

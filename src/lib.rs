//! # mlcdk
//!
//! Typed infrastructure-as-code constructs for machine-learning platforms on
//! AWS. A platform team writes one definition function; mlcdk synthesizes a
//! CloudFormation template per stage from it, so staging and production cannot
//! drift apart.
//!
//! ```
//! use mlcdk::prelude::*;
//!
//! fn define(stack: &mut Stack, _knobs: &()) {
//!     let role = Role::new(stack, "Training",
//!         RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")));
//!     stack.add_output("TrainingRoleArn", OutputProps::new(role.arn()));
//! }
//!
//! let app = App::new("churn", define)
//!     .stage(Stage::staging(Env::new("111111111111", "us-east-1"), ()));
//! let assembly = app.synth(None).unwrap();
//! assert!(assembly.stacks[0].text.contains("AWS::IAM::Role"));
//! ```
//!
//! The crates behind the facade: [`core`] (construct tree, template model,
//! intrinsics, IAM, assets, synth), [`checks`] (the rule pack) and [`cli`] (the
//! command line).

/// The rule pack over templates, with suppressions.
pub use mlcdk_checks as checks;
pub use mlcdk_cli as cli;
pub use mlcdk_core as core;
pub use mlcdk_core::{assertions, iam};
/// The monthly cost estimate and the budget guard.
pub use mlcdk_cost as cost;
/// The deployer (feature `deploy`, on by default).
#[cfg(feature = "deploy")]
pub use mlcdk_deploy as deploy;
/// Glue databases, crawlers and jobs; Athena workgroups; feature groups.
pub use mlcdk_etl as etl;
/// Models and real-time, serverless, async and multi-model endpoints.
pub use mlcdk_inference as inference;
/// Monitoring, drift-triggered retraining, alerts and budgets.
pub use mlcdk_monitoring as monitoring;
/// The model registry and pinned model versions.
pub use mlcdk_registry as registry;
/// S3 buckets and KMS keys.
pub use mlcdk_storage as storage;
/// SageMaker training pipelines and their triggers.
pub use mlcdk_training as training;

/// What a `stack.rs` needs, in one import.
pub mod prelude {
    pub use mlcdk_core::iam::{
        Grantee, PolicyDocument, PolicyStatement, Principal, Role, RoleProps,
    };
    pub use mlcdk_core::{
        App, Asset, AssetRef, CfnResource, Condition, DeletionPolicy, Env, Expr, Json, ListExpr,
        OutputProps, Parameter, ResourceRef, Scope, Stack, Stage, StageKind,
    };
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

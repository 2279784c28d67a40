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

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Each crate is a module here (src/<module>.rs): the module holds the guide
// and inlines the crate's items, so `cargo doc -p mlcdk --no-deps` is the whole
// user-facing documentation. `#[doc(inline)] pub use mlcdk_x as x` would bring
// the crate's own docs along, but rustdoc renders an inlined crate root as a
// crate and links its "All Items" to an `all.html` it never writes; and a
// guide included from another crate's directory is not in this package.
pub mod bedrock;
pub mod checks;
pub mod cli;
pub mod core;
pub use mlcdk_core::{assertions, iam};
pub mod cost;
#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;
pub mod etl;
pub mod inference;
pub mod monitoring;
pub mod registry;
pub mod sagemaker;
pub mod storage;
pub mod training;

/// What a `stack.rs` needs, in one import.
pub mod prelude {
    pub use mlcdk_core::iam::{
        Grant, Grantee, PolicyDocument, PolicyStatement, Principal, Role, RoleProps,
    };
    pub use mlcdk_core::refs::TopicRef;
    pub use mlcdk_core::schedule::{RateUnit, Schedule};
    pub use mlcdk_core::{
        App, Asset, AssetRef, CfnResource, Condition, Construct, DeletionPolicy, Env, Expr, Json,
        ListExpr, OutputProps, Parameter, PhysicallyNamed, ResourceRef, Scope, Stack, Stage,
        StageKind, named,
    };
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

//! The core of mlcdk: the construct tree ([`App`], [`Stage`], [`Stack`],
//! [`Scope`]), logical IDs, typed intrinsics ([`Expr`]), JSON documents with
//! references ([`Json`]), the [`Template`] model, IAM ([`iam`]), file assets,
//! validation and synthesis; physical names and ARNs ([`naming`]), and where
//! suppressions are written ([`suppression`]).
//!
//! Part of mlcdk: use it as `mlcdk::core`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

pub mod app;
pub mod assertions;
pub mod asset;
pub mod assumptions;
pub mod construct;
pub mod cron;
pub mod error;
pub mod exit;
pub mod expr;
pub mod iam;
pub mod json;
#[cfg(feature = "stratosphere")]
pub mod l1;
pub mod limits;
pub mod logical_id;
pub mod naming;
pub mod refs;
pub mod schedule;
pub mod stack;
pub mod stage_diff;
pub mod stage_file;
pub mod stateful;
pub mod suppression;
pub mod tags;
pub mod template;

pub use app::{App, Assembly, Env, Manifest, ManifestStage, Stage, StageInfo, StageKind};
pub use asset::{Asset, AssetEntry, AssetRef};
pub use assumptions::StageAssumptions;
pub use construct::{Construct, Handle, PhysicallyNamed, named};
pub use error::{AssemblyError, ValidationError, ValidationErrors};
pub use expr::{Condition, Expr, ListExpr, Pseudo};
pub use json::Json;
pub use naming::NamingRule;
pub use stack::{
    CfnResource, ConstructPath, Node, OutputProps, ResourceRef, Scope, Stack, SynthesizedStack,
};
pub use template::{DeletionPolicy, Parameter, Template};

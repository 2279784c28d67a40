//! The core of mlcdk: the construct tree ([`App`], [`Stage`], [`Stack`],
//! [`Scope`]), logical IDs, typed intrinsics ([`Expr`]), JSON documents with
//! references ([`Json`]), the [`Template`] model, IAM ([`iam`]), file assets,
//! validation and synthesis.
//!
//! Data flows one way: a definition function builds constructs in a [`Stack`];
//! constructs add resources; [`Stack::synth`] renders and checks a
//! [`Template`]; [`App::synth`] does that for every stage and returns an
//! [`Assembly`] to write to disk.

#[doc(inline)]
pub use mlcdk_core::*;

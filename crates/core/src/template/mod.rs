//! The CloudFormation template model.
//!
//! Every analysis (checks, cost, stage diff, assertions) reads a [`Template`],
//! so it reads templates that mlcdk did not write too: the model deserializes
//! any CloudFormation JSON template.
//!
//! The module is in three rooms:
//! - the model ([`Template`], [`Resource`], [`Parameter`], [`Output`]) and its
//!   deterministic serialization: sections in a fixed order, every JSON object
//!   written with its keys sorted;
//! - documents embedded in properties ([`decode_document`]: pipeline
//!   definitions and policies written as JSON text or joined around
//!   references; [`pipeline_steps`]);
//! - references ([`references`], [`Reference`]): what a value points at
//!   through `Ref`, `Fn::GetAtt` and `Fn::Sub`, walked on the JSON structure,
//!   so analyses never search serialized text for a logical ID.
//!
//! ```
//! use mlcdk_core::template::{Reference, references};
//! use serde_json::json;
//!
//! let value = json!({"Fn::Sub": ["arn:${AWS::Partition}:s3:::${B}/${Key}", {"Key": {"Ref": "K"}}]});
//! let targets: Vec<&str> = references(&value).map(|r| r.target()).collect();
//! assert_eq!(targets, ["AWS::Partition", "B", "K"]);
//! assert_eq!(
//!     references(&json!({"Fn::GetAtt": ["Role", "Arn"]})).next(),
//!     Some(Reference::GetAtt { target: "Role", attribute: "Arn" })
//! );
//! ```

mod document;
mod model;
mod refs;

pub(crate) use document::joined_document;
pub use document::{decode_document, definition_steps, pipeline_steps};
pub use model::{DeletionPolicy, Export, FORMAT_VERSION, Output, Parameter, Resource, Template};
pub(crate) use refs::rename_references;
pub use refs::{Reference, References, reference_target, references, visit_references};

//! Resources about to be added to a scope ([`CfnResource`]) and the handles
//! to resources of a stack ([`ResourceRef`]).

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::expr::Expr;
use crate::json::Json;
use crate::template::DeletionPolicy;

pub(super) type LazyProperties = Rc<dyn Fn() -> Result<Map<String, Value>, Vec<String>>>;

#[derive(Clone)]
pub(super) enum Properties {
    Static(Map<String, Value>),
    /// Rendered at synth, for resources whose properties grow after they are
    /// created (a role's policy grows with every grant). Errors are reported
    /// against the resource's path.
    Lazy(LazyProperties),
}

/// A CloudFormation resource about to be added to a scope: its type,
/// properties and resource attributes.
///
/// [`CfnResource::set`] writes a property; with the `stratosphere` feature,
/// `CfnResource::from_l1` takes the properties from a generated L1 struct,
/// which checks property names and types at compile time.
#[derive(Clone)]
pub struct CfnResource {
    pub(super) resource_type: String,
    pub(super) properties: Properties,
    pub(super) overrides: Vec<(String, Value)>,
    pub(super) depends_on: Vec<ResourceRef>,
    pub(super) deletion_policy: Option<DeletionPolicy>,
    pub(super) update_replace_policy: Option<DeletionPolicy>,
    pub(super) condition: Option<String>,
    pub(super) metadata: BTreeMap<String, Value>,
}

impl CfnResource {
    /// A resource of `resource_type` (`AWS::S3::Bucket`) without properties.
    pub fn new(resource_type: impl Into<String>) -> CfnResource {
        CfnResource::with_properties(resource_type, Map::new())
    }

    /// A resource with its properties given as JSON, e.g. from
    /// `serde_json::json!`.
    pub fn with_properties(
        resource_type: impl Into<String>,
        properties: Map<String, Value>,
    ) -> CfnResource {
        CfnResource {
            resource_type: resource_type.into(),
            properties: Properties::Static(properties),
            overrides: Vec::new(),
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            condition: None,
            metadata: BTreeMap::new(),
        }
    }

    /// From a stratosphere generated L1 struct (feature `stratosphere`).
    #[cfg(feature = "stratosphere")]
    pub fn from_l1<T: stratosphere::template::ToResource>(l1: &T) -> CfnResource {
        CfnResource::with_properties(
            T::RESOURCE_TYPE_NAME.to_string(),
            l1.to_resource_properties(),
        )
    }

    /// Properties computed at synth time.
    pub fn lazy(
        resource_type: impl Into<String>,
        render: impl Fn() -> Result<Map<String, Value>, Vec<String>> + 'static,
    ) -> CfnResource {
        let mut r = CfnResource::new(resource_type);
        r.properties = Properties::Lazy(Rc::new(render));
        r
    }

    /// Set (or replace) a top-level property.
    pub fn set(mut self, property: impl Into<String>, value: impl Into<Json>) -> CfnResource {
        self.overrides
            .push((property.into(), value.into().to_cfn()));
        self
    }

    /// An explicit `DependsOn`, for ordering that references do not imply.
    /// Dependencies already implied by a reference are dropped at synth.
    pub fn depends_on(mut self, other: &ResourceRef) -> CfnResource {
        self.depends_on.push(other.clone());
        self
    }

    /// `DeletionPolicy` and `UpdateReplacePolicy` together.
    pub fn removal_policy(mut self, policy: DeletionPolicy) -> CfnResource {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    /// Create the resource only when the template condition `name` holds (see
    /// [`Stack::add_condition`](super::Stack::add_condition)).
    pub fn condition(mut self, name: impl Into<String>) -> CfnResource {
        self.condition = Some(name.into());
        self
    }

    /// A `Metadata` entry, e.g. for tools that read templates (checkov skips,
    /// `mlcdk:suppress`).
    pub fn metadata(mut self, key: impl Into<String>, value: Value) -> CfnResource {
        self.metadata.insert(key.into(), value);
        self
    }

    /// The resource type, e.g. `AWS::S3::Bucket`.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }
}

/// A handle to a resource of a stack: renders as `Ref` / `Fn::GetAtt`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceRef {
    pub(super) logical_id: String,
    pub(super) resource_type: String,
    pub(super) index: usize,
}

impl ResourceRef {
    /// The logical ID as computed from the path (before any override; references
    /// are renamed at synth).
    pub fn logical_id(&self) -> &str {
        &self.logical_id
    }

    /// The resource type, e.g. `AWS::S3::Bucket`.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// `{"Ref": id}`: what it returns depends on the type (a name, an ARN, an id).
    pub fn reference(&self) -> Expr {
        Expr::reference(&self.logical_id)
    }

    /// `{"Fn::GetAtt": [id, attribute]}`.
    pub fn get_att(&self, attribute: &str) -> Expr {
        Expr::get_att(&self.logical_id, attribute)
    }
}

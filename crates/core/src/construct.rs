//! The handle every construct returns, written once: its primary resource,
//! its construct path, its name and ARN, and its physical name where that is
//! fixed at synth (see `docs/construct-guidelines.md`, "The handle").
//!
//! A construct keeps a [`Handle`] and implements [`Construct`] (and
//! [`PhysicallyNamed`] when its name is fixed at synth); the accessors are
//! the traits' provided methods, so they read the same on every construct:
//!
//! ```
//! use mlcdk_core::naming::format_arn;
//! use mlcdk_core::{CfnResource, Construct, Expr, Handle, PhysicallyNamed, Scope, Stack, naming};
//!
//! struct Queue {
//!     handle: Handle,
//! }
//!
//! impl Construct for Queue {
//!     fn handle(&self) -> &Handle {
//!         &self.handle
//!     }
//! }
//! impl PhysicallyNamed for Queue {}
//!
//! let mut stack = Stack::for_test();
//! let mut node = stack.node("Jobs");
//! let name = node.physical_name_for(naming::GLUE_JOB);
//! let resource = node.add_resource("Resource", CfnResource::new("AWS::Glue::Job"));
//! let queue = Queue {
//!     handle: Handle::regional(resource, node.path().clone(), "glue", "job/").named(name),
//! };
//! assert_eq!(queue.physical_name(), "test-staging-Jobs");
//! assert_eq!(queue.name(), queue.resource().reference());
//! assert_eq!(queue.node_path().to_string(), "Jobs");
//! assert_eq!(
//!     queue.arn(),
//!     Expr::concat([format_arn("glue", "job/"), queue.resource().reference()])
//! );
//! ```

use crate::expr::Expr;
use crate::naming::format_arn;
use crate::stack::{ConstructPath, ResourceRef};

/// What a construct's handle holds: its primary resource, its construct
/// path, its name and ARN (expressions that carry a reference when they
/// read the resource), and its physical name when it is fixed at synth.
///
/// It is boxed: a handle is one pointer in the construct, so a construct
/// stays small enough to sit in an enum variant (`BucketEncryption::Kms`).
#[derive(Clone, Debug, PartialEq)]
pub struct Handle(Box<Parts>);

#[derive(Clone, Debug, PartialEq)]
struct Parts {
    resource: ResourceRef,
    path: ConstructPath,
    physical_name: Option<String>,
    name: Expr,
    arn: Expr,
}

impl Handle {
    /// The handle of `resource`, made at `path`, with ARN `arn`; its name
    /// is the resource's `Ref` (change it with [`Handle::with_name`]) and it
    /// has no physical name (set one with [`Handle::named`]).
    pub fn new(resource: ResourceRef, path: ConstructPath, arn: Expr) -> Handle {
        Handle(Box::new(Parts {
            name: resource.reference(),
            resource,
            path,
            physical_name: None,
            arn,
        }))
    }

    /// The same handle with the name fixed at synth, `physical_name`.
    #[must_use]
    pub fn named(mut self, physical_name: impl Into<String>) -> Handle {
        self.0.physical_name = Some(physical_name.into());
        self
    }

    /// The same handle whose name is `name` (for resources whose `Ref` is not
    /// their name, e.g. `GetAtt ModelName`).
    #[must_use]
    pub fn with_name(mut self, name: Expr) -> Handle {
        self.0.name = name;
        self
    }

    /// The handle of a regional resource of the stack's account whose `Ref`
    /// is its name (Glue jobs, crawlers and databases, Athena workgroups,
    /// feature groups): its ARN is
    /// `arn:…:<service>:<region>:<account>:<arn_prefix><Ref>`, so it refers
    /// to the resource too.
    pub fn regional(
        resource: ResourceRef,
        path: ConstructPath,
        service: &str,
        arn_prefix: &str,
    ) -> Handle {
        let arn = Expr::concat([format_arn(service, arn_prefix), resource.reference()]);
        Handle::new(resource, path, arn)
    }

    /// The primary resource.
    pub fn resource(&self) -> &ResourceRef {
        &self.0.resource
    }

    /// The construct path.
    pub fn path(&self) -> &ConstructPath {
        &self.0.path
    }

    /// The name fixed at synth, if there is one.
    pub fn physical_name(&self) -> Option<&str> {
        self.0.physical_name.as_deref()
    }

    /// The name (a reference to the resource unless it is fixed).
    pub fn name(&self) -> Expr {
        self.0.name.clone()
    }

    /// The ARN.
    pub fn arn(&self) -> Expr {
        self.0.arn.clone()
    }
}

/// A construct: what every construct's handle gives (see
/// `docs/construct-guidelines.md`). Implement [`Construct::handle`]; the
/// other methods read it.
pub trait Construct {
    /// The construct's [`Handle`].
    fn handle(&self) -> &Handle;

    /// The primary resource, e.g. to depend on it, override a property of it
    /// or suppress a finding on it.
    fn resource(&self) -> &ResourceRef {
        self.handle().resource()
    }

    /// The construct path.
    fn node_path(&self) -> &ConstructPath {
        self.handle().path()
    }

    /// The name, as an expression that refers to the resource (and so makes
    /// whatever uses it depend on it) unless the resource has no name
    /// attribute; see each construct's documentation.
    fn name(&self) -> Expr {
        self.handle().name()
    }

    /// The ARN, as an expression; see each construct's documentation for
    /// whether it refers to the resource.
    fn arn(&self) -> Expr {
        self.handle().arn()
    }
}

/// A construct whose name is fixed at synth (`<app>-<stage>-<path>` under the
/// service's [`NamingRule`](crate::NamingRule)); its handle is made with
/// [`Handle::named`].
pub trait PhysicallyNamed: Construct {
    /// The name fixed at synth: the way to name the resource without
    /// depending on it (to break a cycle), and for documents.
    fn physical_name(&self) -> &str {
        self.handle().physical_name().unwrap_or_default()
    }
}

/// A name → value map from pairs, for the props that are such maps (Glue job
/// arguments, hyperparameters, environment variables, metric dimensions):
/// the names become `String`s and the values whatever the field holds.
///
/// ```
/// use std::collections::BTreeMap;
/// use mlcdk_core::{Expr, named};
///
/// let hyperparameters: BTreeMap<String, String> = named([("objective", "binary:logistic"), ("num_round", "100")]);
/// assert_eq!(hyperparameters["num_round"], "100");
/// let arguments: BTreeMap<String, Expr> = named([("--table", Expr::lit("events"))]);
/// assert_eq!(arguments.len(), 1);
/// ```
pub fn named<K: Into<String>, V: Into<T>, T>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> std::collections::BTreeMap<String, T> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

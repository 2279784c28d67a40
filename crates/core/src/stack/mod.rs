//! The construct tree below a stage: [`Stack`], nested scopes ([`Node`]),
//! resources ([`CfnResource`]) and their handles ([`ResourceRef`]).
//!
//! A construct is created with a scope and an id; the scope is the stack itself
//! or a node inside it:
//!
//! ```
//! use mlcdk_core::{CfnResource, Scope, Stack, Expr};
//! use serde_json::json;
//!
//! let mut stack = Stack::for_test();
//! let mut team = stack.node("Team");
//! let topic = team.add_resource(
//!     "Alerts",
//!     CfnResource::new("AWS::SNS::Topic").set("KmsMasterKeyId", Expr::lit("alias/aws/sns")),
//! );
//! assert_eq!(topic.logical_id(), "TeamAlerts6050FA24");
//! let template = stack.synth().unwrap().template;
//! assert_eq!(template.resources.len(), 1);
//! ```
//!
//! Escape hatches reach any resource a construct made, by its [`ResourceRef`]
//! or its construct path: [`Stack::add_property_override`] and
//! [`Stack::add_override`] change the template entry,
//! [`Stack::suppress`], [`Stack::suppress_subtree`] and
//! [`Stack::suppress_stack`] suppress findings with a reason, and
//! [`Stack::add_tag_at`] tags a subtree. Each is applied at synth and shows in
//! the template.
//!
//! The module is split by concern: the tree, its scopes and the stack's
//! sections here; resources and their handles in `resource.rs`; subtree tags
//! and suppressions in `subtree.rs`; property and attribute overrides in
//! `overrides.rs`; and [`Stack::synth`], one function per phase, in
//! `synth.rs`. References in template values are walked by
//! [`crate::template::references`].

mod overrides;
mod resource;
mod subtree;
mod synth;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::app::{Env, StageInfo, StageKind};
use crate::asset::{Asset, AssetEntry, AssetRef};
use crate::error::ValidationError;
use crate::expr::{Condition, Expr};
use crate::limits;
use crate::logical_id;
use crate::tags;
use crate::template::{DeletionPolicy, Parameter, Template};

/// Kept at its old path: the walker lives with the template model now.
pub use crate::template::visit_references;
pub use resource::{CfnResource, ResourceRef};

/// The path of a construct below its stack: the ids from the stack down.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConstructPath(Vec<String>);

impl ConstructPath {
    /// The path of a child with id `id`.
    pub fn child(&self, id: &str) -> ConstructPath {
        let mut c = self.0.clone();
        c.push(id.to_string());
        ConstructPath(c)
    }

    /// The ids, from the stack down.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether this is the stack itself (no ids).
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConstructPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

struct ResourceEntry {
    path: ConstructPath,
    default_id: String,
    override_id: Option<String>,
    resource: CfnResource,
    /// `add_property_override`: a path into the properties and its value.
    property_overrides: Vec<(Vec<String>, Value)>,
    /// `add_override` of a resource attribute other than `Properties`.
    attribute_overrides: Vec<(Vec<String>, Value)>,
}

/// A suppression or a tag on a construct path and everything below it,
/// applied at synth (so resources added after the call are covered too).
struct SubtreeEntry {
    path: String,
    kind: SubtreeKind,
}

enum SubtreeKind {
    Suppress { rule: String, reason: String },
    Tag { key: String, value: String },
}

struct OutputEntry {
    path: ConstructPath,
    name: String,
    output: OutputProps,
}

/// A stack output.
#[derive(Clone, Debug, Default)]
pub struct OutputProps {
    /// The output's value; `None` is an error at synth (an output needs a
    /// value).
    pub value: Option<Expr>,
    /// Shown by `describe-stacks` and the console.
    pub description: Option<String>,
    /// Export name, for `Fn::ImportValue` in other stacks.
    pub export_name: Option<Expr>,
    /// Emit the output only when this template condition holds.
    pub condition: Option<String>,
}

impl OutputProps {
    /// An output of `value`.
    pub fn new(value: impl Into<Expr>) -> OutputProps {
        OutputProps {
            value: Some(value.into()),
            ..Default::default()
        }
    }

    /// Describe the output.
    pub fn description(mut self, d: impl Into<String>) -> OutputProps {
        self.description = Some(d.into());
        self
    }

    /// Export the value under `name` for other stacks' `Fn::ImportValue`;
    /// export names are unique per account and region.
    pub fn export(mut self, name: impl Into<Expr>) -> OutputProps {
        self.export_name = Some(name.into());
        self
    }
}

/// One stage's CloudFormation stack, while the definition function builds it.
pub struct Stack {
    info: StageInfo,
    base_dir: PathBuf,
    description: Option<String>,
    nodes: HashSet<ConstructPath>,
    resources: Vec<ResourceEntry>,
    outputs: Vec<OutputEntry>,
    parameters: BTreeMap<String, Parameter>,
    conditions: BTreeMap<String, Condition>,
    mappings: BTreeMap<String, Value>,
    tags: BTreeMap<String, String>,
    subtrees: Vec<SubtreeEntry>,
    stack_suppressions: Vec<(String, String)>,
    assets: Vec<AssetEntry>,
    errors: Vec<ValidationError>,
    notes: Vec<String>,
}

/// A stack after synthesis.
#[derive(Clone, Debug)]
pub struct SynthesizedStack {
    /// The stage it was built for.
    pub info: StageInfo,
    /// The template.
    pub template: Template,
    /// The canonical template text ([`Template::to_json_string`]).
    pub text: String,
    /// The assets the deployer uploads before deploying the stack.
    pub assets: Vec<AssetEntry>,
    /// What the definition wants the reader of the plan to know about this
    /// stage ([`Scope::note`]), e.g. that serving is off until a model
    /// version is chosen.
    pub notes: Vec<String>,
}

/// Something constructs can be created in: the stack, or a node inside it.
pub trait Scope {
    /// The stack this scope belongs to, e.g. to read the stage.
    fn stack(&self) -> &Stack;
    #[doc(hidden)]
    fn stack_mut(&mut self) -> &mut Stack;
    /// This scope's construct path; children's logical IDs are derived from it.
    fn path(&self) -> &ConstructPath;

    /// A child scope with id `id`. Ids are unique per scope; a duplicate is
    /// recorded as an error.
    fn node(&mut self, id: &str) -> Node<'_> {
        let path = self.path().child(id);
        self.stack_mut().register(&path);
        Node {
            stack: self.stack_mut(),
            path,
        }
    }

    /// Add a resource with construct id `id` to this scope.
    fn add_resource(&mut self, id: &str, resource: CfnResource) -> ResourceRef {
        let path = self.path().child(id);
        let stack = self.stack_mut();
        stack.register(&path);
        stack.push_resource(path, resource)
    }

    /// Add a stack output with construct id `id`; its name follows the same
    /// rules as logical IDs.
    fn add_output(&mut self, id: &str, output: OutputProps) {
        let path = self.path().child(id);
        let stack = self.stack_mut();
        stack.register(&path);
        let components: Vec<&str> = path.components().collect();
        let name = logical_id::logical_id(&components).unwrap_or_default();
        stack.outputs.push(OutputEntry { path, name, output });
    }

    /// Record a validation error against this scope's path.
    fn error(&mut self, message: impl Into<String>)
    where
        Self: Sized,
    {
        let path = self.path().clone();
        self.stack_mut().error_at(&path, message.into());
    }

    /// The stage this stack belongs to.
    fn stage(&self) -> &StageInfo {
        &self.stack().info
    }

    /// A line the plan prints under this stage, for what a reviewer should
    /// know that the template does not say (e.g. "serving is off until
    /// `model_version` is set", or which cost allocation tag a budget needs).
    /// Notes are not errors: the stage deploys.
    fn note(&mut self, note: impl Into<String>)
    where
        Self: Sized,
    {
        self.stack_mut().notes.push(note.into());
    }

    /// Register a file asset: it is hashed now and uploaded by the deployer to
    /// the environment's assets bucket under `assets/<sha256>/<file name>`.
    fn asset(&mut self, asset: Asset) -> AssetRef
    where
        Self: Sized,
    {
        let path = self.path().clone();
        let stack = self.stack_mut();
        match asset.resolve(&stack.base_dir) {
            Ok(entry) => {
                let r = entry.reference();
                if !stack.assets.iter().any(|a| a.sha256 == entry.sha256) {
                    stack.assets.push(entry);
                }
                r
            }
            Err(message) => {
                stack.error_at(&path, message);
                AssetRef::unresolved()
            }
        }
    }

    /// The policy a stateful resource gets: Retain unless `requested` says
    /// otherwise, and never Delete in a production stage (an error).
    fn removal_policy(&mut self, requested: Option<DeletionPolicy>) -> DeletionPolicy
    where
        Self: Sized,
    {
        match requested {
            None => DeletionPolicy::Retain,
            Some(p @ (DeletionPolicy::Delete | DeletionPolicy::Snapshot))
                if self.stage().kind == StageKind::Production =>
            {
                self.error(format!(
                    "removal policy {p:?} is not allowed in production stage '{}': stateful resources are retained there (use Retain or RetainExceptOnCreate)",
                    self.stage().name
                ));
                DeletionPolicy::Retain
            }
            Some(p) => p,
        }
    }

    /// A physical name for a resource of this scope that must be unique in the
    /// account and region: `<app><sep><stage><sep><path…>`, characters other than
    /// letters and digits dropped, cut to `max_len` with a hash of the whole so
    /// that cut names stay distinct. Names include the stage, so two stages can
    /// share an account.
    ///
    /// Prefer [`Scope::physical_name_for`] with a rule of
    /// [`naming`](crate::naming), which also lower-cases where the service
    /// requires it; this method stays for constructs not yet moved to it and
    /// will be removed once none calls it.
    fn physical_name(&self, sep: char, max_len: usize) -> String {
        self.physical_name_for(crate::naming::NamingRule::new(sep, max_len, false))
    }

    /// A physical name under a service's naming rule (see
    /// [`naming`](crate::naming)): `<app><sep><stage><sep><path…>`, characters
    /// other than letters and digits dropped, cut to the rule's length with a
    /// hash of the whole so that cut names stay distinct, lower-cased when the
    /// rule says so. Names include the stage, so two stages can share an
    /// account.
    ///
    /// ```
    /// use mlcdk_core::{Scope, Stack, naming};
    /// let mut stack = Stack::for_test();
    /// let lake = stack.node("Lake-DB");
    /// assert_eq!(lake.physical_name_for(naming::GLUE_DATABASE), "test_staging_lakedb");
    /// ```
    fn physical_name_for(&self, rule: crate::naming::NamingRule) -> String {
        let info = self.stage();
        crate::naming::physical_name(
            [info.app.as_str(), info.name.as_str()]
                .into_iter()
                .chain(self.path().components()),
            rule,
        )
    }

    /// An explicit dependency of `from` on `on`.
    fn add_dependency(&mut self, from: &ResourceRef, on: &ResourceRef) {
        if let Some(entry) = self.stack_mut().resources.get_mut(from.index) {
            entry.resource.depends_on.push(on.clone());
        }
    }
}

/// A scope inside a stack (a construct's own subtree).
pub struct Node<'a> {
    stack: &'a mut Stack,
    path: ConstructPath,
}

impl Scope for Node<'_> {
    fn stack(&self) -> &Stack {
        self.stack
    }
    fn stack_mut(&mut self) -> &mut Stack {
        self.stack
    }
    fn path(&self) -> &ConstructPath {
        &self.path
    }
}

static ROOT: ConstructPath = ConstructPath(Vec::new());

impl Scope for Stack {
    fn stack(&self) -> &Stack {
        self
    }
    fn stack_mut(&mut self) -> &mut Stack {
        self
    }
    fn path(&self) -> &ConstructPath {
        &ROOT
    }
}

impl Stack {
    pub(crate) fn new(info: StageInfo, base_dir: PathBuf) -> Stack {
        let mut stack = Stack {
            info,
            base_dir,
            description: None,
            nodes: HashSet::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
            parameters: BTreeMap::new(),
            conditions: BTreeMap::new(),
            mappings: BTreeMap::new(),
            tags: BTreeMap::new(),
            subtrees: Vec::new(),
            stack_suppressions: Vec::new(),
            assets: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
        };
        if let Err(e) = limits::check_stack_name(&stack.info.stack_name) {
            stack.errors.push(ValidationError {
                path: stack.info.stack_name.clone(),
                message: e,
            });
        }
        let (app, stage) = (stack.info.app.clone(), stack.info.name.clone());
        stack.add_tag("app", &app);
        stack.add_tag("stage", &stage);
        stack
    }

    /// A staging stack `test-staging` in account 111111111111, us-east-1, for
    /// examples and unit tests.
    pub fn for_test() -> Stack {
        Stack::for_stage(StageKind::Staging)
    }

    /// Like [`Stack::for_test`], for a given stage kind (`test-<kind>`).
    pub fn for_stage(kind: StageKind) -> Stack {
        let name = match kind {
            StageKind::Staging => "staging",
            StageKind::Production => "production",
            StageKind::Other => "dev",
        };
        Stack::new(
            StageInfo::new("test", name, kind, Env::new("111111111111", "us-east-1")),
            std::env::current_dir().unwrap_or_default(),
        )
    }

    /// The CloudFormation stack name, `<app>-<stage>`.
    pub fn stack_name(&self) -> &str {
        &self.info.stack_name
    }

    /// Re-enter the scope of a construct created earlier (its path, as the
    /// construct's handle keeps it), to add more to it: a method such as
    /// `monitor.retrain_on_drift(stack, …)` puts its resources under the monitor.
    /// Unlike [`Scope::node`], this registers nothing.
    pub fn scope_at(&mut self, path: &ConstructPath) -> Node<'_> {
        Node {
            stack: self,
            path: path.clone(),
        }
    }

    /// The directory relative asset paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The template's `Description` (at most 1,024 bytes).
    pub fn set_description(&mut self, description: impl Into<String>) {
        self.description = Some(description.into());
    }

    /// A tag for every taggable resource of the stack (besides `app` and `stage`).
    pub fn add_tag(&mut self, key: &str, value: &str) {
        match tags::validate(key, value) {
            Ok(()) => {
                self.tags.insert(key.to_string(), value.to_string());
            }
            Err(e) => self.error_at(&ConstructPath::default(), e),
        }
    }

    /// A template parameter; returns its `Ref`.
    pub fn add_parameter(&mut self, name: &str, parameter: Parameter) -> Expr {
        let r = insert_named(&mut self.parameters, "parameter", name, parameter);
        self.record(r);
        Expr::reference(name)
    }

    /// A named condition, for `CfnResource::condition` and `Expr::if_`.
    pub fn add_condition(&mut self, name: &str, condition: Condition) -> String {
        let r = insert_named(&mut self.conditions, "condition", name, condition);
        self.record(r);
        name.to_string()
    }

    /// A mapping for `Expr::find_in_map`: top-level key → second-level key → value.
    pub fn add_mapping(&mut self, name: &str, entries: BTreeMap<String, BTreeMap<String, Value>>) {
        let value = serde_json::to_value(entries).expect("maps of JSON values serialize");
        let r = insert_named(&mut self.mappings, "mapping", name, value);
        self.record(r);
    }

    fn record(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.error_at(&ConstructPath::default(), e);
        }
    }

    /// Give the resource `resource` a logical ID of your choice (for renames
    /// that must keep the deployed resource). References are rewritten at synth.
    pub fn override_logical_id(&mut self, resource: &ResourceRef, logical_id: &str) {
        if let Some(entry) = self.resources.get_mut(resource.index) {
            entry.override_id = Some(logical_id.to_string());
        }
    }

    /// The resource at a construct path below the stack (`"Adhoc/Config"`, as
    /// `Metadata.mlcdk:path` and `check` show it), for a construct that does
    /// not hand out a reference to it — e.g. to suppress a finding there.
    /// `None` when no resource has that path.
    pub fn resource_at(&self, path: &str) -> Option<ResourceRef> {
        self.resources
            .iter()
            .enumerate()
            .find(|(_, e)| e.path.to_string() == path)
            .map(|(index, e)| ResourceRef {
                logical_id: e.default_id.clone(),
                resource_type: e.resource.resource_type.clone(),
                index,
            })
    }

    /// The ARN of a regional resource of this stack's account
    /// ([`naming::format_arn`](crate::naming::format_arn)):
    /// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:<resource>`.
    /// For IAM and S3, see the other functions of [`naming`](crate::naming).
    pub fn format_arn(&self, service: &str, resource: &str) -> Expr {
        crate::naming::format_arn(service, resource)
    }

    /// Validation errors recorded so far.
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }

    pub(crate) fn error_at(&mut self, path: &ConstructPath, message: String) {
        let path = if path.is_root() {
            self.info.stack_name.clone()
        } else {
            format!("{}/{}", self.info.stack_name, path)
        };
        self.errors.push(ValidationError { path, message });
    }

    fn register(&mut self, path: &ConstructPath) {
        let id = path.0.last().map(String::as_str).unwrap_or_default();
        let parent = ConstructPath(path.0[..path.0.len().saturating_sub(1)].to_vec());
        if id.is_empty() {
            self.error_at(
                &parent,
                "construct id is empty; ids need at least one character".into(),
            );
        } else if id.contains('/') {
            self.error_at(
                &parent,
                format!("construct id '{id}' contains '/', which separates path components; use another character"),
            );
        }
        if !self.nodes.insert(path.clone()) {
            let scope = if parent.is_root() {
                "the stack".to_string()
            } else {
                format!("'{parent}'")
            };
            self.error_at(
                &parent,
                format!("duplicate construct id '{id}': {scope} already has a child with that id; ids must be unique within their scope"),
            );
        }
    }

    fn push_resource(&mut self, path: ConstructPath, resource: CfnResource) -> ResourceRef {
        let components: Vec<&str> = path.components().collect();
        let default_id = logical_id::logical_id(&components).unwrap_or_default();
        let r = ResourceRef {
            logical_id: default_id.clone(),
            resource_type: resource.resource_type.clone(),
            index: self.resources.len(),
        };
        self.resources.push(ResourceEntry {
            path,
            default_id,
            override_id: None,
            resource,
            property_overrides: Vec::new(),
            attribute_overrides: Vec::new(),
        });
        r
    }
}

/// Adds `value` under a validated, not yet used `name` of a template section.
fn insert_named<T>(
    section: &mut BTreeMap<String, T>,
    kind: &str,
    name: &str,
    value: T,
) -> Result<(), String> {
    limits::check_name(kind, name)?;
    if section.insert(name.to_string(), value).is_some() {
        return Err(format!(
            "{kind} '{name}' is defined twice; {kind} names are unique per stack"
        ));
    }
    Ok(())
}

/// A construct path from its text form (`"A/B"`), for error messages.
fn path_of(path: &str) -> ConstructPath {
    ConstructPath(path.split('/').map(str::to_string).collect())
}

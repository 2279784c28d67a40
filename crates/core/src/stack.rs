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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::app::{Env, StageInfo, StageKind};
use crate::asset::{Asset, AssetEntry, AssetRef};
use crate::error::{ValidationError, ValidationErrors};
use crate::expr::{Condition, Expr};
use crate::json::Json;
use crate::limits;
use crate::logical_id;
use crate::suppression;
use crate::tags;
use crate::template::{DeletionPolicy, Export, Output, Parameter, Resource, Template};

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

type LazyProperties = Rc<dyn Fn() -> Result<Map<String, Value>, Vec<String>>>;

#[derive(Clone)]
enum Properties {
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
    resource_type: String,
    properties: Properties,
    overrides: Vec<(String, Value)>,
    depends_on: Vec<ResourceRef>,
    deletion_policy: Option<DeletionPolicy>,
    update_replace_policy: Option<DeletionPolicy>,
    condition: Option<String>,
    metadata: BTreeMap<String, Value>,
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
    /// [`Stack::add_condition`]).
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
    logical_id: String,
    resource_type: String,
    index: usize,
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

/// Whether the resource path `path` is `subtree` or below it.
fn is_under(path: &str, subtree: &str) -> bool {
    path.strip_prefix(subtree)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
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

    /// A tag for every taggable resource at the construct path `path`
    /// (`"Serving"`, `"Serving/Endpoint"`, or a handle's `node_path()`, a
    /// [`ConstructPath`]) or below it, in addition to the
    /// stack's tags. Applied at synth, so resources added to the subtree after
    /// this call are tagged too.
    ///
    /// Precedence, lowest first: stack tags ([`Stack::add_tag`], `app`,
    /// `stage`), subtree tags (a deeper subtree wins over a shallower one, a
    /// later call over an earlier one on the same path), then the tags the
    /// construct set on the resource itself. A path with no resource at or
    /// below it is a validation error, as is an invalid tag.
    ///
    /// ```
    /// use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// stack.add_tag("team", "platform");
    /// stack.add_tag_at("Serving", "team", "scoring");
    /// let mut serving = stack.node("Serving");
    /// let topic = serving.add_resource("Alerts", CfnResource::new("AWS::SNS::Topic"));
    /// let template = stack.synth().unwrap().template;
    /// let tags = &template.resources[topic.logical_id()].properties["Tags"];
    /// assert!(tags.as_array().unwrap().contains(&serde_json::json!({"Key": "team", "Value": "scoring"})));
    /// ```
    pub fn add_tag_at(&mut self, path: impl fmt::Display, key: &str, value: &str) {
        let Some(path) = self.subtree_path(path, "tag", "use add_tag to tag the whole stack")
        else {
            return;
        };
        match tags::validate(key, value) {
            Ok(()) => self.subtrees.push(SubtreeEntry {
                path,
                kind: SubtreeKind::Tag {
                    key: key.to_string(),
                    value: value.to_string(),
                },
            }),
            Err(e) => self.error_at(&path_of(&path), e),
        }
    }

    /// A subtree path without surrounding slashes, or `None` (and an error)
    /// when it is empty.
    fn subtree_path(
        &mut self,
        path: impl fmt::Display,
        what: &str,
        instead: &str,
    ) -> Option<String> {
        let path = path.to_string();
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() {
            self.error_at(
                &ConstructPath::default(),
                format!("{what} on the subtree '{path}': the construct path is empty; {instead}"),
            );
            return None;
        }
        Some(trimmed.to_string())
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

    /// [`Stack::suppress`] on the resource at a construct path (see
    /// [`Stack::resource_at`]). A path with no resource is a validation error:
    /// a suppression must not outlive what it was written for silently.
    pub fn suppress_at(&mut self, path: &str, rule: &str, reason: &str) {
        match self.resource_at(path) {
            Some(r) => self.suppress(&r, rule, reason),
            None => self.errors.push(ValidationError {
                path: self.info.stack_name.clone(),
                message: format!(
                    "suppression of {rule} at '{path}': no resource has that construct path"
                ),
            }),
        }
    }

    /// Suppress a check's finding on one resource. The reason is required (at
    /// least [`MIN_REASON_CHARS`](crate::suppression::MIN_REASON_CHARS)
    /// characters) and is written to the resource's Metadata
    /// (`mlcdk:suppress`), so a reviewer sees it in the template and its
    /// snapshot. Checkov ids (`CKV_…`) are written where checkov reads them
    /// (`checkov.skip`). See [`suppression`].
    ///
    /// ```
    /// # use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// let topic = stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
    /// stack.suppress(&topic, "SNS-001", "carries only public build notifications");
    /// ```
    pub fn suppress(&mut self, resource: &ResourceRef, rule: &str, reason: &str) {
        let Some(entry) = self.resources.get_mut(resource.index) else {
            return;
        };
        if let Err(e) = suppression::validate(rule, reason) {
            let path = entry.path.clone();
            self.error_at(&path, e);
            return;
        }
        suppression::write(&mut entry.resource.metadata, rule, reason.trim());
    }

    /// Suppress a check's finding on every resource at the construct path
    /// `path` (`"Serving"`, or a handle's `node_path()`, a [`ConstructPath`])
    /// or below it (`"Serving/Config"`, …), with a
    /// reason, as [`Stack::suppress`] writes it on each. Applied at synth, so
    /// resources added to the subtree after this call are covered too; a path
    /// with no resource at or below it is a validation error.
    ///
    /// ```
    /// # use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// let mut logs = stack.node("Logs");
    /// let bucket = logs.add_resource("Bucket", CfnResource::new("AWS::S3::Bucket"));
    /// stack.suppress_subtree("Logs", "S3-005", "the access-log bucket does not log into itself");
    /// let template = stack.synth().unwrap().template;
    /// assert_eq!(
    ///     template.resources[bucket.logical_id()].metadata["mlcdk:suppress"],
    ///     serde_json::json!([{"rule": "S3-005", "reason": "the access-log bucket does not log into itself"}])
    /// );
    /// ```
    pub fn suppress_subtree(&mut self, path: impl fmt::Display, rule: &str, reason: &str) {
        let Some(path) = self.subtree_path(
            path,
            &format!("suppression of {rule}"),
            "use suppress_stack for the whole stack",
        ) else {
            return;
        };
        match suppression::validate(rule, reason) {
            Ok(()) => self.subtrees.push(SubtreeEntry {
                path,
                kind: SubtreeKind::Suppress {
                    rule: rule.to_string(),
                    reason: reason.trim().to_string(),
                },
            }),
            Err(e) => self.error_at(&path_of(&path), e),
        }
    }

    /// Suppress a check's rule for the whole stack: its stack-level findings
    /// (such as `COST-001`, a stage without a budget, reported on `(stack)`)
    /// and its findings on every resource. Written to the template's top-level
    /// `Metadata.mlcdk:suppress` with the reason (see
    /// [`suppression`]). Checkov reads skips only on
    /// resources, so a checkov id (`CKV_…`) here is an error: use
    /// [`Stack::suppress_subtree`] or [`Stack::suppress`] for it.
    ///
    /// ```
    /// # use mlcdk_core::Stack;
    /// let mut stack = Stack::for_test();
    /// stack.suppress_stack("COST-001", "the sandbox account's budget covers this stage");
    /// let template = stack.synth().unwrap().template;
    /// assert_eq!(
    ///     template.metadata["mlcdk:suppress"],
    ///     serde_json::json!([{"rule": "COST-001", "reason": "the sandbox account's budget covers this stage"}])
    /// );
    /// ```
    pub fn suppress_stack(&mut self, rule: &str, reason: &str) {
        let root = ConstructPath::default();
        if let Err(e) = suppression::validate(rule, reason) {
            self.error_at(&root, e);
        } else if rule.starts_with("CKV") {
            self.error_at(
                &root,
                format!("stack suppression of {rule}: checkov reads skips only on resources; use suppress_subtree or suppress"),
            );
        } else if !self.stack_suppressions.iter().any(|(r, _)| r == rule) {
            self.stack_suppressions
                .push((rule.to_string(), reason.trim().to_string()));
        }
    }

    /// Override a property of a resource, whichever construct made it: `path`
    /// is a dotted path into the resource's `Properties` (`"A.B.C"`; a number
    /// indexes a list, `"ProductionVariants.0.InitialInstanceCount"`; `\.`
    /// is a dot inside a key). Objects on the way are created; a list index
    /// must exist. Applied at synth after the construct's properties are
    /// rendered (policies that grew with grants included), so the override
    /// wins, and it shows in the template and its snapshot. Stack tags are
    /// merged into an overridden `Tags` as into the construct's own.
    ///
    /// An empty or malformed path (an empty component, as in `"A..B"`) is a
    /// validation error at the resource's construct path, and so is an index
    /// past the end of a list.
    ///
    /// ```
    /// use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// let bucket = stack.add_resource("Data", CfnResource::new("AWS::S3::Bucket"));
    /// stack.add_property_override(&bucket, "VersioningConfiguration.Status", "Enabled");
    /// let template = stack.synth().unwrap().template;
    /// assert_eq!(
    ///     template.resources["Data"].properties["VersioningConfiguration"],
    ///     serde_json::json!({"Status": "Enabled"})
    /// );
    /// ```
    pub fn add_property_override(
        &mut self,
        resource: &ResourceRef,
        path: &str,
        value: impl Into<Json>,
    ) {
        let Some(entry) = self.resources.get_mut(resource.index) else {
            return;
        };
        match parse_override_path(path) {
            Ok(segments) => entry
                .property_overrides
                .push((segments, value.into().to_cfn())),
            Err(e) => {
                let at = entry.path.clone();
                self.error_at(&at, e);
            }
        }
    }

    /// Override a resource attribute of the template entry, whichever
    /// construct made the resource: `path` starts with the attribute —
    /// `Properties` (then as [`Stack::add_property_override`]), `Metadata`
    /// (e.g. `"Metadata.cfn-lint.config.ignore_checks"`), `DependsOn`,
    /// `DeletionPolicy`, `UpdateReplacePolicy` or `Condition`. Applied at synth
    /// after everything else (metadata overrides after `mlcdk:path` and
    /// suppressions are written); the result must still be a valid entry
    /// (a `DeletionPolicy` of `Retain`, `Delete`, …), or it is a validation
    /// error at the resource's path, as is another first component (`Type`
    /// cannot be changed).
    ///
    /// ```
    /// use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// let topic = stack.add_resource("Alerts", CfnResource::new("AWS::SNS::Topic"));
    /// stack.add_override(&topic, "Metadata.cfn-lint.config.ignore_checks", serde_json::json!(["W3005"]));
    /// stack.add_override(&topic, "UpdateReplacePolicy", "Retain");
    /// let template = stack.synth().unwrap().template;
    /// let alerts = &template.resources["Alerts"];
    /// assert_eq!(alerts.metadata["cfn-lint"], serde_json::json!({"config": {"ignore_checks": ["W3005"]}}));
    /// assert_eq!(alerts.update_replace_policy, Some(mlcdk_core::DeletionPolicy::Retain));
    /// ```
    pub fn add_override(&mut self, resource: &ResourceRef, path: &str, value: impl Into<Json>) {
        let Some(entry) = self.resources.get_mut(resource.index) else {
            return;
        };
        let result = parse_override_path(path).and_then(|mut segments| {
            match segments[0].as_str() {
                "Properties" if segments.len() > 1 => {
                    segments.remove(0);
                    entry
                        .property_overrides
                        .push((segments, value.into().to_cfn()));
                    Ok(())
                }
                "Properties" => Err(format!(
                    "override '{path}': name a property below Properties (\"Properties.A.B\")"
                )),
                "Metadata" | "DependsOn" | "DeletionPolicy" | "UpdateReplacePolicy"
                | "Condition" => {
                    entry
                        .attribute_overrides
                        .push((segments, value.into().to_cfn()));
                    Ok(())
                }
                other => Err(format!(
                    "override '{path}': '{other}' is not a resource attribute that can be overridden; accepted: Properties, Metadata, DependsOn, DeletionPolicy, UpdateReplacePolicy, Condition"
                )),
            }
        });
        if let Err(e) = result {
            let at = entry.path.clone();
            self.error_at(&at, e);
        }
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

    /// Render the template and check it; every problem is reported at once.
    pub fn synth(self) -> Result<SynthesizedStack, ValidationErrors> {
        let Stack {
            info,
            description,
            resources,
            outputs,
            parameters,
            conditions,
            mappings,
            tags,
            mut subtrees,
            stack_suppressions,
            assets,
            mut errors,
            notes,
            ..
        } = self;
        let stack_name = info.stack_name.clone();
        let at = |path: &ConstructPath| {
            if path.is_root() {
                stack_name.clone()
            } else {
                format!("{stack_name}/{path}")
            }
        };

        // Logical IDs: overrides, validity, collisions (resources and parameters
        // share one namespace).
        let mut renames: HashMap<String, String> = HashMap::new();
        let mut owners: HashMap<String, String> = parameters
            .keys()
            .map(|p| (p.clone(), format!("parameter '{p}'")))
            .collect();
        let mut final_ids = Vec::with_capacity(resources.len());
        for entry in &resources {
            let id = entry
                .override_id
                .as_ref()
                .unwrap_or(&entry.default_id)
                .clone();
            if let Some(o) = &entry.override_id {
                renames.insert(entry.default_id.clone(), o.clone());
            }
            if !logical_id::is_valid(&id) {
                errors.push(ValidationError {
                    path: at(&entry.path),
                    message: format!(
                        "logical ID '{}' ({} characters) is invalid: logical IDs match ^[A-Za-z0-9]{{1,255}}$",
                        abbreviate(&id),
                        id.chars().count()
                    ),
                });
            } else if let Some(owner) = owners.get(&id) {
                errors.push(ValidationError {
                    path: at(&entry.path),
                    message: format!(
                        "logical ID '{id}' collides with {owner}; rename one of them or use override_logical_id"
                    ),
                });
            } else {
                owners.insert(id.clone(), format!("'{}'", at(&entry.path)));
            }
            final_ids.push(id);
        }
        // A rename only applies to references of the overridden resource, not to
        // a different resource that happens to own the old ID now.
        let known_ids: HashSet<&str> = final_ids.iter().map(String::as_str).collect();
        renames.retain(|old, _| !known_ids.contains(old.as_str()));
        let known = |target: &str| {
            target.starts_with("AWS::")
                || known_ids.contains(target)
                || parameters.contains_key(target)
        };

        let mut template = Template {
            format_version: Some(crate::template::FORMAT_VERSION.to_string()),
            description,
            ..Default::default()
        };

        // Subtree tags and suppressions: a deeper path applies after (and so
        // wins over) a shallower one; each must cover at least one resource.
        subtrees.sort_by_key(|s| s.path.split('/').count());
        let mut subtree_used = vec![false; subtrees.len()];

        // The stack is consumed: properties, metadata and types move into the
        // template instead of being copied.
        for (index, entry) in resources.into_iter().enumerate() {
            let id = &final_ids[index];
            let r = entry.resource;
            let mut properties = match r.properties {
                Properties::Static(m) => m,
                Properties::Lazy(render) => match render() {
                    Ok(m) => m,
                    Err(messages) => {
                        errors.extend(messages.into_iter().map(|message| ValidationError {
                            path: at(&entry.path),
                            message,
                        }));
                        Map::new()
                    }
                },
            };
            for (k, v) in r.overrides {
                properties.insert(k, v);
            }
            for (path, value) in entry.property_overrides {
                if let Err(message) = apply_override(&mut properties, &path, value) {
                    errors.push(ValidationError {
                        path: at(&entry.path),
                        message,
                    });
                }
            }
            let mut metadata = r.metadata;
            let path_text = entry.path.to_string();
            let mut subtree_tags: Option<BTreeMap<String, String>> = None;
            for (s, used) in subtrees.iter().zip(subtree_used.iter_mut()) {
                if !is_under(&path_text, &s.path) {
                    continue;
                }
                *used = true;
                match &s.kind {
                    SubtreeKind::Tag { key, value } => {
                        subtree_tags
                            .get_or_insert_with(|| tags.clone())
                            .insert(key.clone(), value.clone());
                    }
                    SubtreeKind::Suppress { rule, reason } => {
                        suppression::write(&mut metadata, rule, reason);
                    }
                }
            }
            if let Some(format) = tags::tag_format(&r.resource_type) {
                tags::apply(
                    &mut properties,
                    format,
                    subtree_tags.as_ref().unwrap_or(&tags),
                );
            }
            if !renames.is_empty() {
                properties
                    .values_mut()
                    .for_each(|v| rename_references(v, &renames));
            }

            // One pass over the references: implied dependencies, and targets
            // that do not exist in this stack.
            let mut referenced: HashSet<&str> = HashSet::new();
            let mut unknown: BTreeSet<String> = BTreeSet::new();
            for v in properties.values() {
                visit_references(v, &mut |target| {
                    if !known(target) {
                        unknown.insert(target.to_string());
                    }
                    if let Some(t) = known_ids.get(target) {
                        referenced.insert(t);
                    }
                });
            }
            for t in unknown {
                errors.push(ValidationError {
                    path: at(&entry.path),
                    message: format!(
                        "refers to '{t}', which is not a resource or parameter of this stack"
                    ),
                });
            }
            let depends_on: BTreeSet<String> = r
                .depends_on
                .iter()
                .map(|dep| final_ids[dep.index].as_str())
                .filter(|target| target != id && !referenced.contains(target))
                .map(str::to_string)
                .collect();

            // The path below the stack (not the stack name), so the same resource
            // carries the same metadata in every stage.
            metadata.insert("mlcdk:path".to_string(), Value::String(path_text));
            let mut resource = Resource {
                resource_type: r.resource_type,
                properties,
                depends_on: depends_on.into_iter().collect(),
                deletion_policy: r.deletion_policy,
                update_replace_policy: r.update_replace_policy,
                condition: r.condition,
                metadata,
            };
            if !entry.attribute_overrides.is_empty() {
                match override_attributes(&resource, entry.attribute_overrides) {
                    Ok(overridden) => resource = overridden,
                    Err(message) => errors.push(ValidationError {
                        path: at(&entry.path),
                        message,
                    }),
                }
            }
            template.resources.insert(id.clone(), resource);
        }

        for (s, used) in subtrees.iter().zip(&subtree_used) {
            if *used {
                continue;
            }
            let what = match &s.kind {
                SubtreeKind::Tag { key, .. } => format!("tag '{key}'"),
                SubtreeKind::Suppress { rule, .. } => format!("suppression of {rule}"),
            };
            errors.push(ValidationError {
                path: at(&path_of(&s.path)),
                message: format!(
                    "{what} on the subtree '{}': no resource is at or below that construct path",
                    s.path
                ),
            });
        }
        if !stack_suppressions.is_empty() {
            template.metadata.insert(
                suppression::METADATA_KEY.to_string(),
                Value::Array(
                    stack_suppressions
                        .into_iter()
                        .map(|(rule, reason)| serde_json::json!({"rule": rule, "reason": reason}))
                        .collect(),
                ),
            );
        }

        let mut output_owners: HashMap<&str, &ConstructPath> = HashMap::new();
        for o in &outputs {
            if let Err(e) = limits::check_name("output", &o.name) {
                errors.push(ValidationError {
                    path: at(&o.path),
                    message: e,
                });
                continue;
            }
            if let Some(first) = output_owners.insert(&o.name, &o.path) {
                errors.push(ValidationError {
                    path: at(&o.path),
                    message: format!(
                        "output name '{}' collides with the output of '{}'",
                        o.name,
                        at(first)
                    ),
                });
                continue;
            }
            let Some(value) = &o.output.value else {
                errors.push(ValidationError {
                    path: at(&o.path),
                    message: "output has no value; set OutputProps::value".into(),
                });
                continue;
            };
            let mut value = value.to_json();
            let mut export = o.output.export_name.as_ref().map(Expr::to_json);
            if !renames.is_empty() {
                rename_references(&mut value, &renames);
                if let Some(e) = export.as_mut() {
                    rename_references(e, &renames);
                }
            }
            let mut unknown = BTreeSet::new();
            visit_references(&value, &mut |t| {
                if !known(t) {
                    unknown.insert(t.to_string());
                }
            });
            for t in unknown {
                errors.push(ValidationError {
                    path: at(&o.path),
                    message: format!(
                        "output '{}' refers to '{t}', which is not a resource or parameter of this stack",
                        o.name
                    ),
                });
            }
            template.outputs.insert(
                o.name.clone(),
                Output {
                    value,
                    description: o.output.description.clone(),
                    export: export.map(|name| Export { name }),
                    condition: o.output.condition.clone(),
                },
            );
        }
        template.parameters = parameters;
        template.mappings = mappings;
        template.conditions = conditions
            .iter()
            .map(|(k, c)| (k.clone(), c.to_json()))
            .collect();

        errors.extend(
            limits::check_template(&template)
                .into_iter()
                .map(|message| ValidationError {
                    path: stack_name.clone(),
                    message,
                }),
        );
        let text = template.to_json_string();
        if let Err(message) = limits::check_size(text.len()) {
            errors.push(ValidationError {
                path: stack_name.clone(),
                message,
            });
        }

        if errors.is_empty() {
            Ok(SynthesizedStack {
                info,
                template,
                text,
                assets,
                notes,
            })
        } else {
            Err(ValidationErrors(errors))
        }
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

/// The components of a property override path: split on `.`, with `\.` a
/// dot inside a component.
fn parse_override_path(path: &str) -> Result<Vec<String>, String> {
    let mut segments = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                segments.last_mut().expect("one segment").push('.');
            }
            '.' => segments.push(String::new()),
            c => segments.last_mut().expect("one segment").push(c),
        }
    }
    if segments.iter().any(String::is_empty) {
        return Err(format!(
            "property override path '{path}' is malformed: it needs property names separated by single dots (\"A.B.C\", \"Variants.0.X\"), with no empty component"
        ));
    }
    Ok(segments)
}

/// The template entry with `overrides` (paths from the attribute down)
/// applied, read back through the template model.
fn override_attributes(
    resource: &Resource,
    overrides: Vec<(Vec<String>, Value)>,
) -> Result<Resource, String> {
    let mut value = serde_json::to_value(resource).map_err(|e| e.to_string())?;
    for (path, v) in overrides {
        set_at(&mut value, &path, v)?;
    }
    serde_json::from_value(value)
        .map_err(|e| format!("the overrides make an invalid resource entry: {e}"))
}

/// Writes `value` at `path` below `properties`, creating objects on the way.
fn apply_override(
    properties: &mut Map<String, Value>,
    path: &[String],
    value: Value,
) -> Result<(), String> {
    let mut root = Value::Object(std::mem::take(properties));
    let result = set_at(&mut root, path, value);
    if let Value::Object(map) = root {
        *properties = map;
    }
    result
}

fn set_at(root: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let mut current = root;
    for (i, segment) in path.iter().enumerate() {
        let above = || {
            if i == 0 {
                "Properties".to_string()
            } else {
                path[..i].join(".")
            }
        };
        current = match current {
            Value::Array(items) => {
                let len = items.len();
                let index: usize = segment.parse().map_err(|_| {
                    format!(
                        "property override '{}': '{}' is a list; index it with a number, not '{segment}'",
                        path.join("."),
                        above()
                    )
                })?;
                items.get_mut(index).ok_or_else(|| {
                    format!(
                        "property override '{}': '{}' has {len} element(s), so there is no element {index}",
                        path.join("."),
                        above()
                    )
                })?
            }
            other => {
                if !other.is_object() {
                    *other = Value::Object(Map::new());
                }
                match other {
                    Value::Object(map) => map.entry(segment.clone()).or_insert(Value::Null),
                    _ => return Err("unreachable: the value was made an object".into()),
                }
            }
        };
    }
    *current = value;
    Ok(())
}

fn abbreviate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Calls `f` with each logical ID (or pseudo parameter) that `value` refers to
/// through `Ref`, `Fn::GetAtt` or an `Fn::Sub` pattern.
pub fn visit_references(value: &Value, f: &mut dyn FnMut(&str)) {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (k, v) = map.iter().next().expect("one entry");
            match (k.as_str(), v) {
                ("Ref", Value::String(target)) => f(target),
                ("Fn::GetAtt", Value::Array(args)) => {
                    if let Some(Value::String(target)) = args.first() {
                        f(target);
                    }
                }
                ("Fn::GetAtt", Value::String(dotted)) => {
                    f(dotted.split('.').next().unwrap_or(dotted));
                }
                ("Fn::Sub", Value::String(pattern)) => {
                    crate::expr::sub_references(pattern).for_each(&mut *f);
                }
                ("Fn::Sub", Value::Array(args)) => {
                    let vars = args.get(1).and_then(Value::as_object);
                    if let Some(Value::String(pattern)) = args.first() {
                        for t in crate::expr::sub_references(pattern) {
                            if !vars.is_some_and(|v| v.contains_key(t)) {
                                f(t);
                            }
                        }
                    }
                    if let Some(vars) = vars {
                        vars.values().for_each(|v| visit_references(v, f));
                    }
                }
                _ => visit_references(v, f),
            }
        }
        Value::Object(map) => map.values().for_each(|v| visit_references(v, f)),
        Value::Array(items) => items.iter().for_each(|v| visit_references(v, f)),
        _ => {}
    }
}

/// Rewrites references to renamed logical IDs (`override_logical_id`).
fn rename_references(value: &mut Value, renames: &HashMap<String, String>) {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (k, v) = map.iter_mut().next().expect("one entry");
            match (k.as_str(), v) {
                ("Ref", Value::String(target)) => {
                    if let Some(new) = renames.get(target.as_str()) {
                        *target = new.clone();
                    }
                }
                ("Fn::GetAtt", Value::Array(args)) => {
                    if let Some(Value::String(target)) = args.first_mut()
                        && let Some(new) = renames.get(target.as_str())
                    {
                        *target = new.clone();
                    }
                }
                // Rewritten only when it names a renamed ID: most patterns
                // (ARNs) name none, and a rewrite allocates.
                ("Fn::Sub", Value::String(pattern))
                    if crate::expr::sub_references(pattern).any(|t| renames.contains_key(t)) =>
                {
                    *pattern = rename_in_sub(pattern, renames, None);
                }
                ("Fn::Sub", Value::String(_)) => {}
                ("Fn::Sub", Value::Array(args)) => {
                    let vars: Option<BTreeSet<String>> = args
                        .get(1)
                        .and_then(Value::as_object)
                        .map(|m| m.keys().cloned().collect());
                    if let Some(Value::String(pattern)) = args.first_mut() {
                        *pattern = rename_in_sub(pattern, renames, vars.as_ref());
                    }
                    if let Some(v) = args.get_mut(1) {
                        rename_references(v, renames);
                    }
                }
                (_, v) => rename_references(v, renames),
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| rename_references(v, renames)),
        Value::Array(items) => items.iter_mut().for_each(|v| rename_references(v, renames)),
        _ => {}
    }
}

fn rename_in_sub(
    pattern: &str,
    renames: &HashMap<String, String>,
    vars: Option<&BTreeSet<String>>,
) -> String {
    use crate::expr::{SubPart, parse_sub};
    let mut out = String::with_capacity(pattern.len());
    for part in parse_sub(pattern) {
        match part {
            SubPart::Text(t) => out.push_str(t),
            SubPart::Escaped(t) => {
                out.push_str("${!");
                out.push_str(t);
                out.push('}');
            }
            SubPart::Var(v) => {
                let (head, tail) = v.split_once('.').map_or((v, None), |(h, t)| (h, Some(t)));
                let head = match renames.get(head) {
                    Some(new) if !vars.is_some_and(|vs| vs.contains(head)) => new.as_str(),
                    _ => head,
                };
                out.push_str("${");
                out.push_str(head);
                if let Some(t) = tail {
                    out.push('.');
                    out.push_str(t);
                }
                out.push('}');
            }
        }
    }
    out
}

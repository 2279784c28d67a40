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
    fn physical_name(&self, sep: char, max_len: usize) -> String {
        let info = self.stage();
        let parts: Vec<String> = [info.app.as_str(), info.name.as_str()]
            .into_iter()
            .chain(self.path().components())
            .map(|p| {
                p.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            })
            .filter(|p| !p.is_empty())
            .collect();
        let full = parts.join(&sep.to_string());
        if full.len() <= max_len {
            return full;
        }
        let hash = crate::logical_id::logical_id(&[full.as_str(), "name"]).unwrap_or_default();
        let hash = &hash[hash.len().saturating_sub(8)..];
        let keep = max_len.saturating_sub(hash.len() + 1);
        format!("{}{sep}{}", &full[..keep], hash.to_ascii_lowercase())
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

    /// Suppress a check's finding on one resource. The reason is required and
    /// is written to the resource's Metadata (`mlcdk:suppress`), so a reviewer
    /// sees it in the template and its snapshot. Checkov ids (`CKV_…`) are
    /// written where checkov reads them (`checkov.skip`).
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
        let path = entry.path.clone();
        if rule.trim().is_empty() || reason.trim().is_empty() {
            self.error_at(
                &path,
                format!(
                    "suppression '{rule}' needs a rule id and a reason (got reason '{reason}'): a reviewer must see why the finding does not apply"
                ),
            );
            return;
        }
        let metadata = &mut entry.resource.metadata;
        let push = |metadata: &mut BTreeMap<String, Value>, key: &str, item: Value| {
            let slot = metadata
                .entry(key.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = slot {
                items.push(item);
            }
        };
        if rule.starts_with("CKV") {
            let checkov = metadata
                .entry("checkov".to_string())
                .or_insert_with(|| serde_json::json!({}));
            if let Value::Object(map) = checkov {
                let skip = map
                    .entry("skip".to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = skip {
                    items.push(serde_json::json!({"id": rule, "comment": reason}));
                }
            }
        } else {
            push(
                metadata,
                "mlcdk:suppress",
                serde_json::json!({"rule": rule, "reason": reason}),
            );
        }
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
            if let Some(format) = tags::tag_format(&r.resource_type) {
                tags::apply(&mut properties, format, &tags);
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

            let mut metadata = r.metadata;
            // The path below the stack (not the stack name), so the same resource
            // carries the same metadata in every stage.
            metadata.insert(
                "mlcdk:path".to_string(),
                Value::String(entry.path.to_string()),
            );
            template.resources.insert(
                id.clone(),
                Resource {
                    resource_type: r.resource_type,
                    properties,
                    depends_on: depends_on.into_iter().collect(),
                    deletion_policy: r.deletion_policy,
                    update_replace_policy: r.update_replace_policy,
                    condition: r.condition,
                    metadata,
                },
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

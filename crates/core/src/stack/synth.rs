//! [`Stack::synth`], one function per phase: resolve the logical IDs (and
//! their collisions), then for each resource render its properties (lazy
//! properties and overrides), apply subtree tags and suppressions and the
//! stack's tags, rename references to overridden IDs, check its references
//! (and drop the dependencies they imply), apply attribute overrides; then
//! the stack-level sections, the outputs, the limits, and the text.
//!
//! Every phase reports into one [`Report`], so every problem of a synth is
//! reported together, in the order the phases run.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

use super::overrides::{apply_override, override_attributes};
use super::resource::{CfnResource, Properties};
use super::subtree::is_under;
use super::{
    ConstructPath, OutputEntry, ResourceEntry, Stack, SubtreeEntry, SubtreeKind, SynthesizedStack,
    path_of,
};
use crate::error::{ValidationError, ValidationErrors};
use crate::expr::{Condition, Expr};
use crate::limits;
use crate::logical_id;
use crate::suppression;
use crate::tags;
use crate::template::{
    Export, Output, Parameter, Resource, Template, rename_references, visit_references,
};

impl Stack {
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
            subtrees,
            stack_suppressions,
            assets,
            errors,
            notes,
            ..
        } = self;
        let mut report = Report {
            stack_name: info.stack_name.clone(),
            errors,
        };

        let (final_ids, renames) = resolve_logical_ids(&resources, &parameters, &mut report);
        let names = Names::new(&final_ids, &parameters, renames);

        let mut template = Template {
            format_version: Some(crate::template::FORMAT_VERSION.to_string()),
            description,
            ..Default::default()
        };
        let mut subtrees = Subtrees::new(subtrees);
        // The stack is consumed: properties, metadata and types move into the
        // template instead of being copied.
        for (index, entry) in resources.into_iter().enumerate() {
            let id = &final_ids[index];
            let resource = render_resource(entry, id, &names, &tags, &mut subtrees, &mut report);
            template.resources.insert(id.clone(), resource);
        }
        subtrees.report_unused(&mut report);
        write_stack_suppressions(&mut template, stack_suppressions);
        render_outputs(&mut template, &outputs, &names, &mut report);
        write_sections(&mut template, parameters, mappings, &conditions);
        let text = check_limits_and_serialize(&template, &mut report);

        if report.errors.is_empty() {
            Ok(SynthesizedStack {
                info,
                template,
                text,
                assets,
                notes,
            })
        } else {
            Err(ValidationErrors(report.errors))
        }
    }
}

/// Where a synth's problems go, each at the construct path it is about.
struct Report {
    stack_name: String,
    errors: Vec<ValidationError>,
}

impl Report {
    /// The error path of a construct path: the stack name, then the path.
    fn at(&self, path: &ConstructPath) -> String {
        if path.is_root() {
            self.stack_name.clone()
        } else {
            format!("{}/{path}", self.stack_name)
        }
    }

    fn error(&mut self, path: &ConstructPath, message: String) {
        let path = self.at(path);
        self.errors.push(ValidationError { path, message });
    }

    fn stack_error(&mut self, message: String) {
        let path = self.stack_name.clone();
        self.errors.push(ValidationError { path, message });
    }
}

/// Phase 1: each resource's logical ID (its override, or the one from its
/// path), checked for validity and collisions (resources and parameters share
/// one namespace); and the renames from the default IDs to the overrides.
fn resolve_logical_ids(
    resources: &[ResourceEntry],
    parameters: &BTreeMap<String, Parameter>,
    report: &mut Report,
) -> (Vec<String>, HashMap<String, String>) {
    let mut renames: HashMap<String, String> = HashMap::new();
    let mut owners: HashMap<String, String> = parameters
        .keys()
        .map(|p| (p.clone(), format!("parameter '{p}'")))
        .collect();
    let mut final_ids = Vec::with_capacity(resources.len());
    for entry in resources {
        let id = entry
            .override_id
            .as_ref()
            .unwrap_or(&entry.default_id)
            .clone();
        if let Some(o) = &entry.override_id {
            renames.insert(entry.default_id.clone(), o.clone());
        }
        if !logical_id::is_valid(&id) {
            report.error(
                &entry.path,
                format!(
                    "logical ID '{}' ({} characters) is invalid: logical IDs match ^[A-Za-z0-9]{{1,255}}$",
                    abbreviate(&id),
                    id.chars().count()
                ),
            );
        } else if let Some(owner) = owners.get(&id) {
            report.error(
                &entry.path,
                format!(
                    "logical ID '{id}' collides with {owner}; rename one of them or use override_logical_id"
                ),
            );
        } else {
            owners.insert(id.clone(), format!("'{}'", report.at(&entry.path)));
        }
        final_ids.push(id);
    }
    (final_ids, renames)
}

/// The names a reference may point at: the stack's logical IDs, its
/// parameters and the pseudo parameters; and the renames of overridden IDs.
struct Names<'a> {
    final_ids: &'a [String],
    known_ids: HashSet<&'a str>,
    parameters: &'a BTreeMap<String, Parameter>,
    renames: HashMap<String, String>,
}

impl<'a> Names<'a> {
    fn new(
        final_ids: &'a [String],
        parameters: &'a BTreeMap<String, Parameter>,
        mut renames: HashMap<String, String>,
    ) -> Names<'a> {
        let known_ids: HashSet<&str> = final_ids.iter().map(String::as_str).collect();
        // A rename only applies to references of the overridden resource, not
        // to a different resource that happens to own the old ID now.
        renames.retain(|old, _| !known_ids.contains(old.as_str()));
        Names {
            final_ids,
            known_ids,
            parameters,
            renames,
        }
    }

    /// Whether `target` is a pseudo parameter, a resource or a parameter of
    /// the stack.
    fn known(&self, target: &str) -> bool {
        target.starts_with("AWS::")
            || self.known_ids.contains(target)
            || self.parameters.contains_key(target)
    }

    /// Phase: rewrite references to overridden logical IDs.
    fn rename(&self, value: &mut Value) {
        if !self.renames.is_empty() {
            rename_references(value, &self.renames);
        }
    }
}

/// The stack's subtree tags and suppressions, in the order they apply (a
/// deeper path after, and so over, a shallower one), and whether each
/// covered at least one resource.
struct Subtrees {
    entries: Vec<SubtreeEntry>,
    used: Vec<bool>,
}

impl Subtrees {
    fn new(mut entries: Vec<SubtreeEntry>) -> Subtrees {
        entries.sort_by_key(|s| s.path.split('/').count());
        let used = vec![false; entries.len()];
        Subtrees { entries, used }
    }

    /// Phase: the subtree entries over the resource at `path`: suppressions
    /// are written to `metadata`; the tags are returned, merged over the
    /// stack's `tags` (`None` when no subtree tag applies).
    fn apply(
        &mut self,
        path: &str,
        metadata: &mut BTreeMap<String, Value>,
        tags: &BTreeMap<String, String>,
    ) -> Option<BTreeMap<String, String>> {
        let mut subtree_tags: Option<BTreeMap<String, String>> = None;
        for (s, used) in self.entries.iter().zip(self.used.iter_mut()) {
            if !is_under(path, &s.path) {
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
                    suppression::write(metadata, rule, reason);
                }
            }
        }
        subtree_tags
    }

    /// Each subtree tag or suppression that covered no resource is an error.
    fn report_unused(&self, report: &mut Report) {
        for (s, used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let what = match &s.kind {
                SubtreeKind::Tag { key, .. } => format!("tag '{key}'"),
                SubtreeKind::Suppress { rule, .. } => format!("suppression of {rule}"),
            };
            report.error(
                &path_of(&s.path),
                format!(
                    "{what} on the subtree '{}': no resource is at or below that construct path",
                    s.path
                ),
            );
        }
    }
}

/// Phases 2 to 6 for one resource: its template entry, with logical ID `id`.
fn render_resource(
    entry: ResourceEntry,
    id: &str,
    names: &Names<'_>,
    tags: &BTreeMap<String, String>,
    subtrees: &mut Subtrees,
    report: &mut Report,
) -> Resource {
    let ResourceEntry {
        path,
        resource: r,
        property_overrides,
        attribute_overrides,
        ..
    } = entry;
    let CfnResource {
        resource_type,
        properties,
        overrides,
        depends_on,
        deletion_policy,
        update_replace_policy,
        condition,
        mut metadata,
    } = r;
    let mut properties =
        render_properties(properties, overrides, property_overrides, &path, report);
    let path_text = path.to_string();
    let subtree_tags = subtrees.apply(&path_text, &mut metadata, tags);
    if let Some(format) = tags::tag_format(&resource_type) {
        tags::apply(
            &mut properties,
            format,
            subtree_tags.as_ref().unwrap_or(tags),
        );
    }
    properties.values_mut().for_each(|v| names.rename(v));
    let referenced = check_references(&properties, names, &path, report);
    let depends_on: BTreeSet<String> = depends_on
        .iter()
        .map(|dep| names.final_ids[dep.index].as_str())
        .filter(|target| *target != id && !referenced.contains(target))
        .map(str::to_string)
        .collect();

    // The path below the stack (not the stack name), so the same resource
    // carries the same metadata in every stage.
    metadata.insert("mlcdk:path".to_string(), Value::String(path_text));
    let resource = Resource {
        resource_type,
        properties,
        depends_on: depends_on.into_iter().collect(),
        deletion_policy,
        update_replace_policy,
        condition,
        metadata,
    };
    if attribute_overrides.is_empty() {
        return resource;
    }
    match override_attributes(&resource, attribute_overrides) {
        Ok(overridden) => overridden,
        Err(message) => {
            report.error(&path, message);
            resource
        }
    }
}

/// Phase 2: the properties, lazy ones rendered (their errors reported at the
/// resource's path), then `set` overrides, then property overrides.
fn render_properties(
    properties: Properties,
    overrides: Vec<(String, Value)>,
    property_overrides: Vec<(Vec<String>, Value)>,
    path: &ConstructPath,
    report: &mut Report,
) -> Map<String, Value> {
    let mut properties = match properties {
        Properties::Static(m) => m,
        Properties::Lazy(render) => match render() {
            Ok(m) => m,
            Err(messages) => {
                for message in messages {
                    report.error(path, message);
                }
                Map::new()
            }
        },
    };
    for (k, v) in overrides {
        properties.insert(k, v);
    }
    for (at, value) in property_overrides {
        if let Err(message) = apply_override(&mut properties, &at, value) {
            report.error(path, message);
        }
    }
    properties
}

/// Phase 5: one pass over the references of a resource's properties. A
/// target that is not in the stack is an error; the logical IDs referred to
/// are returned (a reference implies the dependency).
fn check_references<'a>(
    properties: &Map<String, Value>,
    names: &Names<'a>,
    path: &ConstructPath,
    report: &mut Report,
) -> HashSet<&'a str> {
    let mut referenced: HashSet<&str> = HashSet::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    for v in properties.values() {
        visit_references(v, &mut |target| {
            if !names.known(target) {
                unknown.insert(target.to_string());
            }
            if let Some(t) = names.known_ids.get(target) {
                referenced.insert(t);
            }
        });
    }
    for t in unknown {
        report.error(
            path,
            format!("refers to '{t}', which is not a resource or parameter of this stack"),
        );
    }
    referenced
}

/// Stack-level suppressions, in the template's top-level metadata.
fn write_stack_suppressions(template: &mut Template, stack_suppressions: Vec<(String, String)>) {
    if stack_suppressions.is_empty() {
        return;
    }
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

/// Phase 7: the outputs, each with a valid unique name and a value whose
/// references are renamed and checked.
fn render_outputs(
    template: &mut Template,
    outputs: &[OutputEntry],
    names: &Names<'_>,
    report: &mut Report,
) {
    let mut output_owners: HashMap<&str, &ConstructPath> = HashMap::new();
    for o in outputs {
        if let Err(e) = limits::check_name("output", &o.name) {
            report.error(&o.path, e);
            continue;
        }
        if let Some(first) = output_owners.insert(&o.name, &o.path) {
            let message = format!(
                "output name '{}' collides with the output of '{}'",
                o.name,
                report.at(first)
            );
            report.error(&o.path, message);
            continue;
        }
        let Some(value) = &o.output.value else {
            report.error(
                &o.path,
                "output has no value; set OutputProps::value".into(),
            );
            continue;
        };
        let mut value = value.to_json();
        let mut export = o.output.export_name.as_ref().map(Expr::to_json);
        names.rename(&mut value);
        if let Some(e) = export.as_mut() {
            names.rename(e);
        }
        let mut unknown = BTreeSet::new();
        visit_references(&value, &mut |t| {
            if !names.known(t) {
                unknown.insert(t.to_string());
            }
        });
        for t in unknown {
            report.error(
                &o.path,
                format!(
                    "output '{}' refers to '{t}', which is not a resource or parameter of this stack",
                    o.name
                ),
            );
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
}

/// Parameters, mappings and conditions, as they were added.
fn write_sections(
    template: &mut Template,
    parameters: BTreeMap<String, Parameter>,
    mappings: BTreeMap<String, Value>,
    conditions: &BTreeMap<String, Condition>,
) {
    template.parameters = parameters;
    template.mappings = mappings;
    template.conditions = conditions
        .iter()
        .map(|(k, c)| (k.clone(), c.to_json()))
        .collect();
}

/// Phase 8: the template's limits (counts, names), then its canonical text
/// and the size limit measured on it.
fn check_limits_and_serialize(template: &Template, report: &mut Report) -> String {
    for message in limits::check_template(template) {
        report.stack_error(message);
    }
    let text = template.to_json_string();
    if let Err(message) = limits::check_size(text.len()) {
        report.stack_error(message);
    }
    text
}

fn abbreviate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

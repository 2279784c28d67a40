//! Escape hatches on any resource a construct made: property overrides and
//! overrides of the other resource attributes, recorded here and applied at
//! synth.

use serde_json::{Map, Value};

use super::{ResourceRef, Stack};
use crate::json::Json;
use crate::template::Resource;

impl Stack {
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
}

/// The components of a property override path: split on `.`, with `\.` a
/// dot inside a component.
pub(super) fn parse_override_path(path: &str) -> Result<Vec<String>, String> {
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
pub(super) fn override_attributes(
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
pub(super) fn apply_override(
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

//! The model: [`Template`] and its sections, serialized deterministically.
//!
//! Output is deterministic whatever serde_json features the dependency graph
//! enables: sections come in a fixed order, and every JSON object (properties,
//! metadata, mappings) is written with its keys sorted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The only `AWSTemplateFormatVersion` there is; mlcdk writes it in every
/// template.
pub const FORMAT_VERSION: &str = "2010-09-09";

/// A whole template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    /// `AWSTemplateFormatVersion`; optional in templates read from elsewhere.
    #[serde(
        rename = "AWSTemplateFormatVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub format_version: Option<String>,
    /// `Description`, at most 1,024 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Metadata` of the template.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "sorted_map"
    )]
    pub metadata: BTreeMap<String, Value>,
    /// `Parameters`, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// `Mappings`, by name: the lookup tables of `Fn::FindInMap`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "sorted_map"
    )]
    pub mappings: BTreeMap<String, Value>,
    /// `Conditions`, by name, as CloudFormation JSON.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "sorted_map"
    )]
    pub conditions: BTreeMap<String, Value>,
    /// `Resources`, by logical ID.
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
    /// `Outputs`, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Output>,
}

/// A resource entry: its type, properties and resource attributes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// `Type`, e.g. `AWS::S3::Bucket`.
    #[serde(rename = "Type")]
    pub resource_type: String,
    /// `Properties`, as CloudFormation JSON with intrinsics.
    #[serde(
        default,
        skip_serializing_if = "serde_json::Map::is_empty",
        serialize_with = "sorted_object"
    )]
    pub properties: serde_json::Map<String, Value>,
    /// `DependsOn`: logical IDs created first (a single string in the JSON is
    /// read as a list of one).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "string_or_list"
    )]
    pub depends_on: Vec<String>,
    /// `DeletionPolicy`; CloudFormation deletes when absent (most types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    /// `UpdateReplacePolicy`: what happens to the old physical resource when an
    /// update replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<DeletionPolicy>,
    /// `Condition`: the resource exists only when this named condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `Metadata` of the resource (suppressions, tool hints).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "sorted_map"
    )]
    pub metadata: BTreeMap<String, Value>,
}

impl Resource {
    /// A property by path, e.g. `["BucketEncryption", "ServerSideEncryptionConfiguration"]`.
    pub fn prop(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.properties.get(*first)?, |v, key| v.get(key))
    }
}

/// What CloudFormation does with a resource's physical resource when the
/// resource leaves the template (or is replaced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeletionPolicy {
    /// Delete it (the default for most types): its data is gone.
    Delete,
    /// Keep it, outside the stack; what stateful resources get by default.
    Retain,
    /// Keep it, except when the stack's creation fails and rolls back: no
    /// orphans from failed first deploys.
    RetainExceptOnCreate,
    /// Snapshot, then delete (types with snapshots, e.g. RDS, EBS,
    /// ElastiCache).
    Snapshot,
}

/// A template parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// `Type`: `String`, `Number`, `CommaDelimitedList`, an `AWS::…` type, or
    /// an SSM parameter type.
    #[serde(rename = "Type")]
    pub parameter_type: String,
    /// `Default`, used when the deploy passes no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `Description`, shown where the value is entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `AllowedValues`; empty allows any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<Value>,
    /// `AllowedPattern`: a regular expression a `String` value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    /// `NoEcho`: show the value as `****` in the console and describe calls;
    /// not a secret store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_echo: Option<bool>,
}

impl Parameter {
    /// A parameter of `parameter_type`, with nothing else set.
    pub fn new(parameter_type: impl Into<String>) -> Parameter {
        Parameter {
            parameter_type: parameter_type.into(),
            default: None,
            description: None,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            no_echo: None,
        }
    }
}

/// A template output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// `Value`: a string, or an intrinsic that resolves to one.
    #[serde(serialize_with = "sorted_value")]
    pub value: Value,
    /// `Description`, up to 1,024 characters, shown by `describe-stacks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Export`, for other stacks' `Fn::ImportValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
    /// `Condition`: emitted only when this named condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// The export of an output, for `Fn::ImportValue` in other stacks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Export {
    /// `Name`, unique per account and region.
    #[serde(serialize_with = "sorted_value")]
    pub name: Value,
}

impl Template {
    /// Parse any CloudFormation JSON template.
    pub fn from_json_str(text: &str) -> Result<Template, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The canonical text: two-space indentation, sorted keys, trailing newline.
    /// This is what `synth` writes and what the size limits are measured on.
    pub fn to_json_string(&self) -> String {
        // Reserve roughly what a resource takes, so a large template is not
        // copied again and again as the buffer grows.
        let mut buf = Vec::with_capacity(4096 + 1536 * self.resources.len());
        serde_json::to_writer_pretty(&mut buf, self).expect("a template always serializes");
        buf.push(b'\n');
        String::from_utf8(buf).expect("serde_json writes UTF-8")
    }

    /// A resource's metadata entry `mlcdk:path` (its construct path), or its
    /// logical ID for templates mlcdk did not write.
    pub fn display_path<'a>(&'a self, logical_id: &'a str) -> &'a str {
        self.resources
            .get(logical_id)
            .and_then(|r| r.metadata.get("mlcdk:path"))
            .and_then(Value::as_str)
            .unwrap_or(logical_id)
    }

    /// Resources of one type, by logical ID.
    pub fn resources_of_type<'a>(
        &'a self,
        resource_type: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
        self.resources
            .iter()
            .filter(move |(_, r)| r.resource_type == resource_type)
    }
}

/// Serializes a JSON value with object keys sorted, independent of whether
/// `serde_json/preserve_order` is enabled somewhere in the build.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self.0 {
            Value::Object(map) => sorted_object(map, serializer),
            Value::Array(items) => {
                let mut s = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    s.serialize_element(&Sorted(item))?;
                }
                s.end()
            }
            other => other.serialize(serializer),
        }
    }
}

fn sorted_value<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    Sorted(v).serialize(s)
}

fn sorted_object<S: Serializer>(
    map: &serde_json::Map<String, Value>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(map.len()))?;
    // Without serde_json/preserve_order the map is already sorted: no copy then.
    let already_sorted = map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b);
    if already_sorted {
        for (k, v) in map {
            m.serialize_entry(k, &Sorted(v))?;
        }
    } else {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        for k in keys {
            m.serialize_entry(k, &Sorted(&map[k]))?;
        }
    }
    m.end()
}

fn sorted_map<S: Serializer>(map: &BTreeMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(map.len()))?;
    for (k, v) in map {
        m.serialize_entry(k, &Sorted(v))?;
    }
    m.end()
}

fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_handwritten_template() {
        let t = Template::from_json_str(
            r#"{
              "AWSTemplateFormatVersion": "2010-09-09",
              "Resources": {
                "B": {"Type": "AWS::S3::Bucket", "DependsOn": "R", "DeletionPolicy": "Retain"},
                "R": {"Type": "AWS::IAM::Role", "Properties": {"Z": 1, "A": {"y": 1, "x": [ {"b": 1, "a": 2} ]}}}
              },
              "Outputs": {"O": {"Value": {"Ref": "B"}, "Export": {"Name": "e"}}}
            }"#,
        )
        .unwrap();
        assert_eq!(t.resources["B"].depends_on, ["R"]);
        assert_eq!(
            t.resources["B"].deletion_policy,
            Some(DeletionPolicy::Retain)
        );
        assert_eq!(t.resources_of_type("AWS::IAM::Role").count(), 1);
        let text = t.to_json_string();
        // Keys sorted at every depth, sections in a fixed order.
        let a = text.find("\"A\"").unwrap();
        let z = text.find("\"Z\"").unwrap();
        assert!(a < z);
        assert!(text.find("\"a\": 2").unwrap() < text.find("\"b\": 1").unwrap());
        assert!(text.find("AWSTemplateFormatVersion").unwrap() < text.find("Resources").unwrap());
        assert!(text.find("Resources").unwrap() < text.find("Outputs").unwrap());
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["Resources"]["B"]["DependsOn"], json!(["R"]));
    }
}

//! Stack tags and how each resource type takes them.
//!
//! CloudFormation has no generic tagging: each resource type declares its own
//! `Tags` property, and not all in the same shape. The shapes below were read
//! from the CloudFormation registry schemas bundled with cfn-lint 1.58.0
//! (`cfnlint/data/schemas`); a type missing here is not tagged.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The shape of a resource type's `Tags` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagFormat {
    /// `[{"Key": k, "Value": v}, …]`
    List,
    /// `{k: v, …}` (Glue)
    Map,
}

/// How `resource_type` takes tags, or `None` when mlcdk does not tag it.
pub fn tag_format(resource_type: &str) -> Option<TagFormat> {
    match resource_type {
        "AWS::IAM::Role"
        | "AWS::S3::Bucket"
        | "AWS::KMS::Key"
        | "AWS::SNS::Topic"
        | "AWS::SageMaker::Model"
        | "AWS::SageMaker::EndpointConfig"
        | "AWS::SageMaker::Endpoint"
        | "AWS::SageMaker::ModelPackageGroup"
        | "AWS::SageMaker::ModelPackage"
        | "AWS::SageMaker::Pipeline"
        | "AWS::SageMaker::MonitoringSchedule"
        | "AWS::SageMaker::FeatureGroup"
        | "AWS::SageMaker::DataQualityJobDefinition"
        | "AWS::SageMaker::ModelQualityJobDefinition"
        | "AWS::SageMaker::ModelBiasJobDefinition"
        | "AWS::SageMaker::ModelExplainabilityJobDefinition"
        | "AWS::Athena::WorkGroup"
        | "AWS::CloudWatch::Alarm"
        | "AWS::CloudWatch::CompositeAlarm"
        | "AWS::Events::Rule"
        | "AWS::Logs::LogGroup"
        | "AWS::ApplicationAutoScaling::ScalableTarget"
        | "AWS::ECR::Repository"
        | "AWS::Lambda::Function"
        | "AWS::SQS::Queue"
        | "AWS::Bedrock::ApplicationInferenceProfile"
        | "AWS::Bedrock::Guardrail" => Some(TagFormat::List),
        "AWS::Glue::Crawler" | "AWS::Glue::Job" | "AWS::Glue::Trigger" | "AWS::Glue::Workflow" => {
            Some(TagFormat::Map)
        }
        _ => None,
    }
}

/// Merge `tags` into a resource's properties. Tags the construct set itself win
/// over stack tags with the same key; the result is sorted by key.
pub(crate) fn apply(
    properties: &mut Map<String, Value>,
    format: TagFormat,
    tags: &BTreeMap<String, String>,
) {
    if tags.is_empty() {
        return;
    }
    let mut merged: BTreeMap<String, Value> = tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    match properties.remove("Tags") {
        Some(Value::Array(own)) => {
            for tag in own {
                if let (Some(Value::String(k)), Some(v)) = (tag.get("Key"), tag.get("Value")) {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
        Some(Value::Object(own)) => merged.extend(own),
        _ => {}
    }
    let value = match format {
        TagFormat::List => Value::Array(
            merged
                .into_iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect(),
        ),
        TagFormat::Map => Value::Object(merged.into_iter().collect()),
    };
    properties.insert("Tags".to_string(), value);
}

/// Validates a tag against the rules common to AWS tagging: key 1–128
/// characters, value at most 256, no `aws:` prefix (reserved for AWS).
pub(crate) fn validate(key: &str, value: &str) -> Result<(), String> {
    let key_len = key.chars().count();
    if key_len == 0 || key_len > 128 {
        return Err(format!(
            "tag key '{key}' has {key_len} characters; tag keys take 1 to 128"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!(
            "tag key '{key}' starts with 'aws:', which is reserved for AWS"
        ));
    }
    let value_len = value.chars().count();
    if value_len > 256 {
        return Err(format!(
            "tag value for '{key}' has {value_len} characters; tag values take at most 256"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_tags_win_and_order_is_sorted() {
        let mut props = Map::new();
        props.insert(
            "Tags".into(),
            json!([{"Key": "stage", "Value": "mine"}, {"Key": "team", "Value": "ml"}]),
        );
        let stack_tags = BTreeMap::from([
            ("stage".to_string(), "staging".to_string()),
            ("app".to_string(), "churn".to_string()),
        ]);
        apply(&mut props, TagFormat::List, &stack_tags);
        assert_eq!(
            props["Tags"],
            json!([
                {"Key": "app", "Value": "churn"},
                {"Key": "stage", "Value": "mine"},
                {"Key": "team", "Value": "ml"}
            ])
        );
        let mut glue = Map::new();
        apply(&mut glue, TagFormat::Map, &stack_tags);
        assert_eq!(glue["Tags"], json!({"app": "churn", "stage": "staging"}));
    }

    #[test]
    fn bad_tags_are_rejected_with_the_rule() {
        assert!(validate("", "x").unwrap_err().contains("1 to 128"));
        assert!(
            validate(&"k".repeat(129), "x")
                .unwrap_err()
                .contains("129 characters")
        );
        assert!(validate("aws:owner", "x").unwrap_err().contains("reserved"));
        assert!(
            validate("k", &"v".repeat(257))
                .unwrap_err()
                .contains("at most 256")
        );
        assert!(validate("k", "v").is_ok());
    }
}

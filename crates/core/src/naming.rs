//! Physical names and ARNs, built one way for every construct.
//!
//! A [`NamingRule`] says how a service wants a name: the separator between the
//! parts, the longest name it takes and whether it must be lower case. The
//! constants below are the rules of the names mlcdk's constructs build; a
//! construct asks its scope for a name with
//! [`Scope::physical_name_for`](crate::Scope::physical_name_for):
//!
//! ```
//! use mlcdk_core::{Scope, Stack, naming};
//!
//! let mut stack = Stack::for_test();
//! let node = stack.node("Churn-Score");
//! assert_eq!(node.physical_name_for(naming::SAGEMAKER_ENDPOINT), "test-staging-churnscore");
//! assert_eq!(node.physical_name_for(naming::GLUE_DATABASE), "test_staging_churnscore");
//! assert_eq!(node.physical_name_for(naming::GLUE_JOB), "test-staging-ChurnScore");
//! ```
//!
//! ARNs of resources in the stack's account and region are `Fn::Sub`
//! patterns over the pseudo parameters, so one template deploys to any
//! partition, account and region:
//!
//! ```
//! use mlcdk_core::naming::{format_arn, format_global_arn, format_unscoped_arn};
//!
//! assert_eq!(
//!     format_arn("sagemaker", "endpoint/churn-prod").to_json(),
//!     serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/churn-prod"})
//! );
//! assert_eq!(
//!     format_global_arn("iam", "role/deployer").to_json(),
//!     serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/deployer"})
//! );
//! assert_eq!(
//!     format_unscoped_arn("s3", "my-bucket/*").to_json(),
//!     serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::my-bucket/*"})
//! );
//! ```

use crate::expr::Expr;

/// How a service wants a physical name: `<app><sep><stage><sep><path…>`, at
/// most `max_len` characters (longer names are cut and end in a hash of the
/// whole, so cut names stay distinct), lower-cased when the service requires
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamingRule {
    /// Between the app, the stage and each path component (`-` or `_`).
    pub separator: char,
    /// The longest name the service accepts (or less, to leave room for a
    /// suffix the construct appends).
    pub max_len: usize,
    /// Whether the name is lower-cased (services that refuse upper case, or
    /// whose other clients do, such as Athena for Glue databases).
    pub lowercase: bool,
}

impl NamingRule {
    /// A rule of `separator`, `max_len` and case.
    pub const fn new(separator: char, max_len: usize, lowercase: bool) -> NamingRule {
        NamingRule {
            separator,
            max_len,
            lowercase,
        }
    }
}

/// IAM roles: `RoleName` takes at most 64 characters.
pub const IAM_ROLE: NamingRule = NamingRule::new('-', 64, false);
/// Glue databases: underscores and lower case, as Athena queries them.
pub const GLUE_DATABASE: NamingRule = NamingRule::new('_', 255, true);
/// Glue jobs (`Name`, at most 255).
pub const GLUE_JOB: NamingRule = NamingRule::new('-', 255, false);
/// Glue crawlers (`Name`, at most 255).
pub const GLUE_CRAWLER: NamingRule = NamingRule::new('-', 255, false);
/// Glue security configurations (kept to 128, as mlcdk builds them).
pub const GLUE_SECURITY_CONFIGURATION: NamingRule = NamingRule::new('-', 128, false);
/// Athena workgroups (`Name`, at most 128).
pub const ATHENA_WORKGROUP: NamingRule = NamingRule::new('-', 128, false);
/// SageMaker feature groups (`FeatureGroupName`, at most 64).
pub const FEATURE_GROUP: NamingRule = NamingRule::new('-', 64, false);
/// SageMaker endpoints (`EndpointName`, at most 63, lower case as the
/// endpoint ARN and the runtime URL show it).
pub const SAGEMAKER_ENDPOINT: NamingRule = NamingRule::new('-', 63, true);
/// SageMaker pipelines (`PipelineName`, at most 256, lower case).
pub const SAGEMAKER_PIPELINE: NamingRule = NamingRule::new('-', 256, true);
/// SageMaker model package groups, the model registry (at most 63, lower
/// case).
pub const MODEL_PACKAGE_GROUP: NamingRule = NamingRule::new('-', 63, true);
/// SageMaker monitoring schedules (at most 63, lower case).
pub const MONITORING_SCHEDULE: NamingRule = NamingRule::new('-', 63, true);
/// Application Auto Scaling policies: 200 of the 256 characters, leaving room
/// for the suffix a construct appends (`-WakeFromZero`).
pub const SCALING_POLICY: NamingRule = NamingRule::new('-', 200, false);
/// AWS Budgets (`BudgetName`, at most 100).
pub const BUDGET: NamingRule = NamingRule::new('-', 100, false);
/// Bedrock application inference profiles (`InferenceProfileName`, at most
/// 64, letters and digits each followed by at most one ` `, `_` or `-`: the
/// CloudFormation schema's pattern `^([0-9a-zA-Z][ _-]?)+$`).
pub const BEDROCK_INFERENCE_PROFILE: NamingRule = NamingRule::new('-', 64, false);
/// Bedrock guardrails (`Name`, at most 50, `^[0-9a-zA-Z-_]+$`).
pub const BEDROCK_GUARDRAIL: NamingRule = NamingRule::new('-', 50, false);

/// The ARN of a regional resource of the stack's account:
/// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:<resource>`.
///
/// `resource` is part of an `Fn::Sub` pattern: `${LogicalId}` in it refers to
/// a resource of the stack (and so makes a dependency), `${!x}` is a literal
/// `${x}`.
pub fn format_arn(service: &str, resource: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
    ))
}

/// The ARN of a resource of a global service that belongs to an account (IAM,
/// Budgets): `arn:${AWS::Partition}:<service>::${AWS::AccountId}:<resource>`.
pub fn format_global_arn(service: &str, resource: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:{service}::${{AWS::AccountId}}:{resource}"
    ))
}

/// The ARN of a resource whose ARN names neither region nor account (S3
/// buckets and objects): `arn:${AWS::Partition}:<service>:::<resource>`.
pub fn format_unscoped_arn(service: &str, resource: &str) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:{service}:::{resource}"))
}

/// The name `parts` make under `rule` (the parts are cleaned of characters
/// other than letters and digits; empty parts are dropped).
pub(crate) fn physical_name<'a>(
    parts: impl IntoIterator<Item = &'a str>,
    rule: NamingRule,
) -> String {
    let NamingRule {
        separator: sep,
        max_len,
        lowercase,
    } = rule;
    let parts: Vec<String> = parts
        .into_iter()
        .map(|p| {
            p.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    let full = parts.join(&sep.to_string());
    let name = if full.len() <= max_len {
        full
    } else {
        let hash = crate::logical_id::logical_id(&[full.as_str(), "name"]).unwrap_or_default();
        let hash = &hash[hash.len().saturating_sub(8)..];
        let keep = max_len.saturating_sub(hash.len() + 1);
        format!("{}{sep}{}", &full[..keep], hash.to_ascii_lowercase())
    };
    if lowercase {
        name.to_ascii_lowercase()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_with_a_hash_and_lower_cased_after() {
        let long = "X".repeat(100);
        let upper = physical_name(["app", "stage", long.as_str()], IAM_ROLE);
        assert_eq!(upper.len(), 64);
        assert!(upper.starts_with("app-stage-XXX"), "{upper}");
        let lower = physical_name(["app", "stage", long.as_str()], MODEL_PACKAGE_GROUP);
        assert_eq!(lower.len(), 63);
        assert!(lower.starts_with("app-stage-xxx"), "{lower}");
        // The hash is of the name before lower-casing, as constructs built it.
        let hyphen_64 = NamingRule::new('-', 63, false);
        assert_eq!(
            physical_name(["app", "stage", long.as_str()], hyphen_64).to_ascii_lowercase(),
            lower
        );
    }

    #[test]
    fn every_rule_fits_its_service() {
        for (rule, max) in [
            (IAM_ROLE, 64),
            (GLUE_DATABASE, 255),
            (GLUE_JOB, 255),
            (GLUE_CRAWLER, 255),
            (ATHENA_WORKGROUP, 128),
            (FEATURE_GROUP, 64),
            (SAGEMAKER_ENDPOINT, 63),
            (SAGEMAKER_PIPELINE, 256),
            (MODEL_PACKAGE_GROUP, 63),
            (MONITORING_SCHEDULE, 63),
            (SCALING_POLICY, 256),
            (BUDGET, 100),
        ] {
            let name = physical_name(["a", "b", &"Long-Part".repeat(60)], rule);
            assert!(name.len() <= max, "{rule:?}: {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == rule.separator)
            );
            if rule.lowercase {
                assert_eq!(name, name.to_ascii_lowercase());
            }
        }
    }
}

//! IAM rules: wildcard actions and resources, AWS-managed FullAccess policies,
//! iam:PassRole.

use mlcdk_core::Template;
use serde_json::Value;

use super::statements;
use crate::{Hit, Options, Rule, Severity};
use Severity::{Error, Warning};

/// `IAM-001`: no wildcard actions.
pub(super) const WILDCARD_ACTIONS: Rule = Rule {
    id: "IAM-001",
    severity: Error,
    error_in_production: true,
    title: "no wildcard actions",
    explanation: "`*` or `service:*` grants every present and future action of a service, deletes and \
        permission changes included. Least privilege lists the actions a role needs. AWS: \
        https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    check: iam_wildcard_actions,
};

/// `IAM-002`: writes are scoped to resources.
pub(super) const WILDCARD_RESOURCE_WRITES: Rule = Rule {
    id: "IAM-002",
    severity: Warning,
    error_in_production: false,
    title: "writes are scoped to resources",
    explanation: "A write on Resource \"*\" reaches every resource of the account, not the ones the \
        workload owns. Read-only actions, actions AWS authorizes only on \"*\" \
        (cloudwatch:PutMetricData, ecr:GetAuthorizationToken, sagemaker:ListTags, \
        logs:CreateLogGroup) and iam:PassRole (IAM-004) are not counted. AWS: \
        https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    check: iam_wildcard_resource_writes,
};

/// `IAM-003`: no AWS-managed FullAccess policies.
pub(super) const FULL_ACCESS: Rule = Rule {
    id: "IAM-003",
    severity: Error,
    error_in_production: true,
    title: "no AWS-managed FullAccess policies",
    explanation: "AWS-managed ...FullAccess policies grant whole services, and AWS changes them as \
        services add actions, so what the role may do changes without a deploy. Grant the \
        specific actions instead. AWS: \
        https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies",
    check: iam_full_access,
};

/// `IAM-004`: iam:PassRole names its roles.
pub(super) const UNSCOPED_PASS_ROLE: Rule = Rule {
    id: "IAM-004",
    severity: Error,
    error_in_production: true,
    title: "iam:PassRole names its roles",
    explanation: "iam:PassRole on Resource \"*\" lets the holder hand any role, an administrator role \
        too, to a service it can start, and so escalate its own privileges. Name the roles \
        it may pass. AWS: \
        https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    check: iam_unscoped_pass_role,
};

/// The check of [`WILDCARD_ACTIONS`].
fn iam_wildcard_actions(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, s) in identity_statements(t) {
        let wild: Vec<String> = strings(s.get("Action"))
            .into_iter()
            .filter(|a| a == "*" || a.ends_with(":*"))
            .collect();
        if !wild.is_empty() {
            out.push(
                Hit::new(
                    id,
                    format!(
                        "allows wildcard action {}; list the actions the role needs",
                        wild.join(", ")
                    ),
                )
                .fix("the construct's grant_* methods list the actions they allow"),
            );
        }
    }
}

/// The check of [`WILDCARD_RESOURCE_WRITES`].
fn iam_wildcard_resource_writes(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, s) in identity_statements(t) {
        if !strings(s.get("Resource")).iter().any(|r| r == "*") {
            continue;
        }
        let writes: Vec<String> = strings(s.get("Action"))
            .into_iter()
            .filter(|a| !read_only(a) && !STAR_ONLY.contains(&a.as_str()) && a != "iam:PassRole")
            .collect();
        if !writes.is_empty() {
            out.push(
                Hit::new(
                    id,
                    format!(
                        "allows {} on Resource \"*\"; scope the statement to the resources written",
                        writes.join(", ")
                    ),
                )
                .fix("the construct's grant_* methods scope writes to the construct's resources"),
            );
        }
    }
}

/// The check of [`FULL_ACCESS`].
fn iam_full_access(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in &t.resources {
        if let Some(arns) = r.prop(&["ManagedPolicyArns"]) {
            let text = serde_json::to_string(arns).unwrap_or_default();
            if text.contains(":aws:policy/") && text.contains("FullAccess") {
                out.push(Hit::new(
                    id,
                    "attaches an AWS-managed FullAccess policy; grant the specific actions instead",
                ));
            }
        }
    }
}

/// The check of [`UNSCOPED_PASS_ROLE`].
fn iam_unscoped_pass_role(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, s) in identity_statements(t) {
        let passes = strings(s.get("Action")).iter().any(|a| a == "iam:PassRole");
        if passes && strings(s.get("Resource")).iter().any(|r| r == "*") {
            out.push(
                Hit::new(
                    id,
                    "allows iam:PassRole on Resource \"*\"; name the roles it may pass",
                )
                .fix("grant_pass_role on the role names it"),
            );
        }
    }
}

/// Identity policies (not trust policies) of a template, with their owner.
fn identity_statements(t: &Template) -> Vec<(&str, Value)> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        let docs: Vec<&Value> = match r.resource_type.as_str() {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => r
                .prop(&["Policies"])
                .and_then(Value::as_array)
                .map(|ps| ps.iter().filter_map(|p| p.get("PolicyDocument")).collect())
                .unwrap_or_default(),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                r.prop(&["PolicyDocument"]).into_iter().collect()
            }
            _ => Vec::new(),
        };
        for doc in docs {
            for s in statements(Some(doc)) {
                if s.get("Effect").and_then(Value::as_str) == Some("Allow") {
                    out.push((id.as_str(), s));
                }
            }
        }
    }
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Actions that AWS authorizes only on `*` (no resource-level permissions).
const STAR_ONLY: &[&str] = &[
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "sagemaker:ListTags",
    "logs:CreateLogGroup",
];

fn read_only(action: &str) -> bool {
    let verb = action.split(':').nth(1).unwrap_or(action);
    [
        "Get", "List", "Describe", "Search", "Query", "BatchGet", "Head", "Select",
    ]
    .iter()
    .any(|p| verb.starts_with(p))
}

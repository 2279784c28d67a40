//! Wiring rules: what a template says in two places that must agree.

use std::collections::BTreeSet;

use mlcdk_core::Template;
use mlcdk_core::template::pipeline_steps;
use serde_json::Value;

use crate::{Hit, Options};

/// How SageMaker places S3 inputs in a processing container.
pub const PROCESSING_INPUT_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingS3Input.html";

/// Where a File-mode `S3Prefix` input whose URI names one object puts it:
/// under its local path, with the key's last part as the file name.
/// `None` when the prefix is a folder (the names below it are not in the
/// template) or the URI is a pipeline expression.
fn placed_file(input: &Value) -> Option<(String, String)> {
    let s3 = input.get("S3Input")?;
    let local = s3.get("LocalPath")?.as_str()?.trim_end_matches('/');
    let uri = s3.get("S3Uri")?.as_str()?;
    let mode = s3
        .get("S3InputMode")
        .and_then(Value::as_str)
        .unwrap_or("File");
    let kind = s3
        .get("S3DataType")
        .and_then(Value::as_str)
        .unwrap_or("S3Prefix");
    if mode != "File" || kind != "S3Prefix" || uri.ends_with('/') {
        return None;
    }
    let key = uri.strip_prefix("s3://")?.split_once('/')?.1;
    let name = key.rsplit('/').next()?;
    Some((local.to_string(), format!("{local}/{name}")))
}

/// **RT-007: processing entrypoints name a file their code input puts in the
/// container.** A processing step runs `ContainerEntrypoint`, typically
/// `python3 /opt/ml/processing/input/code/<script>.py`, and gets the script
/// from an S3 input whose `LocalPath` is that folder. In File mode an
/// `S3Prefix` input copies each object it matches below `LocalPath` under the
/// object's own key name (API reference, ProcessingS3Input:
/// [`PROCESSING_INPUT_DOC`]): an input that is the single object
/// `assets/<sha256>.py` lands as `<sha256>.py`, and an entrypoint naming
/// `preprocess.py` fails with "No such file" on every run, although the
/// template deploys. The fix is a key whose last part is the script's name
/// (`assets/<sha256>/preprocess.py`). Inputs whose URI is a folder or a
/// pipeline expression are not judged: the names they bring are not in the
/// template.
pub(crate) fn rt_entrypoints(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, pipeline) in t.resources_of_type("AWS::SageMaker::Pipeline") {
        for step in pipeline_steps(pipeline) {
            if step.get("Type").and_then(Value::as_str) != Some("Processing") {
                continue;
            }
            let name = step.get("Name").and_then(Value::as_str).unwrap_or("?");
            let Some(args) = step.get("Arguments") else {
                continue;
            };
            let inputs: Vec<&Value> = args
                .get("ProcessingInputs")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let entrypoint = args
                .pointer("/AppSpecification/ContainerEntrypoint")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default();
            for arg in entrypoint {
                for input in &inputs {
                    let Some((local, placed)) = placed_file(input) else {
                        continue;
                    };
                    let in_folder = arg
                        .strip_prefix(&local)
                        .is_some_and(|rest| rest.starts_with('/') && !rest[1..].contains('/'));
                    if in_folder && arg != placed {
                        let input_name = input
                            .get("InputName")
                            .and_then(Value::as_str)
                            .unwrap_or("?");
                        out.push(Hit::new(
                            id,
                            format!(
                                "step {name} runs {arg}, but its input '{input_name}' puts its one object at {placed}; give the object a key whose last part is the file the entrypoint names (see {PROCESSING_INPUT_DOC})"
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// How CloudFormation orders creates: by references and `DependsOn` only.
pub const DEPENDS_ON_DOC: &str =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html";

/// What a property names: the kind of resource that must exist when the
/// property's resource is created.
#[derive(Clone, Copy)]
enum Named {
    /// An `AWS::Glue::SecurityConfiguration`, by its `Name`.
    GlueSecurityConfiguration,
    /// An `AWS::IAM::Role`, by its `RoleName` or an ARN ending in
    /// `:role/<RoleName>` (or `:role/<path>/<RoleName>`).
    Role,
    /// An `AWS::CloudWatch::Alarm`, by its `AlarmName`.
    Alarm,
    /// A SageMaker endpoint variant, `endpoint/<EndpointName>/variant/...`:
    /// the endpoint, and for scaling policies the scalable target of the
    /// same `ResourceId`.
    Variant,
}

/// `(resource type, property path, what it names)`: the properties whose
/// resource cannot be created before the resource they name. `[]` is each
/// item of a list.
const NAMING_PROPERTIES: &[(&str, &str, Named)] = &[
    (
        "AWS::Glue::Job",
        "SecurityConfiguration",
        Named::GlueSecurityConfiguration,
    ),
    (
        "AWS::Glue::Crawler",
        "CrawlerSecurityConfiguration",
        Named::GlueSecurityConfiguration,
    ),
    ("AWS::Glue::Job", "Role", Named::Role),
    ("AWS::Glue::Crawler", "Role", Named::Role),
    ("AWS::SageMaker::Model", "ExecutionRoleArn", Named::Role),
    ("AWS::SageMaker::Pipeline", "RoleArn", Named::Role),
    ("AWS::SageMaker::FeatureGroup", "RoleArn", Named::Role),
    (
        "AWS::SageMaker::DataQualityJobDefinition",
        "RoleArn",
        Named::Role,
    ),
    (
        "AWS::SageMaker::ModelQualityJobDefinition",
        "RoleArn",
        Named::Role,
    ),
    (
        "AWS::SageMaker::ModelBiasJobDefinition",
        "RoleArn",
        Named::Role,
    ),
    (
        "AWS::SageMaker::ModelExplainabilityJobDefinition",
        "RoleArn",
        Named::Role,
    ),
    (
        "AWS::SageMaker::MonitoringSchedule",
        "MonitoringScheduleConfig.MonitoringJobDefinition.RoleArn",
        Named::Role,
    ),
    (
        "AWS::SageMaker::Endpoint",
        "DeploymentConfig.AutoRollbackConfiguration.Alarms[].AlarmName",
        Named::Alarm,
    ),
    (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "ResourceId",
        Named::Variant,
    ),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "ResourceId",
        Named::Variant,
    ),
];

/// Every string under `value` at `path` (`a.b[].c`), with its display path.
fn leaves_at<'v>(value: &'v Value, path: &[&str], at: String, out: &mut Vec<(String, &'v str)>) {
    let Some((first, rest)) = path.split_first() else {
        strings_in(value, at, out);
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (*first, false),
    };
    let Some(next) = value.get(key) else { return };
    let at = if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    };
    match (each, next) {
        (true, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                leaves_at(item, rest, format!("{at}[{i}]"), out);
            }
        }
        (true, _) => {}
        (false, next) => leaves_at(next, rest, at, out),
    }
}

/// Every string in `value` (literals, `Fn::Sub` text, `Fn::Join` parts).
fn strings_in<'v>(value: &'v Value, at: String, out: &mut Vec<(String, &'v str)>) {
    match value {
        Value::String(s) => out.push((at, s)),
        Value::Array(items) => items.iter().for_each(|i| strings_in(i, at.clone(), out)),
        Value::Object(map) => map.values().for_each(|v| strings_in(v, at.clone(), out)),
        _ => {}
    }
}

/// The logical ids `value` references: `Ref`, `Fn::GetAtt` (both forms) and
/// the `${Id}` / `${Id.Attr}` variables of `Fn::Sub`.
fn referenced(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| referenced(i, out)),
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("Ref") {
                out.insert(id.clone());
            }
            match map.get("Fn::GetAtt") {
                Some(Value::Array(parts)) => {
                    if let Some(id) = parts.first().and_then(Value::as_str) {
                        out.insert(id.to_string());
                    }
                }
                Some(Value::String(dotted)) => {
                    out.insert(dotted.split('.').next().unwrap_or_default().to_string());
                }
                _ => {}
            }
            let sub = match map.get("Fn::Sub") {
                Some(Value::String(text)) => Some(text.as_str()),
                Some(Value::Array(parts)) => parts.first().and_then(Value::as_str),
                _ => None,
            };
            if let Some(text) = sub {
                for var in text.split("${").skip(1).filter_map(|p| p.split_once('}')) {
                    out.insert(var.0.split('.').next().unwrap_or_default().to_string());
                }
            }
            map.values().for_each(|v| referenced(v, out));
        }
        _ => {}
    }
}

/// Whether CloudFormation creates `target` before `from`: a chain of
/// references and `DependsOn` leads from `from` to it.
fn ordered_after(t: &Template, from: &str, target: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(r) = t.resources.get(&id) else {
            continue;
        };
        let mut next = BTreeSet::new();
        referenced(&Value::Object(r.properties.clone()), &mut next);
        next.extend(r.depends_on.iter().cloned());
        if next.contains(target) {
            return true;
        }
        stack.extend(next);
    }
    false
}

fn literal<'r>(r: &'r mlcdk_core::template::Resource, prop: &str) -> Option<&'r str> {
    r.prop(&[prop]).and_then(Value::as_str)
}

/// The resources of the template that `leaf` names, for `named`.
fn named_by<'t>(t: &'t Template, named: Named, leaf: &str) -> Vec<(&'t str, &'static str)> {
    let mut out = Vec::new();
    let mut push =
        |ty: &'static str, what: &'static str, prop: &str, hit: &dyn Fn(&str) -> bool| {
            for (id, r) in t.resources_of_type(ty) {
                if literal(r, prop).is_some_and(hit) {
                    out.push((id.as_str(), what));
                }
            }
        };
    match named {
        Named::GlueSecurityConfiguration => push(
            "AWS::Glue::SecurityConfiguration",
            "security configuration",
            "Name",
            &|name| leaf == name,
        ),
        Named::Role => push("AWS::IAM::Role", "role", "RoleName", &|name| {
            leaf == name
                || leaf
                    .split_once(":role/")
                    .is_some_and(|(_, rest)| rest == name || rest.ends_with(&format!("/{name}")))
        }),
        Named::Alarm => push("AWS::CloudWatch::Alarm", "alarm", "AlarmName", &|name| {
            leaf == name
        }),
        Named::Variant => {
            push(
                "AWS::SageMaker::Endpoint",
                "endpoint",
                "EndpointName",
                &|name| {
                    leaf.strip_prefix("endpoint/")
                        .and_then(|rest| rest.strip_prefix(name))
                        .is_some_and(|rest| rest.starts_with("/variant/"))
                },
            );
            push(
                "AWS::ApplicationAutoScaling::ScalableTarget",
                "scalable target",
                "ResourceId",
                &|id| leaf == id,
            );
        }
    }
    out
}

/// CloudFormation creates the resources of a stack in parallel, except
/// where a `Ref`, `Fn::GetAtt`, `Fn::Sub` variable or `DependsOn` orders
/// them (user guide, DependsOn attribute: [`DEPENDS_ON_DOC`]). A property
/// that names another resource of the template by a literal physical name
/// (a Glue job's `SecurityConfiguration` equal to a security configuration's
/// `Name`, a role ARN written out from a template role's `RoleName`, an
/// endpoint's rollback alarm by its `AlarmName`, a scalable target's
/// `ResourceId` `endpoint/<EndpointName>/variant/...`) carries no such
/// order, so on the first deploy the resource can be created before the one
/// it names and fail (the name does not exist yet), or succeed by luck.
/// Only properties whose create needs the named resource to exist are read
/// (see `NAMING_PROPERTIES`); names in tags, descriptions or metric
/// dimensions are not create-order dependencies. A chain of references and
/// `DependsOn` through other resources orders the creates too, and passes.
/// The fix is a reference (`Ref`/`Fn::GetAtt`) in place of the literal, or
/// `DependsOn` on the named resource.
pub(crate) fn rt_create_order(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (ty, path, named) in NAMING_PROPERTIES {
        let path: Vec<&str> = path.split('.').collect();
        for (id, r) in t.resources_of_type(ty) {
            let properties = Value::Object(r.properties.clone());
            let mut leaves = Vec::new();
            leaves_at(&properties, &path, String::new(), &mut leaves);
            let mut reported = BTreeSet::new();
            for (at, leaf) in leaves {
                for (target, what) in named_by(t, *named, leaf) {
                    if target == id
                        || ordered_after(t, id, target)
                        || !reported.insert((target, at.clone()))
                    {
                        continue;
                    }
                    out.push(Hit::new(
                        id,
                        format!(
                            "{id} names {what} {target} by the literal '{leaf}' at {at}, with no reference to it and no DependsOn on it, so CloudFormation may create {id} first and the create fails; reference {target} (Ref or Fn::GetAtt) or add DependsOn: {target} (see {DEPENDS_ON_DOC})"
                        ),
                    ));
                }
            }
        }
    }
}

/// Service-specific condition keys and the only actions that send them, with
/// the Service Authorization Reference page that lists, for each action, the
/// condition keys it supports.
const KEY_ACTIONS: &[(&str, &[&str], &str)] = &[
    (
        "s3:prefix",
        &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ],
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
    ),
    (
        "iam:PassedToService",
        &["iam:PassRole"],
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html",
    ),
    (
        "kms:GrantIsForAWSResource",
        &["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html",
    ),
    (
        "cloudwatch:namespace",
        &["cloudwatch:PutMetricData"],
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html",
    ),
];

/// Whether the IAM action pattern `pattern` (with `*` and `?`) matches
/// `action`, ignoring case.
fn action_matches(pattern: &str, action: &str) -> bool {
    fn glob(p: &[char], a: &[char]) -> bool {
        match p.split_first() {
            None => a.is_empty(),
            Some(('*', rest)) => (0..=a.len()).any(|i| glob(rest, &a[i..])),
            Some((c, rest)) => a
                .split_first()
                .is_some_and(|(x, tail)| (*c == '?' || c == x) && glob(rest, tail)),
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let a: Vec<char> = action.to_lowercase().chars().collect();
    glob(&p, &a)
}

/// Whether a condition operator is false when its key is absent from the
/// request: not a negated operator, not `...IfExists`, not `Null`, not
/// `ForAllValues:` (true on an absent key).
fn false_when_absent(operator: &str) -> bool {
    !(operator.contains("Not")
        || operator.ends_with("IfExists")
        || operator == "Null"
        || operator.starts_with("ForAllValues:"))
}

/// The Allow statements of the identity policies of a template (inline
/// policies of roles, users and groups; policy and managed policy
/// resources), with their owner and a label.
fn allow_statements(t: &Template) -> Vec<(&str, String, Value)> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        let docs: Vec<(String, &Value)> = match r.resource_type.as_str() {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => r
                .prop(&["Policies"])
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| {
                            let name = p.get("PolicyName").and_then(Value::as_str).unwrap_or("?");
                            Some((format!("policy {name}"), p.get("PolicyDocument")?))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => r
                .prop(&["PolicyDocument"])
                .map(|d| ("policy".to_string(), d))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        for (policy, doc) in docs {
            let doc = mlcdk_core::template::decode_document(doc).unwrap_or_else(|| doc.clone());
            let statements = match doc.get("Statement") {
                Some(Value::Array(items)) => items.clone(),
                Some(one @ Value::Object(_)) => vec![one.clone()],
                _ => Vec::new(),
            };
            for (i, s) in statements.into_iter().enumerate() {
                if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
                    continue;
                }
                let label = match s.get("Sid").and_then(Value::as_str) {
                    Some(sid) => format!("{policy}, statement {sid}"),
                    None => format!("{policy}, statement {}", i + 1),
                };
                out.push((id.as_str(), label, s));
            }
        }
    }
    out
}

/// A condition with a positive operator (`StringEquals`, `StringLike`,
/// `ArnLike`, `Bool`, `ForAnyValue:...`) is false when the request lacks its
/// key, and a service-specific key is in the request only for the actions
/// that send it: the Service Authorization Reference lists, per action, the
/// condition keys it supports (`KEY_ACTIONS`: `s3:prefix` only for listing
/// a bucket, `iam:PassedToService` only for `iam:PassRole`,
/// `kms:GrantIsForAWSResource` only for the grant operations,
/// `cloudwatch:namespace` only for `cloudwatch:PutMetricData`; pages:
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>,
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>,
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html>,
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html>).
/// An Allow statement none of whose actions sends a key it conditions on
/// allows nothing: the grant is dead, and the permission it was written for
/// is missing at run time. Only statements where *no* action (wildcards
/// expanded by matching) sends the key are flagged; a statement mixing a
/// sending action with others (`s3:ListBucket` and `s3:GetBucketLocation`
/// under `s3:prefix`) works for the sending one and is left alone, although
/// the others are dead in it. Negated and `...IfExists` operators, `Null`
/// and `ForAllValues:` are true on an absent key and are not judged, nor are
/// `NotAction` statements.
pub(crate) fn rt_dead_grants(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, label, statement) in allow_statements(t) {
        let actions: Vec<&str> = match statement.get("Action") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        let Some(Value::Object(condition)) = statement.get("Condition") else {
            continue;
        };
        for (operator, keys) in condition {
            let Value::Object(keys) = keys else { continue };
            if !false_when_absent(operator) {
                continue;
            }
            for key in keys.keys() {
                let Some((known, senders, doc)) = KEY_ACTIONS
                    .iter()
                    .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
                else {
                    continue;
                };
                let sent = actions
                    .iter()
                    .any(|a| senders.iter().any(|s| action_matches(a, s)));
                if !sent {
                    out.push(Hit::new(
                        id,
                        format!(
                            "{id} ({label}) allows {} only under {operator} on {known}, which only {} send(s), so the statement allows nothing; drop the condition or grant the action it was meant for (see {doc})",
                            actions.join(", "),
                            senders.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}

//! Run-time rules: what AWS does with a template once it runs, checked before
//! deploy. Linters check a template's shape; these ask the policy evaluator
//! ([`crate::policy`]) whether each role can make the calls the service will
//! make with it.
//!
//! The calls are data: [`JOBS`] says, per SageMaker pipeline step type, where
//! the job's role is, what it reads and writes in S3 and which volume key it
//! uses, with the AWS page that documents the permissions.

use std::collections::BTreeMap;

use mlcdk_core::Template;
use serde_json::Value;

use crate::policy::{Decision, Evaluator, Symbols};
use crate::{Hit, Options};

/// The execution-role permissions SageMaker documents for the jobs it runs.
pub const SAGEMAKER_ROLES_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html";

/// Where a pipeline step's job finds its role, its S3 inputs and outputs and
/// its volume key, relative to the step's `Arguments`.
pub struct JobIo {
    /// The step `Type`.
    pub step_type: &'static str,
    /// The part of `Arguments` that is the job request (tuning nests the
    /// training job's definition).
    pub root: &'static str,
    /// JSON pointer to the execution role's ARN.
    pub role: &'static str,
    /// `(list, uri, data type)`: each element of the list at `list` reads
    /// the S3 URI at `uri`, of the S3 data type at `data_type`.
    pub reads: &'static [(&'static str, &'static str, &'static str)],
    /// `(list or "", uri)`: S3 locations the job writes (a list's elements,
    /// or one value when `list` is empty).
    pub writes: &'static [(&'static str, &'static str)],
    /// JSON pointer to the volume KMS key, if any.
    pub volume_key: &'static str,
}

/// The jobs of pipeline steps and what they touch (CreateProcessingJob,
/// CreateTrainingJob, CreateHyperParameterTuningJob request shapes; the
/// permissions per job are on [`SAGEMAKER_ROLES_DOC`]).
pub static JOBS: &[JobIo] = &[
    JobIo {
        step_type: "Processing",
        root: "",
        role: "/RoleArn",
        reads: &[("/ProcessingInputs", "/S3Input/S3Uri", "/S3Input/S3DataType")],
        writes: &[("/ProcessingOutputConfig/Outputs", "/S3Output/S3Uri")],
        volume_key: "/ProcessingResources/ClusterConfig/VolumeKmsKeyId",
    },
    JobIo {
        step_type: "Training",
        root: "",
        role: "/RoleArn",
        reads: &[(
            "/InputDataConfig",
            "/DataSource/S3DataSource/S3Uri",
            "/DataSource/S3DataSource/S3DataType",
        )],
        writes: &[
            ("", "/OutputDataConfig/S3OutputPath"),
            ("", "/CheckpointConfig/S3Uri"),
        ],
        volume_key: "/ResourceConfig/VolumeKmsKeyId",
    },
    JobIo {
        step_type: "Tuning",
        root: "/TrainingJobDefinition",
        role: "/RoleArn",
        reads: &[(
            "/InputDataConfig",
            "/DataSource/S3DataSource/S3Uri",
            "/DataSource/S3DataSource/S3DataType",
        )],
        writes: &[
            ("", "/OutputDataConfig/S3OutputPath"),
            ("", "/CheckpointConfig/S3Uri"),
        ],
        volume_key: "/ResourceConfig/VolumeKmsKeyId",
    },
];

/// One call a job makes with its role.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The IAM action, e.g. `s3:ListBucket`.
    pub action: &'static str,
    /// The resource ARN (symbolic, as [`Symbols`] writes it).
    pub resource: String,
    /// Condition keys the request carries.
    pub context: BTreeMap<String, Vec<String>>,
    /// Why the job makes it, for the finding.
    pub why: String,
}

/// `(bucket, key)` of a literal `s3://` URI; `None` for a pipeline
/// expression (`Get`, `Std:Join`), whose location is known only at run time.
fn s3_location(uri: &Value) -> Option<(String, String)> {
    let rest = uri.as_str()?.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    Some((bucket.to_string(), key.to_string()))
}

fn bucket_arn(bucket: &str) -> String {
    format!("arn:${{AWS::Partition}}:s3:::{bucket}")
}

/// An object under `key`: the key itself when it names one, else a
/// representative object below the prefix.
fn object_arn(bucket: &str, key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        format!("arn:${{AWS::Partition}}:s3:::{bucket}/{key}object")
    } else {
        format!("arn:${{AWS::Partition}}:s3:::{bucket}/{key}")
    }
}

fn key_arn(key: &str) -> String {
    if key.starts_with("arn:") {
        key.to_string()
    } else {
        format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/{key}")
    }
}

/// The calls a step's job makes with its role, and the role's ARN; `None`
/// for steps that start no job.
pub fn job_calls(step: &Value) -> Option<(String, Vec<Call>)> {
    let ty = step.get("Type")?.as_str()?;
    let io = JOBS.iter().find(|j| j.step_type == ty)?;
    let args = step.get("Arguments")?.pointer(io.root)?;
    let role = args.pointer(io.role)?.as_str()?.to_string();
    let name = step.get("Name").and_then(Value::as_str).unwrap_or("?");
    let mut calls = Vec::new();
    for (list, uri, data_type) in io.reads {
        for (i, input) in args
            .pointer(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some((bucket, key)) = input.pointer(uri).and_then(s3_location) else {
                continue;
            };
            let label = input
                .get("InputName")
                .or_else(|| input.get("ChannelName"))
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{i}"), |n| format!("'{n}'"));
            let kind = input.pointer(data_type).and_then(Value::as_str);
            // S3Prefix (and AugmentedManifestFile-less defaults) list the
            // prefix before reading what it matched.
            if kind.is_none_or(|k| k == "S3Prefix") {
                calls.push(Call {
                    action: "s3:ListBucket",
                    resource: bucket_arn(&bucket),
                    context: [("s3:prefix".to_string(), vec![key.clone()])].into(),
                    why: format!("step {name} lists the prefix of its input {label} (S3Prefix)"),
                });
            }
            calls.push(Call {
                action: "s3:GetObject",
                resource: object_arn(&bucket, &key),
                context: BTreeMap::new(),
                why: format!("step {name} reads its input {label}"),
            });
        }
    }
    for (list, uri) in io.writes {
        let targets: Vec<&Value> = if list.is_empty() {
            args.pointer(uri).into_iter().collect()
        } else {
            args.pointer(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| o.pointer(uri))
                .collect()
        };
        for target in targets {
            let Some((bucket, key)) = s3_location(target) else {
                continue;
            };
            let prefix = if key.is_empty() || key.ends_with('/') {
                key.clone()
            } else {
                format!("{key}/")
            };
            calls.push(Call {
                action: "s3:PutObject",
                resource: object_arn(&bucket, &prefix),
                context: BTreeMap::new(),
                why: format!("step {name} writes to s3://{bucket}/{key}"),
            });
        }
    }
    if let Some(key) = args.pointer(io.volume_key).and_then(Value::as_str) {
        calls.push(Call {
            action: "kms:CreateGrant",
            resource: key_arn(key),
            context: [(
                "kms:GrantIsForAWSResource".to_string(),
                vec!["true".to_string()],
            )]
            .into(),
            why: format!("step {name} encrypts its instance volumes with this key"),
        });
    }
    Some((role, calls))
}

fn walk_steps(steps: &[Value], out: &mut Vec<Value>) {
    for step in steps {
        out.push(step.clone());
        for branch in ["IfSteps", "ElseSteps"] {
            if let Some(Value::Array(inner)) = step.pointer(&format!("/Arguments/{branch}")) {
                walk_steps(inner, out);
            }
        }
    }
}

/// The steps of a pipeline resource with references resolved the way the
/// evaluator resolves policies, so a job's S3 URI and a policy's resource
/// compare as the same symbolic ARN.
fn resolved_steps(symbols: &Symbols, pipeline: &mlcdk_core::template::Resource) -> Vec<Value> {
    let Some(body) = pipeline.prop(&["PipelineDefinition", "PipelineDefinitionBody"]) else {
        return Vec::new();
    };
    let Ok(definition) = serde_json::from_str::<Value>(&symbols.resolve(body)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(Value::Array(steps)) = definition.get("Steps") {
        walk_steps(steps, &mut out);
    }
    out
}

/// Each pipeline job call checked against its role: `(pipeline, call, role
/// logical id, decision)`. Roles that are not in the template are skipped:
/// their policies are unknown.
fn pipeline_decisions(t: &Template) -> Vec<(String, Call, String, Decision)> {
    let symbols = Symbols::new(t);
    let evaluator = Evaluator::from_template(t);
    let roles: Vec<(&String, &str)> = t
        .resources_of_type("AWS::IAM::Role")
        .filter_map(|(id, _)| evaluator.role_arn(id).map(|arn| (id, arn)))
        .collect();
    let mut out = Vec::new();
    for (id, pipeline) in t.resources_of_type("AWS::SageMaker::Pipeline") {
        for step in resolved_steps(&symbols, pipeline) {
            let Some((role_arn, calls)) = job_calls(&step) else {
                continue;
            };
            let Some((role_id, _)) = roles.iter().find(|(_, arn)| *arn == role_arn) else {
                continue;
            };
            for call in calls {
                let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
                out.push((id.clone(), call, role_id.to_string(), decision));
            }
        }
    }
    out
}

fn describe(call: &Call, role: &str) -> String {
    let context: Vec<String> = call
        .context
        .iter()
        .map(|(k, v)| format!("{k}={}", v.join(",")))
        .collect();
    format!(
        "role {role} cannot {} on {}{}: {}; grant it (see {SAGEMAKER_ROLES_DOC})",
        call.action,
        call.resource,
        if context.is_empty() {
            String::new()
        } else {
            format!(" ({})", context.join(", "))
        },
        call.why
    )
}

/// **RT-001: roles can do what SageMaker will do with them.** Each job a
/// pipeline starts (processing, training, tuning) runs with its step's role:
/// it lists and reads its S3 inputs (`s3:ListBucket` with the prefix for
/// `S3Prefix` inputs, `s3:GetObject`), writes its outputs and checkpoints
/// (`s3:PutObject`) and grants SageMaker use of its volume key
/// (`kms:CreateGrant`), as the execution-role pages document
/// ([`SAGEMAKER_ROLES_DOC`]). A call the role's policies (and the bucket's or
/// key's policy) definitely deny is an error in every stage: the job would
/// fail at run time although the template deploys. Locations known only at
/// run time (pipeline parameters, step properties) are not checked.
pub(crate) fn rt_job_permissions(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (pipeline, call, role, decision) in pipeline_decisions(t) {
        if let Decision::Denied(_) = decision {
            out.push(Hit::new(&pipeline, describe(&call, &role)));
        }
    }
}

/// **RT-002: run-time permissions that cannot be decided.** A call of RT-001
/// whose answer depends on something the template does not say (a policy
/// outside the template, an unsupported condition, a reference that cannot be
/// resolved): a warning naming why, never a silent pass.
pub(crate) fn rt_undecided(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (pipeline, call, role, decision) in pipeline_decisions(t) {
        if let Decision::CannotDecide(why) = decision {
            out.push(Hit::new(
                &pipeline,
                format!(
                    "cannot tell whether role {role} may {} on {} ({}): {why}",
                    call.action, call.resource, call.why
                ),
            ));
        }
    }
}

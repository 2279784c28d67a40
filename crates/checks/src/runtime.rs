//! Run-time rules: what AWS does with a template once it runs, checked before
//! deploy. Linters check a template's shape; these ask the policy evaluator
//! ([`crate::policy`]) whether each role can make the calls the service will
//! make with it.
//!
//! The calls are data: [`JOBS`] says, per SageMaker pipeline step type, where
//! the job's role is, what it reads and writes in S3 and which volume key it
//! uses, with the AWS page that documents the permissions.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use mlcdk_core::Template;
use serde_json::Value;

use crate::policy::{Decision, Evaluator, Request, Symbols};
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
    /// JSON pointer to the container image the job pulls from ECR with its
    /// role.
    pub image: &'static str,
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
        image: "/AppSpecification/ImageUri",
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
        image: "/AlgorithmSpecification/TrainingImage",
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
        image: "/AlgorithmSpecification/TrainingImage",
    },
    // A transform job runs as its model's execution role; the step names the
    // model only, so the role is the `ExecutionRoleArn` of the pipeline's
    // Model step it reads the name of, put at `/RoleArn` by
    // `with_model_role` (CreateTransformJob execution-role permissions).
    JobIo {
        step_type: "Transform",
        root: "",
        role: "/RoleArn",
        reads: &[(
            "",
            "/TransformInput/DataSource/S3DataSource/S3Uri",
            "/TransformInput/DataSource/S3DataSource/S3DataType",
        )],
        writes: &[("", "/TransformOutput/S3OutputPath")],
        volume_key: "/TransformResources/VolumeKmsKeyId",
        image: "",
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

impl Call {
    /// A call that carries no condition keys.
    fn new(action: &'static str, resource: String, why: String) -> Call {
        Call {
            action,
            resource,
            context: BTreeMap::new(),
            why,
        }
    }

    /// `s3:ListBucket` on `bucket` with `s3:prefix` = `key`: what a reader of
    /// an S3 prefix (an `S3Prefix` input, a model data source) does first.
    fn list_prefix(bucket: &str, key: &str, why: String) -> Call {
        Call {
            action: "s3:ListBucket",
            resource: bucket_arn(bucket),
            context: [("s3:prefix".to_string(), vec![key.to_string()])].into(),
            why,
        }
    }
}

/// `(bucket, key)` of a literal `s3://` URI, or of a `Std:Join` of literals
/// and values of the running execution (`Execution.PipelineExecutionId`,
/// written as [`EXECUTION_PLACEHOLDER`]: outputs keyed per execution are
/// still checked); `None` for other pipeline expressions (a step's property,
/// a parameter), whose location is known only at run time.
fn s3_location(uri: &Value) -> Option<(String, String)> {
    let text = match uri {
        Value::String(s) => s.clone(),
        other => execution_join(other)?,
    };
    let rest = text.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    Some((bucket.to_string(), key.to_string()))
}

/// What an `Execution.*` value reads as in a resolved URI: a name of the
/// shape execution IDs have.
pub const EXECUTION_PLACEHOLDER: &str = "execution-id";

/// A `Std:Join` whose values are literals, `Execution.*` values or such
/// joins, joined; `None` when any value is known only at run time.
fn execution_join(value: &Value) -> Option<String> {
    let join = value.get("Std:Join")?;
    let on = join.get("On")?.as_str()?;
    let parts = join
        .get("Values")?
        .as_array()?
        .iter()
        .map(|v| match v {
            Value::String(s) => Some(s.clone()),
            _ if v
                .get("Get")
                .and_then(Value::as_str)
                .is_some_and(|g| g.starts_with("Execution.")) =>
            {
                Some(EXECUTION_PLACEHOLDER.to_string())
            }
            _ => execution_join(v),
        })
        .collect::<Option<Vec<String>>>()?;
    Some(parts.join(on))
}

/// `key` as a folder: itself when empty or ending in `/`, else with `/`
/// appended (a job writes below a prefix it is given).
fn as_folder(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_string()
    } else {
        format!("{key}/")
    }
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

/// The repository ARN of an ECR image URI
/// (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`);
/// `None` for other registries or expressions.
fn ecr_repository_arn(uri: &str) -> Option<String> {
    let (host, rest) = uri.split_once('/')?;
    let mut parts = host.splitn(4, '.');
    let (account, dkr, ecr, tail) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let region = tail.strip_suffix(".amazonaws.com")?;
    if dkr != "dkr" || ecr != "ecr" || account.len() != 12 || region.contains('.') {
        return None;
    }
    let repository = rest.split('@').next()?;
    let repository = match repository.rsplit_once(':') {
        Some((r, _)) => r,
        None => repository,
    };
    Some(format!(
        "arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repository}"
    ))
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
        // An empty `list` is one input at the root of the request.
        let inputs: Vec<&Value> = if list.is_empty() {
            vec![args]
        } else {
            args.pointer(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect()
        };
        for (i, input) in inputs.into_iter().enumerate() {
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
                calls.push(Call::list_prefix(
                    &bucket,
                    &key,
                    format!("step {name} lists the prefix of its input {label} (S3Prefix)"),
                ));
            }
            calls.push(Call::new(
                "s3:GetObject",
                object_arn(&bucket, &key),
                format!("step {name} reads its input {label}"),
            ));
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
            let prefix = as_folder(&key);
            calls.push(Call::new(
                "s3:PutObject",
                object_arn(&bucket, &prefix),
                format!("step {name} writes to s3://{bucket}/{key}"),
            ));
        }
    }
    if let Some(repository) = args
        .pointer(io.image)
        .and_then(Value::as_str)
        .and_then(ecr_repository_arn)
    {
        // The job's role pulls the image (CreateTrainingJob / processing
        // execution-role permissions: ecr:BatchGetImage,
        // ecr:GetDownloadUrlForLayer, and GetAuthorizationToken, which has
        // no resource-level permissions).
        for action in ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] {
            calls.push(Call::new(
                action,
                repository.clone(),
                format!("step {name} pulls its image"),
            ));
        }
        calls.push(Call::new(
            "ecr:GetAuthorizationToken",
            "*".to_string(),
            format!("step {name} logs in to ECR to pull its image"),
        ));
    }
    if ty == "Processing" {
        calls.extend(monitoring_contract_calls(args, name));
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

/// The calls a processing job running mlcdk's monitoring script (or one
/// with its contract: `--endpoint`, `--capture`, `--namespace`, ...) makes
/// through the AWS APIs, which its inputs and outputs do not show: it lists
/// and reads the endpoint's capture, reads the baseline (a file, or the
/// served version's package) or the ground truth, and puts metrics in its
/// namespace. The baseline object a package points at is known only at run
/// time, so it is not asked.
fn monitoring_contract_calls(args: &Value, step: &str) -> Vec<Call> {
    let entry: Vec<&str> = args
        .pointer("/AppSpecification/ContainerEntrypoint")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let after = |flag: &str| entry.windows(2).find(|w| w[0] == flag).map(|w| w[1]);
    let (Some(endpoint), Some(capture)) = (after("--endpoint"), after("--capture")) else {
        return Vec::new();
    };
    let mut calls = Vec::new();
    let read_prefix = |uri: &str, what: &str, calls: &mut Vec<Call>| {
        let Some((bucket, key)) = s3_location(&Value::from(uri)) else {
            return;
        };
        calls.push(Call::list_prefix(
            &bucket,
            &key,
            format!("step {step} lists {what}"),
        ));
        calls.push(Call::new(
            "s3:GetObject",
            object_arn(&bucket, &format!("{key}x.jsonl")),
            format!("step {step} reads {what}"),
        ));
    };
    let capture = format!("{}{endpoint}/", as_folder(capture));
    read_prefix(&capture, "the endpoint's captured requests", &mut calls);
    if let Some(truth) = after("--ground-truth") {
        read_prefix(&as_folder(truth), "the ground truth", &mut calls);
    }
    if let Some(uri) = after("--baseline-uri")
        && let Some((bucket, key)) = s3_location(&Value::from(uri))
    {
        calls.push(Call::new(
            "s3:GetObject",
            object_arn(&bucket, &key),
            format!("step {step} reads its baseline"),
        ));
    }
    if let Some(package) = after("--baseline-package") {
        calls.push(Call::new(
            "sagemaker:DescribeModelPackage",
            package.to_string(),
            format!("step {step} looks up the served version's baseline"),
        ));
    }
    if let Some(namespace) = after("--namespace") {
        calls.push(Call {
            action: "cloudwatch:PutMetricData",
            resource: "*".to_string(),
            context: [(
                "cloudwatch:namespace".to_string(),
                vec![namespace.to_string()],
            )]
            .into(),
            why: format!("step {step} publishes its metrics in {namespace}"),
        });
    }
    calls
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
    mlcdk_core::template::definition_steps(&definition)
}

/// Each pipeline job call checked against its role: `(pipeline, call, role
/// logical id, decision)`. Roles that are not in the template are skipped:
/// their policies are unknown.
type PipelineDecisions = Vec<(String, Call, String, Decision)>;
type EndpointDecisions = Vec<(String, Call, String, Decision, &'static str)>;
/// RT-008's decisions: `(resource, call, role logical id or service
/// principal, decision, doc, whether the principal is a service)`.
type ServiceDecisions = Vec<(String, Call, String, Decision, &'static str, bool)>;
/// RT-012's decisions: `(pipeline, call, pipeline role logical id, decision)`.
type PipelineRoleDecisions = Vec<(String, Call, String, Decision)>;

/// Everything the run-time rules decide about one template, from one symbol
/// table and one evaluator: RT-001, RT-002, RT-006, RT-008 and RT-012 ask
/// overlapping questions, and building the evaluator and resolving the
/// pipeline bodies was most of the pack's time.
struct Analysis {
    pipelines: PipelineDecisions,
    endpoints: EndpointDecisions,
    services: ServiceDecisions,
    pipeline_role: PipelineRoleDecisions,
}

thread_local! {
    /// The analysis of the template one `check` call is checking.
    /// [`crate::check`] clears it before and after, so nothing outlives the
    /// call that computed it.
    static MEMO: RefCell<Option<Rc<Analysis>>> = const { RefCell::new(None) };
}

/// Drops the analysis of the last `check` call.
pub(crate) fn forget() {
    MEMO.with(|m| *m.borrow_mut() = None);
}

/// The analysis of `t`, computed on the first question of a `check` call.
fn analysis(t: &Template) -> Rc<Analysis> {
    if let Some(known) = MEMO.with(|m| m.borrow().clone()) {
        return known;
    }
    let symbols = Symbols::new(t);
    let evaluator = Evaluator::from_template(t);
    let roles = template_roles(t, &evaluator);
    let computed = Rc::new(Analysis {
        pipelines: compute_pipeline_decisions(t, &symbols, &evaluator, &roles),
        endpoints: compute_endpoint_decisions(t, &symbols, &evaluator, &roles),
        services: compute_service_decisions(t, &symbols, &evaluator, &roles),
        pipeline_role: compute_pipeline_role_decisions(t, &symbols, &evaluator, &roles),
    });
    MEMO.with(|m| *m.borrow_mut() = Some(computed.clone()));
    computed
}

/// `(logical id, symbolic ARN)` of the template's roles: only these are
/// judged, since the policies of any other role are unknown.
fn template_roles<'t>(t: &'t Template, evaluator: &'t Evaluator) -> Vec<(&'t String, &'t str)> {
    t.resources_of_type("AWS::IAM::Role")
        .filter_map(|(id, _)| evaluator.role_arn(id).map(|arn| (id, arn)))
        .collect()
}

fn compute_pipeline_decisions(
    t: &Template,
    symbols: &Symbols,
    evaluator: &Evaluator,
    roles: &[(&String, &str)],
) -> PipelineDecisions {
    let mut out = Vec::new();
    for (id, pipeline) in t.resources_of_type("AWS::SageMaker::Pipeline") {
        let steps = resolved_steps(symbols, pipeline);
        for step in steps.iter().map(|s| with_model_role(s, &steps)) {
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

/// A Transform step with the execution role of the Model step whose
/// `ModelName` it reads put at `Arguments.RoleArn` (the job runs as the
/// model's role); other steps as they are.
fn with_model_role(step: &Value, steps: &[Value]) -> Value {
    let mut step = step.clone();
    if step.get("Type").and_then(Value::as_str) != Some("Transform") {
        return step;
    }
    let model_step = step
        .pointer("/Arguments/ModelName/Get")
        .and_then(Value::as_str)
        .and_then(|g| g.strip_prefix("Steps."))
        .and_then(|g| g.strip_suffix(".ModelName"))
        .map(str::to_string);
    let role = model_step.and_then(|name| {
        steps
            .iter()
            .find(|s| s.get("Name").and_then(Value::as_str) == Some(name.as_str()))
            .and_then(|s| s.pointer("/Arguments/ExecutionRoleArn"))
            .cloned()
    });
    if let (Some(role), Some(Value::Object(args))) = (role, step.get_mut("Arguments")) {
        args.insert("RoleArn".to_string(), role);
    }
    step
}

fn describe(call: &Call, role: &str) -> String {
    describe_at(call, role, SAGEMAKER_ROLES_DOC)
}

fn describe_at(call: &Call, role: &str, doc: &str) -> String {
    let context: Vec<String> = call
        .context
        .iter()
        .map(|(k, v)| format!("{k}={}", v.join(",")))
        .collect();
    format!(
        "role {role} cannot {} on {}{}: {}; grant it (see {doc})",
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
    for (pipeline, call, role, decision) in &analysis(t).pipelines {
        if let Decision::Denied(_) = decision {
            out.push(Hit::new(pipeline, describe(call, role)));
        }
    }
}

/// **RT-002: run-time permissions that cannot be decided.** A call of RT-001,
/// RT-006 or RT-008 whose answer depends on something the template does not say (a policy
/// outside the template, an unsupported condition, a reference that cannot be
/// resolved): a warning naming why, never a silent pass.
pub(crate) fn rt_undecided(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    let a = analysis(t);
    let asked = a
        .pipelines
        .iter()
        .map(|(id, call, role, decision)| (id, call, role, decision))
        .chain(a.endpoints.iter().map(|(id, c, r, d, _)| (id, c, r, d)))
        .chain(a.services.iter().map(|(id, c, r, d, ..)| (id, c, r, d)));
    for (pipeline, call, role, decision) in asked {
        if let Decision::CannotDecide(why) = decision {
            out.push(Hit::new(
                pipeline,
                format!(
                    "cannot tell whether role {role} may {} on {} ({}): {why}",
                    call.action, call.resource, call.why
                ),
            ));
        }
    }
}

/// Where SageMaker finds the role it uses for an endpoint feature or a
/// monitoring job.
#[derive(Clone, Copy, Debug)]
pub enum RoleOf {
    /// The `ExecutionRoleArn` of each production variant's
    /// `AWS::SageMaker::Model` (the resource is an endpoint config).
    Variants,
    /// The same, for the endpoint config an `AWS::SageMaker::Endpoint` names.
    EndpointVariants,
    /// The role ARN at a JSON pointer, relative to the row's `root`.
    Property(&'static str),
}

/// One thing SageMaker does with a role at run time for a resource of the
/// template: which role, which S3 locations it writes, which keys, topics and
/// alarms it uses, and the AWS page that documents the permissions. Pointers
/// are JSON pointers into the resource's `Properties` (`root`) and then into
/// the value at `root` (the rest); an empty pointer means "none".
pub struct RoleUse {
    /// The resource type the row applies to.
    pub resource_type: &'static str,
    /// What SageMaker is doing, for the finding.
    pub feature: &'static str,
    /// The feature's configuration; the row applies only when it is present.
    pub root: &'static str,
    /// A flag that turns the feature off when it is `false`.
    pub off: &'static str,
    /// The role the calls are made with.
    pub role: RoleOf,
    /// `(list or "", uri)`: S3 locations written (`s3:PutObject`), a list's
    /// elements or one value when `list` is empty.
    pub writes: &'static [(&'static str, &'static str)],
    /// The KMS key the writes are encrypted with (`kms:GenerateDataKey`).
    pub data_key: &'static str,
    /// The KMS key of the instance volumes (`kms:CreateGrant`).
    pub volume_key: &'static str,
    /// SNS topics published to (`sns:Publish`).
    pub topics: &'static [&'static str],
    /// `(list, name)`: CloudWatch alarms read (`cloudwatch:DescribeAlarms`).
    pub alarms: (&'static str, &'static str),
    /// The AWS page that documents the permissions.
    pub doc: &'static str,
}

/// Model Monitor data capture: the endpoint writes captured requests and
/// responses with the model's execution role.
pub const DATA_CAPTURE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html";
/// Asynchronous inference: the role needs S3 and SNS access.
pub const ASYNC_INFERENCE_DOC: &str = "https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html";
/// Deployment guardrails: the execution role needs `cloudwatch:DescribeAlarms`
/// on the auto-rollback alarms.
pub const GUARDRAILS_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html";

/// What endpoints and monitoring jobs do with their roles at run time
/// (RT-006); each row cites its page.
pub static ROLE_USES: &[RoleUse] = &[
    RoleUse {
        resource_type: "AWS::SageMaker::EndpointConfig",
        feature: "data capture",
        root: "/DataCaptureConfig",
        off: "/EnableCapture",
        role: RoleOf::Variants,
        writes: &[("", "/DestinationS3Uri")],
        data_key: "/KmsKeyId",
        volume_key: "",
        topics: &[],
        alarms: ("", ""),
        doc: DATA_CAPTURE_DOC,
    },
    RoleUse {
        resource_type: "AWS::SageMaker::EndpointConfig",
        feature: "async inference",
        root: "/AsyncInferenceConfig/OutputConfig",
        off: "",
        role: RoleOf::Variants,
        writes: &[("", "/S3OutputPath"), ("", "/S3FailurePath")],
        data_key: "/KmsKeyId",
        volume_key: "",
        topics: &[
            "/NotificationConfig/SuccessTopic",
            "/NotificationConfig/ErrorTopic",
        ],
        alarms: ("", ""),
        doc: ASYNC_INFERENCE_DOC,
    },
    RoleUse {
        resource_type: "AWS::SageMaker::Endpoint",
        feature: "auto-rollback",
        root: "/DeploymentConfig/AutoRollbackConfiguration",
        off: "",
        role: RoleOf::EndpointVariants,
        writes: &[],
        data_key: "",
        volume_key: "",
        topics: &[],
        alarms: ("/Alarms", "/AlarmName"),
        doc: GUARDRAILS_DOC,
    },
    RoleUse {
        resource_type: "AWS::SageMaker::DataQualityJobDefinition",
        feature: "the monitoring job",
        root: "",
        off: "",
        role: RoleOf::Property("/RoleArn"),
        writes: &[(
            "/DataQualityJobOutputConfig/MonitoringOutputs",
            "/S3Output/S3Uri",
        )],
        data_key: "/DataQualityJobOutputConfig/KmsKeyId",
        volume_key: "/JobResources/ClusterConfig/VolumeKmsKeyId",
        topics: &[],
        alarms: ("", ""),
        doc: SAGEMAKER_ROLES_DOC,
    },
    RoleUse {
        resource_type: "AWS::SageMaker::ModelQualityJobDefinition",
        feature: "the monitoring job",
        root: "",
        off: "",
        role: RoleOf::Property("/RoleArn"),
        writes: &[(
            "/ModelQualityJobOutputConfig/MonitoringOutputs",
            "/S3Output/S3Uri",
        )],
        data_key: "/ModelQualityJobOutputConfig/KmsKeyId",
        volume_key: "/JobResources/ClusterConfig/VolumeKmsKeyId",
        topics: &[],
        alarms: ("", ""),
        doc: SAGEMAKER_ROLES_DOC,
    },
    RoleUse {
        resource_type: "AWS::SageMaker::MonitoringSchedule",
        feature: "the monitoring job",
        root: "/MonitoringScheduleConfig/MonitoringJobDefinition",
        off: "",
        role: RoleOf::Property("/RoleArn"),
        writes: &[(
            "/MonitoringOutputConfig/MonitoringOutputs",
            "/S3Output/S3Uri",
        )],
        data_key: "/MonitoringOutputConfig/KmsKeyId",
        volume_key: "/MonitoringResources/ClusterConfig/VolumeKmsKeyId",
        topics: &[],
        alarms: ("", ""),
        doc: SAGEMAKER_ROLES_DOC,
    },
];

/// A value at a pointer, `None` for an empty pointer.
fn at<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        None
    } else {
        value.pointer(pointer)
    }
}

/// A KMS key id, key ARN, alias or alias ARN as the ARN a policy names.
fn kms_arn(key: &str) -> String {
    match key.strip_prefix("alias/") {
        Some(_) => {
            format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:{key}")
        }
        None => key_arn(key),
    }
}

/// The logical id of the resource of `resource_type` a property names: by
/// `Ref`/`Fn::GetAtt`, else by its (symbolic) physical name.
fn named<'t>(
    t: &'t Template,
    symbols: &Symbols,
    value: &Value,
    resource_type: &'t str,
) -> Option<&'t String> {
    if let Some(target) = mlcdk_core::template::reference_target(value) {
        return t
            .resources_of_type(resource_type)
            .find(|(id, _)| id.as_str() == target)
            .map(|(id, _)| id);
    }
    let name = symbols.resolve(value);
    t.resources_of_type(resource_type)
        .find(|(id, _)| symbols.physical_name(id) == name)
        .map(|(id, _)| id)
}

/// `(role ARN, variant name)` of each production variant of an endpoint
/// config: the execution role of the variant's model.
fn variant_roles(t: &Template, symbols: &Symbols, config: &str) -> Vec<(String, String)> {
    let Some(config) = t.resources.get(config) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, variant) in config
        .prop(&["ProductionVariants"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(model) = variant
            .get("ModelName")
            .and_then(|m| named(t, symbols, m, "AWS::SageMaker::Model"))
            .and_then(|id| t.resources.get(id))
        else {
            continue;
        };
        let Some(role) = model.prop(&["ExecutionRoleArn"]) else {
            continue;
        };
        let label = variant
            .get("VariantName")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{i}"), str::to_string);
        out.push((symbols.resolve(role), label));
    }
    out
}

/// The calls one row makes for one resource (its configuration resolved),
/// labelled `who` (a variant, or nobody).
fn role_use_calls(symbols: &Symbols, row: &RoleUse, root: &Value, who: &str) -> Vec<Call> {
    let subject = if who.is_empty() {
        row.feature.to_string()
    } else {
        format!("{} ({who})", row.feature)
    };
    let text = |v: &Value| symbols.resolve(v);
    let mut calls = Vec::new();
    for (list, uri) in row.writes {
        let targets: Vec<&Value> = if list.is_empty() {
            at(root, uri).into_iter().collect()
        } else {
            at(root, list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| o.pointer(uri))
                .collect()
        };
        for target in targets {
            let Some((bucket, key)) = s3_location(&Value::String(text(target))) else {
                continue;
            };
            let prefix = as_folder(&key);
            calls.push(Call::new(
                "s3:PutObject",
                object_arn(&bucket, &prefix),
                format!("{subject} writes to s3://{bucket}/{key}"),
            ));
        }
    }
    if let Some(key) = at(root, row.data_key) {
        calls.push(Call::new(
            "kms:GenerateDataKey",
            kms_arn(&text(key)),
            format!("{subject} encrypts what it writes to S3 with this key"),
        ));
    }
    if let Some(key) = at(root, row.volume_key) {
        calls.push(Call {
            action: "kms:CreateGrant",
            resource: kms_arn(&text(key)),
            context: [(
                "kms:GrantIsForAWSResource".to_string(),
                vec!["true".to_string()],
            )]
            .into(),
            why: format!("{subject} encrypts its instance volumes with this key"),
        });
    }
    for topic in row.topics.iter().filter_map(|p| at(root, p)) {
        calls.push(Call::new(
            "sns:Publish",
            text(topic),
            format!("{subject} publishes its notifications to this topic"),
        ));
    }
    let (list, name) = row.alarms;
    for alarm in at(root, list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.pointer(name))
    {
        let name = text(alarm);
        let resource = if name.starts_with("arn:") {
            name.clone()
        } else {
            format!(
                "arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{name}"
            )
        };
        calls.push(Call::new(
            "cloudwatch:DescribeAlarms",
            resource,
            format!("{subject} watches alarm {name} during deployments"),
        ));
    }
    calls
}

/// Each call of [`ROLE_USES`] checked against its role: `(resource, call,
/// role logical id, decision, doc)`. Roles that are not in the template are
/// skipped, as in RT-001; a role met twice for one resource (two variants of
/// one model) is asked once per call.
fn compute_endpoint_decisions(
    t: &Template,
    symbols: &Symbols,
    evaluator: &Evaluator,
    roles: &[(&String, &str)],
) -> EndpointDecisions {
    let mut out = Vec::new();
    for row in ROLE_USES {
        for (id, resource) in t.resources_of_type(row.resource_type) {
            let props = Value::Object(resource.properties.clone());
            let Some(root) = props.pointer(row.root) else {
                continue;
            };
            let off = at(root, row.off);
            if off == Some(&Value::Bool(false)) || off.and_then(Value::as_str) == Some("false") {
                continue;
            }
            let users: Vec<(String, String)> = match row.role {
                RoleOf::Variants => variant_roles(t, symbols, id),
                RoleOf::EndpointVariants => resource
                    .prop(&["EndpointConfigName"])
                    .and_then(|c| named(t, symbols, c, "AWS::SageMaker::EndpointConfig"))
                    .map(|config| variant_roles(t, symbols, config))
                    .unwrap_or_default(),
                RoleOf::Property(pointer) => at(root, pointer)
                    .map(|r| (symbols.resolve(r), String::new()))
                    .into_iter()
                    .collect(),
            };
            let mut asked: Vec<(String, &'static str, String)> = Vec::new();
            for (role_arn, who) in users {
                let Some((role_id, _)) = roles.iter().find(|(_, arn)| *arn == role_arn) else {
                    continue;
                };
                let label = if who.is_empty() {
                    who
                } else {
                    format!("variant {who}")
                };
                for call in role_use_calls(symbols, row, root, &label) {
                    let question = (role_id.to_string(), call.action, call.resource.clone());
                    if asked.contains(&question) {
                        continue;
                    }
                    asked.push(question);
                    let decision =
                        evaluator.can(role_id, call.action, &call.resource, &call.context);
                    out.push((id.clone(), call, role_id.to_string(), decision, row.doc));
                }
            }
        }
    }
    out.extend(model_decisions(t, symbols, evaluator, roles));

    out
}

/// **RT-006: endpoint and monitoring roles can do what SageMaker does with
/// them.** SageMaker uses an `AWS::SageMaker::Model`'s `ExecutionRoleArn` for
/// what the endpoints serving the model do at run time, and a monitoring
/// job's `RoleArn` for the job ([`ROLE_USES`]):
///
/// - data capture writes captured requests and responses under
///   `DataCaptureConfig.DestinationS3Uri` (`s3:PutObject`), encrypted with
///   its `KmsKeyId` when set (`kms:GenerateDataKey`)
///   (<https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html>,
///   [`SAGEMAKER_ROLES_DOC`]);
/// - asynchronous inference writes responses and failures under
///   `S3OutputPath`/`S3FailurePath` (`s3:PutObject`, `kms:GenerateDataKey`
///   on the output key) and publishes to its success and error topics
///   (`sns:Publish`)
///   (<https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html>);
/// - deployment guardrails read the auto-rollback alarms
///   (`cloudwatch:DescribeAlarms` on the alarm ARNs)
///   (<https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html>);
/// - data and model quality monitoring jobs (job definitions, or a schedule's
///   inline job definition) grant SageMaker use of their volume key
///   (`kms:CreateGrant`), write their reports under their outputs' `S3Uri`
///   (`s3:PutObject`) and encrypt them with the output key
///   (`kms:GenerateDataKey`) ([`SAGEMAKER_ROLES_DOC`]).
///
/// A call the role's policies (and the bucket's, key's or topic's policy)
/// definitely deny is an error: the endpoint or job fails, or silently drops
/// what it should write, although the template deploys. Roles outside the
/// template and locations known only at run time are not judged; a call
/// that cannot be decided is left to RT-002.
pub(crate) fn rt_endpoint_permissions(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (resource, call, role, decision, doc) in &analysis(t).endpoints {
        if let Decision::Denied(_) = decision {
            out.push(Hit::new(resource, describe_at(call, role, doc)));
        }
    }
}

/// What a Glue job's role needs: access to its scripts and temporary
/// directories in S3.
pub const GLUE_ROLE_DOC: &str =
    "https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html";
/// A crawler's role: at a minimum `s3:GetObject` on the objects of an S3
/// data store, besides `AWSGlueServiceRole` (or equivalent) for the Data
/// Catalog.
pub const GLUE_CRAWLER_DOC: &str =
    "https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html";
/// The offline store role's minimum policy (`AmazonSageMakerFeatureStoreAccess`:
/// `s3:PutObject`, `s3:GetBucketAcl`, `s3:PutObjectAcl`); the offline store
/// key needs `kms:GenerateDataKey`
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-sagemaker-featuregroup-s3storageconfig.html>).
pub const FEATURE_STORE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-feature-store.html";

/// One thing a service other than SageMaker's jobs and endpoints does with a
/// role of the template (RT-008). Pointers are JSON pointers into the
/// resource's `Properties`; an empty pointer means "none".
pub struct ServiceUse {
    /// The resource type the row applies to.
    pub resource_type: &'static str,
    /// What the service is doing, for the finding.
    pub feature: &'static str,
    /// The role: its ARN or its name.
    pub role: &'static str,
    /// S3 objects read (`s3:GetObject` on the object).
    pub reads: &'static [&'static str],
    /// `(list, uri)`: S3 prefixes read (`s3:GetObject` on an object under
    /// the prefix at `uri` of each element of the list at `list`).
    pub read_prefixes: &'static [(&'static str, &'static str)],
    /// S3 locations written: each of `write_actions` on an object under the
    /// location, and each of `bucket_actions` on its bucket.
    pub writes: &'static [&'static str],
    /// The actions on the objects written.
    pub write_actions: &'static [&'static str],
    /// The actions on the buckets written to.
    pub bucket_actions: &'static [&'static str],
    /// The KMS key the writes are encrypted with (`kms:GenerateDataKey`).
    pub data_key: &'static str,
    /// The AWS page that documents the permissions.
    pub doc: &'static str,
}

/// What Glue (jobs, crawlers) and Feature Store do with their roles at run time (RT-008);
/// each row cites its page.
pub static SERVICE_USES: &[ServiceUse] = &[
    ServiceUse {
        resource_type: "AWS::Glue::Job",
        feature: "the Glue job",
        role: "/Role",
        reads: &["/Command/ScriptLocation"],
        read_prefixes: &[],
        writes: &["/DefaultArguments/--TempDir"],
        write_actions: &["s3:PutObject"],
        bucket_actions: &[],
        data_key: "",
        doc: GLUE_ROLE_DOC,
    },
    ServiceUse {
        resource_type: "AWS::Glue::Crawler",
        feature: "the crawler",
        role: "/Role",
        reads: &[],
        read_prefixes: &[("/Targets/S3Targets", "/Path")],
        writes: &[],
        write_actions: &[],
        bucket_actions: &[],
        data_key: "",
        doc: GLUE_CRAWLER_DOC,
    },
    ServiceUse {
        resource_type: "AWS::SageMaker::FeatureGroup",
        feature: "the offline store",
        role: "/RoleArn",
        reads: &[],
        read_prefixes: &[],
        writes: &["/OfflineStoreConfig/S3StorageConfig/S3Uri"],
        write_actions: &["s3:PutObject", "s3:PutObjectAcl"],
        bucket_actions: &["s3:GetBucketAcl"],
        data_key: "/OfflineStoreConfig/S3StorageConfig/KmsKeyId",
        doc: FEATURE_STORE_DOC,
    },
];

/// What a Glue job or crawler does with its security configuration's keys:
/// writes S3 data and job bookmarks encrypted with them (`kms:GenerateDataKey`,
/// `kms:Decrypt`) and associates its log group with the CloudWatch key
/// (`logs:AssociateKmsKey`), as "Setting up encryption in AWS Glue"
/// documents.
pub const GLUE_ENCRYPTION_DOC: &str =
    "https://docs.aws.amazon.com/glue/latest/dg/set-up-encryption.html";

/// What a crawler does in the Data Catalog: it reads its database and
/// creates and updates the tables (and partitions) it finds. Glue authorizes
/// a table action on the catalog, the database and the table ARNs together
/// ("Specifying AWS Glue resource ARNs").
fn crawler_catalog_calls(database: &str) -> Vec<Call> {
    let arn =
        |r: &str| format!("arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:{r}");
    let mut calls = Vec::new();
    for resource in [arn("catalog"), arn(&format!("database/{database}"))] {
        calls.push(Call::new(
            "glue:GetDatabase",
            resource,
            format!("the crawler reads its database {database}"),
        ));
    }
    // The table actions are checked on a table of the database; the catalog
    // and database ARNs they also need are the ones GetDatabase is checked on.
    for action in [
        "glue:GetTable",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:BatchCreatePartition",
    ] {
        calls.push(Call::new(
            action,
            arn(&format!("table/{database}/table")),
            format!("the crawler writes the tables it finds into {database}"),
        ));
    }
    calls
}

/// `(resource type, pointer to its security configuration, what it is)`.
static GLUE_SECURITY_USERS: &[(&str, &str, &str)] = &[
    ("AWS::Glue::Job", "/SecurityConfiguration", "the Glue job"),
    (
        "AWS::Glue::Crawler",
        "/CrawlerSecurityConfiguration",
        "the crawler",
    ),
];

/// The calls a job or crawler makes with the keys of its security
/// configuration (`encryption` is the configuration's properties). A
/// crawler writes logs only; a job also S3 data and bookmarks.
fn glue_encryption_calls(
    symbols: &Symbols,
    encryption: &Value,
    ty: &str,
    feature: &str,
) -> Vec<Call> {
    let config = encryption.get("EncryptionConfiguration");
    let key = |v: Option<&Value>, mode: &str, on: &str| -> Option<String> {
        let v = v?;
        (v.get(mode)
            .and_then(Value::as_str)
            .is_some_and(|m| m != "DISABLED"))
        .then(|| v.get("KmsKeyArn"))
        .flatten()
        .map(|k| kms_arn(&symbols.resolve(k)))
        .filter(|_| !on.is_empty())
    };
    let mut calls = Vec::new();
    let mut data_keys = Vec::new();
    if ty == "AWS::Glue::Job" {
        for s3 in config
            .and_then(|c| c.get("S3Encryptions"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if s3.get("S3EncryptionMode").and_then(Value::as_str) == Some("SSE-KMS")
                && let Some(k) = s3.get("KmsKeyArn")
            {
                data_keys.push((kms_arn(&symbols.resolve(k)), "the S3 data it writes"));
            }
        }
        if let Some(k) = key(
            config.and_then(|c| c.get("JobBookmarksEncryption")),
            "JobBookmarksEncryptionMode",
            "bookmarks",
        ) {
            data_keys.push((k, "its job bookmarks"));
        }
    }
    for (k, what) in data_keys {
        for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
            calls.push(Call::new(
                action,
                k.clone(),
                format!("{feature} encrypts {what} with this key (security configuration)"),
            ));
        }
    }
    if key(
        config.and_then(|c| c.get("CloudWatchEncryption")),
        "CloudWatchEncryptionMode",
        "logs",
    )
    .is_some()
    {
        calls.push(Call {
            action: "logs:AssociateKmsKey",
            // Glue names the group after the configuration and role; any
            // group under /aws-glue/ stands for it.
            resource: format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws-glue/{}",
                if ty == "AWS::Glue::Job" { "jobs/logs-v2" } else { "crawlers" }
            ),
            context: BTreeMap::new(),
            why: format!("{feature} encrypts its logs (security configuration)"),
        });
    }
    calls
}

/// The logical id of the template role a property names by ARN or by name.
fn role_named<'t>(
    roles: &[(&'t String, &'t str)],
    symbols: &Symbols,
    value: &Value,
) -> Option<&'t String> {
    let text = symbols.resolve(value);
    roles
        .iter()
        .find(|(id, arn)| *arn == text || symbols.physical_name(id) == text)
        .map(|(id, _)| *id)
}

/// The calls one [`SERVICE_USES`] row makes for one resource's properties.
fn service_calls(symbols: &Symbols, row: &ServiceUse, props: &Value) -> Vec<Call> {
    let text = |v: &Value| symbols.resolve(v);
    let subject = row.feature;
    let mut calls = Vec::new();
    for uri in row.reads.iter().filter_map(|p| at(props, p)) {
        let Some((bucket, key)) = s3_location(&Value::String(text(uri))) else {
            continue;
        };
        calls.push(Call::new(
            "s3:GetObject",
            object_arn(&bucket, &key),
            format!("{subject} reads s3://{bucket}/{key}"),
        ));
    }
    for (list, uri) in row.read_prefixes {
        for target in at(props, list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| o.pointer(uri))
        {
            let Some((bucket, key)) = s3_location(&Value::String(text(target))) else {
                continue;
            };
            let prefix = as_folder(&key);
            calls.push(Call::new(
                "s3:GetObject",
                object_arn(&bucket, &prefix),
                format!("{subject} reads s3://{bucket}/{key}"),
            ));
        }
    }
    for uri in row.writes.iter().filter_map(|p| at(props, p)) {
        let Some((bucket, key)) = s3_location(&Value::String(text(uri))) else {
            continue;
        };
        let prefix = as_folder(&key);
        for action in row.write_actions {
            calls.push(Call::new(
                action,
                object_arn(&bucket, &prefix),
                format!("{subject} writes to s3://{bucket}/{key}"),
            ));
        }
        for action in row.bucket_actions {
            calls.push(Call::new(
                action,
                bucket_arn(&bucket),
                format!("{subject} writes to s3://{bucket}/{key}"),
            ));
        }
    }
    if let Some(key) = at(props, row.data_key) {
        calls.push(Call::new(
            "kms:GenerateDataKey",
            kms_arn(&text(key)),
            format!("{subject} encrypts what it writes to S3 with this key"),
        ));
    }
    calls
}

/// Each call of [`SERVICE_USES`] checked against its role: `(resource, call,
/// role logical id, decision, doc)`. Roles outside the template are skipped.
fn compute_service_decisions(
    t: &Template,
    symbols: &Symbols,
    evaluator: &Evaluator,
    roles: &[(&String, &str)],
) -> ServiceDecisions {
    let mut out = Vec::new();
    for row in SERVICE_USES {
        for (id, resource) in t.resources_of_type(row.resource_type) {
            let props = Value::Object(resource.properties.clone());
            let Some(role_id) = at(&props, row.role).and_then(|r| role_named(roles, symbols, r))
            else {
                continue;
            };
            for call in service_calls(symbols, row, &props) {
                let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
                out.push((
                    id.clone(),
                    call,
                    role_id.to_string(),
                    decision,
                    row.doc,
                    false,
                ));
            }
        }
    }
    for (id, crawler) in t.resources_of_type("AWS::Glue::Crawler") {
        let props = Value::Object(crawler.properties.clone());
        let Some(role_id) = at(&props, "/Role").and_then(|r| role_named(roles, symbols, r)) else {
            continue;
        };
        let Some(database) = at(&props, "/DatabaseName").map(|d| symbols.resolve(d)) else {
            continue;
        };
        for call in crawler_catalog_calls(&database) {
            let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
            out.push((
                id.clone(),
                call,
                role_id.to_string(),
                decision,
                GLUE_CRAWLER_DOC,
                false,
            ));
        }
    }
    for (ty, pointer, feature) in GLUE_SECURITY_USERS {
        for (id, resource) in t.resources_of_type(ty) {
            let props = Value::Object(resource.properties.clone());
            let Some(role_id) = at(&props, "/Role").and_then(|r| role_named(roles, symbols, r))
            else {
                continue;
            };
            let Some(config) = at(&props, pointer)
                .and_then(|c| named(t, symbols, c, "AWS::Glue::SecurityConfiguration"))
                .and_then(|c| t.resources.get(c))
            else {
                continue;
            };
            let encryption = Value::Object(config.properties.clone());
            for call in glue_encryption_calls(symbols, &encryption, ty, feature) {
                let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
                out.push((
                    id.clone(),
                    call,
                    role_id.to_string(),
                    decision,
                    GLUE_ENCRYPTION_DOC,
                    false,
                ));
            }
        }
    }
    for (rule, target) in t
        .resources_of_type("AWS::Events::Rule")
        .flat_map(|(id, r)| {
            r.prop(&["Targets"])
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(move |target| (id, target))
        })
    {
        let Some(role_id) = target
            .get("RoleArn")
            .and_then(|r| role_named(roles, symbols, r))
        else {
            continue;
        };
        let Some(arn) = target.get("Arn").map(|a| symbols.resolve(a)) else {
            continue;
        };
        if !(arn.contains(":sagemaker:") && arn.contains(":pipeline/")) {
            continue;
        }
        let label = target
            .get("Id")
            .and_then(Value::as_str)
            .map_or_else(String::new, |id| format!(" {id}"));
        let call = Call::new(
            "sagemaker:StartPipelineExecution",
            arn,
            format!("EventBridge starts the pipeline of target{label} with this role"),
        );
        let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
        out.push((
            rule.clone(),
            call,
            role_id.to_string(),
            decision,
            PIPELINE_EVENTBRIDGE_DOC,
            false,
        ));
    }
    for (topic, service, call) in publisher_key_calls(t, symbols) {
        let request = Request {
            principal: service.clone(),
            action: call.action.to_string(),
            resource: call.resource.clone(),
            context: call.context.clone(),
        };
        let decision = evaluator.evaluate(&request);
        out.push((topic, call, service, decision, SNS_KEY_DOC, true));
    }
    out
}

/// An EventBridge rule that starts a SageMaker pipeline needs a role with
/// `sagemaker:StartPipelineExecution`.
pub const PIPELINE_EVENTBRIDGE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/pipeline-eventbridge.html";

/// AWS services that publish to an SNS topic encrypted with a customer key
/// need the key policy to let them `kms:GenerateDataKey*` and `kms:Decrypt`.
pub const SNS_KEY_DOC: &str = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services";

/// The strings of a policy element (one string or a list of them).
fn strings_at(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The service principals a topic policy of the template lets publish to
/// `topic` (Allow statements whose actions cover `sns:Publish`).
fn topic_publishers(t: &Template, topic: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, policy) in t.resources_of_type("AWS::SNS::TopicPolicy") {
        let covers = policy
            .prop(&["Topics"])
            .and_then(Value::as_array)
            .is_some_and(|ts| {
                ts.iter()
                    .any(|v| mlcdk_core::template::reference_target(v) == Some(topic))
            });
        if !covers {
            continue;
        }
        let statements = match policy.prop(&["PolicyDocument", "Statement"]) {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for st in statements {
            if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            let publishes = strings_at(st.get("Action")).iter().any(|a| {
                let a = a.to_ascii_lowercase();
                a == "sns:publish" || a == "sns:*" || a == "*"
            });
            if !publishes {
                continue;
            }
            for service in strings_at(st.get("Principal").and_then(|p| p.get("Service"))) {
                if !out.iter().any(|s| s == service) {
                    out.push(service.to_string());
                }
            }
        }
    }
    out
}

/// `(topic, service principal, call)` for each service that publishes
/// to a topic encrypted with a key of the template: the key policy must let
/// the service `kms:GenerateDataKey` and `kms:Decrypt` ([`SNS_KEY_DOC`]).
fn publisher_key_calls(t: &Template, symbols: &Symbols) -> Vec<(String, String, Call)> {
    let mut out = Vec::new();
    for (topic, resource) in t.resources_of_type("AWS::SNS::Topic") {
        let Some(key) = resource
            .prop(&["KmsMasterKeyId"])
            .and_then(mlcdk_core::template::reference_target)
            .filter(|k| {
                t.resources
                    .get(*k)
                    .is_some_and(|r| r.resource_type == "AWS::KMS::Key")
            })
        else {
            continue;
        };
        for service in topic_publishers(t, topic) {
            for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
                out.push((
                    topic.clone(),
                    service.clone(),
                    Call {
                        action,
                        resource: symbols.arn(key),
                        context: [(
                            "aws:SourceAccount".to_string(),
                            vec!["${AWS::AccountId}".to_string()],
                        )]
                        .into(),
                        why: format!(
                            "{service} publishes to topic {topic}, which is encrypted with key {key}"
                        ),
                    },
                ));
            }
        }
    }
    out
}

/// **RT-008: Glue, Feature Store, EventBridge and SNS-publisher roles can do what the
/// services do with them** ([`SERVICE_USES`], and the key policies of
/// encrypted topics):
///
/// - a Glue job's `Role` (an ARN or a role name) reads the job's script
///   (`s3:GetObject` on `Command.ScriptLocation`) and writes under its
///   temporary directory (`s3:PutObject` under `DefaultArguments."--TempDir"`)
///   ([`GLUE_ROLE_DOC`]);
/// - a crawler's `Role` reads the objects under each of its
///   `Targets.S3Targets[].Path` (`s3:GetObject`), the minimum inline policy
///   of [`GLUE_CRAWLER_DOC`] (its Data Catalog permissions come from
///   `AWSGlueServiceRole` or an equivalent and are not checked);
/// - a feature group's offline store role (`RoleArn`) writes under
///   `OfflineStoreConfig.S3StorageConfig.S3Uri` with the minimum policy AWS
///   gives it (`s3:PutObject`, `s3:PutObjectAcl` on the objects,
///   `s3:GetBucketAcl` on the bucket) ([`FEATURE_STORE_DOC`]) and, when a
///   `KmsKeyId` is set, encrypts with it (`kms:GenerateDataKey`);
/// - an EventBridge rule target whose `Arn` is a SageMaker pipeline starts it
///   with the target's `RoleArn` (`sagemaker:StartPipelineExecution` on the
///   pipeline ARN) ([`PIPELINE_EVENTBRIDGE_DOC`]);
/// - an AWS service that a topic policy lets publish to a topic encrypted
///   with a key of the template (`KmsMasterKeyId`) needs that key's policy to
///   allow the service principal `kms:GenerateDataKey` and `kms:Decrypt`
///   ([`SNS_KEY_DOC`]); the request carries `aws:SourceAccount` of the
///   stack's account.
///
/// A call the role's policies (and the bucket's or key's policy) definitely
/// deny is an error. Roles outside the template and locations that cannot be
/// resolved are not judged.
pub(crate) fn rt_service_permissions(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (resource, call, principal, decision, doc, service) in &analysis(t).services {
        if let Decision::Denied(_) = decision {
            let message = if *service {
                format!(
                    "the key policy does not let service {principal} {} on {}: {}; allow it in the key policy (see {doc})",
                    call.action, call.resource, call.why
                )
            } else {
                describe_at(call, principal, doc)
            };
            out.push(Hit::new(resource, message));
        }
    }
}

/// SageMaker Pipelines' access management: the pipeline's role starts each
/// step's job (and tags it), and passes the job's role to SageMaker.
pub const PIPELINE_ROLE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html";

/// What the pipeline's own role does for a step: `(step type, actions on the
/// job, ARN kind, pointer to the role the job runs as)`. Job names are made
/// by Pipelines at run time, so the ARN names a representative job.
static PIPELINE_STEP_CALLS: &[(&str, &[&str], &str, &str)] = &[
    (
        "Processing",
        &["sagemaker:CreateProcessingJob", "sagemaker:AddTags"],
        "processing-job",
        "/RoleArn",
    ),
    (
        "Training",
        &["sagemaker:CreateTrainingJob", "sagemaker:AddTags"],
        "training-job",
        "/RoleArn",
    ),
    (
        "Tuning",
        &[
            "sagemaker:CreateHyperParameterTuningJob",
            "sagemaker:AddTags",
        ],
        "hyper-parameter-tuning-job",
        "/TrainingJobDefinition/RoleArn",
    ),
    (
        "Model",
        &["sagemaker:CreateModel", "sagemaker:AddTags"],
        "model",
        "/ExecutionRoleArn",
    ),
    (
        "Transform",
        &["sagemaker:CreateTransformJob", "sagemaker:AddTags"],
        "transform-job",
        "",
    ),
];

/// The calls a pipeline's role makes for one step.
fn pipeline_role_calls(step: &Value) -> Vec<Call> {
    let Some(ty) = step.get("Type").and_then(Value::as_str) else {
        return Vec::new();
    };
    let name = step.get("Name").and_then(Value::as_str).unwrap_or("?");
    let Some(args) = step.get("Arguments") else {
        return Vec::new();
    };
    let mut calls = Vec::new();
    if ty == "RegisterModel" {
        if let Some(group) = args.get("ModelPackageGroupName").and_then(Value::as_str) {
            let version = format!(
                "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:model-package/{group}/1"
            );
            calls.push(Call::new(
                "sagemaker:CreateModelPackage",
                version.clone(),
                format!("step {name} registers a model version in {group}"),
            ));
            // Tags in a create request need AddTags on what is created.
            if args.get("Tags").is_some() {
                calls.push(Call::new(
                    "sagemaker:AddTags",
                    version,
                    format!("step {name} tags the model version it registers"),
                ));
            }
        }
        return calls;
    }
    // A property file is read from the step's output by the pipeline itself,
    // with the pipeline's role, when a condition evaluates `Std:JsonGet`.
    for file in step
        .get("PropertyFiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(output), Some(path)) = (
            file.get("OutputName").and_then(Value::as_str),
            file.get("FilePath").and_then(Value::as_str),
        ) else {
            continue;
        };
        let uri = args
            .pointer("/ProcessingOutputConfig/Outputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|o| o.get("OutputName").and_then(Value::as_str) == Some(output))
            .and_then(|o| o.pointer("/S3Output/S3Uri"));
        let Some((bucket, key)) = uri.and_then(s3_location) else {
            continue;
        };
        let key = format!("{}/{path}", key.trim_end_matches('/'));
        calls.push(Call::new(
            "s3:GetObject",
            object_arn(&bucket, &key),
            format!("the pipeline reads the property file s3://{bucket}/{key} of step {name}"),
        ));
    }
    let Some((_, actions, kind, role)) = PIPELINE_STEP_CALLS.iter().find(|(t, ..)| *t == ty) else {
        return calls;
    };
    let job = format!(
        "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:{kind}/pipelines-{}",
        name.to_ascii_lowercase()
    );
    for action in *actions {
        calls.push(Call::new(
            action,
            job.clone(),
            format!("step {name} starts and tags its {kind}"),
        ));
    }
    if let Some(passed) = (!role.is_empty())
        .then(|| args.pointer(role))
        .flatten()
        .and_then(Value::as_str)
    {
        calls.push(Call {
            action: "iam:PassRole",
            resource: passed.to_string(),
            context: [(
                "iam:PassedToService".to_string(),
                vec!["sagemaker.amazonaws.com".to_string()],
            )]
            .into(),
            why: format!("step {name} passes its job's role to SageMaker"),
        });
    }
    calls
}

/// **RT-012: the pipeline's role can start, tag and pass what its steps
/// need.** A pipeline execution runs as the pipeline's `RoleArn`: for each
/// step it creates the job (`sagemaker:CreateProcessingJob`,
/// `CreateTrainingJob`, `CreateHyperParameterTuningJob`, `CreateModel`,
/// `CreateTransformJob`, `CreateModelPackage` for registration), tags it
/// (`sagemaker:AddTags`: Pipelines tags the jobs it starts with the execution)
/// and passes the job's role to SageMaker (`iam:PassRole` with
/// `iam:PassedToService`), as the Pipelines access-management page documents
/// ([`PIPELINE_ROLE_DOC`]); a registration with `Tags` needs `AddTags` on the
/// version, and a step's property files are read from its output in S3 by
/// the pipeline itself when a condition evaluates `Std:JsonGet`
/// (`s3:GetObject`). A definite deny is an error: the execution fails
/// at that step although the template deploys. Only a pipeline role defined
/// in the template is judged.
pub(crate) fn rt_pipeline_role(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (pipeline, call, role, decision) in &analysis(t).pipeline_role {
        if let Decision::Denied(_) = decision {
            out.push(Hit::new(
                pipeline,
                describe_at(call, role, PIPELINE_ROLE_DOC),
            ));
        }
    }
}

/// RT-012's calls, each with the pipeline role's answer. Only a pipeline role
/// defined in the template is judged.
fn compute_pipeline_role_decisions(
    t: &Template,
    symbols: &Symbols,
    evaluator: &Evaluator,
    roles: &[(&String, &str)],
) -> PipelineRoleDecisions {
    let mut out = Vec::new();
    for (id, pipeline) in t.resources_of_type("AWS::SageMaker::Pipeline") {
        let Some(role_arn) = pipeline.prop(&["RoleArn"]).map(|r| symbols.resolve(r)) else {
            continue;
        };
        let Some((role_id, _)) = roles.iter().find(|(_, arn)| **arn == role_arn) else {
            continue;
        };
        for step in resolved_steps(symbols, pipeline) {
            for call in pipeline_role_calls(&step) {
                let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
                out.push((id.clone(), call, role_id.to_string(), decision));
            }
        }
    }
    out
}

/// The execution-role permissions of `CreateModel`: SageMaker reads the
/// model artifacts with the model's role when it starts the containers.
pub const CREATE_MODEL_DOC: &str = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms";

/// RT-006's model row: each container of an `AWS::SageMaker::Model` with a
/// literal `ModelDataUrl` (an object, or a prefix for multi-model) or
/// `ModelDataSource.S3DataSource.S3Uri` is read with the model's
/// `ExecutionRoleArn` (`s3:GetObject`; an `S3Prefix` is listed first,
/// `s3:ListBucket` with its `s3:prefix`).
fn model_decisions(
    t: &Template,
    symbols: &Symbols,
    evaluator: &Evaluator,
    roles: &[(&String, &str)],
) -> EndpointDecisions {
    let mut out = Vec::new();
    for (id, model) in t.resources_of_type("AWS::SageMaker::Model") {
        let Some(role_arn) = model
            .prop(&["ExecutionRoleArn"])
            .map(|r| symbols.resolve(r))
        else {
            continue;
        };
        let Some((role_id, _)) = roles.iter().find(|(_, arn)| **arn == role_arn) else {
            continue;
        };
        let mut containers: Vec<&Value> = model.prop(&["PrimaryContainer"]).into_iter().collect();
        if let Some(Value::Array(list)) = model.prop(&["Containers"]) {
            containers.extend(list);
        }
        for container in containers {
            // ModelDataUrl, or ModelDataSource.S3DataSource (uncompressed
            // files under a prefix, e.g. JumpStart models), which SageMaker
            // lists before it reads.
            let source = container.pointer("/ModelDataSource/S3DataSource");
            let Some(url) = container
                .get("ModelDataUrl")
                .or_else(|| source.and_then(|s| s.get("S3Uri")))
            else {
                continue;
            };
            let Some((bucket, key)) = s3_location(&Value::String(symbols.resolve(url))) else {
                continue;
            };
            let mut calls = Vec::new();
            if source
                .and_then(|s| s.get("S3DataType"))
                .and_then(Value::as_str)
                == Some("S3Prefix")
            {
                calls.push(Call::list_prefix(
                    &bucket,
                    &key,
                    format!("SageMaker lists the model artifacts under s3://{bucket}/{key}"),
                ));
            }
            calls.push(Call::new(
                "s3:GetObject",
                object_arn(&bucket, &key),
                format!("SageMaker loads the model artifacts s3://{bucket}/{key}"),
            ));
            for call in calls {
                let decision = evaluator.can(role_id, call.action, &call.resource, &call.context);
                out.push((
                    id.clone(),
                    call,
                    role_id.to_string(),
                    decision,
                    CREATE_MODEL_DOC,
                ));
            }
        }
    }
    out
}

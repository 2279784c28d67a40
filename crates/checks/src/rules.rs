//! The rules. Each function's doc comment is the rule's rationale.

use mlcdk_core::Template;
use mlcdk_core::stateful::is_stateful;
use mlcdk_core::template::{DeletionPolicy, Resource, decode_document, reference_target as target};
use serde_json::Value;

use crate::{Hit, Options, Rule, Severity};

fn prop<'a>(r: &'a Resource, path: &[&str]) -> Option<&'a Value> {
    r.prop(path)
}

const fn rule(
    id: &'static str,
    severity: Severity,
    error_in_production: bool,
    title: &'static str,
    check: fn(&Template, &Options, &mut Vec<Hit>),
) -> Rule {
    Rule {
        id,
        severity,
        error_in_production,
        title,
        check,
    }
}

use Severity::{Error, Warning};

/// The pack, in id order.
pub static RULES: &[Rule] = &[
    rule(
        "S3-001",
        Error,
        true,
        "buckets are encrypted",
        s3_encryption,
    ),
    rule(
        "S3-002",
        Error,
        true,
        "buckets block all public access",
        s3_public_access,
    ),
    rule(
        "S3-003",
        Error,
        true,
        "bucket policies deny requests without TLS",
        s3_tls_only,
    ),
    rule(
        "S3-004",
        Warning,
        false,
        "buckets are versioned",
        s3_versioning,
    ),
    rule(
        "S3-005",
        Warning,
        false,
        "buckets log access",
        s3_access_logging,
    ),
    rule(
        "KMS-001",
        Error,
        true,
        "symmetric KMS keys rotate",
        kms_rotation,
    ),
    rule(
        "IAM-001",
        Error,
        true,
        "no wildcard actions",
        iam_wildcard_actions,
    ),
    rule(
        "IAM-002",
        Warning,
        false,
        "writes are scoped to resources",
        iam_wildcard_resource_writes,
    ),
    rule(
        "IAM-003",
        Error,
        true,
        "no AWS-managed FullAccess policies",
        iam_full_access,
    ),
    rule(
        "IAM-004",
        Error,
        true,
        "iam:PassRole names its roles",
        iam_unscoped_pass_role,
    ),
    rule(
        "SNS-001",
        Error,
        true,
        "topics are encrypted",
        sns_encryption,
    ),
    rule(
        "SM-001",
        Warning,
        false,
        "instance endpoint configs use a KMS key",
        sm_endpoint_kms,
    ),
    rule(
        "SM-002",
        Error,
        true,
        "captured data is encrypted with a KMS key",
        sm_capture_kms,
    ),
    rule(
        "SM-003",
        Warning,
        false,
        "models run network-isolated",
        sm_network_isolation,
    ),
    rule(
        "SM-004",
        Warning,
        false,
        "real-time endpoints autoscale",
        sm_autoscaling,
    ),
    rule(
        "SM-005",
        Warning,
        false,
        "instance endpoints have an idle alarm (unless they scale to zero)",
        sm_idle_alarm,
    ),
    rule(
        "SM-006",
        Warning,
        false,
        "production endpoints run two or more instances",
        sm_single_instance,
    ),
    rule(
        "SM-007",
        Warning,
        true,
        "endpoints that capture data are monitored",
        sm_capture_monitored,
    ),
    rule(
        "TRN-001",
        Error,
        true,
        "pipeline jobs have a MaxRuntime",
        trn_max_runtime,
    ),
    rule(
        "TRN-002",
        Error,
        true,
        "spot training checkpoints (tuning trials do not share one) and waits long enough",
        trn_spot,
    ),
    rule(
        "TRN-003",
        Error,
        true,
        "tuning is bounded",
        trn_tuning_bounded,
    ),
    rule(
        "GLUE-001",
        Warning,
        false,
        "Glue jobs have a timeout",
        glue_timeout,
    ),
    rule(
        "GLUE-002",
        Warning,
        true,
        "Glue jobs and crawlers use a security configuration",
        glue_security,
    ),
    rule(
        "ATH-001",
        Warning,
        false,
        "Athena workgroups enforce their configuration and a scan cutoff",
        athena_bounded,
    ),
    rule(
        "COST-001",
        Warning,
        true,
        "the stage has a budget",
        cost_budget,
    ),
    rule(
        "REL-001",
        Error,
        true,
        "production keeps stateful resources on delete",
        rel_retain,
    ),
    rule(
        "RT-001",
        Error,
        true,
        "pipeline job roles can read their inputs, write their outputs and use their volume keys",
        crate::runtime::rt_job_permissions,
    ),
    rule(
        "RT-002",
        Warning,
        false,
        "run-time permissions the template cannot decide are named",
        crate::runtime::rt_undecided,
    ),
    rule(
        "RT-003",
        Error,
        true,
        "serverless variants serve models without network isolation or VPC",
        crate::compat::rt_serverless_isolation,
    ),
    rule(
        "RT-004",
        Error,
        true,
        "alarms watch metrics their resource publishes",
        crate::compat::rt_alarm_metrics,
    ),
    rule(
        "RT-005",
        Error,
        true,
        "instance types are ones the component accepts",
        crate::compat::rt_instance_types,
    ),
    rule(
        "RT-006",
        Error,
        true,
        "endpoint and monitoring roles can do what SageMaker does with them",
        crate::runtime::rt_endpoint_permissions,
    ),
    rule(
        "RT-007",
        Error,
        true,
        "processing entrypoints name a file their code input puts in the container",
        crate::wiring::rt_entrypoints,
    ),
    rule(
        "RT-008",
        Error,
        true,
        "Glue, Feature Store, EventBridge and SNS-publisher roles can do what the services do with them",
        crate::runtime::rt_service_permissions,
    ),
    rule(
        "RT-009",
        Warning,
        true,
        "resources named by a literal string are created first",
        crate::wiring::rt_create_order,
    ),
    rule(
        "RT-010",
        Warning,
        false,
        "conditions use keys the action sends",
        crate::wiring::rt_dead_grants,
    ),
    rule(
        "RT-011",
        Error,
        true,
        "canary and linear traffic shifts fit the fleet",
        crate::compat::rt_traffic_shift,
    ),
    rule(
        "RT-012",
        Error,
        true,
        "the pipeline role can start, tag and pass what its steps need",
        crate::runtime::rt_pipeline_role,
    ),
];

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true))) || v.and_then(Value::as_str) == Some("true")
}

fn of<'a>(t: &'a Template, ty: &'a str) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
    t.resources_of_type(ty)
}

/// Whether any of `types` mentions `id` (by reference) or `name` (a literal).
fn mentioned_by(
    t: &Template,
    types: &[&str],
    id: &str,
    name: Option<&str>,
    mut filter: impl FnMut(&Resource) -> bool,
) -> bool {
    let needle = format!("\"{id}\"");
    t.resources
        .values()
        .filter(|r| types.contains(&r.resource_type.as_str()) && filter(r))
        .any(|r| {
            let text = serde_json::to_string(&r.properties).unwrap_or_default();
            text.contains(&needle) || name.is_some_and(|n| text.contains(n))
        })
}

/// Unencrypted data is readable by anyone who gets the disks or a
/// misconfigured principal; SSE-S3 costs nothing and SSE-KMS adds audit.
fn s3_encryption(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::S3::Bucket") {
        if prop(
            r,
            &["BucketEncryption", "ServerSideEncryptionConfiguration"],
        )
        .is_none()
        {
            out.push(Hit::new(
                id,
                "bucket has no default encryption; set BucketEncryption (SSE-KMS or SSE-S3)",
            ).fix("Bucket encrypts by default; BucketProps { encryption: BucketEncryption::Kms(..) } for SSE-KMS"));
        }
    }
}

/// Training data and models are never public; all four blocks guard
/// against a later ACL or policy mistake.
fn s3_public_access(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    const FLAGS: [&str; 4] = [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ];
    for (id, r) in of(t, "AWS::S3::Bucket") {
        let missing: Vec<&str> = FLAGS
            .iter()
            .filter(|f| !is_true(prop(r, &["PublicAccessBlockConfiguration", f])))
            .copied()
            .collect();
        if !missing.is_empty() {
            out.push(Hit::new(id, format!("public access is not fully blocked ({} not true); set all four PublicAccessBlockConfiguration flags", missing.join(", "))).fix("Bucket blocks all public access; build the bucket with Bucket::new"));
        }
    }
}

/// Plain HTTP exposes data and credentials in transit; only a bucket policy
/// can refuse it.
fn s3_tls_only(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, _) in of(t, "AWS::S3::Bucket") {
        let denied = of(t, "AWS::S3::BucketPolicy").any(|(_, p)| {
            prop(p, &["Bucket"]).and_then(target) == Some(id)
                && statements(prop(p, &["PolicyDocument"])).iter().any(|s| {
                    s.get("Effect").and_then(Value::as_str) == Some("Deny")
                        && s.pointer("/Condition/Bool/aws:SecureTransport")
                            .is_some_and(|v| v == "false" || v == &Value::Bool(false))
                })
        });
        if !denied {
            out.push(Hit::new(id, "no bucket policy denies aws:SecureTransport=false; add a Deny statement for requests without TLS").fix("Bucket adds this statement; build the bucket with Bucket::new"));
        }
    }
}

fn is_log_target(t: &Template, id: &str) -> bool {
    of(t, "AWS::S3::Bucket").any(|(_, r)| {
        prop(r, &["LoggingConfiguration", "DestinationBucketName"]).and_then(target) == Some(id)
    })
}

/// Data and model artifacts are overwritten by pipelines; versioning makes a
/// bad write or delete recoverable. Access-log buckets are exempt.
fn s3_versioning(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::S3::Bucket") {
        if prop(r, &["VersioningConfiguration", "Status"]).and_then(Value::as_str)
            != Some("Enabled")
            && !is_log_target(t, id)
        {
            out.push(
                Hit::new(
                    id,
                    "versioning is off; set VersioningConfiguration.Status to Enabled",
                )
                .fix("BucketProps { versioned: true }"),
            );
        }
    }
}

/// Access logs answer "who read this data" after the fact. The log bucket
/// itself is exempt (logging into itself loops).
fn s3_access_logging(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::S3::Bucket") {
        if prop(r, &["LoggingConfiguration"]).is_none() && !is_log_target(t, id) {
            out.push(
                Hit::new(
                    id,
                    "no server access logging; set LoggingConfiguration to a log bucket",
                )
                .fix("BucketProps { access_logs: AccessLogging::StackLogBucket } (the default) or AccessLogging::To(..)"),
            );
        }
    }
}

/// Yearly rotation limits what one leaked key version can decrypt; AWS
/// supports it only for symmetric keys.
fn kms_rotation(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::KMS::Key") {
        let symmetric = prop(r, &["KeySpec"])
            .and_then(Value::as_str)
            .is_none_or(|s| s == "SYMMETRIC_DEFAULT");
        if symmetric && !is_true(prop(r, &["EnableKeyRotation"])) {
            out.push(
                Hit::new(id, "key rotation is off; set EnableKeyRotation: true")
                    .fix("KmsKey enables rotation; build the key with KmsKey::new"),
            );
        }
    }
}

fn statements(doc: Option<&Value>) -> Vec<Value> {
    let Some(doc) = doc else { return Vec::new() };
    let doc = decode_document(doc).unwrap_or_else(|| doc.clone());
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// Identity policies (not trust policies) of a template, with their owner.
fn identity_statements(t: &Template) -> Vec<(&str, Value)> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        let docs: Vec<&Value> = match r.resource_type.as_str() {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => prop(r, &["Policies"])
                .and_then(Value::as_array)
                .map(|ps| ps.iter().filter_map(|p| p.get("PolicyDocument")).collect())
                .unwrap_or_default(),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                prop(r, &["PolicyDocument"]).into_iter().collect()
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

/// `*` or `service:*` grants every present and future action of a service,
/// including deletes and permission changes.
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

/// A write on `Resource: *` reaches every resource of the account, not the
/// one the workload owns.
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

/// AWS-managed `…FullAccess` policies grant whole services (and change as
/// AWS adds actions).
fn iam_full_access(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in &t.resources {
        if let Some(arns) = prop(r, &["ManagedPolicyArns"]) {
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

/// PassRole on `*` lets the holder hand any role (an admin role too) to a
/// service it can start, escalating its own privileges.
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

/// Alerts and async results carry endpoint names, errors and sometimes
/// payload locations; encrypt them at rest.
fn sns_encryption(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SNS::Topic") {
        if prop(r, &["KmsMasterKeyId"]).is_none() {
            out.push(
                Hit::new(id, "topic is not encrypted; set KmsMasterKeyId").fix(
                    "AlertsTopic encrypts its topic; TopicRef::from_arn for a topic made elsewhere",
                ),
            );
        }
    }
}

fn instance_variants(r: &Resource) -> Vec<&Value> {
    prop(r, &["ProductionVariants"])
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("InstanceType").is_some())
                .collect()
        })
        .unwrap_or_default()
}

/// The ML storage volume of an instance variant holds the model; a customer
/// key makes access auditable and revocable.
fn sm_endpoint_kms(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SageMaker::EndpointConfig") {
        if !instance_variants(r).is_empty() && prop(r, &["KmsKeyId"]).is_none() {
            out.push(
                Hit::new(
                    id,
                    "instance variants without KmsKeyId; set a KMS key for the ML storage volume",
                )
                .fix("RealtimeEndpointProps { encryption_key: Some(..) }"),
            );
        }
    }
}

/// Captured requests and responses are production data (often personal
/// data); the capture destination must be encrypted with a key you control.
fn sm_capture_kms(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SageMaker::EndpointConfig") {
        if prop(r, &["DataCaptureConfig"]).is_some()
            && prop(r, &["DataCaptureConfig", "KmsKeyId"]).is_none()
        {
            out.push(Hit::new(id, "data capture without DataCaptureConfig.KmsKeyId; encrypt captured data with a KMS key").fix("RealtimeEndpointProps { encryption_key: Some(..) } encrypts captured data too"));
        }
    }
}

/// A network-isolated container cannot send data or model weights out, even
/// if the image is compromised.
fn sm_network_isolation(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::SageMaker::Model") {
        if !is_true(prop(r, &["EnableNetworkIsolation"])) {
            out.push(
                Hit::new(
                    id,
                    "model is not network-isolated; set EnableNetworkIsolation: true",
                )
                .fix("ModelProps { network_isolation: true }"),
            );
        }
    }
}

/// Real-time endpoints (with instance variants) and their name and config.
fn instance_endpoints(t: &Template) -> Vec<(&str, Option<&str>, &Resource)> {
    of(t, "AWS::SageMaker::Endpoint")
        .filter_map(|(id, r)| {
            let config = t
                .resources
                .get(prop(r, &["EndpointConfigName"]).and_then(target)?)?;
            (!instance_variants(config).is_empty()).then(|| {
                (
                    id.as_str(),
                    prop(r, &["EndpointName"]).and_then(Value::as_str),
                    config,
                )
            })
        })
        .collect()
}

/// Fixed capacity is either too small for peaks or paid for while idle.
fn sm_autoscaling(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, name, _) in instance_endpoints(t) {
        let needle = name.map(|n| format!("endpoint/{n}/"));
        if !mentioned_by(
            t,
            &["AWS::ApplicationAutoScaling::ScalableTarget"],
            id,
            needle.as_deref(),
            |_| true,
        ) {
            out.push(Hit::new(id, "no autoscaling target; add an ApplicationAutoScaling ScalableTarget for the variant").fix("Variant { autoscaling: Some(Autoscaling::between(min, max)) }"));
        }
    }
}

/// An endpoint nobody calls still bills every instance-hour; an alarm on
/// zero invocations makes the waste visible.
fn sm_idle_alarm(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, name, _) in instance_endpoints(t) {
        // Async endpoints never publish Invocations (RT-004): their idle
        // signal is InvocationsProcessed.
        let idle = |r: &Resource| {
            matches!(
                prop(r, &["MetricName"]).and_then(Value::as_str),
                Some("Invocations" | "InvocationsProcessed")
            )
        };
        // An endpoint that scales to zero costs nothing while idle: no
        // idle alarm is needed (the async scale-to-zero pattern).
        let to_zero = |r: &Resource| prop(r, &["MinCapacity"]).and_then(Value::as_u64) == Some(0);
        if mentioned_by(
            t,
            &["AWS::ApplicationAutoScaling::ScalableTarget"],
            id,
            name,
            to_zero,
        ) {
            continue;
        }
        if !mentioned_by(t, &["AWS::CloudWatch::Alarm"], id, name, idle) {
            out.push(Hit::new(
                id,
                "no alarm on Invocations (InvocationsProcessed for async endpoints); add an idle alarm so an unused endpoint is noticed",
            ).fix("RealtimeEndpointProps { idle_hours: Some(24) }"));
        }
    }
}

/// One instance is one Availability Zone: an instance failure is an outage.
fn sm_single_instance(t: &Template, o: &Options, out: &mut Vec<Hit>) {
    if !o.production {
        return;
    }
    for (id, _, config) in instance_endpoints(t) {
        for v in instance_variants(config) {
            let count = v
                .get("InitialInstanceCount")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            // Async variants scale from zero by design.
            if count < 2 && prop(config, &["AsyncInferenceConfig"]).is_none() {
                out.push(Hit::new(id, format!("variant {} starts with {count} instance in production; run at least 2 for availability", v.get("VariantName").and_then(Value::as_str).unwrap_or("?"))).fix("Variant { initial_count: 2 } and an autoscaling minimum of 2"));
            }
        }
    }
}

/// Capturing data without a monitor pays for storage and catches no drift.
fn sm_capture_monitored(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    const MONITORS: &[&str] = &[
        "AWS::SageMaker::MonitoringSchedule",
        "AWS::SageMaker::DataQualityJobDefinition",
        "AWS::SageMaker::ModelQualityJobDefinition",
        "AWS::SageMaker::ModelBiasJobDefinition",
        "AWS::SageMaker::ModelExplainabilityJobDefinition",
    ];
    for (id, r) in of(t, "AWS::SageMaker::Endpoint") {
        let Some(config) = prop(r, &["EndpointConfigName"])
            .and_then(target)
            .and_then(|c| t.resources.get(c))
        else {
            continue;
        };
        let capturing = prop(config, &["DataCaptureConfig"]).is_some()
            && prop(config, &["DataCaptureConfig", "EnableCapture"]) != Some(&Value::Bool(false));
        let name = prop(r, &["EndpointName"])
            .and_then(Value::as_str)
            .map(|n| format!("\"{n}\""));
        if capturing && !mentioned_by(t, MONITORS, id, name.as_deref(), |_| true) {
            out.push(
                Hit::new(
                    id,
                    "captures data but no monitoring schedule reads it; add a data-quality monitor",
                )
                .fix("a Monitor (mlcdk::monitoring) on the endpoint"),
            );
        }
    }
}

/// Every step of every pipeline definition, conditions' branches included.
fn pipeline_steps(t: &Template) -> Vec<(&str, Value)> {
    of(t, "AWS::SageMaker::Pipeline")
        .flat_map(|(id, r)| {
            mlcdk_core::template::pipeline_steps(r)
                .into_iter()
                .map(move |step| (id.as_str(), step))
        })
        .collect()
}

fn step_name(step: &Value) -> &str {
    step.get("Name").and_then(Value::as_str).unwrap_or("?")
}

/// The stopping condition of a training-like step (tuning: its training job
/// definition).
fn stopping_condition(step: &Value) -> Option<Option<&Value>> {
    let args = step.get("Arguments")?;
    match step.get("Type")?.as_str()? {
        "Training" | "Processing" => Some(args.get("StoppingCondition")),
        "Tuning" => Some(args.pointer("/TrainingJobDefinition/StoppingCondition")),
        _ => None,
    }
}

/// A job without a MaxRuntime runs (and bills) until it ends by itself,
/// up to SageMaker's limit of days.
fn trn_max_runtime(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, step) in pipeline_steps(t) {
        if let Some(stop) = stopping_condition(&step)
            && stop.and_then(|s| s.get("MaxRuntimeInSeconds")).is_none()
        {
            out.push(
                Hit::new(
                    id,
                    format!(
                        "step {} has no StoppingCondition.MaxRuntimeInSeconds; bound its runtime",
                        step_name(&step)
                    ),
                )
                .fix("TrainingPipelineProps { max_runtime_seconds }"),
            );
        }
    }
}

/// Spot capacity is reclaimed at any time: without checkpoints a training
/// job starts over, and MaxWait below MaxRuntime makes the job invalid. A
/// tuning job is the other way round: its one `CheckpointConfig` is shared by
/// every trial, so a trial would resume from another trial's state (trained
/// with other hyperparameters); its trials must not checkpoint to one prefix.
fn trn_spot(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, step) in pipeline_steps(t) {
        let (def, tuning) = match step.get("Type").and_then(Value::as_str) {
            Some("Training") => (step.get("Arguments"), false),
            Some("Tuning") => (step.pointer("/Arguments/TrainingJobDefinition"), true),
            _ => (None, false),
        };
        let Some(def) = def else { continue };
        if def.get("EnableManagedSpotTraining") != Some(&Value::Bool(true)) {
            continue;
        }
        let checkpoints = def.pointer("/CheckpointConfig/S3Uri").is_some();
        if tuning && checkpoints {
            out.push(Hit::new(id, format!("step {} gives every trial of its tuning job one CheckpointConfig; a trial would resume from another trial's checkpoint, so leave checkpoints out of tuning (an interrupted trial restarts within MaxWait)", step_name(&step))).fix("TrainingPipelineProps { spot: Some(Spot::with_checkpoints(..)) } leaves tuning trials without checkpoints"));
        } else if !tuning && !checkpoints {
            out.push(Hit::new(id, format!("step {} uses spot without CheckpointConfig; checkpoint to S3 so interruptions resume", step_name(&step))).fix("TrainingPipelineProps { spot: Some(Spot::with_checkpoints(..)) }"));
        }
        let runtime = def
            .pointer("/StoppingCondition/MaxRuntimeInSeconds")
            .and_then(Value::as_u64);
        let wait = def
            .pointer("/StoppingCondition/MaxWaitTimeInSeconds")
            .and_then(Value::as_u64);
        match (runtime, wait) {
            (Some(r), Some(w)) if w >= r => {}
            _ => out.push(Hit::new(id, format!("step {} uses spot with MaxWaitTimeInSeconds {wait:?} below MaxRuntimeInSeconds {runtime:?}; MaxWait must be at least MaxRuntime", step_name(&step))).fix("Spot { max_wait_seconds } at least max_runtime_seconds")),
        }
    }
}

/// Default cap on training jobs per tuning run.
pub const DEFAULT_MAX_TUNING_JOBS: u64 = 50;

/// An unbounded tuning job multiplies the training bill by its job count.
fn trn_tuning_bounded(t: &Template, o: &Options, out: &mut Vec<Hit>) {
    let cap = o.max_tuning_jobs.unwrap_or(DEFAULT_MAX_TUNING_JOBS);
    for (id, step) in pipeline_steps(t) {
        if step.get("Type").and_then(Value::as_str) != Some("Tuning") {
            continue;
        }
        match step.pointer("/Arguments/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs").and_then(Value::as_u64) {
            None => out.push(Hit::new(id, format!("tuning step {} has no ResourceLimits.MaxNumberOfTrainingJobs; bound it (at most {cap})", step_name(&step))).fix("Tuning { max_jobs: Some(..) }, or Tuning::bounded(max_jobs, max_parallel)")),
            Some(n) if n > cap => out.push(Hit::new(id, format!("tuning step {} runs up to {n} training jobs, above the cap of {cap}; lower MaxNumberOfTrainingJobs", step_name(&step))).fix("Tuning { max_jobs: Some(..) }, or Tuning::bounded(max_jobs, max_parallel)")),
            _ => {}
        }
    }
}

/// Glue's default timeout is 48 hours of billed DPUs for a hung job.
fn glue_timeout(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::Glue::Job") {
        if prop(r, &["Timeout"]).is_none() {
            out.push(
                Hit::new(
                    id,
                    "no Timeout (Glue defaults to 48 hours); set Timeout in minutes",
                )
                .fix("GlueJobProps { timeout_minutes }"),
            );
        }
    }
}

/// Without a security configuration Glue writes logs, bookmarks and
/// temporary data unencrypted.
fn glue_security(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for ty in ["AWS::Glue::Job", "AWS::Glue::Crawler"] {
        for (id, r) in of(t, ty) {
            let key = if ty == "AWS::Glue::Job" {
                "SecurityConfiguration"
            } else {
                "CrawlerSecurityConfiguration"
            };
            if prop(r, &[key]).is_none() {
                out.push(Hit::new(id, format!("no {key}; attach a Glue security configuration (S3, CloudWatch and bookmark encryption)")).fix("GlueJobProps / CrawlerProps { encryption_key: Some(..) }"));
            }
        }
    }
}

/// Athena bills per byte scanned: an enforced workgroup with a per-query
/// cutoff stops a runaway query and clients overriding the result location.
fn athena_bounded(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::Athena::WorkGroup") {
        let mut missing = Vec::new();
        if !is_true(prop(
            r,
            &["WorkGroupConfiguration", "EnforceWorkGroupConfiguration"],
        )) {
            missing.push("EnforceWorkGroupConfiguration: true");
        }
        if prop(r, &["WorkGroupConfiguration", "BytesScannedCutoffPerQuery"]).is_none() {
            missing.push("BytesScannedCutoffPerQuery");
        }
        if !missing.is_empty() {
            out.push(Hit::new(
                id,
                format!(
                    "workgroup lacks {}; set it in WorkGroupConfiguration",
                    missing.join(" and ")
                ),
            ).fix("AthenaWorkGroupProps { bytes_scanned_cutoff } (the construct enforces its configuration)"));
        }
    }
}

/// Cost builds up across stages and services; a budget is the alarm that
/// catches it before the invoice.
fn cost_budget(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    if of(t, "AWS::Budgets::Budget").next().is_none() && !t.resources.is_empty() {
        out.push(Hit::new(
            "(stack)",
            "the stage has no AWS::Budgets::Budget; add a Budget with a monthly limit",
        ).fix("Budget::new(stack, \"Budget\", BudgetProps::monthly(..)), or stack.suppress_stack(\"COST-001\", reason)"));
    }
}

/// In production a deleted or replaced data store is lost data; Retain keeps
/// the physical resource when the stack lets go of it.
fn rel_retain(t: &Template, o: &Options, out: &mut Vec<Hit>) {
    if !o.production {
        return;
    }
    for (id, r) in &t.resources {
        let kept = matches!(
            r.deletion_policy,
            Some(
                DeletionPolicy::Retain
                    | DeletionPolicy::RetainExceptOnCreate
                    | DeletionPolicy::Snapshot
            )
        );
        if is_stateful(&r.resource_type) && !kept {
            out.push(Hit::new(id, format!("{} without DeletionPolicy Retain in production; set Retain (and UpdateReplacePolicy)", r.resource_type)).fix("removal_policy: None keeps the default, Retain"));
        }
    }
}

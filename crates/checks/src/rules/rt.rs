//! The run-time rules (`RT-…`): what AWS does with a template once it runs.
//! Their checks live in `crate::runtime` (permissions, one memoized analysis
//! per `check` call), `crate::compat` (compatibility) and `crate::wiring`
//! (wiring).

use crate::{Rule, Severity};
use Severity::{Error, Warning};

/// `RT-001`: pipeline job roles can read their inputs, write their outputs and
/// use their volume keys.
pub(super) const JOB_PERMISSIONS: Rule = Rule {
    id: "RT-001",
    severity: Error,
    error_in_production: true,
    title: "pipeline job roles can read their inputs, write their outputs and use their volume keys",
    explanation: "Each job a SageMaker pipeline starts (processing, training, tuning, transform) makes \
        calls with its role: it lists and reads its S3 inputs, writes its outputs and \
        checkpoints, creates a grant on its volume key and pulls its image from ECR; a job \
        running mlcdk's monitoring script also reads the endpoint's capture and its baseline \
        and puts metrics in its namespace through the APIs. A call \
        the role's policies (or the bucket's or key's policy) definitely deny fails the job \
        at run time although the template deploys. Locations known only at run time are not \
        checked. AWS: https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html",
    check: crate::runtime::rt_job_permissions,
};

/// `RT-002`: run-time permissions the template cannot decide are named.
pub(super) const UNDECIDED: Rule = Rule {
    id: "RT-002",
    severity: Warning,
    error_in_production: false,
    title: "run-time permissions the template cannot decide are named",
    explanation: "A call of RT-001, RT-006 or RT-008 whose answer depends on something the template \
        does not say (a policy outside the template, an unsupported condition, a reference \
        that cannot be resolved) is a warning naming why, never a silent pass. AWS: \
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
    check: crate::runtime::rt_undecided,
};

/// `RT-003`: serverless variants serve models without network isolation or VPC.
pub(super) const SERVERLESS_ISOLATION: Rule = Rule {
    id: "RT-003",
    severity: Error,
    error_in_production: true,
    title: "serverless variants serve models without network isolation or VPC",
    explanation: "Serverless inference does not support network isolation or a VPC configuration: \
        SageMaker refuses a serverless variant whose model sets EnableNetworkIsolation or \
        VpcConfig at deploy time, midway through the stack. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html",
    check: crate::compat::rt_serverless_isolation,
};

/// `RT-004`: alarms watch metrics their resource publishes.
pub(super) const ALARM_METRICS: Rule = Rule {
    id: "RT-004",
    severity: Error,
    error_in_production: true,
    title: "alarms watch metrics their resource publishes",
    explanation: "An alarm on a metric its endpoint never publishes can never fire: asynchronous \
        endpoints publish no Invocations, InvocationsPerInstance or OverheadLatency, and \
        serverless endpoints no instance metrics; Bedrock publishes its runtime metrics \
        (Invocations, InvocationThrottles, InputTokenCount, OutputTokenCount, ...) in \
        AWS/Bedrock by ModelId only. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html, \
        https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html and \
        https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html",
    check: crate::compat::rt_alarm_metrics,
};

/// `RT-005`: instance types are ones the component accepts.
pub(super) const INSTANCE_TYPES: Rule = Rule {
    id: "RT-005",
    severity: Error,
    error_in_production: true,
    title: "instance types are ones the component accepts",
    explanation: "An instance type a component does not accept (endpoint variants, processing, \
        training, tuning, transform, monitoring) fails the deploy or the pipeline run; the \
        lists are the enums of the SageMaker API model. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html \
        and \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceConfig.html",
    check: crate::compat::rt_instance_types,
};

/// `RT-006`: endpoint and monitoring roles can do what SageMaker does with them.
pub(super) const ENDPOINT_PERMISSIONS: Rule = Rule {
    id: "RT-006",
    severity: Error,
    error_in_production: true,
    title: "endpoint and monitoring roles can do what SageMaker does with them",
    explanation: "The model role writes data capture and asynchronous outputs (with their KMS keys), \
        publishes to the asynchronous topics, describes rollback alarms and reads the model \
        artifacts; monitoring jobs write their reports and use their volume key. A definite \
        deny fails the endpoint or job, or silently drops what it should write. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html",
    check: crate::runtime::rt_endpoint_permissions,
};

/// `RT-007`: processing entrypoints name a file their code input puts in the container.
pub(super) const ENTRYPOINTS: Rule = Rule {
    id: "RT-007",
    severity: Error,
    error_in_production: true,
    title: "processing entrypoints name a file their code input puts in the container",
    explanation: "An S3 input copies each object below its LocalPath under the object's own key name, \
        so an entrypoint naming preprocess.py whose input is the object assets/<hash>.py \
        fails with \"No such file\" on every run, although the template deploys. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingS3Input.html",
    check: crate::wiring::rt_entrypoints,
};

/// `RT-008`: Glue, Feature Store, EventBridge and SNS-publisher roles can do
/// what the services do with them.
pub(super) const SERVICE_PERMISSIONS: Rule = Rule {
    id: "RT-008",
    severity: Error,
    error_in_production: true,
    title: "Glue, Feature Store, EventBridge and SNS-publisher roles can do what the services do with them",
    explanation: "Glue jobs read their script and use their security configuration's keys, crawlers \
        read their targets and write tables, the offline store role has Feature Store's \
        minimum S3 actions, an EventBridge rule's role may start the pipeline it targets, \
        and services publishing to an encrypted topic may use its key. A definite deny fails \
        at run time. AWS: https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html \
        and https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
    check: crate::runtime::rt_service_permissions,
};

/// `RT-009`: resources named by a literal string are created first.
pub(super) const CREATE_ORDER: Rule = Rule {
    id: "RT-009",
    severity: Warning,
    error_in_production: true,
    title: "resources named by a literal string are created first",
    explanation: "CloudFormation orders creates by references and DependsOn only; a property that \
        names another resource of the template by a literal string carries no order, so on \
        the first deploy the resource may be created before the one it names and fail. AWS: \
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html",
    check: crate::wiring::rt_create_order,
};

/// `RT-010`: conditions use keys the action sends.
pub(super) const DEAD_GRANTS: Rule = Rule {
    id: "RT-010",
    severity: Warning,
    error_in_production: false,
    title: "conditions use keys the action sends",
    explanation: "An Allow statement none of whose actions sends a condition key it tests allows \
        nothing: the grant is dead and the permission it was written for is missing at run \
        time. The keys each action sends are in the Service Authorization Reference. AWS: \
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
    check: crate::wiring::rt_dead_grants,
};

/// `RT-011`: canary and linear traffic shifts fit the fleet.
pub(super) const TRAFFIC_SHIFT: Rule = Rule {
    id: "RT-011",
    severity: Error,
    error_in_production: true,
    title: "canary and linear traffic shifts fit the fleet",
    explanation: "Deployment guardrails accept a canary of at most 50 % of the fleet and linear steps \
        of 10 to 50 %; a shift outside that deploys, and the next update of the endpoint \
        fails, which is when the guardrail was wanted. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html",
    check: crate::compat::rt_traffic_shift,
};

/// `RT-012`: the pipeline role can start, tag and pass what its steps need.
pub(super) const PIPELINE_ROLE: Rule = Rule {
    id: "RT-012",
    severity: Error,
    error_in_production: true,
    title: "the pipeline role can start, tag and pass what its steps need",
    explanation: "The pipeline's own role creates each step's job, tags it, passes the job's role to \
        SageMaker and reads the property files its conditions evaluate; a definite deny \
        fails the execution at that step although the template deploys. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html",
    check: crate::runtime::rt_pipeline_role,
};

/// `RT-013`: models of JumpStart's gated artifacts accept the EULA.
pub(super) const GATED_EULA: Rule = Rule {
    id: "RT-013",
    severity: Error,
    error_in_production: true,
    title: "models of JumpStart's gated artifacts accept the EULA",
    explanation: "A gated JumpStart model's artifacts are in JumpStart's private bucket \
        (jumpstart-private-cache-<stage>-<region>); ModelAccessConfig.AcceptEula \"must be \
        explicitly defined as True in order to accept the EULA that this model requires\", and \
        it exists only in ModelDataSource.S3DataSource: a ModelDataUrl, or a data source \
        without it, leaves the EULA unaccepted and the model unloadable. Accepting is a legal \
        choice, made in the definition (mlcdk: Eula::accepted(reason)). AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelAccessConfig.html and \
        https://docs.aws.amazon.com/sagemaker/latest/dg/jumpstart-foundation-models-choose.html#jumpstart-foundation-models-choose-eula",
    check: crate::compat::rt_gated_eula,
};

/// `RT-014`: roles that may invoke an inference profile may invoke its model.
pub(super) const INFERENCE_PROFILE_MODELS: Rule = Rule {
    id: "RT-014",
    severity: Error,
    error_in_production: true,
    title: "roles that may invoke a Bedrock inference profile may invoke the model it routes to",
    explanation: "Bedrock authorizes a call through an application inference profile on the \
        profile's ARN and on the foundation model's ARN; a role allowed the profile but \
        denied the model gets AccessDenied on every call although the template deploys. \
        AWS: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html",
    check: crate::bedrock::rt_inference_profile_models,
};

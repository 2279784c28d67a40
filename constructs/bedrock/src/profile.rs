//! An application inference profile per stage: the stage's handle on a
//! foundation model, tagged so its spend is the stage's.

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, PhysicallyNamed, Scope, naming};
use mlcdk_sagemaker::{Alarm, AlarmProps, Comparison, Metric, MissingData, Statistic};

use crate::model::{FoundationModel, INVOKE_ACTIONS, runtime_metric};

/// The alarms of an [`InferenceProfile`], on the runtime metrics of the calls
/// made through it.
/// Thresholds are counts per period; `None` makes no alarm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageAlarms {
    /// Throttled requests in 5 minutes above which the alarm fires (default
    /// 10): throttles mean the account's quota for the model is too low for
    /// the traffic.
    pub max_throttles_per_5_minutes: Option<u64>,
    /// Requests failing on AWS's side in 5 minutes (default 5).
    pub max_server_errors_per_5_minutes: Option<u64>,
    /// Requests failing on the caller's side in 5 minutes (default none: a
    /// client error is often one bad prompt).
    pub max_client_errors_per_5_minutes: Option<u64>,
    /// Requests in an hour (default none): a runaway caller.
    pub max_invocations_per_hour: Option<u64>,
    /// Input tokens in an hour (default none): what input is billed on.
    pub max_input_tokens_per_hour: Option<u64>,
    /// Output tokens in an hour (default none): what output is billed on.
    pub max_output_tokens_per_hour: Option<u64>,
}

impl Default for UsageAlarms {
    fn default() -> UsageAlarms {
        UsageAlarms {
            max_throttles_per_5_minutes: Some(10),
            max_server_errors_per_5_minutes: Some(5),
            max_client_errors_per_5_minutes: None,
            max_invocations_per_hour: None,
            max_input_tokens_per_hour: None,
            max_output_tokens_per_hour: None,
        }
    }
}

/// Props of an [`InferenceProfile`].
#[derive(Clone, Debug)]
pub struct InferenceProfileProps {
    /// The foundation model the profile routes to (`ModelSource.CopyFrom`).
    pub model: FoundationModel,
    /// Shown in the Bedrock console: 1 to 200 letters, digits, `:` and `.`,
    /// each followed by at most one ` `, `_` or `-` (the CloudFormation
    /// schema's pattern).
    pub description: Option<String>,
    /// The topic the alarms notify.
    pub alerts: Option<TopicRef>,
    /// Which alarms, at which thresholds.
    pub alarms: UsageAlarms,
}

impl InferenceProfileProps {
    /// A profile for `model` with the default alarms.
    pub fn new(model: &FoundationModel) -> InferenceProfileProps {
        InferenceProfileProps {
            model: model.clone(),
            description: None,
            alerts: None,
            alarms: UsageAlarms::default(),
        }
    }
}

/// An application inference profile (`AWS::Bedrock::ApplicationInferenceProfile`)
/// for one foundation model in one stage. It carries the stack's tags (among
/// them `stage`), so that Bedrock's on-demand charges made through it are
/// attributed to the stage by cost allocation tags, and counted by the
/// stage's budget, which filters on that tag
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles.html>).
/// Callers pass the profile's ARN (`arn()`) as the model id.
///
/// Alarms watch the profile's own runtime metrics (`AWS/Bedrock`, dimension
/// `ModelId` = the profile's id, `GetAtt InferenceProfileId`), so they count
/// this stage's calls only: Bedrock publishes the metrics of calls made
/// through an application inference profile under the profile's id, as
/// Cloud Custodian's `bedrock-inference-profile` metrics filter reads them
/// (cloud-custodian/cloud-custodian#10786, `c7n/resources/bedrock.py`); the
/// user guide names only the `ModelId` dimension
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html>).
///
/// The handle ([`Construct`]): `arn()` is `GetAtt InferenceProfileArn`,
/// `name()` and `physical_name()` its fixed name; `metric_*()` are the
/// profile's own series.
///
/// ```
/// use mlcdk_core::{Construct, Stack};
/// use mlcdk_core::iam::{Principal, Role, RoleProps};
/// use mlcdk_bedrock::*;
///
/// let mut stack = Stack::for_test();
/// let haiku = FoundationModel::new("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
/// let chat = InferenceProfile::new(&mut stack, "Chat", InferenceProfileProps::new(&haiku));
/// let app = Role::new(&mut stack, "App", RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")));
/// let grant = chat.grant_invoke(&app);
/// assert_eq!(grant.actions(), ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]);
/// assert_eq!(chat.alarms().len(), 2);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct InferenceProfile {
    handle: Handle,
    profile_id: Expr,
    model: FoundationModel,
    alarms: Vec<Alarm>,
}

impl InferenceProfile {
    /// A profile and its alarms, validated at synth: the description's
    /// length and characters, the profile name's shape.
    pub fn new(scope: &mut impl Scope, id: &str, props: InferenceProfileProps) -> InferenceProfile {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let name = node.physical_name_for(naming::BEDROCK_INFERENCE_PROFILE);
        if let Err(e) = check_profile_text(&name, 64, &|c| c.is_ascii_alphanumeric()) {
            node.error(format!("inference profile name '{name}' is invalid: {e}"));
        }
        let mut profile = CfnResource::new("AWS::Bedrock::ApplicationInferenceProfile")
            .set("InferenceProfileName", name.as_str())
            .set(
                "ModelSource",
                Json::object([("CopyFrom", Json::from(props.model.arn()))]),
            );
        if let Some(d) = &props.description {
            if let Err(e) = check_profile_text(d, 200, &|c| {
                c.is_ascii_alphanumeric() || c == ':' || c == '.'
            }) {
                node.error(format!("description '{d}' is invalid: {e}"));
            }
            profile = profile.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", profile);
        let profile_id = resource.get_att("InferenceProfileId");
        let m = |name: &str| runtime_metric(profile_id.clone(), name, Statistic::Sum);
        let a = &props.alarms;
        let five = 300;
        let hour = 3600;
        let specs: [(&str, Option<u64>, Metric, &str); 6] = [
            (
                "Throttles",
                a.max_throttles_per_5_minutes,
                m("InvocationThrottles").with_period(five),
                "throttled requests in 5 minutes: raise the account's quota for the model or slow the callers",
            ),
            (
                "ServerErrors",
                a.max_server_errors_per_5_minutes,
                m("InvocationServerErrors").with_period(five),
                "requests failing on AWS's side in 5 minutes",
            ),
            (
                "ClientErrors",
                a.max_client_errors_per_5_minutes,
                m("InvocationClientErrors").with_period(five),
                "requests failing on the caller's side in 5 minutes: permissions, prompts, model access",
            ),
            (
                "Invocations",
                a.max_invocations_per_hour,
                m("Invocations").with_period(hour),
                "requests in an hour: a runaway caller spends per token",
            ),
            (
                "InputTokens",
                a.max_input_tokens_per_hour,
                m("InputTokenCount").with_period(hour),
                "input tokens in an hour, what input is billed on",
            ),
            (
                "OutputTokens",
                a.max_output_tokens_per_hour,
                m("OutputTokenCount").with_period(hour),
                "output tokens in an hour, what output is billed on",
            ),
        ];
        let mut alarms = Vec::new();
        for (alarm_id, max, metric, what) in specs {
            let Some(max) = max else { continue };
            alarms.push(Alarm::new(
                &mut node,
                alarm_id,
                AlarmProps {
                    description: Some(format!(
                        "{} through profile {name}, {what}: more than {max}",
                        props.model.id()
                    )),
                    // The metrics are published only for requests that
                    // happen: a quiet period is a good one.
                    missing_data: MissingData::NotBreaching,
                    alerts: props.alerts.clone(),
                    ..AlarmProps::new(metric, Comparison::GreaterThan, max as f64)
                },
            ));
        }
        InferenceProfile {
            profile_id,
            // `Ref` is the profile's ARN (its primary identifier) and no
            // attribute returns the name: `name()` is the name fixed here.
            handle: Handle::new(
                resource.clone(),
                path,
                resource.get_att("InferenceProfileArn"),
            )
            .with_name(Expr::lit(name.as_str()))
            .named(name),
            model: props.model,
            alarms,
        }
    }

    /// The profile's id (`GetAtt InferenceProfileId`), the `ModelId` its
    /// metrics are published under.
    pub fn profile_id(&self) -> Expr {
        self.profile_id.clone()
    }

    /// The runtime metric `name` of the calls made through this profile
    /// (`AWS/Bedrock`, `ModelId` = the profile's id), read as `statistic`
    /// per minute: `Invocations`, `InvocationThrottles`,
    /// `InvocationClientErrors`, `InvocationServerErrors`, `InputTokenCount`,
    /// `OutputTokenCount`, `InvocationLatency`.
    pub fn metric(&self, name: &str, statistic: Statistic) -> Metric {
        runtime_metric(self.profile_id.clone(), name, statistic)
    }

    /// Successful requests through the profile (`Invocations`, sum per
    /// minute).
    pub fn metric_invocations(&self) -> Metric {
        self.metric("Invocations", Statistic::Sum)
    }

    /// Throttled requests (`InvocationThrottles`, sum per minute).
    pub fn metric_throttles(&self) -> Metric {
        self.metric("InvocationThrottles", Statistic::Sum)
    }

    /// Input tokens (`InputTokenCount`, sum per minute).
    pub fn metric_input_tokens(&self) -> Metric {
        self.metric("InputTokenCount", Statistic::Sum)
    }

    /// Output tokens (`OutputTokenCount`, sum per minute).
    pub fn metric_output_tokens(&self) -> Metric {
        self.metric("OutputTokenCount", Statistic::Sum)
    }

    /// The model the profile routes to.
    pub fn model(&self) -> &FoundationModel {
        &self.model
    }

    /// The alarms made, in the order of [`UsageAlarms`]' fields.
    pub fn alarms(&self) -> &[Alarm] {
        &self.alarms
    }

    /// Let `grantee` invoke the model through the profile
    /// (`bedrock:InvokeModel`, `bedrock:InvokeModelWithResponseStream`):
    /// on the profile's ARN and on the ARN of the model it routes to, which
    /// Bedrock authorizes too
    /// (<https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html>).
    /// Nothing else: no other model, no `*`.
    pub fn grant_invoke(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(INVOKE_ACTIONS)
                .resources([self.arn(), self.model.arn()])],
        )
    }
}

impl Construct for InferenceProfile {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for InferenceProfile {}

/// Length 1 to `max`, and the schema's pattern `^(X[ _-]?)+$`: each
/// character is one of X (`first`) or a separator (` `, `_`, `-`) following
/// an X.
fn check_profile_text(text: &str, max: usize, first: &dyn Fn(char) -> bool) -> Result<(), String> {
    let n = text.chars().count();
    if !(1..=max).contains(&n) {
        return Err(format!("it has {n} characters; Bedrock takes 1 to {max}"));
    }
    let mut after_sep = true;
    for c in text.chars() {
        if first(c) {
            after_sep = false;
        } else if matches!(c, ' ' | '_' | '-') && !after_sep {
            after_sep = true;
        } else {
            return Err(format!(
                "'{c}' is not accepted there: Bedrock takes letters and digits{} each followed by at most one ' ', '_' or '-' (pattern of AWS::Bedrock::ApplicationInferenceProfile)",
                if first(':') { ", ':' and '.'," } else { "," }
            ));
        }
    }
    Ok(())
}

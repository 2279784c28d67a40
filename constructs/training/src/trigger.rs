//! EventBridge rules that start a pipeline: on a schedule, or on an event.

use std::collections::BTreeMap;

use mlcdk_core::iam::{Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, Node, Scope};

use crate::pipeline::Pipeline;

pub use mlcdk_core::schedule::{RateUnit, Schedule};

/// What starts the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerSource {
    /// On a schedule.
    Schedule(Schedule),
    /// An EventBridge event pattern (e.g. a CloudWatch alarm entering ALARM).
    EventPattern(Json),
}

/// Props of a [`PipelineTrigger`].
///
/// ```
/// use std::collections::BTreeMap;
/// use mlcdk_core::Stack;
/// use mlcdk_storage::{Bucket, BucketProps};
/// use mlcdk_training::*;
///
/// let mut stack = Stack::for_test();
/// let data = Bucket::new(&mut stack, "Data", BucketProps::default());
/// let training = TrainingPipeline::new(&mut stack, "Training",
///     TrainingPipelineProps::xgboost(data.prefix("features/"), data.prefix("pipeline/")));
/// PipelineTrigger::new(&mut stack, "Nightly", TriggerProps {
///     parameters: BTreeMap::from([("InputData".to_string(), data.prefix("nightly/").uri())]),
///     ..TriggerProps::schedule(&training, Schedule::daily(2))
/// });
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct TriggerProps {
    /// The pipeline the rule starts (a [`TrainingPipeline`](crate::TrainingPipeline)
    /// converts into it).
    pub pipeline: Pipeline,
    /// What starts the pipeline.
    pub source: TriggerSource,
    /// Pipeline parameters for the execution, name → value (0–200; names
    /// 1–256 letters, digits, `_` or `-`; literal values up to 1,024
    /// characters).
    pub parameters: BTreeMap<String, Expr>,
    /// Shown in the EventBridge console; up to 512 characters.
    pub description: Option<String>,
}

impl TriggerProps {
    /// Start `pipeline` on `schedule`, with its default parameters.
    pub fn schedule(pipeline: impl Into<Pipeline>, schedule: Schedule) -> TriggerProps {
        TriggerProps {
            pipeline: pipeline.into(),
            source: TriggerSource::Schedule(schedule),
            parameters: BTreeMap::new(),
            description: None,
        }
    }

    /// Start `pipeline` on events matching `pattern`, with its default
    /// parameters.
    pub fn on_event(pipeline: impl Into<Pipeline>, pattern: Json) -> TriggerProps {
        TriggerProps {
            pipeline: pipeline.into(),
            source: TriggerSource::EventPattern(pattern),
            parameters: BTreeMap::new(),
            description: None,
        }
    }
}

/// An EventBridge rule that starts a pipeline, with a role allowed to start
/// that pipeline and nothing else.
///
/// The handle ([`Construct`]): `name()` is the rule's
/// `Ref` (CloudFormation generates the name), `arn()` its `GetAtt Arn`.
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::Stack;
/// use mlcdk_storage::{Bucket, BucketProps};
/// use mlcdk_training::*;
///
/// let mut stack = Stack::for_test();
/// let data = Bucket::new(&mut stack, "Data", BucketProps::default());
/// let training = TrainingPipeline::new(&mut stack, "Training",
///     TrainingPipelineProps::xgboost(data.prefix("features/"), data.prefix("pipeline/")));
/// let weekly = PipelineTrigger::new(&mut stack, "Weekly",
///     TriggerProps::schedule(&training, Schedule::weekly("MON", 3)));
/// assert_eq!(weekly.node_path().to_string(), "Weekly");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct PipelineTrigger {
    handle: Handle,
    role: Role,
}

impl PipelineTrigger {
    /// A rule and its role, validated at synth: parameters, the schedule, a
    /// non-empty event pattern, the description's length.
    pub fn new(scope: &mut impl Scope, id: &str, props: TriggerProps) -> PipelineTrigger {
        PipelineTrigger::within(&mut scope.node(id), props)
    }

    /// A trigger whose rule and role are made directly in `node` (at its
    /// path), for constructs that are a trigger with more to check, such as
    /// retraining on alarms. Validated as [`PipelineTrigger::new`] is.
    pub fn within(node: &mut Node<'_>, props: TriggerProps) -> PipelineTrigger {
        let path = node.path().clone();
        if props.parameters.len() > 200 {
            node.error(format!(
                "{} pipeline parameters; EventBridge passes at most 200",
                props.parameters.len()
            ));
        }
        for (name, value) in &props.parameters {
            let b = name.as_bytes();
            let valid = (1..=256).contains(&b.len())
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-');
            if !valid {
                node.error(format!(
                    "pipeline parameter name '{name}' is invalid: 1 to 256 letters, digits, '_' or '-', starting and ending with a letter or digit"
                ));
            }
            if let Some(v) = value.as_literal()
                && v.chars().count() > 1024
            {
                node.error(format!(
                    "pipeline parameter '{name}' has a value of {} characters; EventBridge passes at most 1024",
                    v.chars().count()
                ));
            }
        }
        if let Some(d) = &props.description
            && d.chars().count() > 512
        {
            node.error(format!(
                "description has {} characters; EventBridge accepts at most 512",
                d.chars().count()
            ));
        }
        let role = Role::new(
            node,
            "Role",
            RoleProps {
                description: Some("EventBridge: start one SageMaker pipeline".into()),
                ..RoleProps::assumed_by(Principal::service("events.amazonaws.com"))
            },
        );
        props.pipeline.grant_start(&role);

        let parameters: Vec<Json> = props
            .parameters
            .iter()
            .map(|(n, v)| {
                Json::object([("Name", Json::from(n.as_str())), ("Value", Json::from(v))])
            })
            .collect();
        let target = Json::object([
            ("Id", Json::from("Pipeline")),
            ("Arn", Json::from(props.pipeline.arn())),
            ("RoleArn", Json::from(role.arn())),
            (
                "SageMakerPipelineParameters",
                Json::object([("PipelineParameterList", Json::Array(parameters))]),
            ),
        ]);
        let mut rule = CfnResource::new("AWS::Events::Rule")
            .set("State", "ENABLED")
            .set("Targets", Json::array([target]));
        match &props.source {
            TriggerSource::Schedule(s) => match s.expression() {
                Ok(e) => rule = rule.set("ScheduleExpression", e),
                Err(e) => node.error(format!("schedule: {e}")),
            },
            TriggerSource::EventPattern(p) => {
                if !matches!(p, Json::Object(m) if !m.is_empty()) {
                    node.error("the event pattern must be a non-empty JSON object");
                }
                rule = rule.set("EventPattern", p.clone());
            }
        }
        if let Some(d) = &props.description {
            rule = rule.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", rule);
        // `Ref` of a rule is its name, generated by CloudFormation.
        let arn = resource.get_att("Arn");
        PipelineTrigger {
            handle: Handle::new(resource, path, arn),
            role,
        }
    }

    /// The role EventBridge starts the pipeline with.
    pub fn role(&self) -> &Role {
        &self.role
    }
}

impl Construct for PipelineTrigger {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

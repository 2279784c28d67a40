//! EventBridge rules that start a pipeline: on a schedule, or on an event.

use mlcdk_core::iam::{Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};

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
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerProps {
    /// What starts the pipeline.
    pub source: TriggerSource,
    /// Pipeline parameters for the execution (0–200).
    pub parameters: Vec<(String, Expr)>,
    /// Shown in the EventBridge console; up to 512 characters.
    pub description: Option<String>,
}

impl TriggerProps {
    /// Start the pipeline on `schedule`, with its default parameters.
    pub fn schedule(schedule: Schedule) -> TriggerProps {
        TriggerProps {
            source: TriggerSource::Schedule(schedule),
            parameters: Vec::new(),
            description: None,
        }
    }

    /// Start the pipeline on events matching `pattern`, with its default
    /// parameters.
    pub fn on_event(pattern: Json) -> TriggerProps {
        TriggerProps {
            source: TriggerSource::EventPattern(pattern),
            parameters: Vec::new(),
            description: None,
        }
    }

    /// Set the pipeline parameter `name` for executions this trigger starts
    /// (names 1–256 letters, digits, `_` or `-`; literal values up to 1,024
    /// characters).
    pub fn parameter(mut self, name: &str, value: impl Into<Expr>) -> TriggerProps {
        self.parameters.push((name.to_string(), value.into()));
        self
    }
}

/// An EventBridge rule that starts `pipeline`, with a role allowed to start
/// that pipeline and nothing else.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_storage::{Bucket, BucketProps};
/// use mlcdk_training::*;
///
/// let mut stack = Stack::for_test();
/// let data = Bucket::new(&mut stack, "Data", BucketProps::default());
/// let training = TrainingPipeline::new(&mut stack, "Training",
///     TrainingPipelineProps::xgboost(data.path("features/"), data.path("pipeline/")));
/// PipelineTrigger::new(&mut stack, "Weekly", training.pipeline(),
///     TriggerProps::schedule(Schedule::weekly("MON", 3)));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct PipelineTrigger {
    resource: ResourceRef,
}

impl PipelineTrigger {
    /// A rule and its role, validated at synth: parameters, the schedule, a
    /// non-empty event pattern.
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        pipeline: &Pipeline,
        props: TriggerProps,
    ) -> PipelineTrigger {
        let mut node = scope.node(id);
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
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some("EventBridge: start one SageMaker pipeline".into()),
                ..RoleProps::assumed_by(Principal::service("events.amazonaws.com"))
            },
        );
        pipeline.grant_start(&role);

        let parameters: Vec<Json> = props
            .parameters
            .iter()
            .map(|(n, v)| {
                Json::object([("Name", Json::from(n.as_str())), ("Value", Json::from(v))])
            })
            .collect();
        let target = Json::object([
            ("Id", Json::from("Pipeline")),
            ("Arn", Json::from(pipeline.arn())),
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
        PipelineTrigger { resource }
    }

    /// The rule's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.get_att("Arn")
    }
}

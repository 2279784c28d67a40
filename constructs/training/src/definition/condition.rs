//! The Condition step: branches on values, e.g. an evaluation metric.

use mlcdk_core::Json;

use super::{PipelineValue, Step, StepArguments};

/// Comparison in a Condition step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Left equals right.
    Equals,
    /// Left > right.
    GreaterThan,
    /// Left ≥ right.
    GreaterThanOrEqualTo,
    /// Left < right.
    LessThan,
    /// Left ≤ right.
    LessThanOrEqualTo,
}

/// One condition of a Condition step: `left <comparison> right`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// How the values are compared.
    pub comparison: Comparison,
    /// The left value (e.g. a metric read from a property file).
    pub left: PipelineValue,
    /// The right value (e.g. a threshold).
    pub right: PipelineValue,
}

/// A Condition step: all conditions true → `if_steps`, else `else_steps`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionSpec {
    /// Conditions, all of which must hold.
    pub conditions: Vec<Condition>,
    /// Steps run when every condition holds.
    pub if_steps: Vec<Step>,
    /// Steps run otherwise.
    pub else_steps: Vec<Step>,
}

impl StepArguments for ConditionSpec {
    fn type_name(&self) -> &'static str {
        "Condition"
    }

    fn to_json(&self, tags: &[(String, String)]) -> Json {
        Json::object([
            (
                "Conditions",
                Json::Array(
                    self.conditions
                        .iter()
                        .map(|c| {
                            Json::object([
                                ("Type", Json::from(format!("{:?}", c.comparison))),
                                ("LeftValue", c.left.to_json()),
                                ("RightValue", c.right.to_json()),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "IfSteps",
                Json::Array(self.if_steps.iter().map(|s| s.to_json(tags)).collect()),
            ),
            (
                "ElseSteps",
                Json::Array(self.else_steps.iter().map(|s| s.to_json(tags)).collect()),
            ),
        ])
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        if self.conditions.is_empty() {
            errors.push(format!(
                "{what}: a condition step needs at least one condition"
            ));
        }
    }

    /// The conditions' values; the branches' steps are steps of their own.
    fn values(&self) -> Vec<&PipelineValue> {
        self.conditions
            .iter()
            .flat_map(|c| [&c.left, &c.right])
            .collect()
    }

    fn tagged(&self) -> bool {
        false
    }
}

//! The Fail step: stops the execution as failed, e.g. in the else branch
//! of an evaluation gate. Its one argument lives in
//! [`StepKind::Fail`](super::StepKind::Fail).

use mlcdk_core::Json;

use super::{PipelineValue, StepArguments};

/// The arguments of a [`StepKind::Fail`](super::StepKind::Fail) step.
pub(super) struct FailArguments<'a> {
    /// Why, shown in the execution's details.
    pub message: &'a PipelineValue,
}

impl StepArguments for FailArguments<'_> {
    fn type_name(&self) -> &'static str {
        "Fail"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
        Json::object([("ErrorMessage", self.message.to_json())])
    }

    fn values(&self) -> Vec<&PipelineValue> {
        vec![self.message]
    }

    fn tagged(&self) -> bool {
        false
    }
}

//! The Model step: a `CreateModel` request, the model a batch transform
//! uses.

use mlcdk_core::{Expr, Json};

use super::{PipelineValue, StepArguments};

/// A SageMaker model made from artifacts (for batch transform).
#[derive(Clone, Debug, PartialEq)]
pub struct CreateModelSpec {
    /// Inference image URI.
    pub image: PipelineValue,
    /// S3 URI of the model artifact.
    pub model_data: PipelineValue,
    /// Execution role of the model.
    pub role_arn: Expr,
}

impl StepArguments for CreateModelSpec {
    fn type_name(&self) -> &'static str {
        "Model"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
        Json::object([
            ("ExecutionRoleArn", Json::from(&self.role_arn)),
            (
                "PrimaryContainer",
                Json::object([
                    ("Image", self.image.to_json()),
                    ("ModelDataUrl", self.model_data.to_json()),
                ]),
            ),
        ])
    }

    fn values(&self) -> Vec<&PipelineValue> {
        vec![&self.image, &self.model_data]
    }
}

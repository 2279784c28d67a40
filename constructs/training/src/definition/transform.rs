//! The Transform step: a `CreateTransformJob` request, batch scoring of an
//! S3 prefix.

use mlcdk_core::Json;

use super::{PipelineValue, StepArguments, check_instance};

/// Batch scoring of an S3 prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct TransformSpec {
    /// The model to score with, usually a CreateModel step's `ModelName`.
    pub model_name: PipelineValue,
    /// S3 prefix of the records to score.
    pub input: PipelineValue,
    /// S3 prefix the scores are written under.
    pub output: PipelineValue,
    /// MIME type of the input, e.g. `text/csv`; records are split by line.
    pub content_type: String,
    /// Instance type, `ml.<family>.<size>`.
    pub instance_type: String,
    /// Instances, at least 1.
    pub instance_count: u32,
}

impl StepArguments for TransformSpec {
    fn type_name(&self) -> &'static str {
        "Transform"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
        Json::object([
            ("ModelName", self.model_name.to_json()),
            (
                "TransformInput",
                Json::object([
                    (
                        "DataSource",
                        Json::object([(
                            "S3DataSource",
                            Json::object([
                                ("S3DataType", Json::from("S3Prefix")),
                                ("S3Uri", self.input.to_json()),
                            ]),
                        )]),
                    ),
                    ("ContentType", Json::from(self.content_type.as_str())),
                    ("SplitType", Json::from("Line")),
                ]),
            ),
            (
                "TransformOutput",
                Json::object([
                    ("S3OutputPath", self.output.to_json()),
                    ("AssembleWith", Json::from("Line")),
                ]),
            ),
            (
                "TransformResources",
                Json::object([
                    ("InstanceCount", Json::from(self.instance_count)),
                    ("InstanceType", Json::from(self.instance_type.as_str())),
                ]),
            ),
        ])
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        check_instance(errors, what, &self.instance_type, self.instance_count);
    }

    fn values(&self) -> Vec<&PipelineValue> {
        vec![&self.model_name, &self.input, &self.output]
    }
}

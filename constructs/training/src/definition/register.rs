//! The RegisterModel step: a `CreateModelPackage` request, a model version
//! in a model package group.

use mlcdk_core::{Expr, Json};

use super::{PipelineValue, StepArguments};

/// Registration of a model version into a model package group.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterSpec {
    /// The model package group registered into.
    pub group_name: Expr,
    /// Inference image URI of the version.
    pub image: PipelineValue,
    /// S3 URI of the model artifact, usually a training step's
    /// `ModelArtifacts.S3ModelArtifacts`.
    pub model_data: PipelineValue,
    /// Request MIME types the model accepts, e.g. `text/csv`.
    pub content_types: Vec<String>,
    /// Response MIME types it returns.
    pub response_types: Vec<String>,
    /// Instance types for real-time inference that the version lists as
    /// supported.
    pub inference_instances: Vec<String>,
    /// Instance types for batch transform that the version lists as supported.
    pub transform_instances: Vec<String>,
    /// `Approved` or `PendingManualApproval` (or a parameter).
    pub approval: PipelineValue,
    /// An evaluation report (JSON) attached as model-quality statistics.
    pub metrics_uri: Option<PipelineValue>,
    /// Feature statistics of the training data (JSON) attached as
    /// data-quality statistics: the baseline monitors read.
    pub data_quality_uri: Option<PipelineValue>,
}

impl StepArguments for RegisterSpec {
    fn type_name(&self) -> &'static str {
        "RegisterModel"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
        let strings =
            |v: &[String]| Json::Array(v.iter().map(|s| Json::from(s.as_str())).collect());
        let mut m = vec![
            ("ModelPackageGroupName", Json::from(&self.group_name)),
            (
                "InferenceSpecification",
                Json::object([
                    (
                        "Containers",
                        Json::array([Json::object([
                            ("Image", self.image.to_json()),
                            ("ModelDataUrl", self.model_data.to_json()),
                        ])]),
                    ),
                    ("SupportedContentTypes", strings(&self.content_types)),
                    ("SupportedResponseMIMETypes", strings(&self.response_types)),
                    (
                        "SupportedRealtimeInferenceInstanceTypes",
                        strings(&self.inference_instances),
                    ),
                    (
                        "SupportedTransformInstanceTypes",
                        strings(&self.transform_instances),
                    ),
                ]),
            ),
            ("ModelApprovalStatus", self.approval.to_json()),
        ];
        let statistics = |uri: &PipelineValue| {
            Json::object([(
                "Statistics",
                Json::object([
                    ("ContentType", Json::from("application/json")),
                    ("S3Uri", uri.to_json()),
                ]),
            )])
        };
        let mut metrics = Vec::new();
        if let Some(uri) = &self.metrics_uri {
            metrics.push(("ModelQuality", statistics(uri)));
        }
        if let Some(uri) = &self.data_quality_uri {
            metrics.push(("ModelDataQuality", statistics(uri)));
        }
        if !metrics.is_empty() {
            m.push(("ModelMetrics", Json::object(metrics)));
        }
        Json::object(m)
    }

    fn values(&self) -> Vec<&PipelineValue> {
        let mut v = vec![&self.image, &self.model_data, &self.approval];
        v.extend(self.metrics_uri.iter());
        v.extend(self.data_quality_uri.iter());
        v
    }
}

//! The Training step: a `CreateTrainingJob` request, also the job a tuning
//! step repeats.

use std::collections::BTreeMap;

use mlcdk_core::{Expr, Json};

use super::{MAX_TRAINING_RUNTIME, PipelineValue, StepArguments, check_instance};

/// Managed spot training: a cap on the total wait, and where checkpoints go.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotSpec {
    /// Training time plus time waiting for spot capacity, in seconds; at least
    /// the job's `max_runtime_seconds`.
    pub max_wait_seconds: u32,
    /// S3 URI the job checkpoints to, so an interrupted job resumes instead of
    /// restarting; `None` for tuning trials, which must not share one (see
    /// [`crate::Spot`]).
    pub checkpoint_uri: Option<PipelineValue>,
}

/// An input channel of a training job.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    /// Channel name the algorithm expects, e.g. `train` or `validation`.
    pub name: String,
    /// S3 prefix of the channel's data.
    pub uri: PipelineValue,
    /// MIME type of the data, e.g. `text/csv`; the algorithm's default when
    /// `None`.
    pub content_type: Option<String>,
}

/// Continued fine-tuning of a registered model (`ModelPackageConfig`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelPackageSpec {
    /// ARN of the model package group the fine-tuned model belongs to.
    pub group_arn: Expr,
    /// ARN of the registered model version to continue from.
    pub source_package_arn: Expr,
}

/// What a training job runs on and with: the part of `CreateTrainingJob`
/// shared by the Training step and a tuning job's `TrainingJobDefinition`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingJobSpec {
    /// Training image URI.
    pub image: PipelineValue,
    /// Role the job runs as.
    pub role_arn: Expr,
    /// Instance type, `ml.<family>.<size>`.
    pub instance_type: String,
    /// Instances, at least 1 (distributed training above 1).
    pub instance_count: u32,
    /// Storage per instance in GB, 1–16,384.
    pub volume_gb: u32,
    /// Training time cap in seconds, 1 to [`MAX_TRAINING_RUNTIME`] (28 days);
    /// the job is stopped after it.
    pub max_runtime_seconds: u32,
    /// Managed spot training (cheaper, interruptible); on-demand when `None`.
    pub spot: Option<SpotSpec>,
    /// Input channels.
    pub channels: Vec<Channel>,
    /// S3 prefix the model artifacts are written under.
    pub output_uri: PipelineValue,
    /// Static hyperparameters, at most 100; names and literal values have 1–256
    /// characters.
    pub hyperparameters: BTreeMap<String, PipelineValue>,
    /// Continue training a registered model; a fresh model when `None`.
    pub model_package: Option<ModelPackageSpec>,
}

impl TrainingJobSpec {
    /// The `CreateTrainingJob` request; a tuning job's definition has
    /// `StaticHyperParameters` where a training step has `HyperParameters`.
    pub(super) fn job_json(&self, static_hyperparameters: bool) -> Json {
        let mut m: Vec<(&str, Json)> = vec![
            (
                "AlgorithmSpecification",
                Json::object([
                    ("TrainingImage", self.image.to_json()),
                    ("TrainingInputMode", Json::from("File")),
                ]),
            ),
            ("RoleArn", Json::from(&self.role_arn)),
            (
                "OutputDataConfig",
                Json::object([("S3OutputPath", self.output_uri.to_json())]),
            ),
            (
                "ResourceConfig",
                Json::object([
                    ("InstanceCount", Json::from(self.instance_count)),
                    ("InstanceType", Json::from(self.instance_type.as_str())),
                    ("VolumeSizeInGB", Json::from(self.volume_gb)),
                ]),
            ),
            (
                "InputDataConfig",
                Json::Array(
                    self.channels
                        .iter()
                        .map(|c| {
                            let mut ch = vec![
                                ("ChannelName", Json::from(c.name.as_str())),
                                (
                                    "DataSource",
                                    Json::object([(
                                        "S3DataSource",
                                        Json::object([
                                            ("S3DataType", Json::from("S3Prefix")),
                                            ("S3Uri", c.uri.to_json()),
                                            (
                                                "S3DataDistributionType",
                                                Json::from("FullyReplicated"),
                                            ),
                                        ]),
                                    )]),
                                ),
                            ];
                            if let Some(t) = &c.content_type {
                                ch.push(("ContentType", Json::from(t.as_str())));
                            }
                            Json::object(ch)
                        })
                        .collect(),
                ),
            ),
        ];
        let mut stopping = vec![("MaxRuntimeInSeconds", Json::from(self.max_runtime_seconds))];
        if let Some(spot) = &self.spot {
            stopping.push(("MaxWaitTimeInSeconds", Json::from(spot.max_wait_seconds)));
            m.push(("EnableManagedSpotTraining", Json::Bool(true)));
            if let Some(uri) = &spot.checkpoint_uri {
                m.push(("CheckpointConfig", Json::object([("S3Uri", uri.to_json())])));
            }
        }
        m.push(("StoppingCondition", Json::object(stopping)));
        if !self.hyperparameters.is_empty() {
            m.push((
                if static_hyperparameters {
                    "StaticHyperParameters"
                } else {
                    "HyperParameters"
                },
                Json::Object(
                    self.hyperparameters
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect(),
                ),
            ));
        }
        if let Some(p) = &self.model_package {
            m.push((
                "ModelPackageConfig",
                Json::object([
                    ("ModelPackageGroupArn", Json::from(&p.group_arn)),
                    ("SourceModelPackageArn", Json::from(&p.source_package_arn)),
                ]),
            ));
        }
        Json::object(m)
    }
}

impl StepArguments for TrainingJobSpec {
    fn type_name(&self) -> &'static str {
        "Training"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
        self.job_json(false)
    }

    fn values(&self) -> Vec<&PipelineValue> {
        let mut v = Vec::new();
        push_job(self, &mut v);
        v
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        check_instance(errors, what, &self.instance_type, self.instance_count);
        if !(1..=16384).contains(&self.volume_gb) {
            errors.push(format!(
                "{what}: volume of {} GB is out of range: 1 to 16384",
                self.volume_gb
            ));
        }
        if !(1..=MAX_TRAINING_RUNTIME).contains(&self.max_runtime_seconds) {
            errors.push(format!(
                "{what}: max_runtime_seconds {} is out of range: 1 to {MAX_TRAINING_RUNTIME} (28 days)",
                self.max_runtime_seconds
            ));
        }
        if let Some(spot) = &self.spot
            && spot.max_wait_seconds < self.max_runtime_seconds
        {
            errors.push(format!(
                "{what}: spot max_wait_seconds ({}) is below max_runtime_seconds ({}); SageMaker requires MaxWaitTimeInSeconds >= MaxRuntimeInSeconds",
                spot.max_wait_seconds, self.max_runtime_seconds
            ));
        }
        if self.hyperparameters.len() > 100 {
            errors.push(format!(
                "{what}: {} hyperparameters; SageMaker accepts at most 100",
                self.hyperparameters.len()
            ));
        }
        for (k, v) in &self.hyperparameters {
            let long_value =
                matches!(v, PipelineValue::Json(Json::String(s)) if s.chars().count() > 256);
            if k.is_empty() || k.chars().count() > 256 || long_value {
                errors.push(format!(
                    "{what}: hyperparameter '{k}': names and values have 1 to 256 characters"
                ));
            }
        }
    }
}

/// Every value of a training job, for reference checks.
pub(super) fn push_job<'a>(j: &'a TrainingJobSpec, v: &mut Vec<&'a PipelineValue>) {
    v.push(&j.image);
    v.push(&j.output_uri);
    v.extend(j.channels.iter().map(|c| &c.uri));
    v.extend(j.hyperparameters.values());
    if let Some(uri) = j.spot.as_ref().and_then(|s| s.checkpoint_uri.as_ref()) {
        v.push(uri);
    }
}

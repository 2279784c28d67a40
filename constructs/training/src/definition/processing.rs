//! The Processing step: a `CreateProcessingJob` request running a Python
//! script, and the property files later steps read.

use mlcdk_core::{Expr, Json};

use super::{MAX_PROCESSING_RUNTIME, PipelineValue, StepArguments, check_instance};

/// A processing job running a Python script.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessingSpec {
    /// Processing image URI (one with `python3`).
    pub image: PipelineValue,
    /// Role the job runs as.
    pub role_arn: Expr,
    /// Instance type, `ml.<family>.<size>`.
    pub instance_type: String,
    /// Instances, at least 1.
    pub instance_count: u32,
    /// Storage per instance in GB (SageMaker accepts 1–16,384).
    pub volume_gb: u32,
    /// Runtime cap in seconds, 1 to [`MAX_PROCESSING_RUNTIME`] (5 days).
    pub max_runtime_seconds: u32,
    /// S3 URI of the script.
    pub code: PipelineValue,
    /// The script's file name (the last part of `code`).
    pub script_name: String,
    /// Command-line arguments of the script: literals, stack references
    /// (joined in by CloudFormation), parameters or step properties.
    pub arguments: Vec<PipelineValue>,
    /// `(name, S3 URI)`: available under `/opt/ml/processing/input/<name>`.
    pub inputs: Vec<(String, PipelineValue)>,
    /// `(name, S3 URI)`: written from `/opt/ml/processing/output/<name>`.
    pub outputs: Vec<(String, PipelineValue)>,
    /// JSON files of the step's outputs that later steps read
    /// (`Std:JsonGet`).
    pub property_files: Vec<PropertyFile>,
    /// The KMS key of the instance's storage volume
    /// (`ClusterConfig.VolumeKmsKeyId`); the role needs `kms:CreateGrant`.
    pub volume_key: Option<Expr>,
    /// The KMS key SageMaker encrypts the outputs with
    /// (`ProcessingOutputConfig.KmsKeyId`).
    pub output_key: Option<Expr>,
}

/// A JSON file a Processing step writes, declared so that later steps can
/// read values of it (`Std:JsonGet`).
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyFile {
    /// The name later steps refer to it by.
    pub name: String,
    /// The step's output the file is written to.
    pub output: String,
    /// The file's path in that output, e.g. `evaluation.json`.
    pub path: String,
}

/// A processing input: the S3 prefix copied to
/// `/opt/ml/processing/input/<name>` before the script starts.
fn s3_input(name: &str, uri: &PipelineValue) -> Json {
    Json::object([
        ("InputName", Json::from(name)),
        (
            "S3Input",
            Json::object([
                ("S3Uri", uri.to_json()),
                (
                    "LocalPath",
                    Json::from(format!("/opt/ml/processing/input/{name}")),
                ),
                ("S3DataType", Json::from("S3Prefix")),
                ("S3InputMode", Json::from("File")),
            ]),
        ),
    ])
}

impl StepArguments for ProcessingSpec {
    fn type_name(&self) -> &'static str {
        "Processing"
    }

    fn to_json(&self, _tags: &[(String, String)]) -> Json {
        let mut inputs = vec![s3_input("code", &self.code)];
        inputs.extend(self.inputs.iter().map(|(name, uri)| s3_input(name, uri)));
        let outputs: Vec<Json> = self
            .outputs
            .iter()
            .map(|(name, uri)| {
                Json::object([
                    ("OutputName", Json::from(name.as_str())),
                    (
                        "S3Output",
                        Json::object([
                            ("S3Uri", uri.to_json()),
                            (
                                "LocalPath",
                                Json::from(format!("/opt/ml/processing/output/{name}")),
                            ),
                            ("S3UploadMode", Json::from("EndOfJob")),
                        ]),
                    ),
                ])
            })
            .collect();
        let mut entry = vec![
            Json::from("python3"),
            Json::from(format!(
                "/opt/ml/processing/input/code/{}",
                self.script_name
            )),
        ];
        entry.extend(self.arguments.iter().map(PipelineValue::to_json));
        Json::object([
            (
                "ProcessingResources",
                Json::object([(
                    "ClusterConfig",
                    Json::object(
                        [
                            ("InstanceCount", Json::from(self.instance_count)),
                            ("InstanceType", Json::from(self.instance_type.as_str())),
                            ("VolumeSizeInGB", Json::from(self.volume_gb)),
                        ]
                        .into_iter()
                        .chain(
                            self.volume_key
                                .as_ref()
                                .map(|k| ("VolumeKmsKeyId", Json::from(k))),
                        ),
                    ),
                )]),
            ),
            (
                "AppSpecification",
                Json::object([
                    ("ImageUri", self.image.to_json()),
                    ("ContainerEntrypoint", Json::Array(entry)),
                ]),
            ),
            ("RoleArn", Json::from(&self.role_arn)),
            ("ProcessingInputs", Json::Array(inputs)),
            (
                "ProcessingOutputConfig",
                Json::object(
                    [("Outputs", Json::Array(outputs))].into_iter().chain(
                        self.output_key
                            .as_ref()
                            .map(|k| ("KmsKeyId", Json::from(k))),
                    ),
                ),
            ),
            (
                "StoppingCondition",
                Json::object([("MaxRuntimeInSeconds", Json::from(self.max_runtime_seconds))]),
            ),
        ])
    }

    fn validate(&self, errors: &mut Vec<String>, what: &str) {
        check_instance(errors, what, &self.instance_type, self.instance_count);
        if !(1..=MAX_PROCESSING_RUNTIME).contains(&self.max_runtime_seconds) {
            errors.push(format!(
                "{what}: max_runtime_seconds {} is out of range: 1 to {MAX_PROCESSING_RUNTIME} (5 days)",
                self.max_runtime_seconds
            ));
        }
        for PropertyFile {
            name: file, output, ..
        } in &self.property_files
        {
            if !self.outputs.iter().any(|(n, _)| n == output) {
                errors.push(format!(
                    "{what}: property file '{file}' reads output '{output}', which the step does not have"
                ));
            }
        }
    }

    fn values(&self) -> Vec<&PipelineValue> {
        let mut v = vec![&self.image, &self.code];
        v.extend(&self.arguments);
        v.extend(self.inputs.iter().map(|(_, u)| u));
        v.extend(self.outputs.iter().map(|(_, u)| u));
        v
    }

    fn property_files(&self) -> &[PropertyFile] {
        &self.property_files
    }
}

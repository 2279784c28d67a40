//! `Pipeline` (any definition) and `TrainingPipeline` (the L2 that builds one).

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{Asset, CfnResource, Expr, Json, ResourceRef, Scope};
use mlcdk_storage::S3Path;

use crate::definition::*;
use mlcdk_sagemaker::images::{self, EcrImage, XgboostVersion};

/// Definitions whose text is larger than this go to S3 (when they can).
pub const INLINE_DEFINITION_LIMIT: usize = 100_000;

/// A model package group to register into: a name and an ARN. The registry
/// construct converts into it; `ModelGroupRef::named` refers to an existing group.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelGroupRef {
    /// The group's name, which registration steps take.
    pub name: Expr,
    /// The group's ARN, for the pipeline role's grants.
    pub arn: Expr,
}

impl ModelGroupRef {
    /// An existing group of this account and region.
    pub fn named(name: &str) -> ModelGroupRef {
        ModelGroupRef {
            name: Expr::lit(name),
            arn: Expr::sub(format!(
                "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:model-package-group/{name}"
            )),
        }
    }
}

/// A pipeline from a definition, with the role it runs as.
///
/// A definition that refers to stack resources (role ARNs, bucket names) is
/// inline (`PipelineDefinitionBody`, references joined in); one without
/// references goes to the assets bucket when larger than
/// [`INLINE_DEFINITION_LIMIT`] (`PipelineDefinitionS3Location`). CloudFormation
/// resolves no references inside an S3 object, so a large definition with
/// references is an error.
#[derive(Clone, Debug)]
pub struct Pipeline {
    resource: ResourceRef,
    name: String,
}

/// How a [`Pipeline`] runs besides its definition.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Steps of one execution that may run at once
    /// (`ParallelismConfiguration.MaxParallelExecutionSteps`), 1 to 256;
    /// default 10.
    pub max_parallel_steps: u32,
    /// Resources that must exist before the pipeline is created. A
    /// definition stored in S3 names its roles by literal ARN (CloudFormation
    /// resolves no reference inside an S3 object), so nothing else would
    /// order the role's creation before the pipeline's.
    pub depends_on: Vec<ResourceRef>,
}

impl Default for PipelineOptions {
    fn default() -> PipelineOptions {
        PipelineOptions {
            max_parallel_steps: 10,
            depends_on: Vec::new(),
        }
    }
}

impl Pipeline {
    /// A pipeline of `definition` running as `role_arn`, validated at synth
    /// (see [`Definition::validate`]); the definition is inline or, when large
    /// and without stack references, an asset. Default options.
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        definition: &Definition,
        role_arn: Expr,
    ) -> Pipeline {
        Pipeline::with_options(scope, id, definition, role_arn, PipelineOptions::default())
    }

    /// [`Pipeline::new`] with options: step parallelism, and resources to
    /// create first.
    pub fn with_options(
        scope: &mut impl Scope,
        id: &str,
        definition: &Definition,
        role_arn: Expr,
        options: PipelineOptions,
    ) -> Pipeline {
        let mut node = scope.node(id);
        for e in definition.validate() {
            node.error(e);
        }
        if !(1..=256).contains(&options.max_parallel_steps) {
            node.error(format!(
                "max_parallel_steps {} is out of range: 1 to 256 (ParallelismConfiguration.MaxParallelExecutionSteps)",
                options.max_parallel_steps
            ));
        }
        // Pipeline ARNs carry the name in lower case: keep it lower case so the
        // ARN built from it matches.
        let name = node.physical_name('-', 256).to_ascii_lowercase();
        let doc = definition.to_json();
        let body = doc.to_cfn_string();
        let mut references = false;
        doc.for_each_expr(&mut |e| references |= e.as_literal().is_none());
        let size = match &body {
            Expr::Literal(s) => s.len(),
            other => other.to_json().to_string().len(),
        };
        let location = if size > INLINE_DEFINITION_LIMIT {
            if references {
                node.error(format!(
                    "the pipeline definition is {size} bytes, over the {INLINE_DEFINITION_LIMIT}-byte inline limit, and refers to stack resources, which CloudFormation cannot resolve in an S3 object; split the pipeline or use literal names"
                ));
                Json::object([("PipelineDefinitionBody", Json::from(body))])
            } else {
                let text = body.as_literal().unwrap_or_default().as_bytes().to_vec();
                let asset = node.asset(Asset::generated(&format!("{name}.pipeline.json"), text));
                Json::object([(
                    "PipelineDefinitionS3Location",
                    Json::object([
                        ("Bucket", Json::from(asset.bucket_name())),
                        ("Key", Json::from(asset.key())),
                    ]),
                )])
            }
        } else {
            Json::object([("PipelineDefinitionBody", Json::from(body))])
        };
        let mut pipeline = CfnResource::new("AWS::SageMaker::Pipeline")
            .set("PipelineName", name.as_str())
            .set("RoleArn", role_arn)
            .set("PipelineDefinition", location)
            .set(
                "ParallelismConfiguration",
                Json::object([(
                    "MaxParallelExecutionSteps",
                    Json::from(options.max_parallel_steps),
                )]),
            );
        for dependency in &options.depends_on {
            pipeline = pipeline.depends_on(dependency);
        }
        let resource = node.add_resource("Resource", pipeline);
        Pipeline { resource, name }
    }

    /// The `AWS::SageMaker::Pipeline` resource, e.g. to suppress a rule on it.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// The pipeline's name (`Ref`).
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// `arn:…:sagemaker:<region>:<account>:pipeline/<name>`
    pub fn arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:pipeline/{}",
            self.name
        ))
    }

    /// Start executions of this pipeline (and no other).
    pub fn grant_start(&self, grantee: &impl Grantee) {
        grantee.add_to_policy(
            PolicyStatement::allow()
                .actions(["sagemaker:StartPipelineExecution"])
                .resources([self.arn()]),
        );
    }
}

/// The training algorithm.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// SageMaker's XGBoost container of this version, for the stage's region
    /// ([`XgboostVersion::default`] is the maintained line).
    Xgboost(XgboostVersion),
    /// A custom ECR image URI.
    Image(String),
}

/// Train from scratch, or continue from a model.
#[derive(Clone, Debug)]
pub enum ModelStrategy {
    /// A new model from the training data alone.
    FromScratch,
    /// A base model artifact in S3, given to the job as the `model` channel.
    FineTune(S3Path),
    /// A registered model package (e.g. from JumpStart), continued through
    /// `ModelPackageConfig`; the pipeline must register into a group.
    FineTunePackage(Expr),
}

/// Managed spot training.
///
/// A single training job checkpoints under
/// `<checkpoints>/<execution id>/<step>/`, so an interrupted job resumes from
/// its own state and no other run's. Tuning trials get no checkpoint
/// location: SageMaker gives every trial of a tuning job the same
/// `CheckpointConfig`, and a trial that resumed from another trial's
/// checkpoint (XGBoost loads the newest one it finds) would train on other
/// hyperparameters' state. An interrupted trial restarts instead, within
/// its `MaxWaitTimeInSeconds`.
#[derive(Clone, Debug)]
pub struct Spot {
    /// Where single training jobs checkpoint (keyed per execution and step
    /// below it).
    pub checkpoints: S3Path,
    /// Cap on runtime plus waiting for capacity; default twice the runtime.
    pub max_wait_seconds: Option<u32>,
}

impl Spot {
    /// Spot training that checkpoints under `checkpoints`, waiting up to twice
    /// the runtime for capacity.
    pub fn with_checkpoints(checkpoints: S3Path) -> Spot {
        Spot {
            checkpoints,
            max_wait_seconds: None,
        }
    }
}

impl Tuning {
    /// At most `max_jobs` training jobs, `max_parallel` at a time, maximizing
    /// `validation:auc` over XGBoost's main parameters, with early stopping.
    pub fn bounded(max_jobs: u32, max_parallel: u32) -> Tuning {
        Tuning {
            objective_metric: "validation:auc".into(),
            goal: Goal::Maximize,
            ranges: vec![
                ParameterRange::Continuous {
                    name: "eta".into(),
                    min: 0.01,
                    max: 0.3,
                    scaling: Scaling::Logarithmic,
                },
                ParameterRange::Integer {
                    name: "max_depth".into(),
                    min: 3,
                    max: 10,
                    scaling: Scaling::Auto,
                },
                ParameterRange::Continuous {
                    name: "subsample".into(),
                    min: 0.5,
                    max: 1.0,
                    scaling: Scaling::Auto,
                },
            ],
            max_jobs: Some(max_jobs),
            max_parallel,
            max_runtime_seconds: None,
            early_stopping: true,
        }
    }
}

/// A processing step before training (feature engineering, split). The
/// script reads `/opt/ml/processing/input/raw` and writes
/// `/opt/ml/processing/output/{train,validation,test}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Processing {
    /// Local file (an asset).
    pub script: String,
    /// Instance type of the processing job (default `ml.m5.xlarge`).
    pub instance: String,
    /// Command-line arguments of the script.
    pub arguments: Vec<String>,
    /// Runtime cap in seconds, 1 to 432,000 (5 days); default one hour.
    pub max_runtime_seconds: u32,
}

impl Processing {
    /// Run the local script `path` on one `ml.m5.xlarge`, one hour at most.
    pub fn script(path: &str) -> Processing {
        Processing {
            script: path.to_string(),
            instance: "ml.m5.xlarge".into(),
            arguments: Vec::new(),
            max_runtime_seconds: 3600,
        }
    }
}

/// Evaluation of the trained model and the gate before registration. The
/// script reads `/opt/ml/processing/input/{model,test}` and writes
/// `/opt/ml/processing/output/evaluation/evaluation.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Local file (an asset) that writes `evaluation.json`.
    pub script: String,
    /// JSON path of the metric in `evaluation.json`, e.g. `metrics.auc.value`.
    pub metric_path: String,
    /// How the metric is compared with `threshold`.
    pub comparison: Comparison,
    /// The bar the metric must clear for the model to be registered; otherwise
    /// the execution fails.
    pub threshold: f64,
    /// Instance type of the evaluation job (default `ml.m5.xlarge`).
    pub instance: String,
}

impl Evaluation {
    /// Register only if `metric_path` ≥ `threshold`.
    pub fn at_least(script: &str, metric_path: &str, threshold: f64) -> Evaluation {
        Evaluation {
            script: script.to_string(),
            metric_path: metric_path.to_string(),
            comparison: Comparison::GreaterThanOrEqualTo,
            threshold,
            instance: "ml.m5.xlarge".into(),
        }
    }
}

/// Offline scoring with the trained model.
#[derive(Clone, Debug)]
pub struct BatchTransform {
    /// S3 prefix of the records to score, in the pipeline's content type, one
    /// per line.
    pub input: S3Path,
    /// S3 prefix the scores are written under.
    pub output: S3Path,
    /// Instance type, `ml.<family>.<size>`.
    pub instance: String,
    /// Instances, at least 1.
    pub instance_count: u32,
}

/// Whether registered versions need a person's approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Versions wait as `PendingManualApproval` until someone approves them;
    /// what production stages get.
    Manual,
    /// Versions are registered `Approved`; what other stages get.
    Automatic,
}

/// Props of a [`TrainingPipeline`]; start from [`TrainingPipelineProps::xgboost`].
#[derive(Clone, Debug)]
pub struct TrainingPipelineProps {
    /// Training data: with a processing step, its raw input; without one, a
    /// prefix holding `train/`, `validation/` (and `test/` for evaluation).
    pub input: S3Path,
    /// Where models, processed data, evaluation reports and scratch go.
    pub output: S3Path,
    /// The training image: built-in XGBoost or a custom ECR image.
    pub algorithm: Algorithm,
    /// From scratch (default) or fine-tuning.
    pub strategy: ModelStrategy,
    /// Static hyperparameters as `(name, value)`, at most 100; names and values
    /// have 1–256 characters. Tuned ones are removed.
    pub hyperparameters: Vec<(String, String)>,
    /// Training instance type, `ml.<family>.<size>` (default `ml.m5.xlarge`).
    pub instance: String,
    /// Training instances, at least 1 (default 1).
    pub instance_count: u32,
    /// Storage per training instance in GB, 1–16,384 (default 30).
    pub volume_gb: u32,
    /// Always set: a training job never runs unbounded. Default one hour.
    pub max_runtime_seconds: u32,
    /// Managed spot training (cheaper, interruptible; needs checkpoints);
    /// on-demand when `None`.
    pub spot: Option<Spot>,
    /// Bounded hyperparameter tuning instead of a single training job.
    pub tuning: Option<Tuning>,
    /// A processing step before training; the data is read as split under
    /// `input` when `None`.
    pub processing: Option<Processing>,
    /// An evaluation step and gate before registration; no gate when `None`.
    pub evaluation: Option<Evaluation>,
    /// The model package group new versions are registered into; no
    /// registration when `None`.
    pub register_into: Option<ModelGroupRef>,
    /// Default: manual in production stages, automatic elsewhere.
    pub approval: Option<Approval>,
    /// Score a data set with the new model (past the evaluation gate, when
    /// there is one).
    pub batch_transform: Option<BatchTransform>,
    /// Content type of the data (`text/csv`).
    pub content_type: String,
    /// Instance types a registered version declares it can be served on
    /// (real-time and batch); default the training instance type.
    pub serving_instances: Vec<String>,
    /// Steps of one execution that may run at once
    /// (`ParallelismConfiguration.MaxParallelExecutionSteps`), 1 to 256;
    /// default 10.
    ///
    /// Executions themselves may overlap (a weekly run and a drift-triggered
    /// one): every output is keyed by the execution's ID, so they never
    /// overwrite each other, and the tuning and transform bounds hold per
    /// execution.
    pub max_parallel_steps: u32,
}

impl TrainingPipelineProps {
    /// XGBoost (`binary:logistic`, AUC), on one ml.m5.xlarge, one hour at most.
    pub fn xgboost(input: S3Path, output: S3Path) -> TrainingPipelineProps {
        TrainingPipelineProps {
            input,
            output,
            algorithm: Algorithm::Xgboost(XgboostVersion::default()),
            strategy: ModelStrategy::FromScratch,
            hyperparameters: vec![
                ("objective".into(), "binary:logistic".into()),
                ("eval_metric".into(), "auc".into()),
                ("num_round".into(), "200".into()),
            ],
            instance: "ml.m5.xlarge".into(),
            instance_count: 1,
            volume_gb: 30,
            max_runtime_seconds: 3600,
            spot: None,
            tuning: None,
            processing: None,
            evaluation: None,
            register_into: None,
            approval: None,
            batch_transform: None,
            content_type: "text/csv".into(),
            serving_instances: Vec::new(),
            max_parallel_steps: 10,
        }
    }
}

/// A SageMaker pipeline that trains (optionally after processing, with spot
/// instances and bounded tuning), evaluates, gates on a metric, registers the
/// model and scores a data set, with a least-privilege execution role.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_storage::{Bucket, BucketProps};
/// use mlcdk_training::{Spot, TrainingPipeline, TrainingPipelineProps, Tuning};
///
/// let mut stack = Stack::for_test();
/// let data = Bucket::new(&mut stack, "Data", BucketProps::default());
/// let artifacts = Bucket::new(&mut stack, "Artifacts", BucketProps::default());
/// TrainingPipeline::new(&mut stack, "Training", TrainingPipelineProps {
///     spot: Some(Spot::with_checkpoints(artifacts.path("checkpoints/"))),
///     tuning: Some(Tuning::bounded(20, 2)),
///     ..TrainingPipelineProps::xgboost(data.path("features/"), artifacts.path("pipeline/"))
/// });
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct TrainingPipeline {
    pipeline: Pipeline,
    role: Role,
    job_role: Role,
    definition: Definition,
    image: String,
}

impl TrainingPipeline {
    /// A training pipeline, its role (named, so it can pass itself to the jobs
    /// it starts) and its assets, validated at synth: image, fine-tuning needs,
    /// and everything [`Definition::validate`] checks.
    pub fn new(scope: &mut impl Scope, id: &str, props: TrainingPipelineProps) -> TrainingPipeline {
        let mut node = scope.node(id);
        let region = node.stage().env.region.clone();
        let production = node.stage().is_production();
        let image = match &props.algorithm {
            Algorithm::Xgboost(version) => images::xgboost(&region, *version),
            Algorithm::Image(uri) => EcrImage::parse(uri).ok_or_else(|| {
                format!(
                    "image '{uri}' is not an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
                )
            }),
        };
        let image = match image {
            Ok(i) => i,
            Err(e) => {
                node.error(e);
                EcrImage {
                    account: "000000000000".into(),
                    region: region.clone(),
                    repository: "invalid".into(),
                    tag: "invalid".into(),
                }
            }
        };
        if let Some(e) = &props.evaluation
            && !e.threshold.is_finite()
        {
            node.error(format!(
                "evaluation threshold {} of '{}' is not a finite number; the gate compares the metric with it",
                e.threshold, e.metric_path
            ));
        }
        if let ModelStrategy::FineTunePackage(_) = props.strategy
            && props.register_into.is_none()
        {
            node.error(
                "fine-tuning a model package needs register_into: SageMaker writes the tuned model into a model package group",
            );
        }

        // Two roles: the jobs run user code, so their role reaches data,
        // keys, logs and images only; the pipeline's role starts and tags
        // this pipeline's jobs, registers into its group and passes the job
        // role, and runs no code.
        let job_role = Role::new(
            &mut node,
            "JobRole",
            RoleProps {
                description: Some("The pipeline's jobs: data, keys, logs and images only".into()),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some(
                    "The SageMaker pipeline: starts its jobs, passes them JobRole".into(),
                ),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        let job_role_arn = job_role.arn();
        grant_jobs(&job_role, &image, &props);
        grant_pipeline(&role, &job_role, &props);

        let mut assets = Vec::new();
        let mut asset = |node: &mut mlcdk_core::Node<'_>, path: &str| {
            let a = node.asset(Asset::file(path));
            assets.push((a.object_arn(), a.bucket_arn(), a.prefix()));
            (a.s3_uri(), a.file_name().to_string())
        };
        let image_value = PValue::lit(image.uri());
        // Every output is keyed by the execution: runs that overlap (weekly
        // and drift-triggered) or follow each other never overwrite what
        // another run wrote or a registered version points at.
        let output = folder(&props.output);
        let out = |p: &str| {
            PValue::join(
                "",
                [
                    PValue::from(output.uri()),
                    PValue::execution_id(),
                    PValue::lit(format!("/{p}")),
                ],
            )
        };
        let approval = props.approval.unwrap_or(if production {
            Approval::Manual
        } else {
            Approval::Automatic
        });
        let stage = node.stage();
        let mut definition = Definition {
            parameters: vec![
                Parameter {
                    name: "InputData".into(),
                    kind: ParameterType::String,
                    default: Json::from(props.input.uri()),
                },
                Parameter {
                    name: "ModelApprovalStatus".into(),
                    kind: ParameterType::String,
                    default: Json::from(match approval {
                        Approval::Manual => "PendingManualApproval",
                        Approval::Automatic => "Approved",
                    }),
                },
            ],
            steps: Vec::new(),
            tags: vec![
                ("app".into(), stage.app.clone()),
                ("stage".into(), stage.name.clone()),
            ],
        };

        // Data: processed by a step, or split under the input prefix already.
        let (train_uri, validation_uri, test_uri) = match &props.processing {
            Some(p) => {
                let (code, script_name) = asset(&mut node, &p.script);
                definition.steps.push(Step::new(
                    "Preprocess",
                    StepKind::Processing(ProcessingSpec {
                        image: image_value.clone(),
                        role_arn: job_role_arn.clone(),
                        instance_type: p.instance.clone(),
                        instance_count: 1,
                        volume_gb: 30,
                        max_runtime_seconds: p.max_runtime_seconds,
                        code: PValue::from(code),
                        script_name,
                        arguments: p.arguments.clone(),
                        inputs: vec![("raw".into(), PValue::param("InputData"))],
                        outputs: ["train", "validation", "test"]
                            .iter()
                            .map(|o| (o.to_string(), out(&format!("processed/{o}/"))))
                            .collect(),
                        property_files: vec![],
                    }),
                ));
                let output = |o: &str| {
                    PValue::property(
                        "Preprocess",
                        &format!("ProcessingOutputConfig.Outputs['{o}'].S3Output.S3Uri"),
                    )
                };
                (output("train"), output("validation"), output("test"))
            }
            None => {
                let under =
                    |p: &str| PValue::join("", [PValue::param("InputData"), PValue::lit(p)]);
                (under("train/"), under("validation/"), under("test/"))
            }
        };

        let content_type = Some(props.content_type.clone());
        let mut channels = vec![
            Channel {
                name: "train".into(),
                uri: train_uri,
                content_type: content_type.clone(),
            },
            Channel {
                name: "validation".into(),
                uri: validation_uri,
                content_type: content_type.clone(),
            },
        ];
        let mut model_package = None;
        match &props.strategy {
            ModelStrategy::FromScratch => {}
            ModelStrategy::FineTune(base) => channels.push(Channel {
                name: "model".into(),
                uri: PValue::from(base.uri()),
                content_type: Some("application/x-sagemaker-model".into()),
            }),
            ModelStrategy::FineTunePackage(arn) => {
                if let Some(group) = &props.register_into {
                    model_package = Some(ModelPackageSpec {
                        group_arn: group.arn.clone(),
                        source_package_arn: arn.clone(),
                    });
                }
            }
        }
        let hyperparameters: BTreeMap<String, PValue> = props
            .hyperparameters
            .iter()
            .map(|(k, v)| (k.clone(), PValue::lit(v.as_str())))
            .collect();
        let job = TrainingJobSpec {
            image: image_value.clone(),
            role_arn: job_role_arn.clone(),
            instance_type: props.instance.clone(),
            instance_count: props.instance_count,
            volume_gb: props.volume_gb,
            max_runtime_seconds: props.max_runtime_seconds,
            spot: props.spot.as_ref().map(|s| SpotSpec {
                max_wait_seconds: s
                    .max_wait_seconds
                    .unwrap_or(props.max_runtime_seconds.saturating_mul(2)),
                checkpoint_uri: props.tuning.is_none().then(|| {
                    PValue::join(
                        "",
                        [
                            PValue::from(folder(&s.checkpoints).uri()),
                            PValue::execution_id(),
                            PValue::lit("/Train/"),
                        ],
                    )
                }),
            }),
            channels,
            output_uri: out("models"),
            hyperparameters,
            model_package,
        };
        let model_data = match &props.tuning {
            None => {
                definition
                    .steps
                    .push(Step::new("Train", StepKind::Training(job)));
                PValue::property("Train", "ModelArtifacts.S3ModelArtifacts")
            }
            Some(t) => {
                let mut static_job = job;
                for r in &t.ranges {
                    // A tuned parameter overrides the static default of the same name.
                    static_job.hyperparameters.remove(r.name());
                }
                definition.steps.push(Step::new(
                    "Tune",
                    StepKind::Tuning(TuningSpec {
                        job: static_job,
                        tuning: t.clone(),
                    }),
                ));
                // The best job comes first in the tuning job's summaries.
                PValue::join(
                    "/",
                    [
                        out("models"),
                        PValue::property("Tune", "TrainingJobSummaries[0].TrainingJobName"),
                        PValue::lit("output/model.tar.gz"),
                    ],
                )
            }
        };

        // What follows a good model: registration and batch scoring.
        let serving = if props.serving_instances.is_empty() {
            vec![props.instance.clone()]
        } else {
            props.serving_instances.clone()
        };
        let mut after: Vec<Step> = Vec::new();
        if let Some(group) = &props.register_into {
            after.push(Step::new(
                "Register",
                StepKind::RegisterModel(RegisterSpec {
                    group_name: group.name.clone(),
                    image: image_value.clone(),
                    model_data: model_data.clone(),
                    content_types: vec![props.content_type.clone()],
                    response_types: vec![props.content_type.clone()],
                    inference_instances: serving.clone(),
                    transform_instances: serving.clone(),
                    approval: PValue::param("ModelApprovalStatus"),
                    metrics_uri: props
                        .evaluation
                        .as_ref()
                        .map(|_| out("evaluation/evaluation.json")),
                }),
            ));
        }
        if let Some(bt) = &props.batch_transform {
            after.push(Step::new(
                "CreateModel",
                StepKind::CreateModel(CreateModelSpec {
                    image: image_value.clone(),
                    model_data: model_data.clone(),
                    role_arn: job_role_arn.clone(),
                }),
            ));
            after.push(Step::new(
                "BatchScore",
                StepKind::Transform(TransformSpec {
                    model_name: PValue::property("CreateModel", "ModelName"),
                    input: PValue::from(bt.input.uri()),
                    output: PValue::join(
                        "",
                        [
                            PValue::from(folder(&bt.output).uri()),
                            PValue::execution_id(),
                            PValue::lit("/"),
                        ],
                    ),
                    content_type: props.content_type.clone(),
                    instance_type: bt.instance.clone(),
                    instance_count: bt.instance_count,
                }),
            ));
            // The transform job runs as the model's role, the job role.
            bt.input.grant_read(&job_role);
            bt.output.grant_read_write(&job_role);
        }

        match &props.evaluation {
            None => definition.steps.extend(after),
            Some(e) => {
                let (code, script_name) = asset(&mut node, &e.script);
                let trained = if props.tuning.is_some() {
                    "Tune"
                } else {
                    "Train"
                };
                let mut evaluate = Step::new(
                    "Evaluate",
                    StepKind::Processing(ProcessingSpec {
                        image: image_value.clone(),
                        role_arn: job_role_arn.clone(),
                        instance_type: e.instance.clone(),
                        instance_count: 1,
                        volume_gb: 30,
                        max_runtime_seconds: 3600,
                        code: PValue::from(code),
                        script_name,
                        arguments: vec![],
                        inputs: vec![
                            ("model".into(), model_data.clone()),
                            ("test".into(), test_uri),
                        ],
                        outputs: vec![("evaluation".into(), out("evaluation/"))],
                        property_files: vec![(
                            "EvaluationReport".into(),
                            "evaluation".into(),
                            "evaluation.json".into(),
                        )],
                    }),
                );
                evaluate.depends_on.push(trained.to_string());
                definition.steps.push(evaluate);
                definition.steps.push(Step::new(
                    "CheckMetric",
                    StepKind::Condition(ConditionSpec {
                        conditions: vec![(
                            e.comparison,
                            PValue::JsonGet {
                                step: "Evaluate".into(),
                                file: "EvaluationReport".into(),
                                path: e.metric_path.clone(),
                            },
                            PValue::from(e.threshold),
                        )],
                        if_steps: after,
                        else_steps: vec![Step::new(
                            "MetricBelowThreshold",
                            StepKind::Fail {
                                message: PValue::lit(format!(
                                    "{} did not pass {:?} {}; the model was not registered",
                                    e.metric_path, e.comparison, e.threshold
                                )),
                            },
                        )],
                    }),
                ));
            }
        }

        // Scripts: processing inputs of type S3Prefix list the key before they
        // copy it (ProcessingS3Input), so the job role may list exactly the
        // asset's folder and read the object.
        for (object, bucket, prefix) in assets {
            job_role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["s3:GetObject"])
                    .resources([object]),
            );
            job_role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["s3:ListBucket"])
                    .resources([bucket])
                    .condition(
                        "StringLike",
                        "s3:prefix",
                        Json::array([Json::from(format!("{prefix}*"))]),
                    ),
            );
        }
        let pipeline = Pipeline::with_options(
            &mut node,
            "Pipeline",
            &definition,
            role.arn(),
            PipelineOptions {
                max_parallel_steps: props.max_parallel_steps,
                ..PipelineOptions::default()
            },
        );
        TrainingPipeline {
            pipeline,
            role,
            job_role,
            definition,
            image: image.uri(),
        }
    }

    /// The pipeline, e.g. to grant starting it or to trigger it.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The pipeline's own role (starts the jobs, passes them
    /// [`TrainingPipeline::job_role`]); it runs no code.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The role the jobs run as (processing, training, tuning trials, the
    /// batch model): grant it data outside the props.
    pub fn job_role(&self) -> &Role {
        &self.job_role
    }

    /// The definition as built (for tests and reviews).
    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    /// The pipeline's ARN.
    pub fn arn(&self) -> Expr {
        self.pipeline.arn()
    }

    /// The image the models are trained with (and served by).
    pub fn image(&self) -> String {
        self.image.clone()
    }

    /// The pipeline's name (`Ref`).
    pub fn name(&self) -> Expr {
        self.pipeline.name()
    }
}

/// `path` as a folder (ending in `/`), so that an execution ID appended to
/// its URI is a path segment of its own.
fn folder(path: &S3Path) -> S3Path {
    let mut folder = path.clone();
    if !folder.prefix.is_empty() && !folder.prefix.ends_with('/') {
        folder.prefix.push('/');
    }
    folder
}

/// What the jobs' role needs (the execution-role permissions of
/// CreateProcessingJob, CreateTrainingJob, CreateHyperParameterTuningJob,
/// CreateModel and CreateTransformJob:
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html>):
/// its data, its logs and metrics, its image. No SageMaker API: the code in
/// the containers cannot start jobs, pass roles or register models.
fn grant_jobs(role: &Role, image: &EcrImage, props: &TrainingPipelineProps) {
    props.input.grant_read(role);
    props.output.grant_read_write(role);
    if let Some(s) = &props.spot {
        s.checkpoints.grant_read_write(role);
    }
    if let ModelStrategy::FineTune(base) = &props.strategy {
        base.grant_read(role);
    }
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"])
            .resources([Expr::sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/sagemaker/*",
            )]),
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["cloudwatch:PutMetricData"])
            .resources(["*"])
            .condition("StringLike", "cloudwatch:namespace", "/aws/sagemaker/*"),
    );
    // GetAuthorizationToken has no resource-level permissions.
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["ecr:GetAuthorizationToken"])
            .resources(["*"]),
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions([
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ])
            .resources([Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecr:{}:{}:repository/{}",
                image.region, image.account, image.repository
            ))]),
    );
}

/// The SageMaker resource kinds a pipeline's steps create; Pipelines names
/// them at run time, so the grants name the kind, not the job.
const PIPELINE_JOB_KINDS: &[(&str, &[&str])] = &[
    (
        "processing-job",
        &[
            "sagemaker:CreateProcessingJob",
            "sagemaker:DescribeProcessingJob",
            "sagemaker:StopProcessingJob",
        ],
    ),
    (
        "training-job",
        &[
            "sagemaker:CreateTrainingJob",
            "sagemaker:DescribeTrainingJob",
            "sagemaker:StopTrainingJob",
        ],
    ),
    (
        "hyper-parameter-tuning-job",
        &[
            "sagemaker:CreateHyperParameterTuningJob",
            "sagemaker:DescribeHyperParameterTuningJob",
            "sagemaker:StopHyperParameterTuningJob",
            "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
        ],
    ),
    (
        "model",
        &["sagemaker:CreateModel", "sagemaker:DescribeModel"],
    ),
    (
        "transform-job",
        &[
            "sagemaker:CreateTransformJob",
            "sagemaker:DescribeTransformJob",
            "sagemaker:StopTransformJob",
        ],
    ),
];

/// What the pipeline's role needs (Pipelines access management:
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html>):
/// create, describe, stop and tag the kinds of job its steps start, register
/// into its own model package group, pass the job role to SageMaker and
/// nothing else, and read the property files its conditions evaluate
/// (`Std:JsonGet` reads the file from the step's output in S3).
fn grant_pipeline(role: &Role, job_role: &Role, props: &TrainingPipelineProps) {
    let arn = |resource: &str| {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
        ))
    };
    for (kind, actions) in PIPELINE_JOB_KINDS {
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(actions.iter().copied().chain(["sagemaker:AddTags"]))
                .resources([arn(&format!("{kind}/*"))]),
        );
    }
    if let Some(group) = &props.register_into {
        // Versions are `model-package/<group name>/<version>`.
        let versions = Expr::concat([
            Expr::sub(
                "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/",
            ),
            group.name.clone(),
            Expr::lit("/*"),
        ]);
        role.add_to_policy(
            PolicyStatement::allow()
                .actions([
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:AddTags",
                ])
                .resources([versions, group.arn.clone()]),
        );
    }
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["iam:PassRole"])
            .resources([job_role.arn()])
            .condition(
                "StringEquals",
                "iam:PassedToService",
                "sagemaker.amazonaws.com",
            ),
    );
    if props.evaluation.is_some() {
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["s3:GetObject"])
                .resources([props.output.objects_arn()]),
        );
        if let Some(key) = props.output.bucket.key() {
            key.grant_decrypt(role);
        }
    }
}

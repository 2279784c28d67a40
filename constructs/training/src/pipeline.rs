//! `Pipeline` (any definition) and `TrainingPipeline` (the L2 that builds one).

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{Asset, CfnResource, Expr, Json, ResourceRef, Scope};
use mlcdk_storage::S3Path;

use crate::definition::*;
use crate::images::{self, EcrImage};

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

impl Pipeline {
    /// A pipeline of `definition` running as `role_arn`, validated at synth
    /// (see [`Definition::validate`]); the definition is inline or, when large
    /// and without stack references, an asset.
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        definition: &Definition,
        role_arn: Expr,
    ) -> Pipeline {
        let mut node = scope.node(id);
        for e in definition.validate() {
            node.error(e);
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
        let resource = node.add_resource(
            "Resource",
            CfnResource::new("AWS::SageMaker::Pipeline")
                .set("PipelineName", name.as_str())
                .set("RoleArn", role_arn)
                .set("PipelineDefinition", location),
        );
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
    /// SageMaker's XGBoost container for the stage's region.
    Xgboost,
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
#[derive(Clone, Debug)]
pub struct Spot {
    /// Required with spot: interrupted jobs resume from here.
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
}

impl TrainingPipelineProps {
    /// XGBoost (`binary:logistic`, AUC), on one ml.m5.xlarge, one hour at most.
    pub fn xgboost(input: S3Path, output: S3Path) -> TrainingPipelineProps {
        TrainingPipelineProps {
            input,
            output,
            algorithm: Algorithm::Xgboost,
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
            Algorithm::Xgboost => images::xgboost(&region),
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
        if let ModelStrategy::FineTunePackage(_) = props.strategy
            && props.register_into.is_none()
        {
            node.error(
                "fine-tuning a model package needs register_into: SageMaker writes the tuned model into a model package group",
            );
        }

        // Named, so that its policy can let it pass itself to the jobs it starts.
        let role_name = node.physical_name('-', 64);
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some("SageMaker pipeline and the jobs it runs".into()),
                role_name: Some(role_name),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        let role_arn = role.arn();
        grant_execution(&role, &image, &props);

        let mut assets = Vec::new();
        let mut asset = |node: &mut mlcdk_core::Node<'_>, path: &str| {
            let a = node.asset(Asset::file(path));
            assets.push(a.object_arn());
            a.s3_uri()
        };
        let image_value = PValue::lit(image.uri());
        let out = |p: &str| PValue::from(props.output.child(p).uri());
        let approval = props.approval.unwrap_or(if production {
            Approval::Manual
        } else {
            Approval::Automatic
        });
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
        };

        // Data: processed by a step, or split under the input prefix already.
        let (train_uri, validation_uri, test_uri) = match &props.processing {
            Some(p) => {
                let code = asset(&mut node, &p.script);
                definition.steps.push(Step::new(
                    "Preprocess",
                    StepKind::Processing(ProcessingSpec {
                        image: image_value.clone(),
                        role_arn: role_arn.clone(),
                        instance_type: p.instance.clone(),
                        instance_count: 1,
                        volume_gb: 30,
                        max_runtime_seconds: p.max_runtime_seconds,
                        code: PValue::from(code),
                        script_name: file_name(&p.script),
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
            role_arn: role_arn.clone(),
            instance_type: props.instance.clone(),
            instance_count: props.instance_count,
            volume_gb: props.volume_gb,
            max_runtime_seconds: props.max_runtime_seconds,
            spot: props.spot.as_ref().map(|s| SpotSpec {
                max_wait_seconds: s
                    .max_wait_seconds
                    .unwrap_or(props.max_runtime_seconds.saturating_mul(2)),
                checkpoint_uri: PValue::from(s.checkpoints.uri()),
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
                    metrics_uri: props.evaluation.as_ref().map(|_| {
                        PValue::from(props.output.child("evaluation/evaluation.json").uri())
                    }),
                }),
            ));
        }
        if let Some(bt) = &props.batch_transform {
            after.push(Step::new(
                "CreateModel",
                StepKind::CreateModel(CreateModelSpec {
                    image: image_value.clone(),
                    model_data: model_data.clone(),
                    role_arn: role_arn.clone(),
                }),
            ));
            after.push(Step::new(
                "BatchScore",
                StepKind::Transform(TransformSpec {
                    model_name: PValue::property("CreateModel", "ModelName"),
                    input: PValue::from(bt.input.uri()),
                    output: PValue::from(bt.output.uri()),
                    content_type: props.content_type.clone(),
                    instance_type: bt.instance.clone(),
                    instance_count: bt.instance_count,
                }),
            ));
            bt.input.grant_read(&role);
            bt.output.grant_read_write(&role);
        }

        match &props.evaluation {
            None => definition.steps.extend(after),
            Some(e) => {
                let code = asset(&mut node, &e.script);
                let trained = if props.tuning.is_some() {
                    "Tune"
                } else {
                    "Train"
                };
                let mut evaluate = Step::new(
                    "Evaluate",
                    StepKind::Processing(ProcessingSpec {
                        image: image_value.clone(),
                        role_arn: role_arn.clone(),
                        instance_type: e.instance.clone(),
                        instance_count: 1,
                        volume_gb: 30,
                        max_runtime_seconds: 3600,
                        code: PValue::from(code),
                        script_name: file_name(&e.script),
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

        for arn in assets {
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["s3:GetObject"])
                    .resources([arn]),
            );
        }
        let pipeline = Pipeline::new(&mut node, "Pipeline", &definition, role_arn);
        TrainingPipeline {
            pipeline,
            role,
            definition,
            image: image.uri(),
        }
    }

    /// The pipeline, e.g. to grant starting it or to trigger it.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The execution role, e.g. to grant it data outside the props.
    pub fn role(&self) -> &Role {
        &self.role
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

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// What the pipeline role needs: its data, its logs and metrics, its images,
/// the SageMaker jobs it starts (in this account and region), and passing
/// itself to them.
fn grant_execution(role: &Role, image: &EcrImage, props: &TrainingPipelineProps) {
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
    role.add_to_policy(
        PolicyStatement::allow()
            .actions([
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                "sagemaker:CreateModel",
                "sagemaker:DescribeModel",
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
                "sagemaker:CreateModelPackage",
                "sagemaker:DescribeModelPackage",
                "sagemaker:AddTags",
            ])
            .resources([Expr::sub(
                "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:*",
            )]),
    );
    // The jobs run as this role: it may pass itself to SageMaker, nothing else.
    // Its ARN comes from its name: a reference to itself would be a cycle.
    if let Some(arn) = role.arn_from_name() {
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["iam:PassRole"])
                .resources([arn])
                .condition(
                    "StringEquals",
                    "iam:PassedToService",
                    "sagemaker.amazonaws.com",
                ),
        );
    }
}

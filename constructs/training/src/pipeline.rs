//! `Pipeline` (any definition) and `TrainingPipeline` (the L2 that builds one).

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::naming::{self, format_arn};
use mlcdk_core::{
    Asset, AssetRef, CfnResource, Construct, Expr, Handle, Json, Node, PhysicallyNamed,
    ResourceRef, Scope,
};
use mlcdk_registry::ModelVersion;
use mlcdk_sagemaker::RoleBasics;
use mlcdk_sagemaker::{InstanceType, ModelArtifacts};
use mlcdk_storage::S3Path;

use crate::definition::*;
use mlcdk_sagemaker::images::{self, EcrImage, XgboostVersion};

/// Definitions whose text is larger than this go to S3 (when they can).
pub const INLINE_DEFINITION_LIMIT: usize = 100_000;

/// The built-in evaluation script ([`Evaluation::builtin_xgboost_binary`]),
/// shipped with mlcdk and uploaded as a generated asset.
const EVALUATE_XGBOOST: &[u8] = include_bytes!("../scripts/evaluate_xgboost.py");

/// The baseline script ([`FeatureBaseline`]): the statistics of the training
/// split that a monitor compares captured requests with. Standard library
/// only, so it runs in the training image.
const BASELINE_SCRIPT: &[u8] = include_bytes!("../scripts/baseline.py");

/// The baseline step's name.
const BASELINE_STEP: &str = "Baseline";

/// Statistics of the training data, computed by a step of the training
/// pipeline and registered with each model version, for monitors to compare
/// captured requests with (`mlcdk_monitoring::Baseline::of_version`).
///
/// The training split is headerless CSV with the label first, as SageMaker's
/// XGBoost requires
/// (<https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html>, "For
/// CSV training, the algorithm assumes that the target variable is in the
/// first column and that the CSV does not have a header record"), so the
/// feature names are declared here: the columns after the label, in the
/// order an endpoint receives them. A monitor's per-feature alarms are
/// checked against these names at synth.
///
/// The step writes `<output>/<execution id>/baseline/statistics.json`
/// (per numeric feature: count, missing, ten quantile bins, 101 quantiles,
/// mean and deviation; per categorical one: the 50 most frequent categories'
/// shares) and the registered version points at it
/// (`ModelMetrics.ModelDataQuality.Statistics`).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureBaseline {
    /// The features, in column order after the label; 1 to 1,000 names,
    /// unique, not empty.
    pub features: Vec<String>,
    /// Features compared as categories even when their values are numbers
    /// (codes); each must be one of `features`.
    pub categorical: Vec<String>,
    /// Instance type of the step (default `ml.m5.large`).
    pub instance: InstanceType,
}

impl FeatureBaseline {
    /// A baseline of `features` (the columns after the label, in order),
    /// types inferred from the data, on one ml.m5.large.
    pub fn new<S: Into<String>>(features: impl IntoIterator<Item = S>) -> FeatureBaseline {
        FeatureBaseline {
            features: features.into_iter().map(Into::into).collect(),
            categorical: Vec::new(),
            instance: InstanceType::m5_large(),
        }
    }
}

/// A model package group to register into (in the shared SageMaker crate,
/// so that the registry does not depend on training).
pub use mlcdk_sagemaker::ModelGroupRef;

/// Props of a [`Pipeline`].
#[derive(Clone, Debug)]
pub struct PipelineProps {
    /// What the pipeline runs, validated at synth (see
    /// [`Definition::validate`]).
    pub definition: Definition,
    /// The role the pipeline runs as (`RoleArn`).
    pub role: Role,
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

impl PipelineProps {
    /// `definition` running as `role`, ten steps at a time, with no extra
    /// dependencies.
    pub fn new(definition: Definition, role: &Role) -> PipelineProps {
        PipelineProps {
            definition,
            role: role.clone(),
            max_parallel_steps: 10,
            depends_on: Vec::new(),
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
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `physical_name()` the name as set (lower case), `arn()`
/// `arn:…:sagemaker:<region>:<account>:pipeline/<name>` from it
/// (`AWS::SageMaker::Pipeline` has no ARN attribute).
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::iam::{Principal, Role, RoleProps};
/// use mlcdk_core::Stack;
/// use mlcdk_training::definition::{Step, StepKind};
/// use mlcdk_training::{Definition, PipelineValue, Pipeline, PipelineProps};
///
/// let mut stack = Stack::for_test();
/// let role = Role::new(&mut stack, "Role",
///     RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")));
/// let definition = Definition {
///     steps: vec![Step::new("Stop", StepKind::Fail { message: PipelineValue::lit("nothing to do") })],
///     ..Definition::default()
/// };
/// let pipeline = Pipeline::new(&mut stack, "Noop", PipelineProps {
///     max_parallel_steps: 2,
///     ..PipelineProps::new(definition, &role)
/// });
/// assert_eq!(pipeline.node_path().to_string(), "Noop");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Pipeline {
    handle: Handle,
}

impl Pipeline {
    /// A pipeline of `props.definition` running as `props.role`, validated at
    /// synth (see [`Definition::validate`], and the step parallelism); the
    /// definition is inline or, when large and without stack references, an
    /// asset.
    pub fn new(scope: &mut impl Scope, id: &str, props: PipelineProps) -> Pipeline {
        let mut node = scope.node(id);
        let path = node.path().clone();
        for e in props.definition.validate() {
            node.error(e);
        }
        if !(1..=256).contains(&props.max_parallel_steps) {
            node.error(format!(
                "max_parallel_steps {} is out of range: 1 to 256 (ParallelismConfiguration.MaxParallelExecutionSteps)",
                props.max_parallel_steps
            ));
        }
        // Pipeline ARNs carry the name in lower case: keep it lower case so the
        // ARN built from it matches.
        let name = node.physical_name_for(naming::SAGEMAKER_PIPELINE);
        let doc = props.definition.to_json();
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
            .set("RoleArn", props.role.arn())
            .set("PipelineDefinition", location)
            .set(
                "ParallelismConfiguration",
                Json::object([(
                    "MaxParallelExecutionSteps",
                    Json::from(props.max_parallel_steps),
                )]),
            );
        for dependency in &props.depends_on {
            pipeline = pipeline.depends_on(dependency);
        }
        let resource = node.add_resource("Resource", pipeline);
        // `AWS::SageMaker::Pipeline` returns no ARN attribute: the ARN is
        // built from its `Ref` (the name, lower case as set), so whatever
        // names the ARN depends on the pipeline.
        let arn = Expr::concat([format_arn("sagemaker", "pipeline/"), resource.reference()]);
        Pipeline {
            handle: Handle::new(resource, path, arn).named(name),
        }
    }

    /// Start executions of this pipeline (and no other).
    pub fn grant_start(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["sagemaker:StartPipelineExecution"])
                .resources([self.arn()])],
        )
    }
}

impl Construct for Pipeline {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for Pipeline {}

impl From<&TrainingPipeline> for Pipeline {
    fn from(training: &TrainingPipeline) -> Pipeline {
        training.pipeline.clone()
    }
}

impl From<&Pipeline> for Pipeline {
    fn from(pipeline: &Pipeline) -> Pipeline {
        pipeline.clone()
    }
}

/// The training algorithm.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// SageMaker's XGBoost container of this version, for the stage's region
    /// ([`XgboostVersion::default`] is the maintained line).
    Xgboost(XgboostVersion),
    /// A custom ECR image (parsed, so a malformed URI fails where it is
    /// written: `"<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>".parse()`).
    Image(EcrImage),
}

/// Train from scratch, or continue from a model.
// Props are built once per construct: a boxed S3Path would only make them
// harder to write.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ModelStrategy {
    /// A new model from the training data alone.
    FromScratch,
    /// A base model artifact in S3, given to the job as the `model` channel.
    FineTune(S3Path),
    /// A registered model package (e.g. from JumpStart), continued through
    /// `ModelPackageConfig`; the pipeline must register into a group. A
    /// version of a registry of the stack (`registry.version(3)`) or any
    /// package by ARN (`ModelVersion::pinned(arn)`, checked at synth by
    /// [`ModelVersion::check`]).
    FineTunePackage(ModelVersion),
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
/// its `MaxWaitTimeInSeconds`. So a tuned pipeline takes
/// [`Spot::without_checkpoints`], and a checkpoint location given with
/// tuning is refused at synth rather than granted and never used.
#[derive(Clone, Debug)]
pub struct Spot {
    /// Where a single training job checkpoints (keyed per execution and step
    /// below it); `None` for tuning, whose trials restart when interrupted
    /// (and for a single job that may restart: the rule pack's TRN-002 then
    /// says what an interruption costs).
    pub checkpoints: Option<S3Path>,
    /// Cap on runtime plus waiting for capacity; default twice the runtime.
    pub max_wait_seconds: Option<u32>,
}

impl Spot {
    /// Spot training that checkpoints under `checkpoints`, waiting up to twice
    /// the runtime for capacity.
    pub fn with_checkpoints(checkpoints: S3Path) -> Spot {
        Spot {
            checkpoints: Some(checkpoints),
            max_wait_seconds: None,
        }
    }

    /// Spot training whose interrupted jobs restart, waiting up to twice the
    /// runtime for capacity: what tuning trials do.
    pub fn without_checkpoints() -> Spot {
        Spot {
            checkpoints: None,
            max_wait_seconds: None,
        }
    }
}

/// A processing step before training (feature engineering, split). The
/// script reads `/opt/ml/processing/input/raw` and writes
/// `/opt/ml/processing/output/{train,validation,test}`.
///
/// ```
/// use mlcdk_sagemaker::InstanceType;
/// use mlcdk_training::Processing;
///
/// let split = Processing {
///     instance: InstanceType::m5_large(),
///     arguments: vec!["--split".into(), "0.8".into()],
///     ..Processing::script("training/preprocess.py")
/// };
/// assert_eq!(split.max_runtime_seconds, 3600);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Processing {
    /// Local file (an asset).
    pub script: String,
    /// Instance type of the processing job (default `ml.m5.xlarge`).
    pub instance: InstanceType,
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
            instance: InstanceType::m5_xlarge(),
            arguments: Vec::new(),
            max_runtime_seconds: 3600,
        }
    }
}

/// The code an [`Evaluation`] runs.
#[derive(Clone, Debug, PartialEq)]
pub enum EvaluationScript {
    /// A local script (an asset) that reads
    /// `/opt/ml/processing/input/{model,test}` and writes
    /// `/opt/ml/processing/output/evaluation/evaluation.json`.
    File(String),
    /// mlcdk's evaluation of a binary XGBoost model
    /// (`scripts/evaluate_xgboost.py` in the training crate, uploaded as a
    /// generated asset): AUC, accuracy and F1 (score ≥ 0.5 is positive) of the
    /// model on the test split (`test/*.csv`, label first, no header), as
    /// `{"metrics": {"auc": {"value": …}, "accuracy": {"value": …}, "f1": {"value": …}}}`.
    /// Standard library, xgboost and numpy only: it runs in the XGBoost image.
    BuiltinXgboostBinary,
}

/// A metric the built-in binary XGBoost evaluation reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryMetric {
    /// Area under the ROC curve, `metrics.auc.value`.
    Auc,
    /// Share of correct predictions at 0.5, `metrics.accuracy.value`.
    Accuracy,
    /// F1 of the positive class at 0.5, `metrics.f1.value`.
    F1,
}

impl BinaryMetric {
    /// Its JSON path in `evaluation.json`.
    pub fn path(self) -> &'static str {
        match self {
            BinaryMetric::Auc => "metrics.auc.value",
            BinaryMetric::Accuracy => "metrics.accuracy.value",
            BinaryMetric::F1 => "metrics.f1.value",
        }
    }
}

/// Evaluation of the trained model and the gate before registration: the
/// script writes `evaluation.json`, and the model is registered only when
/// the metric at `metric_path` passes `comparison` against `threshold`.
///
/// ```
/// use mlcdk_training::{BinaryMetric, Comparison, Evaluation};
///
/// // Built in: no script to write for an XGBoost binary classifier.
/// let gate = Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.75);
/// assert_eq!(gate.metric_path, "metrics.auc.value");
/// // A script of one's own, with a lower-is-better metric.
/// let rmse = Evaluation {
///     comparison: Comparison::LessThanOrEqualTo,
///     ..Evaluation::at_least("training/evaluate.py", "metrics.rmse.value", 0.5)
/// };
/// # let _ = rmse;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The code that writes `evaluation.json`.
    pub script: EvaluationScript,
    /// JSON path of the metric in `evaluation.json`, e.g. `metrics.auc.value`;
    /// not empty (refused at synth).
    pub metric_path: String,
    /// How the metric is compared with `threshold`.
    pub comparison: Comparison,
    /// The bar the metric must clear for the model to be registered; otherwise
    /// the execution fails. A finite number (refused at synth otherwise).
    pub threshold: f64,
    /// Instance type of the evaluation job (default `ml.m5.xlarge`).
    pub instance: InstanceType,
}

impl Evaluation {
    /// Run the local script `script`; register only if `metric_path` ≥
    /// `threshold`.
    pub fn at_least(script: &str, metric_path: &str, threshold: f64) -> Evaluation {
        Evaluation {
            script: EvaluationScript::File(script.to_string()),
            metric_path: metric_path.to_string(),
            comparison: Comparison::GreaterThanOrEqualTo,
            threshold,
            instance: InstanceType::m5_xlarge(),
        }
    }

    /// mlcdk's built-in evaluation of a binary XGBoost model
    /// ([`EvaluationScript::BuiltinXgboostBinary`]); register only if `metric`
    /// ≥ `threshold`.
    pub fn builtin_xgboost_binary(metric: BinaryMetric, threshold: f64) -> Evaluation {
        Evaluation {
            script: EvaluationScript::BuiltinXgboostBinary,
            ..Evaluation::at_least("", metric.path(), threshold)
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
    /// Instance type.
    pub instance: InstanceType,
    /// Instances, at least 1.
    pub instance_count: u32,
}

impl BatchTransform {
    /// Score `input` into `output` on one `ml.m5.large`.
    pub fn new(input: S3Path, output: S3Path) -> BatchTransform {
        BatchTransform {
            input,
            output,
            instance: InstanceType::m5_large(),
            instance_count: 1,
        }
    }
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
    /// Static hyperparameters, name → value, at most 100; names and values
    /// have 1–256 characters. Tuned ones are removed.
    pub hyperparameters: BTreeMap<String, String>,
    /// Training instance type (default `ml.m5.xlarge`).
    pub instance: InstanceType,
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
    /// Statistics of the training split for monitoring, registered with
    /// each version; none when `None`.
    pub baseline: Option<FeatureBaseline>,
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
    pub serving_instances: Vec<InstanceType>,
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
            hyperparameters: BTreeMap::from([
                ("objective".into(), "binary:logistic".into()),
                ("eval_metric".into(), "auc".into()),
                ("num_round".into(), "200".into()),
            ]),
            instance: InstanceType::m5_xlarge(),
            instance_count: 1,
            volume_gb: 30,
            max_runtime_seconds: 3600,
            spot: None,
            tuning: None,
            processing: None,
            evaluation: None,
            baseline: None,
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
/// The handle ([`Construct`]): those of its [`Pipeline`]
/// (resource, name, ARN, physical name), at the training pipeline's own path.
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
///     // Tuning trials do not checkpoint: an interrupted trial restarts.
///     spot: Some(Spot::without_checkpoints()),
///     tuning: Some(Tuning::xgboost_auc(20, 2)),
///     ..TrainingPipelineProps::xgboost(data.prefix("features/"), artifacts.prefix("pipeline/"))
/// });
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct TrainingPipeline {
    pipeline: Pipeline,
    role: Role,
    job_role: Role,
    definition: Definition,
    image: EcrImage,
    output: S3Path,
    baseline: Option<FeatureBaseline>,
    handle: Handle,
}

impl TrainingPipeline {
    /// A training pipeline, its role (named, so it can pass itself to the jobs
    /// it starts) and its assets, validated at synth: image, fine-tuning needs,
    /// and everything [`Definition::validate`] checks.
    pub fn new(scope: &mut impl Scope, id: &str, props: TrainingPipelineProps) -> TrainingPipeline {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let image = training_image(&mut node, &props.algorithm);
        check_props(&mut node, &props);
        let (role, job_role) = roles(&mut node, &image, &props);

        let mut plan = Plan::new(&node, &props, &image, job_role.arn());
        let (train_uri, validation_uri, test_uri) = plan.data(&mut node, &props);
        if let Some(b) = &props.baseline {
            plan.baseline(&mut node, b, train_uri.clone());
        }
        let model_data = plan.training(&props, train_uri, validation_uri);
        let after = plan.after_training(&props, &model_data, &job_role);
        plan.gate(&mut node, &props, after, model_data, test_uri);
        grant_assets(&job_role, &plan.assets);

        let Plan {
            definition, output, ..
        } = plan;
        let pipeline = Pipeline::new(
            &mut node,
            "Pipeline",
            PipelineProps {
                max_parallel_steps: props.max_parallel_steps,
                ..PipelineProps::new(definition.clone(), &role)
            },
        );
        // The pipeline's resource, name and ARN, at the training pipeline's
        // own path.
        let handle = Handle::new(pipeline.resource().clone(), path, pipeline.arn())
            .named(pipeline.physical_name());
        TrainingPipeline {
            handle,
            pipeline,
            role,
            job_role,
            definition,
            image,
            output,
            baseline: props.baseline,
        }
    }

    /// The pipeline, e.g. to trigger it.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The pipeline's own role (starts the jobs, passes them
    /// [`TrainingPipeline::job_role`]); it runs no code.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The role the jobs run as (processing, training, tuning trials, the
    /// batch model): grant it data outside the props, or grant the training
    /// pipeline itself, which delegates to this role
    /// (`bucket.grant_read(&training)`).
    pub fn job_role(&self) -> &Role {
        &self.job_role
    }

    /// The definition as built (for tests and reviews).
    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    /// The image the models are trained with (and served by).
    pub fn image(&self) -> EcrImage {
        self.image.clone()
    }

    /// Where the pipeline's models are and the image that serves them: every
    /// model is written under `<output>/<execution id>/models/…`, so the
    /// location is the output prefix. A registered version is served from it
    /// without a path matched by hand.
    pub fn model_artifacts(&self) -> ModelArtifacts {
        ModelArtifacts {
            location: self.output.clone(),
            image: self.image.clone(),
        }
    }

    /// Where the pipeline writes its baselines
    /// (`<output>/<execution id>/baseline/statistics.json`, see
    /// [`FeatureBaseline`]): the output prefix, what a monitor reading a
    /// registered version's baseline is granted to read.
    pub fn baselines(&self) -> S3Path {
        self.output.clone()
    }

    /// The baseline the pipeline computes, if any: its features are what a
    /// monitor's per-feature alarms may name.
    pub fn baseline(&self) -> Option<&FeatureBaseline> {
        self.baseline.as_ref()
    }

    /// Let `grantee` start executions of this pipeline.
    pub fn grant_start(&self, grantee: &impl Grantee) -> Grant {
        self.pipeline.grant_start(grantee)
    }
}

impl Construct for TrainingPipeline {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for TrainingPipeline {}

/// Grants to a training pipeline go to its job role: what its code reads
/// and writes.
impl Grantee for TrainingPipeline {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.job_role.add_to_policy(statement);
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

/// The image the jobs run (and the models are served by); an unknown
/// region or image is reported and a placeholder returned.
fn training_image(node: &mut Node<'_>, algorithm: &Algorithm) -> EcrImage {
    let region = node.stage().env.region.clone();
    let image = match algorithm {
        Algorithm::Xgboost(version) => images::xgboost(&region, *version),
        Algorithm::Image(image) => Ok(image.clone()),
    };
    match image {
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
    }
}

/// A baseline's feature names and where it runs.
fn check_baseline(node: &mut Node<'_>, b: &FeatureBaseline, algorithm: &Algorithm) {
    if !(1..=1000).contains(&b.features.len()) {
        node.error(format!(
            "baseline: {} features; give 1 to 1000 (the columns after the label, in order)",
            b.features.len()
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for f in &b.features {
        // The script takes them comma-separated.
        if f.trim().is_empty() || f.contains(',') {
            node.error(format!(
                "baseline: feature name '{f}' is empty or has a comma; names are the columns' names"
            ));
        } else if !seen.insert(f.as_str()) {
            node.error(format!("baseline: feature '{f}' is named twice"));
        }
    }
    for c in &b.categorical {
        if !b.features.contains(c) {
            node.error(format!(
                "baseline: categorical feature '{c}' is not one of the features ({})",
                b.features.join(", ")
            ));
        }
    }
    if let Algorithm::Image(image) = algorithm {
        node.error(format!(
            "the baseline step runs in the training image, and '{}' is not SageMaker's XGBoost image (whose python3 runs it): use Algorithm::Xgboost",
            image.uri()
        ));
    }
}

/// The checks of the props that the definition's validation cannot make:
/// the evaluation gate, and the fine-tuned model package.
fn check_props(node: &mut Node<'_>, props: &TrainingPipelineProps) {
    if let (
        Some(Spot {
            checkpoints: Some(c),
            ..
        }),
        Some(_),
    ) = (&props.spot, &props.tuning)
    {
        node.error(format!(
            "spot checkpoints under '{}' of bucket {} would never be used: SageMaker gives every trial of a tuning job the same CheckpointConfig, so tuned pipelines do not checkpoint (an interrupted trial restarts); use Spot::without_checkpoints() with tuning",
            c.prefix,
            c.bucket.node_path()
        ));
    }
    if let Some(e) = &props.evaluation {
        if !e.threshold.is_finite() {
            node.error(format!(
                "evaluation threshold {} of '{}' is not a finite number; the gate compares the metric with it",
                e.threshold, e.metric_path
            ));
        }
        if e.metric_path.trim().is_empty() {
            node.error(
                "evaluation metric_path is empty: give the JSON path of the metric in evaluation.json, e.g. 'metrics.auc.value' (the gate would fail when the pipeline runs)",
            );
        }
        match &e.script {
            EvaluationScript::File(f) if f.trim().is_empty() => node.error(
                "evaluation script is empty: give the local file that writes evaluation.json, or use Evaluation::builtin_xgboost_binary",
            ),
            EvaluationScript::BuiltinXgboostBinary => {
                if let Algorithm::Image(image) = &props.algorithm {
                    node.error(format!(
                        "the built-in XGBoost evaluation runs in the training image, and '{}' is not SageMaker's XGBoost image: use Algorithm::Xgboost, or an evaluation script of your own",
                        image.uri()
                    ));
                }
                if let Some(objective) = props.hyperparameters.get("objective")
                    && !objective.starts_with("binary:")
                {
                    node.error(format!(
                        "the built-in XGBoost evaluation scores a binary classifier, and the objective is '{objective}': use a binary objective (binary:logistic), or an evaluation script of your own"
                    ));
                }
            }
            EvaluationScript::File(_) => {}
        }
    }
    if let Some(b) = &props.baseline {
        check_baseline(node, b, &props.algorithm);
    }
    if let ModelStrategy::FineTunePackage(version) = &props.strategy
        && let Err(e) = version.check()
    {
        node.error(format!(
            "fine-tune model package: {e} (SageMaker would refuse it when the pipeline runs)"
        ));
    }
    if let ModelStrategy::FineTunePackage(_) = props.strategy
        && props.register_into.is_none()
    {
        node.error(
            "fine-tuning a model package needs register_into: SageMaker writes the tuned model into a model package group",
        );
    }
}

/// The pipeline's role and the jobs' role, with their grants.
fn roles(node: &mut Node<'_>, image: &EcrImage, props: &TrainingPipelineProps) -> (Role, Role) {
    // Two roles: the jobs run user code, so their role reaches data,
    // keys, logs and images only; the pipeline's role starts and tags
    // this pipeline's jobs, registers into its group and passes the job
    // role, and runs no code.
    let job_role = Role::new(
        node,
        "JobRole",
        RoleProps {
            description: Some("The pipeline's jobs: data, keys, logs and images only".into()),
            ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
        },
    );
    let role = Role::new(
        node,
        "Role",
        RoleProps {
            description: Some(
                "The SageMaker pipeline: starts its jobs, passes them JobRole".into(),
            ),
            ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
        },
    );
    grant_jobs(&job_role, image, props);
    grant_pipeline(&role, &job_role, props);
    (role, job_role)
}

/// The S3 permissions of the scripts' assets. Processing inputs of type
/// S3Prefix list the key before they copy it (ProcessingS3Input), so the job
/// role may list exactly the asset's folder and read the object.
fn grant_assets(job_role: &Role, assets: &[AssetRef]) {
    for a in assets {
        a.grant_read(job_role);
    }
}

/// The definition a training pipeline is built into, step by step, and the
/// assets its steps read.
struct Plan {
    definition: Definition,
    /// The image every step runs.
    image: PipelineValue,
    job_role_arn: Expr,
    /// The output prefix, as a folder.
    output: S3Path,
    /// The scripts' assets, which the job role reads.
    assets: Vec<AssetRef>,
}

impl Plan {
    /// The parameters (input data and approval, by stage) and tags of the
    /// definition, with no steps yet.
    fn new(
        node: &Node<'_>,
        props: &TrainingPipelineProps,
        image: &EcrImage,
        job_role_arn: Expr,
    ) -> Plan {
        let stage = node.stage();
        let approval = props.approval.unwrap_or(if stage.is_production() {
            Approval::Manual
        } else {
            Approval::Automatic
        });
        Plan {
            definition: Definition {
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
            },
            image: PipelineValue::lit(image.uri()),
            job_role_arn,
            output: folder(&props.output),
            assets: Vec::new(),
        }
    }

    /// `<output>/<execution id>/<p>`: every output is keyed by the
    /// execution, so runs that overlap (weekly and drift-triggered) or follow
    /// each other never overwrite what another run wrote or a registered
    /// version points at.
    fn out(&self, p: &str) -> PipelineValue {
        PipelineValue::join(
            "",
            [
                PipelineValue::from(self.output.uri()),
                PipelineValue::execution_id(),
                PipelineValue::lit(format!("/{p}")),
            ],
        )
    }

    /// Registers a script as an asset: its S3 URI and file name.
    fn asset(&mut self, node: &mut Node<'_>, source: Asset) -> (Expr, String) {
        let a = node.asset(source);
        self.assets.push(a.clone());
        (a.s3_uri(), a.file_name().to_string())
    }

    /// The baseline step: statistics of the training split, beside the
    /// other outputs of the execution.
    fn baseline(&mut self, node: &mut Node<'_>, b: &FeatureBaseline, train_uri: PipelineValue) {
        let (code, script_name) = self.asset(
            node,
            Asset::generated("baseline.py", BASELINE_SCRIPT.to_vec()),
        );
        let mut arguments = vec![
            PipelineValue::lit("--train"),
            PipelineValue::lit("/opt/ml/processing/input/train"),
            PipelineValue::lit("--features"),
            PipelineValue::lit(b.features.join(",")),
            PipelineValue::lit("--output"),
            PipelineValue::lit("/opt/ml/processing/output/baseline"),
        ];
        if !b.categorical.is_empty() {
            arguments.push(PipelineValue::lit("--categorical"));
            arguments.push(PipelineValue::lit(b.categorical.join(",")));
        }
        self.definition.steps.push(Step::new(
            BASELINE_STEP,
            StepKind::Processing(ProcessingSpec {
                image: self.image.clone(),
                role_arn: self.job_role_arn.clone(),
                instance_type: b.instance.to_string(),
                instance_count: 1,
                volume_gb: 30,
                max_runtime_seconds: 3600,
                code: PipelineValue::from(code),
                script_name,
                arguments,
                inputs: vec![("train".into(), train_uri)],
                outputs: vec![("baseline".into(), self.out("baseline/"))],
                property_files: vec![],
                volume_key: None,
                output_key: None,
            }),
        ));
    }

    /// The data: processed by a step, or split under the input prefix
    /// already. Returns the train, validation and test prefixes.
    fn data(
        &mut self,
        node: &mut Node<'_>,
        props: &TrainingPipelineProps,
    ) -> (PipelineValue, PipelineValue, PipelineValue) {
        match &props.processing {
            Some(p) => {
                let (code, script_name) = self.asset(node, Asset::file(&p.script));
                self.definition.steps.push(Step::new(
                    "Preprocess",
                    StepKind::Processing(ProcessingSpec {
                        image: self.image.clone(),
                        role_arn: self.job_role_arn.clone(),
                        instance_type: p.instance.to_string(),
                        instance_count: 1,
                        volume_gb: 30,
                        max_runtime_seconds: p.max_runtime_seconds,
                        code: PipelineValue::from(code),
                        script_name,
                        arguments: p.arguments.iter().map(PipelineValue::lit).collect(),
                        inputs: vec![("raw".into(), PipelineValue::param("InputData"))],
                        outputs: ["train", "validation", "test"]
                            .iter()
                            .map(|o| (o.to_string(), self.out(&format!("processed/{o}/"))))
                            .collect(),
                        property_files: vec![],
                        volume_key: None,
                        output_key: None,
                    }),
                ));
                let output = |o: &str| {
                    PipelineValue::property(
                        "Preprocess",
                        &format!("ProcessingOutputConfig.Outputs['{o}'].S3Output.S3Uri"),
                    )
                };
                (output("train"), output("validation"), output("test"))
            }
            None => {
                let under = |p: &str| {
                    PipelineValue::join(
                        "",
                        [PipelineValue::param("InputData"), PipelineValue::lit(p)],
                    )
                };
                (under("train/"), under("validation/"), under("test/"))
            }
        }
    }

    /// The training step, or the tuning step; returns where the model
    /// artifacts are.
    fn training(
        &mut self,
        props: &TrainingPipelineProps,
        train_uri: PipelineValue,
        validation_uri: PipelineValue,
    ) -> PipelineValue {
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
                uri: PipelineValue::from(base.uri()),
                content_type: Some("application/x-sagemaker-model".into()),
            }),
            ModelStrategy::FineTunePackage(version) => {
                if let Some(group) = &props.register_into {
                    model_package = Some(ModelPackageSpec {
                        group_arn: group.arn.clone(),
                        source_package_arn: version.package_arn.clone(),
                    });
                }
            }
        }
        let hyperparameters: BTreeMap<String, PipelineValue> = props
            .hyperparameters
            .iter()
            .map(|(k, v)| (k.clone(), PipelineValue::lit(v.as_str())))
            .collect();
        let job = TrainingJobSpec {
            image: self.image.clone(),
            role_arn: self.job_role_arn.clone(),
            instance_type: props.instance.to_string(),
            instance_count: props.instance_count,
            volume_gb: props.volume_gb,
            max_runtime_seconds: props.max_runtime_seconds,
            spot: props.spot.as_ref().map(|s| SpotSpec {
                max_wait_seconds: s
                    .max_wait_seconds
                    .unwrap_or(props.max_runtime_seconds.saturating_mul(2)),
                checkpoint_uri: checkpoints(props).map(|c| {
                    PipelineValue::join(
                        "",
                        [
                            PipelineValue::from(folder(c).uri()),
                            PipelineValue::execution_id(),
                            PipelineValue::lit("/Train/"),
                        ],
                    )
                }),
            }),
            channels,
            output_uri: self.out("models"),
            hyperparameters,
            model_package,
        };
        match &props.tuning {
            None => {
                self.definition
                    .steps
                    .push(Step::new("Train", StepKind::Training(job)));
                PipelineValue::property("Train", "ModelArtifacts.S3ModelArtifacts")
            }
            Some(t) => {
                let mut static_job = job;
                for r in &t.ranges {
                    // A tuned parameter overrides the static default of the same name.
                    static_job.hyperparameters.remove(r.name());
                }
                self.definition.steps.push(Step::new(
                    "Tune",
                    StepKind::Tuning(TuningSpec {
                        job: static_job,
                        tuning: t.clone(),
                    }),
                ));
                // The best job comes first in the tuning job's summaries.
                PipelineValue::join(
                    "/",
                    [
                        self.out("models"),
                        PipelineValue::property("Tune", "TrainingJobSummaries[0].TrainingJobName"),
                        PipelineValue::lit("output/model.tar.gz"),
                    ],
                )
            }
        }
    }

    /// What follows a good model: registration and batch scoring.
    fn after_training(
        &self,
        props: &TrainingPipelineProps,
        model_data: &PipelineValue,
        job_role: &Role,
    ) -> Vec<Step> {
        let serving: Vec<String> = if props.serving_instances.is_empty() {
            vec![props.instance.to_string()]
        } else {
            props
                .serving_instances
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let mut after: Vec<Step> = Vec::new();
        if let Some(group) = &props.register_into {
            after.push(Step::new(
                "Register",
                StepKind::RegisterModel(RegisterSpec {
                    group_name: group.name.clone(),
                    image: self.image.clone(),
                    model_data: model_data.clone(),
                    content_types: vec![props.content_type.clone()],
                    response_types: vec![props.content_type.clone()],
                    inference_instances: serving.clone(),
                    transform_instances: serving.clone(),
                    approval: PipelineValue::param("ModelApprovalStatus"),
                    metrics_uri: props
                        .evaluation
                        .as_ref()
                        .map(|_| self.out("evaluation/evaluation.json")),
                    data_quality_uri: props
                        .baseline
                        .as_ref()
                        .map(|_| self.out("baseline/statistics.json")),
                }),
            ));
        }
        if let Some(bt) = &props.batch_transform {
            after.push(Step::new(
                "CreateModel",
                StepKind::CreateModel(CreateModelSpec {
                    image: self.image.clone(),
                    model_data: model_data.clone(),
                    role_arn: self.job_role_arn.clone(),
                }),
            ));
            after.push(Step::new(
                "BatchScore",
                StepKind::Transform(TransformSpec {
                    model_name: PipelineValue::property("CreateModel", "ModelName"),
                    input: PipelineValue::from(bt.input.uri()),
                    output: PipelineValue::join(
                        "",
                        [
                            PipelineValue::from(folder(&bt.output).uri()),
                            PipelineValue::execution_id(),
                            PipelineValue::lit("/"),
                        ],
                    ),
                    content_type: props.content_type.clone(),
                    instance_type: bt.instance.to_string(),
                    instance_count: bt.instance_count,
                }),
            ));
            // The transform job runs as the model's role, the job role.
            bt.input.grant_read(job_role);
            bt.output.grant_read_write(job_role);
        }
        after
    }

    /// The steps after training: directly, or behind an evaluation gate
    /// (evaluate, then run them if the metric passes, else fail).
    fn gate(
        &mut self,
        node: &mut Node<'_>,
        props: &TrainingPipelineProps,
        after: Vec<Step>,
        model_data: PipelineValue,
        test_uri: PipelineValue,
    ) {
        // Registration waits for the baseline it points at: the step that
        // holds it (the gate, or the registration itself) depends on it.
        let holder = if props.evaluation.is_some() {
            "CheckMetric"
        } else {
            "Register"
        };
        let waits_for_baseline = props.baseline.is_some() && props.register_into.is_some();
        match &props.evaluation {
            None => self.definition.steps.extend(after),
            Some(e) => {
                let (code, script_name) = match &e.script {
                    EvaluationScript::File(path) => self.asset(node, Asset::file(path)),
                    EvaluationScript::BuiltinXgboostBinary => self.asset(
                        node,
                        Asset::generated("evaluate_xgboost.py", EVALUATE_XGBOOST.to_vec()),
                    ),
                };
                let trained = if props.tuning.is_some() {
                    "Tune"
                } else {
                    "Train"
                };
                let mut evaluate = Step::new(
                    "Evaluate",
                    StepKind::Processing(ProcessingSpec {
                        image: self.image.clone(),
                        role_arn: self.job_role_arn.clone(),
                        instance_type: e.instance.to_string(),
                        instance_count: 1,
                        volume_gb: 30,
                        max_runtime_seconds: 3600,
                        code: PipelineValue::from(code),
                        script_name,
                        arguments: vec![],
                        inputs: vec![
                            ("model".into(), model_data.clone()),
                            ("test".into(), test_uri),
                        ],
                        outputs: vec![("evaluation".into(), self.out("evaluation/"))],
                        property_files: vec![PropertyFile {
                            name: "EvaluationReport".into(),
                            output: "evaluation".into(),
                            path: "evaluation.json".into(),
                        }],
                        volume_key: None,
                        output_key: None,
                    }),
                );
                evaluate.depends_on.push(trained.to_string());
                self.definition.steps.push(evaluate);
                self.definition.steps.push(Step::new(
                    "CheckMetric",
                    StepKind::Condition(ConditionSpec {
                        conditions: vec![Condition {
                            comparison: e.comparison,
                            left: PipelineValue::JsonGet {
                                step: "Evaluate".into(),
                                file: "EvaluationReport".into(),
                                path: e.metric_path.clone(),
                            },
                            right: PipelineValue::from(e.threshold),
                        }],
                        if_steps: after,
                        else_steps: vec![Step::new(
                            "MetricBelowThreshold",
                            StepKind::Fail {
                                message: PipelineValue::lit(format!(
                                    "{} did not pass {:?} {}; the model was not registered",
                                    e.metric_path, e.comparison, e.threshold
                                )),
                            },
                        )],
                    }),
                ));
            }
        }
        if waits_for_baseline
            && let Some(step) = self.definition.steps.iter_mut().find(|s| s.name == holder)
        {
            step.depends_on.push(BASELINE_STEP.into());
        }
    }
}

/// Where the single training job checkpoints: only without tuning (see
/// [`Spot`]).
fn checkpoints(props: &TrainingPipelineProps) -> Option<&S3Path> {
    match (&props.spot, &props.tuning) {
        (Some(s), None) => s.checkpoints.as_ref(),
        _ => None,
    }
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
    if let Some(c) = checkpoints(props) {
        c.grant_read_write(role);
    }
    if let ModelStrategy::FineTune(base) = &props.strategy {
        base.grant_read(role);
    }
    let _ = RoleBasics {
        log_groups: "/aws/sagemaker/*",
        describe_log_streams: true,
        metrics_namespace: "/aws/sagemaker/*",
        images: std::slice::from_ref(image),
    }
    .grant(role);
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

/// What a pipeline's role needs to run steps that start jobs of `kinds`
/// (`"processing-job"`, `"training-job"`, `"hyper-parameter-tuning-job"`,
/// `"model"`, `"transform-job"`): create, describe, stop and tag them.
/// Pipelines names the jobs at run time, so the grants name the kind.
/// Unknown kinds are ignored.
pub fn grant_pipeline_jobs(role: &Role, kinds: &[&str]) {
    for (kind, actions) in PIPELINE_JOB_KINDS.iter().filter(|(k, _)| kinds.contains(k)) {
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(actions.iter().copied().chain(["sagemaker:AddTags"]))
                .resources([format_arn("sagemaker", &format!("{kind}/*"))]),
        );
    }
}

/// Lets a pipeline's role pass `job_role` to the jobs its steps start, and
/// to no other service.
pub fn grant_pass_job_role(role: &Role, job_role: &Role) {
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
}

/// What the pipeline's role needs (Pipelines access management:
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html>):
/// create, describe, stop and tag the kinds of job its steps start, register
/// into its own model package group, pass the job role to SageMaker and
/// nothing else, and read the property files its conditions evaluate
/// (`Std:JsonGet` reads the file from the step's output in S3).
fn grant_pipeline(role: &Role, job_role: &Role, props: &TrainingPipelineProps) {
    let kinds: Vec<&str> = PIPELINE_JOB_KINDS.iter().map(|(kind, _)| *kind).collect();
    grant_pipeline_jobs(role, &kinds);
    if let Some(group) = &props.register_into {
        // Versions are `model-package/<group name>/<version>`.
        let versions = Expr::concat([
            format_arn("sagemaker", "model-package/"),
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
    grant_pass_job_role(role, job_role);
    if props.evaluation.is_some() {
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["s3:GetObject"])
                .resources([props.output.objects_arn()]),
        );
        if let Some(key) = props.output.bucket.encryption_key() {
            key.grant_decrypt(role);
        }
    }
}

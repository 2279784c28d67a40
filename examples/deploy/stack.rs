//! The one definition of the example ML platform, for every stage.
//!
//! It grows with each construct mlcdk gains. Today: data lands in a raw
//! bucket, a crawler catalogues it, a Glue job curates it into features,
//! Athena queries it, a feature group stores features, and a weekly SageMaker
//! pipeline splits the features, tunes XGBoost on spot instances within a
//! bound, evaluates the best model, registers it if it is good enough, and
//! scores a data set with it. The registered version chosen by a knob is
//! served four ways; the real-time endpoint is monitored hourly, drift starts
//! retraining, and alerts and a budget watch errors, idleness and spend.

use mlcdk::etl::*;
use mlcdk::inference::*;
use mlcdk::monitoring::*;
use mlcdk::prelude::*;
use mlcdk::registry::*;
use mlcdk::storage::*;
use mlcdk::training::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Everything that may differ between stages. Nothing else may. Each stage's
/// values are in `examples/deploy/stages/<stage>.toml`; `cargo run --example
/// deploy -- schema` prints the schema editors can check those files with.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Knobs {
    /// Days a replaced model artifact is kept before S3 expires it.
    pub noncurrent_artifact_days: u32,
    /// Spark workers of the curation job.
    pub etl_workers: u32,
    /// Per-query cutoff of the analysts' workgroup.
    pub athena_cutoff_bytes: u64,
    /// Instance type of training jobs.
    pub training_instance: InstanceType,
    /// Training jobs one tuning run may start.
    pub tuning_max_jobs: u32,
    /// The registered model version the endpoints serve: promotion is a
    /// reviewed change of this number. Unset on a stage's first deploy: the
    /// stage then has data and training but no endpoints, until a version
    /// has been trained and approved.
    #[serde(default)]
    pub model_version: Option<u32>,
    pub endpoint_instance: InstanceType,
    /// Autoscaling bounds of the real-time endpoint.
    pub endpoint_capacity: (u32, u32),
    /// The stage's monthly cost budget.
    pub monthly_budget_usd: u32,
    /// Who is told about errors, idleness, drift and spend. (Keep the same
    /// number in every stage: one subscription per address, and stages keep
    /// the same resources.)
    pub alert_emails: Vec<String>,
}

pub fn ml_platform(stack: &mut Stack, knobs: &Knobs) {
    stack.set_description("mlcdk example ML platform: data, ETL, features, training role");

    // One key for the curated data and the ETL logs and bookmarks.
    let key = KmsKey::new(
        stack,
        "DataKey",
        KmsKeyProps {
            description: Some("Curated data, ETL logs and bookmarks".into()),
            ..Default::default()
        },
    );
    // Every bucket is versioned and logs to the stack's access-log bucket
    // (created by the first, kept 90 days) by default.
    let raw = Bucket::new(
        stack,
        "RawData",
        BucketProps {
            lifecycle_rules: vec![LifecycleRule::tiering("tiering", Some("events/"), 30)],
            ..Default::default()
        },
    );
    let curated = Bucket::new(
        stack,
        "Curated",
        BucketProps {
            encryption: BucketEncryption::kms(&key),
            ..Default::default()
        },
    );
    let artifacts = Bucket::new(
        stack,
        "Artifacts",
        BucketProps {
            lifecycle_rules: vec![LifecycleRule {
                id: "expire-replaced-artifacts".into(),
                noncurrent_expiration_days: Some(knobs.noncurrent_artifact_days),
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    let lake = GlueDatabase::new(
        stack,
        "Lake",
        GlueDatabaseProps {
            description: Some("Raw churn events, as crawled".into()),
            ..Default::default()
        },
    );
    Crawler::new(
        stack,
        "RawCrawler",
        CrawlerProps {
            schedule: Some(Schedule::daily(2)),
            encryption_key: Some((&key).into()),
            ..CrawlerProps::new(&lake, [raw.prefix("events/")])
        },
    );
    let features = curated.prefix("features/");
    let etl = GlueJob::new(
        stack,
        "Curate",
        GlueJobProps {
            kind: GlueJobKind::PySpark {
                worker_type: WorkerType::G1X,
                workers: knobs.etl_workers,
            },
            reads: vec![raw.prefix("events/")],
            writes: vec![features.clone()],
            arguments: named([
                ("--database", lake.name()),
                ("--table", "events".into()),
                ("--output", features.uri()),
            ]),
            encryption_key: Some((&key).into()),
            ..GlueJobProps::pyspark("examples/deploy/etl/curate.py")
        },
    );
    lake.grant_read(&etl);

    AthenaWorkGroup::new(
        stack,
        "Analysts",
        AthenaWorkGroupProps {
            bytes_scanned_cutoff: knobs.athena_cutoff_bytes,
            ..AthenaWorkGroupProps::new(curated.prefix("athena-results/"))
        },
    );
    FeatureGroup::new(
        stack,
        "CustomerFeatures",
        FeatureGroupProps {
            offline_store: Some(curated.prefix("feature-store/")),
            ..FeatureGroupProps::new(
                "customer_id",
                "event_time",
                [
                    ("customer_id", FeatureType::String),
                    ("event_time", FeatureType::String),
                    ("tenure_months", FeatureType::Fractional),
                    ("monthly_spend", FeatureType::Fractional),
                    ("support_calls", FeatureType::Integral),
                    ("churned", FeatureType::Integral),
                ],
            )
        },
    );

    let registry = ModelRegistry::new(
        stack,
        "ChurnModels",
        ModelRegistryProps {
            name: Some(format!("{}-models", stack.stack_name())),
            description: Some("Churn classifiers".into()),
            ..Default::default()
        },
    );
    // The group was first created as a plain resource with this logical ID;
    // keeping it means CloudFormation keeps the group.
    let group_id = registry.resource().clone();
    stack.override_logical_id(&group_id, "ChurnModels");
    let training = TrainingPipeline::new(
        stack,
        "Training",
        TrainingPipelineProps {
            instance: knobs.training_instance.clone(),
            spot: Some(Spot::without_checkpoints()),
            tuning: Some(Tuning::xgboost_auc(knobs.tuning_max_jobs, 2)),
            processing: Some(Processing::script("examples/deploy/training/preprocess.py")),
            // mlcdk's own evaluation: AUC, accuracy and F1 on the test split.
            evaluation: Some(Evaluation::builtin_xgboost_binary(BinaryMetric::Auc, 0.75)),
            // The statistics drift is measured against, registered with each
            // version: the columns preprocess.py writes after the label.
            baseline: Some(FeatureBaseline::new([
                "tenure_months",
                "monthly_spend",
                "support_calls",
            ])),
            register_into: Some((&registry).into()),
            serving_instances: vec![InstanceType::m5_large(), InstanceType::m5_xlarge()],
            batch_transform: Some(BatchTransform {
                instance: InstanceType::m5_xlarge(),
                ..BatchTransform::new(curated.prefix("to-score/"), artifacts.prefix("scores/"))
            }),
            ..TrainingPipelineProps::xgboost(features.clone(), artifacts.prefix("pipeline/"))
        },
    );
    PipelineTrigger::new(
        stack,
        "WeeklyRetraining",
        TriggerProps::schedule(&training, Schedule::weekly("MON", 3)),
    );

    // Errors, idleness, drift and spend go to the team.
    let alerts = AlertsTopic::new(
        stack,
        "Alerts",
        AlertsTopicProps {
            emails: knobs.alert_emails.clone(),
        },
    );
    // Serving: the pinned version, never "whatever trained last". It starts
    // once a registered version is chosen: until the pipeline
    // has run and someone approved a version, there is nothing to serve, and
    // a model naming a version that does not exist would roll the stack back.
    if let Some(model_version) = knobs.model_version {
        let version = registry
            .version(model_version)
            .served_from(training.model_artifacts());
        let model = Model::new(
            stack,
            "ChurnModel",
            ModelProps::from_registry(version.clone()),
        );
        // Serverless inference does not run network-isolated models, so the
        // ad-hoc endpoint serves the same version from a model without isolation.
        let open_model = Model::new(
            stack,
            "AdhocModel",
            ModelProps {
                network_isolation: NetworkIsolation::open(
                    "serverless inference does not support network isolation; this model serves only the ad-hoc serverless endpoint",
                ),
                ..ModelProps::from_registry(version.clone())
            },
        );
        let serve = RealtimeEndpoint::new(
            stack,
            "Serve",
            RealtimeEndpointProps {
                data_capture: Some(DataCapture::sample(20, artifacts.prefix("capture/"))),
                guardrails: Some(Guardrails::canary_of_one(knobs.endpoint_capacity.0)),
                encryption_key: Some((&key).into()),
                alerts: Some((&alerts).into()),
                ..RealtimeEndpointProps::autoscaled(
                    &model,
                    knobs.endpoint_instance.clone(),
                    Autoscaling::between(knobs.endpoint_capacity.0, knobs.endpoint_capacity.1),
                )
            },
        );

        // Monitoring: every hour, the last hour's requests against the
        // baseline the served version was trained on; drift in the main
        // features alerts and starts retraining.
        let monitor = Monitor::new(
            stack,
            "Drift",
            MonitorProps {
                drift_alarms: vec![
                    DriftThreshold::new("monthly_spend", 0.2),
                    DriftThreshold::new("tenure_months", 0.2),
                ],
                alerts: Some((&alerts).into()),
                encryption_key: Some((&key).into()),
                ..MonitorProps::data_quality(
                    &serve,
                    Baseline::of_version(version.clone(), &training),
                    artifacts.prefix("monitoring/reports/"),
                    MonitorSchedule::Hourly,
                )
            },
        );
        monitor.retrain_on_drift(stack, "RetrainOnDrift", &training);
        ServerlessEndpoint::new(
            stack,
            "Adhoc",
            ServerlessEndpointProps {
                alerts: Some((&alerts).into()),
                ..ServerlessEndpointProps::new(&open_model, Memory::Gb2, 5)
            },
        );
        AsyncEndpoint::new(
            stack,
            "Batchy",
            AsyncEndpointProps {
                alerts: Some((&alerts).into()),
                encryption_key: Some((&key).into()),
                ..AsyncEndpointProps::scale_to_zero(&model, artifacts.prefix("async/"))
            },
        );
    } else {
        stack.note(
            "serving is off: no model_version is set. Deploy, run the training pipeline, approve a registered version, set model_version to it and deploy again (README: \"The first deploy of a stage\")",
        );
    }
    let segments = Model::new(
        stack,
        "SegmentModels",
        ModelProps::multi_model(
            training.model_artifacts().image,
            artifacts.prefix("segment-models/"),
        ),
    );
    let segments = MultiModelEndpoint::new(
        stack,
        "Segments",
        MultiModelEndpointProps {
            autoscaling: Some(Autoscaling::between(1, 2)),
            alerts: Some((&alerts).into()),
            encryption_key: Some((&key).into()),
            ..MultiModelEndpointProps::new(&segments, InstanceType::m5_large())
        },
    );
    stack.suppress(
        segments.resource(),
        "SM-006",
        "segment models score nightly campaign lists; an outage delays a batch, it drops no customer traffic",
    );

    Budget::new(
        stack,
        "Budget",
        BudgetProps::monthly(knobs.monthly_budget_usd, Some((&alerts).into())),
    );

    stack.add_output(
        "ArtifactsBucketName",
        OutputProps::new(artifacts.name()).description("Where models and checkpoints go"),
    );
    stack.add_output("TrainingPipelineName", OutputProps::new(training.name()));
}

pub fn app() -> App<Knobs> {
    App::new("churn", ml_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stages_dir("examples/deploy/stages")
        .stage_file(
            "staging",
            StageKind::Staging,
            Env::new("111111111111", "us-east-1"),
        )
        .stage_file(
            "production",
            StageKind::Production,
            Env::new("222222222222", "us-east-1"),
        )
}

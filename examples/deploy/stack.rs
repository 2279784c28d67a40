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
    pub training_instance: String,
    /// Training jobs one tuning run may start.
    pub tuning_max_jobs: u32,
    /// The registered model version the endpoints serve: promotion is a
    /// reviewed change of this number. Unset on a stage's first deploy: the
    /// stage then has data and training but no endpoints, until a version
    /// has been trained and approved.
    #[serde(default)]
    pub model_version: Option<u32>,
    pub endpoint_instance: String,
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
    let logs = Bucket::new(
        stack,
        "AccessLogs",
        BucketProps {
            lifecycle_rules: vec![LifecycleRule::expire("expire-logs", None, 90)],
            ..Default::default()
        },
    );
    for (check, why) in [
        (
            "CKV_AWS_18",
            "the access-log bucket itself: logging it into itself would loop",
        ),
        (
            "CKV_AWS_21",
            "access logs are write-once and expire after 90 days; versions would only keep expired logs",
        ),
    ] {
        stack.suppress(logs.resource(), check, why);
    }
    let raw = Bucket::new(
        stack,
        "RawData",
        BucketProps {
            versioned: true,
            lifecycle_rules: vec![LifecycleRule::tiering("tiering", Some("events/"), 30)],
            access_logs: Some((logs.clone(), "raw/".into())),
            ..Default::default()
        },
    );
    let curated = Bucket::new(
        stack,
        "Curated",
        BucketProps {
            encryption: BucketEncryption::Kms(Some(key.clone())),
            versioned: true,
            access_logs: Some((logs.clone(), "curated/".into())),
            ..Default::default()
        },
    );
    let artifacts = Bucket::new(
        stack,
        "Artifacts",
        BucketProps {
            versioned: true,
            lifecycle_rules: vec![LifecycleRule {
                id: "expire-replaced-artifacts".into(),
                noncurrent_expiration_days: Some(knobs.noncurrent_artifact_days),
                ..Default::default()
            }],
            access_logs: Some((logs, "artifacts/".into())),
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
        CrawlerProps::s3(&lake, raw.path("events/"))
            .schedule("0 2 * * ? *")
            .key(&key),
    );
    let features = curated.path("features/");
    let etl = GlueJob::new(
        stack,
        "Curate",
        GlueJobProps::pyspark("examples/deploy/etl/curate.py")
            .reads(raw.path("events/"))
            .writes(features.clone())
            .workers(WorkerType::G1X, knobs.etl_workers)
            .argument("--database", lake.name())
            .argument("--table", "events")
            .argument("--output", features.uri())
            .key(&key),
    );
    lake.grant_read(etl.role());

    AthenaWorkGroup::new(
        stack,
        "Analysts",
        AthenaWorkGroupProps {
            bytes_scanned_cutoff: knobs.athena_cutoff_bytes,
            ..AthenaWorkGroupProps::new(curated.path("athena-results/"))
        },
    );
    FeatureGroup::new(
        stack,
        "CustomerFeatures",
        FeatureGroupProps::new(
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
        .offline_store(curated.path("feature-store/")),
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
            spot: Some(Spot::with_checkpoints(artifacts.path("checkpoints/"))),
            tuning: Some(Tuning::bounded(knobs.tuning_max_jobs, 2)),
            processing: Some(Processing::script("examples/deploy/training/preprocess.py")),
            evaluation: Some(Evaluation::at_least(
                "examples/deploy/training/evaluate.py",
                "metrics.auc.value",
                0.75,
            )),
            register_into: Some((&registry).into()),
            serving_instances: vec!["ml.m5.large".into(), "ml.m5.xlarge".into()],
            batch_transform: Some(BatchTransform {
                input: curated.path("to-score/"),
                output: artifacts.path("scores/"),
                instance: "ml.m5.xlarge".into(),
                instance_count: 1,
            }),
            ..TrainingPipelineProps::xgboost(features.clone(), artifacts.path("pipeline/"))
        },
    );
    PipelineTrigger::new(
        stack,
        "WeeklyRetraining",
        training.pipeline(),
        TriggerProps::schedule(Schedule::weekly("MON", 3)),
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
            .served_from(artifacts.path("pipeline/"), &training.image());
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
                network_isolation: false,
                ..ModelProps::from_registry(version)
            },
        );
        for rule in ["CKV_AWS_370", "SM-003"] {
            stack.suppress_at(
                "AdhocModel/Resource",
                rule,
                "serverless inference does not support network isolation; this model serves only the ad-hoc serverless endpoint",
            );
        }
        let mut serve = RealtimeEndpointProps::single(&model, &knobs.endpoint_instance);
        serve.variants[0].autoscaling = Some(Autoscaling::between(
            knobs.endpoint_capacity.0,
            knobs.endpoint_capacity.1,
        ));
        serve.data_capture = Some(DataCapture::sample(20, artifacts.path("capture/")));
        serve.guardrails = Some(Guardrails::canary_of_one(knobs.endpoint_capacity.0));
        serve.kms = Some(key.clone());
        serve.alerts = Some(alerts.arn());
        let serve = RealtimeEndpoint::new(stack, "Serve", serve);

        // Monitoring: hourly data-quality checks against the training baseline;
        // drift in the main features alerts and starts retraining.
        let mut drift = MonitorProps::data_quality(
            artifacts.path("monitoring/baseline/statistics.json"),
            artifacts.path("monitoring/baseline/constraints.json"),
            artifacts.path("monitoring/reports/"),
            MonitorSchedule::Hourly,
        );
        drift.drift_alarms = vec![("monthly_spend".into(), 0.2), ("tenure_months".into(), 0.2)];
        drift.alerts = Some(alerts.arn());
        drift.volume_key = Some(key.clone());
        let monitor = Monitor::new(stack, "Drift", &serve, drift);
        monitor.retrain_on_drift(stack, "RetrainOnDrift", &training);
        ServerlessEndpoint::new(
            stack,
            "Adhoc",
            ServerlessProps {
                alerts: Some(alerts.arn()),
                ..ServerlessProps::new(&open_model, Memory::Gb2, 5)
            },
        );
        AsyncEndpoint::new(
            stack,
            "Batchy",
            AsyncProps {
                alerts: Some(alerts.arn()),
                kms: Some(key.clone()),
                ..AsyncProps::scale_to_zero(&model, artifacts.path("async/"))
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
        ModelProps::multi_model(&training.image(), artifacts.path("segment-models/")),
    );
    let segments = MultiModelEndpoint::new(
        stack,
        "Segments",
        MultiModelEndpointProps {
            model: segments,
            instance: "ml.m5.large".into(),
            autoscaling: Some(Autoscaling::between(1, 2)),
            alerts: Some(alerts.arn()),
            idle_hours: Some(24),
            kms: Some(key.clone()),
        },
    );
    stack.suppress(
        segments.endpoint().resource(),
        "SM-006",
        "segment models score nightly campaign lists; an outage delays a batch, it drops no customer traffic",
    );

    Budget::new(
        stack,
        "Budget",
        BudgetProps::monthly(knobs.monthly_budget_usd, Some(alerts.arn())),
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

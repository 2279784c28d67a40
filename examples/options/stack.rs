//! An app that exercises the construct options `examples/deploy` does not use,
//! so cfn-lint, checkov, the rule pack and the pipeline conformance test see
//! those branches too. It is not a platform anyone would deploy as is: each
//! construct is here for the options it shows.

use mlcdk::bedrock::*;
use mlcdk::etl::*;
use mlcdk::inference::*;
use mlcdk::monitoring::*;
use mlcdk::prelude::*;
use mlcdk::registry::*;
use mlcdk::storage::*;
use mlcdk::training::*;

/// What differs between the two stages.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// The stage's account: the bulk pipeline names its role by a literal ARN.
    pub account: String,
    pub monthly_budget_usd: u32,
    pub budget_emails: Vec<String>,
}

pub fn options_platform(stack: &mut Stack, knobs: &Knobs) {
    stack
        .set_description("mlcdk options app: every construct option the deploy example leaves out");

    // Storage: a key with alias and a short deletion window; buckets
    // encrypted with it and with the AWS managed key, lifecycle rules of every
    // kind.
    let key = KmsKey::new(
        stack,
        "OptionsKey",
        KmsKeyProps {
            description: Some("Options app data".into()),
            alias: Some("alias/mlcdk-options".into()),
            pending_window_days: Some(7),
            ..Default::default()
        },
    );
    // A log bucket of its own (30 days, not the stack's 90), which logs
    // nowhere: the reason becomes its checkov exemption.
    let logs = Bucket::new(
        stack,
        "AccessLogs",
        BucketProps {
            versioned: false,
            lifecycle_rules: vec![LifecycleRule::expire("expire-logs", None, 30)],
            access_logs: AccessLogging::Disabled {
                reason: "the access-log bucket itself: logging it into itself would loop".into(),
            },
            ..Default::default()
        },
    );
    stack.suppress(
        logs.resource(),
        "CKV_AWS_21",
        "access logs are write-once and expire after 30 days; versions would only keep expired logs",
    );
    let data = Bucket::new(
        stack,
        "Data",
        BucketProps {
            encryption: BucketEncryption::kms(&key),
            versioned: true,
            lifecycle_rules: vec![
                LifecycleRule {
                    id: "archive-raw".into(),
                    prefix: Some("raw/".into()),
                    transitions: vec![
                        (StorageClass::StandardIa, 30),
                        (StorageClass::GlacierInstantRetrieval, 90),
                        (StorageClass::DeepArchive, 365),
                    ],
                    expiration_days: Some(730),
                    noncurrent_expiration_days: Some(30),
                    abort_incomplete_multipart_days: Some(3),
                },
                LifecycleRule::tiering("tiering", Some("curated/"), 0),
            ],
            abort_incomplete_uploads_days: Some(7),
            access_logs: AccessLogging::To(AccessLogs {
                bucket: logs.clone(),
                prefix: "data/".into(),
            }),
            removal_policy: Some(DeletionPolicy::Retain),
            ..Default::default()
        },
    );
    let models = Bucket::new(
        stack,
        "Models",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            versioned: true,
            lifecycle_rules: vec![LifecycleRule {
                id: "expire-scratch".into(),
                prefix: Some("scratch/".into()),
                transitions: vec![(StorageClass::OneZoneIa, 30), (StorageClass::Glacier, 60)],
                expiration_days: Some(120),
                ..Default::default()
            }],
            access_logs: AccessLogging::To(AccessLogs {
                bucket: logs,
                prefix: "models/".into(),
            }),
            ..Default::default()
        },
    );

    // ETL: a Python-shell job, a crawler with a table prefix, a named
    // workgroup, a feature group with an online store.
    let lake = GlueDatabase::new(
        stack,
        "Lake",
        GlueDatabaseProps {
            description: Some("Options app tables".into()),
            removal_policy: Some(DeletionPolicy::Retain),
            ..Default::default()
        },
    );
    Crawler::new(
        stack,
        "Crawl",
        CrawlerProps {
            table_prefix: Some("raw_".into()),
            description: Some("Catalogues the raw prefix".into()),
            encryption_key: Some((&key).into()),
            ..CrawlerProps::new(&lake, [data.prefix("raw/"), data.prefix("curated/")])
        },
    );
    let shell = GlueJob::new(
        stack,
        "Shell",
        GlueJobProps {
            kind: GlueJobKind::PythonShell {
                capacity: PythonShellCapacity::One,
            },
            max_retries: 1,
            timeout_minutes: 30,
            description: Some("A small Python-shell job".into()),
            reads: vec![data.prefix("raw/")],
            writes: vec![data.prefix("curated/")],
            arguments: named([("--output", data.prefix("curated/").uri())]),
            encryption_key: Some((&key).into()),
            ..GlueJobProps::python_shell("examples/deploy/etl/curate.py")
        },
    );
    lake.grant_read(&shell);
    // A Spark job on a pinned Glue version, from a script already in S3, on
    // larger workers, without bookmarks, two runs at a time, weekly.
    GlueJob::new(
        stack,
        "Spark",
        GlueJobProps {
            script: Script::S3(data.prefix("scripts/compact.py")),
            glue_version: Some("4.0".into()),
            max_concurrent_runs: 2,
            bookmarks: false,
            description: Some("Compacts the curated prefix".into()),
            kind: GlueJobKind::PySpark {
                worker_type: WorkerType::G2X,
                workers: 4,
            },
            reads: vec![data.prefix("curated/")],
            writes: vec![data.prefix("compacted/")],
            schedule: Some(Schedule::weekly("SUN", 5)),
            encryption_key: Some((&key).into()),
            ..GlueJobProps::pyspark("unused.py")
        },
    );
    let athena = AthenaWorkGroup::new(
        stack,
        "Queries",
        AthenaWorkGroupProps {
            name: Some("mlcdk-options".into()),
            description: Some("Queries of the options app".into()),
            bytes_scanned_cutoff: 50 * 1024 * 1024 * 1024,
            ..AthenaWorkGroupProps::new(data.prefix("athena/"))
        },
    );
    athena.grant_query(&shell);
    FeatureGroup::new(
        stack,
        "Online",
        FeatureGroupProps {
            online_store: true,
            offline_store: Some(data.prefix("feature-store/")),
            encryption_key: Some((&key).into()),
            description: Some("Online and offline features".into()),
            ..FeatureGroupProps::new(
                "customer_id",
                "event_time",
                [
                    ("customer_id", FeatureType::String),
                    ("event_time", FeatureType::String),
                    ("score", FeatureType::Fractional),
                ],
            )
        },
    );

    // Registry readable from another account.
    let registry = ModelRegistry::new(
        stack,
        "Registry",
        ModelRegistryProps {
            name: Some(format!("{}-models", stack.stack_name())),
            description: Some("Options app models".into()),
            cross_account_readers: vec!["333333333333".into()],
            ..Default::default()
        },
    );

    // Training, fine-tuning from an S3 artifact: a processing split, a plain
    // training step (no tuning) on spot capacity, checkpointing per execution,
    // on the pinned older XGBoost line, four steps at a time, a batch
    // transform, no registration.
    let finetune = TrainingPipeline::new(
        stack,
        "FineTune",
        TrainingPipelineProps {
            algorithm: Algorithm::Xgboost(XgboostVersion::V1_7_1),
            spot: Some(Spot::with_checkpoints(models.prefix("checkpoints/"))),
            max_parallel_steps: 4,
            strategy: ModelStrategy::FineTune(models.prefix("base/model.tar.gz")),
            processing: Some(Processing {
                instance: InstanceType::m5_large(),
                arguments: vec!["--split".into(), "0.8".into()],
                max_runtime_seconds: 1800,
                ..Processing::script("examples/deploy/training/preprocess.py")
            }),
            instance_count: 2,
            volume_gb: 50,
            max_runtime_seconds: 7200,
            hyperparameters: named([("objective", "reg:squarederror"), ("num_round", "50")]),
            batch_transform: Some(BatchTransform {
                instance_count: 2,
                ..BatchTransform::new(data.prefix("to-score/"), models.prefix("scores/"))
            }),
            ..TrainingPipelineProps::xgboost(data.prefix("raw/"), models.prefix("finetune/"))
        },
    );
    // Fine-tuning a registered package, registered back automatically.
    TrainingPipeline::new(
        stack,
        "FineTunePackage",
        TrainingPipelineProps {
            strategy: ModelStrategy::FineTunePackage(ModelVersion::pinned(format!(
                "arn:aws:sagemaker:us-east-1:{}:model-package/options-base/1",
                knobs.account
            ))),
            register_into: Some((&registry).into()),
            approval: Some(Approval::Automatic),
            evaluation: Some(Evaluation {
                comparison: Comparison::LessThanOrEqualTo,
                instance: InstanceType::m5_large(),
                ..Evaluation::at_least(
                    "examples/deploy/training/evaluate.py",
                    "metrics.rmse.value",
                    0.5,
                )
            }),
            ..TrainingPipelineProps::xgboost(data.prefix("curated/"), models.prefix("package/"))
        },
    );
    PipelineTrigger::new(
        stack,
        "Daily",
        TriggerProps {
            description: Some("Daily fine-tuning".into()),
            ..TriggerProps::schedule(&finetune, Schedule::Rate(1, RateUnit::Days))
        },
    );
    bulk_pipeline(stack, knobs, &models);
    // Training with a custom ECR image, from scratch, tuned over custom ranges
    // of every kind with early stopping, registered into a group named by
    // literal (`ModelGroupRef::named`) for manual approval.
    let custom = TrainingPipeline::new(
        stack,
        "Custom",
        TrainingPipelineProps {
            algorithm: Algorithm::Image(EcrImage {
                account: knobs.account.clone(),
                region: "us-east-1".into(),
                repository: "mlcdk-options-trainer".into(),
                tag: "1.0".into(),
            }),
            strategy: ModelStrategy::FromScratch,
            hyperparameters: named([("epochs", "10")]),
            tuning: Some(Tuning {
                objective_metric: "validation:rmse".into(),
                goal: Goal::Minimize,
                ranges: vec![
                    ParameterRange::Continuous {
                        name: "learning_rate".into(),
                        min: 0.001,
                        max: 0.1,
                        scaling: Scaling::Linear,
                    },
                    ParameterRange::Integer {
                        name: "layers".into(),
                        min: 1,
                        max: 4,
                        scaling: Scaling::Auto,
                    },
                    ParameterRange::Categorical {
                        name: "optimizer".into(),
                        values: vec!["adam".into(), "sgd".into()],
                    },
                ],
                max_jobs: Some(6),
                max_parallel: 2,
                max_runtime_seconds: Some(14_400),
                early_stopping: true,
            }),
            register_into: Some(ModelGroupRef::named("mlcdk-options-custom")),
            approval: Some(Approval::Manual),
            ..TrainingPipelineProps::xgboost(data.prefix("curated/"), models.prefix("custom/"))
        },
    );
    // Started by an event pattern (new objects under the curated prefix), with
    // a parameter, and by a cron schedule.
    PipelineTrigger::new(
        stack,
        "OnUpload",
        TriggerProps {
            description: Some("Retrains when curated data lands".into()),
            ..TriggerProps::on_event(
                &custom,
                Json::object([
                    ("source", Json::array([Json::from("aws.s3")])),
                    ("detail-type", Json::array([Json::from("Object Created")])),
                ]),
            )
        },
    );
    PipelineTrigger::new(
        stack,
        "Nightly",
        TriggerProps::schedule(&custom, Schedule::Cron("cron(0 2 * * ? *)".into())),
    );

    // Models: serial containers, image + artifact in a VPC, multi-model,
    // one without network isolation.
    let image = finetune.model_artifacts().image;
    let serial = Model::new(
        stack,
        "Serial",
        ModelProps {
            environment: named([("LOG_LEVEL", "info")]),
            ..ModelProps::new(ModelSource::MultiContainer(vec![
                Container {
                    image: image.clone(),
                    model_data: models.prefix("serial/featurize.tar.gz"),
                },
                Container {
                    image: image.clone(),
                    model_data: models.prefix("serial/score.tar.gz"),
                },
            ]))
        },
    );
    let in_vpc = Model::new(
        stack,
        "InVpc",
        ModelProps {
            vpc: Some(Vpc {
                subnets: vec![
                    "subnet-0123456789abcdef0".into(),
                    "subnet-0123456789abcdef1".into(),
                ],
                security_groups: vec!["sg-0123456789abcdef0".into()],
            }),
            encryption_key: Some((&key).into()),
            ..ModelProps::from_artifact(image.clone(), data.prefix("models/score.tar.gz"))
        },
    );
    let open = Model::new(
        stack,
        "Open",
        ModelProps {
            network_isolation: NetworkIsolation::open(
                "the option under test: serverless endpoints need a model without network isolation (RT-003), and this one serves the async and A/B endpoints too",
            ),
            ..ModelProps::from_artifact(image.clone(), models.prefix("open/model.tar.gz"))
        },
    );
    let many = Model::new(
        stack,
        "Many",
        ModelProps::multi_model(image.clone(), models.prefix("many/")),
    );

    let alerts = AlertsTopic::new(
        stack,
        "Alerts",
        AlertsTopicProps {
            emails: vec!["ml-oncall@example.com".into()],
        },
    );

    // Real-time: linear blue/green shift on one variant, in a VPC, with data
    // capture of inputs only; then several weighted variants.
    let linear = RealtimeEndpoint::new(
        stack,
        "Linear",
        RealtimeEndpointProps {
            guardrails: Some(Guardrails {
                shift: TrafficShift::Linear {
                    // One instance of the 2-instance floor per step: smaller
                    // steps are less than an instance.
                    percent: 50,
                    wait_seconds: 300,
                },
                termination_wait_seconds: 300,
                max_execution_seconds: 7200,
            }),
            data_capture: Some(DataCapture {
                capture_output: true,
                ..DataCapture::sample(100, models.prefix("capture/"))
            }),
            encryption_key: Some((&key).into()),
            alerts: Some((&alerts).into()),
            idle_hours: Some(6),
            max_5xx_rate: 0.01,
            max_latency_ms: 250,
            ..RealtimeEndpointProps::new([Variant {
                initial_count: 2,
                autoscaling: Some(Autoscaling {
                    invocations_per_instance: 200.0,
                    scale_in_cooldown: 600,
                    scale_out_cooldown: 120,
                    ..Autoscaling::between(2, 4)
                }),
                ..Variant::new(PRIMARY_VARIANT, &in_vpc, InstanceType::m5_large())
            }])
        },
    );

    // A/B: two weighted variants on different instance types.
    RealtimeEndpoint::new(
        stack,
        "Weighted",
        RealtimeEndpointProps {
            idle_hours: None,
            encryption_key: Some((&key).into()),
            alerts: Some((&alerts).into()),
            ..RealtimeEndpointProps::new([
                Variant {
                    weight: 0.7,
                    ..Variant::new("Serial", &serial, InstanceType::m5_large())
                },
                Variant {
                    weight: 0.3,
                    autoscaling: Some(Autoscaling::between(1, 3)),
                    ..Variant::new("Artifact", &open, InstanceType::c5_large())
                },
            ])
        },
    );

    // Model quality against ground truth, daily at 04:00 UTC, on the linear
    // endpoint, with a script of one's own (the same contract) and an alarm
    // when the RMSE rises above 0.5.
    Monitor::new(
        stack,
        "Quality",
        MonitorProps {
            instance: InstanceType::m5_xlarge(),
            volume_gb: 30,
            encryption_key: Some((&key).into()),
            max_runtime_seconds: 1800,
            namespace: "mlcdk-options/quality".into(),
            script: MonitorScript::File("constructs/monitoring/scripts/monitor.py".into()),
            quality_alarm: Some(QualityThreshold::new(QualityMetric::Rmse, 0.5)),
            alerts: Some((&alerts).into()),
            ..MonitorProps::model_quality(
                &linear,
                ProblemType::Regression,
                data.prefix("ground-truth/"),
                models.prefix("monitoring/quality/reports/"),
                MonitorSchedule::Daily { hour: 4 },
            )
        },
    );

    // The Model Monitor backend, for an account that already uses it: data
    // quality on the same endpoint every six hours from 01:00 UTC, with
    // network access for the analyzer.
    let features = ModelMonitor::new(
        stack,
        "Features",
        ModelMonitorProps {
            network_isolation: NetworkIsolation::open(
                "the option under test: an analyzer that may reach the network",
            ),
            drift_alarms: vec![DriftThreshold::new("score", 0.3)],
            encryption_key: Some((&key).into()),
            alerts: Some((&alerts).into()),
            ..ModelMonitorProps::data_quality(
                &linear,
                DataQuality {
                    statistics: models.prefix("monitoring/features/statistics.json"),
                    constraints: models.prefix("monitoring/features/constraints.json"),
                },
                models.prefix("monitoring/features/reports/"),
                MonitorSchedule::EveryHours { start: 1, every: 6 },
            )
        },
    );
    // An alarm on a team's own metric; it and the monitor's alarms retrain the
    // custom pipeline.
    let own = DriftAlarm::new(
        stack,
        "OwnDrift",
        DriftAlarmProps {
            alerts: Some((&alerts).into()),
            ..DriftAlarmProps::new(CustomMetric {
                dimensions: named([("Model", "custom")]),
                evaluation_periods: 3,
                ..CustomMetric::new("mlcdk/options", "population_stability_index", 0.25)
            })
        },
    );
    let mut drift_alarms = features.alarms().to_vec();
    drift_alarms.push(own.resource().clone());
    RetrainOnAlarm::new(
        stack,
        "RetrainOnAlarms",
        RetrainOnAlarmProps::new(drift_alarms, &custom),
    );

    // A pinned package from another account, served with all-at-once
    // blue/green updates.
    let pinned = Model::new(
        stack,
        "Pinned",
        ModelProps::from_registry(
            ModelVersion::pinned(format!(
                "arn:aws:sagemaker:us-east-1:333333333333:model-package/shared-models/{}",
                3
            ))
            .served_from(ModelArtifacts {
                location: models.prefix("pinned/"),
                image: image.clone(),
            }),
        ),
    );
    RealtimeEndpoint::new(
        stack,
        "AllAtOnce",
        RealtimeEndpointProps {
            guardrails: Some(Guardrails {
                shift: TrafficShift::AllAtOnce { wait_seconds: 600 },
                ..Guardrails::canary()
            }),
            encryption_key: Some((&key).into()),
            alerts: Some((&alerts).into()),
            ..RealtimeEndpointProps::single(&pinned, InstanceType::m5_large())
        },
    );

    // Serverless with provisioned concurrency and its autoscaling, from a
    // model without network isolation.
    ServerlessEndpoint::new(
        stack,
        "Warm",
        ServerlessEndpointProps {
            provisioned: Some(Provisioned {
                concurrency: 2,
                scaling: Some(ProvisionedScaling {
                    min: 1,
                    max: 4,
                    target_utilization: 0.7,
                }),
            }),
            alerts: Some((&alerts).into()),
            ..ServerlessEndpointProps::new(&open, Memory::Gb4, 10)
        },
    );

    // Async with a failure path, success/error topics and its own scaling.
    AsyncEndpoint::new(
        stack,
        "Queue",
        AsyncEndpointProps {
            instance: InstanceType::c5_xlarge(),
            failures: Some(models.prefix("async-failures/")),
            notifications: true,
            max_concurrent_invocations_per_instance: Some(4),
            scaling: AsyncScaling {
                min: 1,
                max: 3,
                backlog_per_instance: 10.0,
            },
            encryption_key: Some((&key).into()),
            alerts: Some((&alerts).into()),
            // A floor of one instance costs money idle: alarm after 12 h
            // without a processed request (InvocationsProcessed).
            idle_hours: Some(12),
            input: data.prefix("requests/"),
            ..AsyncEndpointProps::scale_to_zero(&open, models.prefix("async/"))
        },
    );

    // Multi-model without autoscaling or idle alarm.
    MultiModelEndpoint::new(
        stack,
        "ManyModels",
        MultiModelEndpointProps {
            alerts: Some((&alerts).into()),
            idle_hours: None,
            encryption_key: Some((&key).into()),
            ..MultiModelEndpointProps::new(&many, InstanceType::c5_large())
        },
    );

    jumpstart_models(stack, &alerts, &models, &key);

    // Bedrock: a foundation model consumed per token through the stage's
    // application inference profile (tagged with the stage, so the budget
    // below counts its spend), every usage alarm to the alerts topic, a
    // guardrail with each kind of policy encrypted with the app's key, and a
    // caller role granted exactly the profile, its model and the guardrail.
    let haiku = FoundationModel::new("anthropic.claude-3-haiku-20240307-v1:0")
        .expect("a model id of the documented shape");
    let assistant = InferenceProfile::new(
        stack,
        "Assistant",
        InferenceProfileProps {
            description: Some("Support assistant".into()),
            alerts: Some((&alerts).into()),
            alarms: UsageAlarms {
                max_client_errors_per_5_minutes: Some(50),
                max_invocations_per_hour: Some(100_000),
                max_input_tokens_per_hour: Some(50_000_000),
                max_output_tokens_per_hour: Some(10_000_000),
                ..UsageAlarms::default()
            },
            ..InferenceProfileProps::new(&haiku)
        },
    );
    let guard = Guardrail::new(
        stack,
        "AssistantGuard",
        GuardrailProps {
            description: Some("Support assistant guardrail".into()),
            content_filters: vec![
                ContentFilter::both(ContentCategory::Hate, FilterStrength::High),
                ContentFilter::both(ContentCategory::Insults, FilterStrength::Medium),
                ContentFilter::both(ContentCategory::Sexual, FilterStrength::High),
                ContentFilter::both(ContentCategory::Violence, FilterStrength::Medium),
                ContentFilter::both(ContentCategory::Misconduct, FilterStrength::Low),
                ContentFilter::prompt_attack(FilterStrength::High),
            ],
            denied_topics: vec![DeniedTopic {
                name: "Investment advice".into(),
                definition: "Recommendations on which financial products to buy or sell.".into(),
                examples: vec!["Which stocks should I buy this week?".into()],
            }],
            pii: vec![
                PiiEntity {
                    kind: PiiType::Email,
                    action: SensitiveAction::Anonymize,
                },
                PiiEntity {
                    kind: PiiType::CreditDebitCardNumber,
                    action: SensitiveAction::Block,
                },
            ],
            regexes: vec![SensitiveRegex {
                name: "Account number".into(),
                pattern: "ACC-[0-9]{8}".into(),
                description: Some("Internal account numbers".into()),
                action: SensitiveAction::Anonymize,
            }],
            encryption_key: Some((&key).into()),
            ..GuardrailProps::new(
                "I can't help with that request.",
                "I can't share that answer.",
            )
        },
    );
    let caller = Role::new(
        stack,
        "AssistantCaller",
        RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")),
    );
    assistant.grant_invoke(&caller);
    guard.grant_apply(&caller);

    // A budget with forecast and actual notifications to email subscribers.
    Budget::new(
        stack,
        "Budget",
        BudgetProps {
            monthly_usd: knobs.monthly_budget_usd,
            alerts: vec![
                BudgetAlert {
                    signal: BudgetSignal::Forecasted,
                    percent: 100.0,
                    emails: knobs.budget_emails.clone(),
                    topic: None,
                },
                BudgetAlert {
                    signal: BudgetSignal::Actual,
                    percent: 80.0,
                    emails: knobs.budget_emails.clone(),
                    topic: Some((&alerts).into()),
                },
            ],
        },
    );
}

/// SageMaker JumpStart models, resolved from `examples/options/jumpstart.lock`
/// (written by `cargo run --example options -- jumpstart lock MODEL@VERSION
/// --lock examples/options/jumpstart.lock --spec FILE`): an open model with
/// uncompressed artifacts on a real-time endpoint, and a gated LLM, whose
/// EULA acceptance is written here, on an async endpoint that scales to zero.
/// The lock file was resolved from the fixture specs of the resolver's tests
/// (`constructs/inference/tests/fixtures/jumpstart/`), which follow the real
/// spec format, so the example needs no download.
fn jumpstart_models(stack: &mut Stack, alerts: &AlertsTopic, models: &Bucket, key: &KmsKey) {
    let lock_file = std::path::PathBuf::from("examples/options/jumpstart.lock");
    let vision = Model::new(
        stack,
        "Vision",
        ModelProps::jumpstart(JumpStartModel {
            lock_file: lock_file.clone(),
            ..JumpStartModel::new("pytorch-ic-mobilenet-v2", "3.0.25")
        }),
    );
    RealtimeEndpoint::new(
        stack,
        "Classify",
        RealtimeEndpointProps {
            alerts: Some(alerts.into()),
            encryption_key: Some(key.into()),
            ..RealtimeEndpointProps::autoscaled(
                &vision,
                InstanceType::m5_large(),
                Autoscaling::between(2, 3),
            )
        },
    );
    let chat = Model::new(
        stack,
        "Chat",
        ModelProps::jumpstart(JumpStartModel {
            eula: Eula::accepted(
                "the Llama 3.2 community license was reviewed and accepted (LEGAL-42)",
            ),
            lock_file,
            ..JumpStartModel::new("meta-textgeneration-llama-3-2-1b", "1.2.3")
        }),
    );
    AsyncEndpoint::new(
        stack,
        "ChatQueue",
        AsyncEndpointProps {
            // The type the model's container was resolved for (its default,
            // ml.g5.2xlarge, from the lock file); any other is refused at synth.
            instance: chat
                .jumpstart_instance()
                .unwrap_or_else(InstanceType::m5_xlarge),
            alerts: Some(alerts.into()),
            ..AsyncEndpointProps::scale_to_zero(&chat, models.prefix("chat-async/"))
        },
    );
}

/// A pipeline too large to inline and free of stack references, so it is
/// stored in S3 (`PipelineDefinitionS3Location`): many processing steps that
/// name the role, image, script and data by literals.
fn bulk_pipeline(stack: &mut Stack, knobs: &Knobs, models: &Bucket) {
    let role_name = "mlcdk-options-bulk-pipeline";
    let role = Role::new(
        stack,
        "BulkRole",
        RoleProps {
            role_name: Some(role_name.into()),
            description: Some("Runs the bulk pipeline's processing jobs".into()),
            ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
        },
    );
    models.prefix("bulk/").grant_read_write(&role);
    let role_arn = format!("arn:aws:iam::{}:role/{role_name}", knobs.account);
    let bucket = format!("mlcdk-options-bulk-{}", knobs.account);
    let image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3";
    let mut definition = Definition::default();
    for i in 0..120 {
        definition.steps.push(Step::new(
            &format!("Shard{i:03}"),
            StepKind::Processing(definition::ProcessingSpec {
                image: PipelineValue::lit(image),
                role_arn: role_arn.clone().into(),
                instance_type: "ml.m5.large".into(),
                instance_count: 1,
                volume_gb: 30,
                max_runtime_seconds: 3600,
                code: PipelineValue::lit(format!("s3://{bucket}/code/shard.py")),
                script_name: "shard.py".into(),
                arguments: vec!["--shard".into(), i.to_string().into()],
                inputs: vec![(
                    "input".into(),
                    PipelineValue::lit(format!("s3://{bucket}/input/shard-{i:03}/")),
                )],
                outputs: vec![(
                    "output".into(),
                    PipelineValue::lit(format!("s3://{bucket}/output/shard-{i:03}/")),
                )],
                property_files: Vec::new(),
                volume_key: None,
                output_key: None,
            }),
        ));
    }
    // The definition names the role by literal ARN: create the role first.
    Pipeline::new(
        stack,
        "Bulk",
        PipelineProps {
            depends_on: vec![role.resource().clone()],
            ..PipelineProps::new(definition, &role)
        },
    );
}

pub fn app() -> App<Knobs> {
    App::new("options", options_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stage(Stage::staging(
            Env::new("111111111111", "us-east-1"),
            Knobs {
                account: "111111111111".into(),
                monthly_budget_usd: 200,
                budget_emails: vec!["ml-team@example.com".into()],
            },
        ))
        .stage(Stage::production(
            Env::new("222222222222", "us-east-1"),
            Knobs {
                account: "222222222222".into(),
                monthly_budget_usd: 1000,
                budget_emails: vec!["ml-team@example.com".into()],
            },
        ))
}

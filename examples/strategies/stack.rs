//! The model strategies of the README's "Choosing a model strategy", one app
//! each, every one priced for the same traffic ([`traffic`]): train from
//! scratch and fine-tune (instance-hours: a weekly training run and an
//! endpoint up all month), a JumpStart model (instance-hours, no training),
//! and a Bedrock foundation model (tokens, per request). The README shows each function's body and the `cost` of its
//! app; `tests/readme.rs` regenerates the cost blocks from these apps, and
//! each README snippet asserts that it synthesizes what its function here
//! does.
#![allow(dead_code)] // each user of this file uses some of it

use mlcdk::bedrock::*;
use mlcdk::inference::*;
use mlcdk::prelude::*;
use mlcdk::registry::*;
use mlcdk::storage::*;
use mlcdk::training::*;

/// The traffic every strategy is priced for: a million requests a month of
/// 500 input and 200 output tokens (what a short support answer takes).
pub fn traffic() -> mlcdk::core::StageAssumptions {
    mlcdk::core::StageAssumptions {
        requests_per_month: Some(1_000_000.0),
        bedrock_input_tokens_per_request: Some(500.0),
        bedrock_output_tokens_per_request: Some(200.0),
        ..Default::default()
    }
}

/// Train XGBoost from scratch every week, register the model, serve the
/// pinned version from one real-time instance.
pub fn from_scratch(stack: &mut Stack, _: &()) {
    let data = Bucket::new(stack, "Data", BucketProps::default());
    let registry = ModelRegistry::new(stack, "Models", ModelRegistryProps::default());
    let training = TrainingPipeline::new(
        stack,
        "Training",
        TrainingPipelineProps {
            register_into: Some((&registry).into()),
            ..TrainingPipelineProps::xgboost(data.prefix("features/"), data.prefix("pipeline/"))
        },
    );
    PipelineTrigger::new(
        stack,
        "Weekly",
        TriggerProps::schedule(&training, Schedule::weekly("MON", 3)),
    );
    let version = registry.version(1).served_from(training.model_artifacts());
    let model = Model::new(stack, "Model", ModelProps::from_registry(version));
    RealtimeEndpoint::new(
        stack,
        "Serve",
        RealtimeEndpointProps::single(&model, InstanceType::m5_large()),
    );
}

/// The same, fine-tuning a model that already exists (here: one stored in
/// S3) for a shorter run.
pub fn fine_tune(stack: &mut Stack, _: &()) {
    let data = Bucket::new(stack, "Data", BucketProps::default());
    let registry = ModelRegistry::new(stack, "Models", ModelRegistryProps::default());
    let training = TrainingPipeline::new(
        stack,
        "Training",
        TrainingPipelineProps {
            strategy: ModelStrategy::FineTune(data.prefix("base-model/model.tar.gz")),
            max_runtime_seconds: 1800,
            register_into: Some((&registry).into()),
            ..TrainingPipelineProps::xgboost(data.prefix("features/"), data.prefix("pipeline/"))
        },
    );
    PipelineTrigger::new(
        stack,
        "Weekly",
        TriggerProps::schedule(&training, Schedule::weekly("MON", 3)),
    );
    let version = registry.version(1).served_from(training.model_artifacts());
    let model = Model::new(stack, "Model", ModelProps::from_registry(version));
    RealtimeEndpoint::new(
        stack,
        "Serve",
        RealtimeEndpointProps::single(&model, InstanceType::m5_large()),
    );
}

/// A ready model from SageMaker JumpStart, pinned in the options app's
/// `jumpstart.lock`, on one real-time instance of its default type.
pub fn jumpstart(stack: &mut Stack, _: &()) {
    let vision = Model::new(
        stack,
        "Vision",
        ModelProps::jumpstart(JumpStartModel {
            lock_file: "examples/options/jumpstart.lock".into(),
            ..JumpStartModel::new("pytorch-ic-mobilenet-v2", "3.0.25")
        }),
    );
    RealtimeEndpoint::new(
        stack,
        "Serve",
        RealtimeEndpointProps::single(&vision, InstanceType::m5_large()),
    );
}

/// A Bedrock foundation model through the stage's inference profile, with a
/// guardrail; the application's role may invoke exactly the profile and its
/// model.
pub fn bedrock(stack: &mut Stack, _: &()) {
    let haiku = FoundationModel::new("anthropic.claude-3-haiku-20240307-v1:0")
        .expect("a model id of the documented shape");
    let assistant = InferenceProfile::new(stack, "Assistant", InferenceProfileProps::new(&haiku));
    let guard = Guardrail::new(
        stack,
        "Guard",
        GuardrailProps {
            content_filters: vec![ContentFilter::prompt_attack(FilterStrength::High)],
            pii: vec![PiiEntity {
                kind: PiiType::Email,
                action: SensitiveAction::Anonymize,
            }],
            ..GuardrailProps::new("I can't help with that.", "I can't share that answer.")
        },
    );
    let app = Role::new(
        stack,
        "App",
        RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")),
    );
    assistant.grant_invoke(&app);
    guard.grant_apply(&app);
}

/// `define` as an app `name` with one staging stage priced for [`traffic`].
pub fn app(name: &str, define: fn(&mut Stack, &())) -> App<()> {
    App::new(name, define).stage(
        Stage::staging(Env::new("111111111111", "us-east-1"), ()).with_assumptions(traffic()),
    )
}

//! Training rules over SageMaker pipeline definitions: runtime bounds, spot
//! training and tuning limits.

use mlcdk_core::Template;
use serde_json::Value;

use super::of;
use crate::{Hit, Options, Rule, Severity};
use Severity::Error;

/// `TRN-001`: pipeline jobs have a MaxRuntime.
pub(super) const MAX_RUNTIME: Rule = Rule {
    id: "TRN-001",
    severity: Error,
    error_in_production: true,
    title: "pipeline jobs have a MaxRuntime",
    explanation: "A processing, training or tuning job without StoppingCondition.MaxRuntimeInSeconds \
        runs, and bills, until it ends by itself, up to SageMaker's limit of days. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html",
    check: trn_max_runtime,
};

/// `TRN-002`: spot training checkpoints (tuning trials do not share one) and
/// waits long enough.
pub(super) const SPOT: Rule = Rule {
    id: "TRN-002",
    severity: Error,
    error_in_production: true,
    title: "spot training checkpoints (tuning trials do not share one) and waits long enough",
    explanation: "Spot capacity is reclaimed at any time: without checkpoints a training job starts \
        over, and MaxWaitTimeInSeconds below MaxRuntimeInSeconds makes the job invalid. A \
        tuning job is the other way round: its one CheckpointConfig is shared by every \
        trial, so a trial would resume from another trial's state (trained with other \
        hyperparameters); its trials must not checkpoint to one prefix. AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/dg/model-managed-spot-training.html and \
        https://docs.aws.amazon.com/sagemaker/latest/dg/model-checkpoints.html",
    check: trn_spot,
};

/// `TRN-003`: tuning is bounded.
pub(super) const TUNING_BOUNDED: Rule = Rule {
    id: "TRN-003",
    severity: Error,
    error_in_production: true,
    title: "tuning is bounded",
    explanation: "A tuning job multiplies the training bill by its number of training jobs; \
        ResourceLimits.MaxNumberOfTrainingJobs bounds it, at most Options::max_tuning_jobs \
        (default 50). AWS: \
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceLimits.html",
    check: trn_tuning_bounded,
};

/// Every step of every pipeline definition, conditions' branches included.
fn pipeline_steps(t: &Template) -> Vec<(&str, Value)> {
    of(t, "AWS::SageMaker::Pipeline")
        .flat_map(|(id, r)| {
            mlcdk_core::template::pipeline_steps(r)
                .into_iter()
                .map(move |step| (id.as_str(), step))
        })
        .collect()
}

fn step_name(step: &Value) -> &str {
    step.get("Name").and_then(Value::as_str).unwrap_or("?")
}

/// The stopping condition of a training-like step (tuning: its training job
/// definition).
fn stopping_condition(step: &Value) -> Option<Option<&Value>> {
    let args = step.get("Arguments")?;
    match step.get("Type")?.as_str()? {
        "Training" | "Processing" => Some(args.get("StoppingCondition")),
        "Tuning" => Some(args.pointer("/TrainingJobDefinition/StoppingCondition")),
        _ => None,
    }
}

/// Default cap on training jobs per tuning run.
pub const DEFAULT_MAX_TUNING_JOBS: u64 = 50;

/// The check of [`MAX_RUNTIME`].
fn trn_max_runtime(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, step) in pipeline_steps(t) {
        if let Some(stop) = stopping_condition(&step)
            && stop.and_then(|s| s.get("MaxRuntimeInSeconds")).is_none()
        {
            out.push(
                Hit::new(
                    id,
                    format!(
                        "step {} has no StoppingCondition.MaxRuntimeInSeconds; bound its runtime",
                        step_name(&step)
                    ),
                )
                .fix("TrainingPipelineProps { max_runtime_seconds }"),
            );
        }
    }
}

/// The check of [`SPOT`].
fn trn_spot(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, step) in pipeline_steps(t) {
        let (def, tuning) = match step.get("Type").and_then(Value::as_str) {
            Some("Training") => (step.get("Arguments"), false),
            Some("Tuning") => (step.pointer("/Arguments/TrainingJobDefinition"), true),
            _ => (None, false),
        };
        let Some(def) = def else { continue };
        if def.get("EnableManagedSpotTraining") != Some(&Value::Bool(true)) {
            continue;
        }
        let checkpoints = def.pointer("/CheckpointConfig/S3Uri").is_some();
        if tuning && checkpoints {
            out.push(Hit::new(id, format!("step {} gives every trial of its tuning job one CheckpointConfig; a trial would resume from another trial's checkpoint, so leave checkpoints out of tuning (an interrupted trial restarts within MaxWait)", step_name(&step))).fix("TrainingPipelineProps { spot: Some(Spot::without_checkpoints()) } with tuning"));
        } else if !tuning && !checkpoints {
            out.push(Hit::new(id, format!("step {} uses spot without CheckpointConfig; checkpoint to S3 so interruptions resume", step_name(&step))).fix("TrainingPipelineProps { spot: Some(Spot::with_checkpoints(..)) }"));
        }
        let runtime = def
            .pointer("/StoppingCondition/MaxRuntimeInSeconds")
            .and_then(Value::as_u64);
        let wait = def
            .pointer("/StoppingCondition/MaxWaitTimeInSeconds")
            .and_then(Value::as_u64);
        match (runtime, wait) {
            (Some(r), Some(w)) if w >= r => {}
            _ => out.push(Hit::new(id, format!("step {} uses spot with MaxWaitTimeInSeconds {wait:?} below MaxRuntimeInSeconds {runtime:?}; MaxWait must be at least MaxRuntime", step_name(&step))).fix("Spot { max_wait_seconds } at least max_runtime_seconds")),
        }
    }
}

/// The check of [`TUNING_BOUNDED`].
fn trn_tuning_bounded(t: &Template, o: &Options, out: &mut Vec<Hit>) {
    let cap = o.max_tuning_jobs.unwrap_or(DEFAULT_MAX_TUNING_JOBS);
    for (id, step) in pipeline_steps(t) {
        if step.get("Type").and_then(Value::as_str) != Some("Tuning") {
            continue;
        }
        match step.pointer("/Arguments/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs").and_then(Value::as_u64) {
            None => out.push(Hit::new(id, format!("tuning step {} has no ResourceLimits.MaxNumberOfTrainingJobs; bound it (at most {cap})", step_name(&step))).fix("Tuning { max_jobs: Some(..) }, or Tuning::xgboost_auc(max_jobs, max_parallel)")),
            Some(n) if n > cap => out.push(Hit::new(id, format!("tuning step {} runs up to {n} training jobs, above the cap of {cap}; lower MaxNumberOfTrainingJobs", step_name(&step))).fix("Tuning { max_jobs: Some(..) }, or Tuning::xgboost_auc(max_jobs, max_parallel)")),
            _ => {}
        }
    }
}

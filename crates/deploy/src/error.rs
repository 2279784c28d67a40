//! Why a deploy, diff or destroy stopped. Every message says what happened and
//! the way out.

use crate::api::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{what} failed: {source}")]
    Api {
        what: String,
        #[source]
        source: ApiError,
    },
    #[error(
        "stage '{stage}' deploys to account {expected}, but the credentials belong to account {actual}; use credentials (AWS_PROFILE, or the stage's Env::with_profile) of account {expected}"
    )]
    AccountMismatch {
        stage: String,
        expected: String,
        actual: String,
    },
    #[error(
        "the assets bucket {bucket} does not exist; run `bootstrap --stage {stage}` once for this account and region"
    )]
    NotBootstrapped { bucket: String, stage: String },
    #[error("cannot read asset {file}: {reason}")]
    AssetRead { file: String, reason: String },
    #[error(
        "stack {stack} is in ROLLBACK_COMPLETE: its creation failed and it cannot be updated; run `destroy --stage {stage}`, then deploy again"
    )]
    RollbackComplete { stack: String, stage: String },
    #[error(
        "stack {stack} is busy ({status}); wait for the operation to finish, then deploy again"
    )]
    Busy { stack: String, status: String },
    #[error(
        "stack {stack} is in {status} ({reason}); it needs attention in the CloudFormation console (continue the rollback or delete it) before mlcdk can deploy it"
    )]
    Unrecoverable {
        stack: String,
        status: String,
        reason: String,
    },
    #[error("the change set for {stack} failed: {reason}")]
    ChangeSetFailed { stack: String, reason: String },
    #[error(
        "refusing to deploy {stack}: stateful resources would lose their data:\n  {}\npass --allow-replace if that is intended",
        resources.join("\n  ")
    )]
    StatefulChange {
        stack: String,
        resources: Vec<String>,
    },
    #[error("refusing to {action} without confirmation: no terminal to ask on; pass --yes")]
    NeedsConfirmation { action: String },
    #[error("cancelled: nothing was changed")]
    Declined,
    #[error("{}", failed_message(stack, stage, status, first_failure.as_deref()))]
    Failed {
        stack: String,
        stage: String,
        status: String,
        first_failure: Option<String>,
    },
    #[error(
        "{stack} is a production stack; destroying it needs the explicit flag: `destroy --stage {stage} --production`"
    )]
    ProductionNeedsFlag { stack: String, stage: String },
    #[error(
        "{stack} has termination protection on; turn it off first: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {stack} --region {region}"
    )]
    TerminationProtected { stack: String, region: String },
    #[error("gave up waiting for {what}")]
    Timeout { what: String },
}

fn failed_message(stack: &str, stage: &str, status: &str, first: Option<&str>) -> String {
    let mut m = format!("{stack} ended in {status}");
    match first {
        Some(f) => m.push_str(&format!("; first failure: {f}")),
        None => m.push_str("; no resource reported a reason"),
    }
    if status == "ROLLBACK_COMPLETE" {
        m.push_str(&format!(
            "\nthe stack was never created; fix the cause, then `destroy --stage {stage}` and deploy again"
        ));
    }
    m
}

//! Why a deploy, diff or destroy stopped. Every message says what happened and
//! the way out.

use crate::api::ApiError;

/// Why the deployer stopped; the message names the way out.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// An AWS call failed (after retries when it was throttled).
    #[error("{what} failed: {source}")]
    Api {
        /// The call, e.g. `cloudformation:CreateChangeSet`.
        what: String,
        /// The service's error.
        #[source]
        source: ApiError,
    },
    /// The credentials belong to another account than the stage's.
    #[error(
        "stage '{stage}' deploys to account {expected}, but the credentials belong to account {actual}; use credentials (AWS_PROFILE, or the stage's Env::with_profile) of account {expected}"
    )]
    AccountMismatch {
        /// The stage's name.
        stage: String,
        /// The stage's account.
        expected: String,
        /// The credentials' account.
        actual: String,
    },
    /// The environment has no assets bucket yet.
    #[error(
        "the assets bucket {bucket} does not exist; run `bootstrap --stage {stage}` once for this account and region"
    )]
    NotBootstrapped {
        /// The bucket looked for.
        bucket: String,
        /// The stage to bootstrap.
        stage: String,
    },
    /// An asset file could not be read for upload.
    #[error("cannot read asset {file}: {reason}")]
    AssetRead {
        /// The file.
        file: String,
        /// The I/O error.
        reason: String,
    },
    /// The stack's first creation failed; it must be deleted before a deploy.
    #[error(
        "stack {stack} is in ROLLBACK_COMPLETE: its creation failed and it cannot be updated; run `destroy --stage {stage}`, then deploy again"
    )]
    RollbackComplete {
        /// The stack's name.
        stack: String,
        /// The stage to destroy.
        stage: String,
    },
    /// Another operation is running on the stack.
    #[error(
        "stack {stack} is busy ({status}); wait for the operation to finish, then deploy again"
    )]
    Busy {
        /// The stack's name.
        stack: String,
        /// Its `…_IN_PROGRESS` status.
        status: String,
    },
    /// The stack is stuck in a failed state only the console (or the API)
    /// can get it out of.
    #[error(
        "stack {stack} is in {status} ({reason}); it needs attention in the CloudFormation console (continue the rollback or delete it) before mlcdk can deploy it"
    )]
    Unrecoverable {
        /// The stack's name.
        stack: String,
        /// Its status, e.g. `UPDATE_ROLLBACK_FAILED`.
        status: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// CloudFormation could not create the change set (other than "no changes").
    #[error("the change set for {stack} failed: {reason}")]
    ChangeSetFailed {
        /// The stack's name.
        stack: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// The change set replaces or deletes stateful resources and
    /// `--allow-replace` was not given.
    #[error(
        "refusing to deploy {stack}: stateful resources would lose their data:\n  {}\npass --allow-replace if that is intended",
        resources.join("\n  ")
    )]
    StatefulChange {
        /// The stack's name.
        stack: String,
        /// One line per resource: logical ID, type and the change.
        resources: Vec<String>,
    },
    /// The update would change the instance type of an endpoint variant that
    /// is registered for autoscaling, which `UpdateEndpoint` refuses.
    #[error(
        "refusing to deploy {stack}: the instance type of an autoscaled endpoint variant would change, which UpdateEndpoint refuses while the variant is a scalable target (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling.html):\n  {}\ndeploy in two steps: first without autoscaling on the variant (the same instance type), then the new instance type with autoscaling back",
        variants.join("\n  ")
    )]
    AutoscaledInstanceTypeChange {
        /// The stack's name.
        stack: String,
        /// One line per variant: endpoint, variant, old → new type.
        variants: Vec<String>,
    },
    /// A confirmation was needed, there is no terminal to ask on, and `--yes`
    /// was not given.
    #[error("refusing to {action} without confirmation: no terminal to ask on; pass --yes")]
    NeedsConfirmation {
        /// What would have been done, e.g. `destroy churn-staging`.
        action: String,
    },
    /// The person running it answered no.
    #[error("cancelled: nothing was changed")]
    Declined,
    /// The change set ran and the stack ended in a failed or rolled-back state.
    #[error("{}", failed_message(stack, stage, status, first_failure.as_deref()))]
    Failed {
        /// The stack's name.
        stack: String,
        /// The stage's name.
        stage: String,
        /// The final status, e.g. `UPDATE_ROLLBACK_COMPLETE`.
        status: String,
        /// The first resource failure's reason, usually the cause.
        first_failure: Option<String>,
    },
    /// `destroy` of a production stack without `--production`.
    #[error(
        "{stack} is a production stack; destroying it needs the explicit flag: `destroy --stage {stage} --production`"
    )]
    ProductionNeedsFlag {
        /// The stack's name.
        stack: String,
        /// The stage's name.
        stage: String,
    },
    /// `destroy` of a stack with termination protection on.
    #[error(
        "{stack} has termination protection on; turn it off first: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {stack} --region {region}"
    )]
    TerminationProtected {
        /// The stack's name.
        stack: String,
        /// Its region, for the command in the message.
        region: String,
    },
    /// A change set or stack did not settle within `max_polls` polls.
    #[error("gave up waiting for {what}: {state}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// Where it stood, and what goes on without mlcdk.
        state: String,
    },
    /// A change set waits on the stack: another deploy is at its prompt, or
    /// one was interrupted before executing it. mlcdk never deletes a change
    /// set someone may still execute.
    #[error("{}", pending_message(stack, stage, region, *in_review, change_sets))]
    PendingChangeSet {
        /// The stack's name.
        stack: String,
        /// The stage's name.
        stage: String,
        /// The stack's region, for the commands in the message.
        region: String,
        /// The stack is still in `REVIEW_IN_PROGRESS` (never deployed).
        in_review: bool,
        /// `(id, description)` of each waiting change set.
        change_sets: Vec<(String, String)>,
    },
    /// The change set was executed, then something failed (a connection, a
    /// bound): CloudFormation goes on deploying without mlcdk.
    #[error(
        "the change set for {stack} was executed, so CloudFormation is deploying it whatever happens to this run; then: {source}\nfollow the stack in the console or with `aws cloudformation describe-stacks --stack-name {stack} --region {region}`, and run `diff` or `deploy` again once it has settled"
    )]
    AfterExecute {
        /// The stack's name.
        stack: String,
        /// Its region.
        region: String,
        /// What failed after the execution started.
        #[source]
        source: Box<DeployError>,
    },
    /// `drift` of a stage whose stack is not deployed.
    #[error(
        "{stack} is not deployed (no stack, or only a change set waiting in review): there is nothing to check for drift; deploy it with `deploy --stage {stage}`"
    )]
    NotDeployed {
        /// The stack's name.
        stack: String,
        /// The stage's name.
        stage: String,
    },
    /// `drift` found resources that differ from the deployed template.
    #[error(
        "{stack} has drifted: {drifted} resource{} differ{} from the deployed template ({security} security-relevant); keep a change by putting it into the definition and deploying, or undo it where it was made (a deploy reverts only the resources its change set updates)",
        if *drifted == 1 { "" } else { "s" },
        if *drifted == 1 { "s" } else { "" }
    )]
    Drifted {
        /// The stack's name.
        stack: String,
        /// How many resources drifted.
        drifted: usize,
        /// How many of them have a security-relevant difference.
        security: usize,
    },
    /// Drift detection ended in `DETECTION_FAILED` and found no drift among
    /// the resources it did check: the stack is not known to be in sync.
    #[error(
        "drift detection of {stack} failed: {reason}; the resources it could check are listed above, the others are unknown"
    )]
    DriftDetectionFailed {
        /// The stack's name.
        stack: String,
        /// CloudFormation's `DetectionStatusReason`.
        reason: String,
    },
    /// The deploy's change set updates, replaces or deletes resources that
    /// drifted, and `--allow-drift` was not given.
    #[error(
        "refusing to deploy {stack}: its change set updates resources that were changed outside CloudFormation, and the update can revert those changes:\n  {}\nput the changes you want to keep into the definition, or pass --allow-drift to revert them",
        resources.join("\n  ")
    )]
    DriftWouldBeOverwritten {
        /// The stack's name.
        stack: String,
        /// What would be reverted, one line per resource or property.
        resources: Vec<String>,
    },
    /// Drift detection before a deploy did not finish (failed, timed out, an
    /// AWS error), and `--allow-drift` was not given.
    #[error(
        "refusing to deploy {stack}: drift detection did not finish ({reason}), so it is unknown whether the deploy would revert changes made outside CloudFormation; run `drift --stage {stage}` to see, or pass --allow-drift to deploy anyway"
    )]
    DriftUnknown {
        /// The stack's name.
        stack: String,
        /// The stage's name.
        stage: String,
        /// Why detection did not finish.
        reason: String,
    },
    /// The change set was executed but the stack stayed in review: nothing is
    /// being deployed (moto does this when an earlier deploy left a stack of
    /// the same name in review).
    #[error(
        "{stack} is still REVIEW_IN_PROGRESS after its change set was executed: CloudFormation did not start the deployment; run `destroy` for this stage, then deploy again"
    )]
    NotStarted {
        /// The stack's name.
        stack: String,
    },
}

fn pending_message(
    stack: &str,
    stage: &str,
    region: &str,
    in_review: bool,
    change_sets: &[(String, String)],
) -> String {
    let mut m = format!(
        "another deploy of {stack} is in progress, or an earlier one stopped before executing its change set; waiting on the stack:"
    );
    for (_, what) in change_sets {
        m.push_str(&format!("\n  {what}"));
    }
    m.push_str("\nmlcdk does not delete a change set someone may still execute. If no other deploy of this stage is running, ");
    if in_review {
        m.push_str(&format!(
            "remove the never-deployed stack with its change sets: `destroy --stage {stage}`, then deploy again"
        ));
    } else {
        m.push_str("delete the change set, then deploy again:");
        for (id, _) in change_sets {
            m.push_str(&format!(
                "\n  aws cloudformation delete-change-set --change-set-name {id} --region {region}"
            ));
        }
    }
    m
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

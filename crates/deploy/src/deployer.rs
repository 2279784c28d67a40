//! The deployment state machine: assets, change sets, refusals, confirmation,
//! execution with events, outputs; diff; destroy; bootstrap.

use std::future::Future;
use std::time::Duration;

use mlcdk_core::limits::MAX_INLINE_TEMPLATE_BYTES;
use mlcdk_core::stateful::is_stateful;
use mlcdk_core::template::{DeletionPolicy, Template};
use mlcdk_core::{StageKind, SynthesizedStack};
use sha2::{Digest, Sha256};

use crate::api::{
    ApiError, ChangeSetDescription, ChangeSetRequest, ChangeSetSummary, ChangeSetType,
    CloudFormationApi, CreatedChangeSet, Identity, ObjectStore, ResourceChange, StackDescription,
    TemplateSource, is_no_changes_reason,
};
use crate::drift::DriftReport;
use crate::error::DeployError;
use crate::ui::Ui;

/// How the deployer behaves.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// Skip the confirmation question.
    pub yes: bool,
    /// Allow replacing or deleting stateful resources (buckets, keys, registries…).
    pub allow_replace: bool,
    /// For `destroy`: the explicit flag a production stack needs.
    pub production: bool,
    /// Pause between polls of a change set or a stack.
    pub poll_interval: Duration,
    /// First pause after a throttled call; doubles on each retry.
    pub retry_base: Duration,
    /// Calls tried at most this many times when throttled.
    pub max_attempts: u32,
    /// Give up waiting for a stack after this many polls (with the default
    /// interval, 2 hours: CloudFormation's own bound for most resources).
    pub max_polls: u32,
    /// While waiting, say that the wait goes on every this many polls without
    /// a new event (default 10: every 30 s), so a long wait is never silent.
    pub progress_every: u32,
    /// A stack still in `REVIEW_IN_PROGRESS` this many polls after its change
    /// set was executed is not being deployed (default 20: one minute).
    pub max_review_polls: u32,
    /// Run drift detection before a deploy (always done for production).
    pub check_drift: bool,
    /// Deploy even when the change set overwrites drifted resources, or when
    /// drift detection did not finish.
    pub allow_drift: bool,
    /// Give up waiting for a drift detection after this many polls (default
    /// 200: 10 minutes with the default interval; AWS says detection "can
    /// take up to several minutes").
    pub max_drift_polls: u32,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            yes: false,
            allow_replace: false,
            production: false,
            poll_interval: Duration::from_secs(3),
            retry_base: Duration::from_millis(500),
            max_attempts: 6,
            max_polls: 2400,
            progress_every: 10,
            max_review_polls: 20,
            check_drift: false,
            allow_drift: false,
            max_drift_polls: 200,
        }
    }
}

/// What a deploy did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeployOutcome {
    /// The stack already matched the template; the empty change set was deleted.
    NoChanges,
    /// The change set ran; the stack ended in `status`.
    Deployed {
        /// The final stack status, e.g. `UPDATE_COMPLETE`.
        status: String,
        /// `(output key, value)` of the stack.
        outputs: Vec<(String, String)>,
    },
}

/// Where a deploy or destroy stands, so an interrupted run (Ctrl-C, a
/// dropped future) can clean up what is safe and say what it left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Nothing changed yet (or what changed was cleaned up).
    #[default]
    Idle,
    /// A change set exists and was not executed.
    Prepared {
        /// The stack's name.
        stack: String,
        /// The change set.
        created: CreatedChangeSet,
        /// Whether it creates the stack.
        kind: ChangeSetType,
    },
    /// The change set was executed (or the deletion started): CloudFormation
    /// goes on without mlcdk.
    Started {
        /// The stack's name.
        stack: String,
        /// What was started: `deployment` or `deletion`.
        what: &'static str,
    },
}

/// The name of an environment's assets bucket (what `bootstrap` creates;
/// one spelling, core's [`mlcdk_core::asset::ASSETS_BUCKET_PATTERN`]).
pub fn assets_bucket(account: &str, region: &str) -> String {
    mlcdk_core::asset::assets_bucket_name(account, region)
}

/// The deployer, over any implementation of the three APIs.
pub struct Deployer<C, S, I> {
    /// CloudFormation.
    pub cfn: C,
    /// S3, for assets and large templates.
    pub s3: S,
    /// STS, to check the account before anything changes.
    pub identity: I,
    /// Confirmation, safety flags, polling and retries.
    pub options: DeployOptions,
    phase: std::cell::RefCell<Phase>,
}

const STATUS_IN_PROGRESS: &str = "_IN_PROGRESS";

impl<C: CloudFormationApi, S: ObjectStore, I: Identity> Deployer<C, S, I> {
    /// A deployer over these clients.
    pub fn new(cfn: C, s3: S, identity: I, options: DeployOptions) -> Self {
        Deployer {
            cfn,
            s3,
            identity,
            options,
            phase: Default::default(),
        }
    }

    /// Where the last deploy or destroy stands.
    pub fn phase(&self) -> Phase {
        self.phase.borrow().clone()
    }

    fn set_phase(&self, phase: Phase) {
        *self.phase.borrow_mut() = phase;
    }

    /// After a deploy or destroy was interrupted (its future dropped): drops
    /// a change set that was made and not executed (and the empty stack a
    /// first deploy made for it, under the same rules as a declined deploy),
    /// and returns what the run leaves behind, for the user.
    pub async fn recover(&self) -> String {
        match self.phase() {
            Phase::Idle => "interrupted before anything was changed".to_string(),
            Phase::Prepared {
                stack,
                created,
                kind,
            } => {
                let left = self.abandon(&stack, &created, kind).await;
                self.set_phase(Phase::Idle);
                format!("interrupted before the change set was executed: {left}")
            }
            Phase::Started { stack, what } => format!(
                "interrupted after the {what} of {stack} started: CloudFormation goes on with it; follow it in the console or with `aws cloudformation describe-stacks --stack-name {stack}`, and run `diff` once it has settled"
            ),
        }
    }

    /// Retries a call while it is throttled, with exponential backoff.
    async fn call<T, F, Fut>(&self, what: &str, mut f: F) -> Result<T, DeployError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut delay = self.options.retry_base;
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if e.is_throttling() && attempt < self.options.max_attempts => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(e) => {
                    return Err(DeployError::Api {
                        what: what.to_string(),
                        source: e,
                    });
                }
                Ok(v) => return Ok(v),
            }
        }
    }

    /// The caller's account, checked against the stage's.
    async fn check_account(&self, stack: &SynthesizedStack) -> Result<String, DeployError> {
        let actual = self
            .call("sts:GetCallerIdentity", || self.identity.account_id())
            .await?;
        if let Some(expected) = &stack.info.env.account
            && *expected != actual
        {
            return Err(DeployError::AccountMismatch {
                stage: stack.info.name.clone(),
                expected: expected.clone(),
                actual,
            });
        }
        Ok(actual)
    }

    /// The checks every command starts with: the caller's account (checked
    /// against the stage's) and the stack as deployed (`None`: not there).
    async fn begin(
        &self,
        stack: &SynthesizedStack,
    ) -> Result<(String, Option<StackDescription>), DeployError> {
        let account = self.check_account(stack).await?;
        let name = &stack.info.stack_name;
        let existing = self
            .call("cloudformation:DescribeStacks", || {
                self.cfn.describe_stack(name)
            })
            .await?;
        Ok((account, existing))
    }

    /// Uploads the stack's assets (unless `with_assets` is false: a diff needs
    /// only the template) and its template when too large to pass inline;
    /// returns where the template comes from.
    async fn upload(
        &self,
        stack: &SynthesizedStack,
        account: &str,
        with_assets: bool,
        ui: &mut dyn Ui,
    ) -> Result<TemplateSource, DeployError> {
        let large = stack.text.len() > MAX_INLINE_TEMPLATE_BYTES;
        let assets = if with_assets {
            stack.assets.as_slice()
        } else {
            &[]
        };
        if assets.is_empty() && !large {
            return Ok(TemplateSource::Body(stack.text.clone()));
        }
        let bucket = assets_bucket(account, &stack.info.env.region);
        if !self
            .call("s3:HeadBucket", || self.s3.bucket_exists(&bucket))
            .await?
        {
            return Err(DeployError::NotBootstrapped {
                bucket,
                stage: stack.info.name.clone(),
            });
        }
        for asset in assets {
            if self
                .call("s3:HeadObject", || {
                    self.s3.object_exists(&bucket, &asset.key)
                })
                .await?
            {
                ui.line(&format!(
                    "asset {} already uploaded ({})",
                    asset.source, asset.key
                ));
                continue;
            }
            let body = asset.bytes().map_err(|e| DeployError::AssetRead {
                file: asset.file.display().to_string(),
                reason: e.to_string(),
            })?;
            self.call("s3:PutObject", || {
                self.s3.put_object(&bucket, &asset.key, body.clone())
            })
            .await?;
            ui.line(&format!(
                "asset {} uploaded to s3://{bucket}/{}",
                asset.source, asset.key
            ));
        }
        if !large {
            return Ok(TemplateSource::Body(stack.text.clone()));
        }
        let hash: String = Sha256::digest(stack.text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key = format!("templates/{}-{hash}.json", stack.info.stack_name);
        self.call("s3:PutObject", || {
            self.s3
                .put_object(&bucket, &key, stack.text.clone().into_bytes())
        })
        .await?;
        ui.line(&format!(
            "template is {} bytes (over {MAX_INLINE_TEMPLATE_BYTES}): uploaded to s3://{bucket}/{key}",
            stack.text.len()
        ));
        Ok(TemplateSource::Url(format!(
            "https://{bucket}.s3.amazonaws.com/{key}"
        )))
    }

    /// The change set type the stack's state calls for, or why it cannot be
    /// deployed now.
    fn change_set_type(
        stack: &SynthesizedStack,
        existing: Option<&StackDescription>,
    ) -> Result<ChangeSetType, DeployError> {
        let Some(s) = existing else {
            return Ok(ChangeSetType::Create);
        };
        match s.status.as_str() {
            "REVIEW_IN_PROGRESS" => Ok(ChangeSetType::Create),
            "ROLLBACK_COMPLETE" => Err(DeployError::RollbackComplete {
                stack: s.name.clone(),
                stage: stack.info.name.clone(),
            }),
            status if status.ends_with(STATUS_IN_PROGRESS) => Err(DeployError::Busy {
                stack: s.name.clone(),
                status: status.to_string(),
            }),
            status if status.ends_with("_FAILED") => Err(DeployError::Unrecoverable {
                stack: s.name.clone(),
                status: status.to_string(),
                reason: s.status_reason.clone().unwrap_or_default(),
            }),
            _ => Ok(ChangeSetType::Update),
        }
    }

    /// Creates a change set and waits for it. `Ok(None)`: no changes (the
    /// change set is already deleted).
    async fn prepare_change_set(
        &self,
        stack: &SynthesizedStack,
        template: TemplateSource,
        kind: ChangeSetType,
    ) -> Result<Option<(CreatedChangeSet, ChangeSetDescription)>, DeployError> {
        let request = ChangeSetRequest {
            stack_name: stack.info.stack_name.clone(),
            change_set_name: change_set_name(),
            change_set_type: kind,
            template,
            capabilities: capabilities(&stack.template),
            tags: vec![
                ("app".to_string(), stack.info.app.clone()),
                ("stage".to_string(), stack.info.name.clone()),
            ],
            description: Some("mlcdk deploy".to_string()),
        };
        let created = self
            .call("cloudformation:CreateChangeSet", || {
                self.cfn.create_change_set(&request)
            })
            .await;
        let created = match created {
            Ok(created) => created,
            Err(DeployError::Api { source, .. }) if source.is_no_changes() => return Ok(None),
            Err(e) => return Err(e),
        };
        let id = created.id.clone();
        // From here an interrupted run has a change set to clean up.
        self.set_phase(Phase::Prepared {
            stack: stack.info.stack_name.clone(),
            created: created.clone(),
            kind,
        });
        let mut polls = 0;
        let description = loop {
            let d = self
                .call("cloudformation:DescribeChangeSet", || {
                    self.cfn.describe_change_set(&id)
                })
                .await?;
            match d.status.as_str() {
                "CREATE_PENDING" | "CREATE_IN_PROGRESS" => {}
                _ => break d,
            }
            polls += 1;
            if polls >= self.options.max_polls {
                let _ = self.cfn.delete_change_set(&id).await;
                return Err(DeployError::Timeout {
                    what: format!("change set {id}"),
                    state: format!(
                        "still {} after {polls} polls; it was deleted, nothing was changed",
                        d.status
                    ),
                });
            }
            tokio::time::sleep(self.options.poll_interval).await;
        };
        let failed = description.status == "FAILED";
        let no_changes = (!failed && description.changes.is_empty())
            || description
                .status_reason
                .as_deref()
                .is_some_and(is_no_changes_reason);
        if failed && !no_changes {
            let _ = self.abandon(&stack.info.stack_name, &created, kind).await;
            return Err(DeployError::ChangeSetFailed {
                stack: stack.info.stack_name.clone(),
                reason: description.status_reason.unwrap_or_default(),
            });
        }
        if no_changes {
            self.abandon(&stack.info.stack_name, &created, kind).await;
            return Ok(None);
        }
        Ok(Some((created, description)))
    }

    /// Drops a change set that will not run, and says what was left behind.
    ///
    /// For a CREATE change set the stack made to hold it (`REVIEW_IN_PROGRESS`,
    /// no resources) goes too — but only that stack, by id, and only while it
    /// is still in review with no other change set waiting on it: a second
    /// deploy of the same stack may have put one there, and a first one may
    /// have executed its own meanwhile. Deleting by name here once deleted a
    /// concurrent deploy's finished stack.
    async fn abandon(
        &self,
        stack_name: &str,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
    ) -> String {
        let left = self.abandon_steps(stack_name, created, kind).await;
        // Only now: an interrupt in the middle of the cleanup must find the
        // change set still recorded, so `recover` finishes the job.
        self.set_phase(Phase::Idle);
        left
    }

    async fn abandon_steps(
        &self,
        stack_name: &str,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
    ) -> String {
        let deleted = self
            .call("cloudformation:DeleteChangeSet", || {
                self.cfn.delete_change_set(&created.id)
            })
            .await;
        if let Err(e) = deleted {
            return format!(
                "the change set {} could not be deleted ({e}); delete it: aws cloudformation delete-change-set --change-set-name {}",
                created.id, created.id
            );
        }
        if kind != ChangeSetType::Create {
            return format!("change set deleted; {stack_name} is unchanged");
        }
        let current = self.cfn.describe_stack(stack_name).await.ok().flatten();
        let ours = current.as_ref().is_some_and(|s| {
            s.status == "REVIEW_IN_PROGRESS" && !s.id.is_empty() && s.id == created.stack_id
        });
        if !ours {
            return format!(
                "change set deleted; {stack_name} was left as it is (it is no longer the empty stack this deploy made)"
            );
        }
        let others = match self.cfn.list_change_sets(&created.stack_id).await {
            Ok(list) => list
                .iter()
                .filter(|c| c.id != created.id && c.is_pending() && c.belongs_to(&created.stack_id))
                .count(),
            Err(e) => {
                return format!(
                    "change set deleted; {stack_name} was kept in REVIEW_IN_PROGRESS: its change sets could not be listed ({e})"
                );
            }
        };
        if others > 0 {
            return format!(
                "change set deleted; {stack_name} was kept: another deploy's change set is waiting on it"
            );
        }
        match self.cfn.delete_stack(&created.stack_id).await {
            Ok(()) => format!(
                "change set and the empty stack {stack_name} (REVIEW_IN_PROGRESS) deleted; nothing was deployed"
            ),
            Err(e) => format!(
                "change set deleted; the empty stack {stack_name} could not be deleted ({e}); the next deploy removes it"
            ),
        }
    }

    /// Before a deploy changes anything: refuses while a change set waits on
    /// the stack (another deploy at its prompt, or one that was interrupted
    /// before executing), and removes the empty stack an interrupted first
    /// deploy left in review. Returns the stack as it now is.
    async fn settle(
        &self,
        stack: &SynthesizedStack,
        existing: Option<StackDescription>,
        ui: &mut dyn Ui,
    ) -> Result<Option<StackDescription>, DeployError> {
        let Some(s) = existing else {
            return Ok(None);
        };
        let change_sets = self
            .call("cloudformation:ListChangeSets", || {
                self.cfn.list_change_sets(&s.name)
            })
            .await?;
        let pending: Vec<&ChangeSetSummary> = change_sets
            .iter()
            .filter(|c| c.is_pending() && c.belongs_to(&s.id))
            .collect();
        if !pending.is_empty() {
            return Err(DeployError::PendingChangeSet {
                stack: s.name.clone(),
                stage: stack.info.name.clone(),
                region: stack.info.env.region.clone(),
                in_review: s.status == "REVIEW_IN_PROGRESS",
                change_sets: pending
                    .iter()
                    .map(|c| (c.id.clone(), describe_change_set_summary(c)))
                    .collect(),
            });
        }
        if s.status != "REVIEW_IN_PROGRESS" {
            return Ok(Some(s));
        }
        // In review with no change set: a first deploy stopped between making
        // its change set and executing it, and its change set is gone. The
        // stack holds no resources; CloudFormation may not deploy into it
        // again (moto makes a second stack of the same name), so it goes.
        let target = if s.id.is_empty() {
            s.name.clone()
        } else {
            s.id.clone()
        };
        self.call("cloudformation:DeleteStack", || {
            self.cfn.delete_stack(&target)
        })
        .await?;
        let mut polls = 0;
        while let Some(d) = self
            .call("cloudformation:DescribeStacks", || {
                self.cfn.describe_stack(&s.name)
            })
            .await?
        {
            if d.status == "DELETE_COMPLETE" || (!s.id.is_empty() && d.id != s.id) {
                break;
            }
            polls += 1;
            if polls >= self.options.max_polls {
                return Err(DeployError::Timeout {
                    what: format!("the deletion of the empty stack {}", s.name),
                    state: format!("still {} after {polls} polls", d.status),
                });
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
        ui.line(&format!(
            "removed the empty stack {} that an earlier deploy left in REVIEW_IN_PROGRESS without a change set",
            s.name
        ));
        Ok(None)
    }

    /// Deploy one stage's stack.
    pub async fn deploy(
        &self,
        stack: &SynthesizedStack,
        ui: &mut dyn Ui,
    ) -> Result<DeployOutcome, DeployError> {
        let name = &stack.info.stack_name;
        let (account, existing) = self.begin(stack).await?;
        let kind = Self::change_set_type(stack, existing.as_ref())?;
        let existing = self.settle(stack, existing, ui).await?;
        let kind = if existing.is_none() {
            ChangeSetType::Create
        } else {
            kind
        };
        ui.line(&format!(
            "{} stack {name} in {account}/{}",
            match kind {
                ChangeSetType::Create => "creating",
                ChangeSetType::Update => "updating",
            },
            stack.info.env.region
        ));
        // Before anything is uploaded or created: an update that changes the
        // instance type of an autoscaled variant fails half-way on AWS.
        if kind == ChangeSetType::Update
            && stack
                .template
                .resources_of_type("AWS::SageMaker::Endpoint")
                .next()
                .is_some()
        {
            let deployed = self
                .call("cloudformation:GetTemplate", || self.cfn.get_template(name))
                .await?;
            let variants = Template::from_json_str(&deployed)
                .map(|old| autoscaled_instance_changes(&old, &stack.template))
                .unwrap_or_default();
            if !variants.is_empty() {
                return Err(DeployError::AutoscaledInstanceTypeChange {
                    stack: name.clone(),
                    variants,
                });
            }
        }
        // Drift is looked at before anything is uploaded or created, in
        // production always, elsewhere when asked. A stack being created has
        // nothing deployed that could have drifted.
        let drift = if kind == ChangeSetType::Update
            && (self.options.check_drift || stack.info.kind == StageKind::Production)
        {
            self.drift_before_deploy(stack, ui).await?
        } else {
            None
        };
        let template = self.upload(stack, &account, true, ui).await?;
        let Some((created, description)) = self.prepare_change_set(stack, template, kind).await?
        else {
            ui.line(&format!("{name}: no changes"));
            if let Some(report) = drift.as_ref().filter(|r| r.has_drift()) {
                ui.warn(&format!(
                    "{} drifted resource{} stay{} as {} (a deploy without changes touches nothing)",
                    report.drifted.len(),
                    plural(report.drifted.len()),
                    if report.drifted.len() == 1 { "s" } else { "" },
                    if report.drifted.len() == 1 {
                        "it is"
                    } else {
                        "they are"
                    }
                ));
            }
            return Ok(DeployOutcome::NoChanges);
        };
        print_changes(&description.changes, ui);

        let risky: Vec<&ResourceChange> = description
            .changes
            .iter()
            .filter(|c| is_stateful(&c.resource_type) && (c.is_removal() || c.is_replacement()))
            .collect();
        if !risky.is_empty() && !self.options.allow_replace {
            let left = self.abandon(name, &created, kind).await;
            ui.line(&left);
            return Err(DeployError::StatefulChange {
                stack: name.clone(),
                resources: risky
                    .iter()
                    .map(|c| {
                        format!(
                            "{} ({}) would be {}",
                            c.logical_id,
                            c.resource_type,
                            if c.is_removal() {
                                "deleted"
                            } else {
                                "replaced"
                            }
                        )
                    })
                    .collect(),
            });
        }
        if let Some(report) = &drift {
            // A change set updates only the resources it lists: drift on the
            // others stays, drift on these is overwritten by the template.
            let (touched, untouched): (Vec<_>, Vec<_>) = report.drifted.iter().partition(|d| {
                description
                    .changes
                    .iter()
                    .any(|c| c.logical_id == d.logical_id)
            });
            if !untouched.is_empty() {
                ui.line(&format!(
                    "{} drifted resource{} not in this change set stay{} as {} (CloudFormation updates only the resources a change set lists)",
                    untouched.len(),
                    plural(untouched.len()),
                    if untouched.len() == 1 { "s" } else { "" },
                    if untouched.len() == 1 { "it is" } else { "they are" }
                ));
            }
            if !touched.is_empty() {
                let lines = overwrite_lines(&touched, &description.changes);
                if !self.options.allow_drift {
                    let left = self.abandon(name, &created, kind).await;
                    ui.line(&left);
                    return Err(DeployError::DriftWouldBeOverwritten {
                        stack: name.clone(),
                        resources: lines,
                    });
                }
                ui.warn(
                    "this deploy overwrites changes made outside CloudFormation (--allow-drift):",
                );
                for l in &lines {
                    ui.warn(&format!("  {l}"));
                }
            }
        }
        if !self.options.yes {
            if !ui.can_ask() {
                let left = self.abandon(name, &created, kind).await;
                ui.line(&left);
                return Err(DeployError::NeedsConfirmation {
                    action: format!("deploy {name}"),
                });
            }
            let question = format!(
                "Deploy {} change{} to {name}?",
                description.changes.len(),
                if description.changes.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
            if !ui.confirm(&question) {
                let left = self.abandon(name, &created, kind).await;
                ui.line(&left);
                return Err(DeployError::Declined);
            }
        }

        let seen = self.latest_event_id(name).await?;
        // Marked before the call: once it is sent, it may have run.
        self.set_phase(Phase::Started {
            stack: name.clone(),
            what: "deployment",
        });
        self.call("cloudformation:ExecuteChangeSet", || {
            self.cfn.execute_change_set(&created.id)
        })
        .await?;
        ui.progress_start(description.changes.len());
        let result = self.wait_for_stack(name, seen, ui).await;
        ui.progress_finish();
        // From here on CloudFormation deploys whatever happens to this run:
        // an error must say so, or the user thinks nothing changed.
        let (final_stack, first_failure) = result.map_err(|e| DeployError::AfterExecute {
            stack: name.clone(),
            region: stack.info.env.region.clone(),
            source: Box::new(e),
        })?;
        let status = final_stack
            .as_ref()
            .map_or("DELETE_COMPLETE".to_string(), |s| s.status.clone());
        if !matches!(
            status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
        ) {
            return Err(DeployError::Failed {
                stack: name.clone(),
                stage: stack.info.name.clone(),
                status,
                first_failure,
            });
        }
        let stack_desc = final_stack.expect("a completed stack exists");
        if stack.info.kind == StageKind::Production && !stack_desc.termination_protection {
            self.call("cloudformation:UpdateTerminationProtection", || {
                self.cfn.set_termination_protection(name, true)
            })
            .await?;
            ui.line(&format!("termination protection enabled on {name}"));
        }
        ui.line(&format!("{name}: {status}"));
        for (k, v) in &stack_desc.outputs {
            ui.line(&format!("  {k} = {v}"));
        }
        Ok(DeployOutcome::Deployed {
            status,
            outputs: stack_desc.outputs,
        })
    }

    async fn latest_event_id(&self, name: &str) -> Result<Option<String>, DeployError> {
        // A stack that is only REVIEW_IN_PROGRESS may have events; none counts.
        let events = match self
            .call("cloudformation:DescribeStackEvents", || {
                self.cfn.stack_events(name)
            })
            .await
        {
            Ok(events) => events,
            Err(DeployError::Api { source, .. }) if source.message.contains("does not exist") => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok(events.first().map(|e| e.id.clone()))
    }

    /// Polls events and status until the stack leaves `*_IN_PROGRESS`.
    /// Returns the final description (`None` once deleted) and the first
    /// failure reason seen.
    async fn wait_for_stack(
        &self,
        name: &str,
        mut seen: Option<String>,
        ui: &mut dyn Ui,
    ) -> Result<(Option<StackDescription>, Option<String>), DeployError> {
        let mut first_failure: Option<String> = None;
        let mut polls = 0;
        let mut quiet_polls = 0;
        let mut review_polls = 0;
        let started = std::time::Instant::now();
        loop {
            // Events are for the reader; failing to fetch them once must not
            // abandon a deployment that is running. The status poll decides.
            let events = self
                .call("cloudformation:DescribeStackEvents", || {
                    self.cfn.stack_events(name)
                })
                .await
                .unwrap_or_default();
            // Events come newest first; report the new ones oldest first.
            let new: Vec<_> = events
                .iter()
                .take_while(|e| Some(&e.id) != seen.as_ref())
                .collect();
            for e in new.iter().rev() {
                ui.progress_event(e);
                if first_failure.is_none()
                    && e.status.ends_with("_FAILED")
                    && let Some(reason) = &e.reason
                    && !reason.contains("cancelled")
                {
                    first_failure =
                        Some(format!("{} ({}): {reason}", e.logical_id, e.resource_type));
                }
            }
            if new.is_empty() {
                quiet_polls += 1;
            } else {
                quiet_polls = 0;
            }
            if let Some(e) = events.first() {
                seen = Some(e.id.clone());
            }
            let d = self
                .call("cloudformation:DescribeStacks", || {
                    self.cfn.describe_stack(name)
                })
                .await?;
            let status = match &d {
                None => return Ok((None, first_failure)),
                Some(s) if !s.status.ends_with(STATUS_IN_PROGRESS) => {
                    return Ok((d, first_failure));
                }
                Some(s) => s.status.clone(),
            };
            polls += 1;
            if status == "REVIEW_IN_PROGRESS" {
                review_polls += 1;
                if review_polls >= self.options.max_review_polls {
                    return Err(DeployError::NotStarted {
                        stack: name.to_string(),
                    });
                }
            }
            if polls >= self.options.max_polls {
                return Err(DeployError::Timeout {
                    what: format!("stack {name}"),
                    state: format!(
                        "still {status} after {} s; CloudFormation carries on without mlcdk: follow it in the console or with `aws cloudformation describe-stacks --stack-name {name}`",
                        started.elapsed().as_secs()
                    ),
                });
            }
            if self.options.progress_every > 0
                && quiet_polls > 0
                && quiet_polls % self.options.progress_every == 0
            {
                ui.line(&format!(
                    "{name}: still {status} ({} s)",
                    started.elapsed().as_secs()
                ));
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }

    /// What a deploy would change, without changing anything: a change set
    /// created, shown and deleted; or, for a stack that does not exist yet,
    /// the resources it would add.
    pub async fn diff(
        &self,
        stack: &SynthesizedStack,
        ui: &mut dyn Ui,
    ) -> Result<Vec<ResourceChange>, DeployError> {
        let name = &stack.info.stack_name;
        let (account, existing) = self.begin(stack).await?;
        if existing
            .as_ref()
            .is_none_or(|s| s.status == "REVIEW_IN_PROGRESS")
        {
            ui.line(&format!(
                "{name} does not exist yet; deploying would create:"
            ));
            let changes: Vec<ResourceChange> = stack
                .template
                .resources
                .iter()
                .map(|(id, r)| ResourceChange {
                    action: "Add".into(),
                    logical_id: id.clone(),
                    resource_type: r.resource_type.clone(),
                    replacement: None,
                })
                .collect();
            print_changes(&changes, ui);
            // A deploy would stop at the missing assets bucket: say so now
            // rather than let this diff look like all is ready.
            if !stack.assets.is_empty() || stack.text.len() > MAX_INLINE_TEMPLATE_BYTES {
                let bucket = assets_bucket(&account, &stack.info.env.region);
                if !self
                    .call("s3:HeadBucket", || self.s3.bucket_exists(&bucket))
                    .await?
                {
                    ui.warn(&format!(
                        "the assets bucket {bucket} does not exist: run `bootstrap --stage {}` before deploying",
                        stack.info.name
                    ));
                }
            }
            return Ok(changes);
        }
        let kind = Self::change_set_type(stack, existing.as_ref())?;
        let template = self.upload(stack, &account, false, ui).await?;
        match self.prepare_change_set(stack, template, kind).await? {
            None => {
                ui.line(&format!("{name}: no changes"));
                Ok(Vec::new())
            }
            Some((created, description)) => {
                print_changes(&description.changes, ui);
                self.call("cloudformation:DeleteChangeSet", || {
                    self.cfn.delete_change_set(&created.id)
                })
                .await?;
                Ok(description.changes)
            }
        }
    }

    /// Drift detection on the deployed stack: `DetectStackDrift`, then
    /// `DescribeStackDriftDetectionStatus` until it is no longer in progress
    /// (saying every `progress_every` polls that it goes on, giving up after
    /// `max_drift_polls`), then `DescribeStackResourceDrifts`, and
    /// `ListStackResources` and `GetTemplate` for the resources it did not
    /// check and the construct paths. Prints nothing of the result.
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/detect-drift-stack.html>)
    pub async fn detect_drift(
        &self,
        stack: &SynthesizedStack,
        ui: &mut dyn Ui,
    ) -> Result<DriftReport, DeployError> {
        let name = &stack.info.stack_name;
        let id = self
            .call("cloudformation:DetectStackDrift", || {
                self.cfn.detect_stack_drift(name)
            })
            .await?;
        ui.line(&format!("{name}: detecting drift"));
        let started = std::time::Instant::now();
        let mut polls = 0;
        let status = loop {
            let d = self
                .call("cloudformation:DescribeStackDriftDetectionStatus", || {
                    self.cfn.drift_detection_status(&id)
                })
                .await?;
            if d.status != "DETECTION_IN_PROGRESS" {
                break d;
            }
            polls += 1;
            if polls >= self.options.max_drift_polls {
                return Err(DeployError::Timeout {
                    what: format!("the drift detection of {name}"),
                    state: format!(
                        "still DETECTION_IN_PROGRESS after {} s ({polls} polls); CloudFormation carries on: see it with `aws cloudformation describe-stack-drift-detection-status --stack-drift-detection-id {id} --region {}`",
                        started.elapsed().as_secs(),
                        stack.info.env.region
                    ),
                });
            }
            if self.options.progress_every > 0 && polls % self.options.progress_every == 0 {
                ui.line(&format!(
                    "{name}: drift detection still DETECTION_IN_PROGRESS ({} s)",
                    started.elapsed().as_secs()
                ));
            }
            tokio::time::sleep(self.options.poll_interval).await;
        };
        let failure = match status.status.as_str() {
            "DETECTION_COMPLETE" => None,
            "DETECTION_FAILED" => Some(
                status
                    .status_reason
                    .unwrap_or_else(|| "CloudFormation gave no reason".to_string()),
            ),
            // A status this code does not know: not a result to trust.
            other => Some(format!("unexpected detection status {other:?}")),
        };
        let drifts = self
            .call("cloudformation:DescribeStackResourceDrifts", || {
                self.cfn.resource_drifts(name)
            })
            .await?;
        let resources = self
            .call("cloudformation:ListStackResources", || {
                self.cfn.stack_resources(name)
            })
            .await?;
        // Construct paths come from the deployed template, which is what
        // drift is measured against; a template that cannot be read only
        // costs the paths of resources the synthesized one no longer has.
        let deployed = self
            .call("cloudformation:GetTemplate", || self.cfn.get_template(name))
            .await
            .ok()
            .and_then(|t| Template::from_json_str(&t).ok());
        Ok(DriftReport::build(
            name,
            &id,
            failure,
            drifts,
            &resources,
            deployed.as_ref(),
            &stack.template,
        ))
    }

    /// `drift --stage`: detects and prints the drift of the stage's deployed
    /// stack. `Ok` with the report whatever it found (the caller turns drift
    /// and a failed detection into the exit code); an error when the stack is
    /// not deployed, is busy, or detection could not run or finish.
    pub async fn drift(
        &self,
        stack: &SynthesizedStack,
        ui: &mut dyn Ui,
    ) -> Result<DriftReport, DeployError> {
        let name = &stack.info.stack_name;
        let (_, existing) = self.begin(stack).await?;
        let Some(existing) = existing.filter(|s| s.status != "REVIEW_IN_PROGRESS") else {
            return Err(DeployError::NotDeployed {
                stack: name.clone(),
                stage: stack.info.name.clone(),
            });
        };
        // CloudFormation refuses detection while the stack is being changed.
        if existing.status.ends_with(STATUS_IN_PROGRESS) {
            return Err(DeployError::Busy {
                stack: name.clone(),
                status: existing.status,
            });
        }
        let report = self.detect_drift(stack, ui).await?;
        report.print(ui);
        Ok(report)
    }

    /// The detection a deploy runs first; `None` when it did not finish and
    /// `--allow-drift` says to go on anyway.
    async fn drift_before_deploy(
        &self,
        stack: &SynthesizedStack,
        ui: &mut dyn Ui,
    ) -> Result<Option<DriftReport>, DeployError> {
        let unknown = |reason: String| DeployError::DriftUnknown {
            stack: stack.info.stack_name.clone(),
            stage: stack.info.name.clone(),
            reason,
        };
        let report = match self.detect_drift(stack, ui).await {
            Ok(report) => report,
            Err(e) if self.options.allow_drift => {
                ui.warn(&format!(
                    "drift detection did not finish ({e}); deploying anyway (--allow-drift)"
                ));
                return Ok(None);
            }
            Err(e) => return Err(unknown(e.to_string())),
        };
        report.print(ui);
        if let Some(f) = &report.failure
            && !self.options.allow_drift
        {
            return Err(unknown(format!("DETECTION_FAILED: {f}")));
        }
        Ok(Some(report))
    }

    /// Delete a stage's stack. Lists the resources CloudFormation keeps
    /// (DeletionPolicy Retain / Snapshot) so nothing is left behind unknowingly.
    pub async fn destroy(
        &self,
        stack: &SynthesizedStack,
        ui: &mut dyn Ui,
    ) -> Result<Vec<String>, DeployError> {
        let name = &stack.info.stack_name;
        let (_, existing) = self.begin(stack).await?;
        let Some(existing) = existing else {
            ui.line(&format!("{name} does not exist; nothing to destroy"));
            return Ok(Vec::new());
        };
        if stack.info.kind == StageKind::Production && !self.options.production {
            return Err(DeployError::ProductionNeedsFlag {
                stack: name.clone(),
                stage: stack.info.name.clone(),
            });
        }
        if existing.termination_protection {
            return Err(DeployError::TerminationProtected {
                stack: name.clone(),
                region: stack.info.env.region.clone(),
            });
        }
        // A stack that never left review has no resources (and maybe no
        // template to read): nothing can be retained.
        let in_review = existing.status == "REVIEW_IN_PROGRESS";
        let deployed = if in_review {
            String::new()
        } else {
            self.call("cloudformation:GetTemplate", || self.cfn.get_template(name))
                .await?
        };
        let retained_ids: Vec<(String, String)> = Template::from_json_str(&deployed)
            .map(|t| {
                t.resources
                    .into_iter()
                    .filter(|(_, r)| {
                        matches!(
                            r.deletion_policy,
                            Some(
                                DeletionPolicy::Retain
                                    | DeletionPolicy::RetainExceptOnCreate
                                    | DeletionPolicy::Snapshot
                            )
                        )
                    })
                    .map(|(id, r)| (id, r.resource_type))
                    .collect()
            })
            .unwrap_or_default();
        let physical = if in_review {
            Vec::new()
        } else {
            self.call("cloudformation:ListStackResources", || {
                self.cfn.stack_resources(name)
            })
            .await?
        };
        if !self.options.yes {
            if !ui.can_ask() {
                return Err(DeployError::NeedsConfirmation {
                    action: format!("destroy {name}"),
                });
            }
            if !ui.confirm(&format!("Delete stack {name} ({})?", existing.status)) {
                return Err(DeployError::Declined);
            }
        }
        let seen = self.latest_event_id(name).await?;
        self.set_phase(Phase::Started {
            stack: name.clone(),
            what: "deletion",
        });
        self.call("cloudformation:DeleteStack", || self.cfn.delete_stack(name))
            .await?;
        ui.progress_start(physical.len());
        let result = self.wait_for_stack(name, seen, ui).await;
        ui.progress_finish();
        let (final_stack, first_failure) = result?;
        if let Some(s) = final_stack
            && s.status != "DELETE_COMPLETE"
        {
            return Err(DeployError::Failed {
                stack: name.clone(),
                stage: stack.info.name.clone(),
                status: s.status,
                first_failure,
            });
        }
        ui.line(&format!("{name}: deleted"));
        let retained: Vec<String> = retained_ids
            .iter()
            .map(|(id, ty)| {
                let phys = physical
                    .iter()
                    .find(|p| &p.logical_id == id)
                    .and_then(|p| p.physical_id.clone())
                    .unwrap_or_else(|| "(not created)".into());
                format!("{id} ({ty}): {phys}")
            })
            .collect();
        if !retained.is_empty() {
            ui.warn(&format!(
                "kept by their DeletionPolicy ({}); delete them by hand when no longer needed:",
                retained.len()
            ));
            for r in &retained {
                ui.warn(&format!("  {r}"));
            }
        }
        Ok(retained)
    }
}

/// Capabilities the template needs: IAM resources need `CAPABILITY_IAM`; named
/// ones `CAPABILITY_NAMED_IAM`.
pub fn capabilities(t: &Template) -> Vec<String> {
    let iam: Vec<_> = t
        .resources
        .values()
        .filter(|r| r.resource_type.starts_with("AWS::IAM::"))
        .collect();
    if iam.is_empty() {
        return Vec::new();
    }
    let named = iam.iter().any(|r| {
        [
            "RoleName",
            "UserName",
            "GroupName",
            "ManagedPolicyName",
            "InstanceProfileName",
        ]
        .iter()
        .any(|k| r.properties.contains_key(*k))
    });
    let mut caps = vec!["CAPABILITY_IAM".to_string()];
    if named {
        caps.push("CAPABILITY_NAMED_IAM".to_string());
    }
    caps
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a change set does to drifted resources it lists: one line per
/// resource, then one per drifted property, from the value it has now back
/// to the template's.
fn overwrite_lines(
    touched: &[&crate::drift::DriftedResource],
    changes: &[ResourceChange],
) -> Vec<String> {
    let mut lines = Vec::new();
    for d in touched {
        let change = changes.iter().find(|c| c.logical_id == d.logical_id);
        let what = match change {
            Some(c) if c.is_removal() => "deleted by this deploy",
            Some(c) if c.is_replacement() => "replaced from the template by this deploy",
            _ => "updated from the template by this deploy",
        };
        lines.push(format!("{} {}{}: {what}", d.label(), d.status, d.marks()));
        if d.status == "DELETED" {
            lines.push("  it was deleted outside CloudFormation: the update fails on it, or creates it again".to_string());
        }
        for p in &d.differences {
            lines.push(format!("  revert {}", revert_line(p)));
        }
    }
    lines
}

/// A drifted property as a deploy reverts it: from the value it has now to
/// the template's.
fn revert_line(p: &crate::api::PropertyDifference) -> String {
    use crate::drift::one_line as v;
    match p.kind.as_str() {
        "ADD" => format!(
            "{}: {} (added outside CloudFormation) is removed",
            p.path,
            v(&p.actual)
        ),
        "REMOVE" => format!("{}: set again to {}", p.path, v(&p.expected)),
        _ => format!("{}: {} → {}", p.path, v(&p.actual), v(&p.expected)),
    }
}

fn change_set_name() -> String {
    // Unique across stacks (change set names are global in moto) and time-ordered.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("mlcdk-{}-{:09}", now.as_secs(), now.subsec_nanos())
}

/// `NAME (STATUS, created TIME: DESCRIPTION)` for messages.
fn describe_change_set_summary(c: &ChangeSetSummary) -> String {
    let mut text = format!("{} ({}", c.name, c.status);
    if !c.execution_status.is_empty() {
        text.push_str(&format!(", {}", c.execution_status));
    }
    if let Some(t) = &c.created {
        text.push_str(&format!(", created {t}"));
    }
    if let Some(d) = &c.description {
        text.push_str(&format!(": {d}"));
    }
    text.push(')');
    text
}

/// Prints the changes, loudest first: deletions and replacements are warnings.
pub fn print_changes(changes: &[ResourceChange], ui: &mut dyn Ui) {
    let (adds, modifies, removes) =
        changes
            .iter()
            .fold((0, 0, 0), |(a, m, r), c| match c.action.as_str() {
                "Add" => (a + 1, m, r),
                "Remove" => (a, m, r + 1),
                _ => (a, m + 1, r),
            });
    ui.line(&format!(
        "changes: {adds} to add, {modifies} to modify, {removes} to remove"
    ));
    for c in changes {
        let line = format!("  {} {} ({})", symbol(c), c.logical_id, c.resource_type);
        if c.is_removal() {
            ui.warn(&format!("{line}  DELETE"));
        } else if c.is_replacement() {
            let how = if c.replacement.as_deref() == Some("Conditional") {
                "MAY BE REPLACED"
            } else {
                "REPLACE"
            };
            ui.warn(&format!("{line}  {how}"));
        } else {
            ui.line(&line);
        }
    }
}

fn symbol(c: &ResourceChange) -> &'static str {
    match c.action.as_str() {
        "Add" => "+",
        "Remove" => "-",
        _ if c.is_replacement() => "±",
        _ => "~",
    }
}

/// Endpoint variants whose instance type differs between the deployed
/// template `old` and `new` while `old` registers them as scalable targets:
/// `UpdateEndpoint` fails on them ("If the update would change the instance
/// type for any model that is a target for automatic scaling, the update
/// fails", endpoint-scaling.html), after CloudFormation has started the
/// update. One line per variant: `endpoint/variant: old → new`.
pub fn autoscaled_instance_changes(old: &Template, new: &Template) -> Vec<String> {
    use serde_json::Value;
    // (endpoint name, variant name) → instance type, per template.
    fn instance_types(t: &Template) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (_, endpoint) in t.resources_of_type("AWS::SageMaker::Endpoint") {
            let Some(name) = endpoint.prop(&["EndpointName"]).and_then(Value::as_str) else {
                continue;
            };
            let Some(config) = endpoint
                .prop(&["EndpointConfigName"])
                .and_then(mlcdk_core::template::reference_target)
                .and_then(|id| t.resources.get(id))
            else {
                continue;
            };
            for variant in config
                .prop(&["ProductionVariants"])
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(v), Some(ty)) = (
                    variant.get("VariantName").and_then(Value::as_str),
                    variant.get("InstanceType").and_then(Value::as_str),
                ) {
                    out.push((name.to_string(), v.to_string(), ty.to_string()));
                }
            }
        }
        out
    }
    let targets: Vec<String> = old
        .resources_of_type("AWS::ApplicationAutoScaling::ScalableTarget")
        .filter_map(|(_, r)| r.prop(&["ResourceId"]))
        .map(|id| id.to_string())
        .collect();
    let now = instance_types(new);
    instance_types(old)
        .into_iter()
        .filter(|(endpoint, variant, _)| {
            let id = format!("endpoint/{endpoint}/variant/{variant}");
            targets.iter().any(|t| t.contains(&id))
        })
        .filter_map(|(endpoint, variant, before)| {
            let after = now
                .iter()
                .find(|(e, v, _)| *e == endpoint && *v == variant)
                .map(|(_, _, ty)| ty)?;
            (*after != before).then(|| format!("{endpoint}/{variant}: {before} → {after}"))
        })
        .collect()
}

//! The deployer's state machine against a fake CloudFormation: no network.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

use mlcdk_core::{
    App, Asset, CfnResource, DeletionPolicy, Env, Expr, OutputProps, Scope, Stack, Stage,
    StageKind, SynthesizedStack,
};
use mlcdk_deploy::api::*;
use mlcdk_deploy::ui::RecordingUi;
use mlcdk_deploy::{DeployError, DeployOptions, DeployOutcome, Deployer};
use mlcdk_testkit::Scratch;

/// How the fake answers the change set.
#[derive(Clone)]
enum ChangeSetPlan {
    Changes(Vec<ResourceChange>),
    /// `create_change_set` itself says "No updates are to be performed."
    NoChangesError,
    /// Status FAILED with this reason.
    Failed(String),
    /// Never leaves CREATE_PENDING.
    Stuck,
}

/// What another deploy does between two calls of this one.
type Concurrent = Box<dyn FnOnce(&FakeCloud)>;

#[derive(Default)]
struct FakeCloud {
    stacks: RefCell<BTreeMap<String, StackDescription>>,
    plan: RefCell<Option<ChangeSetPlan>>,
    /// When set, execution ends in ROLLBACK_COMPLETE with this failure reason.
    fail_with: RefCell<Option<String>>,
    template: RefCell<String>,
    resources: RefCell<Vec<StackResource>>,
    events: RefCell<Vec<StackEvent>>,
    /// The next this-many calls are throttled.
    throttle: Cell<u32>,
    calls: RefCell<Vec<String>>,
    account: String,
    buckets: RefCell<Vec<String>>,
    objects: RefCell<BTreeMap<String, Vec<u8>>>,
    /// Every change set not deleted, with the stack id it belongs to.
    change_sets: RefCell<Vec<(String, ChangeSetSummary)>>,
    /// Stacks made so far, for unique stack ids.
    made: Cell<u32>,
    /// Runs once, right after the next `create_change_set` returns: another
    /// deploy acting between this one's calls.
    concurrent: RefCell<Option<Concurrent>>,
    /// Execution leaves the stack as it is (moto, with a stack of the same
    /// name left in review).
    execute_does_nothing: Cell<bool>,
    /// Execution leaves the stack `*_IN_PROGRESS` for this many status polls
    /// (`u32::MAX`: for ever).
    in_progress_polls: Cell<u32>,
    /// An execution is counting down `in_progress_polls`.
    progressing: Cell<bool>,
    /// What `drift_detection_status` answers, in turn; the last answer
    /// repeats. Empty: `DETECTION_COMPLETE`.
    drift_statuses: RefCell<Vec<DriftDetection>>,
    /// What `resource_drifts` answers.
    drifts: RefCell<Vec<ResourceDrift>>,
}

impl FakeCloud {
    fn new() -> FakeCloud {
        FakeCloud {
            account: "111111111111".into(),
            buckets: RefCell::new(vec!["mlcdk-assets-111111111111-us-east-1".into()]),
            ..Default::default()
        }
    }

    fn with_stack(self, status: &str) -> FakeCloud {
        self.make_stack("test-staging", status);
        self
    }

    fn make_stack(&self, name: &str, status: &str) -> String {
        self.made.set(self.made.get() + 1);
        let id = format!("arn:stack/{name}/{}", self.made.get());
        self.stacks.borrow_mut().insert(
            name.into(),
            StackDescription {
                name: name.into(),
                id: id.clone(),
                status: status.into(),
                ..Default::default()
            },
        );
        id
    }

    /// A change set waiting on the stack, as another deploy leaves it.
    fn with_pending_change_set(self, name: &str) -> FakeCloud {
        let stack_id = self.stacks.borrow()["test-staging"].id.clone();
        self.change_sets.borrow_mut().push((
            stack_id.clone(),
            ChangeSetSummary {
                id: format!("arn:cs/{name}"),
                name: name.into(),
                stack_id: stack_id.clone(),
                status: "CREATE_COMPLETE".into(),
                execution_status: "AVAILABLE".into(),
                created: Some("2026-11-30T05:00:00Z".into()),
                description: Some("mlcdk deploy".into()),
            },
        ));
        self
    }

    fn stack_status(&self) -> Option<String> {
        self.stacks
            .borrow()
            .get("test-staging")
            .map(|s| s.status.clone())
    }

    fn plan(self, plan: ChangeSetPlan) -> FakeCloud {
        *self.plan.borrow_mut() = Some(plan);
        self
    }

    fn log(&self, call: &str) -> Result<(), ApiError> {
        self.calls.borrow_mut().push(call.to_string());
        if self.throttle.get() > 0 {
            self.throttle.set(self.throttle.get() - 1);
            return Err(ApiError::new("Throttling", "Rate exceeded"));
        }
        Ok(())
    }

    fn called(&self, call: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|c| c.starts_with(call))
            .count()
    }

    fn create_change_set_inner(&self, r: &ChangeSetRequest) -> Result<CreatedChangeSet, ApiError> {
        self.log(&format!("create_change_set {:?}", r.change_set_type))?;
        if let Some(ChangeSetPlan::NoChangesError) = &*self.plan.borrow() {
            return Err(ApiError::new(
                "ValidationError",
                "No updates are to be performed.",
            ));
        }
        if let TemplateSource::Body(b) = &r.template {
            *self.template.borrow_mut() = b.clone();
        }
        // CloudFormation: a CREATE change set makes the stack in review, or
        // joins the one already in review.
        let existing = self.stacks.borrow().get(&r.stack_name).cloned();
        let stack_id = match existing {
            Some(s)
                if r.change_set_type == ChangeSetType::Update
                    || s.status == "REVIEW_IN_PROGRESS" =>
            {
                s.id
            }
            Some(s) => {
                return Err(ApiError::new(
                    "ValidationError",
                    format!(
                        "Stack [{}] already exists and cannot be created again with the changeSet",
                        s.name
                    ),
                ));
            }
            None => self.make_stack(&r.stack_name, "REVIEW_IN_PROGRESS"),
        };
        self.calls.borrow_mut().push(format!(
            "template {:?}",
            matches!(r.template, TemplateSource::Url(_))
        ));
        self.calls
            .borrow_mut()
            .push(format!("capabilities {}", r.capabilities.join(",")));
        let id = format!("arn:cs/{}", r.change_set_name);
        self.change_sets.borrow_mut().push((
            stack_id.clone(),
            ChangeSetSummary {
                id: id.clone(),
                name: r.change_set_name.clone(),
                stack_id: stack_id.clone(),
                status: "CREATE_COMPLETE".into(),
                execution_status: "AVAILABLE".into(),
                created: None,
                description: r.description.clone(),
            },
        ));
        Ok(CreatedChangeSet { id, stack_id })
    }

    fn describe_change_set_inner(&self) -> Result<ChangeSetDescription, ApiError> {
        self.log("describe_change_set")?;
        Ok(match self.plan.borrow().clone() {
            Some(ChangeSetPlan::Changes(changes)) => ChangeSetDescription {
                status: "CREATE_COMPLETE".into(),
                status_reason: None,
                changes,
            },
            Some(ChangeSetPlan::Failed(reason)) => ChangeSetDescription {
                status: "FAILED".into(),
                status_reason: Some(reason),
                changes: vec![],
            },
            Some(ChangeSetPlan::Stuck) => ChangeSetDescription {
                status: "CREATE_PENDING".into(),
                status_reason: None,
                changes: vec![],
            },
            _ => unreachable!("a plan is set in every test"),
        })
    }

    fn execute_inner(&self) -> Result<(), ApiError> {
        if self.execute_does_nothing.get() {
            return Ok(());
        }
        let mut stacks = self.stacks.borrow_mut();
        let s = stacks.get_mut("test-staging").or(None);
        let s = match s {
            Some(s) => s,
            None => stacks.values_mut().next().expect("a stack"),
        };
        let creating = s.status == "REVIEW_IN_PROGRESS";
        match &*self.fail_with.borrow() {
            Some(reason) => {
                self.push_event("Data", "AWS::S3::Bucket", "CREATE_FAILED", Some(reason));
                self.push_event(
                    "Role",
                    "AWS::IAM::Role",
                    "CREATE_FAILED",
                    Some("Resource creation cancelled"),
                );
                s.status = if creating {
                    "ROLLBACK_COMPLETE"
                } else {
                    "UPDATE_ROLLBACK_COMPLETE"
                }
                .into();
            }
            None => {
                self.push_event("Data", "AWS::S3::Bucket", "CREATE_COMPLETE", None);
                self.progressing.set(self.in_progress_polls.get() > 0);
                s.status = match (creating, self.in_progress_polls.get() > 0) {
                    (true, false) => "CREATE_COMPLETE",
                    (false, false) => "UPDATE_COMPLETE",
                    (true, true) => "CREATE_IN_PROGRESS",
                    (false, true) => "UPDATE_IN_PROGRESS",
                }
                .into();
                s.outputs = vec![("DataName".into(), "bucket-123".into())];
            }
        }
        Ok(())
    }

    fn push_event(&self, logical_id: &str, ty: &str, status: &str, reason: Option<&str>) {
        let mut events = self.events.borrow_mut();
        let id = format!("e{}", events.len());
        events.insert(
            0,
            StackEvent {
                id,
                logical_id: logical_id.into(),
                resource_type: ty.into(),
                status: status.into(),
                reason: reason.map(str::to_string),
            },
        );
    }
}

impl CloudFormationApi for &FakeCloud {
    async fn describe_stack(&self, name: &str) -> Result<Option<StackDescription>, ApiError> {
        self.log("describe_stack")?;
        if self.progressing.get()
            && let Some(s) = self.stacks.borrow_mut().get_mut(name)
        {
            match self.in_progress_polls.get() {
                0 => {
                    s.status = s.status.replace("_IN_PROGRESS", "_COMPLETE");
                    self.progressing.set(false);
                }
                u32::MAX => {}
                n => self.in_progress_polls.set(n - 1),
            }
        }
        Ok(self.stacks.borrow().get(name).cloned())
    }

    async fn create_change_set(&self, r: &ChangeSetRequest) -> Result<CreatedChangeSet, ApiError> {
        let created = self.create_change_set_inner(r)?;
        if let Some(other) = self.concurrent.borrow_mut().take() {
            other(self);
        }
        Ok(created)
    }

    async fn list_change_sets(&self, stack: &str) -> Result<Vec<ChangeSetSummary>, ApiError> {
        self.log("list_change_sets")?;
        let id = self
            .stacks
            .borrow()
            .values()
            .find(|s| s.name == stack || s.id == stack)
            .map(|s| s.id.clone());
        Ok(self
            .change_sets
            .borrow()
            .iter()
            .filter(|(sid, _)| Some(sid) == id.as_ref())
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn describe_change_set(&self, _id: &str) -> Result<ChangeSetDescription, ApiError> {
        self.describe_change_set_inner()
    }

    async fn execute_change_set(&self, id: &str) -> Result<(), ApiError> {
        self.log("execute_change_set")?;
        self.change_sets.borrow_mut().retain(|(_, c)| c.id != id);
        self.execute_inner()
    }

    async fn delete_change_set(&self, id: &str) -> Result<(), ApiError> {
        self.log("delete_change_set")?;
        self.change_sets.borrow_mut().retain(|(_, c)| c.id != id);
        Ok(())
    }

    async fn stack_events(&self, _name: &str) -> Result<Vec<StackEvent>, ApiError> {
        self.log("stack_events")?;
        Ok(self.events.borrow().clone())
    }

    async fn stack_resources(&self, _name: &str) -> Result<Vec<StackResource>, ApiError> {
        self.log("stack_resources")?;
        Ok(self.resources.borrow().clone())
    }

    async fn get_template(&self, _name: &str) -> Result<String, ApiError> {
        self.log("get_template")?;
        Ok(self.template.borrow().clone())
    }

    async fn delete_stack(&self, name_or_id: &str) -> Result<(), ApiError> {
        self.log(&format!("delete_stack {name_or_id}"))?;
        let mut stacks = self.stacks.borrow_mut();
        let found = stacks
            .values()
            .find(|s| s.name == name_or_id || s.id == name_or_id)
            .map(|s| (s.name.clone(), s.id.clone()));
        if let Some((name, id)) = found {
            stacks.remove(&name);
            self.change_sets.borrow_mut().retain(|(sid, _)| *sid != id);
        }
        Ok(())
    }

    async fn set_termination_protection(&self, name: &str, enabled: bool) -> Result<(), ApiError> {
        self.log(&format!("set_termination_protection {enabled}"))?;
        if let Some(s) = self.stacks.borrow_mut().get_mut(name) {
            s.termination_protection = enabled;
        }
        Ok(())
    }

    async fn detect_stack_drift(&self, name: &str) -> Result<String, ApiError> {
        self.log("detect_stack_drift")?;
        Ok(format!("drift-{name}"))
    }

    async fn drift_detection_status(&self, _id: &str) -> Result<DriftDetection, ApiError> {
        self.log("drift_detection_status")?;
        let mut statuses = self.drift_statuses.borrow_mut();
        Ok(match statuses.len() {
            0 => detection("DETECTION_COMPLETE", None),
            1 => statuses[0].clone(),
            _ => statuses.remove(0),
        })
    }

    async fn resource_drifts(&self, _name: &str) -> Result<Vec<ResourceDrift>, ApiError> {
        self.log("resource_drifts")?;
        Ok(self.drifts.borrow().clone())
    }
}

impl ObjectStore for &FakeCloud {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError> {
        self.log("bucket_exists")?;
        Ok(self.buckets.borrow().iter().any(|b| b == bucket))
    }
    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError> {
        self.log("object_exists")?;
        Ok(self
            .objects
            .borrow()
            .contains_key(&format!("{bucket}/{key}")))
    }
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ApiError> {
        self.log(&format!("put_object {key}"))?;
        self.objects
            .borrow_mut()
            .insert(format!("{bucket}/{key}"), body);
        Ok(())
    }
}

impl Identity for &FakeCloud {
    async fn account_id(&self) -> Result<String, ApiError> {
        self.log("account_id")?;
        Ok(self.account.clone())
    }
}

fn options() -> DeployOptions {
    DeployOptions {
        yes: true,
        poll_interval: Duration::ZERO,
        retry_base: Duration::ZERO,
        ..Default::default()
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[derive(Clone)]
struct Shape {
    kind: StageKind,
    topics: usize,
    asset: bool,
}

/// A synthesized stack and the directory its asset file lives in: the
/// deployer reads the file at deploy time, and the directory goes when this
/// is dropped.
struct Synthesized {
    stack: SynthesizedStack,
    _dir: Scratch,
}

impl std::ops::Deref for Synthesized {
    type Target = SynthesizedStack;
    fn deref(&self) -> &SynthesizedStack {
        &self.stack
    }
}

impl std::ops::DerefMut for Synthesized {
    fn deref_mut(&mut self) -> &mut SynthesizedStack {
        &mut self.stack
    }
}

fn synth(shape: Shape) -> Synthesized {
    let name = match shape.kind {
        StageKind::Production => "production",
        _ => "staging",
    };
    // One directory per call: tests run in parallel.
    let dir = Scratch::new("deploy-fake");
    std::fs::write(dir.path().join("job.py"), "print('job')\n").unwrap();
    let app = App::new("test", |stack: &mut Stack, s: &Shape| {
        let data = stack.add_resource(
            "Data",
            CfnResource::new("AWS::S3::Bucket").removal_policy(DeletionPolicy::Retain),
        );
        stack.add_output("DataName", OutputProps::new(data.reference()));
        for i in 0..s.topics {
            stack.add_resource(
                &format!("Topic{i}"),
                CfnResource::new("AWS::SNS::Topic").set("DisplayName", "x".repeat(200)),
            );
        }
        if s.asset {
            let a = stack.asset(Asset::file("job.py"));
            stack.add_resource(
                "Job",
                CfnResource::new("AWS::SNS::Topic").set("DisplayName", a.s3_uri()),
            );
        }
        let mut role = stack.node("Role");
        role.add_resource(
            "Resource",
            CfnResource::new("AWS::IAM::Role").set("AssumeRolePolicyDocument", Expr::lit("{}")),
        );
    })
    .base_dir(dir.path())
    .stage(Stage::custom(
        name,
        shape.kind,
        Env::new("111111111111", "us-east-1"),
        shape.clone(),
    ));
    Synthesized {
        stack: app.synth(None).unwrap().stacks.remove(0),
        _dir: dir,
    }
}

fn staging() -> Synthesized {
    synth(Shape {
        kind: StageKind::Staging,
        topics: 0,
        asset: false,
    })
}

fn change(action: &str, id: &str, ty: &str, replacement: Option<&str>) -> ResourceChange {
    ResourceChange {
        action: action.into(),
        logical_id: id.into(),
        resource_type: ty.into(),
        replacement: replacement.map(str::to_string),
    }
}

fn adds() -> ChangeSetPlan {
    ChangeSetPlan::Changes(vec![change("Add", "Data", "AWS::S3::Bucket", None)])
}

fn deployer(
    cloud: &FakeCloud,
    options: DeployOptions,
) -> Deployer<&FakeCloud, &FakeCloud, &FakeCloud> {
    Deployer::new(cloud, cloud, cloud, options)
}

#[test]
fn creates_a_missing_stack() {
    let cloud = FakeCloud::new().plan(adds());
    let mut ui = RecordingUi::default();
    let outcome = block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap();
    assert_eq!(
        outcome,
        DeployOutcome::Deployed {
            status: "CREATE_COMPLETE".into(),
            outputs: vec![("DataName".into(), "bucket-123".into())]
        }
    );
    assert_eq!(cloud.called("create_change_set Create"), 1);
    assert_eq!(cloud.called("capabilities CAPABILITY_IAM"), 1);
    assert_eq!(cloud.called("execute_change_set"), 1);
    assert_eq!(
        cloud.called("set_termination_protection"),
        0,
        "staging has none"
    );
    let text = ui.text();
    assert!(
        text.contains("creating stack test-staging in 111111111111/us-east-1"),
        "{text}"
    );
    assert!(text.contains("changes: 1 to add, 0 to modify, 0 to remove"));
    assert!(text.contains("  + Data (AWS::S3::Bucket)"));
    assert!(text.contains("DataName = bucket-123"));
    assert_eq!(ui.events.len(), 1, "events of this deploy are streamed");
}

#[test]
fn updates_an_existing_stack_and_streams_only_new_events() {
    let cloud = FakeCloud::new()
        .with_stack("UPDATE_ROLLBACK_COMPLETE")
        .plan(ChangeSetPlan::Changes(vec![change(
            "Modify",
            "Data",
            "AWS::S3::Bucket",
            Some("False"),
        )]));
    cloud.push_event("Old", "AWS::SNS::Topic", "CREATE_COMPLETE", None);
    let mut ui = RecordingUi::default();
    let outcome = block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap();
    assert!(
        matches!(outcome, DeployOutcome::Deployed { ref status, .. } if status == "UPDATE_COMPLETE")
    );
    assert_eq!(cloud.called("create_change_set Update"), 1);
    assert_eq!(ui.events.len(), 1);
    assert_eq!(ui.events[0].logical_id, "Data");
    assert!(ui.text().contains("  ~ Data (AWS::S3::Bucket)"));
}

#[test]
fn review_in_progress_is_created_again() {
    let cloud = FakeCloud::new()
        .with_stack("REVIEW_IN_PROGRESS")
        .plan(adds());
    block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("create_change_set Create"), 1);
}

#[test]
fn no_changes_in_each_of_its_three_shapes_is_success() {
    for plan in [
        ChangeSetPlan::NoChangesError,
        ChangeSetPlan::Failed(
            "The submitted information didn't contain changes. Submit different information to create a change set.".into(),
        ),
        ChangeSetPlan::Changes(vec![]),
    ] {
        let cloud = FakeCloud::new().with_stack("CREATE_COMPLETE").plan(plan);
        let mut ui = RecordingUi::default();
        let outcome = block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap();
        assert_eq!(outcome, DeployOutcome::NoChanges);
        assert_eq!(cloud.called("execute_change_set"), 0);
        assert!(ui.text().contains("test-staging: no changes"));
        if cloud.called("describe_change_set") > 0 {
            assert_eq!(cloud.called("delete_change_set"), 1, "an empty change set is deleted");
        }
    }
}

#[test]
fn a_failed_change_set_reports_its_reason() {
    let cloud = FakeCloud::new()
        .with_stack("CREATE_COMPLETE")
        .plan(ChangeSetPlan::Failed(
            "Template format error: unknown resource type".into(),
        ));
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the change set for test-staging failed: Template format error: unknown resource type"
    );
    assert_eq!(cloud.called("delete_change_set"), 1);
    assert_eq!(cloud.called("execute_change_set"), 0);
}

#[test]
fn a_failed_create_reports_the_first_failure_and_the_way_out() {
    let cloud = FakeCloud::new().plan(adds());
    *cloud.fail_with.borrow_mut() = Some("Bucket name already exists".into());
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    let m = err.to_string();
    assert!(m.starts_with("test-staging ended in ROLLBACK_COMPLETE; first failure: Data (AWS::S3::Bucket): Bucket name already exists"), "{m}");
    assert!(
        m.contains("`destroy --stage staging` and deploy again"),
        "{m}"
    );
}

#[test]
fn a_stack_left_in_rollback_complete_is_not_touched() {
    let cloud = FakeCloud::new()
        .with_stack("ROLLBACK_COMPLETE")
        .plan(adds());
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert!(matches!(err, DeployError::RollbackComplete { .. }));
    assert!(
        err.to_string()
            .contains("run `destroy --stage staging`, then deploy again")
    );
    assert_eq!(cloud.called("create_change_set"), 0);
}

#[test]
fn busy_and_broken_stacks_are_refused() {
    let cloud = FakeCloud::new()
        .with_stack("UPDATE_IN_PROGRESS")
        .plan(adds());
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert!(
        err.to_string().contains("is busy (UPDATE_IN_PROGRESS)"),
        "{err}"
    );
    let cloud = FakeCloud::new()
        .with_stack("UPDATE_ROLLBACK_FAILED")
        .plan(adds());
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert!(
        err.to_string().contains("is in UPDATE_ROLLBACK_FAILED"),
        "{err}"
    );
}

#[test]
fn replacing_or_deleting_stateful_resources_is_refused_without_the_flag() {
    let plan = ChangeSetPlan::Changes(vec![
        change("Modify", "Data", "AWS::S3::Bucket", Some("True")),
        change("Remove", "Key", "AWS::KMS::Key", None),
        change("Modify", "Role", "AWS::IAM::Role", Some("True")),
    ]);
    let cloud = FakeCloud::new()
        .with_stack("CREATE_COMPLETE")
        .plan(plan.clone());
    let mut ui = RecordingUi::default();
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap_err();
    let m = err.to_string();
    assert!(
        m.contains("Data (AWS::S3::Bucket) would be replaced"),
        "{m}"
    );
    assert!(m.contains("Key (AWS::KMS::Key) would be deleted"), "{m}");
    assert!(!m.contains("Role"), "a role is not stateful: {m}");
    assert!(m.contains("pass --allow-replace"));
    assert_eq!(cloud.called("execute_change_set"), 0);
    assert_eq!(cloud.called("delete_change_set"), 1);
    assert!(
        ui.warnings
            .iter()
            .any(|w| w.contains("Data (AWS::S3::Bucket)  REPLACE"))
    );
    assert!(
        ui.warnings
            .iter()
            .any(|w| w.contains("Key (AWS::KMS::Key)  DELETE"))
    );

    let cloud = FakeCloud::new().with_stack("CREATE_COMPLETE").plan(plan);
    let allowed = DeployOptions {
        allow_replace: true,
        ..options()
    };
    block_on(deployer(&cloud, allowed).deploy(&staging(), &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("execute_change_set"), 1);
}

#[test]
fn throttled_calls_are_retried_then_given_up() {
    let cloud = FakeCloud::new().plan(adds());
    cloud.throttle.set(3);
    block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("account_id"), 4);

    let cloud = FakeCloud::new().plan(adds());
    cloud.throttle.set(100);
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "sts:GetCallerIdentity failed: Throttling: Rate exceeded"
    );
    assert_eq!(cloud.called("account_id"), 6);
}

#[test]
fn confirmation_is_required_and_respected() {
    let ask = DeployOptions {
        yes: false,
        ..options()
    };
    // No terminal, no --yes: refuse, and clean up the change set and the empty stack.
    let cloud = FakeCloud::new().plan(adds());
    let err =
        block_on(deployer(&cloud, ask.clone()).deploy(&staging(), &mut RecordingUi::default()))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to deploy test-staging without confirmation: no terminal to ask on; pass --yes"
    );
    assert_eq!(cloud.called("delete_stack"), 1);
    assert!(cloud.stacks.borrow().is_empty());

    let cloud = FakeCloud::new().with_stack("CREATE_COMPLETE").plan(adds());
    let mut ui = RecordingUi::interactive(false);
    let err = block_on(deployer(&cloud, ask.clone()).deploy(&staging(), &mut ui)).unwrap_err();
    assert!(matches!(err, DeployError::Declined));
    assert_eq!(ui.questions, ["Deploy 1 change to test-staging?"]);
    assert_eq!(cloud.called("delete_stack"), 0, "an existing stack stays");

    let cloud = FakeCloud::new().plan(adds());
    let mut ui = RecordingUi::interactive(true);
    block_on(deployer(&cloud, ask).deploy(&staging(), &mut ui)).unwrap();
    assert_eq!(cloud.called("execute_change_set"), 1);
}

#[test]
fn the_wrong_account_is_refused_before_anything_else() {
    let mut cloud = FakeCloud::new().plan(adds());
    cloud.account = "999999999999".into();
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "stage 'staging' deploys to account 111111111111, but the credentials belong to account 999999999999; use credentials (AWS_PROFILE, or the stage's Env::with_profile) of account 111111111111"
    );
    assert_eq!(cloud.calls.borrow().len(), 1);
}

#[test]
fn assets_are_uploaded_once_and_need_a_bootstrapped_bucket() {
    let with_asset = synth(Shape {
        kind: StageKind::Staging,
        topics: 0,
        asset: true,
    });
    let key = with_asset.assets[0].key.clone();
    let cloud = FakeCloud::new().plan(adds());
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, options()).deploy(&with_asset, &mut ui)).unwrap();
    assert_eq!(cloud.called(&format!("put_object {key}")), 1);
    assert_eq!(
        cloud.objects.borrow()[&format!("mlcdk-assets-111111111111-us-east-1/{key}")],
        b"print('job')\n"
    );
    let cloud2 = FakeCloud::new()
        .with_stack("CREATE_COMPLETE")
        .plan(ChangeSetPlan::Changes(vec![]));
    cloud2
        .objects
        .borrow_mut()
        .extend(cloud.objects.borrow().clone());
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud2, options()).deploy(&with_asset, &mut ui)).unwrap();
    assert_eq!(cloud2.called("put_object"), 0);
    assert!(ui.text().contains("asset job.py already uploaded"));

    let cloud = FakeCloud::new().plan(adds());
    cloud.buckets.borrow_mut().clear();
    let err =
        block_on(deployer(&cloud, options()).deploy(&with_asset, &mut RecordingUi::default()))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the assets bucket mlcdk-assets-111111111111-us-east-1 does not exist; run `bootstrap --stage staging` once for this account and region"
    );
}

#[test]
fn large_templates_go_through_s3() {
    let large = synth(Shape {
        kind: StageKind::Staging,
        topics: 200,
        asset: false,
    });
    assert!(large.text.len() > 51_200);
    let cloud = FakeCloud::new().plan(adds());
    block_on(deployer(&cloud, options()).deploy(&large, &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("template true"), 1);
    assert_eq!(cloud.called("put_object templates/test-staging-"), 1);
    assert_eq!(cloud.called("template false"), 0);
    assert_eq!(cloud.called("create_change_set"), 1);
}

#[test]
fn production_gets_termination_protection_and_destroy_needs_a_flag() {
    let prod = synth(Shape {
        kind: StageKind::Production,
        topics: 0,
        asset: false,
    });
    let cloud = FakeCloud::new().plan(adds());
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, options()).deploy(&prod, &mut ui)).unwrap();
    assert_eq!(cloud.called("set_termination_protection true"), 1);
    assert!(
        ui.text()
            .contains("termination protection enabled on test-production")
    );

    let err = block_on(deployer(&cloud, options()).destroy(&prod, &mut RecordingUi::default()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "test-production is a production stack; destroying it needs the explicit flag: `destroy --stage production --production`"
    );
    let flagged = DeployOptions {
        production: true,
        ..options()
    };
    let err = block_on(deployer(&cloud, flagged).destroy(&prod, &mut RecordingUi::default()))
        .unwrap_err();
    assert!(
        err.to_string().contains("has termination protection on; turn it off first: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name test-production --region us-east-1"),
        "{err}"
    );
    assert_eq!(cloud.called("delete_stack"), 0);
}

#[test]
fn destroy_lists_what_is_retained() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("CREATE_COMPLETE");
    *cloud.template.borrow_mut() = stack.text.clone();
    *cloud.resources.borrow_mut() = vec![
        StackResource {
            logical_id: "Data".into(),
            physical_id: Some("bucket-123".into()),
            resource_type: "AWS::S3::Bucket".into(),
        },
        StackResource {
            logical_id: "Role5B5B4F9B".into(),
            physical_id: Some("role-1".into()),
            resource_type: "AWS::IAM::Role".into(),
        },
    ];
    let mut ui = RecordingUi::default();
    let retained = block_on(deployer(&cloud, options()).destroy(&stack, &mut ui)).unwrap();
    assert_eq!(retained, ["Data (AWS::S3::Bucket): bucket-123"]);
    assert!(ui.warnings[0].starts_with("kept by their DeletionPolicy (1)"));
    assert_eq!(cloud.called("delete_stack"), 1);
    assert!(cloud.stacks.borrow().is_empty());

    // Nothing to destroy is not an error.
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, options()).destroy(&stack, &mut ui)).unwrap();
    assert!(
        ui.text()
            .contains("test-staging does not exist; nothing to destroy")
    );
}

#[test]
fn diff_of_a_new_stack_lists_additions_without_a_change_set() {
    let cloud = FakeCloud::new();
    let mut ui = RecordingUi::default();
    let changes = block_on(deployer(&cloud, options()).diff(&staging(), &mut ui)).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(cloud.called("create_change_set"), 0);
    assert!(
        ui.text()
            .contains("test-staging does not exist yet; deploying would create:")
    );

    let cloud = FakeCloud::new()
        .with_stack("CREATE_COMPLETE")
        .plan(ChangeSetPlan::Changes(vec![change(
            "Modify",
            "Data",
            "AWS::S3::Bucket",
            Some("Conditional"),
        )]));
    let mut ui = RecordingUi::default();
    let changes = block_on(deployer(&cloud, options()).diff(&staging(), &mut ui)).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(cloud.called("execute_change_set"), 0);
    assert_eq!(cloud.called("delete_change_set"), 1);
    assert!(ui.warnings.iter().any(|w| w.contains("MAY BE REPLACED")));
}

#[test]
fn diff_uploads_no_assets() {
    let with_asset = synth(Shape {
        kind: StageKind::Staging,
        topics: 0,
        asset: true,
    });
    let cloud = FakeCloud::new()
        .with_stack("CREATE_COMPLETE")
        .plan(ChangeSetPlan::Changes(vec![change(
            "Add",
            "Job",
            "AWS::SNS::Topic",
            None,
        )]));
    block_on(deployer(&cloud, options()).diff(&with_asset, &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("put_object"), 0);
    assert_eq!(cloud.called("execute_change_set"), 0);
}

#[test]
fn waiting_gives_up_after_max_polls() {
    let cloud = FakeCloud::new().plan(ChangeSetPlan::Stuck);
    let few = DeployOptions {
        max_polls: 3,
        ..options()
    };
    let err = block_on(deployer(&cloud, few).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("gave up waiting for change set arn:cs/mlcdk-"),
        "{err}"
    );
    assert_eq!(cloud.called("describe_change_set"), 3);
}

#[test]
fn an_asset_that_vanished_after_synth_is_a_clear_error() {
    let with_asset = synth(Shape {
        kind: StageKind::Staging,
        topics: 0,
        asset: true,
    });
    std::fs::remove_file(&with_asset.assets[0].file).unwrap();
    let cloud = FakeCloud::new().plan(adds());
    let err =
        block_on(deployer(&cloud, options()).deploy(&with_asset, &mut RecordingUi::default()))
            .unwrap_err();
    let m = err.to_string();
    assert!(
        m.starts_with("cannot read asset ") && m.contains("job.py"),
        "{m}"
    );
    assert_eq!(cloud.called("create_change_set"), 0);
}

// ---- Concurrent and interrupted deploys (reliability review D1, D5) ----

fn no_terminal() -> DeployOptions {
    DeployOptions {
        yes: false,
        ..options()
    }
}

#[test]
fn a_declined_first_deploy_deletes_its_own_empty_stack_by_id() {
    let cloud = FakeCloud::new().plan(adds());
    let mut ui = RecordingUi::interactive(false);
    let err = block_on(deployer(&cloud, no_terminal()).deploy(&staging(), &mut ui)).unwrap_err();
    assert!(matches!(err, DeployError::Declined));
    assert!(cloud.stacks.borrow().is_empty());
    assert_eq!(cloud.called("delete_stack arn:stack/test-staging/1"), 1);
    assert!(
        ui.text()
            .contains("change set and the empty stack test-staging (REVIEW_IN_PROGRESS) deleted; nothing was deployed"),
        "{}",
        ui.text()
    );
}

/// The review's D1: B's CREATE change set joins the stack A has just made;
/// A executes it; B, refused for lack of `--yes`, must not delete it.
#[test]
fn a_refused_deploy_never_deletes_the_stack_a_concurrent_deploy_created() {
    let cloud = FakeCloud::new().plan(adds());
    *cloud.concurrent.borrow_mut() = Some(Box::new(|cloud: &FakeCloud| {
        // A executed its change set meanwhile: the stack is being created.
        cloud
            .stacks
            .borrow_mut()
            .get_mut("test-staging")
            .unwrap()
            .status = "CREATE_IN_PROGRESS".into();
    }));
    let mut ui = RecordingUi::default();
    let err = block_on(deployer(&cloud, no_terminal()).deploy(&staging(), &mut ui)).unwrap_err();
    assert!(
        matches!(err, DeployError::NeedsConfirmation { .. }),
        "{err}"
    );
    assert_eq!(
        cloud.called("delete_stack"),
        0,
        "{:?}",
        cloud.calls.borrow()
    );
    assert_eq!(cloud.stack_status().as_deref(), Some("CREATE_IN_PROGRESS"));
    assert!(
        ui.text().contains("test-staging was left as it is"),
        "{}",
        ui.text()
    );

    // A is still at its prompt: its change set waits on the same stack.
    let cloud = FakeCloud::new().plan(adds());
    *cloud.concurrent.borrow_mut() = Some(Box::new(|cloud: &FakeCloud| {
        let stack_id = cloud.stacks.borrow()["test-staging"].id.clone();
        cloud.change_sets.borrow_mut().push((
            stack_id.clone(),
            ChangeSetSummary {
                id: "arn:cs/deploy-a".into(),
                name: "deploy-a".into(),
                stack_id: stack_id.clone(),
                status: "CREATE_COMPLETE".into(),
                execution_status: "AVAILABLE".into(),
                ..Default::default()
            },
        ));
    }));
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, no_terminal()).deploy(&staging(), &mut ui)).unwrap_err();
    assert_eq!(cloud.called("delete_stack"), 0);
    assert_eq!(cloud.stack_status().as_deref(), Some("REVIEW_IN_PROGRESS"));
    assert_eq!(cloud.change_sets.borrow().len(), 1, "A's change set stays");
    assert!(
        ui.text()
            .contains("another deploy's change set is waiting on it"),
        "{}",
        ui.text()
    );
}

#[test]
fn a_deploy_refuses_while_another_change_set_waits_on_the_stack() {
    // A first deploy at its prompt, or interrupted before executing.
    let cloud = FakeCloud::new()
        .with_stack("REVIEW_IN_PROGRESS")
        .with_pending_change_set("mlcdk-1764478800-000000001")
        .plan(adds());
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "another deploy of test-staging is in progress, or an earlier one stopped before executing its change set; waiting on the stack:\n  mlcdk-1764478800-000000001 (CREATE_COMPLETE, AVAILABLE, created 2026-11-30T05:00:00Z: mlcdk deploy)\nmlcdk does not delete a change set someone may still execute. If no other deploy of this stage is running, remove the never-deployed stack with its change sets: `destroy --stage staging`, then deploy again"
    );
    assert_eq!(cloud.called("create_change_set"), 0);
    assert_eq!(cloud.called("delete"), 0, "nothing is deleted");

    // On a deployed stack: the command that deletes the change set.
    let cloud = FakeCloud::new()
        .with_stack("UPDATE_COMPLETE")
        .with_pending_change_set("other")
        .plan(adds());
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    assert!(
        err.to_string().ends_with(
            "delete the change set, then deploy again:\n  aws cloudformation delete-change-set --change-set-name arn:cs/other --region us-east-1"
        ),
        "{err}"
    );
    assert_eq!(cloud.called("create_change_set"), 0);
}

/// The review's D5: an interrupted first deploy whose change set is gone
/// leaves an empty stack in review; the next deploy removes it and creates.
#[test]
fn an_empty_stack_left_in_review_is_removed_then_created_again() {
    let cloud = FakeCloud::new()
        .with_stack("REVIEW_IN_PROGRESS")
        .plan(adds());
    let mut ui = RecordingUi::default();
    let outcome = block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap();
    assert!(
        matches!(outcome, DeployOutcome::Deployed { ref status, .. } if status == "CREATE_COMPLETE")
    );
    assert_eq!(cloud.called("delete_stack arn:stack/test-staging/1"), 1);
    assert!(
        ui.text().contains("removed the empty stack test-staging that an earlier deploy left in REVIEW_IN_PROGRESS without a change set"),
        "{}",
        ui.text()
    );
}

/// moto, after an interrupted first deploy, executes the new change set
/// into a second stack and keeps showing the old one in review: that used
/// to be a silent two-hour wait.
#[test]
fn a_stack_still_in_review_after_execution_is_an_error_not_a_wait() {
    let cloud = FakeCloud::new().plan(adds());
    cloud.execute_does_nothing.set(true);
    let err = block_on(deployer(&cloud, options()).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("the change set for test-staging was executed"),
        "{text}"
    );
    assert!(
        text.contains("test-staging is still REVIEW_IN_PROGRESS after its change set was executed"),
        "{text}"
    );
    assert!(
        cloud.called("describe_stack") <= 22,
        "bounded: {}",
        cloud.called("describe_stack")
    );
}

#[test]
fn long_waits_say_that_they_go_on_and_a_bound_says_where_things_stand() {
    let cloud = FakeCloud::new().plan(adds());
    cloud.in_progress_polls.set(25);
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap();
    let still = ui
        .lines
        .iter()
        .filter(|l| l.starts_with("test-staging: still CREATE_IN_PROGRESS"))
        .count();
    assert_eq!(still, 2, "{:?}", ui.lines);

    let cloud = FakeCloud::new().plan(adds());
    cloud.in_progress_polls.set(u32::MAX);
    let bounded = DeployOptions {
        max_polls: 30,
        ..options()
    };
    let err = block_on(deployer(&cloud, bounded).deploy(&staging(), &mut RecordingUi::default()))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("the change set for test-staging was executed"),
        "{text}"
    );
    assert!(
        text.contains("gave up waiting for stack test-staging: still CREATE_IN_PROGRESS after"),
        "{text}"
    );
    assert!(
        text.contains(
            "aws cloudformation describe-stacks --stack-name test-staging --region us-east-1"
        ),
        "{text}"
    );
}

/// The review's D3: `deploy … | head -1` closed standard output and the next
/// line panicked after the change set was made, leaving the stack in review.
#[test]
fn a_closed_standard_output_neither_panics_nor_stops_a_deploy() {
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }
    let cloud = FakeCloud::new().plan(adds());
    let mut ui = mlcdk_deploy::ui::TerminalUi::with_output(Box::new(Closed), false);
    let outcome = block_on(deployer(&cloud, options()).deploy(&staging(), &mut ui)).unwrap();
    assert!(
        matches!(outcome, DeployOutcome::Deployed { ref status, .. } if status == "CREATE_COMPLETE")
    );
    assert!(ui.output_closed());
}

/// Ctrl-C drops the deploy's future (see `mlcdk_deploy::run`); `recover`
/// then cleans up what is safe and says what was left behind.
#[test]
fn an_interrupted_deploy_cleans_up_its_change_set_and_says_what_it_left() {
    let slow = DeployOptions {
        poll_interval: Duration::from_millis(10),
        ..options()
    };
    // Interrupted while the change set is being made.
    let cloud = FakeCloud::new().plan(ChangeSetPlan::Stuck);
    let d = deployer(&cloud, slow.clone());
    let said = block_on(async {
        let mut ui = RecordingUi::default();
        let stack = staging();
        tokio::select! {
            _ = d.deploy(&stack, &mut ui) => panic!("the deploy should still be waiting"),
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        d.recover().await
    });
    assert_eq!(
        said,
        "interrupted before the change set was executed: change set and the empty stack test-staging (REVIEW_IN_PROGRESS) deleted; nothing was deployed"
    );
    assert!(cloud.stacks.borrow().is_empty());
    assert!(cloud.change_sets.borrow().is_empty());

    // Interrupted while CloudFormation deploys: nothing to undo, and it says so.
    let cloud = FakeCloud::new().plan(adds());
    cloud.in_progress_polls.set(u32::MAX);
    let d = deployer(&cloud, slow);
    let said = block_on(async {
        let mut ui = RecordingUi::default();
        let stack = staging();
        tokio::select! {
            _ = d.deploy(&stack, &mut ui) => panic!("the deploy should still be waiting"),
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        d.recover().await
    });
    assert!(
        said.starts_with("interrupted after the deployment of test-staging started: CloudFormation goes on with it"),
        "{said}"
    );
    assert_eq!(cloud.stack_status().as_deref(), Some("CREATE_IN_PROGRESS"));
    assert_eq!(cloud.called("delete"), 0);

    // Interrupted before anything changed.
    let cloud = FakeCloud::new().plan(adds());
    let d = deployer(&cloud, options());
    assert_eq!(
        block_on(d.recover()),
        "interrupted before anything was changed"
    );
}

/// The review's M11: a diff of a new stack in an environment without the
/// assets bucket looked ready; the deploy then failed for lack of bootstrap.
#[test]
fn a_diff_says_when_the_environment_needs_bootstrap_first() {
    let cloud = FakeCloud::new().plan(adds());
    cloud.buckets.borrow_mut().clear();
    let stack = synth(Shape {
        kind: StageKind::Staging,
        topics: 0,
        asset: true,
    });
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, options()).diff(&stack, &mut ui)).unwrap();
    assert!(
        ui.warnings.iter().any(|w| w
            == "the assets bucket mlcdk-assets-111111111111-us-east-1 does not exist: run `bootstrap --stage staging` before deploying"),
        "{:?}",
        ui.warnings
    );
    // Bootstrapped: no such warning.
    let cloud = FakeCloud::new().plan(adds());
    let mut ui = RecordingUi::default();
    block_on(deployer(&cloud, options()).diff(&stack, &mut ui)).unwrap();
    assert!(
        ui.warnings.iter().all(|w| !w.contains("bootstrap")),
        "{:?}",
        ui.warnings
    );
}

/// The way out the pending-change-set message names for a never-deployed
/// stack: destroy works on a stack in review without reading its template.
#[test]
fn destroy_removes_a_stack_still_in_review_with_its_change_sets() {
    let cloud = FakeCloud::new()
        .with_stack("REVIEW_IN_PROGRESS")
        .with_pending_change_set("left-over");
    let retained =
        block_on(deployer(&cloud, options()).destroy(&staging(), &mut RecordingUi::default()))
            .unwrap();
    assert!(retained.is_empty());
    assert!(cloud.stacks.borrow().is_empty());
    assert!(cloud.change_sets.borrow().is_empty());
    assert_eq!(cloud.called("get_template"), 0);
}

/// A template with endpoint `ep` whose variant `Primary` runs on `instance`,
/// registered as a scalable target when `autoscaled`.
fn endpoint_template(instance: &str, autoscaled: bool) -> mlcdk_core::Template {
    let mut resources = serde_json::json!({
        "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
            "ProductionVariants": [{"VariantName": "Primary", "InstanceType": instance,
                "InitialInstanceCount": 1, "ModelName": "m"}]}},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": "ep", "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}}
    });
    if autoscaled {
        resources["Scaling"] = serde_json::json!({
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
                "ResourceId": "endpoint/ep/variant/Primary", "ServiceNamespace": "sagemaker",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": 1, "MaxCapacity": 2}});
    }
    mlcdk_core::Template::from_json_str(&serde_json::json!({"Resources": resources}).to_string())
        .unwrap()
}

/// UpdateEndpoint refuses a new instance type on a variant that is a
/// scalable target; CloudFormation would find out half-way through the
/// update. The deploy refuses before executing and says how to do it.
#[test]
fn an_autoscaled_variant_changing_instance_type_is_refused_before_execution() {
    use mlcdk_deploy::autoscaled_instance_changes;
    let old = endpoint_template("ml.m5.large", true);
    assert_eq!(
        autoscaled_instance_changes(&old, &endpoint_template("ml.m5.xlarge", true)),
        ["ep/Primary: ml.m5.large → ml.m5.xlarge"]
    );
    assert!(autoscaled_instance_changes(&old, &endpoint_template("ml.m5.large", true)).is_empty());
    // Without autoscaling in the deployed stack the update is allowed (the
    // first of the two deploys the message describes).
    assert!(
        autoscaled_instance_changes(
            &endpoint_template("ml.m5.large", false),
            &endpoint_template("ml.m5.xlarge", true)
        )
        .is_empty()
    );

    let plan = ChangeSetPlan::Changes(vec![change(
        "Modify",
        "Config",
        "AWS::SageMaker::EndpointConfig",
        Some("True"),
    )]);
    let cloud = FakeCloud::new()
        .with_stack("CREATE_COMPLETE")
        .plan(plan.clone());
    *cloud.template.borrow_mut() = old.to_json_string();
    let mut stack = staging();
    stack.template = endpoint_template("ml.m5.xlarge", true);
    let mut ui = RecordingUi::default();
    let err = block_on(deployer(&cloud, options()).deploy(&stack, &mut ui)).unwrap_err();
    let m = err.to_string();
    assert!(m.contains("ep/Primary: ml.m5.large → ml.m5.xlarge"), "{m}");
    assert!(m.contains("deploy in two steps"), "{m}");
    assert_eq!(
        cloud.called("create_change_set"),
        0,
        "refused before any change"
    );
    assert_eq!(cloud.called("execute_change_set"), 0);

    // The same instance type deploys.
    let cloud = FakeCloud::new().with_stack("CREATE_COMPLETE").plan(plan);
    *cloud.template.borrow_mut() = old.to_json_string();
    let mut stack = staging();
    stack.template = endpoint_template("ml.m5.large", true);
    block_on(deployer(&cloud, options()).deploy(&stack, &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("execute_change_set"), 1);
}

// ---------------------------------------------------------------------------
// Drift: `drift --stage` and the detection a deploy runs first.

fn detection(status: &str, reason: Option<&str>) -> DriftDetection {
    DriftDetection {
        status: status.into(),
        status_reason: reason.map(str::to_string),
        ..Default::default()
    }
}

fn difference(path: &str, expected: &str, actual: &str, kind: &str) -> PropertyDifference {
    PropertyDifference {
        path: path.into(),
        expected: expected.into(),
        actual: actual.into(),
        kind: kind.into(),
    }
}

fn resource_drift(
    id: &str,
    ty: &str,
    status: &str,
    differences: Vec<PropertyDifference>,
) -> ResourceDrift {
    ResourceDrift {
        logical_id: id.into(),
        physical_id: Some(format!("phys-{id}")),
        resource_type: ty.into(),
        status: status.into(),
        status_reason: None,
        differences,
    }
}

/// The logical ID of the stack's (one) resource of type `ty`. (The bucket's
/// is `Data`, its construct path; the role's construct path is
/// `Role/Resource`, which differs from its logical ID.)
fn logical_id(stack: &SynthesizedStack, ty: &str) -> String {
    let mut ids = stack
        .template
        .resources_of_type(ty)
        .map(|(id, _)| id.clone());
    let id = ids.next().expect("a resource of that type");
    assert!(ids.next().is_none(), "one resource of type {ty}");
    id
}

/// `stack` as deployed: CloudFormation lists its resources and returns its
/// template, plus `extra` resources (logical ID, type) only the deployed
/// stack has.
fn deployed(cloud: &FakeCloud, stack: &SynthesizedStack, extra: &[(&str, &str)]) {
    *cloud.template.borrow_mut() = stack.text.clone();
    let mut resources: Vec<StackResource> = stack
        .template
        .resources
        .iter()
        .map(|(id, r)| StackResource {
            logical_id: id.clone(),
            physical_id: Some(format!("phys-{id}")),
            resource_type: r.resource_type.clone(),
        })
        .collect();
    resources.extend(extra.iter().map(|(id, ty)| StackResource {
        logical_id: id.to_string(),
        physical_id: None,
        resource_type: ty.to_string(),
    }));
    *cloud.resources.borrow_mut() = resources;
}

/// Runs `command` as the command line does (`execute`, then `finish`):
/// the exit code, and everything printed, the error line last.
fn run_command(
    cloud: &FakeCloud,
    options: DeployOptions,
    command: mlcdk_deploy::Command,
    stack: &SynthesizedStack,
) -> (u8, String) {
    let d = deployer(cloud, options);
    let mut ui = RecordingUi::default();
    let result = block_on(mlcdk_deploy::execute(&d, command, stack, &mut ui));
    let mut err = Vec::new();
    let code = mlcdk_deploy::finish(
        command,
        stack,
        result.map_err(mlcdk_deploy::Stopped::Error),
        &mut err,
    );
    (
        code,
        format!("{}\n{}", ui.text(), String::from_utf8(err).unwrap()),
    )
}

use mlcdk_deploy::Command::Drift;

#[test]
fn drift_in_sync_exits_0_and_lists_unsupported_types_as_not_checked() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    // The deployed stack also holds a pipeline, a type drift detection does
    // not support: DescribeStackResourceDrifts leaves it out.
    deployed(&cloud, &stack, &[("Pipeline1", "AWS::SageMaker::Pipeline")]);
    let bucket = logical_id(&stack, "AWS::S3::Bucket");
    let role = logical_id(&stack, "AWS::IAM::Role");
    *cloud.drifts.borrow_mut() = vec![
        resource_drift(&bucket, "AWS::S3::Bucket", "IN_SYNC", vec![]),
        resource_drift(&role, "AWS::IAM::Role", "IN_SYNC", vec![]),
    ];
    *cloud.drift_statuses.borrow_mut() = vec![
        detection("DETECTION_IN_PROGRESS", None),
        detection("DETECTION_COMPLETE", None),
    ];
    let (code, text) = run_command(&cloud, options(), Drift, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_OK, "{text}");
    assert!(
        text.contains("drift of test-staging: 0 drifted, 2 in sync, 1 not checked"),
        "{text}"
    );
    assert!(
        text.contains("not checked (1): drift detection does not support their types"),
        "{text}"
    );
    assert!(
        text.contains("    Pipeline1 (AWS::SageMaker::Pipeline)"),
        "{text}"
    );
    assert!(
        text.contains("test-staging: in sync (2 checked, 1 not checked)"),
        "{text}"
    );
    assert!(!text.contains("error:"), "{text}");
    assert_eq!(cloud.called("drift_detection_status"), 2);
    // Detection changes nothing.
    assert_eq!(cloud.called("create_change_set"), 0);
    assert_eq!(cloud.called("execute_change_set"), 0);
}

#[test]
fn drifted_resources_show_construct_path_values_and_marks_and_exit_1() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    let bucket = logical_id(&stack, "AWS::S3::Bucket");
    let role = logical_id(&stack, "AWS::IAM::Role");
    *cloud.drifts.borrow_mut() = vec![
        resource_drift(
            &bucket,
            "AWS::S3::Bucket",
            "MODIFIED",
            vec![
                difference(
                    "/PublicAccessBlockConfiguration/BlockPublicPolicy",
                    "true",
                    "false",
                    "NOT_EQUAL",
                ),
                difference(
                    "/Tags/1",
                    "",
                    "{\"Key\": \"owner\",\n \"Value\": \"ops\"}",
                    "ADD",
                ),
            ],
        ),
        resource_drift(
            &role,
            "AWS::IAM::Role",
            "MODIFIED",
            vec![difference(
                "/ManagedPolicyArns/0",
                "",
                "\"arn:aws:iam::aws:policy/AdministratorAccess\"",
                "ADD",
            )],
        ),
    ];
    let (code, text) = run_command(&cloud, options(), Drift, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
    assert!(
        text.contains("drift of test-staging: 2 drifted, 0 in sync, 0 not checked"),
        "{text}"
    );
    // The construct path first, the logical ID (what the console shows) after.
    assert!(
        text.contains(&format!(
            "  ~ Role/Resource (AWS::IAM::Role, {role}) MODIFIED  [security]"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  ~ {bucket} (AWS::S3::Bucket) MODIFIED  [security]  [stateful]"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "      /PublicAccessBlockConfiguration/BlockPublicPolicy: true → false  [security]"
        ),
        "{text}"
    );
    // Values stay on one line; a tag is neither security nor hidden.
    assert!(
        text.contains("      /Tags/1: added {\"Key\": \"owner\", \"Value\": \"ops\"}\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "      /ManagedPolicyArns/0: added \"arn:aws:iam::aws:policy/AdministratorAccess\""
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "error: test-staging has drifted: 2 resources differ from the deployed template (2 security-relevant)"
        ),
        "{text}"
    );
}

#[test]
fn a_deleted_resource_and_unknown_statuses_are_reported_never_as_in_sync() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[("Queue1", "AWS::SQS::Queue")]);
    let bucket = logical_id(&stack, "AWS::S3::Bucket");
    let role = logical_id(&stack, "AWS::IAM::Role");
    let mut unknown = resource_drift(&role, "AWS::IAM::Role", "UNKNOWN", vec![]);
    unknown.status_reason = Some("Internal failure".into());
    *cloud.drifts.borrow_mut() = vec![
        resource_drift(&bucket, "AWS::S3::Bucket", "DELETED", vec![]),
        unknown,
        // Documented as never returned, handled all the same.
        resource_drift("Queue1", "AWS::SQS::Queue", "NOT_CHECKED", vec![]),
    ];
    let (code, text) = run_command(&cloud, options(), Drift, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
    assert!(
        text.contains("drift of test-staging: 1 drifted, 0 in sync, 2 not checked"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  - {bucket} (AWS::S3::Bucket) DELETED  [stateful]"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    Role/Resource (AWS::IAM::Role, {role}): Internal failure"
        )),
        "{text}"
    );
    assert!(
        text.contains("    Queue1 (AWS::SQS::Queue): NOT_CHECKED"),
        "{text}"
    );
    assert!(
        text.contains(
            "has drifted: 1 resource differs from the deployed template (0 security-relevant)"
        ),
        "{text}"
    );
}

#[test]
fn a_failed_detection_gives_its_reason_and_exits_1() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    let bucket = logical_id(&stack, "AWS::S3::Bucket");
    *cloud.drifts.borrow_mut() = vec![resource_drift(
        &bucket,
        "AWS::S3::Bucket",
        "IN_SYNC",
        vec![],
    )];
    *cloud.drift_statuses.borrow_mut() = vec![detection(
        "DETECTION_FAILED",
        Some("Failed to detect drift on resource [Role]: Access denied"),
    )];
    let (code, text) = run_command(&cloud, options(), Drift, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
    // The resource it could not check is listed, not counted in sync.
    assert!(
        text.contains("drift of test-staging: 0 drifted, 1 in sync, 1 not checked"),
        "{text}"
    );
    assert!(
        text.contains("drift detection failed: Failed to detect drift on resource [Role]: Access denied; the results above cover only the resources it checked"),
        "{text}"
    );
    assert!(
        text.contains("error: drift detection of test-staging failed: Failed to detect drift on resource [Role]: Access denied"),
        "{text}"
    );
    assert!(!text.contains("in sync ("), "{text}");

    // Drift among the resources it did check is still drift.
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    *cloud.drifts.borrow_mut() = vec![resource_drift(
        &bucket,
        "AWS::S3::Bucket",
        "MODIFIED",
        vec![difference(
            "/VersioningConfiguration/Status",
            "\"Enabled\"",
            "\"Suspended\"",
            "NOT_EQUAL",
        )],
    )];
    *cloud.drift_statuses.borrow_mut() = vec![detection("DETECTION_FAILED", Some("partial"))];
    let (code, text) = run_command(&cloud, options(), Drift, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
    assert!(
        text.contains("error: test-staging has drifted: 1 resource"),
        "{text}"
    );
    assert!(
        text.contains("/VersioningConfiguration/Status: \"Enabled\" → \"Suspended\""),
        "{text}"
    );
}

#[test]
fn a_long_detection_says_it_goes_on_and_gives_up_at_the_bound() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    *cloud.drift_statuses.borrow_mut() = vec![detection("DETECTION_IN_PROGRESS", None)];
    let options = DeployOptions {
        max_drift_polls: 5,
        progress_every: 2,
        ..options()
    };
    let (code, text) = run_command(&cloud, options, Drift, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
    assert_eq!(
        text.matches("test-staging: drift detection still DETECTION_IN_PROGRESS (")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("error: gave up waiting for the drift detection of test-staging: still DETECTION_IN_PROGRESS after 0 s (5 polls); CloudFormation carries on: see it with `aws cloudformation describe-stack-drift-detection-status --stack-drift-detection-id drift-test-staging --region us-east-1`"),
        "{text}"
    );
    assert_eq!(cloud.called("drift_detection_status"), 5);
    assert_eq!(cloud.called("resource_drifts"), 0);
}

#[test]
fn throttled_drift_calls_are_retried_then_given_up() {
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    // DetectStackDrift is throttled twice, then goes through.
    cloud.throttle.set(2);
    let report =
        block_on(deployer(&cloud, options()).detect_drift(&stack, &mut RecordingUi::default()))
            .unwrap();
    assert!(!report.has_drift());
    assert_eq!(
        cloud.called("detect_stack_drift"),
        3,
        "two throttled, one through"
    );
    assert_eq!(cloud.called("resource_drifts"), 1);

    // Throttled past the attempts: the call is named, exit 1.
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    cloud.throttle.set(100);
    let err =
        block_on(deployer(&cloud, options()).detect_drift(&stack, &mut RecordingUi::default()))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cloudformation:DetectStackDrift failed: Throttling: Rate exceeded"
    );
    assert_eq!(
        cloud.called("detect_stack_drift"),
        options().max_attempts as usize
    );
}

#[test]
fn drift_of_a_stage_not_deployed_or_busy_is_an_error_before_detection() {
    let stack = staging();
    for (cloud, expected) in [
        (FakeCloud::new(), "test-staging is not deployed"),
        (
            FakeCloud::new().with_stack("REVIEW_IN_PROGRESS"),
            "test-staging is not deployed",
        ),
        (
            FakeCloud::new().with_stack("UPDATE_IN_PROGRESS"),
            "test-staging is busy (UPDATE_IN_PROGRESS)",
        ),
    ] {
        let (code, text) = run_command(&cloud, options(), Drift, &stack);
        assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
        assert!(text.contains(expected), "{text}");
        assert_eq!(cloud.called("detect_stack_drift"), 0);
    }
}

fn production() -> Synthesized {
    synth(Shape {
        kind: StageKind::Production,
        topics: 0,
        asset: false,
    })
}

/// A production stack, deployed, whose bucket's versioning was suspended by
/// hand; the change set modifies `modified`.
fn drifted_production(modified: &str) -> (FakeCloud, Synthesized, String) {
    let stack = production();
    let bucket = logical_id(&stack, "AWS::S3::Bucket");
    let modified = if modified == "bucket" {
        bucket.clone()
    } else {
        logical_id(&stack, "AWS::IAM::Role")
    };
    let cloud = FakeCloud::new().plan(ChangeSetPlan::Changes(vec![change(
        "Modify",
        &modified,
        "AWS::S3::Bucket",
        Some("False"),
    )]));
    cloud.make_stack("test-production", "UPDATE_COMPLETE");
    deployed(&cloud, &stack, &[]);
    *cloud.drifts.borrow_mut() = vec![resource_drift(
        &bucket,
        "AWS::S3::Bucket",
        "MODIFIED",
        vec![difference(
            "/VersioningConfiguration/Status",
            "\"Enabled\"",
            "\"Suspended\"",
            "NOT_EQUAL",
        )],
    )];
    (cloud, stack, bucket)
}

#[test]
fn production_refuses_to_overwrite_drift_and_shows_what_would_be_reverted() {
    let (cloud, stack, bucket) = drifted_production("bucket");
    let (code, text) = run_command(&cloud, options(), mlcdk_deploy::Command::Deploy, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
    assert_eq!(
        cloud.called("detect_stack_drift"),
        1,
        "production detects by default"
    );
    assert!(
        text.contains(&format!(
            "error: refusing to deploy test-production: its change set updates resources that were changed outside CloudFormation, and the update can revert those changes:\n  {bucket} (AWS::S3::Bucket) MODIFIED  [stateful]: updated from the template by this deploy\n    revert /VersioningConfiguration/Status: \"Suspended\" → \"Enabled\"\nput the changes you want to keep into the definition, or pass --allow-drift to revert them"
        )),
        "{text}"
    );
    // Nothing ran, and the change set made to find out is gone.
    assert_eq!(cloud.called("execute_change_set"), 0);
    assert!(cloud.change_sets.borrow().is_empty());

    // --allow-drift: the same deploy runs, saying what it overwrites.
    let (cloud, stack, _) = drifted_production("bucket");
    let options = DeployOptions {
        allow_drift: true,
        ..options()
    };
    let (code, text) = run_command(&cloud, options, mlcdk_deploy::Command::Deploy, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_OK, "{text}");
    assert!(
        text.contains(
            "this deploy overwrites changes made outside CloudFormation (--allow-drift):"
        ),
        "{text}"
    );
    assert!(
        text.contains("    revert /VersioningConfiguration/Status: \"Suspended\" → \"Enabled\""),
        "{text}"
    );
    assert_eq!(cloud.called("execute_change_set"), 1);
}

#[test]
fn drift_a_change_set_does_not_touch_stays_and_does_not_block() {
    let (cloud, stack, _) = drifted_production("role");
    let (code, text) = run_command(&cloud, options(), mlcdk_deploy::Command::Deploy, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_OK, "{text}");
    assert!(
        text.contains("1 drifted resource not in this change set stays as it is (CloudFormation updates only the resources a change set lists)"),
        "{text}"
    );
    assert_eq!(cloud.called("execute_change_set"), 1);

    // No changes at all: the drift is said to stay.
    let (cloud, stack, _) = drifted_production("bucket");
    *cloud.plan.borrow_mut() = Some(ChangeSetPlan::NoChangesError);
    let (code, text) = run_command(&cloud, options(), mlcdk_deploy::Command::Deploy, &stack);
    assert_eq!(code, mlcdk_deploy::EXIT_OK, "{text}");
    assert!(text.contains("test-production: no changes"), "{text}");
    assert!(
        text.contains(
            "1 drifted resource stays as it is (a deploy without changes touches nothing)"
        ),
        "{text}"
    );
}

#[test]
fn other_stages_detect_drift_only_with_check_drift() {
    let plan = || {
        ChangeSetPlan::Changes(vec![change(
            "Modify",
            "Data",
            "AWS::S3::Bucket",
            Some("False"),
        )])
    };
    let stack = staging();
    let cloud = FakeCloud::new().with_stack("UPDATE_COMPLETE").plan(plan());
    block_on(deployer(&cloud, options()).deploy(&stack, &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("detect_stack_drift"), 0);

    let bucket = logical_id(&stack, "AWS::S3::Bucket");
    let cloud = FakeCloud::new()
        .with_stack("UPDATE_COMPLETE")
        .plan(ChangeSetPlan::Changes(vec![change(
            "Modify",
            &bucket,
            "AWS::S3::Bucket",
            Some("False"),
        )]));
    deployed(&cloud, &stack, &[]);
    *cloud.drifts.borrow_mut() = vec![resource_drift(
        &bucket,
        "AWS::S3::Bucket",
        "MODIFIED",
        vec![difference(
            "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
            "\"aws:kms\"",
            "\"AES256\"",
            "NOT_EQUAL",
        )],
    )];
    let checking = DeployOptions {
        check_drift: true,
        ..options()
    };
    let err = block_on(deployer(&cloud, checking).deploy(&stack, &mut RecordingUi::default()))
        .unwrap_err();
    assert!(
        matches!(err, DeployError::DriftWouldBeOverwritten { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("MODIFIED  [security]  [stateful]"),
        "{err}"
    );
    assert_eq!(cloud.called("execute_change_set"), 0);

    // A production stack being created has nothing to detect.
    let stack = production();
    let cloud = FakeCloud::new().plan(adds());
    block_on(deployer(&cloud, options()).deploy(&stack, &mut RecordingUi::default())).unwrap();
    assert_eq!(cloud.called("detect_stack_drift"), 0);
    assert_eq!(cloud.called("execute_change_set"), 1);
}

#[test]
fn production_refuses_when_detection_does_not_finish_unless_allowed() {
    for (status, polls, expected) in [
        (
            detection(
                "DETECTION_FAILED",
                Some("Rate exceeded on s3:GetBucketPolicy"),
            ),
            200,
            "drift detection did not finish (DETECTION_FAILED: Rate exceeded on s3:GetBucketPolicy)",
        ),
        (
            detection("DETECTION_IN_PROGRESS", None),
            3,
            "drift detection did not finish (gave up waiting for the drift detection of test-production: still DETECTION_IN_PROGRESS",
        ),
    ] {
        let (cloud, stack, _) = drifted_production("role");
        *cloud.drift_statuses.borrow_mut() = vec![status];
        let opts = DeployOptions {
            max_drift_polls: polls,
            ..options()
        };
        let (code, text) = run_command(&cloud, opts.clone(), mlcdk_deploy::Command::Deploy, &stack);
        assert_eq!(code, mlcdk_deploy::EXIT_FAILED, "{text}");
        assert!(
            text.contains("error: refusing to deploy test-production: "),
            "{text}"
        );
        assert!(text.contains(expected), "{text}");
        assert!(
            text.contains("run `drift --stage production` to see, or pass --allow-drift"),
            "{text}"
        );
        assert_eq!(
            cloud.called("create_change_set"),
            0,
            "refused before any change"
        );

        let opts = DeployOptions {
            allow_drift: true,
            ..opts
        };
        let (code, text) = run_command(&cloud, opts, mlcdk_deploy::Command::Deploy, &stack);
        assert_eq!(code, mlcdk_deploy::EXIT_OK, "{text}");
        assert_eq!(cloud.called("execute_change_set"), 1);
    }
}

//! The small slice of the CloudFormation, S3 and STS APIs the deployer uses,
//! as traits, so the state machine runs against the real SDK
//! ([`crate::aws`]) or against a fake in tests.

use std::fmt;

/// An API error, reduced to what the deployer decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The service's error code (`ValidationError`, `Throttling`, …), when known.
    pub code: Option<String>,
    /// The service's message.
    pub message: String,
}

impl ApiError {
    /// An error with a code, as a fake API returns it.
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: Some(code.to_string()),
            message: message.into(),
        }
    }

    /// Throttling: worth retrying after a pause.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "Throttling"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "TooManyRequestsException"
                    | "SlowDown"
            )
        ) || self.message.contains("Rate exceeded")
    }

    /// CloudFormation's three ways of saying an update changes nothing.
    pub fn is_no_changes(&self) -> bool {
        is_no_changes_reason(&self.message)
    }
}

/// Whether a change set status reason (or error message) means "no changes".
pub fn is_no_changes_reason(reason: &str) -> bool {
    reason.contains("No updates are to be performed")
        || reason.contains("didn't contain changes")
        || reason.contains("does not contain changes")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ApiError {}

/// What the deployer needs to know of a deployed stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackDescription {
    /// The stack's name.
    pub name: String,
    /// The stack's id (its ARN): tells this stack from a later one of the
    /// same name, so a cleanup deletes only the stack it means.
    pub id: String,
    /// `CREATE_COMPLETE`, `ROLLBACK_COMPLETE`, `REVIEW_IN_PROGRESS`, …
    pub status: String,
    /// Why it is in that status, for failures.
    pub status_reason: Option<String>,
    /// Whether termination protection is on (production stacks must have it).
    pub termination_protection: bool,
    /// `(output key, value)` of the deployed stack, printed after a deploy.
    pub outputs: Vec<(String, String)>,
}

/// Whether a change set creates the stack or updates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSetType {
    /// For a stack that does not exist yet (it appears in
    /// `REVIEW_IN_PROGRESS`).
    Create,
    /// For an existing stack.
    Update,
}

/// Where the template comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSource {
    /// The template inline, up to 51,200 bytes.
    Body(String),
    /// An S3 URL of the uploaded template, for larger ones (up to 1 MB).
    Url(String),
}

/// A `CreateChangeSet` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetRequest {
    /// The stack's name.
    pub stack_name: String,
    /// Unique per stack; the deployer makes one per attempt.
    pub change_set_name: String,
    /// Create or update.
    pub change_set_type: ChangeSetType,
    /// The template, inline or by URL.
    pub template: TemplateSource,
    /// `CAPABILITY_IAM` or `CAPABILITY_NAMED_IAM` when the template has IAM
    /// resources.
    pub capabilities: Vec<String>,
    /// Stack tags, which CloudFormation propagates to the resources (`app`,
    /// `stage`).
    pub tags: Vec<(String, String)>,
    /// The change set's description, shown in the console's change set list.
    pub description: Option<String>,
}

/// One resource change of a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// The resource's logical ID.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `True`, `False`, `Conditional` (only for `Modify`).
    pub replacement: Option<String>,
}

impl ResourceChange {
    /// Whether the change deletes the resource.
    pub fn is_removal(&self) -> bool {
        self.action == "Remove"
    }

    /// A modification that replaces the resource (or may: `Conditional`).
    pub fn is_replacement(&self) -> bool {
        self.action == "Modify"
            && matches!(self.replacement.as_deref(), Some("True" | "Conditional"))
    }
}

/// What `CreateChangeSet` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedChangeSet {
    /// The change set's id (ARN).
    pub id: String,
    /// The id of the stack it belongs to (a CREATE change set makes the stack,
    /// in `REVIEW_IN_PROGRESS`).
    pub stack_id: String,
}

/// One change set of a stack, as `ListChangeSets` gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSetSummary {
    /// Its id (ARN).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The id of the stack it belongs to. (moto lists every stack's change
    /// sets, those of deleted stacks too; the id tells them apart.)
    pub stack_id: String,
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`, …
    pub status: String,
    /// `AVAILABLE` (can be executed), `UNAVAILABLE`, `EXECUTE_IN_PROGRESS`,
    /// `OBSOLETE`, …
    pub execution_status: String,
    /// When it was created (as the service prints it), for messages.
    pub created: Option<String>,
    /// Its description (`mlcdk deploy` for the deployer's own).
    pub description: Option<String>,
}

impl ChangeSetSummary {
    /// Whether it belongs to the stack with this id (an unknown id on either
    /// side counts as a match: better refuse than miss one).
    pub fn belongs_to(&self, stack_id: &str) -> bool {
        self.stack_id.is_empty() || stack_id.is_empty() || self.stack_id == stack_id
    }

    /// Being made, or made and waiting to be executed: someone (another
    /// deploy, or one that was interrupted) may still execute it.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.status.as_str(),
            "CREATE_PENDING" | "CREATE_IN_PROGRESS"
        ) || (self.status == "CREATE_COMPLETE" && self.execution_status == "AVAILABLE")
    }
}

/// A change set's state and its resource changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetDescription {
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`, …
    pub status: String,
    /// Why, when it failed (including "no changes").
    pub status_reason: Option<String>,
    /// The resource changes.
    pub changes: Vec<ResourceChange>,
}

/// One stack event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    /// The event's ID, to tell events already shown from new ones.
    pub id: String,
    /// The resource's logical ID (the stack's name for stack events).
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `UPDATE_FAILED`, …
    pub status: String,
    /// Why, for failures.
    pub reason: Option<String>,
}

/// One resource of a deployed stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackResource {
    /// The resource's logical ID.
    pub logical_id: String,
    /// The physical ID (a name or ARN), when the resource was created.
    pub physical_id: Option<String>,
    /// The resource type.
    pub resource_type: String,
}

/// Where a stack drift detection stands (`DescribeStackDriftDetectionStatus`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriftDetection {
    /// `DETECTION_IN_PROGRESS`, `DETECTION_COMPLETE` or `DETECTION_FAILED`.
    pub status: String,
    /// Why, for `DETECTION_FAILED` (which still leaves results for the
    /// resources that were checked).
    pub status_reason: Option<String>,
    /// `DRIFTED`, `IN_SYNC`, `NOT_CHECKED`, `UNKNOWN`, once complete.
    pub stack_drift_status: Option<String>,
    /// How many resources drifted, once complete.
    pub drifted_count: Option<i32>,
}

/// One property that differs between the deployed template and the
/// resource as it is (`PropertyDifference`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropertyDifference {
    /// The property's path, e.g. `/PolicyDocument/Statement/0/Effect`.
    pub path: String,
    /// The value the template sets (JSON text), empty when none.
    pub expected: String,
    /// The value the resource has (JSON text), empty when none.
    pub actual: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub kind: String,
}

/// The drift of one resource that detection checked (`StackResourceDrift`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceDrift {
    /// The resource's logical ID.
    pub logical_id: String,
    /// Its physical ID, when known.
    pub physical_id: Option<String>,
    /// The resource type.
    pub resource_type: String,
    /// `IN_SYNC`, `MODIFIED`, `DELETED`, `NOT_CHECKED`, `UNKNOWN`,
    /// `UNSUPPORTED`: kept as text, newer values included.
    pub status: String,
    /// Why, for `UNKNOWN` (CloudFormation could not check it).
    pub status_reason: Option<String>,
    /// The properties that differ (for `MODIFIED`).
    pub differences: Vec<PropertyDifference>,
}

/// The CloudFormation calls the deployer makes.
#[allow(async_fn_in_trait)]
pub trait CloudFormationApi {
    /// `None` when the stack does not exist.
    async fn describe_stack(&self, name: &str) -> Result<Option<StackDescription>, ApiError>;
    /// Creates the change set; returns its id and its stack's id.
    async fn create_change_set(
        &self,
        request: &ChangeSetRequest,
    ) -> Result<CreatedChangeSet, ApiError>;
    /// `ListChangeSets` of a stack (by name or id), every page; empty when the
    /// stack does not exist.
    async fn list_change_sets(&self, stack: &str) -> Result<Vec<ChangeSetSummary>, ApiError>;
    /// `DescribeChangeSet`, every page of changes.
    async fn describe_change_set(&self, id: &str) -> Result<ChangeSetDescription, ApiError>;
    /// `ExecuteChangeSet`: start the update; it runs on after the call returns.
    async fn execute_change_set(&self, id: &str) -> Result<(), ApiError>;
    /// `DeleteChangeSet`, for change sets that are only looked at (diff) or
    /// declined.
    async fn delete_change_set(&self, id: &str) -> Result<(), ApiError>;
    /// Newest first, as CloudFormation returns them.
    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, ApiError>;
    /// `ListStackResources`: what a destroy deletes or leaves behind.
    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, ApiError>;
    /// The deployed template's text (`GetTemplate`).
    async fn get_template(&self, name: &str) -> Result<String, ApiError>;
    /// `DeleteStack` (by name or id): start the deletion.
    async fn delete_stack(&self, name: &str) -> Result<(), ApiError>;
    /// `UpdateTerminationProtection`.
    async fn set_termination_protection(&self, name: &str, enabled: bool) -> Result<(), ApiError>;
    /// `DetectStackDrift`: start a drift detection of the whole stack;
    /// returns the detection's id.
    async fn detect_stack_drift(&self, name: &str) -> Result<String, ApiError>;
    /// `DescribeStackDriftDetectionStatus` of a detection.
    async fn drift_detection_status(&self, detection_id: &str) -> Result<DriftDetection, ApiError>;
    /// `DescribeStackResourceDrifts`, every page, every status: the
    /// resources the last detection checked. Resources whose type drift
    /// detection does not support are not in it.
    async fn resource_drifts(&self, name: &str) -> Result<Vec<ResourceDrift>, ApiError>;
}

/// The S3 calls for assets.
#[allow(async_fn_in_trait)]
pub trait ObjectStore {
    /// `HeadBucket`: whether the environment is bootstrapped.
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError>;
    /// `HeadObject`: assets are content-addressed, so an existing key is
    /// not uploaded again.
    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError>;
    /// `PutObject`.
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ApiError>;
}

/// Who the credentials belong to.
#[allow(async_fn_in_trait)]
pub trait Identity {
    /// `GetCallerIdentity`: the account the credentials belong to, checked
    /// against the stage's before anything changes.
    async fn account_id(&self) -> Result<String, ApiError>;
}

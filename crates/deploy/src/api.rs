//! The small slice of the CloudFormation, S3 and STS APIs the deployer uses,
//! as traits, so the state machine runs against the real SDK
//! ([`crate::aws`]) or against a fake in tests.

use std::fmt;

/// An API error, reduced to what the deployer decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The service's error code (`ValidationError`, `Throttling`, …), when known.
    pub code: Option<String>,
    pub message: String,
}

impl ApiError {
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackDescription {
    pub name: String,
    /// `CREATE_COMPLETE`, `ROLLBACK_COMPLETE`, `REVIEW_IN_PROGRESS`, …
    pub status: String,
    pub status_reason: Option<String>,
    pub termination_protection: bool,
    pub outputs: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSetType {
    Create,
    Update,
}

/// Where the template comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSource {
    Body(String),
    Url(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetRequest {
    pub stack_name: String,
    pub change_set_name: String,
    pub change_set_type: ChangeSetType,
    pub template: TemplateSource,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub description: Option<String>,
}

/// One resource change of a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False`, `Conditional` (only for `Modify`).
    pub replacement: Option<String>,
}

impl ResourceChange {
    pub fn is_removal(&self) -> bool {
        self.action == "Remove"
    }

    /// A modification that replaces the resource (or may: `Conditional`).
    pub fn is_replacement(&self) -> bool {
        self.action == "Modify"
            && matches!(self.replacement.as_deref(), Some("True" | "Conditional"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetDescription {
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`, …
    pub status: String,
    pub status_reason: Option<String>,
    pub changes: Vec<ResourceChange>,
}

/// One stack event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

/// One resource of a deployed stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
}

/// The CloudFormation calls the deployer makes.
#[allow(async_fn_in_trait)]
pub trait CloudFormationApi {
    /// `None` when the stack does not exist.
    async fn describe_stack(&self, name: &str) -> Result<Option<StackDescription>, ApiError>;
    /// Returns the change set's id (ARN).
    async fn create_change_set(&self, request: &ChangeSetRequest) -> Result<String, ApiError>;
    async fn describe_change_set(&self, id: &str) -> Result<ChangeSetDescription, ApiError>;
    async fn execute_change_set(&self, id: &str) -> Result<(), ApiError>;
    async fn delete_change_set(&self, id: &str) -> Result<(), ApiError>;
    /// Newest first, as CloudFormation returns them.
    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, ApiError>;
    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, ApiError>;
    async fn get_template(&self, name: &str) -> Result<String, ApiError>;
    async fn delete_stack(&self, name: &str) -> Result<(), ApiError>;
    async fn set_termination_protection(&self, name: &str, enabled: bool) -> Result<(), ApiError>;
}

/// The S3 calls for assets.
#[allow(async_fn_in_trait)]
pub trait ObjectStore {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError>;
    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError>;
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ApiError>;
}

/// Who the credentials belong to.
#[allow(async_fn_in_trait)]
pub trait Identity {
    async fn account_id(&self) -> Result<String, ApiError>;
}

//! The real clients: the AWS SDK behind the deployer's traits.
//!
//! Configuration comes from the standard chain (`aws-config`: environment,
//! profiles, SSO, instance roles), with the stage's region and, when set, its
//! profile. `AWS_ENDPOINT_URL` points every client at a local endpoint (moto).

use std::time::Duration;

use aws_sdk_cloudformation as cfn;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3 as s3;
use aws_sdk_sts as sts;

use crate::api::{
    ApiError, ChangeSetDescription, ChangeSetRequest, ChangeSetSummary, ChangeSetType,
    CloudFormationApi, CreatedChangeSet, DriftDetection, Identity, ObjectStore, PropertyDifference,
    ResourceChange, ResourceDrift, StackDescription, StackEvent, StackResource, TemplateSource,
};

/// The HTTPS client of every SDK client: the SDK's own hyper + rustls client
/// with ring as the crypto provider (the SDK default, aws-lc-rs, needs a long
/// C build; see `Cargo.toml`). Roots come from the platform's certificate
/// store, as with the default client.
pub fn https_client() -> cfn::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Bounds on every AWS call. The SDK sets none by default, so an endpoint
/// that accepts a connection and never answers made every command hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish a connection (default 10 s).
    pub connect: Duration,
    /// From sending a request to the first byte of its answer (default 60 s).
    pub read: Duration,
    /// One attempt, upload included (default 120 s: an asset of a few MB on
    /// a slow link).
    pub attempt: Duration,
    /// A call with all its retries (default 300 s).
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(60),
            attempt: Duration::from_secs(120),
            operation: Duration::from_secs(300),
        }
    }
}

impl Timeouts {
    fn to_sdk(self) -> aws_config::timeout::TimeoutConfig {
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.read)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// The SDK configuration for a stage's environment. `retries: false` turns the
/// SDK's own retries off (local endpoints answer crashes with HTML 500s, which
/// the SDK would otherwise retry for a long time).
pub async fn load_config(
    region: &str,
    profile: Option<&str>,
    retries: bool,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(Timeouts::default().to_sdk())
        .region(aws_config::Region::new(region.to_string()));
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if !retries {
        loader = loader.retry_config(aws_config::retry::RetryConfig::disabled());
    }
    loader.load().await
}

/// Configuration for a local endpoint such as moto: static test credentials,
/// no SDK retries (moto answers its crashes with HTML 500s).
pub async fn local_config(endpoint_url: &str, region: &str) -> aws_config::SdkConfig {
    local_config_with(endpoint_url, region, Timeouts::default()).await
}

/// [`local_config`] with other bounds (tests use short ones).
pub async fn local_config_with(
    endpoint_url: &str,
    region: &str,
    timeouts: Timeouts,
) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts.to_sdk())
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(endpoint_url)
        .credentials_provider(cfn::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "mlcdk-local",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

fn api_error<E>(e: SdkError<E, cfn::config::http::HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.code().map(str::to_string);
    let message = match e.message() {
        Some(m) => m.to_string(),
        // An answer the SDK could not read (moto's HTML 500 for an action it
        // does not implement): the HTTP status says more than the parse
        // error alone.
        None => match e.raw_response().map(|r| r.status().as_u16()) {
            Some(status) if !(200..300).contains(&status) => {
                format!("HTTP {status}: {}", error_chain(&e))
            }
            _ => error_chain(&e),
        },
    };
    ApiError { code, message }
}

/// An error and its sources on one line (`dispatch failure: io error: …:
/// Connection refused (os error 111)`). `DisplayErrorContext` would add the
/// whole `Debug` dump, hundreds of characters a user cannot act on.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// CloudFormation through the SDK.
pub struct SdkCloudFormation(pub cfn::Client);

impl SdkCloudFormation {
    /// A client for `config`'s region and credentials.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        SdkCloudFormation(cfn::Client::new(config))
    }
}

impl CloudFormationApi for SdkCloudFormation {
    async fn describe_stack(&self, name: &str) -> Result<Option<StackDescription>, ApiError> {
        let out = match self.0.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = api_error(e);
                if e.message.contains("does not exist") {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let Some(s) = out.stacks().first() else {
            return Ok(None);
        };
        Ok(Some(StackDescription {
            name: s.stack_name().unwrap_or(name).to_string(),
            id: s.stack_id().unwrap_or_default().to_string(),
            // Unknown statuses (REVIEW_IN_PROGRESS on older models) keep their text.
            status: s
                .stack_status()
                .map(|st| st.as_str().to_string())
                .unwrap_or_default(),
            status_reason: s.stack_status_reason().map(str::to_string),
            termination_protection: s.enable_termination_protection().unwrap_or(false),
            outputs: s
                .outputs()
                .iter()
                .map(|o| {
                    (
                        o.output_key().unwrap_or_default().to_string(),
                        o.output_value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        }))
    }

    async fn create_change_set(&self, r: &ChangeSetRequest) -> Result<CreatedChangeSet, ApiError> {
        let mut req = self
            .0
            .create_change_set()
            .stack_name(&r.stack_name)
            .change_set_name(&r.change_set_name)
            .change_set_type(match r.change_set_type {
                ChangeSetType::Create => cfn::types::ChangeSetType::Create,
                ChangeSetType::Update => cfn::types::ChangeSetType::Update,
            });
        req = match &r.template {
            TemplateSource::Body(b) => req.template_body(b),
            TemplateSource::Url(u) => req.template_url(u),
        };
        for c in &r.capabilities {
            req = req.capabilities(cfn::types::Capability::from(c.as_str()));
        }
        for (k, v) in &r.tags {
            req = req.tags(cfn::types::Tag::builder().key(k).value(v).build());
        }
        if let Some(d) = &r.description {
            req = req.description(d);
        }
        let out = req.send().await.map_err(api_error)?;
        Ok(CreatedChangeSet {
            id: out.id().unwrap_or(&r.change_set_name).to_string(),
            stack_id: out.stack_id().unwrap_or_default().to_string(),
        })
    }

    async fn list_change_sets(&self, stack: &str) -> Result<Vec<ChangeSetSummary>, ApiError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = match self
                .0
                .list_change_sets()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let e = api_error(e);
                    if e.message.contains("does not exist") {
                        return Ok(all);
                    }
                    return Err(e);
                }
            };
            all.extend(out.summaries().iter().map(|c| {
                ChangeSetSummary {
                    id: c.change_set_id().unwrap_or_default().to_string(),
                    name: c.change_set_name().unwrap_or_default().to_string(),
                    stack_id: c.stack_id().unwrap_or_default().to_string(),
                    status: c
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    execution_status: c
                        .execution_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    created: c.creation_time().map(|t| t.to_string()),
                    description: c.description().map(str::to_string),
                }
            }));
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(all),
            }
        }
    }

    async fn describe_change_set(&self, id: &str) -> Result<ChangeSetDescription, ApiError> {
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        let mut status = String::new();
        let mut status_reason = None;
        loop {
            let out = self
                .0
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(api_error)?;
            status = out
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or(status);
            status_reason = out.status_reason().map(str::to_string).or(status_reason);
            for c in out.changes() {
                if let Some(rc) = c.resource_change() {
                    changes.push(ResourceChange {
                        action: rc
                            .action()
                            .map(|a| a.as_str().to_string())
                            .unwrap_or_default(),
                        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                        resource_type: rc.resource_type().unwrap_or_default().to_string(),
                        replacement: rc.replacement().map(|r| r.as_str().to_string()),
                    });
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(ChangeSetDescription {
            status,
            status_reason,
            changes,
        })
    }

    async fn execute_change_set(&self, id: &str) -> Result<(), ApiError> {
        self.0
            .execute_change_set()
            .change_set_name(id)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn delete_change_set(&self, id: &str) -> Result<(), ApiError> {
        self.0
            .delete_change_set()
            .change_set_name(id)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn stack_events(&self, name: &str) -> Result<Vec<StackEvent>, ApiError> {
        // The first page holds the newest events, which is all a poll needs.
        let out = self
            .0
            .describe_stack_events()
            .stack_name(name)
            .send()
            .await
            .map_err(api_error)?;
        Ok(out
            .stack_events()
            .iter()
            .map(|e| StackEvent {
                id: e.event_id().unwrap_or_default().to_string(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_string),
            })
            .collect())
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, ApiError> {
        let mut resources = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .0
                .list_stack_resources()
                .stack_name(name)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(api_error)?;
            for r in out.stack_resource_summaries() {
                resources.push(StackResource {
                    logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: r.physical_resource_id().map(str::to_string),
                    resource_type: r.resource_type().unwrap_or_default().to_string(),
                });
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(resources)
    }

    async fn get_template(&self, name: &str) -> Result<String, ApiError> {
        let out = self
            .0
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(api_error)?;
        Ok(out.template_body().unwrap_or_default().to_string())
    }

    async fn delete_stack(&self, name: &str) -> Result<(), ApiError> {
        self.0
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn set_termination_protection(&self, name: &str, enabled: bool) -> Result<(), ApiError> {
        self.0
            .update_termination_protection()
            .stack_name(name)
            .enable_termination_protection(enabled)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }

    // The three drift calls, as documented in
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackDrift.html,
    // API_DescribeStackDriftDetectionStatus.html and
    // API_DescribeStackResourceDrifts.html (the StackResourceDrift and
    // PropertyDifference shapes).
    async fn detect_stack_drift(&self, name: &str) -> Result<String, ApiError> {
        let out = self
            .0
            .detect_stack_drift()
            .stack_name(name)
            .send()
            .await
            .map_err(api_error)?;
        out.stack_drift_detection_id()
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::new(
                    "NoDetectionId",
                    "DetectStackDrift returned no StackDriftDetectionId",
                )
            })
    }

    async fn drift_detection_status(&self, detection_id: &str) -> Result<DriftDetection, ApiError> {
        let out = self
            .0
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(detection_id)
            .send()
            .await
            .map_err(api_error)?;
        Ok(DriftDetection {
            status: out
                .detection_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            status_reason: out.detection_status_reason().map(str::to_string),
            stack_drift_status: out.stack_drift_status().map(|s| s.as_str().to_string()),
            drifted_count: out.drifted_stack_resource_count(),
        })
    }

    async fn resource_drifts(&self, name: &str) -> Result<Vec<ResourceDrift>, ApiError> {
        let mut drifts = Vec::new();
        let mut token: Option<String> = None;
        loop {
            // No status filter: every resource the detection checked, so
            // the report can count those in sync too.
            let out = self
                .0
                .describe_stack_resource_drifts()
                .stack_name(name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(api_error)?;
            for d in out.stack_resource_drifts() {
                drifts.push(ResourceDrift {
                    logical_id: d.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: d.physical_resource_id().map(str::to_string),
                    resource_type: d.resource_type().unwrap_or_default().to_string(),
                    status: d
                        .stack_resource_drift_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    status_reason: d.drift_status_reason().map(str::to_string),
                    differences: d
                        .property_differences()
                        .iter()
                        .map(|p| PropertyDifference {
                            path: p.property_path().unwrap_or_default().to_string(),
                            expected: p.expected_value().unwrap_or_default().to_string(),
                            actual: p.actual_value().unwrap_or_default().to_string(),
                            kind: p
                                .difference_type()
                                .map(|k| k.as_str().to_string())
                                .unwrap_or_default(),
                        })
                        .collect(),
                });
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(drifts),
            }
        }
    }
}

/// S3 through the SDK.
pub struct SdkS3(pub s3::Client);

impl SdkS3 {
    /// A client for `config`; path-style addressing when the config has a local
    /// endpoint.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        // A local endpoint (AWS_ENDPOINT_URL) has no per-bucket host names.
        let s3_config = s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        SdkS3(s3::Client::from_conf(s3_config))
    }
}

impl ObjectStore for SdkS3 {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError> {
        exists(self.0.head_bucket().bucket(bucket).send().await)
    }

    async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError> {
        exists(self.0.head_object().bucket(bucket).key(key).send().await)
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ApiError> {
        self.0
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }
}

/// A HEAD request's answer: found, not found (a 404: HEAD responses carry no
/// error code to match on), or an error.
fn exists<T, E>(
    result: Result<T, SdkError<E, s3::config::http::HttpResponse>>,
) -> Result<bool, ApiError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
        Err(e) => Err(api_error(e)),
    }
}

/// STS through the SDK.
pub struct SdkSts(pub sts::Client);

impl SdkSts {
    /// A client for `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        SdkSts(sts::Client::new(config))
    }
}

impl Identity for SdkSts {
    async fn account_id(&self) -> Result<String, ApiError> {
        let out = self
            .0
            .get_caller_identity()
            .send()
            .await
            .map_err(api_error)?;
        out.account()
            .map(str::to_string)
            .ok_or_else(|| ApiError::new("NoAccount", "GetCallerIdentity returned no account"))
    }
}

//! S3 buckets, safe by default.

use mlcdk_core::iam::{Grant, Grantee, PolicyDocument, PolicyStatement, Principal, SharedPolicy};
use mlcdk_core::{CfnResource, Construct, DeletionPolicy, Expr, Handle, Json, ResourceRef, Scope};
use serde_json::json;

use crate::kms::{KeyRef, KmsKey, KmsKeyProps};

/// The construct id, at the stack root, of the access-log bucket a stack
/// creates on first use ([`AccessLogging::StackLogBucket`]).
pub const STACK_LOG_BUCKET_ID: &str = "AccessLogs";

/// Days the stack's access-log bucket keeps a log object.
pub const STACK_LOG_RETENTION_DAYS: u32 = 90;

/// How objects are encrypted at rest: the bucket's encryption mode, which
/// carries its key, so that a key cannot be given with SSE-S3 (`docs/decisions.md`, "Safe
/// bucket defaults"; the bucket's key is read back with
/// [`Bucket::encryption_key`]).
#[derive(Clone, Debug, Default)]
pub enum BucketEncryption {
    /// SSE-S3 (AES-256, keys managed by S3). No KMS cost.
    #[default]
    S3Managed,
    /// SSE-KMS with this key (a key of the stack, or one imported with
    /// [`KeyRef::from_arn`]), or with a key created for the bucket (`None`).
    Kms(Option<KeyRef>),
}

impl BucketEncryption {
    /// SSE-KMS with `key`: `encryption: BucketEncryption::kms(&key)`, or
    /// `BucketEncryption::kms(KeyRef::from_arn(arn))` for a key outside the
    /// stack (whose key policy must let the account's principals use it).
    pub fn kms(key: impl Into<KeyRef>) -> BucketEncryption {
        BucketEncryption::Kms(Some(key.into()))
    }
}

/// Where a bucket's server access logs go: a bucket and a prefix in it.
///
/// S3 delivers access logs only to a bucket encrypted with SSE-S3, in the
/// same account and region; a target with a KMS key is refused at synth.
#[derive(Clone, Debug)]
pub struct AccessLogs {
    /// The bucket that receives the logs (its policy admits S3's log
    /// delivery for this bucket).
    pub bucket: Bucket,
    /// The key prefix of the log objects, e.g. `"raw/"`.
    pub prefix: String,
}

/// Whether and where a bucket's server access logs go.
// Props are built once per bucket: a boxed variant would only make them
// harder to write.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default)]
pub enum AccessLogging {
    /// To the stack's access-log bucket (construct id [`STACK_LOG_BUCKET_ID`]
    /// at the stack root), created by the first bucket that uses it, under
    /// the prefix `<construct path>/`. That bucket keeps logs
    /// [`STACK_LOG_RETENTION_DAYS`] days, is not versioned and does not log
    /// itself, with its checkov exemptions and their reasons in its
    /// Metadata.
    #[default]
    StackLogBucket,
    /// To a bucket of your own, under a prefix.
    To(AccessLogs),
    /// No access logs, for a bucket that is itself a log bucket. The reason
    /// is written to the bucket's Metadata as the exemption from checkov's
    /// CKV_AWS_18 (access logging), so a reviewer sees it.
    Disabled {
        /// Why this bucket has no access logs; required.
        reason: String,
    },
}

/// A storage class objects can move to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageClass {
    /// `INTELLIGENT_TIERING`: S3 moves objects between access tiers by use; a
    /// small monitoring fee per object. The safe choice when access patterns
    /// are unknown.
    IntelligentTiering,
    /// `STANDARD_IA`: cheaper storage, a retrieval fee per GB; not before 30
    /// days.
    StandardIa,
    /// `ONEZONE_IA`: like Standard-IA in one availability zone, for data that
    /// can be recreated; not before 30 days.
    OneZoneIa,
    /// `GLACIER_IR`: archive priced, read in milliseconds; for data read about
    /// once a quarter.
    GlacierInstantRetrieval,
    /// `GLACIER` (Flexible Retrieval): restores take minutes to hours.
    Glacier,
    /// `DEEP_ARCHIVE`: the cheapest; restores take up to 12 hours.
    DeepArchive,
}

impl StorageClass {
    fn as_str(self) -> &'static str {
        match self {
            StorageClass::IntelligentTiering => "INTELLIGENT_TIERING",
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::OneZoneIa => "ONEZONE_IA",
            StorageClass::GlacierInstantRetrieval => "GLACIER_IR",
            StorageClass::Glacier => "GLACIER",
            StorageClass::DeepArchive => "DEEP_ARCHIVE",
        }
    }

    /// S3 refuses transitions to the infrequent-access classes before 30 days.
    fn min_days(self) -> u32 {
        match self {
            StorageClass::StandardIa | StorageClass::OneZoneIa => 30,
            _ => 0,
        }
    }
}

/// One lifecycle rule. At least one action must be set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LifecycleRule {
    /// Rule id (1–255 characters).
    pub id: String,
    /// Only objects under this prefix; all objects when `None`.
    pub prefix: Option<String>,
    /// `(storage class, days after creation)`.
    pub transitions: Vec<(StorageClass, u32)>,
    /// Delete objects this many days after creation.
    pub expiration_days: Option<u32>,
    /// Delete replaced versions this many days after they stop being current.
    pub noncurrent_expiration_days: Option<u32>,
    /// Abort multipart uploads left incomplete this many days.
    pub abort_incomplete_multipart_days: Option<u32>,
}

impl LifecycleRule {
    /// Move objects under `prefix` to Intelligent-Tiering after `days`.
    pub fn tiering(id: &str, prefix: Option<&str>, days: u32) -> LifecycleRule {
        LifecycleRule {
            id: id.into(),
            prefix: prefix.map(str::to_string),
            transitions: vec![(StorageClass::IntelligentTiering, days)],
            ..Default::default()
        }
    }

    /// Delete objects under `prefix` after `days`.
    pub fn expire(id: &str, prefix: Option<&str>, days: u32) -> LifecycleRule {
        LifecycleRule {
            id: id.into(),
            prefix: prefix.map(str::to_string),
            expiration_days: Some(days),
            ..Default::default()
        }
    }

    fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let id = &self.id;
        if id.is_empty() || id.chars().count() > 255 {
            errors.push(format!(
                "lifecycle rule id '{id}' must have 1 to 255 characters"
            ));
        }
        if self.transitions.is_empty()
            && self.expiration_days.is_none()
            && self.noncurrent_expiration_days.is_none()
            && self.abort_incomplete_multipart_days.is_none()
        {
            errors.push(format!(
                "lifecycle rule '{id}' has no action; set a transition, an expiration, a noncurrent-version expiration or an abort of incomplete uploads"
            ));
        }
        for (class, days) in &self.transitions {
            if *days < class.min_days() {
                errors.push(format!(
                    "lifecycle rule '{id}': transition to {} after {days} days is too early: S3 requires at least {} days",
                    class.as_str(),
                    class.min_days()
                ));
            }
            if let Some(exp) = self.expiration_days
                && exp <= *days
            {
                errors.push(format!(
                    "lifecycle rule '{id}': expiration after {exp} days must come after the transition to {} ({days} days)",
                    class.as_str()
                ));
            }
        }
        for (what, d) in [
            ("expiration_days", self.expiration_days),
            (
                "noncurrent_expiration_days",
                self.noncurrent_expiration_days,
            ),
            (
                "abort_incomplete_multipart_days",
                self.abort_incomplete_multipart_days,
            ),
        ] {
            if d == Some(0) {
                errors.push(format!("lifecycle rule '{id}': {what} must be at least 1"));
            }
        }
        errors
    }

    fn to_json(&self) -> serde_json::Value {
        let mut r = json!({"Id": self.id, "Status": "Enabled"});
        if let Some(p) = &self.prefix {
            r["Prefix"] = json!(p);
        }
        if !self.transitions.is_empty() {
            r["Transitions"] = self
                .transitions
                .iter()
                .map(|(c, d)| json!({"StorageClass": c.as_str(), "TransitionInDays": d}))
                .collect();
        }
        if let Some(d) = self.expiration_days {
            r["ExpirationInDays"] = json!(d);
        }
        if let Some(d) = self.noncurrent_expiration_days {
            r["NoncurrentVersionExpiration"] = json!({"NoncurrentDays": d});
        }
        if let Some(d) = self.abort_incomplete_multipart_days {
            r["AbortIncompleteMultipartUpload"] = json!({"DaysAfterInitiation": d});
        }
        r
    }
}

/// Props of a [`Bucket`]. The defaults are the safe choices, and pass checkov
/// as shipped: SSE-S3, all public access blocked, TLS-only, versioned, access
/// logs to the stack's log bucket, incomplete uploads aborted after 7 days,
/// retained.
#[derive(Clone, Debug)]
pub struct BucketProps {
    /// A fixed name; generated by CloudFormation when `None`. A literal is
    /// validated against S3's naming rules at synth and is the bucket's
    /// [`physical_name`](Bucket::physical_name); an expression (e.g.
    /// `Expr::sub("acme-${AWS::AccountId}-${AWS::Region}")`) is resolved by
    /// CloudFormation, so S3 checks it at deploy.
    pub bucket_name: Option<Expr>,
    /// SSE-S3 (default) or SSE-KMS with its key.
    pub encryption: BucketEncryption,
    /// Keep every version of every object (default `true`): a bad write or
    /// delete by a pipeline is recoverable. Turning it off fails checkov's
    /// CKV_AWS_21 unless suppressed with a reason.
    pub versioned: bool,
    /// Transitions and expirations, besides the abort of incomplete uploads;
    /// rule ids are unique per bucket, at most 1,000 rules.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Abort multipart uploads left incomplete this many days (`None`: never).
    pub abort_incomplete_uploads_days: Option<u32>,
    /// Server access logs: to the stack's log bucket (default), to a bucket
    /// of your own, or disabled with a reason.
    pub access_logs: AccessLogging,
    /// Retain (default) or, outside production, Delete.
    pub removal_policy: Option<DeletionPolicy>,
}

impl Default for BucketProps {
    fn default() -> Self {
        BucketProps {
            bucket_name: None,
            encryption: BucketEncryption::S3Managed,
            versioned: true,
            lifecycle_rules: Vec::new(),
            abort_incomplete_uploads_days: Some(7),
            access_logs: AccessLogging::StackLogBucket,
            removal_policy: None,
        }
    }
}

/// An S3 bucket: encrypted, private, TLS-only, versioned, with access logs.
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` its `GetAtt Arn`; [`Bucket::physical_name`] is the name given, if
/// any.
///
/// ```
/// use mlcdk_core::{Stack, iam::{Role, RoleProps, Principal}};
/// use mlcdk_storage::{Bucket, BucketEncryption, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let raw = Bucket::new(&mut stack, "Raw", BucketProps::default());
/// let models = Bucket::new(&mut stack, "Models", BucketProps {
///     encryption: BucketEncryption::Kms(None), // a key created for the bucket
///     ..Default::default()
/// });
/// let role = Role::new(&mut stack, "Etl", RoleProps::assumed_by(Principal::service("glue.amazonaws.com")));
/// let grant = raw.prefix("events/").grant_read(&role);
/// assert!(grant.actions().contains(&"s3:GetObject".to_string()));
/// models.grant_read_write(&role);
/// let uri = raw.prefix("events/").uri(); // s3://<bucket>/events/
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Bucket {
    handle: Handle,
    key: Option<KeyRef>,
    policy: SharedPolicy,
}

impl Bucket {
    /// A bucket, its KMS key when
    /// [`BucketEncryption::Kms(None)`](BucketEncryption::Kms), its bucket
    /// policy (TLS only, plus what is added later) and, on first use of
    /// [`AccessLogging::StackLogBucket`], the stack's access-log bucket.
    /// Validated at synth: name, lifecycle rules, the access-log target.
    pub fn new(scope: &mut impl Scope, id: &str, props: BucketProps) -> Bucket {
        // The stack's log bucket is made (or found) at the stack root before
        // this bucket's node borrows the scope.
        let stack_logs = match &props.access_logs {
            AccessLogging::StackLogBucket => Some(stack_log_bucket(scope.stack_mut())),
            _ => None,
        };
        let mut node = scope.node(id);
        let path = node.path().clone();
        let removal = node.removal_policy(props.removal_policy);
        if let Some(name) = props.bucket_name.as_ref().and_then(Expr::as_literal)
            && let Err(e) = check_bucket_name(name)
        {
            node.error(e);
        }
        let key = match props.encryption {
            BucketEncryption::S3Managed => None,
            BucketEncryption::Kms(Some(k)) => Some(k),
            BucketEncryption::Kms(None) => Some(KeyRef::from(KmsKey::new(
                &mut node,
                "Key",
                KmsKeyProps {
                    description: Some(format!("Encrypts the objects of bucket {path}")),
                    removal_policy: props.removal_policy,
                    ..Default::default()
                },
            ))),
        };
        let encryption = match &key {
            None => json!({"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]}),
            Some(k) => Json::object([(
                "ServerSideEncryptionConfiguration",
                Json::array([Json::object([
                    ("BucketKeyEnabled", Json::Bool(true)),
                    (
                        "ServerSideEncryptionByDefault",
                        Json::object([
                            ("SSEAlgorithm", Json::from("aws:kms")),
                            ("KMSMasterKeyID", Json::from(k.arn())),
                        ]),
                    ),
                ])]),
            )])
            .to_cfn(),
        };
        let mut rules: Vec<serde_json::Value> = Vec::new();
        if let Some(days) = props.abort_incomplete_uploads_days {
            if days == 0 {
                node.error("abort_incomplete_uploads_days must be at least 1 (or None to keep incomplete uploads)");
            }
            rules.push(
                LifecycleRule {
                    id: "abort-incomplete-uploads".into(),
                    abort_incomplete_multipart_days: Some(days),
                    ..Default::default()
                }
                .to_json(),
            );
        }
        let mut ids = std::collections::HashSet::new();
        for rule in &props.lifecycle_rules {
            for e in rule.validate() {
                node.error(e);
            }
            if !ids.insert(rule.id.as_str()) || rule.id == "abort-incomplete-uploads" {
                node.error(format!(
                    "lifecycle rule id '{}' is used twice; rule ids are unique per bucket",
                    rule.id
                ));
            }
            if rule.noncurrent_expiration_days.is_some() && !props.versioned {
                node.error(format!(
                    "lifecycle rule '{}' expires noncurrent versions, but the bucket is not versioned (set versioned: true)",
                    rule.id
                ));
            }
            rules.push(rule.to_json());
        }
        if rules.len() > 1000 {
            node.error(format!(
                "{} lifecycle rules; S3 accepts at most 1000 per bucket",
                rules.len()
            ));
        }

        let mut bucket = CfnResource::new("AWS::S3::Bucket")
            .set("BucketEncryption", encryption)
            .set(
                "PublicAccessBlockConfiguration",
                json!({"BlockPublicAcls": true, "BlockPublicPolicy": true,
                       "IgnorePublicAcls": true, "RestrictPublicBuckets": true}),
            )
            .set(
                "OwnershipControls",
                json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}),
            )
            .removal_policy(removal);
        if let Some(name) = &props.bucket_name {
            bucket = bucket.set("BucketName", name.clone());
        }
        if props.versioned {
            bucket = bucket.set("VersioningConfiguration", json!({"Status": "Enabled"}));
        }
        if !rules.is_empty() {
            bucket = bucket.set("LifecycleConfiguration", json!({"Rules": rules}));
        }
        let logging = match (&props.access_logs, stack_logs) {
            (AccessLogging::StackLogBucket, Some(Ok(logs))) => {
                Some((logs.reference(), format!("{path}/")))
            }
            (AccessLogging::StackLogBucket, Some(Err(e))) => {
                node.error(e);
                None
            }
            (AccessLogging::To(AccessLogs { bucket, prefix }), _) => {
                if bucket.key.is_some() {
                    node.error(format!(
                        "access_logs: the target bucket {} is encrypted with SSE-KMS; S3 delivers server access logs only to buckets encrypted with SSE-S3 (BucketEncryption::S3Managed)",
                        bucket.node_path()
                    ));
                }
                Some((bucket.name(), prefix.clone()))
            }
            (AccessLogging::Disabled { reason }, _) => {
                if reason.trim().is_empty() {
                    node.error(
                        "access_logs: Disabled needs a reason (why this bucket has no server access logs)",
                    );
                }
                None
            }
            (AccessLogging::StackLogBucket, None) => None,
        };
        if let Some((target, prefix)) = &logging {
            bucket = bucket.set(
                "LoggingConfiguration",
                Json::object([
                    ("DestinationBucketName", Json::from(target)),
                    ("LogFilePrefix", Json::from(prefix.as_str())),
                ]),
            );
        }
        let resource = node.add_resource("Resource", bucket);
        if let AccessLogging::Disabled { reason } = &props.access_logs
            && !reason.trim().is_empty()
        {
            node.stack_mut().suppress(&resource, "CKV_AWS_18", reason);
        }
        let arn = resource.get_att("Arn");
        let policy = SharedPolicy::new(PolicyDocument::new([deny_insecure_transport(&arn)]));
        let mut base = serde_json::Map::new();
        base.insert("Bucket".into(), resource.reference().to_json());
        // A bucket has one policy; statements added later (access logs from
        // other buckets) land in it at synth.
        node.add_resource(
            "Policy",
            policy.lazy_resource("AWS::S3::BucketPolicy", base, |doc, props| {
                props.insert("PolicyDocument".into(), doc.to_json().to_cfn());
                Ok(())
            }),
        );
        let arn = resource.get_att("Arn");
        let mut handle = Handle::new(resource, path, arn);
        if let Some(name) = props.bucket_name.as_ref().and_then(Expr::as_literal) {
            handle = handle.named(name);
        }
        let created = Bucket {
            handle,
            key,
            policy,
        };
        if let AccessLogging::To(AccessLogs {
            bucket: logs,
            prefix,
        }) = &props.access_logs
        {
            logs.admit_access_logs_from(&created, prefix);
        }
        created
    }

    /// The name given in [`BucketProps::bucket_name`], when it is a literal
    /// known at synth: the way to name the bucket without depending on it
    /// (to break a cycle). `None` when CloudFormation generates or resolves
    /// the name.
    pub fn physical_name(&self) -> Option<&str> {
        self.handle.physical_name()
    }

    /// The ARN of the objects matching `key_pattern` (`"*"`, `"events/*"`).
    pub fn arn_for_objects(&self, key_pattern: &str) -> Expr {
        Expr::concat([self.arn(), Expr::lit(format!("/{key_pattern}"))])
    }

    /// The KMS key of the stack that encrypts the bucket, when it uses
    /// SSE-KMS with a key of the stack (to add to its key policy); see also
    /// [`Bucket::encryption_key`], which imported keys have too.
    pub fn key(&self) -> Option<&KmsKey> {
        self.key.as_ref().and_then(KeyRef::key)
    }

    /// The key that encrypts the bucket's objects, when it uses SSE-KMS, as
    /// the reference other constructs' `encryption_key` props take.
    pub fn encryption_key(&self) -> Option<KeyRef> {
        self.key.clone()
    }

    /// A prefix of the bucket, as a typed S3 location:
    /// `bucket.prefix("features/")`. (Named for what it is: a key prefix; a
    /// construct's place in the tree is its `node_path()`.)
    pub fn prefix(&self, prefix: &str) -> S3Path {
        S3Path {
            bucket: self.clone(),
            prefix: prefix.trim_start_matches('/').to_string(),
        }
    }

    /// The whole bucket as a path.
    pub fn root(&self) -> S3Path {
        self.prefix("")
    }

    /// List the bucket and read every object (see [`S3Path::grant_read`]);
    /// prefer a path's grant when the grantee needs one prefix.
    pub fn grant_read(&self, grantee: &impl Grantee) -> Grant {
        self.root().grant_read(grantee)
    }

    /// Write and delete every object (see [`S3Path::grant_write`]); no read.
    pub fn grant_write(&self, grantee: &impl Grantee) -> Grant {
        self.root().grant_write(grantee)
    }

    /// Both [`Bucket::grant_read`] and [`Bucket::grant_write`].
    pub fn grant_read_write(&self, grantee: &impl Grantee) -> Grant {
        self.root().grant_read_write(grantee)
    }

    /// Add a statement to the bucket policy.
    pub fn add_to_resource_policy(&self, statement: PolicyStatement) {
        self.policy.add(statement);
    }

    /// Let S3 server access logging of `source` write into this bucket.
    fn admit_access_logs_from(&self, source: &Bucket, prefix: &str) {
        self.add_to_resource_policy(
            PolicyStatement::allow()
                .principal(Principal::service("logging.s3.amazonaws.com"))
                .actions(["s3:PutObject"])
                .resources([self.arn_for_objects(&format!("{prefix}*"))])
                .condition("ArnLike", "aws:SourceArn", Json::from(source.arn()))
                .condition(
                    "StringEquals",
                    "aws:SourceAccount",
                    Json::from(Expr::account_id()),
                ),
        );
    }
}

impl Construct for Bucket {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// A prefix of a bucket, as a typed value: `s3://<bucket>/<prefix>`.
#[derive(Clone, Debug)]
pub struct S3Path {
    /// The bucket.
    pub bucket: Bucket,
    /// Without a leading `/`; usually ending in `/`.
    pub prefix: String,
}

impl S3Path {
    /// `s3://<bucket>/<prefix>`
    pub fn uri(&self) -> Expr {
        Expr::concat([
            Expr::lit("s3://"),
            self.bucket.name(),
            Expr::lit(format!("/{}", self.prefix)),
        ])
    }

    /// The ARN of the objects under the prefix.
    pub fn objects_arn(&self) -> Expr {
        self.bucket.arn_for_objects(&format!("{}*", self.prefix))
    }

    /// A sub-prefix: `path.child("2024/")`.
    pub fn child(&self, prefix: &str) -> S3Path {
        S3Path {
            bucket: self.bucket.clone(),
            prefix: format!("{}{}", self.prefix, prefix.trim_start_matches('/')),
        }
    }

    /// List the prefix and read its objects (and decrypt them, with SSE-KMS).
    /// The grantee may also ask where the bucket is (`s3:GetBucketLocation`),
    /// as SDKs and Spark do before their first request.
    pub fn grant_read(&self, grantee: &impl Grantee) -> Grant {
        let mut list = PolicyStatement::allow()
            .actions(["s3:ListBucket"])
            .resources([self.bucket.arn()]);
        if !self.prefix.is_empty() {
            list = list.condition(
                "StringLike",
                "s3:prefix",
                Json::array([Json::from(format!("{}*", self.prefix))]),
            );
        }
        // `s3:prefix` is in the request context of list requests only: under
        // that condition GetBucketLocation was never allowed ("If the key that
        // you specify in a policy condition is not present in the request
        // context, the values do not match",
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html;
        // the keys each S3 action sends:
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
        // So it has a statement of its own, on the bucket, without condition.
        let grant = Grant::to(
            grantee,
            [
                list,
                PolicyStatement::allow()
                    .actions(["s3:GetBucketLocation"])
                    .resources([self.bucket.arn()]),
                PolicyStatement::allow()
                    .actions(["s3:GetObject"])
                    .resources([self.objects_arn()]),
            ],
        );
        match &self.bucket.key {
            Some(k) => grant.and(k.grant_decrypt(grantee)),
            None => grant,
        }
    }

    /// Write and delete objects under the prefix (and encrypt them, with
    /// SSE-KMS). Nothing to read: see [`S3Path::grant_read_write`].
    pub fn grant_write(&self, grantee: &impl Grantee) -> Grant {
        let grant = Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"])
                .resources([self.objects_arn()])],
        );
        match &self.bucket.key {
            // Multipart uploads read back the data key, hence Decrypt too.
            Some(k) => grant.and(k.grant_encrypt_decrypt(grantee)),
            None => grant,
        }
    }

    /// Both [`S3Path::grant_read`] and [`S3Path::grant_write`].
    pub fn grant_read_write(&self, grantee: &impl Grantee) -> Grant {
        self.grant_read(grantee).and(self.grant_write(grantee))
    }

    /// What a Hadoop file system writing to this prefix as a directory
    /// (Spark on Glue or EMR, through EMRFS or S3A) needs besides
    /// [`S3Path::grant_read_write`]: the prefix's own key without its
    /// trailing `/` (`features`, which Hadoop probes with a HEAD to learn
    /// whether the directory exists, and may write as an empty marker), the
    /// `features_$folder$` marker EMRFS creates for a directory
    /// (<https://repost.aws/knowledge-center/emr-s3-empty-files>), and a
    /// listing by that name. Without them the probe is refused with 403
    /// instead of answered with 404, and the write fails with AccessDenied.
    /// Nothing is granted for the whole bucket (an empty prefix), which
    /// [`S3Path::grant_read_write`] already covers.
    pub fn grant_hadoop_write(&self, grantee: &impl Grantee) -> Grant {
        let dir = self.prefix.trim_end_matches('/');
        if dir.is_empty() {
            return Grant::default();
        }
        let grant = Grant::to(
            grantee,
            [
                PolicyStatement::allow()
                    .actions(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
                    .resources([
                        self.bucket.arn_for_objects(dir),
                        self.bucket.arn_for_objects(&format!("{dir}_$folder$")),
                    ]),
                PolicyStatement::allow()
                    .actions(["s3:ListBucket"])
                    .resources([self.bucket.arn()])
                    .condition(
                        "StringLike",
                        "s3:prefix",
                        Json::array([Json::from(dir), Json::from(format!("{dir}_$folder$"))]),
                    ),
            ],
        );
        match &self.bucket.key {
            Some(k) => grant.and(k.grant_encrypt_decrypt(grantee)),
            None => grant,
        }
    }
}

/// The stack's access-log bucket: found at [`STACK_LOG_BUCKET_ID`] when an
/// earlier bucket created it, created there otherwise. Returns its name
/// (`Ref`), or why the construct at that id cannot receive logs.
///
/// The bucket policy admits S3's log delivery from buckets of this account
/// (`aws:SourceAccount`) rather than from each source bucket by ARN: a second
/// bucket finds the log bucket's resource, not its handle, so its policy is
/// written once, when it is created.
fn stack_log_bucket(stack: &mut mlcdk_core::Stack) -> Result<ResourceRef, String> {
    if let Some(found) = stack.resource_at(&format!("{STACK_LOG_BUCKET_ID}/Resource")) {
        if found.resource_type() != "AWS::S3::Bucket" {
            return Err(format!(
                "access_logs: the construct id '{STACK_LOG_BUCKET_ID}' at the stack root is reserved for the stack's access-log bucket, but holds a {}",
                found.resource_type()
            ));
        }
        return Ok(found);
    }
    let logs = Bucket::new(
        stack,
        STACK_LOG_BUCKET_ID,
        BucketProps {
            versioned: false,
            lifecycle_rules: vec![LifecycleRule::expire(
                "expire-logs",
                None,
                STACK_LOG_RETENTION_DAYS,
            )],
            access_logs: AccessLogging::Disabled {
                reason: "the access-log bucket itself: logging it into itself would loop".into(),
            },
            ..Default::default()
        },
    );
    stack.suppress(
        logs.resource(),
        "CKV_AWS_21",
        &format!(
            "access logs are write-once and expire after {STACK_LOG_RETENTION_DAYS} days; versions would only keep expired logs"
        ),
    );
    logs.add_to_resource_policy(
        PolicyStatement::allow()
            .sid("S3ServerAccessLogsOfThisAccount")
            .principal(Principal::service("logging.s3.amazonaws.com"))
            .actions(["s3:PutObject"])
            .resources([logs.arn_for_objects("*")])
            .condition(
                "StringEquals",
                "aws:SourceAccount",
                Json::from(Expr::account_id()),
            ),
    );
    Ok(logs.resource().clone())
}

/// The bucket-policy statement that refuses every request not made over TLS,
/// for the bucket with ARN `bucket_arn` and its objects.
pub fn deny_insecure_transport(bucket_arn: &Expr) -> PolicyStatement {
    PolicyStatement::deny()
        .sid("DenyInsecureTransport")
        .principal(Principal::aws("*"))
        .actions(["s3:*"])
        .resources([
            bucket_arn.clone(),
            Expr::concat([bucket_arn.clone(), Expr::lit("/*")]),
        ])
        .condition("Bool", "aws:SecureTransport", "false")
}

impl From<&Bucket> for S3Path {
    fn from(b: &Bucket) -> S3Path {
        b.root()
    }
}

/// S3's bucket naming rules (general purpose buckets).
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let rule = "bucket names have 3 to 63 characters: lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit";
    let len = name.len();
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if !(3..=63).contains(&len) || !chars_ok || !ends_ok {
        return Err(format!("bucket name '{name}' is invalid: {rule}"));
    }
    if name.contains("..") {
        return Err(format!(
            "bucket name '{name}' is invalid: no two adjacent periods"
        ));
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err(format!(
            "bucket name '{name}' is invalid: it must not look like an IP address"
        ));
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!(
                "bucket name '{name}' is invalid: the prefix '{prefix}' is reserved"
            ));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!(
                "bucket name '{name}' is invalid: the suffix '{suffix}' is reserved"
            ));
        }
    }
    Ok(())
}

//! SageMaker Feature Store feature groups.

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::naming::{self, format_arn};
use mlcdk_core::{
    CfnResource, Construct, DeletionPolicy, Expr, Handle, Json, PhysicallyNamed, Scope,
};
use mlcdk_storage::{KeyRef, S3Path};

/// A feature's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureType {
    /// Whole numbers (64-bit).
    Integral,
    /// Floating-point numbers; also an event time in epoch seconds.
    Fractional,
    /// Text; also an ISO-8601 event time.
    String,
}

impl FeatureType {
    fn as_str(self) -> &'static str {
        match self {
            FeatureType::Integral => "Integral",
            FeatureType::Fractional => "Fractional",
            FeatureType::String => "String",
        }
    }
}

/// Columns the offline store adds to every record.
const RESERVED: [&str; 3] = ["is_deleted", "write_time", "api_invocation_time"];

/// One feature: a name and a type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// `^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$`, unique in the group.
    pub name: String,
    /// Its type.
    pub feature_type: FeatureType,
}

impl Feature {
    /// A feature `name` of type `feature_type`.
    pub fn new(name: impl Into<String>, feature_type: FeatureType) -> Feature {
        Feature {
            name: name.into(),
            feature_type,
        }
    }
}

/// Props of a [`FeatureGroup`]:
/// `FeatureGroupProps { offline_store: Some(path), ..FeatureGroupProps::new(id, time, features) }`.
#[derive(Clone, Debug)]
pub struct FeatureGroupProps {
    /// The feature that identifies a record.
    pub record_identifier: String,
    /// The feature holding the event time (String in ISO-8601, or Fractional
    /// seconds since the epoch).
    pub event_time: String,
    /// Every feature, the two above included: 1–2,500.
    pub features: Vec<Feature>,
    /// Offline store (with its Glue table) under this path.
    pub offline_store: Option<S3Path>,
    /// A low-latency online store as well.
    pub online_store: bool,
    /// Encrypts the online store (and the offline store unless its bucket has a key).
    pub encryption_key: Option<KeyRef>,
    /// `^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$`; default `<app>-<stage>-<id>`.
    pub name: Option<String>,
    /// Shown in the SageMaker console; up to 128 characters.
    pub description: Option<String>,
    /// Retain (default) or, outside production, Delete.
    pub removal_policy: Option<DeletionPolicy>,
}

impl FeatureGroupProps {
    /// A group of `features` keyed by `record_identifier`, with `event_time`;
    /// give it a store (`offline_store: Some(path)` or `online_store: true`).
    /// Names may be borrowed or owned (read from a stage file).
    pub fn new<N: Into<String>>(
        record_identifier: impl Into<String>,
        event_time: impl Into<String>,
        features: impl IntoIterator<Item = (N, FeatureType)>,
    ) -> FeatureGroupProps {
        FeatureGroupProps {
            record_identifier: record_identifier.into(),
            event_time: event_time.into(),
            features: features
                .into_iter()
                .map(|(n, t)| Feature::new(n, t))
                .collect(),
            offline_store: None,
            online_store: false,
            encryption_key: None,
            name: None,
            description: None,
            removal_policy: None,
        }
    }
}

/// A feature group: typed features, an offline store in S3 with its Glue
/// table, an optional online store, KMS. Retained by default.
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` is built on it, `physical_name()` is the name as set.
///
/// ```
/// use mlcdk_core::{Stack, iam::{Principal, Role, RoleProps}};
/// use mlcdk_etl::{FeatureGroup, FeatureGroupProps, FeatureType};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let curated = Bucket::new(&mut stack, "Curated", BucketProps::default());
/// let customers = FeatureGroup::new(&mut stack, "Customers", FeatureGroupProps {
///     offline_store: Some(curated.prefix("feature-store/")),
///     ..FeatureGroupProps::new("customer_id", "event_time", [
///         ("customer_id", FeatureType::String),
///         ("event_time", FeatureType::String),
///         ("tenure_months", FeatureType::Integral),
///         ("monthly_spend", FeatureType::Fractional),
///     ])
/// });
/// let training = Role::new(&mut stack, "Training", RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")));
/// customers.grant_read(&training);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct FeatureGroup {
    handle: Handle,
    role: Option<Role>,
    offline_store: Option<S3Path>,
    online_store: bool,
    encryption_key: Option<KeyRef>,
}

fn valid_name(n: &str) -> bool {
    // ^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$: alphanumeric ends, runs of '_'/'-' inside, ≤ 64.
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

impl FeatureGroup {
    /// A feature group, validated at synth: names, 1–2,500 unique features,
    /// identifier and event time among them with valid types, at least one
    /// store.
    pub fn new(scope: &mut impl Scope, id: &str, props: FeatureGroupProps) -> FeatureGroup {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let removal = node.removal_policy(props.removal_policy);
        let name = props
            .name
            .clone()
            .unwrap_or_else(|| node.physical_name_for(naming::FEATURE_GROUP));
        for e in validate(&props, &name) {
            node.error(e);
        }
        let definitions: Vec<Json> = props
            .features
            .iter()
            .map(|f| {
                Json::object([
                    ("FeatureName", Json::from(f.name.as_str())),
                    ("FeatureType", Json::from(f.feature_type.as_str())),
                ])
            })
            .collect();
        let mut fg = CfnResource::new("AWS::SageMaker::FeatureGroup")
            .set("FeatureGroupName", name.as_str())
            .set(
                "RecordIdentifierFeatureName",
                props.record_identifier.as_str(),
            )
            .set("EventTimeFeatureName", props.event_time.as_str())
            .set("FeatureDefinitions", Json::Array(definitions))
            .removal_policy(removal);
        let mut offline_role = None;
        if let Some(store) = &props.offline_store {
            let role = Role::new(
                &mut node,
                "Role",
                RoleProps {
                    description: Some(format!("Feature Store offline store of {name}")),
                    ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
                },
            );
            store.grant_read_write(&role);
            // The rest of AWS's minimum policy for this role
            // (AmazonSageMakerFeatureStoreAccess: s3:PutObject,
            // s3:GetBucketAcl, s3:PutObjectAcl on the offline store bucket,
            // s3:GetObject on its metadata, glue:GetTable/UpdateTable on
            // sagemaker_featurestore;
            // https://docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-feature-store.html):
            // the store writes its objects with an ACL and reads the
            // bucket's ACL first. BucketOwnerEnforced buckets still accept
            // the bucket-owner-full-control ACL, but the request needs the
            // permission.
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["s3:PutObjectAcl"])
                    .resources([store.objects_arn()]),
            );
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["s3:GetBucketAcl"])
                    .resources([store.bucket.arn()]),
            );
            // The offline store registers its table in the sagemaker_featurestore database.
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions([
                        "glue:GetTable",
                        "glue:CreateTable",
                        "glue:UpdateTable",
                        "glue:GetDatabase",
                    ])
                    .resources([
                        format_arn("glue", "catalog"),
                        format_arn("glue", "database/sagemaker_featurestore"),
                        format_arn("glue", "table/sagemaker_featurestore/*"),
                    ]),
            );
            let key = store
                .bucket
                .encryption_key()
                .or(props.encryption_key.clone());
            if let Some(k) = &key {
                k.grant_encrypt_decrypt(&role);
            }
            let mut storage = vec![("S3Uri", Json::from(store.uri()))];
            if let Some(k) = &key {
                storage.push(("KmsKeyId", Json::from(k.arn())));
            }
            fg = fg
                .set(
                    "OfflineStoreConfig",
                    Json::object([
                        ("S3StorageConfig", Json::object(storage)),
                        ("DisableGlueTableCreation", Json::Bool(false)),
                    ]),
                )
                .set("RoleArn", role.arn());
            offline_role = Some(role);
        }
        if props.online_store {
            let mut online = vec![("EnableOnlineStore", Json::Bool(true))];
            if let Some(k) = &props.encryption_key {
                online.push((
                    "SecurityConfig",
                    Json::object([("KmsKeyId", Json::from(k.arn()))]),
                ));
            }
            fg = fg.set("OnlineStoreConfig", Json::object(online));
        }
        if let Some(d) = &props.description {
            fg = fg.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", fg);
        FeatureGroup {
            handle: Handle::regional(resource, path, "sagemaker", "feature-group/").named(name),
            role: offline_role,
            offline_store: props.offline_store,
            online_store: props.online_store,
            encryption_key: props.encryption_key,
        }
    }

    /// The role the offline store writes with, when there is one.
    pub fn role(&self) -> Option<&Role> {
        self.role.as_ref()
    }

    /// Where the offline store is, when there is one.
    pub fn offline_store(&self) -> Option<&S3Path> {
        self.offline_store.as_ref()
    }

    /// The ARNs a grant on the group names: the reference-carrying one, and
    /// the lower-cased literal, as SageMaker may present the ARN lower-cased
    /// (its ARNs of other resources are), and IAM compares ARNs with case.
    fn arns(&self) -> Vec<Expr> {
        let lower = self.physical_name().to_ascii_lowercase();
        vec![
            self.arn(),
            format_arn("sagemaker", &format!("feature-group/{lower}")),
        ]
    }

    /// Read the group: describe it, read records from the online store
    /// (`GetRecord`, `BatchGetRecord`), and read the offline store's objects
    /// and its Glue table (in `sagemaker_featurestore`), decrypting with
    /// their key — what a training or processing job that reads features
    /// needs.
    pub fn grant_read(&self, grantee: &impl Grantee) -> Grant {
        let mut actions = vec!["sagemaker:DescribeFeatureGroup"];
        if self.online_store {
            actions.extend(["sagemaker:GetRecord", "sagemaker:BatchGetRecord"]);
        }
        let mut grant = Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(actions)
                .resources(self.arns())],
        );
        if let Some(store) = &self.offline_store {
            grant = grant.and(store.grant_read(grantee)).and(Grant::to(
                grantee,
                [PolicyStatement::allow()
                    .actions(["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"])
                    .resources([
                        format_arn("glue", "catalog"),
                        format_arn("glue", "database/sagemaker_featurestore"),
                        format_arn("glue", "table/sagemaker_featurestore/*"),
                    ])],
            ));
            if store.bucket.encryption_key().is_none()
                && let Some(k) = &self.encryption_key
            {
                grant = grant.and(k.grant_decrypt(grantee));
            }
        } else if let Some(k) = &self.encryption_key {
            grant = grant.and(k.grant_decrypt(grantee));
        }
        grant
    }

    /// Ingest records (`PutRecord`, `DeleteRecord`), encrypting with the
    /// group's key; nothing to read (see [`FeatureGroup::grant_read_write`]).
    pub fn grant_write(&self, grantee: &impl Grantee) -> Grant {
        let grant = Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["sagemaker:PutRecord", "sagemaker:DeleteRecord"])
                .resources(self.arns())],
        );
        match &self.encryption_key {
            Some(k) => grant.and(k.grant_encrypt_decrypt(grantee)),
            None => grant,
        }
    }

    /// Both [`FeatureGroup::grant_read`] and [`FeatureGroup::grant_write`].
    pub fn grant_read_write(&self, grantee: &impl Grantee) -> Grant {
        self.grant_read(grantee).and(self.grant_write(grantee))
    }
}

impl Construct for FeatureGroup {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for FeatureGroup {}

fn validate(props: &FeatureGroupProps, name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if !valid_name(name) {
        errors.push(format!(
            "feature group name '{name}' is invalid: 1 to 64 letters and digits, with '-' or '_' only between them"
        ));
    }
    let n = props.features.len();
    if !(1..=2500).contains(&n) {
        errors.push(format!("{n} features; a feature group has 1 to 2500"));
    }
    let mut seen = std::collections::HashSet::new();
    for Feature { name: f, .. } in &props.features {
        if !valid_name(f) {
            errors.push(format!(
                "feature name '{f}' is invalid: 1 to 64 letters and digits, with '-' or '_' only between them"
            ));
        }
        if RESERVED.contains(&f.to_ascii_lowercase().as_str()) {
            errors.push(format!(
                "feature name '{f}' is reserved: the offline store adds is_deleted, write_time and api_invocation_time itself"
            ));
        }
        if !seen.insert(f.as_str()) {
            errors.push(format!("feature '{f}' is defined twice"));
        }
    }
    let kind = |n: &str| {
        props
            .features
            .iter()
            .find(|f| f.name == n)
            .map(|f| f.feature_type)
    };
    match kind(&props.record_identifier) {
        None => errors.push(format!(
            "record_identifier '{}' is not among the features",
            props.record_identifier
        )),
        Some(FeatureType::Fractional) => errors.push(format!(
            "record_identifier '{}' is Fractional; record identifiers are String or Integral",
            props.record_identifier
        )),
        Some(_) => {}
    }
    match kind(&props.event_time) {
        None => errors.push(format!(
            "event_time '{}' is not among the features",
            props.event_time
        )),
        Some(FeatureType::Integral) => errors.push(format!(
            "event_time '{}' is Integral; event times are String (ISO-8601) or Fractional (epoch seconds)",
            props.event_time
        )),
        Some(_) => {}
    }
    if props.offline_store.is_none() && !props.online_store {
        errors.push(
            "the feature group has no store; give an offline_store path, set online_store, or both"
                .into(),
        );
    }
    if let Some(d) = &props.description
        && d.chars().count() > 128
    {
        errors.push(format!(
            "description has {} characters; SageMaker accepts at most 128",
            d.chars().count()
        ));
    }
    errors
}

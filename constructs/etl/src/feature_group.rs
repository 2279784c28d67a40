//! SageMaker Feature Store feature groups.

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, DeletionPolicy, Expr, Json, ResourceRef, Scope};
use mlcdk_storage::{KmsKey, S3Path};

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

/// Props of a [`FeatureGroup`].
#[derive(Clone, Debug)]
pub struct FeatureGroupProps {
    /// The feature that identifies a record.
    pub record_identifier: String,
    /// The feature holding the event time (String in ISO-8601, or Fractional
    /// seconds since the epoch).
    pub event_time: String,
    /// Every feature, the two above included: 1–2,500.
    pub features: Vec<(String, FeatureType)>,
    /// Offline store (with its Glue table) under this path.
    pub offline_store: Option<S3Path>,
    /// A low-latency online store as well.
    pub online_store: bool,
    /// Encrypts the online store (and the offline store unless its bucket has a key).
    pub key: Option<KmsKey>,
    /// `^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$`; default `<app>-<stage>-<id>`.
    pub name: Option<String>,
    /// Shown in the SageMaker console; up to 128 characters.
    pub description: Option<String>,
    /// Retain (default) or, outside production, Delete.
    pub removal_policy: Option<DeletionPolicy>,
}

impl FeatureGroupProps {
    /// A group of `features` keyed by `record_identifier`, with `event_time`;
    /// add a store before synth (an offline store path or `online_store:
    /// true`).
    pub fn new(
        record_identifier: &str,
        event_time: &str,
        features: impl IntoIterator<Item = (&'static str, FeatureType)>,
    ) -> FeatureGroupProps {
        FeatureGroupProps {
            record_identifier: record_identifier.to_string(),
            event_time: event_time.to_string(),
            features: features
                .into_iter()
                .map(|(n, t)| (n.to_string(), t))
                .collect(),
            offline_store: None,
            online_store: false,
            key: None,
            name: None,
            description: None,
            removal_policy: None,
        }
    }

    /// Keep the offline store (and its Glue table) under `path`.
    pub fn offline_store(mut self, path: S3Path) -> FeatureGroupProps {
        self.offline_store = Some(path);
        self
    }
}

/// A feature group: typed features, an offline store in S3 with its Glue
/// table, an optional online store, KMS. Retained by default.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_etl::{FeatureGroup, FeatureGroupProps, FeatureType};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let curated = Bucket::new(&mut stack, "Curated", BucketProps::default());
/// FeatureGroup::new(&mut stack, "Customers", FeatureGroupProps::new("customer_id", "event_time", [
///     ("customer_id", FeatureType::String),
///     ("event_time", FeatureType::String),
///     ("tenure_months", FeatureType::Integral),
///     ("monthly_spend", FeatureType::Fractional),
/// ]).offline_store(curated.path("feature-store/")));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct FeatureGroup {
    resource: ResourceRef,
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
        let removal = node.removal_policy(props.removal_policy);
        let name = props
            .name
            .clone()
            .unwrap_or_else(|| node.physical_name('-', 64));
        for e in validate(&props, &name) {
            node.error(e);
        }
        let definitions: Vec<Json> = props
            .features
            .iter()
            .map(|(n, t)| {
                Json::object([
                    ("FeatureName", Json::from(n.as_str())),
                    ("FeatureType", Json::from(t.as_str())),
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
        if let Some(path) = &props.offline_store {
            let role = Role::new(
                &mut node,
                "Role",
                RoleProps {
                    description: Some(format!("Feature Store offline store of {name}")),
                    ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
                },
            );
            path.grant_read_write(&role);
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
                    .resources([path.objects_arn()]),
            );
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["s3:GetBucketAcl"])
                    .resources([path.bucket.arn()]),
            );
            // The offline store registers its table in the sagemaker_featurestore database.
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetDatabase"])
                    .resources([
                        Expr::sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"),
                        Expr::sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/sagemaker_featurestore"),
                        Expr::sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/sagemaker_featurestore/*"),
                    ]),
            );
            let key = path.bucket.key().or(props.key.as_ref());
            if let Some(k) = key {
                k.grant_encrypt_decrypt(&role);
            }
            let mut storage = vec![("S3Uri", Json::from(path.uri()))];
            if let Some(k) = key {
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
        }
        if props.online_store {
            let mut online = vec![("EnableOnlineStore", Json::Bool(true))];
            if let Some(k) = &props.key {
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
        FeatureGroup { resource }
    }

    /// The feature group's name (`Ref`).
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }
}

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
    for (f, _) in &props.features {
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
    let kind = |n: &str| props.features.iter().find(|(f, _)| f == n).map(|(_, t)| *t);
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

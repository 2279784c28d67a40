//! Athena workgroups with enforced, encrypted, cost-bounded settings.

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_core::naming::{self};
use mlcdk_core::{CfnResource, Construct, Handle, Json, PhysicallyNamed, Scope};
use mlcdk_storage::S3Path;

/// Athena's minimum per-query cutoff (10 MB).
pub const MIN_BYTES_SCANNED_CUTOFF: u64 = 10_000_000;
/// mlcdk's default per-query cutoff: 10 GiB (about $0.05 a query at $5/TB).
pub const DEFAULT_BYTES_SCANNED_CUTOFF: u64 = 10 * 1024 * 1024 * 1024;

/// Props of an [`AthenaWorkGroup`].
#[derive(Clone, Debug)]
pub struct AthenaWorkGroupProps {
    /// Where query results go; encrypted like the bucket (SSE-KMS with its
    /// key, SSE-S3 otherwise).
    pub results: S3Path,
    /// Queries scanning more are cancelled. Default 10 GiB; at least 10 MB.
    pub bytes_scanned_cutoff: u64,
    /// `[a-zA-Z0-9._-]{1,128}`; default `<app>-<stage>-<id>`.
    pub name: Option<String>,
    /// Shown in the Athena console; up to 1,024 characters.
    pub description: Option<String>,
}

impl AthenaWorkGroupProps {
    /// A workgroup writing results under `results`, with the default cutoff.
    pub fn new(results: S3Path) -> AthenaWorkGroupProps {
        AthenaWorkGroupProps {
            results,
            bytes_scanned_cutoff: DEFAULT_BYTES_SCANNED_CUTOFF,
            name: None,
            description: None,
        }
    }
}

/// A workgroup whose settings clients cannot override: results encrypted in
/// the given bucket path, a bytes-scanned cutoff per query, CloudWatch metrics.
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` is built on it, `physical_name()` is the name as set.
///
/// ```
/// use mlcdk_core::PhysicallyNamed;
/// use mlcdk_core::Stack;
/// use mlcdk_etl::{AthenaWorkGroup, AthenaWorkGroupProps};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let results = Bucket::new(&mut stack, "Results", BucketProps::default());
/// let analysts = AthenaWorkGroup::new(&mut stack, "Analysts", AthenaWorkGroupProps {
///     bytes_scanned_cutoff: 1_000_000_000,
///     ..AthenaWorkGroupProps::new(results.prefix("athena/"))
/// });
/// assert_eq!(analysts.physical_name(), "test-staging-Analysts");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct AthenaWorkGroup {
    handle: Handle,
    results: S3Path,
}

impl AthenaWorkGroup {
    /// A workgroup, validated at synth: name shape, cutoff at least
    /// [`MIN_BYTES_SCANNED_CUTOFF`], description length.
    pub fn new(scope: &mut impl Scope, id: &str, props: AthenaWorkGroupProps) -> AthenaWorkGroup {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let name = props
            .name
            .clone()
            .unwrap_or_else(|| node.physical_name_for(naming::ATHENA_WORKGROUP));
        let valid = (1..=128).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid {
            node.error(format!(
                "workgroup name '{name}' is invalid: Athena takes 1 to 128 letters, digits, '.', '_' or '-'"
            ));
        }
        if props.bytes_scanned_cutoff < MIN_BYTES_SCANNED_CUTOFF {
            node.error(format!(
                "bytes_scanned_cutoff {} is below Athena's minimum of {MIN_BYTES_SCANNED_CUTOFF} bytes (10 MB)",
                props.bytes_scanned_cutoff
            ));
        }
        let encryption = match props.results.bucket.encryption_key() {
            Some(k) => Json::object([
                ("EncryptionOption", Json::from("SSE_KMS")),
                ("KmsKey", Json::from(k.arn())),
            ]),
            None => Json::object([("EncryptionOption", Json::from("SSE_S3"))]),
        };
        let mut wg = CfnResource::new("AWS::Athena::WorkGroup")
            .set("Name", name.as_str())
            .set("State", "ENABLED")
            .set(
                "WorkGroupConfiguration",
                Json::object([
                    ("EnforceWorkGroupConfiguration", Json::Bool(true)),
                    ("PublishCloudWatchMetricsEnabled", Json::Bool(true)),
                    (
                        "BytesScannedCutoffPerQuery",
                        Json::Number(props.bytes_scanned_cutoff.into()),
                    ),
                    (
                        "ResultConfiguration",
                        Json::object([
                            ("OutputLocation", Json::from(props.results.uri())),
                            ("EncryptionConfiguration", encryption),
                        ]),
                    ),
                ]),
            );
        if let Some(d) = &props.description {
            if d.chars().count() > 1024 {
                node.error(format!(
                    "description has {} characters; Athena accepts at most 1024",
                    d.chars().count()
                ));
            }
            wg = wg.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", wg);
        AthenaWorkGroup {
            handle: Handle::regional(resource, path, "athena", "workgroup/").named(name),
            results: props.results,
        }
    }

    /// Where query results go.
    pub fn results(&self) -> &S3Path {
        &self.results
    }

    /// Run queries in the workgroup and read and write their results.
    pub fn grant_query(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions([
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ])
                .resources([self.arn()])],
        )
        .and(self.results.grant_read_write(grantee))
    }
}

impl Construct for AthenaWorkGroup {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for AthenaWorkGroup {}

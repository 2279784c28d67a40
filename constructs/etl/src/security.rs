//! Glue security configurations: how jobs and crawlers encrypt what they write.

use mlcdk_core::iam::{Grantee, PolicyStatement};
use mlcdk_core::naming::{self, format_arn};
use mlcdk_core::schedule::Schedule;
use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};
use mlcdk_storage::{KeyRef, KmsKey, KmsKeyProps};

/// What [`security_configuration`] made: the configuration's name (a
/// literal), its resource, and the key of the logs and bookmarks.
pub(crate) struct SecurityConfiguration {
    pub(crate) name: Expr,
    pub(crate) resource: ResourceRef,
    pub(crate) key: KeyRef,
}

/// Creates the `SecurityConfiguration` of a job or crawler in `scope` and
/// grants `role` what it needs to use it. Returns the configuration's name,
/// its resource (on which the job or crawler must depend) and the key.
///
/// The name is a literal: a job or crawler names its configuration by it,
/// which orders nothing, and CreateJob/CreateCrawler can run before the
/// configuration exists and fail ("Error trying to retrieve security
/// config"). The `Ref` of an `AWS::Glue::SecurityConfiguration` is not
/// documented as its name (the return-values section of
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-securityconfiguration.html>
/// says nothing; its registry schema's primary identifier is a read-only
/// `Id`), so the caller adds `DependsOn` on the returned resource instead
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html>).
///
/// - S3: SSE-KMS with `s3_key` when the data written is KMS-encrypted, SSE-S3 otherwise;
/// - CloudWatch logs and job bookmarks: SSE-KMS / CSE-KMS with `key` (created
///   when `None`), whose key policy admits CloudWatch Logs when the key is
///   the stack's (an imported key's policy must admit it already).
pub(crate) fn security_configuration(
    scope: &mut impl Scope,
    key: Option<KeyRef>,
    s3_key: Option<&KeyRef>,
    role: &impl Grantee,
) -> SecurityConfiguration {
    let key = key.unwrap_or_else(|| {
        KeyRef::from(KmsKey::new(
            scope,
            "Key",
            KmsKeyProps {
                description: Some(format!(
                    "Encrypts the logs and bookmarks of {}",
                    scope.path()
                )),
                ..Default::default()
            },
        ))
    });
    if let Some(k) = key.key() {
        k.allow_cloudwatch_logs();
    }
    key.grant_encrypt_decrypt(role);
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["logs:AssociateKmsKey"])
            .resources([format_arn("logs", "log-group:/aws-glue/*")]),
    );
    let s3 = match s3_key {
        Some(k) => Json::object([
            ("S3EncryptionMode", Json::from("SSE-KMS")),
            ("KmsKeyArn", Json::from(k.arn())),
        ]),
        None => Json::object([("S3EncryptionMode", Json::from("SSE-S3"))]),
    };
    let name = scope.physical_name_for(naming::GLUE_SECURITY_CONFIGURATION);
    let resource = scope.add_resource(
        "SecurityConfiguration",
        CfnResource::new("AWS::Glue::SecurityConfiguration")
            .set("Name", name.as_str())
            .set(
                "EncryptionConfiguration",
                Json::object([
                    ("S3Encryptions", Json::array([s3])),
                    (
                        "CloudWatchEncryption",
                        Json::object([
                            ("CloudWatchEncryptionMode", Json::from("SSE-KMS")),
                            ("KmsKeyArn", Json::from(key.arn())),
                        ]),
                    ),
                    (
                        "JobBookmarksEncryption",
                        Json::object([
                            ("JobBookmarksEncryptionMode", Json::from("CSE-KMS")),
                            ("KmsKeyArn", Json::from(key.arn())),
                        ]),
                    ),
                ]),
            ),
    );
    SecurityConfiguration {
        name: Expr::lit(name),
        resource,
        key,
    }
}

/// Logs, metrics: what every Glue job or crawler role needs.
pub(crate) fn grant_glue_basics(role: &impl Grantee, log_prefix: &str) {
    role.add_to_policy(
        PolicyStatement::allow()
            .actions([
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ])
            .resources([format_arn("logs", &format!("log-group:{log_prefix}*"))]),
    );
    // PutMetricData has no resource-level permissions; the namespace condition scopes it.
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["cloudwatch:PutMetricData"])
            .resources(["*"])
            .condition("StringEquals", "cloudwatch:namespace", "Glue"),
    );
}

/// The expression a Glue trigger or crawler takes for `schedule`, if there
/// is one; a schedule Glue refuses is reported on `scope` and gives none.
pub(crate) fn checked_glue_schedule(
    scope: &mut impl Scope,
    schedule: Option<&Schedule>,
) -> Option<String> {
    match glue_schedule(schedule?) {
        Ok(c) => Some(c),
        Err(e) => {
            scope.error(e);
            None
        }
    }
}

/// The expression a Glue trigger or crawler takes for `schedule`: Glue
/// schedules are cron expressions only (`cron(15 12 * * ? *)`), so a rate is
/// refused, with the cron to write instead when there is an obvious one.
fn glue_schedule(schedule: &Schedule) -> Result<String, String> {
    match schedule {
        Schedule::Cron(_) => schedule.expression().map_err(|e| format!("schedule: {e}")),
        Schedule::Rate(..) => Err(format!(
            "schedule {}: Glue schedules are cron expressions only; write Schedule::Cron (e.g. Schedule::daily(3) or Schedule::hourly())",
            schedule.expression().unwrap_or_else(|e| e)
        )),
    }
}

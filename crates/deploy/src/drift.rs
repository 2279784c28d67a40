//! Configuration drift: what was changed in a deployed stack outside its
//! definition (in the console, by a script), as CloudFormation's drift
//! detection sees it, with each resource's construct path and what is
//! security-relevant or stateful marked.
//!
//! CloudFormation compares each resource's actual properties with the
//! *deployed* template (the last one deployed, not the one synthesized now),
//! and only for resource types that support drift detection
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import-supported-resources.html>).
//! `DescribeStackResourceDrifts` leaves the other resources out, so they are
//! found as the stack's resources without a drift entry and reported as not
//! checked: never as in sync.

use mlcdk_core::stateful::is_stateful;
use mlcdk_core::template::Template;

use crate::api::{PropertyDifference, ResourceDrift, StackResource};
use crate::ui::Ui;

/// One resource that differs from the deployed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriftedResource {
    /// Its logical ID.
    pub logical_id: String,
    /// Its construct path (`mlcdk:path` of the deployed template, else of
    /// the synthesized one), or the logical ID for a resource mlcdk did not
    /// write.
    pub path: String,
    /// The resource type.
    pub resource_type: String,
    /// The physical ID, when known.
    pub physical_id: Option<String>,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// The properties that differ (empty for `DELETED`).
    pub differences: Vec<PropertyDifference>,
}

impl DriftedResource {
    /// Whether the resource holds data (the deployer's stateful types).
    pub fn is_stateful(&self) -> bool {
        is_stateful(&self.resource_type)
    }

    /// Whether the drift touches access or encryption: a security type
    /// (IAM, a resource policy, KMS, a security group) that drifted at all, or
    /// a security property of any other type.
    pub fn is_security_relevant(&self) -> bool {
        is_security_type(&self.resource_type)
            || self
                .differences
                .iter()
                .any(|d| is_security_property(&self.resource_type, &d.path))
    }

    /// `path (type, logical id)`, or `logical id (type)` when the two are
    /// the same.
    pub fn label(&self) -> String {
        label(&self.path, &self.logical_id, &self.resource_type)
    }

    /// `  [security] [stateful]`, or empty.
    pub fn marks(&self) -> String {
        let mut m = String::new();
        if self.is_security_relevant() {
            m.push_str("  [security]");
        }
        if self.is_stateful() {
            m.push_str("  [stateful]");
        }
        m
    }
}

/// A resource drift detection did not check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncheckedResource {
    /// Its logical ID.
    pub logical_id: String,
    /// Its construct path, or the logical ID.
    pub path: String,
    /// The resource type.
    pub resource_type: String,
    /// CloudFormation's reason, when it gave one (status `UNKNOWN`).
    pub reason: Option<String>,
}

/// The result of one drift detection of a stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriftReport {
    /// The stack's name.
    pub stack: String,
    /// The detection's id (`StackDriftDetectionId`).
    pub detection_id: String,
    /// Why detection failed (`DETECTION_FAILED`): the results then cover
    /// only the resources it could check.
    pub failure: Option<String>,
    /// The resources that differ, in logical-ID order.
    pub drifted: Vec<DriftedResource>,
    /// The resources not checked, in logical-ID order.
    pub not_checked: Vec<UncheckedResource>,
    /// How many resources were checked and found in sync.
    pub in_sync: usize,
}

impl DriftReport {
    /// Assembles the report: `drifts` as `DescribeStackResourceDrifts` gave
    /// them, `resources` as `ListStackResources` did (to find the resources
    /// that were not checked), construct paths from the `deployed` template
    /// when it has one for the resource, else from `local`.
    pub fn build(
        stack: &str,
        detection_id: &str,
        failure: Option<String>,
        drifts: Vec<ResourceDrift>,
        resources: &[StackResource],
        deployed: Option<&Template>,
        local: &Template,
    ) -> DriftReport {
        let path_of = |id: &str| -> String {
            let from = |t: &Template| {
                t.resources
                    .get(id)
                    .and_then(|r| r.metadata.get("mlcdk:path"))
                    .and_then(|p| p.as_str())
                    .map(str::to_string)
            };
            deployed
                .and_then(from)
                .or_else(|| from(local))
                .unwrap_or_else(|| id.to_string())
        };
        let mut drifted = Vec::new();
        let mut not_checked = Vec::new();
        let mut in_sync = 0;
        for d in &drifts {
            match d.status.as_str() {
                "IN_SYNC" => in_sync += 1,
                "MODIFIED" | "DELETED" => drifted.push(DriftedResource {
                    logical_id: d.logical_id.clone(),
                    path: path_of(&d.logical_id),
                    resource_type: d.resource_type.clone(),
                    physical_id: d.physical_id.clone(),
                    status: d.status.clone(),
                    differences: d.differences.clone(),
                }),
                // NOT_CHECKED, UNKNOWN (CloudFormation could not check it),
                // UNSUPPORTED, and any status newer than this code: not
                // known to be in sync.
                _ => not_checked.push(UncheckedResource {
                    logical_id: d.logical_id.clone(),
                    path: path_of(&d.logical_id),
                    resource_type: d.resource_type.clone(),
                    reason: d
                        .status_reason
                        .clone()
                        .or_else(|| Some(d.status.clone()).filter(|s| !s.is_empty())),
                }),
            }
        }
        for r in resources {
            if !drifts.iter().any(|d| d.logical_id == r.logical_id) {
                not_checked.push(UncheckedResource {
                    logical_id: r.logical_id.clone(),
                    path: path_of(&r.logical_id),
                    resource_type: r.resource_type.clone(),
                    reason: None,
                });
            }
        }
        drifted.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
        not_checked.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
        DriftReport {
            stack: stack.to_string(),
            detection_id: detection_id.to_string(),
            failure,
            drifted,
            not_checked,
            in_sync,
        }
    }

    /// Whether any resource differs from the deployed template.
    pub fn has_drift(&self) -> bool {
        !self.drifted.is_empty()
    }

    /// The drifted resources with a security-relevant difference.
    pub fn security_relevant(&self) -> usize {
        self.drifted
            .iter()
            .filter(|d| d.is_security_relevant())
            .count()
    }

    /// Prints the report: a summary line, each drifted resource with its
    /// differences (expected → actual), the resources not checked, and what
    /// the result means.
    pub fn print(&self, ui: &mut dyn Ui) {
        ui.line(&format!(
            "drift of {}: {} drifted, {} in sync, {} not checked",
            self.stack,
            self.drifted.len(),
            self.in_sync,
            self.not_checked.len()
        ));
        for d in &self.drifted {
            let symbol = if d.status == "DELETED" { "-" } else { "~" };
            ui.warn(&format!(
                "  {symbol} {} {}{}",
                d.label(),
                d.status,
                d.marks()
            ));
            if d.status == "DELETED" {
                ui.line("      deleted outside CloudFormation");
            }
            for p in &d.differences {
                let mark = if is_security_property(&d.resource_type, &p.path)
                    && !is_security_type(&d.resource_type)
                {
                    "  [security]"
                } else {
                    ""
                };
                ui.line(&format!("      {}{mark}", difference_line(p)));
            }
        }
        if !self.not_checked.is_empty() {
            ui.line(&format!(
                "  not checked ({}): drift detection does not support their types (or could not check them), so they may have changed unseen:",
                self.not_checked.len()
            ));
            for u in &self.not_checked {
                let mut line = format!("    {}", label(&u.path, &u.logical_id, &u.resource_type));
                if let Some(r) = &u.reason {
                    line.push_str(&format!(": {r}"));
                }
                ui.line(&line);
            }
        }
        if let Some(f) = &self.failure {
            ui.warn(&format!(
                "drift detection failed: {f}; the results above cover only the resources it checked"
            ));
        } else if !self.has_drift() {
            ui.line(&format!(
                "{}: in sync ({} checked{})",
                self.stack,
                self.in_sync,
                if self.not_checked.is_empty() {
                    String::new()
                } else {
                    format!(", {} not checked", self.not_checked.len())
                }
            ));
        }
    }
}

fn label(path: &str, logical_id: &str, resource_type: &str) -> String {
    if path == logical_id {
        format!("{logical_id} ({resource_type})")
    } else {
        format!("{path} ({resource_type}, {logical_id})")
    }
}

/// One property difference: `path: expected → actual`, or how it was added
/// or removed.
pub fn difference_line(p: &PropertyDifference) -> String {
    match p.kind.as_str() {
        "ADD" => format!("{}: added {}", p.path, one_line(&p.actual)),
        "REMOVE" => format!("{}: removed (expected {})", p.path, one_line(&p.expected)),
        _ => format!(
            "{}: {} → {}",
            p.path,
            one_line(&p.expected),
            one_line(&p.actual)
        ),
    }
}

/// A value on one line: CloudFormation returns JSON text, sometimes
/// pretty-printed (policy documents); a report line must stay one line.
pub(crate) fn one_line(v: &str) -> String {
    let one_line = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        "(none)".to_string()
    } else {
        one_line
    }
}

/// Resource-policy types: the whole resource is an access policy.
const POLICY_TYPES: &[&str] = &[
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::Events::EventBusPolicy",
    "AWS::Logs::ResourcePolicy",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::Lambda::Permission",
];

/// Types whose every property is about access or encryption: IAM, resource
/// policies (bucket, topic, queue policies…), KMS keys and aliases, security
/// groups. Any drift of them is security-relevant.
pub fn is_security_type(resource_type: &str) -> bool {
    resource_type.starts_with("AWS::IAM::")
        || resource_type.starts_with("AWS::KMS::")
        || resource_type.starts_with("AWS::EC2::SecurityGroup")
        || POLICY_TYPES.contains(&resource_type)
}

/// Parts of a property name (a segment of the path) that govern access or
/// encryption on any type: policy documents and attached policies, KMS keys
/// and encryption settings, the S3 public access block and ACLs, roles a
/// service acts as, security groups, network isolation, TLS. Not a bare
/// "Policy": scaling, delivery, retry, recrawl and schema-change policies
/// are not about access.
const SECURITY_PROPERTY_PARTS: &[&str] = &[
    "PolicyDocument",
    "ManagedPolicy",
    "KeyPolicy",
    "ResourcePolicy",
    "GroupPolicy",
    "PermissionsBoundary",
    "Kms",
    "KMS",
    "Encrypt",
    "PublicAccess",
    "AccessControl",
    "Acl",
    "Role",
    "SecurityGroup",
    "NetworkIsolation",
    "Tls",
    "Ssl",
];

/// Whether a drifted property of `resource_type` at `path`
/// (`/BucketEncryption/ServerSideEncryptionConfiguration/0/...`) is
/// security-relevant.
pub fn is_security_property(resource_type: &str, path: &str) -> bool {
    is_security_type(resource_type)
        || path.split('/').any(|segment| {
            matches!(segment, "Policy" | "Policies")
                || SECURITY_PROPERTY_PARTS.iter().any(|p| segment.contains(p))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_relevance_by_type_and_property() {
        for (ty, path) in [
            (
                "AWS::S3::Bucket",
                "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
            ),
            (
                "AWS::S3::Bucket",
                "/PublicAccessBlockConfiguration/BlockPublicPolicy",
            ),
            (
                "AWS::S3::BucketPolicy",
                "/PolicyDocument/Statement/0/Effect",
            ),
            ("AWS::SNS::TopicPolicy", "/Topics/0"),
            ("AWS::IAM::Role", "/Description"),
            ("AWS::KMS::Key", "/EnableKeyRotation"),
            ("AWS::SNS::Topic", "/KmsMasterKeyId"),
            ("AWS::SageMaker::EndpointConfig", "/KmsKeyId"),
            ("AWS::SageMaker::Model", "/ExecutionRoleArn"),
            ("AWS::SageMaker::Model", "/EnableNetworkIsolation"),
            (
                "AWS::SageMaker::ModelPackageGroup",
                "/ModelPackageGroupPolicy",
            ),
        ] {
            assert!(is_security_property(ty, path), "{ty} {path}");
        }
        for (ty, path) in [
            (
                "AWS::ApplicationAutoScaling::ScalingPolicy",
                "/TargetTrackingScalingPolicyConfiguration/TargetValue",
            ),
            ("AWS::ApplicationAutoScaling::ScalingPolicy", "/PolicyType"),
            (
                "AWS::ApplicationAutoScaling::ScalableTarget",
                "/MinCapacity",
            ),
            ("AWS::SNS::Topic", "/DeliveryPolicy"),
            ("AWS::Glue::Crawler", "/SchemaChangePolicy/UpdateBehavior"),
            ("AWS::CloudWatch::Alarm", "/Threshold"),
            ("AWS::S3::Bucket", "/VersioningConfiguration/Status"),
            ("AWS::S3::Bucket", "/Tags/1"),
        ] {
            assert!(!is_security_property(ty, path), "{ty} {path}");
        }
        assert!(!is_security_type(
            "AWS::ApplicationAutoScaling::ScalingPolicy"
        ));
    }
}

//! What every SageMaker execution role needs besides its data: its log
//! groups, its CloudWatch metrics and its images. One place, so a training
//! job's, a model's and a monitoring job's roles cannot drift apart.

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_core::naming::format_arn;

use crate::EcrImage;

/// The basics of a SageMaker execution role (CreateTrainingJob,
/// CreateModel and CreateProcessingJob execution-role permissions,
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html>).
#[derive(Clone, Debug)]
pub struct RoleBasics<'a> {
    /// Log groups the containers write, e.g. `/aws/sagemaker/*` or
    /// `/aws/sagemaker/Endpoints/*`.
    pub log_groups: &'a str,
    /// Whether the role may also describe its log streams (training jobs
    /// tail their own streams).
    pub describe_log_streams: bool,
    /// The CloudWatch namespace pattern the containers publish metrics in
    /// (`cloudwatch:namespace` condition, since PutMetricData has no
    /// resource-level permissions).
    pub metrics_namespace: &'a str,
    /// The images the role pulls from ECR.
    pub images: &'a [EcrImage],
}

impl RoleBasics<'_> {
    /// Grant the basics, in one order: logs, metrics, the ECR login (which
    /// has no resource-level permissions) and each image's repository.
    pub fn grant(&self, grantee: &impl Grantee) -> Grant {
        let mut logs = vec![
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ];
        if self.describe_log_streams {
            logs.push("logs:DescribeLogStreams");
        }
        let mut statements = vec![
            PolicyStatement::allow()
                .actions(logs)
                .resources([format_arn(
                    "logs",
                    &format!("log-group:{}", self.log_groups),
                )]),
            PolicyStatement::allow()
                .actions(["cloudwatch:PutMetricData"])
                .resources(["*"])
                .condition("StringLike", "cloudwatch:namespace", self.metrics_namespace),
        ];
        if !self.images.is_empty() {
            statements.push(
                PolicyStatement::allow()
                    .actions(["ecr:GetAuthorizationToken"])
                    .resources(["*"]),
            );
        }
        for image in self.images {
            statements.push(
                PolicyStatement::allow()
                    .actions([
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                    ])
                    .resources([image.repository_arn()]),
            );
        }
        Grant::to(grantee, statements)
    }
}

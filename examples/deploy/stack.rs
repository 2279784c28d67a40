//! The one definition of the example ML platform, for every stage.
//!
//! This grows with each construct mlcdk gains. Today it holds the artifact
//! store and the SageMaker execution role that reads and writes it; the
//! bucket is written with stratosphere's typed L1 structs until the storage
//! constructs land.

use mlcdk::prelude::*;
use stratosphere::services::aws::s3;

/// Everything that may differ between stages. Nothing else may.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// Days a replaced model artifact is kept before S3 expires it.
    pub noncurrent_artifact_days: i32,
}

pub fn ml_platform(stack: &mut Stack, knobs: &Knobs) {
    stack.set_description("mlcdk example ML platform: artifact store and training role");

    let bucket = s3::Bucket! {
        bucket_encryption: s3::bucket::BucketEncryption! {
            server_side_encryption_configuration: vec![s3::bucket::ServerSideEncryptionRule! {
                server_side_encryption_by_default: Box::new(s3::bucket::ServerSideEncryptionByDefault! {
                    sse_algorithm: "AES256",
                }),
            }],
        },
        public_access_block_configuration: s3::bucket::PublicAccessBlockConfiguration! {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        },
        versioning_configuration: s3::bucket::VersioningConfiguration! { status: "Enabled" },
        lifecycle_configuration: s3::bucket::LifecycleConfiguration! {
            rules: vec![s3::bucket::Rule! {
                id: "expire-replaced-artifacts",
                status: "Enabled",
                noncurrent_version_expiration: s3::bucket::NoncurrentVersionExpiration! {
                    noncurrent_days: knobs.noncurrent_artifact_days,
                },
                abort_incomplete_multipart_upload: s3::bucket::AbortIncompleteMultipartUpload! {
                    days_after_initiation: 7,
                },
            }],
        },
    };
    let retain = stack.removal_policy(None);
    let mut store = stack.node("Artifacts");
    let bucket = store.add_resource(
        "Resource",
        CfnResource::from_l1(&bucket).removal_policy(retain),
    );
    let bucket_arn = bucket.get_att("Arn");
    let objects_arn = Expr::concat([bucket_arn.clone(), Expr::lit("/*")]);

    // Deny every request that does not use TLS.
    let tls_only = PolicyDocument::new([PolicyStatement::deny()
        .sid("DenyInsecureTransport")
        .principal(Principal::aws("*"))
        .actions(["s3:*"])
        .resources([bucket_arn.clone(), objects_arn.clone()])
        .condition("Bool", "aws:SecureTransport", "false")]);
    store.add_resource(
        "Policy",
        CfnResource::new("AWS::S3::BucketPolicy")
            .set("Bucket", bucket.reference())
            .set("PolicyDocument", tls_only.to_json()),
    );

    let role = Role::new(
        stack,
        "TrainingRole",
        RoleProps {
            description: Some("SageMaker training jobs of the example platform".into()),
            ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
        },
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:ListBucket"])
            .resources([bucket_arn]),
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:GetObject", "s3:PutObject"])
            .resources([objects_arn]),
    );

    stack.add_output(
        "ArtifactsBucketName",
        OutputProps::new(bucket.reference()).description("Where models and checkpoints go"),
    );
    stack.add_output("TrainingRoleArn", OutputProps::new(role.arn()));
}

pub fn app() -> App<Knobs> {
    App::new("churn", ml_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stage(Stage::staging(
            Env::new("111111111111", "us-east-1"),
            Knobs {
                noncurrent_artifact_days: 7,
            },
        ))
        .stage(Stage::production(
            Env::new("222222222222", "us-east-1"),
            Knobs {
                noncurrent_artifact_days: 90,
            },
        ))
}

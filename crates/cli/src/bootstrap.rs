//! The bootstrap stack: one per account and region, holding the encrypted
//! assets bucket every stage of that environment uploads to.
//!
//! It is a stack definition like any app's, so it lives here, beside the
//! command that deploys it, and not in the deployer: `bootstrap --stage NAME`
//! synthesizes it and hands it to the deployer (`mlcdk_deploy::run_bootstrap`),
//! which deploys it like any other stack.

use mlcdk_core::{
    App, Construct, DeletionPolicy, Env, Expr, OutputProps, Scope, Stack, Stage, StageKind,
    SynthesizedStack, ValidationErrors,
};
use mlcdk_storage::{Bucket, BucketProps, LifecycleRule};

use mlcdk_core::asset::ASSETS_BUCKET_PATTERN;

/// The bootstrap stack's name (one per account and region).
pub const BOOTSTRAP_STACK: &str = "mlcdk-bootstrap";

/// Days after which a superseded template upload or object version is removed.
const EXPIRE_DAYS: u32 = 30;

fn define(stack: &mut Stack, _: &()) {
    stack.set_description("mlcdk bootstrap: the assets bucket of this account and region");
    // The safe defaults of every bucket (SSE-S3, public access blocked,
    // TLS-only, versioned, access logs to the stack's log bucket, retained);
    // the name is resolved by CloudFormation, so uploads can compute it.
    let assets = Bucket::new(
        stack,
        "Assets",
        BucketProps {
            bucket_name: Some(Expr::sub(ASSETS_BUCKET_PATTERN)),
            // Assets are content-addressed and may be used by deployed stacks
            // (a Glue job reads its script at every run), so they never
            // expire; they move to Intelligent-Tiering instead. Uploaded
            // templates are only read while a change set is created, so they
            // do expire.
            lifecycle_rules: vec![
                LifecycleRule::expire("templates-expire", Some("templates/"), EXPIRE_DAYS),
                LifecycleRule::tiering("assets-tiering", Some("assets/"), EXPIRE_DAYS),
                LifecycleRule {
                    id: "old-versions".into(),
                    noncurrent_expiration_days: Some(EXPIRE_DAYS),
                    ..Default::default()
                },
            ],
            abort_incomplete_uploads_days: Some(1),
            // Retained in every stage: deployed stacks keep reading their assets.
            removal_policy: Some(DeletionPolicy::Retain),
            ..Default::default()
        },
    );
    stack.suppress_stack(
        "COST-001",
        "the bootstrap stack holds only the assets bucket; the stages' budgets watch what runs",
    );
    stack.add_output(
        "AssetsBucketName",
        OutputProps::new(assets.name()).description("Where mlcdk uploads assets"),
    );
}

/// The bootstrap stack for `env`.
pub fn bootstrap_stack(env: &Env) -> Result<SynthesizedStack, ValidationErrors> {
    let app = App::new("mlcdk", define).stage(Stage::custom(
        "bootstrap",
        StageKind::Other,
        env.clone(),
        (),
    ));
    let mut assembly = app.synth(None)?;
    Ok(assembly.stacks.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlcdk_core::assertions::TemplateAssert;
    use serde_json::json;

    #[test]
    fn the_assets_bucket_is_encrypted_private_tls_only_and_retained() {
        let s = bootstrap_stack(&Env::new("111111111111", "eu-west-1")).unwrap();
        assert_eq!(s.info.stack_name, BOOTSTRAP_STACK);
        let t = TemplateAssert::new(s.template);
        t.has_resource(
            "AWS::S3::Bucket",
            json!({"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
                "BucketName": {"Fn::Sub": mlcdk_core::asset::ASSETS_BUCKET_PATTERN},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
            }}),
        );
        t.has_resource_properties(
            "AWS::S3::BucketPolicy",
            json!({"PolicyDocument": {"Statement": [{"Effect": "Deny",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}),
        );
        t.has_output(
            "AssetsBucketName",
            json!({"Value": {"Ref": "Assets9A31D427"}}),
        );
        // Templates expire, assets never do (deployed jobs read them), old
        // versions and incomplete uploads are cleaned up; access logs go to
        // the stack's log bucket like every bucket's.
        t.has_resource_properties(
            "AWS::S3::Bucket",
            json!({"BucketName": {"Fn::Sub": mlcdk_core::asset::ASSETS_BUCKET_PATTERN},
                "LifecycleConfiguration": {"Rules": [
                {"Id": "abort-incomplete-uploads", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
                {"Id": "templates-expire", "Prefix": "templates/", "ExpirationInDays": 30},
                {"Id": "assets-tiering", "Prefix": "assets/",
                 "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}]},
                {"Id": "old-versions", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
            ]},
            "LoggingConfiguration": {"LogFilePrefix": "Assets/"}}),
        );
        let report = mlcdk_checks::check(
            t.template(),
            &mlcdk_checks::Options {
                production: true,
                ..Default::default()
            },
        );
        assert!(
            report.active().next().is_none(),
            "{:?}",
            report.active().collect::<Vec<_>>()
        );
    }
}

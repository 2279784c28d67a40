//! The bootstrap stack: one per account and region, holding the encrypted
//! assets bucket every stage of that environment uploads to.
//!
//! It is a stack definition like any app's, so it lives here, beside the
//! command that deploys it, and not in the deployer: `bootstrap --stage NAME`
//! synthesizes it and hands it to the deployer (`mlcdk_deploy::run_bootstrap`),
//! which deploys it like any other stack.

use mlcdk_core::iam::PolicyDocument;
use mlcdk_core::{
    App, CfnResource, Env, Expr, OutputProps, Scope, Stack, Stage, StageKind, SynthesizedStack,
    ValidationErrors,
};
use mlcdk_storage::deny_insecure_transport;
use serde_json::json;

use mlcdk_core::asset::ASSETS_BUCKET_PATTERN;

/// The bootstrap stack's name (one per account and region).
pub const BOOTSTRAP_STACK: &str = "mlcdk-bootstrap";

/// Days after which a superseded template upload or object version is removed.
const EXPIRE_DAYS: u32 = 30;

fn define(stack: &mut Stack, _: &()) {
    stack.set_description("mlcdk bootstrap: the assets bucket of this account and region");
    let retain = stack.removal_policy(None);
    let mut node = stack.node("Assets");
    let bucket = node.add_resource(
        "Resource",
        CfnResource::new("AWS::S3::Bucket")
            .set("BucketName", Expr::sub(ASSETS_BUCKET_PATTERN))
            .set(
                "BucketEncryption",
                json!({"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]}),
            )
            .set(
                "PublicAccessBlockConfiguration",
                json!({"BlockPublicAcls": true, "BlockPublicPolicy": true,
                       "IgnorePublicAcls": true, "RestrictPublicBuckets": true}),
            )
            .set("VersioningConfiguration", json!({"Status": "Enabled"}))
            // Assets are content-addressed and may be used by deployed stacks
            // (a Glue job reads its script at every run), so they never expire;
            // they move to Intelligent-Tiering instead. Uploaded templates are
            // only read while a change set is created, so they do expire.
            .set(
                "LifecycleConfiguration",
                json!({"Rules": [
                    {"Id": "templates-expire", "Status": "Enabled", "Prefix": "templates/",
                     "ExpirationInDays": EXPIRE_DAYS},
                    {"Id": "assets-tiering", "Status": "Enabled", "Prefix": "assets/",
                     "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": EXPIRE_DAYS}]},
                    {"Id": "old-versions", "Status": "Enabled",
                     "NoncurrentVersionExpiration": {"NoncurrentDays": EXPIRE_DAYS},
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
                ]}),
            )
            .removal_policy(retain),
    );
    let tls_only = PolicyDocument::new([deny_insecure_transport(&bucket.get_att("Arn"))]);
    node.add_resource(
        "Policy",
        CfnResource::new("AWS::S3::BucketPolicy")
            .set("Bucket", bucket.reference())
            .set("PolicyDocument", tls_only.to_json()),
    );
    stack.add_output(
        "AssetsBucketName",
        OutputProps::new(bucket.reference()).description("Where mlcdk uploads assets"),
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
    }
}

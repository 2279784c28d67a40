//! A small app that a local CloudFormation endpoint (moto) can create: a data
//! bucket, an alert topic, a role granted access to both, and a file asset.
//! moto creates S3 buckets, IAM roles and SNS topics but not most ML resource
//! types, so the full example (`examples/deploy`) needs a real account.

use mlcdk::prelude::*;
use mlcdk::storage::{AccessLogging, Bucket, BucketProps};

/// What may differ between runs of the local example.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// Shown as the alert topic's display name; change it to see an update.
    pub alerts_name: String,
}

pub fn local_platform(stack: &mut Stack, knobs: &Knobs) {
    stack.set_description("mlcdk local example: runs against moto");
    // The Bucket construct: moto creates the bucket and skips its policy.
    // Without access logs: the stack's log bucket would be a second retained
    // bucket for every local run to leave behind.
    let data = Bucket::new(
        stack,
        "Data",
        BucketProps {
            access_logs: AccessLogging::Disabled {
                reason: "a local example deployed to moto and destroyed after each run".into(),
            },
            ..Default::default()
        },
    );
    let alerts = stack.add_resource(
        "Alerts",
        CfnResource::new("AWS::SNS::Topic")
            .set("DisplayName", knobs.alerts_name.as_str())
            .set("KmsMasterKeyId", "alias/aws/sns"),
    );
    let script = stack.asset(Asset::file("examples/local/assets/score.py"));

    let role = Role::new(
        stack,
        "Scorer",
        RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:GetObject", "s3:PutObject"])
            .resources([data.arn_for_objects("*")]),
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:GetObject"])
            .resources([script.object_arn()]),
    );
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["sns:Publish"])
            .resources([alerts.reference()]),
    );

    stack.add_output("DataBucket", OutputProps::new(data.name()));
    stack.add_output("ScorerRoleArn", OutputProps::new(role.arn()));
    stack.add_output("ScriptUri", OutputProps::new(script.s3_uri()));
}

/// The local app with the given knobs: one stage, `dev`, in whatever account
/// the credentials point at (moto's is always 123456789012).
pub fn app_with(knobs: Knobs) -> App<Knobs> {
    App::new("mlcdk-local", local_platform)
        .base_dir(env!("CARGO_MANIFEST_DIR"))
        .stage(Stage::custom(
            "dev",
            StageKind::Other,
            Env::any_account("us-east-1"),
            knobs,
        ))
}

pub fn app() -> App<Knobs> {
    app_with(Knobs {
        alerts_name: "mlcdk local alerts".into(),
    })
}

//! RT-006's model row: SageMaker reads a model's artifacts with its
//! execution role.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

fn template(statements: Value) -> Template {
    Template::from_json_str(
        &json!({"Resources": {
            "Artifacts": {"Type": "AWS::S3::Bucket"},
            "ModelRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {},
                "Policies": [{"PolicyName": "m", "PolicyDocument": {"Statement": statements}}]}},
            "Model": {"Type": "AWS::SageMaker::Model", "Properties": {
                "ExecutionRoleArn": {"Fn::GetAtt": ["ModelRole", "Arn"]},
                "PrimaryContainer": {
                    "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1",
                    "ModelDataUrl": {"Fn::Sub": "s3://${Artifacts}/models/model.tar.gz"}}}}
        }})
        .to_string(),
    )
    .unwrap()
}

fn hits(t: &Template) -> Vec<String> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "RT-006")
        .map(|f| f.message)
        .collect()
}

#[test]
fn a_model_role_that_cannot_read_its_artifacts_trips() {
    let t = template(json!([]));
    assert_eq!(
        hits(&t),
        [
            "role ModelRole cannot s3:GetObject on arn:${AWS::Partition}:s3:::${Artifacts}/models/model.tar.gz: SageMaker loads the model artifacts s3://${Artifacts}/models/model.tar.gz; grant it (see https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms)"
        ]
    );
}

#[test]
fn a_model_role_reading_its_artifacts_passes() {
    let t = template(json!([{"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Artifacts}/models/*"}}]));
    assert!(hits(&t).is_empty(), "{:?}", hits(&t));
}

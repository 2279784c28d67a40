//! RT-012: the pipeline's role starts, tags and passes what its steps need.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

/// A pipeline running as `PipeRole` with `statements`, whose processing step
/// runs as `JobRole` and whose registration step registers into `churn`.
fn template(statements: Value) -> Template {
    let body = json!({"Fn::Join": ["", [
        "{\"Version\":\"2020-12-01\",\"Steps\":[{\"Name\":\"Prep\",\"Type\":\"Processing\",\"Arguments\":{\"RoleArn\":\"",
        {"Fn::GetAtt": ["JobRole", "Arn"]},
        "\"}},{\"Name\":\"Register\",\"Type\":\"RegisterModel\",\"Arguments\":{\"ModelPackageGroupName\":\"churn\"}}]}"
    ]]});
    Template::from_json_str(
        &json!({"Resources": {
            "JobRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            "PipeRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": statements}}]}},
            "Pipeline": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
                "PipelineName": "p", "RoleArn": {"Fn::GetAtt": ["PipeRole", "Arn"]},
                "PipelineDefinition": {"PipelineDefinitionBody": body}}}
        }})
        .to_string(),
    )
    .unwrap()
}

fn hits(t: &Template) -> Vec<String> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "RT-012")
        .map(|f| f.message)
        .collect()
}

fn sagemaker(actions: &[&str]) -> Value {
    json!({"Effect": "Allow", "Action": actions,
           "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:*"}})
}

fn pass_role() -> Value {
    json!({"Effect": "Allow", "Action": "iam:PassRole",
           "Resource": {"Fn::GetAtt": ["JobRole", "Arn"]},
           "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}})
}

#[test]
fn a_pipeline_role_that_cannot_tag_pass_or_register_trips() {
    let t = template(json!([sagemaker(&["sagemaker:CreateProcessingJob"])]));
    let found = hits(&t);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(
        found[0],
        "role PipeRole cannot sagemaker:AddTags on arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/pipelines-prep: step Prep starts and tags its processing-job; grant it (see https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html)"
    );
    assert!(found[1].starts_with("role PipeRole cannot iam:PassRole on arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${JobRole} (iam:PassedToService=sagemaker.amazonaws.com): step Prep passes its job's role to SageMaker"), "{found:?}");
    assert!(found[2].starts_with("role PipeRole cannot sagemaker:CreateModelPackage on arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/churn/1: step Register registers a model version in churn"), "{found:?}");
    assert!(check(&t, &Options::default()).has_errors());
}

#[test]
fn a_pipeline_role_with_the_documented_permissions_passes() {
    let t = template(json!([
        sagemaker(&[
            "sagemaker:CreateProcessingJob",
            "sagemaker:AddTags",
            "sagemaker:CreateModelPackage"
        ]),
        pass_role()
    ]));
    assert!(hits(&t).is_empty(), "{:?}", hits(&t));
    // PassRole to another service does not count.
    let mut wrong = pass_role();
    wrong["Condition"]["StringEquals"]["iam:PassedToService"] = json!("glue.amazonaws.com");
    let t = template(json!([
        sagemaker(&[
            "sagemaker:CreateProcessingJob",
            "sagemaker:AddTags",
            "sagemaker:CreateModelPackage"
        ]),
        wrong
    ]));
    assert_eq!(hits(&t).len(), 1);
}

/// A pipeline whose `Eval` step writes its report under an execution-keyed
/// prefix and declares it as a property file, and whose registration is
/// tagged.
fn with_property_file(statements: Value) -> Template {
    let body = json!({"Fn::Join": ["", [
        "{\"Version\":\"2020-12-01\",\"Steps\":[{\"Name\":\"Eval\",\"Type\":\"Processing\",\"Arguments\":{\"RoleArn\":\"",
        {"Fn::GetAtt": ["JobRole", "Arn"]},
        "\",\"ProcessingOutputConfig\":{\"Outputs\":[{\"OutputName\":\"evaluation\",\"S3Output\":{\"S3Uri\":{\"Std:Join\":{\"On\":\"\",\"Values\":[\"s3://",
        {"Ref": "Artifacts"},
        "/pipeline/\",{\"Get\":\"Execution.PipelineExecutionId\"},\"/evaluation/\"]}}}}]}},",
        "\"PropertyFiles\":[{\"PropertyFileName\":\"Report\",\"OutputName\":\"evaluation\",\"FilePath\":\"evaluation.json\"}]},",
        "{\"Name\":\"Register\",\"Type\":\"RegisterModel\",\"Arguments\":{\"ModelPackageGroupName\":\"churn\",\"Tags\":[{\"Key\":\"stage\",\"Value\":\"staging\"}]}}]}"
    ]]});
    Template::from_json_str(
        &json!({"Resources": {
            "Artifacts": {"Type": "AWS::S3::Bucket"},
            "JobRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            "PipeRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": statements}}]}},
            "Pipeline": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
                "PipelineName": "p", "RoleArn": {"Fn::GetAtt": ["PipeRole", "Arn"]},
                "PipelineDefinition": {"PipelineDefinitionBody": body}}}
        }})
        .to_string(),
    )
    .unwrap()
}

#[test]
fn the_pipeline_role_reads_property_files_and_tags_registered_versions() {
    let base = || {
        vec![
            sagemaker(&[
                "sagemaker:CreateProcessingJob",
                "sagemaker:AddTags",
                "sagemaker:CreateModelPackage",
            ]),
            pass_role(),
        ]
    };
    // Without a read on the report, the condition's Std:JsonGet fails.
    let found = hits(&with_property_file(json!(base())));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("role PipeRole cannot s3:GetObject on arn:${AWS::Partition}:s3:::${Artifacts}/pipeline/execution-id/evaluation/evaluation.json: the pipeline reads the property file"),
        "{found:?}"
    );
    // A read on the output prefix passes, execution-keyed as it is.
    let mut fixed = base();
    fixed.push(json!({"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Artifacts}/pipeline/*"}}));
    assert!(hits(&with_property_file(json!(fixed))).is_empty());
    // A tagged registration needs AddTags on the version, not only on jobs.
    let narrow = json!([
        {"Effect": "Allow", "Action": ["sagemaker:CreateProcessingJob", "sagemaker:AddTags"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/*"}},
        {"Effect": "Allow", "Action": "sagemaker:CreateModelPackage",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/churn/*"}},
        pass_role(),
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Artifacts}/pipeline/*"}}
    ]);
    let found = hits(&with_property_file(narrow));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("cannot sagemaker:AddTags on arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/churn/1"), "{found:?}");
}

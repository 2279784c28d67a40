//! The run-time rules (RT-001, RT-002) on small templates: each trips on the
//! shape AWS would fail at run time and passes on the fixed one.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

/// A pipeline whose one processing step reads `s3://<Assets>/assets/run.py`
/// (an S3Prefix input), writes under `s3://<Assets>/out/`, optionally with a
/// volume key, running as `JobRole` with `statements`.
fn template(statements: Value, volume_key: bool, role: Value) -> Template {
    let key = if volume_key {
        json!([",\"VolumeKmsKeyId\":\"", {"Fn::GetAtt": ["Key", "Arn"]}, "\""])
    } else {
        json!([])
    };
    let mut parts = vec![
        json!(
            "{\"Version\":\"2020-12-01\",\"Steps\":[{\"Name\":\"Prep\",\"Type\":\"Processing\",\"Arguments\":{\"RoleArn\":\""
        ),
        role,
        json!(
            "\",\"ProcessingResources\":{\"ClusterConfig\":{\"InstanceCount\":1,\"InstanceType\":\"ml.m5.xlarge\",\"VolumeSizeInGB\":30"
        ),
    ];
    parts.extend(key.as_array().unwrap().iter().cloned());
    parts.extend([
        json!("}},\"ProcessingInputs\":[{\"InputName\":\"code\",\"S3Input\":{\"S3Uri\":\"s3://"),
        json!({"Ref": "Assets"}),
        json!("/assets/run.py\",\"S3DataType\":\"S3Prefix\",\"S3InputMode\":\"File\",\"LocalPath\":\"/opt/ml/processing/input/code\"}}],\"ProcessingOutputConfig\":{\"Outputs\":[{\"OutputName\":\"out\",\"S3Output\":{\"S3Uri\":\"s3://"),
        json!({"Ref": "Assets"}),
        json!("/out/\",\"LocalPath\":\"/opt/ml/processing/output\",\"S3UploadMode\":\"EndOfJob\"}}]}}}]}"),
    ]);
    Template::from_json_str(
        &json!({"Resources": {
            "Assets": {"Type": "AWS::S3::Bucket"},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                "Action": "kms:*", "Resource": "*"}]}}},
            "JobRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {},
                "Policies": [{"PolicyName": "job", "PolicyDocument": {"Statement": statements}}]}},
            "Pipeline": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
                "PipelineName": "p",
                "RoleArn": {"Fn::GetAtt": ["JobRole", "Arn"]},
                "PipelineDefinition": {"PipelineDefinitionBody": {"Fn::Join": ["", parts]}}}}
        }})
        .to_string(),
    )
    .unwrap()
}

fn objects() -> Value {
    json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
           "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Assets}/*"}})
}

fn listing() -> Value {
    json!({"Effect": "Allow", "Action": "s3:ListBucket",
           "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Assets}"},
           "Condition": {"StringLike": {"s3:prefix": ["assets/*"]}}})
}

fn job_role() -> Value {
    json!({"Fn::GetAtt": ["JobRole", "Arn"]})
}

fn findings(t: &Template, rule: &str) -> Vec<String> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.message)
        .collect()
}

#[test]
fn rt_001_a_prefix_input_needs_list_bucket_with_its_prefix() {
    let t = template(json!([objects()]), false, job_role());
    let hits = findings(&t, "RT-001");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        hits[0],
        "role JobRole cannot s3:ListBucket on arn:${AWS::Partition}:s3:::${Assets} (s3:prefix=assets/run.py): step Prep lists the prefix of its input 'code' (S3Prefix); grant it (see https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html)"
    );
    assert!(check(&t, &Options::default()).has_errors());

    let fixed = template(json!([objects(), listing()]), false, job_role());
    assert!(findings(&fixed, "RT-001").is_empty());
    assert!(findings(&fixed, "RT-002").is_empty());
}

#[test]
fn rt_001_outputs_need_put_object() {
    let read_only = json!([listing(), {"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Assets}/*"}}]);
    let hits = findings(&template(read_only, false, job_role()), "RT-001");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        hits[0].starts_with("role JobRole cannot s3:PutObject on arn:${AWS::Partition}:s3:::${Assets}/out/object: step Prep writes to s3://${Assets}/out/"),
        "{hits:?}"
    );
}

#[test]
fn rt_001_a_volume_key_needs_create_grant() {
    let hits = findings(
        &template(json!([objects(), listing()]), true, job_role()),
        "RT-001",
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        hits[0].starts_with("role JobRole cannot kms:CreateGrant on arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key} (kms:GrantIsForAWSResource=true)"),
        "{hits:?}"
    );
    let grant = json!({"Effect": "Allow", "Action": "kms:CreateGrant",
        "Resource": {"Fn::GetAtt": ["Key", "Arn"]},
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}});
    let fixed = template(json!([objects(), listing(), grant]), true, job_role());
    assert!(findings(&fixed, "RT-001").is_empty());
}

#[test]
fn rt_002_names_what_cannot_be_decided_and_rt_001_stays_quiet() {
    // A condition operator the evaluator does not know: no guess either way.
    let odd = json!({"Effect": "Allow", "Action": "s3:ListBucket",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Assets}"},
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
    let t = template(json!([objects(), odd]), false, job_role());
    assert!(findings(&t, "RT-001").is_empty());
    let undecided = findings(&t, "RT-002");
    assert_eq!(undecided.len(), 1, "{undecided:?}");
    assert!(
        undecided[0].starts_with("cannot tell whether role JobRole may s3:ListBucket"),
        "{undecided:?}"
    );
}

#[test]
fn a_role_outside_the_template_is_not_judged() {
    let imported = json!("arn:aws:iam::111111111111:role/platform-jobs");
    let t = template(json!([]), false, imported);
    assert!(findings(&t, "RT-001").is_empty());
    assert!(findings(&t, "RT-002").is_empty());
}

/// The job pulls its image with its role; a URI of another registry (or an
/// expression) is not judged.
#[test]
fn rt_001_a_job_pulls_its_image_from_ecr() {
    let with_image = |statements: Value| {
        let mut t = template(statements, false, job_role());
        let body = t.resources.get_mut("Pipeline").unwrap().properties
            ["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Join"][1]
            .as_array_mut()
            .unwrap();
        let first = body[0].as_str().unwrap().replace(
            "\"Arguments\":{",
            "\"Arguments\":{\"AppSpecification\":{\"ImageUri\":\"683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5\"},",
        );
        body[0] = json!(first);
        t
    };
    let found = findings(&with_image(json!([objects(), listing()])), "RT-001");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("role JobRole cannot ecr:BatchGetImage on arn:${AWS::Partition}:ecr:us-east-1:683313688378:repository/sagemaker-xgboost"), "{found:?}");
    assert!(
        found[2].starts_with("role JobRole cannot ecr:GetAuthorizationToken on *"),
        "{found:?}"
    );
    let pulls = json!([objects(), listing(),
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:683313688378:repository/sagemaker-xgboost"}},
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]);
    assert!(findings(&with_image(pulls), "RT-001").is_empty());
}

/// Outputs keyed by the execution (`Std:Join` with
/// `Execution.PipelineExecutionId`) are still checked.
#[test]
fn rt_001_checks_execution_keyed_outputs() {
    let mut t = template(json!([objects(), listing()]), false, job_role());
    let parts = t.resources.get_mut("Pipeline").unwrap().properties["PipelineDefinition"]
        ["PipelineDefinitionBody"]["Fn::Join"][1]
        .as_array_mut()
        .unwrap();
    // The output URI becomes {"Std:Join": ["s3://<Assets>/out/", execution id, "/"]}.
    let n = parts.len();
    parts[n - 3] = json!(parts[n - 3].as_str().unwrap().replace(
        "\"S3Output\":{\"S3Uri\":\"s3://",
        "\"S3Output\":{\"S3Uri\":{\"Std:Join\":{\"On\":\"\",\"Values\":[\"s3://"
    ));
    parts[n - 1] = json!(parts[n - 1].as_str().unwrap().replace(
        "/out/\"",
        "/out/\",{\"Get\":\"Execution.PipelineExecutionId\"},\"/\"]}}"
    ));
    assert!(
        findings(&t, "RT-001").is_empty(),
        "{:?}",
        findings(&t, "RT-001")
    );
    // Without PutObject, the keyed output is found.
    let mut no_put = t.clone();
    no_put.resources.get_mut("JobRole").unwrap().properties["Policies"][0]["PolicyDocument"]["Statement"]
        [0]["Action"] = json!("s3:GetObject");
    let found = findings(&no_put, "RT-001");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("role JobRole cannot s3:PutObject on arn:${AWS::Partition}:s3:::${Assets}/out/execution-id/object"),
        "{found:?}"
    );
}

/// A transform job runs as the role of the model the pipeline created: it
/// reads its input and writes its output with that role.
#[test]
fn rt_001_a_transform_job_uses_its_model_role() {
    let body = json!({"Fn::Join": ["", [
        "{\"Version\":\"2020-12-01\",\"Steps\":[{\"Name\":\"CreateModel\",\"Type\":\"Model\",\"Arguments\":{\"ExecutionRoleArn\":\"",
        {"Fn::GetAtt": ["JobRole", "Arn"]},
        "\"}},{\"Name\":\"Score\",\"Type\":\"Transform\",\"Arguments\":{\"ModelName\":{\"Get\":\"Steps.CreateModel.ModelName\"},",
        "\"TransformInput\":{\"DataSource\":{\"S3DataSource\":{\"S3DataType\":\"S3Prefix\",\"S3Uri\":\"s3://",
        {"Ref": "Assets"},
        "/to-score/\"}}},\"TransformOutput\":{\"S3OutputPath\":{\"Std:Join\":{\"On\":\"\",\"Values\":[\"s3://",
        {"Ref": "Assets"},
        "/scores/\",{\"Get\":\"Execution.PipelineExecutionId\"},\"/\"]}}}}}]}"
    ]]});
    let with = |statements: Value| {
        let mut t = template(statements, false, job_role());
        t.resources.get_mut("Pipeline").unwrap().properties["PipelineDefinition"]["PipelineDefinitionBody"] =
            body.clone();
        t
    };
    let found = findings(&with(json!([])), "RT-001");
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("role JobRole cannot s3:ListBucket on arn:${AWS::Partition}:s3:::${Assets} (s3:prefix=to-score/): step Score lists the prefix"), "{found:#?}");
    assert!(found[2].starts_with("role JobRole cannot s3:PutObject on arn:${AWS::Partition}:s3:::${Assets}/scores/execution-id/object: step Score writes"), "{found:#?}");
    let granted = json!([objects(),
        {"Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Assets}"},
         "Condition": {"StringLike": {"s3:prefix": ["to-score/*"]}}}]);
    assert!(findings(&with(granted), "RT-001").is_empty());
}

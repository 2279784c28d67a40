//! RT-007: a processing step's entrypoint names the file its code input
//! puts in the container.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::json;

/// A pipeline whose processing step runs `entrypoint` with its code input at
/// `code_uri` (a JSON value: a literal or a pipeline expression).
fn template(code_uri: serde_json::Value, entrypoint: &str) -> Template {
    let definition = json!({"Version": "2020-12-01", "Steps": [{
        "Name": "Prep", "Type": "Processing", "Arguments": {
            "AppSpecification": {"ImageUri": "img", "ContainerEntrypoint": ["python3", entrypoint]},
            "ProcessingInputs": [{"InputName": "code", "S3Input": {
                "S3Uri": code_uri, "LocalPath": "/opt/ml/processing/input/code",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}]}}]});
    Template::from_json_str(
        &json!({"Resources": {"Pipeline": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
            "PipelineName": "p", "RoleArn": "arn:aws:iam::111111111111:role/p",
            "PipelineDefinition": {"PipelineDefinitionBody": definition.to_string()}}}}})
        .to_string(),
    )
    .unwrap()
}

fn hits(t: &Template) -> Vec<String> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "RT-007")
        .map(|f| f.message)
        .collect()
}

#[test]
fn an_entrypoint_naming_another_file_than_the_object_trips() {
    let t = template(
        json!("s3://assets-bucket/assets/44af8fd6.py"),
        "/opt/ml/processing/input/code/preprocess.py",
    );
    assert_eq!(
        hits(&t),
        [
            "step Prep runs /opt/ml/processing/input/code/preprocess.py, but its input 'code' puts its one object at /opt/ml/processing/input/code/44af8fd6.py; give the object a key whose last part is the file the entrypoint names (see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingS3Input.html)"
        ]
    );
    assert!(check(&t, &Options::default()).has_errors());
}

#[test]
fn a_key_named_after_the_script_passes() {
    let t = template(
        json!("s3://assets-bucket/assets/44af8fd6/preprocess.py"),
        "/opt/ml/processing/input/code/preprocess.py",
    );
    assert!(hits(&t).is_empty());
}

#[test]
fn folders_and_expressions_are_not_judged() {
    // A folder brings names the template does not show.
    let folder = template(
        json!("s3://assets-bucket/code/"),
        "/opt/ml/processing/input/code/preprocess.py",
    );
    assert!(hits(&folder).is_empty());
    // Known only at run time.
    let parameter = template(
        json!({"Get": "Parameters.Code"}),
        "/opt/ml/processing/input/code/preprocess.py",
    );
    assert!(hits(&parameter).is_empty());
    // An entrypoint argument outside the input's folder is not about it.
    let elsewhere = template(
        json!("s3://assets-bucket/assets/44af8fd6.py"),
        "/opt/program/run.py",
    );
    assert!(hits(&elsewhere).is_empty());
}

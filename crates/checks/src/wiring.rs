//! Wiring rules: what a template says in two places that must agree.

use mlcdk_core::Template;
use mlcdk_core::template::pipeline_steps;
use serde_json::Value;

use crate::{Hit, Options};

/// How SageMaker places S3 inputs in a processing container.
pub const PROCESSING_INPUT_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingS3Input.html";

/// Where a File-mode `S3Prefix` input whose URI names one object puts it:
/// under its local path, with the key's last part as the file name.
/// `None` when the prefix is a folder (the names below it are not in the
/// template) or the URI is a pipeline expression.
fn placed_file(input: &Value) -> Option<(String, String)> {
    let s3 = input.get("S3Input")?;
    let local = s3.get("LocalPath")?.as_str()?.trim_end_matches('/');
    let uri = s3.get("S3Uri")?.as_str()?;
    let mode = s3
        .get("S3InputMode")
        .and_then(Value::as_str)
        .unwrap_or("File");
    let kind = s3
        .get("S3DataType")
        .and_then(Value::as_str)
        .unwrap_or("S3Prefix");
    if mode != "File" || kind != "S3Prefix" || uri.ends_with('/') {
        return None;
    }
    let key = uri.strip_prefix("s3://")?.split_once('/')?.1;
    let name = key.rsplit('/').next()?;
    Some((local.to_string(), format!("{local}/{name}")))
}

/// **RT-007: processing entrypoints name a file their code input puts in the
/// container.** A processing step runs `ContainerEntrypoint`, typically
/// `python3 /opt/ml/processing/input/code/<script>.py`, and gets the script
/// from an S3 input whose `LocalPath` is that folder. In File mode an
/// `S3Prefix` input copies each object it matches below `LocalPath` under the
/// object's own key name (API reference, ProcessingS3Input:
/// [`PROCESSING_INPUT_DOC`]): an input that is the single object
/// `assets/<sha256>.py` lands as `<sha256>.py`, and an entrypoint naming
/// `preprocess.py` fails with "No such file" on every run, although the
/// template deploys. The fix is a key whose last part is the script's name
/// (`assets/<sha256>/preprocess.py`). Inputs whose URI is a folder or a
/// pipeline expression are not judged: the names they bring are not in the
/// template.
pub(crate) fn rt_entrypoints(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, pipeline) in t.resources_of_type("AWS::SageMaker::Pipeline") {
        for step in pipeline_steps(pipeline) {
            if step.get("Type").and_then(Value::as_str) != Some("Processing") {
                continue;
            }
            let name = step.get("Name").and_then(Value::as_str).unwrap_or("?");
            let Some(args) = step.get("Arguments") else {
                continue;
            };
            let inputs: Vec<&Value> = args
                .get("ProcessingInputs")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let entrypoint = args
                .pointer("/AppSpecification/ContainerEntrypoint")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default();
            for arg in entrypoint {
                for input in &inputs {
                    let Some((local, placed)) = placed_file(input) else {
                        continue;
                    };
                    let in_folder = arg
                        .strip_prefix(&local)
                        .is_some_and(|rest| rest.starts_with('/') && !rest[1..].contains('/'));
                    if in_folder && arg != placed {
                        let input_name = input
                            .get("InputName")
                            .and_then(Value::as_str)
                            .unwrap_or("?");
                        out.push(Hit::new(
                            id,
                            format!(
                                "step {name} runs {arg}, but its input '{input_name}' puts its one object at {placed}; give the object a key whose last part is the file the entrypoint names (see {PROCESSING_INPUT_DOC})"
                            ),
                        ));
                    }
                }
            }
        }
    }
}

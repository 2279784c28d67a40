//! SageMaker API conformance of the pipeline definitions mlcdk writes (issue
//! 14): every step's `Arguments` of every `AWS::SageMaker::Pipeline` in every
//! stage of the example and of the options app (`examples/options`, including
//! its S3-stored definition, read from its asset) is checked against the
//! request shape of the API call the step makes, as the pinned botocore's SageMaker service model describes
//! it. SageMaker validates these only when the pipeline *runs*; CloudFormation
//! accepts any definition body.
//!
//! Checked: unknown members, missing required members, JSON types, enums,
//! numeric ranges, lengths of strings, lists and maps, patterns (those the
//! `regex` crate can compile), unions (exactly one member). A pipeline
//! expression (`Get`, `Std:Join`, `Std:JsonGet`) stands for any scalar. A
//! string holding a CloudFormation reference, shown by the decoder as `<Ref X>`,
//! `<X.Attr>` or `${AWS::Region}`, is only type-checked: its deployed value is
//! not known here.
//!
//! botocore is the pinned version, provisioned on first use by
//! `mlcdk_testkit::tools`; when it cannot be had the tests fail with one line
//! saying why (skip them on purpose with `--skip external_`).

#[path = "../examples/options/stack.rs"]
mod options;
#[path = "../examples/deploy/stack.rs"]
mod stack;

use std::collections::HashMap;
use std::sync::OnceLock;

use mlcdk::core::template::{Resource, pipeline_steps};
use mlcdk_testkit::tools;
use regex::Regex;
use serde_json::{Map, Value, json};

/// The API request shape of each step type that calls one, and the required
/// member SageMaker Pipelines fills in itself (the job or model name it
/// generates per execution). `RegisterModel` calls CreateModelPackage, whose
/// request has no required member.
const STEP_APIS: &[(&str, &str, Option<&str>)] = &[
    (
        "Processing",
        "CreateProcessingJob",
        Some("ProcessingJobName"),
    ),
    ("Training", "CreateTrainingJob", Some("TrainingJobName")),
    (
        "Tuning",
        "CreateHyperParameterTuningJob",
        Some("HyperParameterTuningJobName"),
    ),
    ("Model", "CreateModel", Some("ModelName")),
    ("RegisterModel", "CreateModelPackage", None),
    ("Transform", "CreateTransformJob", Some("TransformJobName")),
];

/// Step types that call no SageMaker API: nothing to check against the model.
const NO_API: &[&str] = &["Condition", "Fail"];

/// Violations the example is known to have (issue 15), each `stage / step /
/// path: problem`: none with botocore 1.44.8. One listed here keeps the test
/// passing while it is open, and fails it both when a new one appears and
/// when a listed one is fixed (then delete its line). A step type that is
/// neither in `STEP_APIS` nor in `NO_API` is reported too.
const KNOWN: &[&str] = &[];

/// The SageMaker service model of the pinned botocore, loaded once.
fn model() -> &'static Value {
    static MODEL: OnceLock<Value> = OnceLock::new();
    MODEL.get_or_init(|| {
        let botocore = tools::require("botocore");
        let output = botocore
            .command()
            .args([
                "-c",
                "import json, sys, botocore.loaders as l; \
                 json.dump(l.create_loader().load_service_model('sagemaker', 'service-2'), sys.stdout)",
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", botocore.program.display()));
        assert!(
            output.status.success(),
            "botocore could not load the sagemaker model: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let model: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("botocore printed no JSON model: {e}"));
        assert!(
            model["shapes"].is_object() && model["operations"].is_object(),
            "not a service model"
        );
        model
    })
}

/// One problem: where and what.
#[derive(Debug)]
struct Violation {
    step: String,
    path: String,
    problem: String,
}

/// Walks values against the shapes of a service model.
struct Validator<'m> {
    shapes: &'m Map<String, Value>,
    patterns: HashMap<&'m str, Option<Regex>>,
    placeholder: Regex,
    /// Patterns the `regex` crate cannot compile (look-around, Java classes).
    uncompiled: Vec<&'m str>,
    /// Steps checked, by type.
    checked: HashMap<String, usize>,
    /// Values checked against a shape, and strings matched against a pattern.
    values: usize,
    matched: usize,
    out: Vec<Violation>,
    step: String,
}

impl<'m> Validator<'m> {
    fn new(model: &'m Value) -> Validator<'m> {
        Validator {
            shapes: model["shapes"].as_object().expect("shapes"),
            patterns: HashMap::new(),
            placeholder: Regex::new(
                r"<Ref [A-Za-z0-9:]+>|<[A-Za-z0-9]+\.[A-Za-z0-9.]+>|\$\{[^}]+\}",
            )
            .unwrap(),
            uncompiled: Vec::new(),
            checked: HashMap::new(),
            values: 0,
            matched: 0,
            out: Vec::new(),
            step: String::new(),
        }
    }

    fn report(&mut self, path: &str, problem: String) {
        self.out.push(Violation {
            step: self.step.clone(),
            path: path.to_string(),
            problem,
        });
    }

    /// Every step of `pipeline` (condition branches included).
    fn pipeline(&mut self, model: &Value, pipeline: &Resource) {
        let steps = pipeline_steps(pipeline);
        if steps.is_empty() {
            self.step = "-".into();
            self.report(
                "PipelineDefinitionBody",
                "no steps: the body could not be decoded".into(),
            );
        }
        for step in steps {
            let ty = step["Type"].as_str().unwrap_or("").to_string();
            self.step = step["Name"].as_str().unwrap_or("?").to_string();
            if NO_API.contains(&ty.as_str()) {
                continue;
            }
            let Some(&(_, op, exempt)) = STEP_APIS.iter().find(|(t, _, _)| *t == ty) else {
                self.report(
                    "Type",
                    format!("step type {ty:?} is not checked by this test"),
                );
                continue;
            };
            let Some(shape) = model["operations"][op]["input"]["shape"].as_str() else {
                self.report("Type", format!("the model has no operation {op}"));
                continue;
            };
            *self.checked.entry(ty).or_default() += 1;
            match step.get("Arguments") {
                Some(Value::Object(args)) => {
                    self.structure(shape, args, "Arguments", exempt);
                }
                _ => self.report("Arguments", "missing or not an object".into()),
            }
        }
    }

    fn shape(&self, name: &str) -> &'m Value {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("the model has no shape {name}"))
    }

    fn structure(
        &mut self,
        name: &str,
        value: &Map<String, Value>,
        path: &str,
        exempt: Option<&str>,
    ) {
        let shape = self.shape(name);
        let members = shape["members"].as_object().expect("members");
        for (key, v) in value {
            match members.get(key) {
                Some(m) => {
                    let member = m["shape"].as_str().expect("member shape");
                    self.value(member, v, &format!("{path}.{key}"));
                }
                None => self.report(path, format!("unknown member {key:?} of {name}")),
            }
        }
        for required in shape["required"].as_array().into_iter().flatten() {
            let required = required.as_str().expect("required member");
            if !value.contains_key(required) && Some(required) != exempt {
                self.report(
                    path,
                    format!("missing required member {required:?} of {name}"),
                );
            }
        }
        if shape["union"] == json!(true) && value.len() != 1 {
            self.report(
                path,
                format!(
                    "{name} is a union: exactly one member, found {}",
                    value.len()
                ),
            );
        }
    }

    fn value(&mut self, name: &str, v: &Value, path: &str) {
        self.values += 1;
        let shape = self.shape(name);
        let ty = shape["type"].as_str().expect("shape type");
        let scalar = !matches!(ty, "structure" | "list" | "map");
        if scalar && let Value::Object(map) = v {
            match expression(map) {
                Some(Ok(())) => return,
                Some(Err(e)) => {
                    return self.report(path, format!("malformed pipeline expression: {e}"));
                }
                None => {}
            }
        }
        let wrong = |v: &Value| format!("expected {ty} ({name}), found {}", kind(v));
        match (ty, v) {
            ("structure", Value::Object(map)) => self.structure(name, map, path, None),
            ("list", Value::Array(items)) => {
                self.length(shape, items.len(), path, "items");
                let member = shape["member"]["shape"].as_str().expect("list member");
                for (i, item) in items.iter().enumerate() {
                    self.value(member, item, &format!("{path}[{i}]"));
                }
            }
            ("map", Value::Object(map)) => {
                self.length(shape, map.len(), path, "entries");
                let key = shape["key"]["shape"].as_str().expect("map key");
                let value = shape["value"]["shape"].as_str().expect("map value");
                for (k, item) in map {
                    self.value(key, &Value::String(k.clone()), &format!("{path} key {k:?}"));
                    self.value(value, item, &format!("{path}.{k}"));
                }
            }
            ("string", Value::String(s)) => self.string(name, shape, s, path),
            ("integer" | "long", Value::Number(n)) if n.is_i64() || n.is_u64() => {
                self.range(shape, n.as_f64().unwrap_or(f64::NAN), path)
            }
            ("float" | "double", Value::Number(n)) => {
                self.range(shape, n.as_f64().unwrap_or(f64::NAN), path)
            }
            ("boolean", Value::Bool(_)) => {}
            ("timestamp", Value::String(_) | Value::Number(_)) => {}
            ("blob" | "document", _) => {}
            _ => self.report(path, wrong(v)),
        }
    }

    fn string(&mut self, name: &str, shape: &'m Value, s: &str, path: &str) {
        if self.placeholder.is_match(s) {
            return; // a CloudFormation reference: only its type is known
        }
        if let Some(values) = shape["enum"].as_array()
            && !values.iter().any(|e| e == s)
        {
            let shown: Vec<&str> = values.iter().filter_map(Value::as_str).take(8).collect();
            let more = if values.len() > 8 {
                format!(", … {} values in all", values.len())
            } else {
                String::new()
            };
            self.report(
                path,
                format!("{s:?} is not a {name}: one of {shown:?}{more}"),
            );
        }
        self.length(shape, s.chars().count(), path, "characters");
        if let Some(pattern) = shape["pattern"].as_str() {
            let compiled = self
                .patterns
                .entry(pattern)
                .or_insert_with(|| Regex::new(&format!("^(?:{pattern})$")).ok());
            match compiled {
                Some(re) if !re.is_match(s) => {
                    let problem = format!("{s:?} does not match the {name} pattern /{pattern}/");
                    self.report(path, problem);
                }
                Some(_) => self.matched += 1,
                None => {
                    if !self.uncompiled.contains(&pattern) {
                        self.uncompiled.push(pattern);
                    }
                }
            }
        }
    }

    fn length(&mut self, shape: &Value, len: usize, path: &str, unit: &str) {
        if let Some(min) = shape["min"].as_f64()
            && (len as f64) < min
        {
            self.report(path, format!("{len} {unit}, fewer than the minimum {min}"));
        }
        if let Some(max) = shape["max"].as_f64()
            && (len as f64) > max
        {
            self.report(path, format!("{len} {unit}, more than the maximum {max}"));
        }
    }

    fn range(&mut self, shape: &Value, n: f64, path: &str) {
        if let Some(min) = shape["min"].as_f64()
            && n < min
        {
            self.report(path, format!("{n} is below the minimum {min}"));
        }
        if let Some(max) = shape["max"].as_f64()
            && n > max
        {
            self.report(path, format!("{n} is above the maximum {max}"));
        }
    }
}

/// A pipeline expression: `Some(Ok)` when `map` is a well-formed one,
/// `Some(Err)` when it is one (a single expression key) but malformed, `None`
/// when it is no expression at all.
fn expression(map: &Map<String, Value>) -> Option<Result<(), String>> {
    let (key, arg) = map.iter().next().filter(|_| map.len() == 1)?;
    let scalar_or_expression = |v: &Value| match v {
        Value::Object(m) => expression(m).unwrap_or(Err(format!("{v} is no expression"))),
        Value::Array(_) | Value::Null => Err(format!("{v} is not a scalar")),
        _ => Ok(()),
    };
    Some(match (key.as_str(), arg) {
        ("Get", Value::String(_)) => Ok(()),
        ("Get", _) => Err("Get takes a string".into()),
        ("Std:Join", Value::Object(a)) => match (a.get("On"), a.get("Values")) {
            (Some(Value::String(_)), Some(Value::Array(values))) if a.len() == 2 => {
                values.iter().try_for_each(scalar_or_expression)
            }
            _ => Err("Std:Join takes exactly On (a string) and Values (a list)".into()),
        },
        ("Std:JsonGet", Value::Object(a)) => match (a.get("PropertyFile"), a.get("Path")) {
            (Some(file), Some(Value::String(_))) if a.len() == 2 => scalar_or_expression(file),
            _ => Err("Std:JsonGet takes exactly PropertyFile and Path (a string)".into()),
        },
        ("Std:Join" | "Std:JsonGet", _) => Err(format!("{key} takes an object")),
        _ => return None,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Every pipeline of every stage of the example and of the options app:
/// (stage, logical ID, resource). A definition stored in S3
/// (`PipelineDefinitionS3Location`) is read from its generated asset and put
/// in the resource as its body, so it is checked like an inline one.
fn example_pipelines() -> Vec<(String, String, Resource)> {
    let assemblies = [
        stack::app().synth(None).expect("the example synthesizes"),
        options::app()
            .synth(None)
            .expect("the options app synthesizes"),
    ];
    let mut out = Vec::new();
    for assembly in &assemblies {
        for s in &assembly.stacks {
            for (id, r) in s.template.resources_of_type("AWS::SageMaker::Pipeline") {
                let mut r = r.clone();
                if let Some(key) = r
                    .prop(&["PipelineDefinition", "PipelineDefinitionS3Location", "Key"])
                    .and_then(Value::as_str)
                    .map(str::to_string)
                {
                    let asset = s
                        .assets
                        .iter()
                        .find(|a| a.key == key)
                        .unwrap_or_else(|| panic!("{id}: no asset with key {key}"));
                    let body = String::from_utf8(asset.bytes().expect("the asset is readable"))
                        .expect("the definition is UTF-8");
                    r.properties.insert(
                        "PipelineDefinition".into(),
                        json!({ "PipelineDefinitionBody": body }),
                    );
                }
                out.push((s.info.stack_name.clone(), id.clone(), r));
            }
        }
    }
    out
}

/// The violations of one pipeline, as `stage / step / path: problem`.
fn violations(v: &mut Validator, stage: &str, pipeline: &Resource) -> Vec<String> {
    v.out.clear();
    v.pipeline(model(), pipeline);
    v.out
        .drain(..)
        .map(|x| format!("{stage} / {} / {}: {}", x.step, x.path, x.problem))
        .collect()
}

#[test]
fn external_botocore_pipeline_definitions_conform_to_the_sagemaker_api() {
    let model = model();
    let mut v = Validator::new(model);
    let pipelines = example_pipelines();
    assert!(
        pipelines.len() >= 2,
        "expected a pipeline in every stage, found {}",
        pipelines.len()
    );
    let mut found = Vec::new();
    for (stage, _, pipeline) in &pipelines {
        found.extend(violations(&mut v, stage, pipeline));
    }
    let new: Vec<&String> = found
        .iter()
        .filter(|f| !KNOWN.contains(&f.as_str()))
        .collect();
    let fixed: Vec<&&str> = KNOWN
        .iter()
        .filter(|k| !found.iter().any(|f| f == *k))
        .collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "pipeline definitions vs the SageMaker API (botocore {}):\n\
         new violations ({}):\n  {}\n\
         known violations no longer found (delete them from KNOWN) ({}):\n  {}",
        tools::pin("botocore").version,
        new.len(),
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        fixed.len(),
        fixed.iter().map(|s| **s).collect::<Vec<_>>().join("\n  "),
    );
    let mut checked: Vec<String> = v.checked.iter().map(|(t, n)| format!("{n} {t}")).collect();
    checked.sort();
    let steps: usize = v.checked.values().sum();
    assert!(steps > 0, "no step was checked");
    tools::announce(&format!(
        "botocore {} sagemaker model {}: {} pipelines, {steps} steps checked ({}), {} values, {} strings matched against a pattern ({} patterns not checkable by the regex crate), {} known violations",
        tools::pin("botocore").version,
        model["metadata"]["apiVersion"].as_str().unwrap_or("?"),
        pipelines.len(),
        checked.join(", "),
        v.values,
        v.matched,
        v.uncompiled.len(),
        KNOWN.len(),
    ));
}

/// The harness: each mutation of a real decoded definition must be reported
/// at its place, so a validator that checks nothing cannot pass.
#[test]
fn external_botocore_conformance_harness_sees_violations() {
    let model = model();
    let body = ["PipelineDefinition", "PipelineDefinitionBody"];
    // The example's training pipeline: the one with a tuning step.
    let (stage, _, pipeline) = example_pipelines()
        .into_iter()
        .find(|(_, id, _)| id.starts_with("Training"))
        .expect("the example has a training pipeline");
    let mut definition = mlcdk::core::template::decode_document(pipeline.prop(&body).unwrap())
        .expect("the definition decodes");
    // The example has no Training step: add one, made of the tuning job's
    // training definition, so CreateTrainingJob is exercised too.
    let tune = definition["Steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["Name"] == "Tune"))
        .expect("the example tunes")["Arguments"]["TrainingJobDefinition"]
        .clone();
    let mut training = json!({ "HyperParameters": tune["StaticHyperParameters"] });
    // Tuning trials do not checkpoint (they would share one prefix); a
    // single training job does.
    training["CheckpointConfig"] = json!({ "S3Uri": "s3://bucket/checkpoints/" });
    for member in [
        "AlgorithmSpecification",
        "EnableManagedSpotTraining",
        "InputDataConfig",
        "OutputDataConfig",
        "ResourceConfig",
        "RoleArn",
        "StoppingCondition",
    ] {
        training[member] = tune[member].clone();
    }
    definition["Steps"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "Name": "Train", "Type": "Training", "Arguments": training }));
    let with = |doc: &Value| {
        let mut r = pipeline.clone();
        r.properties.insert(
            "PipelineDefinition".into(),
            json!({ "PipelineDefinitionBody": doc.to_string() }),
        );
        r
    };
    let mut v = Validator::new(model);
    let baseline = violations(&mut v, &stage, &with(&definition));
    let steps = v.checked.values().sum::<usize>();
    assert!(steps >= 6, "only {steps} steps checked");
    assert_eq!(
        v.checked.len(),
        STEP_APIS.len(),
        "step types checked: {:?}",
        v.checked
    );
    assert!(baseline.is_empty(), "{baseline:#?}");

    // (JSON pointer into the definition, new value or None to remove, what must be reported)
    // Steps: Preprocess, Baseline, Tune, Evaluate, CheckMetric (Register,
    // CreateModel, BatchScore), and the Train step added above.
    let register = "/Steps/4/Arguments/IfSteps/0/Arguments";
    let mutations: &[(&str, Option<Value>, &str)] = &[
        (
            "/Steps/5/Arguments/OutputDataConfig",
            None,
            "Train / Arguments: missing required member \"OutputDataConfig\" of CreateTrainingJobRequest",
        ),
        (
            "/Steps/0/Arguments/NoSuchMember",
            Some(json!(1)),
            "Preprocess / Arguments: unknown member \"NoSuchMember\" of CreateProcessingJobRequest",
        ),
        (
            "/Steps/0/Arguments/RoleArn",
            None,
            "Preprocess / Arguments: missing required member \"RoleArn\" of CreateProcessingJobRequest",
        ),
        (
            "/Steps/0/Arguments/ProcessingInputs/0/S3Input/S3DataType",
            Some(json!("S3Folder")),
            "Preprocess / Arguments.ProcessingInputs[0].S3Input.S3DataType: \"S3Folder\" is not a ProcessingS3DataType: one of [\"ManifestFile\", \"S3Prefix\"]",
        ),
        (
            "/Steps/0/Arguments/ProcessingResources/ClusterConfig/InstanceCount",
            Some(json!(0)),
            "Preprocess / Arguments.ProcessingResources.ClusterConfig.InstanceCount: 0 is below the minimum 1",
        ),
        (
            "/Steps/0/Arguments/ProcessingResources/ClusterConfig/VolumeSizeInGB",
            Some(json!("30")),
            "Preprocess / Arguments.ProcessingResources.ClusterConfig.VolumeSizeInGB: expected integer",
        ),
        (
            "/Steps/2/Arguments/TrainingJobDefinition/EnableManagedSpotTraining",
            Some(json!("true")),
            "Tune / Arguments.TrainingJobDefinition.EnableManagedSpotTraining: expected boolean",
        ),
        (
            "/Steps/2/Arguments/HyperParameterTuningJobConfig/ResourceLimits/MaxParallelTrainingJobs",
            Some(json!(2.5)),
            "Tune / Arguments.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs: expected integer",
        ),
        (
            &format!("{register}/ModelPackageGroupName"),
            Some(json!("m".repeat(171))),
            "Register / Arguments.ModelPackageGroupName: 171 characters, more than the maximum 170",
        ),
        // Patterns match the whole string: "churn" alone would match.
        (
            "/Steps/4/Arguments/IfSteps/2/Arguments/ModelName",
            Some(json!("churn model")),
            "BatchScore / Arguments.ModelName: \"churn model\" does not match the ModelName pattern",
        ),
        (
            "/Steps/2/Arguments/TrainingJobDefinition/StaticHyperParameters/num_round",
            Some(json!(200)),
            "Tune / Arguments.TrainingJobDefinition.StaticHyperParameters.num_round: expected string",
        ),
        (
            "/Steps/0/Arguments/RoleArn",
            Some(json!("not-a-role")),
            "Preprocess / Arguments.RoleArn: \"not-a-role\" does not match the RoleArn pattern",
        ),
        (
            "/Steps/0/Arguments/ProcessingInputs/1/S3Input/S3Uri",
            Some(json!({ "Std:Join": { "On": "/" } })),
            "Preprocess / Arguments.ProcessingInputs[1].S3Input.S3Uri: malformed pipeline expression",
        ),
        (
            "/Steps/0/Arguments/ProcessingInputs",
            Some(json!({ "InputName": "code" })),
            "Preprocess / Arguments.ProcessingInputs: expected list",
        ),
    ];
    let mut missed = Vec::new();
    for (pointer, new, expected) in mutations {
        let mut doc = definition.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = doc
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{pointer}: no such object in the example's definition"));
        match new {
            Some(value) => {
                parent.insert(key.to_string(), value.clone());
            }
            None => {
                parent.remove(key).expect("the member to remove is there");
            }
        }
        let found = violations(&mut v, &stage, &with(&doc));
        let expected = format!("{stage} / {expected}");
        let added: Vec<&String> = found.iter().filter(|f| !baseline.contains(f)).collect();
        if !added.iter().any(|f| f.starts_with(&expected)) {
            missed.push(format!("{pointer}: expected {expected:?}, got {added:#?}"));
        }
    }
    // A body that does not decode is reported, not passed as "no steps".
    let mut r = pipeline.clone();
    r.properties.insert(
        "PipelineDefinition".into(),
        json!({ "PipelineDefinitionBody": "not json" }),
    );
    assert!(
        !violations(&mut v, &stage, &r).is_empty(),
        "an undecodable body passed"
    );
    assert!(
        missed.is_empty(),
        "mutations not reported:\n{}",
        missed.join("\n")
    );
}

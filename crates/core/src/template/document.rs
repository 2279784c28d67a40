//! JSON documents embedded in properties: pipeline definitions and policies,
//! written as JSON text or as an `Fn::Join` of text and references. The stage
//! diff shows them decoded, and analyses read pipeline steps from them.

use serde_json::Value;

use super::model::Resource;

/// Every step of an `AWS::SageMaker::Pipeline`'s decoded definition body, in
/// document order, each condition step followed by its `IfSteps` then
/// `ElseSteps`. Empty when the body is not an inline JSON document.
pub fn pipeline_steps(pipeline: &Resource) -> Vec<Value> {
    pipeline
        .prop(&["PipelineDefinition", "PipelineDefinitionBody"])
        .and_then(decode_document)
        .map(|doc| definition_steps(&doc))
        .unwrap_or_default()
}

/// Every step of a decoded pipeline definition, in document order, the steps
/// of condition branches (`IfSteps`, `ElseSteps`) after their condition.
pub fn definition_steps(definition: &Value) -> Vec<Value> {
    fn walk(steps: &[Value], out: &mut Vec<Value>) {
        for step in steps {
            out.push(step.clone());
            for branch in ["IfSteps", "ElseSteps"] {
                if let Some(Value::Array(inner)) = step.pointer(&format!("/Arguments/{branch}")) {
                    walk(inner, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Some(Value::Array(steps)) = definition.get("Steps") {
        walk(steps, &mut out);
    }
    out
}

/// A JSON document embedded in a property: a JSON string, or an `Fn::Join`
/// of text and references (each reference shown as `<Ref X>` / `<X.Attr>`),
/// as pipeline definitions and policies are written. `None` when the value is
/// not a JSON object document.
pub fn decode_document(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(doc @ Value::Object(_)) => Some(doc),
            _ => None,
        },
        Value::Object(map) => joined_document(map),
        _ => None,
    }
}

/// `{"Fn::Join": ["", [text, reference, text…]]}` whose text, with each
/// reference written as `<Ref X>` / `<X.Attr>` / its `Fn::Sub` pattern, is a
/// JSON object.
pub(crate) fn joined_document(map: &serde_json::Map<String, Value>) -> Option<Value> {
    let args = map.get("Fn::Join")?.as_array()?;
    if map.len() != 1 || !args.first()?.as_str()?.is_empty() {
        return None;
    }
    let mut text = String::new();
    for part in args.get(1)?.as_array()? {
        match part {
            Value::String(s) => text.push_str(s),
            other => {
                let shown = if let Some(r) = other.get("Ref").and_then(Value::as_str) {
                    format!("<Ref {r}>")
                } else if let Some(g) = other.get("Fn::GetAtt").and_then(Value::as_array) {
                    format!("<{}.{}>", g.first()?.as_str()?, g.get(1)?.as_str()?)
                } else if let Some(p) = other.get("Fn::Sub").and_then(Value::as_str) {
                    p.to_string()
                } else {
                    return None;
                };
                // Inside a JSON string: keep it free of quotes and backslashes.
                text.push_str(&shown.replace(['"', '\\'], ""));
            }
        }
    }
    if !text.starts_with('{') {
        return None;
    }
    serde_json::from_str(&text).ok()
}

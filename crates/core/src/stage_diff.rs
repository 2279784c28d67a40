//! The stage diff: every structural difference between two templates, as
//! paths with old → new values, so a reviewer sees all that separates
//! staging from production in one place.

use serde_json::Value;

use crate::template::{Template, joined_document};

/// One difference.
#[derive(Clone, Debug, PartialEq)]
pub enum Difference {
    /// Only in the second template.
    Added {
        /// Dotted path, e.g.
        /// `Resources.Endpoint.Properties.ProductionVariants[0].InstanceType`.
        path: String,
        /// The value there.
        value: Value,
    },
    /// Only in the first template.
    Removed {
        /// Dotted path.
        path: String,
        /// The value there.
        value: Value,
    },
    /// In both, with different values.
    Changed {
        /// Dotted path.
        path: String,
        /// The first template's value.
        old: Value,
        /// The second template's value.
        new: Value,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Added { path, value } => write!(f, "+ {path}: {value}"),
            Difference::Removed { path, value } => write!(f, "- {path}: {value}"),
            Difference::Changed { path, old, new } => write!(f, "~ {path}: {old} → {new}"),
        }
    }
}

/// The differences from `a` to `b`, in path order. Properties that hold a
/// JSON document as a string (a pipeline definition, joined around stack
/// references) are compared as documents, so a difference shows as the field
/// that changed, not as a changed chunk of text.
pub fn diff(a: &Template, b: &Template) -> Vec<Difference> {
    let a = decode_documents(serde_json::to_value(a).expect("a template serializes"));
    let b = decode_documents(serde_json::to_value(b).expect("a template serializes"));
    let mut out = Vec::new();
    walk("", &a, &b, &mut out);
    out
}

/// Key under which a decoded JSON-in-a-string document is shown.
const DECODED: &str = "(decoded)";

fn decode_documents(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(doc) = joined_document(&map) {
                return serde_json::json!({ DECODED: decode_documents(doc) });
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, decode_documents(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(decode_documents).collect()),
        Value::String(s) if s.starts_with('{') => match serde_json::from_str::<Value>(&s) {
            Ok(doc @ Value::Object(_)) => serde_json::json!({ DECODED: decode_documents(doc) }),
            _ => Value::String(s),
        },
        other => other,
    }
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => walk(&p, va, vb, out),
                    (Some(va), None) => out.push(Difference::Removed {
                        path: p,
                        value: va.clone(),
                    }),
                    (None, Some(vb)) => out.push(Difference::Added {
                        path: p,
                        value: vb.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(va), Some(vb)) => walk(&p, va, vb, out),
                    (Some(va), None) => out.push(Difference::Removed {
                        path: p,
                        value: va.clone(),
                    }),
                    (None, Some(vb)) => out.push(Difference::Added {
                        path: p,
                        value: vb.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (x, y) if x != y => out.push(Difference::Changed {
            path: path.to_string(),
            old: x.clone(),
            new: y.clone(),
        }),
        _ => {}
    }
}

/// The diff as text: a header, then one line per difference.
pub fn render(a_name: &str, b_name: &str, differences: &[Difference]) -> String {
    let mut text = format!(
        "{a_name} → {b_name}: {} difference{}\n",
        differences.len(),
        if differences.len() == 1 { "" } else { "s" }
    );
    for d in differences {
        text.push_str(&d.to_string());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_old_and_new_values() {
        let a = Template::from_json_str(
            r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "stage", "Value": "staging"}], "X": 1}},
                              "Gone": {"Type": "AWS::SNS::Topic"}}}"#,
        )
        .unwrap();
        let b = Template::from_json_str(
            r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "stage", "Value": "production"}, {"Key": "x", "Value": "y"}]}},
                              "New": {"Type": "AWS::SNS::Topic"}}}"#,
        )
        .unwrap();
        let d = diff(&a, &b);
        let text = render("staging", "production", &d);
        assert_eq!(
            text,
            "staging → production: 5 differences\n\
             ~ Resources.B.Properties.Tags[0].Value: \"staging\" → \"production\"\n\
             + Resources.B.Properties.Tags[1]: {\"Key\":\"x\",\"Value\":\"y\"}\n\
             - Resources.B.Properties.X: 1\n\
             - Resources.Gone: {\"Type\":\"AWS::SNS::Topic\"}\n\
             + Resources.New: {\"Type\":\"AWS::SNS::Topic\"}\n"
        );
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn json_documents_in_strings_are_compared_as_documents() {
        let t = |approval: &str| {
            Template::from_json_str(&serde_json::json!({"Resources": {"P": {"Type": "AWS::SageMaker::Pipeline", "Properties": {
                "Body": {"Fn::Join": ["", [format!("{{\"Approval\":\"{approval}\",\"Role\":\""), {"Fn::GetAtt": ["Role", "Arn"]}, "\"}"]]},
                "Plain": format!("{{\"a\":\"{approval}\"}}")
            }}}}).to_string()).unwrap()
        };
        let d = diff(&t("Approved"), &t("PendingManualApproval"));
        assert_eq!(
            render("a", "b", &d),
            "a → b: 2 differences\n\
             ~ Resources.P.Properties.Body.(decoded).Approval: \"Approved\" → \"PendingManualApproval\"\n\
             ~ Resources.P.Properties.Plain.(decoded).a: \"Approved\" → \"PendingManualApproval\"\n"
        );
    }
}

//! JSON documents that contain references.
//!
//! IAM policies, SageMaker pipeline definitions and Glue arguments are JSON
//! documents whose leaves may be stack values (an ARN, a bucket name). A [`Json`]
//! keeps those leaves typed. It renders two ways:
//!
//! * [`Json::to_cfn`]: as a JSON property value, with intrinsics inline (an IAM
//!   `PolicyDocument`);
//! * [`Json::to_cfn_string`]: as a *string* property holding serialized JSON (a
//!   `PipelineDefinitionBody`): the text around each reference becomes a literal
//!   and the whole an `Fn::Join`, or a plain literal when there are no references.
//!
//! ```
//! use mlcdk_core::{Expr, Json};
//! use serde_json::json;
//!
//! let doc = Json::object([("RoleArn", Json::from(Expr::get_att("Role", "Arn"))), ("Retries", 3.into())]);
//! assert_eq!(
//!     doc.to_cfn_string().to_json(),
//!     json!({"Fn::Join": ["", ["{\"Retries\":3,\"RoleArn\":\"", {"Fn::GetAtt": ["Role", "Arn"]}, "\"}"]]})
//! );
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use crate::expr::Expr;

/// A JSON value whose string leaves may be CloudFormation expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A literal string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object; keys are sorted, so renders are stable.
    Object(BTreeMap<String, Json>),
    /// A string-valued stack expression.
    Expr(Expr),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// An array.
    pub fn array(items: impl IntoIterator<Item = Json>) -> Json {
        Json::Array(items.into_iter().collect())
    }

    /// Render as a CloudFormation property value: expressions become intrinsic
    /// functions in place.
    pub fn to_cfn(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_cfn).collect()),
            Json::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_cfn())).collect())
            }
            Json::Expr(e) => e.to_json(),
        }
    }

    /// Render as a string expression holding the serialized document (keys in
    /// sorted order, no whitespace).
    pub fn to_cfn_string(&self) -> Expr {
        let mut parts = Vec::new();
        let mut text = String::new();
        self.write(&mut text, &mut parts);
        parts.push(Expr::Literal(text));
        Expr::concat(parts)
    }

    fn write(&self, text: &mut String, parts: &mut Vec<Expr>) {
        match self {
            Json::Null => text.push_str("null"),
            Json::Bool(b) => text.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => text.push_str(&n.to_string()),
            Json::String(s) => write_json_string(text, s),
            Json::Array(items) => {
                text.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    item.write(text, parts);
                }
                text.push(']');
            }
            Json::Object(map) => {
                text.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    write_json_string(text, k);
                    text.push(':');
                    v.write(text, parts);
                }
                text.push('}');
            }
            Json::Expr(Expr::Literal(s)) => write_json_string(text, s),
            Json::Expr(e) => {
                // Resolved values (ARNs, names, URIs) never contain characters that
                // need JSON escaping, so the expression sits inside the quotes as is.
                text.push('"');
                parts.push(Expr::Literal(std::mem::take(text)));
                parts.push(e.clone());
                text.push('"');
            }
        }
    }

    /// Visit every expression leaf.
    pub fn for_each_expr(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            Json::Array(items) => items.iter().for_each(|i| i.for_each_expr(f)),
            Json::Object(map) => map.values().for_each(|v| v.for_each_expr(f)),
            Json::Expr(e) => f(e),
            _ => {}
        }
    }
}

fn write_json_string(text: &mut String, s: &str) {
    text.push_str(&serde_json::to_string(s).expect("a string always serializes"));
}

impl From<Expr> for Json {
    fn from(e: Expr) -> Json {
        match e {
            Expr::Literal(s) => Json::String(s),
            e => Json::Expr(e),
        }
    }
}

impl From<&Expr> for Json {
    fn from(e: &Expr) -> Json {
        Json::from(e.clone())
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<i64> for Json {
    fn from(n: i64) -> Json {
        Json::Number(n.into())
    }
}

impl From<u32> for Json {
    fn from(n: u32) -> Json {
        Json::Number(n.into())
    }
}

impl From<i32> for Json {
    fn from(n: i32) -> Json {
        Json::Number(n.into())
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Json {
        Json::Array(items)
    }
}

/// Plain JSON becomes a document without references (its strings stay strings,
/// even ones that look like intrinsics).
impl From<Value> for Json {
    fn from(v: Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Number(n) => Json::Number(n),
            Value::String(s) => Json::String(s),
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            Value::Object(map) => {
                Json::Object(map.into_iter().map(|(k, v)| (k, Json::from(v))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_documents_stay_literal() {
        let doc = Json::from(json!({"b": [1, true, null, "x\"y"], "a": {}}));
        assert_eq!(
            doc.to_cfn_string(),
            Expr::lit(r#"{"a":{},"b":[1,true,null,"x\"y"]}"#)
        );
        assert_eq!(doc.to_cfn(), json!({"b": [1, true, null, "x\"y"], "a": {}}));
    }

    #[test]
    fn references_split_the_string() {
        let doc = Json::object([
            ("A", Json::from(Expr::reference("Bucket"))),
            (
                "B",
                Json::array([Json::from(Expr::get_att("Role", "Arn")), "z".into()]),
            ),
        ]);
        assert_eq!(
            doc.to_cfn_string().to_json(),
            json!({"Fn::Join": ["", [
                "{\"A\":\"", {"Ref": "Bucket"}, "\",\"B\":[\"", {"Fn::GetAtt": ["Role", "Arn"]}, "\",\"z\"]}"
            ]]})
        );
        assert_eq!(
            doc.to_cfn(),
            json!({"A": {"Ref": "Bucket"}, "B": [{"Fn::GetAtt": ["Role", "Arn"]}, "z"]})
        );
    }

    #[test]
    fn the_joined_string_parses_back_once_resolved() {
        // Substitute each reference with a realistic value and the text must be valid JSON.
        let doc = Json::object([
            ("Arn", Json::from(Expr::get_att("Role", "Arn"))),
            ("Uri", Json::from(Expr::sub("s3://${Bucket}/k"))),
        ]);
        let Value::Object(join) = doc.to_cfn_string().to_json() else {
            panic!()
        };
        let parts = join["Fn::Join"][1].as_array().unwrap().clone();
        let text: String = parts
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| "arn:aws:iam::1:role/x".into())
            })
            .collect();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["Arn"], "arn:aws:iam::1:role/x");
    }
}

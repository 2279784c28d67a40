//! Assertions on templates, for tests, modelled on the CDK's `assertions`.
//!
//! Assertions panic with a message that shows what was expected and what the
//! closest candidate held, as test assertions do.
//!
//! ```
//! use mlcdk_core::assertions::{Capture, Match, TemplateAssert};
//! use mlcdk_core::{CfnResource, Expr, Scope, Stack};
//! use serde_json::json;
//!
//! let mut stack = Stack::for_test();
//! stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic").set("KmsMasterKeyId", "alias/aws/sns"));
//! let t = TemplateAssert::new(stack.synth().unwrap().template);
//! t.resource_count_is("AWS::SNS::Topic", 1);
//! t.has_resource_properties("AWS::SNS::Topic", json!({"KmsMasterKeyId": "alias/aws/sns"}));
//! let tags = Capture::new();
//! t.has_resource_properties("AWS::SNS::Topic", Match::object([
//!     ("Tags", Match::capture(&tags)),
//!     ("TopicName", Match::absent()),
//! ]));
//! assert_eq!(tags.value()[0], json!({"Key": "app", "Value": "test"}));
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value;

use crate::template::Template;

/// A pattern for a JSON value.
#[derive(Clone, Debug)]
pub enum Match {
    /// Equal, with objects matched partially at every depth (extra keys
    /// allowed) and arrays element by element. What a plain `json!` becomes.
    Like(Value),
    /// Exactly equal.
    Exact(Value),
    /// An object holding at least these keys, each matching its pattern.
    Object(BTreeMap<String, Match>),
    /// An array containing elements matching these patterns, in this order
    /// (others may come between).
    ArrayWith(Vec<Match>),
    /// The key must not be present.
    Absent,
    /// Any present value.
    Any,
    /// Any present value, recorded in the capture.
    Capture(Capture),
}

impl Match {
    /// [`Match::Like`]: partial at every depth, so a test states only what it
    /// cares about.
    pub fn object_like(value: Value) -> Match {
        Match::Like(value)
    }

    /// [`Match::Exact`]: no extra keys anywhere.
    pub fn exact(value: Value) -> Match {
        Match::Exact(value)
    }

    /// [`Match::Object`] from `(key, pattern)` pairs, for mixing patterns
    /// inside one object.
    pub fn object<K: Into<String>>(fields: impl IntoIterator<Item = (K, Match)>) -> Match {
        Match::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// [`Match::ArrayWith`]: these patterns in this order, other elements
    /// allowed between.
    pub fn array_with(items: impl IntoIterator<Item = Match>) -> Match {
        Match::ArrayWith(items.into_iter().collect())
    }

    /// [`Match::Absent`], e.g. a name property the construct must leave to
    /// CloudFormation.
    pub fn absent() -> Match {
        Match::Absent
    }

    /// [`Match::Any`]: present, whatever its value.
    pub fn any_value() -> Match {
        Match::Any
    }

    /// [`Match::Capture`]: any present value, recorded in `capture` when the
    /// whole pattern matches.
    pub fn capture(capture: &Capture) -> Match {
        Match::Capture(capture.clone())
    }

    /// Whether `actual` (`None` = absent) matches.
    pub fn test(&self, actual: Option<&Value>) -> Result<(), String> {
        let mut captured = Vec::new();
        let r = self.check(actual, "$", &mut captured);
        if r.is_ok() {
            for (c, v) in captured {
                c.0.borrow_mut().push(v);
            }
        }
        r
    }

    fn check(
        &self,
        actual: Option<&Value>,
        at: &str,
        captured: &mut Vec<(Capture, Value)>,
    ) -> Result<(), String> {
        match (self, actual) {
            (Match::Absent, None) => Ok(()),
            (Match::Absent, Some(v)) => Err(format!("{at}: expected absent, found {v}")),
            (_, None) => Err(format!("{at}: missing")),
            (Match::Any, Some(_)) => Ok(()),
            (Match::Capture(c), Some(v)) => {
                captured.push((c.clone(), v.clone()));
                Ok(())
            }
            (Match::Exact(e), Some(v)) => {
                if e == v {
                    Ok(())
                } else {
                    Err(format!("{at}: expected exactly {e}, found {v}"))
                }
            }
            (Match::Like(e), Some(v)) => like(e, v, at),
            (Match::Object(fields), Some(Value::Object(o))) => {
                for (k, m) in fields {
                    m.check(o.get(k), &format!("{at}.{k}"), captured)?;
                }
                Ok(())
            }
            (Match::Object(_), Some(v)) => Err(format!("{at}: expected an object, found {v}")),
            (Match::ArrayWith(items), Some(Value::Array(a))) => {
                let mut rest = a.iter();
                for (i, m) in items.iter().enumerate() {
                    let found = rest
                        .by_ref()
                        .any(|v| m.check(Some(v), at, &mut Vec::new()).is_ok());
                    if !found {
                        return Err(format!(
                            "{at}: no element (in order) matches pattern #{i} {m:?}; array is {}",
                            Value::Array(a.clone())
                        ));
                    }
                }
                // Record captures of the matching elements.
                let mut rest = a.iter();
                for m in items {
                    for v in rest.by_ref() {
                        let mut local = Vec::new();
                        if m.check(Some(v), at, &mut local).is_ok() {
                            captured.extend(local);
                            break;
                        }
                    }
                }
                Ok(())
            }
            (Match::ArrayWith(_), Some(v)) => Err(format!("{at}: expected an array, found {v}")),
        }
    }
}

fn like(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => like(ev, av, &format!("{at}.{k}"))?,
                    None => return Err(format!("{at}.{k}: missing")),
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{at}: expected an array of {} elements, found {} ({actual})",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                like(ev, av, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{at}: expected {e}, found {a}")),
    }
}

impl From<Value> for Match {
    fn from(v: Value) -> Match {
        Match::Like(v)
    }
}

/// Records the values a [`Match::capture`] matched.
#[derive(Clone, Debug, Default)]
pub struct Capture(Rc<RefCell<Vec<Value>>>);

impl Capture {
    /// An empty capture, to pass to [`Match::capture`].
    pub fn new() -> Capture {
        Capture::default()
    }

    /// The first captured value. Panics when nothing was captured.
    pub fn value(&self) -> Value {
        self.0
            .borrow()
            .first()
            .cloned()
            .expect("the capture matched nothing")
    }

    /// Every captured value, in match order.
    pub fn values(&self) -> Vec<Value> {
        self.0.borrow().clone()
    }
}

/// A template under test.
pub struct TemplateAssert {
    template: Template,
}

impl TemplateAssert {
    /// Assertions over `template` (e.g. `stack.synth()?.template`).
    pub fn new(template: Template) -> TemplateAssert {
        TemplateAssert { template }
    }

    /// Assertions over a template given as JSON text. Panics if it is not a
    /// template.
    pub fn from_json_str(text: &str) -> TemplateAssert {
        TemplateAssert::new(Template::from_json_str(text).expect("a CloudFormation JSON template"))
    }

    /// The template under test, for checks the assertions do not cover.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Exactly `count` resources of `resource_type`.
    pub fn resource_count_is(&self, resource_type: &str, count: usize) {
        let n = self.template.resources_of_type(resource_type).count();
        assert_eq!(
            n, count,
            "expected {count} resources of type {resource_type}, found {n}"
        );
    }

    /// Some resource of `resource_type` has properties matching `props`.
    pub fn has_resource_properties(&self, resource_type: &str, props: impl Into<Match>) {
        self.assert_some(resource_type, &wrap("Properties", props.into()));
    }

    /// Some resource of `resource_type` matches `resource` as a whole (`Type`,
    /// `Properties`, `DependsOn`, `DeletionPolicy`…).
    pub fn has_resource(&self, resource_type: &str, resource: impl Into<Match>) {
        self.assert_some(resource_type, &resource.into());
    }

    /// Resources of `resource_type` whose properties match `props`, by logical ID.
    pub fn find_resources(
        &self,
        resource_type: &str,
        props: impl Into<Match>,
    ) -> BTreeMap<String, Value> {
        let m = wrap("Properties", props.into());
        self.template
            .resources_of_type(resource_type)
            .filter_map(|(id, r)| {
                let v = serde_json::to_value(r).expect("a resource serializes");
                m.test(Some(&v)).ok().map(|_| (id.clone(), v))
            })
            .collect()
    }

    /// An output named `name` (or any output, for `"*"`) matches `output`
    /// (`Value`, `Description`, `Export`).
    pub fn has_output(&self, name: &str, output: impl Into<Match>) {
        let m = output.into();
        let mut failures = Vec::new();
        for (n, o) in &self.template.outputs {
            if name != "*" && n != name {
                continue;
            }
            let v = serde_json::to_value(o).expect("an output serializes");
            match m.test(Some(&v)) {
                Ok(()) => return,
                Err(e) => failures.push(format!("{n}: {e}")),
            }
        }
        panic!(
            "no output {name} matches; {}",
            if failures.is_empty() {
                format!(
                    "outputs are {:?}",
                    self.template.outputs.keys().collect::<Vec<_>>()
                )
            } else {
                failures.join("; ")
            }
        );
    }

    fn assert_some(&self, resource_type: &str, m: &Match) {
        let mut failures = Vec::new();
        for (id, r) in self.template.resources_of_type(resource_type) {
            let v = serde_json::to_value(r).expect("a resource serializes");
            match m.test(Some(&v)) {
                Ok(()) => return,
                Err(e) => failures.push(format!("  {id}: {e}")),
            }
        }
        if failures.is_empty() {
            panic!("no resource of type {resource_type} in the template");
        }
        panic!(
            "no {resource_type} matches; the candidates differ:\n{}",
            failures.join("\n")
        );
    }
}

fn wrap(key: &str, m: Match) -> Match {
    Match::object([(key, m)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> TemplateAssert {
        TemplateAssert::from_json_str(
            &json!({
                "Resources": {
                    "A": {"Type": "AWS::S3::Bucket", "Properties": {
                        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                        "Nested": {"X": 1, "Y": {"Z": 2}}
                    }, "DeletionPolicy": "Retain"},
                    "B": {"Type": "AWS::S3::Bucket"}
                },
                "Outputs": {"Name": {"Value": {"Ref": "A"}, "Export": {"Name": "n"}}}
            })
            .to_string(),
        )
    }

    #[test]
    fn object_like_is_partial_at_every_depth() {
        let t = sample();
        t.resource_count_is("AWS::S3::Bucket", 2);
        t.has_resource_properties("AWS::S3::Bucket", json!({"Nested": {"Y": {}}}));
        t.has_resource("AWS::S3::Bucket", json!({"DeletionPolicy": "Retain"}));
        assert_eq!(t.find_resources("AWS::S3::Bucket", json!({})).len(), 1);
        assert_eq!(
            t.find_resources(
                "AWS::S3::Bucket",
                Match::object([("Tags", Match::absent())])
            )
            .len(),
            0,
            "B has no Properties at all, so no Properties object to look into"
        );
    }

    #[test]
    #[should_panic(expected = "$.Properties.Nested.X: expected 2, found 1")]
    fn mismatch_names_the_path() {
        sample().has_resource_properties("AWS::S3::Bucket", json!({"Nested": {"X": 2}}));
    }

    #[test]
    #[should_panic(expected = "expected an array of 1 elements, found 2")]
    fn arrays_match_whole_by_default() {
        sample().has_resource_properties("AWS::S3::Bucket", json!({"Tags": [{"Key": "a"}]}));
    }

    #[test]
    fn array_with_and_capture() {
        let t = sample();
        let c = Capture::new();
        t.has_resource_properties(
            "AWS::S3::Bucket",
            Match::object([(
                "Tags",
                Match::array_with([Match::object([
                    ("Key", Match::exact(json!("b"))),
                    ("Value", Match::capture(&c)),
                ])]),
            )]),
        );
        assert_eq!(c.value(), json!("2"));
        assert!(
            Match::array_with([Match::Like(json!(2)), Match::Like(json!(1))])
                .test(Some(&json!([1, 2])))
                .is_err(),
            "order matters"
        );
    }

    #[test]
    fn captures_from_failed_candidates_are_not_kept() {
        let c = Capture::new();
        let m = Match::object([("a", Match::capture(&c)), ("b", Match::Like(json!(1)))]);
        assert!(m.test(Some(&json!({"a": "x", "b": 2}))).is_err());
        assert!(c.values().is_empty());
        assert!(m.test(Some(&json!({"a": "y", "b": 1}))).is_ok());
        assert_eq!(c.values(), [json!("y")]);
    }

    #[test]
    fn outputs() {
        let t = sample();
        t.has_output(
            "Name",
            json!({"Value": {"Ref": "A"}, "Export": {"Name": "n"}}),
        );
        t.has_output("*", json!({"Value": {"Ref": "A"}}));
    }

    #[test]
    #[should_panic(expected = "no output Other matches")]
    fn missing_output_panics() {
        sample().has_output("Other", Match::any_value());
    }
}

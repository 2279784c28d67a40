//! References in template values: what a value points at through `Ref`,
//! `Fn::GetAtt` and the variables of `Fn::Sub`, found by walking the JSON, at
//! any depth. Synthesis checks and renames references with it; checks and the
//! cost estimate find what points at a resource with it instead of searching
//! serialized JSON for a logical ID.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::expr::{SubPart, parse_sub};

/// One reference to a logical ID, a parameter or a pseudo parameter
/// (`AWS::Region`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reference<'a> {
    /// `{"Ref": target}`.
    Ref(&'a str),
    /// `{"Fn::GetAtt": [target, attribute]}` or `{"Fn::GetAtt": "target.attribute"}`.
    GetAtt {
        /// The logical ID.
        target: &'a str,
        /// The attribute (`Arn`); empty when the dotted form has none.
        attribute: &'a str,
    },
    /// `${target}` or `${target.attribute}` in an `Fn::Sub` pattern, when
    /// `target` is not one of the `Fn::Sub`'s own variables.
    Sub {
        /// The logical ID, parameter or pseudo parameter.
        target: &'a str,
        /// The attribute after the first dot, if any.
        attribute: Option<&'a str>,
    },
}

impl<'a> Reference<'a> {
    /// The logical ID (or parameter, or pseudo parameter) referred to.
    pub fn target(&self) -> &'a str {
        match *self {
            Reference::Ref(t) => t,
            Reference::GetAtt { target, .. } | Reference::Sub { target, .. } => target,
        }
    }

    /// The attribute, for `Fn::GetAtt` and `${X.Attr}`.
    pub fn attribute(&self) -> Option<&'a str> {
        match *self {
            Reference::Ref(_) => None,
            Reference::GetAtt { attribute, .. } => Some(attribute),
            Reference::Sub { attribute, .. } => attribute,
        }
    }
}

/// Every reference in `value`, in document order, at any depth: `Ref`,
/// `Fn::GetAtt` (both forms), and the variables of `Fn::Sub` patterns that
/// are not the `Fn::Sub`'s own (whose values are walked in turn). `${!Text}`
/// is literal text, not a reference.
pub fn references(value: &Value) -> References<'_> {
    References {
        work: vec![Work::Value(value)],
    }
}

/// The iterator of [`references`].
#[derive(Clone, Debug)]
pub struct References<'a> {
    /// What is left, the next item last.
    work: Vec<Work<'a>>,
}

#[derive(Clone, Debug)]
enum Work<'a> {
    Value(&'a Value),
    Found(Reference<'a>),
}

impl<'a> Iterator for References<'a> {
    type Item = Reference<'a>;

    fn next(&mut self) -> Option<Reference<'a>> {
        while let Some(item) = self.work.pop() {
            let value = match item {
                Work::Found(r) => return Some(r),
                Work::Value(v) => v,
            };
            match value {
                Value::Object(map) if map.len() == 1 => {
                    let (k, v) = map.iter().next().expect("one entry");
                    match (k.as_str(), v) {
                        ("Ref", Value::String(target)) => return Some(Reference::Ref(target)),
                        ("Fn::GetAtt", Value::Array(args)) => {
                            if let Some(Value::String(target)) = args.first() {
                                let attribute =
                                    args.get(1).and_then(Value::as_str).unwrap_or_default();
                                return Some(Reference::GetAtt { target, attribute });
                            }
                        }
                        ("Fn::GetAtt", Value::String(dotted)) => {
                            let (target, attribute) =
                                dotted.split_once('.').unwrap_or((dotted.as_str(), ""));
                            return Some(Reference::GetAtt { target, attribute });
                        }
                        ("Fn::Sub", Value::String(pattern)) => {
                            self.push_sub(pattern, None);
                        }
                        ("Fn::Sub", Value::Array(args)) => {
                            let vars = args.get(1).and_then(Value::as_object);
                            // Walked after the pattern's references.
                            if let Some(vars) = vars {
                                self.work.extend(vars.values().rev().map(Work::Value));
                            }
                            if let Some(Value::String(pattern)) = args.first() {
                                self.push_sub(pattern, vars);
                            }
                        }
                        _ => self.work.push(Work::Value(v)),
                    }
                }
                Value::Object(map) => self.work.extend(map.values().rev().map(Work::Value)),
                Value::Array(items) => self.work.extend(items.iter().rev().map(Work::Value)),
                _ => {}
            }
        }
        None
    }
}

impl<'a> References<'a> {
    /// Queues the references of an `Fn::Sub` pattern (not its own `vars`).
    fn push_sub(&mut self, pattern: &'a str, vars: Option<&serde_json::Map<String, Value>>) {
        let found: Vec<Work<'a>> = parse_sub(pattern)
            .into_iter()
            .filter_map(|part| match part {
                SubPart::Var(v) => {
                    let (target, attribute) =
                        v.split_once('.').map_or((v, None), |(h, t)| (h, Some(t)));
                    (!vars.is_some_and(|vs| vs.contains_key(target)))
                        .then_some(Work::Found(Reference::Sub { target, attribute }))
                }
                SubPart::Text(_) | SubPart::Escaped(_) => None,
            })
            .collect();
        self.work.extend(found.into_iter().rev());
    }
}

/// Calls `f` with each logical ID (or pseudo parameter) that `value` refers to
/// through `Ref`, `Fn::GetAtt` or an `Fn::Sub` pattern: the targets of
/// [`references`].
pub fn visit_references(value: &Value, f: &mut dyn FnMut(&str)) {
    references(value).for_each(|r| f(r.target()));
}

/// The logical ID a `Ref` or `Fn::GetAtt` points at.
pub fn reference_target(value: &Value) -> Option<&str> {
    value
        .get("Ref")
        .and_then(Value::as_str)
        .or_else(|| value.get("Fn::GetAtt")?.get(0)?.as_str())
}

/// Rewrites references to renamed logical IDs (`override_logical_id`).
pub(crate) fn rename_references(value: &mut Value, renames: &HashMap<String, String>) {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (k, v) = map.iter_mut().next().expect("one entry");
            match (k.as_str(), v) {
                ("Ref", Value::String(target)) => {
                    if let Some(new) = renames.get(target.as_str()) {
                        *target = new.clone();
                    }
                }
                ("Fn::GetAtt", Value::Array(args)) => {
                    if let Some(Value::String(target)) = args.first_mut()
                        && let Some(new) = renames.get(target.as_str())
                    {
                        *target = new.clone();
                    }
                }
                // Rewritten only when it names a renamed ID: most patterns
                // (ARNs) name none, and a rewrite allocates.
                ("Fn::Sub", Value::String(pattern))
                    if crate::expr::sub_references(pattern).any(|t| renames.contains_key(t)) =>
                {
                    *pattern = rename_in_sub(pattern, renames, None);
                }
                ("Fn::Sub", Value::String(_)) => {}
                ("Fn::Sub", Value::Array(args)) => {
                    let vars: Option<BTreeSet<String>> = args
                        .get(1)
                        .and_then(Value::as_object)
                        .map(|m| m.keys().cloned().collect());
                    if let Some(Value::String(pattern)) = args.first_mut() {
                        *pattern = rename_in_sub(pattern, renames, vars.as_ref());
                    }
                    if let Some(v) = args.get_mut(1) {
                        rename_references(v, renames);
                    }
                }
                (_, v) => rename_references(v, renames),
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| rename_references(v, renames)),
        Value::Array(items) => items.iter_mut().for_each(|v| rename_references(v, renames)),
        _ => {}
    }
}

fn rename_in_sub(
    pattern: &str,
    renames: &HashMap<String, String>,
    vars: Option<&BTreeSet<String>>,
) -> String {
    let mut out = String::with_capacity(pattern.len());
    for part in parse_sub(pattern) {
        match part {
            SubPart::Text(t) => out.push_str(t),
            SubPart::Escaped(t) => {
                out.push_str("${!");
                out.push_str(t);
                out.push('}');
            }
            SubPart::Var(v) => {
                let (head, tail) = v.split_once('.').map_or((v, None), |(h, t)| (h, Some(t)));
                let head = match renames.get(head) {
                    Some(new) if !vars.is_some_and(|vs| vs.contains(head)) => new.as_str(),
                    _ => head,
                };
                out.push_str("${");
                out.push_str(head);
                if let Some(t) = tail {
                    out.push('.');
                    out.push_str(t);
                }
                out.push('}');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_form_at_any_depth_in_document_order() {
        let v = json!({
            "A": [{"Ref": "One"}, {"Fn::GetAtt": ["Two", "Arn"]}],
            "B": {"Fn::Join": ["", [{"Fn::GetAtt": "Three.Name"}, {"Ref": {"Ref": "Four"}}]]},
            "C": {"Fn::Sub": "a${Five}b${Six.Arn}c${!Seven}d${AWS::Region}"},
            "D": {"Fn::Sub": ["${Own}${Eight}", {"Own": {"Ref": "Nine"}}]},
            "E": {"Fn::GetAtt": [{"Ref": "NotAName"}]},
            "F": "Ref"
        });
        let found: Vec<Reference> = references(&v).collect();
        assert_eq!(
            found,
            [
                Reference::Ref("One"),
                Reference::GetAtt {
                    target: "Two",
                    attribute: "Arn"
                },
                Reference::GetAtt {
                    target: "Three",
                    attribute: "Name"
                },
                Reference::Ref("Four"),
                Reference::Sub {
                    target: "Five",
                    attribute: None
                },
                Reference::Sub {
                    target: "Six",
                    attribute: Some("Arn")
                },
                Reference::Sub {
                    target: "AWS::Region",
                    attribute: None
                },
                Reference::Sub {
                    target: "Eight",
                    attribute: None
                },
                Reference::Ref("Nine"),
            ]
        );
        let mut visited = Vec::new();
        visit_references(&v, &mut |t| visited.push(t.to_string()));
        assert_eq!(
            visited,
            found.iter().map(|r| r.target()).collect::<Vec<_>>()
        );
        assert_eq!(found[1].attribute(), Some("Arn"));
        assert_eq!(found[0].attribute(), None);
    }

    #[test]
    fn renames_reach_refs_get_atts_and_sub_variables_but_not_own_variables() {
        let renames = HashMap::from([("Old".to_string(), "New".to_string())]);
        let mut v = json!([
            {"Ref": "Old"},
            {"Fn::GetAtt": ["Old", "Arn"]},
            {"Fn::Sub": "${Old.Arn}/${!Old}"},
            {"Fn::Sub": ["${Old}", {"Old": {"Ref": "Old"}}]}
        ]);
        rename_references(&mut v, &renames);
        assert_eq!(
            v,
            json!([
                {"Ref": "New"},
                {"Fn::GetAtt": ["New", "Arn"]},
                {"Fn::Sub": "${New.Arn}/${!Old}"},
                {"Fn::Sub": ["${Old}", {"Old": {"Ref": "New"}}]}
            ])
        );
    }
}

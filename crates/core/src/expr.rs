//! Typed CloudFormation intrinsics.
//!
//! Every dynamic value mlcdk emits is an [`Expr`] (string-valued), a [`ListExpr`]
//! (list-valued) or a [`Condition`] (boolean, for the template's `Conditions`).
//! They render to CloudFormation JSON directly; nothing is ever encoded into a
//! marker string and decoded later.
//!
//! ```
//! use mlcdk_core::expr::{Expr, Pseudo};
//!
//! let uri = Expr::join("", [Expr::lit("s3://"), Expr::reference("Data"), Expr::lit("/raw/")]);
//! assert_eq!(
//!     uri.to_json(),
//!     serde_json::json!({"Fn::Join": ["", ["s3://", {"Ref": "Data"}, "/raw/"]]})
//! );
//! assert_eq!(Expr::pseudo(Pseudo::Region).to_json(), serde_json::json!({"Ref": "AWS::Region"}));
//! ```

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The pseudo parameters CloudFormation resolves in every stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pseudo {
    /// `AWS::AccountId`: the account the stack is deployed in.
    AccountId,
    /// `AWS::Region`: the stack's region.
    Region,
    /// `AWS::Partition`: `aws`, `aws-cn` or `aws-us-gov`; use it in ARNs
    /// instead of a literal `aws`.
    Partition,
    /// `AWS::StackName`: the stack's name (`<app>-<stage>`).
    StackName,
    /// `AWS::StackId`: the stack's ARN.
    StackId,
    /// `AWS::URLSuffix`: `amazonaws.com`, or the partition's own domain.
    UrlSuffix,
}

impl Pseudo {
    /// The name used in `Ref` and in `Fn::Sub` patterns.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
        }
    }
}

/// A string-valued CloudFormation expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A plain string.
    Literal(String),
    /// `{"Ref": id}` of a resource, parameter or pseudo parameter.
    Ref(String),
    /// `{"Fn::GetAtt": [id, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": pattern}` or `{"Fn::Sub": [pattern, {vars}]}`.
    Sub(String, BTreeMap<String, Expr>),
    /// `{"Fn::Join": [delimiter, [parts]]}`.
    Join(String, Vec<Expr>),
    /// `{"Fn::Select": [index, list]}`.
    Select(u32, Box<ListExpr>),
    /// `{"Fn::If": [condition, then, else]}`.
    If(String, Box<Expr>, Box<Expr>),
    /// `{"Fn::ImportValue": name}`.
    ImportValue(Box<Expr>),
    /// `{"Fn::FindInMap": [map, top key, second key]}`.
    FindInMap(String, Box<Expr>, Box<Expr>),
    /// `{"Fn::Base64": value}`.
    Base64(Box<Expr>),
}

/// A list-valued CloudFormation expression (the argument of `Fn::Select`, or a
/// property that takes a list).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListExpr {
    /// A literal list of string expressions.
    Items(Vec<Expr>),
    /// `{"Fn::Split": [delimiter, source]}`.
    Split(String, Box<Expr>),
    /// `{"Fn::GetAZs": region}`.
    GetAzs(Box<Expr>),
    /// `{"Ref": parameter}` of a list-typed parameter.
    Ref(String),
    /// `{"Fn::GetAtt": [id, attribute]}` of a list-valued attribute.
    GetAtt(String, String),
}

/// A boolean condition, as used in a template's `Conditions` section.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `{"Fn::Equals": [a, b]}`.
    Equals(Expr, Expr),
    /// `{"Fn::And": [...]}`; CloudFormation takes 2 to 10 conditions.
    And(Vec<Condition>),
    /// `{"Fn::Or": [...]}`; CloudFormation takes 2 to 10 conditions.
    Or(Vec<Condition>),
    /// `{"Fn::Not": [condition]}`.
    Not(Box<Condition>),
    /// `{"Condition": name}`: another named condition.
    Named(String),
}

impl Expr {
    /// A literal string.
    pub fn lit(value: impl Into<String>) -> Expr {
        Expr::Literal(value.into())
    }

    /// `Ref` of a logical ID: a resource's primary value (name, ARN or ID,
    /// depending on the type) or a parameter's value.
    pub fn reference(logical_id: impl Into<String>) -> Expr {
        Expr::Ref(logical_id.into())
    }

    /// `Fn::GetAtt` of a resource attribute, e.g. `("Bucket", "Arn")`.
    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Expr {
        Expr::GetAtt(logical_id.into(), attribute.into())
    }

    /// `Ref` of a pseudo parameter.
    pub fn pseudo(p: Pseudo) -> Expr {
        Expr::Ref(p.name().to_string())
    }

    /// The account the stack is deployed in.
    pub fn account_id() -> Expr {
        Expr::pseudo(Pseudo::AccountId)
    }

    /// The stack's region.
    pub fn region() -> Expr {
        Expr::pseudo(Pseudo::Region)
    }

    /// The partition (`aws` in commercial regions); ARNs built with it work in
    /// China and GovCloud too.
    pub fn partition() -> Expr {
        Expr::pseudo(Pseudo::Partition)
    }

    /// The stack's name.
    pub fn stack_name() -> Expr {
        Expr::pseudo(Pseudo::StackName)
    }

    /// The partition's domain suffix (`amazonaws.com` in commercial regions).
    pub fn url_suffix() -> Expr {
        Expr::pseudo(Pseudo::UrlSuffix)
    }

    /// `Fn::Sub` without variables: `${Name}` refers to resources, parameters and
    /// pseudo parameters of the stack.
    pub fn sub(pattern: impl Into<String>) -> Expr {
        Expr::Sub(pattern.into(), BTreeMap::new())
    }

    /// `Fn::Sub` with a variable map.
    pub fn sub_with(
        pattern: impl Into<String>,
        vars: impl IntoIterator<Item = (impl Into<String>, Expr)>,
    ) -> Expr {
        Expr::Sub(
            pattern.into(),
            vars.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )
    }

    /// `Fn::Join`, simplified: adjacent literals are merged, nested joins with the
    /// same delimiter are flattened, and an all-literal join becomes a literal.
    pub fn join(delimiter: impl Into<String>, parts: impl IntoIterator<Item = Expr>) -> Expr {
        let delimiter = delimiter.into();
        let mut flat: Vec<Expr> = Vec::new();
        for part in parts {
            match part {
                Expr::Join(d, inner) if d == delimiter || (inner.len() <= 1) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if delimiter.is_empty() {
            // Only an empty delimiter lets adjacent literals merge without changing the result.
            let mut merged: Vec<Expr> = Vec::with_capacity(flat.len());
            for part in flat {
                match (merged.last_mut(), part) {
                    (Some(Expr::Literal(prev)), Expr::Literal(next)) => prev.push_str(&next),
                    (_, Expr::Literal(next)) if next.is_empty() => {}
                    (_, part) => merged.push(part),
                }
            }
            flat = merged;
        }
        if flat.iter().all(|p| matches!(p, Expr::Literal(_))) {
            let strings: Vec<&str> = flat
                .iter()
                .map(|p| match p {
                    Expr::Literal(s) => s.as_str(),
                    _ => unreachable!("checked above: all parts are literals"),
                })
                .collect();
            return Expr::Literal(strings.join(&delimiter));
        }
        if flat.len() == 1 && delimiter.is_empty() {
            return flat.pop().expect("length checked");
        }
        Expr::Join(delimiter, flat)
    }

    /// Concatenation: `Fn::Join` with an empty delimiter.
    pub fn concat(parts: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::join("", parts)
    }

    /// `Fn::Select`: element `index` (0-based) of `list`.
    pub fn select(index: u32, list: ListExpr) -> Expr {
        Expr::Select(index, Box::new(list))
    }

    /// `Fn::If` on the named condition of the template's `Conditions`.
    pub fn if_(condition: impl Into<String>, then: Expr, otherwise: Expr) -> Expr {
        Expr::If(condition.into(), Box::new(then), Box::new(otherwise))
    }

    /// `Fn::ImportValue` of another stack's export. It couples the stacks: the
    /// export cannot change while imported.
    pub fn import_value(name: impl Into<Expr>) -> Expr {
        Expr::ImportValue(Box::new(name.into()))
    }

    /// `Fn::FindInMap`: the value at `top`, `second` of the template mapping
    /// `map`.
    pub fn find_in_map(
        map: impl Into<String>,
        top: impl Into<Expr>,
        second: impl Into<Expr>,
    ) -> Expr {
        Expr::FindInMap(map.into(), Box::new(top.into()), Box::new(second.into()))
    }

    /// `Fn::Base64`, for properties such as EC2 user data.
    pub fn base64(value: impl Into<Expr>) -> Expr {
        Expr::Base64(Box::new(value.into()))
    }

    /// The literal string, when this expression has no references.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Expr::Literal(s) => Some(s),
            _ => None,
        }
    }

    /// Render as CloudFormation JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Expr::Literal(s) => Value::String(s.clone()),
            Expr::Ref(id) => json!({ "Ref": id }),
            Expr::GetAtt(id, attr) => json!({ "Fn::GetAtt": [id, attr] }),
            Expr::Sub(pattern, vars) if vars.is_empty() => json!({ "Fn::Sub": pattern }),
            Expr::Sub(pattern, vars) => {
                let vars: serde_json::Map<String, Value> =
                    vars.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
                json!({ "Fn::Sub": [pattern, vars] })
            }
            Expr::Join(d, parts) => {
                let parts: Vec<Value> = parts.iter().map(Expr::to_json).collect();
                json!({ "Fn::Join": [d, parts] })
            }
            Expr::Select(i, list) => json!({ "Fn::Select": [i, list.to_json()] }),
            Expr::If(c, a, b) => json!({ "Fn::If": [c, a.to_json(), b.to_json()] }),
            Expr::ImportValue(v) => json!({ "Fn::ImportValue": v.to_json() }),
            Expr::FindInMap(m, a, b) => json!({ "Fn::FindInMap": [m, a.to_json(), b.to_json()] }),
            Expr::Base64(v) => json!({ "Fn::Base64": v.to_json() }),
        }
    }

    /// Visit every logical ID (or pseudo parameter) this expression refers to.
    pub fn for_each_reference(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Expr::Literal(_) => {}
            Expr::Ref(id) | Expr::GetAtt(id, _) => f(id),
            Expr::Sub(pattern, vars) => {
                for name in sub_references(pattern) {
                    if !vars.contains_key(name) {
                        f(name);
                    }
                }
                vars.values().for_each(|v| v.for_each_reference(f));
            }
            Expr::Join(_, parts) => parts.iter().for_each(|p| p.for_each_reference(f)),
            Expr::Select(_, list) => list.for_each_reference(f),
            Expr::If(_, a, b) => {
                a.for_each_reference(f);
                b.for_each_reference(f);
            }
            Expr::ImportValue(v) | Expr::Base64(v) => v.for_each_reference(f),
            Expr::FindInMap(_, a, b) => {
                a.for_each_reference(f);
                b.for_each_reference(f);
            }
        }
    }
}

impl ListExpr {
    /// A literal list.
    pub fn items(items: impl IntoIterator<Item = Expr>) -> ListExpr {
        ListExpr::Items(items.into_iter().collect())
    }

    /// `Fn::Split` of `source` on `delimiter`.
    pub fn split(delimiter: impl Into<String>, source: impl Into<Expr>) -> ListExpr {
        ListExpr::Split(delimiter.into(), Box::new(source.into()))
    }

    /// `Fn::GetAZs`: the availability zones of `region` (an empty literal means
    /// the stack's region).
    pub fn get_azs(region: impl Into<Expr>) -> ListExpr {
        ListExpr::GetAzs(Box::new(region.into()))
    }

    /// Render as CloudFormation JSON.
    pub fn to_json(&self) -> Value {
        match self {
            ListExpr::Items(items) => Value::Array(items.iter().map(Expr::to_json).collect()),
            ListExpr::Split(d, s) => json!({ "Fn::Split": [d, s.to_json()] }),
            ListExpr::GetAzs(r) => json!({ "Fn::GetAZs": r.to_json() }),
            ListExpr::Ref(id) => json!({ "Ref": id }),
            ListExpr::GetAtt(id, attr) => json!({ "Fn::GetAtt": [id, attr] }),
        }
    }

    fn for_each_reference(&self, f: &mut dyn FnMut(&str)) {
        match self {
            ListExpr::Items(items) => items.iter().for_each(|e| e.for_each_reference(f)),
            ListExpr::Split(_, s) | ListExpr::GetAzs(s) => s.for_each_reference(f),
            ListExpr::Ref(id) | ListExpr::GetAtt(id, _) => f(id),
        }
    }
}

impl Condition {
    /// `Fn::Equals` of two expressions, e.g. a parameter and a literal.
    pub fn equals(a: impl Into<Expr>, b: impl Into<Expr>) -> Condition {
        Condition::Equals(a.into(), b.into())
    }

    /// Render as CloudFormation JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Condition::Equals(a, b) => json!({ "Fn::Equals": [a.to_json(), b.to_json()] }),
            Condition::And(cs) => {
                json!({ "Fn::And": cs.iter().map(Condition::to_json).collect::<Vec<_>>() })
            }
            Condition::Or(cs) => {
                json!({ "Fn::Or": cs.iter().map(Condition::to_json).collect::<Vec<_>>() })
            }
            Condition::Not(c) => json!({ "Fn::Not": [c.to_json()] }),
            Condition::Named(n) => json!({ "Condition": n }),
        }
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Literal(s.to_string())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Literal(s)
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

impl serde::Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// A piece of an `Fn::Sub` pattern.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubPart<'a> {
    Text(&'a str),
    /// `${!Text}`: the literal text `${Text}`.
    Escaped(&'a str),
    /// `${Name}` or `${Name.Attribute}`.
    Var(&'a str),
}

/// Split an `Fn::Sub` pattern into text and variables. `${!Literal}` is text
/// (written as `${Literal}`), as CloudFormation documents.
pub(crate) fn parse_sub(pattern: &str) -> Vec<SubPart<'_>> {
    let mut parts = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        if start > 0 {
            parts.push(SubPart::Text(&rest[..start]));
        }
        if let Some(escaped) = inner.strip_prefix('!') {
            parts.push(SubPart::Escaped(escaped));
        } else {
            parts.push(SubPart::Var(inner));
        }
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        parts.push(SubPart::Text(rest));
    }
    parts
}

/// The logical IDs (or pseudo parameters) a `Fn::Sub` pattern refers to:
/// `${Bucket.Arn}` refers to `Bucket`.
pub(crate) fn sub_references(pattern: &str) -> impl Iterator<Item = &str> {
    parse_sub(pattern).into_iter().filter_map(|p| match p {
        SubPart::Var(v) => Some(v.split('.').next().unwrap_or(v)),
        SubPart::Text(_) | SubPart::Escaped(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_merges_literals_and_collapses() {
        assert_eq!(
            Expr::concat([Expr::lit("a"), Expr::lit("b")]),
            Expr::lit("ab")
        );
        assert_eq!(
            Expr::join(",", [Expr::lit("a"), Expr::lit("b")]),
            Expr::lit("a,b")
        );
        let j = Expr::concat([
            Expr::lit("a"),
            Expr::lit("b"),
            Expr::reference("X"),
            Expr::concat([Expr::lit("c"), Expr::reference("Y")]),
            Expr::lit(""),
        ]);
        assert_eq!(
            j.to_json(),
            json!({"Fn::Join": ["", ["ab", {"Ref": "X"}, "c", {"Ref": "Y"}]]})
        );
        assert_eq!(Expr::concat([Expr::reference("X")]), Expr::reference("X"));
        // A different delimiter is not flattened into an outer join.
        let nested = Expr::join(
            "/",
            [
                Expr::lit("a"),
                Expr::join(",", [Expr::reference("X"), Expr::lit("b")]),
            ],
        );
        assert_eq!(
            nested.to_json(),
            json!({"Fn::Join": ["/", ["a", {"Fn::Join": [",", [{"Ref": "X"}, "b"]]}]]})
        );
    }

    #[test]
    fn renders_every_intrinsic() {
        let cases = [
            (
                Expr::get_att("R", "Arn"),
                json!({"Fn::GetAtt": ["R", "Arn"]}),
            ),
            (
                Expr::sub("${AWS::Region}-x"),
                json!({"Fn::Sub": "${AWS::Region}-x"}),
            ),
            (
                Expr::sub_with("${A}", [("A", Expr::reference("B"))]),
                json!({"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]}),
            ),
            (
                Expr::select(1, ListExpr::split(":", Expr::reference("P"))),
                json!({"Fn::Select": [1, {"Fn::Split": [":", {"Ref": "P"}]}]}),
            ),
            (
                Expr::select(0, ListExpr::get_azs(Expr::region())),
                json!({"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}),
            ),
            (
                Expr::if_("IsProd", Expr::lit("a"), Expr::lit("b")),
                json!({"Fn::If": ["IsProd", "a", "b"]}),
            ),
            (Expr::import_value("Exp"), json!({"Fn::ImportValue": "Exp"})),
            (
                Expr::find_in_map("M", Expr::region(), "k"),
                json!({"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "k"]}),
            ),
            (Expr::base64("x"), json!({"Fn::Base64": "x"})),
            (Expr::account_id(), json!({"Ref": "AWS::AccountId"})),
            (Expr::partition(), json!({"Ref": "AWS::Partition"})),
            (Expr::stack_name(), json!({"Ref": "AWS::StackName"})),
            (Expr::url_suffix(), json!({"Ref": "AWS::URLSuffix"})),
        ];
        for (e, expected) in cases {
            assert_eq!(e.to_json(), expected, "{e:?}");
        }
    }

    #[test]
    fn conditions_render() {
        let c = Condition::And(vec![
            Condition::equals(Expr::reference("Stage"), "prod"),
            Condition::Not(Box::new(Condition::Or(vec![
                Condition::Named("A".into()),
                Condition::Named("B".into()),
            ]))),
        ]);
        assert_eq!(
            c.to_json(),
            json!({"Fn::And": [
                {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                {"Fn::Not": [{"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}]}
            ]})
        );
    }

    #[test]
    fn references_are_found_in_sub_patterns() {
        let mut seen = Vec::new();
        Expr::sub_with(
            "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Role.Arn}/${V}",
            [("V", Expr::reference("Other"))],
        )
        .for_each_reference(&mut |id| seen.push(id.to_string()));
        assert_eq!(seen, ["AWS::Partition", "Bucket", "Role", "Other"]);
    }

    #[test]
    fn parse_sub_handles_unterminated_and_escaped() {
        assert_eq!(
            parse_sub("a${B}c${!D}e${F"),
            vec![
                SubPart::Text("a"),
                SubPart::Var("B"),
                SubPart::Text("c"),
                SubPart::Escaped("D"),
                SubPart::Text("e${F"),
            ]
        );
    }
}

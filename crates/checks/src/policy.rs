//! An IAM policy evaluator over templates: "can this role do this action on
//! this resource?", answered from the policies a template declares.
//!
//! Values the template does not fix are kept symbolic. Pseudo parameters
//! become literal placeholders (`${AWS::AccountId}`), a resource's physical
//! name is its name property or `${LogicalId}`, and anything else the
//! evaluator cannot resolve becomes an opaque token `<...>` that only equals
//! itself. When a comparison depends on such a token the answer is
//! [`Decision::CannotDecide`], never [`Decision::Allowed`].
//!
//! The evaluation follows
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! for a principal and a resource in the same account.

use std::collections::BTreeMap;
use std::fmt;

use mlcdk_core::Template;
use serde_json::Value;

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An Allow applies and no Deny does.
    Allowed,
    /// An explicit Deny applies, or no Allow does (implicit deny); the reason
    /// says which.
    Denied(String),
    /// The answer depends on something the template does not fix (an
    /// unresolvable reference, an unknown condition operator, a policy that
    /// is not in the template).
    CannotDecide(String),
}

impl Decision {
    /// Whether this is [`Decision::Allowed`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed)
    }

    /// Whether this is [`Decision::Denied`].
    pub fn is_denied(&self) -> bool {
        matches!(self, Decision::Denied(_))
    }

    /// Whether this is [`Decision::CannotDecide`].
    pub fn is_undecided(&self) -> bool {
        matches!(self, Decision::CannotDecide(_))
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allowed => f.write_str("allowed"),
            Decision::Denied(why) => write!(f, "denied: {why}"),
            Decision::CannotDecide(why) => write!(f, "cannot decide: {why}"),
        }
    }
}

/// One request: who does what on which resource, in which context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The principal: a role ARN (symbolic, as [`Symbols::arn`] writes it) or
    /// a service principal such as `cloudwatch.amazonaws.com`.
    pub principal: String,
    /// The action, e.g. `s3:GetObject`.
    pub action: String,
    /// The resource ARN (symbolic, e.g. `arn:${AWS::Partition}:s3:::data/x`).
    pub resource: String,
    /// Condition keys and their values (a key may have several). Keys are
    /// matched case-insensitively, as IAM does.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// A request without context.
    pub fn new(
        principal: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Request {
        Request {
            principal: principal.into(),
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    /// Adds one value of a condition key.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Request {
        self.context
            .entry(key.into())
            .or_default()
            .push(value.into());
        self
    }

    fn lookup(&self, key: &str) -> Option<&[String]> {
        self.context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }
}

/// A policy document whose template expressions are already resolved to
/// symbolic text, or a policy whose content is unknown.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    document: Value,
    unknown: Option<String>,
}

impl Policy {
    /// A policy document without template expressions (or with expressions
    /// that should stay opaque). A JSON string is decoded.
    pub fn from_document(document: &Value) -> Policy {
        Symbols::empty().policy(document)
    }

    /// A policy whose statements are not known, such as an AWS managed policy.
    /// It may allow anything, so it turns an implicit deny into
    /// [`Decision::CannotDecide`]; it is assumed to deny nothing.
    pub fn unknown(reason: impl Into<String>) -> Policy {
        Policy {
            document: Value::Null,
            unknown: Some(reason.into()),
        }
    }

    /// The resolved document (`null` for an unknown policy).
    pub fn document(&self) -> &Value {
        &self.document
    }

    fn statements(&self) -> Vec<&Value> {
        match self.document.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        }
    }
}

/// What a resource policy is attached to; KMS key policies decide differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    /// A KMS key policy: it must allow the principal, directly or by
    /// delegating to the account's identity policies.
    KmsKey,
    /// An S3 bucket policy.
    Bucket,
    /// An SNS topic policy.
    Topic,
    /// Any other resource policy (same rules as a bucket policy).
    Other,
}

/// A resource-based policy and the kind of resource it is attached to.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourcePolicy {
    /// The kind of resource.
    pub kind: ResourceKind,
    /// The policy.
    pub policy: Policy,
}

/// Three-valued truth: a comparison with an opaque token may be unknowable.
#[derive(Clone, Debug, PartialEq)]
enum Tri {
    Yes,
    No,
    Unknown(String),
}

impl Tri {
    fn of(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            u => u,
        }
    }

    fn and(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::No => Tri::No,
            Tri::Yes => other(),
            Tri::Unknown(why) => match other() {
                Tri::No => Tri::No,
                _ => Tri::Unknown(why),
            },
        }
    }

    fn or(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::Yes => Tri::Yes,
            Tri::No => other(),
            Tri::Unknown(why) => match other() {
                Tri::Yes => Tri::Yes,
                _ => Tri::Unknown(why),
            },
        }
    }

    fn any<I: IntoIterator<Item = Tri>>(items: I) -> Tri {
        items.into_iter().fold(Tri::No, |acc, t| acc.or(|| t))
    }

    fn all<I: IntoIterator<Item = Tri>>(items: I) -> Tri {
        items.into_iter().fold(Tri::Yes, |acc, t| acc.and(|| t))
    }
}

// ---------------------------------------------------------------- matching

/// Whether `text` holds an opaque token (`<...>`).
fn has_opaque(text: &str) -> bool {
    text.find('<')
        .is_some_and(|start| text[start..].contains('>'))
}

/// The text with every opaque token replaced by `*`: what it could be.
fn widen(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push('*');
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

#[derive(Clone, Copy)]
enum Tok {
    Char(char),
    // Whether the wildcard may match a colon.
    Star(bool),
    One(bool),
}

fn glob(pattern: &[Tok], value: &[char]) -> bool {
    // Two rows reused: the rule pack matches thousands of (pattern, value)
    // pairs per template, and a row per token made allocation the cost.
    let mut row = vec![false; value.len() + 1];
    let mut next = vec![false; value.len() + 1];
    row[0] = true;
    for tok in pattern {
        for j in 0..=value.len() {
            next[j] = match *tok {
                Tok::Star(cross) => {
                    row[j] || (j > 0 && next[j - 1] && (cross || value[j - 1] != ':'))
                }
                Tok::One(cross) => j > 0 && row[j - 1] && (cross || value[j - 1] != ':'),
                Tok::Char(c) => j > 0 && row[j - 1] && value[j - 1] == c,
            };
        }
        std::mem::swap(&mut row, &mut next);
    }
    row[value.len()]
}

/// The part of a pattern before its first wildcard: a value that does not
/// start with it cannot match, whatever follows (most pairs end here).
fn literal_prefix(pattern: &str) -> &str {
    pattern.find(['*', '?']).map_or(pattern, |i| &pattern[..i])
}

/// `StringLike`: `*` and `?` anywhere, case-sensitive.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String>
fn string_like(pattern: &str, value: &str) -> bool {
    let prefix = literal_prefix(pattern);
    if prefix.len() == pattern.len() {
        return pattern == value;
    }
    if !value.starts_with(prefix) {
        return false;
    }
    let toks: Vec<Tok> = pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star(true),
            '?' => Tok::One(true),
            c => Tok::Char(c),
        })
        .collect();
    glob(&toks, &value.chars().collect::<Vec<_>>())
}

/// ARN matching of the `Resource` element and of `ArnLike`/`ArnEquals`:
/// wildcards work within each colon-separated segment, and a `*` that ends a
/// segment may expand across colons. In the resource segment (after the
/// fifth colon) colons are ordinary characters, and `*` also matches `/`.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>
fn arn_like(pattern: &str, value: &str) -> bool {
    let prefix = literal_prefix(pattern);
    if prefix.len() == pattern.len() {
        return pattern == value;
    }
    if !value.starts_with(prefix) {
        return false;
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut colons = 0;
    let mut toks = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let in_resource = colons >= 5;
        toks.push(match c {
            '*' => Tok::Star(in_resource || chars.get(i + 1).is_none_or(|&n| n == ':')),
            '?' => Tok::One(in_resource),
            c => Tok::Char(c),
        });
        if c == ':' {
            colons += 1;
        }
    }
    glob(&toks, &value.chars().collect::<Vec<_>>())
}

/// Action matching: the service prefix and the action name are both
/// case-insensitive, with `*` and `?` wildcards.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>
fn action_like(pattern: &str, value: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern.eq_ignore_ascii_case(value);
    }
    string_like(&pattern.to_ascii_lowercase(), &value.to_ascii_lowercase())
}

/// Compares a policy value (possibly holding opaque tokens) with a request
/// value. An opaque token only equals itself; otherwise the answer is unknown
/// unless even a wildcard in its place cannot match.
fn sym_match(pattern: &str, value: &str, matcher: Matcher) -> Tri {
    if !has_opaque(pattern) {
        return Tri::of(matcher(pattern, value));
    }
    if pattern == value {
        return Tri::Yes;
    }
    let wide = widen(pattern);
    if !string_like(&wide, value) && !action_like(&wide, value) {
        return Tri::No;
    }
    Tri::Unknown(format!(
        "`{pattern}` depends on a value the template does not fix"
    ))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(scalar).collect(),
        Some(v) => vec![scalar(v)],
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => format!("<{other}>"),
    }
}

// --------------------------------------------------------------- conditions

/// Compares a policy value (first) with a request value.
type Matcher = fn(&str, &str) -> bool;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Single,
    AnyValue,
    AllValues,
}

/// One base operator: how it compares one request value with one policy
/// value, and whether it is negated (its values are combined with NOR).
fn base_operator(name: &str) -> Option<(Matcher, bool)> {
    fn eq(p: &str, v: &str) -> bool {
        p == v
    }
    fn eq_ic(p: &str, v: &str) -> bool {
        p.to_lowercase() == v.to_lowercase()
    }
    fn boolean(p: &str, v: &str) -> bool {
        p.eq_ignore_ascii_case(v)
    }
    fn num(p: &str, v: &str, f: fn(f64, f64) -> bool) -> bool {
        match (v.trim().parse::<f64>(), p.trim().parse::<f64>()) {
            (Ok(v), Ok(p)) => f(v, p),
            _ => false,
        }
    }
    Some(match name {
        "StringEquals" => (eq, false),
        "StringNotEquals" => (eq, true),
        "StringEqualsIgnoreCase" => (eq_ic, false),
        "StringNotEqualsIgnoreCase" => (eq_ic, true),
        "StringLike" => (string_like, false),
        "StringNotLike" => (string_like, true),
        "ArnEquals" | "ArnLike" => (arn_like, false),
        "ArnNotEquals" | "ArnNotLike" => (arn_like, true),
        "Bool" => (boolean, false),
        "NumericEquals" => (|p, v| num(p, v, |v, p| v == p), false),
        "NumericNotEquals" => (|p, v| num(p, v, |v, p| v == p), true),
        "NumericLessThan" => (|p, v| num(p, v, |v, p| v < p), false),
        "NumericLessThanEquals" => (|p, v| num(p, v, |v, p| v <= p), false),
        "NumericGreaterThan" => (|p, v| num(p, v, |v, p| v > p), false),
        "NumericGreaterThanEquals" => (|p, v| num(p, v, |v, p| v >= p), false),
        _ => return None,
    })
}

/// One operator over one key. Rules, from
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
/// and
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>:
/// - several policy values are ORed, or NORed for a negated operator;
/// - a key absent from the request makes the condition false, but true for a
///   negated operator (`StringNotLike`, `ArnNotLike`, ...);
/// - `...IfExists` is true when the key is absent;
/// - `Null` tests presence: `true` wants the key absent;
/// - `ForAnyValue:` wants at least one request value to satisfy the operator
///   and is false when the key is absent; `ForAllValues:` wants every request
///   value to and is true when the key is absent.
///
/// An unknown operator is unknown, never true.
fn condition(operator: &str, key: &str, expected: &[String], request: &Request) -> Tri {
    let (set, rest) = if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
        (SetOp::AnyValue, rest)
    } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
        (SetOp::AllValues, rest)
    } else {
        (SetOp::Single, operator)
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(base) => (true, base),
        None => (false, rest),
    };
    let actual = request.lookup(key).filter(|values| !values.is_empty());
    if base == "Null" && set == SetOp::Single && !if_exists {
        return Tri::any(expected.iter().map(|p| {
            if has_opaque(p) {
                Tri::Unknown(format!("Null condition on `{key}` compares with `{p}`"))
            } else {
                Tri::of(p.eq_ignore_ascii_case("true") == actual.is_none())
            }
        }));
    }
    let Some((matcher, negated)) = base_operator(base) else {
        return Tri::Unknown(format!("condition operator `{operator}` is not supported"));
    };
    let Some(actual) = actual else {
        return Tri::of(match set {
            SetOp::AnyValue => false,
            SetOp::AllValues => true,
            SetOp::Single => if_exists || negated,
        });
    };
    let one = |value: &str| {
        let hit = Tri::any(expected.iter().map(|p| sym_match(p, value, matcher)));
        if negated { hit.not() } else { hit }
    };
    match set {
        SetOp::AnyValue => Tri::any(actual.iter().map(|v| one(v))),
        SetOp::AllValues => Tri::all(actual.iter().map(|v| one(v))),
        SetOp::Single if actual.len() == 1 => one(&actual[0]),
        SetOp::Single => Tri::Unknown(format!(
            "`{key}` has several values but `{operator}` has no ForAnyValue/ForAllValues"
        )),
    }
}

/// Every operator of a `Condition` block and every key under it must hold.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html>
fn conditions(block: Option<&Value>, request: &Request) -> Tri {
    let Some(block) = block else {
        return Tri::Yes;
    };
    let Some(operators) = block.as_object() else {
        return Tri::Unknown("the Condition element is not an object".into());
    };
    Tri::all(operators.iter().map(|(operator, keys)| {
        match keys.as_object() {
            Some(keys) => Tri::all(
                keys.iter()
                    .map(|(key, values)| condition(operator, key, &strings(Some(values)), request)),
            ),
            None => Tri::Unknown(format!("condition `{operator}` is not an object")),
        }
    }))
}

// --------------------------------------------------------------- statements

#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// How a resource policy statement's principal covers the request principal:
/// by naming it (or `*`), or by naming its account, which only delegates to
/// the account's identity policies.
struct PrincipalMatch {
    direct: Tri,
    account: Tri,
}

fn account_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(3))
}

/// `Principal` of a resource policy: `*`, an account (ID or `:root` ARN),
/// an ARN, or a service principal.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>
fn principal_match(statement: &Value, request: &Request) -> PrincipalMatch {
    let (spec, negated) = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(p), _) => (p, false),
        (None, Some(p)) => (p, true),
        (None, None) => {
            return PrincipalMatch {
                direct: Tri::No,
                account: Tri::No,
            };
        }
    };
    let mut direct = Tri::No;
    let mut account = Tri::No;
    let entries: Vec<(String, Vec<String>)> = match spec {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), strings(Some(v))))
            .collect(),
        other => vec![("AWS".to_string(), strings(Some(other)))],
    };
    for (kind, values) in entries {
        for value in values {
            if value == "*" {
                direct = Tri::Yes;
            } else if kind == "AWS" && (value.ends_with(":root") || !value.starts_with("arn:")) {
                let named = if value.starts_with("arn:") {
                    account_of(&value).unwrap_or_default().to_string()
                } else {
                    value.clone()
                };
                let hit = match account_of(&request.principal) {
                    Some(mine) => sym_match(&named, mine, |p, v| p == v),
                    None => Tri::No,
                };
                account = account.or(|| hit);
            } else {
                let hit = sym_match(&value, &request.principal, |p, v| p == v);
                direct = direct.or(|| hit);
            }
        }
    }
    if negated {
        // NotPrincipal names who is exempt; everyone else is covered directly.
        let covered = direct.or(|| account);
        return PrincipalMatch {
            direct: covered.not(),
            account: Tri::No,
        };
    }
    PrincipalMatch { direct, account }
}

/// `Action`/`NotAction` and `Resource`/`NotResource`: the statement applies
/// when the request matches one of `Action` (none of `NotAction`), and one of
/// `Resource` (none of `NotResource`).
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html>
fn element(
    statement: &Value,
    positive: &str,
    negative: &str,
    value: &str,
    matcher: Matcher,
) -> Tri {
    let hit =
        |patterns: Vec<String>| Tri::any(patterns.iter().map(|p| sym_match(p, value, matcher)));
    match (statement.get(positive), statement.get(negative)) {
        (Some(p), None) => hit(strings(Some(p))),
        (None, Some(n)) => hit(strings(Some(n))).not(),
        (None, None) => Tri::Unknown(format!("statement has neither {positive} nor {negative}")),
        (Some(_), Some(_)) => Tri::Unknown(format!("statement has both {positive} and {negative}")),
    }
}

/// Whether the statement applies to the request, leaving the principal aside.
fn applies(statement: &Value, request: &Request) -> Tri {
    element(
        statement,
        "Action",
        "NotAction",
        &request.action,
        action_like,
    )
    .and(|| {
        element(
            statement,
            "Resource",
            "NotResource",
            &request.resource,
            arn_like,
        )
    })
    .and(|| conditions(statement.get("Condition"), request))
}

fn effect(statement: &Value) -> Result<Effect, String> {
    match statement.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Ok(Effect::Allow),
        Some("Deny") => Ok(Effect::Deny),
        other => Err(format!("statement Effect is {other:?}")),
    }
}

fn label(policy: &str, statement: &Value) -> String {
    match statement.get("Sid").and_then(Value::as_str) {
        Some(sid) => format!("{policy} statement `{sid}`"),
        None => format!("{policy} statement without Sid"),
    }
}

/// Evaluates a request against identity policies and the resource's policy,
/// for a principal and a resource in the same account.
///
/// The rules, from
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>:
/// an explicit Deny in any applicable policy wins; otherwise an Allow in an
/// identity policy or in the resource policy (naming the principal) allows;
/// otherwise the request is implicitly denied. A resource policy statement
/// that names the principal's account only delegates to identity policies.
/// A KMS key policy is the exception: it must allow, either naming the
/// principal, or naming the account (`arn:...:iam::<account>:root`) so that
/// identity policies may then allow —
/// <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html>.
///
/// Anything unknowable on the path to the answer gives
/// [`Decision::CannotDecide`]: an Allow that may or may not apply, or a Deny
/// that may apply when an Allow could apply.
pub fn evaluate(
    identity_policies: &[Policy],
    resource_policy: Option<&ResourcePolicy>,
    request: &Request,
) -> Decision {
    let mut uncertain_deny: Option<String> = None;
    let mut identity_allow = Tri::No;
    let mut direct_allow = Tri::No;
    let mut account_allow = Tri::No;
    let note = |slot: &mut Option<String>, why: String| {
        slot.get_or_insert(why);
    };

    for policy in identity_policies {
        if let Some(why) = &policy.unknown {
            identity_allow = identity_allow.or(|| Tri::Unknown(why.clone()));
            continue;
        }
        for st in policy.statements() {
            let who = label("identity policy", st);
            let hit = applies(st, request);
            match effect(st) {
                Ok(Effect::Deny) => match hit {
                    Tri::Yes => return Decision::Denied(format!("explicit deny by {who}")),
                    Tri::Unknown(why) => note(&mut uncertain_deny, format!("{who}: {why}")),
                    Tri::No => {}
                },
                Ok(Effect::Allow) => {
                    let hit = match hit {
                        Tri::Unknown(why) => Tri::Unknown(format!("{who}: {why}")),
                        t => t,
                    };
                    identity_allow = identity_allow.or(|| hit);
                }
                Err(why) => note(&mut uncertain_deny, format!("{who}: {why}")),
            }
        }
    }

    let kms = resource_policy.is_some_and(|r| r.kind == ResourceKind::KmsKey);
    if let Some(resource) = resource_policy {
        if let Some(why) = &resource.policy.unknown {
            direct_allow = Tri::Unknown(why.clone());
        }
        for st in resource.policy.statements() {
            let who = label("resource policy", st);
            let principal = principal_match(st, request);
            let hit = applies(st, request);
            let tag = |t: Tri| match t {
                Tri::Unknown(why) => Tri::Unknown(format!("{who}: {why}")),
                t => t,
            };
            match effect(st) {
                Ok(Effect::Deny) => {
                    // A Deny that names the account covers every principal in it.
                    let covers = principal.direct.or(|| principal.account);
                    match tag(covers.and(|| hit)) {
                        Tri::Yes => return Decision::Denied(format!("explicit deny by {who}")),
                        Tri::Unknown(why) => note(&mut uncertain_deny, why),
                        Tri::No => {}
                    }
                }
                Ok(Effect::Allow) => {
                    let direct = tag(principal.direct.and(|| hit.clone()));
                    let account = tag(principal.account.and(|| hit));
                    direct_allow = direct_allow.or(|| direct);
                    account_allow = account_allow.or(|| account);
                }
                Err(why) => note(&mut uncertain_deny, format!("{who}: {why}")),
            }
        }
    }

    let allow = if kms {
        direct_allow.or(|| account_allow.and(|| identity_allow))
    } else {
        identity_allow.or(|| direct_allow)
    };
    match (allow, uncertain_deny) {
        (Tri::No, _) if kms => Decision::Denied(
            "implicit deny: the key policy neither allows the principal nor delegates to \
             identity policies that allow it"
                .into(),
        ),
        (Tri::No, _) => Decision::Denied("implicit deny: no statement allows the request".into()),
        (_, Some(why)) => Decision::CannotDecide(format!("a Deny may apply: {why}")),
        (Tri::Yes, None) => Decision::Allowed,
        (Tri::Unknown(why), None) => Decision::CannotDecide(why),
    }
}

// ------------------------------------------------------------------ symbols

/// Resolves template expressions symbolically.
///
/// - `Ref` of a pseudo parameter: the placeholder `${AWS::AccountId}` (also
///   `AWS::Region`, `AWS::Partition`, `AWS::URLSuffix`, `AWS::StackName`,
///   `AWS::StackId`), kept as literal text.
/// - `Ref` of a resource: its physical name (the name property, such as
///   `BucketName`, else `${LogicalId}`); an SNS topic's `Ref` is its ARN, a
///   KMS key's its key ID `${LogicalId}`, a managed policy's its ARN.
/// - `Fn::GetAtt` `Arn` of buckets, roles, keys, queues and topics: the ARN
///   built from the name; other attributes: the opaque `<LogicalId.Attr>`.
/// - `Fn::Sub` (with and without variables) and `Fn::Join`: the joined text.
/// - Anything else (parameters, `Fn::If`, `Fn::ImportValue`, ...): an opaque
///   token `<...>`.
///
/// ARN formats: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>;
/// return values: <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html>.
#[derive(Clone, Copy, Debug)]
pub struct Symbols<'a> {
    template: Option<&'a Template>,
}

const PSEUDO: [&str; 6] = [
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::StackName",
    "AWS::StackId",
];

// A name property that is itself an expression may refer to other resources;
// the bound stops reference cycles.
const MAX_DEPTH: u8 = 8;

impl<'a> Symbols<'a> {
    /// Resolves against a template's resources.
    pub fn new(template: &'a Template) -> Symbols<'a> {
        Symbols {
            template: Some(template),
        }
    }

    /// Resolves without a template: every resource reference is opaque.
    pub fn empty() -> Symbols<'static> {
        Symbols { template: None }
    }

    /// The symbolic text of a value (a string or an expression).
    pub fn resolve(&self, value: &Value) -> String {
        self.text(value, 0)
    }

    /// A resource's symbolic physical name: its name property, else
    /// `${LogicalId}`.
    pub fn physical_name(&self, logical_id: &str) -> String {
        self.name(logical_id, 0)
    }

    /// A resource's symbolic ARN (`Fn::GetAtt [id, Arn]`).
    pub fn arn(&self, logical_id: &str) -> String {
        self.get_att(logical_id, "Arn", 0)
    }

    /// A policy document with every expression resolved; a JSON string (or an
    /// expression that joins one) is decoded.
    pub fn policy(&self, document: &Value) -> Policy {
        let decoded = match document {
            Value::String(text) => serde_json::from_str::<Value>(text).ok(),
            Value::Object(map) if is_expression(map) => {
                serde_json::from_str::<Value>(&self.text(document, 0)).ok()
            }
            other => Some(other.clone()),
        };
        match decoded {
            Some(doc @ Value::Object(_)) => Policy {
                document: self.tree(&doc, 0),
                unknown: None,
            },
            _ => Policy::unknown("the policy document is not a JSON object"),
        }
    }

    fn tree(&self, value: &Value, depth: u8) -> Value {
        match value {
            Value::Object(map) if is_expression(map) => Value::String(self.text(value, depth)),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.tree(v, depth)))
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.tree(v, depth)).collect())
            }
            other => other.clone(),
        }
    }

    fn resource(&self, logical_id: &str) -> Option<&'a mlcdk_core::template::Resource> {
        self.template?.resources.get(logical_id)
    }

    fn name(&self, logical_id: &str, depth: u8) -> String {
        let Some(resource) = self.resource(logical_id) else {
            return format!("<Ref {logical_id}>");
        };
        let noun = resource
            .resource_type
            .rsplit("::")
            .next()
            .unwrap_or_default();
        // Most types name themselves `<Noun>Name`; Glue's jobs, crawlers and
        // security configurations take a plain `Name`.
        let property = resource.properties.get(&format!("{noun}Name")).or_else(|| {
            match resource.resource_type.as_str() {
                "AWS::Glue::Database" => resource
                    .properties
                    .get("DatabaseInput")
                    .and_then(|d| d.get("Name")),
                t if t.starts_with("AWS::Glue::") => resource.properties.get("Name"),
                _ => None,
            }
        });
        match property {
            Some(name) if depth < MAX_DEPTH => self.text(name, depth + 1),
            Some(_) => format!("<{logical_id}.Name>"),
            None => format!("${{{logical_id}}}"),
        }
    }

    fn reference(&self, target: &str, depth: u8) -> String {
        if PSEUDO.contains(&target) {
            return format!("${{{target}}}");
        }
        let Some(resource) = self.resource(target) else {
            return format!("<Ref {target}>");
        };
        match resource.resource_type.as_str() {
            "AWS::SNS::Topic" | "AWS::IAM::ManagedPolicy" => self.get_att(target, "Arn", depth),
            "AWS::KMS::Key" => format!("${{{target}}}"),
            _ => self.name(target, depth),
        }
    }

    fn get_att(&self, target: &str, attribute: &str, depth: u8) -> String {
        let opaque = format!("<{target}.{attribute}>");
        let Some(resource) = self.resource(target) else {
            return opaque;
        };
        let name = || self.name(target, depth);
        let regional = "${AWS::Region}:${AWS::AccountId}";
        match (resource.resource_type.as_str(), attribute) {
            ("AWS::S3::Bucket", "Arn") => format!("arn:${{AWS::Partition}}:s3:::{}", name()),
            ("AWS::IAM::Role", "Arn") => {
                let path = resource
                    .properties
                    .get("Path")
                    .map_or_else(|| "/".to_string(), |p| self.text(p, depth));
                format!(
                    "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{path}{}",
                    name()
                )
            }
            ("AWS::IAM::ManagedPolicy", "Arn") => format!(
                "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{}",
                name()
            ),
            ("AWS::KMS::Key", "Arn") => {
                format!("arn:${{AWS::Partition}}:kms:{regional}:key/${{{target}}}")
            }
            ("AWS::SNS::Topic", "Arn" | "TopicArn") => {
                format!("arn:${{AWS::Partition}}:sns:{regional}:{}", name())
            }
            ("AWS::SQS::Queue", "Arn") => {
                format!("arn:${{AWS::Partition}}:sqs:{regional}:{}", name())
            }
            // Bedrock generates the id in both ARNs; the resource types'
            // ARN formats are those of the inference profile prerequisites
            // (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html)
            // and of the guardrail schema (`GuardrailArn`).
            ("AWS::Bedrock::ApplicationInferenceProfile", "InferenceProfileArn") => {
                format!(
                    "arn:${{AWS::Partition}}:bedrock:{regional}:application-inference-profile/${{{target}}}"
                )
            }
            ("AWS::Bedrock::Guardrail", "GuardrailArn") => {
                format!("arn:${{AWS::Partition}}:bedrock:{regional}:guardrail/${{{target}}}")
            }
            _ => opaque,
        }
    }

    fn text(&self, value: &Value, depth: u8) -> String {
        let map = match value {
            Value::Object(map) if is_expression(map) => map,
            Value::Object(_) | Value::Array(_) | Value::Null => return "<value>".into(),
            scalar_value => return scalar(scalar_value),
        };
        let Some((function, argument)) = map.iter().next() else {
            return "<value>".into();
        };
        match function.as_str() {
            "Ref" => match argument.as_str() {
                Some(target) => self.reference(target, depth),
                None => "<Ref>".into(),
            },
            "Fn::GetAtt" => {
                let parts: Vec<String> = match argument {
                    Value::String(s) => s.splitn(2, '.').map(str::to_string).collect(),
                    other => strings(Some(other)),
                };
                match parts.as_slice() {
                    [target, attribute] => self.get_att(target, attribute, depth),
                    _ => "<Fn::GetAtt>".into(),
                }
            }
            "Fn::Join" => match argument.as_array().map(Vec::as_slice) {
                Some([Value::String(delimiter), Value::Array(items)]) => items
                    .iter()
                    .map(|item| self.text(item, depth))
                    .collect::<Vec<_>>()
                    .join(delimiter),
                _ => "<Fn::Join>".into(),
            },
            "Fn::Sub" => match argument {
                Value::String(body) => self.sub(body, &serde_json::Map::new(), depth),
                Value::Array(items) => match items.as_slice() {
                    [Value::String(body), Value::Object(vars)] => self.sub(body, vars, depth),
                    [Value::String(body)] => self.sub(body, &serde_json::Map::new(), depth),
                    _ => "<Fn::Sub>".into(),
                },
                _ => "<Fn::Sub>".into(),
            },
            other => format!("<{other}>"),
        }
    }

    /// `Fn::Sub`: `${Var}` from the variable map, else a parameter or
    /// resource `Ref`, `${Id.Attr}` a `GetAtt`, `${!Text}` the literal
    /// `${Text}`.
    /// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html>
    fn sub(&self, body: &str, vars: &serde_json::Map<String, Value>, depth: u8) -> String {
        let mut out = String::new();
        let mut rest = body;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = vars.get(name) {
                out.push_str(&self.text(value, depth));
            } else if let Some((target, attribute)) = name.split_once('.')
                && !PSEUDO.contains(&name)
            {
                out.push_str(&self.get_att(target, attribute, depth));
            } else {
                out.push_str(&self.reference(name, depth));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn is_expression(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .next()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
}

// ---------------------------------------------------------------- evaluator

/// The policies of a template, gathered so that a caller can ask what a role
/// may do.
#[derive(Clone, Debug, Default)]
pub struct Evaluator {
    // Logical ID → (role ARN, identity policies).
    roles: BTreeMap<String, (String, Vec<Policy>)>,
    // Resource ARN → policy; bucket policies also cover the bucket's objects.
    resources: Vec<(String, ResourcePolicy)>,
}

impl Evaluator {
    /// Gathers each role's identity policies (inline `Policies`, attached
    /// `AWS::IAM::Policy`/`ManagedPolicy`/`RolePolicy` resources, and
    /// `ManagedPolicyArns`, unknown unless they name a managed policy of the
    /// template), bucket policies, key policies (a key without `KeyPolicy`
    /// gets the default key policy, which delegates to the account) and topic
    /// policies.
    pub fn from_template(template: &Template) -> Evaluator {
        let symbols = Symbols::new(template);
        let mut evaluator = Evaluator::default();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for (id, role) in template.resources_of_type("AWS::IAM::Role") {
            let mut policies = Vec::new();
            for inline in role
                .properties
                .get("Policies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(doc) = inline.get("PolicyDocument") {
                    policies.push(symbols.policy(doc));
                }
            }
            for arn in role
                .properties
                .get("ManagedPolicyArns")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let local = mlcdk_core::template::reference_target(arn)
                    .and_then(|target| template.resources.get(target))
                    .filter(|r| r.resource_type == "AWS::IAM::ManagedPolicy")
                    .and_then(|r| r.properties.get("PolicyDocument"));
                policies.push(match local {
                    Some(doc) => symbols.policy(doc),
                    None => Policy::unknown(format!(
                        "managed policy `{}` is not in the template",
                        symbols.resolve(arn)
                    )),
                });
            }
            names.insert(symbols.physical_name(id), id.clone());
            evaluator
                .roles
                .insert(id.clone(), (symbols.arn(id), policies));
        }
        for resource in template.resources.values() {
            let attached: Vec<String> = match resource.resource_type.as_str() {
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                    strings_of(&symbols, resource.properties.get("Roles"))
                }
                "AWS::IAM::RolePolicy" => strings_of(&symbols, resource.properties.get("RoleName")),
                _ => continue,
            };
            let Some(doc) = resource.properties.get("PolicyDocument") else {
                continue;
            };
            for role in attached.iter().filter_map(|name| names.get(name)) {
                if let Some((_, policies)) = evaluator.roles.get_mut(role) {
                    policies.push(symbols.policy(doc));
                }
            }
        }
        for (id, resource) in &template.resources {
            let props = &resource.properties;
            match resource.resource_type.as_str() {
                "AWS::S3::BucketPolicy" => {
                    if let (Some(bucket), Some(doc)) =
                        (props.get("Bucket"), props.get("PolicyDocument"))
                    {
                        let arn =
                            format!("arn:${{AWS::Partition}}:s3:::{}", symbols.resolve(bucket));
                        evaluator.add(arn, ResourceKind::Bucket, symbols.policy(doc));
                    }
                }
                "AWS::SNS::TopicPolicy" => {
                    if let Some(doc) = props.get("PolicyDocument") {
                        for topic in strings_of(&symbols, props.get("Topics")) {
                            evaluator.add(topic, ResourceKind::Topic, symbols.policy(doc));
                        }
                    }
                }
                "AWS::KMS::Key" => {
                    let policy = match props.get("KeyPolicy") {
                        Some(doc) => symbols.policy(doc),
                        None => default_key_policy(),
                    };
                    evaluator.add(symbols.arn(id), ResourceKind::KmsKey, policy);
                }
                _ => {}
            }
        }
        evaluator
    }

    fn add(&mut self, arn: String, kind: ResourceKind, policy: Policy) {
        if let Some((_, existing)) = self.resources.iter_mut().find(|(a, _)| *a == arn) {
            // Several policies on one resource act as one list of statements.
            let mut statements: Vec<Value> =
                existing.policy.statements().into_iter().cloned().collect();
            statements.extend(policy.statements().into_iter().cloned());
            existing.policy.document = serde_json::json!({ "Statement": statements });
            if existing.policy.unknown.is_none() {
                existing.policy.unknown = policy.unknown;
            }
        } else {
            self.resources.push((arn, ResourcePolicy { kind, policy }));
        }
    }

    /// The symbolic ARN of a role of the template.
    pub fn role_arn(&self, role_logical_id: &str) -> Option<&str> {
        self.roles.get(role_logical_id).map(|(arn, _)| arn.as_str())
    }

    /// The identity policies gathered for a role.
    pub fn identity_policies(&self, role_logical_id: &str) -> &[Policy] {
        self.roles
            .get(role_logical_id)
            .map_or(&[], |(_, policies)| policies.as_slice())
    }

    /// The resource policy that governs a resource ARN, if the template has
    /// one (a bucket policy also governs the bucket's objects).
    pub fn resource_policy(&self, resource_arn: &str) -> Option<&ResourcePolicy> {
        self.resources
            .iter()
            .find(|(arn, policy)| {
                arn == resource_arn
                    || (policy.kind == ResourceKind::Bucket
                        && resource_arn
                            .strip_prefix(arn.as_str())
                            .is_some_and(|rest| rest.starts_with('/')))
            })
            .map(|(_, policy)| policy)
    }

    /// Whether a role of the template may do `action` on `resource_arn` in
    /// `context`. An unknown role has no identity policies.
    pub fn can(
        &self,
        role_logical_id: &str,
        action: &str,
        resource_arn: &str,
        context: &BTreeMap<String, Vec<String>>,
    ) -> Decision {
        let principal = self
            .role_arn(role_logical_id)
            .map_or_else(|| format!("<Ref {role_logical_id}>"), str::to_string);
        self.evaluate(&Request {
            principal,
            action: action.to_string(),
            resource: resource_arn.to_string(),
            context: context.clone(),
        })
    }

    /// Evaluates any request; the principal's identity policies are those of
    /// the template role with that ARN (none for a service principal).
    pub fn evaluate(&self, request: &Request) -> Decision {
        let identity = self
            .roles
            .values()
            .find(|(arn, _)| *arn == request.principal)
            .map_or(&[][..], |(_, policies)| policies.as_slice());
        evaluate(identity, self.resource_policy(&request.resource), request)
    }
}

fn strings_of(symbols: &Symbols<'_>, value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().map(|v| symbols.resolve(v)).collect(),
        Some(v) => vec![symbols.resolve(v)],
        None => Vec::new(),
    }
}

/// The key policy KMS gives a key created without one: the account may use
/// and manage the key through IAM policies.
/// <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html>
fn default_key_policy() -> Policy {
    Policy::from_document(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"},
            "Action": "kms:*",
            "Resource": "*"
        }]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
    #[test]
    fn arn_wildcards_stay_in_their_segment_unless_they_end_it() {
        assert!(arn_like("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c.csv"));
        assert!(arn_like("arn:aws:s3:::b/d?ta/*", "arn:aws:s3:::b/data/x"));
        assert!(!arn_like("arn:aws:s3:::b/data/*", "arn:aws:s3:::b/other/x"));
        assert!(arn_like("arn:aws:*", "arn:aws:s3:::b/x"));
        assert!(arn_like(
            "arn:aws:logs:*:*:log-group:g:*",
            "arn:aws:logs:r:1:log-group:g:log-stream:s"
        ));
        assert!(!arn_like("arn:aws:s*3:::b", "arn:aws:s:x:3:::b"));
        assert!(arn_like("*", "anything:at:all"));
    }

    // reference_policies_elements_action.html: case-insensitive.
    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        assert!(action_like("S3:get*", "s3:GetObject"));
        assert!(action_like("s3:GetObjec?", "s3:GetObject"));
        assert!(!action_like("s3:Put*", "s3:GetObject"));
        assert!(action_like("*", "kms:Decrypt"));
    }

    #[test]
    fn opaque_tokens_only_equal_themselves() {
        assert_eq!(sym_match("<X.Arn>", "<X.Arn>", arn_like), Tri::Yes);
        assert!(matches!(
            sym_match("<X.Arn>", "arn:aws:s3:::b", arn_like),
            Tri::Unknown(_)
        ));
        assert_eq!(
            sym_match("arn:aws:sqs:<R>:1:q", "arn:aws:s3:::b", arn_like),
            Tri::No
        );
        assert_eq!(widen("a<b>c<d>"), "a*c*");
    }

    #[test]
    fn tri_logic_keeps_no_over_unknown() {
        let u = || Tri::Unknown("u".into());
        assert_eq!(u().and(|| Tri::No), Tri::No);
        assert_eq!(u().or(|| Tri::Yes), Tri::Yes);
        assert_eq!(Tri::Yes.and(u), u());
    }

    // intrinsic-function-reference-sub.html
    #[test]
    fn sub_handles_literals_variables_and_attributes() {
        let t = Template::from_json_str(
            &json!({"Resources": {
                "B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data"}},
                "F": {"Type": "AWS::Lambda::Function"}
            }})
            .to_string(),
        )
        .unwrap();
        let s = Symbols::new(&t);
        assert_eq!(
            s.resolve(&json!({"Fn::Sub": "${!Literal}-${B}-${AWS::Region}-${F.Arn}"})),
            "${Literal}-data-${AWS::Region}-<F.Arn>"
        );
        assert_eq!(
            s.resolve(&json!({"Fn::Sub": ["${X}/*", {"X": {"Fn::GetAtt": ["B", "Arn"]}}]})),
            "arn:${AWS::Partition}:s3:::data/*"
        );
        assert_eq!(s.resolve(&json!({"Fn::If": ["c", "a", "b"]})), "<Fn::If>");
    }

    #[test]
    fn a_statement_without_effect_is_not_trusted() {
        let p = Policy::from_document(&json!({"Statement": {"Action": "*", "Resource": "*"}}));
        let r = Request::new("arn:aws:iam::1:role/r", "s3:GetObject", "arn:aws:s3:::b/k");
        assert!(evaluate(&[p], None, &r).is_denied());
    }
}

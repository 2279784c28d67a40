//! IAM: roles, policy statements and grants.
//!
//! Constructs grant access through [`Grantee`]: `bucket.grant_read(&role)`
//! adds a statement naming the bucket's ARNs and the exact actions to the role's
//! policy. Statements are checked at synth: no `*` or `service:*` actions, and
//! `iam:PassRole` only on named role ARNs.
//!
//! ```
//! use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
//! use mlcdk_core::{Expr, Stack};
//!
//! let mut stack = Stack::for_test();
//! let role = Role::new(&mut stack, "Training", RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")));
//! role.add_to_policy(
//!     PolicyStatement::allow()
//!         .actions(["s3:GetObject"])
//!         .resources([Expr::sub("arn:${AWS::Partition}:s3:::data/*")]),
//! );
//! let t = stack.synth().unwrap().template;
//! assert_eq!(t.resources.len(), 1);
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::expr::Expr;
use crate::json::Json;
use crate::stack::{CfnResource, ResourceRef, Scope};

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants the actions, unless a Deny also matches.
    Allow,
    /// Refuses the actions, whatever any Allow says; may be broad (e.g. all of
    /// `s3` without TLS).
    Deny,
}

/// Who a statement (or a trust policy) is about.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// An AWS service, `sagemaker.amazonaws.com` (an expression for regional
    /// service principals such as `logs.${AWS::Region}.amazonaws.com`).
    Service(Expr),
    /// An account, role or user ARN (or `*`, for resource policies with conditions).
    Aws(Expr),
}

impl Principal {
    /// An AWS service principal, e.g. `sagemaker.amazonaws.com`.
    pub fn service(name: impl Into<Expr>) -> Principal {
        Principal::Service(name.into())
    }

    /// An account, role or user ARN.
    pub fn aws(arn: impl Into<Expr>) -> Principal {
        Principal::Aws(arn.into())
    }

    /// The root of an account: everything in it that its own IAM policies allow.
    pub fn account(account_id: impl Into<Expr>) -> Principal {
        Principal::Aws(Expr::concat([
            Expr::lit("arn:"),
            Expr::partition(),
            Expr::lit(":iam::"),
            account_id.into(),
            Expr::lit(":root"),
        ]))
    }

    fn key(&self) -> &'static str {
        match self {
            Principal::Service(_) => "Service",
            Principal::Aws(_) => "AWS",
        }
    }

    fn value(&self) -> Json {
        match self {
            Principal::Service(e) | Principal::Aws(e) => Json::from(e),
        }
    }
}

/// One statement of a policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyStatement {
    /// An optional statement ID, unique within the document; only a label.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Exact `service:Action` names. An Allow may not use `*` or `service:*`
    /// (checked at synth); a trailing wildcard on a name (`s3:Get*`) is
    /// accepted.
    pub actions: Vec<String>,
    /// ARNs the statement applies to; empty in trust policies, which are
    /// about the role itself.
    pub resources: Vec<Expr>,
    /// Who the statement is about; only in trust and resource policies.
    pub principals: Vec<Principal>,
    /// operator → key → value(s)
    pub conditions: BTreeMap<String, BTreeMap<String, Json>>,
}

impl PolicyStatement {
    /// An empty Allow statement to build on.
    pub fn allow() -> PolicyStatement {
        PolicyStatement::new(Effect::Allow)
    }

    /// An empty Deny statement to build on.
    pub fn deny() -> PolicyStatement {
        PolicyStatement::new(Effect::Deny)
    }

    fn new(effect: Effect) -> PolicyStatement {
        PolicyStatement {
            sid: None,
            effect,
            actions: Vec::new(),
            resources: Vec::new(),
            principals: Vec::new(),
            conditions: BTreeMap::new(),
        }
    }

    /// Label the statement.
    pub fn sid(mut self, sid: impl Into<String>) -> PolicyStatement {
        self.sid = Some(sid.into());
        self
    }

    /// Add actions.
    pub fn actions<S: Into<String>>(
        mut self,
        actions: impl IntoIterator<Item = S>,
    ) -> PolicyStatement {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    /// Add resource ARNs.
    pub fn resources<E: Into<Expr>>(
        mut self,
        resources: impl IntoIterator<Item = E>,
    ) -> PolicyStatement {
        self.resources.extend(resources.into_iter().map(Into::into));
        self
    }

    /// Add a principal.
    pub fn principal(mut self, principal: Principal) -> PolicyStatement {
        self.principals.push(principal);
        self
    }

    /// Add principals.
    pub fn principals(
        mut self,
        principals: impl IntoIterator<Item = Principal>,
    ) -> PolicyStatement {
        self.principals.extend(principals);
        self
    }

    /// Add a condition, e.g. `("StringEquals", "iam:PassedToService",
    /// "sagemaker.amazonaws.com")`; a second value for the same operator and
    /// key replaces the first.
    pub fn condition(
        mut self,
        operator: impl Into<String>,
        key: impl Into<String>,
        value: impl Into<Json>,
    ) -> PolicyStatement {
        self.conditions
            .entry(operator.into())
            .or_default()
            .insert(key.into(), value.into());
        self
    }

    /// Least-privilege rules every generated statement follows.
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.actions.is_empty() {
            errors.push("policy statement has no actions; list the exact actions it allows".into());
        }
        for a in &self.actions {
            let valid_shape = a.split_once(':').is_some_and(|(svc, op)| {
                !svc.is_empty()
                    && svc
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !op.is_empty()
                    && op.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*')
            });
            // A Deny may be broad (deny all of s3 without TLS); an Allow may not.
            if self.effect == Effect::Allow && (a == "*" || a.ends_with(":*")) {
                errors.push(format!(
                    "action '{a}' grants every action{}; name the actions needed (least privilege)",
                    if a == "*" {
                        " of every service"
                    } else {
                        " of a service"
                    }
                ));
            } else if !valid_shape && a != "*" {
                errors.push(format!(
                    "action '{a}' is malformed: actions look like 'service:Action' (e.g. 's3:GetObject')"
                ));
            }
        }
        if self.effect == Effect::Allow
            && self.actions.iter().any(|a| a == "iam:PassRole")
            && self.resources.iter().any(|r| {
                r.as_literal()
                    .is_some_and(|l| l == "*" || l.ends_with(":role/*"))
            })
        {
            errors.push(
                "iam:PassRole on every role lets the grantee escalate its privileges; scope it to the ARN of the role passed (Role::grant_pass_role)".into(),
            );
        }
        errors
    }

    /// Render as policy JSON (`Action`, `Resource` and principals collapse to a
    /// single value when there is one).
    pub fn to_json(&self) -> Json {
        let mut m: BTreeMap<String, Json> = BTreeMap::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), sid.as_str().into());
        }
        m.insert(
            "Effect".into(),
            match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            }
            .into(),
        );
        m.insert(
            "Action".into(),
            one_or_many(
                self.actions
                    .iter()
                    .map(|a| Json::from(a.as_str()))
                    .collect(),
            ),
        );
        if !self.resources.is_empty() {
            m.insert(
                "Resource".into(),
                one_or_many(self.resources.iter().map(Json::from).collect()),
            );
        }
        if !self.principals.is_empty() {
            let mut p: BTreeMap<String, Vec<Json>> = BTreeMap::new();
            for principal in &self.principals {
                p.entry(principal.key().into())
                    .or_default()
                    .push(principal.value());
            }
            m.insert(
                "Principal".into(),
                Json::Object(p.into_iter().map(|(k, v)| (k, one_or_many(v))).collect()),
            );
        }
        if !self.conditions.is_empty() {
            m.insert(
                "Condition".into(),
                Json::Object(
                    self.conditions
                        .iter()
                        .map(|(op, kv)| (op.clone(), Json::Object(kv.clone())))
                        .collect(),
                ),
            );
        }
        Json::Object(m)
    }
}

fn one_or_many(mut items: Vec<Json>) -> Json {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        Json::Array(items)
    }
}

/// A policy document: a list of statements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyDocument {
    /// The statements, in order.
    pub statements: Vec<PolicyStatement>,
}

impl PolicyDocument {
    /// A document of these statements.
    pub fn new(statements: impl IntoIterator<Item = PolicyStatement>) -> PolicyDocument {
        PolicyDocument {
            statements: statements.into_iter().collect(),
        }
    }

    /// Adds a statement unless an identical one is already there.
    pub fn add(&mut self, statement: PolicyStatement) {
        if !self.statements.contains(&statement) {
            self.statements.push(statement);
        }
    }

    /// Whether there are no statements.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The least-privilege errors of every statement (see
    /// [`PolicyStatement::validate`]).
    pub fn validate(&self) -> Vec<String> {
        self.statements
            .iter()
            .flat_map(PolicyStatement::validate)
            .collect()
    }

    /// Render as a policy document (`Version` 2012-10-17).
    pub fn to_json(&self) -> Json {
        Json::object([
            ("Version", Json::from("2012-10-17")),
            (
                "Statement",
                Json::Array(
                    self.statements
                        .iter()
                        .map(PolicyStatement::to_json)
                        .collect(),
                ),
            ),
        ])
    }
}

/// Something that can be granted permissions: a role, or a construct that
/// has one (a Glue job, a model, a training pipeline), which delegates to it.
pub trait Grantee {
    /// Add `statement` to the grantee's identity policy.
    fn add_to_policy(&self, statement: PolicyStatement);
}

impl<T: Grantee + ?Sized> Grantee for &T {
    fn add_to_policy(&self, statement: PolicyStatement) {
        (**self).add_to_policy(statement);
    }
}

/// What a `grant_*` method added, kept so that it can be asserted and
/// reviewed (`grant.statements()`), as the CDK's `Grant` is.
///
/// ```
/// use mlcdk_core::iam::{Grant, PolicyStatement, Principal, Role, RoleProps};
/// use mlcdk_core::Stack;
///
/// let mut stack = Stack::for_test();
/// let role = Role::new(&mut stack, "Reader", RoleProps::assumed_by(Principal::service("glue.amazonaws.com")));
/// let grant = Grant::to(&role, [PolicyStatement::allow().actions(["s3:GetObject"]).resources(["arn:aws:s3:::b/*"])]);
/// assert_eq!(grant.actions(), ["s3:GetObject"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grant {
    statements: Vec<PolicyStatement>,
}

impl Grant {
    /// Add `statements` to `grantee`'s policy and return them as a grant.
    pub fn to(
        grantee: &impl Grantee,
        statements: impl IntoIterator<Item = PolicyStatement>,
    ) -> Grant {
        let statements: Vec<PolicyStatement> = statements.into_iter().collect();
        for s in &statements {
            grantee.add_to_policy(s.clone());
        }
        Grant { statements }
    }

    /// Two grants as one (e.g. a read and a write).
    pub fn and(mut self, other: Grant) -> Grant {
        self.statements.extend(other.statements);
        self
    }

    /// The statements added, in order.
    pub fn statements(&self) -> &[PolicyStatement] {
        &self.statements
    }

    /// Every action the grant allows, in order, each once.
    pub fn actions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.statements {
            for a in &s.actions {
                if !out.contains(a) {
                    out.push(a.clone());
                }
            }
        }
        out
    }
}

/// A policy document that grows after the resource holding it is made
/// (grants added later land in it) and is rendered when the stack is
/// synthesized: the Rust form of the CDK's `Lazy`/`Box`, in one place for
/// role policies, bucket policies and key policies.
#[derive(Clone, Debug, Default)]
pub struct SharedPolicy(Rc<RefCell<PolicyDocument>>);

impl SharedPolicy {
    /// A policy starting with `document`.
    pub fn new(document: PolicyDocument) -> SharedPolicy {
        SharedPolicy(Rc::new(RefCell::new(document)))
    }

    /// Add a statement (rendered at synth, whenever it was added).
    pub fn add(&self, statement: PolicyStatement) {
        self.0.borrow_mut().add(statement);
    }

    /// The document as it stands now.
    pub fn snapshot(&self) -> PolicyDocument {
        self.0.borrow().clone()
    }

    /// A resource of `resource_type` whose properties are `base` plus what
    /// `render` writes from the document as it stands at synth (an error
    /// list refuses the synth).
    pub fn lazy_resource(
        &self,
        resource_type: &str,
        base: Map<String, Value>,
        render: impl Fn(&PolicyDocument, &mut Map<String, Value>) -> Result<(), Vec<String>> + 'static,
    ) -> CfnResource {
        let policy = self.clone();
        CfnResource::lazy(resource_type, move || {
            let mut props = base.clone();
            render(&policy.0.borrow(), &mut props)?;
            Ok(props)
        })
    }
}

/// Props of a [`Role`].
#[derive(Clone, Debug, PartialEq)]
pub struct RoleProps {
    /// Who may assume the role.
    pub assumed_by: Vec<Principal>,
    /// Shown in the IAM console; up to 1,000 characters.
    pub description: Option<String>,
    /// ARNs of managed policies to attach. Prefer grants: they are scoped.
    pub managed_policies: Vec<Expr>,
    /// ARN of a managed policy capping what the role may do, whatever it is
    /// granted; for accounts that require boundaries.
    pub permissions_boundary: Option<Expr>,
    /// Seconds, 3,600–43,200.
    pub max_session_duration: Option<u32>,
    /// A fixed name (needs `CAPABILITY_NAMED_IAM`); generated when `None`. A
    /// named role's ARN is known without a reference to the role, which lets
    /// its own policy name it (PassRole on itself).
    pub role_name: Option<String>,
}

impl RoleProps {
    /// Props of a role `principal` may assume, with everything else default.
    pub fn assumed_by(principal: Principal) -> RoleProps {
        RoleProps {
            assumed_by: vec![principal],
            description: None,
            managed_policies: Vec::new(),
            permissions_boundary: None,
            max_session_duration: None,
            role_name: None,
        }
    }
}

/// An IAM role whose inline policy is built from grants.
#[derive(Clone, Debug)]
pub struct Role {
    resource: ResourceRef,
    policy: SharedPolicy,
    name: Option<String>,
}

impl Role {
    /// A role, validated at synth: at least one principal, a session duration
    /// in range, and a valid name.
    pub fn new(scope: &mut impl Scope, id: &str, props: RoleProps) -> Role {
        let mut node = scope.node(id);
        if props.assumed_by.is_empty() {
            node.error("role has no principal in assumed_by; a role must be assumable by someone");
        }
        if let Some(d) = props.max_session_duration
            && !(3600..=43200).contains(&d)
        {
            node.error(format!(
                "max_session_duration {d} is out of range: IAM accepts 3600 to 43200 seconds"
            ));
        }
        let policy = SharedPolicy::default();
        let trust = PolicyDocument::new([PolicyStatement {
            principals: props.assumed_by.clone(),
            ..PolicyStatement::allow().actions(["sts:AssumeRole"])
        }]);
        let mut base = Map::new();
        base.insert("AssumeRolePolicyDocument".into(), trust.to_json().to_cfn());
        if let Some(d) = &props.description {
            base.insert("Description".into(), Value::String(d.clone()));
        }
        if !props.managed_policies.is_empty() {
            base.insert(
                "ManagedPolicyArns".into(),
                Value::Array(props.managed_policies.iter().map(Expr::to_json).collect()),
            );
        }
        if let Some(b) = &props.permissions_boundary {
            base.insert("PermissionsBoundary".into(), b.to_json());
        }
        if let Some(d) = props.max_session_duration {
            base.insert("MaxSessionDuration".into(), d.into());
        }
        if let Some(n) = &props.role_name {
            let valid = (1..=64).contains(&n.len())
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
            if !valid {
                node.error(format!(
                    "role name '{n}' is invalid: IAM role names have 1 to 64 letters, digits or '+=,.@_-'"
                ));
            }
            base.insert("RoleName".into(), Value::String(n.clone()));
        }
        let resource = node.add_resource(
            "Resource",
            policy.lazy_resource("AWS::IAM::Role", base, |doc, props| {
                let errors = doc.validate();
                if !errors.is_empty() {
                    return Err(errors);
                }
                if !doc.is_empty() {
                    props.insert(
                        "Policies".into(),
                        serde_json::json!([{
                            "PolicyName": "default",
                            "PolicyDocument": doc.to_json().to_cfn(),
                        }]),
                    );
                }
                Ok(())
            }),
        );
        Role {
            resource,
            policy,
            name: props.role_name,
        }
    }

    /// The ARN built from the role's fixed name, without referring to the role
    /// resource: what the role's own policy can use. `None` for a generated name.
    pub fn arn_from_name(&self) -> Option<Expr> {
        self.name.as_ref().map(|n| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{n}"
            ))
        })
    }

    /// The role's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.get_att("Arn")
    }

    /// The role's name (`Ref` of a role).
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The role's resource, e.g. to depend on it or suppress a finding on it.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// Let `grantee` pass this role (and only this role) to `service`, e.g. so
    /// a pipeline can start training jobs that run as this role.
    pub fn grant_pass_role(&self, grantee: &impl Grantee, service: &str) {
        grantee.add_to_policy(
            PolicyStatement::allow()
                .actions(["iam:PassRole"])
                .resources([self.arn()])
                .condition("StringEquals", "iam:PassedToService", service),
        );
    }

    /// The statements granted so far.
    pub fn policy(&self) -> PolicyDocument {
        self.policy.snapshot()
    }
}

impl Grantee for Role {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.policy.add(statement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Stack;
    use crate::assertions::{Match, TemplateAssert};
    use serde_json::json;

    fn sagemaker_role(stack: &mut Stack, id: &str) -> Role {
        Role::new(
            stack,
            id,
            RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
        )
    }

    #[test]
    fn grants_become_an_inline_policy() {
        let mut stack = Stack::for_test();
        let role = sagemaker_role(&mut stack, "Exec");
        let caller = sagemaker_role(&mut stack, "Pipeline");
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["s3:GetObject", "s3:ListBucket"])
                .resources([Expr::lit("arn:aws:s3:::b"), Expr::lit("arn:aws:s3:::b/*")]),
        );
        // An identical grant is not repeated.
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["s3:GetObject", "s3:ListBucket"])
                .resources([Expr::lit("arn:aws:s3:::b"), Expr::lit("arn:aws:s3:::b/*")]),
        );
        role.grant_pass_role(&caller, "sagemaker.amazonaws.com");
        let t = TemplateAssert::new(stack.synth().unwrap().template);
        t.resource_count_is("AWS::IAM::Role", 2);
        t.has_resource_properties(
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": {"Statement": [{
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "sagemaker.amazonaws.com"}
                }]},
                "Policies": [{"PolicyDocument": {"Statement": [{
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
                }]}}]
            }),
        );
        t.has_resource_properties(
            "AWS::IAM::Role",
            json!({"Policies": [{"PolicyDocument": {"Statement": [{
                "Action": "iam:PassRole",
                "Resource": {"Fn::GetAtt": ["Exec3A74FD70", "Arn"]},
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
            }]}}]}),
        );
        let exec = t.find_resources(
            "AWS::IAM::Role",
            Match::object([("Description", Match::absent())]),
        );
        assert_eq!(exec.len(), 2);
        assert_eq!(role.policy().statements.len(), 1);
    }

    #[test]
    fn wildcards_are_rejected_at_synth_with_the_role_path() {
        let mut stack = Stack::for_test();
        let role = sagemaker_role(&mut stack, "Exec");
        role.add_to_policy(PolicyStatement::allow().actions(["*"]).resources(["*"]));
        role.add_to_policy(PolicyStatement::allow().actions(["s3:*"]).resources(["*"]));
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["GetObject"])
                .resources(["*"]),
        );
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["iam:PassRole"])
                .resources(["*"]),
        );
        role.add_to_policy(PolicyStatement::allow().resources(["*"]));
        let errors = stack.synth().unwrap_err();
        assert_eq!(errors.len(), 5, "{errors}");
        assert!(
            errors
                .0
                .iter()
                .all(|e| e.path == "test-staging/Exec/Resource"),
            "{errors}"
        );
        assert!(errors.mentions("action '*' grants every action of every service"));
        assert!(errors.mentions("action 's3:*' grants every action of a service"));
        assert!(errors.mentions("action 'GetObject' is malformed"));
        assert!(errors.mentions("iam:PassRole on every role"));
        assert!(errors.mentions("has no actions"));
    }

    #[test]
    fn role_props_are_validated() {
        let mut stack = Stack::for_test();
        Role::new(
            &mut stack,
            "Bad",
            RoleProps {
                assumed_by: vec![],
                max_session_duration: Some(60),
                ..RoleProps::assumed_by(Principal::service("x"))
            },
        );
        let errors = stack.synth().unwrap_err();
        assert!(
            errors.mentions("[test-staging/Bad] role has no principal"),
            "{errors}"
        );
        assert!(
            errors.mentions("max_session_duration 60 is out of range: IAM accepts 3600 to 43200")
        );
    }

    #[test]
    fn account_principal() {
        let p = PolicyStatement::allow()
            .actions(["sagemaker:DescribeModelPackage"])
            .principal(Principal::account("222222222222"))
            .to_json()
            .to_cfn();
        assert_eq!(
            p["Principal"],
            json!({"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::222222222222:root"]]}})
        );
    }
}

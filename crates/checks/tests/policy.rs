//! The policy evaluator against hand-made policies and templates. Each test
//! names the AWS documentation page whose rule it checks.

use std::collections::BTreeMap;

use mlcdk_checks::policy::{
    Decision, Evaluator, Policy, Request, ResourceKind, ResourcePolicy, Symbols, evaluate,
};
use mlcdk_core::Template;
use serde_json::{Value, json};

const ROLE: &str = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/worker";
const OBJECT: &str = "arn:${AWS::Partition}:s3:::data/in/x.csv";

fn template(resources: Value) -> Template {
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

fn policy(statements: Value) -> Policy {
    Policy::from_document(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn get(resource: &str) -> Request {
    Request::new(ROLE, "s3:GetObject", resource)
}

/// One identity statement with a condition, asked with the given context.
fn with_condition(condition: Value, context: &[(&str, &str)]) -> Decision {
    let mut statement = allow("s3:GetObject", "*");
    statement["Condition"] = condition;
    let mut request = get(OBJECT);
    for (k, v) in context {
        request = request.with(*k, *v);
    }
    evaluate(&[policy(json!([statement]))], None, &request)
}

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        out.entry(k.to_string()).or_default().push(v.to_string());
    }
    out
}

// ------------------------------------------------------- evaluation logic
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

#[test]
fn an_identity_allow_allows() {
    let p = policy(json!([allow(
        "s3:GetObject",
        "arn:${AWS::Partition}:s3:::data/*"
    )]));
    assert_eq!(evaluate(&[p], None, &get(OBJECT)), Decision::Allowed);
}

#[test]
fn without_an_allow_the_request_is_implicitly_denied() {
    let p = policy(json!([allow("s3:PutObject", "*")]));
    assert!(evaluate(&[p], None, &get(OBJECT)).is_denied());
    assert!(evaluate(&[], None, &get(OBJECT)).is_denied());
}

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let allow_all = policy(json!([allow("*", "*")]));
    let deny = policy(
        json!([{"Sid": "NoData", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:${AWS::Partition}:s3:::data/*"}]),
    );
    let d = evaluate(&[allow_all, deny], None, &get(OBJECT));
    assert_eq!(
        d,
        Decision::Denied("explicit deny by identity policy statement `NoData`".into())
    );
}

#[test]
fn a_resource_policy_naming_the_principal_allows_on_its_own() {
    let bucket = ResourcePolicy {
        kind: ResourceKind::Bucket,
        policy: policy(
            json!([{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject", "Resource": "arn:${AWS::Partition}:s3:::data/*"}]),
        ),
    };
    assert_eq!(
        evaluate(&[], Some(&bucket), &get(OBJECT)),
        Decision::Allowed
    );
    let other = Request::new(
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/other",
        "s3:GetObject",
        OBJECT,
    );
    assert!(evaluate(&[], Some(&bucket), &other).is_denied());
}

#[test]
fn a_resource_policy_naming_the_account_only_delegates() {
    let bucket = ResourcePolicy {
        kind: ResourceKind::Bucket,
        policy: policy(
            json!([{"Effect": "Allow", "Principal": {"AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}, "Action": "s3:*", "Resource": "*"}]),
        ),
    };
    assert!(evaluate(&[], Some(&bucket), &get(OBJECT)).is_denied());
}

// ---------------------------------------------------------------- Action
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html

#[test]
fn action_wildcards_are_case_insensitive() {
    for pattern in ["s3:Get*", "S3:GETOBJECT", "s3:*Object", "s3:GetObj?ct", "*"] {
        let p = policy(json!([allow(pattern, "*")]));
        assert_eq!(
            evaluate(&[p], None, &get(OBJECT)),
            Decision::Allowed,
            "{pattern}"
        );
    }
    let p = policy(json!([allow("s3:Get?", "*")]));
    assert!(evaluate(&[p], None, &get(OBJECT)).is_denied());
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
#[test]
fn not_action_allows_everything_else() {
    let p = policy(json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]));
    assert_eq!(
        evaluate(std::slice::from_ref(&p), None, &get(OBJECT)),
        Decision::Allowed
    );
    let iam = Request::new(ROLE, "iam:PassRole", ROLE);
    assert!(evaluate(&[p], None, &iam).is_denied());
}

#[test]
fn not_action_in_a_deny_denies_everything_else() {
    let p = policy(json!([
        allow("*", "*"),
        {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
    ]));
    assert_eq!(
        evaluate(std::slice::from_ref(&p), None, &get(OBJECT)),
        Decision::Allowed
    );
    let put = Request::new(ROLE, "s3:PutObject", OBJECT);
    assert!(evaluate(&[p], None, &put).is_denied());
}

// ---------------------------------------------------------------- Resource
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html

#[test]
fn resource_wildcards_match_across_slashes_in_the_resource_part() {
    let p = policy(json!([allow(
        "s3:GetObject",
        "arn:${AWS::Partition}:s3:::data/*"
    )]));
    let deep = get("arn:${AWS::Partition}:s3:::data/a/b/c.parquet");
    assert_eq!(
        evaluate(std::slice::from_ref(&p), None, &deep),
        Decision::Allowed
    );
    assert!(evaluate(&[p], None, &get("arn:${AWS::Partition}:s3:::other/x")).is_denied());
}

#[test]
fn question_mark_matches_one_character() {
    let p = policy(json!([allow(
        "s3:GetObject",
        "arn:${AWS::Partition}:s3:::data/i?/*"
    )]));
    assert_eq!(
        evaluate(std::slice::from_ref(&p), None, &get(OBJECT)),
        Decision::Allowed
    );
    assert!(evaluate(&[p], None, &get("arn:${AWS::Partition}:s3:::data/inn/x")).is_denied());
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
#[test]
fn not_resource_matches_everything_but_the_listed() {
    let p = policy(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:${AWS::Partition}:s3:::secret/*"}]),
    );
    assert_eq!(
        evaluate(std::slice::from_ref(&p), None, &get(OBJECT)),
        Decision::Allowed
    );
    let secret = get("arn:${AWS::Partition}:s3:::secret/k");
    assert!(evaluate(&[p], None, &secret).is_denied());
}

// ------------------------------------------------------- condition operators
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

#[test]
fn string_equals() {
    let c = json!({"StringEquals": {"aws:SourceAccount": ["111", "222"]}});
    assert!(with_condition(c.clone(), &[("aws:SourceAccount", "222")]).is_allowed());
    assert!(with_condition(c, &[("aws:SourceAccount", "333")]).is_denied());
}

#[test]
fn string_not_equals() {
    let c = json!({"StringNotEquals": {"aws:SourceAccount": ["111", "222"]}});
    assert!(with_condition(c.clone(), &[("aws:SourceAccount", "333")]).is_allowed());
    assert!(with_condition(c, &[("aws:SourceAccount", "111")]).is_denied());
}

#[test]
fn string_equals_ignore_case() {
    let c = json!({"StringEqualsIgnoreCase": {"kms:ViaService": "S3.US-EAST-1.AMAZONAWS.COM"}});
    assert!(with_condition(c, &[("kms:ViaService", "s3.us-east-1.amazonaws.com")]).is_allowed());
}

#[test]
fn string_not_equals_ignore_case() {
    let c = json!({"StringNotEqualsIgnoreCase": {"kms:ViaService": "S3.US-EAST-1.AMAZONAWS.COM"}});
    assert!(
        with_condition(
            c.clone(),
            &[("kms:ViaService", "s3.us-east-1.amazonaws.com")]
        )
        .is_denied()
    );
    assert!(with_condition(c, &[("kms:ViaService", "sqs.us-east-1.amazonaws.com")]).is_allowed());
}

#[test]
fn negated_if_exists_is_true_for_a_missing_key() {
    let c = json!({"StringNotEqualsIfExists": {"aws:SourceAccount": "111"}});
    assert!(with_condition(c.clone(), &[]).is_allowed());
    assert!(with_condition(c, &[("aws:SourceAccount", "111")]).is_denied());
}

#[test]
fn role_arns_include_the_path() {
    let t = template(json!({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "worker", "Path": "/ml/"}}
    }));
    assert_eq!(
        Symbols::new(&t).arn("Role"),
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ml/worker"
    );
}

#[test]
fn string_like() {
    let c = json!({"StringLike": {"s3:prefix": ["assets/*", "home/?/"]}});
    assert!(with_condition(c.clone(), &[("s3:prefix", "assets/img/")]).is_allowed());
    assert!(with_condition(c.clone(), &[("s3:prefix", "home/a/")]).is_allowed());
    assert!(with_condition(c, &[("s3:prefix", "Assets/")]).is_denied());
}

#[test]
fn string_not_like() {
    let c = json!({"StringNotLike": {"s3:prefix": "private/*"}});
    assert!(with_condition(c.clone(), &[("s3:prefix", "public/")]).is_allowed());
    assert!(with_condition(c, &[("s3:prefix", "private/x")]).is_denied());
}

#[test]
fn arn_equals_and_arn_like() {
    let source = "arn:aws:cloudwatch:us-east-1:111:alarm:high-latency";
    let eq = json!({"ArnEquals": {"aws:SourceArn": source}});
    assert!(with_condition(eq, &[("aws:SourceArn", source)]).is_allowed());
    let like = json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:111:alarm:*"}});
    assert!(with_condition(like.clone(), &[("aws:SourceArn", source)]).is_allowed());
    let other = "arn:aws:cloudwatch:us-east-1:222:alarm:x";
    assert!(with_condition(like, &[("aws:SourceArn", other)]).is_denied());
}

#[test]
fn arn_not_equals_and_arn_not_like() {
    let source = "arn:aws:sns:us-east-1:111:alerts";
    let ne = json!({"ArnNotEquals": {"aws:SourceArn": source}});
    assert!(with_condition(ne.clone(), &[("aws:SourceArn", source)]).is_denied());
    assert!(with_condition(ne, &[("aws:SourceArn", "arn:aws:sns:us-east-1:111:b")]).is_allowed());
    let nl = json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111:*"}});
    assert!(with_condition(nl, &[("aws:SourceArn", source)]).is_denied());
}

#[test]
fn bool_operator() {
    let c = json!({"Bool": {"aws:SecureTransport": "true"}});
    assert!(with_condition(c.clone(), &[("aws:SecureTransport", "true")]).is_allowed());
    assert!(with_condition(c, &[("aws:SecureTransport", "false")]).is_denied());
    // A JSON boolean in the policy reads like the string.
    let c = json!({"Bool": {"aws:SecureTransport": true}});
    assert!(with_condition(c, &[("aws:SecureTransport", "true")]).is_allowed());
}

#[test]
fn null_operator_tests_presence() {
    let absent = json!({"Null": {"aws:SourceArn": "true"}});
    assert!(with_condition(absent.clone(), &[]).is_allowed());
    assert!(with_condition(absent, &[("aws:SourceArn", "arn:aws:sns:r:1:t")]).is_denied());
    let present = json!({"Null": {"aws:SourceArn": "false"}});
    assert!(
        with_condition(present.clone(), &[("aws:SourceArn", "arn:aws:sns:r:1:t")]).is_allowed()
    );
    assert!(with_condition(present, &[]).is_denied());
}

#[test]
fn numeric_operators() {
    let key = "s3:max-keys";
    let cases = [
        ("NumericEquals", "10", true),
        ("NumericNotEquals", "10", false),
        ("NumericLessThan", "11", true),
        ("NumericLessThanEquals", "10", true),
        ("NumericGreaterThan", "10", false),
        ("NumericGreaterThanEquals", "10", true),
    ];
    for (op, limit, expected) in cases {
        let d = with_condition(json!({ op: { key: limit } }), &[(key, "10")]);
        assert_eq!(d.is_allowed(), expected, "{op} {limit}");
    }
    // Not a number: no match.
    assert!(with_condition(json!({"NumericEquals": {key: "10"}}), &[(key, "ten")]).is_denied());
}

#[test]
fn several_operators_and_keys_must_all_hold() {
    // reference_policies_condition-logic-multiple-context-keys-or-values.html
    let c = json!({
        "StringEquals": {"aws:SourceAccount": "111"},
        "ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}
    });
    let both = [
        ("aws:SourceAccount", "111"),
        ("aws:SourceArn", "arn:aws:sns:r:111:t"),
    ];
    assert!(with_condition(c.clone(), &both).is_allowed());
    assert!(with_condition(c, &both[..1]).is_denied());
}

#[test]
fn condition_keys_are_case_insensitive() {
    let c = json!({"StringEquals": {"AWS:SourceAccount": "111"}});
    assert!(with_condition(c, &[("aws:sourceaccount", "111")]).is_allowed());
}

// reference_policies_condition-single-vs-multi-valued-context-keys.html
#[test]
fn for_any_value() {
    let c = json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "cost"]}});
    assert!(
        with_condition(c.clone(), &[("aws:TagKeys", "x"), ("aws:TagKeys", "team")]).is_allowed()
    );
    assert!(with_condition(c.clone(), &[("aws:TagKeys", "x")]).is_denied());
    // Absent key: false.
    assert!(with_condition(c, &[]).is_denied());
}

#[test]
fn for_all_values() {
    let c = json!({"ForAllValues:StringLike": {"aws:TagKeys": ["team", "cost*"]}});
    let ok = [("aws:TagKeys", "team"), ("aws:TagKeys", "cost-center")];
    assert!(with_condition(c.clone(), &ok).is_allowed());
    assert!(
        with_condition(c.clone(), &[("aws:TagKeys", "team"), ("aws:TagKeys", "x")]).is_denied()
    );
    // Absent key: true.
    assert!(with_condition(c, &[]).is_allowed());
}

#[test]
fn a_multivalued_key_without_a_set_operator_cannot_be_decided() {
    let c = json!({"StringEquals": {"aws:TagKeys": "team"}});
    let d = with_condition(c, &[("aws:TagKeys", "team"), ("aws:TagKeys", "x")]);
    assert!(d.is_undecided(), "{d}");
}

// ------------------------------------------------- missing keys and IfExists
// reference_policies_elements_condition_operators.html: an absent key makes
// the condition false, true for a negated operator; ...IfExists is true.

#[test]
fn a_missing_key_fails_a_positive_operator() {
    for op in [
        "StringEquals",
        "StringLike",
        "ArnLike",
        "ArnEquals",
        "Bool",
        "NumericEquals",
    ] {
        let d = with_condition(json!({ op: {"iam:PassedToService": "1"} }), &[]);
        assert!(d.is_denied(), "{op}: {d}");
    }
}

#[test]
fn a_missing_key_satisfies_a_negated_operator() {
    for op in [
        "StringNotEquals",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
        "NumericNotEquals",
    ] {
        let d = with_condition(json!({ op: {"iam:PassedToService": "1"} }), &[]);
        assert!(d.is_allowed(), "{op}: {d}");
    }
}

#[test]
fn if_exists_is_true_for_a_missing_key_and_normal_otherwise() {
    let c = json!({"StringEqualsIfExists": {"iam:PassedToService": "sagemaker.amazonaws.com"}});
    assert!(with_condition(c.clone(), &[]).is_allowed());
    assert!(
        with_condition(
            c.clone(),
            &[("iam:PassedToService", "sagemaker.amazonaws.com")]
        )
        .is_allowed()
    );
    assert!(with_condition(c, &[("iam:PassedToService", "ec2.amazonaws.com")]).is_denied());
}

// --------------------------------------------------------- cannot decide

#[test]
fn an_unknown_operator_cannot_decide_an_allow() {
    let d = with_condition(
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        &[("aws:SourceIp", "10.1.2.3")],
    );
    assert!(d.is_undecided(), "{d}");
    let d = with_condition(json!({"StringMadeUp": {"aws:SourceAccount": "1"}}), &[]);
    assert!(d.is_undecided(), "{d}");
}

#[test]
fn an_unknown_operator_in_a_deny_cannot_decide_an_allow() {
    let p = policy(json!([
        allow("s3:GetObject", "*"),
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}
    ]));
    assert!(evaluate(&[p], None, &get(OBJECT)).is_undecided());
}

#[test]
fn an_unresolvable_reference_cannot_decide() {
    let t = template(json!({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/*"}}]
        }}]}}
    }));
    let e = Evaluator::from_template(&t);
    let d = e.can(
        "Role",
        "s3:GetObject",
        "arn:${AWS::Partition}:s3:::anything/x",
        &ctx(&[]),
    );
    assert!(d.is_undecided(), "{d}");
    // ... unless even a wildcard in its place could not match.
    let d = e.can(
        "Role",
        "sqs:SendMessage",
        "arn:${AWS::Partition}:s3:::anything/x",
        &ctx(&[]),
    );
    assert!(d.is_denied(), "{d}");
    let d = e.can(
        "Role",
        "s3:GetObject",
        "arn:${AWS::Partition}:sqs:r:1:q",
        &ctx(&[]),
    );
    assert!(d.is_denied(), "{d}");
}

#[test]
fn a_star_resource_matches_whatever_the_template_leaves_open() {
    let t = template(json!({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
        }}]}}
    }));
    let d = Evaluator::from_template(&t).can(
        "Role",
        "s3:GetObject",
        "arn:aws:s3:::<Param>/x",
        &ctx(&[]),
    );
    assert_eq!(d, Decision::Allowed);
}

#[test]
fn an_aws_managed_policy_turns_an_implicit_deny_into_cannot_decide() {
    let t = template(json!({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]}}
    }));
    let d = Evaluator::from_template(&t).can("Role", "s3:GetObject", OBJECT, &ctx(&[]));
    assert!(d.is_undecided(), "{d}");
}

// ------------------------------------------------------- symbolic values

#[test]
fn symbols_resolve_refs_attributes_sub_and_join() {
    let t = template(json!({
        "Named": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-data"}}},
        "Unnamed": {"Type": "AWS::S3::Bucket"},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "worker"}},
        "Key": {"Type": "AWS::KMS::Key"},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        "Fn": {"Type": "AWS::Lambda::Function"}
    }));
    let s = Symbols::new(&t);
    assert_eq!(
        s.resolve(&json!({"Ref": "Named"})),
        "${AWS::StackName}-data"
    );
    assert_eq!(s.resolve(&json!({"Ref": "Unnamed"})), "${Unnamed}");
    assert_eq!(
        s.resolve(&json!({"Ref": "AWS::AccountId"})),
        "${AWS::AccountId}"
    );
    assert_eq!(
        s.resolve(&json!({"Fn::GetAtt": ["Unnamed", "Arn"]})),
        "arn:${AWS::Partition}:s3:::${Unnamed}"
    );
    assert_eq!(s.resolve(&json!({"Fn::GetAtt": "Role.Arn"})), ROLE);
    assert_eq!(
        s.resolve(&json!({"Fn::GetAtt": ["Key", "Arn"]})),
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}"
    );
    assert_eq!(
        s.resolve(&json!({"Ref": "Topic"})),
        "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:alerts"
    );
    assert_eq!(s.resolve(&json!({"Fn::GetAtt": ["Fn", "Arn"]})), "<Fn.Arn>");
    assert_eq!(s.resolve(&json!({"Ref": "Missing"})), "<Ref Missing>");
    assert_eq!(
        s.resolve(&json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Named"}, "/*"]]})),
        "arn:${AWS::Partition}:s3:::${AWS::StackName}-data/*"
    );
    assert_eq!(
        s.resolve(&json!({"Fn::Sub": ["${B}/${AWS::URLSuffix}", {"B": {"Ref": "Unnamed"}}]})),
        "${Unnamed}/${AWS::URLSuffix}"
    );
}

#[test]
fn policy_documents_may_be_json_strings() {
    let doc = json!({"Statement": [allow("s3:GetObject", "*")]}).to_string();
    let t = template(json!({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "worker", "Policies": [{"PolicyName": "p", "PolicyDocument": doc}]}}
    }));
    assert!(
        Evaluator::from_template(&t)
            .can("Role", "s3:GetObject", OBJECT, &ctx(&[]))
            .is_allowed()
    );
}

// ------------------------------------------------------------ templates

fn data_template() -> Template {
    template(json!({
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "read", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/data/*"}}]
        }}]}}
    }))
}

#[test]
fn a_sub_resource_allows_its_prefix_only() {
    let e = Evaluator::from_template(&data_template());
    let inside = "arn:${AWS::Partition}:s3:::${Bucket}/data/x.csv";
    let outside = "arn:${AWS::Partition}:s3:::${Bucket}/other/x";
    assert_eq!(
        e.can("Role", "s3:GetObject", inside, &ctx(&[])),
        Decision::Allowed
    );
    assert_eq!(
        e.can("Role", "s3:GetObject", outside, &ctx(&[])),
        Decision::Denied("implicit deny: no statement allows the request".into())
    );
}

#[test]
fn reading_objects_does_not_allow_listing_the_bucket() {
    let e = Evaluator::from_template(&data_template());
    let bucket = Symbols::new(&data_template()).arn("Bucket");
    let d = e.can(
        "Role",
        "s3:ListBucket",
        &bucket,
        &ctx(&[("s3:prefix", "assets/")]),
    );
    assert!(d.is_denied(), "{d}");
}

#[test]
fn attached_policies_count_as_identity_policies() {
    // AWS::IAM::Policy and AWS::IAM::ManagedPolicy attach by Roles; a role's
    // ManagedPolicyArns may name a managed policy of the template.
    let t = template(json!({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [{"Ref": "Managed"}]}},
        "Inline": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [allow("s3:GetObject", "*")]}}},
        "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [allow("s3:PutObject", "*")]}}},
        "ByRoles": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [allow("s3:DeleteObject", "*")]}}}
    }));
    let e = Evaluator::from_template(&t);
    for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
        assert!(
            e.can("Role", action, OBJECT, &ctx(&[])).is_allowed(),
            "{action}"
        );
    }
    assert!(
        e.can("Role", "s3:ListBucket", OBJECT, &ctx(&[]))
            .is_denied()
    );
    assert_eq!(e.identity_policies("Role").len(), 3);
}

// ------------------------------------------------------- KMS key policies
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html

fn key_template(key_policy: Option<Value>) -> Template {
    let mut key = json!({"Type": "AWS::KMS::Key", "Properties": {}});
    if let Some(doc) = key_policy {
        key["Properties"]["KeyPolicy"] = doc;
    }
    template(json!({
        "Key": key,
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "worker", "Policies": [{"PolicyName": "kms", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {"Fn::GetAtt": ["Key", "Arn"]}}]
        }}]}},
        "Other": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "other"}}
    }))
}

fn root_statement() -> Value {
    json!({"Sid": "Root", "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        "Action": "kms:*", "Resource": "*"})
}

#[test]
fn kms_root_statement_delegates_to_identity_policies() {
    let t = key_template(Some(json!({"Statement": [root_statement()]})));
    let e = Evaluator::from_template(&t);
    let key = Symbols::new(&t).arn("Key");
    assert_eq!(
        e.can("Role", "kms:Decrypt", &key, &ctx(&[])),
        Decision::Allowed
    );
    // The key policy alone does not let a role without an identity allow in.
    assert!(e.can("Other", "kms:Decrypt", &key, &ctx(&[])).is_denied());
}

#[test]
fn kms_without_root_delegation_needs_the_key_policy_to_name_the_principal() {
    let direct = json!({"Effect": "Allow",
        "Principal": {"AWS": {"Fn::GetAtt": ["Other", "Arn"]}},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"});
    let t = key_template(Some(json!({"Statement": [direct]})));
    let e = Evaluator::from_template(&t);
    let key = Symbols::new(&t).arn("Key");
    // The identity policy allows, but the key policy does not delegate.
    let d = e.can("Role", "kms:Decrypt", &key, &ctx(&[]));
    assert!(d.is_denied(), "{d}");
    // Named in the key policy: allowed without any identity policy.
    assert_eq!(
        e.can("Other", "kms:GenerateDataKey", &key, &ctx(&[])),
        Decision::Allowed
    );
}

#[test]
fn a_key_without_key_policy_gets_the_default_one() {
    let t = key_template(None);
    let key = Symbols::new(&t).arn("Key");
    assert!(
        Evaluator::from_template(&t)
            .can("Role", "kms:Decrypt", &key, &ctx(&[]))
            .is_allowed()
    );
}

#[test]
fn kms_via_service_condition() {
    let mut root = root_statement();
    root["Condition"] =
        json!({"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}});
    let t = key_template(Some(json!({"Statement": [root]})));
    let e = Evaluator::from_template(&t);
    let key = Symbols::new(&t).arn("Key");
    let via_s3 = ctx(&[("kms:ViaService", "s3.${AWS::Region}.amazonaws.com")]);
    assert!(e.can("Role", "kms:Decrypt", &key, &via_s3).is_allowed());
    assert!(e.can("Role", "kms:Decrypt", &key, &ctx(&[])).is_denied());
}

// --------------------------------------------------------- bucket policies
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html

fn tls_only_template() -> Template {
    template(json!({
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data"}},
        "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Bucket"},
            "PolicyDocument": {"Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "${Bucket.Arn}/*"}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
        }},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "worker", "Policies": [{"PolicyName": "p", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${Bucket.Arn}/*"}}]
        }}]}}
    }))
}

#[test]
fn bucket_tls_only_deny_spares_tls_requests() {
    let e = Evaluator::from_template(&tls_only_template());
    let tls = ctx(&[("aws:SecureTransport", "true")]);
    assert_eq!(
        e.can("Role", "s3:GetObject", OBJECT, &tls),
        Decision::Allowed
    );
}

#[test]
fn bucket_tls_only_deny_denies_plain_http() {
    let e = Evaluator::from_template(&tls_only_template());
    let plain = ctx(&[("aws:SecureTransport", "false")]);
    assert_eq!(
        e.can("Role", "s3:GetObject", OBJECT, &plain),
        Decision::Denied("explicit deny by resource policy statement `TlsOnly`".into())
    );
    // The deny covers the bucket itself too.
    let bucket = "arn:${AWS::Partition}:s3:::data";
    assert!(e.can("Role", "s3:ListBucket", bucket, &plain).is_denied());
}

#[test]
fn a_bucket_policy_governs_only_its_bucket() {
    let e = Evaluator::from_template(&tls_only_template());
    assert!(e.resource_policy(OBJECT).is_some());
    assert!(
        e.resource_policy("arn:${AWS::Partition}:s3:::data")
            .is_some()
    );
    assert!(
        e.resource_policy("arn:${AWS::Partition}:s3:::database/x")
            .is_none()
    );
}

// ---------------------------------------------------------- topic policies
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html

#[test]
fn topic_policy_allows_a_service_principal() {
    let t = template(json!({
        "Topic": {"Type": "AWS::SNS::Topic"},
        "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "Topic"}],
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish", "Resource": {"Ref": "Topic"},
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}
        }}
    }));
    let e = Evaluator::from_template(&t);
    let topic = Symbols::new(&t).resolve(&json!({"Ref": "Topic"}));
    let from = |service: &str| Request::new(service, "sns:Publish", topic.as_str());
    let mine = from("cloudwatch.amazonaws.com").with("aws:SourceAccount", "${AWS::AccountId}");
    assert_eq!(e.evaluate(&mine), Decision::Allowed);
    let foreign = from("cloudwatch.amazonaws.com").with("aws:SourceAccount", "999");
    assert!(e.evaluate(&foreign).is_denied());
    let other = from("events.amazonaws.com").with("aws:SourceAccount", "${AWS::AccountId}");
    assert!(e.evaluate(&other).is_denied());
}

// ------------------------------------------------------------- PassRole

#[test]
fn pass_role_limited_to_a_service() {
    let t = template(json!({
        "Exec": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "exec"}},
        "Pipeline": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "pass", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": {"Fn::GetAtt": ["Exec", "Arn"]},
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}]
        }}]}}
    }));
    let e = Evaluator::from_template(&t);
    let exec = e.role_arn("Exec").unwrap().to_string();
    let to = |service: &str| ctx(&[("iam:PassedToService", service)]);
    assert!(
        e.can(
            "Pipeline",
            "iam:PassRole",
            &exec,
            &to("sagemaker.amazonaws.com")
        )
        .is_allowed()
    );
    assert!(
        e.can(
            "Pipeline",
            "iam:PassRole",
            &exec,
            &to("lambda.amazonaws.com")
        )
        .is_denied()
    );
}

#[test]
fn cloudwatch_namespace_condition() {
    let c = json!({"StringEquals": {"cloudwatch:namespace": "MLPlatform"}});
    let mut statement = allow("cloudwatch:PutMetricData", "*");
    statement["Condition"] = c;
    let p = policy(json!([statement]));
    let req = |ns: &str| {
        Request::new(ROLE, "cloudwatch:PutMetricData", "*").with("cloudwatch:namespace", ns)
    };
    assert!(evaluate(std::slice::from_ref(&p), None, &req("MLPlatform")).is_allowed());
    assert!(evaluate(&[p], None, &req("Other")).is_denied());
}

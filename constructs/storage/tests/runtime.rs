//! The run-time contract of the storage grants, asked of the IAM policy
//! evaluator of `mlcdk-checks` (the one behind RT-001..RT-012) and of the
//! rule pack: what a grantee can really do, not only what the template says.

use std::collections::BTreeMap;

use mlcdk_checks::policy::{Evaluator, Symbols};
use mlcdk_checks::{Options, check};
use mlcdk_core::iam::{Principal, Role, RoleProps};
use mlcdk_core::{Stack, Template};
use mlcdk_storage::*;
use serde_json::Value;

fn role(stack: &mut Stack) -> Role {
    Role::new(
        stack,
        "Worker",
        RoleProps::assumed_by(Principal::service("glue.amazonaws.com")),
    )
}

fn logical_id(t: &Template, ty: &str) -> String {
    // The stack's access-log bucket, made by default buckets, aside.
    let ids: Vec<&String> = t
        .resources_of_type(ty)
        .map(|(id, _)| id)
        .filter(|id| !id.starts_with(mlcdk_storage::STACK_LOG_BUCKET_ID))
        .collect();
    assert_eq!(ids.len(), 1, "one {ty} expected: {ids:?}");
    ids[0].clone()
}

/// Whether the template's only role may make the call.
fn allowed(t: &Template, action: &str, resource: &str, context: &[(&str, &str)]) -> bool {
    let role = logical_id(t, "AWS::IAM::Role");
    let context: BTreeMap<String, Vec<String>> = context
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
    let decision = Evaluator::from_template(t).can(&role, action, resource, &context);
    assert!(
        !decision.is_undecided(),
        "{action} on {resource}: {decision}"
    );
    decision.is_allowed()
}

fn findings(t: &Template, rule: &str) -> Vec<String> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.message)
        .collect()
}

/// Every statement of the role's policies that lists `action`.
fn statements_with(t: &Template, action: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, r) in t.resources_of_type("AWS::IAM::Role") {
        for p in r
            .prop(&["Policies"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for s in p["PolicyDocument"]["Statement"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let names = match &s["Action"] {
                    Value::String(a) => vec![a.clone()],
                    Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect(),
                    _ => vec![],
                };
                if names.iter().any(|a| a == action) {
                    out.push(s.clone());
                }
            }
        }
    }
    out
}

/// Finding 16 / A-X1 of the run-time review: `s3:GetBucketLocation` sat in
/// the statement conditioned on `s3:prefix`, a key only list requests carry,
/// so it was never allowed. It now has its own statement, and the grantee can
/// locate the bucket while listing stays scoped to the prefix.
#[test]
fn a_prefix_read_can_locate_the_bucket_and_lists_only_its_prefix() {
    let mut stack = Stack::for_test();
    let b = Bucket::new(&mut stack, "Data", BucketProps::default());
    let r = role(&mut stack);
    b.prefix("events/").grant_read(&r);
    let t = stack.synth().unwrap().template;

    let located = statements_with(&t, "s3:GetBucketLocation");
    assert_eq!(located.len(), 1, "{located:?}");
    assert!(located[0].get("Condition").is_none(), "{:?}", located[0]);

    let bucket = Symbols::new(&t).arn(&logical_id(&t, "AWS::S3::Bucket"));
    assert!(allowed(&t, "s3:GetBucketLocation", &bucket, &[]));
    assert!(allowed(
        &t,
        "s3:ListBucket",
        &bucket,
        &[("s3:prefix", "events/2024/")]
    ));
    assert!(!allowed(
        &t,
        "s3:ListBucket",
        &bucket,
        &[("s3:prefix", "other/")]
    ));
    assert!(allowed(
        &t,
        "s3:GetObject",
        &format!("{bucket}/events/a.csv"),
        &[]
    ));
    // RT-010 (conditions on keys the action never sends) is clean.
    assert_eq!(findings(&t, "RT-010"), Vec::<String>::new());
}

/// Finding 14 / A8: Spark writing `s3://<bucket>/features/` through a Hadoop
/// file system probes the key `features` (a 403 instead of a 404 fails the
/// job) and may put `features_$folder$`; both are outside `features/*`.
#[test]
fn hadoop_writes_reach_the_prefix_key_and_its_folder_marker() {
    let mut stack = Stack::for_test();
    let b = Bucket::new(
        &mut stack,
        "Curated",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            ..Default::default()
        },
    );
    let r = role(&mut stack);
    let out = b.prefix("features/");
    out.grant_read_write(&r);
    out.grant_hadoop_write(&r);
    let t = stack.synth().unwrap().template;
    let bucket = Symbols::new(&t).arn(&logical_id(&t, "AWS::S3::Bucket"));

    for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
        assert!(
            allowed(&t, action, &format!("{bucket}/features"), &[]),
            "{action}"
        );
        assert!(
            allowed(&t, action, &format!("{bucket}/features_$folder$"), &[]),
            "{action}"
        );
    }
    assert!(allowed(
        &t,
        "s3:PutObject",
        &format!("{bucket}/features/part-0.parquet"),
        &[]
    ));
    assert!(allowed(
        &t,
        "s3:ListBucket",
        &bucket,
        &[("s3:prefix", "features")]
    ));
    assert!(allowed(
        &t,
        "s3:ListBucket",
        &bucket,
        &[("s3:prefix", "features/")]
    ));
    // Nothing beyond the prefix and its markers.
    assert!(!allowed(
        &t,
        "s3:GetObject",
        &format!("{bucket}/featuresX"),
        &[]
    ));
    assert!(!allowed(
        &t,
        "s3:PutObject",
        &format!("{bucket}/raw/x"),
        &[]
    ));
    assert!(!allowed(
        &t,
        "s3:ListBucket",
        &bucket,
        &[("s3:prefix", "raw/")]
    ));
    assert_eq!(findings(&t, "RT-010"), Vec::<String>::new());
}

#[test]
fn hadoop_grants_on_the_whole_bucket_add_nothing() {
    let policies = |hadoop: bool| {
        let mut stack = Stack::for_test();
        let b = Bucket::new(&mut stack, "Curated", BucketProps::default());
        let r = role(&mut stack);
        b.root().grant_read_write(&r);
        if hadoop {
            b.root().grant_hadoop_write(&r);
        }
        let t = stack.synth().unwrap().template;
        t.resources_of_type("AWS::IAM::Role")
            .map(|(_, r)| r.prop(&["Policies"]).cloned())
            .collect::<Vec<_>>()
    };
    assert_eq!(policies(true), policies(false));
}

/// Finding 3 / A7: a job with a volume key needs `kms:CreateGrant`, which the
/// grant gives only for requests an AWS service makes for the grantee; RT-010
/// does not call the condition dead (`kms:CreateGrant` sends the key).
#[test]
fn volume_encryption_lets_aws_services_create_grants_only() {
    let mut stack = Stack::for_test();
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    let r = role(&mut stack);
    key.grant_volume_encryption(&r);
    let t = stack.synth().unwrap().template;
    let arn = Symbols::new(&t).arn(&logical_id(&t, "AWS::KMS::Key"));
    assert!(allowed(
        &t,
        "kms:CreateGrant",
        &arn,
        &[("kms:GrantIsForAWSResource", "true")]
    ));
    assert!(!allowed(
        &t,
        "kms:CreateGrant",
        &arn,
        &[("kms:GrantIsForAWSResource", "false")]
    ));
    assert!(!allowed(&t, "kms:Decrypt", &arn, &[]));
    assert_eq!(findings(&t, "RT-010"), Vec::<String>::new());
}

/// A bucket with the default props passes every resource rule of the pack, the
/// access-logging and versioning rules included; so does the stack's log
/// bucket it brings.
#[test]
fn default_buckets_pass_the_rule_pack() {
    let mut stack = Stack::for_test();
    Bucket::new(&mut stack, "A", BucketProps::default());
    Bucket::new(&mut stack, "B", BucketProps::default());
    let t = stack.synth().unwrap().template;
    // Stack-level findings (a missing budget) are not the buckets'.
    let active: Vec<String> = check(&t, &Options::default())
        .active()
        .filter(|f| t.resources.contains_key(&f.logical_id))
        .map(|f| format!("{} {} {}", f.rule, f.logical_id, f.message))
        .collect();
    assert!(active.is_empty(), "{active:#?}");
}

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::iam::{Principal, Role, RoleProps};
use mlcdk_core::{Construct, DeletionPolicy, Stack, StageKind};
use mlcdk_storage::*;
use serde_json::json;

fn role(stack: &mut Stack) -> Role {
    Role::new(
        stack,
        "Reader",
        RoleProps::assumed_by(Principal::service("glue.amazonaws.com")),
    )
}

#[test]
fn defaults_are_safe() {
    let mut stack = Stack::for_test();
    let b = Bucket::new(&mut stack, "Data", BucketProps::default());
    assert_eq!(b.resource().logical_id(), "Data666C94C7");
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::KMS::Key", 0);
    t.has_resource(
        "AWS::S3::Bucket",
        json!({"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {"Rules": [{"Id": "abort-incomplete-uploads", "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}
        }}),
    );
    t.has_resource_properties(
        "AWS::S3::Bucket",
        Match::object_like(json!({
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": "AccessLogs8B620ECA"}, "LogFilePrefix": "Data/"}
        })),
    );
    t.has_resource_properties(
        "AWS::S3::Bucket",
        Match::object([
            ("VersioningConfiguration", Match::any_value()),
            ("LoggingConfiguration", Match::any_value()),
            ("BucketName", Match::absent()),
        ]),
    );
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({"Bucket": {"Ref": "Data666C94C7"}, "PolicyDocument": {"Statement": [{
            "Effect": "Deny", "Action": "s3:*", "Principal": {"AWS": "*"},
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Resource": [{"Fn::GetAtt": ["Data666C94C7", "Arn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": ["Data666C94C7", "Arn"]}, "/*"]]}]
        }]}}),
    );
}

#[test]
fn kms_with_a_created_key_and_grants_scoped_to_a_prefix() {
    let mut stack = Stack::for_test();
    let b = Bucket::new(
        &mut stack,
        "Data",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            versioned: true,
            ..Default::default()
        },
    );
    let r = role(&mut stack);
    b.prefix("events/").grant_read(&r);
    b.prefix("out/").grant_write(&r);
    assert_eq!(
        b.prefix("events/").uri().to_json(),
        json!({"Fn::Join": ["", ["s3://", {"Ref": "Data666C94C7"}, "/events/"]]})
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::KMS::Key", 1);
    t.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"VersioningConfiguration": {"Status": "Enabled"},
               "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"BucketKeyEnabled": true,
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey5F086070", "Arn"]}}}]}}),
    );
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({"Policies": [{"PolicyDocument": {"Statement": [
            {"Action": "s3:ListBucket",
             "Resource": {"Fn::GetAtt": ["Data666C94C7", "Arn"]},
             "Condition": {"StringLike": {"s3:prefix": ["events/*"]}}},
            {"Action": "s3:GetBucketLocation",
             "Resource": {"Fn::GetAtt": ["Data666C94C7", "Arn"]}},
            {"Action": "s3:GetObject",
             "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Data666C94C7", "Arn"]}, "/events/*"]]}},
            {"Action": "kms:Decrypt", "Resource": {"Fn::GetAtt": ["DataKey5F086070", "Arn"]}},
            {"Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
             "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Data666C94C7", "Arn"]}, "/out/*"]]}},
            {"Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]}
        ]}}]}),
    );
}

#[test]
fn lifecycle_rules_and_access_logs() {
    let mut stack = Stack::for_test();
    let logs = Bucket::new(
        &mut stack,
        "Logs",
        BucketProps {
            versioned: false,
            access_logs: AccessLogging::Disabled {
                reason: "the log bucket".into(),
            },
            ..Default::default()
        },
    );
    Bucket::new(
        &mut stack,
        "Data",
        BucketProps {
            bucket_name: Some("acme-ml-raw-data".into()),
            versioned: true,
            abort_incomplete_uploads_days: None,
            lifecycle_rules: vec![
                LifecycleRule {
                    id: "archive".into(),
                    prefix: Some("raw/".into()),
                    transitions: vec![(StorageClass::StandardIa, 30), (StorageClass::Glacier, 90)],
                    expiration_days: Some(365),
                    noncurrent_expiration_days: Some(30),
                    ..Default::default()
                },
                LifecycleRule::tiering("tiering", None, 0),
            ],
            access_logs: AccessLogging::To(AccessLogs {
                bucket: logs,
                prefix: "data/".into(),
            }),
            ..Default::default()
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"BucketName": "acme-ml-raw-data",
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs6819BB44"}, "LogFilePrefix": "data/"},
            "LifecycleConfiguration": {"Rules": [
                {"Id": "archive", "Prefix": "raw/", "Status": "Enabled", "ExpirationInDays": 365,
                 "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                 "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                                 {"StorageClass": "GLACIER", "TransitionInDays": 90}]},
                {"Id": "tiering", "Status": "Enabled",
                 "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}]}
            ]}}),
    );
    // The log bucket's one policy admits the logging service for the source bucket.
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({"Bucket": {"Ref": "Logs6819BB44"}, "PolicyDocument": {"Statement": [
            {"Effect": "Deny"},
            {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
             "Condition": {"ArnLike": {"aws:SourceArn": {"Fn::GetAtt": ["Data666C94C7", "Arn"]}}}}
        ]}}),
    );
    t.resource_count_is("AWS::S3::BucketPolicy", 2);
}

#[test]
fn bad_names_are_rejected_with_the_rule() {
    for (name, why) in [
        ("ab", "3 to 63 characters"),
        ("Upper-Case", "lower-case letters"),
        ("-dash", "beginning and ending"),
        ("a..b", "two adjacent periods"),
        ("192.168.1.1", "IP address"),
        ("xn--bucket", "prefix 'xn--' is reserved"),
        ("bucket-s3alias", "suffix '-s3alias' is reserved"),
        (&"a".repeat(64), "3 to 63 characters"),
    ] {
        let e = check_bucket_name(name).unwrap_err();
        assert!(e.contains(why), "{name}: {e}");
        assert!(
            e.starts_with(&format!("bucket name '{name}' is invalid")),
            "{e}"
        );
    }
    for ok in ["abc", "my.bucket-1", &"a".repeat(63)] {
        assert!(check_bucket_name(ok).is_ok(), "{ok}");
    }
    let mut stack = Stack::for_test();
    Bucket::new(
        &mut stack,
        "Bad",
        BucketProps {
            bucket_name: Some("Bad_Name".into()),
            ..Default::default()
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Bad] bucket name 'Bad_Name' is invalid"),
        "{errors}"
    );
}

#[test]
fn lifecycle_and_removal_validations() {
    let mut stack = Stack::for_stage(StageKind::Production);
    Bucket::new(
        &mut stack,
        "Data",
        BucketProps {
            removal_policy: Some(DeletionPolicy::Delete),
            versioned: false,
            abort_incomplete_uploads_days: Some(0),
            lifecycle_rules: vec![
                LifecycleRule {
                    id: "empty".into(),
                    ..Default::default()
                },
                LifecycleRule {
                    id: "early".into(),
                    transitions: vec![(StorageClass::StandardIa, 10)],
                    expiration_days: Some(5),
                    noncurrent_expiration_days: Some(3),
                    ..Default::default()
                },
                LifecycleRule::expire("early", None, 0),
            ],
            ..Default::default()
        },
    );
    let errors = stack.synth().unwrap_err();
    for expected in [
        "[test-production/Data] removal policy Delete is not allowed in production",
        "abort_incomplete_uploads_days must be at least 1",
        "lifecycle rule 'empty' has no action",
        "transition to STANDARD_IA after 10 days is too early: S3 requires at least 30 days",
        "expiration after 5 days must come after the transition to STANDARD_IA (10 days)",
        "lifecycle rule 'early' expires noncurrent versions, but the bucket is not versioned",
        "lifecycle rule id 'early' is used twice",
        "lifecycle rule 'early': expiration_days must be at least 1",
    ] {
        assert!(
            errors.mentions(expected),
            "missing {expected:?} in {errors}"
        );
    }
}

#[test]
fn a_given_key_is_shared() {
    let mut stack = Stack::for_test();
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    let a = Bucket::new(
        &mut stack,
        "A",
        BucketProps {
            encryption: BucketEncryption::kms(&key),
            ..Default::default()
        },
    );
    Bucket::new(
        &mut stack,
        "B",
        BucketProps {
            encryption: BucketEncryption::kms(key),
            ..Default::default()
        },
    );
    assert!(a.key().is_some());
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::KMS::Key", 1);
    assert_eq!(
        t.find_resources("AWS::S3::Bucket", json!({"BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"KMSMasterKeyID": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}}}]}})).len(),
        2
    );
}

#[test]
fn default_buckets_share_one_stack_log_bucket_exempted_with_reasons() {
    let mut stack = Stack::for_test();
    let a = Bucket::new(&mut stack, "A", BucketProps::default());
    Bucket::new(&mut stack, "B", BucketProps::default());
    assert_eq!(a.node_path().to_string(), "A");
    assert_eq!(a.physical_name(), None);
    assert!(a.encryption_key().is_none());
    let logs = stack
        .resource_at("AccessLogs/Resource")
        .expect("the stack's log bucket");
    let t = stack.synth().unwrap().template;
    let buckets: Vec<&String> = t
        .resources_of_type("AWS::S3::Bucket")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(buckets.len(), 3, "{buckets:?}");
    let t = TemplateAssert::new(t);
    for prefix in ["A/", "B/"] {
        t.has_resource_properties(
            "AWS::S3::Bucket",
            Match::object_like(json!({"LoggingConfiguration": {
                "DestinationBucketName": {"Ref": logs.logical_id()}, "LogFilePrefix": prefix}})),
        );
    }
    t.has_resource(
        "AWS::S3::Bucket",
        Match::object_like(json!({
            "Metadata": {"checkov": {"skip": [
                {"id": "CKV_AWS_18", "comment": "the access-log bucket itself: logging it into itself would loop"},
                {"id": "CKV_AWS_21"}
            ]}},
            "Properties": {"LifecycleConfiguration": {"Rules": [
                {"Id": "abort-incomplete-uploads"},
                {"Id": "expire-logs", "ExpirationInDays": 90}
            ]}}
        })),
    );
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({"Bucket": {"Ref": logs.logical_id()}, "PolicyDocument": {"Statement": [
            {"Effect": "Deny"},
            {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
             "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}
        ]}}),
    );
}

#[test]
fn access_log_targets_are_checked() {
    let mut stack = Stack::for_test();
    let kms_logs = Bucket::new(
        &mut stack,
        "KmsLogs",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            access_logs: AccessLogging::Disabled {
                reason: "a log bucket".into(),
            },
            ..Default::default()
        },
    );
    Bucket::new(
        &mut stack,
        "Data",
        BucketProps {
            access_logs: AccessLogging::To(AccessLogs {
                bucket: kms_logs,
                prefix: "data/".into(),
            }),
            ..Default::default()
        },
    );
    Bucket::new(
        &mut stack,
        "NoReason",
        BucketProps {
            access_logs: AccessLogging::Disabled { reason: " ".into() },
            ..Default::default()
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions(
            "[test-staging/Data] access_logs: the target bucket KmsLogs is encrypted with SSE-KMS"
        ),
        "{errors}"
    );
    assert!(
        errors.mentions("[test-staging/NoReason] access_logs: Disabled needs a reason"),
        "{errors}"
    );
}

#[test]
fn the_stack_log_bucket_id_is_reserved() {
    let mut stack = Stack::for_test();
    KmsKey::new(&mut stack, "AccessLogs", KmsKeyProps::default());
    Bucket::new(&mut stack, "Data", BucketProps::default());
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Data] access_logs: the construct id 'AccessLogs' at the stack root is reserved"),
        "{errors}"
    );
}

#[test]
fn grants_are_returned_and_write_does_not_read() {
    let mut stack = Stack::for_test();
    let b = Bucket::new(
        &mut stack,
        "Data",
        BucketProps {
            bucket_name: Some("acme-data".into()),
            encryption: BucketEncryption::Kms(None),
            ..Default::default()
        },
    );
    assert_eq!(b.physical_name(), Some("acme-data"));
    assert!(b.encryption_key().is_some());
    let r = role(&mut stack);
    let write = b.grant_write(&r);
    assert!(
        !write.actions().contains(&"s3:GetObject".to_string()),
        "{:?}",
        write.actions()
    );
    assert!(write.actions().contains(&"s3:PutObject".to_string()));
    let read = b.prefix("in/").grant_read(&r);
    assert_eq!(
        read.actions(),
        [
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "kms:Decrypt"
        ]
    );
    let both = b.grant_read_write(&r);
    assert!(both.actions().contains(&"s3:GetObject".to_string()));
    assert!(both.actions().contains(&"s3:PutObject".to_string()));
    assert!(b.root().grant_hadoop_write(&r).statements().is_empty());
    assert_eq!(
        b.prefix("out/").grant_hadoop_write(&r).statements().len(),
        3
    );
    assert!(stack.synth().is_ok());
}

#[test]
fn a_bucket_encrypted_with_an_imported_key_grants_its_use() {
    let mut stack = Stack::for_test();
    let arn = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let shared = Bucket::new(
        &mut stack,
        "Shared",
        BucketProps {
            encryption: BucketEncryption::kms(KeyRef::from_arn(arn)),
            ..Default::default()
        },
    );
    // Not a key of the stack: nothing to add to a key policy here.
    assert!(shared.key().is_none());
    assert_eq!(
        shared.encryption_key().map(|k| k.arn()),
        Some(mlcdk_core::Expr::lit(arn))
    );
    let role = Role::new(
        &mut stack,
        "Reader",
        RoleProps::assumed_by(Principal::service("glue.amazonaws.com")),
    );
    let read = shared.prefix("in/").grant_read(&role);
    assert!(
        read.actions().contains(&"kms:Decrypt".to_string()),
        "{read:?}"
    );
    let write = shared.prefix("out/").grant_write(&role);
    assert!(
        write.actions().contains(&"kms:GenerateDataKey".to_string()),
        "{write:?}"
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::KMS::Key", 0);
    t.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{"BucketKeyEnabled": true,
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}}]}}),
    );
    // The role's inline policy holds what was granted.
    let statements: Vec<serde_json::Value> = t
        .template()
        .resources_of_type("AWS::IAM::Role")
        .flat_map(|(_, r)| {
            r.properties["Policies"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert!(
        statements
            .iter()
            .any(|s| s["Resource"] == json!(arn) && s["Action"].to_string().contains("kms:Decrypt")),
        "{statements:#?}"
    );
}

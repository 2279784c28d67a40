//! The ETL constructs: defaults, options, and every validation with bad input.

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::{DeletionPolicy, Stack, StageKind};
use mlcdk_etl::*;
use mlcdk_storage::*;
use serde_json::json;

const SCRIPT: &str = "tests/fixtures/job.py";

fn buckets(stack: &mut Stack) -> (Bucket, Bucket) {
    let raw = Bucket::new(stack, "Raw", BucketProps::default());
    let curated = Bucket::new(
        stack,
        "Curated",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            ..Default::default()
        },
    );
    (raw, curated)
}

#[test]
fn database_defaults_and_validation() {
    let mut stack = Stack::for_test();
    let db = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
    assert_eq!(db.name_literal(), "test_staging_lake");
    GlueDatabase::new(
        &mut stack,
        "Bad",
        GlueDatabaseProps {
            name: Some("Bad-Name".into()),
            ..Default::default()
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(errors.mentions("[test-staging/Bad] database name 'Bad-Name' is invalid: use 1 to 255 lower-case letters, digits and '_'"), "{errors}");

    let mut stack = Stack::for_test();
    GlueDatabase::new(
        &mut stack,
        "Lake",
        GlueDatabaseProps {
            description: Some("events".into()),
            ..Default::default()
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource(
        "AWS::Glue::Database",
        json!({"DeletionPolicy": "Retain", "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseInput": {"Name": "test_staging_lake", "Description": "events"}}}),
    );

    let mut prod = Stack::for_stage(StageKind::Production);
    GlueDatabase::new(
        &mut prod,
        "Lake",
        GlueDatabaseProps {
            removal_policy: Some(DeletionPolicy::Delete),
            ..Default::default()
        },
    );
    assert!(
        prod.synth()
            .unwrap_err()
            .mentions("removal policy Delete is not allowed in production")
    );
}

#[test]
fn crawler_role_security_and_schedule() {
    let mut stack = Stack::for_test();
    let (raw, _) = buckets(&mut stack);
    let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
    let c = Crawler::new(
        &mut stack,
        "Crawl",
        CrawlerProps::s3(&lake, raw.path("events/")).schedule("0 3 * * ? *"),
    );
    assert_eq!(c.name().to_json(), json!({"Ref": "CrawlD1C0914D"}));
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::Glue::Crawler",
        json!({
            "Name": "test-staging-Crawl",
            "DatabaseName": {"Ref": "Lake5F1B88EA"},
            "Targets": {"S3Targets": [{"Path": {"Fn::Join": ["", ["s3://", {"Ref": "Raw72517081"}, "/events/"]]}}]},
            "Schedule": {"ScheduleExpression": "cron(0 3 * * ? *)"},
            "CrawlerSecurityConfiguration": "test-staging-Crawl",
            "SchemaChangePolicy": {"DeleteBehavior": "LOG"}
        }),
    );
    t.has_resource_properties(
        "AWS::Glue::SecurityConfiguration",
        json!({"Name": "test-staging-Crawl", "EncryptionConfiguration": {
            "S3Encryptions": [{"S3EncryptionMode": "SSE-S3"}],
            "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS"},
            "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS"}}}),
    );
    // A key was created for the crawler's logs.
    t.resource_count_is("AWS::KMS::Key", 2);
    t.has_resource_properties(
        "AWS::IAM::Role",
        Match::object([(
            "Policies",
            Match::array_with([Match::object([(
                "PolicyDocument",
                Match::object([(
                    "Statement",
                    Match::array_with([Match::object_like(json!({
                        "Action": ["glue:CreateTable", "glue:UpdateTable", "glue:CreatePartition",
                                   "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition"]
                    }))]),
                )]),
            )])]),
        )]),
    );
}

#[test]
fn crawler_validations() {
    let mut stack = Stack::for_test();
    let (raw, _) = buckets(&mut stack);
    let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
    Crawler::new(
        &mut stack,
        "BadCron",
        CrawlerProps::s3(&lake, raw.root()).schedule("0 3 * * *"),
    );
    Crawler::new(
        &mut stack,
        "NoTargets",
        CrawlerProps {
            targets: vec![],
            ..CrawlerProps::s3(&lake, raw.root())
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(errors.mentions("[test-staging/BadCron] schedule: cron expression '0 3 * * *' has 5 fields; AWS cron takes 6"), "{errors}");
    assert!(errors.mentions("[test-staging/NoTargets] crawler has no targets"));
}

#[test]
fn pyspark_job_defaults() {
    let mut stack = Stack::for_test();
    let (raw, curated) = buckets(&mut stack);
    GlueJob::new(
        &mut stack,
        "Etl",
        GlueJobProps::pyspark(SCRIPT)
            .reads(&raw)
            .writes(curated.path("out/"))
            .argument("--output", curated.path("out/").uri()),
    );
    let s = stack.synth().unwrap();
    assert_eq!(s.assets.len(), 1);
    let key = &s.assets[0].key;
    let t = TemplateAssert::new(s.template);
    t.has_resource_properties(
        "AWS::Glue::Job",
        json!({
            "Command": {"Name": "glueetl",
                "ScriptLocation": {"Fn::Sub": format!("s3://mlcdk-assets-${{AWS::AccountId}}-${{AWS::Region}}/{key}")}},
            "GlueVersion": "4.0", "WorkerType": "G.1X", "NumberOfWorkers": 2,
            "Timeout": 60, "MaxRetries": 0, "ExecutionProperty": {"MaxConcurrentRuns": 1},
            "SecurityConfiguration": "test-staging-Etl",
            "DefaultArguments": {
                "--job-bookmark-option": "job-bookmark-enable",
                "--enable-metrics": "true",
                "--enable-continuous-cloudwatch-log": "true",
                "--TempDir": {"Fn::Join": ["", ["s3://", {"Ref": "CuratedF137945A"}, "/glue-temp/"]]},
                "--output": {"Fn::Join": ["", ["s3://", {"Ref": "CuratedF137945A"}, "/out/"]]}
            }
        }),
    );
    // The curated bucket's key encrypts what the job writes.
    t.has_resource_properties(
        "AWS::Glue::SecurityConfiguration",
        json!({"EncryptionConfiguration": {"S3Encryptions": [{"S3EncryptionMode": "SSE-KMS",
            "KmsKeyArn": {"Fn::GetAtt": ["CuratedKey65011560", "Arn"]}}]}}),
    );
}

#[test]
fn python_shell_job() {
    let mut stack = Stack::for_test();
    let (raw, _) = buckets(&mut stack);
    GlueJob::new(
        &mut stack,
        "Small",
        GlueJobProps {
            kind: JobKind::PythonShell(PythonShellCapacity::One),
            script: Script::S3(raw.path("scripts/small.py")),
            ..GlueJobProps::python_shell(SCRIPT)
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::Glue::Job",
        json!({"Command": {"Name": "pythonshell", "PythonVersion": "3.9"}, "GlueVersion": "3.0", "MaxCapacity": 1.0}),
    );
    t.has_resource_properties(
        "AWS::Glue::Job",
        Match::object([
            ("WorkerType", Match::absent()),
            ("NumberOfWorkers", Match::absent()),
        ]),
    );
}

#[test]
fn job_validations() {
    let mut stack = Stack::for_test();
    let (raw, curated) = buckets(&mut stack);
    let cases: Vec<(&str, GlueJobProps, &str)> = vec![
        (
            "One",
            GlueJobProps::pyspark(SCRIPT).workers(WorkerType::G1X, 1),
            "1 G.1X workers is out of range: a PySpark job takes 2 to 299 workers of this type",
        ),
        (
            "Many",
            GlueJobProps::pyspark(SCRIPT).workers(WorkerType::G8X, 38),
            "38 G.8X workers is out of range: a PySpark job takes 2 to 37",
        ),
        (
            "Stream",
            GlueJobProps::pyspark(SCRIPT).workers(WorkerType::G025X, 2),
            "worker type G.025X is for streaming jobs only",
        ),
        (
            "Old",
            GlueJobProps {
                glue_version: Some("3.0".into()),
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "glue_version '3.0' is not supported: PySpark jobs use Glue 4.0 or newer",
        ),
        (
            "Junk",
            GlueJobProps {
                glue_version: Some("four".into()),
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "glue_version 'four' is not supported",
        ),
        (
            "Long",
            GlueJobProps::pyspark(SCRIPT).timeout_minutes(3000),
            "timeout_minutes 3000 is out of range: 1 to 2880",
        ),
        (
            "Zero",
            GlueJobProps::pyspark(SCRIPT).timeout_minutes(0),
            "timeout_minutes 0 is out of range",
        ),
        (
            "Retry",
            GlueJobProps {
                max_retries: 11,
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "max_retries 11 is out of range: 0 to 10",
        ),
        (
            "Conc",
            GlueJobProps {
                max_concurrent_runs: 0,
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "max_concurrent_runs must be at least 1",
        ),
        (
            "Arg",
            GlueJobProps::pyspark(SCRIPT).argument("output", "x"),
            "argument 'output' must be named '--something'",
        ),
        (
            "Own",
            GlueJobProps::pyspark(SCRIPT).argument("--TempDir", "x"),
            "argument '--TempDir' is set by mlcdk",
        ),
        (
            "Shell",
            GlueJobProps {
                bookmarks: true,
                glue_version: Some("4.0".into()),
                ..GlueJobProps::python_shell(SCRIPT)
            },
            "glue_version '4.0' is not supported for Python shell jobs",
        ),
        (
            "Mixed",
            GlueJobProps::pyspark(SCRIPT).writes(&raw).writes(&curated),
            "the job writes to buckets with different encryption",
        ),
        (
            "Missing",
            GlueJobProps::pyspark("tests/fixtures/missing.py"),
            "asset file 'tests/fixtures/missing.py' cannot be read",
        ),
    ];
    let expected: Vec<(String, String)> = cases
        .iter()
        .map(|(id, _, why)| (format!("[test-staging/{id}]"), why.to_string()))
        .collect();
    for (id, props, _) in cases {
        GlueJob::new(&mut stack, id, props);
    }
    let errors = stack.synth().unwrap_err();
    for (path, why) in expected {
        assert!(
            errors.mentions(&format!("{path} {why}")),
            "missing {path} {why} in\n{errors}"
        );
    }
    assert!(errors.mentions("[test-staging/Shell] job bookmarks are for PySpark jobs"));
}

#[test]
fn athena_workgroup() {
    let mut stack = Stack::for_test();
    let (raw, curated) = buckets(&mut stack);
    AthenaWorkGroup::new(
        &mut stack,
        "Plain",
        AthenaWorkGroupProps::new(raw.path("results/")),
    );
    AthenaWorkGroup::new(
        &mut stack,
        "Secure",
        AthenaWorkGroupProps::new(curated.path("results/")),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::Athena::WorkGroup",
        json!({"Name": "test-staging-Plain", "State": "ENABLED", "WorkGroupConfiguration": {
            "EnforceWorkGroupConfiguration": true,
            "PublishCloudWatchMetricsEnabled": true,
            "BytesScannedCutoffPerQuery": 10737418240_u64,
            "ResultConfiguration": {
                "OutputLocation": {"Fn::Join": ["", ["s3://", {"Ref": "Raw72517081"}, "/results/"]]},
                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}}}}),
    );
    t.has_resource_properties(
        "AWS::Athena::WorkGroup",
        json!({"Name": "test-staging-Secure", "WorkGroupConfiguration": {"ResultConfiguration": {
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS",
                "KmsKey": {"Fn::GetAtt": ["CuratedKey65011560", "Arn"]}}}}}),
    );

    let mut stack = Stack::for_test();
    let (raw, _) = buckets(&mut stack);
    AthenaWorkGroup::new(
        &mut stack,
        "Bad",
        AthenaWorkGroupProps {
            bytes_scanned_cutoff: 1000,
            name: Some("bad name!".into()),
            ..AthenaWorkGroupProps::new(raw.root())
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(errors.mentions("[test-staging/Bad] bytes_scanned_cutoff 1000 is below Athena's minimum of 10000000 bytes"), "{errors}");
    assert!(errors.mentions("workgroup name 'bad name!' is invalid"));
}

fn churn_features() -> FeatureGroupProps {
    FeatureGroupProps::new(
        "customer_id",
        "event_time",
        [
            ("customer_id", FeatureType::String),
            ("event_time", FeatureType::String),
            ("spend", FeatureType::Fractional),
        ],
    )
}

#[test]
fn feature_group_offline_and_online() {
    let mut stack = Stack::for_test();
    let (_, curated) = buckets(&mut stack);
    let key = KmsKey::new(&mut stack, "OnlineKey", KmsKeyProps::default());
    FeatureGroup::new(
        &mut stack,
        "Customers",
        FeatureGroupProps {
            online_store: true,
            key: Some(key),
            ..churn_features().offline_store(curated.path("fs/"))
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource(
        "AWS::SageMaker::FeatureGroup",
        json!({"DeletionPolicy": "Retain", "Properties": {
            "FeatureGroupName": "test-staging-Customers",
            "RecordIdentifierFeatureName": "customer_id",
            "EventTimeFeatureName": "event_time",
            "FeatureDefinitions": [
                {"FeatureName": "customer_id", "FeatureType": "String"},
                {"FeatureName": "event_time", "FeatureType": "String"},
                {"FeatureName": "spend", "FeatureType": "Fractional"}],
            "OfflineStoreConfig": {"DisableGlueTableCreation": false, "S3StorageConfig": {
                "S3Uri": {"Fn::Join": ["", ["s3://", {"Ref": "CuratedF137945A"}, "/fs/"]]},
                "KmsKeyId": {"Fn::GetAtt": ["CuratedKey65011560", "Arn"]}}},
            "OnlineStoreConfig": {"EnableOnlineStore": true,
                "SecurityConfig": {"KmsKeyId": {"Fn::GetAtt": ["OnlineKey65021B06", "Arn"]}}},
            "RoleArn": {"Fn::GetAtt": ["CustomersRoleD266391B", "Arn"]}
        }}),
    );
}

#[test]
fn feature_group_validations() {
    let mut stack = Stack::for_test();
    FeatureGroup::new(
        &mut stack,
        "Bad",
        FeatureGroupProps {
            name: Some("-bad-".into()),
            online_store: true,
            ..FeatureGroupProps::new(
                "id",
                "ts",
                [
                    ("id", FeatureType::Fractional),
                    ("ts", FeatureType::Integral),
                    ("write_time", FeatureType::String),
                    ("x y", FeatureType::String),
                    ("id", FeatureType::Fractional),
                ],
            )
        },
    );
    FeatureGroup::new(
        &mut stack,
        "Missing",
        FeatureGroupProps::new("nope", "never", [("a", FeatureType::String)]),
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Bad] feature group name '-bad-' is invalid",
        "record_identifier 'id' is Fractional; record identifiers are String or Integral",
        "event_time 'ts' is Integral; event times are String (ISO-8601) or Fractional",
        "feature name 'write_time' is reserved",
        "feature name 'x y' is invalid",
        "feature 'id' is defined twice",
        "[test-staging/Missing] record_identifier 'nope' is not among the features",
        "[test-staging/Missing] event_time 'never' is not among the features",
        "[test-staging/Missing] the feature group has no store",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

//! The ETL constructs: defaults, options, and every validation with bad input.

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::iam::{Principal, Role, RoleProps};
use mlcdk_core::schedule::{RateUnit, Schedule};
use mlcdk_core::{Construct, DeletionPolicy, PhysicallyNamed, Stack, StageKind};
use mlcdk_etl::*;
use mlcdk_storage::*;
use serde_json::json;

const SCRIPT: &str = "tests/fixtures/job.py";

fn spark(worker_type: WorkerType, workers: u32) -> GlueJobProps {
    GlueJobProps {
        kind: GlueJobKind::PySpark {
            worker_type,
            workers,
        },
        ..GlueJobProps::pyspark(SCRIPT)
    }
}

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
    assert_eq!(db.physical_name(), "test_staging_lake");
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
        CrawlerProps {
            schedule: Some(Schedule::daily(3)),
            ..CrawlerProps::new(&lake, [raw.prefix("events/")])
        },
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
        CrawlerProps {
            schedule: Some(Schedule::Cron("0 3 * * *".into())),
            ..CrawlerProps::new(&lake, [raw.root()])
        },
    );
    Crawler::new(
        &mut stack,
        "Rate",
        CrawlerProps {
            schedule: Some(Schedule::Rate(6, RateUnit::Hours)),
            ..CrawlerProps::new(&lake, [raw.root()])
        },
    );
    Crawler::new(
        &mut stack,
        "NoTargets",
        CrawlerProps {
            targets: vec![],
            ..CrawlerProps::new(&lake, [raw.root()])
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(errors.mentions("[test-staging/BadCron] schedule: cron expression '0 3 * * *' has 5 fields; AWS cron takes 6"), "{errors}");
    assert!(errors.mentions("[test-staging/NoTargets] crawler has no targets"));
    assert!(
        errors.mentions(
            "[test-staging/Rate] schedule rate(6 hours): Glue schedules are cron expressions only"
        ),
        "{errors}"
    );
}

#[test]
fn pyspark_job_defaults() {
    let mut stack = Stack::for_test();
    let (raw, curated) = buckets(&mut stack);
    GlueJob::new(
        &mut stack,
        "Etl",
        GlueJobProps {
            reads: vec![raw.root()],
            writes: vec![curated.prefix("out/")],
            arguments: [("--output".to_string(), curated.prefix("out/").uri())].into(),
            ..GlueJobProps::pyspark(SCRIPT)
        },
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
            kind: GlueJobKind::PythonShell {
                capacity: PythonShellCapacity::One,
            },
            script: Script::S3(raw.prefix("scripts/small.py")),
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
            spark(WorkerType::G1X, 1),
            "1 G.1X workers is out of range: a PySpark job takes 2 to 299 workers of this type",
        ),
        (
            "Many",
            spark(WorkerType::G8X, 38),
            "38 G.8X workers is out of range: a PySpark job takes 2 to 37",
        ),
        (
            "Stream",
            spark(WorkerType::G025X, 2),
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
            GlueJobProps {
                timeout_minutes: 3000,
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "timeout_minutes 3000 is out of range: 1 to 2880",
        ),
        (
            "Zero",
            GlueJobProps {
                timeout_minutes: 0,
                ..GlueJobProps::pyspark(SCRIPT)
            },
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
            GlueJobProps {
                arguments: [("output".to_string(), "x".into())].into(),
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "argument 'output' must be named '--something'",
        ),
        (
            "Own",
            GlueJobProps {
                arguments: [("--TempDir".to_string(), "x".into())].into(),
                ..GlueJobProps::pyspark(SCRIPT)
            },
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
            GlueJobProps {
                writes: vec![raw.root(), curated.root()],
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "the job writes to buckets with different encryption",
        ),
        (
            "RateJob",
            GlueJobProps {
                schedule: Some(Schedule::Rate(1, RateUnit::Days)),
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "schedule rate(1 day): Glue schedules are cron expressions only",
        ),
        (
            "BadCron",
            GlueJobProps {
                schedule: Some(Schedule::Cron("0 3 * * *".into())),
                ..GlueJobProps::pyspark(SCRIPT)
            },
            "schedule: cron expression '0 3 * * *' has 5 fields",
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
        AthenaWorkGroupProps::new(raw.prefix("results/")),
    );
    AthenaWorkGroup::new(
        &mut stack,
        "Secure",
        AthenaWorkGroupProps::new(curated.prefix("results/")),
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
            encryption_key: Some(key.into()),
            offline_store: Some(curated.prefix("fs/")),
            ..churn_features()
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

#[test]
fn a_scheduled_job_gets_a_scheduled_trigger_and_handles_are_complete() {
    let mut stack = Stack::for_test();
    let (raw, curated) = buckets(&mut stack);
    let job = GlueJob::new(
        &mut stack,
        "Nightly",
        GlueJobProps {
            writes: vec![curated.prefix("out/")],
            schedule: Some(Schedule::daily(2)),
            ..GlueJobProps::pyspark(SCRIPT)
        },
    );
    // The job is a grantee: a grant lands in its role's policy.
    let grant = raw.prefix("in/").grant_read(&job);
    assert!(grant.actions().contains(&"s3:GetObject".to_string()));
    assert_eq!(job.physical_name(), "test-staging-Nightly");
    assert_eq!(job.node_path().to_string(), "Nightly");
    assert_eq!(
        job.name().to_json(),
        json!({"Ref": job.resource().logical_id()})
    );
    assert!(
        job.arn()
            .to_json()
            .to_string()
            .contains(job.resource().logical_id())
    );
    assert_eq!(
        job.security_configuration().resource_type(),
        "AWS::Glue::SecurityConfiguration"
    );
    assert!(
        job.encryption_key().key().is_some(),
        "a key created for the job"
    );
    let trigger = job.trigger().expect("a trigger").clone();
    let job_id = job.resource().logical_id().to_string();
    let role_policy = job.role().policy();
    assert!(
        role_policy.to_json().to_cfn().to_string().contains("/in/*"),
        "the grant reached the job's role"
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::Glue::Trigger", 1);
    t.has_resource_properties(
        "AWS::Glue::Trigger",
        json!({"Type": "SCHEDULED", "Schedule": "cron(0 2 * * ? *)", "StartOnCreation": true,
               "Actions": [{"JobName": {"Ref": job_id}}]}),
    );
    assert_eq!(trigger.resource_type(), "AWS::Glue::Trigger");

    // Without a schedule there is no trigger.
    let mut stack = Stack::for_test();
    let job = GlueJob::new(&mut stack, "OnDemand", GlueJobProps::python_shell(SCRIPT));
    assert!(job.trigger().is_none());
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::Glue::Trigger", 0);
}

#[test]
fn a_python_shell_job_keeps_its_capacity() {
    // The kind carries the capacity; Spark workers cannot be written for a
    // Python shell job, and the template has none.
    let mut stack = Stack::for_test();
    GlueJob::new(&mut stack, "Small", GlueJobProps::python_shell(SCRIPT));
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::Glue::Job",
        Match::object([
            ("MaxCapacity", Match::exact(json!(0.0625))),
            ("WorkerType", Match::absent()),
            ("NumberOfWorkers", Match::absent()),
        ]),
    );
}

#[test]
fn database_and_crawler_grants_and_handles() {
    let mut stack = Stack::for_test();
    let (raw, _) = buckets(&mut stack);
    let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
    let crawler = Crawler::new(&mut stack, "Crawl", CrawlerProps::new(&lake, [raw.root()]));
    let role = Role::new(
        &mut stack,
        "Reader",
        RoleProps::assumed_by(Principal::service("glue.amazonaws.com")),
    );
    let write = lake.grant_write(&role);
    assert!(
        !write.actions().iter().any(|a| a.starts_with("glue:Get")),
        "{:?}",
        write.actions()
    );
    let read = lake.grant_read(&role);
    assert!(
        read.actions()
            .iter()
            .all(|a| a.starts_with("glue:Get") || a == "glue:BatchGetPartition")
    );
    let both = lake.grant_read_write(&role);
    assert_eq!(
        both.actions().len(),
        read.actions().len() + write.actions().len()
    );
    // The ARN carries the database's reference.
    assert!(
        lake.arn()
            .to_json()
            .to_string()
            .contains(lake.resource().logical_id())
    );
    assert_eq!(lake.node_path().to_string(), "Lake");
    // A crawler is a grantee too.
    raw.grant_read(&crawler);
    assert_eq!(crawler.physical_name(), "test-staging-Crawl");
    assert_eq!(crawler.resource().resource_type(), "AWS::Glue::Crawler");
    assert_eq!(
        crawler.security_configuration().resource_type(),
        "AWS::Glue::SecurityConfiguration"
    );
    assert!(
        crawler
            .arn()
            .to_json()
            .to_string()
            .contains(crawler.resource().logical_id())
    );
    assert!(stack.synth().is_ok());
}

#[test]
fn a_shared_key_serves_jobs_and_crawlers() {
    let mut stack = Stack::for_test();
    let (raw, _) = buckets(&mut stack);
    let key = KmsKey::new(&mut stack, "EtlKey", KmsKeyProps::default());
    let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
    Crawler::new(
        &mut stack,
        "Crawl",
        CrawlerProps {
            encryption_key: Some((&key).into()),
            ..CrawlerProps::new(&lake, [raw.root()])
        },
    );
    GlueJob::new(
        &mut stack,
        "Job",
        GlueJobProps {
            encryption_key: Some((&key).into()),
            ..GlueJobProps::python_shell(SCRIPT)
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    // No key made for either; the shared one admits CloudWatch Logs.
    t.resource_count_is("AWS::KMS::Key", 2);
    t.has_resource_properties(
        "AWS::Glue::SecurityConfiguration",
        json!({"EncryptionConfiguration": {"CloudWatchEncryption": {
            "KmsKeyArn": {"Fn::GetAtt": [key.resource().logical_id(), "Arn"]}}}}),
    );
}

#[test]
fn feature_group_grants_and_owned_names() {
    let mut stack = Stack::for_test();
    let (_, curated) = buckets(&mut stack);
    // Names read at run time (a stage file) are owned strings.
    let names: Vec<String> = vec!["customer_id".into(), "event_time".into()];
    let group = FeatureGroup::new(
        &mut stack,
        "Customers",
        FeatureGroupProps {
            offline_store: Some(curated.prefix("fs/")),
            online_store: true,
            ..FeatureGroupProps::new(
                names[0].clone(),
                names[1].clone(),
                names.iter().map(|n| (n.clone(), FeatureType::String)),
            )
        },
    );
    assert_eq!(group.physical_name(), "test-staging-Customers");
    assert!(group.role().is_some());
    assert!(group.offline_store().is_some());
    assert_eq!(
        group.resource().resource_type(),
        "AWS::SageMaker::FeatureGroup"
    );
    let reader = Role::new(
        &mut stack,
        "Reader",
        RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com")),
    );
    let read = group.grant_read(&reader);
    for action in [
        "sagemaker:DescribeFeatureGroup",
        "sagemaker:GetRecord",
        "s3:GetObject",
        "glue:GetTable",
        "kms:Decrypt",
    ] {
        assert!(
            read.actions().contains(&action.to_string()),
            "{action}: {:?}",
            read.actions()
        );
    }
    assert!(!read.actions().contains(&"sagemaker:PutRecord".to_string()));
    let write = group.grant_write(&reader);
    assert!(write.actions().contains(&"sagemaker:PutRecord".to_string()));
    assert!(!write.actions().contains(&"sagemaker:GetRecord".to_string()));
    assert!(stack.synth().is_ok());
}

//! RT-008 on small templates: Glue jobs and feature groups' offline stores
//! trip when their role cannot make the calls the service makes with it, and
//! pass once granted.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Map, Value, json};

const GLUE_DOC: &str = "https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html";
const FEATURE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-feature-store.html";
const KEY: &str = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}";

/// A bucket `Out`, a key `Key` whose policy delegates to the account, a role
/// `Role` named `etl-role` with `statements`, and `extra` resources.
fn template(statements: Value, extra: Value) -> Template {
    let mut resources: Map<String, Value> = json!({
        "Out": {"Type": "AWS::S3::Bucket"},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": "kms:*", "Resource": "*"}]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "etl-role",
            "AssumeRolePolicyDocument": {},
            "Policies": [{"PolicyName": "run", "PolicyDocument": {"Statement": statements}}]}}
    })
    .as_object()
    .unwrap()
    .clone();
    resources.extend(extra.as_object().unwrap().clone());
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

fn s3(key: &str) -> Value {
    json!({"Fn::Join": ["", ["s3://", {"Ref": "Out"}, key]]})
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action,
        "Resource": {"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::${{Out}}{resource}")}})
}

fn messages(t: &Template, rule: &str) -> Vec<(String, String)> {
    check(t, &Options::default()).of_rule(rule)
}

fn glue_job(role: Value) -> Value {
    json!({"Job": {"Type": "AWS::Glue::Job", "Properties": {
        "Role": role,
        "Command": {"Name": "glueetl", "ScriptLocation": s3("/scripts/curate.py")},
        "DefaultArguments": {"--TempDir": s3("/tmp")}}}})
}

#[test]
fn rt_008_glue_job_reads_its_script_and_writes_its_temp_dir() {
    // The role named by its RoleName, as Glue allows.
    let t = template(json!([]), glue_job(json!("etl-role")));
    assert_eq!(
        messages(&t, "RT-008"),
        [
            (
                "Job".to_string(),
                format!(
                    "role Role cannot s3:GetObject on arn:${{AWS::Partition}}:s3:::${{Out}}/scripts/curate.py: the Glue job reads s3://${{Out}}/scripts/curate.py; grant it (see {GLUE_DOC})"
                )
            ),
            (
                "Job".to_string(),
                format!(
                    "role Role cannot s3:PutObject on arn:${{AWS::Partition}}:s3:::${{Out}}/tmp/object: the Glue job writes to s3://${{Out}}/tmp; grant it (see {GLUE_DOC})"
                )
            ),
        ]
    );
    assert!(check(&t, &Options::default()).has_errors());
}

#[test]
fn rt_008_glue_job_passes_once_granted_whether_named_by_arn_or_name() {
    let grants = json!([
        allow("s3:GetObject", "/scripts/*"),
        allow("s3:PutObject", "/tmp/*")
    ]);
    for role in [
        json!("etl-role"),
        json!({"Ref": "Role"}),
        json!({"Fn::GetAtt": ["Role", "Arn"]}),
    ] {
        let t = template(grants.clone(), glue_job(role.clone()));
        assert_eq!(messages(&t, "RT-008"), [], "{role}");
    }
    // Only the script is granted: the temporary directory still trips.
    let t = template(
        json!([allow("s3:GetObject", "/scripts/*")]),
        glue_job(json!({"Fn::GetAtt": ["Role", "Arn"]})),
    );
    assert_eq!(messages(&t, "RT-008").len(), 1);
}

#[test]
fn rt_008_glue_job_of_a_role_outside_the_template_is_not_judged() {
    let t = template(json!([]), glue_job(json!("someone-elses-role")));
    assert_eq!(messages(&t, "RT-008"), []);
}

fn feature_group(key: bool) -> Value {
    let mut storage = json!({"S3Uri": s3("/features")});
    if key {
        storage["KmsKeyId"] = json!({"Fn::GetAtt": ["Key", "Arn"]});
    }
    json!({"Features": {"Type": "AWS::SageMaker::FeatureGroup", "Properties": {
        "FeatureGroupName": "customers",
        "RecordIdentifierFeatureName": "id", "EventTimeFeatureName": "ts",
        "FeatureDefinitions": [],
        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
        "OfflineStoreConfig": {"S3StorageConfig": storage}}}})
}

#[test]
fn rt_008_offline_store_needs_the_minimum_policy_and_its_key() {
    let t = template(json!([]), feature_group(true));
    let what = "the offline store writes to s3://${Out}/features";
    let objects = "arn:${AWS::Partition}:s3:::${Out}/features/object";
    assert_eq!(
        messages(&t, "RT-008"),
        [
            format!(
                "role Role cannot s3:PutObject on {objects}: {what}; grant it (see {FEATURE_DOC})"
            ),
            format!(
                "role Role cannot s3:PutObjectAcl on {objects}: {what}; grant it (see {FEATURE_DOC})"
            ),
            format!(
                "role Role cannot s3:GetBucketAcl on arn:${{AWS::Partition}}:s3:::${{Out}}: {what}; grant it (see {FEATURE_DOC})"
            ),
            format!(
                "role Role cannot kms:GenerateDataKey on {KEY}: the offline store encrypts what it writes to S3 with this key; grant it (see {FEATURE_DOC})"
            ),
        ]
        .map(|m| ("Features".to_string(), m))
    );
}

#[test]
fn rt_008_offline_store_passes_once_granted() {
    let statements = json!([
        allow("s3:PutObject", "/features/*"),
        allow("s3:PutObjectAcl", "/features/*"),
        allow("s3:GetBucketAcl", ""),
        {"Effect": "Allow", "Action": "kms:GenerateDataKey",
            "Resource": {"Fn::GetAtt": ["Key", "Arn"]}}
    ]);
    let t = template(statements.clone(), feature_group(true));
    assert_eq!(messages(&t, "RT-008"), []);
    // Without a key, no KMS call is made.
    let t = template(
        json!([statements[0], statements[1], statements[2]]),
        feature_group(false),
    );
    assert_eq!(messages(&t, "RT-008"), []);
}

const SNS_DOC: &str = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services";

/// A topic `Alerts` encrypted with key `AlertsKey` (whose policy has
/// `key_statements` besides the account's), published to by CloudWatch and
/// EventBridge through its topic policy.
fn encrypted_topic(key_statements: Value) -> Template {
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        "Action": "kms:*", "Resource": "*"})];
    statements.extend(key_statements.as_array().unwrap().clone());
    template(
        json!([]),
        json!({
            "AlertsKey": {"Type": "AWS::KMS::Key", "Properties": {
                "KeyPolicy": {"Statement": statements}}},
            "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {
                "KmsMasterKeyId": {"Fn::GetAtt": ["AlertsKey", "Arn"]}}},
            "AlertsPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
                "Topics": [{"Ref": "Alerts"}],
                "PolicyDocument": {"Statement": [{
                    "Effect": "Allow", "Action": "sns:Publish",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Resource": {"Ref": "Alerts"}}]}}}
        }),
    )
}

#[test]
fn rt_008_services_publishing_to_an_encrypted_topic_need_the_key_policy() {
    // Delegating to IAM does not help a service principal: it has no
    // identity policies in the account.
    let t = encrypted_topic(json!([]));
    let key = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${AlertsKey}";
    let expected: Vec<(String, String)> = [
        ("cloudwatch.amazonaws.com", "kms:GenerateDataKey"),
        ("cloudwatch.amazonaws.com", "kms:Decrypt"),
        ("events.amazonaws.com", "kms:GenerateDataKey"),
        ("events.amazonaws.com", "kms:Decrypt"),
    ]
    .iter()
    .map(|(service, action)| {
        (
            "Alerts".to_string(),
            format!(
                "the key policy does not let service {service} {action} on {key}: {service} publishes to topic Alerts, which is encrypted with key AlertsKey; allow it in the key policy (see {SNS_DOC})"
            ),
        )
    })
    .collect();
    assert_eq!(messages(&t, "RT-008"), expected);
}

#[test]
fn rt_008_encrypted_topic_passes_once_the_key_policy_allows_its_publishers() {
    let t = encrypted_topic(json!([{
        "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"}]));
    assert_eq!(messages(&t, "RT-008"), []);
    // Only CloudWatch is allowed: EventBridge still trips, twice.
    let t = encrypted_topic(json!([{
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"}]));
    let hits = messages(&t, "RT-008");
    assert_eq!(hits.len(), 2);
    assert!(
        hits.iter()
            .all(|(_, m)| m.contains("service events.amazonaws.com"))
    );
}

#[test]
fn rt_008_a_topic_with_the_aws_managed_key_is_not_judged() {
    let t = template(
        json!([]),
        json!({
            "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}},
            "AlertsPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
                "Topics": [{"Ref": "Alerts"}],
                "PolicyDocument": {"Statement": [{
                    "Effect": "Allow", "Action": "sns:Publish",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Resource": {"Ref": "Alerts"}}]}}}
        }),
    );
    assert_eq!(messages(&t, "RT-008"), []);
}

const CRAWLER_DOC: &str = "https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html";

fn crawler() -> Value {
    json!({"Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "DatabaseName": "lake",
        "Targets": {"S3Targets": [{"Path": s3("/events/")}, {"Path": s3("/clicks")}]}}}})
}

/// What a crawler does in the catalog, granted.
fn catalog() -> Value {
    let arn =
        |r: &str| format!("arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:{r}");
    json!({"Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:BatchCreatePartition"],
        "Resource": [{"Fn::Sub": arn("catalog")}, {"Fn::Sub": arn("database/lake")}, {"Fn::Sub": arn("table/lake/*")}]})
}

#[test]
fn rt_008_crawler_reads_the_objects_of_its_s3_targets() {
    let t = template(
        json!([allow("s3:GetObject", "/events/*"), catalog()]),
        crawler(),
    );
    assert_eq!(
        messages(&t, "RT-008"),
        [(
            "Crawler".to_string(),
            format!(
                "role Role cannot s3:GetObject on arn:${{AWS::Partition}}:s3:::${{Out}}/clicks/object: the crawler reads s3://${{Out}}/clicks; grant it (see {CRAWLER_DOC})"
            )
        )]
    );
}

#[test]
fn rt_008_crawler_passes_once_granted() {
    let t = template(
        json!([
            allow("s3:GetObject", "/events/*"),
            allow("s3:GetObject", "/clicks/*"),
            catalog()
        ]),
        crawler(),
    );
    assert_eq!(messages(&t, "RT-008"), []);
}

const EVENTBRIDGE_DOC: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/pipeline-eventbridge.html";
const PIPELINE: &str =
    "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/training";

fn retrain_rule() -> Value {
    json!({"Retrain": {"Type": "AWS::Events::Rule", "Properties": {
        "ScheduleExpression": "rate(7 days)",
        "Targets": [{"Id": "Pipeline", "Arn": {"Fn::Sub": PIPELINE},
            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}]}}})
}

#[test]
fn rt_008_eventbridge_role_must_start_the_pipeline() {
    let t = template(json!([]), retrain_rule());
    assert_eq!(
        messages(&t, "RT-008"),
        [(
            "Retrain".to_string(),
            format!(
                "role Role cannot sagemaker:StartPipelineExecution on {PIPELINE}: EventBridge starts the pipeline of target Pipeline with this role; grant it (see {EVENTBRIDGE_DOC})"
            )
        )]
    );
}

#[test]
fn rt_008_eventbridge_role_passes_once_granted() {
    let t = template(
        json!([{"Effect": "Allow", "Action": "sagemaker:StartPipelineExecution",
            "Resource": {"Fn::Sub": PIPELINE}}]),
        retrain_rule(),
    );
    assert_eq!(messages(&t, "RT-008"), []);
    // Another pipeline's grant does not do.
    let t = template(
        json!([{"Effect": "Allow", "Action": "sagemaker:StartPipelineExecution",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/other"}}]),
        retrain_rule(),
    );
    assert_eq!(messages(&t, "RT-008").len(), 1);
}

#[test]
fn rt_002_reports_rt_008_calls_that_cannot_be_decided() {
    // The grant names a bucket known only at deploy time.
    let t = Template::from_json_str(
        &json!({
            "Parameters": {"Scripts": {"Type": "String"}},
            "Resources": {
                "Out": {"Type": "AWS::S3::Bucket"},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {
                    "AssumeRolePolicyDocument": {},
                    "Policies": [{"PolicyName": "run", "PolicyDocument": {"Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Scripts}/*"}}]}}]}},
                "Job": {"Type": "AWS::Glue::Job", "Properties": {
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Command": {"Name": "glueetl", "ScriptLocation": s3("/scripts/curate.py")}}}
            }
        })
        .to_string(),
    )
    .unwrap();
    assert_eq!(messages(&t, "RT-008"), []);
    let undecided = messages(&t, "RT-002");
    assert_eq!(undecided.len(), 1, "{undecided:?}");
    assert!(undecided[0].1.starts_with(
        "cannot tell whether role Role may s3:GetObject on arn:${AWS::Partition}:s3:::${Out}/scripts/curate.py (the Glue job reads s3://${Out}/scripts/curate.py): "
    ), "{undecided:?}");
}

/// A job and a crawler with a security configuration that encrypts S3 data,
/// bookmarks and logs with `Key`.
fn secured() -> Value {
    let mut extra = glue_job(json!("etl-role"));
    let job = extra["Job"]["Properties"].as_object_mut().unwrap();
    job.insert("SecurityConfiguration".into(), json!({"Ref": "Security"}));
    let extra = extra.as_object_mut().unwrap();
    extra.insert(
        "Security".into(),
        json!({"Type": "AWS::Glue::SecurityConfiguration", "Properties": {
            "Name": "etl-security",
            "EncryptionConfiguration": {
                "S3Encryptions": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": {"Fn::GetAtt": ["Key", "Arn"]}}],
                "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": {"Fn::GetAtt": ["Key", "Arn"]}},
                "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS", "KmsKeyArn": {"Fn::GetAtt": ["Key", "Arn"]}}}}}),
    );
    extra.insert(
        "Crawler".into(),
        json!({"Type": "AWS::Glue::Crawler", "Properties": {
            "Role": "etl-role",
            "CrawlerSecurityConfiguration": "etl-security",
            "DatabaseName": "lake",
            "Targets": {"S3Targets": []}}}),
    );
    Value::Object(extra.clone())
}

#[test]
fn rt_008_security_configuration_keys_need_kms_and_log_association() {
    let data = json!([
        allow("s3:GetObject", "/*"),
        allow("s3:PutObject", "/*"),
        catalog()
    ]);
    let found = messages(&template(data.clone(), secured()), "RT-008");
    let texts: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(found.len(), 6, "{texts:#?}");
    assert!(texts.iter().any(|m| m.starts_with(&format!(
        "role Role cannot kms:GenerateDataKey on {KEY}: the Glue job encrypts the S3 data it writes with this key (security configuration)"
    ))), "{texts:#?}");
    assert!(texts.iter().any(|m| m.starts_with("role Role cannot logs:AssociateKmsKey on arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws-glue/crawlers: the crawler encrypts its logs")), "{texts:#?}");
    assert!(
        texts.iter().all(|m| m.contains("set-up-encryption.html")),
        "{texts:#?}"
    );
    // A crawler (by a literal name) only associates logs; the job also uses
    // the key for data and bookmarks.
    let by_resource = |id: &str| found.iter().filter(|(r, _)| r == id).count();
    assert_eq!((by_resource("Job"), by_resource("Crawler")), (5, 1));

    let mut granted = data.as_array().unwrap().clone();
    granted.push(
        json!({"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": {"Fn::GetAtt": ["Key", "Arn"]}}),
    );
    granted.push(json!({"Effect": "Allow", "Action": "logs:AssociateKmsKey",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws-glue/*"}}));
    let found = messages(&template(json!(granted), secured()), "RT-008");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn rt_008_a_crawler_writes_tables_into_its_database() {
    let crawler = json!({"Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {
        "Role": "etl-role", "DatabaseName": "lake", "Targets": {"S3Targets": []}}}});
    let found = messages(&template(json!([]), crawler.clone()), "RT-008");
    assert_eq!(found.len(), 6, "{found:#?}");
    assert!(found[0].1.starts_with("role Role cannot glue:GetDatabase on arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog: the crawler reads its database lake"), "{found:#?}");
    assert!(found[5].1.starts_with("role Role cannot glue:BatchCreatePartition on arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/lake/table"), "{found:#?}");
    assert!(messages(&template(json!([catalog()]), crawler), "RT-008").is_empty());
}

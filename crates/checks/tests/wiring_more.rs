//! RT-009 (resources named by a literal are created first) and RT-010
//! (conditions use keys the action sends).

use mlcdk_checks::{Options, Severity, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

fn template(resources: Value) -> Template {
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

/// `(logical id, message)` of each finding of `rule`.
fn findings(rule: &str, resources: Value) -> Vec<(String, String)> {
    check(&template(resources), &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.logical_id, f.message))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// A Glue job naming its security configuration and role by `sec` and
/// `role`, with `depends_on`.
fn glue(sec: Value, role: Value, depends_on: &[&str]) -> Value {
    json!({
        "Sec": {"Type": "AWS::Glue::SecurityConfiguration", "Properties": {
            "Name": "churn-staging-etl-sec", "EncryptionConfiguration": {}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "churn-staging-etl", "AssumeRolePolicyDocument": {}}},
        "Job": {"Type": "AWS::Glue::Job", "DependsOn": depends_on, "Properties": {
            "Name": "churn-staging-etl", "SecurityConfiguration": sec, "Role": role,
            "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"},
            "Description": "runs as churn-staging-etl with churn-staging-etl-sec"}}
    })
}

#[test]
fn literal_names_without_order_trip() {
    let role_arn =
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/churn-staging-etl"});
    assert_eq!(
        findings(
            "RT-009",
            glue(json!("churn-staging-etl-sec"), role_arn, &[])
        ),
        pairs(&[
            (
                "Job",
                "Job names security configuration Sec by the literal 'churn-staging-etl-sec' at SecurityConfiguration, with no reference to it and no DependsOn on it, so CloudFormation may create Job first and the create fails; reference Sec (Ref or Fn::GetAtt) or add DependsOn: Sec (see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html)"
            ),
            (
                "Job",
                "Job names role Role by the literal 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/churn-staging-etl' at Role, with no reference to it and no DependsOn on it, so CloudFormation may create Job first and the create fails; reference Role (Ref or Fn::GetAtt) or add DependsOn: Role (see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html)"
            ),
        ])
    );
    let production = Options {
        production: true,
        ..Options::default()
    };
    let t = template(glue(
        json!("churn-staging-etl-sec"),
        json!({"Fn::GetAtt": ["Role", "Arn"]}),
        &[],
    ));
    let severities: Vec<Severity> = check(&t, &production)
        .findings
        .into_iter()
        .filter(|f| f.rule == "RT-009")
        .map(|f| f.severity)
        .collect();
    assert_eq!(severities, [Severity::Error]);
}

#[test]
fn endpoint_alarms_and_scaling_targets_by_name_trip() {
    let resources = json!({
        "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": "serve-errors", "MetricName": "Invocation5XXErrors",
            "Namespace": "AWS/SageMaker",
            "Dimensions": [{"Name": "EndpointName", "Value": "serve"}]}},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": "serve", "EndpointConfigName": "serve-config",
            "DeploymentConfig": {"AutoRollbackConfiguration": {
                "Alarms": [{"AlarmName": "serve-errors"}]}}}},
        "Scaling": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ResourceId": "endpoint/serve/variant/Primary", "MinCapacity": 1, "MaxCapacity": 2,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "ServiceNamespace": "sagemaker"}}
    });
    assert_eq!(
        findings("RT-009", resources),
        pairs(&[
            (
                "Endpoint",
                "Endpoint names alarm Errors by the literal 'serve-errors' at DeploymentConfig.AutoRollbackConfiguration.Alarms[0].AlarmName, with no reference to it and no DependsOn on it, so CloudFormation may create Endpoint first and the create fails; reference Errors (Ref or Fn::GetAtt) or add DependsOn: Errors (see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html)"
            ),
            (
                "Scaling",
                "Scaling names endpoint Endpoint by the literal 'endpoint/serve/variant/Primary' at ResourceId, with no reference to it and no DependsOn on it, so CloudFormation may create Scaling first and the create fails; reference Endpoint (Ref or Fn::GetAtt) or add DependsOn: Endpoint (see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html)"
            ),
        ])
    );
}

#[test]
fn references_and_depends_on_order_the_creates() {
    // DependsOn on both.
    let role_arn = json!("arn:aws:iam::111122223333:role/churn-staging-etl");
    assert!(
        findings(
            "RT-009",
            glue(json!("churn-staging-etl-sec"), role_arn, &["Sec", "Role"])
        )
        .is_empty()
    );
    // References; the description and the job's own name are not judged.
    let referenced = glue(
        json!({"Ref": "Sec"}),
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Role}"}),
        &[],
    );
    assert!(findings("RT-009", referenced).is_empty());
    // The literal next to a reference elsewhere in the resource (DependsOn
    // dropped at synth because a reference exists).
    let mixed = glue(
        json!("churn-staging-etl-sec"),
        json!({"Fn::GetAtt": ["Role", "Arn"]}),
        &["Sec"],
    );
    assert!(findings("RT-009", mixed).is_empty());
    // Ordered through another resource: the scaling target depends on the
    // endpoint, which references the alarm; alarm dimensions naming the
    // endpoint are not create-order dependencies.
    let chained = json!({
        "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": "serve-errors",
            "Dimensions": [{"Name": "EndpointName", "Value": "serve"}]}},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": "serve", "EndpointConfigName": "serve-config",
            "DeploymentConfig": {"AutoRollbackConfiguration": {
                "Alarms": [{"AlarmName": {"Ref": "Errors"}}]}}}},
        "Scaling": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "DependsOn": "Endpoint", "Properties": {
            "ResourceId": "endpoint/serve/variant/Primary", "MinCapacity": 1, "MaxCapacity": 2}},
        "Policy": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
            "PolicyName": "p", "ScalingTargetId": {"Ref": "Scaling"}}}
    });
    assert!(findings("RT-009", chained).is_empty());
}

/// A role with one inline policy of `statement`.
fn role(statement: Value) -> Value {
    json!({"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [statement]}}]}}})
}

#[test]
fn conditions_no_action_sends_trip() {
    let prefix = json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"s3:prefix": ["data/*"]}}});
    assert_eq!(
        findings("RT-010", role(prefix)),
        pairs(&[(
            "R",
            "R (policy p, statement 1) allows s3:GetObject, s3:PutObject only under StringLike on s3:prefix, which only s3:ListBucket, s3:ListBucketVersions, s3:ListBucketMultipartUploads send(s), so the statement allows nothing; drop the condition or grant the action it was meant for (see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html)"
        )])
    );
    // A policy resource, a JSON-string document, a Sid.
    let doc = json!({"Statement": [{"Sid": "Metrics", "Effect": "Allow",
        "Action": "cloudwatch:Get*", "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}}}]});
    let policy = json!({"P": {"Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": doc.to_string()}}});
    assert_eq!(
        findings("RT-010", policy),
        pairs(&[(
            "P",
            "P (policy, statement Metrics) allows cloudwatch:Get* only under StringEquals on cloudwatch:namespace, which only cloudwatch:PutMetricData send(s), so the statement allows nothing; drop the condition or grant the action it was meant for (see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html)"
        )])
    );
    let pass = json!({"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}});
    assert_eq!(findings("RT-010", role(pass)).len(), 1);
}

#[test]
fn conditions_an_action_sends_pass() {
    // ListBucket sends s3:prefix; GetBucketLocation beside it is not judged.
    let list = json!({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": ["data/*"]}}});
    assert!(findings("RT-010", role(list)).is_empty());
    // A wildcard covering the sending action.
    let kms = json!({"Effect": "Allow", "Action": "kms:*Grant*", "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}});
    assert!(findings("RT-010", role(kms)).is_empty());
    let pass = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}});
    assert!(findings("RT-010", role(pass)).is_empty());
    // Operators true on an absent key, and Deny statements, are not judged.
    let if_exists = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringLikeIfExists": {"s3:prefix": "data/*"},
            "StringNotEquals": {"cloudwatch:namespace": "x"}}});
    assert!(findings("RT-010", role(if_exists)).is_empty());
    let deny = json!({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringLike": {"s3:prefix": "data/*"}}});
    assert!(findings("RT-010", role(deny)).is_empty());
}

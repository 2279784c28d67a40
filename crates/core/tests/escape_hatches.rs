//! Escape hatches: property overrides, suppressions on a subtree and on the
//! stack, tags on a subtree, and the naming rules and ARN helpers.

use mlcdk_core::{CfnResource, Expr, Scope, Stack, naming};
use serde_json::{Map, Value, json};

fn topic() -> CfnResource {
    CfnResource::new("AWS::SNS::Topic").set("KmsMasterKeyId", "alias/aws/sns")
}

fn errors(stack: Stack) -> String {
    stack.synth().unwrap_err().to_string()
}

#[test]
fn property_overrides_reach_nested_properties_and_list_elements() {
    let mut stack = Stack::for_test();
    let config = stack.add_resource(
        "Config",
        CfnResource::new("AWS::SageMaker::EndpointConfig").set(
            "ProductionVariants",
            mlcdk_core::Json::from(json!([
                {"VariantName": "A", "InitialInstanceCount": 1},
                {"VariantName": "B", "InitialInstanceCount": 1}
            ])),
        ),
    );
    let key = stack.add_resource("Key", CfnResource::new("AWS::KMS::Key"));
    stack.add_property_override(&config, "ProductionVariants.1.InitialInstanceCount", 3);
    stack.add_property_override(&config, "DataCaptureConfig.KmsKeyId", key.get_att("Arn"));
    stack.add_property_override(&config, "Tags\\.Like.Key", "dotted");
    // The later override of the same path wins.
    stack.add_property_override(&config, "DataCaptureConfig.InitialSamplingPercentage", 10);
    stack.add_property_override(&config, "DataCaptureConfig.InitialSamplingPercentage", 20);
    // References in overrides follow logical-ID overrides like any other.
    stack.override_logical_id(&key, "ServingKey");
    let t = stack.synth().unwrap().template;
    let p = &t.resources["Config"].properties;
    assert_eq!(
        p["ProductionVariants"],
        json!([
            {"VariantName": "A", "InitialInstanceCount": 1},
            {"VariantName": "B", "InitialInstanceCount": 3}
        ])
    );
    assert_eq!(
        p["DataCaptureConfig"],
        json!({"KmsKeyId": {"Fn::GetAtt": ["ServingKey", "Arn"]}, "InitialSamplingPercentage": 20})
    );
    assert_eq!(p["Tags.Like"], json!({"Key": "dotted"}));
}

#[test]
fn property_overrides_win_over_lazy_properties_and_replace_scalars() {
    let mut stack = Stack::for_test();
    let bucket = stack.add_resource(
        "Data",
        CfnResource::lazy("AWS::S3::Bucket", || {
            let mut m = Map::new();
            m.insert(
                "VersioningConfiguration".into(),
                json!({"Status": "Suspended"}),
            );
            m.insert("BucketName".into(), json!("plain"));
            Ok(m)
        }),
    );
    stack.add_property_override(&bucket, "VersioningConfiguration.Status", "Enabled");
    // A scalar on the way becomes an object (as the CDK does).
    stack.add_property_override(&bucket, "BucketName.Nested", true);
    let t = stack.synth().unwrap().template;
    let p = &t.resources["Data"].properties;
    assert_eq!(p["VersioningConfiguration"], json!({"Status": "Enabled"}));
    assert_eq!(p["BucketName"], json!({"Nested": true}));
}

#[test]
fn bad_override_paths_are_errors_with_the_construct_path() {
    for bad in ["", ".", "A..B", ".A", "A."] {
        let mut stack = Stack::for_test();
        let mut node = stack.node("Serve");
        let r = node.add_resource("Topic", topic());
        stack.add_property_override(&r, bad, "x");
        let e = errors(stack);
        assert!(
            e.contains(&format!(
                "[test-staging/Serve/Topic] property override path '{bad}' is malformed"
            )),
            "{bad}: {e}"
        );
    }

    // A list index past the end, or a name where a list is, fails at synth.
    let mut stack = Stack::for_test();
    let r = stack.add_resource(
        "Config",
        CfnResource::new("AWS::SageMaker::EndpointConfig")
            .set("ProductionVariants", mlcdk_core::Json::from(json!([{}]))),
    );
    stack.add_property_override(&r, "ProductionVariants.1.VariantName", "B");
    stack.add_property_override(&r, "ProductionVariants.first.VariantName", "B");
    let e = errors(stack);
    assert!(
        e.contains("[test-staging/Config] property override 'ProductionVariants.1.VariantName': 'ProductionVariants' has 1 element(s), so there is no element 1"),
        "{e}"
    );
    assert!(
        e.contains("'ProductionVariants' is a list; index it with a number, not 'first'"),
        "{e}"
    );
}

#[test]
fn subtree_suppressions_cover_the_path_and_below_whenever_added() {
    let mut stack = Stack::for_test();
    stack.suppress_subtree(
        "Serve/",
        "SNS-001",
        "serving topics carry no payloads at all",
    );
    let (direct, nested, sibling) = {
        let mut serve = stack.node("Serve");
        let direct = serve.add_resource("Alerts", topic());
        let nested = serve.node("Inner").add_resource("Topic", topic());
        (direct, nested, stack.add_resource("ServeX", topic()))
    };
    // The resource's own suppression of the same rule keeps its reason.
    stack.suppress(&direct, "SNS-001", "this one is documented on its own");
    stack.suppress_subtree(
        "Serve",
        "CKV_AWS_26",
        "serving topics carry no payloads at all",
    );
    let t = stack.synth().unwrap().template;
    let md = |r: &mlcdk_core::ResourceRef| t.resources[r.logical_id()].metadata.clone();
    assert_eq!(
        md(&direct)["mlcdk:suppress"],
        json!([{"rule": "SNS-001", "reason": "this one is documented on its own"}])
    );
    assert_eq!(
        md(&nested)["mlcdk:suppress"],
        json!([{"rule": "SNS-001", "reason": "serving topics carry no payloads at all"}])
    );
    assert_eq!(
        md(&nested)["checkov"],
        json!({"skip": [{"id": "CKV_AWS_26", "comment": "serving topics carry no payloads at all"}]})
    );
    assert!(
        !md(&sibling).contains_key("mlcdk:suppress"),
        "'ServeX' is not below 'Serve'"
    );
}

#[test]
fn bad_subtree_suppressions_are_errors() {
    let mut stack = Stack::for_test();
    stack.add_resource("Alerts", topic());
    stack.suppress_subtree("Gone", "SNS-001", "the topic moved to another stack");
    stack.suppress_subtree("Alerts", "SNS-001", "short");
    stack.suppress_subtree("Alerts", " ", "a reason that is long enough");
    stack.suppress_subtree("", "SNS-001", "a reason that is long enough");
    let e = errors(stack);
    assert!(
        e.contains("[test-staging/Gone] suppression of SNS-001 on the subtree 'Gone': no resource is at or below that construct path"),
        "{e}"
    );
    assert!(
        e.contains("[test-staging/Alerts] suppression 'SNS-001' needs a reason of at least 10 characters (got 'short', 5)"),
        "{e}"
    );
    assert!(e.contains("suppression needs a rule id"), "{e}");
    assert!(
        e.contains("[test-staging] suppression of SNS-001 on the subtree '': the construct path is empty; use suppress_stack"),
        "{e}"
    );
}

#[test]
fn stack_suppressions_go_to_the_template_metadata() {
    let mut stack = Stack::for_test();
    stack.add_resource("Alerts", topic());
    stack.suppress_stack("COST-001", "the sandbox account's budget covers this stage");
    // Once per rule: the first reason stays.
    stack.suppress_stack("COST-001", "another reason, dropped silently");
    stack.suppress_stack("S3-005", "  access logs are collected by the org trail  ");
    let t = stack.synth().unwrap().template;
    assert_eq!(
        t.metadata["mlcdk:suppress"],
        json!([
            {"rule": "COST-001", "reason": "the sandbox account's budget covers this stage"},
            {"rule": "S3-005", "reason": "access logs are collected by the org trail"}
        ])
    );
    // A stack without stack suppressions has no template Metadata.
    let mut stack = Stack::for_test();
    stack.add_resource("Alerts", topic());
    assert!(stack.synth().unwrap().template.metadata.is_empty());

    let mut stack = Stack::for_test();
    stack.add_resource("Alerts", topic());
    stack.suppress_stack("COST-001", "");
    stack.suppress_stack("CKV_AWS_18", "checkov reads skips on resources only");
    let e = errors(stack);
    assert!(
        e.contains(
            "[test-staging] suppression 'COST-001' needs a reason of at least 10 characters"
        ),
        "{e}"
    );
    assert!(
        e.contains(
            "[test-staging] stack suppression of CKV_AWS_18: checkov reads skips only on resources"
        ),
        "{e}"
    );
}

#[test]
fn short_reasons_are_refused_everywhere() {
    let mut stack = Stack::for_test();
    let t = stack.add_resource("Alerts", topic());
    stack.suppress(&t, "SNS-001", "why");
    stack.suppress_at("Alerts", "SNS-002", "why not");
    let e = errors(stack);
    assert_eq!(
        e.matches("needs a reason of at least 10 characters")
            .count(),
        2,
        "{e}"
    );
}

fn tags_of(t: &mlcdk_core::Template, id: &str) -> Value {
    t.resources[id].properties["Tags"].clone()
}

#[test]
fn subtree_tags_add_to_stack_tags_and_win_over_them() {
    let mut stack = Stack::for_test();
    stack.add_tag("team", "platform");
    stack.add_tag("cost-center", "1234");
    stack.add_tag_at("Serve", "team", "scoring");
    stack.add_tag_at("Serve/Inner", "team", "inner");
    stack.add_tag_at("Serve", "tier", "online");
    let (direct, nested, own, glue, untaggable, other) = {
        let mut serve = stack.node("Serve");
        let direct = serve.add_resource("Alerts", topic());
        let mut inner = serve.node("Inner");
        let nested = inner.add_resource("Topic", topic());
        let own = inner.add_resource(
            "Own",
            topic().set(
                "Tags",
                mlcdk_core::Json::from(json!([{"Key": "team", "Value": "own"}])),
            ),
        );
        let glue = serve.add_resource("Job", CfnResource::new("AWS::Glue::Job"));
        let untaggable = serve.add_resource("Policy", CfnResource::new("AWS::S3::BucketPolicy"));
        (
            direct,
            nested,
            own,
            glue,
            untaggable,
            stack.add_resource("Other", topic()),
        )
    };
    let t = stack.synth().unwrap().template;
    let list = |pairs: &[(&str, &str)]| {
        Value::Array(
            pairs
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect(),
        )
    };
    assert_eq!(
        tags_of(&t, direct.logical_id()),
        list(&[
            ("app", "test"),
            ("cost-center", "1234"),
            ("stage", "staging"),
            ("team", "scoring"),
            ("tier", "online")
        ])
    );
    // The deeper subtree wins.
    assert_eq!(
        tags_of(&t, nested.logical_id())[3],
        json!({"Key": "team", "Value": "inner"})
    );
    // The construct's own tag wins over every added one.
    assert_eq!(
        tags_of(&t, own.logical_id())[3],
        json!({"Key": "team", "Value": "own"})
    );
    assert_eq!(tags_of(&t, glue.logical_id())["team"], "scoring");
    assert!(
        !t.resources[untaggable.logical_id()]
            .properties
            .contains_key("Tags")
    );
    assert_eq!(
        tags_of(&t, other.logical_id())[3],
        json!({"Key": "team", "Value": "platform"})
    );
}

#[test]
fn bad_subtree_tags_are_errors() {
    let mut stack = Stack::for_test();
    stack.add_resource("Alerts", topic());
    stack.add_tag_at("Nowhere", "team", "ml");
    stack.add_tag_at("Alerts", "aws:owner", "ml");
    stack.add_tag_at("/", "team", "ml");
    let e = errors(stack);
    assert!(
        e.contains("[test-staging/Nowhere] tag 'team' on the subtree 'Nowhere': no resource is at or below that construct path"),
        "{e}"
    );
    assert!(
        e.contains("[test-staging/Alerts] tag key 'aws:owner' starts with 'aws:'"),
        "{e}"
    );
    assert!(
        e.contains("tag on the subtree '/': the construct path is empty; use add_tag"),
        "{e}"
    );
}

#[test]
fn naming_rules_reproduce_the_names_constructs_build_today() {
    let mut stack = Stack::for_test();
    let long = "Very-Long-Component".repeat(20);
    for id in ["Churn-Score", long.as_str()] {
        let node = stack.node(id);
        for (rule, old) in [
            (
                naming::GLUE_DATABASE,
                node.physical_name('_', 255).to_ascii_lowercase(),
            ),
            (
                naming::SAGEMAKER_ENDPOINT,
                node.physical_name('-', 63).to_ascii_lowercase(),
            ),
            (
                naming::SAGEMAKER_PIPELINE,
                node.physical_name('-', 256).to_ascii_lowercase(),
            ),
            (
                naming::MODEL_PACKAGE_GROUP,
                node.physical_name('-', 63).to_ascii_lowercase(),
            ),
            (
                naming::MONITORING_SCHEDULE,
                node.physical_name('-', 63).to_ascii_lowercase(),
            ),
            (naming::GLUE_JOB, node.physical_name('-', 255)),
            (naming::GLUE_CRAWLER, node.physical_name('-', 255)),
            (
                naming::GLUE_SECURITY_CONFIGURATION,
                node.physical_name('-', 128),
            ),
            (naming::ATHENA_WORKGROUP, node.physical_name('-', 128)),
            (naming::FEATURE_GROUP, node.physical_name('-', 64)),
            (naming::SCALING_POLICY, node.physical_name('-', 200)),
            (naming::BUDGET, node.physical_name('-', 100)),
            (naming::IAM_ROLE, node.physical_name('-', 64)),
        ] {
            assert_eq!(node.physical_name_for(rule), old, "{rule:?}");
            assert!(old.len() <= rule.max_len);
        }
    }
}

#[test]
fn arns_are_sub_patterns_over_the_pseudo_parameters() {
    let stack = Stack::for_test();
    assert_eq!(
        stack.format_arn("sagemaker", "pipeline/${Pipeline}"),
        Expr::sub(
            "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/${Pipeline}"
        )
    );
    assert_eq!(
        naming::format_global_arn("iam", "role/x").to_json(),
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"})
    );
    assert_eq!(
        naming::format_unscoped_arn("s3", "b/*").to_json(),
        json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"})
    );
}

#[test]
fn subtree_operations_take_a_construct_path_too() {
    let mut stack = Stack::for_test();
    let (path, r) = {
        let mut serve = stack.node("Serve");
        let r = serve.add_resource("Alerts", topic());
        (serve.path().clone(), r)
    };
    stack.add_tag_at(&path, "team", "scoring");
    stack.suppress_subtree(&path, "SNS-001", "serving topics carry no payloads at all");
    let t = stack.synth().unwrap().template;
    assert_eq!(
        t.resources[r.logical_id()].metadata["mlcdk:suppress"][0]["rule"],
        "SNS-001"
    );
    assert!(
        tags_of(&t, r.logical_id())
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "team", "Value": "scoring"}))
    );
}

#[test]
fn overrides_reach_resource_attributes_and_are_checked() {
    let mut stack = Stack::for_test();
    let alerts = stack.add_resource("Alerts", topic());
    let other = stack.add_resource("Other", topic());
    stack.add_override(&alerts, "Properties.DisplayName", "alerts");
    stack.add_override(
        &alerts,
        "Metadata.cfn-lint.config.ignore_checks",
        json!(["W3005"]),
    );
    stack.add_override(&alerts, "DependsOn", json!(["Other"]));
    stack.add_override(&alerts, "DeletionPolicy", "Retain");
    let t = stack.synth().unwrap().template;
    let r = &t.resources[alerts.logical_id()];
    assert_eq!(r.properties["DisplayName"], "alerts");
    assert_eq!(
        r.metadata["mlcdk:path"], "Alerts",
        "kept beside the override"
    );
    assert_eq!(
        r.metadata["cfn-lint"],
        json!({"config": {"ignore_checks": ["W3005"]}})
    );
    assert_eq!(r.depends_on, [other.logical_id()]);
    assert_eq!(r.deletion_policy, Some(mlcdk_core::DeletionPolicy::Retain));

    let mut stack = Stack::for_test();
    let alerts = stack.add_resource("Alerts", topic());
    stack.add_override(&alerts, "Type", "AWS::SQS::Queue");
    stack.add_override(&alerts, "Properties", json!({}));
    stack.add_override(&alerts, "DeletionPolicy", "Forever");
    let e = errors(stack);
    assert!(
        e.contains("[test-staging/Alerts] override 'Type': 'Type' is not a resource attribute that can be overridden"),
        "{e}"
    );
    assert!(e.contains("name a property below Properties"), "{e}");
    assert!(
        e.contains("[test-staging/Alerts] the overrides make an invalid resource entry: unknown variant `Forever`"),
        "{e}"
    );
}

//! Synthesis behaviour of the construct tree: ids, references, dependencies,
//! tags, outputs, limits, and errors gathered with their paths.

use std::collections::BTreeMap;

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::{
    App, CfnResource, Condition, DeletionPolicy, Env, Expr, OutputProps, Parameter, Scope, Stack,
    Stage, StageKind,
};
use serde_json::json;

fn topic() -> CfnResource {
    CfnResource::new("AWS::SNS::Topic").set("KmsMasterKeyId", "alias/aws/sns")
}

#[test]
fn logical_ids_follow_the_path() {
    let mut stack = Stack::for_test();
    let top = stack.add_resource("Alerts", topic());
    let mut node = stack.node("Training");
    let nested = node.add_resource("Resource", topic());
    let mut default = node.node("Default");
    let hidden = default.add_resource("Topic", topic());
    // md5("Training/Resource") = 1dbe9c16…, md5("Training/Topic") = 042a8d47… (Python hashlib)
    assert_eq!(top.logical_id(), "Alerts");
    assert_eq!(nested.logical_id(), "Training1DBE9C16");
    assert_eq!(hidden.logical_id(), "TrainingTopic042A8D47");
    let t = stack.synth().unwrap().template;
    assert_eq!(
        t.resources.keys().collect::<Vec<_>>(),
        ["Alerts", "Training1DBE9C16", "TrainingTopic042A8D47"]
    );
    assert_eq!(
        t.resources["Training1DBE9C16"].metadata["mlcdk:path"],
        "Training/Resource"
    );
}

#[test]
fn errors_are_gathered_with_paths() {
    let mut stack = Stack::for_test();
    stack.add_resource("Data", topic());
    stack.add_resource("Data", topic());
    stack.add_resource("My-Data", topic()); // strips to "MyData"
    stack.add_resource("MyData", topic());
    let mut n = stack.node("Team");
    n.add_resource("a/b", topic());
    n.add_resource("", topic());
    let long = stack.add_resource("Long", topic());
    stack.override_logical_id(&long, &"L".repeat(256));
    let errors = stack.synth().unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(&"[test-staging] duplicate construct id 'Data': the stack already has a child with that id; ids must be unique within their scope".to_string()),
        "{errors}"
    );
    assert!(
        errors.mentions("[test-staging/Data] logical ID 'Data' collides with 'test-staging/Data'")
    );
    assert!(errors.mentions(
        "[test-staging/MyData] logical ID 'MyData' collides with 'test-staging/My-Data'"
    ));
    assert!(errors.mentions("[test-staging/Team] construct id 'a/b' contains '/'"));
    assert!(errors.mentions("[test-staging/Team] construct id is empty"));
    assert!(errors.mentions(
        "[test-staging/Long] logical ID 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL…' (256 characters) is invalid: logical IDs match ^[A-Za-z0-9]{1,255}$"
    ));
    assert_eq!(errors.len(), 6, "{errors}");
}

#[test]
fn override_logical_id_renames_references() {
    let mut stack = Stack::for_test();
    let mut n = stack.node("Store");
    let bucket = n.add_resource("Resource", CfnResource::new("AWS::S3::Bucket"));
    let arn = bucket.get_att("Arn");
    stack.add_resource(
        "Policy",
        CfnResource::new("AWS::S3::BucketPolicy")
            .set("Bucket", bucket.reference())
            .set(
                "PolicyDocument",
                mlcdk_core::Json::object([
                    (
                        "Sub",
                        mlcdk_core::Json::from(Expr::sub(format!(
                            "${{{}.Arn}}/*-${{!Keep}}",
                            bucket.logical_id()
                        ))),
                    ),
                    ("Arn", arn.into()),
                ]),
            ),
    );
    stack.add_output("BucketName", OutputProps::new(bucket.reference()));
    stack.override_logical_id(&bucket, "LegacyBucket");
    let t = stack.synth().unwrap().template;
    assert!(t.resources.contains_key("LegacyBucket"));
    let p = &t.resources["Policy"].properties;
    assert_eq!(p["Bucket"], json!({"Ref": "LegacyBucket"}));
    assert_eq!(
        p["PolicyDocument"]["Arn"],
        json!({"Fn::GetAtt": ["LegacyBucket", "Arn"]})
    );
    assert_eq!(
        p["PolicyDocument"]["Sub"],
        json!({"Fn::Sub": "${LegacyBucket.Arn}/*-${!Keep}"})
    );
    assert_eq!(
        t.outputs["BucketName"].value,
        json!({"Ref": "LegacyBucket"})
    );
}

#[test]
fn depends_on_keeps_only_what_references_do_not_imply() {
    let mut stack = Stack::for_test();
    let a = stack.add_resource("A", topic());
    let b = stack.add_resource("B", topic());
    let c = stack.add_resource(
        "C",
        topic()
            .set("DisplayName", Expr::sub("${A.TopicName}"))
            .depends_on(&a)
            .depends_on(&b)
            .depends_on(&b),
    );
    stack.add_dependency(&c, &a);
    let t = stack.synth().unwrap().template;
    assert_eq!(t.resources["C"].depends_on, ["B"]);
}

#[test]
fn unknown_references_are_errors() {
    let mut stack = Stack::for_test();
    stack.add_resource("A", topic().set("DisplayName", Expr::reference("Nope")));
    stack.add_output("Out", OutputProps::new(Expr::get_att("Gone", "Arn")));
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions(
            "[test-staging/A] refers to 'Nope', which is not a resource or parameter of this stack"
        ),
        "{errors}"
    );
    assert!(errors.mentions("output 'Out' refers to 'Gone'"), "{errors}");
}

#[test]
fn tags_reach_every_taggable_resource() {
    let mut stack = Stack::for_test();
    stack.add_tag("team", "ml");
    stack.add_tag("aws:bad", "x");
    stack.add_resource("Topic", topic());
    stack.add_resource(
        "Job",
        CfnResource::new("AWS::Glue::Job").set("Tags", json!({"team": "etl"})),
    );
    stack.add_resource("Policy", CfnResource::new("AWS::SNS::TopicPolicy"));
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging] tag key 'aws:bad'"),
        "{errors}"
    );

    let mut stack = Stack::for_test();
    stack.add_tag("team", "ml");
    stack.add_resource("Topic", topic());
    stack.add_resource(
        "Job",
        CfnResource::new("AWS::Glue::Job").set("Tags", json!({"team": "etl"})),
    );
    stack.add_resource("Policy", CfnResource::new("AWS::SNS::TopicPolicy"));
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SNS::Topic",
        json!({"Tags": [
            {"Key": "app", "Value": "test"},
            {"Key": "stage", "Value": "staging"},
            {"Key": "team", "Value": "ml"}
        ]}),
    );
    t.has_resource_properties(
        "AWS::Glue::Job",
        Match::object([(
            "Tags",
            Match::exact(json!({"app": "test", "stage": "staging", "team": "etl"})),
        )]),
    );
    assert!(
        t.template().resources["Policy"]
            .properties
            .get("Tags")
            .is_none()
    );
}

#[test]
fn parameters_conditions_mappings_outputs() {
    let mut stack = Stack::for_test();
    let size = stack.add_parameter(
        "InstanceCount",
        Parameter {
            default: Some(json!(1)),
            ..Parameter::new("Number")
        },
    );
    let is_prod = stack.add_condition(
        "IsProd",
        Condition::equals(Expr::reference("InstanceCount"), "4"),
    );
    stack.add_mapping(
        "Images",
        BTreeMap::from([(
            "us-east-1".to_string(),
            BTreeMap::from([("xgboost".to_string(), json!("683313688378"))]),
        )]),
    );
    stack.add_resource(
        "Topic",
        topic()
            .condition(&is_prod)
            .set(
                "DisplayName",
                Expr::find_in_map("Images", Expr::region(), "xgboost"),
            )
            .set("Count", size.clone())
            .removal_policy(DeletionPolicy::Retain),
    );
    stack.add_output(
        "TopicArn",
        OutputProps::new(Expr::reference("Topic"))
            .description("alerts")
            .export(Expr::sub("${AWS::StackName}-TopicArn")),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource(
        "AWS::SNS::Topic",
        json!({"Condition": "IsProd", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
               "Properties": {"Count": {"Ref": "InstanceCount"}}}),
    );
    t.has_output(
        "TopicArn",
        json!({"Export": {"Name": {"Fn::Sub": "${AWS::StackName}-TopicArn"}}, "Description": "alerts"}),
    );
    let tpl = t.template();
    assert_eq!(
        tpl.conditions["IsProd"],
        json!({"Fn::Equals": [{"Ref": "InstanceCount"}, "4"]})
    );
    assert_eq!(
        tpl.mappings["Images"]["us-east-1"]["xgboost"],
        "683313688378"
    );
    assert_eq!(tpl.parameters["InstanceCount"].parameter_type, "Number");
}

#[test]
fn bad_names_for_outputs_parameters_conditions_mappings() {
    let mut stack = Stack::for_test();
    stack.add_parameter("bad-param", Parameter::new("String"));
    stack.add_condition("", Condition::equals("a", "b"));
    stack.add_mapping(&"M".repeat(256), BTreeMap::new());
    stack.add_resource("A", topic());
    stack.add_parameter("A", Parameter::new("String"));
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("parameter name 'bad-param' (9 characters) is invalid"),
        "{errors}"
    );
    assert!(errors.mentions("condition name '' (0 characters) is invalid"));
    assert!(errors.mentions("mapping name 'MMMM"));
    assert!(errors.mentions("[test-staging/A] logical ID 'A' collides with parameter 'A'"));
}

#[test]
fn over_500_resources_is_an_error_with_the_limit() {
    let mut stack = Stack::for_test();
    for i in 0..501 {
        stack.add_resource(&format!("T{i}"), topic());
    }
    let errors = stack.synth().unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors.0[0].to_string(),
        "[test-staging] template has 501 resources; CloudFormation accepts at most 500 per template (split the stack)"
    );
}

#[test]
fn over_1mb_is_an_error() {
    let mut stack = Stack::for_test();
    for i in 0..20 {
        stack.add_resource(
            &format!("T{i}"),
            topic().set("DisplayName", "x".repeat(60_000)),
        );
    }
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("CloudFormation accepts at most 1000000"),
        "{errors}"
    );
}

#[test]
fn production_refuses_delete_on_stateful_resources() {
    let mut stack = Stack::for_stage(StageKind::Production);
    let mut node = stack.node("Data");
    assert_eq!(node.removal_policy(None), DeletionPolicy::Retain);
    assert_eq!(
        node.removal_policy(Some(DeletionPolicy::Delete)),
        DeletionPolicy::Retain
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-production/Data] removal policy Delete is not allowed in production stage 'production'"),
        "{errors}"
    );
    let mut staging = Stack::for_test();
    assert_eq!(
        staging.removal_policy(Some(DeletionPolicy::Delete)),
        DeletionPolicy::Delete
    );
}

#[derive(Clone)]
struct Knobs {
    copies: usize,
}

fn define(stack: &mut Stack, k: &Knobs) {
    for i in 0..k.copies {
        stack.add_resource(&format!("T{i}"), topic());
    }
}

#[test]
fn app_gathers_errors_of_every_stage() {
    let app = App::new("bad_app", define)
        .stage(Stage::staging(
            Env::new("1", "us-east-1"),
            Knobs { copies: 1 },
        ))
        .stage(Stage::production(
            Env::new("222222222222", "us-east-1"),
            Knobs { copies: 501 },
        ));
    let errors = app.synth(None).unwrap_err();
    assert!(
        errors.mentions("[bad_app-staging] stack name 'bad_app-staging'"),
        "{errors}"
    );
    assert!(errors.mentions("[bad_app-staging] account '1' is invalid"));
    assert!(errors.mentions("[bad_app-production] stack name"));
    assert!(errors.mentions("501 resources"));
    let unknown = App::new("ok", define)
        .stage(Stage::staging(
            Env::new("111111111111", "us-east-1"),
            Knobs { copies: 1 },
        ))
        .synth(Some("prod"))
        .unwrap_err();
    assert!(
        unknown.mentions("no stage named 'prod'; stages are: staging"),
        "{unknown}"
    );
}

#[test]
fn manifest_marks_large_templates_for_upload() {
    let app = App::new("big", define)
        .stage(Stage::staging(
            Env::new("111111111111", "us-east-1"),
            Knobs { copies: 2 },
        ))
        .stage(Stage::production(
            Env::any_account("eu-west-1"),
            Knobs { copies: 300 },
        ));
    let m = app.synth(None).unwrap().manifest();
    assert_eq!(m.stages[0].stack_name, "big-staging");
    assert!(!m.stages[0].needs_s3_upload);
    assert!(!m.stages[0].termination_protection);
    assert_eq!(m.stages[1].resource_count, 300);
    assert!(m.stages[1].template_bytes > 51_200);
    assert!(m.stages[1].needs_s3_upload);
    assert!(m.stages[1].termination_protection);
    assert_eq!(m.stages[1].env.account, None);
}

#[test]
fn assets_are_listed_and_missing_files_are_errors() {
    let scratch = mlcdk_testkit::Scratch::new("synth-assets");
    let dir = scratch.path().to_path_buf();
    std::fs::create_dir_all(dir.join("etl")).unwrap();
    std::fs::write(dir.join("etl/job.py"), "print('etl')\n").unwrap();
    let app = App::new("assets", |stack: &mut Stack, missing: &bool| {
        let a = stack.asset(mlcdk_core::Asset::file("etl/job.py"));
        stack.add_resource("Topic", topic().set("DisplayName", a.s3_uri()));
        if *missing {
            stack
                .node("Job")
                .asset(mlcdk_core::Asset::file("etl/missing.py"));
        }
    })
    .base_dir(&dir);
    let ok = App::new("assets", |_: &mut Stack, _: &bool| {})
        .stage(Stage::staging(Env::any_account("us-east-1"), false));
    assert!(ok.synth(None).is_ok());
    let s = app
        .stage(Stage::staging(Env::any_account("us-east-1"), false))
        .stage(Stage::custom(
            "dev",
            StageKind::Other,
            Env::any_account("us-east-1"),
            true,
        ));
    let errors = s.synth(None).unwrap_err();
    assert!(
        errors.mentions("[assets-dev/Job] asset file 'etl/missing.py' cannot be read"),
        "{errors}"
    );
    let assembly = s.synth(Some("staging")).unwrap();
    let a = &assembly.stacks[0].assets[0];
    assert_eq!(a.source, "etl/job.py");
    assert_eq!(a.key, format!("assets/{}/job.py", a.sha256));
    assert_eq!(
        assembly.stacks[0].template.resources["Topic"].properties["DisplayName"],
        json!({"Fn::Sub": format!("s3://mlcdk-assets-${{AWS::AccountId}}-${{AWS::Region}}/{}", a.key)})
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scope_can_be_reentered_by_path() {
    let mut stack = Stack::for_test();
    let path = {
        let mut monitor = stack.node("Monitor");
        monitor.add_resource("Alarm", CfnResource::new("AWS::CloudWatch::Alarm"));
        monitor.path().clone()
    };
    let mut again = stack.scope_at(&path);
    again.add_resource("Rule", CfnResource::new("AWS::Events::Rule"));
    again.add_resource("Alarm", CfnResource::new("AWS::CloudWatch::Alarm"));
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions(
            "[test-staging/Monitor] duplicate construct id 'Alarm': 'Monitor' already has a child"
        ),
        "{errors}"
    );
}

#[test]
fn physical_names_carry_app_stage_and_path() {
    let mut stack = Stack::for_test();
    let node = stack.node("Lake-DB");
    assert_eq!(node.physical_name('_', 255), "test_staging_LakeDB");
    let mut deep = stack.node(&"x".repeat(80));
    let long = deep.physical_name('-', 64);
    assert_eq!(long.len(), 64);
    assert!(long.starts_with("test-staging-xxxx"), "{long}");
    let other = deep.node(&"y".repeat(80)).physical_name('-', 64);
    assert_ne!(long, other, "cut names stay distinct");
}

#[test]
fn resources_are_found_and_suppressed_by_construct_path() {
    let mut stack = Stack::for_test();
    let mut node = stack.node("Serve");
    let inner = node.add_resource("Config", topic());
    let found = stack
        .resource_at("Serve/Config")
        .expect("the resource at Serve/Config");
    assert_eq!(found.logical_id(), inner.logical_id());
    assert!(stack.resource_at("Serve/Nothing").is_none());
    stack.suppress_at("Serve/Config", "SNS-001", "topic encrypted elsewhere");
    let t = stack.synth().unwrap().template;
    assert_eq!(
        t.resources[inner.logical_id()].metadata["mlcdk:suppress"],
        json!([{"rule": "SNS-001", "reason": "topic encrypted elsewhere"}])
    );

    // A suppression whose resource is gone is an error, not a silent no-op.
    let mut stack = Stack::for_test();
    stack.add_resource("Alerts", topic());
    stack.suppress_at("Gone/Resource", "SNS-001", "why");
    let err = stack.synth().unwrap_err().to_string();
    assert!(
        err.contains(
            "suppression of SNS-001 at 'Gone/Resource': no resource has that construct path"
        ),
        "{err}"
    );
}

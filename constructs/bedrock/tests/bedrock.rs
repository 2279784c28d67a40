//! The Bedrock constructs: the template they make, the grants asked of the
//! rule pack's IAM policy evaluator, every validation with bad input, and the
//! run-time rules on their output.

use std::collections::BTreeMap;

use mlcdk_bedrock::*;
use mlcdk_checks::policy::{Evaluator, Symbols};
use mlcdk_checks::{Options, check};
use mlcdk_core::iam::{Grantee, Principal, Role, RoleProps};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{Construct, Expr, PhysicallyNamed, Stack, Template};
use mlcdk_storage::KeyRef;
use serde_json::{Value, json};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn haiku() -> FoundationModel {
    FoundationModel::new(HAIKU).unwrap()
}

fn only<'a>(t: &'a Template, ty: &'a str) -> (&'a String, &'a mlcdk_core::template::Resource) {
    let all: Vec<_> = t.resources_of_type(ty).collect();
    assert_eq!(all.len(), 1, "one {ty} expected");
    all[0]
}

fn caller(stack: &mut Stack) -> Role {
    Role::new(
        stack,
        "App",
        RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")),
    )
}

#[test]
fn the_profile_copies_the_model_and_carries_the_stage_tags() {
    let mut stack = Stack::for_test();
    let chat = InferenceProfile::new(
        &mut stack,
        "Chat",
        InferenceProfileProps {
            description: Some("Chat assistant for support".into()),
            ..InferenceProfileProps::new(&haiku())
        },
    );
    let t = stack.synth().unwrap().template;
    let (id, r) = only(&t, "AWS::Bedrock::ApplicationInferenceProfile");
    assert_eq!(
        r.properties["InferenceProfileName"],
        json!("test-staging-Chat")
    );
    assert_eq!(
        r.properties["ModelSource"],
        json!({"CopyFrom": {"Fn::Sub": format!("arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{HAIKU}")}})
    );
    assert_eq!(
        r.properties["Description"],
        json!("Chat assistant for support")
    );
    // The budget filters on the `stage` tag: the profile carries it.
    let tags = r.properties["Tags"].as_array().unwrap();
    assert!(
        tags.contains(&json!({"Key": "stage", "Value": "staging"})),
        "{tags:?}"
    );
    assert_eq!(
        chat.arn().to_json(),
        json!({"Fn::GetAtt": [id, "InferenceProfileArn"]})
    );
    assert_eq!(chat.model().id(), HAIKU);
    assert_eq!(chat.name(), Expr::lit("test-staging-Chat"));
    assert_eq!(chat.physical_name(), "test-staging-Chat");
}

#[test]
fn the_granted_role_may_invoke_the_profile_and_its_model_and_nothing_else() {
    let mut stack = Stack::for_test();
    let chat = InferenceProfile::new(&mut stack, "Chat", InferenceProfileProps::new(&haiku()));
    let app = caller(&mut stack);
    let grant = chat.grant_invoke(&app);
    assert_eq!(
        grant.actions(),
        [
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream"
        ]
    );
    let t = stack.synth().unwrap().template;
    let text = serde_json::to_string(&t).unwrap();
    assert!(!text.contains("bedrock:*"), "{text}");
    let (role, _) = only(&t, "AWS::IAM::Role");
    let (profile, _) = only(&t, "AWS::Bedrock::ApplicationInferenceProfile");
    let symbols = Symbols::new(&t);
    let profile_arn = symbols.resolve(&json!({"Fn::GetAtt": [profile, "InferenceProfileArn"]}));
    let model_arn = |id: &str| {
        format!("arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{id}")
    };
    let ev = Evaluator::from_template(&t);
    let can = |action: &str, resource: &str| {
        let d = ev.can(role, action, resource, &BTreeMap::new());
        assert!(!d.is_undecided(), "{action} on {resource}: {d}");
        d.is_allowed()
    };
    for action in [
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
    ] {
        assert!(
            can(action, &profile_arn),
            "{action} on the profile {profile_arn}"
        );
        assert!(can(action, &model_arn(HAIKU)), "{action} on the model");
        assert!(
            !can(action, &model_arn("anthropic.claude-3-opus-20240229-v1:0")),
            "{action} on another model"
        );
    }
    let other_profile = "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:application-inference-profile/other";
    assert!(!can("bedrock:InvokeModel", other_profile));
    assert!(!can(
        "bedrock:CreateModelCustomizationJob",
        &model_arn(HAIKU)
    ));
}

#[test]
fn a_model_grant_alone_is_the_model_arn_only() {
    let mut stack = Stack::for_test();
    let app = caller(&mut stack);
    let grant = haiku().grant_invoke(&app);
    assert_eq!(grant.statements().len(), 1);
    assert_eq!(
        grant.statements()[0].resources,
        vec![haiku().arn()],
        "the model's ARN, no wildcard"
    );
}

#[test]
fn alarms_watch_the_profiles_metrics_and_notify_the_alerts_topic() {
    let mut stack = Stack::for_test();
    let chat = InferenceProfile::new(
        &mut stack,
        "Chat",
        InferenceProfileProps {
            alerts: Some(TopicRef::from_arn(Expr::lit("arn:aws:sns:us-east-1:1:ops"))),
            alarms: UsageAlarms {
                max_client_errors_per_5_minutes: Some(50),
                max_invocations_per_hour: Some(100_000),
                max_input_tokens_per_hour: Some(50_000_000),
                max_output_tokens_per_hour: Some(10_000_000),
                ..UsageAlarms::default()
            },
            ..InferenceProfileProps::new(&haiku())
        },
    );
    assert_eq!(chat.alarms().len(), 6);
    let t = stack.synth().unwrap().template;
    let (profile, _) = only(&t, "AWS::Bedrock::ApplicationInferenceProfile");
    assert_eq!(
        chat.profile_id().to_json(),
        json!({"Fn::GetAtt": [profile, "InferenceProfileId"]})
    );
    assert_eq!(
        chat.metric("InvocationLatency", Statistic::Average)
            .dimensions[0]
            .value,
        chat.profile_id()
    );
    for (m, name) in [
        (chat.metric_invocations(), "Invocations"),
        (chat.metric_throttles(), "InvocationThrottles"),
        (chat.metric_input_tokens(), "InputTokenCount"),
        (chat.metric_output_tokens(), "OutputTokenCount"),
    ] {
        assert_eq!(
            (m.name.as_str(), &m.dimensions[0].value),
            (name, &chat.profile_id())
        );
    }
    let mut seen: Vec<(String, f64, u64)> = t
        .resources_of_type("AWS::CloudWatch::Alarm")
        .map(|(_, r)| {
            let p = &r.properties;
            assert_eq!(p["Namespace"], json!("AWS/Bedrock"));
            assert_eq!(
                p["Dimensions"],
                // The profile's own series: this stage's calls only.
                json!([{"Name": "ModelId", "Value": {"Fn::GetAtt": [profile, "InferenceProfileId"]}}])
            );
            assert_eq!(p["AlarmActions"], json!(["arn:aws:sns:us-east-1:1:ops"]));
            assert_eq!(p["TreatMissingData"], json!("notBreaching"));
            assert_eq!(p["Statistic"], json!("Sum"));
            (
                p["MetricName"].as_str().unwrap().to_string(),
                p["Threshold"].as_f64().unwrap(),
                p["Period"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("InputTokenCount".to_string(), 50_000_000.0, 3600),
            ("InvocationClientErrors".to_string(), 50.0, 300),
            ("InvocationServerErrors".to_string(), 5.0, 300),
            ("InvocationThrottles".to_string(), 10.0, 300),
            ("Invocations".to_string(), 100_000.0, 3600),
            ("OutputTokenCount".to_string(), 10_000_000.0, 3600),
        ]
    );
    // RT-004 knows these metrics: none of the alarms is flagged.
    assert!(check(&t, &Options::default()).of_rule("RT-004").is_empty());
}

#[test]
fn no_alarms_when_every_threshold_is_none() {
    let mut stack = Stack::for_test();
    let chat = InferenceProfile::new(
        &mut stack,
        "Chat",
        InferenceProfileProps {
            alarms: UsageAlarms {
                max_throttles_per_5_minutes: None,
                max_server_errors_per_5_minutes: None,
                ..UsageAlarms::default()
            },
            ..InferenceProfileProps::new(&haiku())
        },
    );
    assert!(chat.alarms().is_empty());
    let t = stack.synth().unwrap().template;
    assert_eq!(t.resources_of_type("AWS::CloudWatch::Alarm").count(), 0);
}

#[test]
fn a_bad_profile_description_is_an_error_with_the_path_value_and_rule() {
    for (bad, part) in [
        ("", "it has 0 characters; Bedrock takes 1 to 200"),
        ("Chat, support", "',' is not accepted there"),
        ("two  spaces", "' ' is not accepted there"),
        (" leading", "' ' is not accepted there"),
    ] {
        let mut stack = Stack::for_test();
        InferenceProfile::new(
            &mut stack,
            "Chat",
            InferenceProfileProps {
                description: Some(bad.into()),
                ..InferenceProfileProps::new(&haiku())
            },
        );
        let e = stack.synth().unwrap_err().to_string();
        assert!(e.contains("Chat"), "{e}");
        assert!(
            e.contains(&format!("description '{bad}' is invalid")),
            "{e}"
        );
        assert!(e.contains(part), "{part} missing in {e}");
    }
    let mut stack = Stack::for_test();
    InferenceProfile::new(
        &mut stack,
        "Chat",
        InferenceProfileProps {
            description: Some("x".repeat(201)),
            ..InferenceProfileProps::new(&haiku())
        },
    );
    let e = stack.synth().unwrap_err().to_string();
    assert!(
        e.contains("it has 201 characters; Bedrock takes 1 to 200"),
        "{e}"
    );
}

fn full_guardrail(stack: &mut Stack, key: Option<KeyRef>) -> Guardrail {
    Guardrail::new(
        stack,
        "Guard",
        GuardrailProps {
            description: Some("Support chat".into()),
            content_filters: vec![
                ContentFilter::both(ContentCategory::Hate, FilterStrength::High),
                ContentFilter {
                    category: ContentCategory::Violence,
                    input: FilterStrength::Medium,
                    output: FilterStrength::Low,
                },
                ContentFilter::prompt_attack(FilterStrength::High),
            ],
            denied_topics: vec![DeniedTopic {
                name: "Investment advice".into(),
                definition: "Recommendations about investing money in financial products.".into(),
                examples: vec!["Which stocks should I buy?".into()],
            }],
            pii: vec![
                PiiEntity {
                    kind: PiiType::Email,
                    action: SensitiveAction::Anonymize,
                },
                PiiEntity {
                    kind: PiiType::CreditDebitCardNumber,
                    action: SensitiveAction::Block,
                },
            ],
            regexes: vec![SensitiveRegex {
                name: "Account number".into(),
                pattern: "ACC-[0-9]{8}".into(),
                description: Some("Internal account numbers".into()),
                action: SensitiveAction::Anonymize,
            }],
            encryption_key: key,
            ..GuardrailProps::new("I cannot help with that.", "I cannot answer that.")
        },
    )
}

#[test]
fn the_guardrail_renders_every_policy_and_a_version() {
    let mut stack = Stack::for_test();
    let key = KeyRef::from_arn(Expr::lit(
        "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ));
    let guard = full_guardrail(&mut stack, Some(key));
    let t = stack.synth().unwrap().template;
    let (id, g) = only(&t, "AWS::Bedrock::Guardrail");
    let p = &g.properties;
    assert_eq!(p["Name"], json!("test-staging-Guard"));
    assert_eq!(
        p["BlockedInputMessaging"],
        json!("I cannot help with that.")
    );
    assert_eq!(p["BlockedOutputsMessaging"], json!("I cannot answer that."));
    assert_eq!(
        p["ContentPolicyConfig"]["FiltersConfig"],
        json!([
            {"Type": "HATE", "InputStrength": "HIGH", "OutputStrength": "HIGH"},
            {"Type": "VIOLENCE", "InputStrength": "MEDIUM", "OutputStrength": "LOW"},
            {"Type": "PROMPT_ATTACK", "InputStrength": "HIGH", "OutputStrength": "NONE"},
        ])
    );
    assert_eq!(
        p["TopicPolicyConfig"]["TopicsConfig"][0]["Type"],
        json!("DENY")
    );
    assert_eq!(
        p["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"],
        json!([
            {"Type": "EMAIL", "Action": "ANONYMIZE"},
            {"Type": "CREDIT_DEBIT_CARD_NUMBER", "Action": "BLOCK"},
        ])
    );
    assert_eq!(
        p["SensitiveInformationPolicyConfig"]["RegexesConfig"][0]["Pattern"],
        json!("ACC-[0-9]{8}")
    );
    assert!(p["KmsKeyArn"].as_str().unwrap().starts_with("arn:aws:kms:"));
    assert!(
        p["Tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "stage", "Value": "staging"}))
    );
    let (vid, v) = only(&t, "AWS::Bedrock::GuardrailVersion");
    assert_eq!(
        v.properties["GuardrailIdentifier"],
        json!({"Fn::GetAtt": [id, "GuardrailId"]})
    );
    assert_eq!(
        guard.version().to_json(),
        json!({"Fn::GetAtt": [vid, "Version"]})
    );
    assert_eq!(
        guard.arn().to_json(),
        json!({"Fn::GetAtt": [id, "GuardrailArn"]})
    );
    assert_eq!(guard.name(), Expr::lit("test-staging-Guard"));
}

fn version_description(t: &Template) -> Value {
    only(t, "AWS::Bedrock::GuardrailVersion").1.properties["Description"].clone()
}

#[test]
fn a_changed_guardrail_gets_a_new_version_and_an_unchanged_one_keeps_it() {
    let synth = |message: &str| {
        let mut stack = Stack::for_test();
        Guardrail::new(
            &mut stack,
            "Guard",
            GuardrailProps {
                content_filters: vec![ContentFilter::prompt_attack(FilterStrength::High)],
                ..GuardrailProps::new(message, "No.")
            },
        );
        version_description(&stack.synth().unwrap().template)
    };
    assert_eq!(synth("No."), synth("No."));
    assert_ne!(synth("No."), synth("Not that."));
}

#[test]
fn grant_apply_is_the_guardrail_only_and_its_key() {
    let mut stack = Stack::for_test();
    let key = KeyRef::from_arn(Expr::lit(
        "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ));
    let guard = full_guardrail(&mut stack, Some(key));
    let app = caller(&mut stack);
    let grant = guard.grant_apply(&app);
    assert_eq!(grant.actions(), ["bedrock:ApplyGuardrail", "kms:Decrypt"]);
    let t = stack.synth().unwrap().template;
    let (role, _) = only(&t, "AWS::IAM::Role");
    let (g, _) = only(&t, "AWS::Bedrock::Guardrail");
    let arn = Symbols::new(&t).resolve(&json!({"Fn::GetAtt": [g, "GuardrailArn"]}));
    let ev = Evaluator::from_template(&t);
    assert!(
        ev.can(role, "bedrock:ApplyGuardrail", &arn, &BTreeMap::new())
            .is_allowed()
    );
    let other = "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:guardrail/other";
    assert!(
        !ev.can(role, "bedrock:ApplyGuardrail", other, &BTreeMap::new())
            .is_allowed()
    );
}

#[test]
fn every_bad_guardrail_value_is_reported_together() {
    let mut stack = Stack::for_test();
    let topic = |name: &str| DeniedTopic {
        name: name.into(),
        definition: "d".into(),
        examples: vec![],
    };
    let regex = |name: &str| SensitiveRegex {
        name: name.into(),
        pattern: "x".into(),
        description: None,
        action: SensitiveAction::Block,
    };
    let mut topics: Vec<DeniedTopic> = (0..30).map(|i| topic(&format!("t{i}"))).collect();
    topics.push(DeniedTopic {
        name: "Bad/topic".into(),
        definition: "x".repeat(201),
        examples: vec![String::new(); 6],
    });
    topics.push(topic("t0"));
    let mut regexes: Vec<SensitiveRegex> = (0..30).map(|i| regex(&format!("r{i}"))).collect();
    regexes.push(SensitiveRegex {
        name: "r0".into(),
        pattern: "y".repeat(501),
        description: Some(String::new()),
        action: SensitiveAction::Anonymize,
    });
    Guardrail::new(
        &mut stack,
        "Guard",
        GuardrailProps {
            description: Some("d".repeat(201)),
            content_filters: vec![
                ContentFilter::both(ContentCategory::Hate, FilterStrength::High),
                ContentFilter::both(ContentCategory::Hate, FilterStrength::Low),
                ContentFilter::both(ContentCategory::PromptAttack, FilterStrength::High),
                ContentFilter::both(ContentCategory::Sexual, FilterStrength::High),
                ContentFilter::both(ContentCategory::Violence, FilterStrength::High),
                ContentFilter::both(ContentCategory::Insults, FilterStrength::High),
                ContentFilter::both(ContentCategory::Misconduct, FilterStrength::High),
            ],
            denied_topics: topics,
            pii: vec![
                PiiEntity {
                    kind: PiiType::Email,
                    action: SensitiveAction::Block,
                },
                PiiEntity {
                    kind: PiiType::Email,
                    action: SensitiveAction::Anonymize,
                },
            ],
            regexes,
            ..GuardrailProps::new("", &"m".repeat(501))
        },
    );
    let e = stack.synth().unwrap_err().to_string();
    for part in [
        "blocked_input_message has 0 characters: Bedrock takes 1 to 500",
        "blocked_output_message has 501 characters: Bedrock takes 1 to 500",
        "description has 201 characters: Bedrock takes 1 to 200",
        "7 content filters: Bedrock takes at most 6",
        "content filter HATE is given twice: one filter per category",
        "content filter PROMPT_ATTACK has output strength HIGH: prompt attacks are filtered on input only, so it must be NONE",
        "32 denied topics: Bedrock takes at most 30",
        "denied topic 30 ('Bad/topic') name has '/': Bedrock takes letters, digits, spaces and '-', '_', '!', '?', '.'",
        "denied topic 30 ('Bad/topic') definition has 201 characters: Bedrock takes 1 to 200",
        "6 examples in denied topic 30 ('Bad/topic'): Bedrock takes at most 5",
        "denied topic 30 ('Bad/topic') example 0 has 0 characters: Bedrock takes 1 to 100",
        "denied topic 31 ('t0') is given twice: topic names are unique",
        "PII type EMAIL is given twice: each type once",
        "31 regexes: Bedrock takes at most 30",
        "regex 30 ('r0') pattern has 501 characters: Bedrock takes 1 to 500",
        "regex 30 ('r0') description has 0 characters: Bedrock takes 1 to 1000",
        "regex 30 ('r0') is given twice: regex names are unique",
    ] {
        assert!(e.contains(part), "missing {part} in {e}");
    }
    assert!(e.contains("Guard"), "the construct path: {e}");
}

#[test]
fn a_guardrail_without_a_policy_is_refused() {
    let mut stack = Stack::for_test();
    Guardrail::new(&mut stack, "Guard", GuardrailProps::new("No.", "No."));
    let e = stack.synth().unwrap_err().to_string();
    assert!(
        e.contains(
            "the guardrail has no policy: add content_filters, denied_topics, pii or regexes"
        ),
        "{e}"
    );
}

#[test]
fn the_rule_pack_is_clean_on_a_profile_a_guardrail_and_their_grants() {
    let mut stack = Stack::for_test();
    stack.suppress_stack(
        "COST-001",
        "a unit test of the Bedrock constructs, not a stage",
    );
    let chat = InferenceProfile::new(&mut stack, "Chat", InferenceProfileProps::new(&haiku()));
    let guard = full_guardrail(&mut stack, None);
    let app = caller(&mut stack);
    chat.grant_invoke(&app);
    guard.grant_apply(&app);
    let t = stack.synth().unwrap().template;
    let report = check(&t, &Options::default());
    let active: Vec<String> = report
        .active()
        .map(|f| format!("{} {} {}", f.rule, f.logical_id, f.message))
        .collect();
    assert!(active.is_empty(), "{active:#?}");
}

#[test]
fn rt_013_trips_on_a_role_allowed_the_profile_but_not_its_model() {
    let mut stack = Stack::for_test();
    stack.suppress_stack(
        "COST-001",
        "a unit test of the Bedrock constructs, not a stage",
    );
    let chat = InferenceProfile::new(&mut stack, "Chat", InferenceProfileProps::new(&haiku()));
    let app = caller(&mut stack);
    // By hand, the profile only: what the grant exists to prevent.
    app.add_to_policy(
        mlcdk_core::iam::PolicyStatement::allow()
            .actions(["bedrock:InvokeModel"])
            .resources([chat.arn()]),
    );
    let t = stack.synth().unwrap().template;
    let (role, _) = only(&t, "AWS::IAM::Role");
    let found = check(&t, &Options::default()).of_rule("RT-014");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(&found[0].0, role);
    assert!(
        found[0].1.contains(&format!(
            "may bedrock:InvokeModel on inference profile {} but not on the model it routes to (arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{HAIKU}",
            only(&t, "AWS::Bedrock::ApplicationInferenceProfile").0
        )),
        "{found:?}"
    );

    // The construct's grant passes.
    let mut stack = Stack::for_test();
    let chat = InferenceProfile::new(&mut stack, "Chat", InferenceProfileProps::new(&haiku()));
    let app = caller(&mut stack);
    chat.grant_invoke(&app);
    let t = stack.synth().unwrap().template;
    assert!(check(&t, &Options::default()).of_rule("RT-014").is_empty());
}

#[test]
fn a_model_id_in_a_stage_file_is_checked_when_loaded() {
    #[derive(serde::Deserialize)]
    struct Knobs {
        model: FoundationModel,
    }
    let ok: Knobs = serde_json::from_value(json!({"model": HAIKU})).unwrap();
    assert_eq!(ok.model.id(), HAIKU);
    let err = serde_json::from_value::<Knobs>(json!({"model": "Claude 3 Haiku"}))
        .err()
        .expect("an invalid id is refused")
        .to_string();
    assert!(
        err.contains("foundation model id 'Claude 3 Haiku' is invalid"),
        "{err}"
    );
}

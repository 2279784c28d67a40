//! The Bedrock line: tokens per month from the stage's assumptions, priced
//! only from a `[bedrock]` entry of the price table with its source and date;
//! unknown, with the fix, without one.

use mlcdk_core::{StageAssumptions, Template};
use mlcdk_cost::{Assumptions, PriceTable, estimate, render};
use serde_json::json;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn template() -> Template {
    let arn = format!("arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{HAIKU}");
    Template::from_json_str(
        &json!({"Resources": {"Chat": {"Type": "AWS::Bedrock::ApplicationInferenceProfile",
            "Properties": {"InferenceProfileName": "churn-staging-Chat",
                "ModelSource": {"CopyFrom": {"Fn::Sub": arn}}}}}})
        .to_string(),
    )
    .unwrap()
}

/// A table with made-up test prices (not AWS's) for the arithmetic.
fn priced() -> PriceTable {
    PriceTable::from_toml_str(&format!(
        r#"
        region = "us-east-1"
        date = "2026-11-29"
        source = "test"
        [bedrock."{HAIKU}"]
        input_per_1k_tokens = 0.001
        output_per_1k_tokens = 0.004
        source = "test prices"
        date = "2026-11-29"
        "#
    ))
    .unwrap()
}

#[test]
fn without_a_sourced_price_the_line_is_unknown_and_says_how_to_fix_it() {
    let e = estimate(&template(), &PriceTable::builtin(), &Assumptions::default());
    assert_eq!(e.lines.len(), 1);
    let l = &e.lines[0];
    assert_eq!(l.item, format!("Bedrock tokens: {HAIKU}"));
    assert_eq!((l.floor, l.ceiling), (Some(0.0), None));
    assert_eq!(e.unknown(), 1);
    assert_eq!(
        l.assumption,
        format!(
            "up to 1,000,000 (default) requests × (500 (default) in, 200 (default) out) tokens; no sourced price for {HAIKU}: add [bedrock.\"{HAIKU}\"] input_per_1k_tokens, output_per_1k_tokens, source, date to a price table and pass it with `cost --prices FILE`"
        )
    );
}

#[test]
fn a_sourced_price_prices_requests_times_tokens() {
    let e = estimate(&template(), &priced(), &Assumptions::default());
    let l = &e.lines[0];
    // 1,000,000 × (500/1000 × 0.001 + 200/1000 × 0.004) = 500 + 800.
    assert_eq!(l.floor, Some(0.0));
    let c = l.ceiling.unwrap();
    assert!((c - 1300.0).abs() < 1e-6, "{c}");
    assert_eq!(
        l.assumption,
        "up to 1,000,000 (default) requests × (500 (default) in, 200 (default) out) tokens × ($0.001 in, $0.004 out)/1k tokens; test prices (2026-11-29)"
    );
    assert!(render(&e).contains("$1,300.00"), "{}", render(&e));
}

#[test]
fn the_stage_states_the_traffic_and_tokens() {
    let same_traffic = Assumptions::from_stage(&StageAssumptions {
        requests_per_month: Some(2_000_000.0),
        ..Default::default()
    });
    let e = estimate(&template(), &priced(), &same_traffic);
    // The endpoints' traffic, when Bedrock's is not stated.
    assert!(
        e.lines[0]
            .assumption
            .starts_with("up to 2,000,000 requests"),
        "{}",
        e.lines[0].assumption
    );
    assert!((e.lines[0].ceiling.unwrap() - 2600.0).abs() < 1e-6);

    let own = Assumptions::from_stage(&StageAssumptions {
        requests_per_month: Some(2_000_000.0),
        bedrock_requests_per_month: Some(10_000.0),
        bedrock_input_tokens_per_request: Some(2000.0),
        bedrock_output_tokens_per_request: Some(0.0),
        ..Default::default()
    });
    let e = estimate(&template(), &priced(), &own);
    let l = &e.lines[0];
    assert!(
        l.assumption
            .starts_with("up to 10,000 requests × (2,000 in, 0 out) tokens"),
        "{}",
        l.assumption
    );
    // 10,000 × 2 × 0.001 = 20.
    assert!((l.ceiling.unwrap() - 20.0).abs() < 1e-6);
}

#[test]
fn a_bad_bedrock_price_is_refused_with_its_key_path() {
    let err = PriceTable::from_toml_str(&format!(
        r#"
        region = "us-east-1"
        date = "d"
        source = "s"
        [bedrock."{HAIKU}"]
        input_per_1k_tokens = nan
        output_per_1k_tokens = -1.0
        source = "s"
        date = "d"
        "#
    ))
    .unwrap_err();
    assert_eq!(
        err.problems(),
        [
            format!(
                "bedrock.\"{HAIKU}\".input_per_1k_tokens = nan: prices are finite amounts of at least 0 USD"
            ),
            format!(
                "bedrock.\"{HAIKU}\".output_per_1k_tokens = -1.0: prices are finite amounts of at least 0 USD"
            ),
        ]
    );
    // A price without its source is not a sourced price.
    let err = PriceTable::from_toml_str(&format!(
        r#"
        region = "us-east-1"
        date = "d"
        source = "s"
        [bedrock."{HAIKU}"]
        input_per_1k_tokens = 0.1
        output_per_1k_tokens = 0.1
        "#
    ))
    .unwrap_err();
    assert!(err.to_string().contains("missing field `source`"), "{err}");
}

#[test]
fn a_profile_copying_no_foundation_model_is_unknown_not_free() {
    // A cross-region (system-defined) inference profile as the source: its
    // models and their prices are not in the template.
    let t = Template::from_json_str(
        &json!({"Resources": {"Chat": {"Type": "AWS::Bedrock::ApplicationInferenceProfile",
            "Properties": {"InferenceProfileName": "p", "ModelSource": {"CopyFrom":
                "arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"}}}}})
        .to_string(),
    )
    .unwrap();
    let e = estimate(&t, &priced(), &Assumptions::default());
    assert_eq!((e.lines[0].floor, e.lines[0].ceiling), (Some(0.0), None));
    assert_eq!(
        e.lines[0].assumption,
        "copies no foundation model by ARN: tokens not priced"
    );
}

//! Bad price tables and extreme amounts: refused with the key path and value,
//! or priced without NaN, saturation or misprinted negatives.

use mlcdk_core::Template;
use mlcdk_cost::{Assumptions, Estimate, Guard, Line, PriceTable, estimate, usd};
use serde_json::{Value, json};

const HEADER: &str = "region = \"us-east-1\"\ndate = \"2026-11-29\"\nsource = \"test\"\n";

fn table(body: &str) -> Result<PriceTable, String> {
    PriceTable::from_toml_str(&format!("{HEADER}{body}")).map_err(|e| e.to_string())
}

fn template(resources: Value) -> Template {
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

fn endpoint(count: Value, min: Value, max: Value) -> Template {
    template(json!({
        "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [
            {"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": count}]}},
        "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "ep",
            "EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}},
        "Scaling": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ResourceId": "endpoint/ep/variant/Primary", "MinCapacity": min, "MaxCapacity": max}},
        "Budget": {"Type": "AWS::Budgets::Budget", "Properties": {"Budget": {
            "BudgetLimit": {"Amount": 100, "Unit": "USD"}, "BudgetType": "COST", "TimeUnit": "MONTHLY"}}}
    }))
}

#[test]
fn nan_infinite_and_negative_prices_are_refused_all_at_once() {
    let e = table(
        r#"
        [sagemaker.hosting]
        "ml.m5.large" = nan
        "ml.m5.xlarge" = 0.23
        [sagemaker.training]
        "ml.p3.2xlarge" = inf
        [serverless]
        per_gb_second = -0.00002
        [glue]
        job_dpu_hour = -inf
        [fixed]
        kms_key_month = -1e300
        "#,
    )
    .unwrap_err();
    assert_eq!(
        e,
        "price table: 5 problems:\n    \
         sagemaker.hosting.\"ml.m5.large\" = nan: prices are finite amounts of at least 0 USD\n    \
         sagemaker.training.\"ml.p3.2xlarge\" = inf: prices are finite amounts of at least 0 USD\n    \
         serverless.per_gb_second = -2e-5: prices are finite amounts of at least 0 USD\n    \
         glue.job_dpu_hour = -inf: prices are finite amounts of at least 0 USD\n    \
         fixed.kms_key_month = -1e300: prices are finite amounts of at least 0 USD"
    );
    let one = PriceTable::from_toml_str(&format!("{HEADER}[sagemaker.hosting]\n\"ml\\nx\" = -1\n"))
        .unwrap_err();
    assert_eq!(
        one.problems(),
        ["sagemaker.hosting.\"ml\\nx\" = -1.0: prices are finite amounts of at least 0 USD"]
    );
    assert!(table("[fixed]\nalarm_month = 0.0\n").is_ok());
    assert!(table("[fixed]\nalarm_month = -0.0\n").is_ok(), "-0 is 0");
}

/// The endpoint's variant line (the budget has its own line).
fn variant(e: &Estimate) -> &Line {
    e.lines
        .iter()
        .find(|l| l.item.starts_with("variant"))
        .expect("a variant line")
}

#[test]
fn a_table_built_in_code_is_checked_and_its_bad_prices_are_unknown() {
    let mut t = PriceTable::builtin();
    t.sagemaker
        .hosting
        .insert("ml.m5.large".into(), f64::INFINITY);
    t.fixed.alarm_month = Some(f64::NAN);
    assert_eq!(
        t.validate().unwrap_err().to_string(),
        "price table: 2 problems:\n    \
         sagemaker.hosting.\"ml.m5.large\" = inf: prices are finite amounts of at least 0 USD\n    \
         fixed.alarm_month = nan: prices are finite amounts of at least 0 USD"
    );
    // 0 instances × an infinite price was a NaN floor, printed $0.00.
    let e = estimate(
        &endpoint(json!(0), json!(0), json!(2)),
        &t,
        &Assumptions::default(),
    );
    assert_eq!((variant(&e).floor, variant(&e).ceiling), (None, None));
    assert!(
        matches!(e.guard(), Guard::Warn(m) if m.starts_with("1 item(s) have no known ceiling")),
        "{:?}",
        e.guard()
    );
}

#[test]
fn parse_errors_are_short_and_name_the_line() {
    let e = table(&format!("colour = \"{}\"\n", "x".repeat(100_000))).unwrap_err();
    assert_eq!(
        e,
        format!(
            "price table: line 4, column 1: unknown field `colour`, expected one of `region`, `date`, `source`, `sagemaker`, `serverless`, `glue`, `fixed`, `s3`, `athena`, `bedrock`\n    | colour = \"{}…\n    | ^",
            "x".repeat(20)
        )
    );
    let e = table("[fixed]\nalarm_month = \"cheap\"\n").unwrap_err();
    assert!(
        e.starts_with(
            "price table: line 5, column 15: invalid type: string \"cheap\", expected f64"
        ),
        "{e}"
    );
}

#[test]
fn dollars_negative_huge_and_not_a_number() {
    assert_eq!(usd(-1234.56), "-$1,234.56");
    assert_eq!(usd(-0.1), "-$0.10");
    assert_eq!(usd(-146000.0), "-$146,000.00");
    assert_eq!(usd(-0.001), "$0.00", "no minus on a zero");
    assert_eq!(usd(-0.0), "$0.00");
    assert_eq!(usd(9_999_999_999_999.99), "$9,999,999,999,999.99");
    assert_eq!(usd(10_000_000_000_000.0), "$1.000e13");
    assert_eq!(usd(1e300), "$1.000e300");
    assert_eq!(usd(-1e20), "-$1.000e20");
    assert_eq!(usd(f64::MAX), "$1.798e308");
    assert_eq!(usd(f64::INFINITY), "$inf");
    assert_eq!(usd(f64::NEG_INFINITY), "-$inf");
    assert_eq!(usd(f64::NAN), "$NaN");
    // What a saturated `as i64` of cents used to print for every large amount.
    assert_eq!(usd(92_233_720_368_547_758.07), "$9.223e16");
}

#[test]
fn huge_quantities_saturate_and_still_fail_the_guard() {
    let prices = table(
        "[sagemaker.hosting]\n\"ml.m5.large\" = 1e300\n[fixed]\nbudget_notifications_month = 0.0\n",
    )
    .unwrap();
    let e = estimate(
        &endpoint(json!(1), json!(1e300), json!(1e300)),
        &prices,
        &Assumptions::default(),
    );
    assert_eq!(variant(&e).floor, Some(f64::MAX));
    assert_eq!(e.floor(), f64::MAX, "two saturated lines do not sum to inf");
    assert_eq!(
        e.guard(),
        Guard::Fail(
            "the floor of $1.798e308 exceeds the budget of $100.00: lower capacity or raise the budget"
                .into()
        )
    );
    // Zero instances of an enormous price cost nothing.
    let e = estimate(
        &endpoint(json!(0), json!(0), json!(0)),
        &prices,
        &Assumptions::default(),
    );
    assert_eq!(
        (variant(&e).floor, variant(&e).ceiling),
        (Some(0.0), Some(0.0))
    );
    assert_eq!(e.guard(), Guard::Within);
}

#[test]
fn non_finite_and_negative_template_quantities_are_not_priced() {
    let prices = table("[sagemaker.hosting]\n\"ml.m5.large\" = 0.1\n").unwrap();
    // Strings are read as numbers; "NaN" and "inf" parse as f64.
    for (min, max) in [
        (json!("NaN"), json!(2)),
        (json!(1), json!("inf")),
        (json!(-3), json!(2)),
        (json!("1e400"), json!(2)),
    ] {
        let e = estimate(
            &endpoint(json!(1), min.clone(), max.clone()),
            &prices,
            &Assumptions::default(),
        );
        let l = variant(&e);
        // The scalable target is unreadable: the initial count (1) is used.
        assert_eq!(
            (l.floor, l.ceiling),
            (Some(73.0), Some(73.0)),
            "{min} {max}"
        );
    }
    let bad = Assumptions {
        requests_per_month: f64::NAN,
        ..Default::default()
    };
    let prices =
        table("[serverless]\nper_gb_second = 0.00002\nper_gb_processed = 0.016\n").unwrap();
    let e = estimate(
        &template(json!({
            "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [
                {"VariantName": "S", "ModelName": "m", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}]}},
            "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
                "EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}}
        })),
        &prices,
        &bad,
    );
    assert_eq!((variant(&e).floor, variant(&e).ceiling), (Some(0.0), None));
}

#[test]
fn a_nan_in_a_hand_made_estimate_fails_the_guard() {
    let line = Line {
        logical_id: "X".into(),
        path: "X".into(),
        item: "x".into(),
        floor: Some(f64::NAN),
        ceiling: Some(1.0),
        assumption: String::new(),
    };
    let e = Estimate {
        lines: vec![line],
        budget: Some(100.0),
        prices_date: String::new(),
        prices_source: String::new(),
    };
    assert_eq!(
        e.guard(),
        Guard::Fail(
            "the estimate or the budget is not a number (NaN); the budget cannot be checked".into()
        )
    );
}

#[test]
fn the_region_of_the_table_is_checked() {
    let t = PriceTable::builtin();
    assert_eq!(t.check_region("us-east-1"), Ok(()));
    assert_eq!(
        table("").unwrap().check_region("eu-west-1"),
        Err("the price table is for \"us-east-1\", but the stage deploys to \"eu-west-1\": prices differ between regions, so the estimate may be off; use a table for \"eu-west-1\" (cost --prices FILE)".into())
    );
}

#[test]
fn the_builtin_table_is_valid() {
    let t = PriceTable::builtin();
    assert!(t.validate().is_ok());
    assert_eq!(t.glue.job_dpu_hour, Some(0.44));
}

//! Property tests: arbitrary price tables load or are refused, never panic,
//! and no template or table the loader accepts gives a NaN, an infinity or a
//! negative amount; `usd` prints every number in one of its documented shapes.

use mlcdk_core::Template;
use mlcdk_cost::{Assumptions, PriceTable, estimate, render, usd};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

const PRICE_KEYS: [&str; 16] = [
    "[sagemaker.hosting]\n\"ml.m5.large\"",
    "[sagemaker.training]\n\"ml.m5.large\"",
    "[sagemaker.processing]\n\"ml.m5.large\"",
    "[serverless]\nper_gb_second",
    "[serverless]\nprovisioned_per_gb_second",
    "[glue]\njob_dpu_hour",
    "[fixed]\nkms_key_month",
    "[fixed]\nalarm_month",
    "[serverless]\nper_gb_processed",
    "[glue]\ncrawler_dpu_hour",
    "[fixed]\nalarm_high_resolution_month",
    "[fixed]\nbudget_notifications_month",
    "[fixed]\nbudget_action_day",
    "[s3]\nstandard_gb_month",
    "[athena]\ntb_scanned",
    "[sagemaker.transform]\n\"ml.m5.large\"",
];

fn extreme_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        0.0..10.0f64,
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(1e300),
    ]
}

fn toml_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{f:?}")
    }
}

/// A template quantity: a JSON number, or a string that may parse as one.
fn quantity() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|i| json!(i)),
        (0u32..20).prop_map(|i| json!(i)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "NaN", "inf", "-inf", "1e400", "-1", "0", "3", " 2 ", "1e308", "x"
        ])
        .prop_map(|s| json!(s)),
        Just(json!(null)),
    ]
}

fn schedule() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cron(0 3 * * ? *)".to_string()),
        Just("rate(1e-320 minutes)".to_string()),
        Just("cron(0-4294967295 * * * ? *)".to_string()),
        "rate\\([0-9.e-]{1,8} (minutes|hours|days)\\)",
        "cron\\([0-9*?/,LW#-]{1,6} [0-9*?/-]{1,4} [0-9*?/-]{1,4} [*?] [*?A-Z-]{1,7} \\*\\)",
        any::<String>(),
    ]
}

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_loads_or_is_refused(text in any::<String>()) {
        if let Ok(t) = PriceTable::from_toml_str(&text) {
            prop_assert!(t.validate().is_ok());
        }
    }

    #[test]
    fn arbitrary_prices_are_refused_exactly_when_invalid(
        prices in prop::collection::vec(extreme_f64(), PRICE_KEYS.len()),
    ) {
        let mut text = String::from("region = \"us-east-1\"\ndate = \"d\"\nsource = \"s\"\n");
        // Tables named once each, as TOML requires.
        let mut tables: Vec<(&str, Vec<String>)> = Vec::new();
        for (key, p) in PRICE_KEYS.iter().zip(&prices) {
            let (table, name) = key.split_once('\n').unwrap();
            let line = format!("{name} = {}", toml_float(*p));
            match tables.iter_mut().find(|(t, _)| *t == table) {
                Some((_, lines)) => lines.push(line),
                None => tables.push((table, vec![line])),
            }
        }
        for (table, lines) in tables {
            text.push_str(&format!("{table}\n{}\n", lines.join("\n")));
        }
        let bad = prices.iter().filter(|p| !(p.is_finite() && **p >= 0.0)).count();
        match PriceTable::from_toml_str(&text) {
            Ok(_) => prop_assert_eq!(bad, 0),
            Err(e) => {
                prop_assert_eq!(e.problems().len(), bad, "{}", e);
                for p in e.problems() {
                    prop_assert!(p.ends_with(": prices are finite amounts of at least 0 USD"), "{}", p);
                }
            }
        }
    }

    #[test]
    fn usd_prints_every_number_in_a_known_shape(amount in extreme_f64()) {
        let s = usd(amount);
        let body = s.strip_prefix('-').unwrap_or(&s);
        let body = body.strip_prefix('$').expect("a dollar sign");
        let plain = body.split_once('.').is_some_and(|(whole, cents)| {
            cents.len() == 2
                && cents.bytes().all(|b| b.is_ascii_digit())
                && whole.split(',').enumerate().all(|(i, g)| {
                    (if i == 0 { (1..=3).contains(&g.len()) } else { g.len() == 3 })
                        && g.bytes().all(|b| b.is_ascii_digit())
                })
        });
        let scientific = body.split_once('e').is_some_and(|(m, e)| {
            m.len() == 5 && m.as_bytes()[1] == b'.' && e.parse::<i32>().is_ok_and(|e| e >= 13)
        });
        prop_assert!(plain || scientific || body == "inf" || body == "NaN", "{}", s);
        prop_assert!(!s.starts_with('-') || amount < 0.0, "{}", s);
        prop_assert!(amount.is_nan() || amount >= -0.01 || s.starts_with("-$"), "{}", s);
    }

    #[test]
    fn no_template_makes_a_nan_or_a_negative_amount(
        prices in prop::collection::vec(prop_oneof![0.0..10.0f64, Just(0.0), Just(1e300), Just(f64::MAX)], PRICE_KEYS.len()),
        q in prop::collection::vec(quantity(), 12),
        schedules in prop::collection::vec(schedule(), 3),
        runs in extreme_f64(),
        usage in prop::collection::vec(extreme_f64(), 9),
    ) {
        let mut prices_table = PriceTable::builtin();
        prices_table.sagemaker.hosting.insert("ml.m5.large".into(), prices[0]);
        prices_table.sagemaker.training.insert("ml.m5.large".into(), prices[1]);
        prices_table.sagemaker.processing.insert("ml.m5.large".into(), prices[2]);
        prices_table.serverless.per_gb_second = Some(prices[3]);
        prices_table.serverless.provisioned_per_gb_second = Some(prices[4]);
        prices_table.glue.job_dpu_hour = Some(prices[5]);
        prices_table.fixed.kms_key_month = Some(prices[6]);
        prices_table.fixed.alarm_month = Some(prices[7]);
        prices_table.serverless.per_gb_processed = Some(prices[8]);
        prices_table.glue.crawler_dpu_hour = Some(prices[9]);
        prices_table.fixed.alarm_high_resolution_month = Some(prices[10]);
        prices_table.fixed.budget_notifications_month = Some(prices[11]);
        prices_table.fixed.budget_action_day = Some(prices[12]);
        prices_table.s3.standard_gb_month = Some(prices[13]);
        prices_table.athena.tb_scanned = Some(prices[14]);
        let steps = json!({"Version": "2020-12-01", "Steps": [
            {"Name": "Tune", "Type": "Tuning", "Arguments": {
                "HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxNumberOfTrainingJobs": q[0]}},
                "TrainingJobDefinition": {
                    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": q[1]},
                    "StoppingCondition": {"MaxRuntimeInSeconds": q[2]}}}},
            {"Name": "Score", "Type": "Transform", "Arguments": {
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": q[1]}}}
        ]}).to_string();
        let t = json!({"Resources": {
            "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
                "DataCaptureConfig": {"InitialSamplingPercentage": q[2]}, "ProductionVariants": [
                {"VariantName": "A", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": q[3]},
                {"VariantName": "S", "ModelName": "m", "ServerlessConfig": {"MemorySizeInMB": q[4], "ProvisionedConcurrency": q[5]}}]}},
            "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "ep",
                "EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}},
            "Scaling": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
                "ResourceId": "endpoint/ep/variant/A", "MinCapacity": q[6], "MaxCapacity": q[7]}},
            "P": {"Type": "AWS::SageMaker::Pipeline", "Properties": {"PipelineName": "train",
                "PipelineDefinition": {"PipelineDefinitionBody": steps}}},
            "Rule": {"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": schedules[0],
                "Targets": [{"Id": "p", "Arn": "arn:aws:sagemaker:us-east-1:1:pipeline/train"}]}},
            "Job": {"Type": "AWS::Glue::Job", "Properties": {"Name": "etl", "WorkerType": "G.1X",
                "NumberOfWorkers": q[8], "Timeout": q[9]}},
            "Trigger": {"Type": "AWS::Glue::Trigger", "Properties": {"Schedule": schedules[1],
                "Actions": [{"JobName": "etl"}]}},
            "Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {"Schedule": {"ScheduleExpression": schedules[2]}}},
            "Key": {"Type": "AWS::KMS::Key"},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Athena": {"Type": "AWS::Athena::WorkGroup", "Properties": {"WorkGroupConfiguration": {
                "BytesScannedCutoffPerQuery": q[11]}}},
            "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": q[0]}},
            "Action": {"Type": "AWS::Budgets::BudgetsAction"},
            "Budget": {"Type": "AWS::Budgets::Budget", "Properties": {"Budget": {
                "BudgetLimit": {"Amount": q[10], "Unit": "USD"}}}}
        }});
        let template = Template::from_json_str(&t.to_string()).unwrap();
        let assumptions = Assumptions {
            event_runs_per_month: runs,
            requests_per_month: usage[0],
            request_kb: usage[1],
            response_kb: usage[2],
            serverless_seconds_per_request: usage[3],
            captured_gb_per_month: Some(usage[4]).filter(|_| usage[4] > 1.0),
            stored_gb_per_bucket: usage[5],
            athena_gb_scanned_per_month: usage[6],
            transform_hours_per_run: usage[7],
            crawler_dpu_hours_per_run: usage[8],
            ..Default::default()
        };
        let e = estimate(&template, &prices_table, &assumptions);
        for l in &e.lines {
            for amount in [l.floor, l.ceiling].into_iter().flatten() {
                prop_assert!(amount.is_finite() && amount >= 0.0, "{:?}", l);
            }
        }
        prop_assert!(!e.floor().is_nan() && !e.ceiling().is_nan());
        prop_assert!(e.floor() >= 0.0 && e.ceiling() >= 0.0);
        if let Some(b) = e.budget {
            prop_assert!(b.is_finite() && b >= 0.0);
        }
        let _ = e.guard();
        let _ = render(&e);
    }
}

//! The run-time contract of the monitoring constructs (issue 15), asked of
//! the rule pack (RT-006 monitoring roles, RT-009 create order, RT-010 dead
//! conditions) and of its IAM policy evaluator; and floats in props, which
//! are refused at synth with the construct's path and never panic.

use std::collections::BTreeMap;

use mlcdk_checks::policy::{Evaluator, Symbols};
use mlcdk_checks::{Options, check};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{Expr, Stack, Template};
use mlcdk_inference::*;
use mlcdk_monitoring::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
use mlcdk_storage::{Bucket, BucketEncryption, BucketProps, KmsKey, KmsKeyProps};
use proptest::prelude::*;
use serde_json::{Value, json};

fn endpoint(stack: &mut Stack, bucket: &Bucket) -> RealtimeEndpoint {
    let registry = ModelRegistry::new(stack, "Churn", ModelRegistryProps::default());
    let model = Model::new(stack, "M", ModelProps::from_registry(registry.version(1)));
    let mut serve =
        RealtimeEndpointProps::single(&model, mlcdk_sagemaker::InstanceType::m5_large());
    serve.data_capture = Some(DataCapture::sample(20, bucket.prefix("capture/")));
    RealtimeEndpoint::new(stack, "Serve", serve)
}

fn bucket(stack: &mut Stack) -> Bucket {
    Bucket::new(
        stack,
        "Artifacts",
        BucketProps {
            encryption: BucketEncryption::Kms(None),
            ..Default::default()
        },
    )
}

fn data_quality(b: &Bucket, e: &RealtimeEndpoint) -> ModelMonitorProps {
    ModelMonitorProps::data_quality(
        e,
        DataQuality {
            statistics: b.prefix("baseline/statistics.json"),
            constraints: b.prefix("baseline/constraints.json"),
        },
        b.prefix("reports/"),
        MonitorSchedule::Hourly,
    )
}

/// Findings of `rule` on resources whose logical id starts with `prefix`.
fn findings(t: &Template, rule: &str, prefix: &str) -> Vec<String> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule && f.logical_id.starts_with(prefix))
        .map(|f| format!("{}: {}", f.logical_id, f.message))
        .collect()
}

fn one(t: &Template, ty: &str) -> String {
    let ids: Vec<&String> = t.resources_of_type(ty).map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 1, "one {ty} expected: {ids:?}");
    ids[0].clone()
}

/// Finding 3 / A7: a monitoring job with a volume key fails to start unless
/// its role may `kms:CreateGrant` on the key. RT-006 asks exactly that (with
/// `kms:GrantIsForAWSResource` true, as SageMaker sends it) and passes; the
/// condition is not dead for RT-010; the role still cannot create grants
/// for itself.
#[test]
fn monitoring_jobs_can_attach_their_volume_key() {
    for quality in [false, true] {
        let mut stack = Stack::for_test();
        let b = bucket(&mut stack);
        let e = endpoint(&mut stack, &b);
        let volume = KmsKey::new(&mut stack, "Volume", KmsKeyProps::default());
        let props = if quality {
            ModelMonitorProps::model_quality(
                &e,
                ModelQuality {
                    problem: ProblemType::Regression,
                    constraints: b.prefix("baseline/quality.json"),
                    ground_truth: b.prefix("labels/"),
                    inference_attribute: "score".into(),
                },
                b.prefix("reports/"),
                MonitorSchedule::Hourly,
            )
        } else {
            data_quality(&b, &e)
        };
        ModelMonitor::new(
            &mut stack,
            "Drift",
            ModelMonitorProps {
                encryption_key: Some((&volume).into()),
                ..props
            },
        );
        let t = stack.synth().unwrap().template;
        assert_eq!(findings(&t, "RT-006", "Drift"), Vec::<String>::new());
        assert_eq!(findings(&t, "RT-010", ""), Vec::<String>::new());
        let definition = t
            .resources
            .iter()
            .find(|(id, _)| id.starts_with("DriftDefinition"))
            .map(|(id, r)| (id.clone(), r.clone()))
            .unwrap();
        let role = mlcdk_core::template::reference_target(definition.1.prop(&["RoleArn"]).unwrap())
            .unwrap()
            .to_string();
        let volume_id = t
            .resources_of_type("AWS::KMS::Key")
            .map(|(id, _)| id.clone())
            .find(|id| id.starts_with("Volume"))
            .unwrap();
        let key = Symbols::new(&t).arn(&volume_id);
        let ev = Evaluator::from_template(&t);
        let ctx = |v: &str| -> BTreeMap<String, Vec<String>> {
            [("kms:GrantIsForAWSResource".to_string(), vec![v.to_string()])].into()
        };
        assert!(
            ev.can(&role, "kms:CreateGrant", &key, &ctx("true"))
                .is_allowed()
        );
        assert!(
            ev.can(&role, "kms:CreateGrant", &key, &ctx("false"))
                .is_denied()
        );
        // The job definition names the endpoint by a reference, so it
        // waits for the endpoint.
        let endpoint_id = one(&t, "AWS::SageMaker::Endpoint");
        let input = if quality {
            ["ModelQualityJobInput", "EndpointInput", "EndpointName"]
        } else {
            ["DataQualityJobInput", "EndpointInput", "EndpointName"]
        };
        assert_eq!(
            definition.1.prop(&input),
            Some(&json!({"Fn::GetAtt": [endpoint_id, "EndpointName"]}))
        );
        assert_eq!(findings(&t, "RT-009", "Drift"), Vec::<String>::new());
    }
}

/// Finding 7: the budget covers what the stage costs by a user tag every
/// resource carries (`stage`), not `aws:cloudformation:stack-name`, which
/// jobs started by pipelines never carry.
#[test]
fn the_budget_filters_on_the_stage_tag_every_resource_carries() {
    assert_eq!(COST_ALLOCATION_TAG, "stage");
    assert_eq!(cost_filter_tag("staging"), "user:stage$staging");
    let mut stack = Stack::for_test();
    let b = bucket(&mut stack);
    let e = endpoint(&mut stack, &b);
    ModelMonitor::new(&mut stack, "Drift", data_quality(&b, &e));
    Budget::new(
        &mut stack,
        "Budget",
        BudgetProps::monthly(
            300,
            Some(TopicRef::from_arn(Expr::lit(
                "arn:aws:sns:us-east-1:111111111111:a",
            ))),
        ),
    );
    let synthesized = stack.synth().unwrap();
    // The plan tells the deployer which tag to activate.
    assert!(
        synthesized.notes.iter().any(|n| n.contains(
            "until the management (payer) account activates the user-defined cost allocation tag 'stage'"
        ) && n.contains("tagged stage=staging")),
        "{:?}",
        synthesized.notes
    );
    let t = synthesized.template;
    let (_, budget) = t.resources_of_type("AWS::Budgets::Budget").next().unwrap();
    assert_eq!(
        budget.prop(&["Budget", "CostFilters"]),
        Some(&json!({"TagKeyValue": ["user:stage$staging"]}))
    );
    // Every resource that takes tags carries the one the budget counts.
    let mut tagged = 0;
    for (id, r) in &t.resources {
        let Some(tags) = r.prop(&["Tags"]) else {
            continue;
        };
        tagged += 1;
        let value = match tags {
            Value::Array(list) => list
                .iter()
                .find(|t| t["Key"] == COST_ALLOCATION_TAG)
                .map(|t| t["Value"].clone()),
            Value::Object(map) => map.get(COST_ALLOCATION_TAG).cloned(),
            _ => None,
        };
        assert_eq!(value, Some(json!("staging")), "{id} lacks the stage tag");
    }
    assert!(tagged > 5, "{tagged} tagged resources");
}

/// Values of a float prop that must be refused, with how they print.
const REFUSED: [f64; 6] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MAX,
    f64::MIN,
    -0.0,
];

/// Builds a stack with one float prop set to `v` (`which`: 0 budget percent,
/// 1 drift alarm threshold, 2 custom metric threshold) and synthesizes it:
/// `Ok` or the messages; a panic fails the test.
fn synth_with(which: u8, v: f64) -> Result<(), Vec<String>> {
    let mut stack = Stack::for_test();
    match which {
        0 => {
            Budget::new(
                &mut stack,
                "Budget",
                BudgetProps {
                    monthly_usd: 100,
                    alerts: vec![BudgetAlert {
                        signal: BudgetSignal::Actual,
                        percent: v,
                        emails: vec!["finance@example.com".into()],
                        topic: None,
                    }],
                },
            );
        }
        1 => {
            let b = bucket(&mut stack);
            let e = endpoint(&mut stack, &b);
            ModelMonitor::new(
                &mut stack,
                "Drift",
                ModelMonitorProps {
                    drift_alarms: vec![DriftThreshold::new("monthly_spend", v)],
                    ..data_quality(&b, &e)
                },
            );
        }
        _ => {
            DriftAlarm::new(
                &mut stack,
                "Own",
                DriftAlarmProps::new(CustomMetric::new("Churn/Drift", "psi", v)),
            );
        }
    }
    stack
        .synth()
        .map(|_| ())
        .map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

#[test]
fn non_finite_and_extreme_floats_are_refused_with_path_value_and_range() {
    let cases: [(u8, &str, &str); 3] = [
        (
            0,
            "[test-staging/Budget] notification 1: threshold ",
            "above 0 and at most 1000",
        ),
        (
            1,
            "[test-staging/Drift] drift alarm on 'monthly_spend': max ",
            "above 0 and at most 2^360",
        ),
        (2, "[test-staging/Own] threshold ", "from -2^360 to 2^360"),
    ];
    for (which, prefix, range) in cases {
        for v in REFUSED {
            if which == 2 && v == 0.0 {
                continue; // -0.0 is a valid custom threshold.
            }
            let errors = synth_with(which, v).expect_err(&format!("{prefix}{v} accepted"));
            assert_eq!(errors.len(), 1, "{errors:?}");
            let e = &errors[0];
            assert!(e.starts_with(&format!("{prefix}{v} ")), "{e}");
            assert!(e.contains(range), "{e}");
        }
    }
    // The bounds themselves, and small values, are accepted.
    for (which, v) in [
        (0, 1000.0),
        (0, f64::MIN_POSITIVE),
        (1, 2f64.powi(360)),
        (1, 1e-300),
        (2, -(2f64.powi(360))),
        (2, 0.0),
    ] {
        assert_eq!(synth_with(which, v), Ok(()), "{which}: {v}");
    }
    // Just beyond them, refused.
    for (which, v) in [
        (0, 1_000.000_001),
        (1, 2f64.powi(360) * 1.000_001),
        (2, -(2f64.powi(361))),
    ] {
        assert!(synth_with(which, v).is_err(), "{which}: {v}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any float in any float prop: the stack synthesizes exactly when the
    /// value is in its documented range, and never panics.
    #[test]
    fn any_float_gives_a_template_or_errors(
        which in 0u8..3,
        v in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), -1e3f64..1e3],
    ) {
        let bound = 2f64.powi(360);
        let ok = v.is_finite()
            && match which {
                0 => v > 0.0 && v <= 1000.0,
                1 => v > 0.0 && v <= bound,
                _ => v.abs() <= bound,
            };
        prop_assert_eq!(synth_with(which, v).is_ok(), ok, "{} {}", which, v);
    }
}

//! The run-time contracts of issue 15 for endpoints: what SageMaker,
//! CloudWatch and Application Auto Scaling do with what the constructs
//! synthesize. Each test asserts the template shape and, where a run-time
//! rule of the rule pack covers it, that the rule passes on it.

use mlcdk_checks::{Options, check};
use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::{Stack, Template};
use mlcdk_inference::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps, ModelVersion};
use mlcdk_sagemaker::{EcrImage, InstanceType, ModelArtifacts};
use mlcdk_storage::{Bucket, BucketProps, KmsKey, KmsKeyProps};
use serde_json::{Value, json};

const IMAGE: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

fn image() -> EcrImage {
    IMAGE.parse().unwrap()
}

fn it(instance: &str) -> InstanceType {
    instance.parse().unwrap()
}

/// A bucket and a registry model (network-isolated, the default).
fn setup(stack: &mut Stack) -> (Bucket, Model) {
    let bucket = Bucket::new(stack, "Artifacts", BucketProps::default());
    let registry = ModelRegistry::new(stack, "Churn", ModelRegistryProps::default());
    let model = Model::new(
        stack,
        "Churn3",
        ModelProps::from_registry(registry.version(3).served_from(ModelArtifacts {
            location: bucket.prefix("models/"),
            image: image(),
        })),
    );
    (bucket, model)
}

/// `(logical id, message)` of the findings of `rule`.
fn findings(t: &Template, rule: &str) -> Vec<(String, String)> {
    check(t, &Options::default()).of_rule(rule)
}

/// Every statement of every inline policy of every role, as JSON text.
fn role_statements(t: &Template) -> Vec<Value> {
    t.resources_of_type("AWS::IAM::Role")
        .flat_map(|(_, role)| {
            role.properties
                .get("Policies")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|p| {
            p.pointer("/PolicyDocument/Statement")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// The statement granting exactly `actions`, if any.
fn statement_with(t: &Template, actions: &[&str]) -> Option<Value> {
    let wanted: Vec<Value> = actions.iter().map(|a| json!(a)).collect();
    role_statements(t).into_iter().find(|s| {
        let got = match &s["Action"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        got == wanted
    })
}

fn open_model(stack: &mut Stack, bucket: &Bucket) -> Model {
    Model::new(
        stack,
        "Open",
        ModelProps {
            network_isolation: NetworkIsolation::open(
                "serves the serverless endpoints of the test",
            ),
            ..ModelProps::from_artifact(image(), bucket.prefix("open/model.tar.gz"))
        },
    )
}

// 1. Serverless inference does not support network isolation (or VPC).

#[test]
fn serverless_refuses_a_network_isolated_model_naming_construct_model_rule_and_fix() {
    let mut stack = Stack::for_test();
    let (_, isolated) = setup(&mut stack);
    ServerlessEndpoint::new(
        &mut stack,
        "Adhoc",
        ServerlessEndpointProps::new(&isolated, Memory::Gb2, 5),
    );
    let errors = stack.synth().unwrap_err();
    let text = errors.to_string();
    for part in [
        "[test-staging/Adhoc]",
        "model Churn3",
        "serverless inference does not support network isolation",
        "`network_isolation: NetworkIsolation::open(reason)`",
        "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
}

#[test]
fn serverless_on_a_model_without_isolation_passes_rt003() {
    let mut stack = Stack::for_test();
    let (bucket, _) = setup(&mut stack);
    let open = open_model(&mut stack, &bucket);
    ServerlessEndpoint::new(
        &mut stack,
        "Adhoc",
        ServerlessEndpointProps::new(&open, Memory::Gb2, 5),
    );
    let template = stack.synth().unwrap().template;
    assert_eq!(findings(&template, "RT-003"), []);
    let t = TemplateAssert::new(template);
    t.has_resource_properties(
        "AWS::SageMaker::Model",
        json!({"EnableNetworkIsolation": false}),
    );
    // Its 5xx alarm is a rate too.
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "Invocation5XXErrors", "Statistic": "Average", "Threshold": 0.05,
               "ComparisonOperator": "GreaterThanThreshold", "DatapointsToAlarm": 2}),
    );
}

// 2 and 3. Guardrails: the role reads the rollback alarms; the error alarm
// is a rate; traffic steps fit the fleet.

/// A guarded endpoint on `fleet` instances (autoscaled from `fleet` to at
/// least 4).
fn guarded(shift: TrafficShift, fleet: u32, rate: f64) -> Result<Template, String> {
    let mut stack = Stack::for_test();
    let (_, model) = setup(&mut stack);
    let mut p = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
    p.variants[0].autoscaling = Some(Autoscaling::between(fleet, fleet.max(4)));
    p.guardrails = Some(Guardrails {
        shift,
        ..Guardrails::canary()
    });
    p.max_5xx_rate = rate;
    RealtimeEndpoint::new(&mut stack, "Serve", p);
    stack.synth().map(|s| s.template).map_err(|e| e.to_string())
}

#[test]
fn the_model_role_may_describe_the_rollback_alarms_and_rt006_passes() {
    let template = guarded(Guardrails::canary_of_one(2).shift, 2, 0.05).unwrap();
    let statement = statement_with(&template, &["cloudwatch:DescribeAlarms"])
        .expect("a cloudwatch:DescribeAlarms statement");
    // Scoped to the two rollback alarms, by ARN.
    let arn = |alarm: &str| {
        json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"},
            ":", {"Ref": "AWS::AccountId"}, ":alarm:", {"Ref": alarm}]]})
    };
    assert_eq!(
        statement["Resource"],
        json!([
            arn("ServePrimaryErrors4906A37A"),
            arn("ServePrimaryLatencyE960A80B")
        ])
    );
    // Decided, and allowed.
    assert_eq!(findings(&template, "RT-006"), []);
    assert_eq!(findings(&template, "RT-002"), []);
    assert_eq!(findings(&template, "RT-011"), []);
}

#[test]
fn the_rollback_error_alarm_is_a_rate() {
    let template = guarded(Guardrails::canary_of_one(2).shift, 2, 0.05).unwrap();
    let t = TemplateAssert::new(template);
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "Invocation5XXErrors", "Statistic": "Average", "Threshold": 0.05,
               "ComparisonOperator": "GreaterThanThreshold", "Period": 60,
               "EvaluationPeriods": 5, "DatapointsToAlarm": 2, "TreatMissingData": "notBreaching"}),
    );
    t.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        json!({"DeploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
            "Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50}}}}}),
    );
}

#[test]
fn canary_of_one_fits_every_fleet_and_passes_rt011() {
    for fleet in 1..=12 {
        let g = Guardrails::canary_of_one(fleet);
        let template = guarded(g.shift, fleet, 0.05).unwrap_or_else(|e| panic!("{fleet}: {e}"));
        assert_eq!(findings(&template, "RT-011"), [], "fleet {fleet}");
        match g.shift {
            TrafficShift::AllAtOnce { .. } => assert_eq!(fleet, 1),
            TrafficShift::Canary { percent, .. } => {
                assert!(
                    percent <= 50 && percent * fleet >= 100,
                    "{fleet}: {percent}"
                );
            }
            TrafficShift::Linear { .. } => unreachable!(),
        }
    }
}

#[test]
fn steps_smaller_than_one_instance_or_above_half_are_refused() {
    let canary = |percent| TrafficShift::Canary {
        percent,
        wait_seconds: 600,
    };
    let linear = |percent| TrafficShift::Linear {
        percent,
        wait_seconds: 600,
    };
    for (shift, fleet, wanted) in [
        // The staging case: 10 % of one instance.
        (
            canary(10),
            1,
            "the canary of 10 % of variant 'Primary' is 0.10 of its 1 instance(s), less than one instance; use at least 100 %",
        ),
        // The production case: 10 % of two.
        (
            canary(10),
            2,
            "the canary of 10 % of variant 'Primary' is 0.20 of its 2 instance(s), less than one instance; use at least 50 %",
        ),
        (
            linear(20),
            3,
            "the linear step of 20 % of variant 'Primary' is 0.60 of its 3 instance(s)",
        ),
        (
            canary(60),
            4,
            "the canary of 60 % is out of range: 1 to 50 % of the variant's instance count",
        ),
        (
            linear(5),
            4,
            "the linear step of 5 % is out of range: 10 to 50 %",
        ),
    ] {
        let errors = guarded(shift, fleet, 0.01).unwrap_err();
        assert!(
            errors.contains("[test-staging/Serve] guardrails: ") && errors.contains(wanted),
            "missing {wanted:?} in\n{errors}"
        );
    }
    // A rate at or above the canary's share could never roll back a canary
    // that fails every request.
    let errors = guarded(canary(25), 4, 0.25).unwrap_err();
    assert!(
        errors.contains("max_5xx_rate 0.25 is not below the canary's share of traffic (25 %)"),
        "{errors}"
    );
    // A one-instance step of a 4-instance fleet is fine.
    assert!(guarded(canary(25), 4, 0.05).is_ok());
    assert!(guarded(linear(25), 4, 0.05).is_ok());
}

// 4. Updates keep the autoscaled count; the weights follow the template.

fn endpoint_props(template: &Template) -> serde_json::Map<String, Value> {
    template
        .resources_of_type("AWS::SageMaker::Endpoint")
        .next()
        .unwrap()
        .1
        .properties
        .clone()
}

#[test]
fn updates_retain_the_autoscaled_count_and_apply_the_template_weights() {
    let template = guarded(Guardrails::canary_of_one(2).shift, 2, 0.05).unwrap();
    let props = endpoint_props(&template);
    assert_eq!(props["RetainAllVariantProperties"], json!(true));
    assert_eq!(
        props["ExcludeRetainedVariantProperties"],
        json!([{"VariantPropertyType": "DesiredWeight"}])
    );

    // Without autoscaling nothing is retained: the template's counts apply.
    let mut stack = Stack::for_test();
    let (_, model) = setup(&mut stack);
    RealtimeEndpoint::new(
        &mut stack,
        "Fixed",
        RealtimeEndpointProps::single(&model, it("ml.m5.large")),
    );
    let props = endpoint_props(&stack.synth().unwrap().template);
    assert!(!props.contains_key("RetainAllVariantProperties"));
    assert!(!props.contains_key("ExcludeRetainedVariantProperties"));
}

#[test]
fn the_variant_name_and_scaling_target_do_not_depend_on_the_instance_type() {
    // Blue/green updates need the same variant names in the old and the new
    // config (deployment-guardrails-exclusions), and removing an autoscaled
    // variant needs the same deregistration as changing its instance type
    // (endpoint-scaling-update): the name stays, and the instance type is
    // documented as a two-deploy change.
    let names = ["ml.m5.large", "ml.m5.xlarge"].map(|instance| {
        let mut stack = Stack::for_test();
        let (_, model) = setup(&mut stack);
        let mut p = RealtimeEndpointProps::single(&model, it(instance));
        p.variants[0].autoscaling = Some(Autoscaling::between(2, 4));
        RealtimeEndpoint::new(&mut stack, "Serve", p);
        let template = stack.synth().unwrap().template;
        let (_, target) = template
            .resources_of_type("AWS::ApplicationAutoScaling::ScalableTarget")
            .next()
            .unwrap();
        target.properties["ResourceId"].clone()
    });
    assert_eq!(names[0], names[1]);
    assert_eq!(
        names[0],
        json!("endpoint/test-staging-serve/variant/Primary")
    );
}

// 5. Async: the input is read, the output key is granted explicitly, the idle
// alarm watches what async endpoints publish.

#[test]
fn async_reads_its_input_and_encrypts_its_output_without_data_capture() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    AsyncEndpoint::new(
        &mut stack,
        "Batchy",
        AsyncEndpointProps {
            input: bucket.prefix("requests/"),
            encryption_key: Some(key.into()),
            ..AsyncEndpointProps::scale_to_zero(&model, bucket.prefix("async/"))
        },
    );
    let template = stack.synth().unwrap().template;
    let get = statement_with(&template, &["s3:GetObject"]).expect("a read statement");
    let reads: Vec<Value> = role_statements(&template)
        .into_iter()
        .filter(|s| s["Action"] == json!("s3:GetObject") || s["Action"] == json!(["s3:GetObject"]))
        .map(|s| s["Resource"].clone())
        .collect();
    assert!(
        reads.iter().any(|r| r.to_string().contains("/requests/*")),
        "no read of the input prefix in {reads:?} ({get})"
    );
    let kms = statement_with(
        &template,
        &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
    )
    .expect("the output key's grant");
    assert_eq!(
        kms["Resource"],
        json!({"Fn::GetAtt": ["Key961B73FD", "Arn"]})
    );
    // No real-time endpoint in this stack: nothing else grants the key.
    assert_eq!(findings(&template, "RT-006"), []);
    assert_eq!(findings(&template, "RT-002"), []);
    assert_eq!(findings(&template, "RT-004"), []);
    let t = TemplateAssert::new(template);
    // Scale to zero: no idle alarm (nothing is billed at zero instances).
    assert!(
        t.find_resources(
            "AWS::CloudWatch::Alarm",
            json!({"ComparisonOperator": "LessThanThreshold"})
        )
        .is_empty()
    );
}

#[test]
fn an_async_endpoint_that_keeps_instances_alarms_on_invocations_processed() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    AsyncEndpoint::new(
        &mut stack,
        "Queue",
        AsyncEndpointProps {
            scaling: AsyncScaling {
                min: 1,
                max: 3,
                backlog_per_instance: 10.0,
            },
            idle_hours: Some(24),
            ..AsyncEndpointProps::scale_to_zero(&model, bucket.prefix("async/"))
        },
    );
    let template = stack.synth().unwrap().template;
    assert_eq!(findings(&template, "RT-004"), []);
    assert_eq!(findings(&template, "SM-005"), []);
    let t = TemplateAssert::new(template);
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "InvocationsProcessed", "Statistic": "Sum", "EvaluationPeriods": 24}),
    );
    assert!(
        t.find_resources(
            "AWS::CloudWatch::Alarm",
            json!({"MetricName": "Invocations"})
        )
        .is_empty()
    );

    // An idle alarm on a scale-to-zero endpoint is refused.
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    AsyncEndpoint::new(
        &mut stack,
        "Zero",
        AsyncEndpointProps {
            idle_hours: Some(24),
            ..AsyncEndpointProps::scale_to_zero(&model, bucket.prefix("async/"))
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Zero] idle_hours 24 on an endpoint that scales to zero"),
        "{errors}"
    );
}

// 6. Idle alarms mean "idle for the whole window", from the first deploy on.

#[test]
fn idle_alarms_wait_for_the_window_before_they_evaluate() {
    for (hours, warm_up) in [(24, 1440), (1, 60), (72, 2880), (168, 2880)] {
        let mut stack = Stack::for_test();
        let (_, model) = setup(&mut stack);
        let mut p = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
        p.idle_hours = Some(hours);
        RealtimeEndpoint::new(&mut stack, "Serve", p);
        let t = TemplateAssert::new(stack.synth().unwrap().template);
        t.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            json!({"MetricName": "Invocations", "Period": 3600, "EvaluationPeriods": hours,
                   "DatapointsToAlarm": hours, "TreatMissingData": "breaching",
                   "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": warm_up,
                       "OnlyStartEvaluatingAfterWarmUpPeriodEnds": true}}),
        );
    }
    // Seven days is CloudWatch's limit for hourly periods.
    let mut stack = Stack::for_test();
    let (_, model) = setup(&mut stack);
    let mut p = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
    p.idle_hours = Some(169);
    RealtimeEndpoint::new(&mut stack, "Serve", p);
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("idle alarm window 169 h is out of range: 1 to 168 hours"),
        "{errors}"
    );
}

// 7. No panics: every float of the inference props is validated at synth.

const BAD_FLOATS: [f64; 5] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 1e300];

/// Synthesizes a stack with `f` applied to fresh props and returns the
/// error text; a panic fails the test.
fn synth_errors(build: impl FnOnce(&mut Stack, &Bucket, &Model, &Model)) -> String {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let open = open_model(&mut stack, &bucket);
    build(&mut stack, &bucket, &model, &open);
    match stack.synth() {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn non_finite_and_extreme_floats_are_errors_not_panics() {
    for bad in BAD_FLOATS {
        // Messages show huge magnitudes in scientific notation.
        let shown = if bad.is_finite() && bad.abs() >= 1e6 {
            format!("{bad:e}")
        } else {
            format!("{bad}")
        };
        // Variant weight: any finite number 0 or more (1e300 is valid).
        let errors = synth_errors(|stack, _, model, _| {
            let mut p = RealtimeEndpointProps::single(model, it("ml.m5.large"));
            p.variants[0].weight = bad;
            RealtimeEndpoint::new(stack, "Serve", p);
        });
        if bad.is_finite() && bad >= 0.0 {
            assert_eq!(errors, "", "weight {bad}");
        } else {
            assert!(
                errors.contains(&format!(
                    "[test-staging/Serve] variant 'Primary': weight {shown} is out of range: a finite number from 0"
                )),
                "weight {bad}: {errors}"
            );
        }

        // Target tracking targets: above 0, at most 2^360.
        let errors = synth_errors(|stack, _, model, _| {
            let mut p = RealtimeEndpointProps::single(model, it("ml.m5.large"));
            p.variants[0].autoscaling = Some(Autoscaling {
                invocations_per_instance: bad,
                ..Autoscaling::between(1, 2)
            });
            RealtimeEndpoint::new(stack, "Serve", p);
        });
        let target_ok = bad.is_finite() && bad > 0.0 && bad <= 2f64.powi(360);
        assert_eq!(
            errors.contains(&format!(
                "autoscaling.invocations_per_instance target {shown} is out of range: a finite number from above 0 to"
            )),
            !target_ok,
            "invocations_per_instance {bad}: {errors}"
        );
        let errors = synth_errors(|stack, bucket, model, _| {
            AsyncEndpoint::new(
                stack,
                "Batchy",
                AsyncEndpointProps {
                    scaling: AsyncScaling {
                        min: 0,
                        max: 2,
                        backlog_per_instance: bad,
                    },
                    ..AsyncEndpointProps::scale_to_zero(model, bucket.prefix("async/"))
                },
            );
        });
        assert_eq!(
            errors.contains(&format!(
                "[test-staging/Batchy] scaling.backlog_per_instance target {shown} is out of range"
            )),
            !target_ok,
            "backlog_per_instance {bad}: {errors}"
        );

        // Shares: the provisioned-concurrency utilization (0 to 1] and the
        // 5xx rates (0 to 1).
        let errors = synth_errors(|stack, _, _, open| {
            ServerlessEndpoint::new(
                stack,
                "Warm",
                ServerlessEndpointProps {
                    provisioned: Some(Provisioned {
                        concurrency: 2,
                        scaling: Some(ProvisionedScaling {
                            min: 1,
                            max: 4,
                            target_utilization: bad,
                        }),
                    }),
                    max_5xx_rate: bad,
                    ..ServerlessEndpointProps::new(open, Memory::Gb4, 10)
                },
            );
        });
        for wanted in [
            format!(
                "[test-staging/Warm] provisioned concurrency utilization target {shown} is out of range: a finite number from above 0 to 1"
            ),
            format!(
                "[test-staging/Warm] max_5xx_rate {shown} is out of range: a finite share above 0 and below 1"
            ),
        ] {
            assert!(errors.contains(&wanted), "missing {wanted:?} in\n{errors}");
        }
        let errors = synth_errors(|stack, _, model, _| {
            let mut p = RealtimeEndpointProps::single(model, it("ml.m5.large"));
            p.max_5xx_rate = bad;
            p.guardrails = Some(Guardrails::canary_of_one(1));
            RealtimeEndpoint::new(stack, "Serve", p);
        });
        assert!(
            errors.contains(&format!(
                "[test-staging/Serve] max_5xx_rate {shown} is out of range"
            )),
            "max_5xx_rate {bad}: {errors}"
        );
    }
    // The edges that are valid render as numbers.
    let mut stack = Stack::for_test();
    let (_, model) = setup(&mut stack);
    let mut p = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
    p.variants[0].weight = 0.5;
    p.variants[0].autoscaling = Some(Autoscaling {
        invocations_per_instance: 2f64.powi(360),
        ..Autoscaling::between(1, 2)
    });
    p.max_5xx_rate = 0.999;
    RealtimeEndpoint::new(&mut stack, "Serve", p);
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        json!({"ProductionVariants": [{"InitialVariantWeight": 0.5}]}),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        Match::object_like(
            json!({"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 2f64.powi(360)}}),
        ),
    );
}

#[test]
fn a_model_version_that_is_not_a_model_package_arn_is_refused() {
    let errors = synth_errors(|stack, _, _, _| {
        Model::new(
            stack,
            "Pinned",
            ModelProps::from_registry(ModelVersion::pinned("arn:aws:s3:::not-a-package")),
        );
        Model::new(
            stack,
            "Good",
            ModelProps::from_registry(ModelVersion::pinned(
                "arn:aws:sagemaker:us-east-1:222222222222:model-package/churn/7",
            )),
        );
    });
    assert!(
        errors.contains("[test-staging/Pinned] model version: 'arn:aws:s3:::not-a-package' is not a model package ARN: arn:<partition>:sagemaker:<region>:<account>:model-package/<name>[/<version>]"),
        "{errors}"
    );
    assert!(!errors.contains("Good"), "{errors}");
}

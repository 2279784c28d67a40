//! RT-011: canary and linear traffic shifts fit the variant's fleet.

use mlcdk_checks::{Options, check};
use mlcdk_core::Template;
use serde_json::{Value, json};

/// An endpoint with `routing` over a one-variant config of `instances`, and
/// a scalable target with `min_capacity` when given.
fn template(routing: Value, instances: u64, min_capacity: Option<u64>) -> Template {
    let mut resources = json!({
        "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [{
            "VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large",
            "InitialInstanceCount": instances}]}},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": "churn-serve",
            "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
            "DeploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}}}}
    });
    if let Some(min) = min_capacity {
        resources["Scaling"] = json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {"MinCapacity": min, "MaxCapacity": 10,
                "ResourceId": "endpoint/churn-serve/variant/Primary",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "ServiceNamespace": "sagemaker"}, "DependsOn": ["Endpoint"]});
    }
    Template::from_json_str(&json!({ "Resources": resources }).to_string()).unwrap()
}

fn hits(t: &Template) -> Vec<(String, String)> {
    check(t, &Options::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "RT-011")
        .map(|f| (f.logical_id, f.message))
        .collect()
}

fn canary(kind: &str, value: u64) -> Value {
    json!({"Type": "CANARY", "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": kind, "Value": value}})
}

fn linear(kind: &str, value: u64) -> Value {
    json!({"Type": "LINEAR", "WaitIntervalInSeconds": 600,
        "LinearStepSize": {"Type": kind, "Value": value}})
}

#[test]
fn a_canary_of_more_than_half_the_fleet_trips() {
    let t = template(canary("INSTANCE_COUNT", 2), 3, None);
    assert_eq!(
        hits(&t),
        [(
            "Endpoint".to_string(),
            "endpoint Endpoint: the canary (CanarySize) is 2 instance(s), but variant Primary runs 3; SageMaker wants at most 50% of the variant's instance count, so the next update fails (see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html)".to_string()
        )]
    );
    assert!(check(&t, &Options::default()).has_errors());
    // The fleet can be at the scalable target's minimum when the update starts.
    let scaled = template(canary("INSTANCE_COUNT", 2), 4, Some(2));
    assert_eq!(
        hits(&scaled)[0].1,
        "endpoint Endpoint: the canary (CanarySize) is 2 instance(s), but variant Primary runs 2; SageMaker wants at most 50% of the variant's instance count, so the next update fails (see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html)"
    );
    let percent = template(canary("CAPACITY_PERCENT", 60), 4, None);
    assert_eq!(
        hits(&percent)[0].1,
        "endpoint Endpoint: the canary (CanarySize) is 60% of the fleet; SageMaker wants at most 50% of the variant's instance count, so the next update fails (see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html)"
    );
}

#[test]
fn linear_steps_outside_ten_to_fifty_percent_trip() {
    let small = template(linear("CAPACITY_PERCENT", 5), 4, None);
    assert_eq!(
        hits(&small),
        [(
            "Endpoint".to_string(),
            "endpoint Endpoint: the linear step (LinearStepSize) is 5% of the fleet; SageMaker wants 10-50% of the variant's instance count, so the next update fails (see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html)".to_string()
        )]
    );
    let one_of_twenty = template(linear("INSTANCE_COUNT", 1), 20, None);
    assert_eq!(
        hits(&one_of_twenty)[0].1,
        "endpoint Endpoint: the linear step (LinearStepSize) is 1 instance(s), but variant Primary runs 20; SageMaker wants 10-50% of the variant's instance count, so the next update fails (see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html)"
    );
}

#[test]
fn shifts_that_fit_the_fleet_pass() {
    assert!(hits(&template(canary("INSTANCE_COUNT", 2), 4, None)).is_empty());
    assert!(hits(&template(canary("INSTANCE_COUNT", 1), 4, Some(2))).is_empty());
    // A target that scales to zero leaves the initial count as the fleet.
    assert!(hits(&template(canary("INSTANCE_COUNT", 1), 2, Some(0))).is_empty());
    assert!(hits(&template(canary("CAPACITY_PERCENT", 10), 1, None)).is_empty());
    assert!(hits(&template(linear("CAPACITY_PERCENT", 25), 4, None)).is_empty());
    assert!(hits(&template(linear("INSTANCE_COUNT", 2), 10, None)).is_empty());
    let all_at_once = json!({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0});
    assert!(hits(&template(all_at_once, 1, None)).is_empty());
}

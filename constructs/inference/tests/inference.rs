//! Models and endpoints: defaults, options, and every validation with bad input.

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::{Expr, Stack};
use mlcdk_inference::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
use mlcdk_storage::{Bucket, BucketProps, KmsKey, KmsKeyProps};
use serde_json::json;

const IMAGE: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

fn setup(stack: &mut Stack) -> (Bucket, Model) {
    let bucket = Bucket::new(stack, "Artifacts", BucketProps::default());
    let registry = ModelRegistry::new(stack, "Churn", ModelRegistryProps::default());
    let model = Model::new(
        stack,
        "Churn3",
        ModelProps::from_registry(
            registry
                .version(3)
                .served_from(bucket.path("models/"), IMAGE),
        ),
    );
    (bucket, model)
}

#[test]
fn models_from_every_source() {
    let mut stack = Stack::for_test();
    let (bucket, _) = setup(&mut stack);
    Model::new(
        &mut stack,
        "Artifact",
        ModelProps::from_artifact(IMAGE, bucket.path("m/model.tar.gz")),
    );
    Model::new(
        &mut stack,
        "Multi",
        ModelProps::multi_model(IMAGE, bucket.path("many/")),
    );
    Model::new(
        &mut stack,
        "Chain",
        ModelProps {
            source: Some(ModelSource::MultiContainer(vec![
                (IMAGE.into(), bucket.path("a/")),
                (IMAGE.into(), bucket.path("b/")),
            ])),
            network_isolation: false,
            vpc: Some(Vpc {
                subnets: vec![Expr::lit("subnet-1")],
                security_groups: vec![Expr::lit("sg-1")],
            }),
            ..Default::default()
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.resource_count_is("AWS::SageMaker::Model", 4);
    t.has_resource_properties(
        "AWS::SageMaker::Model",
        json!({"EnableNetworkIsolation": true, "PrimaryContainer": {"ModelPackageName":
            {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/test-staging-churn/3"}}}),
    );
    t.has_resource_properties(
        "AWS::SageMaker::Model",
        json!({"PrimaryContainer": {"Mode": "MultiModel"}}),
    );
    t.has_resource_properties(
        "AWS::SageMaker::Model",
        json!({"InferenceExecutionConfig": {"Mode": "Serial"}, "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}),
    );
    // Roles are scoped: the package, the image's repository, no managed policies.
    t.has_resource_properties(
        "AWS::IAM::Role",
        Match::object([
            ("ManagedPolicyArns", Match::absent()),
            (
                "Policies",
                Match::array_with([Match::object([(
                    "PolicyDocument",
                    Match::object([(
                        "Statement",
                        Match::array_with([Match::object_like(json!({
                            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:683313688378:repository/sagemaker-xgboost"}
                        }))]),
                    )]),
                )])]),
            ),
        ]),
    );
}

#[test]
fn realtime_with_autoscaling_capture_guardrails_and_alarms() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    let mut p = RealtimeEndpointProps::single(&model, "ml.m5.large");
    p.variants[0].autoscaling = Some(Autoscaling::between(2, 4));
    p.data_capture = Some(DataCapture::sample(20, bucket.path("capture/")));
    p.guardrails = Some(Guardrails::canary_of_one(2));
    p.kms = Some(key);
    p.alerts = Some(Expr::lit("arn:aws:sns:us-east-1:111111111111:alerts"));
    let e = RealtimeEndpoint::new(&mut stack, "Serve", p);
    assert_eq!(e.name_literal(), "test-staging-serve");
    assert!(e.capture().is_some());
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        json!({"KmsKeyId": {"Fn::GetAtt": ["Key961B73FD", "Arn"]},
               "DataCaptureConfig": {"EnableCapture": true, "InitialSamplingPercentage": 20,
                   "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]},
               "ProductionVariants": [{"VariantName": "Primary", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}]}),
    );
    t.has_resource(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({"DependsOn": ["Serve512DB17D"], "Properties": {
            "ResourceId": "endpoint/test-staging-serve/variant/Primary",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 2, "MaxCapacity": 4}}),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({"PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}}),
    );
    t.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        json!({"EndpointName": "test-staging-serve", "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50}, "WaitIntervalInSeconds": 600}},
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": {"Ref": "ServePrimaryErrors4906A37A"}},
                                                      {"AlarmName": {"Ref": "ServePrimaryLatencyE960A80B"}}]}}}),
    );
    t.resource_count_is("AWS::CloudWatch::Alarm", 3);
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "Invocations", "Statistic": "Sum", "Period": 3600, "EvaluationPeriods": 24,
               "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
               "AlarmActions": ["arn:aws:sns:us-east-1:111111111111:alerts"]}),
    );
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "ModelLatency", "Threshold": 1000000.0}),
    );
}

#[test]
fn capture_falls_back_to_the_endpoint_key_and_start_meets_the_scaling_floor() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    let mut p = RealtimeEndpointProps::single(&model, "ml.m5.large");
    p.variants[0].autoscaling = Some(Autoscaling::between(3, 4));
    // The bucket has no key of its own: captures use the endpoint's.
    p.data_capture = Some(DataCapture::sample(20, bucket.path("capture/")));
    p.kms = Some(key);
    RealtimeEndpoint::new(&mut stack, "Serve", p);
    let template = stack.synth().unwrap().template;
    // The model's role writes the captures, so it may encrypt with the key.
    let (_, role) = template.resources_of_type("AWS::IAM::Role").next().unwrap();
    let policy = serde_json::to_string(&role.properties["Policies"]).unwrap();
    assert!(
        policy.contains(r#"{"Action":["kms:Encrypt","kms:GenerateDataKey"],"Effect":"Allow","Resource":{"Fn::GetAtt":["Key961B73FD","Arn"]}}"#),
        "{policy}"
    );
    let t = TemplateAssert::new(template);
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        json!({"DataCaptureConfig": {"KmsKeyId": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}},
               "ProductionVariants": [{"InitialInstanceCount": 3}]}),
    );
}

#[test]
fn realtime_validations() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    let mut bad = RealtimeEndpointProps::single(&model, "m5.large");
    bad.variants[0].autoscaling = Some(Autoscaling::between(0, 2));
    bad.variants[0].weight = 0.0;
    bad.data_capture = Some(DataCapture {
        sampling_percent: 150,
        ..DataCapture::sample(1, bucket.path("c/"))
    });
    bad.guardrails = Some(Guardrails {
        shift: TrafficShift::Linear {
            percent: 100,
            wait_seconds: 4000,
        },
        termination_wait_seconds: 5000,
        max_execution_seconds: 60,
    });
    bad.idle_hours = Some(200);
    RealtimeEndpoint::new(&mut stack, "Bad", bad);
    let mut range = RealtimeEndpointProps::single(&model, "ml.m5d.large");
    range.variants[0].autoscaling = Some(Autoscaling::between(5, 2));
    range.kms = Some(key);
    range
        .variants
        .push(Variant::new("Primary", &model, "ml.m5.large"));
    range.guardrails = Some(Guardrails::canary());
    RealtimeEndpoint::new(&mut stack, "Range", range);
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Bad] variant 'Primary': instance type 'm5.large' is invalid: SageMaker instance types look like 'ml.m5.xlarge'",
        "[test-staging/Bad] variant 'Primary': autoscaling min 0 is not allowed",
        "[test-staging/Bad] every variant has weight 0",
        "[test-staging/Bad] data capture sampling 150 % is out of range: 0 to 100",
        "[test-staging/Bad] guardrails: the linear step of 100 % is out of range: 10 to 50 % of the variant's instance count",
        "[test-staging/Bad] guardrails: wait of 4000 s is out of range: 0 to 3600",
        "[test-staging/Bad] guardrails: termination wait of 5000 s is out of range",
        "[test-staging/Bad] guardrails: maximum execution time of 60 s is out of range: 600 to 28800",
        "[test-staging/Bad] idle alarm window 200 h is out of range: 1 to 168 hours",
        "[test-staging/Range] variant 'Primary': autoscaling min (5) exceeds max (2)",
        "[test-staging/Range] variant 'Primary' is defined twice",
        "[test-staging/Range] variant 'Primary': ml.m5d.large has local NVMe storage",
        "[test-staging/Range] deployment guardrails (blue/green) need a single-variant endpoint",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

#[test]
fn a_model_without_a_source_or_with_a_foreign_image() {
    let mut stack = Stack::for_test();
    Model::new(&mut stack, "Empty", ModelProps::default());
    let b = Bucket::new(&mut stack, "B", BucketProps::default());
    Model::new(
        &mut stack,
        "Docker",
        ModelProps::from_artifact("python:3.11", b.path("m/")),
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Empty] the model has no source"),
        "{errors}"
    );
    assert!(errors.mentions("[test-staging/Docker] image 'python:3.11' is not an ECR image URI"));
}

#[test]
fn serverless_and_its_exclusions() {
    let mut stack = Stack::for_test();
    let (bucket, _) = setup(&mut stack);
    let model = Model::new(
        &mut stack,
        "Open",
        ModelProps {
            network_isolation: false,
            ..ModelProps::from_artifact(IMAGE, bucket.path("m/"))
        },
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Adhoc",
        ServerlessProps {
            provisioned: Some(Provisioned {
                concurrency: 2,
                scaling: Some((1, 4, 0.7)),
            }),
            ..ServerlessProps::new(&model, Memory::Gb2, 5)
        },
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        json!({"ProductionVariants": [{"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 2}}]}),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({"ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency", "MinCapacity": 1, "MaxCapacity": 4}),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 0.7,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"}}}),
    );

    let mut stack = Stack::for_test();
    let (bucket2, model) = setup(&mut stack);
    let vpc_model = Model::new(
        &mut stack,
        "InVpc",
        ModelProps {
            vpc: Some(Vpc {
                subnets: vec![Expr::lit("s")],
                security_groups: vec![Expr::lit("g")],
            }),
            ..ModelProps::from_artifact(IMAGE, bucket2.path("m/"))
        },
    );
    let multi = Model::new(
        &mut stack,
        "Multi",
        ModelProps::multi_model(IMAGE, bucket2.path("mm/")),
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Big",
        ServerlessProps::new(&model, Memory::Gb6, 500),
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Prov",
        ServerlessProps {
            provisioned: Some(Provisioned {
                concurrency: 10,
                scaling: Some((0, 20, 2.0)),
            }),
            ..ServerlessProps::new(&model, Memory::Gb1, 5)
        },
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Vpc",
        ServerlessProps::new(&vpc_model, Memory::Gb1, 1),
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Mme",
        ServerlessProps::new(&multi, Memory::Gb1, 1),
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Big] max_concurrency 500 is out of range: serverless endpoints take 1 to 200",
        "[test-staging/Prov] provisioned concurrency 10 is out of range: 1 to 200 and at most max_concurrency (5)",
        "[test-staging/Prov] provisioned concurrency scaling 0–20 is invalid",
        "[test-staging/Prov] provisioned concurrency utilization target 2 is out of range",
        "[test-staging/Vpc] model InVpc runs in a VPC, and serverless inference does not support VPC configuration",
        "[test-staging/Vpc] model InVpc is network-isolated, and serverless inference does not support network isolation",
        "[test-staging/Mme] serverless endpoints do not support multi-model models",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
    assert_eq!(Memory::from_mb(2048), Ok(Memory::Gb2));
    assert!(
        Memory::from_mb(1500)
            .unwrap_err()
            .contains("1024, 2048, 3072, 4096, 5120 or 6144 MB")
    );
    let _ = bucket;
}

#[test]
fn async_scales_to_zero_and_wakes() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    AsyncEndpoint::new(
        &mut stack,
        "Batchy",
        AsyncProps::scale_to_zero(&model, bucket.path("async/")),
    );
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        json!({"AsyncInferenceConfig": {"OutputConfig": {
            "S3OutputPath": {"Fn::Join": ["", ["s3://", {"Ref": "Artifacts82DD59A1"}, "/async/"]]},
            "S3FailurePath": {"Fn::Join": ["", ["s3://", {"Ref": "Artifacts82DD59A1"}, "/async/failures/"]]},
            "NotificationConfig": {"SuccessTopic": {"Ref": "BatchySuccessTopic4E88A1EF"}}}}}),
    );
    t.resource_count_is("AWS::SNS::Topic", 2);
    t.has_resource_properties(
        "AWS::SNS::Topic",
        json!({"KmsMasterKeyId": "alias/aws/sns"}),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({"MinCapacity": 0, "MaxCapacity": 2}),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({"TargetTrackingScalingPolicyConfiguration": {"CustomizedMetricSpecification": {
            "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker"}}}),
    );
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({"MetricName": "HasBacklogWithoutCapacity", "AlarmActions": [{"Ref": "BatchyWakeFromZeroD51E04BE"}]}),
    );

    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    AsyncEndpoint::new(
        &mut stack,
        "Bad",
        AsyncProps {
            max_concurrent_invocations_per_instance: Some(2000),
            scaling: AsyncScaling {
                min: 3,
                max: 1,
                backlog_per_instance: 0.0,
            },
            instance: "large".into(),
            ..AsyncProps::scale_to_zero(&model, bucket.path("a/"))
        },
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Bad] max_concurrent_invocations_per_instance 2000 is out of range: 1 to 1000",
        "[test-staging/Bad] scaling 3–1 is invalid",
        "[test-staging/Bad] scaling.backlog_per_instance target 0 is out of range",
        "[test-staging/Bad] instance type 'large' is invalid",
    ] {
        assert!(errors.mentions(e), "missing {e:?} in\n{errors}");
    }
}

#[test]
fn multi_model_endpoint_needs_a_multi_model_model() {
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let multi = Model::new(
        &mut stack,
        "Multi",
        ModelProps::multi_model(IMAGE, bucket.path("mm/")),
    );
    MultiModelEndpoint::new(
        &mut stack,
        "Segments",
        MultiModelEndpointProps {
            model: multi,
            instance: "ml.m5.large".into(),
            autoscaling: None,
            alerts: None,
            idle_hours: Some(24),
            kms: None,
        },
    );
    assert!(stack.synth().is_ok());
    let mut stack = Stack::for_test();
    let (_, model2) = setup(&mut stack);
    MultiModelEndpoint::new(
        &mut stack,
        "Wrong",
        MultiModelEndpointProps {
            model: model2,
            instance: "ml.m5.large".into(),
            autoscaling: None,
            alerts: None,
            idle_hours: None,
            kms: None,
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Wrong] a multi-model endpoint needs a multi-model model"),
        "{errors}"
    );
    let _ = model;
}

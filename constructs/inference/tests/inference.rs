//! Models and endpoints: defaults, options, and every validation with bad input.

use mlcdk_core::assertions::{Match, TemplateAssert};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{Construct, Expr, PhysicallyNamed, Stack};
use mlcdk_inference::*;
use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
use mlcdk_sagemaker::{EcrImage, EndpointRef, InstanceType, ModelArtifacts};
use mlcdk_storage::{Bucket, BucketProps, KmsKey, KmsKeyProps};
use serde_json::json;

const IMAGE: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

fn image() -> EcrImage {
    IMAGE.parse().unwrap()
}

fn it(instance: &str) -> InstanceType {
    instance.parse().unwrap()
}

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

#[test]
fn models_from_every_source() {
    let mut stack = Stack::for_test();
    let (bucket, _) = setup(&mut stack);
    Model::new(
        &mut stack,
        "Artifact",
        ModelProps::from_artifact(image(), bucket.prefix("m/model.tar.gz")),
    );
    Model::new(
        &mut stack,
        "Multi",
        ModelProps::multi_model(image(), bucket.prefix("many/")),
    );
    Model::new(
        &mut stack,
        "Chain",
        ModelProps {
            network_isolation: NetworkIsolation::open("the option under test: an open model"),
            vpc: Some(Vpc {
                subnets: vec![Expr::lit("subnet-1")],
                security_groups: vec![Expr::lit("sg-1")],
            }),
            ..ModelProps::new(ModelSource::MultiContainer(vec![
                Container {
                    image: image(),
                    model_data: bucket.prefix("a/"),
                },
                Container {
                    image: image(),
                    model_data: bucket.prefix("b/"),
                },
            ]))
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
    let mut p = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
    p.variants[0].autoscaling = Some(Autoscaling::between(2, 4));
    p.data_capture = Some(DataCapture::sample(20, bucket.prefix("capture/")));
    p.guardrails = Some(Guardrails::canary_of_one(2));
    p.encryption_key = Some(key.into());
    p.alerts = Some(TopicRef::from_arn(Expr::lit(
        "arn:aws:sns:us-east-1:111111111111:alerts",
    )));
    let e = RealtimeEndpoint::new(&mut stack, "Serve", p);
    assert_eq!(e.physical_name(), "test-staging-serve");
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
    let mut p = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
    p.variants[0].autoscaling = Some(Autoscaling::between(3, 4));
    // The bucket has no key of its own: captures use the endpoint's.
    p.data_capture = Some(DataCapture::sample(20, bucket.prefix("capture/")));
    p.encryption_key = Some(key.into());
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
    // A wrong instance type fails when it is parsed, before any construct.
    assert!("m5.large".parse::<InstanceType>().unwrap_err().contains(
        "instance type 'm5.large' is invalid: SageMaker instance types look like 'ml.m5.xlarge'"
    ));
    let mut bad = RealtimeEndpointProps::single(&model, it("ml.m5.large"));
    bad.variants[0].autoscaling = Some(Autoscaling::between(0, 2));
    bad.variants[0].weight = 0.0;
    bad.data_capture = Some(DataCapture {
        sampling_percent: 150,
        ..DataCapture::sample(1, bucket.prefix("c/"))
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
    let mut range = RealtimeEndpointProps::single(&model, it("ml.m5d.large"));
    range.variants[0].autoscaling = Some(Autoscaling::between(5, 2));
    range.encryption_key = Some(key.into());
    range
        .variants
        .push(Variant::new("Primary", &model, it("ml.m5.large")));
    range.guardrails = Some(Guardrails::canary());
    RealtimeEndpoint::new(&mut stack, "Range", range);
    let errors = stack.synth().unwrap_err();
    for e in [
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
fn a_foreign_image_fails_when_parsed_and_a_pipeline_needs_two_containers() {
    // A model always has a source (ModelProps::new takes it), and an image
    // that is not an ECR URI is refused when parsed.
    assert!(
        "python:3.11"
            .parse::<EcrImage>()
            .unwrap_err()
            .contains("image 'python:3.11' is not an ECR image URI")
    );
    let mut stack = Stack::for_test();
    let b = Bucket::new(&mut stack, "B", BucketProps::default());
    Model::new(
        &mut stack,
        "Lonely",
        ModelProps::new(ModelSource::MultiContainer(vec![Container {
            image: image(),
            model_data: b.prefix("m/"),
        }])),
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Lonely] 1 containers; a multi-container model has 2 to 15"),
        "{errors}"
    );
}

#[test]
fn serverless_and_its_exclusions() {
    let mut stack = Stack::for_test();
    let (bucket, _) = setup(&mut stack);
    let model = Model::new(
        &mut stack,
        "Open",
        ModelProps {
            network_isolation: NetworkIsolation::open("the option under test: an open model"),
            ..ModelProps::from_artifact(image(), bucket.prefix("m/"))
        },
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Adhoc",
        ServerlessEndpointProps {
            provisioned: Some(Provisioned {
                concurrency: 2,
                scaling: Some(ProvisionedScaling {
                    min: 1,
                    max: 4,
                    target_utilization: 0.7,
                }),
            }),
            ..ServerlessEndpointProps::new(&model, Memory::Gb2, 5)
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
            ..ModelProps::from_artifact(image(), bucket2.prefix("m/"))
        },
    );
    let multi = Model::new(
        &mut stack,
        "Multi",
        ModelProps::multi_model(image(), bucket2.prefix("mm/")),
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Big",
        ServerlessEndpointProps::new(&model, Memory::Gb6, 500),
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Prov",
        ServerlessEndpointProps {
            provisioned: Some(Provisioned {
                concurrency: 10,
                scaling: Some(ProvisionedScaling {
                    min: 0,
                    max: 20,
                    target_utilization: 2.0,
                }),
            }),
            ..ServerlessEndpointProps::new(&model, Memory::Gb1, 5)
        },
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Vpc",
        ServerlessEndpointProps::new(&vpc_model, Memory::Gb1, 1),
    );
    ServerlessEndpoint::new(
        &mut stack,
        "Mme",
        ServerlessEndpointProps::new(&multi, Memory::Gb1, 1),
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
        AsyncEndpointProps::scale_to_zero(&model, bucket.prefix("async/")),
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
        AsyncEndpointProps {
            max_concurrent_invocations_per_instance: Some(2000),
            scaling: AsyncScaling {
                min: 3,
                max: 1,
                backlog_per_instance: 0.0,
            },
            ..AsyncEndpointProps::scale_to_zero(&model, bucket.prefix("a/"))
        },
    );
    let errors = stack.synth().unwrap_err();
    for e in [
        "[test-staging/Bad] max_concurrent_invocations_per_instance 2000 is out of range: 1 to 1000",
        "[test-staging/Bad] scaling 3–1 is invalid",
        "[test-staging/Bad] scaling.backlog_per_instance target 0 is out of range",
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
        ModelProps::multi_model(image(), bucket.prefix("mm/")),
    );
    MultiModelEndpoint::new(
        &mut stack,
        "Segments",
        MultiModelEndpointProps::new(&multi, it("ml.m5.large")),
    );
    assert!(stack.synth().is_ok());
    let mut stack = Stack::for_test();
    let (_, model2) = setup(&mut stack);
    MultiModelEndpoint::new(
        &mut stack,
        "Wrong",
        MultiModelEndpointProps {
            idle_hours: None,
            ..MultiModelEndpointProps::new(&model2, it("ml.m5.large"))
        },
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Wrong] a multi-model endpoint needs a multi-model model"),
        "{errors}"
    );
    let _ = model;
}

#[test]
fn every_endpoint_is_a_handle_with_grants_metrics_and_an_endpoint_ref() {
    use mlcdk_core::iam::{Principal, Role, RoleProps};
    let mut stack = Stack::for_test();
    let (bucket, model) = setup(&mut stack);
    let open = Model::new(
        &mut stack,
        "Open",
        ModelProps {
            network_isolation: NetworkIsolation::open("the option under test: an open model"),
            ..ModelProps::from_artifact(image(), bucket.prefix("open/"))
        },
    );
    let caller = Role::new(
        &mut stack,
        "Caller",
        RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")),
    );
    let serve = RealtimeEndpoint::new(
        &mut stack,
        "Serve",
        RealtimeEndpointProps {
            data_capture: Some(DataCapture::sample(5, bucket.prefix("capture/"))),
            ..RealtimeEndpointProps::autoscaled(
                &model,
                it("ml.m5.large"),
                Autoscaling::between(2, 4),
            )
        },
    );
    let adhoc = ServerlessEndpoint::new(
        &mut stack,
        "Adhoc",
        ServerlessEndpointProps::new(&open, Memory::Gb2, 5),
    );
    let batchy = AsyncEndpoint::new(
        &mut stack,
        "Batchy",
        AsyncEndpointProps::scale_to_zero(&model, bucket.prefix("async/")),
    );

    // Handles: resources, config, scaling targets, alarms, paths, names.
    assert_eq!(serve.node_path().to_string(), "Serve");
    assert_eq!(serve.physical_name(), "test-staging-serve");
    assert_eq!(serve.name(), serve.resource().get_att("EndpointName"));
    assert_eq!(serve.arn(), serve.resource().reference());
    assert_eq!(
        serve.config().resource_type(),
        "AWS::SageMaker::EndpointConfig"
    );
    assert!(serve.scaling_target("Primary").is_some());
    assert!(serve.scaling_target("Other").is_none());
    assert!(adhoc.scaling_target("Primary").is_none());
    let ids: Vec<String> = serve
        .alarms()
        .iter()
        .map(|a| a.node_path().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "Serve/PrimaryErrors",
            "Serve/PrimaryLatency",
            "Serve/PrimaryIdle"
        ]
    );
    assert!(batchy.alarm("HasBacklogWithoutCapacity").is_some());

    // Every endpoint converts into an EndpointRef that carries its
    // references, variants and capture.
    for (e, kind) in [
        (EndpointRef::from(&serve), "serve"),
        (EndpointRef::from(&adhoc), "adhoc"),
        (EndpointRef::from(&batchy), "batchy"),
    ] {
        assert_eq!(e.physical_name(), format!("test-staging-{kind}"));
        assert_eq!(e.variants(), ["Primary"]);
        assert!(e.resource().is_some());
        // Only the real-time endpoint captures data (what a monitor reads).
        assert_eq!(e.capture().is_some(), kind == "serve", "{kind}");
    }

    // Metrics are what the alarms watch.
    let errors = serve.metric_5xx_errors("Primary");
    assert_eq!(errors.name, "Invocation5XXErrors");
    assert_eq!(
        errors
            .dimensions
            .iter()
            .map(|d| d.value.clone())
            .collect::<Vec<_>>(),
        [Expr::lit("test-staging-serve"), Expr::lit("Primary")]
    );
    assert_eq!(serve.metric_model_latency("Primary").name, "ModelLatency");
    assert_eq!(
        batchy.metric_invocations("Primary").name,
        "InvocationsProcessed"
    );
    assert_eq!(batchy.metric_backlog().name, "ApproximateBacklogSize");

    // Grants are kept and scoped to the endpoint.
    let grant = serve.grant_invoke(&caller);
    assert_eq!(
        grant.actions(),
        ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"]
    );
    adhoc.grant_invoke(&caller);
    batchy.grant_invoke(&caller);
    // The model is a grantee: a grant to it goes to its role.
    let read = bucket.prefix("extra/");
    read.grant_read(&model);
    let text = serde_json::to_string(&stack.synth().unwrap().template).unwrap();
    for endpoint in ["Serve512DB17D", "AdhocFA913BA6", "Batchy4DB55231"] {
        let statement = format!(
            r#"{{"Action":["sagemaker:InvokeEndpoint","sagemaker:InvokeEndpointAsync"],"Effect":"Allow","Resource":{{"Ref":"{endpoint}"}}}}"#
        );
        assert!(text.contains(&statement), "missing {statement}");
    }
    assert!(text.contains("/extra/*"));
}

#[test]
fn weighted_variants_are_a_preset() {
    let mut stack = Stack::for_test();
    let (bucket, champion) = setup(&mut stack);
    let challenger = Model::new(
        &mut stack,
        "Challenger",
        ModelProps::from_artifact(image(), bucket.prefix("challenger/model.tar.gz")),
    );
    let ab = RealtimeEndpoint::new(
        &mut stack,
        "Ab",
        RealtimeEndpointProps::weighted(it("ml.m5.large"), [(&champion, 0.9), (&challenger, 0.1)]),
    );
    assert_eq!(ab.variants(), ["Churn3", "Challenger"]);
    let t = TemplateAssert::new(stack.synth().unwrap().template);
    t.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        json!({"ProductionVariants": [
            {"VariantName": "Churn3", "InitialVariantWeight": 0.9, "InstanceType": "ml.m5.large"},
            {"VariantName": "Challenger", "InitialVariantWeight": 0.1, "InstanceType": "ml.m5.large"}
        ]}),
    );
    // Each variant has its own alarms.
    t.resource_count_is("AWS::CloudWatch::Alarm", 6);

    // A bad weight is still an error with the variant named.
    let mut stack = Stack::for_test();
    let (_, champion) = setup(&mut stack);
    RealtimeEndpoint::new(
        &mut stack,
        "Ab",
        RealtimeEndpointProps::weighted(it("ml.m5.large"), [(&champion, -1.0)]),
    );
    let errors = stack.synth().unwrap_err();
    assert!(
        errors.mentions("[test-staging/Ab] variant 'Churn3': weight -1 is out of range"),
        "{errors}"
    );
}

#[test]
fn model_environment_and_encryption_key() {
    let mut stack = Stack::for_test();
    let bucket = Bucket::new(&mut stack, "B", BucketProps::default());
    let key = KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
    Model::new(
        &mut stack,
        "M",
        ModelProps {
            environment: [("LOG_LEVEL".to_string(), "info".to_string())].into(),
            encryption_key: Some((&key).into()),
            ..ModelProps::from_artifact(image(), bucket.prefix("m/model.tar.gz"))
        },
    );
    let template = stack.synth().unwrap().template;
    let text = serde_json::to_string(&template).unwrap();
    assert!(text.contains(
        r#"{"Action":"kms:Decrypt","Effect":"Allow","Resource":{"Fn::GetAtt":["Key961B73FD","Arn"]}}"#
    ));
    let t = TemplateAssert::new(template);
    t.has_resource_properties(
        "AWS::SageMaker::Model",
        json!({"PrimaryContainer": {"Environment": {"LOG_LEVEL": "info"}}}),
    );
}

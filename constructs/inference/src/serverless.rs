//! Serverless endpoints: pay per request, cold starts.

use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, Construct, Json, Scope};
use mlcdk_sagemaker::{EndpointRef, PRIMARY_VARIANT};

use crate::common::*;
use crate::model::Model;

/// Serverless memory sizes: SageMaker takes exactly these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// 1,024 MB.
    Gb1,
    /// 2,048 MB.
    Gb2,
    /// 3,072 MB.
    Gb3,
    /// 4,096 MB.
    Gb4,
    /// 5,120 MB.
    Gb5,
    /// 6,144 MB, the most; vCPUs grow with memory, so a compute-bound model
    /// may need more memory than its size suggests.
    Gb6,
}

impl Memory {
    /// The size in megabytes, as SageMaker takes it.
    pub fn mb(self) -> u32 {
        1024 * match self {
            Memory::Gb1 => 1,
            Memory::Gb2 => 2,
            Memory::Gb3 => 3,
            Memory::Gb4 => 4,
            Memory::Gb5 => 5,
            Memory::Gb6 => 6,
        }
    }

    /// From megabytes: 1024, 2048, 3072, 4096, 5120 or 6144.
    pub fn from_mb(mb: u32) -> Result<Memory, String> {
        match mb {
            1024 => Ok(Memory::Gb1),
            2048 => Ok(Memory::Gb2),
            3072 => Ok(Memory::Gb3),
            4096 => Ok(Memory::Gb4),
            5120 => Ok(Memory::Gb5),
            6144 => Ok(Memory::Gb6),
            other => Err(format!(
                "serverless memory {other} MB is not offered: 1024, 2048, 3072, 4096, 5120 or 6144 MB"
            )),
        }
    }
}

/// Target tracking of provisioned concurrency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProvisionedScaling {
    /// The least provisioned concurrency, at least 1.
    pub min: u32,
    /// The most, at least `min` and at most the endpoint's `max_concurrency`.
    pub max: u32,
    /// Target `SageMakerVariantProvisionedConcurrencyUtilization`: the share
    /// of provisioned concurrency in use, above 0 and at most 1.
    pub target_utilization: f64,
}

/// Provisioned concurrency (no cold starts for that many concurrent requests),
/// with its own autoscaling on utilization.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Provisioned {
    /// Concurrent requests kept warm, 1–200 and at most the endpoint's
    /// `max_concurrency`; billed while idle.
    pub concurrency: u32,
    /// Scale provisioned concurrency on its utilization; fixed when `None`.
    pub scaling: Option<ProvisionedScaling>,
}

/// Props of a [`ServerlessEndpoint`].
#[derive(Clone, Debug)]
pub struct ServerlessEndpointProps {
    /// The model served; not network-isolated, not in a VPC, not multi-model.
    pub model: Model,
    /// Memory per concurrent request; the price per second grows with it.
    pub memory: Memory,
    /// 1–200.
    pub max_concurrency: u32,
    /// Provisioned concurrency; none (all requests may cold-start) when `None`.
    pub provisioned: Option<Provisioned>,
    /// Topic the 5xx alarm notifies.
    pub alerts: Option<TopicRef>,
    /// Share of requests answered with a 5xx (above 0, below 1; default
    /// 0.05) that raises the error alarm.
    pub max_5xx_rate: f64,
}

impl ServerlessEndpointProps {
    /// Serve `model` with `memory` per request, up to `max_concurrency`
    /// concurrent requests (1–200).
    pub fn new(model: &Model, memory: Memory, max_concurrency: u32) -> ServerlessEndpointProps {
        ServerlessEndpointProps {
            model: model.clone(),
            memory,
            max_concurrency,
            provisioned: None,
            alerts: None,
            max_5xx_rate: 0.05,
        }
    }
}

/// A serverless endpoint. What serverless does not support is refused: a
/// network-isolated model, a model in a VPC or in multi-model mode; data capture, KMS volume keys,
/// several variants and instance types have no place in its props.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
///
/// let mut stack = Stack::for_test();
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// // Serverless inference does not run network-isolated models.
/// let model = Model::new(&mut stack, "Churn3", ModelProps {
///     network_isolation: NetworkIsolation::open("serverless inference does not run isolated models"),
///     ..ModelProps::from_registry(registry.version(3))
/// });
/// let adhoc = ServerlessEndpoint::new(&mut stack, "Adhoc", ServerlessEndpointProps {
///     provisioned: Some(Provisioned { concurrency: 1, scaling: None }),
///     ..ServerlessEndpointProps::new(&model, Memory::Gb2, 5)
/// });
/// assert!(adhoc.alarm("PrimaryErrors").is_some());
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ServerlessEndpoint {
    parts: Parts,
}

endpoint_handle!(ServerlessEndpoint, "Invocations");

impl ServerlessEndpoint {
    /// An endpoint, its config, a 5xx alarm and (with provisioned scaling)
    /// autoscaling, validated at synth: concurrency bounds, the error-rate and
    /// utilization targets, a model without network isolation, VPC or
    /// multi-model mode.
    pub fn new(
        scope: &mut impl Scope,
        id: &str,
        props: ServerlessEndpointProps,
    ) -> ServerlessEndpoint {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let name = endpoint_name(&node);
        let named = EndpointRef::from_name(&name, [PRIMARY_VARIANT]);
        if !(1..=200).contains(&props.max_concurrency) {
            node.error(format!(
                "max_concurrency {} is out of range: serverless endpoints take 1 to 200",
                props.max_concurrency
            ));
        }
        // "Some of the features currently available for SageMaker Real-time
        // Inference are not supported for Serverless Inference, including ...
        // VPC configuration, network isolation, ..."
        // (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html):
        // CreateEndpoint fails midway through the stack, which rolls back.
        if props.model.network_isolation() {
            node.error(format!(
                "model {} is network-isolated, and serverless inference does not support network isolation (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html): serve a model made with `network_isolation: NetworkIsolation::open(reason)` in its ModelProps, or serve this one from a real-time endpoint",
                props.model.node_path()
            ));
        }
        if props.model.has_vpc() {
            node.error(format!(
                "model {} runs in a VPC, and serverless inference does not support VPC configuration (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html): serve a model without `vpc`, or serve this one from a real-time endpoint",
                props.model.node_path()
            ));
        }
        if let Err(e) = check_error_rate(props.max_5xx_rate) {
            node.error(e);
        }
        // Serverless endpoints run on CPU: a JumpStart container resolved
        // for an accelerated instance type carries a GPU (or Neuron) image.
        if let Some(instance) = props.model.jumpstart_instance()
            && !matches!(
                instance.family().chars().next(),
                Some('m' | 'c' | 'r' | 't')
            )
        {
            node.error(format!(
                "model {} is a JumpStart model resolved for {instance}, an accelerated instance type, and serverless endpoints run on CPU only: serve it from a real-time or async endpoint, or resolve it for a CPU type the model supports (`instance: Some(..)` in its JumpStartModel)",
                props.model.node_path()
            ));
        }
        if props.model.is_multi_model() {
            node.error("serverless endpoints do not support multi-model models; use a multi-model endpoint");
        }
        let mut serverless = vec![
            ("MemorySizeInMB", Json::from(props.memory.mb())),
            ("MaxConcurrency", Json::from(props.max_concurrency)),
        ];
        if let Some(p) = &props.provisioned {
            if !(1..=200).contains(&p.concurrency) || p.concurrency > props.max_concurrency {
                node.error(format!(
                    "provisioned concurrency {} is out of range: 1 to 200 and at most max_concurrency ({})",
                    p.concurrency, props.max_concurrency
                ));
            }
            if let Some(ProvisionedScaling {
                min,
                max,
                target_utilization: utilization,
            }) = p.scaling
            {
                if min == 0 || min > max || max > props.max_concurrency {
                    node.error(format!(
                        "provisioned concurrency scaling {min}–{max} is invalid: 1 ≤ min ≤ max ≤ max_concurrency ({})",
                        props.max_concurrency
                    ));
                }
                // SageMakerVariantProvisionedConcurrencyUtilization is a share of
                // the provisioned concurrency in use, 0 to 1
                // (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html).
                if let Err(e) = check_float(
                    "provisioned concurrency utilization target",
                    utilization,
                    (0.0, true),
                    1.0,
                ) {
                    node.error(e);
                }
            }
            serverless.push(("ProvisionedConcurrency", Json::from(p.concurrency)));
        }
        let config = node.add_resource(
            "Config",
            CfnResource::new("AWS::SageMaker::EndpointConfig").set(
                "ProductionVariants",
                Json::array([Json::object([
                    ("VariantName", Json::from(PRIMARY_VARIANT)),
                    ("ModelName", Json::from(props.model.name())),
                    ("ServerlessConfig", Json::object(serverless)),
                ])]),
            ),
        );
        let errors = error_rate_alarm(
            &mut node,
            (&named, PRIMARY_VARIANT),
            &name,
            props.max_5xx_rate,
            props.alerts.as_ref(),
        );
        let resource = node.add_resource(
            "Resource",
            CfnResource::new("AWS::SageMaker::Endpoint")
                .set("EndpointName", name.as_str())
                .set("EndpointConfigName", config.get_att("EndpointConfigName")),
        );
        let mut scaling_targets = Vec::new();
        if let Some(Provisioned {
            scaling:
                Some(ProvisionedScaling {
                    min,
                    max,
                    target_utilization,
                }),
            ..
        }) = props.provisioned
        {
            let target = scalable_target(
                &mut node,
                "ProvisionedScaling",
                (&name, PRIMARY_VARIANT),
                "sagemaker:variant:DesiredProvisionedConcurrency",
                (min, max),
                &resource,
            );
            target_tracking(
                &mut node,
                "ProvisionedUtilization",
                &target,
                (
                    "PredefinedMetricSpecification",
                    Json::object([(
                        "PredefinedMetricType",
                        Json::from("SageMakerVariantProvisionedConcurrencyUtilization"),
                    )]),
                ),
                target_utilization,
                (300, 60),
            );
            scaling_targets.push((PRIMARY_VARIANT.to_string(), target));
        }
        ServerlessEndpoint {
            parts: Parts {
                scaling_targets,
                alarms: vec![errors],
                ..Parts::primary_only(resource, path, &name, config)
            },
        }
    }
}

//! Serverless endpoints: pay per request, cold starts.

use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};

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

/// Provisioned concurrency (no cold starts for that many concurrent requests),
/// with its own autoscaling on utilization.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Provisioned {
    /// Concurrent requests kept warm, 1–200 and at most the endpoint's
    /// `max_concurrency`; billed while idle.
    pub concurrency: u32,
    /// Scale provisioned concurrency between these, targeting `utilization` (0–1).
    pub scaling: Option<(u32, u32, f64)>,
}

/// Props of a [`ServerlessEndpoint`].
#[derive(Clone, Debug)]
pub struct ServerlessProps {
    /// The model served; not in a VPC, not multi-model.
    pub model: Model,
    /// Memory per concurrent request; the price per second grows with it.
    pub memory: Memory,
    /// 1–200.
    pub max_concurrency: u32,
    /// Provisioned concurrency; none (all requests may cold-start) when `None`.
    pub provisioned: Option<Provisioned>,
    /// Topic the 5xx alarm notifies.
    pub alerts: Option<Expr>,
}

impl ServerlessProps {
    /// Serve `model` with `memory` per request, up to `max_concurrency`
    /// concurrent requests (1–200).
    pub fn new(model: &Model, memory: Memory, max_concurrency: u32) -> ServerlessProps {
        ServerlessProps {
            model: model.clone(),
            memory,
            max_concurrency,
            provisioned: None,
            alerts: None,
        }
    }
}

/// A serverless endpoint. What serverless does not support is refused: a
/// model in a VPC or in multi-model mode; data capture, KMS volume keys,
/// several variants and instance types have no place in its props.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
///
/// let mut stack = Stack::for_test();
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let model = Model::new(&mut stack, "Churn3", ModelProps::from_registry(registry.version(3)));
/// ServerlessEndpoint::new(&mut stack, "Adhoc", ServerlessProps::new(&model, Memory::Gb2, 5));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ServerlessEndpoint {
    resource: ResourceRef,
    name: String,
}

impl ServerlessEndpoint {
    /// An endpoint, its config, a 5xx alarm and (with provisioned scaling)
    /// autoscaling, validated at synth: concurrency bounds, a model without VPC
    /// or multi-model mode.
    pub fn new(scope: &mut impl Scope, id: &str, props: ServerlessProps) -> ServerlessEndpoint {
        let mut node = scope.node(id);
        let name = endpoint_name(&node);
        if !(1..=200).contains(&props.max_concurrency) {
            node.error(format!(
                "max_concurrency {} is out of range: serverless endpoints take 1 to 200",
                props.max_concurrency
            ));
        }
        if props.model.has_vpc() {
            node.error(
                "serverless endpoints do not support models in a VPC; use a real-time endpoint",
            );
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
            if let Some((min, max, utilization)) = p.scaling {
                if min == 0 || min > max || max > props.max_concurrency {
                    node.error(format!(
                        "provisioned concurrency scaling {min}–{max} is invalid: 1 ≤ min ≤ max ≤ max_concurrency ({})",
                        props.max_concurrency
                    ));
                }
                if utilization.is_nan() || utilization <= 0.0 || utilization > 1.0 {
                    node.error(format!(
                        "provisioned concurrency utilization target {utilization} is out of range: above 0, at most 1"
                    ));
                }
            }
            serverless.push(("ProvisionedConcurrency", Json::from(p.concurrency)));
        }
        let config = node.add_resource(
            "Config",
            CfnResource::new("AWS::SageMaker::EndpointConfig").set(
                "ProductionVariants",
                Json::array([Json::object([
                    ("VariantName", Json::from("Primary")),
                    ("ModelName", Json::from(props.model.name())),
                    ("ServerlessConfig", Json::object(serverless)),
                ])]),
            ),
        );
        alarm(
            &mut node,
            "PrimaryErrors",
            AlarmSpec {
                description: format!("{name}: 5xx errors from the model"),
                metric: "Invocation5XXErrors",
                statistic: "Sum",
                period: 60,
                evaluation_periods: 5,
                threshold: 5.0,
                comparison: "GreaterThanOrEqualToThreshold",
                missing: "notBreaching",
                dimensions: vec![
                    ("EndpointName", name.clone()),
                    ("VariantName", "Primary".into()),
                ],
            },
            props.alerts.as_ref(),
        );
        let resource = node.add_resource(
            "Resource",
            CfnResource::new("AWS::SageMaker::Endpoint")
                .set("EndpointName", name.as_str())
                .set("EndpointConfigName", config.get_att("EndpointConfigName")),
        );
        if let Some(Provisioned {
            scaling: Some((min, max, utilization)),
            ..
        }) = props.provisioned
        {
            let target = scalable_target(
                &mut node,
                "ProvisionedScaling",
                (&name, "Primary"),
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
                utilization,
                (300, 60),
            );
        }
        ServerlessEndpoint { resource, name }
    }

    /// The endpoint's name (set, so known at synth).
    pub fn name(&self) -> Expr {
        Expr::lit(self.name.clone())
    }

    /// `Ref` of the endpoint (its ARN).
    pub fn arn(&self) -> Expr {
        self.resource.reference()
    }
}

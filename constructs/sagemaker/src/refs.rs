//! References: a SageMaker endpoint, a model package group, and the
//! artifacts a training pipeline writes.

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_core::naming::format_arn;
use mlcdk_core::{Expr, ResourceRef};
use mlcdk_storage::S3Path;

use crate::EcrImage;
use crate::metric::{Metric, Statistic};

/// The name of the one production variant of serverless and asynchronous
/// endpoints (and of `RealtimeEndpointProps::single`).
pub const PRIMARY_VARIANT: &str = "Primary";

/// A SageMaker endpoint: one of the stack's endpoint constructs (each
/// converts into it, `EndpointRef::from(&serve)`) or one imported by name.
/// Monitors, alarms and grants take it.
///
/// ```
/// use mlcdk_sagemaker::EndpointRef;
///
/// let shared = EndpointRef::from_name("fraud-prod-scoring", ["AllTraffic"]);
/// assert_eq!(shared.physical_name(), "fraud-prod-scoring");
/// assert_eq!(shared.metric_invocations("AllTraffic").name, "Invocations");
/// ```
#[derive(Clone, Debug)]
pub struct EndpointRef {
    name: Expr,
    arn: Option<Expr>,
    physical_name: String,
    variants: Vec<String>,
    resource: Option<ResourceRef>,
    capture: Option<S3Path>,
}

impl EndpointRef {
    /// An endpoint by its fixed name and its variants' names. `name` is the
    /// expression that refers to it (a reference when it is in the stack).
    pub fn new(
        name: Expr,
        physical_name: &str,
        variants: impl IntoIterator<Item = String>,
    ) -> EndpointRef {
        EndpointRef {
            name,
            arn: None,
            physical_name: physical_name.to_string(),
            variants: variants.into_iter().collect(),
            resource: None,
            capture: None,
        }
    }

    /// An endpoint of the stack: its `AWS::SageMaker::Endpoint` resource
    /// (`name()` is `GetAtt EndpointName`, `arn()` its `Ref`), its fixed
    /// name, its variants and where it captures data, if it does. What the
    /// endpoint constructs convert into.
    pub fn in_stack(
        resource: &ResourceRef,
        physical_name: &str,
        variants: impl IntoIterator<Item = String>,
        capture: Option<S3Path>,
    ) -> EndpointRef {
        EndpointRef {
            name: resource.get_att("EndpointName"),
            arn: Some(resource.reference()),
            physical_name: physical_name.to_string(),
            variants: variants.into_iter().collect(),
            resource: Some(resource.clone()),
            capture,
        }
    }

    /// An endpoint outside the stack, by name, with its variants' names.
    pub fn from_name<S: Into<String>>(
        name: &str,
        variants: impl IntoIterator<Item = S>,
    ) -> EndpointRef {
        EndpointRef {
            name: Expr::lit(name),
            arn: None,
            physical_name: name.to_string(),
            variants: variants.into_iter().map(Into::into).collect(),
            resource: None,
            capture: None,
        }
    }

    /// The endpoint's name, carrying a reference when it is in the stack.
    pub fn name(&self) -> Expr {
        self.name.clone()
    }

    /// The endpoint's name as written (the `EndpointName` dimension of its
    /// metrics); naming the endpoint by it makes no dependency on it.
    pub fn physical_name(&self) -> &str {
        &self.physical_name
    }

    /// The names of its production variants.
    pub fn variants(&self) -> &[String] {
        &self.variants
    }

    /// The `AWS::SageMaker::Endpoint` resource when the endpoint is in the
    /// stack (to depend on it).
    pub fn resource(&self) -> Option<&ResourceRef> {
        self.resource.as_ref()
    }

    /// Where the endpoint captures requests and responses, when it does
    /// (what a monitor reads).
    pub fn capture(&self) -> Option<&S3Path> {
        self.capture.as_ref()
    }

    /// The endpoint's ARN: its `Ref` when it is in the stack, else
    /// `arn:…:sagemaker:<region>:<account>:endpoint/<name>` (SageMaker
    /// writes endpoint names lower case in ARNs).
    pub fn arn(&self) -> Expr {
        self.arn.clone().unwrap_or_else(|| self.arn_from_name())
    }

    /// The ARN built from the fixed name, without a reference to the
    /// endpoint (to break a cycle).
    pub fn arn_from_name(&self) -> Expr {
        format_arn(
            "sagemaker",
            &format!("endpoint/{}", self.physical_name.to_ascii_lowercase()),
        )
    }

    /// Let `grantee` call the endpoint (`sagemaker:InvokeEndpoint`, and
    /// `InvokeEndpointAsync` for asynchronous endpoints), on this endpoint
    /// only.
    pub fn grant_invoke(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"])
                .resources([self.arn()])],
        )
    }

    /// The metric `name` of `variant` (`EndpointName` and `VariantName`
    /// dimensions), read as `statistic` per minute.
    pub fn metric(&self, name: &str, variant: &str, statistic: Statistic) -> Metric {
        Metric::sagemaker(
            name,
            [
                ("EndpointName", self.physical_name.as_str()),
                ("VariantName", variant),
            ],
            statistic,
        )
    }

    /// Requests sent to `variant` (`Invocations`, sum per minute).
    /// Asynchronous endpoints count `InvocationsProcessed` instead.
    pub fn metric_invocations(&self, variant: &str) -> Metric {
        self.metric("Invocations", variant, Statistic::Sum)
    }

    /// Requests of `variant` answered with a 5xx (`Invocation5XXErrors`, sum
    /// per minute; `with_statistic(Statistic::Average)` is the share of
    /// failing requests, what the endpoints' error alarms watch).
    pub fn metric_5xx_errors(&self, variant: &str) -> Metric {
        self.metric("Invocation5XXErrors", variant, Statistic::Sum)
    }

    /// Requests of `variant` answered with a 4xx (`Invocation4XXErrors`,
    /// sum per minute).
    pub fn metric_4xx_errors(&self, variant: &str) -> Metric {
        self.metric("Invocation4XXErrors", variant, Statistic::Sum)
    }

    /// Time the model of `variant` takes to answer (`ModelLatency`, in
    /// microseconds, average per minute).
    pub fn metric_model_latency(&self, variant: &str) -> Metric {
        self.metric("ModelLatency", variant, Statistic::Average)
    }

    /// Requests waiting in an asynchronous endpoint's queue
    /// (`ApproximateBacklogSize`, average per minute; `EndpointName` only).
    pub fn metric_backlog(&self) -> Metric {
        Metric::sagemaker(
            "ApproximateBacklogSize",
            [("EndpointName", self.physical_name.as_str())],
            Statistic::Average,
        )
    }

    /// Queued requests per instance of an asynchronous endpoint
    /// (`ApproximateBacklogSizePerInstance`, average per minute), what its
    /// scaling tracks.
    pub fn metric_backlog_per_instance(&self) -> Metric {
        Metric::sagemaker(
            "ApproximateBacklogSizePerInstance",
            [("EndpointName", self.physical_name.as_str())],
            Statistic::Average,
        )
    }

    /// 1 while an asynchronous endpoint has requests waiting and no
    /// instance (`HasBacklogWithoutCapacity`, average per minute), what
    /// wakes it from zero.
    pub fn metric_backlog_without_capacity(&self) -> Metric {
        Metric::sagemaker(
            "HasBacklogWithoutCapacity",
            [("EndpointName", self.physical_name.as_str())],
            Statistic::Average,
        )
    }
}

impl From<&EndpointRef> for EndpointRef {
    fn from(e: &EndpointRef) -> EndpointRef {
        e.clone()
    }
}

/// A model package group to register into: a name and an ARN. The registry
/// construct converts into it; `ModelGroupRef::named` refers to an existing group.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelGroupRef {
    /// The group's name, which registration steps take.
    pub name: Expr,
    /// The group's ARN, for the pipeline role's grants.
    pub arn: Expr,
}

impl ModelGroupRef {
    /// An existing group of this account and region.
    pub fn named(name: &str) -> ModelGroupRef {
        ModelGroupRef {
            name: Expr::lit(name),
            arn: format_arn("sagemaker", &format!("model-package-group/{name}")),
        }
    }
}

/// Where a training pipeline writes its models and the image that serves
/// them: what a registered version needs to be served
/// (`TrainingPipeline::model_artifacts()` gives it, so no path is matched by
/// hand).
#[derive(Clone, Debug)]
pub struct ModelArtifacts {
    /// The prefix every model artifact of the pipeline is under.
    pub location: S3Path,
    /// The inference image.
    pub image: EcrImage,
}

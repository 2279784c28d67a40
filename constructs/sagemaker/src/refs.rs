//! A reference to a SageMaker endpoint.

use mlcdk_core::Expr;
use mlcdk_storage::S3Path;

use crate::EcrImage;
use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};

/// A SageMaker endpoint: one of the stack's endpoint constructs (each
/// converts into it) or one imported by name. Monitors, alarms and grants
/// take it.
///
/// ```
/// use mlcdk_sagemaker::EndpointRef;
///
/// let shared = EndpointRef::from_name("fraud-prod-scoring", ["AllTraffic"]);
/// assert_eq!(shared.physical_name(), "fraud-prod-scoring");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointRef {
    name: Expr,
    physical_name: String,
    variants: Vec<String>,
}

impl EndpointRef {
    /// An endpoint by its fixed name and its variants' names. `name` is the
    /// expression that refers to it (a `Ref` when it is in the stack).
    pub fn new(
        name: Expr,
        physical_name: &str,
        variants: impl IntoIterator<Item = String>,
    ) -> EndpointRef {
        EndpointRef {
            name,
            physical_name: physical_name.to_string(),
            variants: variants.into_iter().collect(),
        }
    }

    /// An endpoint outside the stack, by name, with its variants' names.
    pub fn from_name<S: Into<String>>(
        name: &str,
        variants: impl IntoIterator<Item = S>,
    ) -> EndpointRef {
        EndpointRef {
            name: Expr::lit(name),
            physical_name: name.to_string(),
            variants: variants.into_iter().map(Into::into).collect(),
        }
    }

    /// The endpoint's name, carrying a reference when it is in the stack.
    pub fn name(&self) -> Expr {
        self.name.clone()
    }

    /// The endpoint's name as written (the `EndpointName` dimension of its
    /// metrics).
    pub fn physical_name(&self) -> &str {
        &self.physical_name
    }

    /// The names of its production variants.
    pub fn variants(&self) -> &[String] {
        &self.variants
    }

    /// `arn:…:sagemaker:<region>:<account>:endpoint/<name>` (SageMaker
    /// writes endpoint names lower case in ARNs).
    pub fn arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:sagemaker:${{AWS::Region}}:${{AWS::AccountId}}:endpoint/{}",
            self.physical_name.to_ascii_lowercase()
        ))
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

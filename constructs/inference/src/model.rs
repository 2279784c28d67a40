//! SageMaker models and their execution roles.

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};
use mlcdk_registry::ModelVersion;
use mlcdk_sagemaker::EcrImage;
use mlcdk_storage::{KmsKey, S3Path};

/// What the model serves.
#[derive(Clone, Debug)]
pub enum ModelSource {
    /// A pinned registry version (the way to deploy: promotion is a reviewed change).
    Registry(ModelVersion),
    /// An image and a model artifact.
    Artifact {
        /// ECR image URI (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`).
        image: String,
        /// The `model.tar.gz` the container loads.
        model_data: S3Path,
    },
    /// One container in multi-model mode serving every model under a prefix.
    MultiModel {
        /// ECR image URI of a container that supports multi-model mode.
        image: String,
        /// The prefix holding one `.tar.gz` per model.
        models: S3Path,
    },
    /// Several containers run in series (an inference pipeline): 2 to 15
    /// `(ECR image URI, model artifact)` pairs, in call order.
    MultiContainer(Vec<(String, S3Path)>),
}

/// A VPC for the model's containers.
#[derive(Clone, Debug, PartialEq)]
pub struct Vpc {
    /// Subnet IDs (at least one), ideally in several availability zones.
    pub subnets: Vec<Expr>,
    /// Security group IDs (at least one).
    pub security_groups: Vec<Expr>,
}

/// Props of a [`Model`].
#[derive(Clone, Debug)]
pub struct ModelProps {
    /// Required.
    pub source: Option<ModelSource>,
    /// No network access from the containers (default on).
    pub network_isolation: bool,
    /// Run the containers in a VPC (default: SageMaker's own network).
    /// Serverless endpoints cannot use a model with a VPC.
    pub vpc: Option<Vpc>,
    /// Key the model's artifacts are encrypted with, if any.
    pub artifacts_key: Option<KmsKey>,
    /// Environment variables of every container.
    pub environment: Vec<(String, String)>,
}

impl Default for ModelProps {
    fn default() -> Self {
        ModelProps {
            source: None,
            network_isolation: true,
            vpc: None,
            artifacts_key: None,
            environment: Vec::new(),
        }
    }
}

impl ModelProps {
    /// Serve a pinned registry version, with default props.
    pub fn from_registry(version: ModelVersion) -> ModelProps {
        ModelProps {
            source: Some(ModelSource::Registry(version)),
            ..Default::default()
        }
    }

    /// Serve `model_data` with `image`, with default props.
    pub fn from_artifact(image: &str, model_data: S3Path) -> ModelProps {
        ModelProps {
            source: Some(ModelSource::Artifact {
                image: image.to_string(),
                model_data,
            }),
            ..Default::default()
        }
    }

    /// Serve every model under `models` from one `image` in multi-model mode,
    /// with default props.
    pub fn multi_model(image: &str, models: S3Path) -> ModelProps {
        ModelProps {
            source: Some(ModelSource::MultiModel {
                image: image.to_string(),
                models,
            }),
            ..Default::default()
        }
    }
}

/// A SageMaker model with a least-privilege execution role: read on its
/// artifacts, pull of its images, its logs and metrics — no managed
/// `AmazonSageMakerFullAccess`.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::{Model, ModelProps};
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
///
/// let mut stack = Stack::for_test();
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// Model::new(&mut stack, "Churn3", ModelProps::from_registry(registry.version(3)));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    resource: ResourceRef,
    role: Role,
    multi_model: bool,
    has_vpc: bool,
    network_isolation: bool,
    path: String,
}

impl Model {
    /// A model and its execution role, validated at synth: a source, ECR
    /// images, 2–15 containers for a pipeline, a VPC with subnets and security
    /// groups.
    pub fn new(scope: &mut impl Scope, id: &str, props: ModelProps) -> Model {
        let mut node = scope.node(id);
        let path = node.path().to_string();
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some("SageMaker model: serve, read its artifacts".into()),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        let mut containers: Vec<Json> = Vec::new();
        let mut images: Vec<String> = Vec::new();
        let mut multi_model = false;
        match &props.source {
            None => node.error(
                "the model has no source: give a registry version, an image and artifact, a multi-model prefix or containers",
            ),
            Some(ModelSource::Registry(v)) => {
                containers.push(Json::object([("ModelPackageName", Json::from(&v.package_arn))]));
                role.add_to_policy(
                    PolicyStatement::allow()
                        .actions(["sagemaker:DescribeModelPackage"])
                        .resources([v.package_arn.clone()]),
                );
                if let Some(a) = &v.artifacts {
                    a.grant_read(&role);
                }
                images.extend(v.image.iter().cloned());
            }
            Some(ModelSource::Artifact { image, model_data }) => {
                containers.push(Json::object([
                    ("Image", Json::from(image.as_str())),
                    ("ModelDataUrl", Json::from(model_data.uri())),
                ]));
                model_data.grant_read(&role);
                images.push(image.clone());
            }
            Some(ModelSource::MultiModel { image, models }) => {
                multi_model = true;
                containers.push(Json::object([
                    ("Image", Json::from(image.as_str())),
                    ("Mode", Json::from("MultiModel")),
                    ("ModelDataUrl", Json::from(models.uri())),
                ]));
                models.grant_read(&role);
                images.push(image.clone());
            }
            Some(ModelSource::MultiContainer(list)) => {
                if !(2..=15).contains(&list.len()) {
                    node.error(format!(
                        "{} containers; a multi-container model has 2 to 15",
                        list.len()
                    ));
                }
                for (image, data) in list {
                    containers.push(Json::object([
                        ("Image", Json::from(image.as_str())),
                        ("ModelDataUrl", Json::from(data.uri())),
                    ]));
                    data.grant_read(&role);
                    images.push(image.clone());
                }
            }
        }
        for image in &images {
            match EcrImage::parse(image) {
                Some(i) => role.add_to_policy(
                    PolicyStatement::allow()
                        .actions(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"])
                        .resources([Expr::sub(format!(
                            "arn:${{AWS::Partition}}:ecr:{}:{}:repository/{}",
                            i.region, i.account, i.repository
                        ))]),
                ),
                None => node.error(format!(
                    "image '{image}' is not an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
                )),
            }
        }
        if !images.is_empty() {
            // GetAuthorizationToken has no resource-level permissions.
            role.add_to_policy(
                PolicyStatement::allow()
                    .actions(["ecr:GetAuthorizationToken"])
                    .resources(["*"]),
            );
        }
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
                .resources([Expr::sub(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/sagemaker/Endpoints/*",
                )]),
        );
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["cloudwatch:PutMetricData"])
                .resources(["*"])
                .condition("StringLike", "cloudwatch:namespace", "/aws/sagemaker/*"),
        );
        if let Some(k) = &props.artifacts_key {
            k.grant_decrypt(&role);
        }
        if !props.environment.is_empty() {
            let env = Json::object(
                props
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::from(v.as_str()))),
            );
            for c in &mut containers {
                if let Json::Object(m) = c {
                    m.insert("Environment".into(), env.clone());
                }
            }
        }

        let mut model = CfnResource::new("AWS::SageMaker::Model")
            .set("ExecutionRoleArn", role.arn())
            .set("EnableNetworkIsolation", props.network_isolation);
        model = if containers.len() > 1 {
            model.set("Containers", Json::Array(containers)).set(
                "InferenceExecutionConfig",
                Json::object([("Mode", Json::from("Serial"))]),
            )
        } else {
            match containers.pop() {
                Some(c) => model.set("PrimaryContainer", c),
                None => model,
            }
        };
        if let Some(v) = &props.vpc {
            if v.subnets.is_empty() || v.security_groups.is_empty() {
                node.error("the VPC config needs at least one subnet and one security group");
            }
            model = model.set(
                "VpcConfig",
                Json::object([
                    (
                        "Subnets",
                        Json::Array(v.subnets.iter().map(Json::from).collect()),
                    ),
                    (
                        "SecurityGroupIds",
                        Json::Array(v.security_groups.iter().map(Json::from).collect()),
                    ),
                ]),
            );
        }
        let resource = node.add_resource("Resource", model);
        Model {
            resource,
            role,
            multi_model,
            has_vpc: props.vpc.is_some(),
            network_isolation: props.network_isolation,
            path,
        }
    }

    /// The model's name (`GetAtt ModelName`; `Ref` gives the ARN).
    pub fn name(&self) -> Expr {
        self.resource.get_att("ModelName")
    }

    /// The execution role, e.g. to grant the containers more than their
    /// artifacts.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Whether the model is in multi-model mode (what a multi-model endpoint
    /// needs).
    pub fn is_multi_model(&self) -> bool {
        self.multi_model
    }

    /// Whether the model runs in a VPC (which serverless endpoints refuse).
    pub fn has_vpc(&self) -> bool {
        self.has_vpc
    }

    /// Whether the containers run without network access
    /// (`EnableNetworkIsolation`), which serverless endpoints refuse.
    pub fn network_isolation(&self) -> bool {
        self.network_isolation
    }

    /// The model's construct path (e.g. `ChurnModel`), for messages that name
    /// it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Let the model's containers read more data (e.g. models added under a
    /// multi-model prefix later).
    pub fn grant(&self, statement: PolicyStatement) {
        self.role.add_to_policy(statement);
    }
}

//! SageMaker models and their execution roles.

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, Scope};
use mlcdk_registry::ModelVersion;
use mlcdk_sagemaker::RoleBasics;
use mlcdk_sagemaker::{EcrImage, NetworkIsolation};
use mlcdk_storage::{KeyRef, S3Path};

/// One container of an inference pipeline: an image and the artifact it
/// loads.
#[derive(Clone, Debug)]
pub struct Container {
    /// The container's ECR image.
    pub image: EcrImage,
    /// The `model.tar.gz` it loads.
    pub model_data: S3Path,
}

/// What the model serves.
#[derive(Clone, Debug)]
pub enum ModelSource {
    /// A pinned registry version (the way to deploy: promotion is a reviewed change).
    Registry(ModelVersion),
    /// An image and a model artifact.
    Artifact {
        /// The container's ECR image.
        image: EcrImage,
        /// The `model.tar.gz` the container loads.
        model_data: S3Path,
    },
    /// One container in multi-model mode serving every model under a prefix.
    MultiModel {
        /// The ECR image of a container that supports multi-model mode.
        image: EcrImage,
        /// The prefix holding one `.tar.gz` per model.
        models: S3Path,
    },
    /// Several containers run in series (an inference pipeline): 2 to 15,
    /// in call order.
    MultiContainer(Vec<Container>),
}

/// A VPC for the model's containers.
#[derive(Clone, Debug, PartialEq)]
pub struct Vpc {
    /// Subnet IDs (at least one), ideally in several availability zones.
    pub subnets: Vec<Expr>,
    /// Security group IDs (at least one).
    pub security_groups: Vec<Expr>,
}

/// Props of a [`Model`]: `ModelProps { .., ..ModelProps::new(source) }`, or
/// one of the presets per source.
#[derive(Clone, Debug)]
pub struct ModelProps {
    /// What the model serves.
    pub source: ModelSource,
    /// No network access from the containers (default), or access with its
    /// reason (`NetworkIsolation::open("…")`), which becomes the suppression
    /// of the checks that flag an open model. Serverless endpoints serve
    /// only open models.
    pub network_isolation: NetworkIsolation,
    /// Run the containers in a VPC (default: SageMaker's own network).
    /// Serverless endpoints cannot use a model with a VPC.
    pub vpc: Option<Vpc>,
    /// The key the model's artifacts are encrypted with, if any (the role
    /// may decrypt with it).
    pub encryption_key: Option<KeyRef>,
    /// Environment variables of every container.
    pub environment: BTreeMap<String, String>,
}

impl ModelProps {
    /// Serve `source`, network-isolated, outside a VPC.
    pub fn new(source: ModelSource) -> ModelProps {
        ModelProps {
            source,
            network_isolation: NetworkIsolation::Isolated,
            vpc: None,
            encryption_key: None,
            environment: BTreeMap::new(),
        }
    }

    /// Serve a pinned registry version, with default props.
    pub fn from_registry(version: ModelVersion) -> ModelProps {
        ModelProps::new(ModelSource::Registry(version))
    }

    /// Serve `model_data` with `image`, with default props.
    pub fn from_artifact(image: EcrImage, model_data: S3Path) -> ModelProps {
        ModelProps::new(ModelSource::Artifact { image, model_data })
    }

    /// Serve every model under `models` from one `image` in multi-model mode,
    /// with default props.
    pub fn multi_model(image: EcrImage, models: S3Path) -> ModelProps {
        ModelProps::new(ModelSource::MultiModel { image, models })
    }
}

/// A SageMaker model with a least-privilege execution role: read on its
/// artifacts, pull of its images, its logs and metrics — no managed
/// `AmazonSageMakerFullAccess`. It is a [`Grantee`]: grants to it go to its
/// role (`bucket.grant_read(&model)`).
///
/// The handle ([`Construct`]): `name()` is `GetAtt
/// ModelName` (CloudFormation generates it), `arn()` its `Ref`.
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::Stack;
/// use mlcdk_inference::{Model, ModelProps};
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
///
/// let mut stack = Stack::for_test();
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
/// let model = Model::new(&mut stack, "Churn3", ModelProps::from_registry(registry.version(3)));
/// assert_eq!(model.node_path().to_string(), "Churn3");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    handle: Handle,
    role: Role,
    multi_model: bool,
    has_vpc: bool,
    network_isolation: bool,
}

impl Model {
    /// A model and its execution role, validated at synth: 2–15 containers
    /// for a pipeline, a VPC with subnets and security groups.
    pub fn new(scope: &mut impl Scope, id: &str, props: ModelProps) -> Model {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some("SageMaker model: serve, read its artifacts".into()),
                ..RoleProps::assumed_by(Principal::service("sagemaker.amazonaws.com"))
            },
        );
        let mut containers: Vec<Json> = Vec::new();
        let mut images: Vec<EcrImage> = Vec::new();
        let mut multi_model = false;
        match &props.source {
            ModelSource::Registry(v) => {
                if let Err(e) = v.check() {
                    node.error(format!("model version: {e}"));
                }
                containers.push(Json::object([(
                    "ModelPackageName",
                    Json::from(&v.package_arn),
                )]));
                role.add_to_policy(
                    PolicyStatement::allow()
                        .actions(["sagemaker:DescribeModelPackage"])
                        .resources([v.package_arn.clone()]),
                );
                if let Some(a) = &v.artifacts {
                    a.location.grant_read(&role);
                    images.push(a.image.clone());
                }
            }
            ModelSource::Artifact { image, model_data } => {
                containers.push(Json::object([
                    ("Image", Json::from(image.uri())),
                    ("ModelDataUrl", Json::from(model_data.uri())),
                ]));
                model_data.grant_read(&role);
                images.push(image.clone());
            }
            ModelSource::MultiModel { image, models } => {
                multi_model = true;
                containers.push(Json::object([
                    ("Image", Json::from(image.uri())),
                    ("Mode", Json::from("MultiModel")),
                    ("ModelDataUrl", Json::from(models.uri())),
                ]));
                models.grant_read(&role);
                images.push(image.clone());
            }
            ModelSource::MultiContainer(list) => {
                if !(2..=15).contains(&list.len()) {
                    node.error(format!(
                        "{} containers; a multi-container model has 2 to 15",
                        list.len()
                    ));
                }
                for c in list {
                    containers.push(Json::object([
                        ("Image", Json::from(c.image.uri())),
                        ("ModelDataUrl", Json::from(c.model_data.uri())),
                    ]));
                    c.model_data.grant_read(&role);
                    images.push(c.image.clone());
                }
            }
        }
        let _ = RoleBasics {
            log_groups: "/aws/sagemaker/Endpoints/*",
            describe_log_streams: false,
            metrics_namespace: "/aws/sagemaker/*",
            images: &images,
        }
        .grant(&role);
        if let Some(k) = &props.encryption_key {
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
            .set(
                "EnableNetworkIsolation",
                props.network_isolation.is_isolated(),
            );
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
        match (
            props.network_isolation.check(),
            props.network_isolation.reason(),
        ) {
            (Err(e), _) => node.error(e),
            (Ok(()), Some(reason)) => {
                for rule in ["CKV_AWS_370", "SM-003"] {
                    node.stack_mut().suppress(&resource, rule, reason);
                }
            }
            (Ok(()), None) => {}
        }
        // `Ref` of a model is its ARN; CloudFormation generates its name.
        let arn = resource.reference();
        let name = resource.get_att("ModelName");
        Model {
            handle: Handle::new(resource, path, arn).with_name(name),
            role,
            multi_model,
            has_vpc: props.vpc.is_some(),
            network_isolation: props.network_isolation.is_isolated(),
        }
    }

    /// The execution role (grants to the model go to it: the model is a
    /// [`Grantee`]).
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
}

impl Construct for Model {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// Grants to a model go to its execution role: `bucket.grant_read(&model)`
/// lets its containers read more (e.g. models added under a multi-model
/// prefix later).
impl Grantee for Model {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.role.add_to_policy(statement);
    }
}

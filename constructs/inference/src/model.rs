//! SageMaker models and their execution roles.

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, Scope};
use mlcdk_registry::ModelVersion;
use mlcdk_sagemaker::RoleBasics;
use mlcdk_sagemaker::{EcrImage, InstanceType, NetworkIsolation};
use mlcdk_storage::{KeyRef, S3Path};

use crate::jumpstart::{Eula, JumpStartLock, JumpStartModel, LockedModel};

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
    /// A SageMaker JumpStart model by id and version, resolved from the
    /// app's lock file (`jumpstart lock`) at synth: image, artifacts,
    /// environment and instance types.
    JumpStart(JumpStartModel),
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

    /// Serve a JumpStart model (resolved from the lock file), with default
    /// props.
    pub fn jumpstart(model: JumpStartModel) -> ModelProps {
        ModelProps::new(ModelSource::JumpStart(model))
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
    jumpstart: Option<JumpStartServing>,
}

/// What endpoints check of a JumpStart model: the instance type its
/// container was resolved for, and the ones the model supports.
#[derive(Clone, Debug)]
struct JumpStartServing {
    spec: String,
    instance: String,
    supported: Vec<String>,
}

impl Model {
    /// A model and its execution role, validated at synth: 2–15 containers
    /// for a pipeline, a VPC with subnets and security groups; a JumpStart
    /// model in the lock file for the stage's region, on a supported
    /// instance type, with its EULA accepted when it has one.
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
        let mut jumpstart = None;
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
            ModelSource::JumpStart(js) => {
                if let Some((container, image, serving)) =
                    jumpstart_container(&mut node, js, &props, &role)
                {
                    containers.push(container);
                    images.push(image);
                    jumpstart = Some(serving);
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
        // A JumpStart container has its environment already (the lock
        // file's, with these on top).
        if !props.environment.is_empty() && jumpstart.is_none() {
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
            jumpstart,
        }
    }

    /// Whether `instance` can serve this model: any type for the other
    /// sources; for a JumpStart model, the type its container was resolved
    /// for (its image and environment depend on it), which the model must
    /// support. The error says what to change.
    pub fn check_instance(&self, instance: &InstanceType) -> Result<(), String> {
        let Some(js) = &self.jumpstart else {
            return Ok(());
        };
        if !js.supported.iter().any(|t| t == instance.as_str()) {
            return Err(format!(
                "JumpStart model {} does not support {instance}; it supports: {}",
                js.spec,
                js.supported.join(", ")
            ));
        }
        if js.instance != instance.as_str() {
            return Err(format!(
                "JumpStart model {} ({}) was resolved for {} (its image and environment depend on the instance type), not {instance}: set `instance: Some(\"{instance}\".parse()?)` in its JumpStartModel, or serve it on {}",
                js.spec,
                self.node_path(),
                js.instance,
                js.instance
            ));
        }
        Ok(())
    }

    /// For a JumpStart model, the instance type its container was resolved
    /// for (what its endpoint must use).
    pub fn jumpstart_instance(&self) -> Option<InstanceType> {
        self.jumpstart
            .as_ref()
            .and_then(|j| j.instance.parse().ok())
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

/// The error of a JumpStart model that is not in the lock file (or whose
/// region is not): what to run.
fn lock_command(js: &JumpStartModel, region: &str) -> String {
    let lock = if js.lock_file.as_os_str() == crate::jumpstart::LOCK_FILE {
        String::new()
    } else {
        format!(" --lock {}", js.lock_file.display())
    };
    format!(
        "run `jumpstart lock {} --region {region}{lock} --spec specs_v{}.json` (the app's command line; it prints where to download the spec)",
        js.spec(),
        js.version
    )
}

/// The container of a JumpStart model from the lock file, its image and what
/// endpoints check; `None` after recording every problem.
fn jumpstart_container(
    node: &mut mlcdk_core::Node<'_>,
    js: &JumpStartModel,
    props: &ModelProps,
    role: &Role,
) -> Option<(Json, EcrImage, JumpStartServing)> {
    let region = node.stage().env.region.clone();
    let file = node.stack().base_dir().join(&js.lock_file);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            node.error(format!(
                "JumpStart model {}: the lock file {} cannot be read ({e}); {}",
                js.spec(),
                file.display(),
                lock_command(js, &region)
            ));
            return None;
        }
    };
    let lock = match JumpStartLock::parse(&text, &file.display().to_string()) {
        Ok(l) => l,
        Err(e) => {
            node.error(e);
            return None;
        }
    };
    let Some(locked) = lock.find(&js.id, &js.version) else {
        node.error(format!(
            "JumpStart model {} is not in the lock file {}; {}",
            js.spec(),
            file.display(),
            lock_command(js, &region)
        ));
        return None;
    };
    let (container, image, serving, model_data) = check_locked(node, js, props, locked, &region)?;
    grant_model_data(role, &model_data);
    Some((container, image, serving))
}

fn check_locked(
    node: &mut mlcdk_core::Node<'_>,
    js: &JumpStartModel,
    props: &ModelProps,
    locked: &LockedModel,
    region: &str,
) -> Option<(Json, EcrImage, JumpStartServing, String)> {
    let mut ok = true;
    if !locked.regions.iter().any(|r| r == region) {
        node.error(format!(
            "JumpStart model {} is not available in the stage's region {region} (its spec has: {})",
            js.spec(),
            locked.regions.join(", ")
        ));
        return None;
    }
    let instance = js
        .instance
        .as_ref()
        .map(|i| i.as_str().to_string())
        .unwrap_or_else(|| locked.default_instance_type.clone());
    if !locked.supported_instance_types.contains(&instance) {
        node.error(format!(
            "JumpStart model {}: instance {instance} is not supported; it supports: {}",
            js.spec(),
            locked.supported_instance_types.join(", ")
        ));
        ok = false;
    }
    if !locked.locked_regions().contains(region) {
        node.error(format!(
            "JumpStart model {} is locked for {} but not for the stage's region {region}; {}",
            js.spec(),
            locked
                .locked_regions()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", "),
            lock_command(js, region)
        ));
        ok = false;
    }
    match (&locked.eula, &js.eula) {
        (Some(eula), Eula::NotAccepted) => {
            node.error(format!(
                "JumpStart model {} is gated by an end-user license agreement ({eula}): read it, then write `eula: Eula::accepted(\"why it may be accepted\")` in its JumpStartModel (ModelAccessConfig.AcceptEula)",
                js.spec()
            ));
            ok = false;
        }
        (_, Eula::Accepted { reason }) if reason.trim().chars().count() < 10 => {
            node.error(format!(
                "JumpStart model {}: the EULA acceptance reason '{reason}' is too short: at least 10 characters saying who accepted it or why",
                js.spec()
            ));
            ok = false;
        }
        _ => {}
    }
    if !locked.network_isolation && props.network_isolation.is_isolated() {
        node.error(format!(
            "JumpStart model {} runs with network access (its spec has inference_enable_network_isolation false): set `network_isolation: NetworkIsolation::open(\"…\")` with the reason",
            js.spec()
        ));
        ok = false;
    }
    if !ok {
        return None;
    }
    let Some(d) = locked.deployment(region, &instance) else {
        node.error(format!(
            "JumpStart model {}: the lock file has no container for {instance} in {region}; {}",
            js.spec(),
            lock_command(js, region)
        ));
        return None;
    };
    let image = match d.image.parse::<EcrImage>() {
        Ok(i) => i,
        Err(e) => {
            node.error(format!(
                "JumpStart model {}: lock file image: {e}",
                js.spec()
            ));
            return None;
        }
    };
    if d.model_data
        .strip_prefix("s3://")
        .is_none_or(|u| !u.contains('/'))
    {
        node.error(format!(
            "JumpStart model {}: lock file model_data '{}' is not an s3://bucket/key URI",
            js.spec(),
            d.model_data
        ));
        return None;
    }
    let mut env = d.environment.clone();
    env.extend(props.environment.clone());
    let environment = Json::object(env.into_iter().map(|(k, v)| (k, Json::from(v.as_str()))));
    // `AWS::SageMaker::Model` ContainerDefinition.ModelDataSource.S3DataSource
    // {S3Uri, S3DataType, CompressionType, ModelAccessConfig.AcceptEula}:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-sagemaker-model-modeldatasource.html
    // and the CDK's CfnModel.S3DataSourceProperty
    // (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_sagemaker.CfnModel.S3DataSourceProperty.html).
    // ModelAccessConfig exists only there, so a gated .tar.gz uses it too
    // (S3Object with Gzip) rather than ModelDataUrl.
    let container = if d.uncompressed || locked.eula.is_some() {
        let mut source = vec![
            ("S3Uri", Json::from(d.model_data.as_str())),
            (
                "S3DataType",
                Json::from(if d.uncompressed {
                    "S3Prefix"
                } else {
                    "S3Object"
                }),
            ),
            (
                "CompressionType",
                Json::from(if d.uncompressed { "None" } else { "Gzip" }),
            ),
        ];
        if locked.eula.is_some() {
            source.push((
                "ModelAccessConfig",
                Json::object([("AcceptEula", Json::from(true))]),
            ));
        }
        Json::object([
            ("Image", Json::from(image.uri())),
            (
                "ModelDataSource",
                Json::object([("S3DataSource", Json::object(source))]),
            ),
            ("Environment", environment),
        ])
    } else {
        Json::object([
            ("Image", Json::from(image.uri())),
            ("ModelDataUrl", Json::from(d.model_data.as_str())),
            ("Environment", environment),
        ])
    };
    Some((
        container,
        image,
        JumpStartServing {
            spec: js.spec(),
            instance,
            supported: locked.supported_instance_types.clone(),
        },
        d.model_data.clone(),
    ))
}

/// The role reads the artifacts in JumpStart's bucket (SageMaker downloads
/// them as the model's role): the objects under the prefix (or the one
/// object), and a list of that prefix only.
fn grant_model_data(role: &Role, uri: &str) {
    let Some((bucket, key)) = uri.strip_prefix("s3://").and_then(|u| u.split_once('/')) else {
        return;
    };
    let prefix = key.ends_with('/');
    let objects = if prefix {
        format!("{key}*")
    } else {
        key.to_string()
    };
    role.add_to_policy(
        PolicyStatement::allow()
            .actions(["s3:GetObject"])
            .resources([Expr::sub(format!(
                "arn:${{AWS::Partition}}:s3:::{bucket}/{objects}"
            ))]),
    );
    if prefix {
        role.add_to_policy(
            PolicyStatement::allow()
                .actions(["s3:ListBucket"])
                .resources([Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{bucket}"))])
                .condition(
                    "StringLike",
                    "s3:prefix",
                    Json::array([Json::from(format!("{key}*"))]),
                ),
        );
    }
}

//! The model registry: SageMaker model package groups, and pinned model
//! versions to deploy from them.
//!
//! Part of mlcdk: use it as `mlcdk::registry`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

use std::cell::Cell;
use std::rc::Rc;

use mlcdk_core::iam::{Grant, Grantee, PolicyDocument, PolicyStatement, Principal};
use mlcdk_core::naming::{self, format_arn};
use mlcdk_core::{
    CfnResource, Construct, DeletionPolicy, Expr, Handle, ListExpr, PhysicallyNamed, Scope,
};
use mlcdk_sagemaker::{ModelArtifacts, ModelGroupRef};

/// Props of a [`ModelRegistry`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelRegistryProps {
    /// `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`; default `<app>-<stage>-<id>`, lower case.
    pub name: Option<String>,
    /// Shown in the SageMaker console; up to 1,024 characters.
    pub description: Option<String>,
    /// Accounts that may read the group's model packages (a production account
    /// deploying what staging registered).
    pub cross_account_readers: Vec<String>,
    /// Retain (default) or, outside production, Delete.
    pub removal_policy: Option<DeletionPolicy>,
}

/// A model package group. Retained by default: it is the record of every
/// model version and its approval.
///
/// The handle ([`Construct`]): `arn()` is `GetAtt
/// ModelPackageGroupArn`, `name()` the last part of it (CloudFormation has no
/// name attribute for the group; both refer to it), `physical_name()` the name
/// as set.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_core::iam::{Principal, Role, RoleProps};
/// use mlcdk_registry::{ModelRegistry, ModelRegistryProps};
///
/// let mut stack = Stack::for_test();
/// let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps {
///     description: Some("churn classifiers".into()),
///     ..Default::default()
/// });
/// let deployer = Role::new(&mut stack, "Deployer",
///     RoleProps::assumed_by(Principal::service("codebuild.amazonaws.com")));
/// let read = registry.grant_read(&deployer);
/// assert!(read.actions().contains(&"sagemaker:ListModelPackages".to_string()));
/// let v3 = registry.version(3); // arn:…:model-package/test-staging-churn/3
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ModelRegistry {
    handle: Handle,
    /// Set by `version(0)`. `version` has no scope to record an error in, so
    /// the group resource renders lazily and reports it at synth.
    asked_for_version_zero: Rc<Cell<bool>>,
}

fn valid_group_name(n: &str) -> bool {
    let b = n.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

impl ModelRegistry {
    /// A model package group, validated at synth: name shape, description
    /// length, 12-digit reader accounts, removal policy allowed by the stage.
    pub fn new(scope: &mut impl Scope, id: &str, props: ModelRegistryProps) -> ModelRegistry {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let removal = node.removal_policy(props.removal_policy);
        let name = props
            .name
            .clone()
            .unwrap_or_else(|| node.physical_name_for(naming::MODEL_PACKAGE_GROUP));
        if !valid_group_name(&name) {
            node.error(format!(
                "registry name '{name}' is invalid: 1 to 63 letters and digits, with '-' only between them"
            ));
        }
        let asked_for_version_zero = Rc::new(Cell::new(false));
        let zero = asked_for_version_zero.clone();
        let mut group = CfnResource::lazy("AWS::SageMaker::ModelPackageGroup", move || {
            if zero.get() {
                Err(vec![format!(
                    "model version 0 (version(0)) does not exist: model package versions are numbered from 1 (accepted: 1..={})",
                    u32::MAX
                )])
            } else {
                Ok(Default::default())
            }
        })
        .set("ModelPackageGroupName", name.as_str())
            .removal_policy(removal);
        if let Some(d) = &props.description {
            if d.chars().count() > 1024 {
                node.error(format!(
                    "description has {} characters; SageMaker accepts at most 1024",
                    d.chars().count()
                ));
            }
            group = group.set("ModelPackageGroupDescription", d.as_str());
        }
        if !props.cross_account_readers.is_empty() {
            for a in &props.cross_account_readers {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    node.error(format!(
                        "cross-account reader '{a}' is not an AWS account id (12 digits)"
                    ));
                }
            }
            let arn = |suffix: &str| format_arn("sagemaker", suffix);
            let mut read = PolicyStatement::allow()
                .sid("CrossAccountRead")
                .actions([
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:ListModelPackages",
                ])
                .resources([
                    arn(&format!("model-package-group/{name}")),
                    arn(&format!("model-package/{name}/*")),
                ]);
            for a in &props.cross_account_readers {
                read = read.principal(Principal::account(a.as_str()));
            }
            group = group.set(
                "ModelPackageGroupPolicy",
                PolicyDocument::new([read]).to_json(),
            );
        }
        let resource = node.add_resource("Resource", group);
        // CloudFormation has no name attribute for the group: its name,
        // carrying a reference, is the last part of its ARN.
        let arn = resource.get_att("ModelPackageGroupArn");
        let handle = Handle::new(resource, path, arn.clone())
            .with_name(Expr::select(1, ListExpr::split("/", arn)))
            .named(name);
        ModelRegistry {
            handle,
            asked_for_version_zero,
        }
    }

    /// Let `grantee` read the group and its versions: describe the group,
    /// list its model packages and describe them (what a deployment tool
    /// choosing the version to serve does).
    pub fn grant_read(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [
                PolicyStatement::allow()
                    .actions(["sagemaker:DescribeModelPackageGroup"])
                    .resources([self.arn()]),
                // ListModelPackages authorizes on the group's packages, and
                // DescribeModelPackage on a package
                // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html).
                PolicyStatement::allow()
                    .actions([
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                    ])
                    .resources([format_arn(
                        "sagemaker",
                        &format!("model-package/{}/*", self.physical_name()),
                    )]),
            ],
        )
    }

    /// Version `n` of the group, pinned. Versions are numbered from 1; `0`
    /// is reported as a validation error at the registry's path when the
    /// stack is synthesized.
    pub fn version(&self, n: u32) -> ModelVersion {
        if n == 0 {
            self.asked_for_version_zero.set(true);
        }
        ModelVersion::pinned(format_arn(
            "sagemaker",
            &format!("model-package/{}/{n}", self.physical_name()),
        ))
    }
}

impl Construct for ModelRegistry {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for ModelRegistry {}

/// What a training pipeline registers into. The name is the fixed one (no
/// reference), so that a pipeline definition that registers into the group
/// stays free of references and can be stored in S3; the ARN refers to the
/// group, so the pipeline's role (and the pipeline) come after it.
impl From<&ModelRegistry> for ModelGroupRef {
    fn from(r: &ModelRegistry) -> ModelGroupRef {
        ModelGroupRef {
            name: Expr::lit(r.physical_name()),
            arn: r.arn(),
        }
    }
}

/// A pinned model version to deploy, and what serving it needs to read.
///
/// ```
/// use mlcdk_core::Expr;
/// use mlcdk_registry::ModelVersion;
///
/// // A version registered in another account, by ARN.
/// let v = ModelVersion::pinned(Expr::lit("arn:aws:sagemaker:us-east-1:222222222222:model-package/churn/7"));
/// assert!(v.artifacts.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct ModelVersion {
    /// The model package ARN (`…:model-package/<group>/<version>`).
    pub package_arn: Expr,
    /// Where the version's artifacts are and the image that serves them,
    /// for the serving role's read and pull grants (a training pipeline's
    /// `model_artifacts()`).
    pub artifacts: Option<ModelArtifacts>,
}

impl ModelVersion {
    /// Any model package, by ARN (e.g. a version registered in another account).
    pub fn pinned(package_arn: impl Into<Expr>) -> ModelVersion {
        ModelVersion {
            package_arn: package_arn.into(),
            artifacts: None,
        }
    }

    /// Whether the ARN, when it is a literal, is a model package's:
    /// `arn:<partition>:sagemaker:<region>:<account>:model-package/<name>[/<version>]`.
    /// A reference or `Fn::Sub` is resolved by CloudFormation and passes.
    /// Constructs that take a version report the error with their path.
    ///
    /// ```
    /// use mlcdk_registry::ModelVersion;
    ///
    /// assert!(ModelVersion::pinned("arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3").check().is_ok());
    /// assert!(ModelVersion::pinned("not-an-arn").check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        match self.package_arn.as_literal() {
            Some(arn) if !is_model_package_arn(arn) => Err(format!(
                "'{arn}' is not a model package ARN: arn:<partition>:sagemaker:<region>:<account>:model-package/<name>[/<version>]"
            )),
            _ => Ok(()),
        }
    }

    /// The same version with the artifacts and image it uses, so serving can
    /// be granted them.
    pub fn served_from(self, artifacts: ModelArtifacts) -> ModelVersion {
        ModelVersion {
            artifacts: Some(artifacts),
            ..self
        }
    }
}

/// Whether `arn` is a model package's ARN:
/// `arn:<partition>:sagemaker:<region>:<account>:model-package/<name>[/<version>]`.
fn is_model_package_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let name_ok = |n: &str| {
        (1..=63).contains(&n.len())
            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !n.starts_with('-')
    };
    let package = resource.strip_prefix("model-package/").map(|r| {
        let mut it = r.split('/');
        let name = it.next().unwrap_or_default();
        let version = it.next();
        name_ok(name)
            && it.next().is_none()
            && version.is_none_or(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    });
    prefix == "arn"
        && partition.starts_with("aws")
        && service == "sagemaker"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && package == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlcdk_core::assertions::TemplateAssert;
    use mlcdk_core::{Stack, StageKind};
    use serde_json::json;

    #[test]
    fn defaults_and_cross_account_policy() {
        let mut stack = Stack::for_test();
        let r = ModelRegistry::new(
            &mut stack,
            "Churn",
            ModelRegistryProps {
                description: Some("churn classifiers".into()),
                cross_account_readers: vec!["222222222222".into()],
                ..Default::default()
            },
        );
        assert_eq!(
            r.version(3).package_arn.to_json(),
            json!({"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/test-staging-churn/3"})
        );
        let g: ModelGroupRef = (&r).into();
        assert_eq!(g.name, Expr::lit("test-staging-churn"));
        assert_eq!(r.physical_name(), "test-staging-churn");
        assert_eq!(r.node_path().to_string(), "Churn");
        // name() refers to the group.
        let mut refs = Vec::new();
        r.name()
            .for_each_reference(&mut |id| refs.push(id.to_string()));
        assert_eq!(refs.len(), 1);
        let t = TemplateAssert::new(stack.synth().unwrap().template);
        t.has_resource(
            "AWS::SageMaker::ModelPackageGroup",
            json!({"DeletionPolicy": "Retain", "Properties": {
                "ModelPackageGroupName": "test-staging-churn",
                "ModelPackageGroupDescription": "churn classifiers",
                "ModelPackageGroupPolicy": {"Statement": [{
                    "Sid": "CrossAccountRead",
                    "Principal": {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::222222222222:root"]]}},
                    "Action": ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
                }]}
            }}),
        );
    }

    #[test]
    fn grant_read_is_kept_and_scoped_to_the_group() {
        use mlcdk_core::iam::{Role, RoleProps};
        let mut stack = Stack::for_test();
        let r = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
        let role = Role::new(
            &mut stack,
            "Deployer",
            RoleProps::assumed_by(Principal::service("codebuild.amazonaws.com")),
        );
        let grant = r.grant_read(&role);
        assert_eq!(
            grant.actions(),
            [
                "sagemaker:DescribeModelPackageGroup",
                "sagemaker:DescribeModelPackage",
                "sagemaker:ListModelPackages"
            ]
        );
        // Read only: nothing that writes or approves.
        assert!(
            grant
                .actions()
                .iter()
                .all(|a| !a.contains("Update") && !a.contains("Create"))
        );
        let t = TemplateAssert::new(stack.synth().unwrap().template);
        t.has_resource_properties(
            "AWS::IAM::Role",
            json!({"Policies": [{"PolicyDocument": {"Statement": [
                {"Action": "sagemaker:DescribeModelPackageGroup"},
                {"Resource": {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/test-staging-churn/*"}}
            ]}}]}),
        );
    }

    #[test]
    fn validations() {
        let mut stack = Stack::for_stage(StageKind::Production);
        ModelRegistry::new(
            &mut stack,
            "Bad",
            ModelRegistryProps {
                name: Some("bad_name".into()),
                cross_account_readers: vec!["123".into()],
                removal_policy: Some(DeletionPolicy::Delete),
                ..Default::default()
            },
        );
        let errors = stack.synth().unwrap_err();
        assert!(
            errors.mentions("[test-production/Bad] registry name 'bad_name' is invalid"),
            "{errors}"
        );
        assert!(errors.mentions("cross-account reader '123' is not an AWS account id"));
        assert!(errors.mentions("removal policy Delete is not allowed in production"));
    }

    #[test]
    fn version_zero_is_an_error_at_the_registry() {
        let mut stack = Stack::for_test();
        let r = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
        r.version(1);
        let ok = r.clone();
        let _ = ok.version(4_294_967_295);
        r.version(0);
        let errors = stack.synth().unwrap_err();
        assert_eq!(
            errors.to_string(),
            "1 validation error:\n  [test-staging/Churn/Resource] model version 0 (version(0)) does not exist: model package versions are numbered from 1 (accepted: 1..=4294967295)"
        );
    }
}

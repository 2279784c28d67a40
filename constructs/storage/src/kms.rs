//! Customer-managed KMS keys.

use mlcdk_core::iam::{Grant, Grantee, PolicyDocument, PolicyStatement, Principal, SharedPolicy};
use mlcdk_core::naming::format_arn;
use mlcdk_core::{CfnResource, Construct, DeletionPolicy, Expr, Handle, ResourceRef, Scope};
use serde_json::{Map, Value};

/// Props of a [`KmsKey`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KmsKeyProps {
    /// Shown in the KMS console; up to 8,192 characters.
    pub description: Option<String>,
    /// `alias/<name>`; given without the `alias/` prefix.
    pub alias: Option<String>,
    /// Days KMS waits before deleting a key removed from the stack (7–30, default 30).
    pub pending_window_days: Option<u32>,
    /// Retain (default) or, outside production, Delete.
    pub removal_policy: Option<DeletionPolicy>,
}

/// A symmetric KMS key with rotation on. Its key policy lets the account's IAM
/// policies grant use of the key (the account root statement, as KMS's default
/// policy does); services that need the key itself in the key policy (CloudWatch
/// Logs, for instance) are added with [`KmsKey::add_to_key_policy`].
///
/// The handle ([`Construct`]): `name()` is its `Ref`
/// (the key id, also [`KmsKey::key_id`]), `arn()` its `GetAtt Arn`.
///
/// ```
/// use mlcdk_core::{Stack, iam::{Role, RoleProps, Principal}};
/// use mlcdk_storage::{KmsKey, KmsKeyProps};
///
/// let mut stack = Stack::for_test();
/// let key = KmsKey::new(&mut stack, "DataKey", KmsKeyProps { alias: Some("ml-data".into()), ..Default::default() });
/// let role = Role::new(&mut stack, "Job", RoleProps::assumed_by(Principal::service("glue.amazonaws.com")));
/// key.grant_encrypt_decrypt(&role);
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct KmsKey {
    handle: Handle,
    alias: Option<ResourceRef>,
    policy: SharedPolicy,
}

impl KmsKey {
    /// A key (and its alias, when given), validated at synth: alias shape,
    /// pending window 7–30 days, removal policy allowed by the stage.
    pub fn new(scope: &mut impl Scope, id: &str, props: KmsKeyProps) -> KmsKey {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let removal = node.removal_policy(props.removal_policy);
        let window = props.pending_window_days.unwrap_or(30);
        if !(7..=30).contains(&window) {
            node.error(format!(
                "pending_window_days {window} is out of range: KMS waits 7 to 30 days before deleting a key"
            ));
        }
        if let Some(alias) = &props.alias
            && let Err(e) = check_alias(alias)
        {
            node.error(e);
        }
        let policy = SharedPolicy::new(PolicyDocument::new([PolicyStatement::allow()
            .sid("AccountAdministersTheKeyThroughIam")
            .principal(Principal::account(Expr::account_id()))
            .actions(["kms:*"])
            .resources(["*"])]));
        let mut base = Map::new();
        base.insert("EnableKeyRotation".into(), Value::Bool(true));
        base.insert("PendingWindowInDays".into(), window.into());
        if let Some(d) = &props.description {
            base.insert("Description".into(), Value::String(d.clone()));
        }
        // The key policy is a resource policy: the account root needs kms:* on
        // the key itself ("*" there means this key), so the role-policy rules
        // against wildcards do not apply to it.
        let resource = node.add_resource(
            "Resource",
            policy
                .lazy_resource("AWS::KMS::Key", base, |doc, props| {
                    props.insert("KeyPolicy".into(), doc.to_json().to_cfn());
                    Ok(())
                })
                .removal_policy(removal),
        );
        let alias = props.alias.as_ref().map(|alias| {
            node.add_resource(
                "Alias",
                CfnResource::new("AWS::KMS::Alias")
                    .set("AliasName", format!("alias/{alias}"))
                    .set("TargetKeyId", resource.reference()),
            )
        });
        let arn = resource.get_att("Arn");
        KmsKey {
            handle: Handle::new(resource, path, arn),
            alias,
            policy,
        }
    }

    /// The key's id (`Ref` of a key).
    pub fn key_id(&self) -> Expr {
        self.resource().reference()
    }

    /// The `AWS::KMS::Alias` resource, when the props gave an alias.
    pub fn alias(&self) -> Option<&ResourceRef> {
        self.alias.as_ref()
    }

    /// Add a statement to the key policy (for service principals that need it).
    pub fn add_to_key_policy(&self, statement: PolicyStatement) {
        self.policy.add(statement);
    }

    /// Decrypt with the key (read data encrypted with it).
    pub fn grant_decrypt(&self, grantee: &impl Grantee) -> Grant {
        KeyRef::from(self).grant_decrypt(grantee)
    }

    /// Encrypt with the key (write data encrypted with it).
    pub fn grant_encrypt(&self, grantee: &impl Grantee) -> Grant {
        KeyRef::from(self).grant_encrypt(grantee)
    }

    /// Both: read and write data encrypted with the key.
    pub fn grant_encrypt_decrypt(&self, grantee: &impl Grantee) -> Grant {
        KeyRef::from(self).grant_encrypt_decrypt(grantee)
    }

    /// Let AWS services acting for the grantee attach the key to the storage
    /// volumes they create for it: `kms:CreateGrant`, only when an AWS service
    /// integrated with KMS makes the request (`kms:GrantIsForAWSResource`),
    /// so the grantee itself cannot hand the key to anyone.
    ///
    /// A SageMaker job whose cluster has a `VolumeKmsKeyId` (processing and
    /// monitoring jobs, training) fails to start without it: "If you specify
    /// a volume KMS key in the resource configuration of your processing job,
    /// add the following permissions: `kms:CreateGrant`"
    /// (<https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html>);
    /// the condition key: <https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html>.
    pub fn grant_volume_encryption(&self, grantee: &impl Grantee) -> Grant {
        KeyRef::from(self).grant_volume_encryption(grantee)
    }

    /// Let CloudWatch Logs of this account and region encrypt log groups with
    /// the key (Glue jobs and crawlers with encrypted logs need it).
    pub fn allow_cloudwatch_logs(&self) {
        self.add_to_key_policy(
            PolicyStatement::allow()
                .sid("CloudWatchLogsUseTheKey")
                .principal(Principal::service(Expr::sub(
                    "logs.${AWS::Region}.amazonaws.com",
                )))
                .actions([
                    "kms:Decrypt",
                    "kms:Encrypt",
                    "kms:GenerateDataKey",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:DescribeKey",
                ])
                .resources(["*"])
                .condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    format_arn("logs", "*"),
                ),
        );
    }
}

impl Construct for KmsKey {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// KMS alias names: `alias/` + 1–250 of `[A-Za-z0-9/_-]`, not starting with `aws/`.
fn check_alias(alias: &str) -> Result<(), String> {
    let valid = !alias.is_empty()
        && alias.len() <= 250
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b));
    if !valid {
        return Err(format!(
            "alias '{alias}' is invalid: KMS aliases take 1 to 250 letters, digits, '/', '_' or '-' (given without 'alias/')"
        ));
    }
    if alias.starts_with("aws/") {
        return Err(format!(
            "alias '{alias}' starts with 'aws/', which is reserved for AWS managed keys"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlcdk_core::assertions::{Match, TemplateAssert};
    use mlcdk_core::iam::{Role, RoleProps};
    use mlcdk_core::{Stack, StageKind};
    use serde_json::json;

    #[test]
    fn defaults_rotation_retain_and_root_policy() {
        let mut stack = Stack::for_test();
        KmsKey::new(&mut stack, "Key", KmsKeyProps::default());
        let t = TemplateAssert::new(stack.synth().unwrap().template);
        t.resource_count_is("AWS::KMS::Alias", 0);
        t.has_resource(
            "AWS::KMS::Key",
            json!({"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
                "EnableKeyRotation": true,
                "PendingWindowInDays": 30,
                "KeyPolicy": {"Statement": [{"Action": "kms:*", "Effect": "Allow", "Resource": "*"}]}
            }}),
        );
    }

    #[test]
    fn alias_grants_and_logs() {
        let mut stack = Stack::for_test();
        let key = KmsKey::new(
            &mut stack,
            "Key",
            KmsKeyProps {
                alias: Some("ml/data".into()),
                pending_window_days: Some(7),
                ..Default::default()
            },
        );
        key.allow_cloudwatch_logs();
        let role = Role::new(
            &mut stack,
            "R",
            RoleProps::assumed_by(Principal::service("glue.amazonaws.com")),
        );
        key.grant_decrypt(&role);
        let t = TemplateAssert::new(stack.synth().unwrap().template);
        t.has_resource_properties(
            "AWS::KMS::Alias",
            json!({"AliasName": "alias/ml/data", "TargetKeyId": {"Ref": "Key961B73FD"}}),
        );
        t.has_resource_properties(
            "AWS::KMS::Key",
            Match::object([(
                "KeyPolicy",
                Match::object([(
                    "Statement",
                    Match::array_with([Match::object_like(json!({
                        "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
                    }))]),
                )]),
            )]),
        );
        t.has_resource_properties(
            "AWS::IAM::Role",
            json!({"Policies": [{"PolicyDocument": {"Statement": [
                {"Action": "kms:Decrypt", "Resource": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}}
            ]}}]}),
        );
    }

    #[test]
    fn validations() {
        let mut stack = Stack::for_stage(StageKind::Production);
        KmsKey::new(
            &mut stack,
            "Key",
            KmsKeyProps {
                alias: Some("aws/mine".into()),
                pending_window_days: Some(3),
                removal_policy: Some(DeletionPolicy::Delete),
                ..Default::default()
            },
        );
        KmsKey::new(
            &mut stack,
            "Other",
            KmsKeyProps {
                alias: Some("bad alias!".into()),
                ..Default::default()
            },
        );
        let errors = stack.synth().unwrap_err();
        assert!(errors.mentions("[test-production/Key] pending_window_days 3 is out of range: KMS waits 7 to 30 days"), "{errors}");
        assert!(errors.mentions("alias 'aws/mine' starts with 'aws/'"));
        assert!(
            errors.mentions(
                "[test-production/Key] removal policy Delete is not allowed in production"
            )
        );
        assert!(errors.mentions("[test-production/Other] alias 'bad alias!' is invalid"));
    }
}

/// A KMS key: one of the stack's ([`KmsKey`] converts into it) or one
/// imported by ARN. Props take it as `encryption_key: Option<KeyRef>`.
///
/// ```
/// use mlcdk_core::Expr;
/// use mlcdk_storage::KeyRef;
///
/// let shared = KeyRef::from_arn(Expr::lit("arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"));
/// assert!(shared.key().is_none());
/// ```
#[derive(Clone, Debug)]
pub struct KeyRef {
    arn: Expr,
    key: Option<KmsKey>,
}

impl KeyRef {
    /// A key outside the stack, by ARN. Grants on it are identity-policy
    /// statements: the key's own policy must let the account's principals use
    /// it (the default key policy does).
    pub fn from_arn(arn: impl Into<Expr>) -> KeyRef {
        KeyRef {
            arn: arn.into(),
            key: None,
        }
    }

    /// The key's ARN.
    pub fn arn(&self) -> Expr {
        self.arn.clone()
    }

    /// The stack's key, when it is one: to add to its key policy.
    pub fn key(&self) -> Option<&KmsKey> {
        self.key.as_ref()
    }

    /// Decrypt with the key.
    pub fn grant_decrypt(&self, grantee: &impl Grantee) -> Grant {
        self.grant(grantee, &["kms:Decrypt"])
    }

    /// Encrypt with the key (`kms:Encrypt`, `kms:GenerateDataKey`).
    pub fn grant_encrypt(&self, grantee: &impl Grantee) -> Grant {
        self.grant(grantee, &["kms:Encrypt", "kms:GenerateDataKey"])
    }

    /// Both.
    pub fn grant_encrypt_decrypt(&self, grantee: &impl Grantee) -> Grant {
        self.grant(
            grantee,
            &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        )
    }

    /// See [`KmsKey::grant_volume_encryption`].
    pub fn grant_volume_encryption(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["kms:CreateGrant"])
                .resources([self.arn()])
                .condition("Bool", "kms:GrantIsForAWSResource", "true")],
        )
    }

    fn grant(&self, grantee: &impl Grantee, actions: &[&str]) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(actions.iter().copied())
                .resources([self.arn()])],
        )
    }
}

impl From<&KmsKey> for KeyRef {
    fn from(key: &KmsKey) -> KeyRef {
        KeyRef {
            arn: key.arn(),
            key: Some(key.clone()),
        }
    }
}

impl From<KmsKey> for KeyRef {
    fn from(key: KmsKey) -> KeyRef {
        KeyRef::from(&key)
    }
}

impl From<&KeyRef> for KeyRef {
    fn from(key: &KeyRef) -> KeyRef {
        key.clone()
    }
}

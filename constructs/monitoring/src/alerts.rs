//! The alerts topic.

use mlcdk_core::iam::{Grant, Grantee, PolicyDocument, PolicyStatement, Principal};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, Scope};
use mlcdk_storage::{KmsKey, KmsKeyProps};

/// The services that publish alerts: alarms, rules, budgets.
const PUBLISHERS: [&str; 3] = [
    "cloudwatch.amazonaws.com",
    "events.amazonaws.com",
    "budgets.amazonaws.com",
];

/// Props of an [`AlertsTopic`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertsTopicProps {
    /// Email addresses to subscribe (each confirms by email), each once. The
    /// rule checked at synth: exactly one `@`; 1 to 64 characters before it;
    /// a domain with a dot, neither first nor last, and no empty label; at
    /// most 254 characters in all; no whitespace, control or invisible
    /// formatting characters (such as a right-to-left override).
    pub emails: Vec<String>,
}

/// The rule, as error messages state it.
const EMAIL_RULE: &str = "accepted: exactly one '@', 1 to 64 characters before it, a domain with a dot, at most 254 characters, no whitespace or control characters";

/// Why `email` breaks the documented rule, if it does. Kept simple on
/// purpose: it catches typos and pasted garbage before deployment; SNS and
/// Budgets confirm the address itself.
fn email_problem(email: &str) -> Option<String> {
    let invisible = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c,
                '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
    };
    if email.chars().any(invisible) {
        return Some("it contains whitespace, a control or an invisible character".into());
    }
    let length = email.chars().count();
    if length > 254 {
        return Some(format!(
            "it has {length} characters, at most 254 are accepted"
        ));
    }
    let ats = email.matches('@').count();
    let Some((local, domain)) = email.split_once('@').filter(|_| ats == 1) else {
        return Some(if ats == 0 {
            "it has no '@'".into()
        } else {
            format!("it has {ats} '@'")
        });
    };
    let local_length = local.chars().count();
    if local_length == 0 {
        return Some("nothing comes before the '@'".into());
    }
    if local_length > 64 {
        return Some(format!(
            "the part before the '@' has {local_length} characters, at most 64 are accepted"
        ));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Some(format!(
            "the domain {} needs a dot between non-empty parts",
            mlcdk_core::stage_file::quote(domain)
        ));
    }
    None
}

/// One message per address that breaks the rule or repeats an earlier one
/// (compared without case: mail domains ignore it, and a second subscription
/// of the same mailbox only duplicates every alert). `field` names the list,
/// e.g. `emails` or `notification 1 emails`.
pub(crate) fn email_errors(field: &str, emails: &[String]) -> Vec<String> {
    let mut errors = Vec::new();
    for (i, email) in emails.iter().enumerate() {
        let shown = mlcdk_core::stage_file::quote(email);
        if let Some(problem) = email_problem(email) {
            errors.push(format!(
                "{field}[{i}]: {shown} is not an email address: {problem} ({EMAIL_RULE})"
            ));
        } else if let Some(first) = emails[..i]
            .iter()
            .position(|e| e.eq_ignore_ascii_case(email))
        {
            errors.push(format!(
                "{field}[{i}]: {shown} repeats {field}[{first}]; subscribe each address once"
            ));
        }
    }
    errors
}

/// An SNS topic for alerts, encrypted with its own KMS key, whose key and
/// topic policies let CloudWatch alarms, EventBridge rules and Budgets publish
/// (an AWS-managed SNS key would not: those services cannot use it).
///
/// The handle ([`Construct`]): `name()` is `GetAtt
/// TopicName` (CloudFormation generates it), `arn()` its `Ref`.
///
/// ```
/// use mlcdk_core::Construct;
/// use mlcdk_core::refs::TopicRef;
/// use mlcdk_core::Stack;
/// use mlcdk_monitoring::{AlertsTopic, AlertsTopicProps};
///
/// let mut stack = Stack::for_test();
/// let alerts = AlertsTopic::new(&mut stack, "Alerts", AlertsTopicProps { emails: vec!["ml-oncall@example.com".into()] });
/// let topic: TopicRef = (&alerts).into(); // what alarms, budgets and endpoints take
/// assert_eq!(topic.arn(), alerts.arn());
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct AlertsTopic {
    handle: Handle,
    key: KmsKey,
}

impl AlertsTopic {
    /// A topic, its key, its policies and one subscription per email.
    pub fn new(scope: &mut impl Scope, id: &str, props: AlertsTopicProps) -> AlertsTopic {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let key = KmsKey::new(
            &mut node,
            "Key",
            KmsKeyProps {
                description: Some("Encrypts the alerts topic".into()),
                ..Default::default()
            },
        );
        key.add_to_key_policy(
            PolicyStatement::allow()
                .sid("AlertPublishersUseTheKey")
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resources(["*"])
                .principals(PUBLISHERS.iter().map(|s| Principal::service(*s))),
        );
        let topic = node.add_resource(
            "Resource",
            CfnResource::new("AWS::SNS::Topic").set("KmsMasterKeyId", key.arn()),
        );
        node.add_resource(
            "Policy",
            CfnResource::new("AWS::SNS::TopicPolicy")
                .set("Topics", Json::array([Json::from(topic.reference())]))
                .set(
                    "PolicyDocument",
                    PolicyDocument::new([PolicyStatement::allow()
                        .sid("AlertPublishers")
                        .actions(["sns:Publish"])
                        .resources([topic.reference()])
                        .principals(PUBLISHERS.iter().map(|s| Principal::service(*s)))
                        .condition(
                            "StringEquals",
                            "aws:SourceAccount",
                            Json::from(Expr::account_id()),
                        )])
                    .to_json(),
                ),
        );
        for e in email_errors("emails", &props.emails) {
            node.error(e);
        }
        for (i, email) in props.emails.iter().enumerate() {
            node.add_resource(
                &format!("Email{i}"),
                CfnResource::new("AWS::SNS::Subscription")
                    .set("TopicArn", topic.reference())
                    .set("Protocol", "email")
                    .set("Endpoint", email.as_str()),
            );
        }
        // `Ref` of a topic is its ARN; CloudFormation generates its name.
        let arn = topic.reference();
        let name = topic.get_att("TopicName");
        AlertsTopic {
            handle: Handle::new(topic, path, arn).with_name(name),
            key,
        }
    }

    /// The key the topic is encrypted with.
    pub fn key(&self) -> &KmsKey {
        &self.key
    }

    /// Let `grantee` publish to the topic: `sns:Publish` on it, and the use
    /// of its key (`kms:Decrypt`, `kms:GenerateDataKey`) that an encrypted
    /// topic needs from publishers.
    pub fn grant_publish(&self, grantee: &impl Grantee) -> Grant {
        TopicRef::from(self).grant_publish(grantee).and(Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["kms:Decrypt", "kms:GenerateDataKey"])
                .resources([self.key.arn()])],
        ))
    }
}

impl Construct for AlertsTopic {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl From<&AlertsTopic> for TopicRef {
    fn from(topic: &AlertsTopic) -> TopicRef {
        TopicRef::from_arn(topic.arn())
    }
}

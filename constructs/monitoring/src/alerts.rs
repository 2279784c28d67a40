//! The alerts topic.

use mlcdk_core::iam::{PolicyDocument, PolicyStatement, Principal};
use mlcdk_core::{CfnResource, Expr, Json, ResourceRef, Scope};
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
    /// Email addresses to subscribe (each confirms by email).
    pub emails: Vec<String>,
}

/// An SNS topic for alerts, encrypted with its own KMS key, whose key and
/// topic policies let CloudWatch alarms, EventBridge rules and Budgets publish
/// (an AWS-managed SNS key would not: those services cannot use it).
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_monitoring::{AlertsTopic, AlertsTopicProps};
///
/// let mut stack = Stack::for_test();
/// let alerts = AlertsTopic::new(&mut stack, "Alerts", AlertsTopicProps { emails: vec!["ml-oncall@example.com".into()] });
/// let arn = alerts.arn();
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct AlertsTopic {
    resource: ResourceRef,
}

impl AlertsTopic {
    /// A topic, its key, its policies and one subscription per email.
    pub fn new(scope: &mut impl Scope, id: &str, props: AlertsTopicProps) -> AlertsTopic {
        let mut node = scope.node(id);
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
        for (i, email) in props.emails.iter().enumerate() {
            let valid = email
                .split_once('@')
                .is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
                && !email.contains(char::is_whitespace);
            if !valid {
                node.error(format!("'{email}' is not an email address"));
            }
            node.add_resource(
                &format!("Email{i}"),
                CfnResource::new("AWS::SNS::Subscription")
                    .set("TopicArn", topic.reference())
                    .set("Protocol", "email")
                    .set("Endpoint", email.as_str()),
            );
        }
        AlertsTopic { resource: topic }
    }

    /// The topic's ARN (`Ref`).
    pub fn arn(&self) -> Expr {
        self.resource.reference()
    }
}

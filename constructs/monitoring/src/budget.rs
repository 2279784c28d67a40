//! A monthly cost budget for the stage.

use mlcdk_core::{CfnResource, Expr, Json, Scope};

/// Actual spend so far, or AWS's forecast for the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetSignal {
    /// Spend so far this month: reliable, but late.
    Actual,
    /// AWS's forecast for the month: early warning, noisy at the start of a
    /// month.
    Forecasted,
}

/// One notification: at `percent` of the budget, to these subscribers.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetAlert {
    /// Actual or forecasted spend.
    pub signal: BudgetSignal,
    /// Threshold in percent of the budget, above 0 and at most 1,000.
    pub percent: f64,
    /// Email subscribers, at most 10, each once; checked with the same rule as
    /// [`AlertsTopicProps::emails`](crate::AlertsTopicProps::emails).
    pub emails: Vec<String>,
    /// An SNS topic (the alerts topic).
    pub topic: Option<Expr>,
}

/// Props of a [`Budget`].
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetProps {
    /// The monthly budget in US dollars, above 0.
    pub monthly_usd: u32,
    /// At most 5.
    pub alerts: Vec<BudgetAlert>,
}

impl BudgetProps {
    /// Alerts to `topic` at 80 % actual and 100 % forecasted spend (a
    /// notification needs a subscriber: without a topic, add emails).
    pub fn monthly(monthly_usd: u32, topic: Option<Expr>) -> BudgetProps {
        BudgetProps {
            monthly_usd,
            alerts: vec![
                BudgetAlert {
                    signal: BudgetSignal::Actual,
                    percent: 80.0,
                    emails: vec![],
                    topic: topic.clone(),
                },
                BudgetAlert {
                    signal: BudgetSignal::Forecasted,
                    percent: 100.0,
                    emails: vec![],
                    topic,
                },
            ],
        }
    }
}

/// A monthly cost budget covering what the stage's stack created: it filters
/// on the `aws:cloudformation:stack-name` tag, which CloudFormation puts on
/// every resource it creates (activate it as a cost allocation tag once per
/// payer account, in the Billing console).
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_monitoring::{AlertsTopic, AlertsTopicProps, Budget, BudgetProps};
///
/// let mut stack = Stack::for_test();
/// let alerts = AlertsTopic::new(&mut stack, "Alerts", AlertsTopicProps::default());
/// Budget::new(&mut stack, "Budget", BudgetProps::monthly(500, Some(alerts.arn())));
/// assert!(stack.synth().is_ok());
/// ```
pub struct Budget;

impl Budget {
    /// A budget, validated at synth: amount above 0, at most 5 notifications,
    /// each with 1–11 subscribers and a threshold in range.
    pub fn new(scope: &mut impl Scope, id: &str, props: BudgetProps) -> Budget {
        let mut node = scope.node(id);
        if props.monthly_usd == 0 {
            node.error("monthly_usd must be above 0");
        }
        if props.alerts.len() > 5 {
            node.error(format!(
                "{} notifications; a budget has at most 5",
                props.alerts.len()
            ));
        }
        let mut notifications = Vec::new();
        for (i, a) in props.alerts.iter().enumerate() {
            let subscribers = a.emails.len() + usize::from(a.topic.is_some());
            if !(1..=11).contains(&subscribers) || a.emails.len() > 10 {
                node.error(format!(
                    "notification {} has {} subscribers; a notification has 1 to 11 (at most one SNS topic and 10 email addresses)",
                    i + 1,
                    subscribers
                ));
            }
            for e in
                crate::alerts::email_errors(&format!("notification {} emails", i + 1), &a.emails)
            {
                node.error(e);
            }
            if !(a.percent > 0.0 && a.percent <= 1000.0) {
                node.error(format!(
                    "notification {} at {} %: thresholds are above 0 and at most 1000 %",
                    i + 1,
                    a.percent
                ));
            }
            let mut subs: Vec<Json> = a
                .emails
                .iter()
                .map(|e| {
                    Json::object([
                        ("SubscriptionType", Json::from("EMAIL")),
                        ("Address", Json::from(e.as_str())),
                    ])
                })
                .collect();
            if let Some(t) = &a.topic {
                subs.push(Json::object([
                    ("SubscriptionType", Json::from("SNS")),
                    ("Address", Json::from(t)),
                ]));
            }
            notifications.push(Json::object([
                (
                    "Notification",
                    Json::object([
                        (
                            "NotificationType",
                            Json::from(match a.signal {
                                BudgetSignal::Actual => "ACTUAL",
                                BudgetSignal::Forecasted => "FORECASTED",
                            }),
                        ),
                        ("ComparisonOperator", Json::from("GREATER_THAN")),
                        (
                            "Threshold",
                            // A NaN or infinite threshold was reported above;
                            // the template is not written then.
                            serde_json::Number::from_f64(a.percent)
                                .map_or(Json::Null, Json::Number),
                        ),
                        ("ThresholdType", Json::from("PERCENTAGE")),
                    ]),
                ),
                ("Subscribers", Json::Array(subs)),
            ]));
        }
        let stack_name = node.stage().stack_name.clone();
        let budget_name = node.physical_name('-', 100);
        node.add_resource(
            "Resource",
            CfnResource::new("AWS::Budgets::Budget")
                .set(
                    "Budget",
                    Json::object([
                        ("BudgetName", Json::from(budget_name)),
                        ("BudgetType", Json::from("COST")),
                        ("TimeUnit", Json::from("MONTHLY")),
                        (
                            "BudgetLimit",
                            Json::object([
                                ("Amount", Json::from(props.monthly_usd)),
                                ("Unit", Json::from("USD")),
                            ]),
                        ),
                        (
                            "CostFilters",
                            Json::object([(
                                "TagKeyValue",
                                Json::array([Json::from(format!(
                                    "aws:cloudformation:stack-name${stack_name}"
                                ))]),
                            )]),
                        ),
                    ]),
                )
                .set("NotificationsWithSubscribers", Json::Array(notifications)),
        );
        Budget
    }
}

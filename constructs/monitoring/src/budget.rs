//! A monthly cost budget for the stage.

use mlcdk_core::naming::{self, format_global_arn};
use mlcdk_core::refs::TopicRef;
use mlcdk_core::{CfnResource, Construct, Handle, Json, PhysicallyNamed, Scope};

use crate::numbers::{check_range, number};

/// The tag the budget filters on: `stage`, which mlcdk puts on every taggable
/// resource of a stage's stack (besides `app`), and which the training
/// pipeline passes as step tags to every job it starts, so that training,
/// tuning, processing and transform spend counts too.
///
/// AWS counts a tag in Budgets only once it is an **active cost allocation
/// tag**, which only the management (payer) account can make it
/// (<https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/cost-alloc-tags.html>):
/// in the Billing and Cost Management console, *Cost allocation tags*,
/// select the user-defined tag `stage` and choose *Activate* (or
/// `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status
/// TagKey=stage,Status=Active`, the `UpdateCostAllocationTagsStatus` API).
/// The key is listed there only once a resource carrying it has been billed,
/// up to 24 hours after; until it is active the budget reports $0 and sends
/// no alert.
/// Each [`Budget`] adds a note saying so, which the CLI's plan prints under
/// its stage, so that whoever deploys knows which tag to activate.
pub const COST_ALLOCATION_TAG: &str = "stage";

/// The budget's tag filter for stage `stage`: `user:stage$<stage>`. Budgets
/// names user-defined cost allocation tags with the `user:` prefix and
/// separates key and value with `$` (`TagKeyValue` of `CostFilters`,
/// <https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-create-filters.html>;
/// the prefix is required, see hashicorp/terraform-provider-aws#40987).
pub fn cost_filter_tag(stage: &str) -> String {
    format!("user:{COST_ALLOCATION_TAG}${stage}")
}

/// What a notification threshold may be, in percent of the budget: Budgets
/// takes 0 to 15,000,000,000,000 (`Threshold` of a `Notification`,
/// <https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/data-type-notification.html>);
/// mlcdk refuses 0, which would alert on the first cent, and more than ten
/// times the budget, which is a typo rather than a warning.
const PERCENT_RANGE: &str = "a finite number above 0 and at most 1000 (percent of the budget)";

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
    /// Threshold in percent of the budget: finite, above 0 and at most 1,000;
    /// others are refused at synth.
    pub percent: f64,
    /// Email subscribers, at most 10, each once; checked with the same rule as
    /// [`AlertsTopicProps::emails`](crate::AlertsTopicProps::emails).
    pub emails: Vec<String>,
    /// An SNS topic (the alerts topic converts into it).
    pub topic: Option<TopicRef>,
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
    pub fn monthly(monthly_usd: u32, topic: Option<TopicRef>) -> BudgetProps {
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

/// A monthly cost budget covering what the stage costs: it filters on the
/// stage's tag, `user:stage$<stage>` ([`COST_ALLOCATION_TAG`],
/// [`cost_filter_tag`]), which every resource of the stack and every job its
/// training pipeline starts carries.
///
/// **Activate the `stage` tag as a cost allocation tag** once, in the
/// management (payer) account's Billing console (*Cost allocation tags*,
/// user-defined tag `stage`, *Activate*): until then the budget sees no
/// spend and never alerts. (It used to filter on
/// `aws:cloudformation:stack-name`, which CloudFormation puts only on what it
/// creates itself, not on the jobs a pipeline starts at run time, so most
/// training spend fell outside the budget.) Stages of several apps in one
/// account share the tag value when their stage names are equal; give such
/// stages distinct names, or a budget of the account, to keep them apart.
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` `arn:…:budgets::<account>:budget/<name>` (Budgets is global),
/// `physical_name()` `<app>-<stage>-<path>`.
///
/// ```
/// use mlcdk_core::PhysicallyNamed;
/// use mlcdk_core::Stack;
/// use mlcdk_monitoring::{AlertsTopic, AlertsTopicProps, Budget, BudgetProps};
///
/// let mut stack = Stack::for_test();
/// let alerts = AlertsTopic::new(&mut stack, "Alerts", AlertsTopicProps::default());
/// let budget = Budget::new(&mut stack, "Budget", BudgetProps::monthly(500, Some((&alerts).into())));
/// assert_eq!(budget.physical_name(), "test-staging-Budget");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Budget {
    handle: Handle,
}

impl Budget {
    /// A budget, validated at synth: amount above 0, at most 5 notifications,
    /// each with 1–11 subscribers and a threshold in range.
    pub fn new(scope: &mut impl Scope, id: &str, props: BudgetProps) -> Budget {
        let mut node = scope.node(id);
        let path = node.path().clone();
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
            if let Some(e) = check_range(
                &format!("notification {}: threshold", i + 1),
                a.percent,
                0.0,
                true,
                1000.0,
                PERCENT_RANGE,
            ) {
                node.error(e);
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
                    ("Address", Json::from(t.arn())),
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
                            number(a.percent),
                        ),
                        ("ThresholdType", Json::from("PERCENTAGE")),
                    ]),
                ),
                ("Subscribers", Json::Array(subs)),
            ]));
        }
        let stage = node.stage().name.clone();
        let budget_name = node.physical_name_for(naming::BUDGET);
        // The template cannot activate the tag, and an inactive tag makes the
        // budget silently report $0: the plan says so for every stage.
        node.note(format!(
            "budget {budget_name} counts spend tagged {COST_ALLOCATION_TAG}={stage}; it reports $0 until the management (payer) account activates the user-defined cost allocation tag '{COST_ALLOCATION_TAG}' (Billing console, Cost allocation tags)"
        ));
        let resource = node.add_resource(
            "Resource",
            CfnResource::new("AWS::Budgets::Budget")
                .set(
                    "Budget",
                    Json::object([
                        ("BudgetName", Json::from(budget_name.as_str())),
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
                                Json::array([Json::from(cost_filter_tag(&stage))]),
                            )]),
                        ),
                    ]),
                )
                .set("NotificationsWithSubscribers", Json::Array(notifications)),
        );
        // Budgets is global: its ARNs name no region.
        let arn = format_global_arn("budgets", &format!("budget/{budget_name}"));
        Budget {
            handle: Handle::new(resource, path, arn).named(budget_name),
        }
    }
}

impl Construct for Budget {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for Budget {}

//! Cost rules: a budget per stage.

use mlcdk_core::Template;

use super::of;
use crate::{Hit, Options, Rule, Severity};
use Severity::Warning;

/// `COST-001`: the stage has a budget.
pub(super) const BUDGET: Rule = Rule {
    id: "COST-001",
    severity: Warning,
    error_in_production: true,
    title: "the stage has a budget",
    explanation: "Cost builds up across stages and services; an AWS Budgets budget with a notification \
        is the alarm that catches it before the invoice. The finding is on the stack \
        (`(stack)`), suppressed with Stack::suppress_stack. AWS: \
        https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html",
    check: cost_budget,
};

/// The check of [`BUDGET`].
fn cost_budget(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    if of(t, "AWS::Budgets::Budget").next().is_none() && !t.resources.is_empty() {
        out.push(Hit::new(
            Hit::STACK,
            "the stage has no AWS::Budgets::Budget; add a Budget with a monthly limit",
        ).fix("Budget::new(stack, \"Budget\", BudgetProps::monthly(..)), or stack.suppress_stack(\"COST-001\", reason)"));
    }
}

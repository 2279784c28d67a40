//! Typed references to resources that constructs take as dependencies: a
//! construct of the stack converts into one (`&topic` → [`TopicRef`]), and a
//! resource outside the stack is imported by its ARN or name. Props never take
//! an ARN as a bare [`Expr`].
//!
//! ```
//! use mlcdk_core::refs::TopicRef;
//! use mlcdk_core::Expr;
//!
//! let shared = TopicRef::from_arn(Expr::lit("arn:aws:sns:us-east-1:111111111111:ops-alerts"));
//! assert_eq!(shared.arn(), Expr::lit("arn:aws:sns:us-east-1:111111111111:ops-alerts"));
//! ```

use crate::expr::Expr;
use crate::iam::{Grant, Grantee, PolicyStatement};

/// An SNS topic: where alarms, budgets and async endpoints notify.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicRef {
    arn: Expr,
}

impl TopicRef {
    /// A topic by its ARN (`Ref` of an `AWS::SNS::Topic` in the stack, or a
    /// literal ARN of a topic elsewhere).
    pub fn from_arn(arn: impl Into<Expr>) -> TopicRef {
        TopicRef { arn: arn.into() }
    }

    /// The topic's ARN.
    pub fn arn(&self) -> Expr {
        self.arn.clone()
    }

    /// Let `grantee` publish to the topic (`sns:Publish`). An encrypted
    /// topic's key must also let the grantee use it (the key's grants).
    pub fn grant_publish(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["sns:Publish"])
                .resources([self.arn()])],
        )
    }
}

impl From<&TopicRef> for TopicRef {
    fn from(t: &TopicRef) -> TopicRef {
        t.clone()
    }
}

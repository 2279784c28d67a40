//! A rule pack over a CloudFormation [`Template`](crate::core::Template):
//! security, reliability and cost rules for ML platforms. It reads templates,
//! not constructs, so it works on any template, including ones written by
//! hand.
//!
//! ```
//! use mlcdk::checks::{check, Options};
//! use mlcdk::core::Template;
//!
//! let template = Template::from_json_str(r#"{"Resources": {
//!     "Topic": {"Type": "AWS::SNS::Topic"}
//! }}"#).unwrap();
//! let report = check(&template, &Options::default());
//! assert_eq!(report.findings[0].rule, "SNS-001");
//! assert!(report.has_errors());
//! ```
//!
//! A finding is suppressed by an entry in the resource's Metadata,
//! `"mlcdk:suppress": [{"rule": "SNS-001", "reason": "…"}]`, which
//! [`Stack::suppress`](crate::core::Stack::suppress) writes next to the
//! construct; [`Stack::suppress_subtree`](crate::core::Stack::suppress_subtree)
//! writes it on every resource below a construct path, and
//! [`Stack::suppress_stack`](crate::core::Stack::suppress_stack) in the
//! template's top-level Metadata, for a rule everywhere in the stack
//! (stack-level findings such as a missing budget included). A suppression
//! without a reason of at least 10 characters does not count.

#[doc(inline)]
pub use mlcdk_checks::*;

//! Amazon Bedrock: consume a foundation model as a serverless API billed per
//! token, instead of serving a model on instances billed per hour.
//!
//! | piece | what it makes | why |
//! |---|---|---|
//! | [`FoundationModel`] | nothing (a typed, validated model id) | `grant_invoke` on exactly the model's ARN; its CloudWatch metrics |
//! | [`InferenceProfile`] | `AWS::Bedrock::ApplicationInferenceProfile` and alarms | the stage's handle on the model: tagged with the stage's tags, so its spend is the stage's and inside its budget |
//! | [`Guardrail`] | `AWS::Bedrock::Guardrail` and a `GuardrailVersion` | content filters, denied topics, PII and pattern handling, validated at synth |
//!
//! A role that calls the model through the profile gets
//! `bedrock:InvokeModel` and `bedrock:InvokeModelWithResponseStream` on the
//! profile's ARN and the model's ARN, and nothing else; the cost estimate
//! prices the profile per token from the stage's assumptions
//! (`bedrock_requests_per_month`, `bedrock_input_tokens_per_request`,
//! `bedrock_output_tokens_per_request`) and the price table's `[bedrock]`
//! section.
//!
//! ```
//! use mlcdk::bedrock::*;
//! use mlcdk::core::Stack;
//! use mlcdk::iam::{Principal, Role, RoleProps};
//!
//! let mut stack = Stack::for_test();
//! let haiku = FoundationModel::new("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
//! let chat = InferenceProfile::new(&mut stack, "Chat", InferenceProfileProps {
//!     alarms: UsageAlarms { max_output_tokens_per_hour: Some(2_000_000), ..UsageAlarms::default() },
//!     ..InferenceProfileProps::new(&haiku)
//! });
//! let guard = Guardrail::new(&mut stack, "Guard", GuardrailProps {
//!     content_filters: vec![ContentFilter::prompt_attack(FilterStrength::High)],
//!     ..GuardrailProps::new("I cannot help with that.", "I cannot help with that.")
//! });
//! let app = Role::new(&mut stack, "App", RoleProps::assumed_by(Principal::service("lambda.amazonaws.com")));
//! chat.grant_invoke(&app);
//! guard.grant_apply(&app);
//! assert!(stack.synth().is_ok());
//! ```

#[doc(inline)]
pub use mlcdk_bedrock::*;

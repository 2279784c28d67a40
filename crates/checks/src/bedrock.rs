//! RT-014: a role that may invoke an application inference profile may also
//! invoke the model the profile routes to.

use std::collections::BTreeMap;

use mlcdk_core::Template;

use crate::policy::{Decision, Evaluator, Symbols};
use crate::{Hit, Options};

/// Where Bedrock says a call through an inference profile is authorized on
/// the profile and on the models it routes to.
pub const INFERENCE_PROFILE_DOC: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html";

/// The actions that invoke a model; each is checked on both ARNs.
const INVOKE: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// For each role of the template and each application inference profile of
/// the template that copies a foundation model: when the role may invoke
/// the profile but is definitely denied the model, every call through the
/// profile fails with AccessDenied although the template deploys. A role
/// allowed neither is not a caller and is not flagged; an undecidable answer
/// is left to RT-002's kind of review (it is not reported here).
pub(crate) fn rt_inference_profile_models(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    let symbols = Symbols::new(t);
    let profiles: Vec<(&String, String)> = t
        .resources_of_type("AWS::Bedrock::ApplicationInferenceProfile")
        .filter_map(|(id, r)| Some((id, symbols.resolve(r.prop(&["ModelSource", "CopyFrom"])?))))
        .filter(|(_, model)| model.contains(":foundation-model/"))
        .collect();
    if profiles.is_empty() {
        return;
    }
    let evaluator = Evaluator::from_template(t);
    let none = BTreeMap::new();
    for (role, _) in t.resources_of_type("AWS::IAM::Role") {
        for (profile, model) in &profiles {
            let profile_arn = symbols
                .resolve(&serde_json::json!({"Fn::GetAtt": [profile, "InferenceProfileArn"]}));
            for action in INVOKE {
                if !evaluator
                    .can(role, action, &profile_arn, &none)
                    .is_allowed()
                {
                    continue;
                }
                if let Decision::Denied(why) = evaluator.can(role, action, model, &none) {
                    out.push(Hit::new(
                        role,
                        format!(
                            "role {role} may {action} on inference profile {profile} but not on the model it routes to ({model}: {why}); Bedrock authorizes both, so every call through the profile is denied; grant both ARNs (InferenceProfile::grant_invoke) ({INFERENCE_PROFILE_DOC})"
                        ),
                    ));
                }
            }
        }
    }
}

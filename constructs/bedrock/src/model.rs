//! A Bedrock foundation model, by id: its ARN, the grant to invoke it and
//! its CloudWatch metrics.

use std::fmt;
use std::str::FromStr;

use mlcdk_core::Expr;
use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_sagemaker::{Dimension, Metric, Statistic};

/// The namespace of Bedrock's runtime metrics
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html>).
pub const BEDROCK_METRICS_NAMESPACE: &str = "AWS/Bedrock";

/// The actions that invoke a model: `InvokeModel` (which also authorizes
/// `Converse`) and `InvokeModelWithResponseStream` (also `ConverseStream`),
/// from the Service Authorization Reference
/// (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_bedrock.html>)
/// and the inference prerequisites
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/inference-prereq.html>).
/// Never `bedrock:*`.
pub(crate) const INVOKE_ACTIONS: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// A Bedrock foundation model, by its model id
/// (`anthropic.claude-3-haiku-20240307-v1:0`), validated when parsed, so a
/// stage file with a wrong id fails when it is loaded.
///
/// ```
/// use mlcdk_bedrock::FoundationModel;
///
/// let haiku: FoundationModel = "anthropic.claude-3-haiku-20240307-v1:0".parse().unwrap();
/// assert_eq!(
///     haiku.arn().to_json(),
///     serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"})
/// );
/// assert!("Claude 3 Haiku".parse::<FoundationModel>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FoundationModel(String);

impl FoundationModel {
    /// A model by id; `Err` says what a model id looks like.
    pub fn new(id: &str) -> Result<FoundationModel, String> {
        id.parse()
    }

    /// The model id, as `InvokeModel` and the `ModelId` metric dimension take
    /// it.
    pub fn id(&self) -> &str {
        &self.0
    }

    /// The model's ARN in the stack's region:
    /// `arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/<id>`
    /// (foundation models belong to no account, so the account field is
    /// empty; resource type `foundation-model` of the Service Authorization
    /// Reference, and the `ModelArn` pattern of
    /// `AWS::Bedrock::ApplicationInferenceProfile`).
    pub fn arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{}",
            self.0
        ))
    }

    /// Let `grantee` invoke the model directly (`bedrock:InvokeModel`,
    /// `bedrock:InvokeModelWithResponseStream`) on this model's ARN only. A
    /// caller that goes through an [`InferenceProfile`](crate::InferenceProfile)
    /// takes the profile's grant instead, which covers both ARNs.
    pub fn grant_invoke(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(INVOKE_ACTIONS)
                .resources([self.arn()])],
        )
    }

    /// The runtime metric `name` of this model as called directly, by its
    /// id (`AWS/Bedrock`, dimension `ModelId`), read as `statistic` per
    /// minute. Calls through an [`InferenceProfile`](crate::InferenceProfile)
    /// are counted under the profile (its `metric`).
    pub fn metric(&self, name: &str, statistic: Statistic) -> Metric {
        runtime_metric(Expr::lit(self.0.as_str()), name, statistic)
    }

    /// Successful requests (`Invocations`, sum per minute).
    pub fn metric_invocations(&self) -> Metric {
        self.metric("Invocations", Statistic::Sum)
    }

    /// Throttled requests (`InvocationThrottles`, sum per minute); they count
    /// neither as invocations nor as errors.
    pub fn metric_throttles(&self) -> Metric {
        self.metric("InvocationThrottles", Statistic::Sum)
    }

    /// Requests that failed on the caller's side (`InvocationClientErrors`,
    /// sum per minute).
    pub fn metric_client_errors(&self) -> Metric {
        self.metric("InvocationClientErrors", Statistic::Sum)
    }

    /// Requests that failed on AWS's side (`InvocationServerErrors`, sum per
    /// minute).
    pub fn metric_server_errors(&self) -> Metric {
        self.metric("InvocationServerErrors", Statistic::Sum)
    }

    /// Tokens sent (`InputTokenCount`, sum per minute), what input is billed
    /// on.
    pub fn metric_input_tokens(&self) -> Metric {
        self.metric("InputTokenCount", Statistic::Sum)
    }

    /// Tokens generated (`OutputTokenCount`, sum per minute), what output is
    /// billed on.
    pub fn metric_output_tokens(&self) -> Metric {
        self.metric("OutputTokenCount", Statistic::Sum)
    }

    /// Time to the last token (`InvocationLatency`, milliseconds, average per
    /// minute).
    pub fn metric_latency(&self) -> Metric {
        self.metric("InvocationLatency", Statistic::Average)
    }
}

/// The Bedrock runtime metric `name` of the `ModelId` `model_id`, read as
/// `statistic` per minute.
pub(crate) fn runtime_metric(model_id: Expr, name: &str, statistic: Statistic) -> Metric {
    Metric {
        namespace: BEDROCK_METRICS_NAMESPACE.into(),
        name: name.into(),
        dimensions: vec![Dimension {
            name: "ModelId".into(),
            value: model_id,
        }],
        statistic,
        period_seconds: 60,
    }
}

/// Whether `s` is 1 to 63 of `[a-z0-9-]`.
fn segment(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl FromStr for FoundationModel {
    type Err = String;

    /// The model-id part of the foundation model ARN pattern of the
    /// CloudFormation schema (`InferenceProfileModel.ModelArn`):
    /// `[a-z0-9-]{1,63}[.]([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}`,
    /// i.e. 2 to 4 dot-separated parts, then up to two `:`-separated
    /// suffixes (a version, a context window).
    fn from_str(text: &str) -> Result<FoundationModel, String> {
        let mut colon = text.split(':');
        let dotted = colon.next().unwrap_or_default();
        let suffixes: Vec<&str> = colon.collect();
        let parts: Vec<&str> = dotted.split('.').collect();
        let ok = (2..=4).contains(&parts.len())
            && parts.iter().all(|p| segment(p))
            && suffixes.len() <= 2
            && suffixes.iter().all(|s| segment(s));
        if ok {
            Ok(FoundationModel(text.to_string()))
        } else {
            Err(format!(
                "foundation model id '{text}' is invalid: Bedrock model ids are a provider and a model in lower case, letters, digits and '-', with up to two ':' suffixes, like 'anthropic.claude-3-haiku-20240307-v1:0' (`aws bedrock list-foundation-models` lists them)"
            ))
        }
    }
}

impl TryFrom<&str> for FoundationModel {
    type Error = String;
    fn try_from(text: &str) -> Result<FoundationModel, String> {
        text.parse()
    }
}

impl fmt::Display for FoundationModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for FoundationModel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for FoundationModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FoundationModel, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for FoundationModel {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FoundationModel".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A Bedrock foundation model id, e.g. anthropic.claude-3-haiku-20240307-v1:0",
            "pattern": "^[a-z0-9-]{1,63}[.]([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_arn_pattern_parse_and_others_do_not() {
        for good in [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "amazon.titan-text-express-v1",
            "meta.llama3-8b-instruct-v1:0",
            "anthropic.claude-3-sonnet-20240229-v1:0:200k",
        ] {
            assert_eq!(FoundationModel::new(good).unwrap().id(), good);
        }
        for bad in [
            "",
            "claude",
            "Anthropic.Claude",
            "anthropic..claude",
            "anthropic.claude:0:1:2",
            "a.b.c.d.e",
            "anthropic.claude v1",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2",
        ] {
            let e = FoundationModel::new(bad).unwrap_err();
            assert!(e.contains(&format!("'{bad}'")), "{e}");
            assert!(e.contains("anthropic.claude-3-haiku-20240307-v1:0"), "{e}");
        }
        let long = format!("a.{}", "b".repeat(64));
        assert!(FoundationModel::new(&long).is_err());
    }

    #[test]
    fn metrics_are_per_model_id() {
        let m = FoundationModel::new("amazon.titan-text-express-v1").unwrap();
        let t = m.metric_throttles();
        assert_eq!(t.namespace, "AWS/Bedrock");
        assert_eq!(t.name, "InvocationThrottles");
        assert_eq!(t.dimensions[0].name, "ModelId");
        assert_eq!(
            t.dimensions[0].value,
            Expr::lit("amazon.titan-text-express-v1")
        );
    }
}

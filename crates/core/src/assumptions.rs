//! Usage assumptions: what a template cannot tell about a stage's traffic and
//! data, stated once per stage (the `[assumptions]` table of a stage file, or
//! [`Stage::with_assumptions`](crate::Stage::with_assumptions)) and used by
//! the cost estimate. What is not stated takes the estimate's default, and
//! every estimate line says which it used.
//!
//! ```toml
//! # stages/production.toml
//! [assumptions]
//! requests_per_month = 5_000_000
//! stored_gb_per_bucket = 500
//! ```

use serde::{Deserialize, Serialize};

/// The `[assumptions]` table of a stage file. Every field is optional; the
/// schema refuses unknown names, and numbers that are not finite or are below
/// 0 (or above the stated maximum).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageAssumptions {
    /// Requests per month to each endpoint (real-time, async and serverless).
    /// Default 1,000,000.
    #[schemars(range(min = 0, max = 1e15))]
    pub requests_per_month: Option<f64>,
    /// Average request payload, in KB. Default 10.
    #[schemars(range(min = 0, max = 6e6))]
    pub request_kb: Option<f64>,
    /// Average response payload, in KB. Default 10.
    #[schemars(range(min = 0, max = 6e6))]
    pub response_kb: Option<f64>,
    /// Billed duration of one serverless request, in seconds. Default 0.2.
    #[schemars(range(min = 0, max = 3600))]
    pub serverless_seconds_per_request: Option<f64>,
    /// Data captured by an endpoint's data capture, in GB per month; default:
    /// requests × sampling percentage × (request + response payload).
    #[schemars(range(min = 0, max = 1e12))]
    pub captured_gb_per_month: Option<f64>,
    /// Data stored in each S3 bucket, in GB. Default 100.
    #[schemars(range(min = 0, max = 1e12))]
    pub stored_gb_per_bucket: Option<f64>,
    /// Data scanned by Athena queries of each workgroup, in GB per month.
    /// Default 100.
    #[schemars(range(min = 0, max = 1e12))]
    pub athena_gb_scanned_per_month: Option<f64>,
    /// Runs per month of a pipeline or Glue job that no schedule starts, and
    /// runs started by each event rule. Default 4.
    #[schemars(range(min = 0, max = 1e9))]
    pub event_runs_per_month: Option<f64>,
    /// Hours one batch transform job runs (it has no maximum runtime).
    /// Default 1.
    #[schemars(range(min = 0, max = 744))]
    pub transform_hours_per_run: Option<f64>,
    /// DPU-hours one Glue crawler run uses (it depends on the data
    /// crawled). Default 0.25.
    #[schemars(range(min = 0, max = 1e6))]
    pub crawler_dpu_hours_per_run: Option<f64>,
    /// Requests per month to each Bedrock inference profile. Default: the
    /// stage's `requests_per_month`, so that every model strategy is priced
    /// for the same traffic.
    #[schemars(range(min = 0, max = 1e15))]
    pub bedrock_requests_per_month: Option<f64>,
    /// Input tokens of one Bedrock request (prompt, context, history).
    /// Default 500.
    #[schemars(range(min = 0, max = 1e8))]
    pub bedrock_input_tokens_per_request: Option<f64>,
    /// Output tokens of one Bedrock request. Default 200.
    #[schemars(range(min = 0, max = 1e8))]
    pub bedrock_output_tokens_per_request: Option<f64>,
}

impl StageAssumptions {
    /// Each stated value with its name, in field order.
    pub fn stated(&self) -> Vec<(&'static str, f64)> {
        [
            ("requests_per_month", self.requests_per_month),
            ("request_kb", self.request_kb),
            ("response_kb", self.response_kb),
            (
                "serverless_seconds_per_request",
                self.serverless_seconds_per_request,
            ),
            ("captured_gb_per_month", self.captured_gb_per_month),
            ("stored_gb_per_bucket", self.stored_gb_per_bucket),
            (
                "athena_gb_scanned_per_month",
                self.athena_gb_scanned_per_month,
            ),
            ("event_runs_per_month", self.event_runs_per_month),
            ("transform_hours_per_run", self.transform_hours_per_run),
            ("crawler_dpu_hours_per_run", self.crawler_dpu_hours_per_run),
            (
                "bedrock_requests_per_month",
                self.bedrock_requests_per_month,
            ),
            (
                "bedrock_input_tokens_per_request",
                self.bedrock_input_tokens_per_request,
            ),
            (
                "bedrock_output_tokens_per_request",
                self.bedrock_output_tokens_per_request,
            ),
        ]
        .into_iter()
        .filter_map(|(name, v)| Some((name, v?)))
        .collect()
    }
}

/// The key of the assumptions table in stage files.
pub const KEY: &str = "assumptions";

/// `schema` (the knobs' JSON Schema, as schemars writes it) with an optional
/// `assumptions` property holding [`StageAssumptions`], so stage files and
/// editors check both. A schema that is not an object's, or whose knobs
/// already have a field named `assumptions`, is returned as it is.
pub(crate) fn with_assumptions(mut schema: serde_json::Value) -> serde_json::Value {
    let is_object = schema.get("type").and_then(|t| t.as_str()) == Some("object");
    let Some(props) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return schema;
    };
    if !is_object || props.contains_key(KEY) {
        return schema;
    }
    props.insert(
        KEY.to_string(),
        serde_json::json!({ "$ref": "#/$defs/StageAssumptions" }),
    );
    let mut own =
        serde_json::to_value(schemars::schema_for!(StageAssumptions)).expect("a schema serializes");
    if let Some(own) = own.as_object_mut() {
        own.remove("$schema");
        own.remove("$defs");
    }
    if let Some(root) = schema.as_object_mut() {
        let defs = root.entry("$defs").or_insert_with(|| serde_json::json!({}));
        if let Some(defs) = defs.as_object_mut() {
            defs.insert("StageAssumptions".to_string(), own);
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Knobs {
        workers: u32,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Own {
        assumptions: String,
    }

    fn schema<T: schemars::JsonSchema>() -> serde_json::Value {
        with_assumptions(serde_json::to_value(schemars::schema_for!(T)).unwrap())
    }

    #[test]
    fn the_table_is_checked_with_the_knobs() {
        let s = schema::<Knobs>();
        let check = |v: serde_json::Value| crate::stage_file::check(&s, &v);
        assert!(check(serde_json::json!({"workers": 2})).is_empty());
        assert!(
            check(serde_json::json!({"workers": 2, "assumptions": {"requests_per_month": 1e6}}))
                .is_empty()
        );
        assert_eq!(
            check(serde_json::json!({"workers": 2, "assumptions": {
                "requests_per_month": -1, "transform_hours_per_run": 1000, "x": 1}})),
            [
                "assumptions.requests_per_month: -1 is below the minimum 0",
                "assumptions.transform_hours_per_run: 1000 is above the maximum 744",
                "assumptions.x: unknown field (known: athena_gb_scanned_per_month, bedrock_input_tokens_per_request, bedrock_output_tokens_per_request, bedrock_requests_per_month, captured_gb_per_month, crawler_dpu_hours_per_run, event_runs_per_month, request_kb, requests_per_month, response_kb, serverless_seconds_per_request, stored_gb_per_bucket, transform_hours_per_run)",
            ]
        );
    }

    #[test]
    fn knobs_with_their_own_assumptions_field_keep_it() {
        let s = schema::<Own>();
        assert_eq!(s["properties"]["assumptions"]["type"], "string");
        assert!(s.pointer("/$defs/StageAssumptions").is_none());
    }

    #[test]
    fn stated_lists_what_is_set() {
        let a = StageAssumptions {
            request_kb: Some(3.0),
            ..Default::default()
        };
        assert_eq!(a.stated(), [("request_kb", 3.0)]);
    }
}

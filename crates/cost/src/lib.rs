//! Monthly cost estimate of a CloudFormation [`Template`] from a dated price
//! table, and the budget guard.
//!
//! Part of mlcdk: use it as `mlcdk::cost`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod compare;
pub mod refresh;
mod schedule;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use mlcdk_core::Template;
use mlcdk_core::template::{Resource, pipeline_steps, reference_target as target, references};
use serde::Deserialize;
use serde_json::Value;

pub use compare::{Change, Comparison, compare, render_comparison, signed};
pub use schedule::{HOURS_PER_MONTH, runs_per_month};

/// The table shipped with mlcdk: us-east-1 on-demand prices, with their
/// source and date inside (each price's source in `prices/SOURCES.md`).
pub const DEFAULT_PRICES: &str = include_str!("../prices/us-east-1.toml");

/// The shipped tables, by region. A region not listed has no prices: its
/// estimate is unknown until a table is made with `prices refresh`.
pub const BUILTIN_TABLES: &[(&str, &str)] = &[("us-east-1", DEFAULT_PRICES)];

/// What a stage in `region` needs when no table is shipped or given for it:
/// the commands that make one and use it.
pub fn missing_table_hint(region: &str) -> String {
    format!(
        "no price table for {region}: every price is unknown; make one with `prices refresh --region {region} --offer FILE --out prices-{region}.toml` and pass it with `cost --prices prices-{region}.toml`"
    )
}

/// Prices in USD. Every field is optional: what is missing is unknown.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The region the prices are for; other regions' prices differ.
    pub region: String,
    /// When the prices were read from their source.
    pub date: String,
    /// Where the prices were read (pages or API), shown with every estimate.
    pub source: String,
    /// SageMaker instance-hour prices.
    #[serde(default)]
    pub sagemaker: SageMakerPrices,
    /// Serverless inference prices.
    #[serde(default)]
    pub serverless: ServerlessPrices,
    /// Glue DPU-hour prices.
    #[serde(default)]
    pub glue: GluePrices,
    /// Monthly prices of fixed items.
    #[serde(default)]
    pub fixed: FixedPrices,
    /// S3 storage prices.
    #[serde(default)]
    pub s3: S3Prices,
    /// Athena query prices.
    #[serde(default)]
    pub athena: AthenaPrices,
    /// Bedrock on-demand token prices, by foundation model id
    /// (`[bedrock."anthropic.claude-3-haiku-20240307-v1:0"]`). Each carries
    /// its own source and date: model prices change per model, not with the
    /// table.
    #[serde(default)]
    pub bedrock: BTreeMap<String, BedrockPrice>,
}

/// The on-demand price of one Bedrock foundation model, per 1,000 tokens
/// (the unit of the Bedrock pricing page), with where and when it was read.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BedrockPrice {
    /// Per 1,000 input tokens.
    pub input_per_1k_tokens: f64,
    /// Per 1,000 output tokens.
    pub output_per_1k_tokens: f64,
    /// Where the prices were read (a page, an offer file).
    pub source: String,
    /// When.
    pub date: String,
}

/// Per instance-hour, by instance type.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SageMakerPrices {
    /// Real-time and async endpoint instances.
    #[serde(default)]
    pub hosting: BTreeMap<String, f64>,
    /// Training and tuning jobs.
    #[serde(default)]
    pub training: BTreeMap<String, f64>,
    /// Processing jobs (preprocessing, evaluation, Model Monitor).
    #[serde(default)]
    pub processing: BTreeMap<String, f64>,
    /// Batch transform jobs.
    #[serde(default)]
    pub transform: BTreeMap<String, f64>,
}

/// Serverless inference, per GB-second.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerlessPrices {
    /// On-demand inference duration, per GB-second of configured memory.
    pub per_gb_second: Option<f64>,
    /// Provisioned concurrency, per GB-second provisioned.
    pub provisioned_per_gb_second: Option<f64>,
    /// Data processed in and out, per GB.
    pub per_gb_processed: Option<f64>,
}

/// Glue, per DPU-hour.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GluePrices {
    /// ETL jobs, per DPU-hour.
    pub job_dpu_hour: Option<f64>,
    /// Crawlers, per DPU-hour.
    pub crawler_dpu_hour: Option<f64>,
}

/// Items billed per month whatever the usage.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedPrices {
    /// A customer managed KMS key, per month.
    pub kms_key_month: Option<f64>,
    /// A standard-resolution CloudWatch alarm metric, per month.
    pub alarm_month: Option<f64>,
    /// A high-resolution CloudWatch alarm metric (period under 60 s), per
    /// month.
    pub alarm_high_resolution_month: Option<f64>,
    /// A budget with notifications only, per month.
    pub budget_notifications_month: Option<f64>,
    /// A budget with actions, per day.
    pub budget_action_day: Option<f64>,
}

/// S3, per GB-month.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Prices {
    /// S3 Standard storage (first 50 TB), per GB-month.
    pub standard_gb_month: Option<f64>,
}

/// Athena SQL queries.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AthenaPrices {
    /// Per TB scanned.
    pub tb_scanned: Option<f64>,
}

/// A price table that does not parse, has fields the format does not know, or
/// has prices that are not finite amounts of at least 0: every problem, each
/// with its key path and value.
#[derive(Debug, thiserror::Error)]
pub struct PriceTableError {
    problems: Vec<String>,
}

impl std::fmt::Display for PriceTableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "price table: {one}"),
            many => {
                write!(f, "price table: {} problems:", many.len())?;
                for p in many {
                    write!(f, "\n    {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl PriceTableError {
    /// Each problem on its own, e.g.
    /// `sagemaker.hosting."ml.m5.large" = -0.1: prices are finite amounts of at least 0 USD`,
    /// to report them one by one.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// How a price must look: a NaN would print as `$0.00` and compare as
/// within any budget, an infinity or a negative price would make the floor
/// and the guard meaningless.
fn valid_price(p: f64) -> bool {
    p.is_finite() && p >= 0.0
}

impl PriceTable {
    /// The shipped us-east-1 table.
    pub fn builtin() -> PriceTable {
        PriceTable::from_toml_str(DEFAULT_PRICES).expect("the shipped price table parses")
    }

    /// The shipped table of `region`, if there is one ([`BUILTIN_TABLES`]).
    pub fn builtin_for(region: &str) -> Option<PriceTable> {
        BUILTIN_TABLES
            .iter()
            .find(|(r, _)| *r == region)
            .map(|(_, text)| PriceTable::from_toml_str(text).expect("a shipped table parses"))
    }

    /// A table for `region` with no prices: every line is unknown.
    pub fn empty(region: &str) -> PriceTable {
        PriceTable {
            region: region.to_string(),
            date: "none".to_string(),
            source: format!("no price table for {region}"),
            ..PriceTable::default()
        }
    }

    /// Whether the table holds no price at all.
    pub fn is_empty(&self) -> bool {
        let s = &self.sagemaker;
        let f = &self.fixed;
        s.hosting.is_empty()
            && s.training.is_empty()
            && s.processing.is_empty()
            && s.transform.is_empty()
            && self.bedrock.is_empty()
            && [
                self.serverless.per_gb_second,
                self.serverless.provisioned_per_gb_second,
                self.serverless.per_gb_processed,
                self.glue.job_dpu_hour,
                self.glue.crawler_dpu_hour,
                f.kms_key_month,
                f.alarm_month,
                f.alarm_high_resolution_month,
                f.budget_notifications_month,
                f.budget_action_day,
                self.s3.standard_gb_month,
                self.athena.tb_scanned,
            ]
            .iter()
            .all(Option::is_none)
    }

    /// A table in the shipped table's TOML format (see `prices/us-east-1.toml`),
    /// checked with [`PriceTable::validate`].
    pub fn from_toml_str(text: &str) -> Result<PriceTable, PriceTableError> {
        let table: PriceTable = toml::from_str(text).map_err(|e| PriceTableError {
            problems: vec![mlcdk_core::stage_file::toml_error(text, &e)],
        })?;
        table.validate()?;
        Ok(table)
    }

    /// Every price that is NaN, infinite or negative, with its key path and
    /// value (a table built in code skips [`PriceTable::from_toml_str`]'s check;
    /// [`estimate`] treats such a price as unknown either way).
    pub fn validate(&self) -> Result<(), PriceTableError> {
        let mut problems = Vec::new();
        let mut check = |path: String, p: f64| {
            if !valid_price(p) {
                let shown = if p.is_nan() {
                    "nan".to_string()
                } else if p.is_infinite() {
                    if p > 0.0 { "inf" } else { "-inf" }.to_string()
                } else {
                    format!("{p:?}")
                };
                problems.push(format!(
                    "{path} = {shown}: prices are finite amounts of at least 0 USD"
                ));
            }
        };
        let key = mlcdk_core::stage_file::path_key;
        for (name, table) in [
            ("hosting", &self.sagemaker.hosting),
            ("training", &self.sagemaker.training),
            ("processing", &self.sagemaker.processing),
            ("transform", &self.sagemaker.transform),
        ] {
            for (instance, p) in table {
                check(format!("sagemaker.{name}.{}", key(instance)), *p);
            }
        }
        for (model, p) in &self.bedrock {
            check(
                format!("bedrock.{}.input_per_1k_tokens", key(model)),
                p.input_per_1k_tokens,
            );
            check(
                format!("bedrock.{}.output_per_1k_tokens", key(model)),
                p.output_per_1k_tokens,
            );
        }
        for (path, p) in [
            ("serverless.per_gb_second", self.serverless.per_gb_second),
            (
                "serverless.provisioned_per_gb_second",
                self.serverless.provisioned_per_gb_second,
            ),
            ("glue.job_dpu_hour", self.glue.job_dpu_hour),
            ("glue.crawler_dpu_hour", self.glue.crawler_dpu_hour),
            ("fixed.kms_key_month", self.fixed.kms_key_month),
            ("fixed.alarm_month", self.fixed.alarm_month),
            (
                "fixed.alarm_high_resolution_month",
                self.fixed.alarm_high_resolution_month,
            ),
            (
                "fixed.budget_notifications_month",
                self.fixed.budget_notifications_month,
            ),
            ("fixed.budget_action_day", self.fixed.budget_action_day),
            (
                "serverless.per_gb_processed",
                self.serverless.per_gb_processed,
            ),
            ("s3.standard_gb_month", self.s3.standard_gb_month),
            ("athena.tb_scanned", self.athena.tb_scanned),
        ] {
            if let Some(p) = p {
                check(path.to_string(), p);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PriceTableError { problems })
        }
    }

    /// Whether the table's prices are for `region`, the region a stage
    /// deploys to: prices differ between regions, so an estimate with another
    /// region's table is off by an unknown amount. `Err` says which regions
    /// and what to do.
    pub fn check_region(&self, region: &str) -> Result<(), String> {
        if self.region == region {
            Ok(())
        } else {
            Err(format!(
                "the price table is for {}, but the stage deploys to {}: prices differ between regions, so the estimate may be off; use a table for {} (cost --prices FILE)",
                mlcdk_core::stage_file::quote(&self.region),
                mlcdk_core::stage_file::quote(region),
                mlcdk_core::stage_file::quote(region)
            ))
        }
    }
}

/// Usage the template cannot tell; each is written into the assumption of
/// the lines it affects, marked `(default)` unless the stage stated it
/// ([`Assumptions::from_stage`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Assumptions {
    /// Requests per month to each endpoint.
    pub requests_per_month: f64,
    /// Average request payload, in KB.
    pub request_kb: f64,
    /// Average response payload, in KB.
    pub response_kb: f64,
    /// Billed duration of one serverless request, in seconds.
    pub serverless_seconds_per_request: f64,
    /// Data captured per endpoint and month, in GB; `None`: from the
    /// requests, payloads and the sampling percentage.
    pub captured_gb_per_month: Option<f64>,
    /// Data stored in each S3 bucket, in GB.
    pub stored_gb_per_bucket: f64,
    /// Data scanned by each Athena workgroup's queries, in GB per month.
    pub athena_gb_scanned_per_month: f64,
    /// Runs per month of a pipeline or Glue job that no schedule starts (and
    /// runs started by events, per event rule).
    pub event_runs_per_month: f64,
    /// Hours one batch transform job runs.
    pub transform_hours_per_run: f64,
    /// DPU-hours of one Glue crawler run.
    pub crawler_dpu_hours_per_run: f64,
    /// Requests per month to each Bedrock inference profile; `None`:
    /// `requests_per_month`, the same traffic as the endpoints.
    pub bedrock_requests_per_month: Option<f64>,
    /// Input tokens of one Bedrock request.
    pub bedrock_input_tokens_per_request: f64,
    /// Output tokens of one Bedrock request.
    pub bedrock_output_tokens_per_request: f64,
    /// The names of the assumptions the stage stated (the others are
    /// defaults), e.g. `requests_per_month`.
    pub stated: BTreeSet<String>,
}

impl Default for Assumptions {
    fn default() -> Assumptions {
        Assumptions {
            requests_per_month: 1_000_000.0,
            request_kb: 10.0,
            response_kb: 10.0,
            serverless_seconds_per_request: 0.2,
            captured_gb_per_month: None,
            stored_gb_per_bucket: 100.0,
            athena_gb_scanned_per_month: 100.0,
            event_runs_per_month: 4.0,
            transform_hours_per_run: 1.0,
            crawler_dpu_hours_per_run: 0.25,
            bedrock_requests_per_month: None,
            bedrock_input_tokens_per_request: 500.0,
            bedrock_output_tokens_per_request: 200.0,
            stated: BTreeSet::new(),
        }
    }
}

impl Assumptions {
    /// The defaults, overridden by what the stage states (its stage file's
    /// `[assumptions]` table).
    pub fn from_stage(stage: &mlcdk_core::StageAssumptions) -> Assumptions {
        let mut a = Assumptions::default();
        for (name, v) in stage.stated() {
            match name {
                "requests_per_month" => a.requests_per_month = v,
                "request_kb" => a.request_kb = v,
                "response_kb" => a.response_kb = v,
                "serverless_seconds_per_request" => a.serverless_seconds_per_request = v,
                "captured_gb_per_month" => a.captured_gb_per_month = Some(v),
                "stored_gb_per_bucket" => a.stored_gb_per_bucket = v,
                "athena_gb_scanned_per_month" => a.athena_gb_scanned_per_month = v,
                "event_runs_per_month" => a.event_runs_per_month = v,
                "transform_hours_per_run" => a.transform_hours_per_run = v,
                "crawler_dpu_hours_per_run" => a.crawler_dpu_hours_per_run = v,
                "bedrock_requests_per_month" => a.bedrock_requests_per_month = Some(v),
                "bedrock_input_tokens_per_request" => a.bedrock_input_tokens_per_request = v,
                "bedrock_output_tokens_per_request" => a.bedrock_output_tokens_per_request = v,
                _ => continue,
            }
            a.stated.insert(name.to_string());
        }
        a
    }

    /// `value` followed by `(default)` unless the stage stated `name`.
    /// (`name` may join several with ` + `: stated when any is.)
    fn show(&self, name: &str, value: impl std::fmt::Display) -> String {
        if name.split(" + ").any(|n| self.stated.contains(n)) {
            format!("{value}")
        } else {
            format!("{value} (default)")
        }
    }
}

/// One priced item, per month, in USD.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The priced resource's logical ID.
    pub logical_id: String,
    /// The construct path (`mlcdk:path`) or the logical ID.
    pub path: String,
    /// What is priced, e.g. `variant Primary: ml.m5.xlarge`.
    pub item: String,
    /// `None`: unknown (a price or a bound is missing).
    pub floor: Option<f64>,
    /// The most it can cost with the template's bounds; `None`: unknown (a
    /// price or a bound is missing).
    pub ceiling: Option<f64>,
    /// How the numbers were made, e.g. `2..6 instances × 730 h × $0.23/h`.
    pub assumption: String,
}

/// The estimate of one template.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// One line per priced item, by logical ID.
    pub lines: Vec<Line>,
    /// The stack's budget limit (`AWS::Budgets::Budget`), if any.
    pub budget: Option<f64>,
    /// The price table's date.
    pub prices_date: String,
    /// The price table's source.
    pub prices_source: String,
}

/// What the budget guard says.
#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    /// No budget in the template.
    NoBudget,
    /// Floor and ceiling are within the budget, and no line is unknown.
    Within,
    /// The ceiling (or an unknown) could exceed the budget.
    Warn(String),
    /// The floor alone exceeds the budget.
    Fail(String),
}

impl Estimate {
    /// Sum of the known floors (at most `f64::MAX`).
    pub fn floor(&self) -> f64 {
        total(self.lines.iter().filter_map(|l| l.floor))
    }

    /// Sum of the known ceilings (at most `f64::MAX`).
    pub fn ceiling(&self) -> f64 {
        total(self.lines.iter().filter_map(|l| l.ceiling))
    }

    /// Lines whose ceiling is unknown.
    pub fn unknown(&self) -> usize {
        self.lines.iter().filter(|l| l.ceiling.is_none()).count()
    }

    /// `$1,234.56 .. $2,345.67 per month (+ 1 unknown)`.
    pub fn total(&self) -> String {
        let mut s = format!("{} .. {} per month", usd(self.floor()), usd(self.ceiling()));
        if self.unknown() > 0 {
            let _ = write!(s, " (+ {} unknown)", self.unknown());
        }
        s
    }

    /// The floor against the budget fails; the ceiling warns.
    pub fn guard(&self) -> Guard {
        let Some(budget) = self.budget else {
            return Guard::NoBudget;
        };
        // `estimate` never makes a NaN, but the fields are public: a NaN
        // compares as within any budget, so it fails instead.
        if budget.is_nan() || self.floor().is_nan() || self.ceiling().is_nan() {
            return Guard::Fail(
                "the estimate or the budget is not a number (NaN); the budget cannot be checked"
                    .into(),
            );
        }
        if self.floor() > budget {
            return Guard::Fail(format!(
                "the floor of {} exceeds the budget of {}: lower capacity or raise the budget",
                usd(self.floor()),
                usd(budget)
            ));
        }
        if self.ceiling() > budget {
            return Guard::Warn(format!(
                "the ceiling of {} exceeds the budget of {}",
                usd(self.ceiling()),
                usd(budget)
            ));
        }
        if self.unknown() > 0 {
            return Guard::Warn(format!(
                "{} item(s) have no known ceiling; the budget of {} may not hold",
                self.unknown(),
                usd(budget)
            ));
        }
        Guard::Within
    }
}

/// `$1,234.56`, `-$1,234.56`. From ten trillion dollars on, `$7.300e302`:
/// beyond that an `f64` no longer holds the cents exactly (and an `i64` of
/// cents saturates further up). `$inf` and `$NaN` are shown as such rather
/// than as a saturated or zero amount.
pub fn usd(amount: f64) -> String {
    if amount.is_nan() {
        return "$NaN".to_string();
    }
    let minus = if amount < 0.0 { "-" } else { "" };
    let abs = amount.abs();
    if abs.is_infinite() {
        return format!("{minus}$inf");
    }
    if abs >= 1e13 {
        return format!("{minus}${abs:.3e}");
    }
    // Below 1e13 dollars, cents are below 2^53: exact, and within i64.
    let cents = (abs * 100.0).round() as i64;
    let (whole, frac) = (cents / 100, cents % 100);
    let minus = if cents == 0 { "" } else { minus };
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{minus}${grouped}.{frac:02}")
}

/// A sum of amounts that saturates at `±f64::MAX` instead of reaching an
/// infinity (two infinities of opposite signs would make a NaN).
fn total(amounts: impl Iterator<Item = f64>) -> f64 {
    amounts.fold(0.0, |sum, a| (sum + a).clamp(-f64::MAX, f64::MAX))
}

/// The cost of quantities times a price, or `None` (unknown) when a factor is
/// NaN or negative. Zero times anything is zero, and an overflow saturates at
/// `f64::MAX`, so `0 × inf` cannot make a NaN and a huge product still fails
/// the budget guard.
fn product(factors: &[f64]) -> Option<f64> {
    if factors.iter().any(|f| f.is_nan() || *f < 0.0) {
        return None;
    }
    if factors.contains(&0.0) {
        return Some(0.0);
    }
    Some(factors.iter().product::<f64>().min(f64::MAX))
}

/// A price from the table, or `None` (unknown) when it is not a valid price
/// (possible only in a table built in code, see [`PriceTable::validate`]).
fn price(p: Option<f64>) -> Option<f64> {
    p.filter(|p| valid_price(*p))
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_string(), usd)
}

/// A unit price with the precision it has: `$0.115`, `$0.00002`, `$0.7364`;
/// `$1.00` when it has at most cents. Amounts [`usd`] does not print with
/// cents (non-finite, from ten trillion on) are printed as it does.
pub fn rate(price: f64) -> String {
    if !price.is_finite() || price.abs() >= 1e13 {
        return usd(price);
    }
    let shown = format!("{}", price.abs());
    match shown.split_once('.') {
        Some((_, decimals)) if decimals.len() > 2 && !shown.contains('e') => {
            let minus = if price < 0.0 { "-" } else { "" };
            format!("{minus}${shown}")
        }
        _ => usd(price),
    }
}

/// [`rate`], or `unknown`.
fn per(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_string(), rate)
}

/// A quantity as lines show it: `1,000,000`, `0.25`, `4.3`.
fn qty(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        let digits = format!("{}", n.abs() as u64);
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{}{grouped}", if n < 0.0 { "-" } else { "" })
    } else {
        format!("{n}")
    }
}

/// The estimate as a table.
pub fn render(e: &Estimate) -> String {
    let mut out = String::new();
    for l in &e.lines {
        let _ = writeln!(
            out,
            "  {:<30} {:<38} {:>12} {:>12}  {}",
            l.path,
            l.item,
            money(l.floor),
            money(l.ceiling),
            l.assumption
        );
    }
    let _ = writeln!(out, "  total: {}", e.total());
    if let Some(b) = e.budget {
        let _ = writeln!(out, "  budget: {} per month", usd(b));
    }
    let _ = writeln!(out, "  prices: {} ({})", e.prices_source, e.prices_date);
    out
}

/// Whether `value` refers to the logical ID `id` anywhere inside it (`Ref`,
/// `Fn::GetAtt`, an `Fn::Sub` variable).
fn refers_to(value: &Value, id: &str) -> bool {
    references(value).any(|r| r.target() == id)
}

/// The literal strings of `value`, at any depth (an ARN's text, an `Fn::Sub`
/// pattern, the parts of an `Fn::Join`); object keys are not included.
fn texts(value: &Value) -> Vec<&str> {
    fn walk<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut out);
    out
}

/// A quantity from the template: a number, or a string holding one. Only
/// finite amounts of at least 0 count; anything else (`"NaN"`, `"inf"`, `-2`,
/// `1e400` as text) is treated as absent, never priced.
fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(|v| v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()))
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
}

struct Ctx<'a> {
    t: &'a Template,
    p: &'a PriceTable,
    a: &'a Assumptions,
    lines: Vec<Line>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        id: &str,
        item: String,
        floor: Option<f64>,
        ceiling: Option<f64>,
        assumption: String,
    ) {
        self.lines.push(Line {
            logical_id: id.to_string(),
            path: self.t.display_path(id).to_string(),
            item,
            floor,
            ceiling,
            assumption,
        });
    }
}

/// Estimate `template`'s monthly cost.
pub fn estimate(template: &Template, prices: &PriceTable, assumptions: &Assumptions) -> Estimate {
    let mut cx = Ctx {
        t: template,
        p: prices,
        a: assumptions,
        lines: Vec::new(),
    };
    for (id, r) in &template.resources {
        match r.resource_type.as_str() {
            "AWS::SageMaker::Endpoint" => endpoint(&mut cx, id, r),
            "AWS::SageMaker::Pipeline" => pipeline(&mut cx, id, r),
            "AWS::SageMaker::MonitoringSchedule" => monitoring(&mut cx, id, r),
            "AWS::SageMaker::FeatureGroup" => cx.push(
                id,
                "feature group".into(),
                Some(0.0),
                None,
                "Feature Store requests and storage: no price with a source yet".into(),
            ),
            "AWS::Glue::Job" => glue_job(&mut cx, id, r),
            "AWS::Bedrock::ApplicationInferenceProfile" => bedrock_profile(&mut cx, id, r),
            "AWS::Glue::Crawler" => crawler(&mut cx, id, r),
            "AWS::S3::Bucket" => bucket(&mut cx, id),
            "AWS::Athena::WorkGroup" => workgroup(&mut cx, id, r),
            "AWS::KMS::Key" => {
                let p = price(prices.fixed.kms_key_month);
                cx.push(
                    id,
                    "KMS key".into(),
                    p,
                    p,
                    format!("{}/month; requests not included", per(p)),
                );
            }
            "AWS::CloudWatch::Alarm" => {
                // A period under a minute is a high-resolution alarm.
                let high = num(r.prop(&["Period"])).is_some_and(|p| p < 60.0);
                let (p, what) = if high {
                    (prices.fixed.alarm_high_resolution_month, "high resolution")
                } else {
                    (prices.fixed.alarm_month, "standard resolution")
                };
                let p = price(p);
                cx.push(
                    id,
                    "CloudWatch alarm".into(),
                    p,
                    p,
                    format!("{}/month, {what}", per(p)),
                );
            }
            "AWS::Budgets::Budget" => {
                let p = price(prices.fixed.budget_notifications_month);
                cx.push(
                    id,
                    "budget".into(),
                    p,
                    p,
                    format!("notifications only: {}/month", per(p)),
                );
            }
            "AWS::Budgets::BudgetsAction" => {
                let p = price(prices.fixed.budget_action_day);
                let month = p.and_then(|p| product(&[DAYS_PER_MONTH, p]));
                cx.push(
                    id,
                    "budget action".into(),
                    Some(0.0),
                    month,
                    format!(
                        "{DAYS_PER_MONTH:.2} days × {}/day per action-enabled budget; the first two of an account are free",
                        per(p)
                    ),
                );
            }
            _ => {}
        }
    }
    let budget = template
        .resources_of_type("AWS::Budgets::Budget")
        .filter_map(|(_, r)| num(r.prop(&["Budget", "BudgetLimit", "Amount"])))
        .reduce(f64::min);
    Estimate {
        lines: cx.lines,
        budget,
        prices_date: prices.date.clone(),
        prices_source: prices.source.clone(),
    }
}

/// Days in an average month (365 / 12).
const DAYS_PER_MONTH: f64 = 365.0 / 12.0;

/// KB in a GB, as AWS bills data (GiB of KiB).
const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// A SageMaker job's instance-hour price: its own component's, or else the
/// hosting price of the same instance type, which no source confirms for the
/// component: the second value says so, for the line.
fn sagemaker_price(
    cx: &Ctx,
    component: &str,
    table: &BTreeMap<String, f64>,
    instance: &str,
) -> (Option<f64>, Option<String>) {
    if let Some(p) = price(table.get(instance).copied()) {
        return (Some(p), None);
    }
    match price(cx.p.sagemaker.hosting.get(instance).copied()) {
        Some(p) => (
            Some(p),
            Some(format!(
                "no {component} price for {instance} with a source: assumed = its hosting price {}/h",
                rate(p)
            )),
        ),
        None => (None, None),
    }
}

fn bucket(cx: &mut Ctx, id: &str) {
    let gb = cx.a.stored_gb_per_bucket;
    let p = price(cx.p.s3.standard_gb_month);
    cx.push(
        id,
        "S3 storage".into(),
        Some(0.0),
        p.and_then(|p| product(&[gb, p])),
        format!(
            "{} GB stored × {}/GB-month (S3 Standard); requests not included",
            cx.a.show("stored_gb_per_bucket", qty(gb)),
            per(p)
        ),
    );
}

fn workgroup(cx: &mut Ctx, id: &str, r: &Resource) {
    let gb = cx.a.athena_gb_scanned_per_month;
    let p = price(cx.p.athena.tb_scanned);
    let cutoff = num(r.prop(&["WorkGroupConfiguration", "BytesScannedCutoffPerQuery"]))
        .map(|b| {
            format!(
                "; at most {} GB per query",
                qty((b / 1024f64.powi(3)).round())
            )
        })
        .unwrap_or_default();
    cx.push(
        id,
        "Athena queries".into(),
        Some(0.0),
        p.and_then(|p| product(&[gb / 1024.0, p])),
        format!(
            "{} GB scanned × {}/TB{cutoff}",
            cx.a.show("athena_gb_scanned_per_month", qty(gb)),
            per(p)
        ),
    );
}

/// The foundation model an inference profile copies, from its
/// `ModelSource.CopyFrom` ARN (`…:foundation-model/<id>`, literal or in an
/// `Fn::Sub` pattern).
fn profile_model(r: &Resource) -> Option<String> {
    texts(r.prop(&["ModelSource", "CopyFrom"])?)
        .into_iter()
        .find_map(|t| {
            t.split_once(":foundation-model/")
                .map(|(_, id)| id.to_string())
        })
}

/// An application inference profile: on-demand tokens, billed per use, so
/// the floor is $0 and the ceiling the stage's assumed traffic priced per
/// token. A model without a sourced price in the table is unknown, with the
/// table section that fixes it.
fn bedrock_profile(cx: &mut Ctx, id: &str, r: &Resource) {
    let Some(model) = profile_model(r) else {
        cx.push(
            id,
            "Bedrock inference profile".into(),
            Some(0.0),
            None,
            "copies no foundation model by ARN: tokens not priced".into(),
        );
        return;
    };
    let (requests, requests_shown) = match cx.a.bedrock_requests_per_month {
        Some(n) => (n, cx.a.show("bedrock_requests_per_month", qty(n))),
        None => (
            cx.a.requests_per_month,
            cx.a.show(
                "bedrock_requests_per_month + requests_per_month",
                qty(cx.a.requests_per_month),
            ),
        ),
    };
    let (tin, tout) = (
        cx.a.bedrock_input_tokens_per_request,
        cx.a.bedrock_output_tokens_per_request,
    );
    let usage = format!(
        "{requests_shown} requests × ({} in, {} out) tokens",
        cx.a.show("bedrock_input_tokens_per_request", qty(tin)),
        cx.a.show("bedrock_output_tokens_per_request", qty(tout)),
    );
    let item = format!("Bedrock tokens: {model}");
    match cx.p.bedrock.get(&model) {
        Some(p) => {
            let (pin, pout) = (
                price(Some(p.input_per_1k_tokens)),
                price(Some(p.output_per_1k_tokens)),
            );
            let ceiling = pin
                .and_then(|pin| product(&[requests, tin / 1000.0, pin]))
                .zip(pout.and_then(|pout| product(&[requests, tout / 1000.0, pout])))
                .map(|(i, o)| total([i, o].into_iter()));
            cx.push(
                id,
                item,
                Some(0.0),
                ceiling,
                format!(
                    "up to {usage} × ({} in, {} out)/1k tokens; {} ({})",
                    per(pin),
                    per(pout),
                    p.source,
                    p.date
                ),
            );
        }
        None => cx.push(
            id,
            item,
            Some(0.0),
            None,
            format!(
                "up to {usage}; no sourced price for {model}: add [bedrock.\"{model}\"] input_per_1k_tokens, output_per_1k_tokens, source, date to a price table and pass it with `cost --prices FILE`"
            ),
        ),
    }
}

fn endpoint(cx: &mut Ctx, id: &str, r: &Resource) {
    let Some(config) = r
        .prop(&["EndpointConfigName"])
        .and_then(target)
        .and_then(|c| cx.t.resources.get(c))
    else {
        return;
    };
    let name = r.prop(&["EndpointName"]).and_then(Value::as_str);
    let variants = config
        .prop(&["ProductionVariants"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let requests = cx.a.requests_per_month;
    let payload_kb = cx.a.request_kb + cx.a.response_kb;
    for v in variants {
        let vname = v.get("VariantName").and_then(Value::as_str).unwrap_or("?");
        if let Some(instance) = v.get("InstanceType").and_then(Value::as_str) {
            let initial = num(v.get("InitialInstanceCount")).unwrap_or(1.0);
            let (min, max) = name
                .and_then(|n| capacity(cx.t, &format!("endpoint/{n}/variant/{vname}")))
                .unwrap_or((initial, initial));
            let price = price(cx.p.sagemaker.hosting.get(instance).copied());
            let hours = HOURS_PER_MONTH;
            cx.push(
                id,
                format!("variant {vname}: {instance}"),
                price.and_then(|p| product(&[min, hours, p])),
                price.and_then(|p| product(&[max, hours, p])),
                format!("{min}..{max} instances × {hours} h × {}/h", per(price)),
            );
        } else if let Some(sc) = v.get("ServerlessConfig") {
            let gb = num(sc.get("MemorySizeInMB")).unwrap_or(0.0) / 1024.0;
            let provisioned = num(sc.get("ProvisionedConcurrency")).unwrap_or(0.0);
            let month_s = HOURS_PER_MONTH * 3600.0;
            let floor = if provisioned > 0.0 {
                price(cx.p.serverless.provisioned_per_gb_second)
                    .and_then(|p| product(&[provisioned, gb, month_s, p]))
            } else {
                Some(0.0)
            };
            let s = cx.a.serverless_seconds_per_request;
            let compute = price(cx.p.serverless.per_gb_second);
            let data = price(cx.p.serverless.per_gb_processed);
            let on_demand = compute
                .and_then(|p| product(&[requests, s, gb, p]))
                .zip(data.and_then(|p| product(&[requests, payload_kb / KB_PER_GB, p])))
                .map(|(c, d)| total([c, d].into_iter()));
            let ceiling = floor.zip(on_demand).map(|(f, o)| total([f, o].into_iter()));
            cx.push(
                id,
                format!("variant {vname}: serverless {gb} GB"),
                floor,
                ceiling,
                format!(
                    "{provisioned} provisioned; up to {} requests × ({} s × {gb} GB × {}/GB-s + {} KB in and out × {}/GB)",
                    cx.a.show("requests_per_month", qty(requests)),
                    cx.a.show("serverless_seconds_per_request", s),
                    per(compute),
                    cx.a.show("request_kb + response_kb", qty(payload_kb)),
                    per(data),
                ),
            );
        }
    }
    capture(cx, id, config);
}

/// Data capture: what it writes to S3 in a month, stored at the S3 Standard
/// price (SageMaker itself does not charge for capturing).
fn capture(cx: &mut Ctx, id: &str, config: &Resource) {
    let Some(dc) = config.prop(&["DataCaptureConfig"]) else {
        return;
    };
    if dc.get("EnableCapture") == Some(&Value::Bool(false)) {
        return;
    }
    let sampling = num(dc.get("InitialSamplingPercentage")).unwrap_or(100.0);
    let (gb, why) = match cx.a.captured_gb_per_month {
        Some(gb) => (gb, format!("{} GB captured", qty(gb))),
        None => {
            let payload_kb = cx.a.request_kb + cx.a.response_kb;
            let gb = cx.a.requests_per_month * sampling / 100.0 * payload_kb / KB_PER_GB;
            (
                gb,
                format!(
                    "{} requests × {sampling} % sampled × {} KB = {gb:.1} GB captured",
                    cx.a.show("requests_per_month", qty(cx.a.requests_per_month)),
                    cx.a.show("request_kb + response_kb", qty(payload_kb)),
                ),
            )
        }
    };
    let p = price(cx.p.s3.standard_gb_month);
    cx.push(
        id,
        "data capture".into(),
        Some(0.0),
        p.and_then(|p| product(&[gb, p])),
        format!("{why} × {}/GB-month, one month's capture stored", per(p)),
    );
}

/// `(MinCapacity, MaxCapacity)` of the scalable target of a resource id.
fn capacity(t: &Template, resource_id: &str) -> Option<(f64, f64)> {
    t.resources_of_type("AWS::ApplicationAutoScaling::ScalableTarget")
        .find_map(|(_, r)| {
            (r.prop(&["ResourceId"]).and_then(Value::as_str) == Some(resource_id)).then(|| {
                Some((
                    num(r.prop(&["MinCapacity"]))?,
                    num(r.prop(&["MaxCapacity"]))?,
                ))
            })?
        })
}

/// Runs per month of the EventBridge rules that target the pipeline `id`
/// named `name`: scheduled rules by their schedule, event rules by the
/// on-demand assumption. A target is the pipeline when its `Arn` refers to
/// `id` (`Ref`, `Fn::GetAtt`, `${id}`) or its text ends with
/// `pipeline/<name>` (the ARN written from the physical name).
fn runs_from_rules(cx: &Ctx, id: &str, name: &str) -> Option<(f64, String)> {
    let mut runs = 0.0;
    let mut why = Vec::new();
    let suffix = format!("pipeline/{name}");
    for (_, r) in cx.t.resources_of_type("AWS::Events::Rule") {
        let Some(Value::Array(targets)) = r.prop(&["Targets"]) else {
            continue;
        };
        let targets_it = targets
            .iter()
            .filter_map(|t| t.get("Arn"))
            .any(|arn| refers_to(arn, id) || texts(arn).iter().any(|text| text.ends_with(&suffix)));
        if !targets_it {
            continue;
        }
        if let Some(expr) = r.prop(&["ScheduleExpression"]).and_then(Value::as_str) {
            let n = runs_per_month(expr)?;
            runs += n;
            why.push(format!("{expr} ≈ {n:.1}"));
        } else {
            runs += cx.a.event_runs_per_month;
            why.push(format!(
                "event rule, {} assumed",
                cx.a.show("event_runs_per_month", qty(cx.a.event_runs_per_month))
            ));
        }
    }
    // Several rules: their sum, so the line's runs are the ones it prices.
    let total = if why.len() > 1 {
        format!(" = {runs:.1}")
    } else {
        String::new()
    };
    (!why.is_empty()).then(|| (runs, format!("{}{total}", why.join(" + "))))
}

fn pipeline(cx: &mut Ctx, id: &str, r: &Resource) {
    let name = r
        .prop(&["PipelineName"])
        .and_then(Value::as_str)
        .unwrap_or(id);
    let (runs, why) = runs_from_rules(cx, id, name).unwrap_or_else(|| {
        (
            cx.a.event_runs_per_month,
            format!(
                "not scheduled, {} assumed",
                cx.a.show("event_runs_per_month", qty(cx.a.event_runs_per_month))
            ),
        )
    });
    for step in pipeline_steps(r) {
        let args = &step["Arguments"];
        let (component, table, resources, stop, jobs) =
            match step.get("Type").and_then(Value::as_str) {
                Some("Processing") => (
                    "processing",
                    &cx.p.sagemaker.processing,
                    args.pointer("/ProcessingResources/ClusterConfig"),
                    args.get("StoppingCondition"),
                    1.0,
                ),
                Some("Training") => (
                    "training",
                    &cx.p.sagemaker.training,
                    args.get("ResourceConfig"),
                    args.get("StoppingCondition"),
                    1.0,
                ),
                Some("Tuning") => {
                    let def = &args["TrainingJobDefinition"];
                    let jobs = num(args.pointer(
                        "/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs",
                    ));
                    (
                        "training",
                        &cx.p.sagemaker.training,
                        def.get("ResourceConfig"),
                        def.get("StoppingCondition"),
                        jobs.unwrap_or(f64::NAN),
                    )
                }
                Some("Transform") => (
                    "batch transform",
                    &cx.p.sagemaker.transform,
                    args.get("TransformResources"),
                    None,
                    1.0,
                ),
                _ => continue,
            };
        let Some(resources) = resources else { continue };
        let instance = resources
            .get("InstanceType")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let count = num(resources.get("InstanceCount")).unwrap_or(1.0);
        let max_hours = num(stop.and_then(|s| s.get("MaxRuntimeInSeconds"))).map(|s| s / 3600.0);
        // A transform job has no maximum runtime: its hours are assumed.
        let (hours, hours_shown) = match (max_hours, component) {
            (Some(h), _) => (Some(h), format!("{h:.2} h max")),
            (None, "batch transform") => (
                Some(cx.a.transform_hours_per_run),
                format!(
                    "{} h assumed",
                    cx.a.show("transform_hours_per_run", cx.a.transform_hours_per_run)
                ),
            ),
            (None, _) => (None, "no h max".to_string()),
        };
        let (price, derived) = sagemaker_price(cx, component, table, instance);
        let spot = step.pointer("/Arguments/EnableManagedSpotTraining") == Some(&Value::Bool(true))
            || step.pointer("/Arguments/TrainingJobDefinition/EnableManagedSpotTraining")
                == Some(&Value::Bool(true));
        let ceiling = match (price, hours) {
            (Some(p), Some(h)) => product(&[runs, jobs, count, h, p]),
            _ => None,
        };
        let mut assumption = format!(
            "{why} runs × {}{count} × {} × {hours_shown} × {}/h",
            if jobs == 1.0 {
                String::new()
            } else if jobs.is_nan() {
                "? jobs × ".to_string()
            } else {
                format!("{jobs} jobs × ")
            },
            instance,
            per(price)
        );
        if let Some(derived) = derived {
            assumption.push_str("; ");
            assumption.push_str(&derived);
        }
        if spot {
            assumption
                .push_str("; spot: ceiling at on-demand price, spot usually saves up to 90 %");
        }
        let step_name = step.get("Name").and_then(Value::as_str).unwrap_or("?");
        cx.push(
            id,
            format!("step {step_name}: {instance}"),
            Some(0.0),
            ceiling,
            assumption,
        );
    }
}

fn monitoring(cx: &mut Ctx, id: &str, r: &Resource) {
    let expr = r
        .prop(&[
            "MonitoringScheduleConfig",
            "ScheduleConfig",
            "ScheduleExpression",
        ])
        .and_then(Value::as_str);
    let runs = expr.and_then(runs_per_month);
    let def = r
        .prop(&["MonitoringScheduleConfig", "MonitoringJobDefinitionName"])
        .and_then(target)
        .and_then(|d| cx.t.resources.get(d));
    let cluster = def.and_then(|d| d.prop(&["JobResources", "ClusterConfig"]));
    let instance = cluster
        .and_then(|c| c.get("InstanceType"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    let count = num(cluster.and_then(|c| c.get("InstanceCount"))).unwrap_or(1.0);
    // SageMaker's default MaxRuntimeInSeconds for monitoring jobs is one hour.
    let hours = num(def.and_then(|d| d.prop(&["StoppingCondition", "MaxRuntimeInSeconds"])))
        .unwrap_or(3600.0)
        / 3600.0;
    let (price, derived) = sagemaker_price(cx, "processing", &cx.p.sagemaker.processing, instance);
    let derived = derived.map(|d| format!("; {d}")).unwrap_or_default();
    cx.push(
        id,
        format!("monitoring: {instance}"),
        Some(0.0),
        runs.zip(price)
            .and_then(|(n, p)| product(&[n, count, hours, p])),
        format!(
            "{} ≈ {} runs × {count} × {hours:.2} h max × {}/h{derived}",
            expr.unwrap_or("?"),
            runs.map_or("?".into(), |n| format!("{n:.1}")),
            per(price)
        ),
    );
}

fn glue_job(cx: &mut Ctx, id: &str, r: &Resource) {
    let dpus = num(r.prop(&["MaxCapacity"]))
        .or_else(|| {
            let per = match r.prop(&["WorkerType"])?.as_str()? {
                "G.025X" => 0.25,
                "G.1X" | "Standard" => 1.0,
                "G.2X" => 2.0,
                "G.4X" => 4.0,
                "G.8X" => 8.0,
                _ => return None,
            };
            Some(per * num(r.prop(&["NumberOfWorkers"]))?)
        })
        .or_else(|| {
            // A Python shell job without MaxCapacity runs on 0.0625 DPU.
            (r.prop(&["Command", "Name"]).and_then(Value::as_str) == Some("pythonshell"))
                .then_some(0.0625)
        });
    // Glue's default timeout is 2,880 minutes.
    let hours = num(r.prop(&["Timeout"])).unwrap_or(2880.0) / 60.0;
    let name = r.prop(&["Name"]).and_then(Value::as_str).unwrap_or(id);
    let scheduled =
        cx.t.resources_of_type("AWS::Glue::Trigger")
            .find_map(|(_, t)| {
                // An action starts the job when its `JobName` is the job's
                // name or refers to the job (`Ref` returns the name).
                let mentions = t
                    .prop(&["Actions"])?
                    .as_array()?
                    .iter()
                    .filter_map(|a| a.get("JobName"))
                    .any(|job| job.as_str() == Some(name) || refers_to(job, id));
                mentions.then(|| {
                    t.prop(&["Schedule"])
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })?
            });
    let (runs, why) = match scheduled
        .as_deref()
        .and_then(|s| Some((s, runs_per_month(s)?)))
    {
        Some((s, n)) => (n, format!("{s} ≈ {n:.1}")),
        None => (
            cx.a.event_runs_per_month,
            format!(
                "not scheduled, {} assumed",
                cx.a.show("event_runs_per_month", qty(cx.a.event_runs_per_month))
            ),
        ),
    };
    let price = price(cx.p.glue.job_dpu_hour);
    cx.push(
        id,
        "Glue job".into(),
        Some(0.0),
        dpus.zip(price)
            .and_then(|(d, p)| product(&[runs, d, hours, p])),
        format!(
            "{why} runs × {} DPU × {hours:.2} h timeout × {}/DPU-h",
            dpus.map_or("?".into(), |d| d.to_string()),
            per(price)
        ),
    );
}

fn crawler(cx: &mut Ctx, id: &str, r: &Resource) {
    let expr = r
        .prop(&["Schedule", "ScheduleExpression"])
        .and_then(Value::as_str);
    let (runs, why) = match expr {
        Some(e) => match runs_per_month(e) {
            Some(n) => (Some(n), format!("{e} ≈ {n:.1}")),
            None => (None, format!("{e} ≈ ?")),
        },
        None => (
            Some(cx.a.event_runs_per_month),
            format!(
                "not scheduled, {} assumed",
                cx.a.show("event_runs_per_month", qty(cx.a.event_runs_per_month))
            ),
        ),
    };
    let dpu_hours = cx.a.crawler_dpu_hours_per_run;
    let p = price(cx.p.glue.crawler_dpu_hour);
    cx.push(
        id,
        "Glue crawler".into(),
        Some(0.0),
        runs.zip(p).and_then(|(n, p)| product(&[n, dpu_hours, p])),
        format!(
            "{why} runs × {} DPU-h (depends on the data crawled) × {}/DPU-h",
            cx.a.show("crawler_dpu_hours_per_run", dpu_hours),
            per(p)
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prices() -> PriceTable {
        PriceTable::from_toml_str(
            r#"
            region = "us-east-1"
            date = "2026-11-29"
            source = "test"
            [sagemaker.processing]
            "ml.m5.large" = 0.1
            [glue]
            job_dpu_hour = 0.44
            "#,
        )
        .unwrap()
    }

    fn assumption(t: &Value, item: &str) -> String {
        let t = Template::from_json_str(&json!({ "Resources": t }).to_string()).unwrap();
        let e = estimate(&t, &prices(), &Assumptions::default());
        e.lines
            .iter()
            .find(|l| l.item.starts_with(item))
            .unwrap_or_else(|| panic!("no line {item}: {:?}", e.lines))
            .assumption
            .clone()
    }

    #[test]
    fn a_rule_targets_a_pipeline_by_reference_or_by_its_arn_not_by_a_mention() {
        let steps =
            json!({"Version": "2020-12-01", "Steps": [{"Name": "Prep", "Type": "Processing",
            "Arguments": {"ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large",
                "InstanceCount": 1, "VolumeSizeInGB": 30}},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}}]})
            .to_string();
        let pipeline = json!({"Type": "AWS::SageMaker::Pipeline", "Properties": {"PipelineName": "train",
            "RoleArn": "r", "PipelineDefinition": {"PipelineDefinitionBody": steps}}});
        let rule = |arn: Value| {
            json!({"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "rate(1 day)",
                "Targets": [{"Id": "p", "Arn": arn, "Input": "pipeline/train\""}]}})
        };
        // By reference to the logical ID, in a Sub variable.
        let by_ref = json!({"P": pipeline, "R": rule(json!({"Fn::Sub": "${P}"}))});
        assert!(assumption(&by_ref, "step Prep").contains("rate(1 day)"));
        // By the ARN's text.
        let by_arn = json!({"P": pipeline,
            "R": rule(json!("arn:aws:sagemaker:us-east-1:1:pipeline/train"))});
        assert!(assumption(&by_arn, "step Prep").contains("rate(1 day)"));
        // The name elsewhere (the input, another pipeline's ARN) is not a target.
        let other = json!({"P": pipeline,
            "R": rule(json!("arn:aws:sagemaker:us-east-1:1:pipeline/train-2"))});
        assert!(!assumption(&other, "step Prep").contains("rate(1 day)"));
        // A rule without targets does not hide the others.
        let untargeted = json!({"P": pipeline, "A": {"Type": "AWS::Events::Rule",
            "Properties": {"ScheduleExpression": "rate(2 days)"}},
            "R": rule(json!({"Fn::Sub": "${P}"}))});
        assert!(assumption(&untargeted, "step Prep").contains("rate(1 day)"));
        // Two rules: the runs priced are their sum, and the line says so.
        let two = json!({"P": pipeline, "R": rule(json!({"Fn::Sub": "${P}"})),
            "E": {"Type": "AWS::Events::Rule", "Properties": {"EventPattern": {"source": ["x"]},
                "Targets": [{"Id": "p", "Arn": {"Fn::Sub": "${P}"}}]}}});
        let line = assumption(&two, "step Prep");
        assert!(
            line.starts_with("event rule, 4 (default) assumed + rate(1 day) ≈ 30.4 = 34.4 runs × ")
                || line.starts_with(
                    "rate(1 day) ≈ 30.4 + event rule, 4 (default) assumed = 34.4 runs × "
                ),
            "{line}"
        );
    }

    #[test]
    fn a_trigger_starts_a_glue_job_by_reference_or_by_name() {
        let job = json!({"Type": "AWS::Glue::Job", "Properties": {"Name": "etl", "MaxCapacity": 2,
            "Timeout": 60, "Command": {"Name": "glueetl"}}});
        let trigger = |name: Value| {
            json!({"Type": "AWS::Glue::Trigger", "Properties": {"Schedule": "cron(0 3 * * ? *)",
                "Actions": [{"JobName": name, "Arguments": {"--other": "Job"}}]}})
        };
        for name in [json!({"Ref": "Job"}), json!("etl")] {
            let t = json!({"Job": job, "T": trigger(name)});
            assert!(assumption(&t, "Glue job").contains("cron(0 3"), "{t}");
        }
        // The job's id only in the arguments: not this job's trigger.
        let t = json!({"Job": job, "T": trigger(json!("another"))});
        assert!(assumption(&t, "Glue job").contains("not scheduled"));
    }
}

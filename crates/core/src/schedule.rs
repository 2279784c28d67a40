//! Schedules: one type for everything that runs on a clock — pipeline
//! triggers, crawlers, Glue jobs, monitors — and for the cost estimate, which
//! asks how often it fires.
//!
//! A schedule is AWS cron fields ([`Cron`] rules, validated when parsed) or a
//! rate. In code, the named constructors build valid schedules; from text (a
//! stage file, `"cron(0 3 ? * MON *)"` or `"rate(6 hours)"`) it is parsed and
//! checked when loaded.
//!
//! ```
//! use mlcdk_core::schedule::{RateUnit, Schedule};
//!
//! let weekly = Schedule::weekly("MON", 3);
//! assert_eq!(weekly.expression().unwrap(), "cron(0 3 ? * MON *)");
//! let hourly: Schedule = "rate(1 hour)".parse().unwrap();
//! assert_eq!(hourly, Schedule::Rate(1, RateUnit::Hours));
//! assert_eq!(hourly.runs_per_month(), Some(730.0));
//! assert!("cron(0 3 * * * *)".parse::<Schedule>().is_err());
//! ```

use std::str::FromStr;

use crate::cron::Cron;

/// Hours in an average month (365 × 24 / 12), as AWS pricing pages use.
pub const HOURS_PER_MONTH: f64 = 730.0;
const DAYS_PER_MONTH: f64 = 365.0 / 12.0;
const WEEKS_PER_MONTH: f64 = DAYS_PER_MONTH / 7.0;

/// When something runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// AWS cron fields, e.g. `"0 3 ? * MON *"` (checked by
    /// [`Schedule::expression`], and when parsed from text).
    Cron(String),
    /// Every `n` minutes, hours or days.
    Rate(u32, RateUnit),
}

/// The unit of a [`Schedule::Rate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateUnit {
    /// Minutes; EventBridge's smallest rate is one minute.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
}

impl Schedule {
    /// Every week on `day` (`MON`…`SUN`) at `hour`:00 UTC.
    pub fn weekly(day: &str, hour: u32) -> Schedule {
        Schedule::Cron(format!("0 {hour} ? * {day} *"))
    }

    /// Every day at `hour`:00 UTC.
    pub fn daily(hour: u32) -> Schedule {
        Schedule::Cron(format!("0 {hour} * * ? *"))
    }

    /// Every hour, on the hour.
    pub fn hourly() -> Schedule {
        Schedule::Cron("0 * * * ? *".into())
    }

    /// The expression (`cron(…)` or `rate(…)`) that EventBridge, Glue and
    /// SageMaker take, or why it is not one.
    pub fn expression(&self) -> Result<String, String> {
        match self {
            Schedule::Cron(c) => Cron::parse(c).map(|c| c.expression()),
            Schedule::Rate(0, _) => Err("rate(0 …) never fires; a rate is at least 1".into()),
            Schedule::Rate(n, unit) => {
                let unit = match unit {
                    RateUnit::Minutes => "minute",
                    RateUnit::Hours => "hour",
                    RateUnit::Days => "day",
                };
                // EventBridge wants the singular for 1 and the plural otherwise.
                Ok(format!(
                    "rate({n} {unit}{})",
                    if *n == 1 { "" } else { "s" }
                ))
            }
        }
    }

    /// Runs per average month; `None` when the schedule is invalid or the
    /// count cannot be known (the estimate then says "unknown").
    pub fn runs_per_month(&self) -> Option<f64> {
        runs_per_month(&self.expression().ok()?)
    }
}

impl FromStr for Schedule {
    type Err = String;

    /// `cron(<six fields>)`, `rate(<n> <unit>)`, or bare cron fields.
    fn from_str(text: &str) -> Result<Schedule, String> {
        let t = text.trim();
        if let Some(body) = t.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            let (n, unit) = body.trim().split_once(' ').ok_or_else(|| {
                format!("'{text}' is not a rate: write rate(<n> minutes|hours|days)")
            })?;
            let n: u32 = n
                .parse()
                .map_err(|_| format!("'{text}': the rate's count '{n}' is not a whole number"))?;
            let unit = match unit.trim().trim_end_matches('s') {
                "minute" => RateUnit::Minutes,
                "hour" => RateUnit::Hours,
                "day" => RateUnit::Days,
                other => {
                    return Err(format!(
                        "'{text}': unit '{other}' is not minutes, hours or days"
                    ));
                }
            };
            let s = Schedule::Rate(n, unit);
            s.expression()?;
            return Ok(s);
        }
        let fields = t
            .strip_prefix("cron(")
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or(t);
        let s = Schedule::Cron(fields.to_string());
        s.expression()?;
        Ok(s)
    }
}

impl<'de> serde::Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Schedule, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.expression() {
            Ok(e) => s.serialize_str(&e),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

/// Runs per average month of an expression, `rate(…)` or `cron(…)`; `None`
/// when it is not understood. Always a finite number: `rate(1e-320 minutes)`
/// would divide into an infinity.
pub fn runs_per_month(expression: &str) -> Option<f64> {
    parse(expression).filter(|n| n.is_finite())
}

fn parse(expression: &str) -> Option<f64> {
    let e = expression.trim();
    if let Some(body) = e.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
        let (n, unit) = body.trim().split_once(' ')?;
        let n: f64 = n.parse().ok().filter(|n: &f64| *n > 0.0 && n.is_finite())?;
        let minutes = match unit.trim().trim_end_matches('s') {
            "minute" => 1.0,
            "hour" => 60.0,
            "day" => 1440.0,
            _ => return None,
        };
        return Some(HOURS_PER_MONTH * 60.0 / (n * minutes));
    }
    let body = e.strip_prefix("cron(")?.strip_suffix(')')?;
    let f: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, _year] = f[..] else {
        return None;
    };
    let per_day = count(minutes, 0, 59)? * count(hours, 0, 23)?;
    let days = if dom == "?" {
        count(dow, 1, 7)? * WEEKS_PER_MONTH
    } else {
        count(dom, 1, 31)? * DAYS_PER_MONTH / 31.0
    };
    Some(per_day * days * count(month, 1, 12)? / 12.0)
}

/// Values a cron field takes in its range `lo..=hi`.
fn count(field: &str, lo: u32, hi: u32) -> Option<f64> {
    let mut n = 0.0;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" | "?" => (lo, hi),
            // L, W and # pick one day.
            r if r.contains(['L', 'W', '#']) => (0, 0),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a, lo)?, value(b, lo)?),
                None if step > 1 => (value(r, lo)?, hi),
                None => (value(r, lo)?, value(r, lo)?),
            },
        };
        // Outside the field's range the expression is invalid, and
        // `0-4294967295` would overflow the count below.
        if b < a || b > hi {
            return None;
        }
        n += f64::from((b - a) / step + 1);
    }
    Some(n)
}

const NAMES: [&str; 19] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "SUN",
    "MON", "TUE", "WED", "THU", "FRI", "SAT",
];

fn value(text: &str, lo: u32) -> Option<u32> {
    text.parse().ok().or_else(|| {
        let i = NAMES.iter().position(|n| n.eq_ignore_ascii_case(text))?;
        // Months are 1-based; days of week start at SUN = 1.
        Some(if i < 12 { i as u32 + 1 } else { i as u32 - 11 }.max(lo))
    })
}

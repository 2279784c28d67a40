//! AWS cron expressions, as Glue triggers and crawlers, EventBridge rules and
//! schedules take them: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`.
//!
//! Rules (AWS Glue "Time-based schedules for jobs and crawlers" and EventBridge
//! "Schedule expressions"): six fields; minutes 0–59, hours 0–23, day of month
//! 1–31, month 1–12 or JAN–DEC, day of week 1–7 or SUN–SAT, year 1970–2199;
//! wildcards `, - * /` everywhere, `?` in day of month or day of week (and
//! exactly one of the two must be `?`), `L` in both, `W` in day of month, `#`
//! in day of week.
//!
//! ```
//! use mlcdk_core::cron::Cron;
//!
//! let c = Cron::parse("0 3 * * ? *").unwrap();
//! assert_eq!(c.expression(), "cron(0 3 * * ? *)");
//! assert!(Cron::parse("0 3 * * * *").unwrap_err().contains("exactly one of day-of-month and day-of-week must be '?'"));
//! ```

/// A validated AWS cron expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    fields: String,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    specials: &'static str,
}

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        specials: "",
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        specials: "",
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        specials: "?LW",
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        specials: "",
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &DAYS,
        specials: "?L#",
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        specials: "",
    },
];

impl Cron {
    /// Parse `"0 3 * * ? *"` or `"cron(0 3 * * ? *)"`.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let inner = text
            .trim()
            .strip_prefix("cron(")
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(text.trim());
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if parts.len() != 6 {
            return Err(format!(
                "cron expression '{text}' has {} fields; AWS cron takes 6: minutes hours day-of-month month day-of-week year (e.g. 'cron(0 3 * * ? *)')",
                parts.len()
            ));
        }
        for (part, field) in parts.iter().zip(&FIELDS) {
            check_field(part, field).map_err(|e| format!("cron expression '{text}': {e}"))?;
        }
        if (parts[2] == "?") == (parts[4] == "?") {
            return Err(format!(
                "cron expression '{text}': exactly one of day-of-month and day-of-week must be '?'"
            ));
        }
        Ok(Cron {
            fields: parts.join(" "),
        })
    }

    /// `cron(<fields>)`, as the services take it.
    pub fn expression(&self) -> String {
        format!("cron({})", self.fields)
    }
}

fn check_field(part: &str, f: &Field) -> Result<(), String> {
    if part == "?" {
        return if f.specials.contains('?') {
            Ok(())
        } else {
            Err(format!(
                "'?' is only allowed in day-of-month and day-of-week, not in {}",
                f.name
            ))
        };
    }
    for item in part.split(',') {
        check_item(item, f)?;
    }
    Ok(())
}

fn check_item(item: &str, f: &Field) -> Result<(), String> {
    let bad = || {
        format!(
            "'{item}' is not valid in {} (values {}–{}{})",
            f.name,
            f.min,
            f.max,
            if f.names.is_empty() {
                String::new()
            } else {
                format!(" or {}–{}", f.names[0], f.names[f.names.len() - 1])
            }
        )
    };
    if item.is_empty() {
        return Err(bad());
    }
    // Day-of-month specials: L, LW, 15W; day-of-week: L, 5L, 3#2.
    if f.specials.contains('L') && item == "L" {
        return Ok(());
    }
    if f.name == "day-of-month" {
        if item == "LW" {
            return Ok(());
        }
        if let Some(day) = item.strip_suffix('W') {
            return value(day, f).map(|_| ()).map_err(|_| bad());
        }
    }
    if f.name == "day-of-week" {
        if let Some(day) = item.strip_suffix('L') {
            return value(day, f).map(|_| ()).map_err(|_| bad());
        }
        if let Some((day, nth)) = item.split_once('#') {
            value(day, f).map_err(|_| bad())?;
            return match nth.parse::<u32>() {
                Ok(1..=5) => Ok(()),
                _ => Err(format!(
                    "'{item}' in day-of-week: the week after '#' is 1 to 5"
                )),
            };
        }
    }
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    if let Some(s) = step {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 => {}
            _ => {
                return Err(format!(
                    "'{item}' in {}: the step after '/' must be a positive number",
                    f.name
                ));
            }
        }
    }
    if range == "*" {
        return Ok(());
    }
    match range.split_once('-') {
        Some((a, b)) => {
            value(a, f).map_err(|_| bad())?;
            value(b, f).map_err(|_| bad())?;
            Ok(())
        }
        None => value(range, f).map(|_| ()).map_err(|_| bad()),
    }
}

fn value(text: &str, f: &Field) -> Result<u32, ()> {
    if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(f.min + i as u32);
    }
    match text.parse::<u32>() {
        Ok(n) if (f.min..=f.max).contains(&n) => Ok(n),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_documented_examples() {
        for ok in [
            "cron(15 12 * * ? *)",
            "0 18 ? * MON-FRI *",
            "0 8 1 * ? *",
            "0/15 * * * ? *",
            "0/10 * ? * MON-FRI *",
            "0/5 8-17 ? * MON-FRI *",
            "0 9 ? * 2#1 *",
            "0 0 L * ? *",
            "0 0 LW * ? 2026",
            "0 0 15W * ? *",
            "0 0 ? * 6L *",
            "0 0 ? JAN,JUL SUN 2025-2030",
        ] {
            assert!(Cron::parse(ok).is_ok(), "{ok}: {:?}", Cron::parse(ok));
        }
        assert_eq!(
            Cron::parse(" 0 3 * * ? * ").unwrap().expression(),
            "cron(0 3 * * ? *)"
        );
    }

    #[test]
    fn rejects_with_the_rule() {
        let cases = [
            ("0 3 * * ?", "has 5 fields; AWS cron takes 6"),
            ("rate(1 hour)", "has 2 fields"),
            ("60 3 * * ? *", "'60' is not valid in minutes (values 0–59)"),
            ("0 24 * * ? *", "'24' is not valid in hours (values 0–23)"),
            ("0 3 32 * ? *", "'32' is not valid in day-of-month"),
            (
                "0 3 * 13 ? *",
                "'13' is not valid in month (values 1–12 or JAN–DEC)",
            ),
            ("0 3 ? * 8 *", "'8' is not valid in day-of-week"),
            ("0 3 * * ? 1900", "'1900' is not valid in year"),
            (
                "0 3 * * * *",
                "exactly one of day-of-month and day-of-week must be '?'",
            ),
            ("0 3 ? * ? *", "exactly one of day-of-month and day-of-week"),
            (
                "? 3 * * ? *",
                "'?' is only allowed in day-of-month and day-of-week, not in minutes",
            ),
            (
                "0/0 3 * * ? *",
                "the step after '/' must be a positive number",
            ),
            ("0 3 ? * 2#6 *", "the week after '#' is 1 to 5"),
            ("0 3 * FOO ? *", "'FOO' is not valid in month"),
        ];
        for (text, why) in cases {
            let e = Cron::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}

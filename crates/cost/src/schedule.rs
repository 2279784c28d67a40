//! How often a schedule expression fires in an average month.

/// Hours in an average month (365 × 24 / 12), as AWS pricing pages use.
pub const HOURS_PER_MONTH: f64 = 730.0;
const DAYS_PER_MONTH: f64 = 365.0 / 12.0;
const WEEKS_PER_MONTH: f64 = DAYS_PER_MONTH / 7.0;

/// Runs per average month of `rate(…)` or `cron(…)`; `None` when the
/// expression is not understood (the estimate then says "unknown"). Always a
/// finite number: `rate(1e-320 minutes)` would divide into an infinity.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn approx(expr: &str, want: f64) {
        let got = runs_per_month(expr).unwrap();
        assert!((got - want).abs() < 0.05, "{expr}: {got} != {want}");
    }

    #[test]
    fn common_schedules() {
        approx("cron(0 * ? * * *)", 730.0);
        approx("cron(0 2 * * ? *)", 365.0 / 12.0);
        approx("cron(0 3 ? * MON *)", 365.0 / 12.0 / 7.0);
        approx("cron(0/15 * * * ? *)", 4.0 * 730.0);
        approx("cron(0 8 ? * MON-FRI *)", 5.0 * 365.0 / 12.0 / 7.0);
        approx("cron(0 0 1 * ? *)", 365.0 / 12.0 / 31.0);
        approx("rate(1 hour)", 730.0);
        approx("rate(7 days)", 730.0 / 24.0 / 7.0);
        assert_eq!(runs_per_month("at(2026-01-01T00:00:00)"), None);
        assert_eq!(runs_per_month("cron(0 2 * *)"), None);
    }

    #[test]
    fn out_of_range_fields_and_tiny_rates_are_not_understood() {
        // Overflowed `(b - a) / step + 1` (a panic in debug builds).
        assert_eq!(runs_per_month("cron(0-4294967295 * * * ? *)"), None);
        assert_eq!(runs_per_month("cron(0 0-24 * * ? *)"), None);
        assert_eq!(runs_per_month("cron(0 0 32 * ? *)"), None);
        // 43,800 / 1e-320 is an infinity.
        assert_eq!(runs_per_month("rate(1e-320 minutes)"), None);
        assert_eq!(runs_per_month("rate(inf minutes)"), None);
        assert_eq!(runs_per_month("rate(nan minutes)"), None);
    }
}

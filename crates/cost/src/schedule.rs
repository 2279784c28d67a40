//! How often a schedule expression fires in an average month: the core
//! schedule's count ([`mlcdk_core::schedule`]), re-exported where the
//! estimate has always had it.

pub use mlcdk_core::schedule::{HOURS_PER_MONTH, runs_per_month};

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

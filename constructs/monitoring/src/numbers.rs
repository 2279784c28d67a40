//! Floats in props: checked at synth, rendered without panicking.
//!
//! A NaN or infinite value has no JSON form, and a value CloudWatch or
//! Budgets refuses fails the deploy; both are construct errors (with the
//! construct's path, added by `Node::error`), and rendering then writes a
//! placeholder the synth never lets out (a template with errors is not
//! written).

use mlcdk_core::Json;

/// The largest magnitude of a metric value CloudWatch accepts, 2^360: "CloudWatch
/// rejects values that are either too small or too large. Values must be in the
/// range of -2^360 to 2^360. In addition, special values (for example, NaN,
/// +Infinity, -Infinity) are not supported"
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html>).
/// An alarm threshold beyond it can never be crossed.
pub(crate) const CLOUDWATCH_MAX: f64 = 2.348_542_582_773_833_2e108;

/// `what` is `value`, which must be finite and within `lo..=hi` (above `lo`
/// when `lo_open`): `None`, or the error naming the value, the rule and the
/// accepted range.
pub(crate) fn check_range(
    what: &str,
    value: f64,
    lo: f64,
    lo_open: bool,
    hi: f64,
    range: &str,
) -> Option<String> {
    if !value.is_finite() {
        return Some(format!(
            "{what} {value} is not a finite number; accepted: {range}"
        ));
    }
    let below = if lo_open { value <= lo } else { value < lo };
    if below || value > hi {
        return Some(format!("{what} {value} is out of range; accepted: {range}"));
    }
    None
}

/// `value` as a JSON number; `null` for NaN and ±inf, which the caller has
/// already reported (see the module docs), so rendering never panics.
pub(crate) fn number(value: f64) -> Json {
    serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cloudwatch_bound_is_two_to_the_360() {
        assert_eq!(CLOUDWATCH_MAX, 2f64.powi(360));
    }

    #[test]
    fn non_finite_and_out_of_range_values_are_named() {
        let r = "above 0 and at most 1";
        assert_eq!(check_range("t", 0.5, 0.0, true, 1.0, r), None);
        assert_eq!(check_range("t", 1.0, 0.0, true, 1.0, r), None);
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = check_range("t", v, 0.0, true, 1.0, r).unwrap();
            assert!(
                e.contains("is not a finite number; accepted: above 0"),
                "{e}"
            );
        }
        for v in [0.0, -0.0, -1.0, 1.000_001, f64::MAX, f64::MIN] {
            let e = check_range("t", v, 0.0, true, 1.0, r).unwrap();
            assert!(e.contains("is out of range; accepted: above 0"), "{e}");
        }
        assert_eq!(check_range("t", 0.0, 0.0, false, 1.0, r), None);
        assert_eq!(number(f64::NAN), Json::Null);
        assert_eq!(number(f64::NEG_INFINITY), Json::Null);
    }
}

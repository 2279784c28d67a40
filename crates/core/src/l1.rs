//! Interop with [stratosphere](https://docs.rs/stratosphere)'s generated L1
//! structs (feature `stratosphere`, off by default: stratosphere switches on
//! `serde_json/arbitrary_precision` for the whole build, which makes every
//! number a heap string and slows synthesis, and its proc-macro stack costs
//! build time that synth-only users should not pay).
//!
//! - [`crate::CfnResource::from_l1`] takes a generated struct (property names
//!   and types checked at compile time);
//! - `ExpString::try_from(&expr)` converts an [`Expr`] for its fields.

use crate::expr::{Expr, ListExpr, SubPart, parse_sub};

/// An expression that stratosphere's `ExpString` cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} cannot be expressed as a stratosphere ExpString; set the property with CfnResource::set instead"
)]
pub struct NotRepresentable(pub String);

/// Conversion into stratosphere's `ExpString`, for filling generated L1
/// property structs. Everything converts except the few shapes `ExpString`
/// lacks (a `Select` over a split or an attribute list, a computed
/// `ImportValue` name or second `FindInMap` key); for those,
/// [`crate::CfnResource::set`] writes the property directly.
impl TryFrom<&Expr> for stratosphere::value::ExpString {
    type Error = NotRepresentable;

    fn try_from(e: &Expr) -> Result<Self, NotRepresentable> {
        use stratosphere::value::{ExpString, ExpStringList};
        Ok(match e {
            Expr::Literal(s) => ExpString::Literal(s.clone()),
            Expr::Ref(id) => match id.as_str() {
                "AWS::AccountId" => ExpString::AwsAccountId,
                "AWS::Region" => ExpString::AwsRegion,
                "AWS::Partition" => ExpString::AwsPartition,
                "AWS::StackName" => ExpString::AwsStackName,
                "AWS::StackId" => ExpString::AwsStackId,
                "AWS::URLSuffix" => ExpString::AwsUrlSuffix,
                _ => ExpString::Ref(id.as_str().into()),
            },
            Expr::GetAtt(id, attr) => stratosphere::value::get_att(id.as_str(), attr.as_str()),
            Expr::Sub(pattern, vars) if vars.is_empty() => ExpString::Sub {
                pattern: pattern.clone(),
            },
            Expr::Sub(pattern, vars) => {
                // A Sub with variables is exactly a Join of its text and the variables.
                let parts = parse_sub(pattern)
                    .into_iter()
                    .map(|p| match p {
                        SubPart::Text(t) => Expr::lit(t),
                        SubPart::Escaped(t) => Expr::lit(format!("${{{t}}}")),
                        SubPart::Var(v) => match vars.get(v) {
                            Some(value) => value.clone(),
                            None => Expr::sub(format!("${{{v}}}")),
                        },
                    })
                    .collect::<Vec<_>>();
                return ExpString::try_from(&Expr::concat(parts));
            }
            Expr::Join(d, parts) => ExpString::Join {
                delimiter: d.clone(),
                values: parts
                    .iter()
                    .map(ExpString::try_from)
                    .collect::<Result<_, _>>()?,
            },
            Expr::Select(i, list) => {
                let index = u8::try_from(*i)
                    .map_err(|_| NotRepresentable(format!("Fn::Select index {i}")))?;
                let values = match list.as_ref() {
                    ListExpr::Items(items) => ExpStringList::Literal(
                        items
                            .iter()
                            .map(ExpString::try_from)
                            .collect::<Result<_, _>>()?,
                    ),
                    ListExpr::GetAzs(r) => ExpStringList::GetAZs {
                        region: Box::new(ExpString::try_from(r.as_ref())?),
                    },
                    other => {
                        return Err(NotRepresentable(format!(
                            "Fn::Select over {}",
                            other.to_json()
                        )));
                    }
                };
                ExpString::Select {
                    index,
                    values: Box::new(values),
                }
            }
            Expr::If(c, a, b) => ExpString::If {
                condition_name: c.as_str().into(),
                true_branch: Box::new(ExpString::try_from(a.as_ref())?),
                else_branch: Box::new(ExpString::try_from(b.as_ref())?),
            },
            Expr::ImportValue(name) => match name.as_ref() {
                Expr::Literal(s) => ExpString::ImportValue(s.as_str().into()),
                other => {
                    return Err(NotRepresentable(format!(
                        "Fn::ImportValue of {}",
                        other.to_json()
                    )));
                }
            },
            Expr::FindInMap(m, top, second) => match second.as_ref() {
                Expr::Literal(s) => ExpString::FindInMap {
                    map_name: m.as_str().into(),
                    top_level_key: Box::new(ExpString::try_from(top.as_ref())?),
                    second_level_key: s.clone(),
                },
                other => {
                    return Err(NotRepresentable(format!(
                        "Fn::FindInMap second key {}",
                        other.to_json()
                    )));
                }
            },
            Expr::Base64(v) => ExpString::Base64(Box::new(ExpString::try_from(v.as_ref())?)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stratosphere::value::{ExpString, ToValue};

    #[test]
    fn converts_to_stratosphere_with_identical_json() {
        let exprs = [
            Expr::lit("x"),
            Expr::reference("R"),
            Expr::region(),
            Expr::get_att("R", "Arn"),
            Expr::sub("${R}"),
            Expr::join("-", [Expr::reference("A"), Expr::lit("b")]),
            Expr::select(0, ListExpr::items([Expr::lit("a"), Expr::reference("B")])),
            Expr::if_("C", Expr::lit("a"), Expr::reference("B")),
            Expr::import_value("E"),
            Expr::find_in_map("M", Expr::region(), "k"),
            Expr::base64(Expr::reference("R")),
        ];
        for e in exprs {
            let s = ExpString::try_from(&e).expect("representable");
            assert_eq!(s.to_value(), e.to_json(), "{e:?}");
        }
    }

    #[test]
    fn sub_with_vars_becomes_an_equivalent_join() {
        let e = Expr::sub_with(
            "arn:${P}:x/${B}-${!Lit}",
            [("B", Expr::reference("Bucket"))],
        );
        let s = ExpString::try_from(&e).unwrap();
        assert_eq!(
            s.to_value(),
            json!({"Fn::Join": ["", [
                "arn:", {"Fn::Sub": "${P}"}, ":x/", {"Ref": "Bucket"}, "-${Lit}"
            ]]})
        );
    }

    #[test]
    fn unrepresentable_shapes_are_errors_not_panics() {
        let e = Expr::select(0, ListExpr::split(",", Expr::reference("P")));
        let err = ExpString::try_from(&e).unwrap_err();
        assert!(err.to_string().contains("Fn::Select over"), "{err}");
        assert!(ExpString::try_from(&Expr::import_value(Expr::reference("X"))).is_err());
        assert!(ExpString::try_from(&Expr::select(300, ListExpr::items([]))).is_err());
    }
}

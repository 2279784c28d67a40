//! SageMaker instance types as a type.

use std::fmt;
use std::str::FromStr;

/// A SageMaker instance type, `ml.<family>.<size>` (e.g. `ml.m5.xlarge`),
/// checked when built or parsed. Which components accept which types is
/// the rule pack's RT-005, from the SageMaker API model.
///
/// ```
/// use mlcdk_sagemaker::InstanceType;
///
/// let t: InstanceType = "ml.m5.xlarge".parse().unwrap();
/// assert_eq!(t.as_str(), "ml.m5.xlarge");
/// assert!("m5.xlarge".parse::<InstanceType>().unwrap_err().contains("look like 'ml.m5.xlarge'"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceType(String);

impl InstanceType {
    /// The type as SageMaker spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family (`m5` of `ml.m5.xlarge`).
    pub fn family(&self) -> &str {
        self.0.split('.').nth(1).unwrap_or_default()
    }

    /// Whether the type has local NVMe instance storage (m5d, c5d, r5d,
    /// g4dn, g5, g6, p3dn, p4d, p5…), which SageMaker encrypts itself: such
    /// instances take no volume KMS key.
    pub fn has_local_storage(&self) -> bool {
        let family = self.family();
        let trailing: String = family
            .chars()
            .skip_while(|c| c.is_ascii_alphabetic())
            .collect();
        // The letters after the generation number.
        let suffix: String = trailing
            .chars()
            .skip_while(|c| c.is_ascii_digit())
            .collect();
        suffix.contains('d')
            || family.starts_with("g5")
            || family.starts_with("g6")
            || family.starts_with("p4")
            || family.starts_with("p5")
    }

    /// `ml.m5.large`: the general-purpose size the presets use.
    pub fn m5_large() -> InstanceType {
        InstanceType("ml.m5.large".into())
    }

    /// `ml.m5.xlarge`.
    pub fn m5_xlarge() -> InstanceType {
        InstanceType("ml.m5.xlarge".into())
    }

    /// `ml.c5.large`: compute-optimized, for CPU-bound scoring.
    pub fn c5_large() -> InstanceType {
        InstanceType("ml.c5.large".into())
    }

    /// `ml.c5.xlarge`.
    pub fn c5_xlarge() -> InstanceType {
        InstanceType("ml.c5.xlarge".into())
    }
}

impl FromStr for InstanceType {
    type Err = String;

    fn from_str(text: &str) -> Result<InstanceType, String> {
        let ok = text.strip_prefix("ml.").is_some_and(|rest| {
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() == 2
                && parts.iter().all(|p| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        });
        if ok {
            Ok(InstanceType(text.to_string()))
        } else {
            Err(format!(
                "instance type '{text}' is invalid: SageMaker instance types look like 'ml.m5.xlarge'"
            ))
        }
    }
}

impl TryFrom<&str> for InstanceType {
    type Error = String;
    fn try_from(text: &str) -> Result<InstanceType, String> {
        text.parse()
    }
}

impl fmt::Display for InstanceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for InstanceType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for InstanceType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<InstanceType, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for InstanceType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "InstanceType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^ml\\.[A-Za-z0-9-]+\\.[A-Za-z0-9-]+$",
            "description": "A SageMaker instance type, e.g. ml.m5.xlarge"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        for ok in [
            "ml.m5.xlarge",
            "ml.g5.12xlarge",
            "ml.c7i.large",
            "ml.inf2.xlarge",
        ] {
            assert_eq!(ok.parse::<InstanceType>().unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "m5.large",
            "ml.m5",
            "ml..large",
            "ml.m5.large.x",
            "ml.m5.la rge",
        ] {
            assert!(bad.parse::<InstanceType>().is_err(), "{bad}");
        }
        assert_eq!(InstanceType::m5_large().family(), "m5");
        for (t, local) in [
            ("ml.m5.large", false),
            ("ml.m5d.large", true),
            ("ml.g4dn.xlarge", true),
            ("ml.g5.xlarge", true),
            ("ml.c7i.large", false),
        ] {
            assert_eq!(
                t.parse::<InstanceType>().unwrap().has_local_storage(),
                local,
                "{t}"
            );
        }
    }
}

//! A region's price table rebuilt from AWS Price List bulk offer files (the
//! public `index.json` of a service and region; no credentials needed).
//!
//! An offer file holds `products` (by SKU, with attributes such as
//! `usagetype` and `regionCode`) and `terms` (`OnDemand`, by SKU and offer
//! term, each with `priceDimensions` holding `pricePerUnit.USD`). The refresh
//! keeps the on-demand prices of the usage types the estimate uses, named
//! `<region prefix>-<usage>` (us-east-1 is `USE1`; some us-east-1 usage types
//! have no prefix):
//!
//! | offer | usage type | table key |
//! |---|---|---|
//! | `AmazonSageMaker` | `Host:<type>`, `Train:<type>`, `Processing:<type>`, `Tsform:<type>` | `sagemaker.hosting`, `.training`, `.processing`, `.transform` |
//! | `AmazonCloudWatch` | `CW:AlarmMonitorUsage`, `CW:HighResAlarmMonitorUsage` | `fixed.alarm_month`, `fixed.alarm_high_resolution_month` |
//! | `AWSGlue` | `ETL-DPU-Hour`, `Crawler-DPU-Hour` | `glue.job_dpu_hour`, `glue.crawler_dpu_hour` |
//! | `awskms` | `KMS-Keys` | `fixed.kms_key_month` |
//! | `AmazonS3` | `TimedStorage-ByteHrs` | `s3.standard_gb_month` |
//! | `AmazonAthena` | `DataScannedInTB` | `athena.tb_scanned` |
//!
//! Of a tiered price (S3 storage) the first tier is kept; of a price whose
//! first tier is free, the first paid one. Serverless inference, Budgets and
//! SNS are not read yet: a refreshed table lacks them, and the estimate says
//! unknown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

/// The services whose offer files the refresh reads, with the URL of their
/// regional offer file.
pub const OFFERS: &[&str] = &[
    "AmazonSageMaker",
    "AmazonCloudWatch",
    "AWSGlue",
    "awskms",
    "AmazonS3",
    "AmazonAthena",
];

/// The regional offer file of `offer` (a service code of [`OFFERS`]) in
/// `region`.
pub fn offer_url(offer: &str, region: &str) -> String {
    format!(
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"
    )
}

/// The usage-type prefix of a region in the Price List (`USE1` for
/// us-east-1, `EU` for eu-west-1).
pub fn usage_prefix(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "USE1",
        "us-east-2" => "USE2",
        "us-west-1" => "USW1",
        "us-west-2" => "USW2",
        "ca-central-1" => "CAN1",
        "sa-east-1" => "SAE1",
        "eu-west-1" => "EU",
        "eu-west-2" => "EUW2",
        "eu-west-3" => "EUW3",
        "eu-central-1" => "EUC1",
        "eu-central-2" => "EUC2",
        "eu-north-1" => "EUN1",
        "eu-south-1" => "EUS1",
        "ap-northeast-1" => "APN1",
        "ap-northeast-2" => "APN2",
        "ap-northeast-3" => "APN3",
        "ap-southeast-1" => "APS1",
        "ap-southeast-2" => "APS2",
        "ap-south-1" => "APS3",
        "ap-east-1" => "APE1",
        "me-south-1" => "MES1",
        "af-south-1" => "AFS1",
        _ => return None,
    })
}

#[derive(Deserialize)]
struct Offer {
    #[serde(rename = "offerCode")]
    offer_code: String,
    #[serde(rename = "publicationDate")]
    publication_date: String,
    products: BTreeMap<String, Product>,
    terms: Terms,
}

#[derive(Deserialize)]
struct Product {
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Default, Deserialize)]
struct Attributes {
    usagetype: Option<String>,
    #[serde(rename = "regionCode")]
    region_code: Option<String>,
}

#[derive(Deserialize)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: BTreeMap<String, BTreeMap<String, Term>>,
}

#[derive(Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions")]
    price_dimensions: BTreeMap<String, Dimension>,
}

#[derive(Deserialize)]
struct Dimension {
    #[serde(rename = "beginRange")]
    begin_range: Option<String>,
    #[serde(rename = "pricePerUnit")]
    price_per_unit: BTreeMap<String, String>,
}

/// A price read from an offer file, with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    /// The table key, e.g. `sagemaker.hosting."ml.m5.large"`.
    pub key: String,
    /// USD per unit.
    pub price: f64,
    /// `USE1-Host:ml.m5.large, SKU JDZQJFUVUR8SUWHS`.
    pub origin: String,
}

/// What a refresh made: the table's TOML text, the prices in it, and notes
/// (offer files of no use, conflicting SKUs).
#[derive(Clone, Debug)]
pub struct Refreshed {
    /// The table, in the shipped table's format; it loads with
    /// [`PriceTable::from_toml_str`](crate::PriceTable::from_toml_str).
    pub toml: String,
    /// Every price kept, by key.
    pub prices: Vec<Read>,
    /// What the reader should know (a second SKU with another price, an offer
    /// file not read).
    pub notes: Vec<String>,
}

/// Offer files that cannot be used: every problem, each naming the file and
/// the field or value.
#[derive(Debug, thiserror::Error)]
#[error("{}", problems.join("\n"))]
pub struct RefreshError {
    /// One line per problem.
    pub problems: Vec<String>,
}

/// The table key of a usage type (its region prefix removed), if the
/// estimate uses it.
fn key_of(offer: &str, usage: &str) -> Option<String> {
    let instance = |component: &str, kind: &str| {
        let t = usage.strip_prefix(kind)?;
        (t.starts_with("ml.")
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        .then(|| format!("sagemaker.{component}.\"{t}\""))
    };
    match offer {
        "AmazonSageMaker" => instance("hosting", "Host:")
            .or_else(|| instance("training", "Train:"))
            .or_else(|| instance("processing", "Processing:"))
            .or_else(|| instance("transform", "Tsform:")),
        "AmazonCloudWatch" => match usage {
            "CW:AlarmMonitorUsage" => Some("fixed.alarm_month".into()),
            "CW:HighResAlarmMonitorUsage" => Some("fixed.alarm_high_resolution_month".into()),
            _ => None,
        },
        "AWSGlue" => match usage {
            "ETL-DPU-Hour" => Some("glue.job_dpu_hour".into()),
            "Crawler-DPU-Hour" => Some("glue.crawler_dpu_hour".into()),
            _ => None,
        },
        "awskms" => (usage == "KMS-Keys").then(|| "fixed.kms_key_month".into()),
        "AmazonS3" => (usage == "TimedStorage-ByteHrs").then(|| "s3.standard_gb_month".into()),
        "AmazonAthena" => (usage == "DataScannedInTB").then(|| "athena.tb_scanned".into()),
        _ => None,
    }
}

/// A price as the offer file writes it (`"0.1150000000"`): a decimal number
/// of at least 0.
fn parse_price(text: &str) -> Option<f64> {
    let t = text.trim();
    let plain = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    t.parse::<f64>()
        .ok()
        .filter(|p| plain && p.is_finite() && *p >= 0.0)
}

/// Rebuild `region`'s table from offer files, given as `(name, text)` (the
/// name, a path, is used in messages). Every problem of every file is
/// reported together; a file of a service the estimate does not use is a
/// note, not an error.
pub fn refresh(region: &str, offers: &[(String, String)]) -> Result<Refreshed, RefreshError> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let Some(prefix) = usage_prefix(region) else {
        let known: Vec<&str> = [
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "sa-east-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-south-1",
            "ap-east-1",
            "me-south-1",
            "af-south-1",
        ]
        .to_vec();
        return Err(RefreshError {
            problems: vec![format!(
                "--region {}: no Price List usage-type prefix is known for it; known regions: {}",
                mlcdk_core::stage_file::quote(region),
                known.join(", ")
            )],
        });
    };
    if offers.is_empty() {
        problems.push("no offer file given: pass one or more with --offer FILE".to_string());
    }
    let mut found: BTreeMap<String, Read> = BTreeMap::new();
    let mut sources = Vec::new();
    let mut newest = String::new();
    for (name, text) in offers {
        let offer: Offer = match serde_json::from_str(text) {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!(
                    "{name}: not an AWS Price List offer file (JSON with offerCode, publicationDate, products and terms): {}",
                    mlcdk_core::stage_file::clip(&e.to_string())
                ));
                continue;
            }
        };
        if !OFFERS.contains(&offer.offer_code.as_str()) {
            notes.push(format!(
                "{name}: offer {} is not one the estimate uses ({}); not read",
                mlcdk_core::stage_file::quote(&offer.offer_code),
                OFFERS.join(", ")
            ));
            continue;
        }
        let date = offer.publication_date.get(..10).unwrap_or_default();
        let well_formed = date.len() == 10
            && date.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !well_formed {
            problems.push(format!(
                "{name}: publicationDate = {}: expected a date and time such as \"2026-09-25T00:03:13Z\"",
                mlcdk_core::stage_file::quote(&offer.publication_date)
            ));
            continue;
        }
        if date > newest.as_str() {
            newest = date.to_string();
        }
        sources.push(format!(
            "{} (published {})",
            offer.offer_code, offer.publication_date
        ));
        let mut read = 0;
        for (sku, product) in &offer.products {
            let Some(usagetype) = product.attributes.usagetype.as_deref() else {
                continue;
            };
            if product
                .attributes
                .region_code
                .as_deref()
                .is_some_and(|r| r != region)
            {
                continue;
            }
            let usage = match usagetype.split_once('-') {
                Some((p, rest)) if p == prefix => rest,
                // Some us-east-1 usage types carry no prefix.
                _ if region == "us-east-1" => usagetype,
                _ => continue,
            };
            let Some(key) = key_of(&offer.offer_code, usage) else {
                continue;
            };
            let Some(terms) = offer.terms.on_demand.get(sku) else {
                continue;
            };
            // The first tier of the on-demand price, or the first paid one
            // when the first is free.
            let mut tiers = Vec::new();
            for (term, t) in terms {
                for (rate, d) in &t.price_dimensions {
                    let at = format!("{name}: terms.OnDemand.{sku}.{term}.priceDimensions.{rate}");
                    let Some(usd) = d.price_per_unit.get("USD") else {
                        problems.push(format!("{at}.pricePerUnit: no USD price"));
                        continue;
                    };
                    let Some(price) = parse_price(usd) else {
                        problems.push(format!(
                            "{at}.pricePerUnit.USD = {}: not a price (a decimal number of at least 0, e.g. \"0.1150000000\")",
                            mlcdk_core::stage_file::quote(usd)
                        ));
                        continue;
                    };
                    let begin = d
                        .begin_range
                        .as_deref()
                        .and_then(|b| b.parse::<f64>().ok())
                        .unwrap_or(0.0);
                    tiers.push((begin, price));
                }
            }
            tiers.sort_by(|a, b| a.0.total_cmp(&b.0));
            let Some(&(_, price)) = tiers
                .iter()
                .find(|(_, p)| *p > 0.0)
                .or_else(|| tiers.first())
            else {
                continue;
            };
            read += 1;
            let origin = format!("{usagetype}, SKU {sku}");
            match found.get(&key) {
                Some(other) if other.price != price => notes.push(format!(
                    "{key}: {} has {price}, {} has {}; kept the lower",
                    origin, other.origin, other.price
                )),
                _ => {}
            }
            let keep = found.get(&key).is_none_or(|other| price < other.price);
            if keep {
                found.insert(key.clone(), Read { key, price, origin });
            }
        }
        if read == 0 {
            notes.push(format!(
                "{name}: no on-demand price of a usage type the estimate uses for {region} ({prefix}-…)"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(RefreshError { problems });
    }
    let prices: Vec<Read> = found.into_values().collect();
    Ok(Refreshed {
        toml: render(region, &newest, &sources, &prices),
        prices,
        notes,
    })
}

/// The table's TOML: the keys grouped into their sections, each price with
/// its usage type and SKU.
fn render(region: &str, date: &str, sources: &[String], prices: &[Read]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {region} on-demand prices, in USD, rebuilt by `prices refresh` from AWS Price List\n# bulk offer files; each price with its usage type and SKU. What the offer files did\n# not hold is not here, and the estimate reports it as unknown.\n"
    );
    let _ = writeln!(out, "region = \"{region}\"");
    let _ = writeln!(out, "date = \"{date}\"");
    let _ = writeln!(
        out,
        "source = \"AWS Price List bulk offer files: {}\"",
        mlcdk_core::stage_file::clip(&sources.join(", ")).replace(['"', '\\'], "'")
    );
    let mut section = String::new();
    for p in prices {
        let (table, name) = match p.key.split_once(".\"") {
            Some((t, n)) => (t.to_string(), format!("\"{n}")),
            None => {
                let (t, n) = p.key.rsplit_once('.').unwrap_or(("", &p.key));
                (t.to_string(), n.to_string())
            }
        };
        if table != section {
            let _ = writeln!(out, "\n[{table}]");
            section = table;
        }
        let _ = writeln!(
            out,
            "{name} = {:?}   # {}",
            p.price,
            mlcdk_core::stage_file::clip(&p.origin)
        );
    }
    out
}

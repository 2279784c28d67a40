//! The Price List refresh, against small offer files in the bulk offer
//! file's format (`tests/fixtures/offer-*.json`). Nothing here touches the
//! network.

use mlcdk_cost::PriceTable;
use mlcdk_cost::refresh::{offer_url, refresh};

fn fixture(name: &str) -> (String, String) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn offers() -> Vec<(String, String)> {
    [
        "offer-AmazonSageMaker-us-east-1.json",
        "offer-AmazonCloudWatch-us-east-1.json",
        "offer-AmazonS3-us-east-1.json",
    ]
    .into_iter()
    .map(fixture)
    .collect()
}

#[test]
fn a_table_from_offer_files_keeps_the_usage_types_the_estimate_uses() {
    let r = refresh("us-east-1", &offers()).unwrap();
    let t = PriceTable::from_toml_str(&r.toml).unwrap_or_else(|e| panic!("{e}\n{}", r.toml));
    assert_eq!(t.region, "us-east-1");
    // The newest publication date of the offer files.
    assert_eq!(t.date, "2026-09-25");
    assert!(
        t.source
            .contains("AmazonSageMaker (published 2026-09-25T00:03:13Z)"),
        "{}",
        t.source
    );
    // On-demand, not the reserved price of the same SKU.
    assert_eq!(t.sagemaker.hosting.get("ml.m5.large"), Some(&0.115));
    assert_eq!(t.sagemaker.hosting.get("ml.g4dn.xlarge"), Some(&0.7364));
    assert_eq!(t.sagemaker.training.get("ml.m5.large"), Some(&0.115));
    assert_eq!(t.sagemaker.processing.get("ml.m5.xlarge"), Some(&0.23));
    assert_eq!(t.sagemaker.transform.get("ml.m5.xlarge"), Some(&0.23));
    // Notebooks, storage volumes and other regions are not read.
    assert_eq!(t.sagemaker.hosting.len(), 2, "{:?}", t.sagemaker.hosting);
    assert!(!t.sagemaker.processing.contains_key("ml.t3.medium"));
    // The first paid tier of an alarm (the first ten are free), the first
    // tier of S3 storage (the tiers are not in order in the file).
    assert_eq!(t.fixed.alarm_month, Some(0.1));
    assert_eq!(t.fixed.alarm_high_resolution_month, Some(0.3));
    assert_eq!(t.s3.standard_gb_month, Some(0.023));
    // Not in these offer files: not in the table.
    assert_eq!(t.glue.job_dpu_hour, None);
    assert_eq!(t.serverless.per_gb_second, None);
    // Each price names its usage type and SKU.
    assert!(
        r.toml
            .contains("\"ml.m5.large\" = 0.115   # USE1-Host:ml.m5.large, SKU TESTHOSTM5L00001"),
        "{}",
        r.toml
    );
    assert_eq!(r.prices.len(), 8);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

#[test]
fn another_region_reads_its_own_prefix() {
    let offer = r#"{"formatVersion": "v1.0", "offerCode": "AmazonSageMaker", "version": "1",
      "publicationDate": "2026-10-04T00:00:00Z",
      "products": {
        "A": {"sku": "A", "attributes": {"usagetype": "EU-Host:ml.m5.large", "regionCode": "eu-west-1"}},
        "B": {"sku": "B", "attributes": {"usagetype": "USE1-Host:ml.m5.xlarge"}},
        "C": {"sku": "C", "attributes": {"usagetype": "Host:ml.c5.large", "regionCode": "eu-west-1"}}
      },
      "terms": {"OnDemand": {
        "A": {"A.T": {"priceDimensions": {"A.T.R": {"unit": "Hrs", "beginRange": "0", "pricePerUnit": {"USD": "0.1280000000"}}}}},
        "B": {"B.T": {"priceDimensions": {"B.T.R": {"unit": "Hrs", "pricePerUnit": {"USD": "0.2300000000"}}}}},
        "C": {"C.T": {"priceDimensions": {"C.T.R": {"unit": "Hrs", "pricePerUnit": {"USD": "0.1000000000"}}}}}
      }}}"#;
    let r = refresh("eu-west-1", &[("eu.json".into(), offer.into())]).unwrap();
    let t = PriceTable::from_toml_str(&r.toml).unwrap();
    assert_eq!(t.region, "eu-west-1");
    assert_eq!(t.date, "2026-10-04");
    // Only EU- usage types: no unprefixed ones outside us-east-1.
    assert_eq!(t.sagemaker.hosting.len(), 1);
    assert_eq!(t.sagemaker.hosting.get("ml.m5.large"), Some(&0.128));
    assert_eq!(
        offer_url("AmazonSageMaker", "eu-west-1"),
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonSageMaker/current/eu-west-1/index.json"
    );
}

#[test]
fn bad_offer_files_are_reported_together_with_file_field_and_value() {
    let bad_price = r#"{"offerCode": "AmazonSageMaker", "publicationDate": "2026-09-25T00:03:13Z",
      "products": {"A": {"sku": "A", "attributes": {"usagetype": "USE1-Host:ml.m5.large"}},
                   "B": {"sku": "B", "attributes": {"usagetype": "USE1-Train:ml.m5.large"}}},
      "terms": {"OnDemand": {
        "A": {"A.T": {"priceDimensions": {"A.T.R": {"pricePerUnit": {"USD": "-0.1"}}}}},
        "B": {"B.T": {"priceDimensions": {"B.T.R": {"pricePerUnit": {"EUR": "0.1"}}}}}}}}"#;
    let bad_date =
        r#"{"offerCode": "AmazonS3", "publicationDate": "yesterday", "products": {}, "terms": {}}"#;
    let e = refresh(
        "us-east-1",
        &[
            ("price.json".into(), bad_price.into()),
            ("date.json".into(), bad_date.into()),
            ("garbage.json".into(), "{\"offerCode\": 1".into()),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.problems[..3],
        [
            "price.json: terms.OnDemand.A.A.T.priceDimensions.A.T.R.pricePerUnit.USD = \"-0.1\": not a price (a decimal number of at least 0, e.g. \"0.1150000000\")",
            "price.json: terms.OnDemand.B.B.T.priceDimensions.B.T.R.pricePerUnit: no USD price",
            "date.json: publicationDate = \"yesterday\": expected a date and time such as \"2026-09-25T00:03:13Z\"",
        ]
    );
    assert!(
        e.problems[3].starts_with("garbage.json: not an AWS Price List offer file"),
        "{:?}",
        e.problems
    );
    assert_eq!(e.problems.len(), 4);
    // No file, an unknown region.
    assert!(refresh("us-east-1", &[]).unwrap_err().problems[0].starts_with("no offer file given"));
    let e = refresh("mars-north-1", &offers()).unwrap_err();
    assert!(
        e.problems[0].starts_with("--region \"mars-north-1\": no Price List usage-type prefix"),
        "{e}"
    );
}

#[test]
fn an_offer_the_estimate_does_not_use_is_a_note() {
    let ec2 = r#"{"offerCode": "AmazonEC2", "publicationDate": "2026-09-25T00:03:13Z", "products": {}, "terms": {}}"#;
    let mut files = offers();
    files.push(("ec2.json".into(), ec2.into()));
    let r = refresh("us-east-1", &files).unwrap();
    assert_eq!(r.notes.len(), 1);
    assert!(
        r.notes[0].starts_with("ec2.json: offer \"AmazonEC2\" is not one the estimate uses"),
        "{:?}",
        r.notes
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// An offer file with arbitrary usage types, SKUs and price texts.
    fn offer_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec((any::<String>(), "USE1-(Host|Train|Tsform):ml\\.[a-z0-9.]{1,8}|.{0,20}"), 0..4),
            prop::collection::vec(prop_oneof![any::<String>(), "[0-9.]{1,12}".prop_map(String::from)], 4),
        )
            .prop_map(|(products, prices)| {
                let mut p = serde_json::Map::new();
                let mut t = serde_json::Map::new();
                for (i, (sku, usage)) in products.iter().enumerate() {
                    p.insert(sku.clone(), serde_json::json!({"sku": sku, "attributes": {"usagetype": usage}}));
                    t.insert(sku.clone(), serde_json::json!({"T": {"priceDimensions": {
                        "R": {"beginRange": prices[i % 4], "pricePerUnit": {"USD": prices[(i + 1) % 4]}}}}}));
                }
                serde_json::json!({"offerCode": "AmazonSageMaker", "publicationDate": "2026-09-25T00:03:13Z",
                    "products": p, "terms": {"OnDemand": t}})
                .to_string()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_refused_or_read_and_the_table_it_writes_loads(
            text in prop_oneof![any::<String>(), offer_text()],
        ) {
            if let Ok(r) = refresh("us-east-1", &[("f.json".into(), text)]) {
                let t = PriceTable::from_toml_str(&r.toml);
                prop_assert!(t.is_ok(), "{:?}\n{}", t.err(), r.toml);
            }
        }
    }
}

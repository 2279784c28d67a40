//! Monthly cost estimate of a CloudFormation
//! [`Template`](crate::core::Template) from a dated price table, and the
//! budget guard.
//!
//! Each priced resource gets a floor and a ceiling with its assumption written
//! out: real-time variants from their minimum to maximum capacity around the
//! clock, serverless from provisioned concurrency to the expected requests,
//! pipeline jobs, monitoring schedules and Glue jobs from their runs per month
//! × maximum runtime × instances, S3 storage, data capture and Athena scans from
//! the stage's usage [`Assumptions`] (its stage file's `[assumptions]` table),
//! and fixed monthly items. A price missing from the table is reported as
//! unknown, never as zero.
//!
//! The shipped table ([`DEFAULT_PRICES`], us-east-1) holds verified prices
//! only, each with its source and date; [`refresh`] rebuilds a region's table
//! from AWS Price List offer files, and [`compare`] sets two estimates side
//! by side (`cost --against DIR`, the stage diff's monthly cost).
//!
//! ```
//! use mlcdk::core::Template;
//! use mlcdk::cost::{Assumptions, PriceTable, estimate};
//!
//! let prices = PriceTable::from_toml_str(r#"
//!     region = "us-east-1"
//!     date = "2026-11-29"
//!     source = "a test table"
//!     [sagemaker.hosting]
//!     "ml.m5.large" = 0.1
//! "#).unwrap();
//! let template = Template::from_json_str(r#"{"Resources": {
//!   "Cfg": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [
//!     {"VariantName": "Primary", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}]}},
//!   "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointConfigName": {"Fn::GetAtt": ["Cfg", "EndpointConfigName"]}}}
//! }}"#).unwrap();
//! let e = estimate(&template, &prices, &Assumptions::default());
//! assert_eq!(e.lines[0].ceiling, Some(2.0 * 730.0 * 0.1));
//! ```

#[doc(inline)]
pub use mlcdk_cost::*;

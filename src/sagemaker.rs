//! Building blocks shared by the SageMaker constructs: instance types and
//! container images as types, the built-in algorithm images, and endpoint
//! references.
//!
//! ```
//! use mlcdk::sagemaker::{EndpointRef, InstanceType, XgboostVersion, images};
//!
//! let t: InstanceType = "ml.m5.xlarge".parse().unwrap();
//! let image = images::xgboost("us-east-1", XgboostVersion::default()).unwrap();
//! assert_eq!(image.tag, "3.0-5");
//! let shared = EndpointRef::from_name("fraud-prod-scoring", ["AllTraffic"]);
//! # let _ = (t, shared);
//! ```

#[doc(inline)]
pub use mlcdk_sagemaker::*;

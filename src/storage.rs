//! Storage constructs: S3 buckets and KMS keys, safe by default.
//!
//! ```
//! use mlcdk::core::Stack;
//! use mlcdk::storage::{Bucket, BucketEncryption, BucketProps, LifecycleRule};
//!
//! let mut stack = Stack::for_test();
//! let curated = Bucket::new(&mut stack, "Curated", BucketProps {
//!     encryption: BucketEncryption::Kms(None), // a key created for the bucket
//!     versioned: true,
//!     lifecycle_rules: vec![LifecycleRule::tiering("tiering", None, 30)],
//!     ..Default::default()
//! });
//! let features = curated.path("features/");
//! assert!(stack.synth().is_ok());
//! ```

#[doc(inline)]
pub use mlcdk_storage::*;

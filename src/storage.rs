//! Storage constructs: S3 buckets and KMS keys, safe by default.
//!
//! ```
//! use mlcdk::core::Stack;
//! use mlcdk::storage::{Bucket, BucketEncryption, BucketProps, LifecycleRule};
//!
//! let mut stack = Stack::for_test();
//! let curated = Bucket::new(&mut stack, "Curated", BucketProps {
//!     encryption: BucketEncryption::Kms(None), // a key created for the bucket
//!     lifecycle_rules: vec![LifecycleRule::tiering("tiering", None, 30)],
//!     ..Default::default() // versioned, access logs to the stack's log bucket
//! });
//! let features = curated.prefix("features/");
//! assert!(stack.synth().is_ok());
//! ```

#[doc(inline)]
pub use mlcdk_storage::*;

//! Storage constructs: S3 buckets and KMS keys, safe by default.
//!
//! Part of mlcdk: use it as `mlcdk::storage`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod bucket;
mod kms;

pub use bucket::{
    AccessLogging, AccessLogs, Bucket, BucketEncryption, BucketProps, LifecycleRule, S3Path,
    STACK_LOG_BUCKET_ID, STACK_LOG_RETENTION_DAYS, StorageClass, check_bucket_name,
    deny_insecure_transport,
};
pub use kms::{KeyRef, KmsKey, KmsKeyProps};

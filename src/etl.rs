//! ETL constructs: the Glue Data Catalog (databases, crawlers), Glue jobs,
//! Athena workgroups and SageMaker Feature Store groups.
//!
//! Every job and crawler gets its own least-privilege role and a security
//! configuration that encrypts its logs, bookmarks and S3 output; jobs are
//! bounded by default (timeout, retries, concurrency); workgroups cap the bytes
//! a query scans.

#[doc(inline)]
pub use mlcdk_etl::*;

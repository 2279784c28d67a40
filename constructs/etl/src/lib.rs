//! ETL constructs: the Glue Data Catalog (databases, crawlers), Glue jobs,
//! Athena workgroups and SageMaker Feature Store groups.
//!
//! Every job and crawler gets its own least-privilege role and a security
//! configuration that encrypts its logs, bookmarks and S3 output; jobs are
//! bounded by default (timeout, retries, concurrency); workgroups cap the bytes
//! a query scans.

mod athena;
mod crawler;
mod database;
mod feature_group;
mod job;
mod security;

pub use athena::{
    AthenaWorkGroup, AthenaWorkGroupProps, DEFAULT_BYTES_SCANNED_CUTOFF, MIN_BYTES_SCANNED_CUTOFF,
};
pub use crawler::{Crawler, CrawlerProps};
pub use database::{GlueDatabase, GlueDatabaseProps};
pub use feature_group::{FeatureGroup, FeatureGroupProps, FeatureType};
pub use job::{GlueJob, GlueJobProps, JobKind, PythonShellCapacity, Script, WorkerType};

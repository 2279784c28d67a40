//! ETL constructs: the Glue Data Catalog (databases, crawlers), Glue jobs,
//! Athena workgroups and SageMaker Feature Store groups.
//!
//! Part of mlcdk: use it as `mlcdk::etl`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

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
pub use feature_group::{Feature, FeatureGroup, FeatureGroupProps, FeatureType};
pub use job::{GlueJob, GlueJobKind, GlueJobProps, PythonShellCapacity, Script, WorkerType};

//! Stateful resource types: the ones whose replacement or deletion loses data.
//!
//! Production retains them, the deployer refuses to replace or delete them
//! without an explicit flag, and the rule pack checks their policies. One list,
//! used by all three.

/// Resource types that hold data which a replacement or deletion would lose.
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::SageMaker::FeatureGroup",
    "AWS::Glue::Database",
];

/// Whether replacing or deleting a resource of `resource_type` loses data.
pub fn is_stateful(resource_type: &str) -> bool {
    STATEFUL_TYPES.contains(&resource_type)
}

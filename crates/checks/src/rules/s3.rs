//! S3 rules: encryption, public access, TLS, versioning and access logs of buckets.

use mlcdk_core::Template;
use mlcdk_core::template::reference_target as target;
use serde_json::Value;

use super::{is_true, of, statements};
use crate::{Hit, Options, Rule, Severity};
use Severity::{Error, Warning};

/// `S3-001`: buckets are encrypted.
pub(super) const ENCRYPTION: Rule = Rule {
    id: "S3-001",
    severity: Error,
    error_in_production: true,
    title: "buckets are encrypted",
    explanation: "Unencrypted data is readable by anyone who gets the disks or a misconfigured \
        principal. A bucket with BucketEncryption states how its objects are encrypted at \
        rest: SSE-S3 costs nothing, SSE-KMS adds a key whose use is logged in CloudTrail and \
        can be revoked. AWS: \
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html",
    check: s3_encryption,
};

/// `S3-002`: buckets block all public access.
pub(super) const PUBLIC_ACCESS: Rule = Rule {
    id: "S3-002",
    severity: Error,
    error_in_production: true,
    title: "buckets block all public access",
    explanation: "Training data and models are never public. All four Block Public Access settings \
        (BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets) guard \
        against a later ACL or bucket-policy mistake: a public ACL is refused or ignored and \
        a public policy is refused or has no effect. AWS: \
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    check: s3_public_access,
};

/// `S3-003`: bucket policies deny requests without TLS.
pub(super) const TLS_ONLY: Rule = Rule {
    id: "S3-003",
    severity: Error,
    error_in_production: true,
    title: "bucket policies deny requests without TLS",
    explanation: "Plain HTTP exposes data and credentials in transit, and S3 accepts it unless a \
        bucket policy refuses it: a Deny statement on the condition aws:SecureTransport = \
        false. AWS: \
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
    check: s3_tls_only,
};

/// `S3-004`: buckets are versioned.
pub(super) const VERSIONING: Rule = Rule {
    id: "S3-004",
    severity: Warning,
    error_in_production: false,
    title: "buckets are versioned",
    explanation: "Pipelines overwrite data and model artifacts; versioning keeps every version of an \
        object, so a bad write or delete can be undone. Buckets that receive access logs are \
        exempt. AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
    check: s3_versioning,
};

/// `S3-005`: buckets log access.
pub(super) const ACCESS_LOGGING: Rule = Rule {
    id: "S3-005",
    severity: Warning,
    error_in_production: false,
    title: "buckets log access",
    explanation: "Server access logs record the requests made to a bucket, so \"who read this data\" can \
        be answered after the fact. A bucket that receives access logs is exempt (logging \
        into itself loops). AWS: \
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html",
    check: s3_access_logging,
};

/// The check of [`ENCRYPTION`].
fn s3_encryption(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::S3::Bucket") {
        if r.prop(&["BucketEncryption", "ServerSideEncryptionConfiguration"])
            .is_none()
        {
            out.push(Hit::new(
                id,
                "bucket has no default encryption; set BucketEncryption (SSE-KMS or SSE-S3)",
            ).fix("Bucket encrypts by default; BucketProps { encryption: BucketEncryption::Kms(..) } for SSE-KMS"));
        }
    }
}

/// The check of [`PUBLIC_ACCESS`].
fn s3_public_access(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    const FLAGS: [&str; 4] = [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ];
    for (id, r) in of(t, "AWS::S3::Bucket") {
        let missing: Vec<&str> = FLAGS
            .iter()
            .filter(|f| !is_true(r.prop(&["PublicAccessBlockConfiguration", f])))
            .copied()
            .collect();
        if !missing.is_empty() {
            out.push(Hit::new(id, format!("public access is not fully blocked ({} not true); set all four PublicAccessBlockConfiguration flags", missing.join(", "))).fix("Bucket blocks all public access; build the bucket with Bucket::new"));
        }
    }
}

/// The check of [`TLS_ONLY`].
fn s3_tls_only(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, _) in of(t, "AWS::S3::Bucket") {
        let denied = of(t, "AWS::S3::BucketPolicy").any(|(_, p)| {
            p.prop(&["Bucket"]).and_then(target) == Some(id)
                && statements(p.prop(&["PolicyDocument"])).iter().any(|s| {
                    s.get("Effect").and_then(Value::as_str) == Some("Deny")
                        && s.pointer("/Condition/Bool/aws:SecureTransport")
                            .is_some_and(|v| v == "false" || v == &Value::Bool(false))
                })
        });
        if !denied {
            out.push(Hit::new(id, "no bucket policy denies aws:SecureTransport=false; add a Deny statement for requests without TLS").fix("Bucket adds this statement; build the bucket with Bucket::new"));
        }
    }
}

/// The check of [`VERSIONING`].
fn s3_versioning(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::S3::Bucket") {
        if r.prop(&["VersioningConfiguration", "Status"])
            .and_then(Value::as_str)
            != Some("Enabled")
            && !is_log_target(t, id)
        {
            out.push(
                Hit::new(
                    id,
                    "versioning is off; set VersioningConfiguration.Status to Enabled",
                )
                .fix("BucketProps { versioned: true }"),
            );
        }
    }
}

/// The check of [`ACCESS_LOGGING`].
fn s3_access_logging(t: &Template, _: &Options, out: &mut Vec<Hit>) {
    for (id, r) in of(t, "AWS::S3::Bucket") {
        if r.prop(&["LoggingConfiguration"]).is_none() && !is_log_target(t, id) {
            out.push(
                Hit::new(
                    id,
                    "no server access logging; set LoggingConfiguration to a log bucket",
                )
                .fix("BucketProps { access_logs: AccessLogging::StackLogBucket } (the default) or AccessLogging::To(..)"),
            );
        }
    }
}

fn is_log_target(t: &Template, id: &str) -> bool {
    of(t, "AWS::S3::Bucket").any(|(_, r)| {
        r.prop(&["LoggingConfiguration", "DestinationBucketName"])
            .and_then(target)
            == Some(id)
    })
}

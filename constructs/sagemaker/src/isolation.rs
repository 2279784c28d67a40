//! Whether a SageMaker container may reach the network.

/// Network access of a SageMaker container (a model's, a monitoring job's).
///
/// Isolated by default: the container cannot call out, so a compromised
/// model or dependency cannot send data anywhere. Opening it is a choice a
/// reviewer should see, so it carries its reason, and the construct turns the
/// reason into the suppression of the checks that flag an open container
/// (checkov `CKV_AWS_370`, mlcdk `SM-003`); a reason shorter than
/// [`MIN_REASON_CHARS`](mlcdk_core::suppression::MIN_REASON_CHARS) is a
/// validation error at synth.
///
/// ```
/// use mlcdk_sagemaker::NetworkIsolation;
///
/// let open = NetworkIsolation::open("serverless inference does not run isolated models");
/// assert!(!open.is_isolated());
/// assert!(NetworkIsolation::default().is_isolated());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NetworkIsolation {
    /// No network access (`EnableNetworkIsolation: true`).
    #[default]
    Isolated,
    /// Network access, and why it is needed.
    Open {
        /// Why this container needs the network (shown to reviewers and in
        /// `check`'s suppressed findings).
        reason: String,
    },
}

impl NetworkIsolation {
    /// Network access, for `reason`.
    pub fn open(reason: impl Into<String>) -> NetworkIsolation {
        NetworkIsolation::Open {
            reason: reason.into(),
        }
    }

    /// Whether the container has no network access.
    pub fn is_isolated(&self) -> bool {
        matches!(self, NetworkIsolation::Isolated)
    }

    /// An open container's reason must say why: at least
    /// [`MIN_REASON_CHARS`](mlcdk_core::suppression::MIN_REASON_CHARS)
    /// characters. The error names the field and what is accepted.
    pub fn check(&self) -> Result<(), String> {
        match self {
            NetworkIsolation::Isolated => Ok(()),
            NetworkIsolation::Open { reason } => {
                let chars = reason.trim().chars().count();
                let min = mlcdk_core::suppression::MIN_REASON_CHARS;
                if chars < min {
                    Err(format!(
                        "network_isolation: NetworkIsolation::Open needs a reason of at least {min} characters (got '{reason}', {chars}): a reviewer must see why the container needs the network"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Why the container may reach the network, when it may.
    pub fn reason(&self) -> Option<&str> {
        match self {
            NetworkIsolation::Isolated => None,
            NetworkIsolation::Open { reason } => Some(reason),
        }
    }
}

//! Validation errors, gathered with construct paths and reported together.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a definition, attributed to a construct path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// `<stack-name>/<construct path>`, or the stack name alone.
    pub path: String,
    /// The value, the rule and the accepted range.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.path, self.message)
    }
}

/// Every validation error of a synth.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} validation error{}:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    /// Whether there are no errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &ValidationError> {
        self.0.iter()
    }

    /// Whether any error message contains `needle` (for tests).
    pub fn mentions(&self, needle: &str) -> bool {
        self.0.iter().any(|e| e.to_string().contains(needle))
    }
}

/// Why writing a cloud assembly failed.
#[derive(Debug, thiserror::Error)]
pub enum AssemblyError {
    /// The definition did not validate; nothing was written.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

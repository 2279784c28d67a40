//! The model registry: SageMaker model package groups, and pinned model
//! versions to deploy from them.
//!
//! Inference deploys a *pinned* version (a model package ARN), never "whatever
//! training produced last": promoting a model to production is a reviewed
//! change of a stage knob. Registration approval follows the stage kind (the
//! training pipeline registers with manual approval in production stages).
//!
//! ```
//! use mlcdk::core::Stack;
//! use mlcdk::registry::{ModelRegistry, ModelRegistryProps};
//!
//! let mut stack = Stack::for_test();
//! let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps {
//!     cross_account_readers: vec!["222222222222".into()],
//!     ..Default::default()
//! });
//! let v3 = registry.version(3); // arn:…:model-package/test-staging-churn/3
//! assert!(stack.synth().is_ok());
//! ```

#[doc(inline)]
pub use mlcdk_registry::*;

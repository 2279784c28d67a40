//! Inference constructs: models (from the registry, an artifact, a
//! multi-model prefix, or several containers) and the endpoint kinds.
//!
//! Which endpoint to pick:
//!
//! | kind | traffic | latency | cost model |
//! |---|---|---|---|
//! | [`RealtimeEndpoint`] | steady | lowest, no cold start | per instance-hour, even idle |
//! | [`ServerlessEndpoint`] | spiky or rare | cold starts (provisioned concurrency avoids them) | per request and GB-second |
//! | [`AsyncEndpoint`] | long or large requests, bursts | minutes are fine; queued | per instance-hour, zero when idle |
//! | [`MultiModelEndpoint`] | many small models, uneven use | first call of a model loads it | one fleet for all models |
//!
//! Batch transform (offline scoring) is a step of the training pipeline.
//!
//! ```
//! use mlcdk::core::{PhysicallyNamed, Stack};
//! use mlcdk::inference::*;
//! use mlcdk::registry::{ModelRegistry, ModelRegistryProps};
//! use mlcdk::sagemaker::EndpointRef;
//!
//! let mut stack = Stack::for_test();
//! let registry = ModelRegistry::new(&mut stack, "Churn", ModelRegistryProps::default());
//! let model = Model::new(&mut stack, "Churn3", ModelProps::from_registry(registry.version(3)));
//! let serve = RealtimeEndpoint::new(&mut stack, "Serve", RealtimeEndpointProps {
//!     idle_hours: Some(12),
//!     ..RealtimeEndpointProps::autoscaled(&model, InstanceType::m5_large(), Autoscaling::between(1, 3))
//! });
//! let for_monitors = EndpointRef::from(&serve);
//! assert_eq!(for_monitors.physical_name(), serve.physical_name());
//! assert!(stack.synth().is_ok());
//! ```

#[doc(inline)]
pub use mlcdk_inference::*;

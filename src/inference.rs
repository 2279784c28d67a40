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

#[doc(inline)]
pub use mlcdk_inference::*;

//! Monitoring and retraining: Model Monitor schedules on endpoints that
//! capture data, drift alarms (on Model Monitor metrics or any metric) that
//! start the training pipeline, an encrypted alerts topic, and a budget.

#[doc(inline)]
pub use mlcdk_monitoring::*;

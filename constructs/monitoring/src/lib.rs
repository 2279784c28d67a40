//! Monitoring and retraining: Model Monitor schedules on endpoints that
//! capture data, drift alarms (on Model Monitor metrics or any metric) that
//! start the training pipeline, an encrypted alerts topic, and a budget.
//!
//! Part of mlcdk: use it as `mlcdk::monitoring`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod alerts;
mod budget;
mod monitor;
mod numbers;

pub use alerts::{AlertsTopic, AlertsTopicProps};
pub use budget::{
    Budget, BudgetAlert, BudgetProps, BudgetSignal, COST_ALLOCATION_TAG, cost_filter_tag,
};
pub use monitor::{
    CustomMetric, DataQuality, DriftAlarm, DriftAlarmProps, DriftThreshold, ModelQuality, Monitor,
    MonitorKind, MonitorProps, MonitorSchedule, ProblemType, RetrainOnAlarm, RetrainOnAlarmProps,
};

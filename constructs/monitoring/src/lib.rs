//! Monitoring and retraining: drift and model-quality jobs on endpoints that
//! capture data (run on SageMaker Pipelines, compared with the baseline the
//! training pipeline registered), drift alarms that start the training
//! pipeline, an encrypted alerts topic, and a budget. Model Monitor
//! schedules stay available as an explicit backend ([`ModelMonitor`]) for
//! accounts that already use it.
//!
//! Part of mlcdk: use it as `mlcdk::monitoring`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

mod alarms;
mod alerts;
mod budget;
mod model_monitor;
mod monitor;
mod numbers;
mod schedule;

pub use alarms::{
    CustomMetric, DriftAlarm, DriftAlarmProps, DriftStatistic, DriftThreshold, RetrainOnAlarm,
    RetrainOnAlarmProps, RetrainOnDrift,
};
pub use alerts::{AlertsTopic, AlertsTopicProps};
pub use budget::{
    Budget, BudgetAlert, BudgetProps, BudgetSignal, COST_ALLOCATION_TAG, cost_filter_tag,
};
pub use model_monitor::{
    DataQuality, ModelMonitor, ModelMonitorKind, ModelMonitorProps, ModelQuality,
};
pub use monitor::{
    Baseline, MONITOR_NAMESPACE, Monitor, MonitorCheck, MonitorProps, MonitorScript, ProblemType,
    QualityMetric, QualityThreshold,
};
pub use schedule::MonitorSchedule;

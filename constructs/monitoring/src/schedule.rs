//! When a monitoring job runs.

use mlcdk_core::schedule::{RateUnit, Schedule};

/// When a monitoring job runs: the forms of [`Schedule`] SageMaker Model
/// Monitor accepts. Props take a [`Schedule`] (`MonitorSchedule::Hourly.into()`,
/// or one read from a stage file); the monitor narrows it with
/// `MonitorSchedule::try_from` and refuses the others at synth.
///
/// ```
/// use mlcdk_core::schedule::Schedule;
/// use mlcdk_monitoring::MonitorSchedule;
///
/// let s: Schedule = "cron(0 3 ? * * *)".parse().unwrap();
/// assert_eq!(MonitorSchedule::try_from(s), Ok(MonitorSchedule::Daily { hour: 3 }));
/// assert!(MonitorSchedule::try_from(Schedule::weekly("MON", 3)).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorSchedule {
    /// `cron(0 * ? * * *)`
    Hourly,
    /// `cron(0 H ? * * *)`, at `hour` UTC.
    Daily {
        /// 0–23, UTC.
        hour: u32,
    },
    /// `cron(0 H/N ? * * *)`: every `every` hours from `start` UTC.
    EveryHours {
        /// The first run's hour of the day, 0–23, UTC.
        start: u32,
        /// Hours between runs, 1–24.
        every: u32,
    },
}

impl MonitorSchedule {
    /// The `cron(...)` expression, or why the hours are out of range.
    pub fn expression(self) -> Result<String, String> {
        match self {
            MonitorSchedule::Hourly => Ok("cron(0 * ? * * *)".into()),
            MonitorSchedule::Daily { hour } if hour <= 23 => Ok(format!("cron(0 {hour} ? * * *)")),
            MonitorSchedule::Daily { hour } => {
                Err(format!("daily at hour {hour}: hours are 0 to 23"))
            }
            MonitorSchedule::EveryHours { start, every }
                if start <= 23 && (1..=24).contains(&every) =>
            {
                Ok(format!("cron(0 {start}/{every} ? * * *)"))
            }
            MonitorSchedule::EveryHours { start, every } => Err(format!(
                "every {every} hours from {start}: the start hour is 0 to 23 and the interval 1 to 24 hours"
            )),
        }
    }

    /// The longest a run may take: the interval between runs, in seconds.
    pub(crate) fn interval_seconds(self) -> u32 {
        match self {
            MonitorSchedule::Hourly => 3600,
            MonitorSchedule::Daily { .. } => 86_400,
            MonitorSchedule::EveryHours { every, .. } => every.clamp(1, 24) * 3600,
        }
    }
}

impl From<MonitorSchedule> for Schedule {
    fn from(s: MonitorSchedule) -> Schedule {
        let hours = match s {
            MonitorSchedule::Hourly => "*".to_string(),
            MonitorSchedule::Daily { hour } => hour.to_string(),
            MonitorSchedule::EveryHours { start, every } => format!("{start}/{every}"),
        };
        Schedule::Cron(format!("0 {hours} ? * * *"))
    }
}

impl TryFrom<Schedule> for MonitorSchedule {
    type Error = String;

    /// The schedule as one of the forms Model Monitor accepts: hourly,
    /// daily at an hour, or every N hours from an hour (as cron fields, either
    /// day field `?`, or the rates `rate(N hours)` with N 1–24 and
    /// `rate(1 day)`).
    fn try_from(schedule: Schedule) -> Result<MonitorSchedule, String> {
        let expression = schedule.expression()?;
        let reject = || {
            format!(
                "schedule '{expression}' is not a form Model Monitor accepts: hourly 'cron(0 * ? * * *)', daily 'cron(0 H ? * * *)' or every N hours 'cron(0 H/N ? * * *)'"
            )
        };
        let narrowed = match &schedule {
            Schedule::Rate(1, RateUnit::Hours) => MonitorSchedule::Hourly,
            Schedule::Rate(n, RateUnit::Hours) => MonitorSchedule::EveryHours {
                start: 0,
                every: *n,
            },
            Schedule::Rate(1, RateUnit::Days) => MonitorSchedule::Daily { hour: 0 },
            Schedule::Rate(..) => return Err(reject()),
            Schedule::Cron(_) => {
                let fields: Vec<&str> = expression
                    .strip_prefix("cron(")
                    .and_then(|e| e.strip_suffix(')'))
                    .map(|e| e.split_whitespace().collect())
                    .unwrap_or_default();
                let [minute, hour, dom, month, dow, year] = fields[..] else {
                    return Err(reject());
                };
                let days_ok = matches!((dom, dow), ("?", "*") | ("*", "?"));
                if minute != "0" || !days_ok || month != "*" || year != "*" {
                    return Err(reject());
                }
                let number = |t: &str| t.parse::<u32>().map_err(|_| reject());
                match hour.split_once('/') {
                    _ if hour == "*" => MonitorSchedule::Hourly,
                    Some((start, every)) => MonitorSchedule::EveryHours {
                        start: if start == "*" { 0 } else { number(start)? },
                        every: number(every)?,
                    },
                    None => MonitorSchedule::Daily {
                        hour: number(hour)?,
                    },
                }
            }
        };
        narrowed.expression().map(|_| narrowed)
    }
}

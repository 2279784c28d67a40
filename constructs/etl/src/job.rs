//! Glue jobs: PySpark (`glueetl`) and Python shell.

use std::collections::BTreeMap;

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::naming::{self};
use mlcdk_core::schedule::Schedule;
use mlcdk_core::{
    Asset, CfnResource, Construct, Expr, Handle, Json, PhysicallyNamed, ResourceRef, Scope,
};
use mlcdk_storage::{KeyRef, S3Path};

use crate::security::{checked_glue_schedule, grant_glue_basics, security_configuration};

/// Spark worker types for batch jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerType {
    /// 1 DPU (4 vCPU, 16 GB).
    G1X,
    /// 2 DPU (8 vCPU, 32 GB).
    G2X,
    /// 4 DPU (16 vCPU, 64 GB).
    G4X,
    /// 8 DPU (32 vCPU, 128 GB).
    G8X,
    /// 0.25 DPU: streaming jobs only, refused for batch jobs.
    G025X,
}

impl WorkerType {
    /// The name Glue uses, e.g. `G.1X`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerType::G1X => "G.1X",
            WorkerType::G2X => "G.2X",
            WorkerType::G4X => "G.4X",
            WorkerType::G8X => "G.8X",
            WorkerType::G025X => "G.025X",
        }
    }

    /// The most workers mlcdk allows a job of this type. Glue documents 299
    /// workers for G.1X and 149 for G.2X; the larger types get the same DPU
    /// budget (~300 DPU), which also bounds what one run can cost.
    pub fn max_workers(self) -> u32 {
        match self {
            WorkerType::G1X => 299,
            WorkerType::G2X => 149,
            WorkerType::G4X => 74,
            WorkerType::G8X => 37,
            WorkerType::G025X => 0,
        }
    }
}

/// Python shell capacity: Glue accepts exactly these two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PythonShellCapacity {
    /// 0.0625 DPU (1 GB).
    Sixteenth,
    /// 1 DPU (16 GB).
    One,
}

/// What runs, with the capacity that fits it: Spark workers exist only for
/// PySpark jobs, and a Python shell job has one of its two capacities, so a
/// Python shell job cannot be given workers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlueJobKind {
    /// `glueetl`: Spark, with workers.
    PySpark {
        /// The size of each worker.
        worker_type: WorkerType,
        /// How many, 2 up to [`WorkerType::max_workers`]; a run costs
        /// workers × DPU of the type × hours.
        workers: u32,
    },
    /// `pythonshell`: one Python process.
    PythonShell {
        /// 1/16 or 1 DPU.
        capacity: PythonShellCapacity,
    },
}

/// Where the script is.
// Built once per job: boxing the path would only make it harder to write.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Script {
    /// A local file, uploaded as an asset.
    File(String),
    /// An object already in S3.
    S3(S3Path),
}

/// Props of a [`GlueJob`]: `GlueJobProps { reads: vec![..], ..GlueJobProps::pyspark("job.py") }`.
/// The defaults bound the cost of a run: 60-minute timeout, no retries, one
/// run at a time, on demand.
#[derive(Clone, Debug)]
pub struct GlueJobProps {
    /// The script to run.
    pub script: Script,
    /// PySpark with its workers, or Python shell with its capacity.
    pub kind: GlueJobKind,
    /// Default `4.0` for PySpark (4.0 or newer), `3.0` for Python shell.
    pub glue_version: Option<String>,
    /// Minutes, 1–2,880.
    pub timeout_minutes: u32,
    /// 0–10.
    pub max_retries: u32,
    /// At least 1.
    pub max_concurrent_runs: u32,
    /// Job bookmarks (process only new data on each run). PySpark only:
    /// refused for Python shell jobs.
    pub bookmarks: bool,
    /// `--name` → value; values may be references (`bucket.prefix("x/").uri()`).
    pub arguments: BTreeMap<String, Expr>,
    /// Read access for the job's role.
    pub reads: Vec<S3Path>,
    /// Read-write access for the job's role. The bucket of the first also
    /// holds Spark's scratch space, under `glue-temp/` (`--TempDir`).
    pub writes: Vec<S3Path>,
    /// Runs the job on a schedule (an `AWS::Glue::Trigger` of type
    /// `SCHEDULED`, started on creation); Glue takes cron schedules only.
    /// On demand when `None`.
    pub schedule: Option<Schedule>,
    /// Key of the logs and bookmarks; created when `None`.
    pub encryption_key: Option<KeyRef>,
    /// Shown in the Glue console; up to 2,048 characters.
    pub description: Option<String>,
}

impl GlueJobProps {
    /// A job running `script` as `kind`, with the defaults.
    pub fn new(script: Script, kind: GlueJobKind) -> GlueJobProps {
        let bookmarks = matches!(kind, GlueJobKind::PySpark { .. });
        GlueJobProps {
            script,
            kind,
            glue_version: None,
            timeout_minutes: 60,
            max_retries: 0,
            max_concurrent_runs: 1,
            bookmarks,
            arguments: BTreeMap::new(),
            reads: Vec::new(),
            writes: Vec::new(),
            schedule: None,
            encryption_key: None,
            description: None,
        }
    }

    /// A PySpark job running `script` (a file path, relative to the app's base
    /// directory), on 2 G.1X workers, with bookmarks.
    pub fn pyspark(script: &str) -> GlueJobProps {
        GlueJobProps::new(
            Script::File(script.to_string()),
            GlueJobKind::PySpark {
                worker_type: WorkerType::G1X,
                workers: 2,
            },
        )
    }

    /// A Python shell job running `script`, on 1/16 DPU.
    pub fn python_shell(script: &str) -> GlueJobProps {
        GlueJobProps::new(
            Script::File(script.to_string()),
            GlueJobKind::PythonShell {
                capacity: PythonShellCapacity::Sixteenth,
            },
        )
    }
}

/// Arguments mlcdk sets itself; set them through the props instead.
const OWN_ARGUMENTS: [&str; 4] = [
    "--job-bookmark-option",
    "--enable-metrics",
    "--enable-continuous-cloudwatch-log",
    "--TempDir",
];

/// A Glue job with its own least-privilege role, an encrypting security
/// configuration and, with a schedule, its trigger. A job is a [`Grantee`]
/// (its role): `lake.grant_read(&job)`.
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` is built on it, `physical_name()` is `<app>-<stage>-<path>`.
///
/// ```
/// use mlcdk_core::{Stack, schedule::Schedule};
/// use mlcdk_etl::{GlueJob, GlueJobKind, GlueJobProps, WorkerType};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test(); // assets resolve against the current directory
/// let raw = Bucket::new(&mut stack, "Raw", BucketProps::default());
/// let curated = Bucket::new(&mut stack, "Curated", BucketProps::default());
/// let job = GlueJob::new(&mut stack, "Etl", GlueJobProps {
///     kind: GlueJobKind::PySpark { worker_type: WorkerType::G2X, workers: 4 },
///     reads: vec![raw.root()],
///     writes: vec![curated.prefix("features/")],
///     arguments: [("--output".to_string(), curated.prefix("features/").uri())].into(),
///     schedule: Some(Schedule::daily(4)),
///     ..GlueJobProps::pyspark("tests/fixtures/job.py")
/// });
/// assert!(job.trigger().is_some());
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct GlueJob {
    handle: Handle,
    security_configuration: ResourceRef,
    trigger: Option<ResourceRef>,
    role: Role,
    encryption_key: KeyRef,
}

impl GlueJob {
    /// A job, its role (read on `reads`, read-write on `writes`, its logs),
    /// its security configuration and its trigger, validated at synth:
    /// workers, Glue version, timeout, retries, arguments, schedule,
    /// description.
    pub fn new(scope: &mut impl Scope, id: &str, props: GlueJobProps) -> GlueJob {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let (command, default_version) = match props.kind {
            GlueJobKind::PySpark { .. } => ("glueetl", "4.0"),
            GlueJobKind::PythonShell { .. } => ("pythonshell", "3.0"),
        };
        let version = props
            .glue_version
            .clone()
            .unwrap_or_else(|| default_version.to_string());
        for e in validate(&props, &version) {
            node.error(e);
        }

        let description = format!("Glue job {}", node.path());
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some(description),
                ..RoleProps::assumed_by(Principal::service("glue.amazonaws.com"))
            },
        );
        let script_uri = match &props.script {
            Script::File(path) => {
                let asset = node.asset(Asset::file(path));
                role.add_to_policy(
                    PolicyStatement::allow()
                        .actions(["s3:GetObject"])
                        .resources([asset.object_arn()]),
                );
                asset.s3_uri()
            }
            Script::S3(path) => {
                path.grant_read(&role);
                path.uri()
            }
        };
        for r in &props.reads {
            r.grant_read(&role);
        }
        for w in &props.writes {
            w.grant_read_write(&role);
            if let GlueJobKind::PySpark { .. } = props.kind {
                // Spark writes through a Hadoop file system (EMRFS on Glue),
                // which probes the output prefix's own key and may write
                // `<prefix>_$folder$` markers beside it: outside `prefix/*`.
                w.grant_hadoop_write(&role);
            }
        }
        grant_glue_basics(&role, "/aws-glue/");

        // Glue applies one S3 encryption setting to everything a job writes.
        let write_keys: Vec<KeyRef> = props
            .writes
            .iter()
            .filter_map(|w| w.bucket.encryption_key())
            .collect();
        let s3_key = write_keys.first().cloned();
        if write_keys
            .iter()
            .any(|k| Some(k.arn()) != s3_key.as_ref().map(KeyRef::arn))
            || (s3_key.is_some() && write_keys.len() != props.writes.len())
        {
            node.error(
                "the job writes to buckets with different encryption; Glue applies one S3 encryption setting to all a job writes, so write to buckets that share one KMS key (or all use SSE-S3)",
            );
        }
        let security = security_configuration(
            &mut node,
            props.encryption_key.clone(),
            s3_key.as_ref(),
            &role,
        );
        let schedule = checked_glue_schedule(&mut node, props.schedule.as_ref());

        let mut args: Vec<(String, Json)> = vec![("--enable-metrics".into(), Json::from("true"))];
        if let GlueJobKind::PySpark { .. } = props.kind {
            args.push((
                "--job-bookmark-option".into(),
                Json::from(if props.bookmarks {
                    "job-bookmark-enable"
                } else {
                    "job-bookmark-disable"
                }),
            ));
            args.push((
                "--enable-continuous-cloudwatch-log".into(),
                Json::from("true"),
            ));
            // Spark's scratch space: beside the output, not inside it, so
            // whatever reads the output never sees temporary files.
            if let Some(w) = props.writes.first() {
                let temp = w.bucket.prefix("glue-temp/");
                temp.grant_read_write(&role);
                temp.grant_hadoop_write(&role);
                args.push(("--TempDir".into(), Json::from(temp.uri())));
            }
        }
        for (k, v) in &props.arguments {
            args.push((k.clone(), Json::from(v)));
        }

        let mut command_json = vec![
            ("Name", Json::from(command)),
            ("ScriptLocation", Json::from(script_uri)),
        ];
        let name = node.physical_name_for(naming::GLUE_JOB);
        let mut job = CfnResource::new("AWS::Glue::Job")
            .set("Name", name.as_str())
            .set("Role", role.arn())
            .set("GlueVersion", version.as_str())
            .set("Timeout", props.timeout_minutes)
            .set("MaxRetries", props.max_retries)
            .set(
                "ExecutionProperty",
                Json::object([("MaxConcurrentRuns", Json::from(props.max_concurrent_runs))]),
            )
            .set("SecurityConfiguration", security.name)
            // Named by a literal: only DependsOn makes the configuration
            // exist before CreateJob resolves it (see security.rs).
            .depends_on(&security.resource)
            .set("DefaultArguments", Json::object(args));
        match props.kind {
            GlueJobKind::PySpark {
                worker_type,
                workers,
            } => {
                job = job
                    .set("WorkerType", worker_type.as_str())
                    .set("NumberOfWorkers", workers);
            }
            GlueJobKind::PythonShell { capacity } => {
                command_json.push(("PythonVersion", Json::from("3.9")));
                // Two fixed, finite DPU values: `json!` renders them without
                // a fallible conversion.
                job = job.set(
                    "MaxCapacity",
                    Json::from(match capacity {
                        PythonShellCapacity::Sixteenth => serde_json::json!(0.0625),
                        PythonShellCapacity::One => serde_json::json!(1.0),
                    }),
                );
            }
        }
        job = job.set("Command", Json::object(command_json));
        if let Some(d) = &props.description {
            job = job.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", job);
        let trigger = schedule.map(|expression| {
            node.add_resource(
                "Trigger",
                CfnResource::new("AWS::Glue::Trigger")
                    .set("Type", "SCHEDULED")
                    .set("Schedule", expression.as_str())
                    .set("StartOnCreation", true)
                    .set(
                        "Actions",
                        Json::array([Json::object([(
                            "JobName",
                            Json::from(resource.reference()),
                        )])]),
                    ),
            )
        });
        GlueJob {
            handle: Handle::regional(resource, path, "glue", "job/").named(name),
            security_configuration: security.resource,
            trigger,
            role,
            encryption_key: security.key,
        }
    }

    /// The job's `AWS::Glue::SecurityConfiguration`.
    pub fn security_configuration(&self) -> &ResourceRef {
        &self.security_configuration
    }

    /// The scheduled `AWS::Glue::Trigger`, when the job has a schedule.
    pub fn trigger(&self) -> Option<&ResourceRef> {
        self.trigger.as_ref()
    }

    /// The key of the job's logs and bookmarks (given or created).
    pub fn encryption_key(&self) -> &KeyRef {
        &self.encryption_key
    }

    /// The job's role, e.g. to pass it (the job itself is a [`Grantee`]).
    pub fn role(&self) -> &Role {
        &self.role
    }
}

impl Construct for GlueJob {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for GlueJob {}

impl Grantee for GlueJob {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.role.add_to_policy(statement);
    }
}

fn validate(props: &GlueJobProps, version: &str) -> Vec<String> {
    let mut errors = Vec::new();
    match props.kind {
        GlueJobKind::PySpark {
            worker_type: worker,
            workers,
        } => {
            if worker == WorkerType::G025X {
                errors.push(
                    "worker type G.025X is for streaming jobs only; batch PySpark jobs use G.1X, G.2X, G.4X or G.8X".into(),
                );
            } else if !(2..=worker.max_workers()).contains(&workers) {
                errors.push(format!(
                    "{workers} {} workers is out of range: a PySpark job takes 2 to {} workers of this type",
                    worker.as_str(),
                    worker.max_workers()
                ));
            }
            let major = version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok());
            let shape_ok = version.split('.').count() == 2
                && version
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if !shape_ok || major.is_none_or(|m| m < 4) {
                errors.push(format!(
                    "glue_version '{version}' is not supported: PySpark jobs use Glue 4.0 or newer (e.g. '4.0', '5.0')"
                ));
            }
        }
        GlueJobKind::PythonShell { .. } => {
            if version != "3.0" {
                errors.push(format!(
                    "glue_version '{version}' is not supported for Python shell jobs: use '3.0' (Python 3.9)"
                ));
            }
            if props.bookmarks {
                errors.push("job bookmarks are for PySpark jobs; Python shell jobs have none (set bookmarks: false)".into());
            }
        }
    }
    if !(1..=2880).contains(&props.timeout_minutes) {
        errors.push(format!(
            "timeout_minutes {} is out of range: 1 to 2880 (48 hours)",
            props.timeout_minutes
        ));
    }
    if props.max_retries > 10 {
        errors.push(format!(
            "max_retries {} is out of range: 0 to 10",
            props.max_retries
        ));
    }
    if props.max_concurrent_runs == 0 {
        errors.push("max_concurrent_runs must be at least 1".into());
    }
    for k in props.arguments.keys() {
        if !k.starts_with("--") || k.len() < 3 {
            errors.push(format!("argument '{k}' must be named '--something'"));
        } else if OWN_ARGUMENTS.contains(&k.as_str()) {
            errors.push(format!(
                "argument '{k}' is set by mlcdk; use the props (bookmarks, writes) instead"
            ));
        }
    }
    if let Some(d) = &props.description
        && d.chars().count() > 2048
    {
        errors.push(format!(
            "description has {} characters; Glue accepts at most 2048",
            d.chars().count()
        ));
    }
    errors
}

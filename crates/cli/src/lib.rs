//! The command line every mlcdk app gets.
//!
//! Part of mlcdk: use it as `mlcdk::cli`, where it is documented with its
//! guide and examples.

#![warn(missing_docs)]

pub mod bootstrap;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use mlcdk_core::{App, Assembly, AssemblyError, ValidationErrors};

/// The exit codes (defined once, in `mlcdk_core::exit`, which the deployer
/// returns too).
pub use mlcdk_core::exit::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};

#[derive(Parser, Debug)]
#[command(
    about = "Synthesize, check and deploy this mlcdk app",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Where the plan writes templates (synth takes its own --out)
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write every stage's template and manifest.json
    Synth {
        /// Output directory
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Only this stage
        #[arg(long)]
        stage: Option<String>,
    },
    /// List stages, stacks, environments and resource counts
    List,
    /// Run the rule pack over the templates; exit 1 on any error finding
    Check {
        /// Only this stage
        #[arg(long, conflicts_with = "template")]
        stage: Option<String>,
        /// Check these CloudFormation template files (JSON) instead of the
        /// app's stages: any template, written by mlcdk or not
        #[arg(long, num_args = 1..)]
        template: Vec<PathBuf>,
        /// With --template: apply production severities and rules
        #[arg(long, requires = "template")]
        production: bool,
    },
    /// Estimate monthly cost per resource against the stage's budget; exit 1
    /// when the floor exceeds it
    Cost {
        /// Only this stage
        #[arg(long)]
        stage: Option<String>,
        /// Your own price table (TOML, the format of the shipped table, e.g.
        /// made by `prices refresh`); one per region, repeat for several.
        /// Stages in other regions use the shipped table of their region
        #[arg(long)]
        prices: Vec<PathBuf>,
        /// Compare with the templates in DIR (a previous `synth --out DIR`):
        /// per resource and in total, and what changed
        #[arg(long, value_name = "DIR")]
        against: Option<PathBuf>,
    },
    /// With --stage: what a deploy would change (a change set created, shown and
    /// deleted). With --stages a,b: every difference between two stages' templates.
    Diff {
        #[arg(long, conflicts_with = "stages", required_unless_present = "stages")]
        stage: Option<String>,
        /// Two stages to compare, e.g. staging,production (offline)
        #[arg(long, value_delimiter = ',')]
        stages: Option<Vec<String>>,
    },
    /// Deploy a stage through a change set
    Deploy {
        #[arg(long)]
        stage: String,
        /// Do not ask for confirmation (needed without a terminal)
        #[arg(long)]
        yes: bool,
        /// Allow replacing or deleting stateful resources (buckets, KMS keys, registries…)
        #[arg(long)]
        allow_replace: bool,
        /// Run drift detection first and refuse to overwrite drifted
        /// resources (always done for a production stage)
        #[arg(long)]
        check_drift: bool,
        /// Deploy even when it overwrites changes made outside CloudFormation
        /// (or drift detection did not finish)
        #[arg(long)]
        allow_drift: bool,
    },
    /// What was changed in a deployed stage outside its definition
    /// (CloudFormation drift detection); exit 1 when anything drifted
    Drift {
        #[arg(long)]
        stage: String,
    },
    /// Delete a stage's stack (retained resources are listed, not deleted)
    Destroy {
        #[arg(long)]
        stage: String,
        #[arg(long)]
        yes: bool,
        /// Required to destroy a production stage
        #[arg(long)]
        production: bool,
    },
    /// Create or update the assets bucket of a stage's account and region
    Bootstrap {
        #[arg(long)]
        stage: String,
        #[arg(long)]
        yes: bool,
    },
    /// Print the JSON Schema of the stage knobs (for stage files and editors)
    Schema,
    /// Price tables: rebuild one from the AWS Price List
    Prices {
        #[command(subcommand)]
        command: PricesCommand,
    },
    /// SageMaker JumpStart models: resolve one into the lock file synth reads
    Jumpstart {
        #[command(subcommand)]
        command: JumpstartCommand,
    },
}

#[derive(Subcommand, Debug)]
enum JumpstartCommand {
    /// Resolve MODEL_ID[@VERSION] from its JumpStart spec (a file you
    /// download; without --spec, print where) into the lock file
    Lock {
        /// The model id, and the version to pin (default: the spec's)
        #[arg(value_name = "MODEL_ID[@VERSION]")]
        model: String,
        /// A region to resolve the container for; repeat for several
        /// (default: the regions of the app's stages)
        #[arg(long)]
        region: Vec<String>,
        /// The model version's spec (specs_v<version>.json, JSON)
        #[arg(long, value_name = "FILE")]
        spec: Option<PathBuf>,
        /// The lock file (default: jumpstart.lock in the app's base directory)
        #[arg(long, value_name = "FILE")]
        lock: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum PricesCommand {
    /// Rebuild a region's price table from AWS Price List bulk offer files
    /// (public, no credentials); without --offer, print the files' URLs
    Refresh {
        /// The region of the table
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// An offer file (index.json) of AmazonSageMaker, AmazonCloudWatch,
        /// AWSGlue, awskms, AmazonS3 or AmazonAthena; repeat for several
        #[arg(long, value_name = "FILE")]
        offer: Vec<PathBuf>,
        /// Where to write the table (default prices-<region>.toml)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Set by [`main`]: the process ends after this run, so assemblies are not
/// freed piece by piece (about 9 % of a whole-process synth of the example;
/// the operating system reclaims the memory at once). [`run`] alone, as tests
/// call it, frees normally.
static PROCESS_ENDS_AFTER_RUN: AtomicBool = AtomicBool::new(false);

/// An assembly that is freed unless the process ends after this run.
struct Synthesized(Option<Assembly>);

impl std::ops::Deref for Synthesized {
    type Target = Assembly;
    fn deref(&self) -> &Assembly {
        self.0.as_ref().expect("taken only on drop")
    }
}

impl Drop for Synthesized {
    fn drop(&mut self) {
        if let Some(assembly) = self.0.take()
            && PROCESS_ENDS_AFTER_RUN.load(Ordering::Relaxed)
        {
            std::mem::forget(assembly);
        }
    }
}

fn synthesize<K>(app: &App<K>, stage: Option<&str>) -> Result<Synthesized, ValidationErrors> {
    app.synth(stage).map(|a| Synthesized(Some(a)))
}

/// Parse the process arguments, run, and exit with the documented code.
pub fn main<K>(app: App<K>) -> ExitCode {
    PROCESS_ENDS_AFTER_RUN.store(true, Ordering::Relaxed);
    let code = run(
        &app,
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}

/// Run with explicit arguments (the first is the program name) and outputs;
/// returns the exit code. This is what tests call.
pub fn run<K, I, T>(app: &App<K>, args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let is_help = matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            let rendered = e.render();
            let _ = if is_help {
                write!(out, "{rendered}")
            } else {
                write!(err, "{rendered}")
            };
            return if is_help { EXIT_OK } else { EXIT_USAGE };
        }
    };
    let result = match cli.command {
        None => plan(app, &cli.out, out),
        Some(Command::Synth { out: dir, stage }) => synth(app, &dir, stage.as_deref(), out),
        Some(Command::List) => list(app, out),
        Some(Command::Deploy {
            stage,
            yes,
            allow_replace,
            check_drift,
            allow_drift,
        }) => {
            let what = Remote::Deploy {
                yes,
                allow_replace,
                check_drift,
                allow_drift,
            };
            return remote(app, what, &stage, err);
        }
        Some(Command::Drift { stage }) => return remote(app, Remote::Drift, &stage, err),
        Some(Command::Diff {
            stages: Some(pair), ..
        }) => stage_diff(app, &pair, out),
        Some(Command::Diff { stage, .. }) => {
            return remote(app, Remote::Diff, stage.as_deref().unwrap_or_default(), err);
        }
        Some(Command::Destroy {
            stage,
            yes,
            production,
        }) => return remote(app, Remote::Destroy { yes, production }, &stage, err),
        Some(Command::Bootstrap { stage, yes }) => {
            return remote(app, Remote::Bootstrap { yes }, &stage, err);
        }
        Some(Command::Check {
            template,
            production,
            ..
        }) if !template.is_empty() => check_files(&template, production, out),
        Some(Command::Check { stage, .. }) => check(app, stage.as_deref(), out),
        Some(Command::Cost {
            stage,
            prices,
            against,
        }) => cost(app, stage.as_deref(), &prices, against.as_deref(), out),
        Some(Command::Prices {
            command:
                PricesCommand::Refresh {
                    region,
                    offer,
                    out: file,
                },
        }) => prices_refresh(&region, &offer, file.as_deref(), out),
        Some(Command::Jumpstart {
            command:
                JumpstartCommand::Lock {
                    model,
                    region,
                    spec,
                    lock,
                },
        }) => jumpstart_lock(app, &model, &region, spec.as_deref(), lock.as_deref(), out),
        Some(Command::Schema) => match app.schema() {
            Some(schema) => {
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(schema).unwrap_or_default()
                );
                Ok(())
            }
            None => {
                let _ = writeln!(
                    err,
                    "error: this app records no knobs schema; derive schemars::JsonSchema on the knobs and call App::with_schema (stage files do it for you)"
                );
                return EXIT_USAGE;
            }
        },
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(Failure::Findings(summary)) => {
            let _ = writeln!(err, "error: {summary}");
            EXIT_FAILED
        }
        Err(Failure::Invalid(e)) => {
            let _ = writeln!(err, "error: {e}\nnothing was written.");
            EXIT_USAGE
        }
        Err(Failure::Io(e)) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_FAILED
        }
    }
}

enum Failure {
    Invalid(ValidationErrors),
    /// Error findings of the rule pack (or the budget guard).
    Findings(String),
    Io(String),
}

impl From<ValidationErrors> for Failure {
    fn from(e: ValidationErrors) -> Failure {
        Failure::Invalid(e)
    }
}

impl From<AssemblyError> for Failure {
    fn from(e: AssemblyError) -> Failure {
        match e {
            AssemblyError::Invalid(v) => Failure::Invalid(v),
            other => Failure::Io(other.to_string()),
        }
    }
}

fn write_assembly(assembly: &Assembly, dir: &Path) -> Result<(), Failure> {
    assembly.write(dir)?;
    Ok(())
}

fn plan<K>(app: &App<K>, dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let assembly = synthesize(app, None)?;
    write_assembly(&assembly, dir)?;
    let _ = writeln!(
        out,
        "{}: {} stage{} synthesized to {}/",
        assembly.app,
        assembly.stacks.len(),
        if assembly.stacks.len() == 1 { "" } else { "s" },
        dir.display()
    );
    summary_table(&assembly, out);
    for s in &assembly.stacks {
        for note in &s.notes {
            let _ = writeln!(out, "note: {}: {note}", s.info.name);
        }
    }
    let _ = writeln!(out);
    let failing = gates(app, &assembly, out);
    if !failing.is_empty() {
        return Err(Failure::Findings(format!(
            "error findings or a budget exceeded in {}; run `check` and `cost` for the tables",
            failing.join(", ")
        )));
    }
    let _ = writeln!(
        out,
        "\nreview the templates in {}/; deploy a stage with `deploy --stage NAME` (run `bootstrap --stage NAME` once per account and region first)",
        dir.display()
    );
    Ok(())
}

fn synth<K>(
    app: &App<K>,
    dir: &Path,
    stage: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let assembly = synthesize(app, stage)?;
    // One stage keeps the other stages already in `dir` in its manifest.
    if stage.is_some() {
        assembly.update(dir)?;
    } else {
        write_assembly(&assembly, dir)?;
    }
    for s in &assembly.stacks {
        let _ = writeln!(
            out,
            "{}",
            dir.join(format!("{}.template.json", s.info.stack_name))
                .display()
        );
    }
    let _ = writeln!(out, "{}", dir.join("manifest.json").display());
    Ok(())
}

/// Every difference between two stages' templates.
fn stage_diff<K>(app: &App<K>, pair: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    if pair.len() != 2 {
        return Err(Failure::Invalid(mlcdk_core::ValidationErrors(vec![
            mlcdk_core::ValidationError {
                path: app.name().to_string(),
                message: format!(
                    "--stages takes two stage names, e.g. staging,production; got {}",
                    pair.len()
                ),
            },
        ])));
    }
    let assembly = synthesize(app, None)?;
    let find = |name: &str| {
        assembly
            .stacks
            .iter()
            .find(|s| s.info.name == name)
            .ok_or_else(|| {
                Failure::Invalid(mlcdk_core::ValidationErrors(vec![
                    mlcdk_core::ValidationError {
                        path: assembly.app.clone(),
                        message: format!("no stage named '{name}'"),
                    },
                ]))
            })
    };
    let (a, b) = (find(&pair[0])?, find(&pair[1])?);
    let differences = mlcdk_core::stage_diff::diff(&a.template, &b.template);
    let _ = write!(
        out,
        "{}",
        mlcdk_core::stage_diff::render(&pair[0], &pair[1], &differences)
    );
    // The monthly delta, each stage priced with its own region's table and
    // its own assumptions.
    let prices = Prices::default();
    let (ea, hint_a) = stage_estimate(app, a, &prices);
    let (eb, hint_b) = stage_estimate(app, b, &prices);
    let _ = writeln!(out, "\nmonthly cost, {} → {}:", pair[0], pair[1]);
    for hint in [hint_a, hint_b].into_iter().flatten() {
        let _ = writeln!(out, "  {hint}");
    }
    let c = mlcdk_cost::compare(&ea, &eb);
    let _ = write!(out, "{}", mlcdk_cost::render_comparison(&c));
    Ok(())
}

fn check_options(info: &mlcdk_core::StageInfo) -> mlcdk_checks::Options {
    mlcdk_checks::Options {
        production: info.is_production(),
        ..Default::default()
    }
}

/// One line per stage; returns the stages with error findings.
/// The plan's and the deploy's gates: one checks line and one cost line per
/// stage; returns the stages with error findings or a budget floor over the
/// limit.
fn gates<K>(app: &App<K>, assembly: &Assembly, out: &mut dyn Write) -> Vec<String> {
    let mut failing = checks_summary(assembly, out);
    failing.extend(cost_summary(app, assembly, &Prices::default(), out));
    failing
}

fn checks_summary(assembly: &Assembly, out: &mut dyn Write) -> Vec<String> {
    let mut failing = Vec::new();
    for s in &assembly.stacks {
        let report = mlcdk_checks::check(&s.template, &check_options(&s.info));
        let _ = writeln!(out, "checks  {:<12}  {}", s.info.name, report.summary());
        if report.has_errors() {
            failing.push(s.info.name.clone());
        }
    }
    failing
}

fn check<K>(app: &App<K>, stage: Option<&str>, out: &mut dyn Write) -> Result<(), Failure> {
    let assembly = synthesize(app, stage)?;
    let mut failing = Vec::new();
    for s in &assembly.stacks {
        let report = mlcdk_checks::check(&s.template, &check_options(&s.info));
        let _ = writeln!(
            out,
            "{} ({}): {}",
            s.info.name,
            s.info.stack_name,
            report.summary()
        );
        let _ = write!(out, "{}", mlcdk_checks::render(&report));
        let _ = writeln!(out);
        if report.has_errors() {
            failing.push(s.info.name.clone());
        }
    }
    if failing.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "error findings in {}; fix them or suppress each with Stack::suppress and a reason",
            failing.join(", ")
        )))
    }
}

/// `check --template FILE...`: the rule pack over template files. Every file
/// is read first; one that cannot be read or parsed is a usage error naming
/// it (all of them reported), and nothing is checked then.
fn check_files(files: &[PathBuf], production: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let mut templates = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot be read: {e}"))
            .and_then(|text| {
                mlcdk_core::template::Template::from_json_str(&text)
                    .map_err(|e| format!("is not a CloudFormation template in JSON: {e}"))
            });
        match parsed {
            Ok(t) => templates.push((path, t)),
            Err(message) => problems.push(mlcdk_core::ValidationError {
                path: path.display().to_string(),
                message,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Invalid(ValidationErrors(problems)));
    }
    let options = mlcdk_checks::Options {
        production,
        ..Default::default()
    };
    let mut failing = Vec::new();
    for (path, t) in &templates {
        let report = mlcdk_checks::check(t, &options);
        let _ = writeln!(out, "{}: {}", path.display(), report.summary());
        let _ = write!(out, "{}", mlcdk_checks::render(&report));
        let _ = writeln!(out);
        if report.has_errors() {
            failing.push(path.display().to_string());
        }
    }
    if failing.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "error findings in {}; fix them or suppress each in the resource's Metadata (mlcdk:suppress, with a reason)",
            failing.join(", ")
        )))
    }
}

/// The budget guard's verdict as text, and whether it fails.
fn guard_line(e: &mlcdk_cost::Estimate) -> (String, bool) {
    match e.guard() {
        mlcdk_cost::Guard::NoBudget => ("no budget".into(), false),
        mlcdk_cost::Guard::Within => ("within the budget".into(), false),
        mlcdk_cost::Guard::Warn(m) => (format!("warning: {m}"), false),
        mlcdk_cost::Guard::Fail(m) => (format!("error: {m}"), true),
    }
}

/// The price tables a run uses: the user's (`cost --prices`, at most one per
/// region), then the shipped ones.
#[derive(Default)]
struct Prices {
    user: Vec<mlcdk_cost::PriceTable>,
}

impl Prices {
    /// Every table given; a file that cannot be read or parsed, or a second
    /// table for a region, is a usage error naming the file (all reported).
    fn load(files: &[PathBuf]) -> Result<Prices, Failure> {
        let mut user: Vec<mlcdk_cost::PriceTable> = Vec::new();
        let mut problems = Vec::new();
        for path in files {
            let problem = |message: String| mlcdk_core::ValidationError {
                path: path.display().to_string(),
                message,
            };
            // An input that cannot be used, for whatever reason, is the
            // caller's to fix, as with stage files: a usage error.
            let table = std::fs::read_to_string(path)
                .map_err(|e| format!("price table cannot be read: {e}"))
                .and_then(|text| {
                    mlcdk_cost::PriceTable::from_toml_str(&text).map_err(|e| e.to_string())
                });
            match table {
                Ok(t) if user.iter().any(|u| u.region == t.region) => {
                    problems.push(problem(format!(
                        "a second price table for {}: pass one table per region",
                        mlcdk_core::stage_file::quote(&t.region)
                    )))
                }
                Ok(t) => user.push(t),
                Err(message) => problems.push(problem(message)),
            }
        }
        if problems.is_empty() {
            Ok(Prices { user })
        } else {
            Err(Failure::Invalid(ValidationErrors(problems)))
        }
    }

    /// The table of `region`, or an empty one and what to do about it.
    fn for_region(&self, region: &str) -> (mlcdk_cost::PriceTable, Option<String>) {
        if let Some(t) = self.user.iter().find(|t| t.region == region) {
            return (t.clone(), None);
        }
        match mlcdk_cost::PriceTable::builtin_for(region) {
            Some(t) => (t, None),
            None => (
                mlcdk_cost::PriceTable::empty(region),
                Some(mlcdk_cost::missing_table_hint(region)),
            ),
        }
    }
}

/// The usage assumptions of the app's stage `name` (the defaults for a stage
/// the app does not have).
fn assumptions_of<K>(app: &App<K>, name: &str) -> mlcdk_cost::Assumptions {
    app.stages()
        .iter()
        .find(|s| s.name == name)
        .map(|s| mlcdk_cost::Assumptions::from_stage(&s.assumptions))
        .unwrap_or_default()
}

/// A stage's estimate with its region's table and its assumptions, and the
/// hint when its region has no table.
fn stage_estimate<K>(
    app: &App<K>,
    s: &mlcdk_core::SynthesizedStack,
    prices: &Prices,
) -> (mlcdk_cost::Estimate, Option<String>) {
    let (table, hint) = prices.for_region(&s.info.env.region);
    let e = mlcdk_cost::estimate(&s.template, &table, &assumptions_of(app, &s.info.name));
    (e, hint)
}

/// One line per stage; returns the stages whose floor exceeds their budget.
fn cost_summary<K>(
    app: &App<K>,
    assembly: &Assembly,
    prices: &Prices,
    out: &mut dyn Write,
) -> Vec<String> {
    let mut failing = Vec::new();
    for s in &assembly.stacks {
        let (e, hint) = stage_estimate(app, s, prices);
        let (verdict, fails) = guard_line(&e);
        let _ = writeln!(out, "cost    {:<12}  {}; {verdict}", s.info.name, e.total());
        if let Some(hint) = hint {
            let _ = writeln!(out, "        {:<12}  {hint}", "");
        }
        if fails {
            failing.push(s.info.name.clone());
        }
    }
    failing
}

fn cost<K>(
    app: &App<K>,
    stage: Option<&str>,
    prices: &[PathBuf],
    against: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let prices = Prices::load(prices)?;
    let assembly = synthesize(app, stage)?;
    let previous = match against {
        Some(dir) => Some(previous_templates(dir, &assembly)?),
        None => None,
    };
    let mut failing = Vec::new();
    for (i, s) in assembly.stacks.iter().enumerate() {
        let (e, hint) = stage_estimate(app, s, &prices);
        let (verdict, fails) = guard_line(&e);
        let _ = writeln!(out, "{} ({}): {}", s.info.name, s.info.stack_name, verdict);
        if let Some(hint) = hint {
            let _ = writeln!(out, "  {hint}");
        }
        match previous.as_ref().map(|p| &p[i]) {
            None => {
                let _ = write!(out, "{}", mlcdk_cost::render(&e));
            }
            Some((path, old)) => {
                // The same prices and assumptions on both sides: the
                // difference is the templates'.
                let (table, _) = prices.for_region(&s.info.env.region);
                let assumptions = assumptions_of(app, &s.info.name);
                let old = match old {
                    Some(t) => mlcdk_cost::estimate(t, &table, &assumptions),
                    None => mlcdk_cost::Estimate {
                        lines: Vec::new(),
                        budget: None,
                        prices_date: table.date.clone(),
                        prices_source: table.source.clone(),
                    },
                };
                let _ = writeln!(
                    out,
                    "  against {}{}:",
                    path.display(),
                    if old.lines.is_empty() && !path.exists() {
                        " (not there: every line is new)"
                    } else {
                        ""
                    }
                );
                let c = mlcdk_cost::compare(&old, &e);
                let _ = write!(out, "{}", mlcdk_cost::render_comparison(&c));
                let _ = writeln!(out, "  prices: {} ({})", e.prices_source, e.prices_date);
            }
        }
        let _ = writeln!(out);
        if fails {
            failing.push(s.info.name.clone());
        }
    }
    if failing.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "the estimate's floor exceeds the budget in {}",
            failing.join(", ")
        )))
    }
}

/// One validation problem at `path`, as the failure a command returns.
fn invalid(path: String, message: String) -> Failure {
    Failure::Invalid(ValidationErrors(vec![mlcdk_core::ValidationError {
        path,
        message,
    }]))
}

/// `prices refresh`: a region's table from offer files; without any, the
/// URLs to download them from (this crate has no HTTP client, and the files
/// are large: the user fetches them, e.g. with curl).
fn prices_refresh(
    region: &str,
    offers: &[PathBuf],
    file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use mlcdk_cost::refresh;
    if offers.is_empty() {
        let _ = writeln!(
            out,
            "the AWS Price List offer files for {region} (public, no credentials needed):"
        );
        for offer in refresh::OFFERS {
            let _ = writeln!(out, "  {}", refresh::offer_url(offer, region));
        }
        let _ = writeln!(
            out,
            "download them (e.g. curl -o sagemaker.json URL) and run: prices refresh --region {region} --offer sagemaker.json --offer ..."
        );
        return Err(invalid(
            "prices refresh".into(),
            "no offer file given: download the files above and pass each with --offer FILE".into(),
        ));
    }
    let mut texts = Vec::new();
    let mut problems = Vec::new();
    for path in offers {
        match std::fs::read_to_string(path) {
            Ok(text) => texts.push((path.display().to_string(), text)),
            Err(e) => problems.push(mlcdk_core::ValidationError {
                path: path.display().to_string(),
                message: format!("offer file cannot be read: {e}"),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Invalid(ValidationErrors(problems)));
    }
    let refreshed = refresh::refresh(region, &texts).map_err(|e| {
        Failure::Invalid(ValidationErrors(
            e.problems
                .into_iter()
                .map(|message| mlcdk_core::ValidationError {
                    path: "prices refresh".into(),
                    message,
                })
                .collect(),
        ))
    })?;
    let default = PathBuf::from(format!("prices-{region}.toml"));
    let file = file.unwrap_or(&default);
    std::fs::write(file, &refreshed.toml)
        .map_err(|e| Failure::Io(format!("{}: cannot be written: {e}", file.display())))?;
    let mut sections: Vec<(String, usize)> = Vec::new();
    for p in &refreshed.prices {
        let section = p
            .key
            .split_once(".\"")
            .map_or_else(|| p.key.clone(), |(s, _)| s.to_string());
        match sections.last_mut() {
            Some((s, n)) if *s == section => *n += 1,
            _ => sections.push((section, 1)),
        }
    }
    let listed: Vec<String> = sections.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let _ = writeln!(
        out,
        "wrote {}: {} prices for {region} ({})",
        file.display(),
        refreshed.prices.len(),
        listed.join(", ")
    );
    for note in &refreshed.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "what the offer files do not hold is unknown in the estimate; use the table with `cost --prices {}`",
        file.display()
    );
    Ok(())
}

/// `jumpstart lock`: resolve a model's spec into the lock file. The spec is
/// a file the user downloads (this crate has no HTTP client; decision 45):
/// without `--spec`, the command prints the manifest's and the spec's URLs.
fn jumpstart_lock<K>(
    app: &App<K>,
    model: &str,
    regions: &[String],
    spec: Option<&Path>,
    lock: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use mlcdk_inference::{JumpStartLock, LOCK_FILE};
    let (id, version) = match model.split_once('@') {
        Some((id, v)) => (id, Some(v)),
        None => (model, None),
    };
    if id.is_empty() || version == Some("") {
        return Err(invalid(
            "jumpstart lock".into(),
            format!("'{model}' is not MODEL_ID[@VERSION] (e.g. pytorch-ic-mobilenet-v2@3.0.25)"),
        ));
    }
    let mut regions: Vec<String> = regions.to_vec();
    if regions.is_empty() {
        regions = app.stages().iter().map(|s| s.env.region.clone()).collect();
    }
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err(invalid(
            "jumpstart lock".into(),
            "no region: the app has no stages; pass --region R".into(),
        ));
    }
    let Some(spec) = spec else {
        let r = &regions[0];
        let _ = writeln!(
            out,
            "JumpStart lists {r}'s models in (public, no credentials needed):\n  {}",
            mlcdk_inference::manifest_url(r)
        );
        let v = version.unwrap_or("VERSION");
        let _ = writeln!(
            out,
            "the entry of {id} with version {v} names its spec_key; for open-weight models it is usually:\n  {}",
            mlcdk_inference::spec_url(r, id, v)
        );
        let _ = writeln!(
            out,
            "download it (e.g. curl -o spec.json URL) and run: jumpstart lock {model} --spec spec.json"
        );
        return Err(invalid(
            "jumpstart lock".into(),
            "no spec given: download the model's spec above and pass it with --spec FILE".into(),
        ));
    };
    let text = std::fs::read_to_string(spec).map_err(|e| {
        invalid(
            spec.display().to_string(),
            format!("spec cannot be read: {e}"),
        )
    })?;
    let resolved = mlcdk_inference::resolve(&text, &regions).map_err(|problems| {
        Failure::Invalid(ValidationErrors(
            problems
                .into_iter()
                .map(|message| mlcdk_core::ValidationError {
                    path: spec.display().to_string(),
                    message,
                })
                .collect(),
        ))
    })?;
    let mut mismatch = Vec::new();
    if resolved.id != id {
        mismatch.push(format!(
            "the spec is of model '{}', not '{id}'",
            resolved.id
        ));
    }
    if let Some(v) = version
        && resolved.version != v
    {
        mismatch.push(format!(
            "the spec is of version {}, not {v}: download specs_v{v}.json",
            resolved.version
        ));
    }
    if !mismatch.is_empty() {
        return Err(Failure::Invalid(ValidationErrors(
            mismatch
                .into_iter()
                .map(|message| mlcdk_core::ValidationError {
                    path: spec.display().to_string(),
                    message,
                })
                .collect(),
        )));
    }
    let default = app.dir().join(LOCK_FILE);
    let file = lock.unwrap_or(&default);
    let mut locked = match std::fs::read_to_string(file) {
        Ok(t) => JumpStartLock::parse(&t, &file.display().to_string())
            .map_err(|e| invalid(file.display().to_string(), e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => JumpStartLock::default(),
        Err(e) => {
            return Err(Failure::Io(format!(
                "{}: cannot be read: {e}",
                file.display()
            )));
        }
    };
    let summary = format!(
        "{}@{}: {} container(s) in {}; default {}; {}",
        resolved.id,
        resolved.version,
        resolved.deployment.len(),
        regions.join(", "),
        resolved.default_instance_type,
        match &resolved.eula {
            Some(e) => format!(
                "gated: its EULA ({e}) must be accepted in stack.rs with `eula: Eula::accepted(reason)`"
            ),
            None => "no EULA".into(),
        }
    );
    locked.upsert(resolved);
    // Written next to the old file, then renamed over it: an interrupted
    // run leaves the previous lock file whole.
    let tmp = file.with_extension("lock.tmp");
    std::fs::write(&tmp, locked.render())
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| Failure::Io(format!("{}: cannot be written: {e}", file.display())))?;
    let _ = writeln!(out, "locked {summary}\nwrote {}", file.display());
    Ok(())
}

/// The previous template of each stage of `assembly` in `dir`, a previous
/// `synth --out`: the file its `manifest.json` names for the stage, else
/// `<stack name>.template.json`; `None` when the stage is not there (it is
/// new). A manifest or template that cannot be read or parsed is a usage
/// error naming the file (all of them reported).
fn previous_templates(
    dir: &Path,
    assembly: &Assembly,
) -> Result<Vec<(PathBuf, Option<mlcdk_core::Template>)>, Failure> {
    let mut problems = Vec::new();
    let problem = |path: &Path, message: String| mlcdk_core::ValidationError {
        path: path.display().to_string(),
        message,
    };
    if !dir.is_dir() {
        return Err(Failure::Invalid(ValidationErrors(vec![problem(
            dir,
            "cost --against takes a directory written by `synth --out DIR`; it is not a directory"
                .into(),
        )])));
    }
    let manifest_path = dir.join("manifest.json");
    let manifest = match std::fs::read(&manifest_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            problems.push(problem(&manifest_path, format!("cannot be read: {e}")));
            None
        }
        Ok(bytes) => match serde_json::from_slice::<mlcdk_core::Manifest>(&bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(problem(
                    &manifest_path,
                    format!(
                        "is not an mlcdk manifest: {}",
                        mlcdk_core::stage_file::clip(&e.to_string())
                    ),
                ));
                None
            }
        },
    };
    let mut previous = Vec::new();
    for s in &assembly.stacks {
        let file = manifest
            .as_ref()
            .and_then(|m| m.stages.iter().find(|m| m.name == s.info.name))
            .map(|m| m.template_file.clone())
            .filter(|f| Path::new(f).file_name() == Some(f.as_ref()))
            .unwrap_or_else(|| format!("{}.template.json", s.info.stack_name));
        let path = dir.join(file);
        let template = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                problems.push(problem(&path, format!("cannot be read: {e}")));
                None
            }
            Ok(text) => match mlcdk_core::Template::from_json_str(&text) {
                Ok(t) => Some(t),
                Err(e) => {
                    problems.push(problem(
                        &path,
                        format!("is not a CloudFormation template in JSON: {e}"),
                    ));
                    None
                }
            },
        };
        previous.push((path, template));
    }
    if problems.is_empty() {
        Ok(previous)
    } else {
        Err(Failure::Invalid(ValidationErrors(problems)))
    }
}

fn list<K>(app: &App<K>, out: &mut dyn Write) -> Result<(), Failure> {
    let assembly = synthesize(app, None)?;
    summary_table(&assembly, out);
    Ok(())
}

fn summary_table(assembly: &Assembly, out: &mut dyn Write) {
    let manifest = assembly.manifest();
    let mut rows = vec![[
        "STAGE".to_string(),
        "KIND".to_string(),
        "STACK".to_string(),
        "ENV".to_string(),
        "RESOURCES".to_string(),
        "TEMPLATE".to_string(),
        "ASSETS".to_string(),
    ]];
    for s in &manifest.stages {
        let env = format!(
            "{}/{}",
            s.env.account.as_deref().unwrap_or("(any account)"),
            s.env.region
        );
        let size = format!(
            "{:.1} KB{}",
            s.template_bytes as f64 / 1024.0,
            if s.needs_s3_upload { " (via S3)" } else { "" }
        );
        rows.push([
            s.name.clone(),
            format!("{:?}", s.kind).to_lowercase(),
            s.stack_name.clone(),
            env,
            s.resource_count.to_string(),
            size,
            s.assets.len().to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
}

/// The subcommands that talk to AWS.
// Without the `deploy` feature the flags are parsed, then unused: the
// subcommands only say how to get the feature.
#[cfg_attr(not(feature = "deploy"), allow(dead_code))]
enum Remote {
    Deploy {
        yes: bool,
        allow_replace: bool,
        check_drift: bool,
        allow_drift: bool,
    },
    Diff,
    Drift,
    Destroy {
        yes: bool,
        production: bool,
    },
    Bootstrap {
        yes: bool,
    },
}

#[cfg(feature = "deploy")]
fn remote<K>(app: &App<K>, what: Remote, stage: &str, err: &mut dyn Write) -> u8 {
    use mlcdk_deploy::{Command as C, DeployOptions};
    // Synthesis errors stop everything before any AWS call.
    let assembly = match synthesize(app, Some(stage)) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(err, "error: {e}\nnothing was deployed.");
            return EXIT_USAGE;
        }
    };
    let stack = &assembly.stacks[0];
    // A deploy passes the same gates as the plan before it changes anything:
    // the rule pack (error findings) and the budget guard (a floor over the
    // limit).
    if let Remote::Deploy { .. } = what {
        let failing = gates(app, &assembly, err);
        if !failing.is_empty() {
            let _ = writeln!(
                err,
                "error: refusing to deploy {stage}: error findings or a budget floor over its limit; run `check --stage {stage}` and `cost --stage {stage}` for the tables\nnothing was deployed."
            );
            return EXIT_FAILED;
        }
    }
    let mut options = DeployOptions::default();
    let command = match what {
        Remote::Deploy {
            yes,
            allow_replace,
            check_drift,
            allow_drift,
        } => {
            options.yes = yes;
            options.allow_replace = allow_replace;
            options.check_drift = check_drift;
            options.allow_drift = allow_drift;
            C::Deploy
        }
        Remote::Diff => C::Diff,
        Remote::Drift => C::Drift,
        Remote::Destroy { yes, production } => {
            options.yes = yes;
            options.production = production;
            C::Destroy
        }
        Remote::Bootstrap { yes } => {
            options.yes = yes;
            // The bootstrap stack is defined here, not in the deployer: the
            // deployer gets its synthesized template like any other stack's.
            let boot = match bootstrap::bootstrap_stack(&stack.info.env) {
                Ok(b) => b,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return EXIT_USAGE;
                }
            };
            return mlcdk_deploy::run_bootstrap(stack, &boot, options, err);
        }
    };
    mlcdk_deploy::run(command, stack, options, err)
}

#[cfg(not(feature = "deploy"))]
fn remote<K>(_: &App<K>, _: Remote, _: &str, err: &mut dyn Write) -> u8 {
    let _ = writeln!(
        err,
        "error: this build of mlcdk has no deployer; enable the `deploy` feature of the mlcdk crate"
    );
    EXIT_USAGE
}

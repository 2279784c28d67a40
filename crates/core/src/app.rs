//! Apps and stages: one definition function, synthesized once per stage.
//!
//! ```
//! use mlcdk_core::{App, CfnResource, Env, Scope, Stack, Stage};
//!
//! #[derive(Clone)]
//! struct Knobs { retention_days: u32 }
//!
//! fn define(stack: &mut Stack, knobs: &Knobs) {
//!     stack.add_resource("Logs", CfnResource::new("AWS::Logs::LogGroup")
//!         .set("RetentionInDays", knobs.retention_days));
//! }
//!
//! let app = App::new("churn", define)
//!     .stage(Stage::staging(Env::new("111111111111", "us-east-1"), Knobs { retention_days: 7 }))
//!     .stage(Stage::production(Env::new("222222222222", "us-east-1"), Knobs { retention_days: 365 }));
//! let assembly = app.synth(None).unwrap();
//! assert_eq!(assembly.stacks[1].info.stack_name, "churn-production");
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::asset::AssetEntry;
use crate::error::{AssemblyError, ValidationError, ValidationErrors};
use crate::limits::MAX_INLINE_TEMPLATE_BYTES;
use crate::stack::{Stack, SynthesizedStack};

/// Where a stage deploys: an account (optional: `None` deploys wherever the
/// credentials point), a region, and optionally the AWS profile whose
/// credentials the deployer uses (otherwise the standard chain: environment,
/// `AWS_PROFILE`, SSO, instance roles).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Env {
    /// The 12-digit AWS account id; `None` deploys to whichever account the
    /// credentials belong to.
    pub account: Option<String>,
    /// The region, e.g. `us-east-1`; checked for shape when the stage is built.
    pub region: String,
    /// The AWS profile the deployer takes credentials from; `None` (default)
    /// uses the standard chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl Env {
    /// A fixed account and region, with the standard credential chain.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Env {
        Env {
            account: Some(account.into()),
            region: region.into(),
            profile: None,
        }
    }

    /// Deploy with the credentials of this AWS profile.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Env {
        self.profile = Some(profile.into());
        self
    }

    /// Any account the deploying credentials belong to.
    pub fn any_account(region: impl Into<String>) -> Env {
        Env {
            account: None,
            region: region.into(),
            profile: None,
        }
    }

    fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Some(a) = &self.account
            && (a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            errors.push(format!(
                "account '{a}' is invalid: AWS account ids are exactly 12 digits"
            ));
        }
        if !is_region(&self.region) {
            errors.push(format!(
                "region '{}' is invalid: regions look like 'us-east-1' (lower-case letters and dashes, ending in a number)",
                self.region
            ));
        }
        errors
    }
}

fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// What kind of stage: production turns on stricter defaults by kind, not by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    /// Pre-production: a stateful resource may ask to be deleted with the
    /// stack, and the pipeline registers models as approved.
    Staging,
    /// Termination protection, no `Delete` removal policy on stateful
    /// resources, manual model approval, and `destroy` needs `--production`.
    Production,
    /// A custom stage (dev, sandbox…): staging defaults.
    Other,
}

/// A stage as the definition function sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInfo {
    /// The app's name.
    pub app: String,
    /// The stage's name (`staging`, `production` or a custom one).
    pub name: String,
    /// Which defaults apply: production is stricter.
    pub kind: StageKind,
    /// Where the stage deploys.
    pub env: Env,
    /// `<app>-<stage>`
    pub stack_name: String,
}

impl StageInfo {
    /// The stage info of `app`'s stage `name`; the stack name is
    /// `<app>-<name>`.
    pub fn new(app: &str, name: &str, kind: StageKind, env: Env) -> StageInfo {
        StageInfo {
            app: app.to_string(),
            name: name.to_string(),
            kind,
            env,
            stack_name: format!("{app}-{name}"),
        }
    }

    /// Whether production defaults apply.
    pub fn is_production(&self) -> bool {
        self.kind == StageKind::Production
    }

    /// Production stacks get termination protection (the deployer applies it).
    pub fn termination_protection(&self) -> bool {
        self.is_production()
    }
}

/// A stage: name, kind, environment and the knobs its definition receives.
#[derive(Clone, Debug)]
pub struct Stage<K> {
    /// Unique within the app; part of the stack name (`<app>-<name>`) and of
    /// default resource names.
    pub name: String,
    /// Production turns on stricter defaults.
    pub kind: StageKind,
    /// Where the stage deploys.
    pub env: Env,
    /// What the definition function receives for this stage: the only thing
    /// that differs between stages.
    pub knobs: K,
    /// The stage's usage assumptions for the cost estimate (the `[assumptions]`
    /// table of its stage file); what is not stated takes the estimate's
    /// default.
    pub assumptions: crate::StageAssumptions,
}

impl<K> Stage<K> {
    /// A stage named `staging` of kind [`StageKind::Staging`].
    pub fn staging(env: Env, knobs: K) -> Stage<K> {
        Stage::custom("staging", StageKind::Staging, env, knobs)
    }

    /// A stage named `production` of kind [`StageKind::Production`].
    pub fn production(env: Env, knobs: K) -> Stage<K> {
        Stage::custom("production", StageKind::Production, env, knobs)
    }

    /// A stage with its own name (dev, sandbox, a second region…) and kind.
    pub fn custom(name: impl Into<String>, kind: StageKind, env: Env, knobs: K) -> Stage<K> {
        Stage {
            name: name.into(),
            kind,
            env,
            knobs,
            assumptions: Default::default(),
        }
    }

    /// The same stage with these usage assumptions for the cost estimate.
    pub fn with_assumptions(mut self, assumptions: crate::StageAssumptions) -> Stage<K> {
        self.assumptions = assumptions;
        self
    }
}

type Definition<K> = Box<dyn Fn(&mut Stack, &K)>;

/// How many schema problems of one stage file are listed; the rest are
/// counted.
const MAX_PROBLEMS_PER_FILE: usize = 100;

/// An application: one definition, many stages.
pub struct App<K> {
    name: String,
    define: Definition<K>,
    stages: Vec<Stage<K>>,
    base_dir: PathBuf,
    /// The knobs' JSON Schema, when `K` has one (see [`App::with_schema`]).
    schema: Option<serde_json::Value>,
    /// Problems found while loading stage files; reported by `synth`.
    load_errors: Vec<ValidationError>,
    /// Where stage files are, relative to the base directory.
    stages_dir: PathBuf,
}

impl<K> App<K> {
    /// An app named `name` (the stack name prefix) whose stages are all built
    /// by `define`; add stages with [`App::stage`] or [`App::stage_file`].
    pub fn new(name: impl Into<String>, define: impl Fn(&mut Stack, &K) + 'static) -> App<K> {
        App {
            name: name.into(),
            define: Box::new(define),
            stages: Vec::new(),
            base_dir: std::env::current_dir().unwrap_or_default(),
            schema: None,
            load_errors: Vec::new(),
            stages_dir: PathBuf::from("stages"),
        }
    }

    /// Where [`App::stage_file`] looks (default `stages/`, relative to the base
    /// directory). Call it before `stage_file`.
    pub fn stages_dir(mut self, dir: impl Into<PathBuf>) -> App<K> {
        self.stages_dir = dir.into();
        self
    }

    /// Record the stage files' JSON Schema (for the `schema` subcommand and
    /// editors): the knobs', with an optional `assumptions` table
    /// ([`StageAssumptions`](crate::StageAssumptions)).
    pub fn with_schema(mut self) -> App<K>
    where
        K: schemars::JsonSchema,
    {
        self.schema = Some(crate::assumptions::with_assumptions(
            serde_json::to_value(schemars::schema_for!(K)).expect("a schema serializes"),
        ));
        self
    }

    /// The knobs' JSON Schema, if recorded.
    pub fn schema(&self) -> Option<&serde_json::Value> {
        self.schema.as_ref()
    }

    /// A stage whose knobs live in `<stages dir>/<name>.json` or `.toml`
    /// (under the base directory; see [`App::stages_dir`]). The file is checked against the knobs'
    /// schema: every mistake is reported, with the file and the field path,
    /// when the app is synthesized.
    pub fn stage_file(mut self, name: &str, kind: StageKind, env: Env) -> App<K>
    where
        K: schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        if self.schema.is_none() {
            self = self.with_schema();
        }
        let dir = self.base_dir.join(&self.stages_dir);
        let candidates = [
            dir.join(format!("{name}.toml")),
            dir.join(format!("{name}.json")),
        ];
        let found: Vec<&PathBuf> = candidates.iter().filter(|p| p.exists()).collect();
        let path = self.name.clone();
        let mut fail = |message: String| {
            self.load_errors.push(ValidationError {
                path: format!("{path}-{name}"),
                message,
            })
        };
        let file = match found.as_slice() {
            [one] => (*one).clone(),
            [] => {
                fail(format!(
                    "no stage file for '{name}': expected {} or {}",
                    candidates[0].display(),
                    candidates[1].display()
                ));
                return self;
            }
            _ => {
                fail(format!(
                    "both {} and {} exist; keep one stage file per stage",
                    candidates[0].display(),
                    candidates[1].display()
                ));
                return self;
            }
        };
        let value = match crate::stage_file::read(&file) {
            Ok(v) => v,
            Err(e) => {
                fail(e);
                return self;
            }
        };
        let Some(schema) = self.schema.as_ref() else {
            return self;
        };
        let problems = crate::stage_file::check(schema, &value);
        if !problems.is_empty() {
            // Every problem is reported, up to a bound: a generated file with a
            // million wrong items would otherwise print a million lines.
            let total = problems.len();
            for p in problems.into_iter().take(MAX_PROBLEMS_PER_FILE) {
                fail(format!("{}: {p}", file.display()));
            }
            if total > MAX_PROBLEMS_PER_FILE {
                fail(format!(
                    "{}: {} more problems not shown (the first {MAX_PROBLEMS_PER_FILE} are)",
                    file.display(),
                    total - MAX_PROBLEMS_PER_FILE
                ));
            }
            return self;
        }
        // The assumptions are the stage's, not the knobs' (unless the knobs
        // have a field of that name, and the schema then has no table).
        let mut value = value;
        let with_table = schema.pointer("/$defs/StageAssumptions").is_some()
            && schema.pointer("/properties/assumptions/$ref")
                == Some(&serde_json::json!("#/$defs/StageAssumptions"));
        let table = match value.as_object_mut() {
            Some(map) if with_table => map.remove(crate::assumptions::KEY),
            _ => None,
        };
        let assumptions = match table.map(serde_json::from_value::<crate::StageAssumptions>) {
            None => Default::default(),
            Some(Ok(a)) => a,
            Some(Err(e)) => {
                let e = crate::stage_file::clip(&e.to_string());
                fail(format!("{}: assumptions: {e}", file.display()));
                return self;
            }
        };
        match serde_json::from_value::<K>(value) {
            Ok(knobs) => {
                self.stage(Stage::custom(name, kind, env, knobs).with_assumptions(assumptions))
            }
            Err(e) => {
                // serde's message can quote the user's value whole.
                let e = crate::stage_file::clip(&e.to_string());
                fail(format!("{}: {e}", file.display()));
                self
            }
        }
    }

    /// Add a stage whose knobs are given in code. Stage names must be unique
    /// (checked by `synth`).
    pub fn stage(mut self, stage: Stage<K>) -> App<K> {
        self.stages.push(stage);
        self
    }

    /// The directory relative asset paths are resolved against (default: the
    /// current directory). Examples pass `env!("CARGO_MANIFEST_DIR")`.
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> App<K> {
        self.base_dir = dir.into();
        self
    }

    /// The directory set by [`App::base_dir`]: relative asset paths and the
    /// files next to the app (e.g. `jumpstart.lock`) are resolved against it.
    pub fn dir(&self) -> &Path {
        &self.base_dir
    }

    /// The app's name, the prefix of every stack name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stages, in the order they were added.
    pub fn stages(&self) -> &[Stage<K>] {
        &self.stages
    }

    /// Build one stage's stack (not yet synthesized).
    pub fn build(&self, stage: &Stage<K>) -> Stack {
        let info = StageInfo::new(&self.name, &stage.name, stage.kind, stage.env.clone());
        let mut stack = Stack::new(info, self.base_dir.clone());
        for e in stage.env.check() {
            stack.error_at(&Default::default(), e);
        }
        (self.define)(&mut stack, &stage.knobs);
        stack
    }

    /// Synthesize every stage, or only `only`. Errors from every stage are
    /// gathered and returned together.
    pub fn synth(&self, only: Option<&str>) -> Result<Assembly, ValidationErrors> {
        let mut errors = self.load_errors.clone();
        if self.stages.is_empty() {
            errors.push(ValidationError {
                path: self.name.clone(),
                message: "the app has no stages; add one with App::stage".into(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.stages {
            if !seen.insert(s.name.as_str()) {
                errors.push(ValidationError {
                    path: self.name.clone(),
                    message: format!(
                        "stage '{}' is defined twice; stage names are unique",
                        s.name
                    ),
                });
            }
        }
        if let Some(name) = only
            && !self.stages.iter().any(|s| s.name == name)
        {
            let known: Vec<&str> = self.stages.iter().map(|s| s.name.as_str()).collect();
            errors.push(ValidationError {
                path: self.name.clone(),
                message: format!("no stage named '{name}'; stages are: {}", known.join(", ")),
            });
        }
        let mut stacks = Vec::new();
        for stage in self
            .stages
            .iter()
            .filter(|s| only.is_none_or(|n| n == s.name))
        {
            match self.build(stage).synth() {
                Ok(s) => stacks.push(s),
                Err(e) => errors.extend(e.0),
            }
        }
        if errors.is_empty() {
            Ok(Assembly {
                app: self.name.clone(),
                stacks,
            })
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

/// The synthesized stacks of an app: what `synth` writes to disk.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The app's name.
    pub app: String,
    /// One synthesized stack per stage, in stage order.
    pub stacks: Vec<SynthesizedStack>,
}

/// `manifest.json`: what the deployer needs besides the templates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of the manifest, currently 1.
    pub version: u32,
    /// The app's name.
    pub app: String,
    /// One entry per synthesized stage, in stage order.
    pub stages: Vec<ManifestStage>,
}

/// One stage's entry in `manifest.json`: its stack, template file and assets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestStage {
    /// The stage's name.
    pub name: String,
    /// The stage's kind.
    pub kind: StageKind,
    /// The CloudFormation stack name, `<app>-<stage>`.
    pub stack_name: String,
    /// Where the stage deploys.
    pub env: Env,
    /// The template's file name in the output directory,
    /// `<stack_name>.template.json`.
    pub template_file: String,
    /// The template's size in bytes.
    pub template_bytes: usize,
    /// Over 51,200 bytes: the deployer uploads the template and passes `TemplateURL`.
    pub needs_s3_upload: bool,
    /// The number of resources, for the plan's summary (CloudFormation allows
    /// 500 per stack).
    pub resource_count: usize,
    /// Whether the deployer turns on termination protection (production
    /// stages).
    pub termination_protection: bool,
    /// The files the deployer uploads before the stack is deployed.
    pub assets: Vec<AssetEntry>,
}

impl Assembly {
    /// The manifest of these stacks, without writing anything.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            version: 1,
            app: self.app.clone(),
            stages: self
                .stacks
                .iter()
                .map(|s| ManifestStage {
                    name: s.info.name.clone(),
                    kind: s.info.kind,
                    stack_name: s.info.stack_name.clone(),
                    env: s.info.env.clone(),
                    template_file: format!("{}.template.json", s.info.stack_name),
                    template_bytes: s.text.len(),
                    needs_s3_upload: s.text.len() > MAX_INLINE_TEMPLATE_BYTES,
                    resource_count: s.template.resources.len(),
                    termination_protection: s.info.termination_protection(),
                    assets: s.assets.clone(),
                })
                .collect(),
        }
    }

    /// Write `<stack-name>.template.json` per stage, the generated assets
    /// and `manifest.json` into `dir`; the manifest lists these stages only.
    ///
    /// All or nothing: every file is written beside its target and renamed
    /// over it once all were written, the manifest last. When anything fails
    /// (a full disk), the directory is left as it was and the error names the
    /// file.
    pub fn write(&self, dir: &Path) -> Result<Manifest, AssemblyError> {
        self.write_with(dir, Vec::new())
    }

    /// Like [`Assembly::write`], for a synth of some of the app's stages:
    /// the manifest already in `dir` keeps the entries of the other stages
    /// whose template is still there, as written. A manifest of another app,
    /// or one that does not parse, is an [`AssemblyError::Invalid`] and
    /// nothing is written.
    pub fn update(&self, dir: &Path) -> Result<Manifest, AssemblyError> {
        let previous = self.previous_stages(dir)?;
        self.write_with(dir, previous)
    }

    /// The stages of the manifest in `dir` that are still valid, in order.
    fn previous_stages(&self, dir: &Path) -> Result<Vec<ManifestStage>, AssemblyError> {
        let path = dir.join("manifest.json");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            // No manifest yet; a `dir` that is not a directory is reported
            // when it is written to.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Vec::new());
            }
            Err(source) => return Err(AssemblyError::Io { path, source }),
        };
        let refuse = |message: String| {
            AssemblyError::Invalid(ValidationErrors(vec![ValidationError {
                path: path.display().to_string(),
                message,
            }]))
        };
        let previous: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            refuse(format!(
                "is not an mlcdk manifest ({e}); a synth of some stages merges with it: delete it, or synthesize every stage"
            ))
        })?;
        if previous.version != 1 {
            return Err(refuse(format!(
                "has version {}, this mlcdk writes version 1; delete it, or synthesize every stage",
                previous.version
            )));
        }
        if previous.app != self.app {
            return Err(refuse(format!(
                "belongs to app '{}', not '{}'; write into another directory, or delete it",
                previous.app, self.app
            )));
        }
        // An entry is kept only while its template is the file it describes:
        // a plain name in `dir`, of the recorded size.
        let intact = |s: &ManifestStage| {
            Path::new(&s.template_file).file_name() == Some(s.template_file.as_ref())
                && std::fs::metadata(dir.join(&s.template_file))
                    .is_ok_and(|m| m.is_file() && m.len() == s.template_bytes as u64)
        };
        Ok(previous.stages.into_iter().filter(intact).collect())
    }

    fn write_with(
        &self,
        dir: &Path,
        previous: Vec<ManifestStage>,
    ) -> Result<Manifest, AssemblyError> {
        let mut manifest = self.manifest();
        let mut files: Vec<(PathBuf, &[u8])> = Vec::new();
        let assets = dir.join("assets");
        for (stack, entry) in self.stacks.iter().zip(manifest.stages.iter_mut()) {
            // Generated assets exist only in memory: write them for the deployer.
            for (asset, listed) in stack.assets.iter().zip(entry.assets.iter_mut()) {
                if let Some(content) = &asset.content {
                    let path = assets.join(asset.key.trim_start_matches("assets/"));
                    listed.file = path.clone();
                    files.push((path, content.as_slice()));
                }
            }
        }
        for (stack, entry) in self.stacks.iter().zip(&manifest.stages) {
            files.push((dir.join(&entry.template_file), stack.text.as_bytes()));
        }
        if !previous.is_empty() {
            let mut fresh = std::mem::take(&mut manifest.stages);
            for old in previous {
                match fresh.iter().position(|s| s.name == old.name) {
                    Some(i) => manifest.stages.push(fresh.remove(i)),
                    None => manifest.stages.push(old),
                }
            }
            manifest.stages.extend(fresh);
        }
        let mut text = serde_json::to_string_pretty(&manifest).expect("the manifest serializes");
        text.push('\n');
        // Last: a manifest never lists a template that is not in place.
        files.push((dir.join("manifest.json"), text.as_bytes()));

        let mut created = Vec::new();
        // Every file's folder: generated assets live in `assets/<sha256>/`.
        let result = create_dirs(dir, &mut created)
            .and_then(|()| {
                files
                    .iter()
                    .filter_map(|(p, _)| p.parent())
                    .try_for_each(|parent| create_dirs(parent, &mut created))
            })
            .and_then(|()| replace_all(&files));
        if result.is_err() {
            // Only directories this run created, innermost first, and only if
            // empty: what was there before stays.
            for d in created.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        result.map(|()| manifest)
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> AssemblyError {
    let path = path.to_path_buf();
    move |source| AssemblyError::Io { path, source }
}

/// `create_dir_all`, recording the directories it made.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), AssemblyError> {
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        return Err(io_error(dir)(std::io::Error::other(
            "it exists and is not a directory",
        )));
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(parent, created)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => created.push(dir.to_path_buf()),
        // Made meanwhile by someone else: not ours to remove.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(io_error(dir)(e)),
    }
    Ok(())
}

/// A name beside `target` that no other writer uses: hidden, with the
/// process id and a counter of this process.
fn sibling(target: &Path, what: &str) -> PathBuf {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    target.with_file_name(format!(".{name}.{what}-{}-{n}", std::process::id()))
}

/// Write each file to a temporary beside it, then rename the temporaries over
/// the targets in order. Any failure undoes everything: temporaries are
/// removed, and the targets already replaced get their previous contents
/// back (kept under a second name until the end).
fn replace_all(files: &[(PathBuf, &[u8])]) -> Result<(), AssemblyError> {
    let mut temps = Vec::with_capacity(files.len());
    for (target, bytes) in files {
        let temp = sibling(target, "tmp");
        let written = write_synced(&temp, bytes);
        temps.push(temp);
        if let Err(e) = written {
            remove_all(&temps);
            return Err(io_error(target)(e));
        }
    }
    let mut replaced: Vec<(&Path, Option<PathBuf>)> = Vec::with_capacity(files.len());
    for ((target, _), temp) in files.iter().zip(&temps) {
        let step = keep_previous(target).and_then(|kept| match std::fs::rename(temp, target) {
            Ok(()) => Ok(kept),
            Err(e) => {
                remove_all(kept.as_slice());
                Err(e)
            }
        });
        match step {
            Ok(kept) => replaced.push((target, kept)),
            Err(e) => {
                // Undo in reverse order. A failure here cannot be repaired
                // either; the error reported is the one that started it.
                for (target, kept) in replaced.iter().rev() {
                    let _ = match kept {
                        Some(kept) => std::fs::rename(kept, target),
                        None => std::fs::remove_file(target),
                    };
                }
                remove_all(&temps);
                return Err(io_error(target)(e));
            }
        }
    }
    for (_, kept) in replaced {
        if let Some(kept) = kept {
            let _ = std::fs::remove_file(kept);
        }
    }
    sync_dirs(files);
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    // Some file systems report a full disk only when the data is flushed.
    file.sync_data()
}

/// A second name for `target`'s current file, if there is one: a hard link
/// (no copy, and `target` never disappears), or a copy where links are not
/// supported.
fn keep_previous(target: &Path) -> std::io::Result<Option<PathBuf>> {
    if !target.is_file() {
        return Ok(None);
    }
    let kept = sibling(target, "old");
    if std::fs::hard_link(target, &kept).is_err()
        && let Err(e) = std::fs::copy(target, &kept)
    {
        let _ = std::fs::remove_file(&kept);
        return Err(e);
    }
    Ok(Some(kept))
}

fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// Make the renames durable. Best effort: not every platform can open a
/// directory, and the files themselves are already synced.
fn sync_dirs(files: &[(PathBuf, &[u8])]) {
    let mut dirs: Vec<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    dirs.dedup();
    for d in dirs {
        if let Ok(dir) = std::fs::File::open(d) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_validation() {
        assert!(Env::new("111111111111", "us-east-1").check().is_empty());
        assert!(Env::any_account("eu-central-1").check().is_empty());
        assert!(Env::new("111111111111", "us-gov-west-1").check().is_empty());
        let e = Env::new("1234", "useast1").check();
        assert_eq!(e.len(), 2);
        assert!(e[0].contains("'1234'") && e[0].contains("12 digits"));
        assert!(e[1].contains("'useast1'"));
    }
}

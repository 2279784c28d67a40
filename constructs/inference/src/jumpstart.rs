//! SageMaker JumpStart models: the model source, the lock file synth reads,
//! and the resolver that writes it from a JumpStart model spec.
//!
//! Synth never reads the network: `jumpstart lock` resolves a model's spec
//! (the JSON file JumpStart publishes per model version, in the
//! `jumpstart-cache-prod-<region>` buckets) once into `jumpstart.lock`, next
//! to the app, which is committed like `Cargo.lock`. The spec format is the
//! SageMaker Python SDK's (`sagemaker/jumpstart/types.py`,
//! `JumpStartModelSpecs`): `hosting_instance_type_variants`,
//! `hosting_artifact_key`, `hosting_prepacked_artifact_key`,
//! `inference_environment_variables`, ...

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use mlcdk_sagemaker::InstanceType;

/// The lock file's default name, relative to the app's base directory.
pub const LOCK_FILE: &str = "jumpstart.lock";

/// The lock file format this version reads and writes.
pub const LOCK_FORMAT: u32 = 1;

/// Whether the stack accepts the end-user license agreement of a gated
/// model (`ModelAccessConfig.AcceptEula`). A model whose spec has a EULA is
/// refused at synth until the definition says `Eula::accepted(..)`: the
/// acceptance is a legal choice, made where a reviewer reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Eula {
    /// Not accepted (the default): a model with a EULA is refused.
    #[default]
    NotAccepted,
    /// Accepted, and by whom or on what grounds (e.g. "legal review
    /// LEGAL-123 accepted the Llama 3.1 community license").
    Accepted {
        /// Why the EULA may be accepted (at least 10 characters).
        reason: String,
    },
}

impl Eula {
    /// Accept the model's EULA, for `reason`.
    pub fn accepted(reason: impl Into<String>) -> Eula {
        Eula::Accepted {
            reason: reason.into(),
        }
    }

    /// Whether the EULA is accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Eula::Accepted { .. })
    }
}

/// A JumpStart model by id and version, resolved from the lock file at
/// synth (`jumpstart lock` writes it). A gated model is refused until its
/// EULA is accepted here:
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_inference::*;
///
/// // The options app's lock file (the default is jumpstart.lock in the
/// // app's base directory).
/// let lock_file = std::path::PathBuf::from("../../examples/options/jumpstart.lock");
/// let llm = |eula| JumpStartModel {
///     eula,
///     lock_file: lock_file.clone(),
///     ..JumpStartModel::new("meta-textgeneration-llama-3-2-1b", "1.2.3")
/// };
///
/// let mut stack = Stack::for_test();
/// Model::new(&mut stack, "Chat", ModelProps::jumpstart(llm(Eula::NotAccepted)));
/// let errors = stack.synth().unwrap_err().to_string();
/// assert!(errors.contains("[test-staging/Chat] JumpStart model meta-textgeneration-llama-3-2-1b@1.2.3 is gated"));
///
/// let mut stack = Stack::for_test();
/// let accepted = Eula::accepted("legal review LEGAL-42 accepted the license");
/// let chat = Model::new(&mut stack, "Chat", ModelProps::jumpstart(llm(accepted)));
/// assert_eq!(chat.jumpstart_instance().unwrap().as_str(), "ml.g5.2xlarge");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct JumpStartModel {
    /// The JumpStart model id (`model_id` of the spec).
    pub id: String,
    /// The model version (`version` of the spec), pinned: a new version is
    /// a reviewed change of this string and of the lock file.
    pub version: String,
    /// The EULA choice; required (`Eula::accepted`) for models with one.
    pub eula: Eula,
    /// The instance type the image and environment are resolved for
    /// (JumpStart picks the CPU or GPU image, and e.g. a tensor-parallel
    /// degree, per instance type); the endpoint must use the same one.
    /// Default: the model's default instance type.
    pub instance: Option<InstanceType>,
    /// The lock file, relative to the app's base directory (default
    /// [`LOCK_FILE`]).
    pub lock_file: PathBuf,
}

impl JumpStartModel {
    /// Model `id` at `version`, EULA not accepted, on its default instance
    /// type, from `jumpstart.lock`.
    pub fn new(id: impl Into<String>, version: impl Into<String>) -> JumpStartModel {
        JumpStartModel {
            id: id.into(),
            version: version.into(),
            eula: Eula::NotAccepted,
            instance: None,
            lock_file: PathBuf::from(LOCK_FILE),
        }
    }

    /// `id@version`, as the lock command takes it.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}

/// A lock file: every JumpStart model the app uses, resolved. The default
/// is an empty file of the current format.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JumpStartLock {
    /// The format ([`LOCK_FORMAT`]).
    pub version: u32,
    /// The models, by id and version.
    #[serde(default)]
    pub model: Vec<LockedModel>,
}

impl Default for JumpStartLock {
    fn default() -> JumpStartLock {
        JumpStartLock {
            version: LOCK_FORMAT,
            model: Vec::new(),
        }
    }
}

/// One model version in the lock file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LockedModel {
    /// `model_id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// Where to read the EULA (`hosting_eula_key` in the content bucket),
    /// when the model has one: synth then needs `Eula::accepted`.
    #[serde(default)]
    pub eula: Option<String>,
    /// The artifacts are in JumpStart's private bucket (`gated_bucket`).
    #[serde(default)]
    pub gated_bucket: bool,
    /// `inference_enable_network_isolation`: whether the model runs without
    /// network access (when false, it downloads at start-up).
    pub network_isolation: bool,
    /// `default_inference_instance_type`.
    pub default_instance_type: String,
    /// `supported_inference_instance_types`.
    pub supported_instance_types: Vec<String>,
    /// Every region the spec has images for (the model is available there).
    pub regions: Vec<String>,
    /// The resolved container per locked region and supported instance type.
    #[serde(default)]
    pub deployment: Vec<LockedDeployment>,
}

/// A model's container in one region on one instance type.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LockedDeployment {
    /// The region.
    pub region: String,
    /// The instance type.
    pub instance_type: String,
    /// The image URI.
    pub image: String,
    /// `s3://` URI of the artifacts: a prefix of uncompressed files, or a
    /// `.tar.gz` object.
    pub model_data: String,
    /// Whether `model_data` is a prefix of uncompressed files
    /// (`S3DataType: S3Prefix`, `CompressionType: None`).
    pub uncompressed: bool,
    /// The container's environment (the spec's defaults the model needs,
    /// with the instance type's overrides).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

impl LockedModel {
    /// The deployment for `region` and `instance`.
    pub fn deployment(&self, region: &str, instance: &str) -> Option<&LockedDeployment> {
        self.deployment
            .iter()
            .find(|d| d.region == region && d.instance_type == instance)
    }

    /// The regions this entry has deployments for.
    pub fn locked_regions(&self) -> BTreeSet<&str> {
        self.deployment.iter().map(|d| d.region.as_str()).collect()
    }
}

impl JumpStartLock {
    /// Parse a lock file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<JumpStartLock, String> {
        let lock: JumpStartLock = toml::from_str(text).map_err(|e| {
            format!("{file}: not a JumpStart lock file: {e}(rewrite it with `jumpstart lock`)")
        })?;
        if lock.version != LOCK_FORMAT {
            return Err(format!(
                "{file}: lock file format {} is not the one this mlcdk reads ({LOCK_FORMAT}); rewrite it with `jumpstart lock`",
                lock.version
            ));
        }
        Ok(lock)
    }

    /// The entry of `id` at `version`.
    pub fn find(&self, id: &str, version: &str) -> Option<&LockedModel> {
        self.model
            .iter()
            .find(|m| m.id == id && m.version == version)
    }

    /// Add `model`, or merge it into the entry of the same id and version:
    /// its deployments replace those of the same region, the others stay
    /// (locking another region keeps the ones locked before).
    pub fn upsert(&mut self, model: LockedModel) {
        match self
            .model
            .iter_mut()
            .find(|m| m.id == model.id && m.version == model.version)
        {
            Some(existing) => {
                let regions: BTreeSet<String> =
                    model.deployment.iter().map(|d| d.region.clone()).collect();
                let mut kept: Vec<LockedDeployment> = existing
                    .deployment
                    .drain(..)
                    .filter(|d| !regions.contains(&d.region))
                    .collect();
                let mut merged = model;
                kept.append(&mut merged.deployment);
                merged.deployment = kept;
                *existing = merged;
            }
            None => self.model.push(model),
        }
        for m in &mut self.model {
            m.deployment.sort_by(|a, b| {
                (a.region.as_str(), a.instance_type.as_str())
                    .cmp(&(b.region.as_str(), b.instance_type.as_str()))
            });
        }
        self.model
            .sort_by(|a, b| (a.id.as_str(), a.version.as_str()).cmp(&(b.id.as_str(), &b.version)));
    }

    /// The file's text: written by hand rather than by a TOML serializer, so
    /// the order and the header comment are stable and diffs stay small.
    pub fn render(&self) -> String {
        let mut s = String::from(
            "# SageMaker JumpStart models resolved by `jumpstart lock`; synth reads this file\n\
             # and never the network. Commit it; change it only by running the command again.\n",
        );
        s.push_str(&format!("version = {LOCK_FORMAT}\n"));
        for m in &self.model {
            s.push_str("\n[[model]]\n");
            s.push_str(&format!("id = {}\n", toml_str(&m.id)));
            s.push_str(&format!("version = {}\n", toml_str(&m.version)));
            if let Some(e) = &m.eula {
                s.push_str(&format!("eula = {}\n", toml_str(e)));
            }
            s.push_str(&format!("gated_bucket = {}\n", m.gated_bucket));
            s.push_str(&format!("network_isolation = {}\n", m.network_isolation));
            s.push_str(&format!(
                "default_instance_type = {}\n",
                toml_str(&m.default_instance_type)
            ));
            s.push_str(&format!(
                "supported_instance_types = {}\n",
                toml_list(&m.supported_instance_types)
            ));
            s.push_str(&format!("regions = {}\n", toml_list(&m.regions)));
            for d in &m.deployment {
                s.push_str("\n[[model.deployment]]\n");
                s.push_str(&format!("region = {}\n", toml_str(&d.region)));
                s.push_str(&format!("instance_type = {}\n", toml_str(&d.instance_type)));
                s.push_str(&format!("image = {}\n", toml_str(&d.image)));
                s.push_str(&format!("model_data = {}\n", toml_str(&d.model_data)));
                s.push_str(&format!("uncompressed = {}\n", d.uncompressed));
                s.push_str("[model.deployment.environment]\n");
                for (k, v) in &d.environment {
                    s.push_str(&format!("{} = {}\n", toml_str(k), toml_str(v)));
                }
            }
        }
        s
    }
}

/// A TOML basic string.
fn toml_str(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", items.join(", "))
}

/// The public bucket JumpStart serves a region's models from (the SDK's
/// `region_config.json`: `content_bucket`).
pub fn content_bucket(region: &str) -> String {
    format!("jumpstart-cache-prod-{region}")
}

/// The bucket of gated models' artifacts (`gated_content_bucket`).
pub fn gated_bucket(region: &str) -> String {
    format!("jumpstart-private-cache-prod-{region}")
}

/// Where a region's list of models is: its `spec_key` entries name each
/// version's spec in the same bucket.
pub fn manifest_url(region: &str) -> String {
    format!(
        "https://{}.s3.{region}.amazonaws.com/models_manifest.json",
        content_bucket(region)
    )
}

/// Where a model version's spec usually is (the manifest's `spec_key` of
/// open-weight models: `community_models/<id>/specs_v<version>.json`).
pub fn spec_url(region: &str, id: &str, version: &str) -> String {
    format!(
        "https://{}.s3.{region}.amazonaws.com/community_models/{id}/specs_v{version}.json",
        content_bucket(region)
    )
}

/// The family of an instance type as the specs key it (`g5` of
/// `ml.g5.12xlarge`; the SDK's `get_instance_type_family`).
fn family(instance: &str) -> &str {
    instance.split('.').nth(1).unwrap_or_default()
}

/// Resolve a JumpStart model spec (the JSON text of `specs_v<version>.json`)
/// into a lock entry with a deployment per region of `regions` and
/// supported instance type. Every problem is returned, together.
///
/// What the SageMaker Python SDK's `JumpStartModel` does, for the fields a
/// `CreateModel` needs:
/// - a spec with `inference_configs` uses its top-ranked configuration
///   (`inference_config_rankings.overall`), whose components override the
///   top-level fields;
/// - the image is the instance type's (else its family's)
///   `regional_properties.image_uri`, a `$alias` of the region's
///   `regional_aliases`;
/// - the artifacts are `hosting_prepacked_artifact_key` unless
///   `hosting_use_script_uri` (then `hosting_artifact_key`), either
///   overridden per instance type; in `jumpstart-cache-prod-<region>`, or
///   `jumpstart-private-cache-prod-<region>` when `gated_bucket`;
/// - the environment is every `inference_environment_variables` entry
///   `required_for_model_class`, with its default as a string, then the
///   family's and the instance type's `environment_variables`.
pub fn resolve(spec_text: &str, regions: &[String]) -> Result<LockedModel, Vec<String>> {
    let spec: Value = serde_json::from_str(spec_text)
        .map_err(|e| vec![format!("not a JumpStart model spec (JSON): {e}")])?;
    let Value::Object(mut top) = spec else {
        return Err(vec!["not a JumpStart model spec: not a JSON object".into()]);
    };
    let mut errors = Vec::new();
    // The top-ranked inference configuration's components override the
    // base fields (the SDK's default `config_name`).
    let ranked = top
        .get("inference_config_rankings")
        .and_then(|r| r.get("overall"))
        .and_then(|o| o.get("rankings"))
        .and_then(|r| r.get(0))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(config) = ranked {
        let components: Vec<String> = top
            .get("inference_configs")
            .and_then(|c| c.get(&config))
            .and_then(|c| c.get("component_names"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        for name in components {
            match top
                .get("inference_config_components")
                .and_then(|c| c.get(&name))
                .cloned()
            {
                Some(Value::Object(fields)) => top.extend(fields),
                _ => errors.push(format!(
                    "inference config '{config}' names component '{name}', which inference_config_components does not have"
                )),
            }
        }
    }
    let text = |key: &str| top.get(key).and_then(Value::as_str).map(str::to_string);
    let id = text("model_id");
    let version = text("version");
    if id.is_none() {
        errors.push("the spec has no model_id".into());
    }
    if version.is_none() {
        errors.push("the spec has no version".into());
    }
    let supported: Vec<String> = top
        .get("supported_inference_instance_types")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if supported.is_empty() {
        errors.push("the spec lists no supported_inference_instance_types".into());
    }
    for t in &supported {
        if let Err(e) = t.parse::<InstanceType>() {
            errors.push(format!("supported_inference_instance_types: {e}"));
        }
    }
    let default_instance = text("default_inference_instance_type").unwrap_or_default();
    if default_instance.is_empty() {
        errors.push("the spec has no default_inference_instance_type".into());
    } else if !supported.contains(&default_instance) {
        errors.push(format!(
            "default_inference_instance_type {default_instance} is not among supported_inference_instance_types"
        ));
    }
    let variants = top
        .get("hosting_instance_type_variants")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or(Value::Null);
    if variants.is_null() {
        // Older specs give only `hosting_ecr_specs` (framework and version),
        // which the SDK maps to an image through its own image tables.
        errors.push(format!(
            "the spec has no hosting_instance_type_variants (only hosting_ecr_specs {}): mlcdk resolves images from the regional aliases only; use a newer version of the model",
            top.get("hosting_ecr_specs").cloned().unwrap_or(Value::Null)
        ));
    }
    let aliases = variants.get("regional_aliases").and_then(Value::as_object);
    let mut available: Vec<String> = aliases
        .map(|a| a.keys().cloned().collect())
        .unwrap_or_default();
    available.sort();
    // The instance type's entry, then its family's: the SDK's order.
    let variant_prop = |instance: &str, section: &str, key: &str| -> Option<Value> {
        let v = variants.get("variants")?;
        v.get(instance)
            .and_then(|e| e.get(section))
            .and_then(|p| p.get(key))
            .or_else(|| {
                v.get(family(instance))
                    .and_then(|e| e.get(section))
                    .and_then(|p| p.get(key))
            })
            .cloned()
    };
    let eula_key = text("hosting_eula_key");
    let gated = top.get("gated_bucket").and_then(Value::as_bool) == Some(true);
    let network_isolation = top
        .get("inference_enable_network_isolation")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let use_script = top.get("hosting_use_script_uri").and_then(Value::as_bool) == Some(true);
    let data_type = text("hosting_artifact_s3_data_type");
    let compression = text("hosting_artifact_compression_type");
    let uncompressed = match (data_type.as_deref(), compression.as_deref()) {
        (Some("S3Prefix"), Some("None")) => true,
        (None | Some("S3Object"), None | Some("Gzip")) => false,
        (d, c) => {
            errors.push(format!(
                "hosting_artifact_s3_data_type {d:?} with hosting_artifact_compression_type {c:?} is not supported (S3Prefix with None, or a .tar.gz object)"
            ));
            false
        }
    };
    // Container-scoped defaults the model class sets (`required_for_model_class`).
    let mut base_env = BTreeMap::new();
    if let Some(list) = top
        .get("inference_environment_variables")
        .and_then(Value::as_array)
    {
        for e in list {
            if e.get("required_for_model_class").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let (Some(name), Some(default)) =
                (e.get("name").and_then(Value::as_str), e.get("default"))
            else {
                errors.push(format!(
                    "inference_environment_variables: an entry without name or default: {e}"
                ));
                continue;
            };
            base_env.insert(name.to_string(), python_str(default));
        }
    }
    let mut deployment = Vec::new();
    for region in regions {
        let Some(region_aliases) = aliases.and_then(|a| a.get(region)) else {
            if !variants.is_null() {
                errors.push(format!(
                    "the model is not available in {region} (the spec has images for: {})",
                    available.join(", ")
                ));
            }
            continue;
        };
        let bucket = if gated {
            gated_bucket(region)
        } else {
            content_bucket(region)
        };
        for instance in &supported {
            let image = match variant_prop(instance, "regional_properties", "image_uri") {
                Some(Value::String(alias)) => match alias.strip_prefix('$') {
                    Some(name) => match region_aliases.get(name).and_then(Value::as_str) {
                        Some(uri) => uri.to_string(),
                        None => {
                            errors.push(format!(
                                "{instance} in {region}: image alias ${name} is not in regional_aliases.{region}"
                            ));
                            continue;
                        }
                    },
                    None => alias,
                },
                _ => {
                    errors.push(format!(
                        "{instance} in {region}: no image (hosting_instance_type_variants has neither {instance} nor {} with an image_uri)",
                        family(instance)
                    ));
                    continue;
                }
            };
            if let Err(e) = image.parse::<mlcdk_sagemaker::EcrImage>() {
                errors.push(format!("{instance} in {region}: {e}"));
                continue;
            }
            let key = if use_script {
                variant_prop(instance, "properties", "artifact_key")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .or_else(|| text("hosting_artifact_key"))
            } else {
                variant_prop(instance, "properties", "prepacked_artifact_key")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .or_else(|| text("hosting_prepacked_artifact_key"))
                    .or_else(|| text("hosting_artifact_key"))
            };
            let Some(key) = key else {
                errors.push(format!("{instance}: the spec has no hosting artifact key"));
                continue;
            };
            if use_script {
                // The script would be a second artifact (hosting_script_key)
                // the container downloads: not modelled.
                errors.push(format!(
                    "the spec sets hosting_use_script_uri (inference code in {}): models with a separate inference script are not supported",
                    text("hosting_script_key").unwrap_or_default()
                ));
                break;
            }
            let mut environment = base_env.clone();
            if let Some(Value::Object(vars)) = variants
                .get("variants")
                .and_then(|v| v.get(family(instance)))
                .and_then(|e| e.get("properties"))
                .and_then(|p| p.get("environment_variables"))
            {
                for (k, v) in vars {
                    environment.insert(k.clone(), python_str(v));
                }
            }
            if let Some(Value::Object(vars)) = variants
                .get("variants")
                .and_then(|v| v.get(instance.as_str()))
                .and_then(|e| e.get("properties"))
                .and_then(|p| p.get("environment_variables"))
            {
                for (k, v) in vars {
                    environment.insert(k.clone(), python_str(v));
                }
            }
            deployment.push(LockedDeployment {
                region: region.clone(),
                instance_type: instance.clone(),
                image,
                model_data: format!("s3://{bucket}/{key}"),
                uncompressed,
                environment,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LockedModel {
        id: id.unwrap_or_default(),
        version: version.unwrap_or_default(),
        // Where the SDK's EULA message points (`get_formatted_eula_message_template`).
        eula: eula_key.map(|k| {
            let r = regions.first().map_or("us-east-1", String::as_str);
            format!("https://{}.s3.{r}.amazonaws.com/{k}", content_bucket(r))
        }),
        gated_bucket: gated,
        network_isolation,
        default_instance_type: default_instance,
        supported_instance_types: supported,
        regions: available,
        deployment,
    })
}

/// A default as the SDK's `str(default)` writes it (Python's spelling of
/// booleans).
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

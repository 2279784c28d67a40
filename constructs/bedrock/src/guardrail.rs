//! Guardrails: content filters, denied topics and sensitive information
//! handling, validated against what Bedrock accepts.
//!
//! The accepted values (names, lengths, enums, counts) are those of the
//! CloudFormation resource schema of `AWS::Bedrock::Guardrail` (the copy
//! bundled with cfn-lint 1.58.0, the version mlcdk's tests pin;
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-guardrail.html>),
//! narrowed where the `CreateGuardrail` API the resource calls is stricter
//! (its model in botocore 1.44.8, `bedrock/2023-04-20`): a denied topic's
//! definition takes 200 characters there, not the schema's 1,000, and a
//! regex pattern 500.

use std::collections::BTreeSet;

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_core::{CfnResource, Construct, Expr, Handle, Json, PhysicallyNamed, Scope, naming};
use mlcdk_storage::KeyRef;
use sha2::{Digest, Sha256};

/// A harmful-content category a content filter classifies
/// (`ContentFilterType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContentCategory {
    /// `SEXUAL`.
    Sexual,
    /// `VIOLENCE`.
    Violence,
    /// `HATE`.
    Hate,
    /// `INSULTS`.
    Insults,
    /// `MISCONDUCT`.
    Misconduct,
    /// `PROMPT_ATTACK`: jailbreaks and prompt injection; applies to input
    /// only, so its output strength must be `None`.
    PromptAttack,
}

impl ContentCategory {
    /// As Bedrock spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentCategory::Sexual => "SEXUAL",
            ContentCategory::Violence => "VIOLENCE",
            ContentCategory::Hate => "HATE",
            ContentCategory::Insults => "INSULTS",
            ContentCategory::Misconduct => "MISCONDUCT",
            ContentCategory::PromptAttack => "PROMPT_ATTACK",
        }
    }
}

/// How strongly a filter blocks (`FilterStrength`): the higher, the more
/// content it blocks, at the risk of blocking harmless content
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-content-filters-overview.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterStrength {
    /// `NONE`: not filtered.
    None,
    /// `LOW`: blocks content classified harmful with high confidence.
    Low,
    /// `MEDIUM`.
    Medium,
    /// `HIGH`: blocks content classified harmful with low, medium or high
    /// confidence.
    High,
}

impl FilterStrength {
    /// As Bedrock spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterStrength::None => "NONE",
            FilterStrength::Low => "LOW",
            FilterStrength::Medium => "MEDIUM",
            FilterStrength::High => "HIGH",
        }
    }
}

/// One content filter: a category and its strength on prompts and on
/// model responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentFilter {
    /// What it filters.
    pub category: ContentCategory,
    /// Strength on prompts.
    pub input: FilterStrength,
    /// Strength on responses (`None` for `PromptAttack`).
    pub output: FilterStrength,
}

impl ContentFilter {
    /// `category` at `strength` on prompts and responses.
    pub fn both(category: ContentCategory, strength: FilterStrength) -> ContentFilter {
        ContentFilter {
            category,
            input: strength,
            output: strength,
        }
    }

    /// The prompt-attack filter at `strength` (input only).
    pub fn prompt_attack(strength: FilterStrength) -> ContentFilter {
        ContentFilter {
            category: ContentCategory::PromptAttack,
            input: strength,
            output: FilterStrength::None,
        }
    }
}

/// A topic the application must not discuss (`TopicConfig`, type `DENY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeniedTopic {
    /// 1 to 100 letters, digits, spaces and `-_!?.`.
    pub name: String,
    /// What the topic is, 1 to 200 characters.
    pub definition: String,
    /// Up to 5 example prompts, each 1 to 100 characters.
    pub examples: Vec<String>,
}

/// What a sensitive-information filter does with a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SensitiveAction {
    /// `BLOCK`: the prompt or response is replaced by the blocked message.
    Block,
    /// `ANONYMIZE`: the match is masked with its type, e.g. `{EMAIL}`.
    Anonymize,
}

impl SensitiveAction {
    /// As Bedrock spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SensitiveAction::Block => "BLOCK",
            SensitiveAction::Anonymize => "ANONYMIZE",
        }
    }
}

macro_rules! pii_types {
    ($($variant:ident => $text:literal),* $(,)?) => {
        /// The PII entity types Bedrock guardrails detect (`PiiEntityType`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        #[allow(missing_docs)]
        pub enum PiiType { $($variant),* }

        impl PiiType {
            /// As Bedrock spells it.
            pub fn as_str(self) -> &'static str {
                match self { $(PiiType::$variant => $text),* }
            }

            /// Every type, in the schema's order.
            pub const ALL: &'static [PiiType] = &[$(PiiType::$variant),*];
        }
    };
}

pii_types! {
    Address => "ADDRESS",
    Age => "AGE",
    AwsAccessKey => "AWS_ACCESS_KEY",
    AwsSecretKey => "AWS_SECRET_KEY",
    CaHealthNumber => "CA_HEALTH_NUMBER",
    CaSocialInsuranceNumber => "CA_SOCIAL_INSURANCE_NUMBER",
    CreditDebitCardCvv => "CREDIT_DEBIT_CARD_CVV",
    CreditDebitCardExpiry => "CREDIT_DEBIT_CARD_EXPIRY",
    CreditDebitCardNumber => "CREDIT_DEBIT_CARD_NUMBER",
    DriverId => "DRIVER_ID",
    Email => "EMAIL",
    InternationalBankAccountNumber => "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    IpAddress => "IP_ADDRESS",
    LicensePlate => "LICENSE_PLATE",
    MacAddress => "MAC_ADDRESS",
    Name => "NAME",
    Password => "PASSWORD",
    Phone => "PHONE",
    Pin => "PIN",
    SwiftCode => "SWIFT_CODE",
    UkNationalHealthServiceNumber => "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    UkNationalInsuranceNumber => "UK_NATIONAL_INSURANCE_NUMBER",
    UkUniqueTaxpayerReferenceNumber => "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    Url => "URL",
    Username => "USERNAME",
    UsBankAccountNumber => "US_BANK_ACCOUNT_NUMBER",
    UsBankRoutingNumber => "US_BANK_ROUTING_NUMBER",
    UsIndividualTaxIdentificationNumber => "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    UsPassportNumber => "US_PASSPORT_NUMBER",
    UsSocialSecurityNumber => "US_SOCIAL_SECURITY_NUMBER",
    VehicleIdentificationNumber => "VEHICLE_IDENTIFICATION_NUMBER",
}

/// A PII entity type and what to do with it (`PiiEntityConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiiEntity {
    /// The type detected.
    pub kind: PiiType,
    /// Block or mask it.
    pub action: SensitiveAction,
}

/// A custom pattern of sensitive information (`RegexConfig`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SensitiveRegex {
    /// 1 to 100 characters.
    pub name: String,
    /// The regular expression, 1 to 500 characters.
    pub pattern: String,
    /// 1 to 1,000 characters.
    pub description: Option<String>,
    /// Block or mask matches.
    pub action: SensitiveAction,
}

/// Props of a [`Guardrail`].
#[derive(Clone, Debug)]
pub struct GuardrailProps {
    /// What a blocked prompt gets back: 1 to 500 characters.
    pub blocked_input_message: String,
    /// What replaces a blocked response: 1 to 500 characters.
    pub blocked_output_message: String,
    /// 1 to 200 characters.
    pub description: Option<String>,
    /// Up to 6, one per category.
    pub content_filters: Vec<ContentFilter>,
    /// Up to 30, names unique.
    pub denied_topics: Vec<DeniedTopic>,
    /// PII entity types, each at most once.
    pub pii: Vec<PiiEntity>,
    /// Up to 30 custom patterns, names unique.
    pub regexes: Vec<SensitiveRegex>,
    /// The KMS key the guardrail is encrypted with (an AWS owned key when
    /// `None`).
    pub encryption_key: Option<KeyRef>,
}

impl GuardrailProps {
    /// A guardrail answering blocked prompts with `blocked_input_message` and
    /// replacing blocked responses with `blocked_output_message`; add at
    /// least one policy (filters, topics, PII or patterns).
    pub fn new(blocked_input_message: &str, blocked_output_message: &str) -> GuardrailProps {
        GuardrailProps {
            blocked_input_message: blocked_input_message.to_string(),
            blocked_output_message: blocked_output_message.to_string(),
            description: None,
            content_filters: Vec::new(),
            denied_topics: Vec::new(),
            pii: Vec::new(),
            regexes: Vec::new(),
            encryption_key: None,
        }
    }
}

/// A Bedrock guardrail (`AWS::Bedrock::Guardrail`) and a published version of
/// it (`AWS::Bedrock::GuardrailVersion`), what callers pass with their
/// requests (`guardrailIdentifier` = `arn()`, `guardrailVersion` =
/// `version()`).
///
/// Every problem is reported at synth with the construct path, the value
/// and the accepted range: lengths and counts, the topic name characters,
/// one filter per category, a prompt-attack filter on input only, each PII
/// type once, and at least one policy.
///
/// A version is a snapshot: CloudFormation does not publish a new one when
/// the guardrail changes. The version's description carries a hash of the
/// guardrail's configuration, so a change replaces the version, and callers
/// get the new policies.
///
/// ```
/// use mlcdk_core::{Construct, Stack};
/// use mlcdk_bedrock::*;
///
/// let mut stack = Stack::for_test();
/// let guard = Guardrail::new(&mut stack, "Guard", GuardrailProps {
///     content_filters: vec![
///         ContentFilter::both(ContentCategory::Hate, FilterStrength::High),
///         ContentFilter::prompt_attack(FilterStrength::High),
///     ],
///     pii: vec![PiiEntity { kind: PiiType::Email, action: SensitiveAction::Anonymize }],
///     ..GuardrailProps::new("Sorry, I cannot answer that.", "Sorry, I cannot answer that.")
/// });
/// assert_eq!(guard.node_path().to_string(), "Guard");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Guardrail {
    handle: Handle,
    version: Expr,
    key: Option<KeyRef>,
}

/// Push `what` is `n` characters, out of `range`.
fn check_len(errors: &mut Vec<String>, what: &str, text: &str, min: usize, max: usize) {
    let n = text.chars().count();
    if n < min || n > max {
        errors.push(format!(
            "{what} has {n} characters: Bedrock takes {min} to {max}"
        ));
    }
}

fn check_count(errors: &mut Vec<String>, what: &str, n: usize, max: usize) {
    if n > max {
        errors.push(format!("{n} {what}: Bedrock takes at most {max}"));
    }
}

impl Guardrail {
    /// A guardrail and its version, validated at synth.
    pub fn new(scope: &mut impl Scope, id: &str, props: GuardrailProps) -> Guardrail {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let name = node.physical_name_for(naming::BEDROCK_GUARDRAIL);
        let mut errors = Vec::new();
        if !(1..=50).contains(&name.len())
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            errors.push(format!(
                "guardrail name '{name}' is invalid: Bedrock takes 1 to 50 letters, digits, '-' and '_'"
            ));
        }
        check_len(
            &mut errors,
            "blocked_input_message",
            &props.blocked_input_message,
            1,
            500,
        );
        check_len(
            &mut errors,
            "blocked_output_message",
            &props.blocked_output_message,
            1,
            500,
        );
        if let Some(d) = &props.description {
            check_len(&mut errors, "description", d, 1, 200);
        }
        // A guardrail without a policy lets everything through: always a
        // mistake, never what a team means by adding one.
        if props.content_filters.is_empty()
            && props.denied_topics.is_empty()
            && props.pii.is_empty()
            && props.regexes.is_empty()
        {
            errors.push(
                "the guardrail has no policy: add content_filters, denied_topics, pii or regexes"
                    .to_string(),
            );
        }
        check_count(
            &mut errors,
            "content filters",
            props.content_filters.len(),
            6,
        );
        let mut categories = BTreeSet::new();
        for f in &props.content_filters {
            if !categories.insert(f.category) {
                errors.push(format!(
                    "content filter {} is given twice: one filter per category",
                    f.category.as_str()
                ));
            }
            // Prompt attacks are detected in prompts only
            // (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-prompt-attack.html):
            // Bedrock refuses another output strength at deploy time with
            // "PROMPT_ATTACK content filter strength for response must be NONE"
            // (hashicorp/terraform-provider-awscc#1905, aws/aws-cdk#31919);
            // neither schema says so.
            if f.category == ContentCategory::PromptAttack && f.output != FilterStrength::None {
                errors.push(format!(
                    "content filter PROMPT_ATTACK has output strength {}: prompt attacks are filtered on input only, so it must be NONE (ContentFilter::prompt_attack)",
                    f.output.as_str()
                ));
            }
        }
        check_count(&mut errors, "denied topics", props.denied_topics.len(), 30);
        let mut topics = BTreeSet::new();
        for (i, t) in props.denied_topics.iter().enumerate() {
            let what = format!("denied topic {i} ('{}')", t.name);
            check_len(&mut errors, &format!("{what} name"), &t.name, 1, 100);
            if let Some(c) = t
                .name
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || " -_!?.".contains(*c)))
            {
                errors.push(format!(
                    "{what} name has '{c}': Bedrock takes letters, digits, spaces and '-', '_', '!', '?', '.'"
                ));
            }
            if !topics.insert(t.name.as_str()) {
                errors.push(format!("{what} is given twice: topic names are unique"));
            }
            check_len(
                &mut errors,
                &format!("{what} definition"),
                &t.definition,
                1,
                200,
            );
            check_count(
                &mut errors,
                &format!("examples in {what}"),
                t.examples.len(),
                5,
            );
            for (j, e) in t.examples.iter().enumerate() {
                check_len(&mut errors, &format!("{what} example {j}"), e, 1, 100);
            }
        }
        let mut kinds = BTreeSet::new();
        for p in &props.pii {
            if !kinds.insert(p.kind) {
                errors.push(format!(
                    "PII type {} is given twice: each type once",
                    p.kind.as_str()
                ));
            }
        }
        check_count(&mut errors, "regexes", props.regexes.len(), 30);
        let mut regexes = BTreeSet::new();
        for (i, r) in props.regexes.iter().enumerate() {
            let what = format!("regex {i} ('{}')", r.name);
            check_len(&mut errors, &format!("{what} name"), &r.name, 1, 100);
            check_len(&mut errors, &format!("{what} pattern"), &r.pattern, 1, 500);
            if let Some(d) = &r.description {
                check_len(&mut errors, &format!("{what} description"), d, 1, 1000);
            }
            if !regexes.insert(r.name.as_str()) {
                errors.push(format!("{what} is given twice: regex names are unique"));
            }
        }
        for e in errors {
            node.error(e);
        }

        let mut g = CfnResource::new("AWS::Bedrock::Guardrail")
            .set("Name", name.as_str())
            .set(
                "BlockedInputMessaging",
                props.blocked_input_message.as_str(),
            )
            .set(
                "BlockedOutputsMessaging",
                props.blocked_output_message.as_str(),
            );
        if let Some(d) = &props.description {
            g = g.set("Description", d.as_str());
        }
        if !props.content_filters.is_empty() {
            g = g.set(
                "ContentPolicyConfig",
                Json::object([(
                    "FiltersConfig",
                    Json::Array(
                        props
                            .content_filters
                            .iter()
                            .map(|f| {
                                Json::object([
                                    ("Type", Json::from(f.category.as_str())),
                                    ("InputStrength", Json::from(f.input.as_str())),
                                    ("OutputStrength", Json::from(f.output.as_str())),
                                ])
                            })
                            .collect(),
                    ),
                )]),
            );
        }
        if !props.denied_topics.is_empty() {
            g = g.set(
                "TopicPolicyConfig",
                Json::object([(
                    "TopicsConfig",
                    Json::Array(
                        props
                            .denied_topics
                            .iter()
                            .map(|t| {
                                let mut fields = vec![
                                    ("Name", Json::from(t.name.as_str())),
                                    ("Definition", Json::from(t.definition.as_str())),
                                    ("Type", Json::from("DENY")),
                                ];
                                if !t.examples.is_empty() {
                                    fields.push((
                                        "Examples",
                                        Json::Array(
                                            t.examples
                                                .iter()
                                                .map(|e| Json::from(e.as_str()))
                                                .collect(),
                                        ),
                                    ));
                                }
                                Json::object(fields)
                            })
                            .collect(),
                    ),
                )]),
            );
        }
        if !props.pii.is_empty() || !props.regexes.is_empty() {
            let mut sensitive = Vec::new();
            if !props.pii.is_empty() {
                sensitive.push((
                    "PiiEntitiesConfig",
                    Json::Array(
                        props
                            .pii
                            .iter()
                            .map(|p| {
                                Json::object([
                                    ("Type", Json::from(p.kind.as_str())),
                                    ("Action", Json::from(p.action.as_str())),
                                ])
                            })
                            .collect(),
                    ),
                ));
            }
            if !props.regexes.is_empty() {
                sensitive.push((
                    "RegexesConfig",
                    Json::Array(
                        props
                            .regexes
                            .iter()
                            .map(|r| {
                                let mut fields = vec![
                                    ("Name", Json::from(r.name.as_str())),
                                    ("Pattern", Json::from(r.pattern.as_str())),
                                    ("Action", Json::from(r.action.as_str())),
                                ];
                                if let Some(d) = &r.description {
                                    fields.push(("Description", Json::from(d.as_str())));
                                }
                                Json::object(fields)
                            })
                            .collect(),
                    ),
                ));
            }
            g = g.set("SensitiveInformationPolicyConfig", Json::object(sensitive));
        }
        if let Some(k) = &props.encryption_key {
            g = g.set("KmsKeyArn", k.arn());
        }
        let fingerprint = configuration_hash(&props);
        let resource = node.add_resource("Resource", g);
        let version = node.add_resource(
            "Version",
            CfnResource::new("AWS::Bedrock::GuardrailVersion")
                .set("GuardrailIdentifier", resource.get_att("GuardrailId"))
                .set(
                    "Description",
                    format!("mlcdk configuration {fingerprint}").as_str(),
                ),
        );
        Guardrail {
            // `Ref` is the guardrail's ARN and no attribute returns the
            // name: `name()` is the name fixed here.
            handle: Handle::new(resource.clone(), path, resource.get_att("GuardrailArn"))
                .with_name(Expr::lit(name.as_str()))
                .named(name),
            version: version.get_att("Version"),
            key: props.encryption_key,
        }
    }

    /// The published version callers pass as `guardrailVersion`.
    pub fn version(&self) -> Expr {
        self.version.clone()
    }

    /// Let `grantee` apply the guardrail (`bedrock:ApplyGuardrail`, which
    /// Bedrock checks when a model is invoked with it, and the
    /// `ApplyGuardrail` API), on this guardrail only, and decrypt with its
    /// key when it has one.
    pub fn grant_apply(&self, grantee: &impl Grantee) -> Grant {
        let grant = Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions(["bedrock:ApplyGuardrail"])
                .resources([self.arn()])],
        );
        match &self.key {
            Some(k) => grant.and(k.grant_decrypt(grantee)),
            None => grant,
        }
    }
}

/// A short hash of what the guardrail enforces: every field that reaches
/// the template, the key by its ARN only (a key's `Debug` text holds its
/// policy, which later grants change).
fn configuration_hash(props: &GuardrailProps) -> String {
    let text = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        props.blocked_input_message,
        props.blocked_output_message,
        props.description,
        props.content_filters,
        props.denied_topics,
        props.pii,
        props.regexes,
        props.encryption_key.as_ref().map(KeyRef::arn),
    );
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

impl Construct for Guardrail {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for Guardrail {}

//! The fake CloudFormation behind the README's drift blocks (included by
//! `tests/readme.rs`): the example's production stage as deployed, with four
//! resources changed by hand. Each drift names a property path of the
//! template and the value found instead; the expected value is read from the
//! template at that path, so the report shows what the definition really
//! says (a path that does not resolve to a literal fails the test).
//!
//! Which types it leaves unchecked is for the example; AWS lists the types
//! drift detection supports at
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import-supported-resources.html>.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use mlcdk::core::SynthesizedStack;
use mlcdk::deploy::api::*;
use mlcdk::deploy::ui::TerminalUi;
use mlcdk::deploy::{Command, DeployOptions, Deployer, Stopped, execute, finish};

/// `(construct path, property path, value found)` of each hand-made change.
pub const CHANGES: &[(&str, &str, &str)] = &[
    // An incident: more instances kept warm, from the console.
    ("Serve/PrimaryScaling", "/MinCapacity", "4"),
    // The alarm quieted during it, and never restored.
    ("Serve/PrimaryErrors", "/Threshold", "0.5"),
    // A bucket made publishable, and its TLS-only statement turned around.
    (
        "RawData/Resource",
        "/PublicAccessBlockConfiguration/BlockPublicPolicy",
        "false",
    ),
    (
        "RawData/Policy",
        "/PolicyDocument/Statement/0/Effect",
        "Allow",
    ),
];

/// Types the fake's drift detection leaves out, as CloudFormation leaves
/// out the types it does not support.
pub const UNCHECKED_TYPES: &[&str] = &[
    "AWS::Budgets::Budget",
    "AWS::SageMaker::DataQualityJobDefinition",
];

pub struct FakeCloud {
    stack: SynthesizedStack,
    /// What `describe_change_set` lists: the deploy block's one change.
    changes: Vec<ResourceChange>,
}

fn logical_id_at(stack: &SynthesizedStack, path: &str) -> String {
    stack
        .template
        .resources
        .iter()
        .find(|(_, r)| r.metadata.get("mlcdk:path").and_then(|p| p.as_str()) == Some(path))
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no resource at construct path {path}"))
}

/// A literal as CloudFormation prints a value: strings without quotes,
/// anything else as JSON.
fn literal(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => {
            assert!(
                !other.is_object() && !other.is_array(),
                "the README's drifts change literals: {other}"
            );
            other.to_string()
        }
    }
}

impl FakeCloud {
    pub fn new(stack: SynthesizedStack, changed: &[&str]) -> FakeCloud {
        let changes = changed
            .iter()
            .map(|path| {
                let id = logical_id_at(&stack, path);
                ResourceChange {
                    action: "Modify".into(),
                    resource_type: stack.template.resources[&id].resource_type.clone(),
                    logical_id: id,
                    replacement: Some("False".into()),
                }
            })
            .collect();
        FakeCloud { stack, changes }
    }

    fn unsupported(&self) -> &'static str {
        "not part of the README's example"
    }
}

impl CloudFormationApi for &FakeCloud {
    async fn describe_stack(&self, name: &str) -> Result<Option<StackDescription>, ApiError> {
        Ok(Some(StackDescription {
            name: name.to_string(),
            id: format!("arn:aws:cloudformation:us-east-1:222222222222:stack/{name}/1"),
            status: "UPDATE_COMPLETE".into(),
            termination_protection: true,
            ..Default::default()
        }))
    }
    async fn create_change_set(&self, r: &ChangeSetRequest) -> Result<CreatedChangeSet, ApiError> {
        Ok(CreatedChangeSet {
            id: r.change_set_name.clone(),
            stack_id: format!(
                "arn:aws:cloudformation:us-east-1:222222222222:stack/{}/1",
                r.stack_name
            ),
        })
    }
    async fn list_change_sets(&self, _: &str) -> Result<Vec<ChangeSetSummary>, ApiError> {
        Ok(Vec::new())
    }
    async fn describe_change_set(&self, _: &str) -> Result<ChangeSetDescription, ApiError> {
        Ok(ChangeSetDescription {
            status: "CREATE_COMPLETE".into(),
            status_reason: None,
            changes: self.changes.clone(),
        })
    }
    async fn execute_change_set(&self, _: &str) -> Result<(), ApiError> {
        Err(ApiError::new("Fake", self.unsupported()))
    }
    async fn delete_change_set(&self, _: &str) -> Result<(), ApiError> {
        Ok(())
    }
    async fn stack_events(&self, _: &str) -> Result<Vec<StackEvent>, ApiError> {
        Ok(Vec::new())
    }
    async fn stack_resources(&self, _: &str) -> Result<Vec<StackResource>, ApiError> {
        Ok(self
            .stack
            .template
            .resources
            .iter()
            .map(|(id, r)| StackResource {
                logical_id: id.clone(),
                physical_id: Some(id.to_lowercase()),
                resource_type: r.resource_type.clone(),
            })
            .collect())
    }
    async fn get_template(&self, _: &str) -> Result<String, ApiError> {
        Ok(self.stack.text.clone())
    }
    async fn delete_stack(&self, _: &str) -> Result<(), ApiError> {
        Err(ApiError::new("Fake", self.unsupported()))
    }
    async fn set_termination_protection(&self, _: &str, _: bool) -> Result<(), ApiError> {
        Err(ApiError::new("Fake", self.unsupported()))
    }
    async fn detect_stack_drift(&self, _: &str) -> Result<String, ApiError> {
        Ok("b78ac9b0-dec1-11e7-a451-503a3e4a4b2e".into())
    }
    async fn drift_detection_status(&self, _: &str) -> Result<DriftDetection, ApiError> {
        Ok(DriftDetection {
            status: "DETECTION_COMPLETE".into(),
            stack_drift_status: Some("DRIFTED".into()),
            drifted_count: Some(CHANGES.len() as i32),
            ..Default::default()
        })
    }
    async fn resource_drifts(&self, _: &str) -> Result<Vec<ResourceDrift>, ApiError> {
        let mut drifts = Vec::new();
        for (id, r) in &self.stack.template.resources {
            if UNCHECKED_TYPES.contains(&r.resource_type.as_str()) {
                continue;
            }
            let path = r.metadata.get("mlcdk:path").and_then(|p| p.as_str());
            let differences: Vec<PropertyDifference> = CHANGES
                .iter()
                .filter(|(at, _, _)| Some(*at) == path)
                .map(|(_, property, actual)| {
                    let properties = serde_json::Value::Object(r.properties.clone());
                    let expected = properties
                        .pointer(property)
                        .unwrap_or_else(|| panic!("{id} has no property {property}"));
                    PropertyDifference {
                        path: property.to_string(),
                        expected: literal(expected),
                        actual: actual.to_string(),
                        kind: "NOT_EQUAL".into(),
                    }
                })
                .collect();
            drifts.push(ResourceDrift {
                logical_id: id.clone(),
                physical_id: Some(id.to_lowercase()),
                resource_type: r.resource_type.clone(),
                status: if differences.is_empty() {
                    "IN_SYNC"
                } else {
                    "MODIFIED"
                }
                .into(),
                status_reason: None,
                differences,
            });
        }
        Ok(drifts)
    }
}

impl ObjectStore for &FakeCloud {
    async fn bucket_exists(&self, _: &str) -> Result<bool, ApiError> {
        Ok(true)
    }
    async fn object_exists(&self, _: &str, _: &str) -> Result<bool, ApiError> {
        Ok(true)
    }
    async fn put_object(&self, _: &str, _: &str, _: Vec<u8>) -> Result<(), ApiError> {
        Ok(())
    }
}

impl Identity for &FakeCloud {
    async fn account_id(&self) -> Result<String, ApiError> {
        Ok(self.stack.info.env.account.clone().unwrap_or_default())
    }
}

/// Standard output and error of one command, as `mlcdk::deploy::run` would
/// print them (a terminal that cannot ask: no colours, no progress bar), and
/// its exit code.
pub fn run(cloud: &FakeCloud, command: Command, options: DeployOptions) -> (u8, String) {
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = Shared::default();
    let mut ui = TerminalUi::with_output(Box::new(out.clone()), false);
    let deployer = Deployer::new(cloud, cloud, cloud, options);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(execute(&deployer, command, &cloud.stack, &mut ui));
    drop(ui);
    let mut err = Vec::new();
    let code = finish(
        command,
        &cloud.stack,
        result.map_err(Stopped::Error),
        &mut err,
    );
    let text = format!(
        "{}{}",
        String::from_utf8(out.0.borrow().clone()).unwrap(),
        String::from_utf8(err).unwrap()
    );
    (code, text)
}

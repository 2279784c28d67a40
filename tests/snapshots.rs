//! Whole-template snapshots of every stage of the example app. A change to a
//! template shows up here as a diff to review (`cargo insta review`).

#[path = "../examples/deploy/stack.rs"]
mod stack;

#[test]
fn example_templates() {
    let assembly = stack::app().synth(None).expect("the example synthesizes");
    assert_eq!(assembly.stacks.len(), 2);
    for s in &assembly.stacks {
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            description => format!("{} ({:?} stage)", s.info.stack_name, s.info.kind),
        }, {
            insta::assert_snapshot!(s.info.stack_name.clone(), s.text);
        });
    }
}

#[test]
fn logical_ids_are_identical_across_stages() {
    let assembly = stack::app().synth(None).unwrap();
    let ids: Vec<Vec<&String>> = assembly
        .stacks
        .iter()
        .map(|s| s.template.resources.keys().collect())
        .collect();
    assert_eq!(ids[0], ids[1]);
}

/// The pipeline definition body, decoded: the JSON SageMaker receives, with
/// each stack reference shown as `<Ref X>`, `<X.Attr>` or its `Fn::Sub` pattern.
fn decoded_definition(template: &mlcdk::core::Template, construct: &str) -> serde_json::Value {
    let pipeline = template
        .resources_of_type("AWS::SageMaker::Pipeline")
        .find(|(id, _)| id.starts_with(construct))
        .unwrap_or_else(|| panic!("the example has a pipeline of {construct}"))
        .1;
    let body = &pipeline.properties["PipelineDefinition"]["PipelineDefinitionBody"];
    let text: String = match body {
        serde_json::Value::String(s) => s.clone(),
        join => join["Fn::Join"][1]
            .as_array()
            .expect("a joined body")
            .iter()
            .map(|part| match part {
                serde_json::Value::String(s) => s.clone(),
                other if other.get("Ref").is_some() => {
                    format!("<Ref {}>", other["Ref"].as_str().unwrap())
                }
                other if other.get("Fn::GetAtt").is_some() => format!(
                    "<{}.{}>",
                    other["Fn::GetAtt"][0].as_str().unwrap(),
                    other["Fn::GetAtt"][1].as_str().unwrap()
                ),
                other if other.get("Fn::Sub").is_some() => {
                    other["Fn::Sub"].as_str().unwrap().to_string()
                }
                other => panic!("unexpected reference in the definition: {other}"),
            })
            .collect(),
    };
    serde_json::from_str(&text).expect("the definition is JSON")
}

#[test]
fn example_pipeline_definitions() {
    let assembly = stack::app().synth(None).unwrap();
    for s in &assembly.stacks {
        // The training pipeline, and the drift monitor's one-step pipeline.
        for (construct, what, name) in [
            ("Training", "training pipeline", "pipeline-definition"),
            ("Drift", "monitoring pipeline", "monitor-definition"),
        ] {
            let definition = decoded_definition(&s.template, construct);
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                description => format!("{}: the {what} definition, decoded", s.info.stack_name),
            }, {
                insta::assert_snapshot!(
                    format!("{}-{name}", s.info.stack_name),
                    serde_json::to_string_pretty(&definition).unwrap()
                );
            });
        }
    }
}

/// Every difference between staging and production, in one reviewable file.
#[test]
fn stage_diff() {
    let assembly = stack::app().synth(None).unwrap();
    let (staging, production) = (&assembly.stacks[0], &assembly.stacks[1]);
    let differences = mlcdk::core::stage_diff::diff(&staging.template, &production.template);
    // Same resources in every stage: only their properties differ (a
    // one-instance staging fleet shifts traffic all at once, production's
    // fleet through a canary, so a property may exist in one stage only).
    use mlcdk::core::stage_diff::Difference;
    for d in &differences {
        if let Difference::Added { path, .. } | Difference::Removed { path, .. } = d {
            assert!(
                path.matches('.').count() > 1,
                "a resource or section exists in one stage only: {path}"
            );
        }
    }
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => "churn: staging → production",
    }, {
        insta::assert_snapshot!(
            "churn-stage-diff",
            mlcdk::core::stage_diff::render("staging", "production", &differences)
        );
    });
}

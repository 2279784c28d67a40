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

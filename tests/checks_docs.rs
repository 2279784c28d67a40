//! The README's rule table lists every rule of the pack.

#[test]
fn readme_lists_every_rule() {
    let readme = include_str!("../README.md");
    for rule in mlcdk::checks::RULES {
        let row = format!("| `{}` |", rule.id);
        assert!(
            readme.contains(&row),
            "README's Checks table misses {}",
            rule.id
        );
        assert!(
            readme.contains(rule.title),
            "README misses the title of {}",
            rule.id
        );
    }
}

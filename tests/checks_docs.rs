//! The README's rule table lists every rule of the pack, with its severity
//! and title as the registry has them.

#[test]
fn readme_lists_every_rule() {
    use mlcdk::checks::Severity;
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
        let severity = match (rule.severity, rule.error_in_production) {
            (Severity::Error, _) => "error",
            (Severity::Warning, true) => "warning (error)",
            (Severity::Warning, false) => "warning",
        };
        let full = format!("| `{}` | {severity} | {} |", rule.id, rule.title);
        assert!(
            readme.contains(&full),
            "README's row of {} should read {full}",
            rule.id
        );
        assert!(
            !rule.explanation.is_empty() && rule.explanation != rule.title,
            "{} has no explanation of its own",
            rule.id
        );
    }
}

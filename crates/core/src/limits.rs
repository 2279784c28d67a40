//! CloudFormation quotas, enforced at synth.
//!
//! Source: AWS CloudFormation User Guide, "CloudFormation quotas".

use crate::template::Template;

/// Resources per template.
pub const MAX_RESOURCES: usize = 500;
/// Outputs per template.
pub const MAX_OUTPUTS: usize = 200;
/// Parameters per template.
pub const MAX_PARAMETERS: usize = 200;
/// Mappings per template.
pub const MAX_MAPPINGS: usize = 200;
/// Top-level keys per mapping.
pub const MAX_MAPPING_ATTRIBUTES: usize = 200;
/// Bytes of the template's description.
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
/// Largest template CloudFormation accepts (through S3).
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
/// Largest template CloudFormation accepts inline (`TemplateBody`); above it the
/// deployer uploads the template and passes `TemplateURL`.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;
/// Characters of a stack name.
pub const MAX_STACK_NAME: usize = 128;
/// Characters of a logical ID, output, parameter, condition or mapping name.
pub const MAX_NAME: usize = crate::logical_id::MAX_ID_LEN;

/// Stack names: `^[A-Za-z][A-Za-z0-9-]*$`, at most 128 characters.
pub fn check_stack_name(name: &str) -> Result<(), String> {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if name.len() > MAX_STACK_NAME || !starts_with_letter || !valid_chars {
        return Err(format!(
            "stack name '{name}' ({} characters) is invalid: stack names match ^[A-Za-z][A-Za-z0-9-]*$ and have at most {MAX_STACK_NAME} characters (the stack name is <app>-<stage>)",
            name.chars().count()
        ));
    }
    Ok(())
}

/// Output, parameter, condition and mapping names: `^[A-Za-z0-9]{1,255}$`.
pub fn check_name(kind: &str, name: &str) -> Result<(), String> {
    if crate::logical_id::is_valid(name) {
        Ok(())
    } else {
        let shown: String = name.chars().take(40).collect();
        let ellipsis = if name.chars().count() > 40 { "…" } else { "" };
        Err(format!(
            "{kind} name '{shown}{ellipsis}' ({} characters) is invalid: names match ^[A-Za-z0-9]{{1,{MAX_NAME}}}$",
            name.chars().count()
        ))
    }
}

/// Counts and sizes of a template's sections.
pub fn check_template(t: &Template) -> Vec<String> {
    let mut errors = Vec::new();
    let counts = [
        ("resources", t.resources.len(), MAX_RESOURCES),
        ("outputs", t.outputs.len(), MAX_OUTPUTS),
        ("parameters", t.parameters.len(), MAX_PARAMETERS),
        ("mappings", t.mappings.len(), MAX_MAPPINGS),
    ];
    for (what, n, max) in counts {
        if n > max {
            errors.push(format!(
                "template has {n} {what}; CloudFormation accepts at most {max} per template (split the stack)"
            ));
        }
    }
    for (name, m) in &t.mappings {
        let n = m.as_object().map_or(0, |o| o.len());
        if n > MAX_MAPPING_ATTRIBUTES {
            errors.push(format!(
                "mapping '{name}' has {n} top-level keys; CloudFormation accepts at most {MAX_MAPPING_ATTRIBUTES}"
            ));
        }
    }
    if let Some(d) = &t.description
        && d.len() > MAX_DESCRIPTION_BYTES
    {
        errors.push(format!(
            "description is {} bytes; CloudFormation accepts at most {MAX_DESCRIPTION_BYTES}",
            d.len()
        ));
    }
    errors
}

/// The rendered template's size against [`MAX_TEMPLATE_BYTES`].
pub fn check_size(bytes: usize) -> Result<(), String> {
    if bytes > MAX_TEMPLATE_BYTES {
        Err(format!(
            "template is {bytes} bytes; CloudFormation accepts at most {MAX_TEMPLATE_BYTES} (move large documents such as pipeline definitions to assets, or split the stack)"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names() {
        assert!(check_stack_name("churn-staging").is_ok());
        for bad in ["", "1abc", "a_b", "a b", &"a".repeat(129)] {
            let e = check_stack_name(bad).unwrap_err();
            assert!(e.contains("^[A-Za-z][A-Za-z0-9-]*$"), "{e}");
        }
        assert!(check_stack_name(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn names() {
        assert!(check_name("output", "BucketArn").is_ok());
        let e = check_name("output", "Bucket-Arn").unwrap_err();
        assert!(
            e.contains("output name 'Bucket-Arn' (10 characters) is invalid"),
            "{e}"
        );
        let e = check_name("parameter", &"P".repeat(256)).unwrap_err();
        assert!(e.contains("(256 characters)") && e.contains('…'), "{e}");
    }

    #[test]
    fn counts_and_sizes() {
        let mut t = Template::default();
        for i in 0..501 {
            t.resources.insert(format!("R{i}"), Default::default());
        }
        t.description = Some("d".repeat(1025));
        let errors = check_template(&t);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("501 resources") && errors[0].contains("at most 500"));
        assert!(errors[1].contains("1025 bytes"));
        assert!(check_size(1_000_000).is_ok());
        assert!(
            check_size(1_000_001)
                .unwrap_err()
                .contains("at most 1000000")
        );
    }
}

//! Stage files with odd values: each mistake is reported with the file, the
//! field path, the value and the accepted range, and nothing panics.

use mlcdk_core::{App, Env, StageKind};
use mlcdk_testkit::Scratch;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Knobs {
    etl_workers: u32,
    athena_cutoff_bytes: u64,
    model_version: u32,
    ratio: f64,
    capacity: (u32, u32),
    emails: Vec<String>,
}

const GOOD: &str = r#"
etl_workers = 2
athena_cutoff_bytes = 1073741824
model_version = 1
ratio = 0.5
capacity = [1, 2]
emails = ["ml-team@example.com"]
"#;

const GOOD_JSON: &str = r#"{"etl_workers": 2, "athena_cutoff_bytes": 1073741824, "model_version": 1, "ratio": 0.5, "capacity": [1, 2], "emails": []}"#;

/// `GOOD` with the line of `field` replaced.
fn with(field: &str, line: &str) -> String {
    GOOD.lines()
        .map(|l| {
            if l.starts_with(&format!("{field} =")) {
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads `text` as `stages/staging.<ext>`; the knobs, or the messages with
/// the file's path replaced by `FILE`.
fn load(ext: &str, text: &str) -> Result<Knobs, Vec<String>> {
    let dir = Scratch::new("stage-file");
    let file = dir.join(format!("staging.{ext}"));
    std::fs::write(&file, text).unwrap();
    let app = App::new("churn", |_, _: &Knobs| {})
        .base_dir(dir.path())
        .stages_dir(".")
        .stage_file(
            "staging",
            StageKind::Staging,
            Env::new("111111111111", "us-east-1"),
        );
    match app.synth(None) {
        Ok(_) => Ok(app.stages()[0].knobs.clone()),
        Err(e) => Err(e
            .iter()
            // The app's own complaint when its only stage did not load.
            .filter(|e| !e.message.starts_with("the app has no stages"))
            .map(|e| {
                let shown = file.display().to_string();
                let file_at = dir.join(".").join(format!("staging.{ext}"));
                e.to_string()
                    .replace(&file_at.display().to_string(), "FILE")
                    .replace(&shown, "FILE")
            })
            .collect()),
    }
}

fn errors(ext: &str, text: &str) -> Vec<String> {
    match load(ext, text) {
        Ok(k) => panic!("accepted: {k:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_good_file_loads() {
    let k = load("toml", GOOD).unwrap();
    assert_eq!((k.etl_workers, k.capacity), (2, (1, 2)));
}

#[test]
fn non_ascii_strings_in_wrong_typed_fields_do_not_panic() {
    // The reliability report's D2: byte 40 of the rendered value falls inside
    // 'é'.
    let e = errors(
        "toml",
        &with(
            "model_version",
            "model_version = \"version « stable » validée par l’équipe\"",
        ),
    );
    assert_eq!(
        e,
        [
            "[churn-staging] FILE: model_version: expected integer, found string \"version « stable » validée par l’équipe\""
        ]
    );
    let e = errors(
        "toml",
        &with(
            "capacity",
            &format!("capacity = [\"{}\", 1]", "🙂".repeat(70)),
        ),
    );
    assert_eq!(
        e,
        [format!(
            "[churn-staging] FILE: capacity[0]: expected integer, found string \"{}\"… (70 characters)",
            "🙂".repeat(60)
        )]
    );
}

#[test]
fn integers_out_of_range_name_the_field_value_and_range() {
    assert_eq!(
        errors("toml", &with("etl_workers", "etl_workers = 4294967296")),
        [
            "[churn-staging] FILE: etl_workers: 4294967296 is out of range for an unsigned 32-bit integer (0..=4294967295)"
        ]
    );
    assert_eq!(
        errors(
            "toml",
            &with("etl_workers", "etl_workers = -9223372036854775808")
        ),
        [
            "[churn-staging] FILE: etl_workers: -9223372036854775808 is below the minimum 0 (an unsigned 32-bit integer: 0..=4294967295)"
        ]
    );
    assert_eq!(
        errors("toml", &with("capacity", "capacity = [1, 99999999999]")),
        [
            "[churn-staging] FILE: capacity[1]: 99999999999 is out of range for an unsigned 32-bit integer (0..=4294967295)"
        ]
    );
    // Beyond 64 bits serde_json reads a JSON integer as a float, unless its
    // `arbitrary_precision` (which the `stratosphere` feature turns on) keeps
    // the digits.
    let beyond_64_bits = if arbitrary_precision() {
        "18446744073709551616"
    } else {
        "1.8446744073709552e+19"
    };
    assert_eq!(
        errors(
            "json",
            r#"{"etl_workers": 18446744073709551615, "athena_cutoff_bytes": -1, "model_version": 1,
                "ratio": 1, "capacity": [1, 18446744073709551616], "emails": []}"#
        ),
        [
            "[churn-staging] FILE: athena_cutoff_bytes: -1 is below the minimum 0 (an unsigned 64-bit integer: 0..=18446744073709551615)".to_string(),
            format!("[churn-staging] FILE: capacity[1]: {beyond_64_bits} is out of range for an unsigned 32-bit integer (0..=4294967295)"),
            "[churn-staging] FILE: etl_workers: 18446744073709551615 is out of range for an unsigned 32-bit integer (0..=4294967295)".to_string(),
        ]
    );
    // Too big for TOML itself: the parser's message, with line and column.
    let e = errors(
        "toml",
        &with(
            "athena_cutoff_bytes",
            "athena_cutoff_bytes = 18446744073709551615",
        ),
    );
    assert_eq!(
        e,
        [
            "[churn-staging] FILE: not TOML: line 3, column 23: u64 value was too large\n    | athena_cutoff_bytes = 18446744073709551615\n    |                       ^"
        ]
    );
}

#[test]
fn nan_inf_and_datetimes_are_named_as_such() {
    let text = with("ratio", "ratio = inf")
        .replace("etl_workers = 2", "etl_workers = nan")
        .replace("model_version = 1", "model_version = 1979-05-27T07:32:00Z");
    assert_eq!(
        errors("toml", &text),
        [
            "[churn-staging] FILE: etl_workers: expected integer, found nan (only finite numbers are accepted)",
            "[churn-staging] FILE: model_version: expected integer, found datetime 1979-05-27T07:32:00Z",
            "[churn-staging] FILE: ratio: expected number, found inf (only finite numbers are accepted)",
        ]
    );
    assert_eq!(
        errors("toml", &with("ratio", "ratio = -inf")),
        [
            "[churn-staging] FILE: ratio: expected number, found -inf (only finite numbers are accepted)"
        ]
    );
}

#[test]
fn control_characters_are_escaped_in_messages() {
    let text = with(
        "capacity",
        r#"capacity = ["a\u0000b\nc\u202Ed\u001B[2J", 1]"#,
    ) + "\n\"evil\\nkey\" = 1\n";
    assert_eq!(
        errors("toml", &text),
        [
            r#"[churn-staging] FILE: capacity[0]: expected integer, found string "a\0b\nc\u{202e}d\u{1b}[2J""#,
            r#"[churn-staging] FILE: "evil\nkey": unknown field (known: assumptions, athena_cutoff_bytes, capacity, emails, etl_workers, model_version, ratio)"#,
        ]
    );
}

#[test]
fn long_values_and_lines_are_abbreviated() {
    let huge = "x".repeat(200_000);
    let e = errors(
        "toml",
        &with("model_version", &format!("model_version = \"{huge}\"")),
    );
    assert_eq!(
        e,
        [format!(
            "[churn-staging] FILE: model_version: expected integer, found string \"{}\"… (200000 characters)",
            "x".repeat(60)
        )]
    );
    // The report's M7: 100,000 '[' on one line.
    let e = errors(
        "toml",
        &format!("{GOOD}\nextra = {}\n", "[".repeat(100_000)),
    );
    assert_eq!(
        e,
        [format!(
            "[churn-staging] FILE: not TOML: line 9, column 89: cannot recurse further; max recursion depth met\n    | …{}…\n    | {}^",
            "[".repeat(60),
            " ".repeat(31)
        )]
    );
    let e = errors(
        "toml",
        &format!("{GOOD}\nextra = \"unterminated {}\n", "y".repeat(10_000)),
    );
    assert_eq!(
        e,
        [format!(
            "[churn-staging] FILE: not TOML: line 9, column 10023: invalid basic string, expected `\"`\n    | …{}\n    | {}^",
            "y".repeat(30),
            " ".repeat(31)
        )]
    );
    // An error near the start of a long line keeps the start.
    let e = errors("toml", &format!("= {}\n", "z".repeat(10_000)));
    assert_eq!(
        e,
        [format!(
            "[churn-staging] FILE: not TOML: line 1, column 1: unquoted keys cannot be empty, expected letters, numbers, `-`, `_`\n    | = {}…\n    | ^",
            "z".repeat(28)
        )]
    );
}

#[test]
fn a_flood_of_problems_is_bounded() {
    let items: Vec<String> = (0..150).map(|i| i.to_string()).collect();
    let e = errors(
        "toml",
        &with("emails", &format!("emails = [{}]", items.join(", "))),
    );
    assert_eq!(e.len(), 101);
    assert_eq!(
        e[0],
        "[churn-staging] FILE: emails[0]: expected string, found integer 0"
    );
    assert_eq!(
        e[100],
        "[churn-staging] FILE: 50 more problems not shown (the first 100 are)"
    );
}

/// Whether serde_json keeps number literals as text (its
/// `arbitrary_precision` feature, turned on by core's `stratosphere`).
fn arbitrary_precision() -> bool {
    serde_json::from_str::<serde_json::Value>("1e400").is_ok()
}

#[test]
fn odd_files_give_errors() {
    let e = errors(
        "json",
        &GOOD_JSON.replace("\"ratio\": 0.5", "\"ratio\": 1e400"),
    );
    if arbitrary_precision() {
        assert_eq!(
            e,
            [
                "[churn-staging] FILE: ratio: 1e+400 is out of range for a 64-bit float (-1.7976931348623157e308..=1.7976931348623157e308)"
            ]
        );
    } else {
        assert_eq!(
            e,
            ["[churn-staging] FILE: not JSON: number out of range at line 1 column 88"]
        );
    }
    let e = errors("toml", "");
    assert_eq!(e.len(), 6, "{e:?}");
    assert_eq!(e[0], "[churn-staging] FILE: etl_workers: missing");
    let e = errors("json", "[1, 2]");
    assert_eq!(
        e,
        ["[churn-staging] FILE: (top level): expected object, found array [1,2]"]
    );
}

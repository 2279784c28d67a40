//! Property tests of the stage-file loader: arbitrary bytes, arbitrary TOML
//! and JSON documents, and the good file with arbitrary values put in its
//! fields all give knobs or errors, never a panic, and every message is short
//! and free of raw control characters.

use std::path::Path;

use mlcdk_core::{App, Env, StageKind};
use mlcdk_testkit::Scratch;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Knobs {
    etl_workers: u32,
    athena_cutoff_bytes: u64,
    offset: i64,
    small: u8,
    ratio: f64,
    scale: Option<f32>,
    instance: String,
    capacity: (u32, u32),
    emails: Vec<String>,
    inner: Option<Inner>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Inner {
    min: u16,
    when: Option<String>,
}

const FIELDS: [(&str, &str); 10] = [
    ("etl_workers", "2"),
    ("athena_cutoff_bytes", "1073741824"),
    ("offset", "-5"),
    ("small", "7"),
    ("ratio", "0.5"),
    ("scale", "1.5"),
    ("instance", "\"ml.m5.large\""),
    ("capacity", "[1, 2]"),
    ("emails", "[\"ml-team@example.com\"]"),
    ("inner", "{ min = 1 }"),
];

/// Loads `text` as `<dir>/staging.<ext>` and checks what every run must give.
fn load(dir: &Path, ext: &str, text: &[u8]) -> Result<Knobs, Vec<String>> {
    for other in ["toml", "json"] {
        let _ = std::fs::remove_file(dir.join(format!("staging.{other}")));
    }
    std::fs::write(dir.join(format!("staging.{ext}")), text).unwrap();
    let app = App::new("churn", |_, _: &Knobs| {})
        .base_dir(dir)
        .stages_dir(".")
        .stage_file(
            "staging",
            StageKind::Staging,
            Env::new("111111111111", "us-east-1"),
        );
    let result = match app.synth(None) {
        Ok(_) => Ok(app.stages()[0].knobs.clone()),
        Err(e) => Err(e
            .iter()
            // The app's own complaint when its only stage did not load.
            .filter(|e| !e.message.starts_with("the app has no stages"))
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()),
    };
    if let Err(messages) = &result {
        assert!(!messages.is_empty());
        assert!(messages.len() <= 102, "{} messages", messages.len());
        let prefix = dir.display().to_string().len();
        for m in messages {
            // The file's path, then at most a bounded message: values are
            // abbreviated, parser messages clipped.
            assert!(m.len() <= prefix + 1_500, "{} bytes: {m}", m.len());
            assert!(
                !m.chars().any(|c| c.is_control() && c != '\n'),
                "raw control character in {m:?}"
            );
        }
    }
    result
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        // Debug always has a '.' or an exponent, as TOML floats need.
        format!("{f:?}")
    }
}

/// An inline TOML value.
fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| toml_string(&s)),
        "[a-z@.«é🙂 ]{0,80}".prop_map(|s| toml_string(&s)),
        any::<i64>().prop_map(|i| i.to_string()),
        (0u64..100).prop_map(|i| i.to_string()),
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MAX),
            Just(-0.0),
            Just(1e39),
        ]
        .prop_map(toml_float),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("07:32:00".to_string()),
        Just("1979-05-27".to_string()),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((any::<String>(), inner), 0..4).prop_map(|kv| {
                let mut seen = std::collections::HashSet::new();
                let items: Vec<String> = kv
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, v)| format!("{} = {v}", toml_string(&k)))
                    .collect();
                format!("{{ {} }}", items.join(", "))
            }),
        ]
    })
}

/// A JSON value as text, with numbers as literals of any size.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| serde_json::Value::String(s).to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| i.to_string()),
        "-?[1-9][0-9]{15,40}",
        "-?[0-9]\\.[0-9]{1,5}e-?[0-9]{1,3}",
        any::<bool>().prop_map(|b| b.to_string()),
        Just("null".to_string()),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        any::<String>(),
                        prop::sample::select(FIELDS.map(|(k, _)| k.to_string()).to_vec()),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| {
                let items: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::Value::String(k)))
                    .collect();
                format!("{{{}}}", items.join(","))
            }),
        ]
    })
}

fn config() -> Config {
    Config {
        cases: 256,
        // A failure is reported with its shrunk input; nothing is written
        // into the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400), json in any::<bool>()) {
        let dir = Scratch::new("props-bytes");
        let _ = load(&dir, if json { "json" } else { "toml" }, &bytes);
    }

    #[test]
    fn arbitrary_text(text in any::<String>(), json in any::<bool>()) {
        let dir = Scratch::new("props-text");
        let _ = load(&dir, if json { "json" } else { "toml" }, text.as_bytes());
    }

    #[test]
    fn arbitrary_values_in_known_fields(
        replaced in prop::collection::vec((0..FIELDS.len(), toml_value()), 0..4),
        dropped in prop::option::of(0..FIELDS.len()),
    ) {
        let dir = Scratch::new("props-fields");
        let mut lines: Vec<Option<String>> =
            FIELDS.iter().map(|(k, v)| Some(format!("{k} = {v}"))).collect();
        for (i, v) in &replaced {
            lines[*i] = Some(format!("{} = {v}", FIELDS[*i].0));
        }
        if let Some(i) = dropped {
            lines[i] = None;
        }
        let text = lines.into_iter().flatten().collect::<Vec<_>>().join("\n");
        let result = load(&dir, "toml", text.as_bytes());
        if replaced.is_empty() && dropped.is_none() {
            prop_assert!(result.is_ok(), "{result:?}");
        }
        if let Err(messages) = result {
            // Every message names the file.
            for m in &messages {
                prop_assert!(m.contains("staging.toml"), "{m}");
            }
        }
    }

    #[test]
    fn arbitrary_toml_documents(
        entries in prop::collection::vec((any::<String>(), toml_value()), 0..6),
    ) {
        let dir = Scratch::new("props-toml");
        let mut seen = std::collections::HashSet::new();
        let text: Vec<String> = entries
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .map(|(k, v)| format!("{} = {v}", toml_string(&k)))
            .collect();
        let _ = load(&dir, "toml", text.join("\n").as_bytes());
    }

    #[test]
    fn arbitrary_json_documents(doc in json_value()) {
        let dir = Scratch::new("props-json");
        let _ = load(&dir, "json", doc.as_bytes());
    }
}

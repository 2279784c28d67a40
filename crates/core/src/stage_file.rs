//! Stage files: knobs kept in `stages/<name>.json` or `.toml`, checked
//! against the knobs' JSON Schema so that every mistake is reported at once,
//! with the file, the field path and what was expected.

use std::path::Path;

use serde_json::Value;

/// Read a stage file into JSON (TOML is converted).
pub(crate) fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot be read ({e})", path.display()))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
        }
        Some("toml") => toml::from_str::<toml::Value>(&text)
            .map_err(|e| format!("{}: not TOML: {e}", path.display()))
            .and_then(|v| serde_json::to_value(v).map_err(|e| format!("{}: {e}", path.display()))),
        _ => Err(format!(
            "{}: stage files are .json or .toml",
            path.display()
        )),
    }
}

/// Every way `value` breaks `schema` (the subset schemars emits: `$ref`,
/// `type`, `properties`, `required`, `additionalProperties`, `items`,
/// `prefixItems`, `minItems`/`maxItems`, `minimum`/`maximum`, `enum`, `const`,
/// `anyOf`/`oneOf`), each as `<path>: <problem>`.
pub fn check(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    walk(schema, schema, value, "", &mut errors);
    errors
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            root.pointer(pointer).unwrap_or(schema)
        }
        None => schema,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, v: &Value) -> bool {
    let actual = type_name(v);
    actual == expected || (expected == "number" && actual == "integer")
}

fn describe(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 40 {
        format!("{}…", &text[..40])
    } else {
        text
    }
}

fn walk(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(root, schema);
    let at = if path.is_empty() { "(top level)" } else { path };
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|o| {
                let mut e = Vec::new();
                walk(root, o, value, path, &mut e);
                e.is_empty()
            });
            if !fits {
                errors.push(format!(
                    "{at}: {} does not fit any allowed shape",
                    describe(value)
                ));
            }
            return;
        }
    }
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !allowed.is_empty() && !allowed.iter().any(|a| type_matches(a, value)) {
            errors.push(format!(
                "{at}: expected {}, found {} {}",
                allowed.join(" or "),
                type_name(value),
                describe(value)
            ));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        let names: Vec<String> = options.iter().map(Value::to_string).collect();
        errors.push(format!(
            "{at}: {} is not one of {}",
            describe(value),
            names.join(", ")
        ));
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        errors.push(format!("{at}: expected {c}, found {}", describe(value)));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            errors.push(format!("{at}: {n} is below the minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            errors.push(format!("{at}: {n} is above the maximum {max}"));
        }
    }
    if let Value::Object(map) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(name) {
                errors.push(format!("{}: missing", join(path, name)));
            }
        }
        for (k, v) in map {
            match properties.and_then(|p| p.get(k)) {
                Some(s) => walk(root, s, v, &join(path, k), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    let known: Vec<&String> =
                        properties.map(|p| p.keys().collect()).unwrap_or_default();
                    errors.push(format!(
                        "{}: unknown field (known: {})",
                        join(path, k),
                        known
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                None => {}
            }
        }
    }
    if let Value::Array(items) = value {
        let n = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && n < min
        {
            errors.push(format!("{at}: {n} items, at least {min} expected"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && n > max
        {
            errors.push(format!("{at}: {n} items, at most {max} expected"));
        }
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        for (i, item) in items.iter().enumerate() {
            let item_schema = prefix
                .and_then(|p| p.get(i))
                .or_else(|| schema.get("items").filter(|s| s.is_object()));
            if let Some(s) = item_schema {
                walk(root, s, item, &format!("{path}[{i}]"), errors);
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        min: u32,
        max: u32,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    enum Size {
        Small,
        Large,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Knobs {
        instance: String,
        capacity: Inner,
        pair: (u32, u32),
        emails: Vec<String>,
        size: Size,
        budget: Option<u32>,
    }

    #[test]
    fn reports_every_mistake_with_its_path() {
        let schema = serde_json::to_value(schemars::schema_for!(Knobs)).unwrap();
        let ok = json!({"instance": "ml.m5.large", "capacity": {"min": 1, "max": 2}, "pair": [1, 2],
                        "emails": ["a@b.c"], "size": "Small", "budget": null});
        assert_eq!(check(&schema, &ok), Vec::<String>::new());
        let bad = json!({"instance": 5, "capacity": {"min": -1, "maxx": 2}, "pair": [1, "x", 3],
                         "emails": "a@b.c", "size": "Huge", "budget": "lots", "extra": true});
        let errors = check(&schema, &bad);
        let all = errors.join("\n");
        for e in [
            "instance: expected string, found integer 5",
            "capacity.max: missing",
            "capacity.min: -1 is below the minimum 0",
            "capacity.maxx: unknown field (known: max, min)",
            "pair: 3 items, at most 2 expected",
            "pair[1]: expected integer, found string \"x\"",
            "emails: expected array, found string \"a@b.c\"",
            "size: \"Huge\"",
            "budget: expected integer or null, found string \"lots\"",
            "extra: unknown field",
        ] {
            assert!(all.contains(e), "missing {e:?} in\n{all}");
        }
    }
}

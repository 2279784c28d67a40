//! Stage files: knobs kept in `stages/<name>.json` or `.toml`, checked
//! against the knobs' JSON Schema so that every mistake is reported at once,
//! with the file, the field path and what was expected.
//!
//! Whatever a stage file holds (any bytes, any nesting the parsers accept, any
//! number), loading it gives knobs or errors, never a panic. Messages show at
//! most [`SHOWN_CHARS`] characters of a value, with control and invisible
//! characters escaped, so a 200 KB line or a string holding a newline or a
//! right-to-left override is neither echoed nor able to rewrite the terminal.
//!
//! The helpers [`quote`], [`path_key`], [`clip`] and [`toml_error`] are public
//! so that other loaders of user files (the price table) write the same kind
//! of message.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Number, Value};

/// How many characters of a value an error message shows: enough to
/// recognise it, without echoing a huge value.
pub const SHOWN_CHARS: usize = 60;

/// How many characters of a parser's or deserializer's own message are kept:
/// they can quote user input.
const MESSAGE_CHARS: usize = 300;

/// What TOML datetimes become in JSON. It is the key toml's own `Datetime`
/// deserializes from, so a knob of type `toml::value::Datetime` still loads.
const DATETIME_KEY: &str = "$__toml_private_datetime";

/// What TOML's `nan`, `inf` and `-inf` become: JSON has no such numbers, and
/// `serde_json` would turn them into `null`, which then reads as
/// "found null null". The checker refuses them with their TOML spelling.
const NON_FINITE_KEY: &str = "$__mlcdk_non_finite";

/// Read a stage file into JSON (TOML is converted).
pub(crate) fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot be read ({e})", path.display()))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {}", path.display(), clip(&e.to_string()))),
        Some("toml") => toml::from_str::<toml::Value>(&text)
            .map(from_toml)
            .map_err(|e| format!("{}: not TOML: {}", path.display(), toml_error(&text, &e))),
        _ => Err(format!(
            "{}: stage files are .json or .toml",
            path.display()
        )),
    }
}

/// TOML to JSON, keeping what JSON cannot say (datetimes, non-finite floats)
/// recognisable for the checker instead of losing it.
fn from_toml(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Number(i.into()),
        toml::Value::Float(f) => match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => marker(NON_FINITE_KEY, non_finite_text(f)),
        },
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => marker(DATETIME_KEY, d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.into_iter().map(|(k, v)| (k, from_toml(v))).collect())
        }
    }
}

fn marker(key: &str, text: impl Into<String>) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), Value::String(text.into()));
    Value::Object(map)
}

fn non_finite_text(f: f64) -> &'static str {
    if f.is_nan() {
        "nan"
    } else if f > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// A TOML value JSON cannot hold, as converted by [`from_toml`].
enum Special<'a> {
    Datetime(&'a str),
    NonFinite(&'a str),
}

fn special(v: &Value) -> Option<Special<'_>> {
    let Value::Object(map) = v else { return None };
    if map.len() != 1 {
        return None;
    }
    let (k, v) = map.iter().next()?;
    let text = v.as_str()?;
    match k.as_str() {
        DATETIME_KEY => Some(Special::Datetime(text)),
        NON_FINITE_KEY => Some(Special::NonFinite(text)),
        _ => None,
    }
}

/// Every way `value` breaks `schema` (the subset schemars emits: `$ref`,
/// `type`, `format` of integers and floats, `properties`, `required`,
/// `additionalProperties`, `items`, `prefixItems`, `minItems`/`maxItems`,
/// `minimum`/`maximum`, `enum`, `const`, `anyOf`/`oneOf`), each as
/// `<path>: <problem>`.
///
/// The integer formats (`uint32`, `int64`…) are checked as ranges here, before
/// deserialization, because serde's "invalid value" has neither the field nor
/// the range.
///
/// A TOML `nan`, `inf` or `-inf` is refused wherever it is, with its path:
/// where the schema expects a number it is the wrong type, and where the
/// schema lets anything through (a free-form `serde_json::Value` knob, a map
/// or list without item schema) it is still refused, because no knob can
/// hold it and a float knob must never receive one.
pub fn check(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    walk(schema, schema, value, "", &mut errors);
    let mut non_finite = Vec::new();
    non_finite_leaves(value, "", &mut non_finite);
    for (path, n) in non_finite {
        let at = if path.is_empty() {
            "(top level)"
        } else {
            &path
        };
        // The schema walk names most of them already (as a wrong type).
        let prefix = format!("{at}: ");
        if !errors.iter().any(|e| e.starts_with(&prefix)) {
            errors.push(format!(
                "{at}: {n} is not a finite number; only finite numbers are accepted"
            ));
        }
    }
    errors
}

/// The path and TOML spelling of every non-finite number in `value`, paths
/// written as the schema walk writes them.
fn non_finite_leaves<'v>(value: &'v Value, path: &str, out: &mut Vec<(String, &'v str)>) {
    match (special(value), value) {
        (Some(Special::NonFinite(n)), _) => out.push((path.to_string(), n)),
        (Some(Special::Datetime(_)), _) => {}
        (None, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                non_finite_leaves(item, &format!("{path}[{i}]"), out);
            }
        }
        (None, Value::Object(map)) => {
            for (k, v) in map {
                non_finite_leaves(v, &join(path, k), out);
            }
        }
        _ => {}
    }
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
        Value::Object(_) => match special(v) {
            Some(Special::Datetime(_)) => "datetime",
            Some(Special::NonFinite(_)) => "non-finite number",
            None => "object",
        },
    }
}

fn type_matches(expected: &str, v: &Value) -> bool {
    let actual = type_name(v);
    actual == expected || (expected == "number" && actual == "integer")
}

/// What was found instead of the expected type: its type and (abbreviated)
/// value.
fn found(v: &Value) -> String {
    match special(v) {
        Some(Special::Datetime(d)) => format!("datetime {}", clip_chars(d, SHOWN_CHARS)),
        Some(Special::NonFinite(n)) => format!("{n} (only finite numbers are accepted)"),
        None => format!("{} {}", type_name(v), describe(v)),
    }
}

/// `text` as an error message shows it: in double quotes, control and
/// invisible characters (newline, NUL, right-to-left override, zero-width
/// space…) escaped, and cut after [`SHOWN_CHARS`] characters with the full
/// length given.
pub fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN_CHARS).collect();
    let rest = chars.count();
    if rest == 0 {
        format!("{head:?}")
    } else {
        format!("{head:?}… ({} characters)", SHOWN_CHARS + rest)
    }
}

/// A key as a component of a dotted path: as is when it is a bare TOML key
/// (letters, digits, `_`, `-`), otherwise [`quote`]d, so that
/// `sagemaker.hosting."ml.m5.large"` stays unambiguous and a key cannot
/// smuggle control characters or megabytes into a message.
pub fn path_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key.len() <= SHOWN_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { key.to_string() } else { quote(key) }
}

/// A parser's or deserializer's message made safe to print: control and
/// invisible characters escaped (newlines included, so one problem stays on
/// one line) and cut after a few hundred characters.
pub fn clip(message: &str) -> String {
    clip_chars(message, MESSAGE_CHARS)
}

/// Characters that would change how the message looks rather than show up in
/// it: controls (C0, DEL, C1) and Unicode's invisible formatting characters,
/// bidirectional overrides included.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The first `max` characters of `text` (never cutting a character), with
/// `…` when something was cut, and control characters escaped.
fn clip_chars(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if needs_escape(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A TOML parse error as `line L, column C: <message>`, followed by the
/// offending part of the line (at most about [`SHOWN_CHARS`] characters
/// around the column) with a caret under it. The `toml` crate's own message
/// prints the whole line, however long.
pub fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = clip(error.message());
    let Some(span) = error.span() else {
        return message;
    };
    let mut at = span.start.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let half = SHOWN_CHARS / 2;
    let left: Vec<char> = text[line_start..at].chars().collect();
    let skip = left.len().saturating_sub(half);
    let mut excerpt = String::new();
    if skip > 0 {
        excerpt.push('…');
    }
    let shown = |c: char| {
        if needs_escape(c) || c == '\r' {
            '\u{FFFD}'
        } else {
            c
        }
    };
    excerpt.extend(left[skip..].iter().copied().map(shown));
    let caret = excerpt.chars().count();
    let mut right = text[at..line_end].chars();
    excerpt.extend(right.by_ref().take(half).map(shown));
    if right.next().is_some() {
        excerpt.push('…');
    }
    format!(
        "line {line}, column {column}: {message}\n    | {excerpt}\n    | {}^",
        " ".repeat(caret)
    )
}

/// A value as messages show it: compact JSON with strings escaped, cut after
/// [`SHOWN_CHARS`] characters (char-safe) without rendering the rest.
fn describe(v: &Value) -> String {
    match (special(v), v) {
        (Some(Special::Datetime(d)), _) => clip_chars(d, SHOWN_CHARS),
        (Some(Special::NonFinite(n)), _) => n.to_string(),
        (None, Value::String(s)) => quote(s),
        (None, _) => {
            let mut out = String::new();
            // Bytes, not characters, bound the rendering: a generous multiple
            // of what is shown, so cutting by characters below still has
            // enough and a huge array is never rendered whole.
            let complete = render(v, &mut out, SHOWN_CHARS * 8);
            let count = out.chars().count();
            if complete && count <= SHOWN_CHARS {
                out
            } else {
                let mut cut: String = out.chars().take(SHOWN_CHARS).collect();
                cut.push('…');
                cut
            }
        }
    }
}

/// Writes `v` into `out` until `out` holds `budget` bytes; whether it was
/// written whole.
fn render(v: &Value, out: &mut String, budget: usize) -> bool {
    if out.len() >= budget {
        return false;
    }
    match v {
        Value::String(s) => {
            let head: String = s.chars().take(budget.saturating_sub(out.len())).collect();
            let whole = head.len() == s.len();
            let _ = write!(out, "{head:?}");
            whole
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !render(item, out, budget) {
                    return false;
                }
            }
            out.push(']');
            true
        }
        Value::Object(map) => {
            if let Some(s) = special(v) {
                out.push_str(match s {
                    Special::Datetime(d) | Special::NonFinite(d) => d,
                });
                return true;
            }
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let head: String = k.chars().take(budget.saturating_sub(out.len())).collect();
                let _ = write!(out, "{head:?}:");
                if head.len() < k.len() || !render(item, out, budget) {
                    return false;
                }
            }
            out.push('}');
            true
        }
        other => {
            let _ = write!(out, "{other}");
            true
        }
    }
}

/// The range of a JSON Schema integer `format` as schemars writes it.
struct IntRange {
    lo: i128,
    hi: u128,
    name: &'static str,
}

impl IntRange {
    fn of(format: &str) -> Option<IntRange> {
        let (lo, hi, name): (i128, u128, &'static str) = match format {
            "uint8" => (0, u8::MAX.into(), "an unsigned 8-bit integer"),
            "uint16" => (0, u16::MAX.into(), "an unsigned 16-bit integer"),
            "uint32" => (0, u32::MAX.into(), "an unsigned 32-bit integer"),
            "uint64" => (0, u64::MAX.into(), "an unsigned 64-bit integer"),
            "uint128" => (0, u128::MAX, "an unsigned 128-bit integer"),
            "uint" => (0, usize::MAX as u128, "an unsigned integer (usize)"),
            "int8" => (i8::MIN.into(), i8::MAX as u128, "a signed 8-bit integer"),
            "int16" => (i16::MIN.into(), i16::MAX as u128, "a signed 16-bit integer"),
            "int32" => (i32::MIN.into(), i32::MAX as u128, "a signed 32-bit integer"),
            "int64" => (i64::MIN.into(), i64::MAX as u128, "a signed 64-bit integer"),
            "int128" => (i128::MIN, i128::MAX as u128, "a signed 128-bit integer"),
            "int" => (
                isize::MIN as i128,
                isize::MAX as u128,
                "a signed integer (isize)",
            ),
            _ => return None,
        };
        Some(IntRange { lo, hi, name })
    }

    /// Whether `n` is outside the range. Floats only get here when they are
    /// integral and beyond 64 bits (a JSON integer too big for `serde_json`).
    fn excludes(&self, n: &Number) -> bool {
        match exact(n) {
            Some(v) => v < self.lo || (v >= 0 && v as u128 > self.hi),
            None => n
                .as_f64()
                .is_some_and(|f| f < self.lo as f64 || f > self.hi as f64),
        }
    }

    fn bounds(&self) -> String {
        format!("{}..={}", self.lo, self.hi)
    }
}

/// The exact value of an integer number.
fn exact(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// `a` against `b`, exactly when both are integers (an `f64` cannot tell
/// `i64::MIN` from its neighbours).
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    match (exact(a), exact(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// An integral float beyond every 64-bit integer: what `serde_json` makes of
/// a JSON integer literal too big for `u64`/`i64`.
fn huge_integral(n: &Number) -> bool {
    exact(n).is_none()
        && n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && (f >= 2f64.powi(63) || f < -(2f64.powi(63))))
}

fn check_number(schema: &Value, n: &Number, at: &str, errors: &mut Vec<String>) {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    let min = schema.get("minimum").and_then(Value::as_number);
    let max = schema.get("maximum").and_then(Value::as_number);
    let below = min.filter(|m| compare(n, m) == Some(Ordering::Less));
    let above = max.filter(|m| compare(n, m) == Some(Ordering::Greater));
    if let Some(range) = IntRange::of(format)
        && range.excludes(n)
    {
        errors.push(match below {
            Some(m) => format!(
                "{at}: {n} is below the minimum {m} ({}: {})",
                range.name,
                range.bounds()
            ),
            None => format!(
                "{at}: {n} is out of range for {} ({})",
                range.name,
                range.bounds()
            ),
        });
        return;
    }
    // With serde_json's `arbitrary_precision` (turned on by the `stratosphere`
    // feature), `1e400` parses and has no f64 value.
    if exact(n).is_none() && !n.as_f64().is_some_and(f64::is_finite) {
        errors.push(format!(
            "{at}: {n} is out of range for a 64-bit float ({:e}..={:e})",
            f64::MIN,
            f64::MAX
        ));
        return;
    }
    if format == "float" && n.as_f64().is_some_and(|f| f.abs() > f64::from(f32::MAX)) {
        errors.push(format!(
            "{at}: {n} is out of range for a 32-bit float ({:e}..={:e})",
            f32::MIN,
            f32::MAX
        ));
        return;
    }
    if let Some(m) = below {
        errors.push(format!("{at}: {n} is below the minimum {m}"));
    }
    if let Some(m) = above {
        errors.push(format!("{at}: {n} is above the maximum {m}"));
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
    let special = special(value);
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !allowed.is_empty() && !allowed.iter().any(|a| type_matches(a, value)) {
            // A JSON integer too big for 64 bits reads as a float: say it is
            // out of range rather than "not an integer".
            if let Value::Number(n) = value
                && allowed.contains(&"integer")
                && huge_integral(n)
                && schema
                    .get("format")
                    .and_then(Value::as_str)
                    .and_then(IntRange::of)
                    .is_some_and(|r| r.excludes(n))
            {
                check_number(schema, n, at, errors);
                return;
            }
            errors.push(format!(
                "{at}: expected {}, found {}",
                allowed.join(" or "),
                found(value)
            ));
            return;
        }
    } else if let Some(Special::NonFinite(n)) = special {
        // Without a type to mismatch, still refuse: JSON, and so every knob
        // type, has no such number.
        errors.push(format!(
            "{at}: {n} is not a finite number; only finite numbers are accepted"
        ));
        return;
    }
    if special.is_some() {
        // A datetime where anything goes: nothing inside to check.
        return;
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
    if let Value::Number(n) = value {
        check_number(schema, n, at, errors);
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
        let additional = schema.get("additionalProperties");
        for (k, v) in map {
            match properties.and_then(|p| p.get(k)) {
                Some(s) => walk(root, s, v, &join(path, k), errors),
                // A map knob (`BTreeMap<String, f64>`): each value against
                // the schema of the values.
                None if additional.is_some_and(Value::is_object) => {
                    if let Some(s) = additional {
                        walk(root, s, v, &join(path, k), errors);
                    }
                }
                None if additional == Some(&Value::Bool(false)) => {
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
        let n = items.len();
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (n as u64) < min
        {
            errors.push(format!("{at}: {n} items, at least {min} expected"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && (n as u64) > max
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

/// `path.key`, with the key quoted when it is not a plain name.
fn join(path: &str, key: &str) -> String {
    let key = path_key(key);
    if path.is_empty() {
        key
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
            "capacity.min: -1 is below the minimum 0 (an unsigned 32-bit integer: 0..=4294967295)",
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

    #[test]
    fn values_are_cut_on_character_boundaries() {
        // 39 ASCII bytes, then 'é' across bytes 39..41: slicing at byte 40
        // panicked.
        let text = format!("{}é{}", "x".repeat(39), "y".repeat(30));
        let d = describe(&json!([text]));
        assert_eq!(d, format!("[\"{}é{}…", "x".repeat(39), "y".repeat(18)));
        let emoji = "🙂".repeat(100);
        assert_eq!(
            describe(&json!(emoji)),
            format!("\"{}\"… (100 characters)", "🙂".repeat(60))
        );
        assert_eq!(clip_chars(&emoji, 3), "🙂🙂🙂…");
    }

    #[test]
    fn long_values_are_abbreviated_without_rendering_them_whole() {
        let big = Value::Array(vec![json!(123456789); 1_000_000]);
        let d = describe(&big);
        assert_eq!(d.chars().count(), SHOWN_CHARS + 1, "{d}");
        assert!(d.starts_with("[123456789,123456789,") && d.ends_with('…'));
        assert_eq!(
            quote(&"a".repeat(200_000)),
            format!("\"{}\"… (200000 characters)", "a".repeat(60))
        );
    }

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(
            quote("a\nb\0c\u{202e}d\u{7f}"),
            r#""a\nb\0c\u{202e}d\u{7f}""#
        );
        assert_eq!(
            clip("line 1\nline 2\u{1b}[31m"),
            r"line 1\nline 2\u{1b}[31m"
        );
        assert_eq!(path_key("etl_workers"), "etl_workers");
        assert_eq!(path_key("ml.m5.large"), "\"ml.m5.large\"");
        assert_eq!(path_key("a\nb"), r#""a\nb""#);
        assert_eq!(path_key(""), "\"\"");
    }

    /// Knobs where a non-finite float could slip past the schema: a map of
    /// floats, a free-form value, a list of floats, a nested optional float.
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Floats {
        ratio: f64,
        weights: std::collections::BTreeMap<String, f64>,
        extra: Value,
        steps: Vec<f32>,
        inner: Option<Inner2>,
    }

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner2 {
        scale: Option<f64>,
    }

    fn toml_json(text: &str) -> Value {
        from_toml(toml::from_str::<toml::Value>(text).unwrap())
    }

    #[test]
    fn non_finite_floats_are_refused_wherever_they_are() {
        let schema = serde_json::to_value(schemars::schema_for!(Floats)).unwrap();
        let good = toml_json(
            "ratio = 0.5\nweights = { a = 1.0 }\nextra = { x = [1.5] }\nsteps = [1.0]\ninner = { scale = 2.0 }",
        );
        assert_eq!(check(&schema, &good), Vec::<String>::new());
        let bad = toml_json(
            "ratio = nan\nweights = { a = inf, b = 1.0 }\nextra = { x = [1.5, -inf], y = { z = nan } }\nsteps = [1.0, -inf]\ninner = { scale = inf }\n",
        );
        let mut errors = check(&schema, &bad);
        errors.sort();
        assert_eq!(
            errors,
            [
                "extra.x[1]: -inf is not a finite number; only finite numbers are accepted",
                "extra.y.z: nan is not a finite number; only finite numbers are accepted",
                // `Option<Inner2>` is an `anyOf`: the shape is refused as a
                // whole, and the number inside is still named.
                "inner.scale: inf is not a finite number; only finite numbers are accepted",
                "inner: {\"scale\":inf} does not fit any allowed shape",
                "ratio: expected number, found nan (only finite numbers are accepted)",
                "steps[1]: expected number, found -inf (only finite numbers are accepted)",
                "weights.a: expected number, found inf (only finite numbers are accepted)",
            ]
        );
        // At the top level of a free-form document too.
        let any = serde_json::to_value(schemars::schema_for!(Value)).unwrap();
        assert_eq!(
            check(&any, &toml_json("x = nan")),
            ["x: nan is not a finite number; only finite numbers are accepted"]
        );
    }

    #[test]
    fn a_stage_file_with_nan_names_the_file_and_the_field() {
        let dir = mlcdk_testkit::Scratch::new("stage-file-non-finite");
        std::fs::write(
            dir.join("staging.toml"),
            "ratio = 0.5\nweights = { drift = nan }\nextra = { threshold = -inf }\nsteps = []\n",
        )
        .unwrap();
        let app = crate::App::new("churn", |_, _: &Floats| {})
            .base_dir(dir.path())
            .stages_dir(".")
            .stage_file(
                "staging",
                crate::StageKind::Staging,
                crate::Env::new("111111111111", "us-east-1"),
            );
        let errors = app.synth(None).unwrap_err();
        let dir = dir.path().display().to_string();
        for field in [
            "weights.drift: expected number, found nan (only finite numbers are accepted)",
            "extra.threshold: -inf is not a finite number; only finite numbers are accepted",
        ] {
            assert!(
                errors.iter().any(|e| e.message.starts_with(&dir)
                    && e.message.ends_with(&format!("staging.toml: {field}"))),
                "{field} missing from {errors}"
            );
        }
    }

    /// A TOML value tree whose floats may be NaN, ±inf or extreme.
    fn toml_tree() -> impl proptest::strategy::Strategy<Value = toml::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            prop_oneof![
                any::<f64>(),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(f64::MAX),
                Just(f64::MIN_POSITIVE),
                Just(-0.0),
            ]
            .prop_map(toml::Value::Float),
            any::<i64>().prop_map(toml::Value::Integer),
            "[a-z]{0,8}".prop_map(toml::Value::String),
            any::<bool>().prop_map(toml::Value::Boolean),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(toml::Value::Array),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 0..5)
                    .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
            ]
        })
    }

    fn non_finite_count(v: &toml::Value) -> usize {
        match v {
            toml::Value::Float(f) => usize::from(!f.is_finite()),
            toml::Value::Array(items) => items.iter().map(non_finite_count).sum(),
            toml::Value::Table(t) => t.values().map(non_finite_count).sum(),
            _ => 0,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 256,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Under a schema that lets any value through, every non-finite
        /// float, wherever it is, gives exactly one error, and nothing else
        /// does; `check` never panics.
        #[test]
        fn every_non_finite_float_is_named_once(tree in toml_tree()) {
            let any = serde_json::to_value(schemars::schema_for!(Value)).unwrap();
            let n = non_finite_count(&tree);
            let errors = check(&any, &from_toml(tree));
            proptest::prop_assert_eq!(errors.len(), n, "{:?}", errors);
            for e in &errors {
                proptest::prop_assert!(
                    e.contains("is not a finite number; only finite numbers are accepted"),
                    "{}", e
                );
            }
        }

        /// Under the knobs' schema, a document with a non-finite float
        /// anywhere is refused.
        #[test]
        fn knobs_never_receive_a_non_finite_float(
            ratio in proptest::prelude::any::<f64>(),
            weight in proptest::prelude::any::<f64>(),
            extra in toml_tree(),
        ) {
            let schema = serde_json::to_value(schemars::schema_for!(Floats)).unwrap();
            let mut table = toml::Table::new();
            table.insert("ratio".into(), toml::Value::Float(ratio));
            let mut weights = toml::Table::new();
            weights.insert("w".into(), toml::Value::Float(weight));
            table.insert("weights".into(), toml::Value::Table(weights));
            let n = non_finite_count(&extra);
            table.insert("extra".into(), extra);
            table.insert("steps".into(), toml::Value::Array(vec![]));
            let errors = check(&schema, &from_toml(toml::Value::Table(table)));
            let bad = !ratio.is_finite() || !weight.is_finite() || n > 0;
            proptest::prop_assert_eq!(!errors.is_empty(), bad, "{:?}", errors);
        }
    }

    #[test]
    fn integer_formats_are_ranges() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Ints {
            a: u8,
            b: u32,
            c: u64,
            d: i32,
            e: i64,
            f: f32,
            g: std::num::NonZeroU32,
        }
        let schema = serde_json::to_value(schemars::schema_for!(Ints)).unwrap();
        let ok = json!({"a": 255, "b": 4294967295u64, "c": u64::MAX, "d": i32::MIN, "e": i64::MIN,
                        "f": 3.0e38, "g": 1});
        assert_eq!(check(&schema, &ok), Vec::<String>::new());
        let bad = json!({"a": 256, "b": 4294967296u64, "c": -1, "d": 2147483648u64, "e": u64::MAX,
                         "f": 1e39, "g": 0});
        assert_eq!(
            check(&schema, &bad),
            [
                "a: 256 is out of range for an unsigned 8-bit integer (0..=255)",
                "b: 4294967296 is out of range for an unsigned 32-bit integer (0..=4294967295)",
                "c: -1 is below the minimum 0 (an unsigned 64-bit integer: 0..=18446744073709551615)",
                "d: 2147483648 is out of range for a signed 32-bit integer (-2147483648..=2147483647)",
                "e: 18446744073709551615 is out of range for a signed 64-bit integer (-9223372036854775808..=9223372036854775807)",
                "f: 1e+39 is out of range for a 32-bit float (-3.4028235e38..=3.4028235e38)",
                "g: 0 is below the minimum 1",
            ]
        );
    }
}

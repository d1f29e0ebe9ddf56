//! The shipped JSON Schema: every exported document validates against it, and the bad fixtures
//! that are schema violations do not. A small validator for the subset of draft 2020-12 the
//! schema uses (type, const, required, properties, items, additionalProperties, $ref, oneOf,
//! minimum, minLength, pattern as a substring) keeps the test dependency-free.
#![allow(clippy::unwrap_used)]

mod util;

use serde_json::Value;

fn check(schema: &Value, root: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return check(&root["$defs"][name], root, v, at, errs);
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let ok = alts
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                check(s, root, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if ok != 1 {
            errs.push(format!("{at}: matches {ok} of oneOf"));
        }
        return;
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errs.push(format!("{at}: not {c}"));
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        };
        if !ok {
            errs.push(format!("{at}: not {t}"));
            return;
        }
    }
    if let (Some(m), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64())
        && n < m
    {
        errs.push(format!("{at}: below {m}"));
    }
    if let (Some(m), Some(s)) = (schema.get("minLength").and_then(Value::as_u64), v.as_str())
        && (s.chars().count() as u64) < m
    {
        errs.push(format!("{at}: too short"));
    }
    if let (Some(p), Some(s)) = (schema.get("pattern").and_then(Value::as_str), v.as_str())
        && !s.contains(p)
    {
        errs.push(format!("{at}: does not match {p}"));
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = r.as_str().unwrap();
            if !obj.contains_key(k) {
                errs.push(format!("{at}: missing {k}"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(s, root, val, &format!("{at}.{k}"), errs),
                None => {
                    if let Some(s) = schema.get("additionalProperties") {
                        check(s, root, val, &format!("{at}.{k}"), errs);
                    }
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(items, root, x, &format!("{at}[{i}]"), errs);
        }
    }
}

pub fn validate(doc: &[u8]) -> Vec<String> {
    let schema: Value = serde_json::from_str(exportkit_project::SCHEMA).unwrap();
    let v: Value = match serde_json::from_slice(doc) {
        Ok(v) => v,
        Err(e) => return vec![e.to_string()],
    };
    let mut errs = Vec::new();
    check(&schema, &schema, &v, "$", &mut errs);
    errs
}

#[test]
fn golden_documents_validate() {
    for name in ["refs", "mixed_8"] {
        let p = util::fixtures()
            .join("expected")
            .join(name)
            .join("project.json");
        let errs = validate(&std::fs::read(&p).unwrap());
        assert!(errs.is_empty(), "{name}: {errs:?}");
    }
}

#[test]
fn schema_violations_are_caught_by_the_schema_too() {
    for name in [
        "annotation_without_result",
        "author_is_an_id",
        "newer_version",
        "no_header",
        "no_label_config",
        "not_an_object",
        "task_without_data",
        "wrong_format",
    ] {
        let p = util::fixtures().join("bad").join(format!("{name}.json"));
        let errs = validate(&std::fs::read(&p).unwrap());
        if name == "newer_version" {
            // Version 2 is valid v1 *shape*; the importer rejects it by number.
            continue;
        }
        assert!(!errs.is_empty(), "{name} passed the schema");
    }
}

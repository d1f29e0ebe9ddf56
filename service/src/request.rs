//! What an export is asked to contain: Label Studio's `task_filter_options`,
//! `annotation_filter_options` and `serialization_options` (`ls-export-api.md` §2), parsed and
//! validated with its rules and messages.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `only` or `exclude`, for the task filter's choice fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Only tasks that have it.
    Only,
    /// Only tasks that do not.
    Exclude,
}

impl Choice {
    fn keeps(self, has: bool) -> bool {
        match self {
            Choice::Only => has,
            Choice::Exclude => !has,
        }
    }
}

/// Which tasks go in (`task_filter_options`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskFilterOptions {
    /// A Data Manager tab id. There are no tabs here: accepted and ignored, as Label Studio
    /// ignores an unknown tab.
    pub view: Option<i64>,
    /// Tasks with (or without) a skipped annotation.
    pub skipped: Option<Choice>,
    /// Tasks that are (or are not) labeled: at least one annotation, skipped ones included.
    pub finished: Option<Choice>,
    /// Tasks with (or without) an annotation that is not skipped.
    pub annotated: Option<Choice>,
    /// Drop tasks left with no annotation by the annotation filter.
    pub only_with_annotations: bool,
}

impl TaskFilterOptions {
    /// Whether a task with these annotations (`(was_cancelled, …)` of every annotation, before
    /// the annotation filter) passes the choice fields.
    pub fn keeps(&self, cancelled: impl Iterator<Item = bool> + Clone) -> bool {
        let total = cancelled.clone().count();
        let skipped = cancelled.clone().filter(|c| *c).count();
        self.skipped.is_none_or(|c| c.keeps(skipped > 0))
            && self.finished.is_none_or(|c| c.keeps(total > 0))
            && self.annotated.is_none_or(|c| c.keeps(total > skipped))
    }

    /// Whether any choice field is set (the annotations must then be read for every task).
    pub fn has_choices(&self) -> bool {
        self.skipped.is_some() || self.finished.is_some() || self.annotated.is_some()
    }
}

/// Which annotations go in (`annotation_filter_options`): the OR of the flags; none set keeps
/// every annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationFilterOptions {
    /// Not skipped and not ground truth. Defaults to `true` when the object is sent.
    pub usual: bool,
    /// Ground-truth annotations.
    pub ground_truth: bool,
    /// Skipped annotations.
    pub skipped: bool,
}

impl Default for AnnotationFilterOptions {
    fn default() -> Self {
        AnnotationFilterOptions {
            usual: true,
            ground_truth: false,
            skipped: false,
        }
    }
}

/// How related objects are written (`serialization_options`). `true` means expanded objects,
/// `false` a list of ids (Label Studio's default when the options are absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SerializationOptions {
    /// Drafts as objects.
    pub drafts: bool,
    /// Predictions as objects.
    pub predictions: bool,
    /// `completed_by` as `{"id","email","first_name","last_name"}` instead of a user id.
    pub completed_by: bool,
}

/// Everything a snapshot is made from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExportRequest {
    /// Title; empty means the default `{project title}-at-{date}`.
    pub title: String,
    /// Which tasks.
    pub task_filter: TaskFilterOptions,
    /// Which annotations; `None` keeps all of them.
    pub annotation_filter: Option<AnnotationFilterOptions>,
    /// How related objects are written.
    pub serialization: SerializationOptions,
    /// Only these task ids (as written in the data, e.g. `12`), when set.
    pub ids: Option<Vec<String>>,
    /// Settings for the export's format (exports straight to a format other than the
    /// snapshot JSON: DWCA `mapping`, PROJECT `include`, ...).
    #[serde(default)]
    pub format_options: BTreeMap<String, String>,
    /// What the API that asked wants to show again (Antenna `filters`, Flagsmith toggles).
    #[serde(default)]
    pub extra: Value,
}

/// Field errors, Label Studio style: `{"field": ["message"]}` or nested for option objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationErrors(pub BTreeMap<String, Value>);

impl ValidationErrors {
    fn add(&mut self, path: &[&str], message: String) {
        fn push(slot: &mut Value, message: String) {
            if let Value::Array(list) = slot {
                list.push(Value::String(message));
            }
        }
        let array = || Value::Array(Vec::new());
        match path {
            [field] => push(
                self.0.entry((*field).to_owned()).or_insert_with(array),
                message,
            ),
            [outer, inner] => {
                let obj = self
                    .0
                    .entry((*outer).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = obj {
                    push(m.entry((*inner).to_owned()).or_insert_with(array), message);
                }
            }
            _ => {}
        }
    }

    /// Whether there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors as a JSON object.
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone().into_iter().collect())
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// A Django REST framework boolean: JSON booleans, and `true/false/1/0/yes/no/on/off` as
/// strings (any case) or 0/1.
pub fn drf_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => parse_bool_str(s),
        _ => None,
    }
}

/// DRF's boolean strings.
pub fn parse_bool_str(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

fn choice(v: &Value) -> Result<Option<Choice>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s == "only" => Ok(Some(Choice::Only)),
        Value::String(s) if s == "exclude" => Ok(Some(Choice::Exclude)),
        Value::String(s) => Err(format!("\"{s}\" is not a valid choice.")),
        other => Err(format!("\"{other}\" is not a valid choice.")),
    }
}

fn only_id_expanded(v: &Value) -> Result<bool, String> {
    match v {
        Value::Null => Ok(false),
        Value::Object(m) => match m.get("only_id") {
            None | Some(Value::Null) => Ok(true),
            Some(b) => drf_bool(b)
                .map(|only| !only)
                .ok_or_else(|| "Must be a valid boolean.".to_owned()),
        },
        _ => Err("Invalid data. Expected a dictionary, but got ".to_owned() + type_name(v) + "."),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

impl ExportRequest {
    /// Parses a `POST /exports` body. Unknown keys are ignored (Label Studio ignores them too);
    /// read-only fields (`status`, `md5`, ...) are accepted and overwritten by the run.
    pub fn from_json(body: &[u8]) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}".as_slice()
        } else {
            body
        };
        let v: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                errors.add(&["non_field_errors"], format!("JSON parse error - {e}"));
                return Err(errors);
            }
        };
        let Value::Object(top) = v else {
            errors.add(
                &["non_field_errors"],
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    type_name(&v)
                ),
            );
            return Err(errors);
        };
        let mut req = ExportRequest::default();
        match top.get("title") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() <= 2048 => req.title = s.clone(),
            Some(Value::String(_)) => errors.add(
                &["title"],
                "Ensure this field has no more than 2048 characters.".into(),
            ),
            Some(_) => errors.add(&["title"], "Not a valid string.".into()),
        }
        match top.get("task_filter_options") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                let f = &mut req.task_filter;
                for (key, slot) in [
                    ("skipped", &mut f.skipped),
                    ("finished", &mut f.finished),
                    ("annotated", &mut f.annotated),
                ] {
                    if let Some(v) = m.get(key) {
                        match choice(v) {
                            Ok(c) => *slot = c,
                            Err(msg) => errors.add(&["task_filter_options", key], msg),
                        }
                    }
                }
                match m.get("view") {
                    None | Some(Value::Null) => {}
                    Some(v) => match v.as_i64().or_else(|| v.as_str()?.parse().ok()) {
                        Some(n) => f.view = Some(n),
                        None => errors.add(
                            &["task_filter_options", "view"],
                            "A valid integer is required.".into(),
                        ),
                    },
                }
                match m.get("only_with_annotations") {
                    None | Some(Value::Null) => {}
                    Some(v) => match drf_bool(v) {
                        Some(b) => f.only_with_annotations = b,
                        None => errors.add(
                            &["task_filter_options", "only_with_annotations"],
                            "Must be a valid boolean.".into(),
                        ),
                    },
                }
            }
            Some(v) => errors.add(
                &["task_filter_options"],
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    type_name(v)
                ),
            ),
        }
        match top.get("annotation_filter_options") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                let mut a = AnnotationFilterOptions::default();
                for (key, slot) in [
                    ("usual", &mut a.usual),
                    ("ground_truth", &mut a.ground_truth),
                    ("skipped", &mut a.skipped),
                ] {
                    match m.get(key) {
                        None => {}
                        Some(Value::Null) => *slot = false,
                        Some(v) => match drf_bool(v) {
                            Some(b) => *slot = b,
                            None => errors.add(
                                &["annotation_filter_options", key],
                                "Must be a valid boolean.".into(),
                            ),
                        },
                    }
                }
                req.annotation_filter = Some(a);
            }
            Some(v) => errors.add(
                &["annotation_filter_options"],
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    type_name(v)
                ),
            ),
        }
        match top.get("serialization_options") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                let s = &mut req.serialization;
                for (key, slot) in [
                    ("drafts", &mut s.drafts),
                    ("predictions", &mut s.predictions),
                    ("annotations__completed_by", &mut s.completed_by),
                ] {
                    if let Some(v) = m.get(key) {
                        match only_id_expanded(v) {
                            Ok(b) => *slot = b,
                            Err(msg) => errors.add(&["serialization_options", key], msg),
                        }
                    }
                }
            }
            Some(v) => errors.add(
                &["serialization_options"],
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    type_name(v)
                ),
            ),
        }
        if errors.is_empty() {
            Ok(req)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_body_parses() {
        let r = ExportRequest::from_json(br#"{"annotation_filter_options":{"usual":true},"serialization_options":{"annotations__completed_by":{"only_id":false}},"task_filter_options":{"annotated":"only"},"title":"sdk-snap"}"#).unwrap();
        assert_eq!(r.title, "sdk-snap");
        assert_eq!(r.task_filter.annotated, Some(Choice::Only));
        assert_eq!(
            r.annotation_filter,
            Some(AnnotationFilterOptions::default())
        );
        assert!(r.serialization.completed_by);
        assert!(!r.serialization.drafts);
    }

    #[test]
    fn empty_body_and_empty_objects() {
        assert_eq!(
            ExportRequest::from_json(b"").unwrap(),
            ExportRequest::default()
        );
        let r = ExportRequest::from_json(
            br#"{"annotation_filter_options":{},"serialization_options":{"drafts":{}}}"#,
        )
        .unwrap();
        // `{}` means usual only (the trap of ls-export-api.md §2.4), and `{}` expands drafts.
        assert_eq!(
            r.annotation_filter,
            Some(AnnotationFilterOptions::default())
        );
        assert!(r.serialization.drafts);
    }

    #[test]
    fn bad_choice_is_a_field_error() {
        let e = ExportRequest::from_json(br#"{"task_filter_options":{"skipped":"maybe"}}"#)
            .unwrap_err();
        assert_eq!(
            e.to_json().to_string(),
            r#"{"task_filter_options":{"skipped":["\"maybe\" is not a valid choice."]}}"#
        );
        let e = ExportRequest::from_json(b"[1]").unwrap_err();
        assert!(
            e.to_string()
                .contains("Expected a dictionary, but got list")
        );
    }

    #[test]
    fn choices_filter_tasks() {
        let f = TaskFilterOptions {
            annotated: Some(Choice::Only),
            ..Default::default()
        };
        assert!(f.keeps([false, true].into_iter()));
        assert!(!f.keeps([true].into_iter()));
        assert!(!f.keeps([].into_iter()));
        let f = TaskFilterOptions {
            skipped: Some(Choice::Exclude),
            finished: Some(Choice::Only),
            ..Default::default()
        };
        assert!(f.keeps([false].into_iter()));
        assert!(!f.keeps([false, true].into_iter()));
        assert!(!f.keeps([].into_iter()));
    }
}

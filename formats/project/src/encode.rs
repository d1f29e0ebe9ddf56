//! One Label Studio task → its canonical document form (runs on the encoder threads).
//!
//! Database ids are dropped; references become indexes within the task (`parent_annotation`,
//! `parent_prediction`, a draft's `annotation`), authors become emails. Unknown fields are kept
//! verbatim; derived caches (counters, `is_labeled`, agreement) are dropped.

use crate::node::{Node, is_null, norm_email, raw_list, raw_str};
use exportkit_core::model::RawObject;
use exportkit_core::{Result, TaskRecord};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Which optional sections are exported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    /// `tasks[].predictions`.
    pub predictions: bool,
    /// `tasks[].drafts`.
    pub drafts: bool,
    /// The top-level `users` list.
    pub users: bool,
    /// The top-level `provenance` section (source ids).
    pub provenance: bool,
}

/// Task keys never exported: database ids and derived state.
const TASK_DROP: &[&str] = &[
    "id",
    "project",
    "inner_id",
    "file_upload",
    "updated_by",
    "is_labeled",
    "overlap",
    "total_annotations",
    "cancelled_annotations",
    "total_predictions",
    "comment_count",
    "unresolved_comment_count",
    "last_comment_updated_at",
    "comment_authors",
    "agreement",
    "annotators",
    "draft_exists",
    "completions",
    "annotations",
    "predictions",
    "drafts",
];
/// Annotation keys never exported.
const ANN_DROP: &[&str] = &[
    "id",
    "task",
    "project",
    "prediction",
    "updated_by",
    "last_action",
    "last_created_by",
    "import_id",
    "result_count",
    "unique_id",
    "created_ago",
    "created_username",
    "completed_by",
    "parent_annotation",
    "parent_prediction",
];
/// Prediction keys never exported.
const PRED_DROP: &[&str] = &["id", "task", "project", "model", "model_run", "created_ago"];
/// Draft keys never exported.
const DRAFT_DROP: &[&str] = &[
    "id",
    "task",
    "project",
    "created_ago",
    "created_username",
    "user",
    "annotation",
];

/// What the writer needs to know about one encoded task.
#[derive(Debug, Default)]
pub struct TaskInfo {
    /// Bytes of this task in the fragment.
    pub len: usize,
    /// Annotations written.
    pub annotations: u64,
    /// Predictions written.
    pub predictions: u64,
    /// Drafts written.
    pub drafts: u64,
    /// Emails referenced (normalized).
    pub emails: Vec<String>,
    /// Source task id, raw (provenance).
    pub task_id: Option<String>,
    /// Source annotation ids, raw (provenance).
    pub annotation_ids: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
}

fn keep<'a>(obj: &RawObject<'a>, drop: &[&str]) -> Vec<(Cow<'a, str>, Node<'a>)> {
    obj.0
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_ref()))
        .map(|(k, v)| (k.clone(), Node::Raw(v)))
        .collect()
}

/// A user reference (id, email string, or object with `email`) → email or `null`.
fn author<'a>(raw: Option<&RawValue>, what: &str, info: &mut TaskInfo) -> Node<'a> {
    let Some(raw) = raw.filter(|r| !is_null(r)) else {
        return Node::Null;
    };
    let email = if raw.get().starts_with('{') {
        RawObject::parse(raw)
            .ok()
            .and_then(|o| o.get("email").and_then(raw_str).map(Cow::into_owned))
    } else {
        raw_str(raw)
            .map(Cow::into_owned)
            .filter(|s| s.contains('@'))
    };
    match email {
        Some(e) => {
            let e = norm_email(&e);
            info.emails.push(e.clone());
            Node::Str(e)
        }
        None => {
            info.warnings.push(format!(
                "{what} {} has no email; exported as unknown author (null)",
                raw.get()
            ));
            Node::Null
        }
    }
}

/// Maps a source id to its index in `ids` (`null` and a warning when it is not there).
fn reference<'a>(
    raw: Option<&RawValue>,
    ids: &[Option<&str>],
    limit: usize,
    what: &str,
    info: &mut TaskInfo,
) -> Option<Node<'a>> {
    let raw = raw?;
    if is_null(raw) {
        return Some(Node::Null);
    }
    let pos = ids.iter().take(limit).position(|i| *i == Some(raw.get()));
    Some(match pos {
        Some(p) => Node::Num(p as u64),
        None => {
            info.warnings.push(format!(
                "{what} {} is not in this export; set to null",
                raw.get()
            ));
            Node::Null
        }
    })
}

fn objects<'a>(raw: Option<&'a RawValue>, what: &str, info: &mut TaskInfo) -> Vec<RawObject<'a>> {
    let Some(raw) = raw.filter(|r| !is_null(r)) else {
        return Vec::new();
    };
    let Ok(list) = raw_list(raw) else {
        info.warnings
            .push(format!("\"{what}\" is not a list; skipped"));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        match RawObject::parse(item) {
            Ok(o) => out.push(o),
            Err(_) => info.warnings.push(format!(
                "{what} entry {} is not an expanded object; skipped",
                item.get()
            )),
        }
    }
    out
}

/// Encodes `rec` into `out` at nesting level 2 (inside the top-level `tasks` list).
pub fn encode_task(rec: &TaskRecord<'_>, inc: Include, out: &mut Vec<u8>) -> Result<TaskInfo> {
    let mut info = TaskInfo::default();
    let raw: &RawValue = serde_json::from_str(rec.raw).map_err(|e| rec.error(e.to_string()))?;
    let task = RawObject::parse(raw).map_err(|e| rec.error(e.to_string()))?;
    let mut members = keep(&task, TASK_DROP);

    let anns: Vec<RawObject<'_>> = match &rec.kept_raw {
        Some(kept) => kept
            .iter()
            .filter_map(|r| RawObject::parse(r).ok())
            .collect(),
        None => objects(
            task.get("annotations").or_else(|| task.get("completions")),
            "annotations",
            &mut info,
        ),
    };
    let preds = if inc.predictions {
        objects(task.get("predictions"), "predictions", &mut info)
    } else {
        Vec::new()
    };
    let drafts = if inc.drafts {
        objects(task.get("drafts"), "drafts", &mut info)
    } else {
        Vec::new()
    };
    let ann_ids: Vec<Option<&str>> = anns.iter().map(|a| a.get("id").map(|r| r.get())).collect();
    let pred_ids: Vec<Option<&str>> = preds.iter().map(|a| a.get("id").map(|r| r.get())).collect();

    let mut list = Vec::with_capacity(anns.len());
    for (i, a) in anns.iter().enumerate() {
        let mut m = keep(a, ANN_DROP);
        m.push((
            "completed_by".into(),
            author(a.get("completed_by"), "annotator", &mut info),
        ));
        if let Some(n) = reference(
            a.get("parent_annotation"),
            &ann_ids,
            i,
            "parent annotation",
            &mut info,
        ) {
            m.push(("parent_annotation".into(), n));
        }
        if let Some(n) = reference(
            a.get("parent_prediction"),
            &pred_ids,
            pred_ids.len(),
            "parent prediction",
            &mut info,
        ) {
            m.push(("parent_prediction".into(), n));
        }
        if !m.iter().any(|(k, _)| k == "result") {
            m.push(("result".into(), Node::List(Vec::new())));
        }
        list.push(Node::Obj(m));
    }
    info.annotations = list.len() as u64;
    members.push(("annotations".into(), Node::List(list)));

    if inc.predictions {
        let list: Vec<Node<'_>> = preds
            .iter()
            .map(|p| Node::Obj(keep(p, PRED_DROP)))
            .collect();
        info.predictions = list.len() as u64;
        members.push(("predictions".into(), Node::List(list)));
    }
    if inc.drafts {
        let mut list = Vec::with_capacity(drafts.len());
        for d in &drafts {
            let mut m = keep(d, DRAFT_DROP);
            m.push((
                "user".into(),
                author(d.get("user"), "draft author", &mut info),
            ));
            if let Some(n) = reference(
                d.get("annotation"),
                &ann_ids,
                ann_ids.len(),
                "draft's annotation",
                &mut info,
            ) {
                m.push(("annotation".into(), n));
            }
            list.push(Node::Obj(m));
        }
        info.drafts = list.len() as u64;
        members.push(("drafts".into(), Node::List(list)));
    }
    if inc.provenance {
        info.task_id = task.get("id").map(|r| r.get().to_owned());
        info.annotation_ids = ann_ids
            .iter()
            .map(|i| i.unwrap_or("null").to_owned())
            .collect();
    }
    let start = out.len();
    Node::Obj(members).to_bytes(2, out)?;
    info.len = out.len() - start;
    Ok(info)
}

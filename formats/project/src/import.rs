//! Import: a project document → a validated, typed [`Plan`] (tasks with remapped references),
//! and optionally a Label Studio-importable directory.
//!
//! Phases: size limit (before parsing) → `format` / `format_version` → structure (the schema's
//! required fields and types) → references (indexes in range, `parent_annotation` before its
//! annotation, authors among `users`, `header.counts`) → plan. Nothing is written unless every
//! check passes; every problem found is listed in the one error.

use crate::format::{DEFAULT_MAX_BYTES, FORMAT_TAG, FORMAT_VERSION};
use crate::node::{Node, STYLE, is_null, norm_email, raw_list, raw_str};
use exportkit_core::model::RawObject;
use exportkit_core::{Error, ErrorKind, Output, Result, Target};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

/// What to do with an author who is not in the document's `users`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownUsers {
    /// Fail the import (default): authorship is never silently re-assigned.
    #[default]
    Error,
    /// Keep the email as the author (the host creates or matches the user).
    Keep,
    /// Drop the author (`completed_by: null`), with a warning.
    Drop,
}

/// Import settings.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Size limit in bytes, checked before parsing; 0 = none.
    pub max_bytes: u64,
    /// Authors missing from `users`.
    pub unknown_users: UnknownUsers,
    /// First new id for tasks, annotations, predictions and drafts (ids are a bijection onto
    /// `id_base..`); hosts pass their next free ids.
    pub id_base: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            unknown_users: UnknownUsers::Error,
            id_base: 1,
        }
    }
}

/// A planned annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAnnotation {
    /// Its new id.
    pub new_id: u64,
    /// Author email (normalized), `None` for an unknown author.
    pub completed_by: Option<String>,
    /// New id of the parent annotation.
    pub parent_annotation: Option<u64>,
    /// New id of the parent prediction.
    pub parent_prediction: Option<u64>,
}

/// A planned draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDraft {
    /// Its new id.
    pub new_id: u64,
    /// Author email.
    pub user: Option<String>,
    /// New id of the annotation it drafts.
    pub annotation: Option<u64>,
}

/// A planned task with every reference remapped to new ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    /// Its new id.
    pub new_id: u64,
    /// Its index in the document's `tasks`.
    pub source_index: usize,
    /// Annotations, in document order.
    pub annotations: Vec<PlannedAnnotation>,
    /// New ids of its predictions (`None`: the section was not exported: leave alone).
    pub predictions: Option<Vec<u64>>,
    /// Drafts (`None`: not exported).
    pub drafts: Option<Vec<PlannedDraft>>,
    /// The task as Label Studio imports it (canonical JSON, new ids, authors as `{"email"}`).
    pub json: String,
}

/// Counts and warnings of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Tasks.
    pub tasks: u64,
    /// Annotations.
    pub annotations: u64,
    /// Predictions.
    pub predictions: u64,
    /// Drafts.
    pub drafts: u64,
    /// Users listed.
    pub users: u64,
    /// Data problems that did not stop the import.
    pub warnings: Vec<String>,
}

/// What an import will do; a host applies it in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `header.export_id`.
    pub export_id: String,
    /// `export_id` + `:` + MD5 of the document bytes: importing twice with the same key should
    /// return the earlier result.
    pub idempotency_key: String,
    /// The document's `format_version`.
    pub format_version: u64,
    /// Project title.
    pub title: String,
    /// The label config, verbatim.
    pub label_config: String,
    /// The `project` object, canonical JSON (what `--project FILE` reads back).
    pub project_json: String,
    /// Users by email (normalized), sorted.
    pub users: Vec<String>,
    /// Tasks in document order.
    pub tasks: Vec<PlannedTask>,
    /// Which optional sections the document carries, as `--set include=` would take them.
    pub include: String,
    /// Counts and warnings.
    pub report: Report,
}

struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, m: impl Into<String>) {
        self.0.push(m.into());
    }
}

fn obj<'a>(raw: &'a RawValue, at: &str, p: &mut Problems) -> Option<RawObject<'a>> {
    if !raw.get().starts_with('{') {
        p.push(format!("{at}: expected an object"));
        return None;
    }
    match RawObject::parse(raw) {
        Ok(o) => Some(o),
        Err(e) => {
            p.push(format!("{at}: {e}"));
            None
        }
    }
}

fn list<'a>(raw: &'a RawValue, at: &str, p: &mut Problems) -> Option<Vec<&'a RawValue>> {
    if !raw.get().starts_with('[') {
        p.push(format!("{at}: expected a list"));
        return None;
    }
    raw_list(raw).map_err(|e| p.push(format!("{at}: {e}"))).ok()
}

fn uint(raw: &RawValue) -> Option<u64> {
    raw.get().parse().ok()
}

/// An optional index field: absent → `None`, `null` → `Some(None)`.
fn index(o: &RawObject<'_>, key: &str, at: &str, p: &mut Problems) -> Option<Option<u64>> {
    let raw = o.get(key)?;
    if is_null(raw) {
        return Some(None);
    }
    match uint(raw) {
        Some(i) => Some(Some(i)),
        None => {
            p.push(format!(
                "{at}.{key}: expected an index (integer >= 0) or null"
            ));
            Some(None)
        }
    }
}

fn email_field(o: &RawObject<'_>, key: &str, at: &str, p: &mut Problems) -> Option<String> {
    let raw = o.get(key)?;
    if is_null(raw) {
        return None;
    }
    match raw_str(raw) {
        Some(s) if s.contains('@') => Some(norm_email(&s)),
        _ => {
            p.push(format!("{at}.{key}: expected an email or null"));
            None
        }
    }
}

struct Author<'u> {
    users: Option<&'u BTreeSet<String>>,
    policy: UnknownUsers,
}

impl Author<'_> {
    fn check(
        &self,
        email: Option<String>,
        at: &str,
        p: &mut Problems,
        w: &mut Vec<String>,
    ) -> Option<String> {
        let e = email?;
        match self.users {
            Some(u) if !u.contains(&e) => match self.policy {
                UnknownUsers::Error => {
                    p.push(format!(
                        "{at}: author {e} is not in users (use --unknown-users keep|drop)"
                    ));
                    None
                }
                UnknownUsers::Keep => {
                    w.push(format!("{at}: author {e} is not in users; kept"));
                    Some(e)
                }
                UnknownUsers::Drop => {
                    w.push(format!("{at}: author {e} is not in users; dropped (null)"));
                    None
                }
            },
            _ => Some(e),
        }
    }
}

fn user_obj(e: &Option<String>) -> Node<'static> {
    match e {
        Some(e) => Node::Obj(vec![("email".into(), Node::Str(e.clone()))]),
        None => Node::Null,
    }
}

/// Validates `bytes` and plans the import. Nothing is written.
pub fn plan(bytes: &[u8], opts: &ImportOptions) -> Result<Plan> {
    let fail = |msg: String| Error::new(ErrorKind::Input, msg);
    if opts.max_bytes > 0 && bytes.len() as u64 > opts.max_bytes {
        return Err(fail(format!(
            "the document is {} bytes, over the {} byte limit (--max-bytes; 0 = none)",
            bytes.len(),
            opts.max_bytes
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::input("invalid UTF-8", e.valid_up_to() as u64))?;
    let root: &RawValue = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let mut p = Problems(Vec::new());
    let Some(top) = obj(root, "document", &mut p) else {
        return Err(fail("the document is not a JSON object".into()));
    };
    match top.get("format").and_then(raw_str) {
        Some(f) if f == FORMAT_TAG => {}
        _ => return Err(fail(format!("\"format\" is not \"{FORMAT_TAG}\""))),
    }
    let version = top
        .get("format_version")
        .and_then(uint)
        .ok_or_else(|| fail("\"format_version\" is not a positive integer".into()))?;
    if version > FORMAT_VERSION {
        return Err(fail(format!(
            "file version {version} is newer than supported {FORMAT_VERSION}"
        )));
    }
    if version == 0 {
        return Err(fail("\"format_version\" 0 does not exist".into()));
    }
    let mut warnings = Vec::new();
    for (k, _) in top.iter() {
        if ![
            "format",
            "format_version",
            "header",
            "project",
            "users",
            "tasks",
            "provenance",
        ]
        .contains(&k)
        {
            warnings.push(format!("unknown top-level key \"{k}\" ignored"));
        }
    }
    // header
    let header = match top.get("header") {
        Some(h) => obj(h, "header", &mut p),
        None => {
            p.push("header: missing");
            None
        }
    };
    let export_id = header
        .as_ref()
        .and_then(|h| h.get("export_id"))
        .and_then(raw_str)
        .map(Cow::into_owned);
    if header.is_some() && export_id.is_none() {
        p.push("header.export_id: missing or not a string");
    }
    if header
        .as_ref()
        .is_some_and(|h| h.get("exported_at").and_then(raw_str).is_none())
    {
        p.push("header.exported_at: missing or not a string");
    }
    let counts = header
        .as_ref()
        .and_then(|h| h.get("counts"))
        .and_then(|c| obj(c, "header.counts", &mut p));
    // project
    let project = match top.get("project") {
        Some(r) => obj(r, "project", &mut p),
        None => {
            p.push("project: missing");
            None
        }
    };
    let title = project
        .as_ref()
        .and_then(|o| o.get("title"))
        .and_then(raw_str);
    if project.is_some() && title.as_deref().is_none_or(str::is_empty) {
        p.push("project.title: missing, empty or not a string");
    }
    let label_config = project
        .as_ref()
        .and_then(|o| o.get("label_config"))
        .and_then(raw_str);
    if project.is_some() && label_config.is_none() {
        p.push("project.label_config: missing or not a string");
    }
    // users
    let users: Option<BTreeSet<String>> = top
        .get("users")
        .and_then(|u| list(u, "users", &mut p))
        .map(|l| {
            let mut set = BTreeSet::new();
            for (i, u) in l.iter().enumerate() {
                let at = format!("users[{i}]");
                if let Some(o) = obj(u, &at, &mut p) {
                    match o.get("email").and_then(raw_str) {
                        Some(e) if e.contains('@') => {
                            if !set.insert(norm_email(&e)) {
                                p.push(format!("{at}: duplicate email {e}"));
                            }
                        }
                        _ => p.push(format!("{at}.email: missing or not an email")),
                    }
                }
            }
            set
        });
    let author = Author {
        users: users.as_ref(),
        policy: opts.unknown_users,
    };
    // tasks
    let raw_tasks = match top.get("tasks") {
        Some(t) => list(t, "tasks", &mut p).unwrap_or_default(),
        None => {
            p.push("tasks: missing");
            Vec::new()
        }
    };
    let base = opts.id_base;
    let (mut next_ann, mut next_pred, mut next_draft) = (base, base, base);
    let mut report = Report::default();
    let mut tasks = Vec::with_capacity(raw_tasks.len());
    let mut referenced = BTreeSet::new();
    let (mut any_pred, mut any_draft) = (false, false);
    for (ti, raw) in raw_tasks.iter().enumerate() {
        let at = format!("tasks[{ti}]");
        let Some(t) = obj(raw, &at, &mut p) else {
            continue;
        };
        if !t.get("data").is_some_and(|d| d.get().starts_with('{')) {
            p.push(format!("{at}.data: missing or not an object"));
        }
        let anns: Vec<RawObject<'_>> = match t.get("annotations") {
            Some(a) => list(a, &format!("{at}.annotations"), &mut p)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter_map(|(i, a)| obj(a, &format!("{at}.annotations[{i}]"), &mut p))
                .collect(),
            None => Vec::new(),
        };
        let preds: Option<Vec<RawObject<'_>>> = t.get("predictions").map(|a| {
            list(a, &format!("{at}.predictions"), &mut p)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter_map(|(i, a)| obj(a, &format!("{at}.predictions[{i}]"), &mut p))
                .collect()
        });
        let drafts: Option<Vec<RawObject<'_>>> = t.get("drafts").map(|a| {
            list(a, &format!("{at}.drafts"), &mut p)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter_map(|(i, a)| obj(a, &format!("{at}.drafts[{i}]"), &mut p))
                .collect()
        });
        any_pred |= preds.is_some();
        any_draft |= drafts.is_some();
        let ann_base = next_ann;
        let pred_base = next_pred;
        let n_preds = preds.as_ref().map_or(0, Vec::len) as u64;
        let mut planned_anns = Vec::with_capacity(anns.len());
        let mut ann_nodes = Vec::with_capacity(anns.len());
        for (ai, a) in anns.iter().enumerate() {
            let aat = format!("{at}.annotations[{ai}]");
            if !a.get("result").is_some_and(|r| r.get().starts_with('[')) {
                p.push(format!("{aat}.result: missing or not a list"));
            }
            let email = email_field(a, "completed_by", &aat, &mut p);
            if let Some(e) = &email {
                referenced.insert(e.clone());
            }
            let completed_by = author.check(email, &aat, &mut p, &mut warnings);
            let pa = index(a, "parent_annotation", &aat, &mut p);
            if let Some(Some(i)) = pa
                && i >= ai as u64
            {
                p.push(format!(
                    "{aat}.parent_annotation: {i} is not an earlier annotation"
                ));
            }
            let pp = index(a, "parent_prediction", &aat, &mut p);
            if let Some(Some(i)) = pp
                && i >= n_preds
            {
                p.push(format!(
                    "{aat}.parent_prediction: {i} is out of range ({n_preds} predictions)"
                ));
            }
            let new_id = next_ann;
            next_ann += 1;
            let pa_id = pa.flatten().map(|i| ann_base + i);
            let pp_id = pp.flatten().map(|i| pred_base + i);
            let mut m: Vec<(Cow<'_, str>, Node<'_>)> =
                a.0.iter()
                    .filter(|(k, _)| {
                        ![
                            "completed_by",
                            "parent_annotation",
                            "parent_prediction",
                            "id",
                        ]
                        .contains(&k.as_ref())
                    })
                    .map(|(k, v)| (k.clone(), Node::Raw(v)))
                    .collect();
            m.push(("id".into(), Node::Num(new_id)));
            m.push(("completed_by".into(), user_obj(&completed_by)));
            if pa.is_some() {
                m.push((
                    "parent_annotation".into(),
                    pa_id.map_or(Node::Null, Node::Num),
                ));
            }
            if pp.is_some() {
                m.push((
                    "parent_prediction".into(),
                    pp_id.map_or(Node::Null, Node::Num),
                ));
            }
            ann_nodes.push(Node::Obj(m));
            planned_anns.push(PlannedAnnotation {
                new_id,
                completed_by,
                parent_annotation: pa_id,
                parent_prediction: pp_id,
            });
        }
        let mut pred_ids = None;
        let mut pred_nodes = None;
        if let Some(preds) = &preds {
            let mut ids = Vec::new();
            let mut nodes = Vec::new();
            for (pi, pr) in preds.iter().enumerate() {
                if !pr.get("result").is_some_and(|r| r.get().starts_with('[')) {
                    p.push(format!(
                        "{at}.predictions[{pi}].result: missing or not a list"
                    ));
                }
                let mut m: Vec<(Cow<'_, str>, Node<'_>)> =
                    pr.0.iter()
                        .filter(|(k, _)| k != "id")
                        .map(|(k, v)| (k.clone(), Node::Raw(v)))
                        .collect();
                m.push(("id".into(), Node::Num(next_pred)));
                ids.push(next_pred);
                next_pred += 1;
                nodes.push(Node::Obj(m));
            }
            pred_ids = Some(ids);
            pred_nodes = Some(nodes);
        }
        let mut planned_drafts = None;
        let mut draft_nodes = None;
        if let Some(drafts) = &drafts {
            let mut planned = Vec::new();
            let mut nodes = Vec::new();
            for (di, d) in drafts.iter().enumerate() {
                let dat = format!("{at}.drafts[{di}]");
                if !d.get("result").is_some_and(|r| r.get().starts_with('[')) {
                    p.push(format!("{dat}.result: missing or not a list"));
                }
                let email = email_field(d, "user", &dat, &mut p);
                if let Some(e) = &email {
                    referenced.insert(e.clone());
                }
                let user = author.check(email, &dat, &mut p, &mut warnings);
                let ann = index(d, "annotation", &dat, &mut p);
                if let Some(Some(i)) = ann
                    && i >= anns.len() as u64
                {
                    p.push(format!(
                        "{dat}.annotation: {i} is out of range ({} annotations)",
                        anns.len()
                    ));
                }
                let ann_id = ann.flatten().map(|i| ann_base + i);
                let mut m: Vec<(Cow<'_, str>, Node<'_>)> =
                    d.0.iter()
                        .filter(|(k, _)| !["id", "user", "annotation"].contains(&k.as_ref()))
                        .map(|(k, v)| (k.clone(), Node::Raw(v)))
                        .collect();
                m.push(("id".into(), Node::Num(next_draft)));
                m.push(("user".into(), user_obj(&user)));
                if ann.is_some() {
                    m.push(("annotation".into(), ann_id.map_or(Node::Null, Node::Num)));
                }
                planned.push(PlannedDraft {
                    new_id: next_draft,
                    user,
                    annotation: ann_id,
                });
                next_draft += 1;
                nodes.push(Node::Obj(m));
            }
            planned_drafts = Some(planned);
            draft_nodes = Some(nodes);
        }
        report.annotations += planned_anns.len() as u64;
        report.predictions += pred_ids.as_ref().map_or(0, Vec::len) as u64;
        report.drafts += planned_drafts.as_ref().map_or(0, Vec::len) as u64;
        let mut m: Vec<(Cow<'_, str>, Node<'_>)> =
            t.0.iter()
                .filter(|(k, _)| !["annotations", "predictions", "drafts"].contains(&k.as_ref()))
                .map(|(k, v)| (k.clone(), Node::Raw(v)))
                .collect();
        m.push(("annotations".into(), Node::List(ann_nodes)));
        if let Some(n) = pred_nodes {
            m.push(("predictions".into(), Node::List(n)));
        }
        if let Some(n) = draft_nodes {
            m.push(("drafts".into(), Node::List(n)));
        }
        let mut json = Vec::new();
        Node::Obj(m).to_bytes(1, &mut json)?;
        tasks.push(PlannedTask {
            new_id: base + ti as u64,
            source_index: ti,
            annotations: planned_anns,
            predictions: pred_ids,
            drafts: planned_drafts,
            json: String::from_utf8(json).map_err(|e| fail(e.to_string()))?,
        });
    }
    report.tasks = tasks.len() as u64;
    report.users = users.as_ref().map_or(0, BTreeSet::len) as u64;
    if let Some(c) = &counts {
        for (k, v) in c.iter() {
            let actual = match k {
                "tasks" => report.tasks,
                "annotations" => report.annotations,
                "predictions" => report.predictions,
                "drafts" => report.drafts,
                "users" => report.users,
                _ => {
                    warnings.push(format!("header.counts.{k}: unknown count ignored"));
                    continue;
                }
            };
            if uint(v) != Some(actual) {
                p.push(format!(
                    "header.counts.{k}: says {}, the document holds {actual}",
                    v.get()
                ));
            }
        }
    }
    if let Some(u) = &users {
        for e in u.difference(&referenced) {
            warnings.push(format!(
                "user {e} is referenced by no annotation or draft; a re-export will not list it"
            ));
        }
    }
    if !p.0.is_empty() {
        let n = p.0.len();
        let mut shown: Vec<String> = p.0.into_iter().take(20).collect();
        if n > 20 {
            shown.push(format!("... and {} more", n - 20));
        }
        return Err(fail(format!(
            "invalid project document ({n} problem{}): {}",
            if n == 1 { "" } else { "s" },
            shown.join("; ")
        )));
    }
    // What was exported: `header.options` says so even for an empty project; the sections
    // found decide when it is silent.
    let options = header
        .as_ref()
        .and_then(|h| h.get("options"))
        .and_then(|o| RawObject::parse(o).ok());
    let flag = |name: &str, found: bool| {
        options
            .as_ref()
            .and_then(|o| o.get(&format!("include_{name}")))
            .map_or(found, |v| v.get() == "true")
    };
    let include: Vec<&str> = [
        ("predictions", any_pred),
        ("drafts", any_draft),
        ("users", users.is_some()),
        ("provenance", top.get("provenance").is_some()),
    ]
    .into_iter()
    .filter(|(n, found)| flag(n, *found))
    .map(|(n, _)| n)
    .collect();
    let mut project_json = Vec::new();
    if let Some(r) = top.get("project") {
        let mut w = exportkit_core::jsonfmt::JsonWriter::new(&mut project_json, STYLE);
        w.raw_value(r.get()).map_err(|e| fail(e.to_string()))?;
    }
    project_json.push(b'\n');
    report.warnings = warnings;
    let export_id = export_id.unwrap_or_default();
    Ok(Plan {
        idempotency_key: format!("{export_id}:{}", exportkit_core::names::md5_hex(bytes)),
        export_id,
        format_version: version,
        title: title.map(Cow::into_owned).unwrap_or_default(),
        label_config: label_config.map(Cow::into_owned).unwrap_or_default(),
        project_json: String::from_utf8(project_json).map_err(|e| fail(e.to_string()))?,
        users: users.map(|u| u.into_iter().collect()).unwrap_or_default(),
        tasks,
        include: if include.is_empty() {
            "none".into()
        } else {
            include.join(",")
        },
        report,
    })
}

/// The import report as JSON.
pub fn report_json(plan: &Plan) -> Result<Vec<u8>> {
    let r = &plan.report;
    let node = Node::Obj(vec![
        (
            "counts".into(),
            Node::Obj(vec![
                ("tasks".into(), Node::Num(r.tasks)),
                ("annotations".into(), Node::Num(r.annotations)),
                ("predictions".into(), Node::Num(r.predictions)),
                ("drafts".into(), Node::Num(r.drafts)),
                ("users".into(), Node::Num(r.users)),
            ]),
        ),
        ("export_id".into(), Node::Str(plan.export_id.clone())),
        (
            "idempotency_key".into(),
            Node::Str(plan.idempotency_key.clone()),
        ),
        ("include".into(), Node::Str(plan.include.clone())),
        (
            "warnings".into(),
            Node::List(r.warnings.iter().map(|w| Node::Str(w.clone())).collect()),
        ),
    ]);
    let mut out = Vec::new();
    node.to_bytes(0, &mut out)?;
    out.push(b'\n');
    Ok(out)
}

/// Writes `tasks.json` (Label Studio import), `config.xml` (the label config, verbatim),
/// `project.json` (the `project` object) and `import-report.json` into `out`, atomically
/// (staged, then moved into place).
pub fn write_dir(plan: &Plan, out: &Path) -> Result<Vec<String>> {
    let mut tasks =
        Vec::with_capacity(plan.tasks.iter().map(|t| t.json.len() + 4).sum::<usize>() + 4);
    tasks.push(b'[');
    for (i, t) in plan.tasks.iter().enumerate() {
        tasks.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
        tasks.extend_from_slice(t.json.as_bytes());
    }
    tasks.extend_from_slice(if plan.tasks.is_empty() {
        b"]\n"
    } else {
        b"\n]\n"
    });
    let mut o = Output::new(Target::Dir(out.to_path_buf()))?;
    o.write_file("tasks.json", &tasks)?;
    o.write_file("config.xml", plan.label_config.as_bytes())?;
    o.write_file("project.json", plan.project_json.as_bytes())?;
    o.write_file("import-report.json", &report_json(plan)?)?;
    o.commit()
}

/// Reads `path` (refusing files over `opts.max_bytes` before reading them) and plans it.
pub fn plan_file(path: &Path, opts: &ImportOptions) -> Result<Plan> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if opts.max_bytes > 0 && len > opts.max_bytes {
        return Err(Error::new(
            ErrorKind::Input,
            format!(
                "{}: {len} bytes, over the {} byte limit (--max-bytes; 0 = none)",
                path.display(),
                opts.max_bytes
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    plan(&bytes, opts)
}

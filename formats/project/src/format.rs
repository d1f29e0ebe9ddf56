//! `PROJECT`: the portable project document (`project.json`).
//!
//! Layout: one JSON object, keys sorted (`format`, `format_version`, `header`, `project`,
//! `provenance`, `tasks`, `users`). The header holds counts, which are only known once every
//! task has been seen, and `tasks` comes after it, so the writer **spills** each task's
//! canonical bytes to a temporary file as it arrives (flat memory) and assembles
//! `project.json` in `finish`: head, spilled tasks, users (a sorted set of emails, kept in
//! memory), closing brace. The size limit is checked before anything is assembled, so an
//! oversized export fails and, as every failed export, leaves no file behind.

use crate::encode::{Include, TaskInfo, encode_task};
use crate::header;
use crate::node::{Node, STYLE};
use exportkit_core::exporter::Warning;
use exportkit_core::jsonfmt::JsonWriter;
use exportkit_core::model::RawObject;
use exportkit_core::{
    Batch, BatchEncoder, Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo,
    FormatWriter, Fragment, Output, Result,
};
use serde_json::value::RawValue;
use std::collections::BTreeSet;
use std::io::{Seek, Write};

/// The document's `format` value.
pub const FORMAT_TAG: &str = "exportkit.project-export";
/// The `format_version` this crate writes and the newest it reads.
pub const FORMAT_VERSION: u64 = 1;
/// Default `max_bytes`: 10 MB (decimal).
pub const DEFAULT_MAX_BYTES: u64 = 10_000_000;

/// The `PROJECT` format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProjectFormat;

const INFO: FormatInfo = FormatInfo {
    name: "PROJECT",
    title: "Portable project (JSON)",
    description: "Versioned portable project: label config, settings, users by email, tasks with annotations (opt. predictions, drafts); `exportkit import` reads it",
    extension: "json",
    ls_name: None,
};

fn opt_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Options, msg).with_format("PROJECT")
}

/// The export settings read from `format_options`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Optional sections.
    pub include: Include,
    /// Size limit in bytes; 0 = none.
    pub max_bytes: u64,
    /// The `project` object, rendered at level 1.
    pub project: Vec<u8>,
    /// `header.export_id`.
    pub export_id: String,
    /// `header.exported_at`.
    pub exported_at: String,
}

/// Parses `include` (comma list of `predictions`, `drafts`, `users`, `provenance`; `none`).
pub fn parse_include(s: &str) -> Result<Include> {
    let mut inc = Include::default();
    for t in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match t {
            "predictions" => inc.predictions = true,
            "drafts" => inc.drafts = true,
            "users" => inc.users = true,
            "provenance" => inc.provenance = true,
            "none" => {}
            "all" => {
                inc = Include {
                    predictions: true,
                    drafts: true,
                    users: true,
                    provenance: true,
                }
            }
            other => {
                return Err(opt_err(format!(
                    "unknown include section '{other}' (known: predictions, drafts, users, provenance, all, none)"
                )));
            }
        }
    }
    Ok(inc)
}

fn read(path: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(std::path::Path::new(path), e))
}

impl Settings {
    /// Reads the settings (and the files they name) from the export options.
    pub fn from_context(ctx: &ExportContext) -> Result<Self> {
        let o = &ctx.options.format_options;
        let include = parse_include(o.get("include").map_or("users", String::as_str))?;
        let max_bytes = match o.get("max_bytes") {
            None => DEFAULT_MAX_BYTES,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| opt_err(format!("max_bytes: '{v}' is not a byte count")))?,
        };
        let file = o.get("project_file").map(|p| read(p)).transpose()?;
        let config = o.get("config_path").map(|p| read(p)).transpose()?;
        let project = render_project(
            file.as_deref(),
            o.get("project_title").map(String::as_str),
            config.as_deref(),
        )?;
        Ok(Settings {
            include,
            max_bytes,
            project,
            export_id: o
                .get("export_id")
                .cloned()
                .unwrap_or_else(header::new_export_id),
            exported_at: o.get("exported_at").cloned().unwrap_or_else(header::now),
        })
    }
}

/// Project keys never exported (ids, ownership, secrets, derived state).
const PROJECT_DROP: &[&str] = &[
    "id",
    "organization",
    "workspace",
    "created_by",
    "token",
    "task_number",
    "num_tasks_with_annotations",
    "total_annotations_number",
    "total_predictions_number",
];

/// The `project` object: the project file's members (minus ids), `title` and `label_config`
/// overridden by the title and the config file when given.
pub fn render_project(
    file: Option<&str>,
    title: Option<&str>,
    config: Option<&str>,
) -> Result<Vec<u8>> {
    let raw: Option<&RawValue> = file
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| opt_err(format!("project file: {e}")))?;
    let obj = raw
        .map(RawObject::parse)
        .transpose()
        .map_err(|e| opt_err(format!("project file: not a JSON object: {e}")))?
        .unwrap_or_default();
    let mut m: Vec<(std::borrow::Cow<'_, str>, Node<'_>)> = obj
        .0
        .iter()
        .filter(|(k, _)| !PROJECT_DROP.contains(&k.as_ref()))
        .map(|(k, v)| (k.clone(), Node::Raw(v)))
        .collect();
    let file_title = obj.get("title").and_then(crate::node::raw_str);
    let title = title
        .map(str::to_owned)
        .or(file_title.map(|t| t.into_owned()))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled project".to_owned());
    m.push(("title".into(), Node::Str(title)));
    match config {
        Some(c) => m.push(("label_config".into(), Node::Str(c.to_owned()))),
        None if obj.get("label_config").is_none() => {
            m.push(("label_config".into(), Node::Str(String::new())))
        }
        None => {}
    }
    let mut out = Vec::new();
    Node::Obj(m).to_bytes(1, &mut out)?;
    Ok(out)
}

impl ExporterFactory for ProjectFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let settings = Settings::from_context(ctx)?;
        Ok(Exporter {
            encoder: Box::new(Encoder {
                include: settings.include,
            }),
            writer: Box::new(Writer {
                settings,
                spill: None,
                spilled: 0,
                tasks: 0,
                annotations: 0,
                predictions: 0,
                drafts: 0,
                emails: BTreeSet::new(),
                provenance: Vec::new(),
            }),
        })
    }
}

struct Encoder {
    include: Include,
}

impl BatchEncoder for Encoder {
    fn encode(&self, _ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let mut frag = Fragment::default();
        let mut infos = Vec::with_capacity(batch.tasks.len());
        for rec in batch.tasks {
            let mut info = encode_task(rec, self.include, &mut frag.bytes)?;
            for w in std::mem::take(&mut info.warnings) {
                frag.warnings.push(Warning::new(rec, w));
            }
            infos.push(info);
        }
        frag.records = infos.len() as u64;
        frag.payload = Some(Box::new(infos));
        Ok(frag)
    }
}

struct Writer {
    settings: Settings,
    spill: Option<std::io::BufWriter<std::fs::File>>,
    spilled: u64,
    tasks: u64,
    annotations: u64,
    predictions: u64,
    drafts: u64,
    emails: BTreeSet<String>,
    /// Canonical bytes of the provenance `tasks` entries (only with `include=provenance`).
    provenance: Vec<u8>,
}

const TASK_SEP: &[u8] = b",\n    ";

impl Writer {
    fn too_big(&self, size: u64) -> Result<()> {
        let max = self.settings.max_bytes;
        if max > 0 && size > max {
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "the project document is over {max} bytes (max_bytes; at least {size} so far); \
                     raise --max-bytes (0 = no limit) or export fewer tasks; nothing was written"
                ),
            )
            .with_format("PROJECT"));
        }
        Ok(())
    }

    fn head(&self) -> Result<Vec<u8>> {
        let s = &self.settings;
        let inc = s.include;
        let mut counts = vec![
            ("annotations".into(), Node::Num(self.annotations)),
            ("tasks".into(), Node::Num(self.tasks)),
        ];
        if inc.predictions {
            counts.push(("predictions".into(), Node::Num(self.predictions)));
        }
        if inc.drafts {
            counts.push(("drafts".into(), Node::Num(self.drafts)));
        }
        if inc.users {
            counts.push(("users".into(), Node::Num(self.emails.len() as u64)));
        }
        let header = Node::Obj(vec![
            ("counts".into(), Node::Obj(counts)),
            ("export_id".into(), Node::Str(s.export_id.clone())),
            ("exported_at".into(), Node::Str(s.exported_at.clone())),
            (
                "generator".into(),
                Node::Obj(vec![
                    ("name".into(), Node::Str("exportkit".into())),
                    (
                        "version".into(),
                        Node::Str(env!("CARGO_PKG_VERSION").into()),
                    ),
                ]),
            ),
            (
                "options".into(),
                Node::Obj(vec![
                    ("include_drafts".into(), Node::Bool(inc.drafts)),
                    ("include_predictions".into(), Node::Bool(inc.predictions)),
                    ("include_provenance".into(), Node::Bool(inc.provenance)),
                    ("include_users".into(), Node::Bool(inc.users)),
                ]),
            ),
        ]);
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out, STYLE);
        w.begin_object();
        w.key("format").str_value(FORMAT_TAG);
        w.key("format_version").u64_value(FORMAT_VERSION);
        w.key("header");
        header.emit(&mut w)?;
        out.extend_from_slice(b",\n  \"project\": ");
        out.extend_from_slice(&s.project);
        if inc.provenance {
            out.extend_from_slice(b",\n  \"provenance\": {\n    \"tasks\": [");
            if !self.provenance.is_empty() {
                out.extend_from_slice(&self.provenance);
                out.extend_from_slice(b"\n    ]");
            } else {
                out.extend_from_slice(b"]");
            }
            out.extend_from_slice(b"\n  }");
        }
        out.extend_from_slice(b",\n  \"tasks\": [");
        Ok(out)
    }

    fn tail(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.extend_from_slice(if self.tasks > 0 { b"\n  ]" } else { b"]" });
        if self.settings.include.users {
            out.extend_from_slice(b",\n  \"users\": ");
            let users = Node::List(
                self.emails
                    .iter()
                    .map(|e| Node::Obj(vec![("email".into(), Node::Str(e.clone()))]))
                    .collect(),
            );
            users.to_bytes(1, &mut out)?;
        }
        out.extend_from_slice(b"\n}\n");
        Ok(out)
    }
}

fn spill_err(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("PROJECT spill file: {e}"))
}

impl FormatWriter for Writer {
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let infos = frag
            .payload
            .and_then(|p| p.downcast::<Vec<TaskInfo>>().ok())
            .ok_or_else(|| Error::new(ErrorKind::Format, "PROJECT: fragment without task info"))?;
        if self.spill.is_none() {
            self.spill = Some(std::io::BufWriter::new(out.spill()?));
        }
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        let mut at = 0usize;
        for info in infos.iter() {
            let bytes = frag.bytes.get(at..at + info.len).unwrap_or_default();
            at += info.len;
            let sep: &[u8] = if self.tasks == 0 { b"\n    " } else { TASK_SEP };
            spill.write_all(sep).map_err(spill_err)?;
            spill.write_all(bytes).map_err(spill_err)?;
            self.spilled += (sep.len() + bytes.len()) as u64;
            self.annotations += info.annotations;
            self.predictions += info.predictions;
            self.drafts += info.drafts;
            if self.settings.include.users {
                self.emails.extend(info.emails.iter().cloned());
            }
            if self.settings.include.provenance {
                let mut node = vec![(
                    "annotation_ids".into(),
                    Node::List(
                        info.annotation_ids
                            .iter()
                            .map(|i| Node::Str(i.clone()))
                            .collect(),
                    ),
                )];
                node.push((
                    "task_id".into(),
                    info.task_id.clone().map_or(Node::Null, Node::Str),
                ));
                self.provenance.extend_from_slice(if self.tasks == 0 {
                    b"\n      "
                } else {
                    b",\n      "
                });
                Node::Obj(node).to_bytes(3, &mut self.provenance)?;
            }
            self.tasks += 1;
        }
        self.too_big(self.spilled)
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let head = self.head()?;
        let tail = self.tail()?;
        self.too_big((head.len() + tail.len()) as u64 + self.spilled)?;
        let mut spill = match self.spill {
            Some(s) => Some(s.into_inner().map_err(|e| spill_err(e.into_error()))?),
            None => None,
        };
        let part = out.part("project.json")?;
        let werr = |e: std::io::Error| Error::new(ErrorKind::Io, format!("project.json: {e}"));
        part.write_all(&head).map_err(werr)?;
        if let Some(f) = spill.as_mut() {
            f.rewind().map_err(spill_err)?;
            std::io::copy(f, part).map_err(werr)?;
        }
        part.write_all(&tail).map_err(werr)?;
        out.close("project.json")
    }
}

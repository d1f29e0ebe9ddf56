//! The snapshot file: the filtered tasks in Label Studio's snapshot JSON (one line, Python's
//! `", "` and `": "` separators, UTF-8, task keys in source order), with drafts, predictions
//! and `completed_by` shaped by the serialization options. An internal format, run through
//! the core pipeline so encoding is parallel and memory stays flat.

use crate::model::User;
use crate::request::{SerializationOptions, TaskFilterOptions};
use exportkit_core::jsonfmt::{JsonStyle, transcode, write_str};
use exportkit_core::model::{self, RawObject};
use exportkit_core::{
    Batch, BatchEncoder, Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo,
    FormatWriter, Fragment, Output, Result, TaskRecord,
};
use serde_json::value::RawValue;
use std::collections::{HashMap, HashSet};
use std::io::Write;

/// Python's `json` module with `ensure_ascii=False`, as Label Studio writes snapshots.
const STYLE: JsonStyle = JsonStyle::PY_JSON_LINE_UTF8;
/// The single part the snapshot writes.
pub(crate) const PART: &str = "snapshot.json";
/// Option keys (in `ExportOptions::format_options`).
pub(crate) const OPT_FILTER: &str = "snapshot.task_filter";
pub(crate) const OPT_SERIALIZATION: &str = "snapshot.serialization";
pub(crate) const OPT_IDS: &str = "snapshot.ids";
pub(crate) const OPT_USERS: &str = "snapshot.users";
/// Stat keys in the export summary.
pub(crate) const STAT_ANNOTATIONS: &str = "annotations";
pub(crate) const STAT_PREDICTIONS: &str = "predictions";

/// The snapshot format (not registered: only the service runs it).
#[derive(Debug)]
pub(crate) struct SnapshotFormat;

pub(crate) static SNAPSHOT: SnapshotFormat = SnapshotFormat;

const INFO: FormatInfo = FormatInfo {
    name: "SNAPSHOT",
    title: "Label Studio export snapshot",
    description: "The filtered tasks as Label Studio's export snapshot JSON",
    extension: "json",
    ls_name: None,
};

fn option<T: serde::de::DeserializeOwned + Default>(ctx: &ExportContext, key: &str) -> Result<T> {
    match ctx.options.format_options.get(key) {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Error::new(ErrorKind::Options, format!("{key}: {e}"))),
    }
}

impl ExporterFactory for SnapshotFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let ids: Option<Vec<String>> = option(ctx, OPT_IDS)?;
        let users: Vec<User> = option(ctx, OPT_USERS)?;
        Ok(Exporter {
            encoder: Box::new(Encoder {
                filter: option(ctx, OPT_FILTER)?,
                ser: option(ctx, OPT_SERIALIZATION)?,
                ids: ids.map(|v| v.into_iter().collect()),
                users: users.into_iter().map(|u| (u.id, u)).collect(),
            }),
            writer: Box::new(Writer { first: true }),
        })
    }
}

struct Encoder {
    filter: TaskFilterOptions,
    ser: SerializationOptions,
    ids: Option<HashSet<String>>,
    users: HashMap<u64, User>,
}

/// Counts carried from encoder to writer.
struct Counts {
    annotations: u64,
    predictions: u64,
}

fn json_err(rec: &TaskRecord<'_>, e: &serde_json::Error) -> Error {
    model::json_error(rec.raw, rec.offset, e).at_task(rec.index, rec.id_text())
}

fn tc(rec: &TaskRecord<'_>, raw: &str, out: &mut Vec<u8>) -> Result<()> {
    transcode(raw, &STYLE, 0, out).map_err(|e| {
        Error::new(ErrorKind::Input, format!("invalid JSON in task: {e}"))
            .at_task(rec.index, rec.id_text())
    })
}

fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !std::mem::take(first) {
        out.extend_from_slice(STYLE.item_sep.as_bytes());
    }
    write_str(out, k, &STYLE);
    out.extend_from_slice(STYLE.key_sep.as_bytes());
}

impl Encoder {
    fn keeps(&self, rec: &TaskRecord<'_>) -> Result<bool> {
        if let Some(ids) = &self.ids {
            let id = rec
                .task
                .id
                .map(|r| model::as_str(r).map_or_else(|| r.get().to_owned(), |s| s.into_owned()));
            if !id.is_some_and(|id| ids.contains(&id)) {
                return Ok(false);
            }
        }
        if self.filter.has_choices() {
            let all = rec.task.annotations().map_err(|e| json_err(rec, &e))?;
            let cancelled: Vec<bool> = all
                .iter()
                .flatten()
                .map(|(_, a)| model::truthy(a.was_cancelled))
                .collect();
            if !self.filter.keeps(cancelled.into_iter()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes a list of drafts or predictions: objects, or their ids.
    fn related(
        &self,
        rec: &TaskRecord<'_>,
        raw: &RawValue,
        expand: bool,
        out: &mut Vec<u8>,
    ) -> Result<u64> {
        let Ok(list) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) else {
            tc(rec, raw.get(), out)?;
            return Ok(0);
        };
        out.push(b'[');
        for (i, item) in list.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(STYLE.item_sep.as_bytes());
            }
            let id = (!expand && item.get().starts_with('{'))
                .then(|| RawObject::parse(item).ok()?.get("id"))
                .flatten();
            tc(rec, id.unwrap_or(item).get(), out)?;
        }
        out.push(b']');
        Ok(list.len() as u64)
    }

    /// Writes one annotation, reshaping `completed_by`.
    fn annotation(&self, rec: &TaskRecord<'_>, raw: &RawValue, out: &mut Vec<u8>) -> Result<()> {
        let Ok(obj) = RawObject::parse(raw) else {
            return tc(rec, raw.get(), out);
        };
        out.push(b'{');
        let mut first = true;
        for (k, v) in obj.iter() {
            key(out, &mut first, k);
            if k == "completed_by" {
                self.completed_by(rec, v, out)?;
            } else {
                tc(rec, v.get(), out)?;
            }
        }
        out.push(b'}');
        Ok(())
    }

    fn completed_by(&self, rec: &TaskRecord<'_>, v: &RawValue, out: &mut Vec<u8>) -> Result<()> {
        let obj = v
            .get()
            .starts_with('{')
            .then(|| RawObject::parse(v).ok())
            .flatten();
        match (self.ser.completed_by, obj) {
            // Ids wanted, an object given: its id.
            (false, Some(o)) => tc(rec, o.get("id").map_or("null", |r| r.get()), out),
            (false, None) => tc(rec, v.get(), out),
            // Expanded wanted: exactly id, email, first_name, last_name (Label Studio's order).
            (true, Some(o)) => {
                out.push(b'{');
                let mut first = true;
                for k in ["id", "email", "first_name", "last_name"] {
                    key(out, &mut first, k);
                    tc(rec, o.get(k).map_or("\"\"", |r| r.get()), out)?;
                }
                out.push(b'}');
                Ok(())
            }
            (true, None) => {
                let id = v.get().trim().parse::<u64>().ok();
                let Some(id) = id else {
                    return tc(rec, v.get(), out);
                };
                // A user the project does not list keeps the object's shape with empty
                // fields: nothing is invented, and parsers still see an object.
                let user = self.users.get(&id);
                out.push(b'{');
                let mut first = true;
                key(out, &mut first, "id");
                out.extend_from_slice(id.to_string().as_bytes());
                for (k, s) in [
                    ("email", user.map(|u| u.email.as_str())),
                    ("first_name", user.map(|u| u.first_name.as_str())),
                    ("last_name", user.map(|u| u.last_name.as_str())),
                ] {
                    key(out, &mut first, k);
                    write_str(out, s.unwrap_or(""), &STYLE);
                }
                out.push(b'}');
                Ok(())
            }
        }
    }

    fn task(&self, rec: &TaskRecord<'_>, out: &mut Vec<u8>, counts: &mut Counts) -> Result<()> {
        let obj: RawObject<'_> = serde_json::from_str(rec.raw).map_err(|e| json_err(rec, &e))?;
        out.push(b'{');
        let mut first = true;
        for (k, v) in obj.iter() {
            key(out, &mut first, k);
            match k {
                "annotations" | "completions" if v.get() != "null" => {
                    let all: Vec<&RawValue>;
                    let list: &[&RawValue] = match &rec.kept_raw {
                        Some(kept) => kept,
                        None => {
                            all = serde_json::from_str(v.get()).map_err(|e| json_err(rec, &e))?;
                            &all
                        }
                    };
                    out.push(b'[');
                    for (i, a) in list.iter().enumerate() {
                        if i > 0 {
                            out.extend_from_slice(STYLE.item_sep.as_bytes());
                        }
                        self.annotation(rec, a, out)?;
                    }
                    out.push(b']');
                    counts.annotations += list.len() as u64;
                }
                "drafts" => {
                    self.related(rec, v, self.ser.drafts, out)?;
                }
                "predictions" => {
                    counts.predictions += self.related(rec, v, self.ser.predictions, out)?;
                }
                _ => tc(rec, v.get(), out)?,
            }
        }
        out.push(b'}');
        Ok(())
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, _ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let mut bytes = Vec::with_capacity(batch.tasks.iter().map(|t| t.raw.len()).sum());
        let mut counts = Counts {
            annotations: 0,
            predictions: 0,
        };
        let mut records = 0;
        for rec in batch.tasks {
            if !self.keeps(rec)? {
                continue;
            }
            if records > 0 {
                bytes.extend_from_slice(STYLE.item_sep.as_bytes());
            }
            self.task(rec, &mut bytes, &mut counts)?;
            records += 1;
        }
        Ok(Fragment {
            bytes,
            records,
            payload: Some(Box::new(counts)),
            warnings: Vec::new(),
        })
    }
}

struct Writer {
    first: bool,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("writing the snapshot: {e}"))
}

impl FormatWriter for Writer {
    fn begin(&mut self, _ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.part(PART)?.write_all(b"[").map_err(io)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        if let Some(c) = frag.payload.and_then(|p| p.downcast::<Counts>().ok()) {
            out.add_stat(STAT_ANNOTATIONS, c.annotations);
            out.add_stat(STAT_PREDICTIONS, c.predictions);
        }
        if frag.records == 0 {
            return Ok(());
        }
        let w = out.part(PART)?;
        if !std::mem::take(&mut self.first) {
            w.write_all(STYLE.item_sep.as_bytes()).map_err(io)?;
        }
        w.write_all(&frag.bytes).map_err(io)
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        out.part(PART)?.write_all(b"]").map_err(io)?;
        out.close(PART)
    }
}

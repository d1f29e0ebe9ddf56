//! The parallel half: items → rows of (key, encoded cell).

use crate::cell::{write_empty, write_text, write_value};
use crate::columns::Key;
use exportkit_core::jsonfmt::{self, JsonStyle, JsonWriter};
use exportkit_core::model::{self, RawObject};
use exportkit_core::view::{self, Annotator};
use exportkit_core::{
    Batch, BatchEncoder, Error, ErrorKind, ExportContext, Fragment, Item, OutputGroup, Result,
};
use std::ops::Range;

/// Rows of one batch: cells back to back in `Fragment::bytes`.
pub(crate) struct Rows {
    /// Each cell's key and byte range.
    pub(crate) cells: Vec<(Key, Range<usize>)>,
    /// Where each row ends in `cells`.
    pub(crate) row_ends: Vec<usize>,
}

pub(crate) struct Encoder {
    pub(crate) compat: bool,
    pub(crate) delimiter: u8,
}

struct RowBuilder<'r> {
    bytes: &'r mut Vec<u8>,
    cells: &'r mut Vec<(Key, Range<usize>)>,
    scratch: Vec<u8>,
    compat: bool,
    delimiter: u8,
}

impl RowBuilder<'_> {
    fn cell(&mut self, key: Key, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let start = self.bytes.len();
        f(self)?;
        self.cells.push((key, start..self.bytes.len()));
        Ok(())
    }

    fn value(&mut self, key: Key, raw: Option<&str>) -> Result<()> {
        self.cell(key, |b| match raw {
            Some(r) => write_value(b.bytes, r, b.compat, b.delimiter, &mut b.scratch),
            None => {
                write_empty(b.bytes, b.compat);
                Ok(())
            }
        })
    }

    fn json(
        &mut self,
        key: Key,
        write: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<()> {
        let style = if self.compat {
            JsonStyle::UJSON_COMPACT
        } else {
            JsonStyle::CLEAN_COMPACT
        };
        self.scratch.clear();
        write(&mut JsonWriter::new(&mut self.scratch, style))?;
        let scratch = std::mem::take(&mut self.scratch);
        self.cell(key, |b| {
            write_text(
                b.bytes,
                std::str::from_utf8(&scratch).unwrap_or_default(),
                b.compat,
                b.delimiter,
            );
            Ok(())
        })?;
        self.scratch = scratch;
        Ok(())
    }
}

fn is_chat(g: &OutputGroup<'_, '_>) -> bool {
    g.control_type.eq_ignore_ascii_case("chat")
        || g.control_type.eq_ignore_ascii_case("chatmessage")
}

/// Python's `str()` of a raw JSON value (strings as they are).
fn py_str(raw: &serde_json::value::RawValue) -> String {
    match model::as_str(raw) {
        Some(s) => s.into_owned(),
        None => match raw.get() {
            "null" => "None".into(),
            "true" => "True".into(),
            "false" => "False".into(),
            other => other.to_owned(),
        },
    }
}

/// A chat control's transcript: `role: content` per message, one per line.
fn transcript(g: &OutputGroup<'_, '_>) -> Result<String> {
    let mut lines = Vec::new();
    for r in &g.regions {
        let v = view::region_value(r)?;
        let msg = match v.get("chatmessage") {
            Some(m) => RawObject::parse(m).ok(),
            None => Some(v.clone()),
        };
        let Some(msg) = msg else { continue };
        let role = msg.get("role").map(py_str).unwrap_or_default();
        let content = msg
            .get("content")
            .filter(|c| model::truthy(Some(c)))
            .map(py_str)
            .unwrap_or_default();
        lines.push(match (role.is_empty(), content.is_empty()) {
            (true, _) => content,
            (false, true) => format!("{role}:"),
            (false, false) => format!("{role}: {content}"),
        });
    }
    Ok(lines.join("\n"))
}

fn encode_item(b: &mut RowBuilder<'_>, item: &Item<'_, '_>) -> Result<()> {
    let task = &item.task.task;
    if let Some(id) = task.id.filter(|r| r.get() != "null") {
        b.value(Key::Id, Some(id.get()))?;
    }
    for g in &item.outputs {
        let pretty = view::prettify(g)?;
        match pretty.as_bare_str() {
            Some(s) => {
                let s = s.into_owned();
                b.cell(Key::From(g.from_name.to_owned()), |b| {
                    write_text(b.bytes, &s, b.compat, b.delimiter);
                    Ok(())
                })?
            }
            None => b.json(Key::From(g.from_name.to_owned()), |w| pretty.write(w))?,
        }
        if is_chat(g) {
            let t = transcript(g)?;
            b.cell(Key::Transcript(g.from_name.to_owned()), |b| {
                write_text(b.bytes, &t, b.compat, b.delimiter);
                Ok(())
            })?;
        }
    }
    for (k, v) in task.data.iter().flat_map(|d| d.iter()) {
        b.value(Key::Data(k.to_owned()), Some(v.get()))?;
    }
    // Clean output keeps integer user ids as numbers; Label Studio writes `str(id)`.
    b.cell(Key::Fixed(0), |b| {
        match view::annotator(item, !b.compat) {
            Annotator::None => write_empty(b.bytes, b.compat),
            Annotator::Int(lit) => {
                jsonfmt::write_number(b.bytes, lit, jsonfmt::NumberStyle::Verbatim)
            }
            Annotator::Str(s) => write_text(b.bytes, &s, b.compat, b.delimiter),
        }
        Ok(())
    })?;
    let ann = item.annotation;
    let fields = [
        ann.and_then(|a| a.id),
        ann.and_then(|a| a.created_at),
        ann.and_then(|a| a.updated_at),
        ann.and_then(|a| a.lead_time),
    ];
    for (i, raw) in fields.into_iter().enumerate() {
        b.value(Key::Fixed(i as u8 + 1), raw.map(|r| r.get()))?;
    }
    if let (Some(agreement), Some(_)) = (task.agreement, ann) {
        b.value(Key::Agreement, Some(agreement.get()))?;
    }
    if let Some(history) = ann
        .and_then(|a| a.history)
        .filter(|h| model::truthy(Some(h)))
    {
        b.json(Key::History, |w| view::raw(w, history.get()))?;
    }
    Ok(())
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = exportkit_core::task::Schema::new(ctx.config.as_deref());
        let mut bytes =
            Vec::with_capacity(batch.tasks.iter().map(|t| t.raw.len()).sum::<usize>() / 3);
        let mut cells = Vec::new();
        let mut row_ends = Vec::new();
        let mut b = RowBuilder {
            bytes: &mut bytes,
            cells: &mut cells,
            scratch: Vec::new(),
            compat: self.compat,
            delimiter: self.delimiter,
        };
        for rec in batch.tasks {
            for item in &rec.items(&schema)? {
                encode_item(&mut b, item).map_err(|e| e.at_task(rec.index, rec.id_text()))?;
                row_ends.push(b.cells.len());
            }
        }
        let records = row_ends.len() as u64;
        Ok(Fragment {
            bytes,
            records,
            payload: Some(Box::new(Rows { cells, row_ends })),
            ..Fragment::default()
        })
    }
}

/// Keeps the error constructor in one place for the writer.
pub(crate) fn bad_fragment() -> Error {
    Error::new(ErrorKind::Format, "CSV fragment without rows")
}

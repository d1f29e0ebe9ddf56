//! `JSON_MIN`: one flat record per item (task × kept annotation): the task data, the task id,
//! each control's prettified result, and the annotation's annotator, id and times.

use crate::array::ArrayWriter;
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::view::{self, Annotator, Pretty};
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Exporter, ExporterFactory, FormatInfo, Fragment, Item,
    Result,
};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The `JSON_MIN` format.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonMinFormat;

const INFO: FormatInfo = FormatInfo {
    name: "JSON_MIN",
    title: "JSON-MIN",
    description: "One flat record per annotation: task data, results by control, annotator and times",
    extension: "json",
    ls_name: Some("JSON_MIN"),
};

impl ExporterFactory for JsonMinFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let compat = ctx.options.is_compat();
        Ok(Exporter {
            encoder: Box::new(Encoder { compat }),
            writer: Box::new(ArrayWriter::new("result.json", compat)),
        })
    }
}

/// A record field's value.
enum Field<'a> {
    Raw(&'a RawValue),
    Pretty(Pretty<'a>),
    Annotator(Annotator<'a>),
    Null,
}

/// An ordered record where setting an existing key replaces its value in place (Python dict).
#[derive(Default)]
struct Record<'t, 'a> {
    fields: Vec<(Cow<'t, str>, Field<'a>)>,
}

impl<'t, 'a> Record<'t, 'a> {
    fn set(&mut self, key: impl Into<Cow<'t, str>>, value: Field<'a>) {
        let key = key.into();
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }
}

fn raw_or_null(v: Option<&RawValue>) -> Field<'_> {
    v.map_or(Field::Null, Field::Raw)
}

/// The fixed fields after the results, in Label Studio's order.
const TAIL: [&str; 5] = [
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
];

fn build_record<'t, 'a>(item: &'t Item<'t, 'a>, compat: bool) -> Result<Record<'t, 'a>> {
    let task = &item.task.task;
    let mut rec = Record::default();
    let data = task
        .data
        .as_ref()
        .map(|d| d.0.as_slice())
        .unwrap_or_default();
    let taken = |k: &str| {
        k == "id"
            || TAIL.contains(&k)
            || (k == "agreement" && task.agreement.is_some())
            || item.outputs.iter().any(|g| g.from_name == k)
    };
    for (k, v) in data {
        if !compat && taken(k) {
            // Clean: a data key that collides with a record field is kept under `_data_<key>`.
            rec.set(format!("_data_{k}"), Field::Raw(v));
        } else {
            rec.set(k.as_ref(), Field::Raw(v));
        }
    }
    // Label Studio skips a null task id, so a data `id` then survives.
    if let Some(id) = task.id.filter(|r| r.get() != "null") {
        rec.set("id", Field::Raw(id));
    }
    for g in &item.outputs {
        rec.set(g.from_name, Field::Pretty(view::prettify(g)?));
    }
    let ann = item.annotation;
    rec.set("annotator", Field::Annotator(view::annotator(item, true)));
    rec.set("annotation_id", raw_or_null(ann.and_then(|a| a.id)));
    rec.set("created_at", raw_or_null(ann.and_then(|a| a.created_at)));
    rec.set("updated_at", raw_or_null(ann.and_then(|a| a.updated_at)));
    rec.set("lead_time", raw_or_null(ann.and_then(|a| a.lead_time)));
    // `agreement` comes with annotated items only (not with a task's empty annotation list).
    if let (Some(agreement), Some(_)) = (task.agreement, ann) {
        rec.set("agreement", Field::Raw(agreement));
    }
    Ok(rec)
}

fn write_record(w: &mut JsonWriter<'_>, rec: &Record<'_, '_>) -> Result<()> {
    w.begin_object();
    for (k, v) in &rec.fields {
        w.key(k);
        match v {
            Field::Raw(r) => view::raw(w, r.get())?,
            Field::Pretty(p) => p.write(w)?,
            Field::Annotator(Annotator::None) | Field::Null => {
                w.null_value();
            }
            Field::Annotator(Annotator::Int(lit)) => {
                w.number_literal(lit);
            }
            Field::Annotator(Annotator::Str(s)) => {
                w.str_value(s);
            }
        }
    }
    w.end_object();
    Ok(())
}

struct Encoder {
    compat: bool,
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let (style, level) = if self.compat {
            (JsonStyle::UJSON_PRETTY, 0)
        } else {
            (JsonStyle::CLEAN_PRETTY, 1)
        };
        let schema = exportkit_core::task::Schema::new(ctx.config.as_deref());
        let mut bytes =
            Vec::with_capacity(batch.tasks.iter().map(|t| t.raw.len()).sum::<usize>() / 2);
        let mut records = 0u64;
        for rec in batch.tasks {
            let items = rec.items(&schema)?;
            for item in &items {
                let record = build_record(item, self.compat)
                    .map_err(|e| e.at_task(rec.index, rec.id_text()))?;
                if records > 0 {
                    bytes.extend_from_slice(b",\n");
                }
                if level > 0 {
                    bytes.extend_from_slice(b"  ");
                }
                write_record(
                    &mut JsonWriter::with_level(&mut bytes, style, level),
                    &record,
                )
                .map_err(|e| e.at_task(rec.index, rec.id_text()))?;
                records += 1;
            }
        }
        Ok(Fragment {
            bytes,
            records,
            payload: None,
            ..Fragment::default()
        })
    }
}

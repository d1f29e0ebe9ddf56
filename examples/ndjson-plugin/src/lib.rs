//! An example third-party exportkit format: `NDJSON`, one compact JSON line per task holding
//! its id, data and the number of annotations.
//!
//! It depends only on `exportkit-core`. A binary that wants it must name the crate once
//! (`use ndjson_plugin_example as _;`) so the linker keeps its registration.
#![deny(missing_docs)]

use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::{
    Batch, BatchEncoder, Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo,
    FormatWriter, Fragment, Output, Result,
};
use std::io::Write;

/// The `NDJSON` format descriptor.
#[derive(Debug)]
pub struct Ndjson;

/// The registered instance.
pub static NDJSON: Ndjson = Ndjson;
exportkit_core::register_format!(NDJSON);

const INFO: FormatInfo = FormatInfo {
    name: "NDJSON",
    title: "NDJSON (example plugin)",
    description: "One line per task: id, data and annotation count",
    extension: "jsonl",
    ls_name: None,
};

impl ExporterFactory for Ndjson {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, _ctx: &ExportContext) -> Result<Exporter> {
        Ok(Exporter {
            encoder: Box::new(Encoder),
            writer: Box::new(Writer),
        })
    }
}

struct Encoder;

impl BatchEncoder for Encoder {
    fn encode(&self, _ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let mut bytes = Vec::new();
        for rec in batch.tasks {
            let mut w = JsonWriter::new(&mut bytes, JsonStyle::CLEAN_COMPACT);
            w.begin_object().key("id");
            match rec.task.id {
                Some(id) => w
                    .raw_value(id.get())
                    .map_err(|e| rec.error(e.to_string()))?,
                None => w.null_value(),
            };
            w.key("data").begin_object();
            for (k, v) in rec.task.data.iter().flat_map(|d| d.iter()) {
                w.key(k)
                    .raw_value(v.get())
                    .map_err(|e| rec.error(e.to_string()))?;
            }
            let n = rec.annotations()?.map_or(0, <[_]>::len);
            w.end_object()
                .key("annotations")
                .u64_value(n as u64)
                .end_object();
            bytes.push(b'\n');
        }
        Ok(Fragment {
            bytes,
            records: batch.tasks.len() as u64,
            payload: None,
            ..Fragment::default()
        })
    }
}

struct Writer;

impl FormatWriter for Writer {
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        out.part("result.jsonl")?
            .write_all(&frag.bytes)
            .map_err(|e| Error::new(ErrorKind::Io, format!("writing result.jsonl: {e}")))
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        // Create the file even when there was no task.
        out.part("result.jsonl")?;
        out.close("result.jsonl")
    }
}

//! `JSON`: the filtered tasks, each passed through byte for byte.
//!
//! Clean: a JSON array, one task per line-separated element. Compat: Label Studio copies its
//! input file, so with no filter the output is the input, byte for byte (separators and all).

use exportkit_core::{
    Batch, BatchEncoder, Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo,
    FormatWriter, Fragment, Output, Result, TaskRecord,
};
use serde_json::value::RawValue;
use std::io::Write;
use std::ops::Range;

/// The `JSON` format.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonFormat;

const INFO: FormatInfo = FormatInfo {
    name: "JSON",
    title: "JSON",
    description: "Tasks with annotations, predictions and drafts, exactly as exported (lossless)",
    extension: "json",
    ls_name: Some("JSON"),
};

impl ExporterFactory for JsonFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        Ok(Exporter {
            encoder: Box::new(Encoder),
            writer: Box::new(Writer {
                compat: ctx.options.is_compat(),
                started: false,
                array_input: true,
            }),
        })
    }
}

/// Where each task's pieces lie in the fragment's bytes.
struct Piece {
    index: u64,
    gap: Range<usize>,
    body: Range<usize>,
}

struct Pieces {
    pieces: Vec<Piece>,
    trailer: Option<Vec<u8>>,
}

struct Encoder;

/// Byte range of `inner` (a sub-slice of `outer`) within `outer`.
fn span(outer: &str, inner: &RawValue) -> Range<usize> {
    let start = inner.get().as_ptr() as usize - outer.as_ptr() as usize;
    start..start + inner.get().len()
}

/// The task's bytes, with filtered-out annotations and disabled drafts/predictions removed.
fn write_body(rec: &TaskRecord<'_>, ctx: &ExportContext, out: &mut Vec<u8>) -> Result<()> {
    let raw = rec.raw;
    let mut edits: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    if let (Some(list), Some(field)) = (&rec.kept_raw, rec.task.annotations_raw()) {
        let mut s = b"[".to_vec();
        for (i, a) in list.iter().enumerate() {
            if i > 0 {
                s.extend_from_slice(b", ");
            }
            s.extend_from_slice(a.get().as_bytes());
        }
        s.push(b']');
        edits.push((span(raw, field), s));
    }
    for (keep, field) in [
        (ctx.options.drafts, rec.task.drafts),
        (ctx.options.predictions, rec.task.predictions),
    ] {
        if let (false, Some(f)) = (keep, field) {
            edits.push((span(raw, f), b"[]".to_vec()));
        }
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut at = 0;
    for (r, s) in edits {
        out.extend_from_slice(&raw.as_bytes()[at..r.start]);
        out.extend_from_slice(&s);
        at = r.end;
    }
    out.extend_from_slice(&raw.as_bytes()[at..]);
    Ok(())
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let mut bytes =
            Vec::with_capacity(batch.tasks.iter().map(|t| t.raw.len() + t.gap.len()).sum());
        let mut pieces = Vec::with_capacity(batch.tasks.len());
        for rec in batch.tasks {
            let g = bytes.len();
            bytes.extend_from_slice(rec.gap);
            let b = bytes.len();
            write_body(rec, ctx, &mut bytes)?;
            pieces.push(Piece {
                index: rec.index,
                gap: g..b,
                body: b..bytes.len(),
            });
        }
        Ok(Fragment {
            records: pieces.len() as u64,
            bytes,
            payload: Some(Box::new(Pieces {
                pieces,
                trailer: batch.trailer.map(<[u8]>::to_vec),
            })),
            ..Fragment::default()
        })
    }
}

struct Writer {
    compat: bool,
    started: bool,
    /// Whether the input was a JSON array (its first gap holds `[`), as opposed to NDJSON.
    array_input: bool,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("writing result.json: {e}"))
}

const PART: &str = "result.json";

impl FormatWriter for Writer {
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let Some(p) = frag.payload.and_then(|p| p.downcast::<Pieces>().ok()) else {
            return Err(Error::new(
                ErrorKind::Format,
                "JSON fragment without pieces",
            ));
        };
        let w = out.part(PART)?;
        let b = &frag.bytes;
        for piece in &p.pieces {
            let gap = &b[piece.gap.clone()];
            let body = &b[piece.body.clone()];
            if self.compat {
                if !self.started {
                    self.array_input = gap.contains(&b'[');
                    // The input's own lead (BOM, whitespace, `[`) when the first task is kept.
                    let lead: &[u8] = if self.array_input && piece.index == 0 {
                        gap
                    } else {
                        b"["
                    };
                    w.write_all(lead).map_err(io)?;
                } else if self.array_input {
                    w.write_all(gap).map_err(io)?;
                } else {
                    w.write_all(b", ").map_err(io)?;
                }
            } else {
                w.write_all(if self.started { b",\n" } else { b"[\n" })
                    .map_err(io)?;
            }
            self.started = true;
            w.write_all(body).map_err(io)?;
        }
        if let Some(trailer) = &p.trailer {
            let tail: &[u8] = match (self.compat, self.started) {
                (true, true) if self.array_input => trailer,
                (true, true) => b"]",
                // Nothing kept: the input's own `[]` when it was an empty array.
                (true, false) if trailer.contains(&b'[') => trailer,
                (true, false) => b"[]",
                (false, true) => b"\n]\n",
                (false, false) => b"[]\n",
            };
            w.write_all(tail).map_err(io)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        out.close(PART)
    }
}

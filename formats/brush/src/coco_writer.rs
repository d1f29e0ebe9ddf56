//! The `BRUSH_TO_COCO` writer: images in input order, annotations spilled to a temporary file
//! until the categories are known, then categories and `info`.

use crate::coco::{CocoItem, write_annotation};
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::names::md5_hex;
use exportkit_core::{Error, ErrorKind, FormatWriter, Fragment, Output, Result};
use std::collections::HashMap;
use std::io::{BufWriter, Seek, Write};

const MAIN: &str = "result_coco.json";
const STYLE: JsonStyle = JsonStyle::PY_JSON_PRETTY;

/// Sequential half of `BRUSH_TO_COCO`.
#[derive(Debug, Default)]
pub struct CocoWriter {
    items: u64,
    images: u64,
    anns: u64,
    cats: HashMap<String, u64>,
    names: Vec<String>,
    spill: Option<BufWriter<std::fs::File>>,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{MAIN}: {e}"))
}

impl FormatWriter for CocoWriter {
    fn begin(&mut self, _ctx: &exportkit_core::ExportContext, out: &mut Output) -> Result<()> {
        out.dir("images")?;
        self.spill = Some(BufWriter::new(out.spill()?));
        out.part(MAIN)?.write_all(b"{\n  \"images\": [").map_err(io)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let Some(payload) = frag.payload else {
            return Ok(());
        };
        let items = payload
            .downcast::<Vec<CocoItem>>()
            .map_err(|_| Error::new(ErrorKind::Format, "brush: unexpected fragment payload"))?;
        let mut buf = Vec::new();
        let mut anns = Vec::new();
        for item in *items {
            let image_id = self.items;
            self.items += 1;
            let Some((file_name, path, width, height)) = item.image else {
                continue;
            };
            let cat_ids: Vec<u64> = item
                .labels
                .into_iter()
                .map(|l| {
                    let next = self.cats.len() as u64 + 1;
                    *self.cats.entry(l.clone()).or_insert_with(|| {
                        self.names.push(l);
                        next
                    })
                })
                .collect();
            for (li, shape) in &item.shapes {
                anns.extend_from_slice(if self.anns == 0 {
                    b"\n    "
                } else {
                    b",\n    "
                });
                let cat = cat_ids.get(*li).copied().unwrap_or(0);
                write_annotation(
                    &mut anns,
                    STYLE,
                    (self.anns, image_id, cat),
                    shape,
                    &item.annotator,
                );
                self.anns += 1;
            }
            let (Some(width), Some(height)) = (width, height) else {
                continue;
            };
            if item.shapes.is_empty() {
                continue;
            }
            buf.extend_from_slice(if self.images == 0 {
                b"\n    "
            } else {
                b",\n    "
            });
            self.images += 1;
            let mut w = JsonWriter::with_level(&mut buf, STYLE, 2);
            w.begin_object();
            w.key("id").u64_value(image_id);
            w.key("file_name").str_value(&file_name);
            w.key("path").str_value(&path);
            for (k, v) in [("width", &width), ("height", &height)] {
                w.key(k);
                if w.raw_value(v).is_err() {
                    w.null_value();
                }
            }
            w.end_object();
        }
        out.part(MAIN)?.write_all(&buf).map_err(io)?;
        if let Some(s) = self.spill.as_mut() {
            s.write_all(&anns).map_err(io)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let mut tail = Vec::new();
        tail.extend_from_slice(if self.images == 0 { b"]" } else { b"\n  ]" });
        tail.extend_from_slice(b",\n  \"annotations\": [");
        let part = out.part(MAIN)?;
        part.write_all(&tail).map_err(io)?;
        if let Some(s) = self.spill {
            let mut f = s.into_inner().map_err(|e| io(e.into_error()))?;
            f.rewind().map_err(io)?;
            std::io::copy(&mut f, part).map_err(io)?;
        }
        let mut buf = Vec::new();
        buf.extend_from_slice(if self.anns == 0 { b"]" } else { b"\n  ]" });
        buf.extend_from_slice(b",\n  \"categories\": ");
        let mut w = JsonWriter::with_level(&mut buf, STYLE, 1);
        w.begin_array();
        for (i, name) in self.names.iter().enumerate() {
            w.begin_object();
            w.key("id").u64_value(i as u64 + 1);
            w.key("name").str_value(name);
            w.key("supercategory").str_value("");
            w.key("color")
                .str_value(&format!("#{}", &md5_hex(name.as_bytes())[..6]));
            w.key("metadata").begin_object().end_object();
            w.end_object();
        }
        w.end_array();
        buf.extend_from_slice(b",\n  \"info\": ");
        crate::info::write(&mut JsonWriter::with_level(&mut buf, STYLE, 1));
        buf.extend_from_slice(b"\n}");
        part.write_all(&buf).map_err(io)
    }
}

//! The sequential half: numbers images and annotations in input order, streams `images` into
//! `result.json`, spills `annotations` to a temporary file, and at the end writes
//! `categories`, the spilled annotations and `info`. `COCO_WITH_IMAGES` also queues each
//! image's copy under the name its `file_name` gives.

use crate::categories::CategoryList;
use crate::records::{Cat, Encoded, bad_fragment};
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter, write_i64, write_str, write_u64};
use exportkit_core::names::UniqueNames;
use exportkit_core::resources::ImageCopier;
use exportkit_core::{Error, ErrorKind, ExportContext, FormatWriter, Fragment, Output, Result};
use std::fs::File;
use std::io::{BufWriter, Seek, Write};

const PART: &str = "result.json";

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("writing COCO: {e}"))
}

/// Writes `result.json` (and the `images/` directory, filled for `COCO_WITH_IMAGES`).
#[derive(Debug)]
pub(crate) struct Writer {
    compat: bool,
    /// Whether images are copied (set up in `begin`).
    with_images: bool,
    copier: Option<ImageCopier>,
    style: JsonStyle,
    cats: CategoryList,
    names: UniqueNames,
    images: u64,
    anns: u64,
    spill: Option<BufWriter<File>>,
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(compat: bool, cats: CategoryList, with_images: bool) -> Self {
        Writer {
            compat,
            with_images,
            copier: None,
            style: if compat {
                crate::compat::STYLE
            } else {
                crate::clean::STYLE
            },
            cats,
            names: UniqueNames::new(),
            images: 0,
            anns: 0,
            spill: None,
            buf: Vec::with_capacity(1 << 16),
        }
    }
}

impl FormatWriter for Writer {
    fn begin(&mut self, ctx: &ExportContext, out: &mut Output) -> Result<()> {
        // Label Studio always creates `images/` (COCO_WITH_IMAGES fills it).
        out.dir("images")?;
        if self.with_images {
            self.copier = Some(ImageCopier::start(ctx, out)?);
        }
        out.part(PART)?.write_all(b"{\n  \"images\": [").map_err(io)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let enc = frag
            .payload
            .and_then(|p| p.downcast::<Encoded>().ok())
            .ok_or_else(bad_fragment)?;
        let bytes = &frag.bytes;
        let slice = |r: &std::ops::Range<usize>| bytes.get(r.clone()).ok_or_else(bad_fragment);
        let mut images = enc.images.iter();
        let mut anns = enc.anns.iter();
        let mut img_buf = std::mem::take(&mut self.buf);
        img_buf.clear();
        let mut ann_buf = Vec::new();
        for item in &enc.items {
            let image_id = self.images;
            for img in images.by_ref().take(item.images) {
                if self.images > 0 {
                    img_buf.push(b',');
                }
                img_buf.extend_from_slice(b"\n    {\n      \"");
                if self.compat {
                    if let (Some(c), Some(copier)) = (&img.ls_copy, self.copier.as_mut())
                        && let Err(e) =
                            copier.copy(&c.url, &c.name, c.task.index, c.task.id.as_deref(), out)
                    {
                        out.warn(exportkit_core::exporter::Warning {
                            task_index: c.task.index,
                            task_id: c.task.id.clone(),
                            message: format!("image {}: {e}", c.name),
                        });
                    }
                    img_buf.extend_from_slice(b"width\": ");
                    img_buf.extend_from_slice(slice(&img.width)?);
                    img_buf.extend_from_slice(b",\n      \"height\": ");
                    img_buf.extend_from_slice(slice(&img.height)?);
                    img_buf.extend_from_slice(b",\n      \"id\": ");
                    // Every image of an item gets the item's id (`len(images)` at its start).
                    write_u64(&mut img_buf, image_id);
                    img_buf.extend_from_slice(b",\n      \"file_name\": ");
                    img_buf.extend_from_slice(slice(&img.name)?);
                } else {
                    let source =
                        std::str::from_utf8(slice(&img.name)?).map_err(|_| bad_fragment())?;
                    let name = format!("images/{}", self.names.name_for(source));
                    if let (Some(task), Some(copier)) = (&img.copy, self.copier.as_mut()) {
                        copier.copy(source, &name, task.index, task.id.as_deref(), out)?;
                    }
                    img_buf.extend_from_slice(b"id\": ");
                    write_u64(&mut img_buf, image_id);
                    img_buf.extend_from_slice(b",\n      \"file_name\": ");
                    write_str(&mut img_buf, &name, &self.style);
                    img_buf.extend_from_slice(b",\n      \"width\": ");
                    img_buf.extend_from_slice(slice(&img.width)?);
                    img_buf.extend_from_slice(b",\n      \"height\": ");
                    img_buf.extend_from_slice(slice(&img.height)?);
                }
                img_buf.extend_from_slice(b"\n    }");
                self.images += 1;
            }
            for ann in anns.by_ref().take(item.anns) {
                let cat = match &ann.cat {
                    Cat::Id(id) => *id,
                    Cat::Name(name) => self.cats.get_or_append(name),
                };
                let Some(tail) = &ann.tail else { continue };
                if self.anns > 0 {
                    ann_buf.push(b',');
                }
                ann_buf.extend_from_slice(b"\n    {\n      \"id\": ");
                // Clean ids start at 1: COCOeval treats a matched ground-truth id 0 as no match.
                write_u64(&mut ann_buf, self.anns + u64::from(!self.compat));
                ann_buf.extend_from_slice(b",\n      \"image_id\": ");
                write_u64(&mut ann_buf, image_id);
                ann_buf.extend_from_slice(b",\n      \"category_id\": ");
                write_i64(&mut ann_buf, cat);
                ann_buf.extend_from_slice(slice(tail)?);
                self.anns += 1;
            }
        }
        out.part(PART)?.write_all(&img_buf).map_err(io)?;
        self.buf = img_buf;
        if !ann_buf.is_empty() {
            if self.spill.is_none() {
                self.spill = Some(BufWriter::with_capacity(1 << 20, out.spill()?));
            }
            if let Some(s) = self.spill.as_mut() {
                s.write_all(&ann_buf).map_err(io)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let this = *self;
        let close = |n: u64| -> &'static [u8] { if n > 0 { b"\n  ]" } else { b"]" } };
        let mut head = Vec::new();
        head.extend_from_slice(close(this.images));
        head.extend_from_slice(b",\n  \"categories\": ");
        this.cats
            .write(&mut JsonWriter::with_level(&mut head, this.style, 1));
        head.extend_from_slice(b",\n  \"annotations\": [");
        let w = out.part(PART)?;
        w.write_all(&head).map_err(io)?;
        if let Some(spill) = this.spill {
            let mut f = spill.into_inner().map_err(|e| io(e.into_error()))?;
            f.rewind().map_err(io)?;
            std::io::copy(&mut f, w).map_err(io)?;
        }
        let mut tail = Vec::new();
        tail.extend_from_slice(close(this.anns));
        tail.extend_from_slice(b",\n  \"info\": ");
        let mut jw = JsonWriter::with_level(&mut tail, this.style, 1);
        if this.compat {
            crate::info::write_label_studio(&mut jw);
        } else {
            crate::info::write_clean(&mut jw);
        }
        // Label Studio's file has no final newline.
        tail.extend_from_slice(if this.compat { b"\n}" } else { b"\n}\n" });
        w.write_all(&tail).map_err(io)?;
        out.close(PART)?;
        if let Some(copier) = this.copier {
            copier.finish(out);
        }
        Ok(())
    }
}

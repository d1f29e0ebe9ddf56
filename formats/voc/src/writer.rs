//! The sequential half: writes each document to `Annotations/`, in input order. Compat
//! overwrites like Label Studio (last write wins); clean names each task's file uniquely and,
//! with `--download-resources`, copies each distinct image once into `images/<its name>`.

use crate::Docs;
use exportkit_core::exporter::Warning;
use exportkit_core::names::{UniqueNames, split_ext};
use exportkit_core::resources::{Download, Downloader, redact};
use exportkit_core::{Error, ErrorKind, ExportContext, FormatWriter, Fragment, Output, Result};
use std::collections::HashSet;

/// Clean `--download-resources`: the background downloads and the URLs already queued.
struct Images {
    downloader: Downloader,
    queued: HashSet<String>,
}

pub(crate) struct Writer {
    compat: bool,
    annotations_dir: bool,
    /// Clean: image URL → unique image name.
    names: UniqueNames,
    /// Clean: XML stems already used (lower case, so names differ on any file system).
    stems: HashSet<String>,
    /// Clean with `--download-resources`.
    images: Option<Images>,
}

impl Writer {
    pub(crate) fn new(compat: bool) -> Self {
        Writer {
            compat,
            annotations_dir: false,
            names: UniqueNames::new(),
            stems: HashSet::new(),
            images: None,
        }
    }

    /// A stem for `name` that no earlier file has: the image name's stem, else `<stem>-2`, ...
    /// (a second task showing the same image, or `a.jpg` and `a.png`).
    fn unique_stem(&mut self, name: &str) -> String {
        let (stem, _) = split_ext(name);
        let mut cand = stem.to_owned();
        let mut n = 2u64;
        while !self.stems.insert(cand.to_lowercase()) {
            cand = format!("{stem}-{n}");
            n += 1;
        }
        cand
    }
}

impl FormatWriter for Writer {
    fn begin(&mut self, ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.dir("images")?;
        if !self.compat {
            out.dir("Annotations")?;
            self.annotations_dir = true;
            if ctx.options.download_resources {
                let resolver = out.resolver().cloned().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Options,
                        "VOC: no resource resolver to copy images",
                    )
                })?;
                let parallel = resolver.parallel();
                self.images = Some(Images {
                    downloader: Downloader::new(resolver, parallel),
                    queued: HashSet::new(),
                });
            }
        }
        Ok(())
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let docs = frag
            .payload
            .and_then(|p| p.downcast::<Docs>().ok())
            .ok_or_else(|| Error::new(ErrorKind::Format, "VOC: unexpected fragment"))?;
        if docs.saw_item && !self.annotations_dir {
            out.dir("Annotations")?;
            self.annotations_dir = true;
        }
        for d in &docs.docs {
            let bytes = docs
                .bytes
                .get(d.range.clone())
                .ok_or_else(|| Error::new(ErrorKind::Format, "VOC: bad document range"))?;
            if self.compat {
                out.write_file(&format!("Annotations/{}", d.name), bytes)?;
            } else {
                let name = self.names.name_for(&d.name).to_owned();
                if let Some(images) = &mut self.images
                    && images.queued.insert(d.name.clone())
                {
                    let (task_index, task_id) = d.task.clone().unwrap_or_default();
                    images.downloader.submit(Download {
                        task_index,
                        task_id,
                        url: d.name.clone(),
                        dest: out.path_for(&format!("images/{name}"))?,
                    });
                }
                let stem = self.unique_stem(&name);
                let doc = crate::clean::assemble(&name, bytes);
                out.write_file(&format!("Annotations/{stem}.xml"), &doc)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        if let Some(images) = self.images {
            // A failed image never fails the export: its annotation file stays, with a warning.
            for (job, err) in images.downloader.finish() {
                out.warn(Warning {
                    task_index: job.task_index,
                    task_id: job.task_id,
                    message: format!("image {}: {err}", redact(&job.url)),
                });
            }
        }
        Ok(())
    }
}

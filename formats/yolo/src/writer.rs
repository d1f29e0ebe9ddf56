//! The sequential half: writes label files in input order, then the class list and notes.

use crate::files::{Cls, Content, Files, bad_fragment};
use crate::images::Images;
use crate::meta::{Class, classes_txt, data_yaml, notes_json};
use crate::stem::StemNames;
use exportkit_core::exporter::Warning;
use exportkit_core::jsonfmt::write_i64;
use exportkit_core::labels::Categories;
use exportkit_core::resources::Resolver;
use exportkit_core::{FormatWriter, Fragment, Output, Result};
use std::collections::HashSet;
use std::sync::Arc;

fn files(frag: Fragment) -> Result<(Vec<u8>, Files)> {
    let files = frag
        .payload
        .and_then(|p| p.downcast::<Files>().ok())
        .ok_or_else(bad_fragment)?;
    Ok((frag.bytes, *files))
}

fn begin_dirs(out: &mut Output) -> Result<()> {
    out.dir("images")?;
    out.dir("labels")
}

/// The class list a compat export ends with.
#[derive(Debug)]
pub(crate) enum CompatClasses {
    /// `_get_labels()`, grown by labels missing from the config.
    Plain(Categories),
    /// Keypoint mode: `RectangleLabels` labels, each with every keypoint name.
    Keypoints {
        classes: Vec<String>,
        keypoints: Vec<String>,
    },
}

/// Label Studio's overwrite semantics, reproduced from the final state: a file is rewritten
/// by every item with results (so the last one wins), and created empty only if missing.
pub(crate) struct CompatWriter {
    pub(crate) classes: CompatClasses,
    pub(crate) seen: HashSet<String>,
    pub(crate) line: Vec<u8>,
    /// `*_WITH_IMAGES`: the resolver whose cache holds the encoder's downloads (set in
    /// `begin`), and the output paths already copied.
    pub(crate) with_images: bool,
    pub(crate) resolver: Option<Arc<Resolver>>,
    pub(crate) copied: HashSet<String>,
}

impl FormatWriter for CompatWriter {
    fn begin(&mut self, ctx: &exportkit_core::ExportContext, out: &mut Output) -> Result<()> {
        if self.with_images {
            self.resolver = Some(match out.resolver() {
                Some(r) => r.clone(),
                None => Arc::new(Resolver::new(&ctx.options.resources)?),
            });
        }
        begin_dirs(out)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let (bytes, Files(files)) = files(frag)?;
        for f in files {
            if let (Some((url, dest)), Some(resolver)) = (&f.image, &self.resolver)
                && self.copied.insert(dest.clone())
            {
                let placed = out
                    .path_for(dest)
                    .map_err(|e| e.to_string())
                    .and_then(|p| resolver.fetch_to(url, None, &p).map_err(|e| e.to_string()));
                if let Err(e) = placed {
                    out.warn(Warning {
                        task_index: f.task.as_ref().map_or(0, |t| t.index),
                        task_id: f.task.as_ref().and_then(|t| t.id.clone()),
                        message: format!("image {dest}: {e}"),
                    });
                }
            }
            let path = format!("labels/{}.txt", f.name);
            if let CompatClasses::Plain(cats) = &mut self.classes {
                for name in &f.appends {
                    cats.get_or_append(name);
                }
            }
            match f.content {
                Content::Touch => {
                    if !self.seen.contains(&f.name) {
                        out.write_file(&path, b"")?;
                        self.seen.insert(f.name);
                    }
                }
                Content::Bytes(r) => {
                    out.write_file(&path, bytes.get(r).ok_or_else(bad_fragment)?)?;
                    self.seen.insert(f.name);
                }
                Content::Lines(lines) => {
                    self.line.clear();
                    for l in lines {
                        let id = match (&mut self.classes, l.cls) {
                            (_, Cls::Id(id)) => id,
                            (CompatClasses::Plain(cats), Cls::Name(n)) => cats.get_or_append(&n),
                            (CompatClasses::Keypoints { .. }, Cls::Name(_)) => continue,
                        };
                        if let Some(r) = l.text {
                            write_i64(&mut self.line, id);
                            self.line
                                .extend_from_slice(bytes.get(r).ok_or_else(bad_fragment)?);
                        }
                    }
                    out.write_file(&path, &self.line)?;
                    self.seen.insert(f.name);
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let (classes, keypoints): (Vec<Class>, Option<&[String]>) = match &self.classes {
            CompatClasses::Plain(c) => (
                c.list()
                    .iter()
                    .map(|c| Class {
                        id: c.id,
                        name: c.name.clone(),
                        keypoints: false,
                    })
                    .collect(),
                None,
            ),
            CompatClasses::Keypoints { classes, keypoints } => (
                classes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| Class {
                        id: i as i64,
                        name: n.clone(),
                        keypoints: true,
                    })
                    .collect(),
                Some(keypoints),
            ),
        };
        out.write_file(
            "classes.txt",
            &classes_txt(classes.iter().map(|c| c.name.as_str())),
        )?;
        out.write_file("notes.json", &notes_json(&classes, keypoints, true))
    }
}

/// The clean layout: one label file per task under a unique stem, `classes.txt` with class i
/// on line i, `data.yaml`, `notes.json`; `*_WITH_IMAGES`: each task's image beside it.
pub(crate) struct CleanWriter {
    pub(crate) names: StemNames,
    /// Class index → name, placeholders filling id gaps.
    pub(crate) yaml_names: Vec<String>,
    /// The real classes (no placeholders).
    pub(crate) classes: Vec<Class>,
    /// Pose: keypoint names in line order.
    pub(crate) keypoints: Option<Vec<String>>,
    /// A `*_WITH_IMAGES` format.
    pub(crate) with_images: bool,
    /// The image copies (started in `begin` when `with_images`).
    pub(crate) images: Option<Images>,
}

impl FormatWriter for CleanWriter {
    fn begin(&mut self, ctx: &exportkit_core::ExportContext, out: &mut Output) -> Result<()> {
        if self.with_images {
            self.images = Some(Images::start(ctx, out)?);
        }
        begin_dirs(out)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let (bytes, Files(files)) = files(frag)?;
        for f in files {
            let stem = self.names.next(&f.name);
            let content = match f.content {
                Content::Bytes(r) => bytes.get(r).ok_or_else(bad_fragment)?,
                Content::Touch | Content::Lines(_) => return Err(bad_fragment()),
            };
            out.write_file(&format!("labels/{stem}.txt"), content)?;
            if let Some(images) = &mut self.images {
                let task = f.task.as_ref().ok_or_else(bad_fragment)?;
                images.copy(out, &stem, &f.name, task)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        if let Some(images) = self.images {
            images.finish(out)?;
        }
        out.write_file(
            "classes.txt",
            &classes_txt(self.yaml_names.iter().map(String::as_str)),
        )?;
        out.write_file(
            "data.yaml",
            &data_yaml(&self.yaml_names, self.keypoints.as_ref().map(Vec::len)),
        )?;
        out.write_file(
            "notes.json",
            &notes_json(&self.classes, self.keypoints.as_deref(), false),
        )
    }
}

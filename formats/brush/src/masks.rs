//! From a task's brush results to mask files (`reference: ls-converter.md §6.8`).

use crate::pyname::{annotator, py_str};
use crate::{Kind, npy, png};
use exportkit_core::exporter::Warning;
use exportkit_core::model::Region;
use exportkit_core::names::sanitize;
use exportkit_core::task::Item;
use exportkit_core::{Result, TaskRecord, rle, view};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// One file to write: its name (sanitised in clean mode; the writer makes it unique) and body.
#[derive(Debug)]
pub struct MaskFile {
    /// The file name, directly in OUT.
    pub name: String,
    /// What goes in it.
    pub body: Body,
}

/// A file's contents, kept small while batches wait for the writer.
#[derive(Debug)]
pub enum Body {
    /// The bytes (PNG files, and `.npy` files that do not compress as runs).
    Bytes(Vec<u8>),
    /// A `.npy` header followed by `(value, count)` runs of pixels, expanded by the writer, so
    /// that a batch of large masks does not hold every raw array at once.
    Runs(Vec<u8>, Vec<(u8, u32)>),
}

/// Buffers reused from mask to mask.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The RLE bytes.
    rle: Vec<u8>,
    /// Decoded alpha values.
    pixels: Vec<u8>,
    /// PNG rows before compression.
    png: Vec<u8>,
}

/// The brush results of one item, encoded.
pub fn encode_item(
    rec: &TaskRecord<'_>,
    item: &Item<'_, '_>,
    kind: Kind,
    compat: bool,
    scratch: &mut Scratch,
    files: &mut Vec<MaskFile>,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let Some(ann) = item.annotation else {
        return Ok(());
    };
    let task_id = rec.task.id.map_or_else(|| "None".to_owned(), py_str);
    let ann_id = ann.id.map_or_else(|| "None".to_owned(), py_str);
    let by = annotator(ann.completed_by);
    let prefix = format!("task-{task_id}-annotation-{ann_id}-by-{by}-");
    for group in &item.outputs {
        let key = match group.control_type.to_lowercase().as_str() {
            "brushlabels" => "brushlabels",
            "labels" => "labels",
            _ => continue,
        };
        let mut counters: HashMap<String, usize> = HashMap::new();
        for r in &group.regions {
            let Some(value) = r.value.as_ref() else {
                continue;
            };
            let Some(rle_raw) = value.get("rle") else {
                continue;
            };
            let mut warn = |m: String| warnings.push(Warning::new(rec, m));
            let labels: Vec<Cow<'_, str>> = match value.get(key) {
                None => vec![Cow::Borrowed("no_label")],
                Some(l) => match serde_json::from_str(l.get()) {
                    Ok(v) => v,
                    Err(_) => {
                        warn(format!(
                            "{}: `{key}` is not a list of strings; mask skipped",
                            group.from_name
                        ));
                        continue;
                    }
                },
            };
            let name = format!("{}-{}", group.from_name, labels.join("-"));
            let k = counters.entry(name.clone()).or_insert(0);
            let stem = format!("{name}-{k}").replace(['/', '\\'], "-");
            *k += 1;
            let ext = match kind {
                Kind::Numpy => "npy",
                Kind::Png => "png",
                Kind::Coco => return Ok(()),
            };
            let mask = match decode(r, rle_raw, kind, scratch) {
                Ok(m) => m,
                Err(why) => {
                    warn(format!("{}: {why}; mask skipped", group.from_name));
                    continue;
                }
            };
            let body = match mask {
                Mask::Runs(w, h, runs) => Body::Runs(npy::npy((h, w), &[]), runs),
                Mask::Pixels(w, h) if kind == Kind::Numpy => {
                    Body::Bytes(npy::npy((h, w), &scratch.pixels))
                }
                Mask::Pixels(w, h) if w == 0 || h == 0 => {
                    warn(format!("{}: empty {w}×{h} mask skipped", group.from_name));
                    continue;
                }
                Mask::Pixels(w, h) => Body::Bytes(
                    png::grey_png(w as u32, h as u32, &scratch.pixels, &mut scratch.png)
                        .map_err(exportkit_core::Error::format_error)?,
                ),
            };
            let full = format!("{prefix}{stem}.{ext}");
            let name = if !compat || full.contains(['/', '\0']) {
                sanitize(&full)
            } else {
                full
            };
            files.push(MaskFile { name, body });
        }
    }
    Ok(())
}

fn dim(raw: Option<&RawValue>, what: &str) -> std::result::Result<usize, String> {
    let raw = raw.ok_or_else(|| format!("no {what}"))?;
    serde_json::from_str::<u32>(raw.get())
        .map(|v| v as usize)
        .map_err(|_| format!("{what} {} is not a whole number", raw.get()))
}

/// A decoded mask: `(width, height)` and its alpha values.
enum Mask {
    /// As `(value, count)` runs (`.npy` files whose runs are few).
    Runs(usize, usize, Vec<(u8, u32)>),
    /// In [`Scratch::pixels`].
    Pixels(usize, usize),
}

/// The alpha channel of a brush region: as runs for `.npy` files when they take less room than
/// the pixels (the writer expands them, so that a batch of large masks does not hold every
/// array at once), else in `scratch.pixels`.
fn decode(
    r: &Region<'_>,
    rle_raw: &RawValue,
    kind: Kind,
    scratch: &mut Scratch,
) -> std::result::Result<Mask, String> {
    let v = view::region_value(r).map_err(|e| e.to_string())?;
    let w = dim(v.get("original_width"), "original_width")?;
    let h = dim(v.get("original_height"), "original_height")?;
    let n = w
        .checked_mul(h)
        .and_then(|p| p.checked_mul(4))
        .ok_or_else(|| format!("mask {w}×{h} too large"))?;
    let size = |e: rle::RleError| format!("{e} (original size {w}×{h})");
    rle::parse_json_bytes_into(rle_raw.get(), &mut scratch.rle).map_err(size)?;
    if kind == Kind::Numpy {
        let mut runs = Vec::new();
        if rle::decode_alpha_runs(&scratch.rle, Some(n), &mut runs, w * h / 8).map_err(size)? {
            runs.shrink_to_fit();
            return Ok(Mask::Runs(w, h, runs));
        }
    }
    rle::decode_alpha_into(&scratch.rle, Some(n), &mut scratch.pixels).map_err(size)?;
    Ok(Mask::Pixels(w, h))
}

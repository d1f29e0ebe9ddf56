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

/// `(value, count)` runs of `pixels`, or `None` when they would not be smaller.
fn runs(pixels: &[u8]) -> Option<Vec<(u8, u32)>> {
    let mut out: Vec<(u8, u32)> = Vec::new();
    for &p in pixels {
        match out.last_mut() {
            Some((v, n)) if *v == p && *n < u32::MAX => *n += 1,
            _ => {
                if out.len() * 8 >= pixels.len() {
                    return None;
                }
                out.push((p, 1));
            }
        }
    }
    Some(out)
}

/// The brush results of one item, encoded.
pub fn encode_item(
    rec: &TaskRecord<'_>,
    item: &Item<'_, '_>,
    kind: Kind,
    compat: bool,
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
            let mask = match decode(r, rle_raw) {
                Ok(m) => m,
                Err(why) => {
                    warn(format!("{}: {why}; mask skipped", group.from_name));
                    continue;
                }
            };
            let (w, h, pixels) = mask;
            let ext = match kind {
                Kind::Numpy => "npy",
                Kind::Png => "png",
                Kind::Coco => return Ok(()),
            };
            let body = match kind {
                Kind::Numpy | Kind::Coco => match runs(&pixels) {
                    Some(r) => Body::Runs(npy::npy((h, w), &[]), r),
                    None => Body::Bytes(npy::npy((h, w), &pixels)),
                },
                Kind::Png if w == 0 || h == 0 => {
                    warn(format!("{}: empty {w}×{h} mask skipped", group.from_name));
                    continue;
                }
                Kind::Png => Body::Bytes(
                    png::grey_png(w as u32, h as u32, &pixels)
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

/// `(width, height, alpha pixels)` of a brush region.
fn decode(
    r: &Region<'_>,
    rle_raw: &RawValue,
) -> std::result::Result<(usize, usize, Vec<u8>), String> {
    let v = view::region_value(r).map_err(|e| e.to_string())?;
    let w = dim(v.get("original_width"), "original_width")?;
    let h = dim(v.get("original_height"), "original_height")?;
    let n = w
        .checked_mul(h)
        .and_then(|p| p.checked_mul(4))
        .ok_or_else(|| format!("mask {w}×{h} too large"))?;
    let rgba = rle::decode_json(rle_raw.get(), Some(n))
        .map_err(|e| format!("{e} (original size {w}×{h})"))?;
    Ok((w, h, rle::alpha(&rgba)))
}

//! `--compat label-studio`: Label Studio 2.1.2's `convert_to_coco`, item by item
//! (ls-converter.md §6.5). Where Label Studio would crash, the region (or keypoint) is
//! skipped with a warning instead.

use crate::categories::CategoryList;
use crate::ls_math::{self, py_max, py_min, py_round_int};
use crate::ls_path::ls_file_name;
use crate::records::{
    AnnRec, Cat, Encoded, ImageRec, ItemRec, LsCopy, TaskRef, f64_array, render_tail,
};
use crate::values::{Label, LsName, ls_name, num, str_list};
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter, write_str};
use exportkit_core::model::{self, Region};
use exportkit_core::resources::Resolver;
use exportkit_core::task::Schema;
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Fragment, Item, Result, TaskRecord, exporter::Warning,
};
use serde_json::value::RawValue;
use std::ops::Range;
use std::sync::Arc;

/// ujson `dump(indent=2)` with its default `ensure_ascii=True`.
pub(crate) const STYLE: JsonStyle = JsonStyle::UJSON_PRETTY_ASCII;

/// What every batch shares (built once per export).
#[derive(Debug)]
pub(crate) struct Setup {
    /// `_get_labels()` + keypoint handling.
    pub(crate) cats: CategoryList,
    /// `_data_keys[0]`.
    pub(crate) data_key: Option<String>,
    /// `build_kp_order`.
    pub(crate) kp_order: Vec<String>,
    /// `COCO_WITH_IMAGES` (`download_resources` forced on): http(s) images are downloaded.
    pub(crate) with_images: bool,
}

/// A task's image as Label Studio's item loop sees it.
struct Resolved {
    /// The rendered `file_name`.
    name: Range<usize>,
    /// The downloaded file's size, when it opens as an image (`PIL.Image.open`).
    opened: Option<(u32, u32)>,
    /// The download to copy into the output.
    copy: Option<LsCopy>,
}

/// The size an item's shapes are measured against: the first sized label's, or the file's.
#[derive(Clone, Copy)]
enum Size<'a> {
    Label(&'a RawValue, &'a RawValue),
    File(u32, u32),
}

/// Whether Label Studio's `get_local_path` reaches a download for `url` and `requests` can
/// fetch it: an http(s) URL that needs no hostname.
fn ls_downloads(url: &str, file_name: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && file_name.starts_with("images/")
}

/// The parallel half in compat mode.
#[derive(Debug)]
pub(crate) struct Encoder {
    pub(crate) setup: Arc<Setup>,
}

/// A batch under construction.
struct Out<'r, 'a> {
    rec: &'r TaskRecord<'a>,
    bytes: Vec<u8>,
    enc: Encoded,
    warnings: Vec<Warning>,
}

impl Out<'_, '_> {
    fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.push(Warning::new(self.rec, msg));
    }

    fn raw(&mut self, raw: Option<&RawValue>) -> Range<usize> {
        let start = self.bytes.len();
        match raw {
            Some(r) => {
                let mut w = JsonWriter::with_level(&mut self.bytes, STYLE, 3);
                if w.raw_value(r.get()).is_err() {
                    self.bytes.extend_from_slice(b"null");
                }
            }
            None => self.bytes.extend_from_slice(b"null"),
        }
        start..self.bytes.len()
    }

    fn image(
        &mut self,
        it: &mut ItemRec,
        w: Option<&RawValue>,
        h: Option<&RawValue>,
        img: &Resolved,
    ) {
        let width = self.raw(w);
        let height = self.raw(h);
        self.push_image(it, width, height, img);
    }

    fn file_image(&mut self, it: &mut ItemRec, (w, h): (u32, u32), img: &Resolved) {
        let start = self.bytes.len();
        exportkit_core::jsonfmt::write_u64(&mut self.bytes, u64::from(w));
        let width = start..self.bytes.len();
        let start = self.bytes.len();
        exportkit_core::jsonfmt::write_u64(&mut self.bytes, u64::from(h));
        let height = start..self.bytes.len();
        self.push_image(it, width, height, img);
    }

    fn push_image(
        &mut self,
        it: &mut ItemRec,
        width: Range<usize>,
        height: Range<usize>,
        img: &Resolved,
    ) {
        self.enc.images.push(ImageRec {
            width,
            height,
            name: img.name.clone(),
            copy: None,
            ls_copy: img.copy.clone(),
        });
        it.images += 1;
    }

    fn ann(&mut self, it: &mut ItemRec, cat: Cat, tail: Option<Range<usize>>) {
        // A category lookup of a known label changes nothing: only unknown ones are kept.
        if tail.is_none() && matches!(cat, Cat::Id(_)) {
            return;
        }
        self.enc.anns.push(AnnRec { cat, tail });
        it.anns += 1;
    }
}

fn numbers(label: &Label<'_, '_>, keys: [&str; 4]) -> Option<[f64; 4]> {
    let mut v = [0.0; 4];
    for (slot, k) in v.iter_mut().zip(keys) {
        *slot = num(label.get(k))?;
    }
    Some(v)
}

impl Encoder {
    /// The rendered `file_name` of a task's image, and with `COCO_WITH_IMAGES` its download.
    fn resolve(&self, out: &mut Out<'_, '_>, resolver: &Resolver) -> Resolved {
        let bare = |name| Resolved {
            name,
            opened: None,
            copy: None,
        };
        let url = self
            .setup
            .data_key
            .as_deref()
            .and_then(|k| out.rec.task.data.as_ref().and_then(|d| d.get(k)))
            .and_then(model::as_str);
        let Some(url) = url.filter(|_| self.setup.with_images) else {
            return bare(self.file_name(out));
        };
        let ls_name = ls_file_name(&url);
        if !ls_downloads(&url, &ls_name) {
            // Needs a hostname, or `requests` cannot fetch it: the raw value is kept.
            return bare(self.file_name_raw(out, &url));
        }
        if let Err(e) = resolver.local_copy(&url, None) {
            // Label Studio logs the failure and keeps the raw URL.
            out.warn(format!(
                "image {}: {e}; file_name is the URL",
                exportkit_core::resources::redact(&url)
            ));
            return bare(self.file_name_raw(out, &url));
        }
        let start = out.bytes.len();
        write_str(&mut out.bytes, &ls_name, &STYLE);
        let name = start..out.bytes.len();
        Resolved {
            name,
            opened: resolver.image_size(&url, None).ok(),
            copy: Some(LsCopy {
                url: url.clone().into_owned(),
                name: ls_name.into_owned(),
                task: TaskRef {
                    index: out.rec.index,
                    id: out.rec.id_text(),
                },
            }),
        }
    }

    fn file_name_raw(&self, out: &mut Out<'_, '_>, url: &str) -> Range<usize> {
        let start = out.bytes.len();
        write_str(&mut out.bytes, url, &STYLE);
        start..out.bytes.len()
    }

    /// The rendered `file_name` of a task's image, without downloads.
    fn file_name(&self, out: &mut Out<'_, '_>) -> Range<usize> {
        let raw = self
            .setup
            .data_key
            .as_deref()
            .and_then(|k| out.rec.task.data.as_ref().and_then(|d| d.get(k)));
        let Some(raw) = raw else {
            out.warn(format!(
                "task data has no {:?} (Label Studio fails here); file_name is null",
                self.setup.data_key.as_deref().unwrap_or("")
            ));
            return out.raw(None);
        };
        match model::as_str(raw) {
            Some(url) => {
                let start = out.bytes.len();
                write_str(&mut out.bytes, &ls_file_name(&url), &STYLE);
                start..out.bytes.len()
            }
            None => out.raw(Some(raw)),
        }
    }

    /// A rectangle's tail; `Ok(None)` where Label Studio drops it silently (no `x`).
    fn rect(
        &self,
        label: &Label<'_, '_>,
        out: &mut Out<'_, '_>,
    ) -> Result<Option<Range<usize>>, String> {
        let keys = ["x", "y", "width", "height"];
        if !keys.iter().all(|k| label.has(k)) {
            return Ok(None);
        }
        let [x, y, w, h] =
            numbers(label, keys).ok_or("rectangle with a non-numeric x, y, width or height")?;
        let r = match label.get("rotation") {
            None => 0.0,
            Some(raw) => num(Some(raw)).ok_or("rectangle with a non-numeric rotation")?,
        };
        let (x, y, w, h) = ls_math::rotated_rectangle(x, y, w, h, r)?;
        let ow = num(label.original_width())
            .ok_or("rectangle without a numeric original_width (Label Studio fails here)")?;
        let oh = num(label.original_height())
            .ok_or("rectangle without a numeric original_height (Label Studio fails here)")?;
        let x = x * ow / 100.0;
        let y = y * oh / 100.0;
        let w = w * ow / 100.0;
        let h = h * oh / 100.0;
        if ![x, y, w, h, w * h].iter().all(|v| v.is_finite()) {
            return Err(
                "rectangle with non-finite pixel coordinates (Label Studio fails here)".into(),
            );
        }
        Ok(Some(render_tail(&mut out.bytes, STYLE, |j| {
            j.key("segmentation").begin_array().end_array();
            j.key("bbox");
            f64_array(j, &[x, y, w, h]);
            j.key("ignore").i64_value(0);
            j.key("iscrowd").i64_value(0);
            j.key("area").f64_value(w * h);
        })))
    }

    /// A polygon's tail, in the image's size (the first label's `original_*`).
    fn polygon(
        &self,
        label: &Label<'_, '_>,
        size: Size<'_>,
        out: &mut Out<'_, '_>,
    ) -> Result<Range<usize>, String> {
        let (width, height) = match size {
            Size::Label(w, h) => (num(Some(w)), num(Some(h))),
            Size::File(w, h) => (Some(f64::from(w)), Some(f64::from(h))),
        };
        let (Some(width), Some(height)) = (width, height) else {
            return Err(
                "polygon on an image whose size is not a number (Label Studio fails here)".into(),
            );
        };
        let bad = "polygon points are not a list of [x, y] numbers (Label Studio fails here)";
        let points = label
            .get("points")
            .and_then(crate::values::list)
            .ok_or(bad)?;
        if points.is_empty() {
            return Err("polygon without points (Label Studio fails here)".into());
        }
        let (mut xs, mut ys) = (
            Vec::with_capacity(points.len()),
            Vec::with_capacity(points.len()),
        );
        for p in points {
            let xy = crate::values::list(p).ok_or(bad)?;
            let [px, py] = xy.as_slice() else {
                return Err(bad.into());
            };
            let (px, py) = (num(Some(px)).ok_or(bad)?, num(Some(py)).ok_or(bad)?);
            xs.push(px / 100.0 * width);
            ys.push(py / 100.0 * height);
        }
        let (x1, y1, x2, y2) = (py_min(&xs), py_min(&ys), py_max(&xs), py_max(&ys));
        let area = ls_math::ls_polygon_area(&xs, &ys);
        if !xs
            .iter()
            .chain(&ys)
            .chain([&area, &(x2 - x1), &(y2 - y1)])
            .all(|v| v.is_finite())
        {
            return Err(
                "polygon with non-finite pixel coordinates (Label Studio fails here)".into(),
            );
        }
        Ok(render_tail(&mut out.bytes, STYLE, |j| {
            j.key("segmentation").begin_array().begin_array();
            for (x, y) in xs.iter().zip(&ys) {
                j.f64_value(*x).f64_value(*y);
            }
            j.end_array().end_array();
            j.key("bbox");
            f64_array(j, &[x1, y1, x2 - x1, y2 - y1]);
            j.key("ignore").i64_value(0);
            j.key("iscrowd").i64_value(0);
            j.key("area").f64_value(area);
        }))
    }

    /// `process_keypoints_for_coco`: every keypoint of the item merged into one annotation.
    fn keypoints(
        &self,
        kps: &[Label<'_, '_>],
        out: &mut Out<'_, '_>,
    ) -> Option<(Cat, Range<usize>)> {
        let order = &self.setup.kp_order;
        if order.is_empty() {
            out.warn("keypoints skipped: no KeyPointLabels label has an integer model_index (Label Studio fails here)");
            return None;
        }
        let mut k = vec![0i64; order.len() * 3];
        for kp in kps {
            let (Some(ow), Some(oh)) = (num(kp.original_width()), num(kp.original_height())) else {
                out.warn("keypoint without a numeric original_width/original_height skipped (Label Studio fails here)");
                continue;
            };
            let (Some(x), Some(y)) = (num(kp.get("x")), num(kp.get("y"))) else {
                out.warn(
                    "keypoint with a missing or non-numeric x/y skipped (Label Studio fails here)",
                );
                continue;
            };
            let (x, y) = (x / 100.0 * ow, y / 100.0 * oh);
            let labels = kp
                .get("keypointlabels")
                .and_then(str_list)
                .unwrap_or_default();
            let v = if labels.is_empty() { 0 } else { 2 };
            for l in &labels {
                let Some(i) = order.iter().position(|o| o == l) else {
                    continue;
                };
                let (Some(rx), Some(ry)) = (py_round_int(x), py_round_int(y)) else {
                    out.warn(
                        "keypoint with a non-finite position skipped (Label Studio fails here)",
                    );
                    break;
                };
                k[3 * i] = rx;
                k[3 * i + 1] = ry;
                k[3 * i + 2] = v;
            }
        }
        let visible: Vec<usize> = (0..order.len()).filter(|&i| k[3 * i + 2] > 0).collect();
        let bbox = if visible.is_empty() {
            [0; 4]
        } else {
            let xs = visible.iter().map(|&i| k[3 * i]);
            let ys = visible.iter().map(|&i| k[3 * i + 1]);
            let (x0, x1) = (xs.clone().min().unwrap_or(0), xs.max().unwrap_or(0));
            let (y0, y1) = (ys.clone().min().unwrap_or(0), ys.max().unwrap_or(0));
            [x0, y0, x1 - x0, y1 - y0]
        };
        let cat = self.setup.cats.by_name.get(&order[0]).copied().unwrap_or(0);
        let tail = render_tail(&mut out.bytes, STYLE, |j| {
            j.key("keypoints").begin_array();
            for v in &k {
                j.i64_value(*v);
            }
            j.end_array();
            j.key("num_keypoints").u64_value(visible.len() as u64);
            j.key("bbox").begin_array();
            for v in bbox {
                j.i64_value(v);
            }
            j.end_array();
            j.key("iscrowd").i64_value(0);
        });
        Some((Cat::Id(cat), tail))
    }

    fn item(&self, item: &Item<'_, '_>, img: &Resolved, out: &mut Out<'_, '_>) {
        let mut it = ItemRec::default();
        if let Some(size) = img.opened {
            out.file_image(&mut it, size, img);
        }
        if item.outputs.is_empty() {
            if img.opened.is_none() {
                out.image(&mut it, None, None, img);
            }
            out.enc.items.push(it);
            return;
        }
        let regions: Vec<&Region<'_>> = item
            .outputs
            .iter()
            .flat_map(|g| g.regions.iter().copied())
            .collect();
        let mut size: Option<Size<'_>> = img.opened.map(|(w, h)| Size::File(w, h));
        let mut kps = Vec::new();
        for r in regions {
            let label = Label::new(r);
            let cat_name = match ls_name(&label) {
                LsName::Name(n) => n,
                LsName::Missing => continue,
                LsName::Bad => {
                    out.warn("region whose label is not a list of strings skipped (Label Studio fails here)");
                    continue;
                }
            };
            let sized = size.is_some_and(|s| match s {
                Size::Label(w, h) => model::truthy(Some(w)) && model::truthy(Some(h)),
                Size::File(w, h) => w > 0 && h > 0,
            });
            if !sized {
                let (Some(w), Some(h)) = (label.original_width(), label.original_height()) else {
                    continue;
                };
                size = Some(Size::Label(w, h));
                out.image(&mut it, Some(w), Some(h), img);
            }
            let cat = match self.setup.cats.by_name.get(cat_name.as_ref()) {
                Some(&id) => Cat::Id(id),
                None => Cat::Name(cat_name.into_owned()),
            };
            if label.has("rectanglelabels") || label.has("labels") {
                match self.rect(&label, out) {
                    Ok(tail) => out.ann(&mut it, cat, tail),
                    Err(e) => {
                        out.warn(format!("{e}; region skipped"));
                        out.ann(&mut it, cat, None);
                    }
                }
            } else if label.has("polygonlabels") {
                let Some(size) = size else { continue };
                match self.polygon(&label, size, out) {
                    Ok(tail) => out.ann(&mut it, cat, Some(tail)),
                    Err(e) => {
                        out.warn(format!("{e}; region skipped"));
                        out.ann(&mut it, cat, None);
                    }
                }
            } else {
                // `keypointlabels` (the name came from one of the four label keys).
                out.ann(&mut it, cat, None);
                kps.push(label);
            }
        }
        if !kps.is_empty()
            && let Some((cat, tail)) = self.keypoints(&kps, out)
        {
            out.ann(&mut it, cat, Some(tail));
        }
        out.enc.items.push(it);
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(ctx.config.as_deref());
        let mut bytes = Vec::new();
        let mut enc = Encoded::default();
        let mut warnings = Vec::new();
        for rec in batch.tasks {
            let items = rec.items(&schema)?;
            if items.is_empty() {
                continue;
            }
            let mut out = Out {
                rec,
                bytes: std::mem::take(&mut bytes),
                enc: std::mem::take(&mut enc),
                warnings: std::mem::take(&mut warnings),
            };
            let img = self.resolve(&mut out, batch.resolver);
            for item in &items {
                self.item(item, &img, &mut out);
            }
            (bytes, enc, warnings) = (out.bytes, out.enc, out.warnings);
        }
        Ok(Fragment {
            bytes,
            records: enc.images.len() as u64,
            payload: Some(Box::new(enc)),
            warnings,
        })
    }
}

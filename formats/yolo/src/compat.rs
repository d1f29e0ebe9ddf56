//! `--compat label-studio`: label-studio-sdk 2.1.2's `convert_to_yolo`, byte for byte
//! (ls-converter.md §6.6). Where Label Studio crashes on a malformed region, the region (or the
//! task) is skipped with a warning instead.

use crate::files::{Cls, Content, FileOut, Files, Line, TaskRef};
use crate::num::{Item as PyItem, PyIter, PyNum, py_iter, py_number};
use crate::stem::{ls_resolved_path, ls_stem, ls_stem_of_path};
use exportkit_core::exporter::Warning;
use exportkit_core::geometry::rotated_corners;
use exportkit_core::jsonfmt::{write_i64, write_py_float};
use exportkit_core::labels::Categories;
use exportkit_core::model::{self, Region};
use exportkit_core::resources::{Resolver, redact};
use exportkit_core::task::Schema;
use exportkit_core::{Batch, BatchEncoder, ExportContext, Fragment, Item, LabelConfig, Result};
use exportkit_core::{TaskRecord, model::RawObject};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;

/// Label Studio's keypoint mode (the config has a `KeyPointLabels` control).
#[derive(Debug, Clone)]
pub(crate) struct Keypoints {
    /// `RectangleLabels` labels in config order → class index.
    pub(crate) classes: HashMap<String, i64>,
    /// Keypoint names in `model_index` order (`build_kp_order`).
    pub(crate) order: Vec<String>,
}

/// Which of Label Studio's two YOLO writers runs.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// `process_and_save_yolo_annotations`: boxes, oriented boxes, polygons.
    Plain(Categories),
    /// `process_keypoints_for_yolo`.
    Keypoints(Keypoints),
}

/// The compat encoder.
pub(crate) struct Encoder {
    pub(crate) config: Arc<LabelConfig>,
    pub(crate) data_key: String,
    pub(crate) obb: bool,
    pub(crate) mode: Mode,
    /// `*_WITH_IMAGES` (`download_resources` forced on): http(s) images are downloaded and
    /// the label file is named after the download.
    pub(crate) with_images: bool,
}

/// A label file's stem and, when Label Studio downloaded the image, `(url, output path)`.
type Named = (String, Option<(String, String)>);

pub(crate) use exportkit_core::labels::py_int;

/// `build_kp_order`: the `KeyPointLabels` labels' attributes merged over controls
/// (`dict.update`: first position, last attributes), those whose `model_index` is an int,
/// the first of each index, sorted by index.
pub(crate) fn kp_order(config: &LabelConfig) -> Vec<String> {
    let mut block: Vec<(&str, Option<&str>)> = Vec::new();
    for c in config.controls.iter().filter(|c| c.tag == "KeyPointLabels") {
        for l in &c.labels {
            let mi = l.attr("model_index");
            match block.iter_mut().find(|(n, _)| *n == l.value) {
                Some(slot) => slot.1 = mi,
                None => block.push((&l.value, mi)),
            }
        }
    }
    let mut pairs: Vec<(i64, &str)> = Vec::new();
    for (name, mi) in block {
        let Some(idx) = mi.and_then(py_int) else {
            continue;
        };
        if pairs.iter().all(|(i, _)| *i != idx) {
            pairs.push((idx, name));
        }
    }
    pairs.sort_by_key(|p| p.0);
    pairs.into_iter().map(|(_, n)| n.to_owned()).collect()
}

/// `get_yolo_categories_for_keypoints`: `RectangleLabels` labels in config order, each once.
pub(crate) fn keypoint_classes(config: &LabelConfig) -> Vec<String> {
    labels_of(config, "RectangleLabels")
}

/// The labels of every control with `tag`, in config order, each once.
pub(crate) fn labels_of(config: &LabelConfig, tag: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in config.controls.iter().filter(|c| c.tag == tag) {
        for l in &c.labels {
            if !out.contains(&l.value) {
                out.push(l.value.clone());
            }
        }
    }
    out
}

/// A region as Label Studio's converter sees it: `value` plus `type` and the result's
/// `original_width`/`original_height`.
struct LsValue<'r, 'a> {
    value: Option<&'r RawObject<'a>>,
    region: &'r Region<'a>,
}

impl<'r, 'a> LsValue<'r, 'a> {
    fn new(region: &'r Region<'a>) -> Self {
        LsValue {
            value: region.value.as_ref(),
            region,
        }
    }

    fn get(&self, key: &str) -> Option<&'a RawValue> {
        let own = || self.value.and_then(|v| v.get(key));
        match key {
            "original_width" => self.region.original_width.or_else(own),
            "original_height" => self.region.original_height.or_else(own),
            _ => own(),
        }
    }

    fn has(&self, key: &str) -> bool {
        key == "type" || self.get(key).is_some()
    }

    /// A number Label Studio's arithmetic would use; `Err` where it raises (missing key,
    /// string, `null`).
    fn num(&self, key: &str) -> std::result::Result<PyNum, String> {
        match self.get(key) {
            None => Err(format!("region has no \"{key}\"")),
            Some(raw) => py_number(raw).ok_or_else(|| format!("\"{key}\" is not a number")),
        }
    }
}

fn py_float(out: &mut Vec<u8>, v: f64) {
    out.push(b' ');
    write_py_float(out, v);
}

impl Encoder {
    /// The label file stem of a task, or `None` (with a warning where Label Studio crashes)
    /// when it has no usable image path.
    fn stem(&self, rec: &TaskRecord<'_>, warnings: &mut Vec<Warning>) -> Option<String> {
        let data = rec.task.data.as_ref()?;
        let Some(raw) = data.get(&self.data_key) else {
            warnings.push(Warning::new(
                rec,
                format!("task data has no \"{}\"; no label file", self.data_key),
            ));
            return None;
        };
        if let Some(url) = model::as_str(raw) {
            return self.checked(rec, ls_stem(&url), warnings);
        }
        // A list: Label Studio tries the last path first and keeps it; an empty list (or a
        // trailing null) gives no file.
        match crate::num::list(raw).map(|l| l.last().copied()) {
            Some(None) => None,
            Some(Some(last)) if last.get() == "null" => None,
            Some(Some(last)) => match model::as_str(last) {
                Some(url) => self.checked(rec, ls_stem(&url), warnings),
                None => {
                    warnings.push(Warning::new(
                        rec,
                        "image path is not a string; no label file",
                    ));
                    None
                }
            },
            None => {
                warnings.push(Warning::new(
                    rec,
                    "image path is not a string; no label file",
                ));
                None
            }
        }
    }

    /// `*_WITH_IMAGES`: the candidates (a list is tried from its last path) as Label Studio
    /// resolves them without a hostname: an http(s) URL that downloads names the file
    /// `<md5(url)[:8]>__<stem>`; one that fails keeps its raw stem; a cloud URI fails and the
    /// next candidate is tried (no file when none is left); anything else keeps its raw stem.
    fn stem_with_images(
        &self,
        rec: &TaskRecord<'_>,
        resolver: &Resolver,
        warnings: &mut Vec<Warning>,
    ) -> Option<Named> {
        let data = rec.task.data.as_ref()?;
        let Some(raw) = data.get(&self.data_key) else {
            warnings.push(Warning::new(
                rec,
                format!("task data has no \"{}\"; no label file", self.data_key),
            ));
            return None;
        };
        let candidates: Vec<&RawValue> = if model::as_str(raw).is_some() {
            vec![raw]
        } else if let Some(list) = crate::num::list(raw) {
            list
        } else {
            warnings.push(Warning::new(
                rec,
                "image path is not a string; no label file",
            ));
            return None;
        };
        for cand in candidates.iter().rev() {
            if cand.get() == "null" {
                return None;
            }
            let Some(url) = model::as_str(cand) else {
                warnings.push(Warning::new(
                    rec,
                    "image path is not a string; no label file",
                ));
                return None;
            };
            let resolved = ls_resolved_path(&url);
            let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
            let http = lower.starts_with("http://") || lower.starts_with("https://");
            if http && resolved.starts_with("images/") {
                match resolver.local_copy(&url, None) {
                    Ok(_) => {
                        let stem = self.checked(rec, ls_stem_of_path(&resolved), warnings)?;
                        return Some((stem, Some((url.into_owned(), resolved))));
                    }
                    Err(e) => warnings.push(Warning::new(
                        rec,
                        format!(
                            "image {}: {e}; label file named after the URL",
                            redact(&url)
                        ),
                    )),
                }
            } else if ["s3:", "gs:", "azure-blob:"]
                .iter()
                .any(|p| url.starts_with(p))
            {
                // Label Studio skips a cloud URI it cannot download and tries the next one.
                continue;
            }
            if url.is_empty() {
                return None;
            }
            let stem = self.checked(rec, ls_stem_of_path(&url), warnings)?;
            return Some((stem, None));
        }
        None
    }

    fn checked(
        &self,
        rec: &TaskRecord<'_>,
        stem: String,
        warnings: &mut Vec<Warning>,
    ) -> Option<String> {
        if stem.contains('\0') {
            warnings.push(Warning::new(rec, "image name contains NUL; no label file"));
            return None;
        }
        Some(stem)
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, _ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(Some(&self.config));
        let mut frag = Fragment::default();
        let mut files = Vec::with_capacity(batch.tasks.len());
        for rec in batch.tasks {
            let items = rec.items(&schema)?;
            if items.is_empty() {
                continue;
            }
            let named = if self.with_images {
                self.stem_with_images(rec, batch.resolver, &mut frag.warnings)
            } else {
                self.stem(rec, &mut frag.warnings).map(|s| (s, None))
            };
            let Some((stem, image)) = named else {
                continue;
            };
            // Items are newest first and each rewrites the file: the last one with results wins.
            let last = items.iter().rposition(|i| !i.outputs.is_empty());
            let mut file = FileOut {
                name: stem,
                appends: Vec::new(),
                content: Content::Touch,
                task: image.as_ref().map(|_| TaskRef {
                    index: rec.index,
                    id: rec.id_text(),
                }),
                image,
            };
            for (k, item) in items.iter().enumerate() {
                if item.outputs.is_empty() {
                    continue;
                }
                let fin = Some(k) == last;
                match &self.mode {
                    Mode::Keypoints(kp) if fin => {
                        let start = frag.bytes.len();
                        keypoint_file(rec, item, kp, &mut frag.bytes, &mut frag.warnings);
                        file.content = Content::Bytes(start..frag.bytes.len());
                    }
                    Mode::Keypoints(_) => {}
                    Mode::Plain(cats) => {
                        let mut sink = Sink {
                            cats,
                            bytes: &mut frag.bytes,
                            warnings: &mut frag.warnings,
                            text: fin,
                            lines: Vec::new(),
                        };
                        plain_lines(rec, item, self.obb, &mut sink);
                        let lines = sink.lines;
                        if fin {
                            file.content = Content::Lines(lines);
                        } else {
                            file.appends
                                .extend(lines.into_iter().filter_map(|l| match l.cls {
                                    Cls::Name(n) => Some(n),
                                    Cls::Id(_) => None,
                                }));
                        }
                    }
                }
            }
            files.push(file);
        }
        frag.records = files.len() as u64;
        frag.payload = Some(Box::new(Files(files)));
        Ok(frag)
    }
}

/// Where [`plain_lines`] puts its output.
struct Sink<'s> {
    cats: &'s Categories,
    bytes: &'s mut Vec<u8>,
    warnings: &'s mut Vec<Warning>,
    /// Whether line text (and warnings) are wanted: only for the annotation that wins.
    text: bool,
    lines: Vec<Line>,
}

impl Sink<'_> {
    fn cls(&self, name: &str) -> Cls {
        match self.cats.id_of(name) {
            Some(id) => Cls::Id(id),
            None => Cls::Name(name.to_owned()),
        }
    }

    fn warn(&mut self, rec: &TaskRecord<'_>, msg: String) {
        if self.text {
            self.warnings.push(Warning::new(rec, msg));
        }
    }
}

/// The category names of a region (`rectanglelabels`, then `polygonlabels`, then `labels`,
/// as Python iterates each); `Err` where Label Studio raises.
fn category_names(l: &LsValue<'_, '_>) -> std::result::Result<Vec<String>, String> {
    let mut names = Vec::new();
    for key in ["rectanglelabels", "polygonlabels", "labels"] {
        let Some(raw) = l.get(key) else { continue };
        match py_iter(raw) {
            PyIter::Items(items) => {
                for it in items {
                    match it {
                        PyItem::Str(s) => names.push(s),
                        PyItem::Other => return Err(format!("a \"{key}\" entry is not a string")),
                    }
                }
            }
            PyIter::Chars(s) => names.extend(s.chars().map(String::from)),
            PyIter::NotIterable => return Err(format!("\"{key}\" is not a list")),
        }
    }
    Ok(names)
}

/// `convert_annotation_to_yolo`: `(cx, cy, w, h)` from percent values; `None` when a key is
/// missing or a value is not a number (Label Studio then skips the line).
fn ls_yolo_box(l: &LsValue<'_, '_>) -> Option<[f64; 4]> {
    let g = |k: &str| l.get(k).map(py_number);
    let (x, y, w, h) = (g("x")??, g("y")??, g("width")??, g("height")??);
    Some([
        (x.f() + w.div(2)) / 100.0,
        (y.f() + h.div(2)) / 100.0,
        w.div(100),
        h.div(100),
    ])
}

/// `convert_annotation_to_yolo_obb`: the four corners normalised by the region's own size;
/// `Ok(None)` when a key (including `rotation`) is missing, `Err` where Label Studio raises.
fn ls_obb(l: &LsValue<'_, '_>) -> std::result::Result<Option<[(f64, f64); 4]>, String> {
    let keys = [
        "original_width",
        "original_height",
        "x",
        "y",
        "width",
        "height",
        "rotation",
    ];
    if !keys.iter().all(|k| l.has(k)) {
        return Ok(None);
    }
    let (ow, oh) = (l.num("original_width")?.f(), l.num("original_height")?.f());
    let x = l.num("x")?.div(100) * ow;
    let y = l.num("y")?.div(100) * oh;
    let w = l.num("width")?.div(100) * ow;
    let h = l.num("height")?.div(100) * oh;
    let rot = l.num("rotation")?.f();
    if ow == 0.0 || oh == 0.0 {
        return Err("original_width/original_height is 0".into());
    }
    Ok(Some(
        rotated_corners(x, y, w, h, rot).map(|(cx, cy)| (cx / ow, cy / oh)),
    ))
}

/// Polygon points as `(x/100, y/100)`; `Err` where Label Studio raises.
fn ls_points(raw: &RawValue) -> std::result::Result<Vec<(f64, f64)>, String> {
    let bad = || "\"points\" is not a list of [x, y] numbers".to_owned();
    match raw.get() {
        "\"\"" => return Ok(Vec::new()),
        s if s.starts_with('{') => {
            return match RawObject::parse(raw) {
                Ok(o) if o.0.is_empty() => Ok(Vec::new()),
                _ => Err(bad()),
            };
        }
        _ => {}
    }
    let list = crate::num::list(raw).ok_or_else(bad)?;
    let mut pts = Vec::with_capacity(list.len());
    for p in list {
        let xy = crate::num::list(p).ok_or_else(bad)?;
        let [x, y] = xy.as_slice() else {
            return Err(bad());
        };
        let (x, y) = (py_number(x).ok_or_else(bad)?, py_number(y).ok_or_else(bad)?);
        pts.push((x.div(100), y.div(100)));
    }
    Ok(pts)
}

/// `process_and_save_yolo_annotations` for one item: every region of every control, one line
/// per label.
fn plain_lines(rec: &TaskRecord<'_>, item: &Item<'_, '_>, obb: bool, sink: &mut Sink<'_>) {
    for group in &item.outputs {
        for region in &group.regions {
            let l = LsValue::new(region);
            let names = match category_names(&l) {
                Ok(n) => n,
                Err(e) => {
                    sink.warn(rec, format!("{e}; region skipped"));
                    continue;
                }
            };
            for name in names {
                let cls = sink.cls(&name);
                if !sink.text {
                    if matches!(cls, Cls::Name(_)) {
                        sink.lines.push(Line { cls, text: None });
                    }
                    continue;
                }
                let start = sink.bytes.len();
                let ok = if l.has("rectanglelabels") || l.has("rectangle") || l.has("labels") {
                    if obb {
                        match ls_obb(&l) {
                            Ok(Some(c)) => {
                                for (x, y) in c {
                                    py_float(sink.bytes, x);
                                    py_float(sink.bytes, y);
                                }
                                true
                            }
                            Ok(None) => false,
                            Err(e) => {
                                sink.warn(rec, format!("{e}; oriented box skipped"));
                                false
                            }
                        }
                    } else {
                        match ls_yolo_box(&l) {
                            Some(b) => {
                                b.iter().for_each(|v| py_float(sink.bytes, *v));
                                true
                            }
                            None => false,
                        }
                    }
                } else if let Some(points) = l.get("points") {
                    match ls_points(points) {
                        Ok(pts) => {
                            for (x, y) in pts {
                                py_float(sink.bytes, x);
                                py_float(sink.bytes, y);
                            }
                            true
                        }
                        Err(e) => {
                            sink.warn(rec, format!("{e}; polygon skipped"));
                            false
                        }
                    }
                } else {
                    false
                };
                let text = if ok {
                    sink.bytes.push(b'\n');
                    Some(start..sink.bytes.len())
                } else {
                    sink.bytes.truncate(start);
                    None
                };
                if text.is_some() || matches!(cls, Cls::Name(_)) {
                    sink.lines.push(Line { cls, text });
                }
            }
        }
    }
}

/// The first label of a keypoint-mode region (`(item.get(key) or [])[0]`): `Ok(None)` when
/// the value is falsy or its first element is not a string, `Err` where Python raises.
fn first_label(raw: Option<&RawValue>, key: &str) -> std::result::Result<Option<String>, String> {
    let Some(raw) = raw.filter(|r| model::truthy(Some(r))) else {
        return Ok(None);
    };
    match py_iter(raw) {
        PyIter::Items(items) if raw.get().starts_with('[') => Ok(match items.into_iter().next() {
            Some(PyItem::Str(s)) => Some(s),
            _ => None,
        }),
        PyIter::Chars(s) => Ok(s.chars().next().map(String::from)),
        _ => Err(format!("\"{key}\" is not a list")),
    }
}

/// `process_keypoints_for_yolo` for one item: boxes of `RectangleLabels` controls with their
/// keypoints (matched by `parentID`), lines joined by `\n` without a final newline.
fn keypoint_file(
    rec: &TaskRecord<'_>,
    item: &Item<'_, '_>,
    kp: &Keypoints,
    out: &mut Vec<u8>,
    warnings: &mut Vec<Warning>,
) {
    struct Rect {
        cls: i64,
        b: [f64; 4],
        kps: Vec<Option<(f64, f64)>>,
    }
    let mut rects: Vec<Rect> = Vec::new();
    let mut by_id: HashMap<Option<&str>, usize> = HashMap::new();
    let of_type = |t: &'static str| {
        item.outputs
            .iter()
            .filter(move |g| g.control_type.eq_ignore_ascii_case(t))
            .flat_map(|g| g.regions.iter())
    };
    let mut warn = |msg: String| warnings.push(Warning::new(rec, msg));
    for region in of_type("rectanglelabels") {
        let l = LsValue::new(region);
        let name = match first_label(l.get("rectanglelabels"), "rectanglelabels") {
            Ok(Some(n)) => n,
            Ok(None) => continue,
            Err(e) => {
                warn(format!("{e}; box skipped"));
                continue;
            }
        };
        let Some(&cls) = kp.classes.get(&name) else {
            continue;
        };
        let nums = ["x", "y", "width", "height"].map(|k| l.num(k));
        let [x, y, w, h] = match nums {
            // `item['x'] / 100.0`: an int is converted to float first.
            [Ok(x), Ok(y), Ok(w), Ok(h)] => [x, y, w, h].map(|v| v.f() / 100.0),
            [a, b, c, d] => {
                let e = [a, b, c, d]
                    .into_iter()
                    .find_map(|r| r.err())
                    .unwrap_or_default();
                warn(format!("{e}; box skipped"));
                continue;
            }
        };
        let rect = Rect {
            cls,
            b: [x + w / 2.0, y + h / 2.0, w, h],
            kps: vec![None; kp.order.len()],
        };
        match by_id.get(&region.id.as_deref()) {
            Some(&i) => rects[i] = rect,
            None => {
                by_id.insert(region.id.as_deref(), rects.len());
                rects.push(rect);
            }
        }
    }
    for region in of_type("keypointlabels") {
        let Some(&i) = by_id.get(&region.parent_id.as_deref()) else {
            continue;
        };
        let l = LsValue::new(region);
        let name = match first_label(l.get("keypointlabels"), "keypointlabels") {
            Ok(Some(n)) => n,
            Ok(None) => continue,
            Err(e) => {
                warn(format!("{e}; keypoint skipped"));
                continue;
            }
        };
        let (x, y) = match (l.num("x"), l.num("y")) {
            (Ok(x), Ok(y)) => (x.f() / 100.0, y.f() / 100.0),
            (Err(e), _) | (_, Err(e)) => {
                warn(format!("{e}; keypoint skipped"));
                continue;
            }
        };
        if let Some(k) = kp.order.iter().position(|n| *n == name) {
            rects[i].kps[k] = Some((x, y));
        }
    }
    for (n, r) in rects.iter().enumerate() {
        if n > 0 {
            out.push(b'\n');
        }
        write_i64(out, r.cls);
        r.b.iter().for_each(|v| py_float(out, *v));
        for k in &r.kps {
            match k {
                Some((x, y)) => {
                    py_float(out, *x);
                    py_float(out, *y);
                    out.extend_from_slice(b" 2");
                }
                None => out.extend_from_slice(b" 0.0 0.0 0"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_index_order() {
        let cfg = LabelConfig::parse(
            r#"<View><Image name="i" value="$image"/>
            <KeyPointLabels name="a" toName="i">
              <Label value="b" model_index="2"/><Label value="a" model_index=" 0 "/>
              <Label value="x"/><Label value="c" model_index="1_0"/><Label value="d" model_index="0"/>
            </KeyPointLabels>
            <KeyPointLabels name="b" toName="i"><Label value="x" model_index="1"/></KeyPointLabels>
            </View>"#,
        )
        .unwrap();
        assert_eq!(kp_order(&cfg), ["a", "x", "b", "c"]);
    }
}

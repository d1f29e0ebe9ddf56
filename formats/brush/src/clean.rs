//! The clean (default) `BRUSH_TO_COCO`: one image per task, one annotation per brush region
//! with its pixel-exact mask as COCO RLE (or, with `--set segmentation=polygon`, its outer
//! contours), categories in label-config order. See the crate docs for the rules.

use crate::coco_rle;
use crate::contours::external_contours_in;
use exportkit_core::config::LabelConfig;
use exportkit_core::exporter::Warning;
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::model::{self, RawObject};
use exportkit_core::names::{UniqueNames, md5_hex};
use exportkit_core::resources::{ImageCopier, Resolver, Source};
use exportkit_core::task::pick_items;
use exportkit_core::{
    Error, ErrorKind, ExportContext, FormatWriter, Fragment, Output, Pick, Result, TaskRecord, rle,
    view,
};
use std::collections::HashMap;
use std::io::{BufWriter, Seek, Write};
use std::sync::Arc;

const MAIN: &str = "result_coco.json";
const STYLE: JsonStyle = JsonStyle::CLEAN_PRETTY;

/// How masks are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segmentation {
    /// Compressed COCO RLE (default): pixel-exact, holes kept.
    Rle,
    /// The outer contours as polygons (holes lost).
    Polygon,
}

/// What every batch shares.
#[derive(Debug)]
pub(crate) struct Setup {
    /// Categories from the config, `(name, colour)`; the id is the position + 1.
    cats: Vec<(String, String)>,
    /// Whether there is a label config to check labels against.
    has_config: bool,
    /// The task-data key of the image.
    image_key: Option<String>,
    pick: Pick,
    seg: Segmentation,
    /// `--download-resources`: copy the images into `images/` (and read their headers).
    copy_images: bool,
}

/// The fixed colour of a label without a `background`: `#` + 6 hex digits of its MD5.
fn hash_colour(name: &str) -> String {
    format!("#{}", &md5_hex(name.as_bytes())[..6])
}

impl Setup {
    pub(crate) fn new(ctx: &ExportContext) -> Result<Self> {
        let seg = match ctx
            .options
            .format_options
            .get("segmentation")
            .map(|s| s.trim())
        {
            None | Some("rle") => Segmentation::Rle,
            Some("polygon") => Segmentation::Polygon,
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "BRUSH_TO_COCO: segmentation={other:?}; use segmentation=rle (default) or segmentation=polygon"
                    ),
                ));
            }
        };
        let config = ctx.config.as_deref();
        Ok(Setup {
            cats: config.map(categories).unwrap_or_default(),
            has_config: config.is_some(),
            image_key: config.and_then(image_key),
            pick: ctx.options.pick,
            seg,
            copy_images: ctx.options.download_resources,
        })
    }
}

/// Brush controls: `BrushLabels`, and `Labels` on an image (labels used with a brush).
fn is_brush(c: &exportkit_core::config::Control) -> bool {
    c.tag == "BrushLabels" || (c.tag == "Labels" && c.inputs.iter().any(|o| o.tag == "Image"))
}

/// The brush controls' labels in config order, each once, with their colours.
fn categories(config: &LabelConfig) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for c in config.controls.iter().filter(|c| is_brush(c)) {
        for l in &c.labels {
            if out.iter().any(|(n, _)| *n == l.value) {
                continue;
            }
            let colour = l
                .background
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map_or_else(|| hash_colour(&l.value), str::to_owned);
            out.push((l.value.clone(), colour));
        }
    }
    out
}

/// The first `Image` a brush control is attached to, else the config's first data key.
fn image_key(config: &LabelConfig) -> Option<String> {
    config
        .controls
        .iter()
        .filter(|c| is_brush(c))
        .flat_map(|c| c.inputs.iter())
        .find(|o| o.tag == "Image")
        .and_then(|o| o.data_key())
        .or_else(|| config.data_keys().first().copied())
        .map(str::to_owned)
}

/// One annotation before numbering.
#[derive(Debug)]
pub(crate) struct Ann {
    label: String,
    seg: Seg,
    area: u64,
    bbox: [u32; 4],
}

#[derive(Debug)]
enum Seg {
    /// `(height, width, counts string)`.
    Rle(u32, u32, String),
    Polygons(Vec<Vec<i32>>),
}

/// One task's image and annotations.
#[derive(Debug)]
pub(crate) struct TaskOut {
    index: u64,
    id: Option<String>,
    source: Option<String>,
    size: Option<(u32, u32)>,
    anns: Vec<Ann>,
}

/// Buffers reused from mask to mask.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    rle: Vec<u8>,
    mask: Vec<u8>,
    image: Vec<i8>,
}

/// A positive whole number that fits `u32` (`512`, `512.0`).
fn whole(raw: Option<&serde_json::value::RawValue>) -> Option<u32> {
    let v = model::as_f64(raw?)?;
    (v.fract() == 0.0 && v >= 1.0 && v <= f64::from(u32::MAX)).then_some(v as u32)
}

fn size_of(v: &RawObject<'_>) -> Option<(u32, u32)> {
    Some((
        whole(v.get("original_width"))?,
        whole(v.get("original_height"))?,
    ))
}

/// Result types of other tools, which `COCO` exports.
const OTHER_SHAPES: [&str; 8] = [
    "polygonlabels",
    "rectanglelabels",
    "ellipselabels",
    "keypointlabels",
    "polygon",
    "rectangle",
    "ellipse",
    "keypoint",
];

/// Encodes one task.
pub(crate) fn encode_task(
    setup: &Setup,
    rec: &TaskRecord<'_>,
    schema: &exportkit_core::Schema<'_>,
    resolver: &Resolver,
    scratch: &mut Scratch,
    warnings: &mut Vec<Warning>,
) -> Result<TaskOut> {
    let items = pick_items(rec, rec.items(schema)?, setup.pick);
    let mut warn = |m: String| warnings.push(Warning::new(rec, m));
    let data = rec.task.data.as_ref();
    let source = match setup.image_key.as_deref() {
        Some(k) => data.and_then(|d| d.get(k)).and_then(model::as_str),
        None => data.and_then(|d| d.iter().find_map(|(_, v)| model::as_str(v))),
    }
    .map(|s| s.into_owned());
    let id = rec.id_text();
    // Regions, in item and result order.
    let mut regions = Vec::new();
    for item in &items {
        for g in &item.outputs {
            for r in &g.regions {
                regions.push((g.from_name, r, view::region_value(r)?));
            }
        }
    }
    let mut size = regions.iter().find_map(|(_, _, v)| size_of(v));
    if size.is_none()
        && let Some(url) = source.as_deref()
    {
        let allowed = setup.copy_images
            || matches!(resolver.locate(url, id.as_deref()), Ok(Source::Local(_)));
        if allowed {
            match resolver.image_size(url, id.as_deref()) {
                Ok((w, h)) if w > 0 && h > 0 => size = Some((w, h)),
                Ok(_) => warn("the image header gives a zero size".into()),
                Err(e) => warn(format!("image header not read: {e}")),
            }
        }
    }
    if size.is_none() {
        warn("image size unknown (no region has original_width/original_height and the image header was not read): width and height are null".into());
    }
    let mut anns = Vec::new();
    for (from_name, r, v) in &regions {
        let Some(raw_rle) = v.get("rle") else {
            let kind = r.kind.as_deref().unwrap_or("").to_ascii_lowercase();
            if OTHER_SHAPES.contains(&kind.as_str()) {
                warn(format!(
                    "{from_name}: {kind} region skipped (BRUSH_TO_COCO exports brush masks; use COCO for other shapes)"
                ));
            }
            continue;
        };
        let labels = ["brushlabels", "labels"]
            .into_iter()
            .find_map(|k| v.get(k))
            .map(|l| serde_json::from_str::<Vec<String>>(l.get()));
        let label = match labels {
            Some(Ok(l)) if !l.is_empty() => {
                if l.len() > 1 {
                    warn(format!(
                        "{from_name}: brush region has several labels; the first ({:?}) is used",
                        l[0]
                    ));
                }
                l.into_iter().next().unwrap_or_default()
            }
            Some(Err(_)) => {
                warn(format!(
                    "{from_name}: brush labels are not a list of strings; region skipped"
                ));
                continue;
            }
            _ => {
                warn(format!("{from_name}: brush region without a label skipped"));
                continue;
            }
        };
        if setup.has_config && !setup.cats.iter().any(|(n, _)| *n == label) {
            warn(format!(
                "{from_name}: label {label:?} is not a brush label of the config; appended as a category"
            ));
        }
        let Some((w, h)) = size_of(v).or(size) else {
            warn(format!(
                "{from_name}: brush region without original_width/original_height skipped"
            ));
            continue;
        };
        if let Some((iw, ih)) = size
            && (iw, ih) != (w, h)
        {
            warn(format!(
                "{from_name}: brush region drawn at {w}×{h} on an image of {iw}×{ih}; skipped"
            ));
            continue;
        }
        let (wu, hu) = (w as usize, h as usize);
        let decoded = rle::parse_json_bytes_into(raw_rle.get(), &mut scratch.rle).and_then(|()| {
            rle::decode_alpha_into(&scratch.rle, Some(wu * hu * 4), &mut scratch.mask)
        });
        if let Err(e) = decoded {
            warn(format!(
                "{from_name}: {e} (original size {w}×{h}); region skipped"
            ));
            continue;
        }
        let enc = coco_rle::encode(&scratch.mask, wu, hu);
        if enc.area == 0 {
            warn(format!(
                "{from_name}: empty brush mask ({label:?}); no annotation"
            ));
            continue;
        }
        let seg = match setup.seg {
            Segmentation::Rle => Seg::Rle(h, w, coco_rle::to_string(&enc.counts)),
            Segmentation::Polygon => {
                let polys: Vec<Vec<i32>> =
                    external_contours_in(&scratch.mask, wu, hu, &mut scratch.image)
                        .into_iter()
                        .filter(|c| c.len() >= 3)
                        .map(|c| c.iter().flat_map(|&(x, y)| [x, y]).collect())
                        .collect();
                if polys.is_empty() {
                    warn(format!(
                        "{from_name}: brush mask ({label:?}) too thin for a polygon; no annotation"
                    ));
                    continue;
                }
                Seg::Polygons(polys)
            }
        };
        anns.push(Ann {
            label,
            seg,
            area: enc.area,
            bbox: enc.bbox,
        });
    }
    Ok(TaskOut {
        index: rec.index,
        id,
        source,
        size,
        anns,
    })
}

/// The sequential half: numbers images, annotations and appended categories in input order.
#[derive(Debug)]
pub(crate) struct Writer {
    setup: Arc<Setup>,
    cats: Vec<(String, String)>,
    by_name: HashMap<String, u64>,
    names: UniqueNames,
    images: u64,
    anns: u64,
    spill: Option<BufWriter<std::fs::File>>,
    copier: Option<ImageCopier>,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{MAIN}: {e}"))
}

impl Writer {
    pub(crate) fn new(setup: Arc<Setup>) -> Self {
        let cats = setup.cats.clone();
        let by_name = cats
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i as u64 + 1))
            .collect();
        Writer {
            setup,
            cats,
            by_name,
            names: UniqueNames::new(),
            images: 0,
            anns: 0,
            spill: None,
            copier: None,
        }
    }

    fn category(&mut self, name: &str) -> u64 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        self.cats.push((name.to_owned(), hash_colour(name)));
        let id = self.cats.len() as u64;
        self.by_name.insert(name.to_owned(), id);
        id
    }
}

impl FormatWriter for Writer {
    fn begin(&mut self, ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.dir("images")?;
        self.spill = Some(BufWriter::with_capacity(1 << 20, out.spill()?));
        if self.setup.copy_images {
            self.copier = Some(ImageCopier::start(ctx, out)?);
        }
        out.part(MAIN)?.write_all(b"{\n  \"images\": [").map_err(io)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let Some(payload) = frag.payload else {
            return Ok(());
        };
        let tasks = payload
            .downcast::<Vec<TaskOut>>()
            .map_err(|_| Error::new(ErrorKind::Format, "brush: unexpected fragment payload"))?;
        let mut img = Vec::new();
        let mut anns = Vec::new();
        for t in *tasks {
            let image_id = self.images;
            let source = t
                .source
                .clone()
                .unwrap_or_else(|| format!("task-{}", t.index));
            let name = format!("images/{}", self.names.name_for(&source));
            if let (Some(url), Some(copier)) = (&t.source, self.copier.as_mut()) {
                copier.copy(url, &name, t.index, t.id.as_deref(), out)?;
            }
            img.extend_from_slice(if image_id == 0 { b"\n    " } else { b",\n    " });
            let mut w = JsonWriter::with_level(&mut img, STYLE, 2);
            w.begin_object();
            w.key("id").u64_value(image_id);
            w.key("file_name").str_value(&name);
            match t.size {
                Some((iw, ih)) => {
                    w.key("width").u64_value(u64::from(iw));
                    w.key("height").u64_value(u64::from(ih));
                }
                None => {
                    w.key("width").null_value();
                    w.key("height").null_value();
                }
            }
            w.end_object();
            self.images += 1;
            for a in &t.anns {
                let cat = self.category(&a.label);
                self.anns += 1;
                anns.extend_from_slice(if self.anns == 1 {
                    b"\n    "
                } else {
                    b",\n    "
                });
                let mut w = JsonWriter::with_level(&mut anns, STYLE, 2);
                w.begin_object();
                w.key("id").u64_value(self.anns);
                w.key("image_id").u64_value(image_id);
                w.key("category_id").u64_value(cat);
                w.key("segmentation");
                match &a.seg {
                    Seg::Rle(h, wd, counts) => {
                        w.begin_object();
                        w.key("size").begin_array();
                        w.u64_value(u64::from(*h)).u64_value(u64::from(*wd));
                        w.end_array();
                        w.key("counts").str_value(counts);
                        w.end_object();
                    }
                    Seg::Polygons(polys) => {
                        w.begin_array();
                        for p in polys {
                            w.begin_array();
                            for &c in p {
                                w.i64_value(i64::from(c));
                            }
                            w.end_array();
                        }
                        w.end_array();
                    }
                }
                w.key("area").u64_value(a.area);
                w.key("bbox").begin_array();
                for &c in &a.bbox {
                    w.u64_value(u64::from(c));
                }
                w.end_array();
                w.key("iscrowd").i64_value(0);
                w.end_object();
            }
        }
        out.part(MAIN)?.write_all(&img).map_err(io)?;
        if let Some(s) = self.spill.as_mut() {
            s.write_all(&anns).map_err(io)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let this = *self;
        let close = |n: u64| -> &'static [u8] { if n > 0 { b"\n  ]" } else { b"]" } };
        let mut head = Vec::new();
        head.extend_from_slice(close(this.images));
        head.extend_from_slice(b",\n  \"categories\": ");
        let mut w = JsonWriter::with_level(&mut head, STYLE, 1);
        w.begin_array();
        for (i, (name, colour)) in this.cats.iter().enumerate() {
            w.begin_object();
            w.key("id").u64_value(i as u64 + 1);
            w.key("name").str_value(name);
            w.key("supercategory").str_value("");
            w.key("color").str_value(colour);
            w.end_object();
        }
        w.end_array();
        head.extend_from_slice(b",\n  \"annotations\": [");
        let part = out.part(MAIN)?;
        part.write_all(&head).map_err(io)?;
        if let Some(s) = this.spill {
            let mut f = s.into_inner().map_err(|e| io(e.into_error()))?;
            f.rewind().map_err(io)?;
            std::io::copy(&mut f, part).map_err(io)?;
        }
        let mut tail = Vec::new();
        tail.extend_from_slice(close(this.anns));
        tail.extend_from_slice(b",\n  \"info\": ");
        let mut w = JsonWriter::with_level(&mut tail, STYLE, 1);
        w.begin_object();
        w.key("description").str_value("");
        w.key("version").str_value("1.0");
        w.key("contributor").str_value("exportkit");
        w.end_object();
        tail.extend_from_slice(b"\n}\n");
        part.write_all(&tail).map_err(io)?;
        out.close(MAIN)?;
        if let Some(copier) = this.copier {
            copier.finish(out);
        }
        Ok(())
    }
}

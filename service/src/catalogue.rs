//! The format list a project offers (`GET /export/formats`): Label Studio's catalogue order and
//! titles first, then the other registered formats; unsupported ones marked `disabled` and
//! sorted after the enabled ones (a stable sort, as Label Studio does).

use exportkit_core::{LabelConfig, Registry, Support};
use serde::Serialize;

/// One entry of the format list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormatEntry {
    /// Display title.
    pub title: String,
    /// One line.
    pub description: String,
    /// Documentation link.
    pub link: String,
    /// Task kinds, for vision and text formats.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<&'static str>,
    /// The name to send as `export_type` / `exportType`.
    pub name: String,
    /// Present (and `true`) when the project's label config cannot use this format.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// Label Studio's catalogue: name and title, in its order.
const LS_CATALOGUE: [(&str, &str); 16] = [
    ("JSON", "JSON"),
    ("JSON_MIN", "JSON-MIN"),
    ("CSV", "CSV"),
    ("TSV", "TSV"),
    ("CONLL2003", "CONLL2003"),
    ("COCO", "COCO"),
    ("COCO_WITH_IMAGES", "COCO with Images"),
    ("VOC", "Pascal VOC XML"),
    ("YOLO", "YOLO"),
    ("YOLO_WITH_IMAGES", "YOLO with Images"),
    ("YOLO_OBB", "YOLOv8 OBB"),
    ("YOLO_OBB_WITH_IMAGES", "YOLOv8 OBB with Images"),
    ("BRUSH_TO_NUMPY", "Brush labels to NumPy"),
    ("BRUSH_TO_PNG", "Brush labels to PNG"),
    ("ASR_MANIFEST", "ASR Manifest"),
    ("BRUSH_TO_COCO", "Brush labels to COCO"),
];

fn tags(name: &str) -> Vec<&'static str> {
    match name {
        "CONLL2003" => vec![
            "sequence labeling",
            "text tagging",
            "named entity recognition",
        ],
        "COCO" | "COCO_WITH_IMAGES" | "VOC" => vec!["image segmentation", "object detection"],
        "YOLO" | "YOLO_WITH_IMAGES" => {
            vec!["image segmentation", "object detection", "keypoints"]
        }
        "YOLO_OBB" | "YOLO_OBB_WITH_IMAGES" => vec!["object detection"],
        "BRUSH_TO_NUMPY" | "BRUSH_TO_PNG" | "BRUSH_TO_COCO" => vec!["image segmentation"],
        "ASR_MANIFEST" => vec!["speech recognition"],
        _ => Vec::new(),
    }
}

/// The formats of `registry` for a project with `label_config` (empty: every format enabled).
pub fn formats(registry: &Registry, label_config: &str) -> Vec<FormatEntry> {
    let config = (!label_config.trim().is_empty())
        .then(|| LabelConfig::parse(label_config).ok())
        .flatten();
    let mut out = Vec::new();
    let mut push = |name: &str, title: Option<&str>| {
        let Ok(f) = registry.get(name) else { return };
        let info = f.info();
        let ls = title.is_some();
        out.push(FormatEntry {
            title: title.unwrap_or(info.title).to_owned(),
            description: info.description.to_owned(),
            link: if ls {
                format!("https://labelstud.io/guide/export.html#{}", info.name)
            } else {
                format!(
                    "https://github.com/exportkit/exportkit#{}",
                    info.name.to_ascii_lowercase()
                )
            },
            tags: tags(info.name),
            name: info.name.to_owned(),
            disabled: config
                .as_ref()
                .is_some_and(|c| matches!(f.supports(c), Support::Unsupported(_))),
        });
    };
    for (name, title) in LS_CATALOGUE {
        push(name, Some(title));
    }
    let rest: Vec<&str> = registry
        .names()
        .filter(|n| !LS_CATALOGUE.iter().any(|(ls, _)| ls == n))
        .collect();
    for name in rest {
        push(name, None);
    }
    out.sort_by_key(|e| e.disabled);
    out
}

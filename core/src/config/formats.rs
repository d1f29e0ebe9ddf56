//! Label Studio's `Converter._get_supported_formats`, reproduced exactly.

use super::error::ConfigError;
use super::model::LabelConfig;

/// LS's `Format` enum in declaration order (`JSON = 1` .. `DOCLANG = 18`).
pub const LS_FORMATS: [&str; 18] = [
    "JSON",
    "JSON_MIN",
    "CSV",
    "TSV",
    "CONLL2003",
    "COCO",
    "VOC",
    "BRUSH_TO_NUMPY",
    "BRUSH_TO_PNG",
    "ASR_MANIFEST",
    "YOLO",
    "YOLO_OBB",
    "CSV_OLD",
    "YOLO_WITH_IMAGES",
    "COCO_WITH_IMAGES",
    "YOLO_OBB_WITH_IMAGES",
    "BRUSH_TO_COCO",
    "DOCLANG",
];

/// A Python list of format names, with `list.remove` semantics.
struct Formats(Vec<&'static str>);

impl Formats {
    fn has(&self, f: &str) -> bool {
        self.0.contains(&f)
    }

    /// `list.remove`: raises `ValueError` when absent.
    fn remove(&mut self, f: &str) -> Result<(), ConfigError> {
        match self.0.iter().position(|x| *x == f) {
            Some(i) => {
                self.0.remove(i);
                Ok(())
            }
            None => Err(ConfigError::LsValueError {
                message: format!(
                    "list.remove(x): x not in list ({f} was already dropped: KeyPointLabels \
                     without RectangleLabels, and no Image input with COCO/YOLO-capable labels)"
                ),
            }),
        }
    }

    /// `if f in list: list.remove(f)`.
    fn discard(&mut self, f: &str) {
        self.0.retain(|x| *x != f);
    }
}

impl LabelConfig {
    /// Exactly what LS's `Converter._get_supported_formats()` returns for this config (the
    /// list the export dialog enables), as format names in LS order. `Err` where LS raises
    /// `ValueError` (KeyPointLabels without RectangleLabels and without COCO/YOLO inputs, or
    /// with a multi-image `valueList`).
    pub fn ls_supported_formats(&self) -> Result<Vec<&'static str>, ConfigError> {
        let doclang = self
            .controls
            .iter()
            .any(|c| matches!(c.tag.as_str(), "TextArea" | "ReactCode" | "CustomInterface"));
        if self.data_keys().len() > 1 {
            let mut f = vec!["JSON", "JSON_MIN", "CSV", "TSV"];
            if doclang {
                f.push("DOCLANG");
            }
            return Ok(f);
        }
        let mut is_mig = false;
        let mut outs: Vec<&str> = Vec::new();
        let mut ins: Vec<&str> = Vec::new();
        for c in &self.controls {
            outs.push(&c.tag);
            for i in &c.inputs {
                if i.value_list.as_deref().is_some_and(|v| !v.is_empty()) {
                    is_mig = true;
                }
                if i.tag == "Text" && i.value_type.as_deref() == Some("url") {
                    continue; // LS logs 'valueType="url" are not supported for text inputs'
                }
                ins.push(&i.tag);
            }
        }
        let out = |t: &str| outs.contains(&t);
        let inp = |t: &str| ins.contains(&t);

        let mut all = Formats(LS_FORMATS.to_vec());
        if !doclang {
            all.discard("DOCLANG");
        }
        if out("KeyPointLabels") && !out("RectangleLabels") {
            for f in ["COCO", "COCO_WITH_IMAGES", "YOLO", "YOLO_WITH_IMAGES"] {
                all.discard(f);
            }
        }
        if !(inp("Text") && out("Labels")) {
            all.remove("CONLL2003")?;
        }
        if is_mig
            || !(inp("Image") && (out("RectangleLabels") || (out("Rectangle") && out("Labels"))))
        {
            all.remove("VOC")?;
        }
        let coco_yolo = (inp("Image")
            && (out("RectangleLabels") || out("PolygonLabels") || out("KeyPointLabels")))
            || (out("Rectangle") && out("Labels"))
            || (out("PolygonLabels") && out("Labels"))
            || (out("KeyPointLabels") && out("Labels"));
        if is_mig || !coco_yolo {
            for f in ["COCO", "COCO_WITH_IMAGES", "YOLO", "YOLO_WITH_IMAGES"] {
                all.remove(f)?;
            }
            all.discard("YOLO_OBB");
            all.discard("YOLO_OBB_WITH_IMAGES");
        }
        if !(inp("Image")
            && (out("BrushLabels") || out("brushlabels") || (out("Brush") && out("Labels"))))
        {
            for f in ["BRUSH_TO_NUMPY", "BRUSH_TO_PNG", "BRUSH_TO_COCO"] {
                all.remove(f)?;
            }
        }
        if !((inp("Audio") || inp("AudioPlus")) && out("TextArea")) {
            all.remove("ASR_MANIFEST")?;
        }
        if is_mig || (inp("Video") && out("TimelineLabels")) {
            all.discard("YOLO_OBB");
            all.discard("YOLO_OBB_WITH_IMAGES");
        }
        debug_assert!(all.has("JSON"));
        Ok(all.0)
    }
}

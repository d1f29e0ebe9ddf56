//! COCO `categories` for both behaviours, and the keypoint names.

use crate::values::py_int;
use exportkit_core::LabelConfig;
use exportkit_core::jsonfmt::JsonWriter;
use exportkit_core::labels::{Categories, is_geometric};
use std::collections::HashMap;

/// One COCO category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Category {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// `supercategory` (written when set).
    pub(crate) supercategory: Option<String>,
    /// Keypoint names, for a category whose annotations carry keypoints (with `skeleton: []`).
    pub(crate) keypoints: Option<Vec<String>>,
}

/// A category list with a name index.
#[derive(Debug, Clone, Default)]
pub(crate) struct CategoryList {
    pub(crate) list: Vec<Category>,
    pub(crate) by_name: HashMap<String, i64>,
}

impl CategoryList {
    /// Label Studio's handling of a label missing from the config: appended with
    /// `id = len(categories)` (which may collide with an explicit id).
    pub(crate) fn get_or_append(&mut self, name: &str) -> i64 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.list.len() as i64;
        self.list.push(Category {
            id,
            name: name.to_owned(),
            supercategory: None,
            keypoints: None,
        });
        self.by_name.insert(name.to_owned(), id);
        id
    }

    /// Writes the list as a JSON array at the writer's position.
    pub(crate) fn write(&self, w: &mut JsonWriter<'_>) {
        w.begin_array();
        for c in &self.list {
            w.begin_object();
            w.key("id").i64_value(c.id);
            w.key("name").str_value(&c.name);
            if let Some(s) = &c.supercategory {
                w.key("supercategory").str_value(s);
            }
            if let Some(kp) = &c.keypoints {
                w.key("keypoints").begin_array();
                for k in kp {
                    w.str_value(k);
                }
                w.end_array();
                w.key("skeleton").begin_array().end_array();
            }
            w.end_object();
        }
        w.end_array();
    }
}

/// Labels of the config's `KeyPointLabels` controls, each once, in config order.
fn keypoint_labels(config: &LabelConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in config.controls.iter().filter(|c| c.tag == "KeyPointLabels") {
        for l in &c.labels {
            if !out.contains(&l.value) {
                out.push(l.value.clone());
            }
        }
    }
    out
}

/// Label Studio's `_get_labels()` followed by `update_categories_for_keypoints`: keypoint
/// labels are removed (other ids kept) and one `default` category listing them is added with
/// `id = max + 1`; every keypoint label then maps to it.
pub(crate) fn label_studio(config: &LabelConfig) -> CategoryList {
    let base = Categories::label_studio(config);
    let mut out = CategoryList::default();
    let kp = keypoint_labels(config);
    for c in base.list() {
        if kp.contains(&c.name) {
            continue;
        }
        out.list.push(Category {
            id: c.id,
            name: c.name.clone(),
            supercategory: None,
            keypoints: None,
        });
        out.by_name.insert(c.name.clone(), c.id);
    }
    if kp.is_empty() {
        return out;
    }
    let merged = out.list.iter().map(|c| c.id).max().map_or(0, |m| m + 1);
    for name in &kp {
        out.by_name.insert(name.clone(), merged);
    }
    out.list.push(Category {
        id: merged,
        name: "default".into(),
        supercategory: Some("default".into()),
        keypoints: Some(kp),
    });
    out
}

/// Label Studio's `build_kp_order`: keypoint labels with an integer `model_index`, sorted by
/// it (the first label wins a repeated index; labels without one are dropped).
pub(crate) fn label_studio_kp_order(config: &LabelConfig) -> Vec<String> {
    // `kp_block.update(labels_attrs)` over the controls: first position, last attributes.
    let mut block: Vec<(String, Option<String>)> = Vec::new();
    for c in config.controls.iter().filter(|c| c.tag == "KeyPointLabels") {
        for l in &c.labels {
            let idx = l.attr("model_index").map(str::to_owned);
            match block.iter_mut().find(|(n, _)| *n == l.value) {
                Some(slot) => slot.1 = idx,
                None => block.push((l.value.clone(), idx)),
            }
        }
    }
    let mut used = Vec::new();
    let mut pairs = Vec::new();
    for (name, idx) in block {
        let Some(i) = idx.as_deref().and_then(py_int) else {
            continue;
        };
        if used.contains(&i) {
            continue;
        }
        used.push(i);
        pairs.push((i, name));
    }
    pairs.sort_by_key(|p| p.0);
    pairs.into_iter().map(|p| p.1).collect()
}

/// The clean keypoint names: every `KeyPointLabels` label, ordered by an integer
/// `model_index` where it has one, the others after them in config order.
pub(crate) fn clean_kp_order(config: &LabelConfig) -> Vec<String> {
    let mut names: Vec<(Option<i64>, String)> = Vec::new();
    for c in config.controls.iter().filter(|c| c.tag == "KeyPointLabels") {
        for l in &c.labels {
            if names.iter().any(|(_, n)| *n == l.value) {
                continue;
            }
            let idx = l.attr("model_index").and_then(py_int);
            names.push((idx, l.value.clone()));
        }
    }
    names.sort_by_key(|(i, _)| (i.is_none(), i.unwrap_or(0)));
    names.into_iter().map(|(_, n)| n).collect()
}

/// The clean categories: [`Categories::clean`] (geometric controls, config order, ids equal to
/// the YOLO class indices), without the labels that only name keypoints. When the config has
/// keypoints, the categories of rectangle controls list them (boxes carry the keypoints).
pub(crate) fn clean(config: &LabelConfig, kp_names: &[String]) -> CategoryList {
    let cats = Categories::clean(config, is_geometric);
    let is_box_control = |tag: &str| matches!(tag, "RectangleLabels" | "Labels");
    let mut kp_only = Vec::new();
    let mut boxes = Vec::new();
    for c in config.controls.iter().filter(|c| is_geometric(c)) {
        for l in &c.labels {
            if c.tag == "KeyPointLabels" {
                kp_only.push(l.value.as_str());
            } else if is_box_control(&c.tag) {
                boxes.push(l.value.as_str());
            }
        }
    }
    let mut out = CategoryList::default();
    for c in cats.list() {
        let in_other_control = config
            .controls
            .iter()
            .filter(|k| is_geometric(k) && k.tag != "KeyPointLabels")
            .any(|k| k.labels.iter().any(|l| l.value == c.name));
        if kp_only.contains(&c.name.as_str()) && !in_other_control {
            continue;
        }
        let keypoints =
            (!kp_names.is_empty() && boxes.contains(&c.name.as_str())).then(|| kp_names.to_vec());
        out.list.push(Category {
            id: c.id,
            name: c.name.clone(),
            supercategory: Some(String::new()),
            keypoints,
        });
        out.by_name.insert(c.name.clone(), c.id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KP: &str = r#"<View>
      <Image name="image" value="$image"/>
      <RectangleLabels name="bbox" toName="image"><Label value="person"/></RectangleLabels>
      <KeyPointLabels name="kp" toName="image">
        <Label value="nose" model_index="1"/><Label value="eye" model_index="0"/>
        <Label value="ear"/><Label value="chin" model_index="0"/>
      </KeyPointLabels>
      <Choices name="q" toName="image"><Choice value="Blurry"/></Choices>
    </View>"#;

    #[test]
    fn label_studio_keypoint_categories() {
        let cfg = LabelConfig::parse(KP).expect("config");
        let c = label_studio(&cfg);
        let got: Vec<_> = c.list.iter().map(|c| (c.id, c.name.as_str())).collect();
        // sorted: Blurry chin ear eye nose person -> 0..5; keypoint labels removed.
        assert_eq!(got, [(0, "Blurry"), (5, "person"), (6, "default")]);
        assert_eq!(c.by_name.get("nose"), Some(&6));
        assert_eq!(label_studio_kp_order(&cfg), ["eye", "nose"]);
    }

    #[test]
    fn clean_keypoint_categories() {
        let cfg = LabelConfig::parse(KP).expect("config");
        let kp = clean_kp_order(&cfg);
        assert_eq!(kp, ["eye", "chin", "nose", "ear"]);
        let c = clean(&cfg, &kp);
        assert_eq!(c.list.len(), 1);
        assert_eq!(c.list[0].name, "person");
        assert_eq!(c.list[0].id, 0);
        assert_eq!(c.list[0].keypoints.as_deref(), Some(&kp[..]));
    }
}

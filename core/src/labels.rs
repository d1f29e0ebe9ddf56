//! Class lists for detection formats (COCO categories, YOLO classes, VOC names).
//!
//! Two rules: Label Studio's `_get_labels` (every control's labels, `category` ids first, the
//! rest sorted by code point and given the smallest unused ids), and the clean rule (labels of
//! geometric controls only, in label-config order, `category` honoured, the rest given the
//! smallest unused ids in config order). Ids are 0-based in both.

use crate::config::{Control, LabelConfig};
use std::collections::{BTreeSet, HashMap};

/// One class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Class id (COCO category id, YOLO class index).
    pub id: i64,
    /// Label value as results carry it.
    pub name: String,
}

/// An ordered class list with a name index.
#[derive(Debug, Clone, Default)]
pub struct Categories {
    list: Vec<Category>,
    by_name: HashMap<String, i64>,
}

/// Python's `int(str)` for the forms a config attribute takes (`" 3"`, `"+3"`, `"1_0"`):
/// `category`, `model_index`.
pub fn py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !ok {
        return None;
    }
    let v: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Control tags whose labels name geometric classes.
const GEOMETRIC: [&str; 6] = [
    "RectangleLabels",
    "PolygonLabels",
    "KeyPointLabels",
    "BrushLabels",
    "EllipseLabels",
    "BitmaskLabels",
];

/// Whether a control's labels are geometric classes: a `*Labels` region control, or a plain
/// `Labels` attached to an image (used with `Rectangle`/`Polygon` tools).
pub fn is_geometric(control: &Control) -> bool {
    GEOMETRIC.contains(&control.tag.as_str())
        || (control.tag == "Labels" && control.inputs.iter().any(|o| o.tag == "Image"))
}

impl Categories {
    /// Label Studio's `_get_labels()`: byte-compatible class list and ids.
    pub fn label_studio(config: &LabelConfig) -> Self {
        let mut c = Categories::default();
        let mut labels = BTreeSet::new();
        for control in &config.controls {
            for l in &control.labels {
                labels.insert(l.value.clone());
                if let Some(id) = l.category.as_deref().and_then(py_int) {
                    c.list.push(Category {
                        id,
                        name: l.value.clone(),
                    });
                    c.by_name.insert(l.value.clone(), id);
                }
            }
        }
        let mut next = 0i64;
        for name in labels {
            if c.by_name.contains_key(&name) {
                continue;
            }
            while c.by_name.values().any(|&v| v == next) {
                next += 1;
            }
            c.list.push(Category {
                id: next,
                name: name.clone(),
            });
            c.by_name.insert(name, next);
            next += 1;
        }
        c
    }

    /// The clean class list: labels of the controls `keep` accepts (by default
    /// [`is_geometric`]), in config order, each once; `category="N"` gives id N; the others get
    /// the smallest unused ids in config order. Sorted by id.
    pub fn clean(config: &LabelConfig, keep: impl Fn(&Control) -> bool) -> Self {
        let mut c = Categories::default();
        let mut pending = Vec::new();
        for control in config.controls.iter().filter(|c| keep(c)) {
            for l in &control.labels {
                if c.by_name.contains_key(&l.value) || pending.contains(&l.value) {
                    continue;
                }
                match l.category.as_deref().and_then(py_int).filter(|id| *id >= 0) {
                    Some(id) if !c.by_name.values().any(|&v| v == id) => {
                        c.by_name.insert(l.value.clone(), id);
                        c.list.push(Category {
                            id,
                            name: l.value.clone(),
                        });
                    }
                    _ => pending.push(l.value.clone()),
                }
            }
        }
        let mut next = 0i64;
        for name in pending {
            while c.by_name.values().any(|&v| v == next) {
                next += 1;
            }
            c.by_name.insert(name.clone(), next);
            c.list.push(Category { id: next, name });
        }
        c.list.sort_by_key(|c| c.id);
        c
    }

    /// Classes in list order.
    pub fn list(&self) -> &[Category] {
        &self.list
    }

    /// The id of a label.
    pub fn id_of(&self, name: &str) -> Option<i64> {
        self.by_name.get(name).copied()
    }

    /// Label Studio's handling of a label missing from the config: appended with
    /// `id = len(categories)` (which may collide with an explicit id).
    pub fn get_or_append(&mut self, name: &str) -> i64 {
        if let Some(id) = self.id_of(name) {
            return id;
        }
        let id = self.list.len() as i64;
        self.list.push(Category {
            id,
            name: name.to_owned(),
        });
        self.by_name.insert(name.to_owned(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = r#"<View>
      <Image name="image" value="$image"/>
      <RectangleLabels name="label" toName="image">
        <Label value="zebra" category="1"/><Label value="apple" category="0"/><Label value="Cat"/><Label value="bee"/>
      </RectangleLabels>
      <Choices name="q" toName="image"><Choice value="Blurry"/></Choices>
    </View>"#;

    fn names(c: &Categories) -> Vec<(i64, &str)> {
        c.list().iter().map(|c| (c.id, c.name.as_str())).collect()
    }

    #[test]
    fn label_studio_rule_puts_categories_first_then_sorted_labels() {
        let cfg = LabelConfig::parse(CFG).unwrap();
        let c = Categories::label_studio(&cfg);
        assert_eq!(
            names(&c),
            [
                (1, "zebra"),
                (0, "apple"),
                (2, "Blurry"),
                (3, "Cat"),
                (4, "bee")
            ]
        );
    }

    #[test]
    fn clean_rule_keeps_geometric_labels_in_config_order_sorted_by_id() {
        let cfg = LabelConfig::parse(CFG).unwrap();
        let c = Categories::clean(&cfg, is_geometric);
        assert_eq!(
            names(&c),
            [(0, "apple"), (1, "zebra"), (2, "Cat"), (3, "bee")]
        );
        assert_eq!(c.id_of("Blurry"), None);
    }

    #[test]
    fn python_int_forms() {
        for (s, v) in [
            (" 3 ", Some(3)),
            ("+4", Some(4)),
            ("-1", Some(-1)),
            ("1_0", Some(10)),
            ("x", None),
            ("1.0", None),
            ("", None),
        ] {
            assert_eq!(py_int(s), v, "{s:?}");
        }
    }
}

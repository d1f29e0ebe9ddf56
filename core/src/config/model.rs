//! The parsed label config: [`LabelConfig`], [`Control`], [`Label`], [`Object`].
//!
//! The shape follows Label Studio's server-side schema
//! (`label_studio_tools.core.label_config.parse_config`): one entry per control *name*.

use std::collections::{HashMap, HashSet};

use super::pyre;

/// A parsed Label Studio label config (the server's schema, plus the object tags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelConfig {
    /// Control tags, one per distinct `name`, in order of each name's first appearance.
    /// A name defined twice keeps its first position but the *last* definition; labels
    /// of both are merged (this is what LS's dict-based schema does).
    pub controls: Vec<Control>,
    /// Object (input) tags: elements with a `name` and a non-empty `value` or `valueList`
    /// that are not controls. One per distinct `name`, first position, last definition.
    pub objects: Vec<Object>,
}

/// A control tag (an element with non-empty `name` and `toName`, other than `Filter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// The `name` attribute (what results carry as `from_name`).
    pub name: String,
    /// The tag name as LS sees it: as written (`RectangleLabels`, case kept), or
    /// `{namespace-uri}Local` for a namespaced element.
    pub tag: String,
    /// `toName` split on `,` (no trimming, like LS).
    pub to_name: Vec<String>,
    /// The objects named in `to_name` that exist, in `to_name` order (LS `inputs`).
    pub inputs: Vec<Object>,
    /// Labels from `Label`/`Choice`/`Relation` elements below this control, in document
    /// order, one per distinct value (first position, last element's attributes).
    pub labels: Vec<Label>,
    /// All attributes of the element, in document order (values normalised as XML does).
    pub attrs: Vec<(String, String)>,
    /// Repeater index variables (`indexFlag` values seen so far in the document) that occur
    /// in some `to_name` entry: LS then matches `from_name` by regex (`variable` -> `.*`).
    pub index_vars: Vec<String>,
    /// LS `conditionals` (from `perRegion="true"` + `when*`).
    pub conditional: Option<Conditional>,
    /// LS `dynamic_labels`: `value` is a bare `$var` (letters/underscore) or `apiUrl` is set.
    pub dynamic_labels: bool,
}

/// LS `conditionals` of a per-region control.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conditional {
    /// `whenTagName`.
    Tag(String),
    /// `whenLabelValue`.
    Label(String),
    /// `whenChoiceValue`.
    Choice(String),
}

/// One label value of a control (from a `Label`, `Choice` or `Relation` element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// What results contain: `alias` if non-empty, else `value`, else `valueList`.
    pub value: String,
    /// The element's `value` attribute, if present.
    pub raw_value: Option<String>,
    /// The element's `alias` attribute, if present.
    pub alias: Option<String>,
    /// The `category` attribute (explicit COCO/YOLO class id, not validated here).
    pub category: Option<String>,
    /// The `model_index` attribute (keypoint order).
    pub model_index: Option<String>,
    /// The `background` attribute (colour).
    pub background: Option<String>,
    /// The element's tag: `Label`, `Choice` or `Relation`.
    pub tag: String,
    /// All attributes, in document order (LS `labels_attrs[value]`).
    pub attrs: Vec<(String, String)>,
}

/// An object (input) tag: `Image`, `Text`, `Audio`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The `name` attribute.
    pub name: String,
    /// The tag name (same rules as [`Control::tag`]).
    pub tag: String,
    /// The `value` attribute with leading `$`s stripped, if the attribute is present
    /// (even when empty, as LS does when `valueList` made it an object).
    pub value: Option<String>,
    /// The `valueList` attribute with leading `$`s stripped; only when `value` is absent.
    pub value_list: Option<String>,
    /// The `valueType` attribute.
    pub value_type: Option<String>,
}

impl Object {
    /// The task-data key this object reads (`value`, else `valueList`).
    pub fn data_key(&self) -> Option<&str> {
        self.value.as_deref().or(self.value_list.as_deref())
    }
}

impl Control {
    /// The value of attribute `key`, if present.
    pub fn attr(&self, key: &str) -> Option<&str> {
        attr(&self.attrs, key)
    }

    /// The regex LS builds for this control's name (each index variable replaced by `.*`),
    /// or `None` when the control has no index variables.
    pub fn name_pattern(&self) -> Option<String> {
        if self.index_vars.is_empty() {
            return None;
        }
        let mut pattern = self.name.clone();
        for var in &self.index_vars {
            pattern = pyre::py_replace(&pattern, var, ".*");
        }
        Some(pattern)
    }
}

impl Label {
    /// The value of attribute `key`, if present.
    pub fn attr(&self, key: &str) -> Option<&str> {
        attr(&self.attrs, key)
    }
}

pub(crate) fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl LabelConfig {
    /// No controls: `<View></View>`, an empty string, or a custom interface.
    /// LS then keeps every result of every annotation as is.
    pub fn is_empty(&self) -> bool {
        self.controls.is_empty()
    }

    /// The control named exactly `name`.
    pub fn control(&self, name: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.name == name)
    }

    /// The object named exactly `name`.
    pub fn object(&self, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The control a result's `from_name` belongs to, as LS's `_maybe_matching_tag_from_schema`:
    /// an exact name wins; otherwise, among controls with index variables, the longest
    /// [`Control::name_pattern`] (in characters; the first on ties) that Python's `re.match`
    /// accepts (anchored at the start only). A pattern Python would reject, or one using regex
    /// features this crate does not implement (look-around, back-references, possessive
    /// quantifiers, `\b`, inline flags), never matches (LS would raise for an invalid one).
    ///
    /// This compiles the patterns on each call: for one lookup per result use [`Self::matcher`].
    pub fn control_for(&self, from_name: &str) -> Option<&Control> {
        self.matcher().control_for(from_name)
    }

    /// A precomputed [`Self::control_for`] for hot loops.
    pub fn matcher(&self) -> ControlMatcher<'_> {
        let mut exact = HashMap::with_capacity(self.controls.len());
        let mut patterns = Vec::new();
        for c in &self.controls {
            exact.entry(c.name.as_str()).or_insert(c);
            if let Some(p) = c.name_pattern()
                && let Some(re) = pyre::Regex::new(&p)
            {
                patterns.push((c, p.chars().count(), re));
            }
        }
        ControlMatcher { exact, patterns }
    }

    /// LS `_data_keys`: the `value`/`valueList` keys of all controls' inputs, each once.
    /// LS builds it from a set (arbitrary order); here it is in document order of the objects.
    pub fn data_keys(&self) -> Vec<&str> {
        let used: HashSet<&str> = self
            .controls
            .iter()
            .flat_map(|c| c.inputs.iter().map(|i| i.name.as_str()))
            .collect();
        let mut seen = HashSet::new();
        self.objects
            .iter()
            .filter(|o| used.contains(o.name.as_str()))
            .filter_map(Object::data_key)
            .filter(|k| seen.insert(*k))
            .collect()
    }

    /// Every control's labels, in control order (input for LS `_get_labels`, which unions
    /// the values of all controls and reads the `category` attribute of each).
    pub fn labels(&self) -> impl Iterator<Item = (&Control, &Label)> {
        self.controls
            .iter()
            .flat_map(|c| c.labels.iter().map(move |l| (c, l)))
    }
}

/// [`LabelConfig::control_for`] with names indexed and patterns compiled once.
#[derive(Debug)]
pub struct ControlMatcher<'a> {
    exact: HashMap<&'a str, &'a Control>,
    /// Controls with a usable pattern, in control order, with the pattern length in chars.
    patterns: Vec<(&'a Control, usize, pyre::Regex)>,
}

impl<'a> ControlMatcher<'a> {
    /// See [`LabelConfig::control_for`].
    pub fn control_for(&self, from_name: &str) -> Option<&'a Control> {
        if let Some(c) = self.exact.get(from_name) {
            return Some(c);
        }
        let mut best: Option<(&'a Control, usize)> = None;
        for (c, len, re) in &self.patterns {
            if best.is_some_and(|(_, best_len)| *len <= best_len) {
                continue;
            }
            if re.is_prefix_match(from_name) {
                best = Some((c, *len));
            }
        }
        best.map(|(c, _)| c)
    }
}

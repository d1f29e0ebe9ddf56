//! Streaming parser: XML events -> [`LabelConfig`], following LS's server-side `parse_config`.
//!
//! One pass over quick-xml events with an explicit stack of open elements (no recursion).
//! Nothing is ever expanded or fetched: a DOCTYPE is skipped unread, and any reference other
//! than the five predefined entities or a character reference is an error.

use std::collections::{HashMap, HashSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::error::ConfigError;
use super::model::{Conditional, Control, Label, LabelConfig, Object};
use super::xml;
use super::{MAX_CONFIG_BYTES, MAX_DEPTH};

/// Element tags whose `value`/`alias` become labels of the enclosing control.
const LABEL_TAGS: [&str; 3] = ["Label", "Choice", "Relation"];
/// Elements with `name` and `toName` that LS does not treat as controls.
const NOT_CONTROL_TAGS: [&str; 1] = ["Filter"];

pub(super) fn parse_bytes(bytes: &[u8]) -> Result<LabelConfig, ConfigError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => parse_str(s),
        Err(e) => Err(ConfigError::InvalidUtf8 {
            offset: e.valid_up_to(),
        }),
    }
}

pub(super) fn parse_str(input: &str) -> Result<LabelConfig, ConfigError> {
    // LS: `if not config_string: return {}`
    if input.is_empty() {
        return Ok(LabelConfig::default());
    }
    if input.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            len: input.len(),
            limit: MAX_CONFIG_BYTES,
        });
    }
    if let Some((at, c)) = xml::find_bad_char(input) {
        return Err(ConfigError::malformed(
            at as u64,
            format!("character U+{:04X} is not allowed in XML", u32::from(c)),
        ));
    }
    let (base, body) = match input.strip_prefix('\u{FEFF}') {
        Some(rest) => (3u64, rest),
        None => (0u64, input),
    };
    let mut b = Builder::default();
    b.run(body, base)?;
    Ok(b.finish())
}

/// A control while parsing; `inputs` are resolved at the end.
struct Draft {
    control: Control,
    label_index: HashMap<String, usize>,
}

#[derive(Default)]
struct Builder {
    drafts: Vec<Draft>,
    draft_index: HashMap<String, usize>,
    objects: Vec<Object>,
    object_index: HashMap<String, usize>,
    /// `indexFlag` values in document order (LS never scopes them to the Repeater).
    variables: Vec<String>,
    /// The `name` attribute of each open element, root first.
    stack: Vec<Option<String>>,
    ns: NsScope,
    ns_diag: NsDiag,
}

/// Where we are relative to the root element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Prolog,
    InRoot,
    Epilog,
}

impl Builder {
    fn run(&mut self, body: &str, base: u64) -> Result<(), ConfigError> {
        let mut reader = Reader::from_str(body);
        reader.config_mut().check_comments = true;
        reader.config_mut().check_end_names = true;
        let mut phase = Phase::Prolog;
        let mut first_event = true;
        let mut seen_doctype = false;
        loop {
            let at = base + reader.buffer_position();
            if phase == Phase::Epilog {
                // libxml2's xmlParseMisc: only blanks, comments and PIs may follow the root
                let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                let rest = body.get(pos..).unwrap_or("");
                let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
                if !trimmed.is_empty() && !trimmed.starts_with("<!--") && !trimmed.starts_with("<?")
                {
                    if self.ns_diag.seen_error {
                        // quirk: after a namespace error libxml2 stops here without failing
                        return self.ns_diag.outcome();
                    }
                    let at = at + (rest.len() - trimmed.len()) as u64;
                    return Err(ConfigError::malformed(
                        at,
                        "extra content at the end of the document",
                    ));
                }
            }
            let event = reader.read_event().map_err(|e| {
                ConfigError::malformed(base + reader.error_position(), e.to_string())
            })?;
            let is_first = std::mem::replace(&mut first_event, false);
            match event {
                Event::Start(_) | Event::Empty(_) if phase == Phase::Epilog => {
                    return Err(ConfigError::malformed(
                        at,
                        "extra content at the end of the document",
                    ));
                }
                Event::Start(e) => {
                    let name = self.element(&e, at)?;
                    self.stack.push(name);
                    phase = Phase::InRoot;
                }
                Event::Empty(e) => {
                    self.element(&e, at)?;
                    self.ns.close();
                    if self.stack.is_empty() {
                        phase = Phase::Epilog;
                    }
                }
                Event::End(_) => {
                    self.ns.close();
                    if self.stack.pop().is_none() {
                        return Err(ConfigError::malformed(at, "unexpected end tag"));
                    }
                    if self.stack.is_empty() {
                        phase = Phase::Epilog;
                    }
                }
                Event::Text(t) => {
                    let blank = t.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
                    if phase != Phase::InRoot && !blank {
                        return Err(ConfigError::malformed(at, content_outside_root(phase)));
                    }
                    if let Some(i) = t.find("]]>") {
                        return Err(ConfigError::malformed(
                            at + i as u64,
                            "']]>' is not allowed in content",
                        ));
                    }
                }
                Event::GeneralRef(r) => {
                    if phase != Phase::InRoot {
                        return Err(ConfigError::malformed(at, content_outside_root(phase)));
                    }
                    xml::resolve_reference(&r).map_err(|m| ConfigError::malformed(at, m))?;
                }
                Event::CData(_) => {
                    if phase != Phase::InRoot {
                        return Err(ConfigError::malformed(at, content_outside_root(phase)));
                    }
                }
                Event::Decl(d) => {
                    if !is_first || at != base {
                        return Err(ConfigError::malformed(
                            at,
                            "XML declaration allowed only at the start of the document",
                        ));
                    }
                    check_decl(&d).map_err(|m| ConfigError::malformed(at, m))?;
                }
                Event::PI(pi) => {
                    let target = pi.target();
                    if target.eq_ignore_ascii_case("xml") || !xml::is_name(target) {
                        return Err(ConfigError::malformed(
                            at,
                            "invalid processing instruction name",
                        ));
                    }
                }
                Event::DocType(_) => {
                    if phase != Phase::Prolog || seen_doctype {
                        return Err(ConfigError::malformed(at, "misplaced DOCTYPE declaration"));
                    }
                    seen_doctype = true;
                }
                Event::Comment(_) => {}
                Event::Eof => {
                    return match phase {
                        Phase::Prolog => Err(ConfigError::malformed(
                            at,
                            "no root element (start tag expected)",
                        )),
                        Phase::InRoot => Err(ConfigError::malformed(
                            at,
                            "premature end of data: unclosed element",
                        )),
                        Phase::Epilog => self.ns_diag.outcome(),
                    };
                }
            }
        }
    }

    /// Handles a start or empty element tag (its position is `at`): LS's per-element step.
    /// Returns the element's `name` attribute.
    fn element(&mut self, e: &BytesStart<'_>, at: u64) -> Result<Option<String>, ConfigError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ConfigError::TooDeep {
                offset: at,
                limit: MAX_DEPTH,
            });
        }
        check_tag_syntax(e, at)?;
        self.ns.open();
        check_ns_decls(e, at, &mut self.ns, &mut self.ns_diag)?;
        let tag = expanded(&self.ns, e.name().as_ref(), true, at, &mut self.ns_diag);
        let attrs = attributes(&self.ns, e, at, &mut self.ns_diag)?;
        let get = |k: &str| super::model::attr(&attrs, k);
        let truthy = |k: &str| get(k).filter(|v| !v.is_empty());
        let name_attr = get("name").map(str::to_string);

        if let Some(flag) = get("indexFlag") {
            self.variables.push(flag.to_string());
        }

        let control_names = (truthy("name"), truthy("toName"));
        if let (Some(name), Some(to_name)) = control_names
            && !NOT_CONTROL_TAGS.contains(&tag.as_str())
        {
            let to_name: Vec<String> = to_name.split(',').map(str::to_string).collect();
            let mut index_vars: Vec<String> = Vec::new();
            for v in &self.variables {
                if to_name.iter().any(|t| t.contains(v.as_str())) && !index_vars.contains(v) {
                    index_vars.push(v.clone());
                }
            }
            let conditional = if get("perRegion") == Some("true") {
                if let Some(n) = truthy("whenTagName") {
                    Some(Conditional::Tag(n.to_string()))
                } else if let Some(n) = truthy("whenLabelValue") {
                    Some(Conditional::Label(n.to_string()))
                } else {
                    truthy("whenChoiceValue").map(|n| Conditional::Choice(n.to_string()))
                }
            } else {
                None
            };
            let dynamic_labels =
                has_variable(get("value").unwrap_or("")) || truthy("apiUrl").is_some();
            let control = Control {
                name: name.to_string(),
                tag: tag.clone(),
                to_name,
                inputs: Vec::new(),
                labels: Vec::new(),
                attrs: attrs.clone(),
                index_vars,
                conditional,
                dynamic_labels,
            };
            self.upsert_control(control);
        } else if let Some(name) = truthy("name")
            && (truthy("value").is_some() || truthy("valueList").is_some())
        {
            let strip = |v: &str| v.trim_start_matches('$').to_string();
            let value = get("value").map(strip);
            let value_list = match value {
                Some(_) => None,
                None => get("valueList").map(strip),
            };
            let object = Object {
                name: name.to_string(),
                tag: tag.clone(),
                value,
                value_list,
                value_type: get("valueType").map(str::to_string),
            };
            match self.object_index.get(name) {
                Some(&i) => {
                    if let Some(slot) = self.objects.get_mut(i) {
                        *slot = object;
                    }
                }
                None => {
                    self.object_index
                        .insert(name.to_string(), self.objects.len());
                    self.objects.push(object);
                }
            }
        }

        if LABEL_TAGS.contains(&tag.as_str()) {
            let value = truthy("alias")
                .or_else(|| truthy("value"))
                .or_else(|| truthy("valueList"))
                .map(str::to_string);
            if let (Some(di), Some(value)) = (self.enclosing_control(), value) {
                let label = Label {
                    value: value.clone(),
                    raw_value: get("value").map(str::to_string),
                    alias: get("alias").map(str::to_string),
                    category: get("category").map(str::to_string),
                    model_index: get("model_index").map(str::to_string),
                    background: get("background").map(str::to_string),
                    tag,
                    attrs,
                };
                if let Some(d) = self.drafts.get_mut(di) {
                    match d.label_index.get(&value) {
                        Some(&li) => {
                            if let Some(slot) = d.control.labels.get_mut(li) {
                                *slot = label;
                            }
                        }
                        None => {
                            d.label_index.insert(value, d.control.labels.len());
                            d.control.labels.push(label);
                        }
                    }
                }
            }
        }
        Ok(name_attr)
    }

    /// LS `_get_parent_output_tag_name`: the nearest ancestor whose `name` is the name of a
    /// control seen so far (it need not be that control element itself).
    fn enclosing_control(&self) -> Option<usize> {
        self.stack
            .iter()
            .rev()
            .flatten()
            .find_map(|n| self.draft_index.get(n).copied())
    }

    /// LS keeps a dict keyed by name: a redefinition replaces the entry in place; the labels,
    /// kept in a separate dict keyed by name, survive.
    fn upsert_control(&mut self, control: Control) {
        match self.draft_index.get(&control.name) {
            Some(&i) => {
                if let Some(d) = self.drafts.get_mut(i) {
                    let labels = std::mem::take(&mut d.control.labels);
                    d.control = Control { labels, ..control };
                }
            }
            None => {
                self.draft_index
                    .insert(control.name.clone(), self.drafts.len());
                self.drafts.push(Draft {
                    control,
                    label_index: HashMap::new(),
                });
            }
        }
    }

    fn finish(self) -> LabelConfig {
        let objects = self.objects;
        let object_index = self.object_index;
        let controls = self
            .drafts
            .into_iter()
            .map(|d| {
                let mut c = d.control;
                c.inputs = c
                    .to_name
                    .iter()
                    .filter_map(|n| object_index.get(n).and_then(|&i| objects.get(i)).cloned())
                    .collect();
                c
            })
            .collect();
        LabelConfig { controls, objects }
    }
}

fn content_outside_root(phase: Phase) -> &'static str {
    match phase {
        Phase::Prolog => "start tag expected, content found before the root element",
        _ => "extra content at the end of the document",
    }
}

/// libxml2's non-fatal namespace diagnostics. lxml rejects the document only when the *last*
/// diagnostic of the parse is an error, so a later warning ("xmlns: URI .. is not absolute")
/// forgives an earlier namespace error. `pending` is the first error since the last warning.
/// Also, once any namespace error happened, libxml2 ignores extra content after the root.
#[derive(Default)]
struct NsDiag {
    pending: Option<(u64, String)>,
    seen_error: bool,
}

impl NsDiag {
    fn outcome(&mut self) -> Result<(), ConfigError> {
        match self.pending.take() {
            Some((at, message)) => Err(ConfigError::malformed(at, message)),
            None => Ok(()),
        }
    }

    fn error(&mut self, at: u64, message: String) {
        self.seen_error = true;
        if self.pending.is_none() {
            self.pending = Some((at, message));
        }
    }

    fn warning(&mut self) {
        self.pending = None;
    }
}

/// The XML namespace, bound to `xml:` without a declaration.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// In-scope namespace declarations (prefix `None` = default namespace), innermost last.
#[derive(Default)]
struct NsScope {
    bindings: Vec<(Option<String>, String)>,
    marks: Vec<usize>,
}

impl NsScope {
    fn open(&mut self) {
        self.marks.push(self.bindings.len());
    }

    fn close(&mut self) {
        if let Some(m) = self.marks.pop() {
            self.bindings.truncate(m);
        }
    }

    fn bind(&mut self, prefix: Option<&str>, uri: String) {
        self.bindings.push((prefix.map(str::to_string), uri));
    }

    /// The URI of `prefix` (`None`: the default namespace), `None` if undeclared.
    fn lookup(&self, prefix: Option<&str>) -> Option<&str> {
        if prefix == Some("xml") {
            return Some(XML_NS);
        }
        self.bindings
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, uri)| uri.as_str())
    }
}

/// lxml's name for an element (`element`) or attribute: `local` or `{namespace}local`; for an
/// undeclared prefix or a malformed QName, the name as written (and a namespace error).
fn expanded(ns: &NsScope, qname: &str, element: bool, at: u64, diag: &mut NsDiag) -> String {
    let mut parts = qname.split(':');
    let (prefix, local) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), None, _) if !l.is_empty() => (None, l),
        (Some(p), Some(l), None) if !p.is_empty() && !l.is_empty() => (Some(p), l),
        _ => {
            diag.error(at, format!("failed to parse QName {qname:?}"));
            return qname.to_string();
        }
    };
    if prefix.is_none() && !element {
        return local.to_string();
    }
    match ns.lookup(prefix) {
        Some(uri) if !uri.is_empty() => format!("{{{uri}}}{local}"),
        Some(_) => local.to_string(),
        None if prefix.is_none() => local.to_string(),
        None => {
            diag.error(
                at,
                format!(
                    "namespace prefix {:?} of {qname:?} is not defined",
                    prefix.unwrap_or("")
                ),
            );
            qname.to_string()
        }
    }
}

/// Namespace declarations of a start tag, checked and bound like libxml2 (in attribute
/// order): an empty `xmlns:p=""` is an error and is not bound; an invalid URI is an error
/// but is bound; a relative default namespace is a warning.
fn check_ns_decls(
    e: &BytesStart<'_>,
    at: u64,
    ns: &mut NsScope,
    diag: &mut NsDiag,
) -> Result<(), ConfigError> {
    for a in e.attributes().with_checks(true) {
        let a = a.map_err(|err| ConfigError::malformed(at, format!("bad attribute: {err}")))?;
        let key = a.key.as_ref();
        let prefix = match key.strip_prefix("xmlns") {
            Some("") => None,
            Some(rest) => match rest.strip_prefix(':') {
                Some(p) => Some(p),
                None => continue,
            },
            None => continue,
        };
        let uri = xml::normalize_attr(&a.value).map_err(|(_, m)| ConfigError::malformed(at, m))?;
        match (prefix, uri.is_empty(), xml::uri_kind(&uri)) {
            (None, true, _) => {}
            (Some(_), true, _) => {
                diag.error(at, format!("{key}: empty XML namespace is not allowed"));
                continue;
            }
            (_, false, None) => diag.error(at, format!("{key}: {uri:?} is not a valid URI")),
            (None, false, Some(false)) => diag.warning(), // "xmlns: URI .. is not absolute"
            _ => {}
        }
        if matches!(prefix, Some("xml" | "xmlns")) {
            continue;
        }
        ns.bind(prefix, uri);
    }
    Ok(())
}

/// The element's attributes as lxml's `attrib` dict: expanded names, normalised values,
/// namespace declarations left out. A literal duplicate is fatal; two prefixes for one
/// namespace URI are a namespace error (the first value is kept).
fn attributes(
    ns: &NsScope,
    e: &BytesStart<'_>,
    at: u64,
    diag: &mut NsDiag,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for a in e.attributes().with_checks(true) {
        let a = a.map_err(|err| ConfigError::malformed(at, format!("bad attribute: {err}")))?;
        let key = a.key.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let name = expanded(ns, key, false, at, diag);
        let value =
            xml::normalize_attr(&a.value).map_err(|(_, m)| ConfigError::malformed(at, m))?;
        if !seen.insert(name.clone()) {
            diag.error(at, format!("namespaced attribute {name:?} redefined"));
            continue;
        }
        out.push((name, value));
    }
    Ok(out)
}

/// Lexical checks of a start tag that are fatal in libxml2.
fn check_tag_syntax(e: &BytesStart<'_>, at: u64) -> Result<(), ConfigError> {
    let qname = e.name();
    if !xml::is_name(qname.as_ref()) {
        return Err(ConfigError::malformed(
            at,
            format!("invalid element name {:?}", qname.as_ref()),
        ));
    }
    if !xml::attrs_separated(e.attributes_raw()) {
        return Err(ConfigError::malformed(
            at,
            "attributes must be separated by whitespace",
        ));
    }
    for a in e.attributes().with_checks(true) {
        let a = a.map_err(|err| ConfigError::malformed(at, format!("bad attribute: {err}")))?;
        if !xml::is_name(a.key.as_ref()) {
            return Err(ConfigError::malformed(
                at,
                format!("invalid attribute name {:?}", a.key.as_ref()),
            ));
        }
    }
    Ok(())
}

/// The XML declaration as libxml2 accepts it: `version="1.x"`, then optionally `encoding`
/// and `standalone="yes|no"`, in that order. (lxml refuses `encoding` for a Python `str`;
/// it is accepted here.)
fn check_decl(d: &quick_xml::events::BytesDecl<'_>) -> Result<(), String> {
    let version = d.version().map_err(|e| e.to_string())?;
    let ok_version = version
        .strip_prefix("1.")
        .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()));
    if !ok_version {
        return Err(format!("unsupported XML version {version:?}"));
    }
    let content = BytesStart::from_content(d.as_ref(), 3);
    if !xml::attrs_separated(content.attributes_raw()) {
        return Err("XML declaration attributes must be separated by whitespace".into());
    }
    let mut expect = ["encoding", "standalone"].iter();
    for a in content.attributes().with_checks(true).skip(1) {
        let a = a.map_err(|e| format!("bad XML declaration: {e}"))?;
        let key = a.key.as_ref();
        if !expect.any(|k| *k == key) {
            return Err(format!("parsing XML declaration: unexpected {key:?}"));
        }
        let v = a.value.as_ref();
        let valid = match key {
            "standalone" => v == "yes" || v == "no",
            _ => {
                v.starts_with(|c: char| c.is_ascii_alphabetic())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            }
        };
        if !valid {
            return Err(format!("bad {key} value {v:?} in XML declaration"));
        }
    }
    Ok(())
}

/// LS `has_variable`: the whole value is `$` followed by ASCII letters or `_` (no digits).
fn has_variable(v: &str) -> bool {
    v.strip_prefix('$').is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
    })
}

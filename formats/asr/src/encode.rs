//! The parallel half: per task, the manifest lines (without their audio names, which the
//! writer assigns in input order).

use crate::audio::{LsKind, Reader, file_name, ls_kind};
use crate::wav::Strictness;
use exportkit_core::exporter::Warning;
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::model::{self, Annotation, Region};
use exportkit_core::options::Pick;
use exportkit_core::resources::Source;
use exportkit_core::task::{Item, pick_items};
use exportkit_core::{Result, Schema, TaskRecord};
use serde_json::value::RawValue;

/// A line's transcript.
#[derive(Debug)]
pub(crate) enum Transcript {
    /// JSON bytes of the `text` value.
    Own(Vec<u8>),
    /// Compat: the item has no output; Label Studio reuses the previous line's transcript.
    Previous,
    /// Compat: no line, but Label Studio copied the audio before failing to read it.
    CopyOnly,
}

/// Where the audio goes.
#[derive(Debug)]
pub(crate) enum Place {
    /// Compat: `audio/<name>`, Label Studio's name (`http`: renamed by the writer when taken).
    Named { name: String, http: bool },
    /// Compat local-files: copied as `audio/<name>`, listed by its local path.
    Absolute { name: String, path: String },
    /// Clean: the writer picks a unique name for the URL.
    Unique,
}

/// One manifest line.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) task_index: u64,
    pub(crate) task_id: Option<String>,
    pub(crate) url: String,
    pub(crate) place: Place,
    /// JSON bytes of the duration.
    pub(crate) duration: Vec<u8>,
    pub(crate) text: Transcript,
    /// JSON bytes of the annotator.
    pub(crate) annotator: Vec<u8>,
}

/// The encoder's settings.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) compat: bool,
    pub(crate) data_key: String,
    pub(crate) pick: Pick,
    pub(crate) style: JsonStyle,
}

fn json(style: JsonStyle, f: impl FnOnce(&mut JsonWriter<'_>)) -> Vec<u8> {
    let mut buf = Vec::new();
    f(&mut JsonWriter::new(&mut buf, style));
    buf
}

fn raw_json(style: JsonStyle, raw: &RawValue) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    JsonWriter::new(&mut buf, style).raw_value(raw.get()).ok()?;
    Some(buf)
}

/// `get_annotator(item, default="")`: an expanded user's `email`, else `str(completed_by)`.
fn annotator(ann: Option<&Annotation<'_>>, style: JsonStyle, compat: bool) -> Vec<u8> {
    let raw = ann.and_then(|a| a.completed_by);
    let Some(raw) = raw else {
        return json(style, |w| {
            w.str_value("");
        });
    };
    let text = raw.get();
    if text.starts_with('{') {
        let email = model::RawObject::parse(raw)
            .ok()
            .and_then(|o| o.get("email"));
        return match email {
            Some(e) if compat || model::as_str(e).is_some() => raw_json(style, e),
            _ => None,
        }
        .unwrap_or_else(|| {
            json(style, |w| {
                w.str_value("");
            })
        });
    }
    let s = match text {
        _ if text.starts_with('"') => model::as_str(raw).map(|s| s.into_owned()),
        "null" if compat => Some("None".into()),
        "null" => Some(String::new()),
        "true" => Some("True".into()),
        "false" => Some("False".into()),
        _ => Some(text.to_owned()),
    }
    .unwrap_or_default();
    json(style, |w| {
        w.str_value(&s);
    })
}

/// The first region's `value`.
fn first_value<'x>(regions: &[&'x Region<'_>]) -> Option<&'x model::RawObject<'x>> {
    regions.first().and_then(|r| r.value.as_ref())
}

/// Compat: `texts[0]["text"][0]` of the first output whose first value has `text` (else of the
/// last output, which Label Studio then fails on).
fn compat_text(item: &Item<'_, '_>, style: JsonStyle) -> std::result::Result<Transcript, String> {
    if item.outputs.is_empty() {
        return Ok(Transcript::Previous);
    }
    let group = item
        .outputs
        .iter()
        .find(|g| first_value(&g.regions).is_some_and(|v| v.get("text").is_some()));
    let crash = || "its transcript is not a list of texts (Label Studio crashes)".to_owned();
    let text = group
        .and_then(|g| first_value(&g.regions))
        .and_then(|v| v.get("text"))
        .ok_or_else(crash)?;
    if let Some(s) = model::as_str(text) {
        let first: String = s.chars().take(1).collect();
        if first.is_empty() {
            return Err(crash());
        }
        return Ok(Transcript::Own(json(style, |w| {
            w.str_value(&first);
        })));
    }
    let list: Vec<&RawValue> = serde_json::from_str(text.get()).map_err(|_| crash())?;
    let first = list.first().ok_or_else(crash)?;
    raw_json(style, first)
        .map(Transcript::Own)
        .ok_or_else(crash)
}

/// Clean: the texts of the first `TextArea` output with any, joined by a space.
fn clean_text(item: &Item<'_, '_>, style: JsonStyle) -> Option<Vec<u8>> {
    for g in &item.outputs {
        if !g.control_type.eq_ignore_ascii_case("textarea") {
            continue;
        }
        for r in &g.regions {
            let Some(raw) = r.value.as_ref().and_then(|v| v.get("text")) else {
                continue;
            };
            let parts: Vec<String> = match model::as_str(raw) {
                Some(s) => vec![s.into_owned()],
                None => serde_json::from_str::<Vec<&RawValue>>(raw.get())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| model::as_str(v).map(|s| s.into_owned()))
                    .collect(),
            };
            let text = parts
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if !text.is_empty() {
                return Some(json(style, |w| {
                    w.str_value(&text);
                }));
            }
        }
    }
    None
}

impl Settings {
    /// The lines of one task.
    pub(crate) fn encode_task(
        &self,
        rec: &TaskRecord<'_>,
        schema: &Schema<'_>,
        reader: &mut Reader<'_>,
        lines: &mut Vec<Line>,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let items = rec.items(schema)?;
        if self.compat {
            if !items.is_empty() {
                self.compat_task(rec, &items, reader, lines, warnings);
            }
            return Ok(());
        }
        let items = pick_items(rec, items, self.pick);
        let texts: Vec<(Vec<u8>, &Item<'_, '_>)> = items
            .iter()
            .filter_map(|i| clean_text(i, self.style).map(|t| (t, i)))
            .collect();
        if texts.is_empty() {
            warnings.push(Warning::new(rec, "task skipped: no transcript"));
            return Ok(());
        }
        let Some(url) = self.url(rec) else {
            warnings.push(Warning::new(
                rec,
                format!("task skipped: data.{} is not a string", self.data_key),
            ));
            return Ok(());
        };
        let id = rec.id_text();
        let found = reader
            .locate(&url, id.as_deref())
            .and_then(|s| reader.read(&url, id.as_deref(), s, Strictness::Lenient));
        let found = match found {
            Ok(f) => f,
            Err(e) => {
                warnings.push(Warning::new(rec, format!("task skipped: {e}")));
                return Ok(());
            }
        };
        let duration = json(self.style, |w| {
            w.f64_value(found.duration);
        });
        for (text, item) in texts {
            lines.push(Line {
                task_index: rec.index,
                task_id: id.clone(),
                url: url.clone(),
                place: Place::Unique,
                duration: duration.clone(),
                text: Transcript::Own(text),
                annotator: annotator(item.annotation, self.style, false),
            });
        }
        Ok(())
    }

    fn url(&self, rec: &TaskRecord<'_>) -> Option<String> {
        rec.task
            .data
            .as_ref()
            .and_then(|d| d.get(&self.data_key))
            .and_then(model::as_str)
            .map(|s| s.into_owned())
    }

    fn compat_task(
        &self,
        rec: &TaskRecord<'_>,
        items: &[Item<'_, '_>],
        reader: &mut Reader<'_>,
        lines: &mut Vec<Line>,
        warnings: &mut Vec<Warning>,
    ) {
        let skip = |warnings: &mut Vec<Warning>, why: String| {
            warnings.push(Warning::new(rec, format!("task skipped: {why}")));
        };
        let Some(url) = self.url(rec) else {
            return skip(warnings, format!("data.{} is not a string", self.data_key));
        };
        let id = rec.id_text();
        let kind = ls_kind(&url);
        let source = match reader.locate(&url, id.as_deref()) {
            Ok(s) => s,
            Err(e) => return skip(warnings, e),
        };
        let place = match (&kind, &source) {
            (LsKind::Upload(name), Source::Local(_)) => Place::Named {
                name: name.clone(),
                http: false,
            },
            (LsKind::LocalFiles, Source::Local(p)) => Place::Absolute {
                name: file_name(p),
                path: p.to_string_lossy().into_owned(),
            },
            (LsKind::Http(name), Source::Remote { .. })
                if url.starts_with("http://") || url.starts_with("https://") =>
            {
                Place::Named {
                    name: name.clone(),
                    http: true,
                }
            }
            _ => {
                return skip(
                    warnings,
                    format!(
                        "audio {}: Label Studio reads only uploads, local files and http(s) here",
                        exportkit_core::resources::redact(&url)
                    ),
                );
            }
        };
        let found = match reader.read(&url, id.as_deref(), source, Strictness::Python) {
            Ok(f) => f,
            Err(e) => {
                // Label Studio copies the file before it reads the header.
                lines.push(Line {
                    task_index: rec.index,
                    task_id: id,
                    url,
                    place,
                    duration: Vec::new(),
                    text: Transcript::CopyOnly,
                    annotator: Vec::new(),
                });
                return skip(warnings, e);
            }
        };
        let duration = json(self.style, |w| {
            w.f64_value(found.duration);
        });
        for item in items {
            let text = match compat_text(item, self.style) {
                Ok(t) => t,
                Err(why) => {
                    warnings.push(Warning::new(rec, format!("line skipped: {why}")));
                    continue;
                }
            };
            let place = match &place {
                Place::Named { name, http } => Place::Named {
                    name: name.clone(),
                    http: *http,
                },
                Place::Absolute { name, path } => Place::Absolute {
                    name: name.clone(),
                    path: path.clone(),
                },
                Place::Unique => Place::Unique,
            };
            lines.push(Line {
                task_index: rec.index,
                task_id: id.clone(),
                url: url.clone(),
                place,
                duration: duration.clone(),
                text,
                annotator: annotator(item.annotation, self.style, true),
            });
        }
    }
}

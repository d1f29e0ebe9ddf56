//! Clean mode: valid BIO for the picked annotation of every task.

use crate::compat::write_block;
use crate::words::Words;
use exportkit_core::exporter::Warning;
use exportkit_core::model::{self, Region};
use exportkit_core::options::Pick;
use exportkit_core::task::pick_items;
use exportkit_core::{Result, Schema, TaskRecord};

/// A span kept for tagging, in characters.
#[derive(Debug, Clone)]
struct Span {
    start: usize,
    end: usize,
    label: String,
}

/// The clean encoder's settings.
#[derive(Debug)]
pub(crate) struct Clean {
    pub(crate) data_key: String,
    pub(crate) pick: Pick,
    pub(crate) words: Words,
}

/// A whole, non-negative number of characters.
fn offset(v: Option<&serde_json::value::RawValue>) -> Option<usize> {
    let f = v.and_then(model::as_f64)?;
    (f >= 0.0 && f.fract() == 0.0 && f < 1e15).then_some(f as usize)
}

/// The label of a span: the first of `labels`, white space replaced by `_` so that the line
/// keeps its four columns.
fn label(r: &Region<'_>, rec: &TaskRecord<'_>, warnings: &mut Vec<Warning>) -> Option<String> {
    let raw = r.value.as_ref().and_then(|v| v.get("labels"))?;
    let list: Vec<&serde_json::value::RawValue> = serde_json::from_str(raw.get()).ok()?;
    let names: Vec<String> = list
        .iter()
        .filter_map(|l| model::as_str(l))
        .map(|s| {
            s.chars()
                .map(|c| if c.is_whitespace() { '_' } else { c })
                .collect()
        })
        .filter(|s: &String| !s.is_empty())
        .collect();
    let first = names.first()?.clone();
    if names.len() > 1 {
        warnings.push(Warning::new(
            rec,
            format!(
                "span with several labels ({}): tagged {first}",
                names.join(", ")
            ),
        ));
    }
    Some(first)
}

fn describe(s: &Span) -> String {
    format!("{} [{}, {})", s.label, s.start, s.end)
}

/// The spans of the picked items, overlaps resolved: sorted by start, then longer first, then
/// input order; a span overlapping one already kept is dropped with a warning.
fn spans(
    regions: &[&Region<'_>],
    len: usize,
    rec: &TaskRecord<'_>,
    warnings: &mut Vec<Warning>,
) -> Vec<Span> {
    let mut all = Vec::new();
    for r in regions {
        let v = r.value.as_ref();
        let (Some(start), Some(end)) = (
            offset(v.and_then(|v| v.get("start"))),
            offset(v.and_then(|v| v.get("end"))),
        ) else {
            warnings.push(Warning::new(
                rec,
                "span without character offsets (start/end) skipped",
            ));
            continue;
        };
        let Some(label) = label(r, rec, warnings) else {
            warnings.push(Warning::new(rec, "span without a label skipped"));
            continue;
        };
        let end = end.min(len);
        if start >= end {
            warnings.push(Warning::new(
                rec,
                format!("empty span {label} [{start}, {end}) skipped"),
            ));
            continue;
        }
        all.push(Span { start, end, label });
    }
    all.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Span> = Vec::with_capacity(all.len());
    for s in all {
        match kept.last() {
            Some(k) if s.start < k.end => warnings.push(Warning::new(
                rec,
                format!("span {} overlaps {}: dropped", describe(&s), describe(k)),
            )),
            _ => kept.push(s),
        }
    }
    kept
}

/// BIO tags: a token overlapping a span is tagged with it (`B-` on the span's first token);
/// a token touching two spans goes to the first.
fn tags(
    tokens: &[(usize, usize)],
    spans: &[Span],
    rec: &TaskRecord<'_>,
    warnings: &mut Vec<Warning>,
) -> Vec<Option<String>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut k = 0;
    let mut started = false;
    let no_token = |s: &Span, warnings: &mut Vec<Warning>| {
        warnings.push(Warning::new(
            rec,
            format!(
                "span {} covers no token of its own: not tagged",
                describe(s)
            ),
        ));
    };
    for &(ts, te) in tokens {
        while let Some(s) = spans.get(k).filter(|s| s.end <= ts) {
            if !started {
                no_token(s, warnings);
            }
            k += 1;
            started = false;
        }
        match spans.get(k) {
            Some(s) if s.start < te => {
                out.push(Some(format!(
                    "{}-{}",
                    if started { "I" } else { "B" },
                    s.label
                )));
                started = true;
                // A span ending inside this token is done: the next token starts a new one.
                if s.end <= te {
                    k += 1;
                    started = false;
                }
            }
            _ => out.push(None),
        }
    }
    for s in spans.get(k..).unwrap_or_default() {
        if !started {
            no_token(s, warnings);
        }
        started = false;
    }
    out
}

impl Clean {
    /// Writes one block for the task (the picked annotation; `Pick::All` merges them).
    pub(crate) fn encode_task(
        &self,
        rec: &TaskRecord<'_>,
        schema: &Schema<'_>,
        out: &mut Vec<u8>,
        warnings: &mut Vec<Warning>,
    ) -> Result<u64> {
        let text = rec
            .task
            .data
            .as_ref()
            .and_then(|d| d.get(&self.data_key))
            .and_then(model::as_str);
        let Some(text) = text else {
            warnings.push(Warning::new(
                rec,
                format!("task skipped: data.{} is not a string", self.data_key),
            ));
            return Ok(0);
        };
        let tokens = self.words.tokens(&text);
        if tokens.is_empty() {
            warnings.push(Warning::new(rec, "task skipped: its text has no tokens"));
            return Ok(0);
        }
        let items = pick_items(rec, rec.items(schema)?, self.pick);
        let regions: Vec<&Region<'_>> = items
            .iter()
            .flat_map(|i| &i.outputs)
            .filter(|g| g.control_type.eq_ignore_ascii_case("labels"))
            .flat_map(|g| g.regions.iter().copied())
            .collect();
        let len = text.chars().count();
        let spans = spans(&regions, len, rec, warnings);
        let tags = tags(&tokens, &spans, rec, warnings);
        write_block(&text, &tokens, &tags, out);
        Ok(1)
    }
}

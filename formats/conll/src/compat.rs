//! `--compat label-studio`: label-studio-sdk 2.1.2's `convert_to_conll2003` and
//! `create_tokens_and_tags`, quirks included (ls-converter.md §6.4).

use crate::treebank::Treebank;
use exportkit_core::exporter::Warning;
use exportkit_core::model::{self, Region};
use exportkit_core::{Result, Schema, TaskRecord};
use serde_json::value::RawValue;

/// One span as Label Studio's tagger reads it.
struct Span {
    start: f64,
    /// `end - 1`.
    last: f64,
    /// `labels[0]`, or `None` when `labels` is missing or empty.
    label: Option<String>,
}

/// Why a task cannot be written the way Label Studio writes it.
enum Spans {
    /// Every span has `start` and `end`.
    Tagged(Vec<Span>),
    /// Some span lacks `start`/`end` (or there are none): every tag is `O`.
    AllO,
}

fn num(raw: Option<&RawValue>) -> std::result::Result<Option<f64>, ()> {
    if model::is_null(raw) {
        return Ok(None);
    }
    raw.and_then(model::as_f64).map(Some).ok_or(())
}

/// `labels[0]` as Python formats it; `Err` where Python raises.
fn first_label(raw: Option<&RawValue>) -> std::result::Result<Option<String>, ()> {
    if !model::truthy(raw) {
        return Ok(None);
    }
    let Some(raw) = raw else { return Ok(None) };
    if let Some(s) = model::as_str(raw) {
        return Ok(s.chars().next().map(String::from));
    }
    if raw.get().starts_with('[') {
        let list: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| ())?;
        let first = list.first().ok_or(())?;
        return match model::as_str(first) {
            Some(s) => Ok(Some(s.into_owned())),
            None if first
                .get()
                .starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) =>
            {
                Ok(Some(first.get().to_owned()))
            }
            None => Err(()),
        };
    }
    Err(())
}

fn spans(regions: &[&Region<'_>]) -> std::result::Result<Spans, String> {
    let mut out = Vec::with_capacity(regions.len());
    let mut all_have_offsets = true;
    for r in regions {
        let v = r.value.as_ref();
        let start = num(v.and_then(|v| v.get("start")));
        let end = num(v.and_then(|v| v.get("end")));
        match (start, end) {
            (Ok(Some(start)), Ok(Some(end))) => {
                let label = first_label(v.and_then(|v| v.get("labels")))
                    .map_err(|()| "a span's labels are not a list of strings".to_owned())?;
                out.push(Span {
                    start,
                    last: end - 1.0,
                    label,
                });
            }
            (Ok(_), Ok(_)) => all_have_offsets = false,
            _ => return Err("a span's start or end is not a number".to_owned()),
        }
    }
    if !all_have_offsets || out.is_empty() {
        return Ok(Spans::AllO);
    }
    // Python's sort is stable; `start` values are numbers.
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(Spans::Tagged(out))
}

/// Label Studio's BIO loop over `(token_start, token_len)` in characters.
fn tags(tokens: &[(usize, usize)], spans: Vec<Span>) -> Vec<Option<String>> {
    let mut spans = spans.into_iter();
    let Some(mut span) = spans.next() else {
        return vec![None; tokens.len()];
    };
    let mut prefix = "B-";
    let mut out = Vec::with_capacity(tokens.len());
    for &(start, end) in tokens {
        let token_start = start as f64;
        let token_end = end as f64 - 1.0;
        if token_start > span.last {
            for next in spans.by_ref() {
                span = next;
                prefix = "B-";
                if token_start <= span.last {
                    break;
                }
            }
        }
        match &span.label {
            Some(label) if token_end >= span.start && span.last >= token_start => {
                out.push(Some(format!("{prefix}{label}")));
                prefix = "I-";
            }
            _ => out.push(None),
        }
    }
    out
}

/// Writes every item of a task (one block per kept annotation, newest first).
pub(crate) fn encode_task(
    rec: &TaskRecord<'_>,
    schema: &Schema<'_>,
    data_key: &str,
    tb: &Treebank,
    out: &mut Vec<u8>,
    warnings: &mut Vec<Warning>,
) -> Result<u64> {
    let items = rec.items(schema)?;
    if items.is_empty() {
        return Ok(0);
    }
    let text = rec
        .task
        .data
        .as_ref()
        .and_then(|d| d.get(data_key))
        .and_then(model::as_str);
    let Some(text) = text else {
        warnings.push(Warning::new(
            rec,
            format!("task skipped: data.{data_key} is not a string (Label Studio crashes)"),
        ));
        return Ok(0);
    };
    let Some(tokens) = tb.span_tokenize(&text) else {
        warnings.push(Warning::new(
            rec,
            "task skipped: NLTK cannot align its tokens (Label Studio crashes)",
        ));
        return Ok(0);
    };
    let mut written = 0;
    for item in &items {
        let group = item
            .outputs
            .iter()
            .find(|g| g.control_type.eq_ignore_ascii_case("labels"));
        let tagged = match group.map(|g| spans(&g.regions)) {
            None => Spans::AllO,
            Some(Ok(s)) => s,
            Some(Err(why)) => {
                warnings.push(Warning::new(
                    rec,
                    format!("task skipped: {why} (Label Studio crashes)"),
                ));
                return Ok(written);
            }
        };
        let tags = match tagged {
            Spans::AllO => vec![None; tokens.len()],
            Spans::Tagged(s) => tags(&tokens, s),
        };
        write_block(&text, &tokens, &tags, out);
        written += 1;
    }
    Ok(written)
}

/// `{token} -X- _ {tag}` lines and a blank line; `tokens` are character ranges of `text`.
pub(crate) fn write_block(
    text: &str,
    tokens: &[(usize, usize)],
    tags: &[Option<String>],
    out: &mut Vec<u8>,
) {
    let at: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    for (&(s, e), tag) in tokens.iter().zip(tags) {
        let token = match (at.get(s), at.get(e)) {
            (Some(&bs), Some(&be)) => text.get(bs..be).unwrap_or_default(),
            _ => "",
        };
        out.extend_from_slice(token.as_bytes());
        out.extend_from_slice(b" -X- _ ");
        out.extend_from_slice(tag.as_deref().unwrap_or("O").as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

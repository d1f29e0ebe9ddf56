//! `--compat label-studio`: label-studio-sdk 2.1.2's `convert_to_conll2003` and
//! `create_tokens_and_tags`, quirks included (ls-converter.md §6.4).

use crate::treebank::{self, Token, Treebank};
use exportkit_core::exporter::Warning;
use exportkit_core::model::{self, Region};
use exportkit_core::{Result, Schema, TaskRecord};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One span as Label Studio's tagger reads it.
struct Span {
    start: f64,
    /// `end - 1`.
    last: f64,
    /// `labels[0]` (a range of [`Scratch::labels`]), or `None` when `labels` is missing or
    /// empty.
    label: Option<(usize, usize)>,
}

/// Buffers reused from task to task within a batch.
#[derive(Default)]
pub(crate) struct Scratch {
    tokenizer: treebank::Scratch,
    tokens: Vec<Token>,
    spans: Vec<Span>,
    labels: String,
}

/// A JSON string's content (`model::as_str`), borrowed from the input when it has no escape.
fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    match raw
        .get()
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
    {
        Some(s) if !s.contains('\\') => Some(Cow::Borrowed(s)),
        _ => model::as_str(raw),
    }
}

fn num(raw: Option<&RawValue>) -> std::result::Result<Option<f64>, ()> {
    if model::is_null(raw) {
        return Ok(None);
    }
    raw.and_then(model::as_f64).map(Some).ok_or(())
}

/// `labels[0]` as Python formats it, appended to `labels`; `Err` where Python raises.
fn first_label(
    raw: Option<&RawValue>,
    labels: &mut String,
) -> std::result::Result<Option<(usize, usize)>, ()> {
    if !model::truthy(raw) {
        return Ok(None);
    }
    let Some(raw) = raw else { return Ok(None) };
    let start = labels.len();
    if let Some(s) = model::as_str(raw) {
        let Some(c) = s.chars().next() else {
            return Ok(None);
        };
        labels.push(c);
        return Ok(Some((start, labels.len())));
    }
    if let Some(items) = raw.get().strip_prefix('[') {
        // The list is valid JSON and not empty (it is truthy): read its first element only.
        let mut de = serde_json::Deserializer::from_str(items);
        let first = <&RawValue as serde::Deserialize>::deserialize(&mut de).map_err(|_| ())?;
        match model::as_str(first) {
            Some(s) => labels.push_str(&s),
            None if first
                .get()
                .starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) =>
            {
                labels.push_str(first.get());
            }
            None => return Err(()),
        }
        return Ok(Some((start, labels.len())));
    }
    Err(())
}

/// The spans of one `Labels` output into `out`, sorted by start: `Ok(false)` when every tag is
/// `O` (some span lacks `start`/`end`, or there are none).
fn spans(
    regions: &[&Region<'_>],
    out: &mut Vec<Span>,
    labels: &mut String,
) -> std::result::Result<bool, String> {
    out.clear();
    labels.clear();
    let mut all_have_offsets = true;
    for r in regions {
        let v = r.value.as_ref();
        let start = num(v.and_then(|v| v.get("start")));
        let end = num(v.and_then(|v| v.get("end")));
        match (start, end) {
            (Ok(Some(start)), Ok(Some(end))) => {
                let label = first_label(v.and_then(|v| v.get("labels")), labels)
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
        return Ok(false);
    }
    // Python's sort is stable; `start` values are numbers.
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(true)
}

/// `{token} -X- _ {tag}` lines and a blank line, tagged by Label Studio's BIO loop over
/// `(token_start, token_len)` in characters (`spans` empty: every tag is `O`).
fn write_tagged(text: &str, tokens: &[Token], spans: &[Span], labels: &str, out: &mut Vec<u8>) {
    let mut spans = spans.iter();
    let mut span = spans.next();
    let mut prefix: &[u8] = b"B-";
    for t in tokens {
        out.extend_from_slice(&text.as_bytes()[t.bytes.0..t.bytes.1]);
        out.extend_from_slice(b" -X- _ ");
        let Some(mut s) = span else {
            out.extend_from_slice(b"O\n");
            continue;
        };
        let token_start = t.chars.0 as f64;
        let token_end = t.chars.1 as f64 - 1.0;
        if token_start > s.last {
            for next in spans.by_ref() {
                s = next;
                prefix = b"B-";
                if token_start <= s.last {
                    break;
                }
            }
            span = Some(s);
        }
        match s.label {
            Some((a, b)) if token_end >= s.start && s.last >= token_start => {
                out.extend_from_slice(prefix);
                out.extend_from_slice(&labels.as_bytes()[a..b]);
                prefix = b"I-";
            }
            _ => out.push(b'O'),
        }
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// Writes every item of a task (one block per kept annotation, newest first).
pub(crate) fn encode_task(
    rec: &TaskRecord<'_>,
    schema: &Schema<'_>,
    data_key: &str,
    tb: &Treebank,
    scratch: &mut Scratch,
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
        .and_then(json_str);
    let Some(text) = text else {
        warnings.push(Warning::new(
            rec,
            format!("task skipped: data.{data_key} is not a string (Label Studio crashes)"),
        ));
        return Ok(0);
    };
    let Scratch {
        tokenizer,
        tokens,
        spans: span_buf,
        labels,
    } = scratch;
    if !tb.span_tokenize(&text, tokenizer, tokens) {
        warnings.push(Warning::new(
            rec,
            "task skipped: NLTK cannot align its tokens (Label Studio crashes)",
        ));
        return Ok(0);
    }
    let mut written = 0;
    for item in &items {
        let group = item
            .outputs
            .iter()
            .find(|g| g.control_type.eq_ignore_ascii_case("labels"));
        let tagged = match group.map(|g| spans(&g.regions, span_buf, labels)) {
            None | Some(Ok(false)) => &[][..],
            Some(Ok(true)) => &span_buf[..],
            Some(Err(why)) => {
                warnings.push(Warning::new(
                    rec,
                    format!("task skipped: {why} (Label Studio crashes)"),
                ));
                return Ok(written);
            }
        };
        write_tagged(&text, tokens, tagged, labels, out);
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

#[cfg(test)]
mod tests {
    use super::{first_label, json_str};
    use serde_json::value::RawValue;

    /// `labels[0]` as label-studio-sdk formats it (`Err`: Python raises).
    #[test]
    fn first_label_follows_python() {
        let cases: [(&str, Result<Option<&str>, ()>); 14] = [
            (r#"["LOC"]"#, Ok(Some("LOC"))),
            (r#"[ "LOC" , "PER" ]"#, Ok(Some("LOC"))),
            (r#"["L\u00e9\n"]"#, Ok(Some("Lé\n"))),
            (r#""LOC""#, Ok(Some("L"))),
            (r#"[5]"#, Ok(Some("5"))),
            (r#"[-1.5e3, "x"]"#, Ok(Some("-1.5e3"))),
            (r#"[]"#, Ok(None)),
            (r#"[ ]"#, Ok(None)),
            (r#""""#, Ok(None)),
            (r#"null"#, Ok(None)),
            (r#"[null]"#, Err(())),
            (r#"[["LOC"]]"#, Err(())),
            (r#"{"a": 1}"#, Err(())),
            (r#"7"#, Err(())),
        ];
        for (json, want) in cases {
            let raw: &RawValue = serde_json::from_str(json).expect("json");
            let mut labels = String::from("old");
            let got = first_label(Some(raw), &mut labels).map(|r| r.map(|(a, b)| &labels[a..b]));
            assert_eq!(got, want, "{json}");
        }
        assert_eq!(first_label(None, &mut String::new()), Ok(None));
    }

    #[test]
    fn json_str_is_as_str() {
        for json in [
            r#""plain""#,
            r#""""#,
            r#""a\"b""#,
            r#""\u00e9\n""#,
            r#""é""#,
            "5",
            "null",
            "[]",
        ] {
            let raw: &RawValue = serde_json::from_str(json).expect("json");
            assert_eq!(json_str(raw), exportkit_core::model::as_str(raw), "{json}");
        }
    }
}

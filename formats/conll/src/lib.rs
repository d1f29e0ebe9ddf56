//! exportkit's `CONLL2003` format: `result.conll`, one `{token} -X- _ {tag}` line per token and
//! a blank line after each task, for a `Text` object labelled with `Labels` (named entities).
//!
//! Clean (default):
//! - the file starts with `-DOCSTART- -X- -X- O` and a blank line (four columns like every
//!   other line, and a sentence break before the first task, which Label Studio omits);
//! - one block per task, for the annotation(s) `ExportOptions::pick` selects (newest by
//!   default; `Pick::All` merges their spans); a task without annotations is all `O`;
//! - the text is `data[<key>]`, the key of the object the first `Labels` control points to
//!   (else the config's first data key, else `text`); a task whose value is not a string, or
//!   whose text has no token, is skipped with a warning;
//! - tokens: the clean tokenizer below; tags are valid BIO (`B-` on each span's first
//!   token, `I-` after), a token overlapping a span is tagged with it;
//! - spans come from every `Labels` control; overlapping spans are resolved deterministically
//!   (earlier start wins, then the longer span, then input order) and each dropped one is a
//!   warning; so are spans without `start`/`end` (HyperText/XPath), spans without a label,
//!   empty spans, spans that cover no token of their own, and the extra labels of a
//!   multi-label span (its first label is used); white space in a label becomes `_`.
//!
//! Clean tokenizer: Unicode white space separates; a word is a run of letters, digits,
//! combining marks and `_`, keeping `'`, `’`, `-`, `.` and `,` between two word characters
//! (`don't`, `e-mail`, `3.14`); Han, Hiragana and Katakana characters are one token each; any
//! other character is a token of its own (a run of the same character stays together: `...`).
//!
//! `--compat label-studio`: byte-identical to label-studio-sdk 2.1.2: the header
//! `-DOCSTART- -X- O`, one block per annotation (newest first; a task without an
//! `annotations` list writes nothing, one with an empty list is all `O`), NLTK's Treebank
//! tokenizer with Label Studio's punctuation rules, and its tagger with its quirks (spans from
//! the first `Labels` output only, overlapping spans lose tags, one span without offsets makes
//! the whole task `O`, only the first label is used). Where Label Studio crashes (text not a
//! string, a non-numeric offset, tokens NLTK cannot align) the task is skipped with a warning.
#![deny(missing_docs)]

mod clean;
mod compat;
mod treebank;
#[cfg(test)]
mod treebank_oracle;
mod words;

use exportkit_core::{
    Batch, BatchEncoder, Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo,
    FormatWriter, Fragment, LabelConfig, Output, Result, Schema,
};
use std::io::Write;

/// The `CONLL2003` format descriptor type.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConllFormat;

/// The `CONLL2003` format.
pub static CONLL2003: ConllFormat = ConllFormat;

exportkit_core::register_format!(CONLL2003);

const INFO: FormatInfo = FormatInfo {
    name: "CONLL2003",
    title: "CONLL2003",
    description: "Named entities in the CoNLL-2003 text format, one token per line with its BIO tag",
    extension: "conll",
    ls_name: Some("CONLL2003"),
};

const PART: &str = "result.conll";

/// The clean data key: the object the first `Labels` control points to.
fn clean_key(config: Option<&LabelConfig>) -> String {
    let Some(c) = config else {
        return "text".into();
    };
    c.controls
        .iter()
        .filter(|k| k.tag.eq_ignore_ascii_case("labels"))
        .flat_map(|k| k.inputs.iter())
        .find_map(|o| o.data_key())
        .or_else(|| c.data_keys().first().copied())
        .unwrap_or("text")
        .to_owned()
}

impl ExporterFactory for ConllFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let config = ctx.config.as_deref().filter(|c| !c.is_empty());
        let compat = ctx.options.is_compat();
        let mode = if compat {
            // Label Studio reads `_data_keys[0]`.
            let key = config
                .and_then(|c| c.data_keys().first().map(|k| (*k).to_owned()))
                .unwrap_or_else(|| "text".into());
            Mode::Compat {
                data_key: key,
                treebank: treebank::Treebank::new(),
            }
        } else {
            Mode::Clean(clean::Clean {
                data_key: clean_key(config),
                pick: ctx.options.pick,
                words: words::Words::new(),
            })
        };
        Ok(Exporter {
            encoder: Box::new(Encoder { mode }),
            writer: Box::new(Writer { compat }),
        })
    }
}

#[derive(Debug)]
enum Mode {
    Compat {
        data_key: String,
        treebank: treebank::Treebank,
    },
    Clean(clean::Clean),
}

struct Encoder {
    mode: Mode,
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(ctx.config.as_deref());
        // About a quarter of the input for the usual task (the text, once, plus a short tag per
        // token, against annotations with ids and dates).
        let input: usize = batch.tasks.iter().map(|t| t.raw.len()).sum();
        let mut bytes = Vec::with_capacity(input / 4);
        let mut warnings = Vec::new();
        let mut records = 0;
        let mut scratch = compat::Scratch::default();
        for rec in batch.tasks {
            records += match &self.mode {
                Mode::Compat { data_key, treebank } => compat::encode_task(
                    rec,
                    &schema,
                    data_key,
                    treebank,
                    &mut scratch,
                    &mut bytes,
                    &mut warnings,
                )?,
                Mode::Clean(c) => c.encode_task(rec, &schema, &mut bytes, &mut warnings)?,
            };
        }
        Ok(Fragment {
            bytes,
            records,
            payload: None,
            warnings,
        })
    }
}

struct Writer {
    compat: bool,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("writing CONLL2003: {e}"))
}

impl FormatWriter for Writer {
    fn begin(&mut self, _ctx: &ExportContext, out: &mut Output) -> Result<()> {
        let header: &[u8] = if self.compat {
            b"-DOCSTART- -X- O\n"
        } else {
            b"-DOCSTART- -X- -X- O\n\n"
        };
        out.part(PART)?.write_all(header).map_err(io)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        out.part(PART)?.write_all(&frag.bytes).map_err(io)
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        out.close(PART)
    }
}

//! exportkit's `ASR_MANIFEST` format: `manifest.json` (JSON Lines, one
//! `{"audio_filepath", "duration", "text", "annotator"}` object per line, NeMo style) and the
//! audio copied into `audio/`, for an `Audio` object transcribed with a `TextArea`.
//!
//! Clean (default):
//! - one line per task, for the annotation(s) `ExportOptions::pick` selects (newest by
//!   default; `Pick::All`: one line per annotation); the transcript is the first `TextArea`
//!   output with text, its entries trimmed and joined by a space; a task without one is
//!   skipped with a warning (Label Studio would reuse the previous task's transcript);
//! - the audio URL is `data[<key>]`, the key of the object the first `TextArea` points to
//!   (else the config's first data key, else `audio`); it is resolved like every other
//!   resource (`--upload-dir`, `--local-files-root`, http(s), cloud with `--hostname`...);
//! - `duration`: sample frames / rate from the WAV header (our own RIFF reader: PCM, IEEE float
//!   and `WAVE_FORMAT_EXTENSIBLE`; a wrong RIFF size is tolerated and only sample bytes really
//!   present are counted); audio that cannot be read or is not WAV → task skipped, warning;
//! - `audio_filepath`: `audio/<unique name>` (one name per distinct URL, a clashing basename
//!   gets a hash suffix), each distinct file copied once in the background;
//! - `annotator`: the expanded user's `email`, else the user id as a string (`""` when unknown);
//! - UTF-8 JSON (`ensure_ascii=False` layout).
//!
//! `--compat label-studio`: byte-identical to label-studio-sdk 2.1.2 where it does not crash:
//! stdlib `json.dump` lines with `ensure_ascii=True`, one line per annotation (newest first), the
//! transcript `texts[0]["text"][0]` of the first output that has `text`, CPython's `wave`
//! rules (PCM only), uploads copied as `audio/<basename>` (last copy wins), http(s) downloaded
//! under their basename, local-files listed by their local path, and the leak: an annotation
//! without results gets the previous line's transcript. Where Label Studio crashes (no earlier
//! transcript to leak, a transcript that is not a list of texts, a missing data key) the line or
//! task is skipped with a warning; where it picks a random name (an http basename already
//! taken) a hash is used, with a warning.
#![deny(missing_docs)]

mod audio;
mod encode;
mod wav;
mod writer;

use exportkit_core::jsonfmt::JsonStyle;
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Exporter, ExporterFactory, FormatInfo, Fragment,
    LabelConfig, Result, Schema,
};

/// The `ASR_MANIFEST` format descriptor type.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsrFormat;

/// The `ASR_MANIFEST` format.
pub static ASR_MANIFEST: AsrFormat = AsrFormat;

exportkit_core::register_format!(ASR_MANIFEST);

const INFO: FormatInfo = FormatInfo {
    name: "ASR_MANIFEST",
    title: "ASR Manifest",
    description: "Audio transcriptions as a JSON Lines manifest (NeMo style) with the audio files",
    extension: "json",
    ls_name: Some("ASR_MANIFEST"),
};

/// The clean data key: the object the first `TextArea` control points to.
fn clean_key(config: Option<&LabelConfig>) -> String {
    let Some(c) = config else {
        return "audio".into();
    };
    c.controls
        .iter()
        .filter(|k| k.tag.eq_ignore_ascii_case("textarea"))
        .flat_map(|k| k.inputs.iter())
        .find_map(|o| o.data_key())
        .or_else(|| c.data_keys().first().copied())
        .unwrap_or("audio")
        .to_owned()
}

impl ExporterFactory for AsrFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let config = ctx.config.as_deref().filter(|c| !c.is_empty());
        let compat = ctx.options.is_compat();
        let (data_key, style) = if compat {
            // Label Studio reads `_data_keys[0]` and writes with `json.dump` defaults.
            let key = config
                .and_then(|c| c.data_keys().first().map(|k| (*k).to_owned()))
                .unwrap_or_else(|| "audio".into());
            (key, JsonStyle::PY_JSON_LINE)
        } else {
            (clean_key(config), JsonStyle::PY_JSON_LINE_UTF8)
        };
        let settings = encode::Settings {
            compat,
            data_key,
            pick: ctx.options.pick,
            style,
        };
        Ok(Exporter {
            encoder: Box::new(Encoder { settings }),
            writer: Box::new(writer::Writer::new(compat, style)),
        })
    }
}

struct Encoder {
    settings: encode::Settings,
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(ctx.config.as_deref());
        let scratch = ctx.options.resources.cache_dir.as_deref();
        let mut reader = audio::Reader::new(batch.resolver, scratch);
        let mut lines = Vec::new();
        let mut warnings = Vec::new();
        for rec in batch.tasks {
            self.settings
                .encode_task(rec, &schema, &mut reader, &mut lines, &mut warnings)?;
        }
        Ok(Fragment {
            bytes: Vec::new(),
            records: lines.len() as u64,
            payload: Some(Box::new(writer::Lines(lines))),
            warnings,
        })
    }
}

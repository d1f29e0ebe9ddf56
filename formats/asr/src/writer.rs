//! The sequential half: names the audio files in input order, writes the manifest lines, and
//! copies the audio into `audio/` through the resources `Downloader`.

use crate::encode::{Line, Place, Transcript};
use exportkit_core::exporter::Warning;
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::names::{UniqueNames, md5_hex, split_ext};
use exportkit_core::resources::{Download, Downloader};
use exportkit_core::{Error, ErrorKind, ExportContext, FormatWriter, Fragment, Output, Result};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

pub(crate) const PART: &str = "manifest.json";

/// A fragment's payload.
#[derive(Debug, Default)]
pub(crate) struct Lines(pub(crate) Vec<Line>);

pub(crate) struct Writer {
    compat: bool,
    style: JsonStyle,
    /// Compat: the last transcript written (Label Studio's leaking loop variable).
    previous: Option<Vec<u8>>,
    /// Clean: one unique name per URL.
    names: UniqueNames,
    /// Clean: URLs already queued.
    queued: HashSet<String>,
    downloader: Option<Downloader>,
    /// Compat: `audio/<name>` → the last source copied there (later copies overwrite).
    copies: BTreeMap<String, (u64, Option<String>, String)>,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("writing ASR_MANIFEST: {e}"))
}

fn bad_fragment() -> Error {
    Error::new(
        ErrorKind::Format,
        "ASR_MANIFEST: unexpected fragment payload",
    )
}

impl Writer {
    pub(crate) fn new(compat: bool, style: JsonStyle) -> Self {
        Writer {
            compat,
            style,
            previous: None,
            names: UniqueNames::new(),
            queued: HashSet::new(),
            downloader: None,
            copies: BTreeMap::new(),
        }
    }

    fn submit(&mut self, out: &mut Output, line: &Line, name: &str) -> Result<()> {
        if self.downloader.is_none() {
            let resolver = out
                .resolver()
                .ok_or_else(|| Error::new(ErrorKind::Format, "no resource resolver"))?
                .clone();
            let parallel = resolver.parallel();
            self.downloader = Some(Downloader::new(resolver, parallel));
        }
        let dest = out.path_for(&format!("audio/{name}"))?;
        if let Some(d) = &self.downloader {
            d.submit(Download {
                task_index: line.task_index,
                task_id: line.task_id.clone(),
                url: line.url.clone(),
                dest,
            });
        }
        Ok(())
    }

    /// The `audio_filepath` of a line, queueing its copy.
    fn place(&mut self, out: &mut Output, line: &Line) -> Result<Option<String>> {
        let name = match &line.place {
            Place::Unique => {
                let name = self.names.name_for(&line.url).to_owned();
                if self.queued.insert(line.url.clone()) {
                    self.submit(out, line, &name)?;
                }
                return Ok(Some(format!("audio/{name}")));
            }
            Place::Named { name, http } => {
                let mut name = name.clone();
                if *http && self.copies.contains_key(&name) {
                    // Label Studio appends 4 hex digits of a time-salted MD5 (not reproducible).
                    let (stem, ext) = split_ext(&name);
                    name = format!("{stem}_{}{ext}", &md5_hex(line.url.as_bytes())[..4]);
                    out.warn(Warning {
                        task_index: line.task_index,
                        task_id: line.task_id.clone(),
                        message: format!(
                            "audio renamed {name}: Label Studio picks a random name here"
                        ),
                    });
                }
                name
            }
            Place::Absolute { name, .. } => name.clone(),
        };
        if name.is_empty() || out.path_for(&format!("audio/{name}")).is_err() {
            out.warn(Warning {
                task_index: line.task_index,
                task_id: line.task_id.clone(),
                message: format!("line skipped: the audio name {name:?} cannot be written"),
            });
            return Ok(None);
        }
        let shown = match &line.place {
            Place::Absolute { path, .. } => path.clone(),
            _ => format!("audio/{name}"),
        };
        self.copies.insert(
            name,
            (line.task_index, line.task_id.clone(), line.url.clone()),
        );
        Ok(Some(shown))
    }
}

impl FormatWriter for Writer {
    fn begin(&mut self, _ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.dir("audio")?;
        out.part(PART)?;
        Ok(())
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let Some(payload) = frag.payload else {
            return Ok(());
        };
        let lines = payload.downcast::<Lines>().map_err(|_| bad_fragment())?;
        let mut buf = Vec::new();
        for line in lines.0 {
            if let Transcript::CopyOnly = line.text {
                self.place(out, &line)?;
                continue;
            }
            let text = match &line.text {
                Transcript::Own(t) => {
                    self.previous = Some(t.clone());
                    t.clone()
                }
                Transcript::CopyOnly => continue,
                Transcript::Previous => match &self.previous {
                    Some(t) => t.clone(),
                    None => {
                        out.warn(Warning {
                            task_index: line.task_index,
                            task_id: line.task_id.clone(),
                            message: "line skipped: no transcript, and no earlier one for \
                                      Label Studio to reuse (it crashes)"
                                .into(),
                        });
                        continue;
                    }
                },
            };
            let Some(path) = self.place(out, &line)? else {
                continue;
            };
            buf.clear();
            JsonWriter::new(&mut buf, self.style)
                .begin_object()
                .key("audio_filepath")
                .str_value(&path)
                .key("duration");
            // The other values were encoded already; one line, so the layout is fixed.
            let (sep, colon) = (self.style.item_sep, self.style.key_sep);
            buf.extend_from_slice(&line.duration);
            buf.extend_from_slice(format!("{sep}\"text\"{colon}").as_bytes());
            buf.extend_from_slice(&text);
            buf.extend_from_slice(format!("{sep}\"annotator\"{colon}").as_bytes());
            buf.extend_from_slice(&line.annotator);
            buf.extend_from_slice(b"}\n");
            out.part(PART)?.write_all(&buf).map_err(io)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, out: &mut Output) -> Result<()> {
        if self.compat {
            let copies = std::mem::take(&mut self.copies);
            for (name, (task_index, task_id, url)) in copies {
                let line = Line {
                    task_index,
                    task_id,
                    url,
                    place: Place::Unique,
                    duration: Vec::new(),
                    text: Transcript::Previous,
                    annotator: Vec::new(),
                };
                self.submit(out, &line, &name)?;
            }
        }
        if let Some(d) = self.downloader.take() {
            for (job, e) in d.finish() {
                out.warn(Warning {
                    task_index: job.task_index,
                    task_id: job.task_id,
                    message: format!("audio {}: {e}", exportkit_core::resources::redact(&job.url)),
                });
            }
        }
        out.close(PART)
    }
}

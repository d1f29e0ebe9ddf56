//! The sequential half: occurrence rows in input order, events merged from the exported
//! occurrences only, then event.txt, multimedia.txt, meta.xml and eml.xml.

use crate::columns::{EVENT, MULTIMEDIA, OCCURRENCE};
use crate::datetime::{self, DateTime};
use crate::eml::{Coverage, eml};
use crate::encode::{Contribution, Payload, decimal};
use crate::extract::{event_id, location_id};
use crate::meta_xml::meta_xml;
use crate::metadata::Metadata;
use crate::options::Mapping;
use crate::tsv;
use exportkit_core::{Error, ErrorKind, ExportContext, FormatWriter, Fragment, Output, Result};
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::sync::Arc;

#[derive(Debug)]
struct EventAcc {
    start: DateTime,
    end: DateTime,
    images: u64,
    coords: Option<(f64, f64)>,
    modified: String,
}

/// Writes the archive.
#[derive(Debug)]
pub struct Writer {
    pub(crate) mapping: Arc<Mapping>,
    pub(crate) meta: Metadata,
    pub(crate) project: String,
    events: BTreeMap<(String, i64), EventAcc>,
    task_keys: HashSet<String>,
    missing: HashSet<String>,
    multimedia: Option<BufWriter<File>>,
}

impl Writer {
    /// A writer for one export.
    pub fn new(mapping: Arc<Mapping>, meta: Metadata, project: String) -> Self {
        Writer {
            mapping,
            meta,
            project,
            events: BTreeMap::new(),
            task_keys: HashSet::new(),
            missing: HashSet::new(),
            multimedia: None,
        }
    }

    fn add(&mut self, c: Contribution) -> Result<()> {
        if !self.task_keys.insert(c.task_key.clone()) {
            return Err(Error::new(
                ErrorKind::Input,
                format!(
                    "task id {} appears twice: occurrence ids would not be unique",
                    c.task_key
                ),
            )
            .at_task(c.task_index, c.task_id));
        }
        let e = self
            .events
            .entry((c.deployment, c.night))
            .or_insert(EventAcc {
                start: c.at,
                end: c.at,
                images: 0,
                coords: c.coords,
                modified: String::new(),
            });
        e.start = e.start.min(c.at);
        e.end = e.end.max(c.at);
        e.images += 1;
        if e.coords.is_none() {
            e.coords = c.coords;
        }
        if c.modified > e.modified {
            e.modified = c.modified;
        }
        Ok(())
    }
}

fn io(name: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{name}: {e}"))
}

impl FormatWriter for Writer {
    fn begin(&mut self, _ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.part(OCCURRENCE.file)?
            .write_all(OCCURRENCE.header().as_bytes())
            .map_err(|e| io(OCCURRENCE.file, e))
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        out.part(OCCURRENCE.file)?
            .write_all(&frag.bytes)
            .map_err(|e| io(OCCURRENCE.file, e))?;
        let Some(pay) = frag.payload.and_then(|p| p.downcast::<Payload>().ok()) else {
            return Ok(());
        };
        let pay = *pay;
        for c in pay.tasks {
            self.add(c)?;
        }
        if !pay.multimedia.is_empty() {
            if self.multimedia.is_none() {
                self.multimedia = Some(BufWriter::new(out.spill()?));
            }
            if let Some(w) = &mut self.multimedia {
                w.write_all(&pay.multimedia)
                    .map_err(|e| io(MULTIMEDIA.file, e))?;
            }
        }
        for (label, w) in pay.missing_taxa {
            if self.missing.insert(label) {
                out.warn(w);
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let w = *self;
        let mut rows = Vec::with_capacity(256 + w.events.len() * 256);
        rows.extend_from_slice(EVENT.header().as_bytes());
        let mut cov = Coverage::default();
        let license = w.meta.license.url();
        for ((dep, night), e) in &w.events {
            let id = event_id(&w.project, dep, *night);
            let date = if e.start.days == e.end.days {
                datetime::date(e.start.days)
            } else {
                format!(
                    "{}/{}",
                    datetime::datetime(e.start),
                    datetime::datetime(e.end)
                )
            };
            let (y, m, d) = datetime::civil_from_days(e.start.days);
            let (lat, lon) = match e.coords {
                Some((a, o)) => {
                    let b = cov.bbox.get_or_insert((o, o, a, a));
                    *b = (b.0.min(o), b.1.max(o), b.2.max(a), b.3.min(a));
                    (decimal(a), decimal(o))
                }
                None => (String::new(), String::new()),
            };
            let first = datetime::date(e.start.days);
            let last = datetime::date(e.end.days);
            cov.dates = Some(match cov.dates.take() {
                None => (first, last),
                Some((b, l)) => (b.min(first), l.max(last)),
            });
            let location = location_id(&w.project, dep);
            tsv::row(
                &mut rows,
                &[
                    &id,
                    &date,
                    &datetime::time(e.start.secs),
                    &y.to_string(),
                    &m.to_string(),
                    &d.to_string(),
                    &w.mapping.sampling_protocol,
                    &e.images.to_string(),
                    "images",
                    &datetime::effort(datetime::seconds_between(e.start, e.end)),
                    &location,
                    &lat,
                    &lon,
                    if e.coords.is_some() { "WGS84" } else { "" },
                    &w.meta.title,
                    license,
                    &w.meta.rights_holder,
                    &e.modified,
                ],
            );
        }
        out.write_file(EVENT.file, &rows)?;
        out.close(OCCURRENCE.file)?;
        let mut extensions = vec![&OCCURRENCE];
        if let Some(spill) = w.multimedia {
            let mut f = spill
                .into_inner()
                .map_err(|e| io(MULTIMEDIA.file, e.into_error()))?;
            f.rewind().map_err(|e| io(MULTIMEDIA.file, e))?;
            let part = out.part(MULTIMEDIA.file)?;
            part.write_all(MULTIMEDIA.header().as_bytes())
                .map_err(|e| io(MULTIMEDIA.file, e))?;
            std::io::copy(&mut f, part).map_err(|e| io(MULTIMEDIA.file, e))?;
            out.close(MULTIMEDIA.file)?;
            extensions.push(&MULTIMEDIA);
        }
        out.write_file("meta.xml", meta_xml(&EVENT, &extensions).as_bytes())?;
        let package = format!("urn:exportkit:{}:dataset", w.project);
        out.write_file("eml.xml", eml(&w.meta, &package, &cov).as_bytes())
    }
}

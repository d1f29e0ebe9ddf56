//! The sequential half. A row's event name (`Saturday, Jun 15-16 2024`) depends on the
//! event's first and last captures, known only at the end, so rows go to a spill file with
//! the place of each event name noted in a second one; `finish` copies them into the output
//! with the names filled in. Memory holds one entry per event and per task key.

use super::Kind;
use super::encode::Payload;
use super::text::{date_label, event_name};
use super::{csv, json};
use crate::datetime::DateTime;
use exportkit_core::{Error, ErrorKind, FormatWriter, Fragment, Output, Result};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// Writes `occurrences.csv` / `occurrences.json`.
#[derive(Debug)]
pub struct Writer {
    kind: Kind,
    events: HashMap<(String, i64), u32>,
    extents: Vec<(DateTime, DateTime)>,
    task_keys: HashSet<String>,
    missing: HashSet<String>,
    spill: Option<(BufWriter<File>, BufWriter<File>)>,
    written: u64,
}

fn io(name: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{name}: {e}"))
}

impl Writer {
    /// A writer for one export.
    pub fn new(kind: Kind) -> Self {
        Writer {
            kind,
            events: HashMap::new(),
            extents: Vec::new(),
            task_keys: HashSet::new(),
            missing: HashSet::new(),
            spill: None,
            written: 0,
        }
    }

    /// The event index of each task of the payload.
    fn events_of(&mut self, pay: &mut Payload) -> Result<Vec<u32>> {
        let mut idx = Vec::with_capacity(pay.tasks.len());
        for t in pay.tasks.drain(..) {
            if !self.task_keys.insert(t.task_key.clone()) {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!(
                        "task id {} appears twice: occurrence ids would not be unique",
                        t.task_key
                    ),
                )
                .at_task(t.task_index, t.task_id));
            }
            let next = self.extents.len() as u32;
            let i = *self.events.entry(t.event).or_insert(next);
            if i == next {
                self.extents.push((t.at, t.at));
            }
            let e = &mut self.extents[i as usize];
            e.0 = e.0.min(t.at);
            e.1 = e.1.max(t.at);
            idx.push(i);
        }
        Ok(idx)
    }

    /// The text that goes at an event's marks.
    fn slot(&self, (start, end): (DateTime, DateTime)) -> Vec<u8> {
        let name = event_name(start, end);
        match self.kind {
            Kind::Csv => {
                let mut v = Vec::new();
                csv::cell(&mut v, &name);
                v
            }
            Kind::Json => json::event_tail(&name, &date_label(start, end)),
        }
    }
}

impl FormatWriter for Writer {
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let name = self.kind.file();
        let Some(mut pay) = frag.payload.and_then(|p| p.downcast::<Payload>().ok()) else {
            return Ok(());
        };
        let events = self.events_of(&mut pay)?;
        for (label, w) in pay.missing_taxa {
            if self.missing.insert(label) {
                out.warn(w);
            }
        }
        if frag.bytes.is_empty() {
            return Ok(());
        }
        if self.spill.is_none() {
            self.spill = Some((BufWriter::new(out.spill()?), BufWriter::new(out.spill()?)));
        }
        let Some((body, marks)) = &mut self.spill else {
            return Ok(());
        };
        if self.kind == Kind::Json && self.written > 0 {
            body.write_all(b",\n").map_err(|e| io(name, e))?;
            self.written += 2;
        }
        for (offset, task) in pay.marks {
            let mut entry = [0u8; 12];
            entry[..8].copy_from_slice(&(self.written + offset as u64).to_le_bytes());
            entry[8..].copy_from_slice(&events[task].to_le_bytes());
            marks.write_all(&entry).map_err(|e| io(name, e))?;
        }
        body.write_all(&frag.bytes).map_err(|e| io(name, e))?;
        self.written += frag.bytes.len() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let name = self.kind.file();
        let slots: Vec<Vec<u8>> = self.extents.iter().map(|e| self.slot(*e)).collect();
        let w = *self;
        let part = out.part(name)?;
        let (head, tail): (Vec<u8>, &[u8]) = match w.kind {
            Kind::Csv => (csv::header(), b""),
            Kind::Json => (b"[".to_vec(), b"]"),
        };
        part.write_all(&head).map_err(|e| io(name, e))?;
        if let Some((body, marks)) = w.spill {
            let rewound = |b: BufWriter<File>| -> std::io::Result<BufReader<File>> {
                let mut f = b.into_inner().map_err(|e| e.into_error())?;
                f.rewind()?;
                Ok(BufReader::new(f))
            };
            let mut body = rewound(body).map_err(|e| io(name, e))?;
            let mut marks = rewound(marks).map_err(|e| io(name, e))?;
            let mut at = 0u64;
            let mut entry = [0u8; 12];
            loop {
                match marks.read_exact(&mut entry) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(e) => return Err(io(name, e)),
                }
                let mut offset = [0u8; 8];
                offset.copy_from_slice(&entry[..8]);
                let offset = u64::from_le_bytes(offset);
                let event = u32::from_le_bytes([entry[8], entry[9], entry[10], entry[11]]);
                std::io::copy(&mut (&mut body).take(offset - at), part).map_err(|e| io(name, e))?;
                at = offset;
                part.write_all(&slots[event as usize])
                    .map_err(|e| io(name, e))?;
            }
            std::io::copy(&mut body, part).map_err(|e| io(name, e))?;
        }
        part.write_all(tail).map_err(|e| io(name, e))?;
        out.close(name)
    }
}

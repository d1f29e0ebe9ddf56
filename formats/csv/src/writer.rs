//! The sequential half: interns column keys, spills rows, and at the end writes the header
//! and the rows in the final column order.

use crate::cell::{write_clean_cell, write_quoted};
use crate::columns::{self, Key};
use crate::rows::{Rows, bad_fragment};
use exportkit_core::{Error, ErrorKind, FormatWriter, Fragment, Output, Result};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

pub(crate) struct Writer {
    part: &'static str,
    compat: bool,
    delimiter: u8,
    header: bool,
    keys: Vec<Key>,
    key_ids: HashMap<Key, u32>,
    spill: Option<BufWriter<File>>,
    rows: u64,
}

fn io(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("writing CSV: {e}"))
}

impl Writer {
    pub(crate) fn new(part: &'static str, compat: bool, delimiter: u8, header: bool) -> Self {
        Writer {
            part,
            compat,
            delimiter,
            header,
            keys: Vec::new(),
            key_ids: HashMap::new(),
            spill: None,
            rows: 0,
        }
    }

    fn key_id(&mut self, key: Key) -> u32 {
        if let Some(&id) = self.key_ids.get(&key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.clone());
        self.key_ids.insert(key, id);
        id
    }
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

impl FormatWriter for Writer {
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let rows = frag
            .payload
            .and_then(|p| p.downcast::<Rows>().ok())
            .ok_or_else(bad_fragment)?;
        if self.spill.is_none() {
            self.spill = Some(BufWriter::with_capacity(1 << 20, out.spill()?));
        }
        let mut start = 0;
        let mut ids = Vec::new();
        for &end in &rows.row_ends {
            ids.clear();
            for (key, _) in &rows.cells[start..end] {
                let id = self.key_id(key.clone());
                ids.push(id);
            }
            let spill = self.spill.as_mut().ok_or_else(bad_fragment)?;
            spill
                .write_all(&((end - start) as u32).to_le_bytes())
                .map_err(io)?;
            for ((_, range), id) in rows.cells[start..end].iter().zip(&ids) {
                spill.write_all(&id.to_le_bytes()).map_err(io)?;
                spill
                    .write_all(&(range.len() as u32).to_le_bytes())
                    .map_err(io)?;
                spill.write_all(&frag.bytes[range.clone()]).map_err(io)?;
            }
            start = end;
            self.rows += 1;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let layout = columns::layout(&self.keys, self.compat);
        let stages: Vec<u8> = self.keys.iter().map(Key::stage).collect();
        let eol: &[u8] = if self.compat { b"\r\n" } else { b"\n" };
        let (compat, delim) = (self.compat, self.delimiter);
        let w = out.part(self.part)?;
        let mut line = Vec::with_capacity(1 << 16);
        if self.header {
            for (i, name) in layout.names.iter().enumerate() {
                if i > 0 {
                    line.push(delim);
                }
                if compat {
                    write_quoted(&mut line, name.as_bytes())
                } else {
                    write_clean_cell(&mut line, name.as_bytes(), delim)
                }
            }
            line.extend_from_slice(eol);
            w.write_all(&line).map_err(io)?;
        }
        if let Some(spill) = self.spill {
            let mut file = spill.into_inner().map_err(|e| io(e.into_error()))?;
            file.rewind().map_err(io)?;
            let mut r = BufReader::with_capacity(1 << 20, file);
            let ncols = layout.names.len();
            // Per column: the winning cell's (stage, order in row) and its bytes.
            let mut slots: Vec<Option<(u8, usize, Range)>> = vec![None; ncols];
            let mut cells = Vec::new();
            for _ in 0..self.rows {
                slots.iter_mut().for_each(|s| *s = None);
                cells.clear();
                let n = read_u32(&mut r).map_err(io)? as usize;
                for order in 0..n {
                    let id = read_u32(&mut r).map_err(io)? as usize;
                    let len = read_u32(&mut r).map_err(io)? as usize;
                    let start = cells.len();
                    cells.resize(start + len, 0);
                    r.read_exact(&mut cells[start..]).map_err(io)?;
                    let col = layout.column_of[id];
                    let stage = stages[id];
                    if slots[col].as_ref().is_none_or(|(s, _, _)| *s <= stage) {
                        slots[col] = Some((stage, order, (start, start + len)));
                    }
                }
                line.clear();
                for (i, slot) in slots.iter().enumerate() {
                    if i > 0 {
                        line.push(delim);
                    }
                    match slot {
                        Some((_, _, (s, e))) => line.extend_from_slice(&cells[*s..*e]),
                        None if compat => line.extend_from_slice(b"\"\""),
                        None => {}
                    }
                }
                line.extend_from_slice(eol);
                w.write_all(&line).map_err(io)?;
            }
        }
        out.close(self.part)
    }
}

type Range = (usize, usize);

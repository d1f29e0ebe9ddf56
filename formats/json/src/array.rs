//! The writer shared by array-shaped outputs: `[`, fragments joined by `,\n`, `]`.

use exportkit_core::{ExportContext, FormatWriter, Fragment, Output, Result};
use std::io::Write;

/// Writes `result.json` as an array of records; each fragment holds records already joined
/// by `,\n`.
#[derive(Debug)]
pub(crate) struct ArrayWriter {
    pub(crate) part: &'static str,
    pub(crate) compat: bool,
    pub(crate) wrote_any: bool,
}

impl ArrayWriter {
    pub(crate) fn new(part: &'static str, compat: bool) -> Self {
        ArrayWriter {
            part,
            compat,
            wrote_any: false,
        }
    }
}

fn io(e: std::io::Error) -> exportkit_core::Error {
    exportkit_core::Error::new(
        exportkit_core::ErrorKind::Io,
        format!("writing output: {e}"),
    )
}

impl FormatWriter for ArrayWriter {
    fn begin(&mut self, _ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.part(self.part)?.write_all(b"[\n").map_err(io)
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        if frag.records == 0 {
            return Ok(());
        }
        let w = out.part(self.part)?;
        if self.wrote_any {
            w.write_all(b",\n").map_err(io)?;
        }
        self.wrote_any = true;
        w.write_all(&frag.bytes).map_err(io)
    }

    fn finish(self: Box<Self>, out: &mut Output) -> Result<()> {
        let w = out.part(self.part)?;
        // Label Studio: `[\n` + records + `\n]`, no final newline (`[\n\n]` when empty).
        let tail: &[u8] = match (self.compat, self.wrote_any) {
            (true, _) => b"\n]",
            (false, true) => b"\n]\n",
            (false, false) => b"]\n",
        };
        w.write_all(tail).map_err(io)?;
        out.close(self.part)
    }
}

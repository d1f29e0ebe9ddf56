//! Writes the mask files in input order; in clean mode each name is made unique.

use crate::masks::{Body, MaskFile};
use exportkit_core::names::split_ext;
use exportkit_core::{Error, ErrorKind, FormatWriter, Fragment, Output, Result};
use std::collections::HashSet;
use std::io::Write;

/// The sequential half: file names are settled here so output is the same for any thread count.
#[derive(Debug)]
pub struct Writer {
    clean: bool,
    taken: HashSet<String>,
}

impl Writer {
    /// A writer; `clean` gives a second file of the same name `-2`, `-3`.. before its extension
    /// (Label Studio overwrites it).
    pub fn new(clean: bool) -> Self {
        Writer {
            clean,
            taken: HashSet::new(),
        }
    }

    fn unique(&mut self, name: String) -> String {
        if !self.clean {
            return name;
        }
        let mut out = name.clone();
        let mut n = 2;
        while self.taken.contains(&out) {
            let (stem, ext) = split_ext(&name);
            out = format!("{stem}-{n}{ext}");
            n += 1;
        }
        self.taken.insert(out.clone());
        out
    }
}

impl FormatWriter for Writer {
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let Some(payload) = frag.payload else {
            return Ok(());
        };
        let files = payload
            .downcast::<Vec<MaskFile>>()
            .map_err(|_| Error::new(ErrorKind::Format, "brush: unexpected fragment payload"))?;
        for f in *files {
            let name = self.unique(f.name);
            match f.body {
                Body::Bytes(b) => out.write_file(&name, &b)?,
                Body::Runs(header, runs) => {
                    let io = |e: std::io::Error| Error::new(ErrorKind::Io, format!("{name}: {e}"));
                    let part = out.part(&name)?;
                    part.write_all(&header).map_err(io)?;
                    let mut chunk = Vec::with_capacity(1 << 16);
                    for (v, n) in runs {
                        let mut left = n as usize;
                        while left > 0 {
                            let take = left.min(chunk.capacity() - chunk.len());
                            chunk.resize(chunk.len() + take, v);
                            left -= take;
                            if chunk.len() == chunk.capacity() {
                                part.write_all(&chunk).map_err(io)?;
                                chunk.clear();
                            }
                        }
                    }
                    part.write_all(&chunk).map_err(io)?;
                    out.close(&name)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _out: &mut Output) -> Result<()> {
        Ok(())
    }
}

//! The sequential half: writes each document to `Annotations/`, in input order. Compat
//! overwrites like Label Studio (last write wins); clean names each task's file uniquely.

use crate::Docs;
use exportkit_core::names::{UniqueNames, split_ext};
use exportkit_core::{Error, ErrorKind, ExportContext, FormatWriter, Fragment, Output, Result};
use std::collections::HashSet;

pub(crate) struct Writer {
    compat: bool,
    annotations_dir: bool,
    /// Clean: image URL → unique image name.
    names: UniqueNames,
    /// Clean: XML stems already used (lower case, so names differ on any file system).
    stems: HashSet<String>,
}

impl Writer {
    pub(crate) fn new(compat: bool) -> Self {
        Writer {
            compat,
            annotations_dir: false,
            names: UniqueNames::new(),
            stems: HashSet::new(),
        }
    }

    /// A stem for `name` that no earlier file has: the image name's stem, else `<stem>-2`, ...
    /// (a second task showing the same image, or `a.jpg` and `a.png`).
    fn unique_stem(&mut self, name: &str) -> String {
        let (stem, _) = split_ext(name);
        let mut cand = stem.to_owned();
        let mut n = 2u64;
        while !self.stems.insert(cand.to_lowercase()) {
            cand = format!("{stem}-{n}");
            n += 1;
        }
        cand
    }
}

impl FormatWriter for Writer {
    fn begin(&mut self, _ctx: &ExportContext, out: &mut Output) -> Result<()> {
        out.dir("images")?;
        if !self.compat {
            out.dir("Annotations")?;
            self.annotations_dir = true;
        }
        Ok(())
    }

    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()> {
        let docs = frag
            .payload
            .and_then(|p| p.downcast::<Docs>().ok())
            .ok_or_else(|| Error::new(ErrorKind::Format, "VOC: unexpected fragment"))?;
        if docs.saw_item && !self.annotations_dir {
            out.dir("Annotations")?;
            self.annotations_dir = true;
        }
        for d in &docs.docs {
            let bytes = docs
                .bytes
                .get(d.range.clone())
                .ok_or_else(|| Error::new(ErrorKind::Format, "VOC: bad document range"))?;
            if self.compat {
                out.write_file(&format!("Annotations/{}", d.name), bytes)?;
            } else {
                let name = self.names.name_for(&d.name).to_owned();
                let stem = self.unique_stem(&name);
                let doc = crate::clean::assemble(&name, bytes);
                out.write_file(&format!("Annotations/{stem}.xml"), &doc)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _out: &mut Output) -> Result<()> {
        Ok(())
    }
}

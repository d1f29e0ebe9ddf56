//! `*_WITH_IMAGES`: each task's image copied to `images/<stem><ext>`, beside
//! `labels/<stem>.txt` (Ultralytics pairs an image with its label file by stem).
//!
//! The extension is the source's, as written (Ultralytics compares extensions without regard
//! to case). A source whose name has no extension Ultralytics reads (`/img?id=3`, `a.php`) is
//! renamed after its download by its content (PNG, JPEG, BMP, TIFF, WebP), else kept and
//! warned about. Downloads run in the background; a URL is fetched once per export (the
//! resolver's cache) however many tasks use it. A failed image is a warning; its label file
//! stays.

use crate::files::TaskRef;
use exportkit_core::exporter::Warning;
use exportkit_core::names::{basename, sanitize, split_ext};
use exportkit_core::resources::{Download, Downloader, shown_url};
use exportkit_core::{ExportContext, Output, Result};
use std::collections::HashSet;
use std::io::Read;

/// Image extensions Ultralytics reads (`ultralytics.data.utils.IMG_FORMATS`), lowercase.
const IMG_FORMATS: [&str; 11] = [
    "bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic",
];

/// An image to rename by its content once downloaded.
struct Unnamed {
    task: TaskRef,
    url: String,
    stem: String,
    name: String,
}

/// The image copies of one export.
pub(crate) struct Images {
    downloader: Downloader,
    unnamed: Vec<Unnamed>,
}

/// Whether `ext` (with its dot) is an extension Ultralytics reads.
pub(crate) fn is_image_ext(ext: &str) -> bool {
    ext.strip_prefix('.')
        .is_some_and(|e| IMG_FORMATS.iter().any(|f| f.eq_ignore_ascii_case(e)))
}

/// The extension of an image from its first bytes, for the formats Ultralytics reads.
pub(crate) fn sniff(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some("png"),
        [0xff, 0xd8, 0xff, ..] => Some("jpg"),
        [b'B', b'M', ..] => Some("bmp"),
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Some("tif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("webp"),
        _ => None,
    }
}

impl Images {
    /// Starts the download pool on the export's resolver.
    pub(crate) fn start(ctx: &ExportContext, out: &Output) -> Result<Self> {
        Ok(Images {
            downloader: Downloader::for_export(ctx, out)?,
            unnamed: Vec::new(),
        })
    }

    /// Queues the image `url` of `task`, whose label file is `labels/<stem>.txt`.
    pub(crate) fn copy(
        &mut self,
        out: &Output,
        stem: &str,
        url: &str,
        task: &TaskRef,
    ) -> Result<()> {
        let base = sanitize(basename(url));
        let ext = split_ext(&base).1;
        let name = format!("{stem}{ext}");
        let dest = out.path_for(&format!("images/{name}"))?;
        if !is_image_ext(ext) {
            self.unnamed.push(Unnamed {
                task: task.clone(),
                url: url.to_owned(),
                stem: stem.to_owned(),
                name,
            });
        }
        self.downloader.submit(Download {
            task_index: task.index,
            task_id: task.id.clone(),
            url: url.to_owned(),
            dest,
        });
        Ok(())
    }

    /// Waits for the downloads, names the images without an image extension, and turns every
    /// failure into a warning (in input order).
    pub(crate) fn finish(self, out: &mut Output) -> Result<()> {
        let mut warnings = Vec::new();
        let mut failed = HashSet::new();
        for (d, err) in self.downloader.finish() {
            failed.insert(d.task_index);
            warnings.push(Warning {
                task_index: d.task_index,
                task_id: d.task_id,
                message: format!("image {}: {err}", shown_url(&d.url)),
            });
        }
        for u in self.unnamed {
            if failed.contains(&u.task.index) {
                continue;
            }
            let from = out.path_for(&format!("images/{}", u.name))?;
            let mut head = Vec::with_capacity(16);
            std::fs::File::open(&from)
                .and_then(|f| f.take(16).read_to_end(&mut head))
                .map_err(|e| exportkit_core::Error::io(&from, e))?;
            match sniff(&head) {
                Some(ext) => {
                    let to = out.path_for(&format!("images/{}.{ext}", u.stem))?;
                    std::fs::rename(&from, &to).map_err(|e| exportkit_core::Error::io(&to, e))?;
                }
                None => warnings.push(Warning {
                    task_index: u.task.index,
                    task_id: u.task.id,
                    message: format!(
                        "image {}: saved as images/{}, a type Ultralytics does not read",
                        shown_url(&u.url),
                        u.name
                    ),
                }),
            }
        }
        warnings.sort_by_key(|w| w.task_index);
        for w in warnings {
            out.warn(w);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_by_extension_and_content() {
        for ext in [".jpg", ".JPG", ".Jpeg", ".png", ".tiff", ".webp"] {
            assert!(is_image_ext(ext), "{ext}");
        }
        for ext in ["", ".", ".gif", ".php", "jpg", ".jpg.txt"] {
            assert!(!is_image_ext(ext), "{ext}");
        }
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some("jpg"));
        assert_eq!(sniff(b"BM\x36\0"), Some("bmp"));
        assert_eq!(sniff(b"II*\0\x08\0"), Some("tif"));
        assert_eq!(sniff(b"MM\0*\0\0"), Some("tif"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("webp"));
        for other in [
            &b""[..],
            b"GIF89a",
            b"%PDF-1.7",
            b"RIFF\0\0\0\0WAVE",
            b"\x89PN",
        ] {
            assert_eq!(sniff(other), None, "{other:?}");
        }
    }
}

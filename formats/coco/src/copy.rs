//! `COCO_WITH_IMAGES`: copies each image into `images/<unique name>` in the background, once per
//! distinct URL, and turns failures into warnings at the end.

use crate::records::TaskRef;
use exportkit_core::exporter::Warning;
use exportkit_core::resources::{Download, Downloader, Resolver};
use exportkit_core::{ExportContext, Output, Result};
use std::collections::HashSet;
use std::sync::Arc;

/// The background copies of one export.
#[derive(Debug)]
pub(crate) struct Copier {
    downloader: Downloader,
    /// Output names already queued. Names are unique per URL, so this is the set of URLs.
    queued: HashSet<String>,
}

impl Copier {
    /// Starts the download threads on the export's resolver.
    pub(crate) fn start(ctx: &ExportContext, out: &Output) -> Result<Self> {
        let resolver = match out.resolver() {
            Some(r) => r.clone(),
            None => Arc::new(Resolver::new(&ctx.options.resources)?),
        };
        Ok(Copier {
            downloader: Downloader::new(resolver.clone(), resolver.parallel()),
            queued: HashSet::new(),
        })
    }

    /// Queues the copy of `url` to the output path `name` (`images/<unique name>`), unless it
    /// is already queued.
    pub(crate) fn copy(
        &mut self,
        url: &str,
        name: &str,
        task: &TaskRef,
        out: &Output,
    ) -> Result<()> {
        if self.queued.contains(name) {
            return Ok(());
        }
        let dest = out.path_for(name)?;
        self.queued.insert(name.to_owned());
        self.downloader.submit(Download {
            task_index: task.index,
            task_id: task.id.clone(),
            url: url.to_owned(),
            dest,
        });
        Ok(())
    }

    /// Waits for every copy; each failure becomes a warning about the first task that named
    /// the image.
    pub(crate) fn finish(self, out: &mut Output) {
        for (job, err) in self.downloader.finish() {
            out.warn(Warning {
                task_index: job.task_index,
                task_id: job.task_id,
                message: format!("image {}: {err}", shown(&job.url)),
            });
        }
    }
}

/// `url` for messages: an http(s) URL without its credentials and query (presigned URLs carry
/// signatures there); anything else as written.
fn shown(url: &str) -> String {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let Some(rest_at) = ["https://", "http://"]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| p.len())
    else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(rest_at);
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (path, query) = rest.split_at(end);
    let host_end = path.find('/').unwrap_or(path.len());
    let (authority, tail) = path.split_at(host_end);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let cut = if query.starts_with('?') { "?…" } else { "" };
    format!("{scheme}{host}{tail}{cut}")
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn urls_in_messages_lose_credentials_and_queries() {
        assert_eq!(
            shown("https://u:p@h.example/a/b.jpg?X-Amz-Signature=s#f"),
            "https://h.example/a/b.jpg?…"
        );
        assert_eq!(shown("HTTP://h/x.png"), "HTTP://h/x.png");
        assert_eq!(shown("http://h"), "http://h");
        assert_eq!(
            shown("/data/local-files/?d=dir/x.png"),
            "/data/local-files/?d=dir/x.png"
        );
        assert_eq!(shown("/data/upload/1/ü.png"), "/data/upload/1/ü.png");
    }
}

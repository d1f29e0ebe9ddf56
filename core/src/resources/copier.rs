//! Copying task media into an export's output: the download pool on the export's resolver,
//! one copy per output name, failures turned into warnings, and URLs as messages show them.

use super::{Download, Downloader, Resolver};
use crate::exporter::Warning;
use crate::{ExportContext, Output, Result};
use std::collections::HashSet;
use std::sync::Arc;

impl Downloader {
    /// A download pool on the export's resolver (the output's, else one built from the
    /// export's resource options), as wide as the resolver allows.
    pub fn for_export(ctx: &ExportContext, out: &Output) -> Result<Self> {
        let resolver = match out.resolver() {
            Some(r) => r.clone(),
            None => Arc::new(Resolver::new(&ctx.options.resources)?),
        };
        let parallel = resolver.parallel();
        Ok(Downloader::new(resolver, parallel))
    }
}

/// Background copies of an export's images into the output, once per output name.
#[derive(Debug)]
pub struct ImageCopier {
    downloader: Downloader,
    /// Output names already queued.
    queued: HashSet<String>,
}

impl ImageCopier {
    /// Starts the download pool ([`Downloader::for_export`]).
    pub fn start(ctx: &ExportContext, out: &Output) -> Result<Self> {
        Ok(ImageCopier {
            downloader: Downloader::for_export(ctx, out)?,
            queued: HashSet::new(),
        })
    }

    /// Queues the copy of `url` (named by the task at `task_index`, id `task_id`) to the output
    /// path `name`, unless that name is already queued.
    pub fn copy(
        &mut self,
        url: &str,
        name: &str,
        task_index: u64,
        task_id: Option<&str>,
        out: &Output,
    ) -> Result<()> {
        if self.queued.contains(name) {
            return Ok(());
        }
        let dest = out.path_for(name)?;
        self.queued.insert(name.to_owned());
        self.downloader.submit(Download {
            task_index,
            task_id: task_id.map(str::to_owned),
            url: url.to_owned(),
            dest,
        });
        Ok(())
    }

    /// Waits for every copy; each failure becomes a warning about the task that queued it.
    pub fn finish(self, out: &mut Output) {
        for (job, err) in self.downloader.finish() {
            out.warn(Warning {
                task_index: job.task_index,
                task_id: job.task_id,
                message: format!("image {}: {err}", shown_url(&job.url)),
            });
        }
    }
}

/// `url` for messages: an http(s) URL without its credentials, query and fragment (presigned
/// URLs carry signatures in the query; a cut query shows as `?…`); anything else as written
/// (`/data/local-files/?d=<path>` names a file, not a secret). Unlike [`super::redact`], the
/// URL is not parsed or normalised.
pub fn shown_url(url: &str) -> String {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let Some(at) = ["https://", "http://"]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| p.len())
    else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(at);
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (path, tail) = rest.split_at(end);
    let host_end = path.find('/').unwrap_or(path.len());
    let (authority, path) = path.split_at(host_end);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let cut = if tail.starts_with('?') { "?…" } else { "" };
    format!("{scheme}{host}{path}{cut}")
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn urls_in_messages_lose_credentials_and_queries() {
        for (url, want) in [
            (
                "https://u:p@h.example/a/b.jpg?X-Amz-Signature=s#f",
                "https://h.example/a/b.jpg?…",
            ),
            ("HTTP://h/x.png", "HTTP://h/x.png"),
            ("http://h", "http://h"),
            (
                "/data/local-files/?d=dir/x.png",
                "/data/local-files/?d=dir/x.png",
            ),
            ("/data/upload/1/ü.png", "/data/upload/1/ü.png"),
            ("/data/upload/1/a.png", "/data/upload/1/a.png"),
            ("s3://b/k/a.png", "s3://b/k/a.png"),
            (
                "HTTPS://u:p@h.example:8080/a.png?X-Amz-Signature=s#f",
                "HTTPS://h.example:8080/a.png?…",
            ),
            ("http://h/a@b.png#x", "http://h/a@b.png"),
            ("http://u@h", "http://h"),
        ] {
            assert_eq!(shown_url(url), want, "{url}");
        }
    }
}

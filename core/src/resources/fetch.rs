//! Fetching: [`Resolver::fetch_to`] (copy or download, retries with backoff, atomic placement)
//! and [`fetch_all`] (bounded parallel downloads).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::error::{ResourceError, ResourceErrorKind};
use super::{Resolver, Source};

/// Longest wait before a retry (backoff or `Retry-After`).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

impl Resolver {
    /// Copies or downloads the resource at `url` to `dest` and returns its size in bytes.
    ///
    /// The file is written as `dest.partial` and renamed into place, so `dest` is either whole
    /// or untouched; parent directories are created. Downloads are retried with exponential
    /// backoff on transient failures (connect errors, 5xx, 429) and cached by resolved URL (a
    /// cloud URI by the URI), so a URL is downloaded once per resolver (a failure is remembered
    /// too, and not retried for the next task that names the URL); `dest` is then a hard
    /// link to the cached file where the file system allows (treat it as read-only while the
    /// resolver lives), else a copy. `task_id` is needed to presign cloud URIs.
    pub fn fetch_to(
        &self,
        url: &str,
        task_id: Option<&str>,
        dest: &Path,
    ) -> Result<u64, ResourceError> {
        let located = self.locate_keyed(url, task_id)?;
        match &located.source {
            Source::Local(path) => place(path, dest, false),
            Source::Remote { url, .. } => place(&self.cached(&located.cache_key, url)?, dest, true),
        }
    }

    /// The local file holding the resource at `url`: a local source's own (canonical) path, a
    /// remote one's cached download (downloaded, with retries, on first use; a failure is
    /// remembered like [`fetch_to`](Self::fetch_to)'s). Treat the file as read-only.
    pub fn local_copy(&self, url: &str, task_id: Option<&str>) -> Result<PathBuf, ResourceError> {
        let located = self.locate_keyed(url, task_id)?;
        match &located.source {
            Source::Local(path) => Ok(path.clone()),
            Source::Remote { url, .. } => self.cached(&located.cache_key, url),
        }
    }

    /// The cached download of `url`, downloading it (with retries) on first use.
    pub(crate) fn cached(&self, key: &str, url: &str) -> Result<PathBuf, ResourceError> {
        self.cache
            .get_or_fetch(key, |partial| self.download_with_retries(url, partial))
    }

    fn download_with_retries(&self, url: &str, partial: &Path) -> Result<u64, ResourceError> {
        let mut attempt = 0u32;
        loop {
            match self.http.download(url, partial) {
                Ok(n) => return Ok(n),
                Err(e) => {
                    let _ = std::fs::remove_file(partial);
                    if !e.is_transient() || attempt >= self.retries {
                        return Err(e);
                    }
                    std::thread::sleep(retry_delay(self.retry_backoff, attempt, e.retry_after()));
                    attempt += 1;
                }
            }
        }
    }
}

/// `backoff * 2^attempt`, or the server's `Retry-After`, at most [`MAX_RETRY_DELAY`].
fn retry_delay(backoff: Duration, attempt: u32, retry_after: Option<u64>) -> Duration {
    let delay = match retry_after {
        Some(secs) => Duration::from_secs(secs),
        None => backoff.saturating_mul(2u32.saturating_pow(attempt)),
    };
    delay.min(MAX_RETRY_DELAY)
}

/// `dest` with `.partial` appended to its file name.
fn partial_path(dest: &Path) -> Result<PathBuf, ResourceError> {
    let name = dest.file_name().ok_or_else(|| {
        ResourceError::new(
            ResourceErrorKind::Io,
            format!("{}: not a file path", dest.display()),
        )
    })?;
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(dest.with_file_name(partial))
}

/// Puts a copy (or, with `link`, a hard link where possible) of `src` at `dest` atomically.
fn place(src: &Path, dest: &Path, link: bool) -> Result<u64, ResourceError> {
    let partial = partial_path(dest)?;
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| ResourceError::io(parent.display(), &e))?;
    }
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let linked = link && std::fs::hard_link(src, &partial).is_ok();
        let n = if linked {
            std::fs::metadata(&partial).map(|m| m.len())
        } else {
            std::fs::copy(src, &partial)
        }
        .map_err(|e| ResourceError::io(dest.display(), &e))?;
        std::fs::rename(&partial, dest).map_err(|e| ResourceError::io(dest.display(), &e))?;
        Ok(n)
    })();
    // Also after success: renaming a link onto another link of the same file (the same URL
    // fetched to the same `dest` twice) leaves both names in place.
    let _ = std::fs::remove_file(&partial);
    result
}

/// One download for [`fetch_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchJob {
    /// The URL as written in the task.
    pub url: String,
    /// The task's id (needed to presign cloud URIs).
    pub task_id: Option<String>,
    /// Where the file goes.
    pub dest: PathBuf,
}

/// Runs `jobs` through [`Resolver::fetch_to`] on `parallel` threads (at least one) and returns
/// each job's result, in job order. A failed job never stops the others.
pub fn fetch_all(
    resolver: &Resolver,
    jobs: Vec<FetchJob>,
    parallel: usize,
) -> Vec<Result<u64, ResourceError>> {
    let threads = parallel.max(1).min(jobs.len());
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<u64, ResourceError>>> = vec![None; jobs.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let r = resolver.fetch_to(&job.url, job.task_id.as_deref(), &job.dest);
                        done.push((i, r));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            for (i, r) in worker.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(ResourceError::new(
                    ResourceErrorKind::Io,
                    "download worker stopped unexpectedly",
                ))
            })
        })
        .collect()
}

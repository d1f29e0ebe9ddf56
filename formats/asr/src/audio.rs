//! Finding a task's audio and reading its duration, in the (parallel) encoder.

use crate::wav::{Strictness, read_info};
use exportkit_core::resources::{Resolver, Source};
use std::path::{Path, PathBuf};

/// The audio of one task, as the encoder found it.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Seconds, from the WAV header.
    pub(crate) duration: f64,
}

/// Reads audio headers for one batch; remote files are fetched into a scratch directory
/// (through the resolver's cache, so the writer's copy does not download them again).
#[derive(Debug)]
pub(crate) struct Reader<'r> {
    resolver: &'r Resolver,
    scratch_parent: Option<&'r Path>,
    scratch: Option<tempfile::TempDir>,
}

fn read_file(path: &Path, strict: Strictness) -> Result<f64, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open the audio file: {e}"))?;
    let mut r = std::io::BufReader::with_capacity(4096, f);
    read_info(&mut r, strict).map(|i| i.seconds())
}

impl<'r> Reader<'r> {
    pub(crate) fn new(resolver: &'r Resolver, scratch_parent: Option<&'r Path>) -> Self {
        Reader {
            resolver,
            scratch_parent,
            scratch: None,
        }
    }

    /// Where `url` is (no I/O beyond a stat).
    pub(crate) fn locate(&self, url: &str, task_id: Option<&str>) -> Result<Source, String> {
        self.resolver
            .locate(url, task_id)
            .map_err(|e| format!("audio {}: {e}", exportkit_core::resources::redact(url)))
    }

    /// The duration of the audio at `url`, already located at `source`.
    pub(crate) fn read(
        &mut self,
        url: &str,
        task_id: Option<&str>,
        source: Source,
        strict: Strictness,
    ) -> Result<Found, String> {
        let shown = exportkit_core::resources::redact(url);
        match source {
            Source::Local(path) => {
                let duration =
                    read_file(&path, strict).map_err(|e| format!("audio {shown}: {e}"))?;
                Ok(Found { duration })
            }
            Source::Remote { .. } => {
                let path = self.scratch_file()?;
                self.resolver
                    .fetch_to(url, task_id, &path)
                    .map_err(|e| format!("audio {shown}: {e}"))?;
                let duration = read_file(&path, strict);
                let _ = std::fs::remove_file(&path);
                Ok(Found {
                    duration: duration.map_err(|e| format!("audio {shown}: {e}"))?,
                })
            }
        }
    }

    fn scratch_file(&mut self) -> Result<PathBuf, String> {
        if self.scratch.is_none() {
            let mut b = tempfile::Builder::new();
            b.prefix(".exportkit-asr-");
            let dir = match self.scratch_parent {
                Some(p) => b.tempdir_in(p),
                None => b.tempdir(),
            }
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
            self.scratch = Some(dir);
        }
        self.scratch
            .as_ref()
            .map(|d| d.path().join("audio"))
            .ok_or_else(|| "no scratch directory".to_owned())
    }
}

/// Python's `urllib.parse.unquote`.
fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn py_basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// How Label Studio's `download()` treats a URL, and the file name it copies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LsKind {
    /// `/data/upload/...`: copied as `audio/<basename of the unquoted path>`.
    Upload(String),
    /// `/data/...?d=...`: copied under its own basename; `audio_filepath` is the local path.
    LocalFiles,
    /// Anything else: downloaded as `audio/<basename of urlparse(url).path>`.
    Http(String),
}

/// Label Studio's reading of `url`.
pub(crate) fn ls_kind(url: &str) -> LsKind {
    if url.starts_with("/data/upload") {
        let name = unquote(&url.replace("/data/upload/", ""));
        return LsKind::Upload(py_basename(&name).to_owned());
    }
    if url.starts_with("/data/") && url.contains("?d=") {
        return LsKind::LocalFiles;
    }
    // urlparse: drop the fragment, the query, the netloc and `;params` of the last segment.
    let mut rest = url.split('#').next().unwrap_or(url);
    rest = rest.split('?').next().unwrap_or(rest);
    if let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        rest = after.find('/').map_or("", |j| &after[j..]);
    }
    let last = py_basename(rest);
    let last = last.split(';').next().unwrap_or(last);
    LsKind::Http(last.to_owned())
}

/// The name Label Studio gives a local file's copy.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{LsKind, ls_kind};

    #[test]
    fn names_follow_label_studio() {
        assert_eq!(
            ls_kind("/data/upload/1/a%20b.wav"),
            LsKind::Upload("a b.wav".into())
        );
        assert_eq!(ls_kind("/data/local-files/?d=x/y.wav"), LsKind::LocalFiles);
        assert_eq!(
            ls_kind("https://h.org/p/q.wav;v=1?x=/z#f"),
            LsKind::Http("q.wav".into())
        );
        assert_eq!(ls_kind("https://h.org"), LsKind::Http(String::new()));
    }
}

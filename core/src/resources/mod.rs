//! Resources: finding, fetching and measuring the media that tasks point to (images, audio),
//! as Label Studio's converter does, but confined and hardened.
//!
//! A [`Resolver`] is built once per export from [`ResourceOptions`]. It maps a task URL to a
//! [`Source`] ([`Resolver::locate`]), copies or downloads it ([`Resolver::fetch_to`],
//! [`fetch_all`]) and reads image dimensions from headers ([`Resolver::image_size`]).
//!
//! What a task URL may reach:
//! - `/data/upload/<pid>/<file>` (or `upload/...`): `<upload_dir>/<pid>/<file>`; without
//!   `upload_dir`, `{hostname}/data/upload/<pid>/<file>` with the token.
//! - `/data/local-files/?d=<path>`: `<local_files_root>/<path>`; without the root,
//!   `{hostname}/data/local-files/?d=<path>` with the token.
//! - an absolute path or `file://` URL: only under `allowed_roots` (none by default).
//! - `http(s)://`: downloaded, to public addresses only unless `allow_hosts` opens more.
//! - `s3://`, `gs://`, `azure-blob://`: the `cloud_hook`, else
//!   `{hostname}/tasks/{task_id}/presign/?fileuri=<urlsafe-base64>`.
//!
//! Relative paths are confined lexically (no `..`, no absolute `d`, no NUL, after one
//! percent-decoding) and then canonically (symlinks may not leave the root). Downloads connect
//! only to addresses the policy allows, checked in the HTTP client's resolver on the address
//! actually connected to, on every redirect hop; they are bounded in redirects, size and time.
//! Every failure is a per-item [`ResourceError`], never a panic.

mod cache;
mod copier;
mod downloader;
mod error;
mod fetch;
mod http;
mod image;
mod local;
mod locate;
mod options;
mod policy;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testserver;

pub use copier::{ImageCopier, shown_url};
pub use downloader::{Download, Downloader};

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::{ResourceError, ResourceErrorKind, redact};
pub use fetch::{FetchJob, fetch_all};
pub use options::{CloudHook, ResourceOptions};
pub use policy::{AddressClass, classify};

use crate::{Error, ErrorKind};

/// Where a resource is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local regular file, canonical, inside its root.
    Local(PathBuf),
    /// An http(s) URL to download.
    Remote {
        /// The URL (presign endpoint or upload URL included).
        url: String,
        /// Whether the token is sent to it (it is on `hostname`'s origin and a token is set).
        auth: bool,
    },
}

/// The Label Studio instance named by `hostname`.
#[derive(Debug)]
struct LsInstance {
    /// `hostname` without its trailing `/`.
    base: String,
}

/// Resolves and fetches task resources under one [`ResourceOptions`]. `Send + Sync`: share one
/// per export across threads. Its download cache is removed when it is dropped.
pub struct Resolver {
    upload_root: Option<local::Root>,
    local_root: Option<local::Root>,
    allowed_roots: Vec<local::Root>,
    ls: Option<LsInstance>,
    cloud_hook: Option<CloudHook>,
    http: http::Http,
    cache: cache::Cache,
    retries: u32,
    retry_backoff: Duration,
    parallel: usize,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("upload_root", &self.upload_root)
            .field("local_root", &self.local_root)
            .field("allowed_roots", &self.allowed_roots)
            .field("ls", &self.ls)
            .field("retries", &self.retries)
            .field("parallel", &self.parallel)
            .finish_non_exhaustive()
    }
}

fn options_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Options, message)
}

impl Resolver {
    /// Checks the options and builds a resolver: directories must exist, `hostname` must be an
    /// http(s) URL, `allow_hosts` entries must be `HOST`, `IP` or `CIDR`, the token printable
    /// ASCII. Errors are of kind [`ErrorKind::Options`].
    pub fn new(opts: &ResourceOptions) -> Result<Self, Error> {
        let ls_url = opts
            .hostname
            .as_deref()
            .map(|h| {
                let u = url::Url::parse(h.trim())
                    .map_err(|e| options_error(format!("--hostname {h:?}: {e}")))?;
                let ok = matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.query().is_none()
                    && u.fragment().is_none();
                if ok {
                    Ok(u)
                } else {
                    Err(options_error(format!(
                        "--hostname {h:?}: expected http(s)://HOST[:PORT][/PATH]"
                    )))
                }
            })
            .transpose()?;
        let auth_header = match opts.token.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) if !t.bytes().all(|b| (0x20..0x7f).contains(&b)) => {
                return Err(options_error("--token: must be printable ASCII"));
            }
            Some(t) if t.starts_with("Token ") || t.starts_with("Bearer ") => Some(t.to_owned()),
            Some(t) => Some(format!("Token {t}")),
        };
        let ls_host = ls_url.as_ref().and_then(|u| u.host()).map(|h| h.to_owned());
        let policy = Arc::new(
            policy::Policy::new(&opts.allow_hosts, ls_host.as_ref()).map_err(options_error)?,
        );
        let root = |dir: &PathBuf, flag| local::Root::new(dir, flag).map_err(options_error);
        let upload_root = opts
            .upload_dir
            .as_ref()
            .map(|d| root(d, "--upload-dir"))
            .transpose()?;
        let local_root = opts
            .local_files_root
            .as_ref()
            .map(|d| root(d, "--local-files-root"))
            .transpose()?;
        let allowed_roots = opts
            .allowed_roots
            .iter()
            .map(|d| root(d, "--allow-root"))
            .collect::<Result<Vec<_>, _>>()?;
        let cache = cache::Cache::new(opts.cache_dir.as_deref())
            .map_err(|e| options_error(format!("cannot create the download cache: {e}")))?;
        Ok(Resolver {
            http: http::Http::new(opts, policy, ls_url.as_ref(), auth_header),
            ls: ls_url.map(|u| LsInstance {
                base: u.as_str().trim_end_matches('/').to_owned(),
            }),
            upload_root,
            local_root,
            allowed_roots,
            cloud_hook: opts.cloud_hook.clone(),
            cache,
            retries: opts.retries,
            retry_backoff: opts.retry_backoff,
            parallel: opts.parallel.max(1),
        })
    }

    /// Where `url` (a task's data value) is, without touching the network or reading files
    /// (a local path is canonicalized, which may stat it). `task_id` is needed to presign
    /// cloud URIs.
    pub fn locate(&self, url: &str, task_id: Option<&str>) -> Result<Source, ResourceError> {
        self.locate_keyed(url, task_id).map(|l| l.source)
    }

    /// The `parallel` option: how many downloads to run at once with [`fetch_all`].
    pub fn parallel(&self) -> usize {
        self.parallel
    }
}

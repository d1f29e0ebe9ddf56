//! [`ResourceOptions`]: where local files may be read from, which hosts downloads may reach, and
//! the limits of each download.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Maps a cloud URI (`s3://`, `gs://`, `azure-blob://`) to an http(s) URL to download, or
/// `None` when it cannot. The URL is then fetched under the same policy as any other.
pub type CloudHook = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How task URLs are resolved and fetched. Built into a [`Resolver`](super::Resolver) once per
/// export.
#[derive(Clone)]
pub struct ResourceOptions {
    /// Label Studio's media upload directory: `/data/upload/<pid>/<file>` is read as
    /// `<upload_dir>/<pid>/<file>`. Without it (and with `hostname`), uploads are downloaded.
    pub upload_dir: Option<PathBuf>,
    /// Label Studio's `LOCAL_FILES_DOCUMENT_ROOT`: `/data/local-files/?d=<path>` is read as
    /// `<local_files_root>/<path>`. Without it (and with `hostname`), they are downloaded.
    pub local_files_root: Option<PathBuf>,
    /// Directories under which absolute file paths in task data may be read (default: none).
    pub allowed_roots: Vec<PathBuf>,
    /// The Label Studio instance, e.g. `http://localhost:8080`: uploads, local files and
    /// cloud URIs are fetched from it when not read locally, and its host is allowed.
    pub hostname: Option<String>,
    /// API token sent as `Authorization: Token <token>` (or as given, when it already starts
    /// with `Token ` or `Bearer `), only to `hostname`'s scheme, host and port.
    pub token: Option<String>,
    /// `HOST`, `IP` or `CIDR` entries that downloads may reach although they are not public
    /// (an allowed host name may resolve to any unicast address).
    pub allow_hosts: Vec<String>,
    /// Largest response body, in bytes (default 100 MiB). Applies to downloads.
    pub max_bytes: u64,
    /// Time to establish a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time for one whole download attempt, redirects and body included (default 120 s).
    pub timeout: Duration,
    /// Retries after a transient failure (connect error, 5xx, 429), default 3.
    pub retries: u32,
    /// Delay before the first retry, doubled for each further one (default 500 ms); a 429's or
    /// 5xx's `Retry-After` (in seconds) is honoured instead. Waits are capped at 30 s.
    pub retry_backoff: Duration,
    /// Redirects followed per download (default 5).
    pub max_redirects: u32,
    /// Downloads run at once by [`fetch_all`](super::fetch_all) callers (default 8).
    pub parallel: usize,
    /// Where the download cache's temporary directory is made (default: the system's).
    /// On the same file system as the output, fetched files are hard links, not copies.
    pub cache_dir: Option<PathBuf>,
    /// Maps cloud URIs to URLs; tried before `hostname`'s presign endpoint.
    pub cloud_hook: Option<CloudHook>,
}

impl Default for ResourceOptions {
    fn default() -> Self {
        ResourceOptions {
            upload_dir: None,
            local_files_root: None,
            allowed_roots: Vec::new(),
            hostname: None,
            token: None,
            allow_hosts: Vec::new(),
            max_bytes: 100 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            retries: 3,
            retry_backoff: Duration::from_millis(500),
            max_redirects: 5,
            parallel: 8,
            cache_dir: None,
            cloud_hook: None,
        }
    }
}

impl fmt::Debug for ResourceOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceOptions")
            .field("upload_dir", &self.upload_dir)
            .field("local_files_root", &self.local_files_root)
            .field("allowed_roots", &self.allowed_roots)
            .field("hostname", &self.hostname)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allow_hosts", &self.allow_hosts)
            .field("max_bytes", &self.max_bytes)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("max_redirects", &self.max_redirects)
            .field("parallel", &self.parallel)
            .field("cache_dir", &self.cache_dir)
            .field("cloud_hook", &self.cloud_hook.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

//! [`ResourceError`]: why one resource could not be located, fetched or measured.

use std::fmt;

/// What went wrong with one resource, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceErrorKind {
    /// The policy refused it: a non-public address, a path outside its root, a bad path.
    Refused,
    /// The local file does not exist.
    NotFound,
    /// The server answered with this status (after retries, for 5xx and 429), or redirected too
    /// often.
    Http(u16),
    /// The response was larger than `max_bytes`.
    TooLarge,
    /// Connecting or the whole request took longer than its timeout.
    Timeout,
    /// Not something this resolver can fetch (unknown scheme, relative path, no hostname for a
    /// Label Studio URL, not an image).
    Unsupported,
    /// Reading, writing or transferring failed.
    Io,
}

/// A per-item failure: a kind and a one-line reason, e.g.
/// `refused: private address 10.0.0.5; see --allow-host`.
///
/// URLs in messages have their query string and credentials removed (presigned URLs carry
/// signatures there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceError {
    kind: ResourceErrorKind,
    message: String,
    transient: bool,
    retry_after: Option<u64>,
}

impl ResourceError {
    /// A new error of `kind` with a reason (without the kind's prefix).
    pub fn new(kind: ResourceErrorKind, message: impl Into<String>) -> Self {
        ResourceError {
            kind,
            message: message.into(),
            transient: false,
            retry_after: None,
        }
    }

    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self::new(ResourceErrorKind::Refused, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ResourceErrorKind::Unsupported, message)
    }

    pub(crate) fn io(what: impl fmt::Display, e: &std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ResourceErrorKind::NotFound,
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                ResourceErrorKind::Timeout
            }
            _ => ResourceErrorKind::Io,
        };
        Self::new(kind, format!("{what}: {e}"))
    }

    /// Marks the error as worth retrying (connect failures, 5xx, 429).
    pub(crate) fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// Sets the server's `Retry-After`, in seconds.
    pub(crate) fn with_retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after = secs;
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ResourceErrorKind {
        self.kind
    }

    /// The reason, without the kind's prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether a retry could succeed (connect failures, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ResourceErrorKind::Refused => write!(f, "refused: {}", self.message),
            ResourceErrorKind::NotFound => write!(f, "not found: {}", self.message),
            ResourceErrorKind::Http(code) => write!(f, "HTTP {code}: {}", self.message),
            ResourceErrorKind::TooLarge => write!(f, "too large: {}", self.message),
            ResourceErrorKind::Timeout => write!(f, "timed out: {}", self.message),
            ResourceErrorKind::Unsupported => write!(f, "unsupported: {}", self.message),
            ResourceErrorKind::Io => write!(f, "I/O error: {}", self.message),
        }
    }
}

impl std::error::Error for ResourceError {}

impl From<ResourceError> for crate::Error {
    fn from(e: ResourceError) -> Self {
        crate::Error::new(crate::ErrorKind::Io, e.to_string())
    }
}

/// `url` without its query, fragment and credentials, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            let had_query = u.query().is_some();
            u.set_query(None);
            u.set_fragment(None);
            let mut s = u.to_string();
            if had_query {
                s.push_str("?…");
            }
            s
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_owned(),
    }
}

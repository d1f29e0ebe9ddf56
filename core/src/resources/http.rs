//! One download attempt over http(s): redirects followed by hand (each hop re-checked, the
//! token re-decided), the body streamed to a file under a size cap, all within one deadline.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::{ResourceError, ResourceErrorKind, redact};
use super::options::ResourceOptions;
use super::policy::{GuardedResolver, Policy, find_refusal};

/// The HTTP side of a resolver.
#[derive(Debug)]
pub(crate) struct Http {
    agent: ureq::Agent,
    policy: Arc<Policy>,
    ls_origin: Option<url::Origin>,
    auth_header: Option<String>,
    max_bytes: u64,
    timeout: Duration,
    max_redirects: u32,
}

impl Http {
    pub(crate) fn new(
        opts: &ResourceOptions,
        policy: Arc<Policy>,
        ls: Option<&url::Url>,
        auth_header: Option<String>,
    ) -> Self {
        let agent = ureq::AgentBuilder::new()
            .resolver(GuardedResolver(policy.clone()))
            .redirects(0)
            .timeout_connect(opts.connect_timeout)
            .user_agent(concat!("exportkit/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent,
            policy,
            ls_origin: ls.map(url::Url::origin),
            auth_header,
            max_bytes: opts.max_bytes,
            timeout: opts.timeout,
            max_redirects: opts.max_redirects,
        }
    }

    /// Parses `url`: http(s) with a host, and a literal IP host must pass the policy.
    pub(crate) fn check_url(&self, url: &str) -> Result<url::Url, ResourceError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| ResourceError::unsupported(format!("bad URL {}: {e}", redact(url))))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ResourceError::refused(format!(
                "{}: only http and https may be downloaded",
                redact(url)
            )));
        }
        let host = parsed.host().ok_or_else(|| {
            ResourceError::unsupported(format!("URL without a host: {}", redact(url)))
        })?;
        self.policy
            .check_host(&host)
            .map_err(|r| ResourceError::refused(r.to_string()))?;
        Ok(parsed)
    }

    /// Whether the token goes to `url`: only to `hostname`'s scheme, host and port.
    pub(crate) fn sends_token(&self, url: &url::Url) -> bool {
        self.auth_header.is_some() && self.ls_origin.as_ref() == Some(&url.origin())
    }

    /// Downloads `url` into `dest` (created or truncated), returning the body's length.
    pub(crate) fn download(&self, url: &str, dest: &Path) -> Result<u64, ResourceError> {
        let deadline = Instant::now() + self.timeout;
        let mut current = self.check_url(url)?;
        let mut hops = 0u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timeout(&current));
            }
            let mut request = self.agent.request_url("GET", &current).timeout(remaining);
            if let (true, Some(auth)) = (self.sends_token(&current), &self.auth_header) {
                request = request.set("Authorization", auth);
            }
            match request.call() {
                Ok(resp) if (300..400).contains(&resp.status()) => {
                    let status = resp.status();
                    let location = resp.header("location").ok_or_else(|| {
                        ResourceError::new(
                            ResourceErrorKind::Http(status),
                            format!(
                                "redirect without Location from {}",
                                redact(current.as_str())
                            ),
                        )
                    })?;
                    let next = current.join(location).map_err(|e| {
                        ResourceError::unsupported(format!(
                            "bad redirect from {}: {e}",
                            redact(current.as_str())
                        ))
                    })?;
                    hops += 1;
                    if hops > self.max_redirects {
                        return Err(ResourceError::new(
                            ResourceErrorKind::Http(status),
                            format!(
                                "more than {} redirects from {}",
                                self.max_redirects,
                                redact(url)
                            ),
                        ));
                    }
                    current = self.check_url(next.as_str())?;
                }
                Ok(resp) => return self.save(resp, &current, dest),
                Err(ureq::Error::Status(code, resp)) => {
                    return Err(status_error(code, &resp, &current));
                }
                Err(ureq::Error::Transport(t)) => return Err(transport_error(&t, &current)),
            }
        }
    }

    /// Streams the body to `dest`, failing past `max_bytes`.
    fn save(
        &self,
        resp: ureq::Response,
        url: &url::Url,
        dest: &Path,
    ) -> Result<u64, ResourceError> {
        let too_large = || {
            ResourceError::new(
                ResourceErrorKind::TooLarge,
                format!(
                    "{} is larger than {} bytes; see --max-bytes",
                    redact(url.as_str()),
                    self.max_bytes
                ),
            )
        };
        let declared = resp
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.max_bytes) {
            return Err(too_large());
        }
        let mut file = File::create(dest).map_err(|e| ResourceError::io(dest.display(), &e))?;
        let mut body = resp.into_reader().take(self.max_bytes.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(body_error(&e, url)),
            };
            total += n as u64;
            if total > self.max_bytes {
                return Err(too_large());
            }
            let chunk = buf.get(..n).unwrap_or_default();
            file.write_all(chunk)
                .map_err(|e| ResourceError::io(dest.display(), &e))?;
        }
        file.flush()
            .map_err(|e| ResourceError::io(dest.display(), &e))?;
        Ok(total)
    }
}

fn timeout(url: &url::Url) -> ResourceError {
    ResourceError::new(
        ResourceErrorKind::Timeout,
        format!("{}; see --timeout", redact(url.as_str())),
    )
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

fn body_error(e: &io::Error, url: &url::Url) -> ResourceError {
    if is_timeout(e) {
        timeout(url)
    } else {
        // A connection cut mid-body is worth another try.
        ResourceError::new(
            ResourceErrorKind::Io,
            format!("{}: {e}", redact(url.as_str())),
        )
        .transient()
    }
}

fn status_error(code: u16, resp: &ureq::Response, url: &url::Url) -> ResourceError {
    let e = ResourceError::new(ResourceErrorKind::Http(code), redact(url.as_str()));
    if code == 429 || (500..600).contains(&code) {
        let retry_after = resp
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok());
        e.transient().with_retry_after(retry_after)
    } else {
        e
    }
}

fn transport_error(t: &ureq::Transport, url: &url::Url) -> ResourceError {
    let as_error: &(dyn std::error::Error + 'static) = t;
    if let Some(refusal) = find_refusal(Some(as_error)) {
        return ResourceError::refused(refusal.to_string());
    }
    let source = std::error::Error::source(t);
    let io_timeout = source
        .and_then(|s| s.downcast_ref::<io::Error>())
        .is_some_and(is_timeout);
    let detail = source
        .map(ToString::to_string)
        .or_else(|| t.message().map(str::to_owned))
        .unwrap_or_else(|| t.kind().to_string());
    let shown = redact(url.as_str());
    match t.kind() {
        ureq::ErrorKind::ConnectionFailed if io_timeout => timeout(url).transient(),
        ureq::ErrorKind::ConnectionFailed => {
            ResourceError::new(ResourceErrorKind::Io, format!("{shown}: connect: {detail}"))
                .transient()
        }
        ureq::ErrorKind::Io if io_timeout => timeout(url),
        ureq::ErrorKind::Io => {
            ResourceError::new(ResourceErrorKind::Io, format!("{shown}: {detail}")).transient()
        }
        ureq::ErrorKind::Dns => ResourceError::new(
            ResourceErrorKind::Io,
            format!("{shown}: cannot resolve host: {detail}"),
        ),
        ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
            ResourceError::unsupported(format!("{shown}: {detail}"))
        }
        _ => ResourceError::new(ResourceErrorKind::Io, format!("{shown}: {detail}")),
    }
}

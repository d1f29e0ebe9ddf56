//! Turning a task URL into a [`Source`], as Label Studio's `get_local_path` does but confined:
//! uploads, local-storage files, absolute paths, http(s) and cloud URIs.

use super::error::{ResourceError, redact};
use super::{Resolver, Source};

/// A located resource and the key its download is cached under.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) source: Source,
    pub(crate) cache_key: String,
}

impl Located {
    fn local(path: std::path::PathBuf) -> Self {
        Located {
            cache_key: String::new(),
            source: Source::Local(path),
        }
    }
}

const CLOUD_SCHEMES: [&str; 3] = ["s3", "gs", "azure-blob"];

impl Resolver {
    pub(crate) fn locate_keyed(
        &self,
        url: &str,
        task_id: Option<&str>,
    ) -> Result<Located, ResourceError> {
        if url.is_empty() {
            return Err(ResourceError::unsupported("empty URL"));
        }
        if url.contains('\0') {
            return Err(ResourceError::refused("NUL byte in URL"));
        }
        if let Some(rest) = url
            .strip_prefix("/data/upload/")
            .or_else(|| url.strip_prefix("upload/"))
        {
            return self.upload(rest);
        }
        if url.starts_with("/data/local-files") {
            return self.local_file(url);
        }
        if url.starts_with('/') {
            return super::local::under_roots(&self.allowed_roots, url).map(Located::local);
        }
        let Some(scheme) = scheme_of(url) else {
            return Err(ResourceError::unsupported(format!(
                "relative path {url:?}; use an absolute path under --allow-root"
            )));
        };
        match scheme.as_str() {
            "http" | "https" => self.remote(url, None),
            "file" => {
                let path = url::Url::parse(url)
                    .ok()
                    .filter(|u| {
                        u.host_str()
                            .is_none_or(|h| h.is_empty() || h == "localhost")
                    })
                    .and_then(|u| u.to_file_path().ok())
                    .ok_or_else(|| ResourceError::unsupported(format!("bad file URL {url:?}")))?;
                let path = path.to_str().ok_or_else(|| {
                    ResourceError::unsupported(format!("{url:?} is not UTF-8 once decoded"))
                })?;
                super::local::under_roots(&self.allowed_roots, path).map(Located::local)
            }
            s if CLOUD_SCHEMES.contains(&s) => self.cloud(url, task_id),
            s => Err(ResourceError::unsupported(format!(
                "{s}: URLs are not supported"
            ))),
        }
    }

    /// `/data/upload/<pid>/<file>` (the prefix already removed).
    fn upload(&self, rest: &str) -> Result<Located, ResourceError> {
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let shown = format!("/data/upload/{rest}");
        let (pid, file_raw) = rest.split_once('/').unwrap_or((rest, ""));
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResourceError::refused(format!(
                "{shown}: the project id must be digits"
            )));
        }
        let file = super::local::percent_decode(file_raw)?;
        super::local::check_relative(&file)?;
        if file.contains(['/', '\\']) || file == "." {
            return Err(ResourceError::refused(format!(
                "{shown}: the file name must be one path segment"
            )));
        }
        if let Some(root) = &self.upload_root {
            return root.confine(&format!("{pid}/{file}")).map(Located::local);
        }
        match &self.ls {
            Some(ls) => self.remote(&format!("{}/data/upload/{pid}/{file_raw}", ls.base), None),
            None => Err(ResourceError::unsupported(format!(
                "no --upload-dir and no --hostname for {shown}"
            ))),
        }
    }

    /// `/data/local-files/?d=<path>`.
    fn local_file(&self, url: &str) -> Result<Located, ResourceError> {
        let Some((_, d_raw)) = url
            .split_once("?d=")
            .filter(|(path, _)| matches!(*path, "/data/local-files" | "/data/local-files/"))
        else {
            return Err(ResourceError::unsupported(format!(
                "{url:?}: expected /data/local-files/?d=<path>"
            )));
        };
        let d = super::local::percent_decode(d_raw)?;
        super::local::check_relative(&d)?;
        if let Some(root) = &self.local_root {
            return root.confine(&d).map(Located::local);
        }
        match &self.ls {
            Some(ls) => self.remote(&format!("{}{url}", ls.base), None),
            None => Err(ResourceError::unsupported(format!(
                "no --local-files-root and no --hostname for {}",
                redact(url)
            ))),
        }
    }

    /// `s3://`, `gs://`, `azure-blob://`: the hook, else `hostname`'s presign endpoint.
    fn cloud(&self, uri: &str, task_id: Option<&str>) -> Result<Located, ResourceError> {
        if let Some(mapped) = self.cloud_hook.as_ref().and_then(|hook| hook(uri)) {
            return self.remote(&mapped, Some(uri));
        }
        let Some(ls) = &self.ls else {
            return Err(ResourceError::unsupported(format!(
                "no --hostname to presign {}",
                redact(uri)
            )));
        };
        let id = task_id
            .filter(|id| {
                !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .ok_or_else(|| {
                ResourceError::unsupported(format!(
                    "presigning {} needs the task's id",
                    redact(uri)
                ))
            })?;
        let presign = format!(
            "{}/tasks/{id}/presign/?fileuri={}",
            ls.base,
            base64_urlsafe(uri.as_bytes())
        );
        self.remote(&presign, Some(uri))
    }

    /// An http(s) URL: parsed, scheme and literal-IP host checked; cached under `key` or the
    /// URL itself.
    fn remote(&self, url: &str, key: Option<&str>) -> Result<Located, ResourceError> {
        let parsed = self.http.check_url(url)?;
        Ok(Located {
            cache_key: key.unwrap_or(parsed.as_str()).to_owned(),
            source: Source::Remote {
                auth: self.http.sends_token(&parsed),
                url: parsed.into(),
            },
        })
    }
}

/// The lower-cased scheme of `s` if it starts with one (two characters or more, so `C:\` is
/// not a scheme).
fn scheme_of(s: &str) -> Option<String> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let ok = first.is_ascii_alphabetic()
        && scheme.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then(|| scheme.to_ascii_lowercase())
}

/// Python's `base64.urlsafe_b64encode` (with `=` padding).
pub(crate) fn base64_urlsafe(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

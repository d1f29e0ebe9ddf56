//! Local files: confining relative paths from task data to a root, and absolute paths to the
//! allowed roots. Checks are lexical first (no file system access for a path that is refused
//! anyway), then on the canonical path, so `..`, absolute paths and symlinks cannot leave the
//! root.

use std::path::{Component, Path, PathBuf};

use super::error::{ResourceError, ResourceErrorKind};

/// A root directory as configured and as canonicalized when the resolver was built.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    given: PathBuf,
    canonical: PathBuf,
    /// The option that set it, for messages (`--upload-dir`).
    flag: &'static str,
}

impl Root {
    /// Canonicalizes `dir`, which must be an existing directory.
    pub(crate) fn new(dir: &Path, flag: &'static str) -> Result<Self, String> {
        let canonical = dir
            .canonicalize()
            .map_err(|e| format!("{flag} {}: {e}", dir.display()))?;
        if !canonical.is_dir() {
            return Err(format!("{flag} {}: not a directory", dir.display()));
        }
        let given = std::path::absolute(dir).unwrap_or_else(|_| canonical.clone());
        Ok(Root {
            given: normalize(&given),
            canonical,
            flag,
        })
    }

    fn contains_lexically(&self, path: &Path) -> bool {
        let path = normalize(path);
        path.starts_with(&self.given) || path.starts_with(&self.canonical)
    }

    /// Reads `rel` (already percent-decoded) inside this root.
    pub(crate) fn confine(&self, rel: &str) -> Result<PathBuf, ResourceError> {
        check_relative(rel)?;
        self.check_canonical(&self.canonical.join(rel), rel)
    }

    /// The canonical form of `path`, which must stay inside the root and be a regular file.
    fn check_canonical(&self, path: &Path, shown: &str) -> Result<PathBuf, ResourceError> {
        let canonical = path
            .canonicalize()
            .map_err(|e| ResourceError::io(format_args!("{shown} in {}", self.flag), &e))?;
        if !canonical.starts_with(&self.canonical) {
            return Err(ResourceError::refused(format!(
                "{shown} resolves outside {} (symlink)",
                self.flag
            )));
        }
        regular_file(canonical, shown)
    }
}

fn regular_file(path: PathBuf, shown: &str) -> Result<PathBuf, ResourceError> {
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(path),
        Ok(_) => Err(ResourceError::unsupported(format!(
            "{shown}: not a regular file"
        ))),
        Err(e) => Err(ResourceError::io(shown, &e)),
    }
}

/// Refuses NUL bytes, absolute paths, drive prefixes and `..` (with `/` or `\` separators).
pub(crate) fn check_relative(rel: &str) -> Result<(), ResourceError> {
    if rel.is_empty() {
        return Err(ResourceError::unsupported("empty path"));
    }
    if rel.contains('\0') {
        return Err(ResourceError::refused("NUL byte in path"));
    }
    let bytes = rel.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if rel.starts_with(['/', '\\']) || drive || Path::new(rel).has_root() {
        return Err(ResourceError::refused(format!("absolute path {rel:?}")));
    }
    if rel.split(['/', '\\']).any(|part| part == "..") {
        return Err(ResourceError::refused(format!("'..' in path {rel:?}")));
    }
    Ok(())
}

/// Reads an absolute path from task data, only under one of `roots`.
pub(crate) fn under_roots(roots: &[Root], path: &str) -> Result<PathBuf, ResourceError> {
    if path.contains('\0') {
        return Err(ResourceError::refused("NUL byte in path"));
    }
    let p = Path::new(path);
    let Some(root) = roots.iter().find(|r| r.contains_lexically(p)) else {
        return Err(ResourceError::refused(format!(
            "absolute path {path} is not under an allowed root; see --allow-root"
        )));
    };
    // The canonical path may land under another allowed root; any one will do.
    let canonical = p.canonicalize().map_err(|e| ResourceError::io(path, &e))?;
    if !roots.iter().any(|r| canonical.starts_with(&r.canonical)) {
        return Err(ResourceError::new(
            ResourceErrorKind::Refused,
            format!("{path} resolves outside {} (symlink)", root.flag),
        ));
    }
    regular_file(canonical, path)
}

/// Removes `.` and resolves `..` lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Decodes `%XX` escapes once, as Python's `unquote` does: invalid escapes stay as they are.
/// Fails on bytes that are not UTF-8 after decoding.
pub(crate) fn percent_decode(s: &str) -> Result<String, ResourceError> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| ResourceError::unsupported(format!("{s:?} is not UTF-8 once decoded")))
}

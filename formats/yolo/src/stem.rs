//! Label file names: Label Studio's (compat) and exportkit's unique ones (clean).

use exportkit_core::names::{basename, sanitize, split_ext, stable_hash};
use std::collections::HashSet;

/// The longest label stem Label Studio keeps, in characters (`255 - len(".txt")`).
const LS_STEM_CHARS: usize = 251;

/// Python's `os.path.basename` (POSIX): the text after the last `/`.
fn py_basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Python's `os.path.splitext(p)[0]` (POSIX): a dot starts the extension only when a
/// non-dot character precedes it in the last path component (`.hidden` has none).
fn py_splitext_root(p: &str) -> &str {
    let base_start = p.rfind('/').map_or(0, |i| i + 1);
    match p.rfind('.') {
        Some(dot) if dot > base_start && p[base_start..dot].bytes().any(|b| b != b'.') => &p[..dot],
        _ => p,
    }
}

const SCHEME_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";
const USES_PARAMS: [&str; 16] = [
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
    "sip", "sips", "mms", "sftp", "tel",
];

/// `urllib.parse.urlparse(url).path` of CPython 3.11, or `None` where it raises `ValueError`
/// (unbalanced or invalid bracketed hosts). The NFKC netloc check is not reproduced.
pub(crate) fn py_urlparse_path(url: &str) -> Option<String> {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':')
        && i > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..i].chars().all(|c| SCHEME_CHARS.contains(c))
    {
        scheme = rest[..i].to_ascii_lowercase();
        rest = &rest[i + 1..];
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let netloc = &after[..end];
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return None;
        }
        if open {
            let host = netloc
                .split_once('[')
                .and_then(|(_, r)| r.split_once(']'))
                .map_or("", |(h, _)| h);
            if !bracketed_host_ok(host) {
                return None;
            }
        }
        rest = &after[end..];
    }
    if let Some(i) = rest.find('#') {
        rest = &rest[..i];
    }
    if let Some(i) = rest.find('?') {
        rest = &rest[..i];
    }
    if USES_PARAMS.contains(&scheme.as_str()) && rest.contains(';') {
        let cut = match rest.rfind('/') {
            Some(slash) => rest[slash..].find(';').map(|k| slash + k),
            None => rest.find(';'),
        };
        if let Some(i) = cut {
            rest = &rest[..i];
        }
    }
    Some(rest.to_owned())
}

/// `urllib.parse._check_bracketed_host`: an IPv6 address or `v<hex>.<anything>`.
fn bracketed_host_ok(host: &str) -> bool {
    if let Some(v) = host.strip_prefix('v') {
        return match v.split_once('.') {
            Some((hex, tail)) => {
                !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && !tail.is_empty()
            }
            None => false,
        };
    }
    let addr = host.split_once('%').map_or(host, |(a, _)| a);
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

/// The path Label Studio's YOLO export derives a label file name from, for one image URL, as
/// run without a hostname or token (`get_local_path` fails for uploads, local storage,
/// storage proxy and cloud URIs, and the raw URL is kept; any other URL, e.g. `https://...`
/// or a bare `img.jpg`, becomes the would-be cache path `images/<md5(url)[:8]>__<name>`).
/// Local files that happen to exist on the converting machine are not looked for.
pub(crate) fn ls_resolved_path(url: &str) -> String {
    let fixed = if url.starts_with("upload") {
        format!("/data/{url}")
    } else if url.starts_with("/upload") {
        format!("/data{url}")
    } else {
        url.to_owned()
    };
    let uploaded = fixed.starts_with("/data/upload");
    let local = fixed.starts_with("/data/") && fixed.contains("?d=");
    let cloud = ["s3:", "gs:", "azure-blob:"]
        .iter()
        .any(|p| fixed.starts_with(p));
    let Some(path) = py_urlparse_path(&fixed) else {
        return url.to_owned();
    };
    let storage =
        path.starts_with("/storage-data/uploaded") || path.starts_with("storage-data/uploaded");
    if uploaded || local || cloud || storage {
        return url.to_owned();
    }
    format!(
        "images/{}__{}",
        exportkit_core::names::md5_hex(fixed.as_bytes())[..8].to_owned(),
        py_basename(&path)
    )
}

/// Label Studio's label file stem for an image URL:
/// `splitext(basename(resolved_path))[0][:251]`. Bounded to 251 bytes as well (Label Studio
/// crashes on longer names; exportkit cuts them at a character boundary).
pub(crate) fn ls_stem(url: &str) -> String {
    ls_stem_of_path(&ls_resolved_path(url))
}

/// `splitext(basename(path))[0][:251]` for a resolved path (or a raw URL Label Studio kept).
pub(crate) fn ls_stem_of_path(resolved: &str) -> String {
    let root = py_splitext_root(py_basename(resolved));
    let mut stem: String = root.chars().take(LS_STEM_CHARS).collect();
    if stem.len() > LS_STEM_CHARS {
        let mut cut = LS_STEM_CHARS;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    stem
}

/// Unique, safe label stems for the clean layout, assigned on the writer side in input order.
///
/// Every task gets its own stem: the sanitised basename of its image without the extension;
/// when that is taken (another image with the same name, another extension of the same name,
/// the same image in an earlier task, or a name differing only in case, which would collide on
/// case-insensitive file systems) `<stem>-<8 hex of a hash of the URL>` (then `-2`, `-3`, ...).
#[derive(Debug, Default)]
pub(crate) struct StemNames {
    taken: HashSet<String>,
}

impl StemNames {
    /// The stem for the next task, whose image is `source`.
    pub(crate) fn next(&mut self, source: &str) -> String {
        let base = sanitize(basename(source));
        let stem = split_ext(&base).0;
        let mut name = stem.to_owned();
        if self.taken.contains(&name.to_lowercase()) {
            let h = stable_hash(source) as u32;
            name = format!("{stem}-{h:08x}");
            let mut n = 2;
            while self.taken.contains(&name.to_lowercase()) {
                name = format!("{stem}-{h:08x}-{n}");
                n += 1;
            }
        }
        self.taken.insert(name.to_lowercase());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_studio_stems() {
        for (url, stem) in [
            (
                "/data/upload/1/6d76b07e-img_000002.jpg",
                "6d76b07e-img_000002",
            ),
            ("/data/upload/1/a.jpg?x=1", "a"),
            ("/data/local-files/?d=dir/x.png", "x"),
            ("s3://bucket/k/y.tar.gz", "y.tar"),
            ("/storage-data/uploaded/?filepath=upload/1/z.jpg", "z"),
            ("upload/1/u.jpg", "u"),
            ("img3.jpg", "05d0e7b2__img3"),
            ("https://example.com/a,b.jpg", "b9bd94b3__a,b"),
            ("/data/upload/1/.hidden", ".hidden"),
            ("/data/upload/1/..", ".."),
            ("/data/upload/1/", ""),
            ("http://[::1/x.jpg", "x"),
        ] {
            assert_eq!(ls_stem(url), stem, "{url}");
        }
        let long = format!("/data/upload/1/{}.jpg", "é".repeat(300));
        let s = ls_stem(&long);
        assert!(s.len() <= 251 && s.chars().all(|c| c == 'é'), "{}", s.len());
    }

    #[test]
    fn python_urlparse_paths() {
        for (url, path) in [
            ("https://h/a.jpg;p=1?x#y", Some("/a.jpg")),
            ("data:image/png;base64,xx", Some("image/png;base64,xx")),
            ("//host/p/q.jpg", Some("/p/q.jpg")),
            ("a:b/c.jpg", Some("b/c.jpg")),
            ("  http://x/y\t.jpg", Some("/y.jpg")),
            ("1abc:x/y.jpg", Some("1abc:x/y.jpg")),
            ("https://h/a/b;c/d.jpg;e", Some("/a/b;c/d.jpg")),
            ("http://[::1]/v.jpg", Some("/v.jpg")),
            ("http://[1.2.3.4]/v.jpg", None),
            ("http://[::1/x.jpg", None),
        ] {
            assert_eq!(py_urlparse_path(url).as_deref(), path, "{url}");
        }
    }

    #[test]
    fn clean_stems_are_unique_per_task() {
        let mut n = StemNames::default();
        assert_eq!(n.next("/data/upload/1/a.jpg"), "a");
        let b = n.next("/data/upload/2/a.jpg");
        assert!(b.starts_with("a-") && b.len() == 10, "{b}");
        let c = n.next("/data/upload/1/a.png");
        assert!(c.starts_with("a-") && c != b, "{c}");
        let d = n.next("/data/upload/1/a.jpg");
        assert!(d != "a" && d != b && d != c, "{d}");
        assert_ne!(n.next("/x/A.jpg"), "A");
        assert_eq!(n.next("/x/..jpg"), "_");
    }
}

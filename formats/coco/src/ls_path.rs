//! The `file_name` Label Studio's COCO export writes for an image, when it runs as the server
//! does without a hostname, a token or downloads (ls-converter.md §7).
//!
//! `get_local_path` fails (and the raw value is kept) for uploads, Local Storage, cloud URIs
//! and the storage proxy, since they all need a hostname. Anything else (plain `http(s)://`
//! URLs, relative paths) reaches `download_and_cache`, which, without downloading, returns the
//! would-be cache path `images/<md5(url)[:8]>__<basename of the URL path>`.
//!
//! Not reproduced: paths that exist on the machine running the export (Label Studio keeps them
//! as they are, and might read the image's size from the file).

use std::borrow::Cow;

/// Python's `_WHATWG_C0_CONTROL_OR_SPACE`.
fn is_c0_or_space(c: char) -> bool {
    c <= ' '
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

/// Python's `ipaddress.ip_address(host)` being an IPv6 address, or an `IPvFuture` literal.
fn valid_bracketed_host(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('v') {
        let Some((ver, addr)) = rest.split_once('.') else {
            return false;
        };
        return !ver.is_empty()
            && ver.chars().all(|c| c.is_ascii_hexdigit())
            && !addr.is_empty()
            && addr
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:".contains(c));
    }
    let addr = host.split_once('%').map_or(host, |(a, _)| a);
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

/// The `path` of Python's `urllib.parse.urlparse(url)`, or `None` where it raises.
pub(crate) fn url_path(url: &str) -> Option<String> {
    let mut u: String = url
        .trim_start_matches(is_c0_or_space)
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut scheme = String::new();
    if let Some(i) = u.find(':')
        && i > 0
        && u.starts_with(|c: char| c.is_ascii_alphabetic())
        && u[..i].chars().all(is_scheme_char)
    {
        scheme = u[..i].to_ascii_lowercase();
        u = u[i + 1..].to_owned();
    }
    if let Some(rest) = u.strip_prefix("//") {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let netloc = &rest[..end];
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return None;
        }
        if open {
            let host = netloc
                .split_once('[')
                .map_or("", |(_, r)| r.split_once(']').map_or(r, |(h, _)| h));
            if !valid_bracketed_host(host) {
                return None;
            }
        }
        u = rest[end..].to_owned();
    }
    if let Some(i) = u.find('#') {
        u.truncate(i);
    }
    if let Some(i) = u.find('?') {
        u.truncate(i);
    }
    const USES_PARAMS: [&str; 16] = [
        "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
        "sip", "sips", "mms", "sftp", "tel",
    ];
    if USES_PARAMS.contains(&scheme.as_str()) && u.contains(';') {
        let from = u.rfind('/').unwrap_or(0);
        if let Some(i) = u[from..].find(';') {
            u.truncate(from + i);
        }
    }
    Some(u)
}

/// The `file_name` Label Studio 2.1.2's COCO export writes for image URL `url`.
pub(crate) fn ls_file_name(url: &str) -> Cow<'_, str> {
    let fixed: Cow<'_, str> = if url.starts_with("upload") {
        format!("/data/{url}").into()
    } else if url.starts_with("/upload") {
        format!("/data{url}").into()
    } else {
        url.into()
    };
    let needs_host = fixed.starts_with("/data/upload")
        || (fixed.starts_with("/data/") && fixed.contains("?d="))
        || ["s3:", "gs:", "azure-blob:"]
            .iter()
            .any(|p| fixed.starts_with(p));
    if needs_host {
        return url.into();
    }
    let Some(path) = url_path(&fixed) else {
        return url.into();
    };
    if path.starts_with("/storage-data/uploaded") || path.starts_with("storage-data/uploaded") {
        return url.into();
    }
    let base = path.rsplit('/').next().unwrap_or("");
    format!(
        "images/{}__{base}",
        exportkit_core::names::md5_hex(fixed.as_bytes())[..8].to_owned()
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_need_a_hostname_are_kept() {
        for u in [
            "/data/upload/1/a.jpg",
            "upload/1/a.jpg",
            "/upload/1/a.jpg",
            "/data/local-files/?d=dir/x.png",
            "s3://bucket/k/y.jpg",
            "gs://b/y.jpg",
            "azure-blob://c/y.jpg",
            "/storage-data/uploaded/?filepath=upload/1/a.jpg",
            "http://[::1/x.jpg",
        ] {
            assert_eq!(ls_file_name(u), u);
        }
    }

    #[test]
    fn other_urls_become_would_be_cache_paths() {
        // md5 values from Python's hashlib.
        assert_eq!(
            ls_file_name("https://example.com/a,b.jpg"),
            "images/b9bd94b3__a,b.jpg"
        );
        assert_eq!(
            url_path("HTTP://h/x/a.jpg;v=1?q=2#f").as_deref(),
            Some("/x/a.jpg")
        );
        assert_eq!(url_path("foo/bar.png").as_deref(), Some("foo/bar.png"));
        assert_eq!(
            url_path("data:image/png;base64,AA/BB").as_deref(),
            Some("image/png;base64,AA/BB")
        );
        assert_eq!(url_path("http://[::1]/a.jpg").as_deref(), Some("/a.jpg"));
        assert_eq!(url_path("http://[1.2.3.4]/a.jpg"), None);
    }
}

//! Output names that come from task data (image basenames, label file stems): sanitised so
//! nothing can escape the output or surprise a file system, and made unique so two images
//! with the same basename never overwrite each other.

use std::collections::{HashMap, HashSet};

/// The longest name kept, in bytes (file systems allow 255).
pub const MAX_NAME: usize = 200;

/// The last path segment of a URL or path (`/data/upload/1/a.jpg?x=1` → `a.jpg`,
/// `/data/local-files/?d=dir/x.png` → `x.png`, `s3://b/k/y.jpg` → `y.jpg`).
pub fn basename(url: &str) -> &str {
    // A `?d=` local-files URL names its file in the query.
    let url = match url.find("?d=") {
        Some(i) => &url[i + 3..],
        None => url.split(['?', '#']).next().unwrap_or(url),
    };
    url.rsplit(['/', '\\']).next().unwrap_or(url)
}

/// A safe file name: percent-escapes decoded only where harmless, separators, control
/// characters and `..` removed, bounded length; never empty.
pub fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    while out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    if out.len() > MAX_NAME {
        let mut cut = MAX_NAME;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        // Keep the extension when there is a short one.
        let ext = out
            .rfind('.')
            .filter(|&i| out.len() - i <= 10)
            .map(|i| out[i..].to_owned());
        out.truncate(cut - ext.as_ref().map_or(0, String::len));
        out.push_str(ext.as_deref().unwrap_or(""));
    }
    if out.is_empty() { "_".to_owned() } else { out }
}

/// `(stem, extension with dot)` of a file name.
pub fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// The MD5 of `data` as 32 lowercase hex digits (Label Studio names cached files
/// `<md5(url)[:8]>__<name>`).
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// FNV-1a 64-bit: a stable hash for deterministic disambiguation.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Assigns each distinct source (URL or path) a unique, safe file name. Use it on the writer
/// side (input order), so names are identical for any thread count.
///
/// Memory stays small on big projects: the table keeps 64-bit hashes of sources and names
/// (about 30 bytes per distinct source), not the strings, and rebuilds a name when asked.
#[derive(Debug, Default)]
pub struct UniqueNames {
    /// Hash of a source → which candidate name it got (0: the plain basename).
    by_source: HashMap<u64, u32>,
    /// Hashes of the names given out.
    taken: HashSet<u64>,
    /// The last name returned.
    last: String,
}

fn table_key(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Candidate `variant` for `source`: the basename, then `<stem>-<hash>`, then
/// `<stem>-<hash>-<n>`.
fn candidate(base: &str, source: &str, variant: u32) -> String {
    if variant == 0 {
        return base.to_owned();
    }
    let (stem, ext) = split_ext(base);
    let h = stable_hash(source) as u32;
    if variant == 1 {
        format!("{stem}-{h:08x}{ext}")
    } else {
        format!("{stem}-{h:08x}-{variant}{ext}")
    }
}

impl UniqueNames {
    /// A new, empty name table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The name for `source`: its sanitised basename, or, when another source already has
    /// that name, `<stem>-<8 hex of a hash of the source><ext>` (then a counter if needed).
    pub fn name_for(&mut self, source: &str) -> &str {
        let key = table_key(source);
        let base = sanitize(basename(source));
        let variant = match self.by_source.get(&key) {
            Some(v) => *v,
            None => {
                let mut v = 0;
                loop {
                    let name = candidate(&base, source, v);
                    if self.taken.insert(table_key(&name)) {
                        self.last = name;
                        break;
                    }
                    v += 1;
                }
                self.by_source.insert(key, v);
                return &self.last;
            }
        };
        self.last = candidate(&base, source, variant);
        &self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_python_hashlib() {
        // python3 -c "import hashlib; print(hashlib.md5(b'abc').hexdigest())"
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn basenames_of_label_studio_urls() {
        assert_eq!(basename("/data/upload/1/a.jpg"), "a.jpg");
        assert_eq!(basename("https://h/x/a.jpg?sig=1"), "a.jpg");
        assert_eq!(basename("/data/local-files/?d=dir/x.png"), "x.png");
        assert_eq!(basename("s3://b/k/y.jpg"), "y.jpg");
    }

    #[test]
    fn sanitised_names_cannot_escape() {
        assert_eq!(sanitize(".."), "_.");
        assert_eq!(sanitize(".hidden"), "_hidden");
        assert_eq!(sanitize("a\0b\nc"), "a_b_c");
        assert_eq!(sanitize(""), "_");
        assert!(sanitize(&"x".repeat(500)).len() <= MAX_NAME);
        assert!(sanitize(&format!("{}.jpg", "é".repeat(300))).ends_with(".jpg"));
    }

    #[test]
    fn same_basename_gets_a_stable_distinct_name() {
        let mut n = UniqueNames::new();
        assert_eq!(n.name_for("/data/upload/1/a.jpg"), "a.jpg");
        let second = n.name_for("/data/upload/2/a.jpg").to_owned();
        assert!(second.starts_with("a-") && second.ends_with(".jpg") && second != "a.jpg");
        assert_eq!(n.name_for("/data/upload/1/a.jpg"), "a.jpg");
        let mut again = UniqueNames::new();
        again.name_for("/data/upload/1/a.jpg");
        assert_eq!(again.name_for("/data/upload/2/a.jpg"), second);
        // A third source whose hashed name is taken gets a counter.
        let third = n.name_for("/data/upload/3/a.jpg").to_owned();
        assert!(third != second && third != "a.jpg");
        assert_eq!(n.name_for("/data/upload/2/a.jpg"), second);
        assert_eq!(n.name_for("/data/upload/3/a.jpg"), third);
    }
}

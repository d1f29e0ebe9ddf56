//! Helpers shared by the YOLO test binaries.
#![allow(dead_code)]

use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig, Target,
};
use exportkit_yolo::YoloFormat;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub type Tree = BTreeMap<String, Vec<u8>>;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn config(xml: &str) -> Arc<LabelConfig> {
    Arc::new(LabelConfig::parse(xml).expect("valid config"))
}

/// `(tasks.json, config)` of a committed dataset.
pub fn dataset(dir: &Path) -> (PathBuf, Arc<LabelConfig>) {
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    (dir.join("tasks.json"), config(&xml))
}

pub fn opts(compat: bool) -> ExportOptions {
    ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        ..ExportOptions::default()
    }
}

/// Runs an export and returns its tree (empty directories as `dir/` → empty), the summary.
pub fn run(
    format: &'static YoloFormat,
    input: Input,
    config: Arc<LabelConfig>,
    options: ExportOptions,
) -> (Tree, ExportSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let summary = ExportJob::new(
        format,
        ExportContext {
            config: Some(config),
            options,
        },
    )
    .run(input, Target::from_path(&out))
    .expect("export");
    let mut t = tree(&out);
    for d in ["images", "labels"] {
        assert!(out.join(d).is_dir(), "{d}/ is always created");
    }
    normalize(&mut t);
    (t, summary)
}

/// Every file under `dir`, relative path → bytes.
pub fn tree(dir: &Path) -> Tree {
    fn walk(base: &Path, dir: &Path, out: &mut Tree) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .expect("prefix")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = Tree::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Masks the non-deterministic `"year": N` of Label Studio's `notes.json` as `"year": 0`
/// (the committed fixtures carry the same).
pub fn normalize(t: &mut Tree) {
    if let Some(notes) = t.get_mut("notes.json") {
        let s = String::from_utf8(notes.clone()).expect("utf-8 notes");
        let key = "\"year\": ";
        if let Some(i) = s.find(key) {
            let start = i + key.len();
            let end = start + s[start..].bytes().take_while(u8::is_ascii_digit).count();
            *notes = format!("{}0{}", &s[..start], &s[end..]).into_bytes();
        }
    }
}

/// Asserts two trees are equal, naming the first differing file and line.
pub fn assert_same_tree(got: &Tree, want: &Tree, what: &str) {
    let gk: Vec<_> = got.keys().collect();
    let wk: Vec<_> = want.keys().collect();
    if gk != wk {
        let missing: Vec<_> = wk
            .iter()
            .filter(|k| !got.contains_key(**k))
            .take(5)
            .collect();
        let extra: Vec<_> = gk
            .iter()
            .filter(|k| !want.contains_key(**k))
            .take(5)
            .collect();
        panic!(
            "{what}: file lists differ ({} vs {} files); missing {missing:?}, extra {extra:?}",
            gk.len(),
            wk.len()
        );
    }
    for (name, g) in got {
        let w = &want[name];
        if g != w {
            let gs = String::from_utf8_lossy(g);
            let ws = String::from_utf8_lossy(w);
            let (n, (gl, wl)) = gs
                .split('\n')
                .zip(ws.split('\n'))
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .unwrap_or((0, ("<length>", "<length>")));
            panic!(
                "{what}: {name} differs at line {}:\n got: {gl}\nwant: {wl}",
                n + 1
            );
        }
    }
}

/// SHA-256 (FIPS 180-4), for the tree digests of ls-converter.md §9.1.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().expect("4 bytes"));
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (o, v) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&v.to_be_bytes());
    }
    out
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `run_ls_converter.py digest OUT --normalize`: sha256 over `(relative path, file sha256)`
/// pairs in walk order (directories and names sorted), `year` masked as `<year>`.
pub fn ls_tree_digest(t: &Tree) -> String {
    // os.walk visits a directory's files before its subdirectories.
    let mut rows: Vec<(Vec<&str>, &Vec<u8>)> =
        t.iter().map(|(k, v)| (k.split('/').collect(), v)).collect();
    rows.sort_by(|(a, _), (b, _)| {
        let (ad, an) = a.split_at(a.len() - 1);
        let (bd, bn) = b.split_at(b.len() - 1);
        // Same directory: by name; otherwise a file of a parent sorts before a subdirectory.
        let common = ad.iter().zip(bd).take_while(|(x, y)| x == y).count();
        match (ad.len() == common, bd.len() == common) {
            (true, true) => an.cmp(bn),
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => ad[common].cmp(bd[common]),
        }
    });
    let mut all = Vec::new();
    for (parts, bytes) in rows {
        let name = parts.join("/");
        let mut data = bytes.clone();
        if name.ends_with(".json") {
            let s = String::from_utf8(data).expect("utf-8");
            let key = "\"year\": ";
            let masked = match s.find(key) {
                Some(i) => {
                    let start = i + key.len();
                    let end = start + s[start..].bytes().take_while(u8::is_ascii_digit).count();
                    format!("{}<year>{}", &s[..start], &s[end..])
                }
                None => s,
            };
            data = masked.into_bytes();
        }
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(hex(&sha256(&data)).as_bytes());
        all.push(b'\n');
    }
    hex(&sha256(&all))
}

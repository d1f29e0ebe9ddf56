use exportkit::{
    Compat, ExportContext, ExportJob, ExportOptions, Input, LabelConfig, Registry, Target,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn dataset(name: &str) -> (PathBuf, Arc<LabelConfig>) {
    let dir = root().join("fixtures/datasets").join(name);
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    (
        dir.join("tasks.json"),
        Arc::new(LabelConfig::parse(&xml).expect("valid config")),
    )
}

pub const DATASETS: [&str; 6] = [
    "rect_1000",
    "ner_200",
    "choices_200",
    "mixed_200",
    "edge_60",
    "unicode_edge",
];
pub const FORMATS: [&str; 4] = ["JSON", "JSON_MIN", "CSV", "TSV"];

/// Runs an export through the library and returns the output tree (relative path → bytes).
pub fn export(
    input: Input,
    format: &str,
    config: Option<Arc<LabelConfig>>,
    options: ExportOptions,
) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let f = Registry::global().get(format).expect("format");
    ExportJob::new(f, ExportContext { config, options })
        .run(input, Target::from_path(&out))
        .expect("export");
    tree(&out)
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

/// Every file under `dir`, relative path → bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
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
    walk(dir, dir, &mut out);
    out
}

/// Asserts two trees are equal, naming the first differing file and byte.
pub fn assert_same_tree(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let gk: Vec<_> = got.keys().collect();
    let wk: Vec<_> = want.keys().collect();
    assert_eq!(gk, wk, "{what}: different file lists");
    for (name, w) in want {
        let g = &got[name];
        if g != w {
            let at = g
                .iter()
                .zip(w)
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            let ctx = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(60)..(at + 60).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{what}: {name} differs at byte {at} (got {} bytes, want {})\n got: {:?}\nwant: {:?}",
                g.len(),
                w.len(),
                ctx(g),
                ctx(w)
            );
        }
    }
}

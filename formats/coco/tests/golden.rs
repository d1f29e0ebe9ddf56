//! Golden tests of the COCO format.
//!
//! `fixtures/coco/expected/compat/<name>/result.json` was written by label-studio-sdk 2.1.2
//! (`scripts/regen-coco.sh`, `info` pinned to 1970); `expected/clean/<name>/result.json` is
//! exportkit's reviewed clean output (regenerate with `EXPORTKIT_BLESS=1 cargo test -p
//! exportkit-coco --test golden`).

use exportkit_coco::COCO;
use exportkit_core::{
    Compat, ErrorKind, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig,
    Pick, Target,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Shared datasets with a config COCO supports, and this crate's quirk inputs.
const COMPAT: [&str; 8] = [
    "rect_1000",
    "polygon_200",
    "keypoint_100",
    "mixed_200",
    "edge_60",
    "rect_rot_100",
    "quirks",
    "keypoint_quirks",
];
const CLEAN: [&str; 9] = [
    "rect_1000",
    "polygon_200",
    "keypoint_100",
    "mixed_200",
    "edge_60",
    "rect_rot_100",
    "unicode_edge",
    "quirks",
    "keypoint_quirks",
];

fn input_dir(name: &str) -> PathBuf {
    let shared = root().join("fixtures/datasets").join(name);
    if shared.exists() {
        shared
    } else {
        root().join("fixtures/coco/inputs").join(name)
    }
}

fn config(name: &str) -> Arc<LabelConfig> {
    let xml = std::fs::read_to_string(input_dir(name).join("config.xml")).expect("config");
    Arc::new(LabelConfig::parse(&xml).expect("valid config"))
}

fn options(compat: bool, threads: usize, batch_size: usize) -> ExportOptions {
    ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        threads,
        batch_size,
        ..ExportOptions::default()
    }
}

/// Runs an export; returns result.json and the summary, and checks the output's layout.
fn run_input(
    input: Input,
    config: Arc<LabelConfig>,
    opts: ExportOptions,
) -> exportkit_core::Result<(Vec<u8>, ExportSummary)> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let ctx = ExportContext {
        config: Some(config),
        options: opts,
    };
    let summary = ExportJob::new(&COCO, ctx).run(input, Target::from_path(&out))?;
    assert!(out.join("images").is_dir(), "images/ is always created");
    let entries = std::fs::read_dir(&out).expect("out").count();
    assert_eq!(entries, 2, "result.json and images/ only");
    Ok((
        std::fs::read(out.join("result.json")).expect("result.json"),
        summary,
    ))
}

fn run(name: &str, opts: ExportOptions) -> (Vec<u8>, ExportSummary) {
    let input = Input::File(input_dir(name).join("tasks.json"));
    run_input(input, config(name), opts).expect("export")
}

/// Pins `info.year` and `info.date_created` (the export time) as the fixtures have them.
fn pin_info(bytes: &[u8]) -> Vec<u8> {
    let s = String::from_utf8(bytes.to_vec()).expect("utf-8");
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        if t.starts_with("\"year\": ") {
            let end = if t.ends_with(",\n") { ",\n" } else { "" };
            out.push_str(&format!("{indent}\"year\": 1970{end}"));
        } else if t.starts_with("\"date_created\": ") {
            let end = if t.ends_with('\n') { "\n" } else { "" };
            out.push_str(&format!(
                "{indent}\"date_created\": \"1970-01-01 00:00:00\"{end}"
            ));
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

/// Byte-for-byte, except polygon `area` lines, which may differ by a relative 1e-12 (the
/// reference sums with a CPU-specific BLAS kernel).
fn assert_compat_equal(got: &[u8], want: &[u8], what: &str) {
    let got = String::from_utf8(pin_info(got)).expect("utf-8");
    let want = String::from_utf8(want.to_vec()).expect("utf-8");
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split('\n').collect(), want.split('\n').collect());
    let mut polygon = false;
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        if b.trim_start().starts_with("\"segmentation\": ") {
            polygon = !b.ends_with("[],");
        }
        if a == b {
            continue;
        }
        let area = |s: &str| {
            s.trim_start()
                .strip_prefix("\"area\": ")
                .and_then(|v| v.parse::<f64>().ok())
        };
        if let (true, Some(x), Some(y)) = (polygon, area(a), area(b))
            && ((x - y) / y).abs() <= 1e-12
        {
            continue;
        }
        panic!("{what}: line {}: got {a:?}, want {b:?}", i + 1);
    }
    assert_eq!(g.len(), w.len(), "{what}: line count");
    assert!(
        !got.ends_with('\n'),
        "{what}: Label Studio writes no final newline"
    );
}

#[test]
fn compat_is_byte_identical_to_label_studio() {
    for name in COMPAT {
        let (got, _) = run(name, options(true, 0, 1000));
        let path = root()
            .join("fixtures/coco/expected/compat")
            .join(name)
            .join("result.json");
        let want = std::fs::read(&path).expect("expected file");
        assert_compat_equal(&got, &want, name);
    }
}

#[test]
fn compat_where_label_studio_crashes_skips_with_warnings() {
    // Label Studio aborts unicode_edge with KeyError 'original_height'.
    let (bytes, summary) = run("unicode_edge", options(true, 0, 1000));
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.message.contains("original_height")),
        "{:?}",
        summary.warnings
    );
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert!(!v["images"].as_array().expect("images").is_empty());
}

#[test]
fn clean_matches_reviewed_golden_files() {
    let bless = std::env::var_os("EXPORTKIT_BLESS").is_some();
    for name in CLEAN {
        let (got, summary) = run(name, options(false, 0, 1000));
        assert_eq!(
            summary.records, summary.tasks_exported,
            "{name}: one image per task"
        );
        let path = root()
            .join("fixtures/coco/expected/clean")
            .join(name)
            .join("result.json");
        if bless {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &got).expect("write");
        }
        let want = std::fs::read(&path).expect("expected file (EXPORTKIT_BLESS=1 writes it)");
        assert!(
            got == want,
            "{name}: clean output differs from {}",
            path.display()
        );
    }
}

#[test]
fn rect_1000_compat_has_the_reference_shape() {
    // ls-converter.md 9.1: 1000 images, 3000 boxes, categories sorted, ids from 0.
    let (bytes, _) = run("rect_1000", options(true, 0, 1000));
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(v["images"].as_array().map(Vec::len), Some(1000));
    assert_eq!(v["annotations"].as_array().map(Vec::len), Some(3000));
    assert_eq!(
        v["categories"][0],
        serde_json::json!({"id": 0, "name": "Bicycle"})
    );
    let s = String::from_utf8(bytes).expect("utf-8");
    let at = |k: &str| s.find(&format!("\n  \"{k}\": ")).expect(k);
    assert!(at("images") < at("categories") && at("categories") < at("annotations"));
    assert!(at("annotations") < at("info"));
}

#[test]
fn output_is_identical_for_any_thread_count_and_batch_size() {
    for compat in [false, true] {
        for name in ["mixed_200", "edge_60", "keypoint_100", "quirks"] {
            let (base, _) = run(name, options(compat, 1, 1000));
            for (threads, batch) in [(3, 1), (3, 1000), (2, 7)] {
                let (other, _) = run(name, options(compat, threads, batch));
                assert!(
                    pin_info(&base) == pin_info(&other),
                    "{name} compat={compat}: threads {threads} batch {batch} differ"
                );
            }
        }
    }
}

#[test]
fn clean_layout_and_ids() {
    let (bytes, _) = run("edge_60", options(false, 2, 5));
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    let images = v["images"].as_array().expect("images");
    for (i, img) in images.iter().enumerate() {
        assert_eq!(img["id"], i as u64);
        assert!(
            img["file_name"]
                .as_str()
                .expect("name")
                .starts_with("images/")
        );
    }
    let anns = v["annotations"].as_array().expect("annotations");
    for (i, a) in anns.iter().enumerate() {
        assert_eq!(
            a["id"],
            i as u64 + 1,
            "annotation ids are contiguous from 1"
        );
        assert_eq!(a["iscrowd"], 0);
    }
    let names: std::collections::HashSet<&str> = images
        .iter()
        .map(|i| i["file_name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names.len(),
        images.len(),
        "edge_60 has one image per task, all distinct"
    );
    assert!(bytes.ends_with(b"}\n"));
    for c in v["categories"].as_array().expect("categories") {
        assert_eq!(c["supercategory"], "");
    }
}

#[test]
fn clean_pick_all_merges_annotations() {
    let latest = run("edge_60", options(false, 0, 1000)).0;
    let all = run(
        "edge_60",
        ExportOptions {
            pick: Pick::All,
            ..options(false, 0, 1000)
        },
    )
    .0;
    let count = |b: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(b).expect("json");
        (
            v["images"].as_array().map(Vec::len),
            v["annotations"].as_array().map_or(0, Vec::len),
        )
    };
    let (li, la) = count(&latest);
    let (ai, aa) = count(&all);
    assert_eq!(li, ai, "still one image per task");
    assert!(aa > la, "{aa} > {la}");
}

#[test]
fn a_config_is_required() {
    let ctx = ExportContext {
        config: None,
        options: ExportOptions::default(),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let e = ExportJob::new(&COCO, ctx)
        .run(
            Input::Bytes(b"[]".to_vec()),
            Target::from_path(tmp.path().join("o")),
        )
        .expect_err("no config");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(!tmp.path().join("o").exists());
}

#[test]
fn empty_input_gives_empty_lists() {
    for (compat, want) in [
        (false, "{\n  \"images\": [],\n  \"categories\": ["),
        (true, "{\n  \"images\": [],\n  \"categories\": ["),
    ] {
        let (bytes, _) = run_input(
            Input::Bytes(b"[]".to_vec()),
            config("rect_1000"),
            options(compat, 0, 1000),
        )
        .expect("export");
        let s = String::from_utf8(bytes).expect("utf-8");
        assert!(s.starts_with(want), "{s}");
        assert!(s.contains("\"annotations\": [],\n  \"info\": {"), "{s}");
    }
}

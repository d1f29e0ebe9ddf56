//! Golden trees: `fixtures/<yolo|yolo_obb>/expected/compat/<dataset>/` was written by
//! label-studio-sdk 2.1.2 (`scripts/regen-yolo.sh`, `notes.json` year normalised to 0);
//! `expected/clean/<dataset>/` is exportkit's reviewed clean output (regenerate with
//! `EXPORTKIT_BLESS=1 cargo test -p exportkit-yolo --test golden`).

mod common;

use common::*;
use exportkit_core::{ExportOptions, Input, Pick};
use exportkit_yolo::{YOLO, YOLO_OBB, YoloFormat};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

const DATASETS: [&str; 7] = [
    "rect_1000",
    "polygon_200",
    "keypoint_100",
    "mixed_200",
    "edge_60",
    "rect_rot_100",
    "unicode_edge",
];

/// Hand-written inputs of this crate (corner cases), beside the shared datasets.
const OWN: [&str; 2] = ["yolo_corners", "yolo_keypoints"];

fn formats() -> [(&'static YoloFormat, &'static str); 2] {
    [(&YOLO, "yolo"), (&YOLO_OBB, "yolo_obb")]
}

fn dataset_dir(name: &str) -> PathBuf {
    if OWN.contains(&name) {
        root().join("fixtures/yolo/inputs").join(name)
    } else {
        root().join("fixtures/datasets").join(name)
    }
}

fn expected_dir(fmt: &str, mode: &str, ds: &str) -> PathBuf {
    root()
        .join("fixtures")
        .join(fmt)
        .join("expected")
        .join(mode)
        .join(ds)
}

fn export(format: &'static YoloFormat, ds: &str, options: ExportOptions) -> Tree {
    let (input, config) = dataset(&dataset_dir(ds));
    run(format, Input::File(input), config, options).0
}

#[test]
fn compat_output_is_byte_identical_to_label_studio() {
    let mut compared = 0;
    for ds in DATASETS.iter().chain(&OWN) {
        for (format, dir) in formats() {
            let want_dir = expected_dir(dir, "compat", ds);
            assert!(want_dir.is_dir(), "missing fixture {}", want_dir.display());
            let got = export(format, ds, opts(true));
            assert_same_tree(&got, &tree(&want_dir), &format!("{dir} compat {ds}"));
            compared += 1;
        }
    }
    assert_eq!(compared, 18);
}

/// ls-converter.md §9.1, computed on exportkit's own output.
#[test]
fn rect_1000_digests_match_the_reference() {
    for ((format, _), want) in formats().into_iter().zip([
        "7d6473b1c0df0bc2e171452cf6e2105b11d7e6b234698bda4b071b15d01e5a57",
        "df968869eb3218d5c60c2481d754a2a7cf110b8df77775ba603abfd3b8e6556c",
    ]) {
        let got = export(format, "rect_1000", opts(true));
        assert_eq!(got.len(), 1002);
        assert_eq!(ls_tree_digest(&got), want);
    }
}

#[test]
fn clean_output_matches_reviewed_golden_files() {
    for ds in DATASETS.iter().chain(&OWN) {
        for (format, dir) in formats() {
            let got = export(format, ds, opts(false));
            let want_dir = expected_dir(dir, "clean", ds);
            if std::env::var_os("EXPORTKIT_BLESS").is_some() {
                let _ = std::fs::remove_dir_all(&want_dir);
                for (name, bytes) in &got {
                    let p = want_dir.join(name);
                    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                    std::fs::write(p, bytes).expect("write");
                }
            }
            assert_same_tree(&got, &tree(&want_dir), &format!("{dir} clean {ds}"));
        }
    }
}

#[test]
fn output_is_identical_for_any_thread_count_and_batch_size() {
    for ds in ["mixed_200", "edge_60", "unicode_edge", "yolo_corners"] {
        for (format, dir) in formats() {
            for compat in [true, false] {
                let mut first: Option<Tree> = None;
                for (threads, batch_size) in [(1, 1000), (3, 1), (3, 7), (1, 1)] {
                    let o = ExportOptions {
                        threads,
                        batch_size,
                        ..opts(compat)
                    };
                    let got = export(format, ds, o);
                    match &first {
                        None => first = Some(got),
                        Some(f) => assert_same_tree(
                            &got,
                            f,
                            &format!(
                                "{dir} {ds} compat={compat} threads={threads} batch={batch_size}"
                            ),
                        ),
                    }
                }
            }
        }
    }
}

/// The stems a clean export may use for a task's image: its sanitised basename's stem, or that
/// stem with a `-<hash>` suffix.
fn image_stems(tasks: &[serde_json::Value], key: &str) -> Vec<String> {
    tasks
        .iter()
        .filter_map(|t| t["data"][key].as_str())
        .map(|url| {
            let base = exportkit_core::names::sanitize(exportkit_core::names::basename(url));
            exportkit_core::names::split_ext(&base).0.to_owned()
        })
        .collect()
}

fn parse_yaml(y: &str) -> (usize, BTreeMap<usize, String>, Option<usize>) {
    let mut nc = None;
    let mut names = BTreeMap::new();
    let mut kpt = None;
    for line in y.lines() {
        if let Some(v) = line.strip_prefix("nc: ") {
            nc = Some(v.parse().expect("nc"));
        } else if let Some(v) = line.strip_prefix("kpt_shape: [") {
            let k = v.split(',').next().expect("k").trim();
            kpt = Some(k.parse().expect("kpt"));
            assert!(v.ends_with(", 3]"), "{line}");
        } else if let Some(v) = line.strip_prefix("  ") {
            let (i, n) = v.split_once(": ").expect("i: name");
            let n: String = serde_json::from_str(n).expect("JSON-compatible quoted name");
            names.insert(i.parse().expect("index"), n);
        }
    }
    (nc.expect("nc"), names, kpt)
}

/// What Ultralytics' `verify_image_label` checks, plus the layout: one label file per task,
/// named after the task's image; class indices < nc; coordinates in [0, 1]; the number of
/// values per line fits the task (detect 4, segment 2n >= 6, OBB 8, pose 4 + 3k).
fn check_ultralytics_layout(ds: &str, format: &'static YoloFormat, got: &Tree) {
    let (input, _) = dataset(&dataset_dir(ds));
    let tasks: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(input).expect("read")).expect("tasks");
    let key = if ds == "yolo_keypoints" {
        "img"
    } else {
        "image"
    };
    let stems = image_stems(&tasks, key);
    let yaml = String::from_utf8(got["data.yaml"].clone()).expect("yaml");
    let (nc, names, kpt) = parse_yaml(&yaml);
    assert!(yaml.starts_with("# ") && yaml.contains("\npath: .\ntrain: images\nval: images\n"));
    assert_eq!(names.len(), nc, "{ds}: names map every index");
    assert_eq!(
        names.keys().copied().collect::<Vec<_>>(),
        (0..nc).collect::<Vec<_>>()
    );
    let classes = String::from_utf8(got["classes.txt"].clone()).expect("classes");
    assert_eq!(
        classes.lines().map(str::to_owned).collect::<Vec<_>>(),
        names.values().cloned().collect::<Vec<_>>(),
        "{ds}: classes.txt line i is class i"
    );
    let labels: Vec<(&String, &Vec<u8>)> = got
        .iter()
        .filter(|(k, _)| k.starts_with("labels/"))
        .collect();
    assert_eq!(labels.len(), stems.len(), "{ds}: one label file per task");
    let mut seen = HashSet::new();
    for (path, bytes) in labels {
        let stem = path
            .strip_prefix("labels/")
            .and_then(|p| p.strip_suffix(".txt"))
            .expect("labels/<stem>.txt");
        assert!(seen.insert(stem.to_lowercase()), "{ds}: {stem} used twice");
        assert!(
            stems.iter().any(|s| stem == s
                || stem
                    .strip_prefix(s.as_str())
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|h| h.len() >= 8)),
            "{ds}: {stem} is not a task image name"
        );
        let text = std::str::from_utf8(bytes).expect("utf-8");
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{ds} {stem}: lines end with \\n"
        );
        for line in text.lines() {
            let mut f = line.split(' ');
            let cls: usize = f.next().expect("class").parse().expect("class index");
            assert!(cls < nc, "{ds} {stem}: class {cls} >= nc {nc}");
            let vals: Vec<f64> = f.map(|v| v.parse().expect("number")).collect();
            match (format.obb_layout(), kpt) {
                (true, _) => assert_eq!(vals.len(), 8, "{ds} {stem}: {line}"),
                (false, Some(k)) => {
                    assert_eq!(vals.len(), 4 + 3 * k, "{ds} {stem}: {line}");
                    for v in vals[4..].chunks(3) {
                        assert!(v[2] == 2.0 || v == [0.0, 0.0, 0.0], "{ds} {stem}: {line}");
                    }
                }
                (false, None) => assert!(
                    vals.len() == 4 || (vals.len() >= 6 && vals.len().is_multiple_of(2)),
                    "{ds} {stem}: {line}"
                ),
            }
            let is_visibility = |i: usize| kpt.is_some() && i >= 4 && (i - 4) % 3 == 2;
            for (i, v) in vals.iter().enumerate().filter(|(i, _)| !is_visibility(*i)) {
                assert!(
                    (0.0..=1.0).contains(v),
                    "{ds} {stem}: value {i} = {v} outside [0, 1] in {line}"
                );
            }
            if !format.obb_layout() && kpt.is_none() && vals.len() == 4 {
                assert!(
                    vals[2] > 0.0 && vals[3] > 0.0,
                    "{ds} {stem}: empty box {line}"
                );
            }
        }
    }
}

trait Layout {
    fn obb_layout(&self) -> bool;
}

impl Layout for YoloFormat {
    fn obb_layout(&self) -> bool {
        exportkit_core::ExporterFactory::info(self).name == "YOLO_OBB"
    }
}

#[test]
fn clean_output_is_a_valid_ultralytics_dataset() {
    for ds in DATASETS.iter().chain(&OWN) {
        for (format, _) in formats() {
            for pick in [Pick::Latest, Pick::All] {
                let got = export(
                    format,
                    ds,
                    ExportOptions {
                        pick,
                        ..opts(false)
                    },
                );
                check_ultralytics_layout(ds, format, &got);
            }
        }
    }
}

#[test]
fn pick_first_is_label_studio_s_choice_of_annotation() {
    // yolo_corners task 3 (`c.png`): three annotations; Label Studio keeps the oldest
    // non-cancelled one ("yes", class 7 in its sorted list); clean Pick::First picks the same
    // ("yes" is class 3 in config order), Pick::Latest the newest ("Dog", class 0).
    let file = |t: &Tree, name: &str| String::from_utf8(t[name].clone()).expect("utf-8");
    let compat = export(&YOLO, "yolo_corners", opts(true));
    assert_eq!(
        file(&compat, "labels/8254a465__c.txt"),
        "7 0.3 0.3 0.2 0.2\n"
    );
    let first = export(
        &YOLO,
        "yolo_corners",
        ExportOptions {
            pick: Pick::First,
            ..opts(false)
        },
    );
    assert_eq!(file(&first, "labels/c.txt"), "3 0.3 0.3 0.2 0.2\n");
    let latest = export(&YOLO, "yolo_corners", opts(false));
    assert_eq!(file(&latest, "labels/c.txt"), "0 0.15 0.15 0.1 0.1\n");
}

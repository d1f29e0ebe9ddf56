//! The clean (default) `BRUSH_TO_COCO`: goldens (`fixtures/brush/expected/clean/<dataset>/`,
//! exportkit's reviewed output; regenerate with `EXPORTKIT_BLESS=1 cargo test -p
//! exportkit-brush --test coco_clean`), the COCO RLE string encoder against pycocotools,
//! holes, empty masks, the polygon option and thread-count independence.

use exportkit_brush::BRUSH_TO_COCO;
use exportkit_brush::coco_rle;
use exportkit_core::rle::encode_mask;
use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig, Target,
};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn options(threads: usize, batch: usize, seg: Option<&str>) -> ExportOptions {
    let mut o = ExportOptions {
        compat: Compat::Clean,
        threads,
        batch_size: batch,
        ..ExportOptions::default()
    };
    if let Some(s) = seg {
        o.format_options.insert("segmentation".into(), s.into());
    }
    o
}

fn run(input: Input, xml: &str, options: ExportOptions) -> (String, ExportSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let config = Some(Arc::new(LabelConfig::parse(xml).expect("config")));
    let summary = ExportJob::new(&BRUSH_TO_COCO, ExportContext { config, options })
        .run(input, Target::from_path(&out))
        .expect("export");
    assert!(out.join("images").is_dir());
    let text = std::fs::read_to_string(out.join("result_coco.json")).expect("result");
    (text, summary)
}

fn dataset(name: &str) -> (Input, String) {
    let dir = root().join("fixtures/brush/datasets").join(name);
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    (Input::File(dir.join("tasks.json")), xml)
}

const DATASETS: [&str; 2] = ["brush_20", "brush_edge"];

#[test]
fn clean_goldens() {
    let bless = std::env::var_os("EXPORTKIT_BLESS").is_some();
    for name in DATASETS {
        for (seg, file) in [
            (None, "BRUSH_TO_COCO.result_coco.json"),
            (Some("polygon"), "BRUSH_TO_COCO.polygon.result_coco.json"),
        ] {
            let (input, xml) = dataset(name);
            let (got, _) = run(input, &xml, options(0, 1000, seg));
            let path = root()
                .join("fixtures/brush/expected/clean")
                .join(name)
                .join(file);
            if bless {
                std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
                std::fs::write(&path, &got).expect("bless");
            }
            let want =
                std::fs::read_to_string(&path).expect("golden (EXPORTKIT_BLESS=1 writes it)");
            if got != want {
                let at = got.lines().zip(want.lines()).position(|(a, b)| a != b);
                panic!(
                    "{name} {file} differs at line {at:?}: {:?}",
                    at.map(|i| (got.lines().nth(i), want.lines().nth(i)))
                );
            }
        }
    }
}

#[test]
fn the_same_for_any_thread_count() {
    for name in DATASETS {
        for seg in [None, Some("polygon")] {
            let (input, xml) = dataset(name);
            let (many, _) = run(input, &xml, options(4, 2, seg));
            let (input, _) = dataset(name);
            let (serial, _) = run(input, &xml, options(1, 1, seg));
            let (input, _) = dataset(name);
            let (big, _) = run(input, &xml, options(0, 1000, seg));
            assert_eq!(many, serial, "{name}");
            assert_eq!(big, serial, "{name}");
        }
    }
}

/// Strings written by pycocotools 2.0.11's `mask.encode(np.asfortranarray(m))["counts"]`
/// (peers venv python); the masks are given row-major, 0/1.
#[test]
fn rle_strings_match_pycocotools() {
    let cases: [(&str, usize, usize, &[u8], &str); 5] = [
        ("empty", 3, 2, &[0, 0, 0, 0, 0, 0], "6"),
        ("full", 3, 2, &[1, 1, 1, 1, 1, 1], "06"),
        (
            "box",
            5,
            4,
            &[0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0],
            "5220003",
        ),
        (
            "ring",
            5,
            5,
            &[
                0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0,
            ],
            "632NO0124",
        ),
        (
            "noise",
            7,
            6,
            &[
                0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1,
                1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0,
            ],
            "341M1010O1OO032MO000O11",
        ),
    ];
    for (name, w, h, mask, want) in cases {
        let enc = coco_rle::encode(mask, w, h);
        let s = coco_rle::to_string(&enc.counts);
        assert_eq!(s, want, "{name}");
        assert_eq!(coco_rle::from_string(&s).as_deref(), Some(&enc.counts[..]));
        let back = coco_rle::decode(&enc.counts, w, h).expect("decodes");
        let bin: Vec<u8> = mask.iter().map(|&v| u8::from(v != 0)).collect();
        assert_eq!(back, bin, "{name}");
        assert_eq!(enc.area, bin.iter().map(|&v| u64::from(v)).sum::<u64>());
    }
    // 300×200 (h×w): a 240×160 box from (20, 10) with a 10×20 hole at (50, 100); large
    // counts and negative deltas.
    let (w, h) = (200, 300);
    let mut mask = vec![0u8; w * h];
    for y in 10..250 {
        for x in 20..180 {
            mask[y * w + x] = u8::from(!((100..120).contains(&y) && (50..60).contains(&x)));
        }
    }
    let enc = coco_rle::encode(&mask, w, h);
    let s = coco_rle::to_string(&enc.counts);
    assert_eq!(coco_rle::from_string(&s).as_deref(), Some(&enc.counts[..]));
    assert_eq!(enc.bbox, [20, 10, 160, 240]);
    assert_eq!(enc.area, 240 * 160 - 200);
    assert_eq!(s, BIG);
}

/// pycocotools 2.0.11, the 300×200 mask of `rle_strings_match_pycocotools`.
const BIG: &str = "jk5`7l10000000000000000000000000000000000000000000000000000000000ZKhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1^30000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000Vk5";

const XML: &str = r##"<View><Image name="image" value="$image"/>
<BrushLabels name="tag" toName="image"><Label value="Ring" background="#ff0000"/><Label value="Cat"/></BrushLabels></View>"##;

fn rle_json(mask: &[u8]) -> String {
    let items: Vec<String> = encode_mask(mask).iter().map(u8::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn region(w: usize, h: usize, mask: &[u8], label: &str) -> String {
    format!(
        r#"{{"original_width": {w}, "original_height": {h}, "value": {{"format": "rle", "rle": {}, "brushlabels": ["{label}"]}}, "from_name": "tag", "to_name": "image", "type": "brushlabels"}}"#,
        rle_json(mask)
    )
}

fn tasks(regions: &[String]) -> Input {
    Input::Bytes(
        format!(
            r#"[{{"id": 7, "data": {{"image": "/data/upload/1/a.png"}}, "annotations": [{{"id": 1, "result": [{}]}}]}},
            {{"id": 8, "data": {{"image": "/data/upload/2/a.png"}}}}]"#,
            regions.join(", ")
        )
        .into_bytes(),
    )
}

/// A 9×7 ring: a 7×5 square of 255 with a 3×1 hole.
fn ring() -> (usize, usize, Vec<u8>) {
    let (w, h) = (9, 7);
    let mut m = vec![0u8; w * h];
    for y in 1..6 {
        for x in 1..8 {
            m[y * w + x] = if y == 3 && (3..6).contains(&x) {
                0
            } else {
                255
            };
        }
    }
    (w, h, m)
}

#[test]
fn holes_are_kept_and_every_task_has_an_image() {
    let (w, h, m) = ring();
    let (text, summary) = run(
        tasks(&[region(w, h, &m, "Ring")]),
        XML,
        options(0, 1000, None),
    );
    // Only the task without annotations (no size known) warns.
    assert_eq!(summary.warning_count, 1, "{:?}", summary.warnings);
    assert_eq!(summary.warnings[0].task_id.as_deref(), Some("8"));
    assert!(summary.warnings[0].message.contains("image size unknown"));
    let v: Value = serde_json::from_str(&text).expect("json");
    let images = v["images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["file_name"], "images/a.png");
    assert_ne!(images[1]["file_name"], "images/a.png");
    assert_eq!(
        (images[0]["width"].as_u64(), images[0]["height"].as_u64()),
        (Some(9), Some(7))
    );
    assert!(images[1]["width"].is_null());
    let cats = v["categories"].as_array().expect("categories");
    assert_eq!(cats[0]["name"], "Ring");
    assert_eq!(cats[0]["id"], 1);
    assert_eq!(cats[0]["color"], "#ff0000");
    assert_eq!(cats[1]["name"], "Cat");
    let anns = v["annotations"].as_array().expect("annotations");
    assert_eq!(anns.len(), 1);
    let a = &anns[0];
    assert_eq!(a["id"], 1);
    assert_eq!(a["category_id"], 1);
    assert_eq!(a["iscrowd"], 0);
    assert_eq!(a["area"], 35 - 3);
    assert_eq!(a["bbox"], serde_json::json!([1, 1, 7, 5]));
    assert_eq!(a["segmentation"]["size"], serde_json::json!([7, 9]));
    let counts = coco_rle::from_string(a["segmentation"]["counts"].as_str().expect("counts"))
        .expect("valid counts");
    let back = coco_rle::decode(&counts, w, h).expect("decodes");
    let want: Vec<u8> = m.iter().map(|&v| u8::from(v != 0)).collect();
    assert_eq!(back, want, "pixel-exact, hole included");
}

#[test]
fn the_polygon_option_traces_outer_contours() {
    let (w, h, m) = ring();
    let (text, _) = run(
        tasks(&[region(w, h, &m, "Ring")]),
        XML,
        options(0, 1000, Some("polygon")),
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    let a = &v["annotations"][0];
    assert_eq!(
        a["segmentation"],
        serde_json::json!([[1, 1, 1, 5, 7, 5, 7, 1]])
    );
    assert_eq!(a["area"], 32);
    assert_eq!(a["bbox"], serde_json::json!([1, 1, 7, 5]));
    let bad = ExportJob::new(
        &BRUSH_TO_COCO,
        ExportContext {
            config: Some(Arc::new(LabelConfig::parse(XML).expect("config"))),
            options: options(0, 1000, Some("mesh")),
        },
    )
    .run(
        tasks(&[]),
        Target::from_path(tempfile::tempdir().expect("tmp").path().join("o")),
    );
    assert!(bad.is_err());
}

#[test]
fn empty_masks_and_unknown_labels_are_warnings() {
    let (w, h, m) = ring();
    let empty = vec![0u8; w * h];
    let (text, summary) = run(
        tasks(&[
            region(w, h, &empty, "Cat"),
            region(w, h, &m, "Horse"),
            region(w, h, &m, "Cat"),
        ]),
        XML,
        options(0, 1000, None),
    );
    let msgs: Vec<&str> = summary
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(summary.warning_count, 3, "{msgs:?}");
    assert!(msgs[2].contains("image size unknown"), "{msgs:?}");
    assert!(msgs[0].contains("empty brush mask"), "{msgs:?}");
    assert!(
        msgs[1].contains("\"Horse\" is not a brush label"),
        "{msgs:?}"
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    let anns = v["annotations"].as_array().expect("annotations");
    assert_eq!(anns.len(), 2);
    assert_eq!(
        (anns[0]["id"].as_u64(), anns[1]["id"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        anns[0]["category_id"], 3,
        "Horse appended after the config's labels"
    );
    assert_eq!(anns[1]["category_id"], 2);
    assert_eq!(v["categories"][2]["name"], "Horse");
}

#[test]
fn compat_still_matches_label_studio_structure() {
    // The compat goldens are checked byte for byte in tests/golden.rs; here only that
    // --compat label-studio does not take the clean path.
    let (w, h, m) = ring();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    ExportJob::new(
        &BRUSH_TO_COCO,
        ExportContext {
            config: Some(Arc::new(LabelConfig::parse(XML).expect("config"))),
            options: ExportOptions {
                compat: Compat::LabelStudio,
                ..ExportOptions::default()
            },
        },
    )
    .run(tasks(&[region(w, h, &m, "Ring")]), Target::from_path(&out))
    .expect("export");
    let v: Value =
        serde_json::from_slice(&std::fs::read(out.join("result_coco.json")).expect("read"))
            .expect("json");
    assert!(v["annotations"][0]["segmentation"].is_array());
    assert_eq!(v["images"].as_array().map(Vec::len), Some(1));
}

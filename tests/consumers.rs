//! Real consumers load exportkit's output: pycocotools reads the clean COCO files. Runs when
//! `EXPORTKIT_TEST_PYTHON` names a Python with pycocotools (scripts/test.sh sets it up from
//! requirements-test.txt); otherwise it says it skipped.

use crate::util::*;
use exportkit::Input;
use std::process::Command;

#[test]
fn pycocotools_loads_clean_coco_output() {
    let Some(py) = std::env::var_os("EXPORTKIT_TEST_PYTHON") else {
        eprintln!("skipped: EXPORTKIT_TEST_PYTHON not set (scripts/test.sh sets it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for ds in [
        "rect_1000",
        "polygon_200",
        "keypoint_100",
        "mixed_200",
        "rect_rot_100",
        "edge_60",
    ] {
        let (input, config) = dataset(ds);
        let out = export(Input::File(input), "COCO", Some(config), opts(false));
        let path = tmp.path().join(format!("{ds}.json"));
        std::fs::write(&path, &out["result.json"]).unwrap();
        files.push(path);
    }
    let o = Command::new(py)
        .arg(root().join("fixtures/coco/check_pycocotools.py"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The clean BRUSH_TO_COCO: pycocotools decodes every annotation's RLE (`annToMask`) to the
/// exact brush mask (decoded here with exportkit's Label Studio RLE decoder), with `area` ==
/// `mask.sum()` and the tight `bbox`. Every annotation of every task goes in
/// (`--annotation all`, cancelled ones left out); the polygon option passes the generic check.
#[test]
fn pycocotools_decodes_clean_brush_to_coco_pixel_exact() {
    let Some(py) = std::env::var_os("EXPORTKIT_TEST_PYTHON") else {
        eprintln!("skipped: EXPORTKIT_TEST_PYTHON not set (scripts/test.sh sets it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for ds in ["brush_20", "brush_edge"] {
        let dir = root().join("fixtures/brush/datasets").join(ds);
        let xml = std::fs::read_to_string(dir.join("config.xml")).unwrap();
        let config = std::sync::Arc::new(exportkit::LabelConfig::parse(&xml).unwrap());
        let mut options = opts(false);
        options.pick = exportkit::Pick::All;
        options.annotation_filter.usual = true;
        let out = export(
            Input::File(dir.join("tasks.json")),
            "BRUSH_TO_COCO",
            Some(config.clone()),
            options.clone(),
        );
        let result = tmp.path().join(format!("{ds}.json"));
        std::fs::write(&result, &out["result_coco.json"]).unwrap();
        let expected = tmp.path().join(format!("{ds}.expected.json"));
        std::fs::write(&expected, expected_masks(&dir.join("tasks.json"))).unwrap();
        run_check(
            &py,
            "fixtures/brush/check_pycocotools.py",
            &[&result, &expected],
        );

        options
            .format_options
            .insert("segmentation".into(), "polygon".into());
        let out = export(
            Input::File(dir.join("tasks.json")),
            "BRUSH_TO_COCO",
            Some(config),
            options,
        );
        let poly = tmp.path().join(format!("{ds}.polygon.json"));
        std::fs::write(&poly, &out["result_coco.json"]).unwrap();
        run_check(&py, "fixtures/coco/check_pycocotools.py", &[&poly]);
    }
}

fn run_check(py: &std::ffi::OsStr, script: &str, args: &[&std::path::Path]) {
    let o = Command::new(py)
        .arg(root().join(script))
        .args(args)
        .output()
        .unwrap();
    eprint!("{}", String::from_utf8_lossy(&o.stdout));
    assert!(
        o.status.success(),
        "{script}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `{"<task position>": [[first label, h, w, [row-major indices inside]], ...]}` for every
/// labelled brush result of every annotation that is not cancelled or ground truth.
fn expected_masks(tasks: &std::path::Path) -> String {
    use serde_json::{Value, json};
    let tasks: Vec<Value> = serde_json::from_slice(&std::fs::read(tasks).unwrap()).unwrap();
    let mut out = serde_json::Map::new();
    for (pos, t) in tasks.iter().enumerate() {
        let mut masks = Vec::new();
        for a in t["annotations"].as_array().into_iter().flatten() {
            if a["was_cancelled"] == json!(true) || a["ground_truth"] == json!(true) {
                continue;
            }
            for r in a["result"].as_array().into_iter().flatten() {
                let v = &r["value"];
                let label = ["brushlabels", "labels"]
                    .iter()
                    .find_map(|k| v[*k].as_array())
                    .and_then(|l| l.first())
                    .and_then(Value::as_str);
                let (Some(label), Some(rle)) = (label, v.get("rle")) else {
                    continue;
                };
                let w = r["original_width"].as_u64().unwrap() as usize;
                let h = r["original_height"].as_u64().unwrap() as usize;
                let rgba = exportkit::rle::decode_json(&rle.to_string(), Some(w * h * 4)).unwrap();
                let inside: Vec<usize> = rgba
                    .chunks(4)
                    .enumerate()
                    .filter(|(_, px)| px[3] != 0)
                    .map(|(i, _)| i)
                    .collect();
                if !inside.is_empty() {
                    masks.push(json!([label, h, w, inside]));
                }
            }
        }
        out.insert(pos.to_string(), Value::Array(masks));
    }
    Value::Object(out).to_string()
}

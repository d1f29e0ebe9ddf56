//! Corner cases: names, duplicates, and RLEs Label Studio would crash on.

use exportkit_brush::{BRUSH_TO_NUMPY, BRUSH_TO_PNG, read_grey_png};
use exportkit_core::rle::encode_mask;
use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, ExporterFactory, Input,
    LabelConfig, Target,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const XML: &str = r#"<View><Image name="image" value="$image"/>
<BrushLabels name="tag" toName="image"><Label value="Cat"/><Label value="a/b"/></BrushLabels></View>"#;

fn rle_json(mask: &[u8]) -> String {
    let b = encode_mask(mask);
    let items: Vec<String> = b.iter().map(u8::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn region(w: u32, h: u32, rle: &str, labels: Option<&str>) -> String {
    let labels = labels.map_or(String::new(), |l| format!(r#", "brushlabels": {l}"#));
    format!(
        r#"{{"original_width": {w}, "original_height": {h}, "value": {{"format": "rle", "rle": {rle}{labels}}}, "from_name": "tag", "to_name": "image", "type": "brushlabels"}}"#
    )
}

fn task(id: &str, ann_id: u32, by: &str, regions: &[String]) -> String {
    format!(
        r#"{{"id": {id}, "data": {{"image": "/x.png"}}, "annotations": [{{"id": {ann_id}, "completed_by": {by}, "result": [{}]}}]}}"#,
        regions.join(", ")
    )
}

type Tree = BTreeMap<String, Vec<u8>>;

fn run(format: &'static dyn ExporterFactory, json: String, compat: bool) -> (Tree, ExportSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let options = ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        ..ExportOptions::default()
    };
    let config = Some(Arc::new(LabelConfig::parse(XML).expect("config")));
    let summary = ExportJob::new(format, ExportContext { config, options })
        .run(Input::Bytes(json.into_bytes()), Target::from_path(&out))
        .expect("export");
    let mut tree = Tree::new();
    for e in std::fs::read_dir(&out).into_iter().flatten() {
        let p = e.expect("entry").path();
        if p.is_dir() {
            continue;
        }
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        tree.insert(name, std::fs::read(&p).expect("read"));
    }
    (tree, summary)
}

#[test]
fn names_follow_label_studio() {
    let mask: Vec<u8> = (0..6 * 4)
        .map(|i| if i % 5 == 0 { 255 } else { 0 })
        .collect();
    let r = rle_json(&mask);
    let json = format!(
        "[{}]",
        task(
            "7",
            3,
            r#"{"id": 1, "email": "a+b@x.io"}"#,
            &[
                region(6, 4, &r, Some(r#"["a/b", "Cat"]"#)),
                region(6, 4, &r, None),
                region(6, 4, &r, Some(r#"["a/b", "Cat"]"#)),
            ]
        )
    );
    for compat in [true, false] {
        let (tree, s) = run(&BRUSH_TO_PNG, json.clone(), compat);
        let names: Vec<&str> = tree.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "task-7-annotation-3-by-ab@x.io-tag-a-b-Cat-0.png",
                "task-7-annotation-3-by-ab@x.io-tag-a-b-Cat-1.png",
                "task-7-annotation-3-by-ab@x.io-tag-no_label-0.png",
            ]
        );
        assert_eq!(s.warning_count, 0);
        for bytes in tree.values() {
            assert_eq!(read_grey_png(bytes), Some((6, 4, mask.clone())));
        }
    }
}

#[test]
fn repeated_names_overwrite_in_compat_and_stay_apart_in_clean() {
    let r1 = rle_json(&[255; 4]);
    let r2 = rle_json(&[0; 4]);
    let json = format!(
        "[{}, {}]",
        task("1", 1, "2", &[region(2, 2, &r1, Some(r#"["Cat"]"#))]),
        task("1", 1, "2", &[region(2, 2, &r2, Some(r#"["Cat"]"#))]),
    );
    let (compat, _) = run(&BRUSH_TO_NUMPY, json.clone(), true);
    assert_eq!(compat.len(), 1);
    let only = compat.values().next().expect("one file");
    assert_eq!(&only[only.len() - 4..], &[0; 4], "the last task wins");
    let (clean, _) = run(&BRUSH_TO_NUMPY, json, false);
    let names: Vec<&str> = clean.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "task-1-annotation-1-by-2-tag-Cat-0-2.npy",
            "task-1-annotation-1-by-2-tag-Cat-0.npy"
        ]
    );
    assert_eq!(
        &clean["task-1-annotation-1-by-2-tag-Cat-0.npy"][128..],
        &[255; 4]
    );
}

#[test]
fn bad_masks_are_warnings_not_crashes() {
    let good = rle_json(&[255; 6]);
    let json = format!(
        "[{}]",
        task(
            r#""a/b""#,
            1,
            "null",
            &[
                region(3, 3, &good, Some(r#"["Cat"]"#)), // 6 pixels, 9 expected
                region(3, 2, "[1, 2, 3]", Some(r#"["Cat"]"#)), // truncated
                region(3, 2, "\"abc\"", Some(r#"["Cat"]"#)), // not a list
                region(3, 2, &good, Some("[1]")),        // labels not strings
                region(3, 2, &good, Some(r#"["Cat"]"#)),
            ]
        )
    );
    for compat in [true, false] {
        let (tree, s) = run(&BRUSH_TO_NUMPY, json.clone(), compat);
        assert_eq!(s.warning_count, 4, "{:?}", s.warnings);
        assert!(
            s.warnings[0].message.contains("needs 36"),
            "{}",
            s.warnings[0]
        );
        let names: Vec<&str> = tree.keys().map(String::as_str).collect();
        // The task id "a/b" cannot be a file name: sanitised in both modes. A null completed_by
        // is `None`, as Label Studio writes it.
        assert_eq!(names, ["task-a_b-annotation-1-by-None-tag-Cat-3.npy"]);
    }
}

#[test]
fn coco_skips_what_label_studio_cannot_read() {
    let good = rle_json(&[0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0]);
    let json = format!(
        "[{}, {}]",
        task(
            "1",
            1,
            "2",
            &[
                region(4, 3, &good, Some(r#"["Cat"]"#)),
                region(4, 3, "[1, 2, 3]", Some(r#"["Cat"]"#)),
                region(4, 4, &good, Some(r#"["Cat"]"#)),
            ]
        ),
        r#"{"id": 2, "data": {"image": "/x.tif"}, "annotations": [{"id": 2, "result": []}]}"#
    );
    let (tree, s) = run(&exportkit_brush::BRUSH_TO_COCO, json, false);
    assert_eq!(s.warning_count, 3, "{:?}", s.warnings);
    let text = String::from_utf8_lossy(&tree["result_coco.json"]).into_owned();
    assert_eq!(text.matches("\"image_id\"").count(), 1, "{text}");
    assert!(
        text.contains("\"bbox\": [\n        1,\n        0,\n        2,\n        3\n      ]"),
        "{text}"
    );
}

/// `.npy` files are written from runs or from pixels depending on the mask; both hold it.
#[test]
fn masks_with_few_or_many_runs_are_written_whole() {
    let (w, h) = (37u32, 23u32);
    let smooth: Vec<u8> = (0..w * h)
        .map(|i| if i % w > 10 && i / w > 5 { 255 } else { 0 })
        .collect();
    let noisy: Vec<u8> = (0..w * h)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for mask in [smooth, noisy] {
        let json = format!(
            "[{}]",
            task(
                "1",
                1,
                "2",
                &[region(w, h, &rle_json(&mask), Some(r#"["Cat"]"#))]
            )
        );
        let (npy, _) = run(&BRUSH_TO_NUMPY, json.clone(), true);
        let b = npy.values().next().expect("npy");
        assert_eq!(b.len(), 128 + mask.len());
        assert_eq!(&b[128..], &mask[..]);
        let (png, _) = run(&BRUSH_TO_PNG, json, true);
        let p = png.values().next().expect("png");
        assert_eq!(read_grey_png(p), Some((w, h, mask.clone())));
    }
}

//! Property tests and malformed input: no panics, warnings instead of silent loss, and the
//! clean output's numbers always in [0, 1].

mod common;

use common::*;
use exportkit_core::geometry::{clip_box, rotated_corners, rotated_hull};
use exportkit_core::{ExportOptions, Input, Pick};
use exportkit_yolo::{YOLO, YOLO_OBB, YoloFormat};
use proptest::prelude::*;

const RECT_CFG: &str = r#"<View><Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="Cat"/><Label value="Car"/></PolygonLabels>
</View>"#;

const KP_CFG: &str = r#"<View><Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Cat"/></RectangleLabels>
  <KeyPointLabels name="kp" toName="image"><Label value="a" model_index="0"/><Label value="b" model_index="1"/></KeyPointLabels>
</View>"#;

/// A one-task export whose annotation has `results` (JSON objects, comma separated).
fn task_json(results: &str) -> String {
    format!(
        r#"[{{"id": 1, "data": {{"image": "/data/upload/1/a.jpg"}}, "annotations": [{{"id": 1, "result": [{results}], "created_at": "2024-01-01"}}]}}]"#
    )
}

fn export_str(
    format: &'static YoloFormat,
    cfg: &str,
    tasks: String,
    compat: bool,
) -> (Tree, exportkit_core::ExportSummary) {
    run(
        format,
        Input::Bytes(tasks.into_bytes()),
        config(cfg),
        opts(compat),
    )
}

fn label_lines(t: &Tree) -> Vec<Vec<f64>> {
    t.iter()
        .filter(|(k, _)| k.starts_with("labels/"))
        .flat_map(|(_, v)| {
            String::from_utf8_lossy(v)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|l| {
            l.split(' ')
                .skip(1)
                .map(|v| v.parse().expect("number"))
                .collect()
        })
        .collect()
}

fn rect(x: f64, y: f64, w: f64, h: f64, rot: f64, size: (u32, u32)) -> String {
    format!(
        r#"{{"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": {}, "original_height": {},
            "value": {{"x": {x:?}, "y": {y:?}, "width": {w:?}, "height": {h:?}, "rotation": {rot:?}, "rectanglelabels": ["Dog"]}}}}"#,
        size.0, size.1
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hull_contains_every_corner(x in -500.0..500.0f64, y in -500.0..500.0f64, w in 0.0..400.0f64,
                                  h in 0.0..400.0f64, rot in -720.0..720.0f64) {
        let (hx, hy, hw, hh) = rotated_hull(x, y, w, h, rot);
        for (cx, cy) in rotated_corners(x, y, w, h, rot) {
            prop_assert!(cx >= hx - 1e-9 && cx <= hx + hw + 1e-9);
            prop_assert!(cy >= hy - 1e-9 && cy <= hy + hh + 1e-9);
        }
        let (bx, by, bw, bh) = clip_box((hx, hy, hw, hh), 640.0, 480.0);
        prop_assert!(bx >= 0.0 && by >= 0.0 && bw >= 0.0 && bh >= 0.0);
        prop_assert!(bx + bw <= 640.0 + 1e-9 && by + bh <= 480.0 + 1e-9);
    }

    #[test]
    fn clean_numbers_are_normalised(x in -60.0..160.0f64, y in -60.0..160.0f64, w in -20.0..120.0f64,
                                    h in -20.0..120.0f64, rot in -400.0..400.0f64,
                                    iw in 1u32..5000, ih in 1u32..5000) {
        for format in [&YOLO, &YOLO_OBB] {
            let (t, _) = export_str(format, RECT_CFG, task_json(&rect(x, y, w, h, rot, (iw, ih))), false);
            for line in label_lines(&t) {
                prop_assert_eq!(line.len(), if std::ptr::eq(format, &YOLO) { 4 } else { 8 });
                for v in line {
                    prop_assert!((0.0..=1.0).contains(&v), "{} outside [0, 1]", v);
                }
            }
        }
    }

    #[test]
    fn boxes_inside_the_image_keep_their_numbers(x in 0.0..50.0f64, y in 0.0..50.0f64, w in 0.1..50.0f64,
                                                 h in 0.1..50.0f64, iw in 1u32..5000, ih in 1u32..5000) {
        let (t, s) = export_str(&YOLO, RECT_CFG, task_json(&rect(x, y, w, h, 0.0, (iw, ih))), false);
        prop_assert_eq!(s.warning_count, 0);
        let lines = label_lines(&t);
        prop_assert_eq!(lines.len(), 1);
        let want = [(x + w / 2.0) / 100.0, (y + h / 2.0) / 100.0, w / 100.0, h / 100.0];
        for (g, w) in lines[0].iter().zip(want) {
            prop_assert!((g - w).abs() <= 5.1e-7, "{} vs {}", g, w);
        }
        // Compat writes Label Studio's numbers (unclipped, Python floats), same values.
        let (t, _) = export_str(&YOLO, RECT_CFG, task_json(&rect(x, y, w, h, 0.0, (iw, ih))), true);
        let lines = label_lines(&t);
        for (g, w) in lines[0].iter().zip(want) {
            prop_assert!((g - w).abs() <= 1e-12, "{} vs {}", g, w);
        }
    }

    #[test]
    fn polygons_are_clipped_into_the_image(pts in prop::collection::vec((-50.0..150.0f64, -50.0..150.0f64), 3..9)) {
        let points: Vec<String> = pts.iter().map(|(x, y)| format!("[{x:?}, {y:?}]")).collect();
        let r = format!(
            r#"{{"id": "p", "from_name": "poly", "to_name": "image", "type": "polygonlabels", "original_width": 100, "original_height": 100,
                "value": {{"points": [{}], "polygonlabels": ["Car"]}}}}"#,
            points.join(", ")
        );
        let (t, _) = export_str(&YOLO, RECT_CFG, task_json(&r), false);
        for line in label_lines(&t) {
            prop_assert!(line.len() >= 6 && line.len().is_multiple_of(2));
            prop_assert!(line.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }

    /// Any JSON in a region's members: both modes, both formats, never a panic or an error.
    #[test]
    fn malformed_regions_never_fail_the_export(
        vals in prop::collection::vec(prop::sample::select(vec![
            "null", "\"10\"", "true", "[]", "{}", "[1, 2]", "\"\"", "1e400", "-0", "12345678901234567",
            "[[1, 2], [3]]", "[[1, \"a\"], [2, 3], [4, 5]]", "[\"Cat\", 3]", "\"Dog\"", "{\"Cat\": 1}", "0", "50.5",
        ]), 8),
        parent in prop::sample::select(vec!["", ", \"parentID\": \"r\"", ", \"parentID\": null"]),
        kind in prop::sample::select(vec!["rectanglelabels", "polygonlabels", "keypointlabels"]),
    ) {
        let keys = ["x", "y", "width", "height", "rotation", "points", "rectanglelabels", "keypointlabels"];
        let members: Vec<String> = keys.iter().zip(&vals).map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let from = match kind { "rectanglelabels" => "label", "polygonlabels" => "poly", _ => "kp" };
        let r = format!(
            r#"{{"id": "r", "from_name": "{from}", "to_name": "image", "type": "{kind}", "original_width": {}, "original_height": {}{parent},
                "value": {{{}}}}}"#,
            vals[0], vals[1], members.join(", ")
        );
        for cfg in [RECT_CFG, KP_CFG] {
            for format in [&YOLO, &YOLO_OBB] {
                for compat in [true, false] {
                    let tasks = task_json(&format!("{r}, {}", rect(10.0, 10.0, 10.0, 10.0, 0.0, (100, 100))));
                    let (t, _) = export_str(format, cfg, tasks, compat);
                    prop_assert!(t.contains_key("classes.txt"));
                }
            }
        }
    }
}

fn warnings_of(format: &'static YoloFormat, cfg: &str, results: &str, compat: bool) -> Vec<String> {
    export_str(format, cfg, task_json(results), compat)
        .1
        .warnings
        .into_iter()
        .map(|w| w.message)
        .collect()
}

#[test]
fn malformed_regions_give_warnings_in_clean_mode() {
    let base = r#""id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 100, "original_height": 100"#;
    for (value, needle) in [
        (
            r#"{"y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}"#,
            "no \"x\"",
        ),
        (
            r#"{"x": "1", "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}"#,
            "\"x\" is not a finite number",
        ),
        (
            r#"{"x": 1e400, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}"#,
            "\"x\" is not a finite number",
        ),
        (
            r#"{"x": 1, "y": 1, "width": 2, "height": 3, "rotation": "a", "rectanglelabels": ["Cat"]}"#,
            "rotation",
        ),
        (
            r#"{"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Lion"]}"#,
            "not in the label config",
        ),
        (
            r#"{"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": "Cat"}"#,
            "not a list of labels",
        ),
        (
            r#"{"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": []}"#,
            "without a label",
        ),
        (
            r#"{"x": 200, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}"#,
            "no area inside the image",
        ),
    ] {
        for format in [&YOLO, &YOLO_OBB] {
            let w = warnings_of(
                format,
                RECT_CFG,
                &format!("{{{base}, \"value\": {value}}}"),
                false,
            );
            assert!(w.iter().any(|m| m.contains(needle)), "{value}: {w:?}");
        }
    }
    let poly = r#""id": "p", "from_name": "poly", "to_name": "image", "type": "polygonlabels""#;
    for (value, needle) in [
        (
            r#"{"points": [], "polygonlabels": ["Car"]}"#,
            "polygon with 0 points",
        ),
        (
            r#"{"points": [[1, 2], [3, 4]], "polygonlabels": ["Car"]}"#,
            "polygon with 2 points",
        ),
        (
            r#"{"points": [[1, 2], [3], [5, 6]], "polygonlabels": ["Car"]}"#,
            "not a list of [x, y] numbers",
        ),
        (
            r#"{"points": "1,2", "polygonlabels": ["Car"]}"#,
            "not a list of [x, y] numbers",
        ),
        (r#"{"polygonlabels": ["Car"]}"#, "without \"points\""),
        (
            r#"{"points": [[200, 2], [300, 4], [250, 50]], "polygonlabels": ["Car"]}"#,
            "no area inside the image",
        ),
    ] {
        let w = warnings_of(
            &YOLO,
            RECT_CFG,
            &format!("{{{poly}, \"value\": {value}}}"),
            false,
        );
        assert!(w.iter().any(|m| m.contains(needle)), "{value}: {w:?}");
    }
    // A rotated box without any size cannot be placed.
    let w = warnings_of(
        &YOLO,
        RECT_CFG,
        r#"{"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rotation": 10, "rectanglelabels": ["Cat"]}}"#,
        false,
    );
    assert!(
        w.iter().any(|m| m.contains("without original_width")),
        "{w:?}"
    );
}

#[test]
fn label_studio_crashes_become_warnings_in_compat_mode() {
    let base = r#""id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 100, "original_height": 100"#;
    // Label Studio raises TypeError on these (x / 100 of a string or None, len() of a number).
    for (value, needle) in [
        (
            r#"{"x": "1", "y": 1, "width": 2, "height": 3, "rotation": 0, "rectanglelabels": ["Cat"]}"#,
            "\"x\" is not a number",
        ),
        (
            r#"{"x": null, "y": 1, "width": 2, "height": 3, "rotation": 0, "rectanglelabels": ["Cat"]}"#,
            "\"x\" is not a number",
        ),
        (
            r#"{"x": 1, "y": 1, "width": 2, "height": 3, "rotation": 0, "rectanglelabels": 3}"#,
            "not a list",
        ),
        (
            r#"{"x": 1, "y": 1, "width": 2, "height": 3, "rotation": 0, "rectanglelabels": [null]}"#,
            "not a string",
        ),
    ] {
        let w = warnings_of(
            &YOLO_OBB,
            RECT_CFG,
            &format!("{{{base}, \"value\": {value}}}"),
            true,
        );
        assert!(w.iter().any(|m| m.contains(needle)), "{value}: {w:?}");
    }
    let zero = r#"{"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 0, "original_height": 100, "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rotation": 0, "rectanglelabels": ["Cat"]}}"#;
    assert!(
        warnings_of(&YOLO_OBB, RECT_CFG, zero, true)
            .iter()
            .any(|m| m.contains("is 0"))
    );
    let points = r#"{"id": "p", "from_name": "poly", "to_name": "image", "type": "polygonlabels", "value": {"points": [[1, 2, 3]], "polygonlabels": ["Car"]}}"#;
    assert!(
        warnings_of(&YOLO, RECT_CFG, points, true)
            .iter()
            .any(|m| m.contains("points"))
    );
    // Keypoint mode: a box without x (KeyError in Label Studio).
    let kp = r#"{"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {"y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}}"#;
    assert!(
        warnings_of(&YOLO, KP_CFG, kp, true)
            .iter()
            .any(|m| m.contains("no \"x\""))
    );
    // A task without the image key (KeyError) or with a number: no label file, a warning.
    for data in [r#"{"other": 1}"#, r#"{"image": 3}"#] {
        for compat in [true, false] {
            let tasks = format!(r#"[{{"id": 1, "data": {data}, "annotations": []}}]"#);
            let (t, s) = export_str(&YOLO, RECT_CFG, tasks, compat);
            assert_eq!(s.warning_count, 1, "{data}");
            assert!(!t.keys().any(|k| k.starts_with("labels/")));
        }
    }
}

#[test]
fn strict_mode_turns_warnings_into_errors() {
    let tasks = task_json(
        r#"{"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Lion"]}}"#,
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let err = exportkit_core::ExportJob::new(
        &YOLO,
        exportkit_core::ExportContext {
            config: Some(config(RECT_CFG)),
            options: ExportOptions {
                strict: true,
                ..opts(false)
            },
        },
    )
    .run(
        Input::Bytes(tasks.into_bytes()),
        exportkit_core::Target::from_path(tmp.path().join("o")),
    )
    .expect_err("strict");
    assert!(err.to_string().contains("Lion"), "{err}");
    assert!(!tmp.path().join("o").exists());
}

#[test]
fn no_config_is_a_clear_error() {
    for compat in [true, false] {
        let ctx = exportkit_core::ExportContext {
            config: None,
            options: opts(compat),
        };
        let err = exportkit_core::ExporterFactory::build(&YOLO, &ctx).expect_err("no config");
        assert!(err.to_string().contains("label config"), "{err}");
    }
}

#[test]
fn pick_all_merges_and_pick_first_takes_the_oldest() {
    let tasks = r#"[{"id": 1, "data": {"image": "a.jpg"}, "annotations": [
        {"id": 1, "created_at": "2024-02-01", "result": [{"id": "n", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {"x": 10, "y": 10, "width": 10, "height": 10, "rectanglelabels": ["Cat"]}}]},
        {"id": 2, "created_at": "2024-01-01", "result": [{"id": "o", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {"x": 50, "y": 50, "width": 10, "height": 10, "rectanglelabels": ["Dog"]}}]}]}]"#;
    let file = |pick: Pick| {
        let (t, _) = run(
            &YOLO,
            Input::Bytes(tasks.as_bytes().to_vec()),
            config(RECT_CFG),
            ExportOptions {
                pick,
                ..opts(false)
            },
        );
        String::from_utf8(t["labels/a.txt"].clone()).expect("utf-8")
    };
    assert_eq!(file(Pick::Latest), "0 0.15 0.15 0.1 0.1\n");
    assert_eq!(file(Pick::First), "1 0.55 0.55 0.1 0.1\n");
    assert_eq!(
        file(Pick::All),
        "0 0.15 0.15 0.1 0.1\n1 0.55 0.55 0.1 0.1\n"
    );
    assert_eq!(file(Pick::GroundTruth), "");
}

#[test]
fn category_gaps_get_placeholder_names() {
    let cfg = r#"<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">
        <Label value="A" category="3"/><Label value="class_2"/><Label value="yes"/></RectangleLabels>
        <Choices name="c" toName="image"><Choice value="x"/></Choices></View>"#;
    let (t, _) = run(
        &YOLO,
        Input::Bytes(b"[]".to_vec()),
        config(cfg),
        opts(false),
    );
    assert_eq!(
        String::from_utf8_lossy(&t["classes.txt"]),
        "class_2\nyes\nclass_2_\nA\n"
    );
    let yaml = String::from_utf8_lossy(&t["data.yaml"]).into_owned();
    assert!(
        yaml.contains(
            "nc: 4\nnames:\n  0: \"class_2\"\n  1: \"yes\"\n  2: \"class_2_\"\n  3: \"A\"\n"
        ),
        "{yaml}"
    );
    // Keypoint names are not classes, but keep their ids unused (COCO category ids are the
    // same numbers): a KeyPointLabels control before the boxes leaves placeholders.
    let kp_first = r#"<View><Image name="image" value="$image"/>
        <KeyPointLabels name="kp" toName="image"><Label value="nose"/><Label value="eye"/></KeyPointLabels>
        <RectangleLabels name="label" toName="image"><Label value="person"/></RectangleLabels></View>"#;
    let (t, _) = run(
        &YOLO,
        Input::Bytes(b"[]".to_vec()),
        config(kp_first),
        opts(false),
    );
    assert_eq!(
        String::from_utf8_lossy(&t["classes.txt"]),
        "class_0\nclass_1\nperson\n"
    );
    assert!(String::from_utf8_lossy(&t["data.yaml"]).ends_with("kpt_shape: [2, 3]\n"));
    let too_big = r#"<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">
        <Label value="A" category="70000"/></RectangleLabels></View>"#;
    let ctx = exportkit_core::ExportContext {
        config: Some(config(too_big)),
        options: opts(false),
    };
    assert!(exportkit_core::ExporterFactory::build(&YOLO, &ctx).is_err());
}

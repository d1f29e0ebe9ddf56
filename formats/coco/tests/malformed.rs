//! Malformed regions give warnings (or, with `strict`, an error), never a panic, in both modes.

use exportkit_coco::COCO;
use exportkit_core::{
    Compat, ErrorKind, ExportContext, ExportJob, ExportOptions, Input, LabelConfig, Target,
};
use std::sync::Arc;

const CONFIG: &str = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="Cat"/></PolygonLabels>
  <KeyPointLabels name="kp" toName="image"><Label value="nose"/></KeyPointLabels>
  <EllipseLabels name="ell" toName="image"><Label value="Dog"/></EllipseLabels>
</View>"#;

/// One task per malformed region.
fn regions() -> Vec<&'static str> {
    vec![
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"x": "1", "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"x": 1, "y": 1, "width": 0, "height": 3, "rotation": 30, "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rotation": "x", "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": "100", "original_height": 50, "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": 7}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"x": 1e999, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "original_width": 100, "original_height": 50, "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Unknown"]}}"#,
        r#"{"from_name": "poly", "type": "polygonlabels", "original_width": 100, "original_height": 50, "value": {"points": [], "polygonlabels": ["Cat"]}}"#,
        r#"{"from_name": "poly", "type": "polygonlabels", "original_width": 100, "original_height": 50, "value": {"points": [[1, 2], [3]], "polygonlabels": ["Cat"]}}"#,
        r#"{"from_name": "poly", "type": "polygonlabels", "original_width": 100, "original_height": 50, "value": {"points": "1 2 3", "polygonlabels": ["Cat"]}}"#,
        r#"{"from_name": "poly", "type": "polygonlabels", "original_width": 100, "original_height": 50, "value": {"points": [[1, 2], ["a", 4], [5, 6]], "polygonlabels": ["Cat"]}}"#,
        r#"{"from_name": "kp", "type": "keypointlabels", "original_width": 100, "original_height": 50, "value": {"x": 1, "y": 2, "keypointlabels": ["nose"]}}"#,
        r#"{"from_name": "kp", "type": "keypointlabels", "original_width": 100, "original_height": 50, "value": {"y": 2, "keypointlabels": ["nose"]}}"#,
        r#"{"from_name": "ell", "type": "ellipselabels", "original_width": 100, "original_height": 50, "value": {"x": 1, "y": 2, "radiusX": 3, "radiusY": 4, "ellipselabels": ["Dog"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 2, "height": 3, "rectanglelabels": ["Cat"]}}"#,
        r#"{"from_name": "label", "type": "rectanglelabels"}"#,
    ]
}

fn input() -> Vec<u8> {
    let tasks: Vec<String> = regions()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                r#"{{"id": {i}, "data": {{"image": "/data/upload/1/{i}.jpg"}}, "annotations": [{{"id": {i}, "result": [{r}]}}]}}"#
            )
        })
        .collect();
    format!("[{}]", tasks.join(",\n")).into_bytes()
}

fn export(compat: bool, strict: bool) -> exportkit_core::Result<exportkit_core::ExportSummary> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ctx = ExportContext {
        config: Some(Arc::new(LabelConfig::parse(CONFIG).expect("config"))),
        options: ExportOptions {
            compat: if compat {
                Compat::LabelStudio
            } else {
                Compat::Clean
            },
            strict,
            ..ExportOptions::default()
        },
    };
    let out = tmp.path().join("out");
    let s = ExportJob::new(&COCO, ctx).run(Input::Bytes(input()), Target::from_path(&out))?;
    let bytes = std::fs::read(out.join("result.json")).expect("result.json");
    serde_json::from_slice::<serde_json::Value>(&bytes).expect("valid JSON");
    Ok(s)
}

#[test]
fn clean_warns_once_per_bad_region() {
    let s = export(false, false).expect("export");
    assert_eq!(
        s.records,
        regions().len() as u64,
        "every task keeps its image"
    );
    // Every task yields at least one warning (the last has no size at all: two).
    let tasks: std::collections::BTreeSet<u64> = s.warnings.iter().map(|w| w.task_index).collect();
    assert_eq!(tasks.len(), regions().len(), "{:#?}", s.warnings);
}

#[test]
fn compat_does_not_panic_where_label_studio_crashes() {
    let s = export(true, false).expect("export");
    assert!(s.warning_count >= 6, "{:#?}", s.warnings);
    // Where Label Studio drops a region silently (no `x`, an unknown label it appends, an
    // ellipse, no size), so does compat mode.
    for quiet in [0, 7, 14, 15] {
        assert!(
            s.warnings.iter().all(|w| w.task_index != quiet),
            "{:#?}",
            s.warnings
        );
    }
}

#[test]
fn strict_turns_warnings_into_errors() {
    let e = export(false, true).expect_err("strict");
    assert_eq!(e.kind(), ErrorKind::Input);
    assert_eq!(e.task_index(), Some(0));
}

//! Properties of clean COCO output on random tasks: every box and polygon inside its image,
//! ids contiguous, every reference resolvable, and the same bytes for any batch size.

use exportkit_coco::COCO;
use exportkit_core::{ExportContext, ExportJob, ExportOptions, Input, LabelConfig, Target};
use proptest::prelude::*;
use std::sync::Arc;

const CONFIG: &str = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="A"/><Label value="B"/></RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="A"/><Label value="C"/></PolygonLabels>
</View>"#;

#[derive(Debug, Clone)]
enum Shape {
    Rect([f64; 5], bool),
    Poly(Vec<(f64, f64)>, bool),
}

fn shape() -> impl Strategy<Value = Shape> {
    let coord = -20.0f64..120.0;
    prop_oneof![
        (
            [
                coord.clone(),
                coord.clone(),
                0.0f64..80.0,
                0.0f64..80.0,
                -180.0f64..180.0
            ],
            any::<bool>()
        )
            .prop_map(|(v, l)| Shape::Rect(v, l)),
        (
            proptest::collection::vec((coord.clone(), coord), 3..8),
            any::<bool>()
        )
            .prop_map(|(p, l)| Shape::Poly(p, l)),
    ]
}

fn task(i: usize, size: (u32, u32), shapes: &[Shape]) -> String {
    let results: Vec<String> = shapes
        .iter()
        .map(|s| {
            let head = format!(
                r#""original_width": {}, "original_height": {}"#,
                size.0, size.1
            );
            match s {
                Shape::Rect([x, y, w, h, r], l) => format!(
                    r#"{{{head}, "from_name": "label", "type": "rectanglelabels", "value": {{"x": {x}, "y": {y}, "width": {w}, "height": {h}, "rotation": {r}, "rectanglelabels": ["{}"]}}}}"#,
                    if *l { "A" } else { "B" }
                ),
                Shape::Poly(p, l) => {
                    let pts: Vec<String> = p.iter().map(|(x, y)| format!("[{x}, {y}]")).collect();
                    format!(
                        r#"{{{head}, "from_name": "poly", "type": "polygonlabels", "value": {{"points": [{}], "polygonlabels": ["{}"]}}}}"#,
                        pts.join(", "),
                        if *l { "A" } else { "C" }
                    )
                }
            }
        })
        .collect();
    format!(
        r#"{{"id": {i}, "data": {{"image": "/x/{}/img.jpg"}}, "annotations": [{{"id": {i}, "result": [{}]}}]}}"#,
        i % 3,
        results.join(", ")
    )
}

fn export(input: &[u8], batch_size: usize) -> Vec<u8> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let ctx = ExportContext {
        config: Some(Arc::new(LabelConfig::parse(CONFIG).expect("config"))),
        options: ExportOptions {
            batch_size,
            threads: 2,
            ..ExportOptions::default()
        },
    };
    ExportJob::new(&COCO, ctx)
        .run(Input::Bytes(input.to_vec()), Target::from_path(&out))
        .expect("export");
    std::fs::read(out.join("result.json")).expect("result.json")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn clean_output_invariants(
        tasks in proptest::collection::vec(
            ((1u32..4000, 1u32..4000), proptest::collection::vec(shape(), 0..5)),
            1..6,
        ),
        batch in 1usize..4,
    ) {
        let body: Vec<String> = tasks.iter().enumerate().map(|(i, (s, sh))| task(i, *s, sh)).collect();
        let input = format!("[{}]", body.join(",")).into_bytes();
        let bytes = export(&input, batch);
        prop_assert_eq!(&bytes, &export(&input, 1000));
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        let images = v["images"].as_array().expect("images");
        prop_assert_eq!(images.len(), tasks.len());
        let names: std::collections::HashSet<&str> =
            images.iter().map(|i| i["file_name"].as_str().unwrap_or("")).collect();
        prop_assert_eq!(names.len(), images.len().min(3), "same basename, distinct names");
        let cats: Vec<i64> = v["categories"].as_array().expect("cats")
            .iter().map(|c| c["id"].as_i64().unwrap_or(-1)).collect();
        prop_assert_eq!(&cats, &vec![0, 1, 2]);
        for (i, a) in v["annotations"].as_array().expect("anns").iter().enumerate() {
            prop_assert_eq!(a["id"].as_u64(), Some(i as u64 + 1));
            let img = &images[a["image_id"].as_u64().unwrap_or(u64::MAX) as usize];
            let (w, h) = (img["width"].as_f64().unwrap_or(0.0), img["height"].as_f64().unwrap_or(0.0));
            prop_assert!(cats.contains(&a["category_id"].as_i64().unwrap_or(-1)));
            let b: Vec<f64> = a["bbox"].as_array().expect("bbox").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect();
            let eps = 1e-9 * w.max(h);
            prop_assert!(b[0] >= 0.0 && b[1] >= 0.0 && b[2] > 0.0 && b[3] > 0.0, "{:?}", b);
            prop_assert!(b[0] + b[2] <= w + eps && b[1] + b[3] <= h + eps, "{:?} in {}x{}", b, w, h);
            prop_assert!(a["area"].as_f64().unwrap_or(0.0) > 0.0);
            for poly in a["segmentation"].as_array().expect("seg") {
                let c: Vec<f64> = poly.as_array().expect("poly").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect();
                prop_assert!(c.len() >= 6 && c.len().is_multiple_of(2));
                for p in c.chunks(2) {
                    prop_assert!(p[0] >= 0.0 && p[0] <= w && p[1] >= 0.0 && p[1] <= h, "{:?}", p);
                }
            }
        }
    }
}

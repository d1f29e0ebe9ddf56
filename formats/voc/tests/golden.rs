//! `fixtures/voc/expected/compat/<dataset>/` was written by label-studio-sdk 2.1.2's converter
//! (scripts/regen-voc.sh); `expected/clean/<dataset>/` is the reviewed clean output
//! (regenerate with `EXPORTKIT_BLESS=1 cargo test -p exportkit-voc --test golden`).

use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig, Pick,
    Target,
};
use exportkit_voc::VOC;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Datasets for which Label Studio offers VOC (`voc_edge` lives in `fixtures/voc/datasets`).
const DATASETS: [&str; 7] = [
    "rect_1000",
    "rect_rot_100",
    "edge_60",
    "mixed_200",
    "keypoint_100",
    "unicode_edge",
    "voc_edge",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(xml: &str) -> Arc<LabelConfig> {
    Arc::new(LabelConfig::parse(xml).expect("valid config"))
}

fn dataset(name: &str) -> (PathBuf, Arc<LabelConfig>) {
    let mut dir = root().join("fixtures/datasets").join(name);
    if !dir.is_dir() {
        dir = root().join("fixtures/voc/datasets").join(name);
    }
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    (dir.join("tasks.json"), config(&xml))
}

fn opts(compat: bool) -> ExportOptions {
    ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        ..ExportOptions::default()
    }
}

type Tree = BTreeMap<String, Vec<u8>>;

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> Tree {
    fn walk(base: &Path, dir: &Path, out: &mut Tree) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("prefix").to_string_lossy();
                out.insert(rel.replace('\\', "/"), std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = Tree::new();
    walk(dir, dir, &mut out);
    out
}

struct Run {
    files: Tree,
    summary: ExportSummary,
    dirs: (bool, bool),
}

fn run(input: Input, config: Option<Arc<LabelConfig>>, options: ExportOptions) -> Run {
    try_run(input, config, options).expect("export")
}

fn try_run(
    input: Input,
    config: Option<Arc<LabelConfig>>,
    options: ExportOptions,
) -> exportkit_core::Result<Run> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let summary = ExportJob::new(&VOC, ExportContext { config, options })
        .run(input, Target::from_path(&out))?;
    Ok(Run {
        files: tree(&out),
        summary,
        dirs: (
            out.join("images").is_dir(),
            out.join("Annotations").is_dir(),
        ),
    })
}

fn assert_same_tree(got: &Tree, want: &Tree, what: &str) {
    let only = |a: &Tree, b: &Tree| -> Vec<String> {
        a.keys()
            .filter(|k| !b.contains_key(*k))
            .take(5)
            .cloned()
            .collect()
    };
    assert!(
        got.len() == want.len() && only(got, want).is_empty(),
        "{what}: different file lists ({} vs {} files); only in output: {:?}; only expected: {:?}",
        got.len(),
        want.len(),
        only(got, want),
        only(want, got)
    );
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
                "{what}: {name} differs at byte {at}\n got: {:?}\nwant: {:?}",
                ctx(g),
                ctx(w)
            );
        }
    }
}

fn check(compat: bool) {
    let mode = if compat { "compat" } else { "clean" };
    for ds in DATASETS {
        let (input, cfg) = dataset(ds);
        let got = run(Input::File(input), Some(cfg), opts(compat));
        assert!(got.dirs.0, "{ds}: images/ is always created");
        let dir = root().join("fixtures/voc/expected").join(mode).join(ds);
        if !compat && std::env::var_os("EXPORTKIT_BLESS").is_some() {
            let _ = std::fs::remove_dir_all(&dir);
            for (name, bytes) in &got.files {
                let p = dir.join(name);
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::fs::write(p, bytes).expect("write");
            }
        }
        assert_same_tree(&got.files, &tree(&dir), &format!("VOC {mode} {ds}"));
    }
}

#[test]
fn compat_output_is_byte_identical_to_label_studio() {
    check(true);
}

#[test]
fn clean_output_matches_reviewed_golden_files() {
    check(false);
}

#[test]
fn output_is_the_same_for_any_thread_count_and_batch_size() {
    for compat in [true, false] {
        for ds in ["edge_60", "unicode_edge", "rect_rot_100"] {
            let (input, cfg) = dataset(ds);
            let base = run(Input::File(input.clone()), Some(cfg.clone()), opts(compat));
            for (threads, batch_size) in [(1, 1), (3, 1), (1, 1000), (3, 7)] {
                let o = ExportOptions {
                    threads,
                    batch_size,
                    ..opts(compat)
                };
                let got = run(Input::File(input.clone()), Some(cfg.clone()), o);
                assert_same_tree(
                    &got.files,
                    &base.files,
                    &format!("{ds} compat={compat} threads={threads} batch={batch_size}"),
                );
            }
        }
    }
}

const RECT: &str = r#"<View><Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="Cat"/></PolygonLabels>
  <Choices name="q" toName="image"><Choice value="Good"/></Choices>
</View>"#;

fn rect(id: &str, label: &str, x: &str, extra: &str) -> String {
    format!(
        r#"{{"id": "{id}", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 200, "original_height": 100,
           "value": {{"x": {x}, "y": 10, "width": 20, "height": 30, "rectanglelabels": [{label}]{extra}}}}}"#
    )
}

fn task(id: u32, image: &str, anns: &[(&str, Vec<String>)]) -> String {
    let anns: Vec<String> = anns
        .iter()
        .enumerate()
        .map(|(i, (created, results))| {
            format!(
                r#"{{"id": {}, "completed_by": {}, "created_at": "{created}", "result": [{}]}}"#,
                id * 10 + i as u32,
                i + 1,
                results.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"id": {id}, "data": {{"image": "{image}"}}, "annotations": [{}]}}"#,
        anns.join(",")
    )
}

fn input(tasks: &[String]) -> Input {
    Input::Bytes(format!("[{}]", tasks.join(",\n")).into_bytes())
}

fn text(run: &Run, name: &str) -> String {
    String::from_utf8(run.files[name].clone()).expect("utf-8")
}

#[test]
fn several_annotations_compat_keeps_the_oldest_clean_picks() {
    let tasks = [task(
        1,
        "/data/upload/1/a.jpg",
        &[
            ("2024-01-01", vec![rect("r1", "\"Cat\"", "10", "")]),
            ("2024-02-01", vec![rect("r2", "\"Dog\"", "10", "")]),
        ],
    )];
    let cfg = Some(config(RECT));
    let compat = run(input(&tasks), cfg.clone(), opts(true));
    let c = text(&compat, "Annotations/a.xml");
    assert!(c.contains("<name>Cat</name>") && !c.contains("Dog"), "{c}");
    assert_eq!(compat.summary.records, 2, "one write per annotation");

    let clean = run(input(&tasks), cfg.clone(), opts(false));
    let c = text(&clean, "Annotations/a.xml");
    assert!(
        c.contains("<name>Dog</name>") && !c.contains("Cat"),
        "newest: {c}"
    );
    for (pick, want) in [(Pick::First, vec!["Cat"]), (Pick::All, vec!["Dog", "Cat"])] {
        let o = ExportOptions {
            pick,
            ..opts(false)
        };
        let c = text(&run(input(&tasks), cfg.clone(), o), "Annotations/a.xml");
        let names: Vec<&str> = c
            .lines()
            .filter_map(|l| l.trim().strip_prefix("<name>")?.strip_suffix("</name>"))
            .collect();
        assert_eq!(names, want, "{pick:?}");
    }
}

#[test]
fn same_basename_compat_overwrites_clean_keeps_both() {
    let tasks = [
        task(
            1,
            "/data/upload/1/a.jpg",
            &[("2024", vec![rect("r1", "\"Cat\"", "10", "")])],
        ),
        task(
            2,
            "/data/upload/2/a.jpg",
            &[("2024", vec![rect("r2", "\"Dog\"", "10", "")])],
        ),
        task(
            3,
            "/data/upload/3/a.png",
            &[("2024", vec![rect("r3", "\"Dog\"", "10", "")])],
        ),
        task(
            4,
            "/data/upload/1/a.jpg",
            &[("2024", vec![rect("r4", "\"Cat\"", "10", "")])],
        ),
    ];
    let cfg = Some(config(RECT));
    let compat = run(input(&tasks), cfg.clone(), opts(true));
    assert_eq!(
        compat.files.keys().collect::<Vec<_>>(),
        ["Annotations/a.xml"]
    );
    assert!(text(&compat, "Annotations/a.xml").contains("<filename>a.jpg</filename>\n"));
    assert!(text(&compat, "Annotations/a.xml").contains("<name>Cat</name>"));

    let clean = run(input(&tasks), cfg, opts(false));
    let names: Vec<_> = clean.files.keys().cloned().collect();
    assert_eq!(names.len(), 4, "{names:?}");
    let filenames: Vec<String> = clean
        .files
        .values()
        .map(|b| {
            let s = String::from_utf8_lossy(b);
            let i = s.find("<filename>").expect("filename") + 10;
            s[i..i + s[i..].find('<').expect("end")].to_owned()
        })
        .collect();
    // a.jpg twice (tasks 1 and 4 show the same image), a.png, and a distinct name for /2/a.jpg.
    assert_eq!(
        filenames.iter().filter(|f| *f == "a.jpg").count(),
        2,
        "{filenames:?}"
    );
    assert!(filenames.contains(&"a.png".to_owned()));
    assert!(
        filenames
            .iter()
            .any(|f| f.starts_with("a-") && f.ends_with(".jpg"))
    );
    assert!(names.contains(&"Annotations/a.xml".to_owned()));
    assert!(names.contains(&"Annotations/a-2.xml".to_owned()));
}

#[test]
fn tasks_without_annotations() {
    let tasks = [
        r#"{"id": 1, "data": {"image": "/x/empty.jpg"}, "annotations": []}"#.to_owned(),
        r#"{"id": 2, "data": {"image": "/x/none.jpg"}}"#.to_owned(),
    ];
    let compat = run(input(&tasks), Some(config(RECT)), opts(true));
    assert!(compat.files.is_empty());
    assert_eq!(
        compat.dirs,
        (true, true),
        "Label Studio creates Annotations/ once it sees an item"
    );
    let clean = run(input(&tasks), Some(config(RECT)), opts(false));
    assert!(clean.files.is_empty(), "no size known, so no file");
    assert_eq!(clean.dirs, (true, true));
    assert_eq!(clean.summary.warning_count, 2);
    assert!(
        clean.summary.warnings[0]
            .message
            .contains("image size unknown")
    );

    // With a size from a (non-box) region, a task gets a file without objects.
    let choice = r#"{"id": "c", "from_name": "q", "to_name": "image", "type": "choices", "original_width": 64, "original_height": 48, "value": {"choices": ["Good"]}}"#;
    let t = [task(3, "/x/c.jpg", &[("2024", vec![choice.to_owned()])])];
    let clean = run(input(&t), Some(config(RECT)), opts(false));
    let c = text(&clean, "Annotations/c.xml");
    assert!(
        c.contains("<width>64</width>") && !c.contains("<object>"),
        "{c}"
    );
    assert_eq!(clean.summary.warning_count, 0);
}

#[test]
fn clean_layout_and_box_rounding() {
    // 200×100 image: x=10.3% → 20.6 px, width 20% → 40 px, rotation 90° about the top-left corner.
    let rot = rect("r1", "\"Cat\", \"Dog\"", "10.3", r#", "rotation": 90"#);
    let poly = r#"{"id": "p1", "from_name": "poly", "to_name": "image", "type": "polygonlabels", "original_width": 200, "original_height": 100,
        "value": {"points": [[90, 50], [110, 60], [95, 120]], "polygonlabels": ["Cat"]}}"#;
    let t = [task(
        1,
        "/data/upload/1/r&d <1>.jpg",
        &[("2024", vec![rot, poly.to_owned()])],
    )];
    let clean = run(input(&t), Some(config(RECT)), opts(false));
    let got = text(&clean, "Annotations/r&d <1>.xml");
    let obj = |name: &str, t: u8, b: [u32; 4]| {
        format!(
            "  <object>\n    <name>{name}</name>\n    <pose>Unspecified</pose>\n    <truncated>{t}</truncated>\n    <difficult>0</difficult>\n    <bndbox>\n      <xmin>{}</xmin>\n      <ymin>{}</ymin>\n      <xmax>{}</xmax>\n      <ymax>{}</ymax>\n    </bndbox>\n  </object>\n",
            b[0], b[1], b[2], b[3]
        )
    };
    // Rotated 90°: the box spans x ∈ [20.6 - 30, 20.6] → clipped [0, 20.6] → 0..21, y ∈ [10, 50].
    let want = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotation>\n  <folder>images</folder>\n  <filename>r&amp;d &lt;1&gt;.jpg</filename>\n  <source>\n    <database>Label Studio</database>\n    <image>/data/upload/1/r&amp;d &lt;1&gt;.jpg</image>\n  </source>\n  <size>\n    <width>200</width>\n    <height>100</height>\n    <depth>3</depth>\n  </size>\n  <segmented>0</segmented>\n{}{}{}</annotation>\n",
        obj("Cat", 1, [0, 10, 21, 50]),
        obj("Dog", 1, [0, 10, 21, 50]),
        obj("Cat", 1, [180, 50, 200, 100]),
    );
    assert_eq!(got, want);
}

#[test]
fn malformed_regions_warn_and_never_panic() {
    let bad = [
        rect("missing-x", "\"Cat\"", "1", "").replace(r#""x": 1, "#, ""),
        rect("string-x", "\"Cat\"", "\"12\"", ""),
        rect("huge", "\"Cat\"", "1e400", ""),
        rect("unknown-label", "\"Lion\"", "10", ""),
        rect("no-label", "", "10", ""),
        rect("outside", "\"Cat\"", "150", ""),
        rect("bad-rotation", "\"Cat\"", "10", r#", "rotation": "x""#),
        rect("label-number", "7", "10", ""),
        r#"{"id": "poly2", "from_name": "poly", "type": "polygonlabels", "original_width": 10, "original_height": 10, "value": {"points": [[1, 2], [3, 4]], "polygonlabels": ["Cat"]}}"#.to_owned(),
        r#"{"id": "poly0", "from_name": "poly", "type": "polygonlabels", "value": {"points": [], "polygonlabels": ["Cat"]}}"#.to_owned(),
        r#"{"id": "polys", "from_name": "poly", "type": "polygonlabels", "value": {"points": [["a", 1], [1, 2], [3, 4]], "polygonlabels": ["Cat"]}}"#.to_owned(),
        r#"{"id": "lbl", "from_name": "label", "type": "labels", "original_width": 10, "original_height": 10, "value": {"points": [[1, 2]], "labels": ["Cat"]}}"#.to_owned(),
        rect("labels-str", "\"Cat\"", "10", "").replace(r#""rectanglelabels": ["Cat"]"#, r#""labels": 5"#),
    ];
    let t = [task(1, "/x/bad.jpg", &[("2024", bad.to_vec())])];
    for compat in [true, false] {
        let r = run(input(&t), Some(config(RECT)), opts(compat));
        let doc = text(&r, "Annotations/bad.xml");
        assert!(r.summary.warning_count > 0, "compat={compat}");
        for w in &r.summary.warnings {
            assert!(w.message.starts_with("VOC: "), "{w}");
        }
        if !compat {
            // Only the well-formed, in-config, in-image boxes remain: none here.
            assert!(!doc.contains("<object>"), "{doc}");
            assert_eq!(r.summary.warning_count, 13, "{:#?}", r.summary.warnings);
        }
        // --strict turns the first warning into an error.
        let strict = ExportOptions {
            strict: true,
            ..opts(compat)
        };
        assert!(try_run(input(&t), Some(config(RECT)), strict).is_err());
    }
}

#[test]
fn compat_size_values_print_like_python() {
    let r = rect("r", "\"Cat\"", "10", "")
        .replace(r#""original_width": 200"#, r#""original_width": 200.0"#)
        .replace(r#""original_height": 100"#, r#""original_height": true"#);
    let t = [task(1, "/x/p.jpg", &[("2024", vec![r])])];
    let c = run(input(&t), Some(config(RECT)), opts(true));
    let doc = text(&c, "Annotations/p.xml");
    // x = int(10/100*200.0) = 20, y = int(10/100*True) = 0, h = int(30/100*True) = 0.
    assert!(
        doc.contains("<width>200.0</width>\n<height>True</height>\n"),
        "{doc}"
    );
    assert!(
        doc.contains("<xmin>20</xmin>\n<ymin>0</ymin>\n<xmax>60</xmax>\n<ymax>0</ymax>\n"),
        "{doc}"
    );
}

#[test]
fn missing_image_key_is_a_warning() {
    let t = [format!(
        r#"{{"id": 1, "data": {{"img": "x.jpg"}}, "annotations": [{{"result": [{}]}}]}}"#,
        rect("r", "\"Cat\"", "1", "")
    )];
    for compat in [true, false] {
        let r = run(input(&t), Some(config(RECT)), opts(compat));
        assert!(r.files.is_empty());
        assert_eq!(r.summary.warning_count, 1);
    }
}

#[test]
fn labels_with_xml_specials_survive_a_parser() {
    let cfg = config(
        r#"<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">
        <Label value="a&amp;b &lt;c&gt; &quot;q&quot; 'x'"/></RectangleLabels></View>"#,
    );
    let t = [task(
        1,
        "/x/s.jpg",
        &[("2024", vec![rect("r", r#""a&b <c> \"q\" 'x'""#, "1", "")])],
    )];
    let clean = run(input(&t), Some(cfg.clone()), opts(false));
    assert!(text(&clean, "Annotations/s.xml").contains("<name>a&amp;b &lt;c&gt; \"q\" 'x'</name>"));
    let compat = run(input(&t), Some(cfg), opts(true));
    assert!(
        text(&compat, "Annotations/s.xml")
            .contains("<name>a&amp;b &lt;c&gt; &quot;q&quot; 'x'</name>")
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    const LITERALS: [&str; 14] = [
        "1",
        "-0",
        "0.5",
        "12345678901234567",
        "-9223372036854775808",
        "1e308",
        "1e400",
        "-1e-320",
        "\"7\"",
        "null",
        "true",
        "[]",
        "{}",
        "[1, 2]",
    ];

    fn lit() -> impl Strategy<Value = &'static str> {
        prop::sample::select(&LITERALS[..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any scalar or container in any numeric slot gives output or warnings, never a panic
        /// or an error, in both modes.
        #[test]
        fn odd_values_never_break_the_export(
            x in lit(), y in lit(), w in lit(), h in lit(), ow in lit(), oh in lit(), rot in lit(), lab in lit(),
        ) {
            let region = format!(
                r#"{{"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
                    "original_width": {ow}, "original_height": {oh},
                    "value": {{"x": {x}, "y": {y}, "width": {w}, "height": {h}, "rotation": {rot}, "rectanglelabels": [{lab}, "Cat"]}}}}"#
            );
            let t = [task(1, "/x/p.jpg", &[("2024", vec![region.clone(), region])])];
            for compat in [true, false] {
                let r = try_run(input(&t), Some(config(RECT)), opts(compat));
                prop_assert!(r.is_ok(), "compat={} {:?}", compat, r.err());
            }
        }
    }
}

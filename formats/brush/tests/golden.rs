//! `fixtures/brush/expected/compat/<dataset>/` holds digests of what label-studio-sdk 2.1.2's
//! converter wrote (scripts/regen-brush.sh): the md5 of each `.npy` file, and the md5, size
//! and mode of each `.png` file's decoded pixels.

use exportkit_brush::{BRUSH_TO_NUMPY, BRUSH_TO_PNG, read_grey_png};
use exportkit_core::names::md5_hex;
use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, ExporterFactory, Input,
    LabelConfig, Target,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
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

fn run(
    format: &'static dyn ExporterFactory,
    input: Input,
    xml: &str,
    options: ExportOptions,
) -> (Tree, ExportSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let config = Some(Arc::new(LabelConfig::parse(xml).expect("config")));
    let summary = ExportJob::new(format, ExportContext { config, options })
        .run(input, Target::from_path(&out))
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

fn dataset(name: &str) -> (Input, String) {
    let dir = root().join("fixtures/brush/datasets").join(name);
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    (Input::File(dir.join("tasks.json")), xml)
}

fn expected(name: &str, format: &str) -> String {
    std::fs::read_to_string(
        root()
            .join("fixtures/brush/expected/compat")
            .join(name)
            .join(format!("{format}.md5")),
    )
    .expect("digests")
}

fn npy_digests(tree: &Tree) -> String {
    tree.iter()
        .map(|(n, b)| format!("{}  {n}\n", md5_hex(b)))
        .collect()
}

fn png_digests(tree: &Tree) -> String {
    tree.iter()
        .map(|(n, b)| {
            let (w, h, px) = read_grey_png(b).expect("our PNG decodes");
            format!("{} {w}x{h} L  {n}\n", md5_hex(&px))
        })
        .collect()
}

const DATASETS: [&str; 2] = ["brush_20", "brush_edge"];

#[test]
fn offered_where_label_studio_offers_them() {
    let (_, xml) = dataset("brush_20");
    let brush = LabelConfig::parse(&xml).expect("config");
    let rect = LabelConfig::parse(
        r#"<View><Image name="i" value="$i"/><RectangleLabels name="r" toName="i"><Label value="A"/></RectangleLabels></View>"#,
    )
    .expect("config");
    for f in [
        &BRUSH_TO_NUMPY,
        &BRUSH_TO_PNG,
        &exportkit_brush::BRUSH_TO_COCO,
    ] {
        assert_eq!(f.supports(&brush), exportkit_core::Support::Supported);
        assert_ne!(f.supports(&rect), exportkit_core::Support::Supported);
    }
}

#[test]
fn numpy_is_byte_identical_to_label_studio() {
    for name in DATASETS {
        let (input, xml) = dataset(name);
        let (tree, summary) = run(&BRUSH_TO_NUMPY, input, &xml, opts(true));
        assert_eq!(
            npy_digests(&tree),
            expected(name, "BRUSH_TO_NUMPY"),
            "{name}"
        );
        assert_eq!(summary.records as usize, tree.len());
        assert_eq!(summary.warning_count, 0);
    }
}

#[test]
fn png_pixels_match_label_studio() {
    for name in DATASETS {
        let (input, xml) = dataset(name);
        let (tree, _) = run(&BRUSH_TO_PNG, input, &xml, opts(true));
        assert_eq!(png_digests(&tree), expected(name, "BRUSH_TO_PNG"), "{name}");
    }
}

#[test]
fn clean_writes_the_same_files_for_any_thread_count() {
    for (format, name) in [&BRUSH_TO_NUMPY, &BRUSH_TO_PNG]
        .into_iter()
        .flat_map(|f| DATASETS.map(|d| (f, d)))
    {
        let (input, xml) = dataset(name);
        let (compat, _) = run(format, input, &xml, opts(true));
        let (input, _) = dataset(name);
        let (clean, _) = run(format, input, &xml, opts(false));
        assert_eq!(clean, compat);
        let (input, _) = dataset(name);
        let one = ExportOptions {
            threads: 1,
            batch_size: 1,
            ..opts(false)
        };
        let (serial, _) = run(format, input, &xml, one);
        assert_eq!(serial, clean);
    }
}

/// Label Studio's random colours and current date replaced by fixed text.
fn normalise_coco(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            if t.starts_with("\"color\": ") {
                format!("{indent}\"color\": \"#COLOR\",")
            } else if t.starts_with("\"date_created\": ") {
                format!("{indent}\"date_created\": \"DATE\"")
            } else if t.starts_with("\"year\": ") {
                format!("{indent}\"year\": 0,")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn coco_matches_label_studio_but_for_colours_and_dates() {
    for name in DATASETS {
        let (input, xml) = dataset(name);
        let (tree, _) = run(&exportkit_brush::BRUSH_TO_COCO, input, &xml, opts(true));
        let got = normalise_coco(&String::from_utf8_lossy(&tree["result_coco.json"]));
        let want = std::fs::read_to_string(
            root()
                .join("fixtures/brush/expected/compat")
                .join(name)
                .join("BRUSH_TO_COCO.result_coco.json"),
        )
        .expect("golden");
        if got != want.trim_end() {
            let at = got.lines().zip(want.lines()).position(|(a, b)| a != b);
            panic!(
                "{name} differs at line {at:?}: {:?}",
                at.map(|i| (got.lines().nth(i), want.lines().nth(i)))
            );
        }
    }
}

#[test]
fn coco_is_the_same_for_any_thread_count() {
    for name in DATASETS {
        let (input, xml) = dataset(name);
        let (many, _) = run(&exportkit_brush::BRUSH_TO_COCO, input, &xml, opts(false));
        let (input, _) = dataset(name);
        let one = ExportOptions {
            threads: 1,
            batch_size: 1,
            ..opts(false)
        };
        let (serial, _) = run(&exportkit_brush::BRUSH_TO_COCO, input, &xml, one);
        let text = |t: &Tree| normalise_coco(&String::from_utf8_lossy(&t["result_coco.json"]));
        assert_eq!(text(&many), text(&serial));
    }
}

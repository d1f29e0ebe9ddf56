//! `fixtures/conll/expected/compat/<dataset>/` was written by label-studio-sdk 2.1.2's converter
//! (scripts/regen-conll.sh); `expected/clean/<dataset>/` is the reviewed clean output
//! (regenerate with `EXPORTKIT_BLESS=1 cargo test -p exportkit-conll --test golden`).

use exportkit_conll::CONLL2003;
use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig, Pick,
    Target,
};
use std::path::PathBuf;
use std::sync::Arc;

const DATASETS: [&str; 2] = ["ner_200", "conll_edge"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dataset(name: &str) -> (PathBuf, Arc<LabelConfig>) {
    let mut dir = root().join("fixtures/datasets").join(name);
    if !dir.is_dir() {
        dir = root().join("fixtures/conll/datasets").join(name);
    }
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    (
        dir.join("tasks.json"),
        Arc::new(LabelConfig::parse(&xml).expect("valid config")),
    )
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

fn run(
    input: Input,
    config: Option<Arc<LabelConfig>>,
    options: ExportOptions,
) -> (String, ExportSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let summary = ExportJob::new(&CONLL2003, ExportContext { config, options })
        .run(input, Target::from_path(&out))
        .expect("export");
    let text = std::fs::read_to_string(out.join("result.conll")).expect("result.conll");
    (text, summary)
}

fn assert_same(got: &str, want: &str, what: &str) {
    if got != want {
        let at = got
            .bytes()
            .zip(want.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let line = got[..at].matches('\n').count() + 1;
        let ctx = |s: &str| {
            let b = s.as_bytes();
            String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())]).into_owned()
        };
        panic!(
            "{what}: differs at byte {at} (line {line})\n got: {:?}\nwant: {:?}",
            ctx(got),
            ctx(want)
        );
    }
}

fn check(compat: bool) {
    let mode = if compat { "compat" } else { "clean" };
    for ds in DATASETS {
        let (input, cfg) = dataset(ds);
        let (got, _) = run(Input::File(input), Some(cfg), opts(compat));
        let path = root()
            .join("fixtures/conll/expected")
            .join(mode)
            .join(ds)
            .join("result.conll");
        if !compat && std::env::var_os("EXPORTKIT_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &got).expect("write");
        }
        let want = std::fs::read_to_string(&path).expect("golden");
        assert_same(&got, &want, &format!("CONLL2003 {mode} {ds}"));
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
        for ds in DATASETS {
            let (input, cfg) = dataset(ds);
            let (base, _) = run(Input::File(input.clone()), Some(cfg.clone()), opts(compat));
            for (threads, batch_size) in [(1, 1), (3, 1), (1, 1000), (3, 7)] {
                let o = ExportOptions {
                    threads,
                    batch_size,
                    ..opts(compat)
                };
                let (got, _) = run(Input::File(input.clone()), Some(cfg.clone()), o);
                assert_same(
                    &got,
                    &base,
                    &format!("{ds} compat={compat} t={threads} b={batch_size}"),
                );
            }
        }
    }
}

#[test]
fn pick_selects_the_annotation() {
    let (input, cfg) = dataset("conll_edge");
    let (oldest, _) = run(
        Input::File(input),
        Some(cfg),
        ExportOptions {
            pick: Pick::First,
            ..opts(false)
        },
    );
    assert!(oldest.contains("Erin -X- _ B-PER\n"), "{oldest}");
    assert!(oldest.contains("Frank -X- _ O\n"));
}

#[test]
fn clean_mode_reports_what_it_could_not_tag() {
    let (input, cfg) = dataset("conll_edge");
    let (_, summary) = run(Input::File(input), Some(cfg), opts(false));
    let msgs: Vec<String> = summary.warnings.iter().map(|w| w.to_string()).collect();
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(
        has("span LOC [0, 8) overlaps ORG [0, 21): dropped"),
        "{msgs:#?}"
    );
    assert!(has("span without character offsets (start/end) skipped"));
    assert!(has("span with several labels (PER, MISC): tagged PER"));
    assert!(has("span without a label skipped"));
    assert!(has("covers no token of its own"));
    assert!(has("its text has no tokens"));
}

#[test]
fn compat_skips_tasks_label_studio_would_crash_on() {
    let input = br#"[{"id": 1, "data": {"text": 5}, "annotations": []},
      {"id": 2, "data": {"text": "Ann Lee"}, "annotations": [{"result": [
        {"value": {"start": "/p[1]", "end": "/p[1]", "labels": ["PER"]}, "from_name": "label",
         "to_name": "text", "type": "labels"}]}]},
      {"id": 3, "data": {"text": "Bo"}, "annotations": []}]"#;
    let (_, cfg) = dataset("conll_edge");
    let (got, summary) = run(Input::Bytes(input.to_vec()), Some(cfg), opts(true));
    assert_eq!(got, "-DOCSTART- -X- O\nBo -X- _ O\n\n");
    assert_eq!(summary.warnings.len(), 2, "{:?}", summary.warnings);
}

//! Fuzzing on the stable toolchain: arbitrary and mutated inputs through the splitter, the
//! task parser and whole exports. Nothing may panic (the pipeline turns an encoder panic into
//! an error, so that is checked too), errors are one line, and a failed export leaves nothing.
//!
//! `PROPTEST_CASES` sets the number of cases (64 by default); `fuzz/run.sh SECONDS` runs these
//! for a time budget.

use crate::util::root;
use exportkit::input::Splitter;
use exportkit::{Compat, ExportContext, ExportJob, ExportOptions, Input, Registry, Target};
use proptest::prelude::*;

/// 64 cases in the normal test run; `PROPTEST_CASES` raises it for fuzzing.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn seed_export() -> Vec<u8> {
    std::fs::read(root().join("fixtures/datasets/unicode_edge/tasks.json")).unwrap()
}

/// Applies byte edits: (position fraction, kind, byte).
fn mutate(mut bytes: Vec<u8>, edits: &[(f64, u8, u8)]) -> Vec<u8> {
    for &(at, kind, b) in edits {
        let i = ((bytes.len() as f64) * at) as usize;
        match kind % 4 {
            0 if i < bytes.len() => bytes[i] = b,
            1 => bytes.insert(i.min(bytes.len()), b),
            2 if i < bytes.len() => {
                bytes.remove(i);
            }
            _ => {
                let structural = b"{}[]\",:\\0-.e";
                bytes.insert(
                    i.min(bytes.len()),
                    structural[b as usize % structural.len()],
                );
            }
        }
    }
    bytes
}

fn run_export(input: Vec<u8>, format: &str, compat: bool, threads: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let options = ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        threads,
        batch_size: 3,
        ..ExportOptions::default()
    };
    let f = Registry::global().get(format).unwrap();
    let config = crate::util::dataset("unicode_edge").1;
    let r = ExportJob::new(
        f,
        ExportContext {
            config: Some(config),
            options,
        },
    )
    .run(Input::Bytes(input), Target::from_path(&out));
    if let Err(e) = r {
        let msg = e.to_string();
        assert!(!msg.contains("panicked"), "{format}: {msg}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
        assert!(!out.exists(), "failed export left output");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn splitter_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4000), batch in 1usize..8) {
        for b in Splitter::new(&bytes[..], batch) {
            if b.is_err() {
                break;
            }
        }
    }

    #[test]
    fn exports_survive_mutated_tasks(
        edits in proptest::collection::vec((0.0f64..1.0, any::<u8>(), any::<u8>()), 1..12),
        fmt in prop::sample::select(vec!["JSON", "JSON_MIN", "CSV", "TSV", "NDJSON", "COCO", "YOLO", "YOLO_OBB", "VOC"]),
        compat: bool,
    ) {
        run_export(mutate(seed_export(), &edits), fmt, compat, 2);
    }

    #[test]
    fn exports_survive_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600), compat: bool) {
        run_export(bytes, "JSON_MIN", compat, 1);
    }
}

//! The import validator never panics: arbitrary bytes and randomly mutated valid documents
//! give a plan or an error. `PROPTEST_CASES` raises the case count (fuzz/run.sh).

use exportkit_project::import::{ImportOptions, plan};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn golden() -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/project/expected/refs/project.json");
    std::fs::read(p).expect("golden document")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn import_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = plan(&bytes, &ImportOptions::default());
    }

    #[test]
    fn import_never_panics_on_mutated_documents(edits in proptest::collection::vec((0.0f64..1.0, any::<u8>(), 0u8..3), 1..10)) {
        let mut doc = golden();
        for (at, b, kind) in edits {
            let i = ((doc.len() as f64) * at) as usize;
            match kind {
                0 if i < doc.len() => doc[i] = b,
                1 => doc.insert(i.min(doc.len()), b),
                _ if i < doc.len() => { doc.remove(i); }
                _ => {}
            }
        }
        let _ = plan(&doc, &ImportOptions::default());
    }
}

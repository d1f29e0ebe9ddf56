//! Property tests for the invariants of project-export.md §5: byte round trip (1), consistent
//! remapping (3), no dangling references (4), absent sections (5), determinism across thread
//! counts and batch sizes (12), unicode and number exactness (13).
#![allow(clippy::unwrap_used)]

mod util;

use exportkit_core::Input;
use exportkit_project::import::{self, ImportOptions};
use proptest::prelude::*;
use std::collections::BTreeSet;

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1.0",
    "2.50",
    "1e400",
    "-1.5E-7",
    "123456789012345678901234567890",
    "0.1",
];
const USERS: &[&str] = &[
    "ann@example.org",
    "ANN@Example.org ",
    "bob@x.io",
    "Zoë@ü.example",
];

fn jstr(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[derive(Debug, Clone)]
struct Ann {
    author: u8,
    parent_ann: Option<u8>,
    parent_pred: Option<u8>,
    text: String,
    num: usize,
}

#[derive(Debug, Clone)]
struct Task {
    text: String,
    num: usize,
    anns: Vec<Ann>,
    preds: Vec<usize>,
    drafts: Vec<(u8, Option<u8>)>,
    extra: bool,
}

fn ann() -> impl Strategy<Value = Ann> {
    (
        0u8..6,
        proptest::option::of(0u8..4),
        proptest::option::of(0u8..3),
        ".{0,6}",
        0..NUMBERS.len(),
    )
        .prop_map(|(author, parent_ann, parent_pred, text, num)| Ann {
            author,
            parent_ann,
            parent_pred,
            text,
            num,
        })
}

fn task() -> impl Strategy<Value = Task> {
    (
        ".{0,12}",
        0..NUMBERS.len(),
        proptest::collection::vec(ann(), 0..4),
        proptest::collection::vec(0..NUMBERS.len(), 0..3),
        proptest::collection::vec((0u8..6, proptest::option::of(0u8..4)), 0..3),
        any::<bool>(),
    )
        .prop_map(|(text, num, anns, preds, drafts, extra)| Task {
            text,
            num,
            anns,
            preds,
            drafts,
            extra,
        })
}

/// A Label Studio export of `tasks` with globally unique source ids.
fn render(tasks: &[Task]) -> String {
    let mut out = String::from("[");
    let mut next = 1000u64;
    for (ti, t) in tasks.iter().enumerate() {
        if ti > 0 {
            out.push(',');
        }
        let ann_base = next;
        next += t.anns.len() as u64;
        let pred_base = next;
        next += t.preds.len() as u64;
        let author = |a: u8| match a {
            0..4 => jstr(USERS[a as usize]),
            4 => format!("{{\"id\": 7, \"email\": {}}}", jstr(USERS[0])),
            _ => "null".into(),
        };
        let anns: Vec<String> = t
            .anns
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let pa = a.parent_ann.map_or("null".into(), |p| (ann_base + u64::from(p)).to_string());
                let pp = a.parent_pred.map_or("null".into(), |p| (pred_base + u64::from(p)).to_string());
                format!(
                    "{{\"id\": {}, \"completed_by\": {}, \"parent_annotation\": {pa}, \"parent_prediction\": {pp}, \"result\": [{{\"id\": \"r{i}\", \"from_name\": \"c\", \"to_name\": \"t\", \"type\": \"textarea\", \"value\": {{\"text\": [{}], \"n\": {}}}, \"zz\": 1, \"aa\": 2}}], \"lead_time\": {}}}",
                    ann_base + i as u64,
                    author(a.author),
                    jstr(&a.text),
                    NUMBERS[a.num],
                    NUMBERS[a.num]
                )
            })
            .collect();
        let preds: Vec<String> = t
            .preds
            .iter()
            .enumerate()
            .map(|(i, n)| {
                format!(
                    "{{\"id\": {}, \"score\": {}, \"result\": [], \"model_version\": \"m\"}}",
                    pred_base + i as u64,
                    NUMBERS[*n]
                )
            })
            .collect();
        let drafts: Vec<String> = t
            .drafts
            .iter()
            .map(|(u, a)| {
                let a = a.map_or("null".into(), |p| (ann_base + u64::from(p)).to_string());
                format!(
                    "{{\"user\": {}, \"annotation\": {a}, \"result\": []}}",
                    author(*u)
                )
            })
            .collect();
        out.push_str(&format!(
            "{{\"id\": {ti}, \"data\": {{\"text\": {}, \"b\": {}, \"a\": [{}]}}, {}\"annotations\": [{}], \"predictions\": [{}], \"drafts\": [{}]}}",
            jstr(&t.text),
            NUMBERS[t.num],
            NUMBERS[t.num],
            if t.extra { "\"x_custom\": {\"k\": [true, null]}, " } else { "" },
            anns.join(", "),
            preds.join(", "),
            drafts.join(", ")
        ));
    }
    out.push(']');
    out
}

fn export(src: &str, include: &str, threads: usize, batch: usize) -> Vec<u8> {
    let mut o = util::base_opts();
    o.insert("include".into(), include.into());
    util::export_with(Input::Bytes(src.as_bytes().to_vec()), o, threads, batch).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_remapping_determinism(tasks in proptest::collection::vec(task(), 0..6), batch in 1usize..4) {
        let src = render(&tasks);
        let inc = "predictions,drafts,users";
        let doc = export(&src, inc, 1, 1000);
        // 12: any thread count and batch size give the same bytes.
        prop_assert_eq!(&export(&src, inc, 3, batch), &doc);
        // 4: the exporter's output passes the referential validator.
        let plan = import::plan(&doc, &ImportOptions { id_base: 10, ..ImportOptions::default() }).unwrap();
        // 3: new ids are a bijection and references stay inside their task.
        let mut ann_ids = BTreeSet::new();
        for t in &plan.tasks {
            let own: BTreeSet<u64> = t.annotations.iter().map(|a| a.new_id).collect();
            let preds: BTreeSet<u64> = t.predictions.iter().flatten().copied().collect();
            for (i, a) in t.annotations.iter().enumerate() {
                prop_assert!(ann_ids.insert(a.new_id));
                if let Some(p) = a.parent_annotation {
                    prop_assert!(own.contains(&p) && p < a.new_id, "parent {} of #{}", p, i);
                }
                if let Some(p) = a.parent_prediction {
                    prop_assert!(preds.contains(&p));
                }
            }
            for d in t.drafts.iter().flatten() {
                if let Some(a) = d.annotation {
                    prop_assert!(own.contains(&a));
                }
            }
        }
        let n: usize = tasks.iter().map(|t| t.anns.len()).sum();
        prop_assert_eq!(ann_ids.len(), n);
        if n > 0 {
            prop_assert_eq!(ann_ids.iter().next().copied(), Some(10));
        }
        // Emails are case-folded: at most three distinct users.
        prop_assert!(plan.users.len() <= 3);
        // 1 + 13: export -> import -> export is byte-identical (header fixed).
        prop_assert_eq!(util::reexport(&doc, util::base_opts()), doc.clone());
        // 13: number literals and strings survive exactly.
        let text = String::from_utf8(doc).unwrap();
        for t in &tasks {
            let want = format!("\"b\": {}", NUMBERS[t.num]);
            prop_assert!(text.contains(&want));
        }
    }

    #[test]
    fn absent_sections_stay_absent(tasks in proptest::collection::vec(task(), 1..4)) {
        let src = render(&tasks);
        let doc = String::from_utf8(export(&src, "none", 2, 1)).unwrap();
        for key in ["\"predictions\"", "\"drafts\"", "\"users\"", "\"provenance\""] {
            prop_assert!(!doc.contains(key));
        }
        let plan = import::plan(doc.as_bytes(), &ImportOptions::default()).unwrap();
        prop_assert!(plan.tasks.iter().all(|t| t.predictions.is_none() && t.drafts.is_none()));
        prop_assert_eq!(util::reexport(doc.as_bytes(), util::base_opts()), doc.into_bytes());
    }
}

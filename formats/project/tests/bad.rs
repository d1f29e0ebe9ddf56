//! Every document in fixtures/project/bad/ is rejected, with a message naming the problem, and
//! nothing is written.
#![allow(clippy::unwrap_used)]

mod util;

use exportkit_project::import::{self, ImportOptions};

const EXPECT: &[(&str, &str)] = &[
    (
        "annotation_without_result",
        "annotations[0].result: missing",
    ),
    ("author_is_an_id", "completed_by: expected an email or null"),
    ("counts_mismatch", "header.counts.annotations: says 7"),
    (
        "dangling_draft_annotation",
        "drafts[0].annotation: 3 is out of range",
    ),
    (
        "dangling_parent_prediction",
        "parent_prediction: 5 is out of range",
    ),
    ("newer_version", "file version 2 is newer than supported 1"),
    ("no_header", "header: missing"),
    ("no_label_config", "project.label_config: missing"),
    ("not_an_object", "not a JSON object"),
    (
        "parent_annotation_not_earlier",
        "parent_annotation: 1 is not an earlier annotation",
    ),
    ("task_without_data", "tasks[1].data: missing"),
    ("truncated", "not JSON"),
    ("unknown_author", "mallory@example.org is not in users"),
    ("wrong_format", "\"format\" is not"),
];

#[test]
fn bad_documents_are_rejected_before_writing() {
    let dir = util::fixtures().join("bad");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (_, want) = EXPECT
            .iter()
            .find(|(n, _)| *n == stem)
            .unwrap_or_else(|| panic!("{stem}: add its expected message to EXPECT"));
        let err = import::plan_file(&path, &ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains(want), "{stem}: {err}");
        seen += 1;
    }
    assert_eq!(seen, EXPECT.len());
}

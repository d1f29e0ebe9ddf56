//! Every `fixtures/bad/*.json` fails cleanly: exit 1, one line naming the position, no output.

use crate::util::root;
use std::process::Command;

fn run_bad(file: &std::path::Path, format: &str) -> (i32, String, bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_exportkit"))
        .args([
            "convert",
            file.to_str().expect("utf8"),
            "--format",
            format,
            "--out",
            out.to_str().expect("utf8"),
            "-q",
        ])
        .output()
        .expect("run");
    let left = std::fs::read_dir(tmp.path()).expect("read_dir").count() > 0;
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        left,
    )
}

#[test]
fn malformed_inputs_fail_with_a_positioned_one_line_error_and_no_output() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("fixtures/bad"))
        .expect("fixtures/bad")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the bad fixtures, found {files:?}"
    );
    for file in &files {
        for format in ["JSON", "JSON_MIN", "CSV"] {
            let (code, stderr, left) = run_bad(file, format);
            let name = file.file_name().expect("name").to_string_lossy();
            assert_eq!(code, 1, "{name} {format}: exit code, stderr: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{name} {format}: one line: {stderr}"
            );
            assert!(
                stderr.starts_with(&format!("exportkit: {format}: ")),
                "{name}: names the format: {stderr}"
            );
            assert!(
                stderr.contains("at byte "),
                "{name} {format}: names the offset: {stderr}"
            );
            assert!(!left, "{name} {format}: left output behind");
        }
    }
}

#[test]
fn errors_name_the_task_and_its_offset() {
    let (_, stderr, _) = run_bad(&root().join("fixtures/bad/no_data.json"), "JSON_MIN");
    assert_eq!(
        stderr.trim_end(),
        "exportkit: JSON_MIN: task #1 (id 2) at byte 35: task has no \"data\" object"
    );
    let (_, stderr, _) = run_bad(&root().join("fixtures/bad/invalid_utf8.json"), "CSV");
    assert_eq!(
        stderr.trim_end(),
        "exportkit: CSV: task #0 at byte 32: invalid UTF-8 in task"
    );
    let (_, stderr, _) = run_bad(&root().join("fixtures/bad/truncated.json"), "JSON");
    assert_eq!(
        stderr.trim_end(),
        "exportkit: JSON: at byte 54: unexpected end of input inside task #1 (truncated JSON)"
    );
}

use crate::util::root;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn exportkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exportkit"))
        .args(args)
        .output()
        .expect("run exportkit")
}

fn fixture(p: &str) -> String {
    root().join(p).to_string_lossy().into_owned()
}

#[test]
fn formats_lists_built_and_missing_formats() {
    let o = exportkit(&["formats"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.lines().any(|l| l.starts_with("JSON_MIN ")), "{s}");
    assert!(
        s.lines()
            .any(|l| l.starts_with("DOCLANG ") && l.contains("not available in this build")),
        "{s}"
    );
}

#[test]
fn formats_with_a_config_follows_label_studio() {
    let o = exportkit(&[
        "formats",
        "--config",
        &fixture("fixtures/datasets/ner_200/config.xml"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("json");
    let get = |n: &str| {
        v.iter()
            .find(|f| f["name"] == n)
            .unwrap_or_else(|| panic!("{n} listed"))
    };
    assert_eq!(get("CSV")["supported"], true);
    assert_eq!(get("CONLL2003")["supported"], true);
    assert_eq!(get("CONLL2003")["available"], true);
    assert_eq!(get("DOCLANG")["available"], false);
    assert_eq!(get("COCO")["supported"], false);
}

#[test]
fn usage_errors_exit_2() {
    let tasks = fixture("fixtures/datasets/unicode_edge/tasks.json");
    let o = exportkit(&["convert", &tasks, "--format", "nope", "--out", "/tmp/never"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("known formats: ASR_MANIFEST, BRUSH_TO_COCO, BRUSH_TO_NUMPY, BRUSH_TO_PNG, COCO, COCO_WITH_IMAGES, CONLL2003, CSV, DWCA, JSON, JSON_MIN, OCCURRENCES_API_JSON, OCCURRENCES_SIMPLE_CSV, PROJECT, TSV, VOC, YOLO, YOLO_OBB, YOLO_OBB_WITH_IMAGES, YOLO_WITH_IMAGES")
    );
    assert_eq!(
        exportkit(&["convert", &tasks, "--out", "/tmp/never"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(exportkit(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn zip_output_holds_the_tree() {
    let tmp = tempfile::tempdir().expect("tmp");
    let zip = tmp.path().join("export.zip");
    let o = exportkit(&[
        "convert",
        &fixture("fixtures/datasets/unicode_edge/tasks.json"),
        "-f",
        "csv",
        "-o",
        zip.to_str().expect("utf8"),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "--quiet prints nothing");
    let bytes = std::fs::read(&zip).expect("zip written");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("dir").count(),
        1,
        "no staging left"
    );
}

#[test]
fn stdin_ndjson_and_filters() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("o");
    let mut child = Command::new(env!("CARGO_BIN_EXE_exportkit"))
        .args([
            "convert",
            "-",
            "--format",
            "json_min",
            "--out",
            out.to_str().expect("utf8"),
            "--only-annotated",
            "-q",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"id\": 1, \"data\": {\"t\": \"a\"}, \"annotations\": []}\n{\"id\": 2, \"data\": {\"t\": \"b\"}, \"annotations\": [{\"id\": 9, \"result\": []}]}\n")
        .expect("write");
    assert!(child.wait().expect("wait").success());
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("result.json")).expect("read"))
            .expect("json");
    assert_eq!(
        v,
        serde_json::json!([{"t": "b", "id": 2, "annotator": null, "annotation_id": 9, "created_at": null, "updated_at": null, "lead_time": null}])
    );
}

#[test]
fn annotation_filter_and_no_header() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tasks = fixture("fixtures/datasets/edge_60/tasks.json");
    let run = |out: &str, extra: &[&str]| {
        let out = tmp.path().join(out);
        let mut args = vec![
            "convert",
            &tasks,
            "-f",
            "tsv",
            "-o",
            out.to_str().expect("utf8"),
            "-q",
        ];
        args.extend_from_slice(extra);
        let o = exportkit(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("result.tsv")).expect("result.tsv")
    };
    let src: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tasks).expect("read")).expect("json");
    let anns: Vec<serde_json::Value> = src
        .as_array()
        .expect("array")
        .iter()
        .flat_map(|t| t["annotations"].as_array().cloned().unwrap_or_default())
        .collect();
    let gt: Vec<String> = anns
        .iter()
        .filter(|a| a["ground_truth"] == true)
        .map(|a| a["id"].to_string())
        .collect();
    assert!(!gt.is_empty() && gt.len() < anns.len());

    let tsv = run("gt", &["--annotations", "ground-truth"]);
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = header
        .iter()
        .position(|h| *h == "annotation_id")
        .expect("annotation_id column");
    let ids: Vec<&str> = lines
        .map(|l| l.split('\t').nth(col).expect("cell"))
        .filter(|c| !c.is_empty())
        .collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter().all(|id| gt.iter().any(|g| g == id)),
        "only ground-truth annotations: {ids:?}"
    );

    let bare = run("bare", &["--annotations", "ground-truth", "--no-header"]);
    assert_eq!(
        bare,
        tsv.split_once('\n').expect("rows").1,
        "same rows without the header line"
    );
}

#[test]
fn project_export_then_import_through_the_cli() {
    let tmp = tempfile::tempdir().expect("tmp");
    let doc = tmp.path().join("project.json");
    let tasks = fixture("fixtures/datasets/edge_60/tasks.json");
    let config = fixture("fixtures/datasets/edge_60/config.xml");
    let o = exportkit(&[
        "convert",
        &tasks,
        "-f",
        "project",
        "-c",
        &config,
        "-o",
        doc.to_str().expect("utf8"),
        "--include",
        "all",
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("imported");
    let o = exportkit(&[
        "import",
        doc.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let imported: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(out.join("tasks.json")).expect("tasks.json"))
            .expect("json");
    assert_eq!(imported.len(), 60);
    assert_eq!(
        std::fs::read_to_string(out.join("config.xml")).expect("config"),
        std::fs::read_to_string(&config).expect("config")
    );

    // A document from a newer exportkit is refused, and nothing is written.
    let text = std::fs::read_to_string(&doc).expect("doc").replacen(
        "\"format_version\": 1",
        "\"format_version\": 2",
        1,
    );
    std::fs::write(&doc, text).expect("write");
    let refused = tmp.path().join("refused");
    let o = exportkit(&[
        "import",
        doc.to_str().expect("utf8"),
        "--out",
        refused.to_str().expect("utf8"),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("newer than supported"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!refused.exists());
}

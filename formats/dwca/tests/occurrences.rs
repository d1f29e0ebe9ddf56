//! End-to-end tests of `OCCURRENCES_SIMPLE_CSV` and `OCCURRENCES_API_JSON` on the DWCA fixture.
//!
//! `fixtures/occurrences/expected/camtrap/` is exportkit's reviewed output for
//! `fixtures/dwca/datasets/camtrap` with `fixtures/dwca/options/` (regenerate with
//! `EXPORTKIT_BLESS=1 cargo test -p exportkit-dwca --test occurrences`).
#![allow(clippy::unwrap_used)]

mod util;

use util::{camtrap, config, fixture, full_options, root};

use exportkit_core::{
    ExportContext, ExportJob, ExportOptions, ExportSummary, ExporterFactory, Input, Target,
};
use exportkit_dwca::{DwcaFormat, DwcaOptions, OccurrencesFormat};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Csv,
    Json,
}

impl Kind {
    fn format(self, o: DwcaOptions) -> &'static dyn ExporterFactory {
        match self {
            Kind::Csv => Box::leak(Box::new(OccurrencesFormat::simple_csv(o))),
            Kind::Json => Box::leak(Box::new(OccurrencesFormat::api_json(o))),
        }
    }

    fn file(self) -> &'static str {
        match self {
            Kind::Csv => "occurrences.csv",
            Kind::Json => "occurrences.json",
        }
    }
}

fn run(
    format: &'static dyn ExporterFactory,
    input: Input,
    opts: ExportOptions,
) -> exportkit_core::Result<(ExportSummary, BTreeMap<String, String>)> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let s = ExportJob::new(
        format,
        ExportContext {
            config: Some(config()),
            options: opts,
        },
    )
    .run(input, Target::from_path(&out))?;
    Ok((s, tree(&out)))
}

fn export(kind: Kind, o: DwcaOptions, input: Input) -> (ExportSummary, String) {
    let (s, mut t) = run(kind.format(o), input, ExportOptions::default()).unwrap();
    assert_eq!(t.len(), 1, "one file: {:?}", t.keys());
    (s, t.remove(kind.file()).unwrap())
}

fn bytes(s: &str) -> Input {
    Input::Bytes(s.as_bytes().to_vec())
}

fn tree(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

fn golden(kind: Kind, got: &str) {
    let path = root()
        .join("fixtures/occurrences/expected/camtrap")
        .join(kind.file());
    if std::env::var_os("EXPORTKIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert_eq!(got, want, "{} differs from {}", kind.file(), path.display());
}

/// CSV rows as maps of column → value (parsed with the `csv` crate).
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), 28);
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn dwca_ids() -> Vec<(String, String)> {
    let format: &'static DwcaFormat = Box::leak(Box::new(DwcaFormat::with_options(full_options())));
    let (_, t) = run(format, camtrap(), ExportOptions::default()).unwrap();
    t["occurrence.txt"]
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[1].to_owned(), c[0].to_owned())
        })
        .collect()
}

#[test]
fn golden_csv_camtrap() {
    let (s, text) = export(Kind::Csv, full_options(), camtrap());
    assert_eq!(s.records, 7);
    golden(Kind::Csv, &text);
    // Two labels of task 4 are missing from the taxonomy; coordinates are not used here.
    assert_eq!(s.warning_count, 2, "{:?}", s.warnings);
}

#[test]
fn golden_json_camtrap() {
    let (s, text) = export(Kind::Json, full_options(), camtrap());
    assert_eq!(s.records, 7);
    golden(Kind::Json, &text);
}

#[test]
fn ids_and_events_are_the_dwca_ones() {
    let want = dwca_ids();
    let (_, text) = export(Kind::Csv, full_options(), camtrap());
    let got: Vec<(String, String)> = csv_rows(&text)
        .into_iter()
        .map(|r| (r["id"].clone(), r["event_id"].clone()))
        .collect();
    assert_eq!(got, want);
    let (_, text) = export(Kind::Json, full_options(), camtrap());
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    let got: Vec<(String, String)> = v
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["event"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn csv_dialect_crlf_quoting_no_bom() {
    let (_, text) = export(Kind::Csv, full_options(), camtrap());
    assert!(text.starts_with("id,event_id,event_name,deployment_id,"));
    assert!(text.ends_with("\r\n"));
    // No value here holds a line break: every `\n` ends a row, after a `\r`.
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    assert_eq!(text.matches("\r\n").count(), 8, "header + 7 rows");
    // The event name has a comma and the odd label has quotes: both quoted, quotes doubled.
    assert!(text.contains(",\"Saturday, Jun 15-16 2024\","), "{text}");
    assert!(text.contains(",\"Odd\tlabel \"\"x\"\"\","), "{text}");
    let rows = csv_rows(&text);
    assert_eq!(rows[6]["determination_name"], "Odd\tlabel \"x\"");
    assert_eq!(rows[0]["event_name"], "Saturday, Jun 15-16 2024");
    assert_eq!(rows[3]["event_name"], "Sunday, Jun 16 2024");
}

#[test]
fn task_without_coordinates_or_taxonomy_entry() {
    let (_, text) = export(Kind::Csv, full_options(), camtrap());
    let rows = csv_rows(&text);
    // Task 4: no coordinates (not a column here), labels missing from the taxonomy.
    let r = &rows[5];
    assert_eq!(r["id"], "urn:exportkit:demo-42:occurrence:4:1");
    assert_eq!(r["determination_name"], "Unknown moth");
    assert_eq!(r["deployment_name"], "cam-C");
    assert_eq!(r["determination_id"], "");
    // A relative image without --hostname has no public URL.
    assert_eq!(r["best_detection_url"], "");
    assert_eq!(r["best_detection_bbox"], "[80.0, 120.0, 320.0, 360.0]");
    let (_, text) = export(Kind::Json, full_options(), camtrap());
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    let d = &v[5]["determination"];
    assert_eq!(d["name"], "Unknown moth");
    assert_eq!(d["rank"], Value::Null);
    assert_eq!(d["parents"], serde_json::json!([]));
    assert_eq!(v[5]["detection_images"], serde_json::json!([]));
    // A listed label: rank and parents from the taxonomy.
    let d = &v[0]["determination"];
    assert_eq!(d["name"], "Vulpes vulpes");
    assert_eq!(d["rank"], "SPECIES");
    assert_eq!(d["parent"]["name"], "Vulpes");
    assert_eq!(d["parents"].as_array().unwrap().len(), 6);
    assert_eq!(
        d["parents"][0],
        serde_json::json!({"id": null, "name": "Animalia", "rank": "KINGDOM"})
    );
    // Task 3 (choices): no geometry.
    let r = &rows[3];
    assert_eq!(
        (
            r["best_detection_bbox"].as_str(),
            r["best_detection_width"].as_str()
        ),
        ("", "")
    );
}

#[test]
fn missing_coordinates_are_not_a_warning_but_missing_deployment_is() {
    let input = r#"[{"id": 1, "data": {"timestamp": "2024-01-02T03:04:05Z", "image": "https://x.org/a.jpg"},
        "annotations": [{"id": 1, "result": [{"from_name": "species", "to_name": "image", "type": "choices", "value": {"choices": ["Badger"]}}]}]}]"#;
    let (s, text) = export(Kind::Csv, DwcaOptions::default(), bytes(input));
    let msgs: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].contains("no deployment"), "{msgs:?}");
    let r = &csv_rows(&text)[0];
    assert_eq!(
        r["event_id"],
        "urn:exportkit:project:event:unknown:2024-01-01"
    );
    assert_eq!(
        (r["deployment_id"].as_str(), r["deployment_name"].as_str()),
        ("", "")
    );
    assert_eq!(r["project_id"], "project");
    assert_eq!(r["first_appearance_timestamp"], "2024-01-02 03:04:05+00:00");
    let (_, text) = export(Kind::Json, DwcaOptions::default(), bytes(input));
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(v[0]["deployment"], Value::Null);
    assert_eq!(v[0]["first_appearance_timestamp"], "2024-01-02T03:04:05Z");
    assert_eq!(v[0]["event"]["name"], "Tuesday, Jan 2 2024");
}

/// A task with predictions, an expanded annotator, a result score, a polygon and an
/// annotation made from a prediction and from another annotation.
const PREDICTED: &str = r#"[{"id": 11, "data": {"image": "https://x.org/m.jpg", "timestamp": "2024-06-15T22:00:00", "deployment": "cam-A"},
  "annotations": [
    {"id": 7, "completed_by": {"id": 3, "email": "ann@example.org", "first_name": "Ann"},
     "parent_prediction": 90, "parent_annotation": 6, "created_at": "2024-07-01T10:00:00Z",
     "result": [
       {"id": "r1", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "score": 0.5,
        "original_width": 1000, "original_height": 500,
        "value": {"x": 10, "y": 10, "width": 20, "height": 40, "rectanglelabels": ["Red fox"]}},
       {"id": "r2", "from_name": "label", "to_name": "image", "type": "polygonlabels",
        "original_width": 1000, "original_height": 500,
        "value": {"points": [[50, 50], [60, 55], [55, 70]], "polygonlabels": ["Roe deer"]}},
       {"id": "c", "from_name": "species", "to_name": "image", "type": "choices", "value": {"choices": ["Badger"]}}]},
    {"id": 6, "completed_by": 4, "created_at": "2024-06-30T10:00:00Z",
     "result": [{"id": "r1", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
        "value": {"x": 10, "y": 10, "width": 20, "height": 40, "rectanglelabels": ["Red fox"]}}]}],
  "predictions": [
    {"id": 90, "model_version": "fox-net v2", "score": 0.7, "created_at": "2024-06-20T00:00:00Z",
     "result": [{"id": "r1", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "score": 0.91,
        "value": {"x": 10, "y": 10, "width": 20, "height": 40, "rectanglelabels": ["Red fox"]}},
       {"id": "r2", "from_name": "label", "to_name": "image", "type": "polygonlabels",
        "value": {"points": [[50, 50], [60, 55], [55, 70]], "polygonlabels": ["Red fox"]}}]},
    {"id": 91, "model_version": "species-clf", "score": 0.6,
     "result": [{"id": "x", "from_name": "species", "to_name": "image", "type": "choices", "value": {"choices": ["Red fox"]}},
       {"id": "r1", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "score": 0.95,
        "value": {"x": 10, "y": 10, "width": 20, "height": 40, "rectanglelabels": ["Roe deer"]}}]}]}]"#;

#[test]
fn predictions_scores_annotators_and_provenance() {
    let o = DwcaOptions {
        taxonomy: Some(fixture("options/taxonomy.csv")),
        project: "p".to_owned(),
        ..DwcaOptions::default()
    };
    let (_, text) = export(Kind::Csv, o.clone(), bytes(PREDICTED));
    let rows = csv_rows(&text);
    assert_eq!(
        rows.len(),
        3,
        "the newest annotation only (--annotation latest)"
    );
    let fox = &rows[0];
    assert_eq!(fox["determination_name"], "Vulpes vulpes");
    assert_eq!(fox["determination_score"], "0.5");
    assert_eq!(fox["verification_status"], "True");
    assert_eq!(fox["verified_by"], "ann@example.org");
    // Two predictions label r1: the better one (0.95, Roe deer) is the best, and disagrees.
    assert_eq!(fox["best_machine_prediction_name"], "Capreolus capreolus");
    assert_eq!(fox["best_machine_prediction_algorithm"], "species-clf");
    assert_eq!(fox["best_machine_prediction_score"], "0.95");
    assert_eq!(fox["determination_matches_machine_prediction"], "False");
    // Made from prediction 90, which said Red fox for r1; and from annotation 6 (user 4).
    assert_eq!(fox["agreed_with_algorithm"], "fox-net v2");
    assert_eq!(fox["agreed_with_user"], "user:4");
    assert_eq!(fox["best_detection_bbox"], "[100.0, 50.0, 300.0, 250.0]");
    assert_eq!(
        (
            fox["best_detection_width"].as_str(),
            fox["best_detection_height"].as_str()
        ),
        ("200.0", "200.0")
    );
    let deer = &rows[1];
    // Prediction 90 said Red fox for r2 (no result score: the prediction's 0.7).
    assert_eq!(deer["best_machine_prediction_name"], "Vulpes vulpes");
    assert_eq!(deer["best_machine_prediction_score"], "0.7");
    assert_eq!(
        deer["agreed_with_algorithm"], "",
        "the annotator changed the label"
    );
    assert_eq!(deer["agreed_with_user"], "", "annotation 6 has no r2");
    assert_eq!(deer["best_detection_bbox"], "[500.0, 250.0, 600.0, 350.0]");
    let badger = &rows[2];
    // A whole-image choice matches the other model's choice on the same control.
    assert_eq!(badger["best_machine_prediction_name"], "Vulpes vulpes");
    assert_eq!(badger["best_machine_prediction_algorithm"], "species-clf");
    assert_eq!(badger["determination_score"], "");

    let (_, text) = export(Kind::Json, o.clone(), bytes(PREDICTED));
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    let fox = &v[0];
    assert_eq!(fox["predictions"].as_array().unwrap().len(), 2);
    assert_eq!(fox["predictions"][0]["algorithm"]["name"], "fox-net v2");
    assert_eq!(fox["predictions"][0]["created_at"], "2024-06-20T00:00:00Z");
    assert_eq!(fox["best_machine_prediction"]["score"], 0.95);
    assert_eq!(
        fox["best_machine_prediction"]["taxon"]["name"],
        "Capreolus capreolus"
    );
    assert_eq!(fox["identifications"][0]["user"]["name"], "ann@example.org");
    assert_eq!(fox["identifications"][0]["user"]["id"], 3);
    assert_eq!(fox["identifications"][0]["id"], 7);
    assert_eq!(
        fox["detections"][0]["bbox"],
        serde_json::json!([100.0, 50.0, 300.0, 250.0])
    );
    assert_eq!(fox["detections"][0]["capture"]["width"], 1000);
    assert_eq!(fox["detections"][0]["classifications"], fox["predictions"]);
    assert_eq!(fox["determination_details"]["score"], 0.5);

    // --no-predictions: no verdicts at all.
    let format = Kind::Csv.format(o);
    let opts = ExportOptions {
        predictions: false,
        ..ExportOptions::default()
    };
    let (_, t) = run(format, bytes(PREDICTED), opts).unwrap();
    let rows = csv_rows(&t["occurrences.csv"]);
    assert!(
        rows.iter()
            .all(|r| r["best_machine_prediction_name"].is_empty()
                && r["agreed_with_algorithm"].is_empty()
                && r["determination_matches_machine_prediction"].is_empty())
    );
    assert_eq!(rows[0]["agreed_with_user"], "user:4");
}

#[test]
fn json_is_one_array_of_elements_joined_by_comma_newline() {
    let (_, text) = export(Kind::Json, full_options(), camtrap());
    assert!(text.starts_with("[{\"id\": \"urn:exportkit:demo-42:occurrence:1:1\", \"details\": null, \"event\": {\"id\": "));
    assert!(text.ends_with("}]"));
    assert_eq!(text.matches("},\n{\"id\": ").count(), 6);
    assert!(text.is_ascii(), "ensure_ascii");
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "id",
        "details",
        "event",
        "deployment",
        "first_appearance_timestamp",
        "first_appearance_time",
        "duration",
        "duration_label",
        "determination",
        "detections_count",
        "detection_images",
        "determination_score",
        "determination_details",
        "best_machine_prediction",
        "identifications",
        "created_at",
        "updated_at",
        "determination_id",
        "detections",
        "predictions",
    ];
    // serde_json's map is sorted; compare as sets, order is checked by the golden file.
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(v[0]["event"]["date_label"], "Jun 15-16 2024");
}

#[test]
fn empty_exports() {
    let (s, text) = export(Kind::Csv, full_options(), bytes("[]"));
    assert_eq!(s.records, 0);
    assert_eq!(text.lines().count(), 1);
    assert!(text.ends_with("best_detection_capture_url\r\n"));
    let (_, text) = export(Kind::Json, full_options(), bytes("[]"));
    assert_eq!(text, "[]");
}

#[test]
fn bad_mapping_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("mapping.json");
    std::fs::write(&m, r#"{"timestamp": "t", "latitud": "lat"}"#).unwrap();
    for kind in [Kind::Csv, Kind::Json] {
        let o = DwcaOptions {
            mapping: Some(m.clone()),
            ..full_options()
        };
        let e = run(kind.format(o), camtrap(), ExportOptions::default()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("mapping.json"), "{msg}");
        assert!(msg.contains("unknown field `latitud`"), "{msg}");
        assert_eq!(e.kind(), exportkit_core::ErrorKind::Options);
    }
    std::fs::write(&m, "{not json").unwrap();
    let o = DwcaOptions {
        mapping: Some(m.clone()),
        ..full_options()
    };
    let e = run(Kind::Csv.format(o), camtrap(), ExportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("mapping.json"), "{e}");
    let o = DwcaOptions {
        mapping: Some(tmp.path().join("missing.json")),
        ..full_options()
    };
    let e = run(Kind::Json.format(o), camtrap(), ExportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("missing.json"), "{e}");
}

#[test]
fn same_errors_as_dwca() {
    // Without the mapping "empty" is a label, so task 5's bad date is exported: an error.
    let o = DwcaOptions {
        mapping: None,
        ..full_options()
    };
    let e = run(Kind::Csv.format(o), camtrap(), ExportOptions::default()).unwrap_err();
    assert_eq!(e.task_id(), Some("5"), "{e}");
    let one = r#"{"id": 7, "data": {"timestamp": "2024-01-01T20:00:00", "deployment": "d"},
        "annotations": [{"result": [{"from_name": "species", "to_name": "image", "type": "choices", "value": {"choices": ["Badger"]}}]}]}"#;
    let e = run(
        Kind::Json.format(DwcaOptions::default()),
        bytes(&format!("[{one},{one}]")),
        ExportOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("appears twice"), "{e}");
}

#[test]
fn registered_formats_read_the_export_format_options() {
    let reg = exportkit_core::Registry::global();
    for (name, kind) in [
        ("occurrences_simple_csv", Kind::Csv),
        ("OCCURRENCES_API_JSON", Kind::Json),
    ] {
        let f = reg.get(name).unwrap();
        let mut fo = BTreeMap::new();
        for (k, p) in [
            ("mapping", "options/mapping.json"),
            ("taxonomy", "options/taxonomy.csv"),
            ("metadata", "options/metadata.json"),
        ] {
            fo.insert(k.to_owned(), fixture(p).to_string_lossy().into_owned());
        }
        fo.insert("project".to_owned(), "demo-42".to_owned());
        let opts = ExportOptions {
            format_options: fo,
            ..ExportOptions::default()
        };
        let (_, t) = run(f, camtrap(), opts).unwrap();
        let (_, want) = export(kind, full_options(), camtrap());
        assert_eq!(t[kind.file()], want);
    }
}

#[test]
fn a_file_target_gets_the_single_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export.csv");
    ExportJob::new(
        Kind::Csv.format(full_options()),
        ExportContext {
            config: Some(config()),
            options: ExportOptions::default(),
        },
    )
    .run(camtrap(), Target::for_extension(&out, "csv"))
    .unwrap();
    let (_, want) = export(Kind::Csv, full_options(), camtrap());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
}

#[test]
fn same_output_for_threads_1_to_4_and_any_batch_size() {
    for kind in [Kind::Csv, Kind::Json] {
        let (_, want) = export(kind, full_options(), camtrap());
        for threads in 1..=4 {
            for batch_size in [1, 2, 3, 1000] {
                let opts = ExportOptions {
                    threads,
                    batch_size,
                    ..ExportOptions::default()
                };
                let (_, t) = run(kind.format(full_options()), camtrap(), opts).unwrap();
                assert_eq!(
                    t[kind.file()],
                    want,
                    "{kind:?} threads {threads} batch {batch_size}"
                );
            }
        }
    }
}

fn task_json(id: u32, minute: u32, deployment: u32, labels: &[&str]) -> String {
    let regions: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                r#"{{"id":"r{i}","from_name":"label","to_name":"image","type":"rectanglelabels","original_width":640,"original_height":480,"value":{{"x":{i},"y":2,"width":3,"height":4,"rectanglelabels":["{l}"]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"id":{id},"data":{{"image":"https://x.org/{id}.jpg","timestamp":"2024-06-15T{:02}:{:02}:00","deployment":"cam,{deployment}"}},"annotations":[{{"id":{id},"completed_by":1,"result":[{}]}}]}}"#,
        minute / 60 % 24,
        minute % 60,
        regions.join(",")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random tasks (events spread over deployments and both sides of noon): identical bytes
    /// for 1 to 4 threads and any batch size, for both formats.
    #[test]
    fn deterministic_across_threads(
        tasks in proptest::collection::vec((0u32..1440, 0u32..3, proptest::collection::vec(0usize..4, 0..4)), 1..25),
        threads in 2usize..=4,
        batch_size in 1usize..6,
    ) {
        const LABELS: [&str; 4] = ["Red fox", "Roe deer", "Badger", r#"Odd, \"label\""#];
        let input = format!(
            "[{}]",
            tasks
                .iter()
                .enumerate()
                .map(|(i, (m, d, ls))| {
                    let labels: Vec<&str> = ls.iter().map(|l| LABELS[*l]).collect();
                    task_json(i as u32, *m, *d, &labels)
                })
                .collect::<Vec<_>>()
                .join(",")
        );
        for kind in [Kind::Csv, Kind::Json] {
            let one = ExportOptions { threads: 1, batch_size: 1000, ..ExportOptions::default() };
            let many = ExportOptions { threads, batch_size, ..ExportOptions::default() };
            let (_, a) = run(kind.format(full_options()), bytes(&input), one).unwrap();
            let (_, b) = run(kind.format(full_options()), bytes(&input), many).unwrap();
            prop_assert_eq!(&a, &b);
            if let Kind::Json = kind {
                let v: Vec<Value> = serde_json::from_str(&a[kind.file()]).unwrap();
                let n: usize = tasks.iter().map(|t| t.2.len()).sum();
                prop_assert_eq!(v.len(), n);
            }
        }
    }
}

/// 100,000 occurrences (10,000 tasks of 10 boxes over 50 deployments), both formats: run with
/// `cargo test --release -p exportkit-dwca --test occurrences -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release"]
fn speed_100k_occurrences() {
    let labels = ["Red fox", "Roe deer", "Badger", "Noctua pronuba"];
    let tasks: Vec<String> = (0..10_000u32)
        .map(|t| {
            let ls: Vec<&str> = (0..10).map(|r| labels[r % 4]).collect();
            task_json(t, t % 1440, t % 50, &ls)
        })
        .collect();
    let input = format!("[{}]", tasks.join(","));
    for kind in [Kind::Csv, Kind::Json] {
        let start = std::time::Instant::now();
        let (s, t) = run(
            kind.format(full_options()),
            bytes(&input),
            ExportOptions::default(),
        )
        .unwrap();
        println!(
            "{kind:?}: 100k occurrences in {:?} ({} records, {} bytes)",
            start.elapsed(),
            s.records,
            t[kind.file()].len()
        );
        assert_eq!(s.records, 100_000);
    }
}

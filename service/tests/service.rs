//! The export service end to end: snapshots, filters, conversions, downloads, deletion,
//! cancellation, limits, restarts and retention.
#![allow(clippy::unwrap_used)]

use exportkit as _; // links every built-in format into Registry::global()
use exportkit_service::{
    AuditEvent, AuditKind, AuditSink, DirSource, EasyExport, ExportRequest, ProjectInfo, Service,
    ServiceConfig, ServiceError, Status, TaskSource, TaskStream, User,
};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A data directory with `dataset` as project 1.
fn data_dir(dataset: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("data/1");
    std::fs::create_dir_all(&p).unwrap();
    for f in ["tasks.json", "config.xml"] {
        std::fs::copy(
            repo().join("fixtures/datasets").join(dataset).join(f),
            p.join(f),
        )
        .unwrap();
    }
    tmp
}

fn config(tmp: &Path) -> ServiceConfig {
    ServiceConfig::new(tmp.join("state"))
}

fn start(tmp: &Path, config: ServiceConfig) -> Service {
    Service::builder(config)
        .source(Arc::new(DirSource::new(tmp.join("data"))))
        .start()
        .unwrap()
}

fn read_all(mut r: impl Read) -> Vec<u8> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    v
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Files under the storage root (excluding scratch).
fn stored_files(tmp: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".scratch") {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&tmp.join("state/files"), &mut out);
    out
}

#[derive(Default)]
struct Events(Mutex<Vec<AuditEvent>>);

impl AuditSink for Events {
    fn record(&self, e: &AuditEvent) {
        self.0.lock().unwrap().push(e.clone());
    }
}

#[test]
fn snapshot_convert_download_delete() {
    let tmp = data_dir("rect_1000");
    let events = Arc::new(Events::default());
    let service = Service::builder(config(tmp.path()))
        .source(Arc::new(DirSource::new(tmp.path().join("data"))))
        .audit(events.clone())
        .start()
        .unwrap();
    let user = User {
        id: 3,
        email: "ada@example.com".into(),
        ..User::default()
    };
    let snap = service
        .create(1, ExportRequest::default(), Some(user.clone()))
        .unwrap();
    assert_eq!(snap.status, Status::InProgress);
    assert!(snap.title.starts_with("Project-1-at-20"), "{}", snap.title);
    let done = service.wait(1, snap.id, WAIT).unwrap();
    assert_eq!(done.status, Status::Completed, "{:?}", done.reason);
    assert_eq!(done.counters.task_number, 1000);
    assert!(done.finished_at.is_some());
    assert_eq!(done.created_by.as_ref(), Some(&user));

    let dl = service.download(1, snap.id, None).unwrap();
    assert_eq!(dl.content_type, "application/json");
    assert_eq!(dl.file_name, done.file_name());
    let bytes = read_all(dl.file.reader);
    assert_eq!(bytes.len() as u64, done.file_size);
    assert_eq!(md5_hex(&bytes), done.md5);
    assert!(bytes.starts_with(b"[{\"id\": 1, \"annotations\": ["));
    let tasks: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(tasks.len(), 1000);
    let anns: usize = tasks
        .iter()
        .map(|t| t["annotations"].as_array().unwrap().len())
        .sum();
    assert_eq!(done.counters.annotation_number, anns as u64);

    // Conversion: queued, then completed; a repeat is refused; download serves the zip.
    let conv = service
        .convert(1, snap.id, "yolo", false, Some(&user))
        .unwrap();
    assert_eq!(conv.export_type, "YOLO");
    let again = service
        .convert(1, snap.id, "YOLO", false, None)
        .unwrap_err();
    assert!(
        matches!(&again, ServiceError::Conflict(m) if m == "Conversion to YOLO already started"),
        "{again}"
    );
    let after = service.wait(1, snap.id, WAIT).unwrap();
    assert_eq!(after.converted_formats.len(), 1);
    assert_eq!(after.converted_formats[0].status, Status::Completed);
    let zip = service.download(1, snap.id, Some("YOLO")).unwrap();
    assert_eq!(zip.content_type, "application/zip");
    assert_eq!(
        zip.file_name,
        done.file_name().replace(".json", ".zip"),
        "the converted file keeps the snapshot's stem"
    );
    let zbytes = read_all(zip.file.reader);
    assert!(zbytes.starts_with(b"PK\x03\x04"));

    // A single-file format is served as itself; downloading converts on the fly.
    let csv = service.download(1, snap.id, Some("CSV")).unwrap();
    assert_eq!(csv.file_name, done.file_name().replace(".json", ".csv"));
    let text = String::from_utf8(read_all(csv.file.reader)).unwrap();
    assert!(
        text.lines().count() > 1000,
        "{} lines",
        text.lines().count()
    );

    // Unknown formats are a field error.
    let bad = service
        .convert(1, snap.id, "NOPE", false, None)
        .unwrap_err();
    assert!(matches!(bad, ServiceError::Validation(_)), "{bad}");

    let list = service.list(1).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].converted_formats.len(), 2);
    assert!(!stored_files(tmp.path()).is_empty());

    service.delete(1, snap.id).unwrap();
    assert!(matches!(
        service.get(1, snap.id),
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        service.delete(1, snap.id),
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(
        stored_files(tmp.path()),
        Vec::<String>::new(),
        "files removed on delete"
    );

    let kinds: Vec<(AuditKind, Option<String>)> = events
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.kind, e.export_type.clone()))
        .collect();
    assert_eq!(kinds.first(), Some(&(AuditKind::Requested, None)));
    assert!(kinds.contains(&(AuditKind::Completed, None)));
    assert!(kinds.contains(&(AuditKind::Completed, Some("YOLO".into()))));
    assert_eq!(kinds.last(), Some(&(AuditKind::Deleted, None)));
}

#[test]
fn snapshot_bytes_match_python() {
    for dataset in ["unicode_edge", "edge_60"] {
        let tmp = data_dir(dataset);
        let service = start(tmp.path(), config(tmp.path()));
        for (variant, body) in [
            ("default", "{}"),
            (
                "expanded",
                r#"{"serialization_options": {"drafts": {"only_id": false}, "predictions": {}, "annotations__completed_by": {"only_id": false}}}"#,
            ),
        ] {
            let req = ExportRequest::from_json(body.as_bytes()).unwrap();
            let s = service.create(1, req, None).unwrap();
            let s = service.wait(1, s.id, WAIT).unwrap();
            assert_eq!(s.status, Status::Completed, "{:?}", s.reason);
            let got = read_all(service.download(1, s.id, None).unwrap().file.reader);
            let want =
                std::fs::read(repo().join(format!("fixtures/service/{dataset}.{variant}.json")))
                    .unwrap();
            if got != want {
                let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
                panic!(
                    "{dataset} {variant}: differs at byte {at}:\n got {}\nwant {}",
                    String::from_utf8_lossy(&got[at.saturating_sub(60)..(at + 60).min(got.len())]),
                    String::from_utf8_lossy(
                        &want[at.saturating_sub(60)..(at + 60).min(want.len())]
                    )
                );
            }
        }
    }
}

/// A tiny project with every kind of annotation.
fn filter_project(tmp: &Path) {
    let dir = tmp.join("data/1");
    std::fs::create_dir_all(&dir).unwrap();
    let tasks = r#"[
 {"id": 1, "annotations": [{"id": 11, "completed_by": 7, "result": [], "was_cancelled": false, "ground_truth": false}], "drafts": [{"id": 5, "result": []}], "predictions": [{"id": 9, "result": [], "score": 0.5}], "data": {"text": "usual"}},
 {"id": 2, "annotations": [{"id": 21, "completed_by": 7, "result": [], "was_cancelled": false, "ground_truth": true}], "drafts": [], "predictions": [], "data": {"text": "ground truth only"}},
 {"id": 3, "annotations": [{"id": 31, "completed_by": 8, "result": [], "was_cancelled": true, "ground_truth": false}], "drafts": [], "predictions": [], "data": {"text": "skipped only"}},
 {"id": 4, "annotations": [], "drafts": [], "predictions": [], "data": {"text": "nothing"}}
]"#;
    std::fs::write(dir.join("tasks.json"), tasks).unwrap();
    std::fs::write(
        dir.join("config.xml"),
        r#"<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="a"/></Choices></View>"#,
    )
    .unwrap();
    std::fs::write(dir.join("project.json"), r#"{"title": "My filters"}"#).unwrap();
    std::fs::write(
        dir.join("users.json"),
        r#"[{"id": 7, "email": "ada@example.com", "first_name": "Ada", "last_name": "L"}]"#,
    )
    .unwrap();
}

fn snapshot_of(
    service: &Service,
    body: &str,
) -> (Vec<serde_json::Value>, exportkit_service::Snapshot) {
    let req = ExportRequest::from_json(body.as_bytes()).unwrap();
    let s = service.create(1, req, None).unwrap();
    let s = service.wait(1, s.id, WAIT).unwrap();
    assert_eq!(s.status, Status::Completed, "{:?}", s.reason);
    let bytes = read_all(service.download(1, s.id, None).unwrap().file.reader);
    (serde_json::from_slice(&bytes).unwrap(), s)
}

fn ids(tasks: &[serde_json::Value]) -> Vec<u64> {
    tasks.iter().map(|t| t["id"].as_u64().unwrap()).collect()
}

fn ann_ids(tasks: &[serde_json::Value]) -> Vec<u64> {
    tasks
        .iter()
        .flat_map(|t| {
            t["annotations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn label_studio_filter_semantics() {
    let tmp = tempfile::tempdir().unwrap();
    filter_project(tmp.path());
    let service = start(tmp.path(), config(tmp.path()));

    let (all, s) = snapshot_of(&service, "{}");
    assert_eq!(ids(&all), [1, 2, 3, 4]);
    assert!(s.title.starts_with("My-filters-at-"), "{}", s.title);
    assert_eq!(
        (s.counters.annotation_number, s.counters.prediction_number),
        (3, 1)
    );
    // No serialization options: ids only.
    assert_eq!(all[0]["drafts"], serde_json::json!([5]));
    assert_eq!(all[0]["predictions"], serde_json::json!([9]));
    assert_eq!(
        all[0]["annotations"][0]["completed_by"],
        serde_json::json!(7)
    );

    // `{}` means usual only: ground truth and skipped annotations drop out (the trap of §2.4).
    let (t, _) = snapshot_of(&service, r#"{"annotation_filter_options": {}}"#);
    assert_eq!((ids(&t), ann_ids(&t)), (vec![1, 2, 3, 4], vec![11]));
    let (t, _) = snapshot_of(
        &service,
        r#"{"annotation_filter_options": {"usual": false}}"#,
    );
    assert_eq!(
        ann_ids(&t),
        [11, 21, 31],
        "no flag set keeps every annotation"
    );
    let (t, _) = snapshot_of(
        &service,
        r#"{"annotation_filter_options": {"usual": true, "ground_truth": true}, "task_filter_options": {"only_with_annotations": true}}"#,
    );
    assert_eq!((ids(&t), ann_ids(&t)), (vec![1, 2], vec![11, 21]));

    let (t, _) = snapshot_of(
        &service,
        r#"{"task_filter_options": {"annotated": "only"}}"#,
    );
    assert_eq!(ids(&t), [1, 2]);
    let (t, _) = snapshot_of(
        &service,
        r#"{"task_filter_options": {"annotated": "exclude"}}"#,
    );
    assert_eq!(ids(&t), [3, 4]);
    let (t, _) = snapshot_of(&service, r#"{"task_filter_options": {"skipped": "only"}}"#);
    assert_eq!(ids(&t), [3]);
    let (t, _) = snapshot_of(
        &service,
        r#"{"task_filter_options": {"finished": "exclude"}}"#,
    );
    assert_eq!(ids(&t), [4]);

    // Expanded objects and users.
    let (t, _) = snapshot_of(
        &service,
        r#"{"serialization_options": {"drafts": {"only_id": false}, "predictions": {"only_id": false}, "annotations__completed_by": {"only_id": false}}}"#,
    );
    assert_eq!(t[0]["drafts"][0]["id"], 5);
    assert_eq!(t[0]["predictions"][0]["score"], 0.5);
    assert_eq!(
        t[0]["annotations"][0]["completed_by"],
        serde_json::json!({"id": 7, "email": "ada@example.com", "first_name": "Ada", "last_name": "L"})
    );
    // A user the project does not list: the object's shape, with empty fields.
    assert_eq!(
        t[2]["annotations"][0]["completed_by"],
        serde_json::json!({"id": 8, "email": "", "first_name": "", "last_name": ""})
    );

    // Easy export: annotated tasks only by default (skipped ones count), ids subsets.
    let dl = service.easy_export(1, &EasyExport::default()).unwrap();
    assert!(dl.file_name.starts_with("project-1-at-") && dl.file_name.ends_with(".json"));
    let t: Vec<serde_json::Value> = serde_json::from_slice(&read_all(dl.file.reader)).unwrap();
    assert_eq!(ids(&t), [1, 2, 3]);
    let dl = service
        .easy_export(
            1,
            &EasyExport {
                download_all_tasks: true,
                ids: Some(vec!["2".into(), "4".into()]),
                export_type: Some("CSV".into()),
                ..EasyExport::default()
            },
        )
        .unwrap();
    assert!(dl.file_name.ends_with(".csv"), "{}", dl.file_name);
    let csv = String::from_utf8(read_all(dl.file.reader)).unwrap();
    assert_eq!(csv.lines().count(), 3, "header + tasks 2 and 4:\n{csv}");
}

/// A source whose task stream blocks until released.
struct Gate {
    inner: DirSource,
    open: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

struct GatedReader {
    inner: Box<dyn Read + Send>,
    open: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl Read for GatedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let (lock, cv) = &*self.open;
        let mut open = lock.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
        drop(open);
        self.inner.read(buf)
    }
}

impl TaskSource for Gate {
    fn project(&self, id: u64) -> std::io::Result<Option<ProjectInfo>> {
        self.inner.project(id)
    }
    fn tasks(&self, id: u64, ids: Option<&[String]>) -> std::io::Result<TaskStream> {
        Ok(Box::new(GatedReader {
            inner: self.inner.tasks(id, ids)?,
            open: self.open.clone(),
        }))
    }
}

fn gated(tmp: &Path, config: ServiceConfig) -> (Service, Arc<(Mutex<bool>, std::sync::Condvar)>) {
    let open = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let service = Service::builder(config)
        .source(Arc::new(Gate {
            inner: DirSource::new(tmp.join("data")),
            open: open.clone(),
        }))
        .start()
        .unwrap();
    (service, open)
}

fn release(open: &(Mutex<bool>, std::sync::Condvar)) {
    *open.0.lock().unwrap() = true;
    open.1.notify_all();
}

#[test]
fn delete_cancels_a_running_export_and_leaves_nothing() {
    let tmp = data_dir("rect_1000");
    let (service, open) = gated(tmp.path(), config(tmp.path()));
    let s = service.create(1, ExportRequest::default(), None).unwrap();
    // Wait until a worker has picked it up (blocked in the source).
    for _ in 0..200 {
        if service
            .get(1, s.id)
            .unwrap()
            .progress
            .is_some_and(|p| p.stage != "queued")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    service.delete(1, s.id).unwrap();
    release(&open);
    service.shutdown();
    assert!(matches!(
        service.get(1, s.id),
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(stored_files(tmp.path()), Vec::<String>::new());
}

#[test]
fn pending_limit_per_project_is_a_busy_error() {
    let tmp = data_dir("rect_1000");
    let mut c = config(tmp.path());
    c.workers = 1;
    c.max_pending_per_project = 2;
    let (service, open) = gated(tmp.path(), c);
    let a = service.create(1, ExportRequest::default(), None).unwrap();
    let b = service.create(1, ExportRequest::default(), None).unwrap();
    let e = service
        .create(1, ExportRequest::default(), None)
        .unwrap_err();
    assert!(matches!(e, ServiceError::Busy(_)), "{e}");
    release(&open);
    for id in [a.id, b.id] {
        assert_eq!(service.wait(1, id, WAIT).unwrap().status, Status::Completed);
    }
    // Room again.
    let c = service.create(1, ExportRequest::default(), None).unwrap();
    assert_eq!(
        service.wait(1, c.id, WAIT).unwrap().status,
        Status::Completed
    );
}

#[test]
fn work_interrupted_by_a_restart_is_failed() {
    let tmp = data_dir("choices_200");
    let first = start(tmp.path(), config(tmp.path()));
    let s = first.create(1, ExportRequest::default(), None).unwrap();
    first.wait(1, s.id, WAIT).unwrap();
    // Only one service may use a state directory at a time.
    let clash = Service::builder(config(tmp.path()))
        .source(Arc::new(DirSource::new(tmp.path().join("data"))))
        .start()
        .unwrap_err();
    assert!(
        clash.to_string().contains("another exportkit service"),
        "{clash}"
    );
    first.shutdown();
    drop(first);
    // What a process killed mid-export leaves behind: a row still in progress.
    let db = rusqlite::Connection::open(tmp.path().join("state/exports.sqlite")).unwrap();
    db.execute(
        "UPDATE exports SET status = 'in_progress', finished_at = NULL WHERE id = ?1",
        [s.id as i64],
    )
    .unwrap();
    drop(db);
    let second = start(tmp.path(), config(tmp.path()));
    let after = second.get(1, s.id).unwrap();
    assert_eq!(after.status, Status::Failed);
    assert!(
        after
            .reason
            .as_deref()
            .unwrap_or("")
            .starts_with("interrupted"),
        "{:?}",
        after.reason
    );
    assert!(after.finished_at.is_some());
    // The restarted service works.
    let n = second.create(1, ExportRequest::default(), None).unwrap();
    assert_eq!(
        second.wait(1, n.id, WAIT).unwrap().status,
        Status::Completed
    );
}

#[test]
fn size_limit_fails_cleanly() {
    let tmp = data_dir("rect_1000");
    let mut c = config(tmp.path());
    c.max_file_bytes = 10_000;
    let service = start(tmp.path(), c);
    let s = service.create(1, ExportRequest::default(), None).unwrap();
    let s = service.wait(1, s.id, WAIT).unwrap();
    assert_eq!(s.status, Status::Failed);
    assert!(
        s.reason
            .as_deref()
            .unwrap()
            .contains("over the limit of 10000 bytes"),
        "{:?}",
        s.reason
    );
    assert!(s.finished_at.is_some());
    assert!(
        matches!(service.download(1, s.id, None), Err(ServiceError::NotFound(m)) if m == "Export is not completed")
    );
    assert_eq!(stored_files(tmp.path()), Vec::<String>::new());
}

#[test]
fn retention_deletes_old_snapshots_and_files() {
    let tmp = data_dir("choices_200");
    let events = Arc::new(Events::default());
    let mut c = config(tmp.path());
    c.retention = Some(Duration::from_secs(86_400));
    let service = Service::builder(c)
        .source(Arc::new(DirSource::new(tmp.path().join("data"))))
        .audit(events.clone())
        .start()
        .unwrap();
    let s = service.create(1, ExportRequest::default(), None).unwrap();
    service.wait(1, s.id, WAIT).unwrap();
    let now = exportkit_core::time::now_micros();
    assert_eq!(service.sweep(now).unwrap(), 0, "a fresh snapshot stays");
    assert_eq!(service.sweep(now + 2 * 86_400 * 1_000_000).unwrap(), 1);
    assert!(service.list(1).unwrap().is_empty());
    assert_eq!(stored_files(tmp.path()), Vec::<String>::new());
    let last = events.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.kind, last.detail.as_str()),
        (AuditKind::Deleted, "retention")
    );
}

#[test]
fn unknown_project_and_bad_requests() {
    let tmp = data_dir("choices_200");
    let service = start(tmp.path(), config(tmp.path()));
    assert!(matches!(
        service.create(2, ExportRequest::default(), None),
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(service.list(2), Err(ServiceError::NotFound(_))));
    assert!(matches!(service.get(1, 99), Err(ServiceError::NotFound(_))));
    let formats = service.formats(1).unwrap();
    let first: Vec<&str> = formats.iter().take(4).map(|f| f.name.as_str()).collect();
    assert_eq!(first, ["JSON", "JSON_MIN", "CSV", "TSV"]);
    let coco = formats.iter().find(|f| f.name == "COCO").unwrap();
    assert!(coco.disabled, "a Choices project cannot export COCO");
    let first_disabled = formats.iter().position(|f| f.disabled).unwrap();
    assert!(
        formats[first_disabled..].iter().all(|f| f.disabled),
        "enabled formats first"
    );
}

#[test]
fn watchdog_fails_stuck_project_exports() {
    let tmp = data_dir("choices_200");
    let (service, open) = gated(tmp.path(), config(tmp.path()));
    let stuck = service
        .create_export(
            1,
            exportkit_service::Dialect::Flagsmith,
            "PROJECT",
            ExportRequest::default(),
            None,
        )
        .unwrap();
    let ls = service.create(1, ExportRequest::default(), None).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let n = service
        .watchdog(
            exportkit_service::Dialect::Flagsmith,
            Duration::from_millis(1),
        )
        .unwrap();
    assert_eq!(n, 1, "only the Flagsmith-style export is watched");
    let s = service.get(1, stuck.id).unwrap();
    assert_eq!(s.status, Status::Failed);
    assert!(s.reason.unwrap().contains("watchdog"));
    release(&open);
    assert_eq!(
        service.wait(1, ls.id, WAIT).unwrap().status,
        Status::Completed
    );
    // The cancelled job does not bring the export back to life.
    std::thread::sleep(Duration::from_millis(200));
    service.shutdown();
    assert_eq!(service.get(1, stuck.id).unwrap().status, Status::Failed);
}

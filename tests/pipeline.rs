use crate::util::*;
use exportkit::{
    CancelToken, ErrorKind, ExportContext, ExportJob, ExportOptions, Input, Progress,
    ProgressObserver, Registry, Stage, Target,
};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Recorder(Mutex<Vec<Progress>>, Option<CancelToken>);

impl ProgressObserver for Recorder {
    fn on_progress(&self, p: &Progress) {
        self.0.lock().unwrap().push(*p);
        if let Some(t) = &self.1 {
            t.cancel();
        }
    }
}

fn job(batch: usize) -> ExportJob {
    let (_, config) = dataset("rect_1000");
    let options = ExportOptions {
        batch_size: batch,
        threads: 2,
        ..ExportOptions::default()
    };
    ExportJob::new(
        Registry::global().get("CSV").unwrap(),
        ExportContext {
            config: Some(config),
            options,
        },
    )
}

#[test]
fn progress_reports_every_batch_then_packaging_and_done() {
    let (input, _) = dataset("rect_1000");
    let size = std::fs::metadata(&input).unwrap().len();
    let rec = Arc::new(Recorder::default());
    let tmp = tempfile::tempdir().unwrap();
    let summary = job(100)
        .observer(rec.clone())
        .run(Input::File(input), Target::from_path(tmp.path().join("o")))
        .unwrap();
    let seen = rec.0.lock().unwrap();
    let encoding: Vec<_> = seen.iter().filter(|p| p.stage == Stage::Encoding).collect();
    assert_eq!(
        encoding.len(),
        11,
        "10 batches of 100 and the final empty one"
    );
    assert!(
        encoding
            .windows(2)
            .all(|w| w[0].tasks_written <= w[1].tasks_written)
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (
            last.stage,
            last.tasks_written,
            last.bytes_read,
            last.bytes_total
        ),
        (Stage::Done, 1000, size, Some(size))
    );
    assert_eq!(summary.tasks_read, 1000);
    assert_eq!(summary.files, ["result.csv"]);
}

#[test]
fn cancelling_stops_between_batches_and_leaves_nothing() {
    let (input, _) = dataset("rect_1000");
    let token = CancelToken::new();
    let rec = Arc::new(Recorder(Mutex::new(Vec::new()), Some(token.clone())));
    let tmp = tempfile::tempdir().unwrap();
    let err = job(10)
        .observer(rec.clone())
        .cancel_token(token)
        .run(Input::File(input), Target::from_path(tmp.path().join("o")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(rec.0.lock().unwrap().len() < 100, "stopped early");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn single_file_target_writes_the_one_file() {
    let (input, config) = dataset("unicode_edge");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("min.json");
    let f = Registry::global().get("JSON_MIN").unwrap();
    ExportJob::new(
        f,
        ExportContext {
            config: Some(config),
            options: opts(true),
        },
    )
    .run(Input::File(input), Target::for_extension(&path, "json"))
    .unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        tree(&root().join("fixtures/json_min/expected/compat/unicode_edge"))["result.json"]
    );
}

//! Criterion benchmarks: the committed `rect_1000` fixture (1,000 tasks, about 2 MB) converted to
//! JSON, JSON_MIN, CSV, TSV and the vision formats COCO, YOLO, YOLO_OBB and VOC, clean and
//! `--compat label-studio`, with 1 and 2 worker threads.
//!
//! Each iteration writes into a fresh output directory: the previous one is deleted in the
//! untimed setup (YOLO and VOC write one file per image, and an existing directory would be
//! merged into file by file instead of renamed into place).
//!
//! Throughput is reported in input bytes. Run with `cargo bench -p exportkit-bench` (add
//! `-- --quick` for a short run); `cargo test -p exportkit-bench --benches` runs each case once.
#![allow(missing_docs)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use exportkit::{
    Compat, ExportContext, ExportJob, ExportOptions, Input, LabelConfig, Registry, Target,
};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const FORMATS: [&str; 8] = [
    "json", "json_min", "csv", "tsv", "coco", "yolo", "yolo_obb", "voc",
];
const THREADS: [usize; 2] = [1, 2];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/datasets/rect_1000")
}

fn convert(c: &mut Criterion) {
    let dir = fixture_dir();
    let tasks = std::fs::read(dir.join("tasks.json"))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join("tasks.json").display()));
    let xml = std::fs::read_to_string(dir.join("config.xml"))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join("config.xml").display()));
    let config = Arc::new(LabelConfig::parse(&xml).unwrap_or_else(|e| panic!("config.xml: {e}")));
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));

    for name in FORMATS {
        let format = Registry::global()
            .get(name)
            .unwrap_or_else(|e| panic!("format {name}: {e}"));
        let mut group = c.benchmark_group(format!("rect_1000/{name}"));
        group.throughput(Throughput::Bytes(tasks.len() as u64));
        for (mode, compat) in [("clean", Compat::Clean), ("compat", Compat::LabelStudio)] {
            for threads in THREADS {
                let out = tmp.path().join(format!("{name}-{mode}-{threads}"));
                let id = BenchmarkId::new(mode, format!("{threads}t"));
                group.bench_function(id, |b| {
                    // The input copy and the deletion of the previous output are made outside
                    // the timed part.
                    b.iter_batched(
                        || {
                            match std::fs::remove_dir_all(&out) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => panic!("cannot remove {}: {e}", out.display()),
                            }
                            tasks.clone()
                        },
                        |input| {
                            let ctx = ExportContext {
                                config: Some(config.clone()),
                                options: ExportOptions {
                                    compat,
                                    threads,
                                    ..ExportOptions::default()
                                },
                            };
                            let summary = ExportJob::new(format, ctx)
                                .run(Input::Bytes(input), Target::from_path(&out))
                                .unwrap_or_else(|e| panic!("{name} {mode} {threads}t: {e}"));
                            black_box(summary.records)
                        },
                        BatchSize::LargeInput,
                    );
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = convert
}
criterion_main!(benches);

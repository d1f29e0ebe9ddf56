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
//!
//! `rle/*`: Label Studio's brush RLE (`exportkit::rle`) on two 512×384 RGBA masks: `ragged`,
//! green strokes with moving edges and noisy alpha (about 360 KB of RLE, mostly literal runs),
//! and `blobs`, three ellipses stored as `encode_mask` does (fill runs, about 2 KB). Decoding to
//! RGBA values, to the alpha channel, to alpha runs, from the JSON text, and encoding;
//! throughput is in RLE bytes (`encode`: RGBA values). `cargo bench -p exportkit-bench -- rle`
//! runs only these (a few seconds).
#![allow(missing_docs)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use exportkit::{
    Compat, ExportContext, ExportJob, ExportOptions, Input, LabelConfig, Registry, Target, rle,
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

/// A `w`×`h` RGBA mask as Label Studio stores brush strokes (green, the alpha channel holding
/// the mask): blobs whose edges move from row to row, one pixel in 16 of them noisy.
fn ragged_mask(w: usize, h: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut rgba = vec![0u8; w * h * 4];
    let mut blobs: Vec<(usize, usize)> = (0..6)
        .map(|_| ((rnd() % w as u64) as usize, 8 + (rnd() % 80) as usize))
        .collect();
    for y in 0..h {
        for (start, len) in &mut blobs {
            *start = (*start + w + (rnd() % 5) as usize - 2) % w;
            *len = (*len + (rnd() % 5) as usize)
                .saturating_sub(2)
                .clamp(1, 120);
            for c in *start..(*start + *len).min(w) {
                let a = if rnd() % 16 == 0 {
                    (rnd() & 0xff) as u8
                } else {
                    255
                };
                rgba[(y * w + c) * 4..][..4].copy_from_slice(&[0, 255, 0, a]);
            }
        }
    }
    rgba
}

fn fail<T>(e: rle::RleError) -> T {
    panic!("the benchmark's RLE does not decode: {e}")
}

/// A `w`×`h` mask of filled ellipses, as `rle::encode_mask` stores it (each pixel 4 equal
/// values): long fill runs, like the masks of `bench/ls_more.sh`.
fn blob_mask(w: usize, h: usize) -> Vec<u8> {
    let blobs = [
        (0.3, 0.4, 0.2, 0.3),
        (0.7, 0.6, 0.25, 0.2),
        (0.5, 0.2, 0.1, 0.1),
    ];
    let mask: Vec<u8> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f64 / w as f64, (i / w) as f64 / h as f64);
            let inside = blobs
                .iter()
                .any(|&(cx, cy, rx, ry)| ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0);
            if inside { 255 } else { 0 }
        })
        .collect();
    mask.iter().flat_map(|&v| [v; 4]).collect()
}

fn rle(c: &mut Criterion) {
    let mut group = c.benchmark_group("rle");
    for (name, rgba) in [
        ("ragged", ragged_mask(512, 384)),
        ("blobs", blob_mask(512, 384)),
    ] {
        let n = rgba.len();
        let bytes = rle::encode(&rgba);
        let json = format!(
            "[{}]",
            bytes
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(BenchmarkId::new("decode", name), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                rle::decode_into(black_box(&bytes), Some(n), &mut out).unwrap_or_else(fail);
                black_box(out.len())
            });
        });
        group.bench_function(BenchmarkId::new("decode_alpha", name), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                rle::decode_alpha_into(black_box(&bytes), Some(n), &mut out).unwrap_or_else(fail);
                black_box(out.len())
            });
        });
        group.bench_function(BenchmarkId::new("decode_alpha_runs", name), |b| {
            let mut runs = Vec::new();
            b.iter(|| {
                rle::decode_alpha_runs(black_box(&bytes), Some(n), &mut runs, usize::MAX)
                    .unwrap_or_else(fail);
                black_box(runs.len())
            });
        });
        group.bench_function(BenchmarkId::new("decode_json", name), |b| {
            b.iter(|| {
                black_box(
                    rle::decode_json(black_box(&json), Some(n))
                        .unwrap_or_else(fail)
                        .len(),
                )
            });
        });
        group.throughput(Throughput::Bytes(n as u64));
        group.bench_function(BenchmarkId::new("encode", name), |b| {
            b.iter(|| black_box(rle::encode(black_box(&rgba)).len()));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = convert
}
criterion_group! {
    name = rle_benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500));
    targets = rle
}
criterion_main!(benches, rle_benches);

//! The streaming pipeline: splitter thread → batches → rayon workers (parse, filter, encode)
//! → ordered writer → output. Memory stays flat; output is identical for any thread count.

use crate::error::{Error, ErrorKind, Result};
use crate::exporter::{BatchEncoder, ExportContext, ExporterFactory, Fragment, Warning};
use crate::input::{Input, RawBatch, Splitter};
use crate::output::{Output, Target};
use crate::progress::{CancelToken, NoProgress, Progress, ProgressObserver, Stage};
use crate::task::{Batch, TaskRecord};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What an export did.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    /// The format's registry name.
    pub format: &'static str,
    /// Tasks in the input.
    pub tasks_read: u64,
    /// Tasks that passed the filters.
    pub tasks_exported: u64,
    /// Records the format wrote (items, rows, objects, ...).
    pub records: u64,
    /// Input bytes read.
    pub bytes_read: u64,
    /// Files in the output, relative to it, sorted.
    pub files: Vec<String>,
    /// Where the output is.
    pub output: PathBuf,
    /// Wall time.
    pub elapsed: Duration,
    /// Data warnings, in input order (the first [`MAX_WARNINGS`]).
    pub warnings: Vec<Warning>,
    /// How many warnings there were in all.
    pub warning_count: u64,
    /// Format-specific counts (see [`Output::add_stat`]).
    pub stats: BTreeMap<&'static str, u64>,
}

/// How many warnings a summary keeps (all are counted).
pub const MAX_WARNINGS: usize = 1000;

/// One export: a format, its context, and optional progress observer and cancel token.
pub struct ExportJob {
    format: &'static dyn ExporterFactory,
    context: ExportContext,
    observer: Arc<dyn ProgressObserver>,
    cancel: CancelToken,
}

impl std::fmt::Debug for ExportJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportJob")
            .field("format", &self.format.info().name)
            .finish_non_exhaustive()
    }
}

/// Counts from the streaming part of an export.
#[derive(Debug, Default, Clone)]
struct Counts {
    tasks_read: u64,
    tasks_exported: u64,
    records: u64,
    warnings: Vec<Warning>,
    warning_count: u64,
}

impl ExportJob {
    /// An export of `format` with `context`.
    pub fn new(format: &'static dyn ExporterFactory, context: ExportContext) -> Self {
        ExportJob {
            format,
            context,
            observer: Arc::new(NoProgress),
            cancel: CancelToken::new(),
        }
    }

    /// Reports progress to `observer`.
    pub fn observer(mut self, observer: Arc<dyn ProgressObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// Stops the export when `token` is cancelled (checked between batches).
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }

    /// Runs the export from `input` to `target`. On failure nothing is left at `target`.
    pub fn run(self, input: Input, target: Target) -> Result<ExportSummary> {
        let start = Instant::now();
        let name = self.format.info().name;
        let (reader, total) = input.open()?;
        let mut out = Output::new(target.clone())?;
        let bytes = Arc::new(AtomicU64::new(0));
        let counts = self
            .stream(reader, total, &mut out, &bytes)
            .map_err(|e| e.with_format(name))?;
        let bytes_read = bytes.load(Ordering::Relaxed);
        self.observer.on_progress(&Progress {
            stage: Stage::Packaging,
            bytes_read,
            bytes_total: total,
            tasks_read: counts.tasks_read,
            tasks_written: counts.tasks_exported,
        });
        let stats = out.take_stats();
        let files = out.commit().map_err(|e| e.with_format(name))?;
        self.observer.on_progress(&Progress {
            stage: Stage::Done,
            bytes_read,
            bytes_total: total,
            tasks_read: counts.tasks_read,
            tasks_written: counts.tasks_exported,
        });
        Ok(ExportSummary {
            format: name,
            tasks_read: counts.tasks_read,
            tasks_exported: counts.tasks_exported,
            records: counts.records,
            bytes_read,
            files,
            output: target.path().to_path_buf(),
            elapsed: start.elapsed(),
            warnings: counts.warnings,
            warning_count: counts.warning_count,
            stats,
        })
    }

    fn stream(
        &self,
        reader: Box<dyn Read + Send>,
        total: Option<u64>,
        out: &mut Output,
        bytes: &AtomicU64,
    ) -> Result<Counts> {
        let ctx = &self.context;
        let resolver = Arc::new(crate::resources::Resolver::new(&ctx.options.resources)?);
        out.set_resolver(resolver.clone());
        let exporter = self.format.build(ctx)?;
        let mut writer = exporter.writer;
        let encoder = &*exporter.encoder;
        writer.begin(ctx, out)?;
        let threads = match ctx.options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("exportkit-worker-{i}"))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Options,
                    format!("cannot start {threads} worker threads: {e}"),
                )
            })?;
        let stop = AtomicBool::new(false);
        // Batches in flight stay few: one queued and one being encoded per worker, plus the
        // fragments waiting for the writer. That bounds memory whatever the input size.
        let (batch_tx, batch_rx) = crossbeam_channel::bounded::<RawBatch>(threads);
        let (frag_tx, frag_rx) = crossbeam_channel::bounded::<(u64, Result<Encoded>)>(threads);
        let (spent_tx, spent_rx) = crossbeam_channel::bounded::<RawBatch>(threads * 2);
        let batch_size = ctx.options.batch_size;
        let cancel = &self.cancel;

        std::thread::scope(|s| {
            let stop = &stop;
            let splitter = s.spawn(move || -> Result<()> {
                let mut sp = Splitter::new(reader, batch_size).recycle_from(spent_rx);
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    if cancel.is_cancelled() {
                        return Err(Error::new(ErrorKind::Cancelled, "export cancelled"));
                    }
                    let Some(batch) = sp.next_batch()? else {
                        return Ok(());
                    };
                    bytes.store(sp.bytes_read(), Ordering::Relaxed);
                    if batch_tx.send(batch).is_err() {
                        return Ok(());
                    }
                }
            });
            s.spawn(move || {
                pool.install(|| {
                    batch_rx.into_iter().par_bridge().for_each_with(
                        (frag_tx, spent_tx),
                        |(tx, spent), batch| {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            let r = encode_batch(encoder, ctx, &batch, &resolver);
                            let _ = tx.send((batch.seq, r));
                            // Hand the buffers back to the splitter (dropped if it has enough).
                            let _ = spent.try_send(batch);
                        },
                    )
                })
            });
            let written = self.write_in_order(frag_rx, &mut *writer, out, total, bytes);
            if written.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            let split = splitter
                .join()
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Input, "input reader panicked")));
            let counts = written?;
            split?;
            if cancel.is_cancelled() {
                return Err(Error::new(ErrorKind::Cancelled, "export cancelled"));
            }
            Ok(counts)
        })
        .and_then(|mut counts| {
            writer.finish(out)?;
            // Warnings from the writer side (failed downloads, ...), after the encoders' ones.
            let late = out.take_warnings();
            if let (true, Some(w)) = (ctx.options.strict, late.first()) {
                return Err(
                    Error::new(ErrorKind::Input, format!("{} (strict)", w.message))
                        .at_task(w.task_index, w.task_id.clone()),
                );
            }
            counts.warning_count += late.len() as u64;
            let room = MAX_WARNINGS.saturating_sub(counts.warnings.len());
            counts.warnings.extend(late.into_iter().take(room));
            Ok(counts)
        })
    }

    fn write_in_order(
        &self,
        frags: crossbeam_channel::Receiver<(u64, Result<Encoded>)>,
        writer: &mut dyn crate::exporter::FormatWriter,
        out: &mut Output,
        total: Option<u64>,
        bytes: &AtomicU64,
    ) -> Result<Counts> {
        let mut pending = BTreeMap::new();
        let mut next = 0u64;
        let mut counts = Counts::default();
        for (seq, r) in frags {
            pending.insert(seq, r);
            while let Some(r) = pending.remove(&next) {
                let enc = r?;
                counts.tasks_read += enc.tasks_read;
                counts.tasks_exported += enc.tasks_kept;
                counts.records += enc.fragment.records;
                let mut frag = enc.fragment;
                if let (true, Some(w)) = (self.context.options.strict, frag.warnings.first()) {
                    return Err(
                        Error::new(ErrorKind::Input, format!("{} (strict)", w.message))
                            .at_task(w.task_index, w.task_id.clone()),
                    );
                }
                counts.warning_count += frag.warnings.len() as u64;
                let room = MAX_WARNINGS.saturating_sub(counts.warnings.len());
                counts.warnings.extend(frag.warnings.drain(..).take(room));
                writer.write(frag, out)?;
                next += 1;
                if self.cancel.is_cancelled() {
                    return Err(Error::new(ErrorKind::Cancelled, "export cancelled"));
                }
                self.observer.on_progress(&Progress {
                    stage: Stage::Encoding,
                    bytes_read: bytes.load(Ordering::Relaxed),
                    bytes_total: total,
                    tasks_read: counts.tasks_read,
                    tasks_written: counts.tasks_exported,
                });
            }
        }
        Ok(counts)
    }
}

struct Encoded {
    fragment: Fragment,
    tasks_read: u64,
    tasks_kept: u64,
}

fn encode_batch(
    encoder: &dyn BatchEncoder,
    ctx: &ExportContext,
    batch: &RawBatch,
    resolver: &crate::resources::Resolver,
) -> Result<Encoded> {
    let mut records = Vec::with_capacity(batch.len());
    for i in 0..batch.len() {
        let index = batch.first_index + i as u64;
        if let Some(rec) = TaskRecord::parse(
            batch.task(i),
            batch.gap(i),
            index,
            batch.offsets[i],
            &ctx.options,
        )? {
            records.push(rec);
        }
    }
    let view = Batch {
        tasks: &records,
        trailer: batch.trailer.as_deref(),
        resolver,
    };
    let run = std::panic::AssertUnwindSafe(|| encoder.encode(ctx, &view));
    let fragment = std::panic::catch_unwind(run).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::new(
            ErrorKind::Format,
            format!(
                "encoder panicked on tasks #{}..#{}: {msg}",
                batch.first_index,
                batch.first_index + batch.len() as u64
            ),
        ))
    })?;
    Ok(Encoded {
        fragment,
        tasks_read: batch.len() as u64,
        tasks_kept: records.len() as u64,
    })
}

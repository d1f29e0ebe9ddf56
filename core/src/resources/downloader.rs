//! Background downloads for a format's writer: jobs are queued as tasks are written and run
//! on a bounded pool while the export goes on; `finish` waits and returns the failures.

use super::{Resolver, ResourceError};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// One file to fetch for a task.
#[derive(Debug, Clone)]
pub struct Download {
    /// 0-based index of the task in the input.
    pub task_index: u64,
    /// The task id as written (needed to presign cloud URIs, and for reports).
    pub task_id: Option<String>,
    /// The URL as written in the task.
    pub url: String,
    /// Where the file goes (inside the output's staging directory).
    pub dest: PathBuf,
}

/// A bounded pool of download threads fed through a queue.
#[derive(Debug)]
pub struct Downloader {
    tx: Option<crossbeam_channel::Sender<Download>>,
    workers: Vec<JoinHandle<Vec<(Download, ResourceError)>>>,
    /// Set when the downloader is dropped without `finish` (a failed export): queued jobs are
    /// skipped so nothing keeps writing into a staging folder being removed.
    abandoned: Arc<AtomicBool>,
}

impl Downloader {
    /// Starts `parallel` (at least one) download threads.
    pub fn new(resolver: Arc<Resolver>, parallel: usize) -> Self {
        let parallel = parallel.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<Download>(parallel * 4);
        let abandoned = Arc::new(AtomicBool::new(false));
        let workers = (0..parallel)
            .map(|_| {
                let rx = rx.clone();
                let resolver = resolver.clone();
                let abandoned = abandoned.clone();
                std::thread::spawn(move || {
                    let mut failed = Vec::new();
                    for job in rx {
                        if abandoned.load(Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) =
                            resolver.fetch_to(&job.url, job.task_id.as_deref(), &job.dest)
                        {
                            failed.push((job, e));
                        }
                    }
                    failed
                })
            })
            .collect();
        Downloader {
            tx: Some(tx),
            workers,
            abandoned,
        }
    }

    /// Queues a download (blocks while the queue is full, which bounds memory).
    pub fn submit(&self, job: Download) {
        if let Some(tx) = &self.tx {
            // The workers only stop after `finish` drops the sender, so this cannot fail.
            let _ = tx.send(job);
        }
    }

    /// Waits for every queued download; returns the failures in input order.
    #[must_use]
    pub fn finish(mut self) -> Vec<(Download, ResourceError)> {
        self.tx = None;
        let mut failed: Vec<(Download, ResourceError)> = Vec::new();
        for w in self.workers.drain(..) {
            match w.join() {
                Ok(f) => failed.extend(f),
                Err(_) => failed.push((
                    Download {
                        task_index: 0,
                        task_id: None,
                        url: String::new(),
                        dest: PathBuf::new(),
                    },
                    ResourceError::new(super::ResourceErrorKind::Io, "a download thread panicked"),
                )),
            }
        }
        failed.sort_by_key(|(d, _)| d.task_index);
        failed
    }
}

impl Drop for Downloader {
    fn drop(&mut self) {
        if !self.workers.is_empty() {
            // Dropped without `finish`: stop taking jobs; running downloads end on their own.
            self.abandoned.store(true, Ordering::Relaxed);
            self.tx = None;
        }
    }
}

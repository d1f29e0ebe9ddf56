//! The bounded worker pool: a queue of jobs, a per-project limit on running jobs, and the
//! retention schedule.

use crate::work::Inner;
use crate::{Download, EasyExport, Result};
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One unit of work.
pub(crate) enum Job {
    /// Write snapshot `id`.
    Snapshot { project: u64, id: u64 },
    /// Run conversion `conv_id` of snapshot `export_id`.
    Convert {
        project: u64,
        export_id: u64,
        conv_id: u64,
    },
    /// A one-shot export someone waits for.
    Easy {
        project: u64,
        opts: EasyExport,
        reply: Sender<Result<Download>>,
    },
}

impl Job {
    pub(crate) fn project(&self) -> u64 {
        match self {
            Job::Snapshot { project, .. }
            | Job::Convert { project, .. }
            | Job::Easy { project, .. } => *project,
        }
    }
}

/// The queue and what runs.
#[derive(Default)]
pub(crate) struct Sched {
    pub(crate) queue: VecDeque<Job>,
    pub(crate) running: HashMap<u64, usize>,
    pub(crate) stop: bool,
}

impl Sched {
    /// Jobs of `project` queued or running.
    pub(crate) fn pending(&self, project: u64) -> usize {
        self.queue.iter().filter(|j| j.project() == project).count()
            + self.running.get(&project).copied().unwrap_or(0)
    }
}

/// The worker and sweeper threads; stops them when dropped.
pub(crate) struct Threads {
    inner: Arc<Inner>,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl Threads {
    pub(crate) fn stop(&self, inner: &Inner) {
        {
            let mut s = inner.sched.lock().unwrap_or_else(|p| p.into_inner());
            s.stop = true;
            s.queue.clear();
        }
        inner.sched_cv.notify_all();
        inner.cancel_all();
        let handles = std::mem::take(&mut *self.handles.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.join();
        }
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        let inner = self.inner.clone();
        self.stop(&inner);
    }
}

pub(crate) fn start(inner: &Arc<Inner>) -> Threads {
    let mut handles = Vec::new();
    for n in 0..inner.config.workers.max(1) {
        let inner = inner.clone();
        let h = std::thread::Builder::new()
            .name(format!("export-worker-{n}"))
            .spawn(move || worker(&inner));
        if let Ok(h) = h {
            handles.push(h);
        }
    }
    if inner.config.retention.is_some() || inner.config.watchdog.is_some() {
        let inner = inner.clone();
        if let Ok(h) = std::thread::Builder::new()
            .name("export-retention".into())
            .spawn(move || sweeper(&inner))
        {
            handles.push(h);
        }
    }
    Threads {
        inner: inner.clone(),
        handles: Mutex::new(handles),
    }
}

fn worker(inner: &Arc<Inner>) {
    let limit = inner.config.max_running_per_project.max(1);
    loop {
        let job = {
            let mut s = inner.sched.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if s.stop {
                    return;
                }
                let next = s
                    .queue
                    .iter()
                    .position(|j| s.running.get(&j.project()).copied().unwrap_or(0) < limit);
                if let Some(job) = next.and_then(|i| s.queue.remove(i)) {
                    *s.running.entry(job.project()).or_default() += 1;
                    break job;
                }
                s = inner.sched_cv.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        };
        let project = job.project();
        inner.run(job);
        {
            let mut s = inner.sched.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = s.running.get_mut(&project) {
                *n -= 1;
                if *n == 0 {
                    s.running.remove(&project);
                }
            }
        }
        inner.sched_cv.notify_all();
    }
}

fn sweeper(inner: &Arc<Inner>) {
    let tick = inner
        .config
        .sweep_every
        .min(std::time::Duration::from_secs(60));
    let mut last_sweep = std::time::Instant::now();
    loop {
        {
            let s = inner.sched.lock().unwrap_or_else(|p| p.into_inner());
            let (s, _) = inner
                .sched_cv
                .wait_timeout_while(s, tick, |s| !s.stop)
                .unwrap_or_else(|p| p.into_inner());
            if s.stop {
                return;
            }
        }
        let now = exportkit_core::time::now_micros();
        if let Some(limit) = inner.config.watchdog
            && let Err(e) = inner.watchdog(crate::Dialect::Flagsmith, limit, now)
        {
            eprintln!("exportkit: export watchdog failed: {e}");
        }
        if last_sweep.elapsed() >= inner.config.sweep_every {
            last_sweep = std::time::Instant::now();
            if let Err(e) = inner.sweep(now) {
                eprintln!("exportkit: retention sweep failed: {e}");
            }
        }
    }
}

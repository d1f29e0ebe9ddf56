//! What the jobs do: write snapshots, convert them, serve downloads, delete, retain.

use crate::audit::{AuditEvent, AuditKind, AuditSink};
use crate::jobs::{Job, Sched};
use crate::model::{Conversion, Counters, Dialect, JobProgress, Snapshot, Status, User};
use crate::request::ExportRequest;
use crate::snapshot;
use crate::source::{ProjectInfo, TaskSource};
use crate::storage::{Storage, StoredFile};
use crate::store::{Outcome, Store};
use crate::{Download, EasyExport, Result, ServiceConfig, ServiceError};
use exportkit_core::time::{file_stamp, now_micros};
use exportkit_core::{
    AnnotationFilter, CancelToken, ExportContext, ExportJob, ExportOptions, Input, LabelConfig,
    Progress, ProgressObserver, Registry, Stage, Target, TaskFilter,
};
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A running (or queued) job, by what it produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Snapshot(u64),
    Conversion(u64),
}

struct Live {
    cancel: CancelToken,
    progress: JobProgress,
}

pub(crate) struct Inner {
    pub(crate) config: ServiceConfig,
    pub(crate) store: Store,
    source: Arc<dyn TaskSource>,
    storage: Arc<dyn Storage>,
    audit: Arc<dyn AuditSink>,
    pub(crate) registry: &'static Registry,
    pub(crate) sched: Mutex<Sched>,
    pub(crate) sched_cv: Condvar,
    live: Mutex<HashMap<Key, Live>>,
    live_cv: Condvar,
    /// Held for the service's lifetime (see `lock_state`).
    _lock: std::fs::File,
    /// Projects with an import in progress.
    pub(crate) importing: Mutex<std::collections::HashSet<u64>>,
}

/// A finished file in a scratch directory.
struct Made {
    _scratch: tempfile::TempDir,
    path: PathBuf,
    ext: String,
    size: u64,
    md5: String,
    counters: Counters,
    records: u64,
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "json" => "application/json",
        "zip" => "application/zip",
        "csv" => "text/csv; charset=utf-8",
        "tsv" => "text/tab-separated-values; charset=utf-8",
        "txt" | "conll" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "jsonl" | "ndjson" => "application/x-ndjson",
        _ => "application/octet-stream",
    }
}

fn file_md5(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

struct Observer {
    inner: Arc<Inner>,
    key: Key,
    total: Option<u64>,
}

impl ProgressObserver for Observer {
    fn on_progress(&self, p: &Progress) {
        let stage = match p.stage {
            Stage::Encoding => "encoding",
            Stage::Resources => "resources",
            Stage::Writing => "writing",
            Stage::Packaging => "packaging",
            Stage::Done => "done",
            _ => "working",
        };
        let percent = match (p.stage, p.bytes_total.or(self.total)) {
            (Stage::Done, _) => 100.0,
            (_, Some(t)) if t > 0 => (p.bytes_read as f64 * 99.0 / t as f64).min(99.0),
            _ => 0.0,
        };
        let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = live.get_mut(&self.key) {
            l.progress = JobProgress {
                stage: stage.to_owned(),
                percent: (percent * 10.0).round() / 10.0,
                done: p.tasks_written,
            };
        }
    }
}

impl Inner {
    pub(crate) fn new(
        config: ServiceConfig,
        store: Store,
        source: Arc<dyn TaskSource>,
        storage: Arc<dyn Storage>,
        audit: Arc<dyn AuditSink>,
        registry: &'static Registry,
        lock: std::fs::File,
    ) -> Self {
        Inner {
            config,
            store,
            source,
            storage,
            audit,
            registry,
            sched: Mutex::new(Sched::default()),
            sched_cv: Condvar::new(),
            live: Mutex::new(HashMap::new()),
            live_cv: Condvar::new(),
            _lock: lock,
            importing: Mutex::new(std::collections::HashSet::new()),
        }
    }

    fn audit(
        &self,
        kind: AuditKind,
        s: &Snapshot,
        export_type: Option<&str>,
        user: Option<u64>,
        detail: String,
    ) {
        let event = AuditEvent {
            kind,
            at: now_micros(),
            dialect: s.dialect,
            project: s.project,
            export_id: s.id,
            export_type: export_type.map(str::to_owned),
            user,
            detail,
        };
        self.record_audit(&event);
    }

    pub(crate) fn record_audit(&self, event: &AuditEvent) {
        if let Ok(json) = serde_json::to_string(event) {
            // The audit trail is best effort: a full disk must not fail the export.
            let _ = self.store.audit(event.at, event.project, &json);
        }
        self.audit.record(event);
    }

    pub(crate) fn source(&self) -> &dyn TaskSource {
        &*self.source
    }

    pub(crate) fn storage_scratch(&self) -> std::io::Result<tempfile::TempDir> {
        self.storage.scratch()
    }

    pub(crate) fn project(&self, project: u64) -> Result<ProjectInfo> {
        self.source
            .project(project)?
            .ok_or_else(|| ServiceError::NotFound(format!("project {project} not found")))
    }

    pub(crate) fn snapshot(&self, project: u64, id: u64) -> Result<Snapshot> {
        let mut s = self.store.snapshot(project, id)?.ok_or_else(|| {
            ServiceError::NotFound(format!("export {id} not found in project {project}"))
        })?;
        self.attach_progress(&mut s);
        Ok(s)
    }

    pub(crate) fn attach_progress(&self, s: &mut Snapshot) {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = live.get(&Key::Snapshot(s.id)) {
            s.progress = Some(l.progress.clone());
        }
        for c in &mut s.converted_formats {
            if let Some(l) = live.get(&Key::Conversion(c.id)) {
                c.progress = Some(l.progress.clone());
            }
        }
    }

    fn go_live(&self, key: Key) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.insert(
            key,
            Live {
                cancel: CancelToken::new(),
                progress: JobProgress {
                    stage: "queued".into(),
                    percent: 0.0,
                    done: 0,
                },
            },
        );
    }

    fn token(&self, key: Key) -> CancelToken {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.get(&key).map(|l| l.cancel.clone()).unwrap_or_else(|| {
            // Not live any more (deleted before it started): a cancelled token.
            let t = CancelToken::new();
            t.cancel();
            t
        })
    }

    fn end(&self, key: Key) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.live_cv.notify_all();
    }

    fn is_live(&self, key: Key) -> bool {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&key)
    }

    pub(crate) fn cancel_all(&self) {
        for l in self.live.lock().unwrap_or_else(|e| e.into_inner()).values() {
            l.cancel.cancel();
        }
    }

    fn cancel(&self, key: Key) {
        if let Some(l) = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            l.cancel.cancel();
        }
    }

    /// Queues `job` unless the project has too much pending; `record` runs under the queue
    /// lock (so the limit holds) and returns the key to make live.
    fn enqueue<T>(
        &self,
        project: u64,
        record: impl FnOnce() -> Result<(T, Key, Job)>,
    ) -> Result<T> {
        let mut s = self.sched.lock().unwrap_or_else(|e| e.into_inner());
        if s.stop {
            return Err(ServiceError::ShuttingDown);
        }
        let max = self.config.max_pending_per_project;
        if s.pending(project) >= max {
            return Err(ServiceError::Busy(format!(
                "project {project} already has {max} exports queued or running; try again later"
            )));
        }
        let (value, key, job) = record()?;
        self.go_live(key);
        s.queue.push_back(job);
        drop(s);
        self.sched_cv.notify_all();
        Ok(value)
    }

    pub(crate) fn create(
        &self,
        project: u64,
        dialect: Dialect,
        format: &str,
        mut request: ExportRequest,
        user: Option<User>,
    ) -> Result<Snapshot> {
        let info = self.project(project)?;
        let format = if format.eq_ignore_ascii_case("JSON") && dialect == Dialect::LabelStudio {
            "JSON"
        } else {
            self.registry
                .get(format)
                .map_err(|_| {
                    ServiceError::field("format", format!("{format} is not a supported format"))
                })?
                .info()
                .name
        };
        let now = now_micros();
        if request.title.is_empty() {
            let (y, m, d, hh, mm, ..) = exportkit_core::time::fields(now);
            request.title = format!(
                "{}-at-{y:04}-{m:02}-{d:02}-{hh:02}-{mm:02}",
                info.title.replace(' ', "-")
            );
        }
        let id = self.enqueue(project, || {
            let id = self.store.insert_snapshot(
                project,
                dialect,
                format,
                &request.title,
                user.as_ref(),
                now,
                &request,
            )?;
            Ok((id, Key::Snapshot(id), Job::Snapshot { project, id }))
        })?;
        let s = self.snapshot(project, id)?;
        self.audit(
            AuditKind::Requested,
            &s,
            None,
            user.map(|u| u.id),
            String::new(),
        );
        Ok(s)
    }

    /// Runs a finished export again with a new format and request (its old file goes).
    pub(crate) fn rerun(
        &self,
        id: u64,
        format: &str,
        request: ExportRequest,
        user: Option<&User>,
    ) -> Result<Snapshot> {
        let snap = self
            .store
            .export(id)?
            .ok_or_else(|| ServiceError::NotFound(format!("export {id} not found")))?;
        let format = self
            .registry
            .get(format)
            .map_err(|_| {
                ServiceError::field("format", format!("{format} is not a supported format"))
            })?
            .info()
            .name;
        let project = snap.project;
        self.enqueue(project, || {
            if self.is_live(Key::Snapshot(id)) {
                return Err(ServiceError::Conflict(format!(
                    "export {id} is still running; update it once it has finished"
                )));
            }
            // The old file goes before the job can write the new one (same name).
            if let Some(file) = &snap.file {
                self.storage.delete(file)?;
            }
            self.store.reset(id, format, &request)?;
            Ok(((), Key::Snapshot(id), Job::Snapshot { project, id }))
        })?;
        let s = self.snapshot(project, id)?;
        self.audit(
            AuditKind::Requested,
            &s,
            None,
            user.map(|u| u.id),
            "updated".into(),
        );
        Ok(s)
    }

    pub(crate) fn convert(
        &self,
        project: u64,
        id: u64,
        export_type: &str,
        download_resources: bool,
        user: Option<&User>,
    ) -> Result<Conversion> {
        self.start_conversion(project, id, export_type, download_resources, false, user)
    }

    /// Starts a conversion. A conversion to the same format that has not failed is a
    /// conflict, unless a download started it (then the request takes it over).
    fn start_conversion(
        &self,
        project: u64,
        id: u64,
        export_type: &str,
        download_resources: bool,
        implicit: bool,
        user: Option<&User>,
    ) -> Result<Conversion> {
        let snap = self.snapshot(project, id)?;
        let format = self.registry.get(export_type).map_err(|_| {
            ServiceError::field(
                "export_type",
                format!("{export_type} is not supported export format"),
            )
        })?;
        let name = format.info().name;
        if snap.status != Status::Completed {
            return Err(ServiceError::Conflict(format!(
                "Export {id} is not completed (status {}); convert it once it is",
                snap.status.as_str()
            )));
        }
        let mut claimed = None;
        let conv_id = self.enqueue(project, || {
            if let Some(existing) = self.store.active_conversion(id, name)? {
                if existing.implicit && !implicit {
                    claimed = Some(existing.id);
                    return Err(ServiceError::Conflict(String::new()));
                }
                return Err(ServiceError::Conflict(format!(
                    "Conversion to {name} already started"
                )));
            }
            let conv_id = self.store.insert_conversion(
                id,
                name,
                download_resources,
                implicit,
                now_micros(),
            )?;
            Ok((
                conv_id,
                Key::Conversion(conv_id),
                Job::Convert {
                    project,
                    export_id: id,
                    conv_id,
                },
            ))
        });
        let conv_id = match (conv_id, claimed) {
            (_, Some(existing)) => {
                self.store.claim_conversion(existing)?;
                existing
            }
            (result, None) => result?,
        };
        self.audit(
            AuditKind::Requested,
            &snap,
            Some(name),
            user.map(|u| u.id),
            String::new(),
        );
        self.store
            .conversion(conv_id)?
            .ok_or_else(|| ServiceError::NotFound(format!("conversion {conv_id} vanished")))
    }

    pub(crate) fn run(self: &Arc<Self>, job: Job) {
        match job {
            Job::Snapshot { project, id } => self.run_snapshot(project, id),
            Job::Convert {
                project,
                export_id,
                conv_id,
            } => self.run_conversion(project, export_id, conv_id),
            Job::Easy {
                project,
                opts,
                reply,
            } => {
                let _ = reply.send(self.run_easy(project, &opts));
            }
        }
    }

    fn options(&self) -> ExportOptions {
        ExportOptions {
            threads: self.config.threads_per_job.max(1),
            ..ExportOptions::default()
        }
    }

    fn check_size(&self, size: u64, what: &str) -> Result<()> {
        let max = self.config.max_file_bytes;
        if max > 0 && size > max {
            return Err(ServiceError::Conflict(format!(
                "the {what} is {size} bytes, over the limit of {max} bytes"
            )));
        }
        Ok(())
    }

    /// Writes the snapshot file of `request` into a scratch directory.
    fn write_snapshot(
        self: &Arc<Self>,
        project: u64,
        request: &ExportRequest,
        key: Option<Key>,
        cancel: CancelToken,
    ) -> Result<Made> {
        let info = self.project(project)?;
        let stream = self.source.tasks(project, request.ids.as_deref())?;
        let scratch = self.storage.scratch()?;
        let path = scratch.path().join("snapshot.json");
        let mut opts = self.options();
        opts.annotation_filter = request
            .annotation_filter
            .map(|a| AnnotationFilter {
                usual: a.usual,
                ground_truth: a.ground_truth,
                skipped: a.skipped,
            })
            .unwrap_or_default();
        if request.task_filter.only_with_annotations {
            opts.task_filter = TaskFilter::Annotated;
        }
        opts.format_options
            .insert(snapshot::OPT_FILTER.into(), to_json(&request.task_filter));
        opts.format_options.insert(
            snapshot::OPT_SERIALIZATION.into(),
            to_json(&request.serialization),
        );
        opts.format_options
            .insert(snapshot::OPT_IDS.into(), to_json(&request.ids));
        opts.format_options
            .insert(snapshot::OPT_USERS.into(), to_json(&info.users));
        let ctx = ExportContext {
            config: None,
            options: opts,
        };
        let total = self.source.size_hint(project);
        let mut job = ExportJob::new(&snapshot::SNAPSHOT, ctx).cancel_token(cancel);
        if let Some(key) = key {
            job = job.observer(Arc::new(Observer {
                inner: self.clone(),
                key,
                total,
            }));
        }
        let summary = job.run(Input::Reader(stream, total), Target::File(path.clone()))?;
        let size = std::fs::metadata(&path)?.len();
        self.check_size(size, "snapshot")?;
        let stat = |k: &str| summary.stats.get(k).copied().unwrap_or(0);
        Ok(Made {
            md5: file_md5(&path)?,
            _scratch: scratch,
            path,
            ext: "json".into(),
            size,
            counters: Counters {
                task_number: summary.records,
                annotation_number: stat(snapshot::STAT_ANNOTATIONS),
                prediction_number: stat(snapshot::STAT_PREDICTIONS),
            },
            records: summary.records,
        })
    }

    /// Converts a snapshot (`input`) to `export_type` in a scratch directory: one file stays
    /// itself, several are zipped (as Label Studio does).
    #[allow(clippy::too_many_arguments)]
    fn convert_file(
        self: &Arc<Self>,
        project: u64,
        input: Input,
        export_type: &str,
        download_resources: bool,
        extra_options: &std::collections::BTreeMap<String, String>,
        key: Option<(Key, Option<u64>)>,
        cancel: CancelToken,
    ) -> Result<Made> {
        let format = self.registry.get(export_type)?;
        let info = self.project(project)?;
        let config = if info.label_config.trim().is_empty() {
            None
        } else {
            Some(Arc::new(LabelConfig::parse(&info.label_config).map_err(
                |e| ServiceError::Conflict(format!("the project's label config is invalid: {e}")),
            )?))
        };
        let mut options = self.options();
        options.compat = self.config.compat;
        options.download_resources = download_resources;
        options.resources = self.config.resources.clone();
        let scratch = self.storage.scratch()?;
        let name = format.info().name;
        // `FORMAT.key` applies to that format only; plain keys to every format.
        let mine = |k: &String| -> Option<String> {
            match k.split_once('.') {
                Some((f, key)) if f.eq_ignore_ascii_case(name) => Some(key.to_owned()),
                Some(_) => None,
                None => Some(k.clone()),
            }
        };
        options.format_options = info
            .format_options
            .iter()
            .filter_map(|(k, v)| Some((mine(k)?, v.clone())))
            .collect();
        for (k, text) in &info.format_files {
            let Some(key) = mine(k) else { continue };
            let path = scratch.path().join(format!("option-{key}"));
            std::fs::write(&path, text)?;
            options
                .format_options
                .insert(key, path.display().to_string());
        }
        options
            .format_options
            .extend(extra_options.iter().map(|(k, v)| (k.clone(), v.clone())));
        let out = scratch.path().join("out");
        let mut job =
            ExportJob::new(format, ExportContext { config, options }).cancel_token(cancel);
        if let Some((key, total)) = key {
            job = job.observer(Arc::new(Observer {
                inner: self.clone(),
                key,
                total,
            }));
        }
        let summary = job.run(input, Target::Dir(out.clone()))?;
        let files: Vec<&String> = summary.files.iter().filter(|f| !f.ends_with('/')).collect();
        let (path, ext) = match files.as_slice() {
            [] => {
                return Err(ServiceError::Conflict(
                    "No converted file found, probably there are no annotations in the export snapshot".into(),
                ));
            }
            [one] if !one.contains('/') && summary.files.len() == 1 => {
                let ext = Path::new(one.as_str())
                    .extension()
                    .map_or_else(String::new, |e| e.to_string_lossy().into_owned());
                (out.join(one.as_str()), ext)
            }
            _ => {
                let zip = scratch.path().join("converted.zip");
                exportkit_core::output::zip_tree(&out, &zip)?;
                (zip, "zip".to_owned())
            }
        };
        let size = std::fs::metadata(&path)?.len();
        self.check_size(size, "converted file")?;
        Ok(Made {
            md5: String::new(),
            _scratch: scratch,
            path,
            ext,
            size,
            counters: Counters::default(),
            records: summary.records,
        })
    }

    fn run_snapshot(self: &Arc<Self>, project: u64, id: u64) {
        let key = Key::Snapshot(id);
        let Ok(Some(snap)) = self.store.snapshot(project, id) else {
            self.end(key);
            return;
        };
        let cancel = self.token(key);
        let user = snap.created_by.as_ref().map(|u| u.id);
        let result = self
            .write_snapshot(project, &snap.request, Some(key), cancel.clone())
            .and_then(|made| {
                if snap.format == "JSON" && snap.dialect == Dialect::LabelStudio {
                    let mut done = snap.clone();
                    done.md5 = made.md5.clone();
                    let file = format!("{project}/{id}/{}", done.file_name());
                    let size = self.storage.put(&file, &made.path)?;
                    return Ok((made, file, size));
                }
                // Straight to a format: convert the snapshot in the same job.
                let counters = made.counters;
                let input = Input::File(made.path.clone());
                let total = Some(made.size);
                let mut conv = self.convert_file(
                    project,
                    input,
                    &snap.format,
                    false,
                    &snap.request.format_options,
                    Some((key, total)),
                    cancel,
                )?;
                drop(made);
                conv.md5 = file_md5(&conv.path)?;
                conv.counters = counters;
                let name = self.export_name(&snap, &conv.ext)?;
                let file = format!("{project}/{id}/{name}");
                let size = self.storage.put(&file, &conv.path)?;
                Ok((conv, file, size))
            });
        let now = now_micros();
        match result {
            Ok((made, file, size)) => {
                let o = Outcome {
                    file: Some(file.clone()),
                    file_size: size,
                    md5: made.md5.clone(),
                    counters: made.counters,
                    records: made.records,
                    reason: None,
                };
                let stored = self.store.finish_snapshot(id, Status::Completed, &o, now);
                // Deleted while it ran: do not leave its file behind.
                if !matches!(self.store.snapshot(project, id), Ok(Some(_))) || stored.is_err() {
                    let _ = self.storage.delete(&file);
                } else {
                    let c = made.counters;
                    self.audit(
                        AuditKind::Completed,
                        &snap,
                        None,
                        user,
                        format!(
                            "{} tasks, {} annotations, {} predictions, {size} bytes, md5 {}",
                            c.task_number, c.annotation_number, c.prediction_number, made.md5
                        ),
                    );
                }
            }
            Err(e) => {
                let o = Outcome {
                    reason: Some(e.to_string()),
                    ..Outcome::default()
                };
                let _ = self.store.finish_snapshot(id, Status::Failed, &o, now);
                self.audit(AuditKind::Failed, &snap, None, user, e.to_string());
            }
        }
        self.end(key);
    }

    /// The file name of a straight-to-format export, as its API names files.
    fn export_name(&self, snap: &Snapshot, ext: &str) -> Result<String> {
        Ok(match snap.dialect {
            Dialect::Flagsmith => format!("project_export.{}.{ext}", snap.id),
            Dialect::Antenna => {
                let title = self.project(snap.project)?.title;
                format!("{}_export-{}.{ext}", slug(&title), snap.id)
            }
            Dialect::LabelStudio => {
                let stem = snap.file_name();
                let stem = stem.strip_suffix(".json").unwrap_or(&stem).to_owned();
                format!("{stem}.{ext}")
            }
        })
    }

    fn run_conversion(self: &Arc<Self>, project: u64, export_id: u64, conv_id: u64) {
        let key = Key::Conversion(conv_id);
        let (Ok(Some(snap)), Ok(Some(conv))) = (
            self.store.snapshot(project, export_id),
            self.store.conversion(conv_id),
        ) else {
            self.end(key);
            return;
        };
        let cancel = self.token(key);
        let result = (|| {
            let file = snap
                .file
                .as_deref()
                .ok_or_else(|| ServiceError::NotFound("the snapshot has no file".into()))?;
            let stored = self.storage.open(file)?;
            let total = Some(stored.len);
            let made = self.convert_file(
                project,
                Input::Reader(stored.reader, total),
                &conv.export_type,
                conv.download_resources,
                &Default::default(),
                Some((key, total)),
                cancel,
            )?;
            let stem = snap.file_name();
            let stem = stem.strip_suffix(".json").unwrap_or(&stem);
            let dest = format!("{project}/{export_id}/{conv_id}/{stem}.{}", made.ext);
            let size = self.storage.put(&dest, &made.path)?;
            Ok::<_, ServiceError>((dest, size))
        })();
        let now = now_micros();
        match result {
            Ok((file, size)) => {
                let o = Outcome {
                    file: Some(file.clone()),
                    file_size: size,
                    ..Outcome::default()
                };
                let stored = self
                    .store
                    .finish_conversion(conv_id, Status::Completed, &o, now);
                if !matches!(self.store.conversion(conv_id), Ok(Some(_))) || stored.is_err() {
                    let _ = self.storage.delete(&file);
                } else {
                    self.audit(
                        AuditKind::Completed,
                        &snap,
                        Some(&conv.export_type),
                        None,
                        format!("{size} bytes"),
                    );
                }
            }
            Err(e) => {
                let o = Outcome {
                    reason: Some(e.to_string()),
                    ..Outcome::default()
                };
                let _ = self
                    .store
                    .finish_conversion(conv_id, Status::Failed, &o, now);
                self.audit(
                    AuditKind::Failed,
                    &snap,
                    Some(&conv.export_type),
                    None,
                    e.to_string(),
                );
            }
        }
        self.end(key);
    }

    fn run_easy(self: &Arc<Self>, project: u64, opts: &EasyExport) -> Result<Download> {
        let mut request = ExportRequest {
            ids: opts.ids.clone(),
            ..ExportRequest::default()
        };
        if !opts.download_all_tasks {
            request.task_filter.finished = Some(crate::Choice::Only);
        }
        // Label Studio's easy export expands drafts only.
        request.serialization.drafts = true;
        let made = self.write_snapshot(project, &request, None, CancelToken::new())?;
        let stamp = file_stamp(now_micros());
        let short = made.md5.get(..8).unwrap_or_default().to_owned();
        let export_type = opts.export_type.as_deref().unwrap_or("JSON");
        let made = if export_type.eq_ignore_ascii_case("JSON") {
            made
        } else {
            let input = Input::File(made.path.clone());
            let converted = self.convert_file(
                project,
                input,
                export_type,
                opts.download_resources,
                &Default::default(),
                None,
                CancelToken::new(),
            )?;
            drop(made);
            converted
        };
        let f = std::fs::File::open(&made.path)?;
        Ok(Download {
            file: StoredFile {
                reader: Box::new(f),
                len: made.size,
                local_path: Some(made.path.clone()),
            },
            file_name: format!("project-{project}-at-{stamp}-{short}.{}", made.ext),
            content_type: content_type(&made.ext),
            scratch: Some(made._scratch),
        })
    }

    pub(crate) fn easy_export(&self, project: u64, opts: &EasyExport) -> Result<Download> {
        self.project(project)?;
        if let Some(t) = &opts.export_type {
            self.registry.get(t).map_err(|_| {
                ServiceError::field("export_type", format!("{t} is not supported export format"))
            })?;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let mut s = self.sched.lock().unwrap_or_else(|e| e.into_inner());
            if s.stop {
                return Err(ServiceError::ShuttingDown);
            }
            s.queue.push_back(Job::Easy {
                project,
                opts: opts.clone(),
                reply: tx,
            });
        }
        self.sched_cv.notify_all();
        rx.recv().map_err(|_| ServiceError::ShuttingDown)?
    }

    pub(crate) fn download(
        &self,
        project: u64,
        id: u64,
        export_type: Option<&str>,
    ) -> Result<Download> {
        let snap = self.snapshot(project, id)?;
        if snap.status != Status::Completed {
            return Err(ServiceError::NotFound("Export is not completed".into()));
        }
        let json = export_type.is_none_or(|t| t.is_empty() || t.eq_ignore_ascii_case("JSON"));
        if json {
            let file = snap
                .file
                .as_deref()
                .ok_or_else(|| ServiceError::NotFound("Can't get file".into()))?;
            let ext = Path::new(file)
                .extension()
                .map_or_else(String::new, |e| e.to_string_lossy().into_owned());
            return Ok(Download {
                file: self.storage.open(file)?,
                file_name: snap.download_name(),
                content_type: content_type(&ext),
                scratch: None,
            });
        }
        let export_type = export_type.unwrap_or_default();
        let name = self
            .registry
            .get(export_type)
            .map_err(|_| {
                ServiceError::field(
                    "exportType",
                    format!("{export_type} is not supported export format"),
                )
            })?
            .info()
            .name;
        let conv = match self.store.active_conversion(id, name)? {
            Some(c) => c,
            // Not converted yet: convert now and wait (Label Studio converts on the fly).
            None => match self.start_conversion(project, id, name, false, true, None) {
                Ok(c) => c,
                Err(ServiceError::Conflict(_)) => {
                    self.store.active_conversion(id, name)?.ok_or_else(|| {
                        ServiceError::NotFound(format!("{name} format is not converted yet"))
                    })?
                }
                Err(e) => return Err(e),
            },
        };
        self.wait_key(Key::Conversion(conv.id), self.config.download_wait);
        let conv = self
            .store
            .conversion(conv.id)?
            .ok_or_else(|| ServiceError::NotFound(format!("{name} conversion was deleted")))?;
        match conv.status {
            Status::Completed => {
                let file = conv
                    .file
                    .as_deref()
                    .ok_or_else(|| ServiceError::NotFound("Can't get file".into()))?;
                let ext = Path::new(file)
                    .extension()
                    .map_or_else(String::new, |e| e.to_string_lossy().into_owned());
                let stem = snap.file_name();
                let stem = stem.strip_suffix(".json").unwrap_or(&stem).to_owned();
                Ok(Download {
                    file: self.storage.open(file)?,
                    file_name: format!("{stem}.{ext}"),
                    content_type: content_type(&ext),
                    scratch: None,
                })
            }
            Status::Failed => Err(ServiceError::Conflict(format!(
                "Conversion to {name} failed: {}",
                conv.reason.unwrap_or_default()
            ))),
            _ => Err(ServiceError::NotFound(format!(
                "{name} format is not converted yet"
            ))),
        }
    }

    fn wait_key(&self, key: Key, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        while live.contains_key(&key) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            live = self
                .live_cv
                .wait_timeout(live, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub(crate) fn wait_snapshot(
        &self,
        project: u64,
        id: u64,
        timeout: Duration,
    ) -> Result<Snapshot> {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.snapshot(project, id)?;
            let busy = self.is_live(Key::Snapshot(id))
                || s.converted_formats
                    .iter()
                    .any(|c| self.is_live(Key::Conversion(c.id)));
            if !busy || Instant::now() >= deadline {
                return Ok(s);
            }
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            let _ = self
                .live_cv
                .wait_timeout(live, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(crate) fn delete(&self, project: u64, id: u64, why: &str, user: Option<u64>) -> Result<()> {
        let snap = self.snapshot(project, id)?;
        self.cancel(Key::Snapshot(id));
        for c in &snap.converted_formats {
            self.cancel(Key::Conversion(c.id));
        }
        self.store.delete_snapshot(id)?;
        for file in snap.file.iter().chain(
            snap.converted_formats
                .iter()
                .filter_map(|c| c.file.as_ref()),
        ) {
            self.storage.delete(file)?;
        }
        self.audit(AuditKind::Deleted, &snap, None, user, why.to_owned());
        Ok(())
    }

    /// Fails exports of `dialect` still running `limit` after they were asked for.
    pub(crate) fn watchdog(&self, dialect: Dialect, limit: Duration, now: i64) -> Result<usize> {
        let cutoff = now.saturating_sub(i64::try_from(limit.as_micros()).unwrap_or(i64::MAX));
        let stuck = self.store.running_before(dialect, cutoff)?;
        for (project, id) in &stuck {
            self.cancel(Key::Snapshot(*id));
            let o = Outcome {
                reason: Some(format!(
                    "timed out: still processing after {} s (watchdog)",
                    limit.as_secs()
                )),
                ..Outcome::default()
            };
            self.store.finish_snapshot(*id, Status::Failed, &o, now)?;
            if let Ok(s) = self.snapshot(*project, *id) {
                self.audit(
                    AuditKind::Failed,
                    &s,
                    None,
                    None,
                    o.reason.unwrap_or_default(),
                );
            }
        }
        Ok(stuck.len())
    }

    pub(crate) fn sweep(&self, now: i64) -> Result<usize> {
        let Some(keep) = self.config.retention else {
            return Ok(0);
        };
        let cutoff = now.saturating_sub(i64::try_from(keep.as_micros()).unwrap_or(i64::MAX));
        let mut n = 0;
        for (project, id) in self.store.created_before(cutoff)? {
            match self.delete(project, id, "retention", None) {
                Ok(()) => n += 1,
                Err(ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}

/// Django's `slugify`: lowercase ASCII letters, digits, `-` and `_`; spaces become `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c == '-') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "project".to_owned()
    } else {
        out
    }
}

/// An option value for the snapshot format.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

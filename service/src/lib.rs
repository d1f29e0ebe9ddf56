//! exportkit-service: Label Studio-style export snapshots and conversions for a server to link.
//!
//! No HTTP here (see `exportkit-server`). A host gives a [`TaskSource`] (its projects and their
//! tasks), a [`Storage`] (where files go; [`LocalStorage`] by default) and optionally an
//! [`AuditSink`]; the service keeps metadata in SQLite, runs exports on a bounded worker pool
//! (never in the caller's thread), cancels a running export when it is deleted, marks work
//! interrupted by a restart as failed, and deletes old snapshots on a schedule.
//!
//! ```no_run
//! use exportkit_service::{DirSource, ExportRequest, Service, ServiceConfig};
//! use std::sync::Arc;
//!
//! let service = Service::builder(ServiceConfig::new("state"))
//!     .source(Arc::new(DirSource::new("data")))
//!     .start()?;
//! let snap = service.create(1, ExportRequest::default(), None)?;
//! let done = service.wait(1, snap.id, std::time::Duration::from_secs(60))?;
//! println!("{} tasks, md5 {}", done.counters.task_number, done.md5);
//! # Ok::<(), exportkit_service::ServiceError>(())
//! ```
#![deny(missing_docs)]

mod audit;
mod catalogue;
mod error;
mod import;
mod jobs;
mod model;
mod request;
mod snapshot;
mod source;
mod storage;
mod store;
mod work;

pub use audit::{AuditEvent, AuditKind, AuditSink, JsonLinesAudit, NoAudit};
pub use catalogue::FormatEntry;
pub use error::{Result, ServiceError};
pub use import::{ImportStrategy, ImportSummary};
pub use model::{Conversion, Counters, Dialect, JobProgress, Snapshot, Status, User};
pub use request::{
    AnnotationFilterOptions, Choice, ExportRequest, SerializationOptions, TaskFilterOptions,
    ValidationErrors, drf_bool, parse_bool_str,
};
pub use source::{Collection, DirSource, ProjectInfo, TaskSource, TaskStream};
pub use storage::{LocalStorage, Storage, StoredFile};

use exportkit_core::resources::ResourceOptions;
use exportkit_core::{Compat, Registry};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Where the metadata database (`exports.sqlite`) and, by default, the files (`files/`) live.
    pub state_dir: PathBuf,
    /// Export jobs that run at once, over all projects.
    pub workers: usize,
    /// Exports of one project that run at once (the others wait their turn).
    pub max_running_per_project: usize,
    /// Exports of one project that may be queued or running; more is refused as busy.
    pub max_pending_per_project: usize,
    /// Encoding threads per job.
    pub threads_per_job: usize,
    /// Snapshots (and their conversions) older than this are deleted; `None` keeps them.
    pub retention: Option<Duration>,
    /// How often retention runs.
    pub sweep_every: Duration,
    /// A snapshot or converted file larger than this fails its job (0: no limit).
    pub max_file_bytes: u64,
    /// Conversions: clean output (default) or byte-compatible with Label Studio.
    pub compat: Compat,
    /// Where conversions may read media from (`*_WITH_IMAGES`, `download_resources`).
    pub resources: ResourceOptions,
    /// The most snapshots a list returns (newest first), as Label Studio's 100.
    pub list_limit: usize,
    /// How long a download waits for a conversion that is still running.
    pub download_wait: Duration,
    /// Flagsmith-style project exports still processing after this long are failed (its
    /// watchdog); `None` never.
    pub watchdog: Option<Duration>,
}

impl ServiceConfig {
    /// Defaults, with state under `state_dir`: 2 workers, 2 running exports per project and
    /// 100 pending, 14-day retention checked hourly, no size limit, clean conversions.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        ServiceConfig {
            state_dir: state_dir.into(),
            workers: 2,
            max_running_per_project: 2,
            max_pending_per_project: 100,
            threads_per_job: 1,
            retention: Some(Duration::from_secs(14 * 24 * 3600)),
            sweep_every: Duration::from_secs(3600),
            max_file_bytes: 0,
            compat: Compat::Clean,
            resources: ResourceOptions::default(),
            list_limit: 100,
            download_wait: Duration::from_secs(600),
            watchdog: Some(Duration::from_secs(600)),
        }
    }
}

/// Builds a [`Service`].
pub struct ServiceBuilder {
    config: ServiceConfig,
    source: Option<Arc<dyn TaskSource>>,
    storage: Option<Arc<dyn Storage>>,
    audit: Arc<dyn AuditSink>,
    registry: &'static Registry,
}

impl std::fmt::Debug for ServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ServiceBuilder {
    /// The projects and tasks (required).
    pub fn source(mut self, source: Arc<dyn TaskSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Where files go (default: [`LocalStorage`] under `state_dir/files`).
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Who hears about exports (default: nobody).
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = audit;
        self
    }

    /// The formats conversions may use (default: [`Registry::global`]).
    pub fn registry(mut self, registry: &'static Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Opens the store, fails work a previous process left unfinished, and starts the workers
    /// and the retention schedule.
    pub fn start(self) -> Result<Service> {
        let source = self.source.ok_or_else(|| {
            ServiceError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the export service needs a task source",
            ))
        })?;
        std::fs::create_dir_all(&self.config.state_dir)?;
        let lock = lock_state(&self.config.state_dir)?;
        let storage = match self.storage {
            Some(s) => s,
            None => Arc::new(LocalStorage::new(self.config.state_dir.join("files"))?),
        };
        let store = store::Store::open(&self.config.state_dir.join("exports.sqlite"))?;
        store.interrupt_unfinished(exportkit_core::time::now_micros())?;
        let inner = Arc::new(work::Inner::new(
            self.config,
            store,
            source,
            storage,
            self.audit,
            self.registry,
            lock,
        ));
        let threads = jobs::start(&inner);
        Ok(Service {
            inner,
            threads: Arc::new(threads),
        })
    }
}

/// Takes the state directory's lock file: two services on one state would fail each other's
/// work at start-up and delete each other's scratch files.
fn lock_state(dir: &std::path::Path) -> Result<std::fs::File> {
    let path = dir.join("lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(ServiceError::Io(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!(
                "another exportkit service uses {} (its lock file is held)",
                dir.display()
            ),
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(ServiceError::Io(e)),
    }
}

/// The export service. Cheap to clone; the workers stop when the last clone is dropped or
/// [`Service::shutdown`] is called.
#[derive(Clone)]
pub struct Service {
    inner: Arc<work::Inner>,
    threads: Arc<jobs::Threads>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A file to send: a snapshot, a converted file or an easy export.
pub struct Download {
    /// The bytes.
    pub file: StoredFile,
    /// The attachment name (`project-1-at-2026-11-22-21-52-0b020cba.zip`).
    pub file_name: String,
    /// The MIME type.
    pub content_type: &'static str,
    /// Keeps a temporary file alive until the download is dropped.
    pub scratch: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.file.len)
            .finish_non_exhaustive()
    }
}

/// Options of a one-shot export (`GET /export`).
#[derive(Debug, Clone, Default)]
pub struct EasyExport {
    /// The format (default `JSON`).
    pub export_type: Option<String>,
    /// All tasks; otherwise only tasks with at least one annotation (skipped ones count).
    pub download_all_tasks: bool,
    /// Copy media into the output.
    pub download_resources: bool,
    /// Only these task ids.
    pub ids: Option<Vec<String>>,
}

impl Service {
    /// A builder with `config`.
    pub fn builder(config: ServiceConfig) -> ServiceBuilder {
        ServiceBuilder {
            config,
            source: None,
            storage: None,
            audit: Arc::new(NoAudit),
            registry: Registry::global(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The project, or `NotFound`.
    pub fn project(&self, project: u64) -> Result<ProjectInfo> {
        self.inner.project(project)
    }

    /// The formats this project can be exported to, Label Studio's catalogue first.
    pub fn formats(&self, project: u64) -> Result<Vec<FormatEntry>> {
        let info = self.inner.project(project)?;
        Ok(catalogue::formats(self.inner.registry, &info.label_config))
    }

    /// Records a snapshot and queues it; returns it `in_progress`.
    pub fn create(
        &self,
        project: u64,
        request: ExportRequest,
        user: Option<User>,
    ) -> Result<Snapshot> {
        self.inner
            .create(project, Dialect::LabelStudio, "JSON", request, user)
    }

    /// Records an export of `dialect` straight to `format` (the snapshot is converted in the
    /// same job; its file is the converted one) and queues it.
    pub fn create_export(
        &self,
        project: u64,
        dialect: Dialect,
        format: &str,
        request: ExportRequest,
        user: Option<User>,
    ) -> Result<Snapshot> {
        self.inner.create(project, dialect, format, request, user)
    }

    /// The project's Label Studio snapshots, newest first (at most `list_limit`).
    pub fn list(&self, project: u64) -> Result<Vec<Snapshot>> {
        Ok(self
            .list_exports(
                project,
                Dialect::LabelStudio,
                self.inner.config.list_limit,
                0,
            )?
            .0)
    }

    /// A page of the project's exports of `dialect`, newest first, and how many there are.
    pub fn list_exports(
        &self,
        project: u64,
        dialect: Dialect,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Snapshot>, u64)> {
        self.inner.project(project)?;
        let mut list = self.inner.store.list(project, dialect, limit, offset)?;
        for s in &mut list {
            self.inner.attach_progress(s);
        }
        Ok((list, self.inner.store.count(project, dialect)?))
    }

    /// Runs a finished export again with a new format and request (Antenna's update).
    pub fn rerun(
        &self,
        id: u64,
        format: &str,
        request: ExportRequest,
        user: Option<&User>,
    ) -> Result<Snapshot> {
        self.inner.rerun(id, format, request, user)
    }

    /// Any export by id (whatever its project and API).
    pub fn export(&self, id: u64) -> Result<Snapshot> {
        let s = self
            .inner
            .store
            .export(id)?
            .ok_or_else(|| ServiceError::NotFound(format!("export {id} not found")))?;
        self.inner.snapshot(s.project, id)
    }

    /// The project's audit trail, newest first.
    pub fn audit_log(&self, project: u64, limit: usize, offset: usize) -> Result<Vec<AuditEvent>> {
        Ok(self
            .inner
            .store
            .audit_log(project, limit, offset)?
            .iter()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect())
    }

    /// Records an audit event (for work done outside the service, such as imports).
    pub fn record_audit(&self, event: &AuditEvent) {
        self.inner.record_audit(event);
    }

    /// Fails exports of `dialect` running longer than `limit` now; the schedule does this for
    /// Flagsmith-style exports with [`ServiceConfig::watchdog`].
    pub fn watchdog(&self, dialect: Dialect, limit: Duration) -> Result<usize> {
        self.inner
            .watchdog(dialect, limit, exportkit_core::time::now_micros())
    }

    /// Imports a PROJECT document into `project` with `strategy` (validated in full before
    /// anything is written; one import per project at a time; audited).
    pub fn import_project(
        &self,
        project: u64,
        document: &[u8],
        strategy: ImportStrategy,
        max_bytes: u64,
        user: Option<&User>,
    ) -> Result<ImportSummary> {
        self.inner
            .import_project(project, document, strategy, max_bytes, user)
    }

    /// Whether the service's registry has format `name` (case-insensitive).
    pub fn has_format(&self, name: &str) -> bool {
        self.inner.registry.get(name).is_ok()
    }

    /// The task source (for dialects that need more than exports, such as collections).
    pub fn source(&self) -> &dyn TaskSource {
        self.inner.source()
    }

    /// One snapshot of the project.
    pub fn get(&self, project: u64, id: u64) -> Result<Snapshot> {
        self.inner.snapshot(project, id)
    }

    /// Deletes a snapshot, its conversions and their files; cancels whatever of it still runs.
    pub fn delete(&self, project: u64, id: u64) -> Result<()> {
        self.inner.delete(project, id, "deleted by request", None)
    }

    /// Starts converting a completed snapshot to `export_type`. A conversion to the same type
    /// that has not failed is a conflict (Label Studio: "Conversion to T already started").
    pub fn convert(
        &self,
        project: u64,
        id: u64,
        export_type: &str,
        download_resources: bool,
        user: Option<&User>,
    ) -> Result<Conversion> {
        self.inner
            .convert(project, id, export_type, download_resources, user)
    }

    /// The file to download: the snapshot (`None` or `JSON`), or its conversion to
    /// `export_type`, converting first (or waiting for a running conversion) when needed.
    pub fn download(&self, project: u64, id: u64, export_type: Option<&str>) -> Result<Download> {
        self.inner.download(project, id, export_type)
    }

    /// A one-shot export, run on the worker pool while the caller waits; nothing is recorded.
    pub fn easy_export(&self, project: u64, opts: &EasyExport) -> Result<Download> {
        self.inner.easy_export(project, opts)
    }

    /// Waits until the snapshot's work (and its conversions) is over, up to `timeout`.
    pub fn wait(&self, project: u64, id: u64, timeout: Duration) -> Result<Snapshot> {
        self.inner.wait_snapshot(project, id, timeout)
    }

    /// Deletes snapshots created more than the retention period before `now` (µs). Returns how
    /// many. Runs on its own schedule too; call it to force a sweep.
    pub fn sweep(&self, now: i64) -> Result<usize> {
        self.inner.sweep(now)
    }

    /// Stops taking work, cancels running jobs and waits for the workers.
    pub fn shutdown(&self) {
        self.threads.stop(&self.inner);
    }
}

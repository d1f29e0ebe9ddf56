//! `exportkit._native`: the Rust half of the `exportkit` Python package.
//!
//! It is deliberately small: the public classes (`Summary`, `Converter`, `ExportError`, ...)
//! live in the pure-Python package so they subclass and mock like ordinary Python classes.
//! This module offers two functions:
//!
//! - `formats(config_xml=None)`: the registry's formats, enabled or not for a label config;
//! - `convert(...)`: runs one export on a spawned Rust thread while the calling thread waits
//!   with the GIL released, polling for Ctrl-C (`Python::check_signals`) and handing progress
//!   snapshots to an optional Python callable; input may be a file, bytes, or an iterator of
//!   byte chunks (pulled by the export's reader thread, with the GIL held only per chunk).

use exportkit::resources::ResourceOptions;
use exportkit::{
    AnnotationFilter, CancelToken, Compat, ErrorKind, ExportContext, ExportJob, ExportOptions,
    ExportSummary, Input, LabelConfig, Pick, Progress, ProgressObserver, Registry, Stage, Support,
    Target, TaskFilter,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyIterator, PyList, PyString};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The Python module `exportkit._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(formats, m)?)?;
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    m.add_function(wrap_pyfunction!(parse_config_dict, m)?)?;
    Ok(())
}

/// The name of an error kind, as `ExportError.kind` gives it.
fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Io => "io",
        ErrorKind::Input => "input",
        ErrorKind::Config => "config",
        ErrorKind::UnknownFormat => "unknown_format",
        ErrorKind::DuplicateFormat => "duplicate_format",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Options => "options",
        ErrorKind::Cancelled => "cancelled",
        ErrorKind::Format => "format",
        _ => "other",
    }
}

/// Maps an exportkit error to a Python exception: `ValueError` for an unknown format or a bad
/// option (the CLI's exit code 2), `exportkit.ExportError` for everything else (exit code 1),
/// with the CLI's one-line message.
fn to_py_err(py: Python<'_>, e: &exportkit::Error) -> PyErr {
    if matches!(e.kind(), ErrorKind::UnknownFormat | ErrorKind::Options) {
        return PyValueError::new_err(e.to_string());
    }
    let build = || -> PyResult<PyErr> {
        let cls = py.import("exportkit.errors")?.getattr("ExportError")?;
        let kw = PyDict::new(py);
        kw.set_item("kind", kind_name(e.kind()))?;
        kw.set_item("format", e.format())?;
        kw.set_item("task_index", e.task_index())?;
        kw.set_item("task_id", e.task_id())?;
        kw.set_item("offset", e.offset())?;
        let inst = cls.call((e.to_string(),), Some(&kw))?;
        Ok(PyErr::from_value(inst))
    };
    build().unwrap_or_else(|err| err)
}

/// Parses a label config given as XML text; `name` (a path or "label config") prefixes errors.
fn parse_config(py: Python<'_>, xml: &str, name: &str) -> PyResult<LabelConfig> {
    LabelConfig::parse(xml).map_err(|e| {
        to_py_err(
            py,
            &exportkit::Error::new(ErrorKind::Config, format!("{name}: {e}")),
        )
    })
}

/// The label config from XML text or a file (read as the CLI reads `--config`).
fn load_config(
    py: Python<'_>,
    xml: Option<&str>,
    path: Option<&std::path::Path>,
    name: &str,
) -> PyResult<Option<LabelConfig>> {
    match (xml, path) {
        (Some(x), None) => parse_config(py, x, name).map(Some),
        (None, Some(p)) => {
            let bytes = std::fs::read(p).map_err(|e| to_py_err(py, &exportkit::Error::io(p, e)))?;
            LabelConfig::parse_bytes(&bytes).map(Some).map_err(|e| {
                to_py_err(
                    py,
                    &exportkit::Error::new(ErrorKind::Config, format!("{}: {e}", p.display())),
                )
            })
        }
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(PyValueError::new_err(
            "give the label config as XML text or as a path, not both",
        )),
    }
}

/// `formats(config_xml=None, config_path=None, config_name="label config") -> list[dict]`: every format of this
/// build, with `enabled`/`reason` from `ExporterFactory::supports` when a config is given
/// (`enabled` is `True` and `reason` `None` without one).
#[pyfunction]
#[pyo3(signature = (config_xml=None, config_path=None, config_name="label config"))]
fn formats<'py>(
    py: Python<'py>,
    config_xml: Option<&str>,
    config_path: Option<PathBuf>,
    config_name: &str,
) -> PyResult<Bound<'py, PyList>> {
    let config = load_config(py, config_xml, config_path.as_deref(), config_name)?;
    let list = PyList::empty(py);
    for f in Registry::global().iter() {
        let info = f.info();
        let d = PyDict::new(py);
        d.set_item("name", info.name)?;
        d.set_item("title", info.title)?;
        d.set_item("description", info.description)?;
        d.set_item("extension", info.extension)?;
        d.set_item("label_studio_name", info.ls_name)?;
        let (enabled, reason) = match config.as_ref().map(|c| f.supports(c)) {
            None | Some(Support::Supported) => (true, None),
            Some(Support::Unsupported(why)) => (false, Some(why)),
        };
        d.set_item("enabled", enabled)?;
        d.set_item("reason", reason)?;
        list.append(d)?;
    }
    Ok(list)
}

/// `parse_config_dict(config_xml)`: the label config as Label Studio's `parse_config` dict
/// (`{control: {type, to_name, [regex], [conditionals], [dynamic_labels], inputs, labels,
/// labels_attrs}}`), from exportkit's parser (a port of Label Studio's), so the drop-in
/// `Converter` exposes the same `_schema` without lxml.
#[pyfunction]
#[pyo3(signature = (config_xml, config_name="label config"))]
fn parse_config_dict<'py>(
    py: Python<'py>,
    config_xml: &str,
    config_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let config = parse_config(py, config_xml, config_name)?;
    let out = PyDict::new(py);
    for c in &config.controls {
        let info = PyDict::new(py);
        info.set_item("type", &c.tag)?;
        info.set_item("to_name", &c.to_name)?;
        if !c.index_vars.is_empty() {
            let regex = PyDict::new(py);
            for v in &c.index_vars {
                regex.set_item(v, ".*")?;
            }
            info.set_item("regex", regex)?;
        }
        if let Some(cond) = &c.conditional {
            let (kind, name) = match cond {
                exportkit::config::Conditional::Tag(n) => ("tag", n),
                exportkit::config::Conditional::Label(n) => ("label", n),
                exportkit::config::Conditional::Choice(n) => ("choice", n),
                #[allow(unreachable_patterns)]
                _ => continue,
            };
            let d = PyDict::new(py);
            d.set_item("type", kind)?;
            d.set_item("name", name)?;
            info.set_item("conditionals", d)?;
        }
        if c.dynamic_labels {
            info.set_item("dynamic_labels", true)?;
        }
        let inputs = PyList::empty(py);
        for o in &c.inputs {
            let d = PyDict::new(py);
            d.set_item("type", &o.tag)?;
            d.set_item("valueType", o.value_type.as_deref())?;
            match (&o.value, &o.value_list) {
                (Some(v), _) => d.set_item("value", v)?,
                (None, Some(v)) => d.set_item("valueList", v)?,
                (None, None) => {}
            }
            inputs.append(d)?;
        }
        info.set_item("inputs", inputs)?;
        let labels = PyList::empty(py);
        let attrs = PyDict::new(py);
        for l in &c.labels {
            labels.append(&l.value)?;
            let a = PyDict::new(py);
            for (k, v) in &l.attrs {
                a.set_item(k, v)?;
            }
            attrs.set_item(&l.value, a)?;
        }
        info.set_item("labels", labels)?;
        info.set_item("labels_attrs", attrs)?;
        out.set_item(&c.name, info)?;
    }
    Ok(out)
}

/// A `Read` over a Python iterator of `bytes` (or `str`) chunks. Each chunk is pulled with the
/// GIL held just for the `next()` call and the copy; a Python exception raised by the iterator
/// is kept in `error` (and re-raised by `convert`) and ends the stream with an I/O error.
struct ChunkReader {
    iter: Option<Py<PyIterator>>,
    buf: Vec<u8>,
    pos: usize,
    error: Arc<Mutex<Option<PyErr>>>,
}

impl ChunkReader {
    /// Fetches the next non-empty chunk into `buf`; `false` at the end of the iterator.
    fn fill(&mut self) -> std::io::Result<bool> {
        let Some(iter) = self.iter.as_ref() else {
            return Ok(false);
        };
        let next = Python::attach(|py| -> PyResult<Option<Vec<u8>>> {
            let mut it = iter.bind(py).clone();
            loop {
                let Some(item) = it.next() else {
                    return Ok(None);
                };
                let item = item?;
                let bytes = if let Ok(b) = item.cast::<PyBytes>() {
                    b.as_bytes().to_vec()
                } else if let Ok(s) = item.cast::<PyString>() {
                    s.to_cow()?.as_bytes().to_vec()
                } else {
                    // bytearray, memoryview and anything else the buffer protocol offers.
                    item.extract::<Vec<u8>>().map_err(|_| {
                        pyo3::exceptions::PyTypeError::new_err(format!(
                            "input chunks must be bytes or str, not {}",
                            item.get_type()
                                .name()
                                .map_or_else(|_| "?".into(), |n| n.to_string())
                        ))
                    })?
                };
                if !bytes.is_empty() {
                    return Ok(Some(bytes));
                }
            }
        });
        match next {
            Ok(Some(bytes)) => {
                self.buf = bytes;
                self.pos = 0;
                Ok(true)
            }
            Ok(None) => {
                self.release();
                Ok(false)
            }
            Err(e) => {
                let msg = Python::attach(|py| e.to_string_lossy(py));
                *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                self.release();
                Err(std::io::Error::other(format!(
                    "the Python input iterator raised {msg}"
                )))
            }
        }
    }

    /// Drops the iterator with the GIL held (so the generator is finalised now, on this thread).
    fn release(&mut self) {
        if let Some(iter) = self.iter.take() {
            Python::attach(|_| drop(iter));
        }
    }
}

/// `PyErr::to_string` needs the GIL for the value's `str()`; keep it lossless and short.
trait LossyDisplay {
    fn to_string_lossy(&self, py: Python<'_>) -> String;
}

impl LossyDisplay for PyErr {
    fn to_string_lossy(&self, py: Python<'_>) -> String {
        let name = self
            .get_type(py)
            .name()
            .map_or_else(|_| "an exception".to_owned(), |n| n.to_string());
        match self.value(py).str() {
            Ok(s) if !s.to_string().is_empty() => format!("{name}: {s}"),
            _ => name,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.buf.len() {
            if !self.fill()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for ChunkReader {
    fn drop(&mut self) {
        self.release();
    }
}

/// Keeps the latest progress snapshot for the waiting thread (the export's writer thread
/// calls `on_progress`; Python is only ever called from the waiting thread).
#[derive(Default)]
struct LatestProgress {
    latest: Mutex<Option<Progress>>,
    seq: AtomicU64,
}

impl ProgressObserver for LatestProgress {
    fn on_progress(&self, progress: &Progress) {
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(*progress);
        self.seq.fetch_add(1, Ordering::Release);
    }
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Encoding => "encoding",
        Stage::Resources => "resources",
        Stage::Writing => "writing",
        Stage::Packaging => "packaging",
        Stage::Done => "done",
        _ => "working",
    }
}

/// Calls `callback(stage, counts)` with a snapshot.
fn report(py: Python<'_>, callback: &Bound<'_, PyAny>, p: &Progress) -> PyResult<()> {
    let counts = PyDict::new(py);
    counts.set_item("bytes_read", p.bytes_read)?;
    counts.set_item("bytes_total", p.bytes_total)?;
    counts.set_item("tasks_read", p.tasks_read)?;
    counts.set_item("tasks_written", p.tasks_written)?;
    callback.call1((stage_name(p.stage), counts))?;
    let _ = py;
    Ok(())
}

/// The summary as a dict (the Python layer turns it into `exportkit.Summary`).
fn summary_dict<'py>(py: Python<'py>, s: &ExportSummary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("format", s.format)?;
    d.set_item("tasks_read", s.tasks_read)?;
    d.set_item("tasks_exported", s.tasks_exported)?;
    d.set_item("records", s.records)?;
    d.set_item("bytes_read", s.bytes_read)?;
    d.set_item("files", &s.files)?;
    d.set_item("output", s.output.to_string_lossy())?;
    d.set_item("elapsed", s.elapsed.as_secs_f64())?;
    let warnings = PyList::empty(py);
    for w in &s.warnings {
        warnings.append((w.task_index, w.task_id.as_deref(), &w.message))?;
    }
    d.set_item("warnings", warnings)?;
    d.set_item("warning_count", s.warning_count)?;
    let stats = PyDict::new(py);
    for (k, v) in &s.stats {
        stats.set_item(*k, *v)?;
    }
    d.set_item("stats", stats)?;
    Ok(d)
}

fn pick(name: &str) -> PyResult<Pick> {
    Ok(match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "latest" => Pick::Latest,
        "first" => Pick::First,
        "ground-truth" => Pick::GroundTruth,
        "all" => Pick::All,
        other => {
            return Err(PyValueError::new_err(format!(
                "annotation must be latest, first, ground-truth or all, not {other:?}"
            )));
        }
    })
}

fn annotation_filter(names: &[String]) -> PyResult<AnnotationFilter> {
    let mut f = AnnotationFilter::default();
    for n in names {
        match n.to_ascii_lowercase().replace('_', "-").as_str() {
            "usual" => f.usual = true,
            "ground-truth" => f.ground_truth = true,
            "skipped" => f.skipped = true,
            other => {
                return Err(PyValueError::new_err(format!(
                    "annotations: expected usual, ground-truth or skipped, not {other:?}"
                )));
            }
        }
    }
    Ok(f)
}

fn target(out: PathBuf, kind: &str, extension: &str) -> PyResult<Target> {
    Ok(match kind {
        "auto" => Target::from_path(out),
        "dir" => Target::Dir(out),
        "zip" => Target::Zip(out),
        "file" => Target::File(out),
        "extension" => Target::for_extension(out, extension),
        other => {
            return Err(PyValueError::new_err(format!(
                "target must be auto, dir, zip, file or extension, not {other:?}"
            )));
        }
    })
}

/// Runs one export. Exactly one of `path`, `data` and `chunks` gives the input. Returns the
/// summary as a dict; raises `ExportError`, `ValueError`, `KeyboardInterrupt` (after
/// cancelling the export: nothing is left at `out`), or whatever the input iterator or the
/// progress callback raised (the export is cancelled first).
#[pyfunction]
#[pyo3(signature = (
    format, out, *, path=None, data=None, chunks=None, target_kind="auto",
    config_xml=None, config_path=None, config_name="label config", check_support=true, compat=false,
    threads=0, batch_size=1000, only_annotated=false, task_ids=None, annotations=Vec::new(),
    drafts=true, predictions=true, header=true, annotation="latest", strict=false,
    download_resources=false, upload_dir=None, local_files_root=None, allow_roots=Vec::new(),
    hostname=None, token=None, allow_hosts=Vec::new(), downloads=8,
    format_options=BTreeMap::new(), progress=None, poll_interval=0.05
))]
#[allow(clippy::too_many_arguments)]
fn convert<'py>(
    py: Python<'py>,
    format: &str,
    out: PathBuf,
    path: Option<PathBuf>,
    data: Option<Vec<u8>>,
    chunks: Option<Bound<'py, PyAny>>,
    target_kind: &str,
    config_xml: Option<&str>,
    config_path: Option<PathBuf>,
    config_name: &str,
    check_support: bool,
    compat: bool,
    threads: usize,
    batch_size: usize,
    only_annotated: bool,
    task_ids: Option<Vec<String>>,
    annotations: Vec<String>,
    drafts: bool,
    predictions: bool,
    header: bool,
    annotation: &str,
    strict: bool,
    download_resources: bool,
    upload_dir: Option<PathBuf>,
    local_files_root: Option<PathBuf>,
    allow_roots: Vec<PathBuf>,
    hostname: Option<String>,
    token: Option<String>,
    allow_hosts: Vec<String>,
    downloads: usize,
    format_options: BTreeMap<String, String>,
    progress: Option<Bound<'py, PyAny>>,
    poll_interval: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let factory = Registry::global()
        .get(format)
        .map_err(|e| to_py_err(py, &e))?;
    if batch_size == 0 {
        return Err(PyValueError::new_err("batch_size must be at least 1"));
    }
    if only_annotated && task_ids.is_some() {
        return Err(PyValueError::new_err(
            "only_annotated and task_ids cannot be combined",
        ));
    }
    let config = load_config(py, config_xml, config_path.as_deref(), config_name)?;
    if check_support
        && let Some(Support::Unsupported(why)) = config.as_ref().map(|c| factory.supports(c))
    {
        return Err(to_py_err(
            py,
            &exportkit::Error::new(ErrorKind::Unsupported, why).with_format(factory.info().name),
        ));
    }
    let options = ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        threads,
        batch_size,
        task_filter: match (only_annotated, task_ids) {
            (true, _) => TaskFilter::Annotated,
            (false, Some(ids)) => TaskFilter::Ids(ids),
            (false, None) => TaskFilter::All,
        },
        annotation_filter: annotation_filter(&annotations)?,
        drafts,
        predictions,
        header,
        pick: pick(annotation)?,
        strict,
        download_resources,
        resources: ResourceOptions {
            upload_dir,
            local_files_root,
            allowed_roots: allow_roots,
            hostname,
            token,
            allow_hosts,
            parallel: downloads.max(1),
            ..ResourceOptions::default()
        },
        format_options,
    };
    let iter_error = Arc::new(Mutex::new(None::<PyErr>));
    let input = match (path, data, chunks) {
        (Some(p), None, None) => Input::File(p),
        (None, Some(d), None) => Input::Bytes(d),
        (None, None, Some(c)) => Input::Reader(
            Box::new(ChunkReader {
                iter: Some(c.try_iter()?.unbind()),
                buf: Vec::new(),
                pos: 0,
                error: iter_error.clone(),
            }),
            None,
        ),
        _ => {
            return Err(PyValueError::new_err(
                "give exactly one of path, data and chunks",
            ));
        }
    };
    let target = target(out, target_kind, factory.info().extension)?;
    let ctx = ExportContext {
        config: config.map(Arc::new),
        options,
    };
    let cancel = CancelToken::new();
    let observer = Arc::new(LatestProgress::default());
    let job = ExportJob::new(factory, ctx)
        .cancel_token(cancel.clone())
        .observer(observer.clone());

    let (done_tx, done_rx) = channel();
    let worker = std::thread::Builder::new()
        .name("exportkit-export".into())
        .spawn(move || {
            let _ = done_tx.send(job.run(input, target));
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the export thread: {e}")))?;
    // A `Receiver` is not `Sync`; the mutex lets the detached closure borrow it.
    let done_rx = Mutex::new(done_rx);

    let interval = Duration::from_secs_f64(poll_interval.clamp(0.001, 1.0));
    let mut seen = 0u64;
    // The first exception raised on this side (Ctrl-C, the progress callback): the export is
    // cancelled and this is raised once it has stopped.
    let mut interrupted: Option<PyErr> = None;
    let result = loop {
        let received = py.detach(|| {
            done_rx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .recv_timeout(interval)
        });
        if interrupted.is_none() {
            let seq = observer.seq.load(Ordering::Acquire);
            if seq != seen {
                seen = seq;
                let snapshot = *observer
                    .latest
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if let (Some(cb), Some(p)) = (progress.as_ref(), snapshot)
                    && let Err(e) = report(py, cb, &p)
                {
                    cancel.cancel();
                    interrupted = Some(e);
                }
            }
        }
        if interrupted.is_none()
            && let Err(e) = py.check_signals()
        {
            cancel.cancel();
            interrupted = Some(e);
        }
        match received {
            Ok(r) => break Some(r),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break None,
        }
    };
    let joined = py.detach(|| worker.join());
    if let Some(e) = interrupted {
        return Err(e);
    }
    if let Some(e) = iter_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return Err(e);
    }
    match (result, joined) {
        (Some(Ok(summary)), _) => summary_dict(py, &summary),
        (Some(Err(e)), _) => Err(to_py_err(py, &e)),
        (None, _) => Err(PyRuntimeError::new_err(
            "the export thread stopped unexpectedly (a panic); nothing was written",
        )),
    }
}

//! Shared test helpers.
#![allow(dead_code, clippy::unwrap_used)]

use exportkit_core::{ExportContext, ExportJob, ExportOptions, Input, Target};
use exportkit_project::import::{self, ImportOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures/project")
}

/// Fixed header so outputs can be compared byte for byte.
pub fn base_opts() -> BTreeMap<String, String> {
    let mut o = BTreeMap::new();
    o.insert(
        "export_id".into(),
        "00000000-0000-4000-a000-000000000000".into(),
    );
    o.insert("exported_at".into(), "2026-08-22T10:00:00Z".into());
    o
}

/// Runs the PROJECT export of `input` and returns `project.json`.
pub fn export_with(
    input: Input,
    fmt: BTreeMap<String, String>,
    threads: usize,
    batch: usize,
) -> exportkit_core::Result<Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let options = ExportOptions {
        threads,
        batch_size: batch,
        format_options: fmt,
        ..ExportOptions::default()
    };
    let ctx = ExportContext {
        config: None,
        options,
    };
    ExportJob::new(&exportkit_project::PROJECT, ctx).run(input, Target::Dir(out.clone()))?;
    Ok(std::fs::read(out.join("project.json")).unwrap())
}

pub fn export(input: &Path, fmt: BTreeMap<String, String>) -> Vec<u8> {
    export_with(Input::File(input.to_path_buf()), fmt, 1, 1000).unwrap()
}

/// Imports `doc` into a directory and exports that directory again with the options the
/// import reports (and the same fixed header); returns the second document.
pub fn reexport(doc: &[u8], mut fmt: BTreeMap<String, String>) -> Vec<u8> {
    let plan = import::plan(doc, &ImportOptions::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("imported");
    import::write_dir(&plan, &dir).unwrap();
    let include = plan
        .include
        .replace(",provenance", "")
        .replace("provenance", "none");
    fmt.insert("include".into(), include);
    fmt.insert(
        "config_path".into(),
        dir.join("config.xml").display().to_string(),
    );
    fmt.insert(
        "project_file".into(),
        dir.join("project.json").display().to_string(),
    );
    export(&dir.join("tasks.json"), fmt)
}

//! Audit events: who asked for which export, and how it ended.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A snapshot or conversion was asked for.
    Requested,
    /// It completed.
    Completed,
    /// It failed (the detail says why).
    Failed,
    /// A snapshot was deleted (by a user, or by retention).
    Deleted,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// What happened.
    pub kind: AuditKind,
    /// When (µs since the epoch).
    pub at: i64,
    /// The API the export belongs to.
    pub dialect: crate::model::Dialect,
    /// Project id.
    pub project: u64,
    /// Snapshot id.
    pub export_id: u64,
    /// The format, for conversions (`None` for the snapshot itself).
    pub export_type: Option<String>,
    /// The user who asked, when known.
    pub user: Option<u64>,
    /// Counts, reasons, sizes.
    pub detail: String,
}

/// Receives audit events. Called on the thread that made the change; keep it quick.
pub trait AuditSink: Send + Sync {
    /// Records one event.
    fn record(&self, event: &AuditEvent);
}

/// Drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _: &AuditEvent) {}
}

/// Appends events as JSON lines to a file.
#[derive(Debug)]
pub struct JsonLinesAudit(std::sync::Mutex<std::fs::File>);

impl JsonLinesAudit {
    /// Opens (creates or appends to) `path`.
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(JsonLinesAudit(std::sync::Mutex::new(f)))
    }
}

impl AuditSink for JsonLinesAudit {
    fn record(&self, event: &AuditEvent) {
        use std::io::Write;
        if let (Ok(mut line), Ok(mut f)) = (serde_json::to_vec(event), self.0.lock()) {
            line.push(b'\n');
            // An audit write failure must not fail the export; it is reported on stderr.
            if let Err(e) = f.write_all(&line) {
                eprintln!("exportkit: audit log: {e}");
            }
        }
    }
}

//! Snapshot and conversion metadata in SQLite (one file, WAL mode), so it survives restarts.

use crate::error::Result;
use crate::model::{Conversion, Counters, Snapshot, Status, User};
use crate::request::ExportRequest;
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project INTEGER NOT NULL,
    dialect TEXT NOT NULL DEFAULT 'label_studio',
    format TEXT NOT NULL DEFAULT 'JSON',
    records INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    md5 TEXT NOT NULL DEFAULT '',
    task_number INTEGER NOT NULL DEFAULT 0,
    annotation_number INTEGER NOT NULL DEFAULT 0,
    prediction_number INTEGER NOT NULL DEFAULT 0,
    file TEXT,
    file_size INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    request TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exports_project ON exports (project, dialect, created_at DESC);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    project INTEGER NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_project ON audit (project, id DESC);
CREATE TABLE IF NOT EXISTS conversions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    export_id INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    export_type TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    file TEXT,
    file_size INTEGER NOT NULL DEFAULT 0,
    download_resources INTEGER NOT NULL DEFAULT 0,
    implicit INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS conversions_export ON conversions (export_id);
";

/// The metadata store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

/// How a finished job ended, for [`Store::finish_snapshot`] and [`Store::finish_conversion`].
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Storage key of the file (success).
    pub file: Option<String>,
    /// File size.
    pub file_size: u64,
    /// Hex MD5 (snapshots).
    pub md5: String,
    /// Counts (snapshots).
    pub counters: Counters,
    /// Records in the file.
    pub records: u64,
    /// Failure reason (`None` on success).
    pub reason: Option<String>,
}

fn status_of(s: String) -> Status {
    Status::parse(&s).unwrap_or(Status::Failed)
}

fn snapshot_row(row: &Row<'_>) -> rusqlite::Result<Snapshot> {
    let created_by: Option<String> = row.get("created_by")?;
    let request: String = row.get("request")?;
    Ok(Snapshot {
        id: row.get::<_, i64>("id")? as u64,
        project: row.get::<_, i64>("project")? as u64,
        dialect: crate::model::Dialect::parse(&row.get::<_, String>("dialect")?)
            .unwrap_or_default(),
        format: row.get("format")?,
        records: row.get::<_, i64>("records")? as u64,
        title: row.get("title")?,
        created_by: created_by.and_then(|s| serde_json::from_str::<User>(&s).ok()),
        created_at: row.get("created_at")?,
        finished_at: row.get("finished_at")?,
        status: status_of(row.get("status")?),
        md5: row.get("md5")?,
        counters: Counters {
            task_number: row.get::<_, i64>("task_number")? as u64,
            annotation_number: row.get::<_, i64>("annotation_number")? as u64,
            prediction_number: row.get::<_, i64>("prediction_number")? as u64,
        },
        file: row.get("file")?,
        file_size: row.get::<_, i64>("file_size")? as u64,
        reason: row.get("reason")?,
        progress: None,
        request: serde_json::from_str(&request).unwrap_or_default(),
        converted_formats: Vec::new(),
    })
}

fn conversion_row(row: &Row<'_>) -> rusqlite::Result<Conversion> {
    Ok(Conversion {
        id: row.get::<_, i64>("id")? as u64,
        export_id: row.get::<_, i64>("export_id")? as u64,
        export_type: row.get("export_type")?,
        status: status_of(row.get("status")?),
        reason: row.get("reason")?,
        file: row.get("file")?,
        file_size: row.get::<_, i64>("file_size")? as u64,
        download_resources: row.get("download_resources")?,
        implicit: row.get("implicit")?,
        created_at: row.get("created_at")?,
        finished_at: row.get("finished_at")?,
        progress: None,
    })
}

impl Store {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&conn)?)
    }

    /// Marks work left unfinished by a previous process as failed ("interrupted"). Returns
    /// how many snapshots and conversions it changed.
    pub fn interrupt_unfinished(&self, now: i64) -> Result<usize> {
        self.with(|c| {
            let a = c.execute(
                "UPDATE exports SET status = 'failed', reason = 'interrupted: the service stopped while this export ran', finished_at = ?1 WHERE status IN ('created', 'in_progress')",
                params![now],
            )?;
            let b = c.execute(
                "UPDATE conversions SET status = 'failed', reason = 'interrupted: the service stopped while this conversion ran', finished_at = ?1 WHERE status IN ('created', 'in_progress')",
                params![now],
            )?;
            Ok(a + b)
        })
    }

    /// Records a new snapshot, `in_progress`. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_snapshot(
        &self,
        project: u64,
        dialect: crate::model::Dialect,
        format: &str,
        title: &str,
        created_by: Option<&User>,
        created_at: i64,
        request: &ExportRequest,
    ) -> Result<u64> {
        let user = created_by.and_then(|u| serde_json::to_string(u).ok());
        let request = serde_json::to_string(request).unwrap_or_else(|_| "{}".into());
        self.with(|c| {
            c.execute(
                "INSERT INTO exports (project, dialect, format, title, created_by, created_at, status, request) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'in_progress', ?7)",
                params![project as i64, dialect.as_str(), format, title, user, created_at, request],
            )?;
            Ok(c.last_insert_rowid() as u64)
        })
    }

    /// Records how a snapshot ended.
    pub fn finish_snapshot(&self, id: u64, status: Status, o: &Outcome, now: i64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE exports SET status = ?2, md5 = ?3, task_number = ?4, annotation_number = ?5, prediction_number = ?6, file = ?7, file_size = ?8, reason = ?9, finished_at = ?10, records = ?11 WHERE id = ?1",
                params![
                    id as i64,
                    status.as_str(),
                    o.md5,
                    o.counters.task_number as i64,
                    o.counters.annotation_number as i64,
                    o.counters.prediction_number as i64,
                    o.file,
                    o.file_size as i64,
                    o.reason,
                    now,
                    o.records as i64
                ],
            )?;
            Ok(())
        })
    }

    /// Any export by id, with its conversions.
    pub fn export(&self, id: u64) -> Result<Option<Snapshot>> {
        self.with(|c| {
            let s = c
                .query_row(
                    "SELECT * FROM exports WHERE id = ?1",
                    params![id as i64],
                    snapshot_row,
                )
                .optional()?;
            let Some(mut s) = s else { return Ok(None) };
            s.converted_formats = conversions_of(c, &[id])?;
            Ok(Some(s))
        })
    }

    /// How many exports of `dialect` the project has.
    pub fn count(&self, project: u64, dialect: crate::model::Dialect) -> Result<u64> {
        self.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM exports WHERE project = ?1 AND dialect = ?2",
                params![project as i64, dialect.as_str()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
    }

    /// Exports of `dialect` still running that were created before `cutoff` (µs).
    pub fn running_before(
        &self,
        dialect: crate::model::Dialect,
        cutoff: i64,
    ) -> Result<Vec<(u64, u64)>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT project, id FROM exports WHERE dialect = ?1 AND status IN ('created', 'in_progress') AND created_at < ?2",
            )?;
            stmt.query_map(params![dialect.as_str(), cutoff], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?
            .collect()
        })
    }

    /// Appends an audit entry (JSON) for `project`.
    pub fn audit(&self, at: i64, project: u64, event: &str) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (at, project, event) VALUES (?1, ?2, ?3)",
                params![at, project as i64, event],
            )?;
            Ok(())
        })
    }

    /// The project's audit entries, newest first.
    pub fn audit_log(&self, project: u64, limit: usize, offset: usize) -> Result<Vec<String>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT event FROM audit WHERE project = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            )?;
            stmt.query_map(params![project as i64, limit as i64, offset as i64], |r| {
                r.get(0)
            })?
            .collect()
        })
    }

    /// A snapshot of `project` with its conversions.
    pub fn snapshot(&self, project: u64, id: u64) -> Result<Option<Snapshot>> {
        self.with(|c| {
            let s = c
                .query_row(
                    "SELECT * FROM exports WHERE id = ?1 AND project = ?2",
                    params![id as i64, project as i64],
                    snapshot_row,
                )
                .optional()?;
            let Some(mut s) = s else { return Ok(None) };
            s.converted_formats = conversions_of(c, &[id])?;
            Ok(Some(s))
        })
    }

    /// The project's exports of `dialect`, newest first, `offset` skipped, at most `limit`,
    /// with their conversions.
    pub fn list(
        &self,
        project: u64,
        dialect: crate::model::Dialect,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Snapshot>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT * FROM exports WHERE project = ?1 AND dialect = ?2 ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
            )?;
            let mut list = stmt
                .query_map(
                    params![project as i64, dialect.as_str(), limit as i64, offset as i64],
                    snapshot_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let ids: Vec<u64> = list.iter().map(|s| s.id).collect();
            let mut convs = conversions_of(c, &ids)?;
            for s in &mut list {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    convs.into_iter().partition(|cv| cv.export_id == s.id);
                s.converted_formats = mine;
                convs = rest;
            }
            Ok(list)
        })
    }

    /// Resets a finished export to run again with `format` and `request`.
    pub fn reset(&self, id: u64, format: &str, request: &ExportRequest) -> Result<()> {
        let request = serde_json::to_string(request).unwrap_or_else(|_| "{}".into());
        self.with(|c| {
            c.execute(
                "UPDATE exports SET format = ?2, request = ?3, status = 'in_progress', md5 = '', file = NULL, file_size = 0, records = 0, reason = NULL, finished_at = NULL WHERE id = ?1",
                params![id as i64, format, request],
            )?;
            Ok(())
        })
    }

    /// Deletes a snapshot and its conversions' rows.
    pub fn delete_snapshot(&self, id: u64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM conversions WHERE export_id = ?1",
                params![id as i64],
            )?;
            c.execute("DELETE FROM exports WHERE id = ?1", params![id as i64])?;
            Ok(())
        })
    }

    /// Snapshots created before `cutoff` (µs), as `(project, id)`.
    pub fn created_before(&self, cutoff: i64) -> Result<Vec<(u64, u64)>> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT project, id FROM exports WHERE created_at < ?1 ORDER BY id")?;
            stmt.query_map(params![cutoff], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?
            .collect()
        })
    }

    /// The conversion of `export_id` into `export_type` that is not failed, if any.
    pub fn active_conversion(
        &self,
        export_id: u64,
        export_type: &str,
    ) -> Result<Option<Conversion>> {
        self.with(|c| {
            c.query_row(
                "SELECT * FROM conversions WHERE export_id = ?1 AND export_type = ?2 AND status != 'failed' ORDER BY id DESC LIMIT 1",
                params![export_id as i64, export_type],
                conversion_row,
            )
            .optional()
        })
    }

    /// A conversion by id.
    pub fn conversion(&self, id: u64) -> Result<Option<Conversion>> {
        self.with(|c| {
            c.query_row(
                "SELECT * FROM conversions WHERE id = ?1",
                params![id as i64],
                conversion_row,
            )
            .optional()
        })
    }

    /// Records a new conversion, `in_progress`. Returns its id. `implicit`: started by a
    /// download rather than asked for.
    pub fn insert_conversion(
        &self,
        export_id: u64,
        export_type: &str,
        download_resources: bool,
        implicit: bool,
        created_at: i64,
    ) -> Result<u64> {
        self.with(|c| {
            c.execute(
                "INSERT INTO conversions (export_id, export_type, status, download_resources, implicit, created_at) VALUES (?1, ?2, 'in_progress', ?3, ?4, ?5)",
                params![export_id as i64, export_type, download_resources, implicit, created_at],
            )?;
            Ok(c.last_insert_rowid() as u64)
        })
    }

    /// Marks a conversion as asked for (no longer implicit).
    pub fn claim_conversion(&self, id: u64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE conversions SET implicit = 0 WHERE id = ?1",
                params![id as i64],
            )?;
            Ok(())
        })
    }

    /// Records how a conversion ended.
    pub fn finish_conversion(&self, id: u64, status: Status, o: &Outcome, now: i64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE conversions SET status = ?2, file = ?3, file_size = ?4, reason = ?5, finished_at = ?6 WHERE id = ?1",
                params![id as i64, status.as_str(), o.file, o.file_size as i64, o.reason, now],
            )?;
            Ok(())
        })
    }
}

fn conversions_of(c: &Connection, ids: &[u64]) -> rusqlite::Result<Vec<Conversion>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
    let mut stmt = c.prepare(&format!(
        "SELECT * FROM conversions WHERE export_id IN ({list}) ORDER BY id"
    ))?;
    stmt.query_map([], conversion_row)?.collect()
}

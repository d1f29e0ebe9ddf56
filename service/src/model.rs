//! What the service stores about snapshots and conversions, as Label Studio names it.

use serde::{Deserialize, Serialize};

/// The status of a snapshot or a conversion, spelled as Label Studio spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded, not queued yet (the API never shows it: work is queued in the same call).
    Created,
    /// Queued or running.
    InProgress,
    /// Finished; the file can be downloaded.
    Completed,
    /// Finished without a file; see the reason.
    Failed,
}

impl Status {
    /// `created`, `in_progress`, `completed` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }

    /// Parses [`Status::as_str`]'s spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => Status::Created,
            "in_progress" => Status::InProgress,
            "completed" => Status::Completed,
            "failed" => Status::Failed,
            _ => return None,
        })
    }

    /// Whether the work is over (completed or failed).
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Failed)
    }
}

/// Which API an export belongs to: each lists only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// Label Studio snapshots (`/api/projects/{id}/exports`).
    #[default]
    LabelStudio,
    /// Antenna data exports (`/api/v2/exports`).
    Antenna,
    /// Flagsmith-style project exports (`/api/v1/projects/{id}/project-exports`).
    Flagsmith,
}

impl Dialect {
    /// `label_studio`, `antenna` or `flagsmith`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::LabelStudio => "label_studio",
            Dialect::Antenna => "antenna",
            Dialect::Flagsmith => "flagsmith",
        }
    }

    /// Parses [`Dialect::as_str`]'s spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "label_studio" => Dialect::LabelStudio,
            "antenna" => Dialect::Antenna,
            "flagsmith" => Dialect::Flagsmith,
            _ => return None,
        })
    }
}

/// A user as Label Studio's `UserSimple` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: u64,
    /// First name (may be empty).
    #[serde(default)]
    pub first_name: String,
    /// Last name (may be empty).
    #[serde(default)]
    pub last_name: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: Option<String>,
}

/// Counts of what a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Tasks written after every filter.
    pub task_number: u64,
    /// Annotations written.
    pub annotation_number: u64,
    /// Predictions written.
    pub prediction_number: u64,
}

/// Where running work is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobProgress {
    /// `queued`, `encoding`, `resources`, `writing`, `packaging`, `done`.
    pub stage: String,
    /// 0 to 100.
    pub percent: f64,
    /// Tasks written so far.
    #[serde(default)]
    pub done: u64,
}

/// One conversion of a snapshot into another format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// Conversion id (Label Studio's `converted_format`).
    pub id: u64,
    /// The snapshot converted.
    pub export_id: u64,
    /// Format name (`YOLO`).
    pub export_type: String,
    /// Status.
    pub status: Status,
    /// Why it failed.
    pub reason: Option<String>,
    /// Storage key of the converted file.
    pub file: Option<String>,
    /// Size of the converted file in bytes.
    pub file_size: u64,
    /// Whether media were downloaded into the output.
    pub download_resources: bool,
    /// Started by a download of a format not converted yet, not by a convert request.
    pub implicit: bool,
    /// When it was asked for (µs since the epoch).
    pub created_at: i64,
    /// When it finished (µs since the epoch).
    pub finished_at: Option<i64>,
    /// Live progress while it runs.
    pub progress: Option<JobProgress>,
}

/// One export snapshot (Label Studio's `Export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Snapshot id (`export_pk`).
    pub id: u64,
    /// Project id.
    pub project: u64,
    /// The API it belongs to.
    pub dialect: Dialect,
    /// The format of its file: `JSON` for a Label Studio snapshot, else a registry name.
    pub format: String,
    /// Records in the file (tasks for a snapshot; rows, occurrences, ... for other formats).
    pub records: u64,
    /// Title (defaults to `{project title}-at-{YYYY-MM-DD-HH-mm}`).
    pub title: String,
    /// Who asked for it.
    pub created_by: Option<User>,
    /// When it was asked for (µs since the epoch).
    pub created_at: i64,
    /// When it finished, successfully or not (µs since the epoch).
    pub finished_at: Option<i64>,
    /// Status.
    pub status: Status,
    /// Hex MD5 of the snapshot file (empty until completed).
    pub md5: String,
    /// What it holds.
    pub counters: Counters,
    /// Storage key of the snapshot file.
    pub file: Option<String>,
    /// Size of the snapshot file in bytes.
    pub file_size: u64,
    /// Why it failed.
    pub reason: Option<String>,
    /// Live progress while it runs.
    pub progress: Option<JobProgress>,
    /// The request it was made from (filters and serialization options).
    pub request: crate::ExportRequest,
    /// Conversions of this snapshot, oldest first.
    pub converted_formats: Vec<Conversion>,
}

impl Snapshot {
    /// The download name of its file (the last part of the storage key), else the Label
    /// Studio snapshot name.
    pub fn download_name(&self) -> String {
        match self.file.as_deref().and_then(|f| f.rsplit('/').next()) {
            Some(name) if self.dialect != Dialect::LabelStudio => name.to_owned(),
            _ => self.file_name(),
        }
    }

    /// The Label Studio snapshot name: `project-{pid}-at-{YYYY-MM-DD-HH-MM}-{md5[:8]}.json`.
    pub fn file_name(&self) -> String {
        format!(
            "project-{}-at-{}-{}.json",
            self.project,
            exportkit_core::time::file_stamp(self.created_at),
            self.md5.get(..8).unwrap_or(&self.md5)
        )
    }
}

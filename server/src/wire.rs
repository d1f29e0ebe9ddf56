//! Label Studio's JSON shapes (`ls-export-api.md` §2.1, §9.2), with keys in its order.

use exportkit_core::time::iso_micros;
use exportkit_service::{Conversion, Counters, JobProgress, Snapshot, User};
use serde::Serialize;

/// `UserSimple`.
#[derive(Debug, Serialize)]
pub struct UserOut<'a> {
    id: u64,
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    avatar: Option<&'a str>,
}

impl<'a> From<&'a User> for UserOut<'a> {
    fn from(u: &'a User) -> Self {
        UserOut {
            id: u.id,
            first_name: &u.first_name,
            last_name: &u.last_name,
            email: &u.email,
            avatar: u.avatar.as_deref(),
        }
    }
}

/// One `converted_formats` item (+ exportkit's `progress`, `file_size` and `finished_at`).
#[derive(Debug, Serialize)]
pub struct ConversionOut<'a> {
    id: u64,
    status: &'static str,
    export_type: &'a str,
    traceback: Option<&'a str>,
    finished_at: Option<String>,
    file_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<&'a JobProgress>,
}

impl<'a> From<&'a Conversion> for ConversionOut<'a> {
    fn from(c: &'a Conversion) -> Self {
        ConversionOut {
            id: c.id,
            status: c.status.as_str(),
            export_type: &c.export_type,
            traceback: c.reason.as_deref(),
            finished_at: c.finished_at.map(iso_micros),
            file_size: c.file_size,
            progress: c.progress.as_ref(),
        }
    }
}

/// `Export`, keys in Label Studio's order, then exportkit's extras (`file_size`,
/// `progress` while running, `reason` when failed).
#[derive(Debug, Serialize)]
pub struct SnapshotOut<'a> {
    title: &'a str,
    id: u64,
    created_by: Option<UserOut<'a>>,
    created_at: String,
    finished_at: Option<String>,
    status: &'static str,
    md5: &'a str,
    counters: &'a Counters,
    converted_formats: Vec<ConversionOut<'a>>,
    file_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<&'a JobProgress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl<'a> From<&'a Snapshot> for SnapshotOut<'a> {
    fn from(s: &'a Snapshot) -> Self {
        SnapshotOut {
            title: &s.title,
            id: s.id,
            created_by: s.created_by.as_ref().map(UserOut::from),
            created_at: iso_micros(s.created_at),
            finished_at: s.finished_at.map(iso_micros),
            status: s.status.as_str(),
            md5: &s.md5,
            counters: &s.counters,
            converted_formats: s
                .converted_formats
                .iter()
                .map(ConversionOut::from)
                .collect(),
            file_size: s.file_size,
            progress: s.progress.as_ref(),
            reason: s.reason.as_deref(),
        }
    }
}

/// The create response: the snapshot plus the three option keys, echoed as `null` like
/// Label Studio does.
#[derive(Debug, Serialize)]
pub struct CreatedOut<'a> {
    #[serde(flatten)]
    snapshot: SnapshotOut<'a>,
    task_filter_options: Option<()>,
    annotation_filter_options: Option<()>,
    serialization_options: Option<()>,
}

impl<'a> From<&'a Snapshot> for CreatedOut<'a> {
    fn from(s: &'a Snapshot) -> Self {
        CreatedOut {
            snapshot: s.into(),
            task_filter_options: None,
            annotation_filter_options: None,
            serialization_options: None,
        }
    }
}

//! Project imports: a PROJECT document validated in full (size, schema, references) before
//! anything is written, then handed to the task source with a strategy; one import per
//! project at a time.

use crate::audit::{AuditEvent, AuditKind};
use crate::model::{Dialect, User};
use crate::work::Inner;
use crate::{Result, ServiceError};
use exportkit_core::time::now_micros;
use exportkit_project::import::{ImportOptions, UnknownUsers, plan, write_dir};
use serde::Serialize;

/// How an import treats the project's existing tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStrategy {
    /// Keep existing tasks; add the imported tasks whose data is not there yet; keep the label
    /// config and project settings when the project has them.
    Skip,
    /// Replace the project's tasks, label config and settings with the document's.
    OverwriteDestructive,
}

impl ImportStrategy {
    /// `SKIP` or `OVERWRITE_DESTRUCTIVE` (Flagsmith's spelling).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SKIP" => Some(ImportStrategy::Skip),
            "OVERWRITE_DESTRUCTIVE" => Some(ImportStrategy::OverwriteDestructive),
            _ => None,
        }
    }

    /// `Skip` or `Overwrite Destructive`, for messages.
    pub fn label(self) -> &'static str {
        match self {
            ImportStrategy::Skip => "Skip",
            ImportStrategy::OverwriteDestructive => "Overwrite Destructive",
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportSummary {
    /// Tasks added.
    pub tasks_created: u64,
    /// Imported tasks left out because the project already had their data (Skip).
    pub tasks_skipped: u64,
    /// Tasks removed (Overwrite Destructive).
    pub tasks_deleted: u64,
    /// Annotations added.
    pub annotations_created: u64,
    /// Whether the label config was written.
    pub label_config_updated: bool,
}

impl ImportSummary {
    /// `created 5 tasks, 9 annotations` (Flagsmith's audit wording).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "created {} tasks, {} annotations",
            self.tasks_created, self.annotations_created
        );
        if self.tasks_skipped > 0 {
            s.push_str(&format!(", skipped {} existing tasks", self.tasks_skipped));
        }
        if self.tasks_deleted > 0 {
            s.push_str(&format!(", deleted {} tasks", self.tasks_deleted));
        }
        s
    }
}

/// Releases the project's import slot when dropped.
struct Slot<'a> {
    inner: &'a Inner,
    project: u64,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.inner
            .importing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.project);
    }
}

fn event(project: u64, kind: AuditKind, user: Option<&User>, detail: String) -> AuditEvent {
    AuditEvent {
        kind,
        at: now_micros(),
        dialect: Dialect::Flagsmith,
        project,
        export_id: 0,
        export_type: Some("PROJECT_IMPORT".into()),
        user: user.map(|u| u.id),
        detail,
    }
}

impl Inner {
    pub(crate) fn import_project(
        &self,
        project: u64,
        document: &[u8],
        strategy: ImportStrategy,
        max_bytes: u64,
        user: Option<&User>,
    ) -> Result<ImportSummary> {
        if !self
            .importing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(project)
        {
            return Err(ServiceError::Conflict(format!(
                "Unable to import into project {project} since it is already processing a project import."
            )));
        }
        let _slot = Slot {
            inner: self,
            project,
        };
        self.record_audit(&event(
            project,
            AuditKind::Requested,
            user,
            strategy.label().to_owned(),
        ));
        let result = (|| {
            let opts = ImportOptions {
                max_bytes,
                unknown_users: UnknownUsers::Keep,
                id_base: self.source().next_task_id(project)?,
            };
            let plan = plan(document, &opts)?;
            let scratch = self.storage_scratch()?;
            let dir = scratch.path().join("import");
            write_dir(&plan, &dir)?;
            Ok::<_, ServiceError>(self.source().import(project, &dir, strategy)?)
        })();
        match &result {
            Ok(summary) => self.record_audit(&event(
                project,
                AuditKind::Completed,
                user,
                summary.describe(),
            )),
            Err(e) => self.record_audit(&event(project, AuditKind::Failed, user, e.to_string())),
        }
        result
    }
}

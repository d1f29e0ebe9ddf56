//! The parallel half: tasks → occurrence rows (CSV) or elements (JSON), with the place where
//! each one's event name goes marked for the writer.

use super::Kind;
use super::links::Links;
use super::record::{Project, Record};
use super::{csv, json};
use crate::datetime::DateTime;
use crate::extract::{Source, missing_taxa};
use crate::options::Mapping;
use crate::taxonomy::Taxonomy;
use exportkit_core::exporter::Warning;
use exportkit_core::task::Schema;
use exportkit_core::{Batch, BatchEncoder, ExportContext, Fragment, LabelConfig, Result};
use std::sync::Arc;

/// What one task tells the writer about its event.
#[derive(Debug)]
pub struct TaskEvent {
    /// Task index, for errors.
    pub task_index: u64,
    /// Task id as written, for errors.
    pub task_id: Option<String>,
    /// The id part used in occurrence ids (must be unique).
    pub task_key: String,
    /// The event: deployment (or `unknown`) and night.
    pub event: (String, i64),
    /// Capture time.
    pub at: DateTime,
}

/// What a batch hands the writer besides the bytes.
#[derive(Debug, Default)]
pub struct Payload {
    /// One per task that produced occurrences, in input order.
    pub tasks: Vec<TaskEvent>,
    /// `(offset in the fragment's bytes, index in tasks)` of every event-name slot.
    pub marks: Vec<(usize, usize)>,
    /// Labels absent from the taxonomy, with the first task that used them.
    pub missing_taxa: Vec<(String, Warning)>,
}

/// Encodes batches.
#[derive(Debug)]
pub struct Encoder {
    /// CSV or JSON.
    pub kind: Kind,
    /// The mapping.
    pub mapping: Arc<Mapping>,
    /// The taxonomy (may be empty).
    pub taxonomy: Arc<Taxonomy>,
    /// Stable project id (escaped).
    pub project: String,
    /// Dataset title.
    pub project_name: String,
    /// Label Studio host for relative media URLs.
    pub hostname: Option<String>,
    /// The label config.
    pub config: Option<Arc<LabelConfig>>,
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(self.config.as_deref());
        let source = Source {
            mapping: &self.mapping,
            project: &self.project,
            hostname: self.hostname.as_deref(),
        };
        let project = Project {
            id: &self.project,
            name: &self.project_name,
            taxonomy: &self.taxonomy,
        };
        let mut frag = Fragment::default();
        let mut pay = Payload::default();
        for rec in batch.tasks {
            let Some(t) = source.task(rec, &schema, ctx, &mut frag.warnings)? else {
                continue;
            };
            pay.missing_taxa
                .extend(missing_taxa(&self.taxonomy, rec, &t.occ));
            let links = Links::parse(&rec.task, ctx.options.predictions);
            let task_no = pay.tasks.len();
            for (n, o) in t.occ.iter().enumerate() {
                let r = Record::new(&t, n, o, &links, &project, rec.task.id);
                let mark = match self.kind {
                    Kind::Csv => csv::row(&mut frag.bytes, &r),
                    Kind::Json => {
                        if !frag.bytes.is_empty() {
                            frag.bytes.extend_from_slice(b",\n");
                        }
                        json::element(&mut frag.bytes, &r)
                    }
                };
                pay.marks.push((mark, task_no));
                frag.records += 1;
            }
            pay.tasks.push(TaskEvent {
                task_index: rec.index,
                task_id: rec.id_text(),
                task_key: t.task_key.clone(),
                event: (t.deployment_key().to_owned(), t.night),
                at: t.at.at,
            });
        }
        frag.payload = Some(Box::new(pay));
        Ok(frag)
    }
}

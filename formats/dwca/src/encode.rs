//! The parallel half: tasks → occurrence rows (bytes) and per-task event contributions.

use crate::columns::MULTIMEDIA;
use crate::datetime::{self, DateTime};
use crate::extract::{Source, missing_taxa, stamp};
use crate::options::Mapping;
use crate::taxonomy::Taxonomy;
use crate::tsv;
use exportkit_core::exporter::Warning;
use exportkit_core::task::Schema;
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Fragment, LabelConfig, Result, TaskRecord,
};
use std::sync::Arc;

/// What one task adds to its event.
#[derive(Debug, Clone)]
pub struct Contribution {
    /// Task index, for warnings.
    pub task_index: u64,
    /// Task id as written, for messages.
    pub task_id: Option<String>,
    /// The id part used in occurrence ids (unique per task).
    pub task_key: String,
    /// Deployment.
    pub deployment: String,
    /// Night date (days since 1970).
    pub night: i64,
    /// Capture time.
    pub at: DateTime,
    /// Coordinates, when the task has both.
    pub coords: Option<(f64, f64)>,
    /// Newest `modified` of the task's occurrences.
    pub modified: String,
}

/// What a batch hands the writer besides the occurrence rows.
#[derive(Debug, Default)]
pub struct Payload {
    /// One per task that produced occurrences, in input order.
    pub tasks: Vec<Contribution>,
    /// multimedia.txt rows.
    pub multimedia: Vec<u8>,
    /// Labels absent from the taxonomy, with the first task that used them.
    pub missing_taxa: Vec<(String, Warning)>,
}

/// Encodes batches.
#[derive(Debug)]
pub struct Encoder {
    /// The mapping.
    pub mapping: Arc<Mapping>,
    /// The taxonomy (may be empty).
    pub taxonomy: Arc<Taxonomy>,
    /// Stable project id (already escaped for ids).
    pub project: String,
    /// Licence URL for multimedia rows.
    pub license: &'static str,
    /// Label Studio host for relative media URLs.
    pub hostname: Option<String>,
    /// The label config.
    pub config: Option<Arc<LabelConfig>>,
}

/// A number as a plain decimal with up to 6 places (`12.5`, `-0.000001`, never `1e-05`).
pub fn decimal(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

fn mime(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "tif" | "tiff" => "image/tiff",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        _ => "",
    }
}

impl Encoder {
    fn task(
        &self,
        rec: &TaskRecord<'_>,
        schema: &Schema<'_>,
        ctx: &ExportContext,
        frag: &mut Fragment,
        pay: &mut Payload,
    ) -> Result<()> {
        let source = Source {
            mapping: &self.mapping,
            project: &self.project,
            hostname: self.hostname.as_deref(),
        };
        let Some(t) = source.task(rec, schema, ctx, &mut frag.warnings)? else {
            return Ok(());
        };
        if t.coords.is_none() {
            frag.warnings.push(Warning::new(
                rec,
                "no valid coordinates: decimalLatitude/decimalLongitude left empty",
            ));
        }
        let m = &self.mapping;
        let image = if m.multimedia { t.image.as_ref() } else { None };
        pay.missing_taxa
            .extend(missing_taxa(&self.taxonomy, rec, &t.occ));
        let mut newest = String::new();
        for (n, o) in t.occ.iter().enumerate() {
            let (label, ann) = (&o.label, o.ann);
            let occ_id = t.occurrence_id(n);
            let taxon = self.taxonomy.get(label);
            let created = stamp(ann.created_at)
                .map(|s| datetime::iso(&s))
                .unwrap_or_default();
            let modified = stamp(ann.updated_at)
                .map(|s| datetime::iso(&s))
                .unwrap_or_else(|| created.clone());
            if modified > newest {
                newest.clone_from(&modified);
            }
            let by = match ann.completed_by.map(|v| v.get()) {
                Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() => {
                    format!("user:{v}")
                }
                _ => String::new(),
            };
            let (sci, rank, h, epi) = match taxon {
                Some(t) => (
                    t.scientific_name.as_str(),
                    t.rank.as_str(),
                    t.higher.each_ref().map(String::as_str),
                    t.specific_epithet.as_str(),
                ),
                None => (label.as_str(), "", [""; 6], ""),
            };
            let vernacular = if taxon.is_some() && sci != label {
                label.as_str()
            } else {
                ""
            };
            tsv::row(
                &mut frag.bytes,
                &[
                    &t.event,
                    &occ_id,
                    &m.basis_of_record,
                    "present",
                    sci,
                    rank,
                    h[0],
                    h[1],
                    h[2],
                    h[3],
                    h[4],
                    h[5],
                    epi,
                    vernacular,
                    "",
                    "1",
                    &by,
                    &created,
                    "verified",
                    &modified,
                ],
            );
            frag.records += 1;
            if let Some(url) = image {
                tsv::row(
                    &mut pay.multimedia,
                    &[
                        &t.event,
                        &occ_id,
                        "StillImage",
                        mime(url),
                        url,
                        self.license,
                    ],
                );
            }
        }
        debug_assert_eq!(MULTIMEDIA.columns.len(), 6);
        pay.tasks.push(Contribution {
            task_index: rec.index,
            task_id: rec.id_text(),
            task_key: t.task_key,
            deployment: t.deployment.unwrap_or_else(|| "unknown".to_owned()),
            night: t.night,
            at: t.at.at,
            coords: t.coords,
            modified: newest,
        });
        Ok(())
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(self.config.as_deref());
        let mut frag = Fragment::default();
        let mut pay = Payload::default();
        for rec in batch.tasks {
            self.task(rec, &schema, ctx, &mut frag, &mut pay)?;
        }
        frag.payload = Some(Box::new(pay));
        Ok(frag)
    }
}

//! The parallel half: tasks → occurrence rows (bytes) and per-task event contributions.

use crate::columns::MULTIMEDIA;
use crate::datetime::{self, DateTime, Stamp};
use crate::options::Mapping;
use crate::taxonomy::Taxonomy;
use crate::tsv;
use exportkit_core::exporter::Warning;
use exportkit_core::model::{self, RawObject};
use exportkit_core::task::{Schema, pick_items};
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Fragment, LabelConfig, Result, TaskRecord,
};
use serde_json::value::RawValue;
use std::borrow::Cow;
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

/// An id component: unreserved characters kept, everything else percent-encoded, so ids hold
/// no whitespace or `:` of their own.
pub fn id_part(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The event id of a deployment's night.
pub fn event_id(project: &str, deployment: &str, night: i64) -> String {
    format!(
        "urn:exportkit:{project}:event:{}:{}",
        id_part(deployment),
        datetime::date(night)
    )
}

/// The value at a dotted path in `task.data`.
fn lookup<'a>(data: &RawObject<'a>, path: &str) -> Option<&'a RawValue> {
    let mut parts = path.split('.');
    let mut cur = data.get(parts.next()?)?;
    for p in parts {
        cur = RawObject::parse(cur).ok()?.get(p)?;
    }
    (cur.get() != "null").then_some(cur)
}

fn first<'a>(data: &RawObject<'a>, keys: &crate::options::Keys) -> Option<(&'a RawValue, String)> {
    keys.list()
        .into_iter()
        .find_map(|k| lookup(data, k).map(|v| (v, k.to_owned())))
}

fn text(v: &RawValue) -> Cow<'_, str> {
    model::as_str(v).unwrap_or(Cow::Borrowed(v.get()))
}

fn number(v: &RawValue) -> Option<f64> {
    model::as_f64(v).or_else(|| model::as_str(v).and_then(|s| s.trim().parse().ok()))
}

fn stamp(v: Option<&RawValue>) -> Option<Stamp> {
    v.and_then(model::as_str).and_then(|s| datetime::parse(&s))
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

/// The labels a region carries: its `<kind>` list (`rectanglelabels`, `choices`, ...); for
/// `taxonomy` the last element of each chosen path.
fn region_labels(kind: &str, value: &RawObject<'_>) -> Vec<String> {
    let Some(raw) = value.get(kind) else {
        return Vec::new();
    };
    if kind == "taxonomy" {
        let paths: Vec<Vec<String>> = serde_json::from_str(raw.get()).unwrap_or_default();
        return paths.into_iter().filter_map(|mut p| p.pop()).collect();
    }
    serde_json::from_str(raw.get()).unwrap_or_default()
}

fn is_label_kind(kind: &str) -> bool {
    kind.ends_with("labels") || kind == "choices" || kind == "taxonomy"
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
        let items = pick_items(rec, rec.items(schema)?, ctx.options.pick);
        // (label, annotation) pairs, in annotation and result order.
        let mut occ = Vec::new();
        for item in &items {
            let Some(ann) = item.annotation else { continue };
            for g in &item.outputs {
                for r in &g.regions {
                    let kind = r.kind.as_deref().unwrap_or("").to_ascii_lowercase();
                    if !is_label_kind(&kind) {
                        continue;
                    }
                    let Some(value) = &r.value else { continue };
                    for l in region_labels(&kind, value) {
                        if !self.mapping.ignore_labels.contains(&l) {
                            occ.push((l, ann));
                        }
                    }
                }
            }
        }
        if occ.is_empty() {
            return Ok(());
        }
        let empty = RawObject::default();
        let data = rec.task.data.as_ref().unwrap_or(&empty);
        let m = &self.mapping;
        let at = match first(data, &m.timestamp) {
            None => {
                return Err(rec.error(format!(
                    "no capture time: none of data.{} is set",
                    m.timestamp.list().join(", data.")
                )));
            }
            Some((v, key)) => {
                let parsed = match model::as_f64(v) {
                    Some(n) => datetime::from_unix(n),
                    None => model::as_str(v).and_then(|s| datetime::parse(&s)),
                };
                parsed.ok_or_else(|| {
                    rec.error(format!(
                        "bad capture date {} in data.{key}: expected ISO 8601 (YYYY-MM-DDThh:mm:ss) or Unix seconds",
                        v.get()
                    ))
                })?
            }
        };
        let deployment = match first(data, &m.deployment) {
            Some((v, _)) => text(v).trim().to_owned(),
            None => String::new(),
        };
        let deployment = if deployment.is_empty() {
            frag.warnings.push(Warning::new(
                rec,
                format!(
                    "no deployment (data.{}): grouped under \"unknown\"",
                    m.deployment.list().join(", data.")
                ),
            ));
            "unknown".to_owned()
        } else {
            deployment
        };
        let lat = first(data, &m.latitude).and_then(|(v, _)| number(v));
        let lon = first(data, &m.longitude).and_then(|(v, _)| number(v));
        let coords = match (lat, lon) {
            (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => {
                Some((a, o))
            }
            _ => {
                frag.warnings.push(Warning::new(
                    rec,
                    "no valid coordinates: decimalLatitude/decimalLongitude left empty",
                ));
                None
            }
        };
        let night = at.at.night(m.night_starts_at_hour);
        let event = event_id(&self.project, &deployment, night);
        let task_key = match rec.task.id {
            Some(id) => id_part(&text(id)),
            None => format!("index-{}", rec.index),
        };
        let image = if m.multimedia {
            first(data, &m.image)
                .and_then(|(v, _)| model::as_str(v))
                .and_then(|u| {
                    let u = u.trim();
                    if u.starts_with("http://") || u.starts_with("https://") {
                        Some(u.to_owned())
                    } else if u.starts_with('/') {
                        self.hostname
                            .as_ref()
                            .map(|h| format!("{}{u}", h.trim_end_matches('/')))
                    } else {
                        None
                    }
                })
        } else {
            None
        };
        let mut newest = String::new();
        let mut seen_missing: Vec<&str> = Vec::new();
        for (n, (label, ann)) in occ.iter().enumerate() {
            let occ_id = format!(
                "urn:exportkit:{}:occurrence:{task_key}:{}",
                self.project,
                n + 1
            );
            let taxon = self.taxonomy.get(label);
            if taxon.is_none()
                && !self.taxonomy.is_empty()
                && !seen_missing.contains(&label.as_str())
            {
                seen_missing.push(label);
                pay.missing_taxa.push((
                    label.clone(),
                    Warning::new(
                        rec,
                        format!("label {label:?} is not in the taxonomy: scientificName = label"),
                    ),
                ));
            }
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
                    &event,
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
            if let Some(url) = &image {
                tsv::row(
                    &mut pay.multimedia,
                    &[&event, &occ_id, "StillImage", mime(url), url, self.license],
                );
            }
        }
        debug_assert_eq!(MULTIMEDIA.columns.len(), 6);
        pay.tasks.push(Contribution {
            task_index: rec.index,
            task_id: rec.id_text(),
            task_key,
            deployment,
            night,
            at: at.at,
            coords,
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

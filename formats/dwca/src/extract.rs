//! The task → occurrences rule shared by `DWCA` and the occurrence formats: which labels of
//! which regions become occurrences, their ids, and the task values the mapping picks (capture
//! time, deployment, coordinates, image).

use crate::datetime::{self, Stamp};
use crate::options::{Keys, Mapping};
use crate::taxonomy::Taxonomy;
use exportkit_core::exporter::Warning;
use exportkit_core::model::{self, Annotation, RawObject, Region};
use exportkit_core::task::{Schema, pick_items};
use exportkit_core::{ExportContext, Result, TaskRecord};
use serde_json::value::RawValue;
use std::borrow::Cow;

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

/// The location id of a deployment (DwC `locationID`).
pub fn location_id(project: &str, deployment: &str) -> String {
    format!("urn:exportkit:{project}:location:{}", id_part(deployment))
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

fn first<'a>(data: &RawObject<'a>, keys: &Keys) -> Option<(&'a RawValue, String)> {
    keys.list()
        .into_iter()
        .find_map(|k| lookup(data, k).map(|v| (v, k.to_owned())))
}

/// A raw value as text: a string's content, anything else as written.
pub fn text(v: &RawValue) -> Cow<'_, str> {
    model::as_str(v).unwrap_or(Cow::Borrowed(v.get()))
}

fn number(v: &RawValue) -> Option<f64> {
    model::as_f64(v).or_else(|| model::as_str(v).and_then(|s| s.trim().parse().ok()))
}

/// A raw ISO 8601 string as a timestamp.
pub fn stamp(v: Option<&RawValue>) -> Option<Stamp> {
    v.and_then(model::as_str).and_then(|s| datetime::parse(&s))
}

/// The labels a region carries: its `<kind>` list (`rectanglelabels`, `choices`, ...); for
/// `taxonomy` the last element of each chosen path.
pub fn region_labels(kind: &str, value: &RawObject<'_>) -> Vec<String> {
    let Some(raw) = value.get(kind) else {
        return Vec::new();
    };
    if kind == "taxonomy" {
        let paths: Vec<Vec<String>> = serde_json::from_str(raw.get()).unwrap_or_default();
        return paths.into_iter().filter_map(|mut p| p.pop()).collect();
    }
    serde_json::from_str(raw.get()).unwrap_or_default()
}

/// Whether a result type carries labels that become occurrences.
pub fn is_label_kind(kind: &str) -> bool {
    kind.ends_with("labels") || kind == "choices" || kind == "taxonomy"
}

/// One occurrence: one label of one labeled region of a human annotation.
#[derive(Debug)]
pub struct Occ<'t, 'a> {
    /// The label as written.
    pub label: String,
    /// The annotation it comes from.
    pub ann: &'t Annotation<'a>,
    /// The region it comes from.
    pub region: &'t Region<'a>,
}

/// A task's occurrences and the values they share.
#[derive(Debug)]
pub struct TaskOccs<'t, 'a> {
    /// The occurrences, in annotation and result order; occurrence `n` (0-based) has id
    /// [`TaskOccs::occurrence_id`]`(n)`.
    pub occ: Vec<Occ<'t, 'a>>,
    /// Capture time.
    pub at: Stamp,
    /// The deployment as written; `None` when the task has none (its event is `unknown`'s).
    pub deployment: Option<String>,
    /// Night date (days since 1970).
    pub night: i64,
    /// The event id.
    pub event: String,
    /// Coordinates, when the task has both and they are in range.
    pub coords: Option<(f64, f64)>,
    /// The id part used in occurrence ids (unique per task).
    pub task_key: String,
    /// The image as an absolute http(s) URL (a `/...` path joined to the hostname), if any.
    pub image: Option<String>,
    /// Stable project id (escaped), as in every id.
    pub project: String,
}

impl TaskOccs<'_, '_> {
    /// The deployment events are grouped by (`unknown` when the task has none).
    pub fn deployment_key(&self) -> &str {
        self.deployment.as_deref().unwrap_or("unknown")
    }

    /// The id of occurrence `n` (0-based).
    pub fn occurrence_id(&self, n: usize) -> String {
        format!(
            "urn:exportkit:{}:occurrence:{}:{}",
            self.project,
            self.task_key,
            n + 1
        )
    }
}

/// What every occurrence-producing format reads besides the task.
#[derive(Debug)]
pub struct Source<'s> {
    /// The mapping.
    pub mapping: &'s Mapping,
    /// Stable project id (escaped).
    pub project: &'s str,
    /// Label Studio host for relative media URLs.
    pub hostname: Option<&'s str>,
}

impl Source<'_> {
    /// The task's occurrences (`None` when it has none). A missing or bad capture time is an
    /// error naming the task; a missing deployment is a warning.
    pub fn task<'t, 'a>(
        &self,
        rec: &'t TaskRecord<'a>,
        schema: &Schema<'t>,
        ctx: &ExportContext,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<TaskOccs<'t, 'a>>> {
        let m = self.mapping;
        let items = pick_items(rec, rec.items(schema)?, ctx.options.pick);
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
                    for label in region_labels(&kind, value) {
                        if !m.ignore_labels.contains(&label) {
                            occ.push(Occ {
                                label,
                                ann,
                                region: r,
                            });
                        }
                    }
                }
            }
        }
        if occ.is_empty() {
            return Ok(None);
        }
        let empty = RawObject::default();
        let data = rec.task.data.as_ref().unwrap_or(&empty);
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
        let deployment = first(data, &m.deployment)
            .map(|(v, _)| text(v).trim().to_owned())
            .filter(|d| !d.is_empty());
        if deployment.is_none() {
            warnings.push(Warning::new(
                rec,
                format!(
                    "no deployment (data.{}): grouped under \"unknown\"",
                    m.deployment.list().join(", data.")
                ),
            ));
        }
        let lat = first(data, &m.latitude).and_then(|(v, _)| number(v));
        let lon = first(data, &m.longitude).and_then(|(v, _)| number(v));
        let coords = match (lat, lon) {
            (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => {
                Some((a, o))
            }
            _ => None,
        };
        let night = at.at.night(m.night_starts_at_hour);
        let event = event_id(
            self.project,
            deployment.as_deref().unwrap_or("unknown"),
            night,
        );
        let task_key = match rec.task.id {
            Some(id) => id_part(&text(id)),
            None => format!("index-{}", rec.index),
        };
        let image = first(data, &m.image)
            .and_then(|(v, _)| model::as_str(v))
            .and_then(|u| self.absolute_url(u.trim()));
        Ok(Some(TaskOccs {
            occ,
            at,
            deployment,
            night,
            event,
            coords,
            task_key,
            image,
            project: self.project.to_owned(),
        }))
    }

    fn absolute_url(&self, u: &str) -> Option<String> {
        if u.starts_with("http://") || u.starts_with("https://") {
            Some(u.to_owned())
        } else if u.starts_with('/') {
            self.hostname
                .map(|h| format!("{}{u}", h.trim_end_matches('/')))
        } else {
            None
        }
    }
}

/// Labels of `occ` absent from a non-empty taxonomy, each once per task, with a warning.
pub fn missing_taxa(
    taxonomy: &Taxonomy,
    rec: &TaskRecord<'_>,
    occ: &[Occ<'_, '_>],
) -> Vec<(String, Warning)> {
    let mut out: Vec<(String, Warning)> = Vec::new();
    if taxonomy.is_empty() {
        return out;
    }
    for o in occ {
        let label = &o.label;
        if taxonomy.get(label).is_none() && !out.iter().any(|(l, _)| l == label) {
            out.push((
                label.clone(),
                Warning::new(
                    rec,
                    format!("label {label:?} is not in the taxonomy: scientificName = label"),
                ),
            ));
        }
    }
    out
}

//! `OCCURRENCES_SIMPLE_CSV` and `OCCURRENCES_API_JSON`: Antenna's two occurrence exports
//! (`occurrences_simple_csv`, `occurrences_api_json`), built on the `DWCA` rules.
//!
//! The occurrences are exactly `DWCA`'s: one per label of each labeled region (or chosen
//! class) of the exported annotations, the same `--mapping`, `--taxonomy`, `--metadata` and
//! `--set` options, the same ids (`id` = `occurrenceID`, the event = `eventID`), the same
//! errors (no or bad capture time, a task id twice) and warnings (no deployment, a label
//! missing from the taxonomy), and output identical for any thread count.
//!
//! - `occurrences.csv`: Antenna's 28 columns; Python `csv` excel dialect (comma, `"` only when
//!   needed, `\r\n`, UTF-8 without BOM, one header row); values spelled as Python's `str()`
//!   (`True`, `80.0`, `2024-06-15 21:10:00`, `[80.0, 120.0, 320.0, 360.0]`); missing → empty.
//! - `occurrences.json`: one JSON array, elements joined by `,\n`, each Antenna's occurrence
//!   detail shape as `json.dumps` writes it (ASCII, `", "`/`": "`); missing → `null`. (Antenna
//!   itself writes `,\n` only between batches of 100.)
//!
//! Where each value comes from (CSV column, and its JSON counterpart):
//!
//! | CSV column | JSON | filled from |
//! |---|---|---|
//! | `id` | `id`, `detections[].occurrence` | the DWCA `occurrenceID` `urn:exportkit:<project>:occurrence:<task>:<n>` |
//! | `event_id` | `event.id` | the DWCA `eventID` (deployment × night) |
//! | `event_name` | `event.name`, `event.date_label` | the event's first and last captures, as Antenna names events: `Saturday, Jun 15-16 2024` (label `Jun 15-16 2024`; across months `Jun 30-Jul 1 2024`) |
//! | `deployment_id`, `deployment_name` | `deployment{id,name}` | the DWCA `locationID` `urn:exportkit:<project>:location:<deployment>` and the mapping's deployment value; empty/`null` when the task has none |
//! | `project_id` | — | `--set project=` (escaped as in ids; `project` by default) |
//! | `project_name` | — | the dataset title (`--set title=`, `--metadata`; default `<project> camera-trap occurrences`, = DWCA `datasetName`) |
//! | `determination_id` | `determination.id`, `determination_id` | always empty: Label Studio and the taxonomy CSV have no taxon ids |
//! | `determination_name` | `determination.name` | the taxonomy's `scientificName` for the label, else the label |
//! | — | `determination.rank`, `.parent`, `.parents` | the taxonomy's `taxonRank` (upper case) and its kingdom … genus above that rank; `null`/`[]` without a taxonomy entry |
//! | `determination_score` | `determination_score`, `determination_details.score` | the annotation result's `score`, if present |
//! | `verification_status` | `identifications`, `determination_details.identification` | always `True`: occurrences come from human annotations only (the annotation is the identification) |
//! | `best_machine_prediction_name`, `_algorithm`, `_score` | `best_machine_prediction{taxon,algorithm,score}`, `predictions[]`, `detections[].classifications[]` | the task's predictions (unless `--no-predictions`) with a result for the same region (same control and region id; for `choices`/`taxonomy` the same control): its label through the taxonomy, the prediction's `model_version`, the result's `score` else the prediction's; the best is the highest score |
//! | `verified_by` | `identifications[].user{id,name}` | the annotator: the e-mail of an expanded `completed_by`, else `user:<id>` |
//! | `participant_count` | — | always `1` (one annotation per occurrence) |
//! | `agreed_with_algorithm` | — | `model_version` of the annotation's `parent_prediction` when that prediction gave the region the same label |
//! | `agreed_with_user` | — | the author (as `verified_by`) of the annotation's `parent_annotation` when it gave the region the same label |
//! | `determination_matches_machine_prediction` | — | determination name = best prediction's name; empty without a prediction |
//! | `detections_count` | `detections_count` | always `1` (one region per occurrence; nothing is merged) |
//! | `first_appearance_timestamp`, `last_appearance_timestamp` | `first_appearance_timestamp`, `first_appearance_time`, `detections[].timestamp` | the task's capture time (the mapping's timestamp), offset as written |
//! | `duration` | `duration`, `duration_label` | always zero: `0:00:00`, `P0DT00H00M00S`, `""` |
//! | `best_detection_url`, `best_detection_capture_url` | `detection_images`, `detections[].url`, `detections[].capture.url` | the task's image (mapping `image`) when it is an http(s) URL or a `/path` with `--hostname`; there are no crops |
//! | `best_detection_bbox` | `detections[].bbox` | the region in image pixels `[x1, y1, x2, y2]` (rectangles, the hull of rotated ones, polygons, ellipses, keypoints) when `original_width`/`original_height` are known, clipped, 0.01 px |
//! | `best_detection_width`, `best_detection_height` | `detections[].width`, `.height` | `x2 - x1`, `y2 - y1` of that box |
//! | — | `detections[].id`, `.capture{id,width,height}` | the region id, the task id and the region's `original_width`/`original_height` |
//! | — | `identifications[].id`, `.created_at`, `created_at`, `updated_at` | the annotation's id, `created_at` and `updated_at` |
//!
//! Always `null` in JSON: every `details` (Antenna API URLs), taxon `gbif_taxon_key`,
//! `fieldguide_id`, `inat_taxon_id`, `cover_image_url`, `cover_image_credit`, algorithm ids
//! and dates, `applied_to`, identification `comment` (and `withdrawn` is `false`,
//! `terminal` `true`, `determination_details.prediction` `null` since a human identified it).
//! `user_permissions` is not written.

mod bbox;
mod csv;
mod encode;
mod json;
mod links;
mod record;
mod text;
mod writer;

use crate::{DwcaOptions, Setup};
use exportkit_core::{ExportContext, Exporter, ExporterFactory, FormatInfo, Result};

/// Which of the two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `occurrences.csv`.
    Csv,
    /// `occurrences.json`.
    Json,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Csv => "occurrences.csv",
            Kind::Json => "occurrences.json",
        }
    }
}

/// An occurrence export (`OCCURRENCES_SIMPLE_CSV` or `OCCURRENCES_API_JSON`), with options
/// given in code or read from the export's format options, as [`crate::DwcaFormat`].
#[derive(Debug, Clone)]
pub struct OccurrencesFormat {
    info: FormatInfo,
    kind: Kind,
    options: Option<DwcaOptions>,
}

const CSV_INFO: FormatInfo = FormatInfo {
    name: "OCCURRENCES_SIMPLE_CSV",
    title: "Occurrences (simple CSV)",
    description: "Antenna's occurrences_simple_csv: occurrences.csv, one row per DwC-A occurrence (28 columns)",
    extension: "csv",
    ls_name: None,
};

const JSON_INFO: FormatInfo = FormatInfo {
    name: "OCCURRENCES_API_JSON",
    title: "Occurrences (API JSON)",
    description: "Antenna's occurrences_api_json: occurrences.json, an array of occurrence details, one per DwC-A occurrence",
    extension: "json",
    ls_name: None,
};

/// The registered `OCCURRENCES_SIMPLE_CSV` format.
pub static OCCURRENCES_SIMPLE_CSV: OccurrencesFormat = OccurrencesFormat {
    info: CSV_INFO,
    kind: Kind::Csv,
    options: None,
};

/// The registered `OCCURRENCES_API_JSON` format.
pub static OCCURRENCES_API_JSON: OccurrencesFormat = OccurrencesFormat {
    info: JSON_INFO,
    kind: Kind::Json,
    options: None,
};

exportkit_core::register_format!(OCCURRENCES_SIMPLE_CSV);
exportkit_core::register_format!(OCCURRENCES_API_JSON);

impl OccurrencesFormat {
    /// `OCCURRENCES_SIMPLE_CSV` with fixed options (`Box::leak` it for an `ExportJob`).
    pub fn simple_csv(options: DwcaOptions) -> Self {
        OccurrencesFormat {
            options: Some(options),
            ..OCCURRENCES_SIMPLE_CSV.clone()
        }
    }

    /// `OCCURRENCES_API_JSON` with fixed options (`Box::leak` it for an `ExportJob`).
    pub fn api_json(options: DwcaOptions) -> Self {
        OccurrencesFormat {
            options: Some(options),
            ..OCCURRENCES_API_JSON.clone()
        }
    }
}

impl ExporterFactory for OccurrencesFormat {
    fn info(&self) -> &FormatInfo {
        &self.info
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let s = Setup::load(self.options.as_ref(), ctx)?;
        let encoder = encode::Encoder {
            kind: self.kind,
            mapping: s.mapping,
            taxonomy: s.taxonomy,
            project: s.project,
            project_name: s.meta.title,
            hostname: ctx.options.resources.hostname.clone(),
            config: ctx.config.clone(),
        };
        Ok(Exporter {
            encoder: Box::new(encoder),
            writer: Box::new(writer::Writer::new(self.kind)),
        })
    }
}

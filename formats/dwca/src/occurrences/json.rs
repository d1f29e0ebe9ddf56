//! `OCCURRENCES_API_JSON` elements: Antenna's occurrence detail serializer shape, written as
//! Python's `json.dumps` writes it (`", "` and `": "`, ASCII with `\uXXXX` escapes, floats as
//! `repr`). Antenna-only values (API URLs, taxon ids and external keys, cover images) are
//! `null`.

use super::links::Machine;
use super::record::{Record, TaxonView};
use super::text::{ZERO_DURATION_ISO, iso_datetime};
use crate::datetime::{self, Stamp};
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter, write_str};
use serde_json::value::RawValue;

/// Python's `json.dumps` defaults.
pub const STYLE: JsonStyle = JsonStyle::PY_JSON_LINE;

fn raw(w: &mut JsonWriter<'_>, v: Option<&RawValue>) {
    let ok = v.is_some_and(|v| w.raw_value(v.get()).is_ok());
    if !ok {
        w.null_value();
    }
}

fn opt_str(w: &mut JsonWriter<'_>, v: Option<&str>) {
    match v {
        Some(s) => w.str_value(s),
        None => w.null_value(),
    };
}

fn opt_f64(w: &mut JsonWriter<'_>, v: Option<f64>) {
    match v {
        Some(f) => w.f64_value(f),
        None => w.null_value(),
    };
}

fn opt_time(w: &mut JsonWriter<'_>, v: Option<&Stamp>) {
    opt_str(w, v.map(iso_datetime).as_deref());
}

/// `{"id", "name", "rank"}` of a parent.
fn parents(w: &mut JsonWriter<'_>, t: &TaxonView<'_>) {
    w.begin_array();
    for (name, rank) in &t.parents {
        w.begin_object()
            .key("id")
            .null_value()
            .key("name")
            .str_value(name)
            .key("rank")
            .str_value(rank)
            .end_object();
    }
    w.end_array();
}

/// Antenna's `TaxonNoParentNestedSerializer` fields.
fn taxon_no_parent(w: &mut JsonWriter<'_>, name: &str, rank: Option<&str>) {
    w.begin_object()
        .key("id")
        .null_value()
        .key("name")
        .str_value(name)
        .key("rank");
    opt_str(w, rank);
    for k in [
        "details",
        "gbif_taxon_key",
        "fieldguide_id",
        "inat_taxon_id",
        "cover_image_url",
        "cover_image_credit",
    ] {
        w.key(k).null_value();
    }
    w.end_object();
}

fn parent(w: &mut JsonWriter<'_>, t: &TaxonView<'_>) {
    match t.parent() {
        Some((name, rank)) => taxon_no_parent(w, name, Some(rank)),
        None => {
            w.null_value();
        }
    }
}

/// `TaxonNestedSerializer`: the no-parent fields plus `parent` and `parents`.
fn taxon_nested(w: &mut JsonWriter<'_>, t: &TaxonView<'_>) {
    w.begin_object()
        .key("id")
        .null_value()
        .key("name")
        .str_value(t.name)
        .key("rank");
    opt_str(w, t.rank.as_deref());
    for k in [
        "details",
        "gbif_taxon_key",
        "fieldguide_id",
        "inat_taxon_id",
        "cover_image_url",
        "cover_image_credit",
    ] {
        w.key(k).null_value();
    }
    w.key("parent");
    parent(w, t);
    w.key("parents");
    parents(w, t);
    w.end_object();
}

/// `CaptureTaxonSerializer` (the occurrence's `determination`).
fn determination(w: &mut JsonWriter<'_>, t: &TaxonView<'_>) {
    w.begin_object()
        .key("id")
        .null_value()
        .key("name")
        .str_value(t.name)
        .key("parent");
    parent(w, t);
    w.key("parents");
    parents(w, t);
    w.key("rank");
    opt_str(w, t.rank.as_deref());
    w.key("details").null_value().end_object();
}

/// `AlgorithmNestedSerializer` for a prediction's `model_version`.
fn algorithm(w: &mut JsonWriter<'_>, m: &Machine<'_>) {
    let Some(name) = m.algorithm else {
        w.null_value();
        return;
    };
    w.begin_object()
        .key("id")
        .null_value()
        .key("details")
        .null_value()
        .key("name")
        .str_value(name)
        .key("key")
        .str_value(name)
        .key("version")
        .null_value()
        .key("version_name")
        .null_value()
        .key("created_at")
        .null_value()
        .key("updated_at")
        .null_value()
        .end_object();
}

/// `ClassificationNestedSerializer` for one prediction's verdict.
fn classification(w: &mut JsonWriter<'_>, m: &Machine<'_>, t: &TaxonView<'_>) {
    w.begin_object().key("id");
    raw(w, m.id);
    w.key("details").null_value().key("taxon");
    taxon_nested(w, t);
    w.key("score");
    opt_f64(w, m.score);
    w.key("terminal").bool_value(true).key("algorithm");
    algorithm(w, m);
    w.key("applied_to").null_value().key("created_at");
    opt_time(w, m.created_at);
    w.end_object();
}

/// `OccurrenceIdentificationSerializer` for the annotation.
fn identification(w: &mut JsonWriter<'_>, r: &Record<'_>) {
    w.begin_object().key("id");
    raw(w, r.annotation_id);
    w.key("details").null_value().key("taxon");
    taxon_nested(w, &r.determination);
    w.key("user");
    match &r.user {
        Some(u) => {
            w.begin_object().key("id");
            raw(w, u.id);
            w.key("name");
            opt_str(w, u.email.as_deref().filter(|e| !e.is_empty()));
            w.key("image")
                .null_value()
                .key("details")
                .null_value()
                .end_object();
        }
        None => {
            w.null_value();
        }
    }
    w.key("withdrawn")
        .bool_value(false)
        .key("comment")
        .null_value()
        .key("created_at");
    opt_time(w, r.created.as_ref());
    w.end_object();
}

/// `DetectionNestedSerializer` for the region.
fn detection(w: &mut JsonWriter<'_>, r: &Record<'_>) {
    let size = r.bbox_size();
    w.begin_object().key("id");
    opt_str(w, r.region_id);
    w.key("details").null_value().key("timestamp");
    opt_time(w, Some(r.at));
    w.key("url");
    opt_str(w, r.image);
    w.key("capture").begin_object().key("id");
    raw(w, r.task_id);
    w.key("details").null_value().key("url");
    opt_str(w, r.image);
    w.key("width");
    raw(w, r.size.0);
    w.key("height");
    raw(w, r.size.1);
    w.end_object().key("width");
    opt_f64(w, size.map(|s| s.0));
    w.key("height");
    opt_f64(w, size.map(|s| s.1));
    w.key("bbox");
    match r.bbox {
        Some(b) => {
            w.begin_array();
            for v in b {
                w.f64_value(v);
            }
            w.end_array();
        }
        None => {
            w.null_value();
        }
    }
    w.key("occurrence").str_value(&r.id).key("classifications");
    predictions(w, r);
    w.end_object();
}

fn predictions(w: &mut JsonWriter<'_>, r: &Record<'_>) {
    w.begin_array();
    for (m, t) in &r.machine {
        classification(w, m, t);
    }
    w.end_array();
}

/// Writes `"key": ` after the separator due.
fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !*first {
        out.extend_from_slice(STYLE.item_sep.as_bytes());
    }
    *first = false;
    write_str(out, k, &STYLE);
    out.extend_from_slice(STYLE.key_sep.as_bytes());
}

/// The members of `event` that need the whole event (`name`, `details`, `date_label`),
/// written by the writer at the mark [`element`] returns.
pub fn event_tail(name: &str, date_label: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut first = false;
    key(&mut out, &mut first, "name");
    write_str(&mut out, name, &STYLE);
    key(&mut out, &mut first, "details");
    out.extend_from_slice(b"null");
    key(&mut out, &mut first, "date_label");
    write_str(&mut out, date_label, &STYLE);
    out
}

/// Appends the element of `r` and returns where the rest of its `event` goes (see
/// [`event_tail`]).
pub fn element(out: &mut Vec<u8>, r: &Record<'_>) -> usize {
    let first = &mut true;
    out.push(b'{');
    key(out, first, "id");
    write_str(out, &r.id, &STYLE);
    key(out, first, "details");
    out.extend_from_slice(b"null");
    key(out, first, "event");
    out.push(b'{');
    let mut event_first = true;
    key(out, &mut event_first, "id");
    write_str(out, r.event, &STYLE);
    let mark = out.len();
    out.push(b'}');
    let mut w = |out: &mut Vec<u8>, k: &str, f: &dyn Fn(&mut JsonWriter<'_>)| {
        key(out, first, k);
        f(&mut JsonWriter::new(out, STYLE));
    };
    w(out, "deployment", &|w| match &r.deployment {
        Some((id, name)) => {
            w.begin_object()
                .key("id")
                .str_value(id)
                .key("name")
                .str_value(name)
                .key("details")
                .null_value()
                .end_object();
        }
        None => {
            w.null_value();
        }
    });
    w(out, "first_appearance_timestamp", &|w| {
        opt_time(w, Some(r.at))
    });
    w(out, "first_appearance_time", &|w| {
        let t = r.at.has_time.then(|| datetime::time(r.at.at.secs));
        opt_str(w, t.as_deref());
    });
    w(out, "duration", &|w| {
        w.str_value(ZERO_DURATION_ISO);
    });
    w(out, "duration_label", &|w| {
        w.str_value("");
    });
    w(out, "determination", &|w| {
        determination(w, &r.determination)
    });
    w(out, "detections_count", &|w| {
        w.u64_value(1);
    });
    w(out, "detection_images", &|w| {
        w.begin_array();
        if let Some(url) = r.image {
            w.str_value(url);
        }
        w.end_array();
    });
    w(out, "determination_score", &|w| opt_f64(w, r.score));
    w(out, "determination_details", &|w| {
        w.begin_object().key("taxon");
        taxon_nested(w, &r.determination);
        w.key("identification");
        identification(w, r);
        w.key("prediction").null_value().key("score");
        opt_f64(w, r.score);
        w.end_object();
    });
    w(
        out,
        "best_machine_prediction",
        &|w| match r.best_machine() {
            Some((m, t)) => {
                w.begin_object().key("taxon");
                taxon_nested(w, t);
                w.key("algorithm");
                algorithm(w, m);
                w.key("score");
                opt_f64(w, m.score);
                w.end_object();
            }
            None => {
                w.null_value();
            }
        },
    );
    w(out, "identifications", &|w| {
        w.begin_array();
        identification(w, r);
        w.end_array();
    });
    w(out, "created_at", &|w| opt_time(w, r.created.as_ref()));
    w(out, "updated_at", &|w| opt_time(w, r.updated.as_ref()));
    w(out, "determination_id", &|w| {
        w.null_value();
    });
    w(out, "detections", &|w| {
        w.begin_array();
        detection(w, r);
        w.end_array();
    });
    w(out, "predictions", &|w| predictions(w, r));
    out.push(b'}');
    mark
}

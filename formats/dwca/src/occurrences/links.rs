//! What the typed task model does not carry and the occurrence formats read from the raw
//! task: result scores, annotation provenance (`parent_prediction`, `parent_annotation`),
//! annotator e-mails, and the task's predictions matched to an annotated region.
//!
//! A region is found again in the raw annotations by address: the typed model borrows every
//! value from the task's bytes, so the raw result that holds a region's `value` is the one
//! whose text contains it.

use crate::datetime::Stamp;
use crate::extract::{is_label_kind, region_labels, stamp, text};
use exportkit_core::model::{self, RawObject, Region, Task};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
struct AnnRaw<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    completed_by: Option<&'a RawValue>,
    #[serde(borrow, default)]
    parent_prediction: Option<&'a RawValue>,
    #[serde(borrow, default)]
    parent_annotation: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<Vec<&'a RawValue>>,
}

#[derive(Debug, Deserialize)]
struct ResultRaw<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    from_name: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    value: Option<RawObject<'a>>,
    #[serde(borrow, default)]
    score: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
struct PredRaw<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    model_version: Option<&'a RawValue>,
    #[serde(borrow, default)]
    score: Option<&'a RawValue>,
    #[serde(borrow, default)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<Vec<&'a RawValue>>,
}

/// A result reduced to what matching needs.
#[derive(Debug)]
struct Labeled {
    id: Option<String>,
    from_name: String,
    kind: String,
    labels: Vec<String>,
    score: Option<f64>,
}

fn non_null(v: Option<&RawValue>) -> Option<&RawValue> {
    v.filter(|r| r.get() != "null")
}

fn key(v: Option<&RawValue>) -> Option<String> {
    non_null(v).map(|r| text(r).into_owned())
}

fn number(v: Option<&RawValue>) -> Option<f64> {
    non_null(v)
        .and_then(model::as_f64)
        .filter(|f| f.is_finite())
}

impl Labeled {
    fn parse(raw: &RawValue) -> Option<Self> {
        let r: ResultRaw<'_> = serde_json::from_str(raw.get()).ok()?;
        let kind = key(r.kind)?.to_ascii_lowercase();
        if !is_label_kind(&kind) {
            return None;
        }
        let labels = r
            .value
            .as_ref()
            .map(|v| region_labels(&kind, v))
            .unwrap_or_default();
        Some(Labeled {
            id: key(r.id),
            from_name: key(r.from_name).unwrap_or_default(),
            kind,
            labels,
            score: number(r.score),
        })
    }

    /// Whether this result labels the same thing as `region`: the same control and region id
    /// (Label Studio keeps a prediction's region ids in the annotation made from it), or, for
    /// whole-image classifications (`choices`, `taxonomy`), the same control.
    fn same_as(&self, region: &Region<'_>) -> bool {
        if region.from_name.as_deref() != Some(self.from_name.as_str()) {
            return false;
        }
        let kind = region.kind.as_deref().unwrap_or("").to_ascii_lowercase();
        match (region.id.as_deref(), self.id.as_deref()) {
            (Some(a), Some(b)) if a == b => true,
            _ => matches!(kind.as_str(), "choices" | "taxonomy") && self.kind == kind,
        }
    }

    /// The label this result gives where the annotation says `label`: `label` itself when the
    /// result has it, else its first label.
    fn label_for<'s>(&'s self, label: &'s str) -> Option<&'s str> {
        if self.labels.iter().any(|l| l == label) {
            Some(label)
        } else {
            self.labels.first().map(String::as_str)
        }
    }
}

/// Who made an annotation.
#[derive(Debug, Clone)]
pub struct User<'a> {
    /// The user id as written (a number, or an expanded user's `id`).
    pub id: Option<&'a RawValue>,
    /// The e-mail of an expanded user (or a `completed_by` given as a string).
    pub email: Option<String>,
}

impl<'a> User<'a> {
    /// `completed_by` as written: an id, an expanded user object, or a string.
    pub fn from_raw(raw: Option<&'a RawValue>) -> Option<Self> {
        let raw = non_null(raw)?;
        let user = match raw.get().as_bytes().first() {
            Some(b'{') => {
                let o = RawObject::parse(raw).ok()?;
                Some(User {
                    id: non_null(o.get("id")),
                    email: o
                        .get("email")
                        .and_then(model::as_str)
                        .map(|e| e.into_owned()),
                })
            }
            Some(b'"') => Some(User {
                id: None,
                email: model::as_str(raw).map(|e| e.into_owned()),
            }),
            _ => Some(User {
                id: Some(raw),
                email: None,
            }),
        };
        user.filter(|u| u.id.is_some() || u.email.as_deref().is_some_and(|e| !e.is_empty()))
    }

    /// The e-mail when known, else `user:<id>` (as DWCA's `identifiedBy`).
    pub fn label(&self) -> String {
        match (&self.email, self.id) {
            (Some(e), _) if !e.is_empty() => e.clone(),
            (_, Some(id)) => format!("user:{}", text(id)),
            _ => String::new(),
        }
    }
}

/// One task prediction's verdict on an annotated region (borrowed from [`Links`]).
#[derive(Debug, Clone, Copy)]
pub struct Machine<'s> {
    /// The prediction id as written.
    pub id: Option<&'s RawValue>,
    /// `model_version`.
    pub algorithm: Option<&'s str>,
    /// The predicted label.
    pub label: &'s str,
    /// The result's `score`, else the prediction's.
    pub score: Option<f64>,
    /// The prediction's `created_at`.
    pub created_at: Option<&'s Stamp>,
}

#[derive(Debug)]
struct Prediction<'a> {
    id: Option<&'a RawValue>,
    algorithm: Option<String>,
    score: Option<f64>,
    created_at: Option<Stamp>,
    results: Vec<Labeled>,
}

/// A task's raw annotations and predictions, parsed once for all its occurrences.
#[derive(Debug, Default)]
pub struct Links<'a> {
    anns: Vec<(&'a RawValue, AnnRaw<'a>)>,
    preds: Vec<Prediction<'a>>,
}

fn within(outer: &RawValue, p: usize) -> bool {
    let s = outer.get();
    let a = s.as_ptr() as usize;
    a <= p && p < a + s.len()
}

fn anchor(region: &Region<'_>) -> Option<usize> {
    let (_, v) = region.value.as_ref()?.0.first()?;
    Some(v.get().as_ptr() as usize)
}

impl<'a> Links<'a> {
    /// Parses `task`'s annotation list (all of it: a parent may have been filtered out) and,
    /// with `predictions`, its expanded predictions. Unreadable entries are skipped: these
    /// values are extras, never a reason to fail an export.
    pub fn parse(task: &Task<'a>, predictions: bool) -> Self {
        let list = |raw: Option<&'a RawValue>| -> Vec<&'a RawValue> {
            non_null(raw)
                .and_then(|r| serde_json::from_str(r.get()).ok())
                .unwrap_or_default()
        };
        let anns = list(task.annotations_raw())
            .into_iter()
            .filter_map(|r| Some((r, serde_json::from_str(r.get()).ok()?)))
            .collect();
        let preds = if predictions {
            list(task.predictions)
                .into_iter()
                .filter_map(|r| serde_json::from_str::<PredRaw<'a>>(r.get()).ok())
                .map(|p| Prediction {
                    id: non_null(p.id),
                    algorithm: key(p.model_version).filter(|m| !m.is_empty()),
                    score: number(p.score),
                    created_at: stamp(p.created_at),
                    results: p
                        .result
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(Labeled::parse)
                        .collect(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Links { anns, preds }
    }

    fn annotation(&self, region: &Region<'_>) -> Option<&AnnRaw<'a>> {
        let p = anchor(region)?;
        self.anns
            .iter()
            .find(|(raw, _)| within(raw, p))
            .map(|(_, a)| a)
    }

    /// The `score` of the annotation result `region` was parsed from.
    pub fn region_score(&self, region: &Region<'_>) -> Option<f64> {
        #[derive(Deserialize)]
        struct Score<'s> {
            #[serde(borrow, default)]
            score: Option<&'s RawValue>,
        }
        let p = anchor(region)?;
        let raw = self
            .annotation(region)?
            .result
            .as_ref()?
            .iter()
            .find(|r| within(r, p))?;
        number(serde_json::from_str::<Score<'_>>(raw.get()).ok()?.score)
    }

    /// What each prediction of the task says about `region` (annotated as `label`), in
    /// prediction order.
    pub fn machine<'s>(&'s self, region: &Region<'_>, label: &'s str) -> Vec<Machine<'s>> {
        let mut out = Vec::new();
        for p in &self.preds {
            for r in p.results.iter().filter(|r| r.same_as(region)) {
                if let Some(l) = r.label_for(label) {
                    out.push(Machine {
                        id: p.id,
                        algorithm: p.algorithm.as_deref(),
                        label: l,
                        score: r.score.or(p.score),
                        created_at: p.created_at.as_ref(),
                    });
                }
            }
        }
        out
    }

    /// The `model_version` of the prediction the annotation was made from, when that
    /// prediction gave `region` the same `label` (the annotator kept it).
    pub fn agreed_with_algorithm(&self, region: &Region<'_>, label: &str) -> Option<String> {
        let parent = key(self.annotation(region)?.parent_prediction)?;
        let p = self
            .preds
            .iter()
            .find(|p| key(p.id).as_deref() == Some(parent.as_str()))?;
        let agrees = p
            .results
            .iter()
            .any(|r| r.same_as(region) && r.labels.iter().any(|l| l == label));
        if agrees { p.algorithm.clone() } else { None }
    }

    /// The author of the annotation this one was made from, when that annotation gave
    /// `region` the same `label`.
    pub fn agreed_with_user(&self, region: &Region<'_>, label: &str) -> Option<User<'a>> {
        let parent = key(self.annotation(region)?.parent_annotation)?;
        let (_, a) = self
            .anns
            .iter()
            .find(|(_, a)| key(a.id).as_deref() == Some(parent.as_str()))?;
        let agrees = a
            .result
            .iter()
            .flatten()
            .filter_map(|r| Labeled::parse(r))
            .any(|r| r.same_as(region) && r.labels.iter().any(|l| l == label));
        if agrees {
            User::from_raw(a.completed_by)
        } else {
            None
        }
    }
}

/// Index of the highest score (the first of equals; any score beats none).
pub fn best(scores: impl IntoIterator<Item = Option<f64>>) -> Option<usize> {
    let mut best: Option<(usize, Option<f64>)> = None;
    for (i, s) in scores.into_iter().enumerate() {
        let better = match best {
            None => true,
            Some((_, b)) => match (s, b) {
                (Some(x), Some(y)) => x > y,
                (Some(_), None) => true,
                _ => false,
            },
        };
        if better {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

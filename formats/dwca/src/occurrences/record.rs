//! One occurrence with every value the two formats write, derived once from the task, the
//! mapping and the taxonomy (see the column table in the module docs).

use super::bbox::pixel_bbox;
use super::links::{Links, Machine, User, best};
use crate::datetime::Stamp;
use crate::extract::{Occ, TaskOccs, location_id, stamp};
use crate::taxonomy::Taxonomy;
use serde_json::value::RawValue;

const HIGHER_RANKS: [&str; 6] = ["KINGDOM", "PHYLUM", "CLASS", "ORDER", "FAMILY", "GENUS"];

/// A taxon as Antenna nests it: name, rank (upper case, as Antenna's `TaxonRank`) and its
/// parents from the kingdom down. Without a taxonomy entry: the label, no rank, no parents.
#[derive(Debug, Clone)]
pub struct TaxonView<'x> {
    /// `scientificName` from the taxonomy, else the label.
    pub name: &'x str,
    /// `taxonRank` in upper case.
    pub rank: Option<String>,
    /// `(name, RANK)` of each non-empty higher taxon above the rank.
    pub parents: Vec<(&'x str, &'static str)>,
}

impl<'x> TaxonView<'x> {
    /// The taxon of `label`.
    pub fn of(taxonomy: &'x Taxonomy, label: &'x str) -> Self {
        let Some(t) = taxonomy.get(label) else {
            return TaxonView {
                name: label,
                rank: None,
                parents: Vec::new(),
            };
        };
        let rank = Some(t.rank.to_ascii_uppercase()).filter(|r| !r.is_empty());
        // Parents are the ranks above the taxon's own (all of them for species and others).
        let above = rank
            .as_deref()
            .and_then(|r| HIGHER_RANKS.iter().position(|h| *h == r))
            .unwrap_or(HIGHER_RANKS.len());
        let parents = t
            .higher
            .iter()
            .zip(HIGHER_RANKS)
            .take(above)
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, r)| (n.as_str(), r))
            .collect();
        TaxonView {
            name: &t.scientific_name,
            rank,
            parents,
        }
    }

    /// The nearest parent.
    pub fn parent(&self) -> Option<(&'x str, &'static str)> {
        self.parents.last().copied()
    }
}

/// Everything written for one occurrence.
#[derive(Debug)]
pub struct Record<'x> {
    /// The DWCA `occurrenceID`.
    pub id: String,
    /// The DWCA `eventID`.
    pub event: &'x str,
    /// `(locationID, deployment)` when the task names a deployment.
    pub deployment: Option<(String, &'x str)>,
    /// Stable project id.
    pub project_id: &'x str,
    /// Dataset title.
    pub project_name: &'x str,
    /// The determination (the annotated label through the taxonomy).
    pub determination: TaxonView<'x>,
    /// The annotation result's `score`.
    pub score: Option<f64>,
    /// The annotation's id.
    pub annotation_id: Option<&'x RawValue>,
    /// The annotator.
    pub user: Option<User<'x>>,
    /// The annotation's `created_at` / `updated_at` (`updated_at` defaults to `created_at`).
    pub created: Option<Stamp>,
    /// See `created`.
    pub updated: Option<Stamp>,
    /// Every prediction's verdict on the region, with taxa.
    pub machine: Vec<(Machine<'x>, TaxonView<'x>)>,
    /// Index of the best verdict in `machine`.
    pub best: Option<usize>,
    /// `model_version` of the prediction the annotator kept.
    pub agreed_with_algorithm: Option<String>,
    /// Author of the annotation this one was made from and agrees with.
    pub agreed_with_user: Option<String>,
    /// Capture time.
    pub at: &'x Stamp,
    /// Image URL.
    pub image: Option<&'x str>,
    /// Pixel box `[x1, y1, x2, y2]`.
    pub bbox: Option<[f64; 4]>,
    /// Region id as written.
    pub region_id: Option<&'x str>,
    /// Task id as written.
    pub task_id: Option<&'x RawValue>,
    /// `original_width` / `original_height` of the region, as written.
    pub size: (Option<&'x RawValue>, Option<&'x RawValue>),
}

/// The project values every record repeats.
#[derive(Debug)]
pub struct Project<'x> {
    /// Stable project id.
    pub id: &'x str,
    /// Dataset title.
    pub name: &'x str,
    /// The taxonomy.
    pub taxonomy: &'x Taxonomy,
}

impl<'x> Record<'x> {
    /// Occurrence `n` of `t`.
    pub fn new(
        t: &'x TaskOccs<'x, 'x>,
        n: usize,
        o: &'x Occ<'x, 'x>,
        links: &'x Links<'x>,
        p: &Project<'x>,
        task_id: Option<&'x RawValue>,
    ) -> Self {
        let label = o.label.as_str();
        let region = o.region;
        let machine: Vec<(Machine<'x>, TaxonView<'x>)> = links
            .machine(region, label)
            .into_iter()
            .map(|m| (m, TaxonView::of(p.taxonomy, m.label)))
            .collect();
        Record {
            id: t.occurrence_id(n),
            event: &t.event,
            deployment: t
                .deployment
                .as_deref()
                .map(|d| (location_id(&t.project, d), d)),
            project_id: p.id,
            project_name: p.name,
            determination: TaxonView::of(p.taxonomy, label),
            score: links.region_score(region),
            annotation_id: o.ann.id.filter(|r| r.get() != "null"),
            user: User::from_raw(o.ann.completed_by),
            created: stamp(o.ann.created_at),
            updated: stamp(o.ann.updated_at).or_else(|| stamp(o.ann.created_at)),
            best: best(machine.iter().map(|(m, _)| m.score)),
            machine,
            agreed_with_algorithm: links.agreed_with_algorithm(region, label),
            agreed_with_user: links
                .agreed_with_user(region, label)
                .map(|u| u.label())
                .filter(|u| !u.is_empty()),
            at: &t.at,
            image: t.image.as_deref(),
            bbox: pixel_bbox(region),
            region_id: region.id.as_deref(),
            task_id: task_id.filter(|r| r.get() != "null"),
            size: (region.original_width, region.original_height),
        }
    }

    /// The best verdict and its taxon.
    pub fn best_machine(&self) -> Option<&(Machine<'x>, TaxonView<'x>)> {
        self.best.and_then(|i| self.machine.get(i))
    }

    /// Whether the determination is the best verdict's taxon (`None` without a verdict).
    pub fn matches_machine(&self) -> Option<bool> {
        self.best_machine()
            .map(|(_, t)| t.name == self.determination.name)
    }

    /// `bbox` width and height.
    pub fn bbox_size(&self) -> Option<(f64, f64)> {
        self.bbox.map(|[x1, y1, x2, y2]| {
            let r = |v: f64| (v * 100.0).round() / 100.0;
            (r(x2 - x1), r(y2 - y1))
        })
    }
}

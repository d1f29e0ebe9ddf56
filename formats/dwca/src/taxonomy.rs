//! The `--taxonomy` CSV: label → higher taxa and scientific name.

use exportkit_core::{Error, ErrorKind, Result};
use std::collections::HashMap;
use std::path::Path;

/// The taxon columns of one label, in occurrence.txt order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Taxon {
    /// scientificName.
    pub scientific_name: String,
    /// taxonRank.
    pub rank: String,
    /// kingdom, phylum, class, order, family, genus.
    pub higher: [String; 6],
    /// specificEpithet.
    pub specific_epithet: String,
}

/// Labels mapped to taxa.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    map: HashMap<String, Taxon>,
}

const HIGHER: [&str; 6] = ["kingdom", "phylum", "class", "order", "family", "genus"];

impl Taxonomy {
    /// Reads the CSV (header row required; `label` required, other columns optional).
    pub fn load(path: &Path) -> Result<Self> {
        let err = |m: String| Error::new(ErrorKind::Options, format!("{}: {m}", path.display()));
        let mut r = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| err(e.to_string()))?;
        let header = r.headers().map_err(|e| err(e.to_string()))?.clone();
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let label = col("label").ok_or_else(|| err("no \"label\" column".to_owned()))?;
        let higher = HIGHER.map(col);
        let (sci, rank, epithet) = (
            col("scientificName"),
            col("taxonRank"),
            col("specificEpithet"),
        );
        let mut map = HashMap::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| err(e.to_string()))?;
            let get = |i: Option<usize>| {
                i.and_then(|i| rec.get(i))
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default()
            };
            let name = get(Some(label));
            if name.is_empty() {
                continue;
            }
            let mut t = Taxon {
                scientific_name: get(sci),
                rank: get(rank).to_lowercase(),
                higher: higher.map(get),
                specific_epithet: get(epithet),
            };
            if t.scientific_name.is_empty() {
                t.scientific_name.clone_from(&name);
            }
            if map.insert(name.clone(), t).is_some() {
                return Err(err(format!("label {name:?} listed twice")));
            }
        }
        Ok(Taxonomy { map })
    }

    /// The taxon of `label`, if listed.
    pub fn get(&self, label: &str) -> Option<&Taxon> {
        self.map.get(label)
    }

    /// Whether no taxonomy was given.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

//! The format's options: where the mapping, taxonomy and dataset metadata come from.

use exportkit_core::{Error, ErrorKind, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Options of a DwC-A export (the CLI's `--mapping`, `--taxonomy`, `--metadata`, ...).
#[derive(Debug, Clone, Default)]
pub struct DwcaOptions {
    /// A JSON mapping file (see [`Mapping`]).
    pub mapping: Option<PathBuf>,
    /// A taxonomy CSV: `label,kingdom,phylum,class,order,family,genus,specificEpithet,
    /// scientificName,taxonRank`.
    pub taxonomy: Option<PathBuf>,
    /// A JSON dataset-metadata file (see [`crate::Metadata`]).
    pub metadata: Option<PathBuf>,
    /// A stable project identifier used in every id (`urn:exportkit:<project>:...`); not the
    /// project's display name, so renaming a project keeps its ids. Empty: `project`.
    pub project: String,
    /// Dataset title (overrides the metadata file).
    pub title: Option<String>,
    /// Dataset creator (overrides the metadata file).
    pub creator: Option<String>,
    /// Dataset contact (overrides the metadata file).
    pub contact: Option<String>,
    /// Dataset abstract (overrides the metadata file).
    pub abstract_text: Option<String>,
    /// `CC0-1.0`, `CC-BY-4.0` or `CC-BY-NC-4.0` (overrides the metadata file).
    pub license: Option<String>,
}

/// One key or a list of keys (dotted paths into `task.data`), tried in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Keys {
    /// One key.
    One(String),
    /// Several keys, the first present wins.
    Many(Vec<String>),
}

impl Keys {
    /// The keys in order.
    pub fn list(&self) -> Vec<&str> {
        match self {
            Keys::One(k) => vec![k.as_str()],
            Keys::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

fn keys(list: &[&str]) -> Keys {
    Keys::Many(list.iter().map(|s| (*s).to_owned()).collect())
}

/// Where event and occurrence values come from (the `--mapping` JSON file; every key optional).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    /// Capture time keys (ISO 8601 string or Unix seconds). Default `timestamp`, `captured_at`.
    pub timestamp: Keys,
    /// Deployment (camera / trap) keys. Default `deployment`.
    pub deployment: Keys,
    /// Latitude keys. Default `latitude`, `lat`.
    pub latitude: Keys,
    /// Longitude keys. Default `longitude`, `lon`, `lng`.
    pub longitude: Keys,
    /// Image URL keys, for `multimedia.txt`. Default `image`.
    pub image: Keys,
    /// Hour (0-23) at which a monitoring night starts: captures before it belong to the
    /// previous date's event. Default 12 (noon to noon); 0 groups by calendar date.
    pub night_starts_at_hour: u32,
    /// `samplingProtocol` of every event. Default `camera trap`.
    pub sampling_protocol: String,
    /// `basisOfRecord` of every occurrence. Default `MachineObservation`.
    pub basis_of_record: String,
    /// Labels that are not taxa (`empty`, `blank`, ...): no occurrence is written for them.
    pub ignore_labels: Vec<String>,
    /// Write `multimedia.txt` (one row per occurrence whose image is an http(s) URL).
    pub multimedia: bool,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            timestamp: keys(&["timestamp", "captured_at"]),
            deployment: keys(&["deployment"]),
            latitude: keys(&["latitude", "lat"]),
            longitude: keys(&["longitude", "lon", "lng"]),
            image: keys(&["image"]),
            night_starts_at_hour: 12,
            sampling_protocol: "camera trap".to_owned(),
            basis_of_record: "MachineObservation".to_owned(),
            ignore_labels: Vec::new(),
            multimedia: true,
        }
    }
}

/// Reads a small options file.
pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// A JSON options file parsed into `T`, with the file named in errors.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    serde_json::from_str(&read(path)?)
        .map_err(|e| Error::new(ErrorKind::Options, format!("{}: {e}", path.display())))
}

impl Mapping {
    /// The mapping in `path`, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let m: Mapping = match path {
            Some(p) => read_json(p)?,
            None => Mapping::default(),
        };
        if m.night_starts_at_hour > 23 {
            return Err(Error::new(
                ErrorKind::Options,
                "mapping: night_starts_at_hour must be 0-23",
            ));
        }
        Ok(m)
    }
}

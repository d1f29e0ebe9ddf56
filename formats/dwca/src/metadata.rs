//! Dataset metadata (`--metadata` JSON file and options) and the licences GBIF accepts.

use crate::options::{DwcaOptions, read_json};
use exportkit_core::{Error, ErrorKind, Result};
use serde::Deserialize;

/// A person or organisation in the EML (creator, contact).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Party {
    /// A bare name: written as an organisation name.
    Name(String),
    /// A structured party.
    Detail(PartyDetail),
}

/// A structured person or organisation.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PartyDetail {
    /// Given name of a person.
    pub given_name: Option<String>,
    /// Surname of a person (needed for a person).
    pub sur_name: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// A licence GBIF accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum License {
    /// CC0 1.0.
    Cc0,
    /// CC BY 4.0.
    CcBy,
    /// CC BY-NC 4.0.
    CcByNc,
}

impl License {
    /// Parses `CC0-1.0`, `CC-BY-4.0`, `CC-BY-NC-4.0` (any case) or the licence URL.
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim().trim_end_matches('/').to_ascii_lowercase();
        Ok(match t.as_str() {
            "cc0-1.0" | "cc0" | "http://creativecommons.org/publicdomain/zero/1.0/legalcode" => {
                License::Cc0
            }
            "cc-by-4.0" | "cc by 4.0" | "http://creativecommons.org/licenses/by/4.0/legalcode" => {
                License::CcBy
            }
            "cc-by-nc-4.0"
            | "cc by-nc 4.0"
            | "http://creativecommons.org/licenses/by-nc/4.0/legalcode" => License::CcByNc,
            _ => {
                return Err(Error::new(
                    ErrorKind::Options,
                    format!("licence {s:?}: GBIF accepts only CC0-1.0, CC-BY-4.0 or CC-BY-NC-4.0"),
                ));
            }
        })
    }

    /// The licence URL GBIF uses.
    pub fn url(self) -> &'static str {
        match self {
            License::Cc0 => "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
            License::CcBy => "http://creativecommons.org/licenses/by/4.0/legalcode",
            License::CcByNc => "http://creativecommons.org/licenses/by-nc/4.0/legalcode",
        }
    }

    /// The licence title GBIF's IPT writes.
    pub fn title(self) -> &'static str {
        match self {
            License::Cc0 => "Public Domain (CC0 1.0)",
            License::CcBy => "Creative Commons Attribution (CC-BY) 4.0",
            License::CcByNc => "Creative Commons Attribution Non Commercial (CC-BY-NC) 4.0",
        }
    }
}

/// The `--metadata` file as written (every key optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct MetadataFile {
    title: Option<String>,
    creator: Option<Party>,
    contact: Option<Party>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    license: Option<String>,
    rights_holder: Option<String>,
    pub_date: Option<String>,
    language: Option<String>,
}

/// Dataset metadata, resolved.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// Dataset title (also `datasetName`).
    pub title: String,
    /// Creator.
    pub creator: Party,
    /// Contact.
    pub contact: Party,
    /// Abstract.
    pub abstract_text: String,
    /// Licence.
    pub license: License,
    /// `dcterms:rightsHolder`, may be empty.
    pub rights_holder: String,
    /// `pubDate` (YYYY or YYYY-MM-DD); `None`: the last capture date (deterministic output).
    pub pub_date: Option<String>,
    /// EML language, may be empty.
    pub language: String,
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl Metadata {
    /// Options override the metadata file, which overrides the defaults (licence CC-BY-4.0,
    /// creator and contact the project).
    pub fn load(opts: &DwcaOptions, project: &str) -> Result<Self> {
        let file: MetadataFile = match &opts.metadata {
            Some(p) => read_json(p)?,
            None => MetadataFile::default(),
        };
        let party = |o: Option<String>, f: Option<Party>| {
            nonempty(o)
                .map(Party::Name)
                .or(f)
                .unwrap_or_else(|| Party::Name(project.to_owned()))
        };
        let license = match nonempty(opts.license.clone()).or(nonempty(file.license)) {
            Some(l) => License::parse(&l)?,
            None => License::CcBy,
        };
        let pub_date = nonempty(file.pub_date);
        if let Some(d) = &pub_date {
            let ok = (d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))
                || crate::datetime::parse(d).is_some_and(|s| !s.has_time);
            if !ok {
                return Err(Error::new(
                    ErrorKind::Options,
                    format!("metadata pubDate {d:?}: expected YYYY or YYYY-MM-DD"),
                ));
            }
        }
        Ok(Metadata {
            title: nonempty(opts.title.clone())
                .or(nonempty(file.title))
                .unwrap_or_else(|| format!("{project} camera-trap occurrences")),
            creator: party(opts.creator.clone(), file.creator),
            contact: party(opts.contact.clone(), file.contact),
            abstract_text: nonempty(opts.abstract_text.clone())
                .or(nonempty(file.abstract_text))
                .unwrap_or_else(|| {
                    format!(
                        "Occurrences of taxa identified on camera-trap images of project {project}, one sampling event per deployment and night."
                    )
                }),
            license,
            rights_holder: nonempty(file.rights_holder).unwrap_or_default(),
            pub_date,
            language: nonempty(file.language).unwrap_or_default(),
        })
    }
}

//! exportkit's `DWCA` format: a Darwin Core Archive that GBIF accepts, from labeled
//! camera-trap / insect-monitoring images.
//!
//! Layout (zip or directory): `meta.xml`, `eml.xml` (GBIF metadata profile 1.3),
//! `event.txt` (core, one event per deployment and night), `occurrence.txt` (extension, one
//! occurrence per label of each labeled region or chosen class) and, when images are http(s)
//! URLs, `multimedia.txt` (GBIF Simple Multimedia, one row per occurrence). UTF-8, tab
//! separated, `\n`, `"` only around cells holding a tab, line break or quote.
//!
//! Values come from `task.data` through a [`Mapping`] (defaults: `timestamp`/`captured_at`,
//! `deployment`, `latitude`/`lat`, `longitude`/`lon`/`lng`, `image`), taxa from an optional
//! taxonomy CSV, dataset metadata from [`DwcaOptions`] and an optional JSON file. Ids are
//! `urn:exportkit:<project>:event:<deployment>:<night date>` and
//! `urn:exportkit:<project>:occurrence:<task id>:<n>`, with `<project>` a stable id rather
//! than the project's name. Events come only from exported occurrences.
//!
//! The same occurrences are also written as Antenna's two occurrence exports,
//! [`OCCURRENCES_SIMPLE_CSV`] and [`OCCURRENCES_API_JSON`] (see [`OccurrencesFormat`] and the
//! `occurrences` module's column table).
#![deny(missing_docs)]

mod columns;
mod datetime;
mod eml;
mod encode;
mod extract;
mod meta_xml;
mod metadata;
pub mod occurrences;
mod options;
mod taxonomy;
mod tsv;
mod writer;
mod xml;

pub use metadata::{License, Metadata, Party, PartyDetail};
pub use occurrences::{OCCURRENCES_API_JSON, OCCURRENCES_SIMPLE_CSV, OccurrencesFormat};
pub use options::{DwcaOptions, Keys, Mapping};
pub use taxonomy::{Taxon, Taxonomy};

use exportkit_core::{ExportContext, Exporter, ExporterFactory, FormatInfo, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// The DwC-A format, with options given in code ([`DwcaFormat::with_options`]) or read from
/// the export's format options.
#[derive(Debug, Clone)]
pub struct DwcaFormat {
    info: FormatInfo,
    options: Option<DwcaOptions>,
}

const INFO: FormatInfo = FormatInfo {
    name: "DWCA",
    title: "Darwin Core Archive",
    description: "GBIF Darwin Core Archive: event.txt (deployment nights), occurrence.txt (one per label), multimedia.txt, meta.xml, eml.xml",
    extension: "zip",
    ls_name: None,
};

/// The registered `DWCA` format (options from the export's format options).
pub static DWCA: DwcaFormat = DwcaFormat {
    info: INFO,
    options: None,
};

exportkit_core::register_format!(DWCA);

impl DwcaFormat {
    /// The format with fixed options (for embedders and tests; `Box::leak` it to get the
    /// `&'static` an `ExportJob` takes).
    pub fn with_options(options: DwcaOptions) -> Self {
        DwcaFormat {
            info: INFO,
            options: Some(options),
        }
    }
}

/// A format option of the export (`--mapping`, `--set key=value`, ...).
fn opt(ctx: &ExportContext, key: &str) -> Option<String> {
    ctx.options
        .format_options
        .get(key)
        .filter(|v| !v.trim().is_empty())
        .cloned()
}

fn from_context(ctx: &ExportContext) -> DwcaOptions {
    let path = |k: &str| opt(ctx, k).map(PathBuf::from);
    DwcaOptions {
        mapping: path("mapping"),
        taxonomy: path("taxonomy"),
        metadata: path("metadata"),
        project: opt(ctx, "project").unwrap_or_default(),
        title: opt(ctx, "title"),
        creator: opt(ctx, "creator"),
        contact: opt(ctx, "contact"),
        abstract_text: opt(ctx, "abstract"),
        license: opt(ctx, "license"),
    }
}

/// What every format of this crate resolves from its options before an export.
#[derive(Debug)]
pub(crate) struct Setup {
    /// Stable project id, escaped for ids (`project` when none was given).
    pub project: String,
    /// The mapping.
    pub mapping: Arc<Mapping>,
    /// The taxonomy (may be empty).
    pub taxonomy: Arc<Taxonomy>,
    /// Dataset metadata.
    pub meta: Metadata,
}

impl Setup {
    /// Options given in code, else the export's format options; files read and checked.
    pub(crate) fn load(options: Option<&DwcaOptions>, ctx: &ExportContext) -> Result<Self> {
        let o = match options {
            Some(o) => o.clone(),
            None => from_context(ctx),
        };
        let display = match o.project.trim() {
            "" => "project",
            p => p,
        };
        let mapping = Arc::new(Mapping::load(o.mapping.as_deref())?);
        let taxonomy = Arc::new(match &o.taxonomy {
            Some(p) => Taxonomy::load(p)?,
            None => Taxonomy::default(),
        });
        let meta = Metadata::load(&o, display)?;
        Ok(Setup {
            project: extract::id_part(display),
            mapping,
            taxonomy,
            meta,
        })
    }
}

impl ExporterFactory for DwcaFormat {
    fn info(&self) -> &FormatInfo {
        &self.info
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let s = Setup::load(self.options.as_ref(), ctx)?;
        let encoder = encode::Encoder {
            mapping: s.mapping.clone(),
            taxonomy: s.taxonomy,
            project: s.project.clone(),
            license: s.meta.license.url(),
            hostname: ctx.options.resources.hostname.clone(),
            config: ctx.config.clone(),
        };
        Ok(Exporter {
            encoder: Box::new(encoder),
            writer: Box::new(writer::Writer::new(s.mapping, s.meta, s.project)),
        })
    }
}

//! The fixture paths, options and label config the DWCA crate's test binaries share.

use exportkit_core::{Input, LabelConfig};
use exportkit_dwca::DwcaOptions;
use std::path::PathBuf;
use std::sync::Arc;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path under `fixtures/dwca`.
pub fn fixture(p: &str) -> PathBuf {
    root().join("fixtures/dwca").join(p)
}

/// The mapping, taxonomy and metadata of `fixtures/dwca/options`, project `demo-42`.
pub fn full_options() -> DwcaOptions {
    DwcaOptions {
        mapping: Some(fixture("options/mapping.json")),
        taxonomy: Some(fixture("options/taxonomy.csv")),
        metadata: Some(fixture("options/metadata.json")),
        project: "demo-42".to_owned(),
        ..DwcaOptions::default()
    }
}

/// The camera-trap fixture's label config.
pub fn config() -> Arc<LabelConfig> {
    let xml = std::fs::read_to_string(fixture("datasets/camtrap/config.xml")).expect("config");
    Arc::new(LabelConfig::parse(&xml).expect("valid config"))
}

/// The camera-trap fixture's tasks.
pub fn camtrap() -> Input {
    Input::File(fixture("datasets/camtrap/tasks.json"))
}

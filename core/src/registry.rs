//! The format registry: formats register themselves at link time with `inventory`; a
//! [`Registry`] is a sorted, de-duplicated view of them (global), or one built by hand.

use crate::error::{Error, ErrorKind, Result};
use crate::exporter::ExporterFactory;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One registered format (what `register_format!` submits).
#[derive(Debug)]
pub struct FormatRegistration {
    /// The format's descriptor.
    pub factory: &'static dyn ExporterFactory,
}

impl std::fmt::Debug for dyn ExporterFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExporterFactory({})", self.info().name)
    }
}

inventory::collect!(FormatRegistration);

/// Registers a format with the global registry. The argument is a `static` or a const
/// expression of a type implementing [`ExporterFactory`].
///
/// ```ignore
/// static MY_FORMAT: MyFactory = MyFactory;
/// exportkit_core::register_format!(MY_FORMAT);
/// ```
#[macro_export]
macro_rules! register_format {
    ($factory:expr) => {
        $crate::inventory::submit! {
            $crate::FormatRegistration { factory: &$factory }
        }
    };
}

/// A set of formats by name (case-insensitive), sorted.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    formats: BTreeMap<String, &'static dyn ExporterFactory>,
    duplicates: Vec<String>,
}

impl Registry {
    /// An empty registry (for servers, tests and static-library embedders).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every format linked into this binary through `register_format!`.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            let mut r = Registry::new();
            for reg in inventory::iter::<FormatRegistration> {
                // A duplicate is remembered and reported by `get` and `duplicates`.
                let _ = r.register(reg.factory);
            }
            r
        })
    }

    /// Adds a format. A name already present is an error (the first registration stays).
    pub fn register(&mut self, factory: &'static dyn ExporterFactory) -> Result<()> {
        let key = factory.info().name.to_ascii_uppercase();
        if self.formats.contains_key(&key) {
            if !self.duplicates.contains(&key) {
                self.duplicates.push(key.clone());
            }
            return Err(Error::new(
                ErrorKind::DuplicateFormat,
                format!("format {key} is registered twice (two plugins claim the same name)"),
            ));
        }
        self.formats.insert(key, factory);
        Ok(())
    }

    /// The format called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Result<&'static dyn ExporterFactory> {
        let key = name.to_ascii_uppercase();
        if self.duplicates.contains(&key) {
            return Err(Error::new(
                ErrorKind::DuplicateFormat,
                format!("format {key} is registered by more than one plugin; refusing to guess"),
            ));
        }
        self.formats.get(&key).copied().ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownFormat,
                format!(
                    "unknown format '{name}'; known formats: {}",
                    self.names().collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }

    /// Format names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.formats.keys().map(String::as_str)
    }

    /// Formats, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn ExporterFactory> + '_ {
        self.formats.values().copied()
    }

    /// Names registered more than once.
    pub fn duplicates(&self) -> &[String] {
        &self.duplicates
    }
}

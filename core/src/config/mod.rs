//! Label Studio label-config parser and LS's "supported formats" rule.
//!
//! [`LabelConfig::parse`] mirrors the parser the LS server uses for exports
//! (`label_studio_tools.core.label_config.parse_config`, lxml based):
//!
//! * a **control** is any element with non-empty `name` and `toName`, except `Filter`;
//! * an **object** is any other element with non-empty `name` and a non-empty `value` or
//!   `valueList` (so `<Header name=".." value="$x"/>` is one); `$`s are stripped from the front;
//!   a control's inputs are the objects its `toName` (split on `,`, not trimmed) names;
//! * **labels** come from `Label`/`Choice`/`Relation` elements whose nearest ancestor with a
//!   control's `name` is found walking up; value = `alias`, else `value`, else `valueList`
//!   (first non-empty), deduplicated per control;
//! * tag names are case-sensitive and namespaced ones read `{uri}Local`, like lxml;
//! * `indexFlag` (any element, not only `Repeater`; no default) adds a Repeater variable;
//! * libxml2's namespace quirks: namespace errors (undeclared prefix, bad QName, invalid
//!   namespace URI, empty `xmlns:p=""`) fail the parse only if no namespace *warning* (a
//!   relative default namespace URI) follows them, and once one happened, content after the
//!   root element is ignored instead of being an error.
//!
//! Hostile input is handled in bounded time and memory: no DTD is read, no entity is expanded
//! or fetched (a reference to one is an error), nesting is limited to [`MAX_DEPTH`] (lxml's
//! own limit, so LS rejects deeper configs too) with an explicit stack, the input to
//! [`MAX_CONFIG_BYTES`]. Parsing never panics.
//!
//! Known differences from LS: an XML declaration with `encoding=` is accepted (lxml refuses it
//! for a Python `str`, so such a config cannot exist in LS); a DTD-declared internal entity is
//! an error here (lxml expands it).

mod error;
mod formats;
mod model;
mod parse;
mod pyre;
mod xml;

#[cfg(test)]
mod tests;

pub use error::ConfigError;
pub use formats::LS_FORMATS;
pub use model::{Conditional, Control, ControlMatcher, Label, LabelConfig, Object};

/// Deepest element nesting accepted (libxml2's default limit; LS fails beyond it).
pub const MAX_DEPTH: usize = 256;

/// Largest config accepted, in bytes (real configs are kilobytes).
pub const MAX_CONFIG_BYTES: usize = 64 << 20;

impl LabelConfig {
    /// Parses a label config. An empty string gives an empty config (as in LS).
    pub fn parse(xml: &str) -> Result<Self, ConfigError> {
        parse::parse_str(xml)
    }

    /// Parses a label config from bytes, which must be UTF-8 (a leading BOM is skipped).
    pub fn parse_bytes(xml: &[u8]) -> Result<Self, ConfigError> {
        parse::parse_bytes(xml)
    }
}

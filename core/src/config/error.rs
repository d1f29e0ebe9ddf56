//! [`ConfigError`]: why a label config was rejected.

/// Why a label config could not be parsed, or why Label Studio would fail on it.
///
/// Every message is one line and starts with `label config:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not well-formed XML, or XML this parser refuses (undefined entities, unbound prefixes, ...).
    #[error("label config: malformed XML at byte {offset}: {message}")]
    Malformed {
        /// Byte offset in the input where the problem was found.
        offset: u64,
        /// What is wrong (one line).
        message: String,
    },
    /// The input of [`LabelConfig::parse_bytes`](super::LabelConfig::parse_bytes) is not UTF-8.
    #[error("label config: invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// Elements nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH) (lxml's limit, so LS fails too).
    #[error("label config: elements nested deeper than {limit} at byte {offset}")]
    TooDeep {
        /// Byte offset of the element that is one level too deep.
        offset: u64,
        /// The depth limit.
        limit: usize,
    },
    /// The input is larger than [`MAX_CONFIG_BYTES`](super::MAX_CONFIG_BYTES).
    #[error("label config: {len} bytes is more than the {limit}-byte limit")]
    TooLarge {
        /// Input length in bytes.
        len: usize,
        /// The size limit.
        limit: usize,
    },
    /// Label Studio's `Converter._get_supported_formats` raises `ValueError` for this config.
    #[error("label config: Label Studio cannot list export formats for it (ValueError: {message})")]
    LsValueError {
        /// The Python exception message and why it happens.
        message: String,
    },
}

impl ConfigError {
    pub(crate) fn malformed(offset: u64, message: impl AsRef<str>) -> Self {
        ConfigError::Malformed {
            offset,
            message: one_line(message.as_ref()),
        }
    }
}

/// Squash a message onto one line and cap its length (it may quote untrusted input).
pub(crate) fn one_line(s: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut out = String::with_capacity(s.len().min(MAX_CHARS + 3));
    for (i, c) in s.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("...");
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

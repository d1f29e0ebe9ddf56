//! The one error type of exportkit: a kind plus the context a user needs to find the problem.

use std::fmt;

/// Shorthand for results in exportkit.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, broadly. More kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io,
    /// The input export is malformed (bad JSON, wrong root type, invalid UTF-8, ...).
    Input,
    /// The label config is malformed.
    Config,
    /// No format with that name is registered.
    UnknownFormat,
    /// Two registrations claim the same format name.
    DuplicateFormat,
    /// The format cannot export this project (label config, options).
    Unsupported,
    /// An option value is invalid.
    Options,
    /// The export was cancelled through its token.
    Cancelled,
    /// A format plugin failed while encoding or writing.
    Format,
}

/// An exportkit error: a kind, a one-line message and where it happened.
///
/// `Display` renders one line, e.g.
/// `JSON_MIN: task #12 (id 345) at byte 1024: expected a task object`.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    format: Option<String>,
    task_index: Option<u64>,
    task_id: Option<String>,
    offset: Option<u64>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            format: None,
            task_index: None,
            task_id: None,
            offset: None,
            source: None,
        }))
    }

    /// An input error (malformed export) at a byte offset.
    pub fn input(message: impl Into<String>, offset: u64) -> Self {
        Error::new(ErrorKind::Input, message).at_offset(offset)
    }

    /// A format (plugin) error wrapping any error.
    pub fn format_error(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut e = Error::new(ErrorKind::Format, source.to_string());
        e.0.source = Some(Box::new(source));
        e
    }

    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        let mut e = Error::new(ErrorKind::Io, format!("{}: {source}", path.display()));
        e.0.source = Some(Box::new(source));
        e
    }

    /// Sets the format name (kept if already set).
    pub fn with_format(mut self, format: &str) -> Self {
        self.0.format.get_or_insert_with(|| format.to_owned());
        self
    }

    /// Sets the task index (0-based position in the input) and id (kept if already set).
    pub fn at_task(mut self, index: u64, id: Option<String>) -> Self {
        self.0.task_index.get_or_insert(index);
        if self.0.task_id.is_none() {
            self.0.task_id = id;
        }
        self
    }

    /// Sets the byte offset in the input (kept if already set).
    pub fn at_offset(mut self, offset: u64) -> Self {
        self.0.offset.get_or_insert(offset);
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without context.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The format the error happened in, if known.
    pub fn format(&self) -> Option<&str> {
        self.0.format.as_deref()
    }

    /// The 0-based index of the task in the input, if known.
    pub fn task_index(&self) -> Option<u64> {
        self.0.task_index
    }

    /// The task id as written in the input, if known.
    pub fn task_id(&self) -> Option<&str> {
        self.0.task_id.as_deref()
    }

    /// The byte offset in the input, if known.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(format) = &self.0.format {
            write!(f, "{format}: ")?;
        }
        if let Some(i) = self.0.task_index {
            write!(f, "task #{i}")?;
            if let Some(id) = &self.0.task_id {
                write!(f, " (id {id})")?;
            }
            f.write_str(if self.0.offset.is_some() { " " } else { ": " })?;
        }
        if let Some(o) = self.0.offset {
            write!(f, "at byte {o}: ")?;
        }
        // Keep it one line whatever the message holds.
        for (i, line) in self.0.message.lines().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(line)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_context() {
        let e = Error::input("expected a task object\nfound a number", 1024)
            .at_task(12, Some("345".into()))
            .with_format("JSON_MIN");
        assert_eq!(
            e.to_string(),
            "JSON_MIN: task #12 (id 345) at byte 1024: expected a task object found a number"
        );
        assert_eq!(e.kind(), ErrorKind::Input);
    }

    #[test]
    fn context_is_kept_once_set() {
        let e = Error::new(ErrorKind::Format, "x")
            .at_offset(1)
            .at_offset(2)
            .with_format("A")
            .with_format("B");
        assert_eq!(e.offset(), Some(1));
        assert_eq!(e.format(), Some("A"));
    }
}

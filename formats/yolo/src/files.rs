//! What an encoder hands the writer: one entry per task that gets a label file.

use exportkit_core::{Error, ErrorKind};
use std::ops::Range;

/// A class reference in a Label Studio compat line.
#[derive(Debug)]
pub(crate) enum Cls {
    /// A class of the initial class list (its id never changes).
    Id(i64),
    /// A label missing from the config: Label Studio appends it to the class list when first
    /// seen (`id = len(categories)`), so only the writer, in input order, knows its id.
    Name(String),
}

/// One line of a compat label file: the class, then the rest of the line.
#[derive(Debug)]
pub(crate) struct Line {
    /// The class (written first).
    pub(crate) cls: Cls,
    /// The bytes after the class id (`" 0.5 0.5 0.1 0.1\n"`) in the fragment's bytes; `None`
    /// when Label Studio registers the label but writes no line (a box without coordinates).
    pub(crate) text: Option<Range<usize>>,
}

/// A label file's content.
#[derive(Debug)]
pub(crate) enum Content {
    /// Compat: create an empty file unless one with that name exists already.
    Touch,
    /// The whole file, in the fragment's bytes.
    Bytes(Range<usize>),
    /// Compat: lines whose class ids the writer resolves.
    Lines(Vec<Line>),
}

/// The task a clean label file belongs to (for its image's download and warnings).
#[derive(Debug, Clone)]
pub(crate) struct TaskRef {
    /// 0-based index in the input.
    pub(crate) index: u64,
    /// The task id as written.
    pub(crate) id: Option<String>,
}

/// One task's label file.
#[derive(Debug)]
pub(crate) struct FileOut {
    /// Compat: the file stem. Clean: the image URL (the writer assigns a unique stem).
    pub(crate) name: String,
    /// Compat: labels of annotations whose file was overwritten by an older one; Label Studio
    /// still appended them to the class list, in this order, before the final annotation's.
    pub(crate) appends: Vec<String>,
    /// What the file holds.
    pub(crate) content: Content,
    /// The task (clean; compat only with a downloaded image, for its warnings).
    pub(crate) task: Option<TaskRef>,
    /// Compat `*_WITH_IMAGES`: the image Label Studio downloaded (already in the resolver's
    /// cache) and its output path `images/<md5(url)[:8]>__<basename>`.
    pub(crate) image: Option<(String, String)>,
}

/// A fragment's payload.
#[derive(Debug, Default)]
pub(crate) struct Files(pub(crate) Vec<FileOut>);

/// The error for a fragment without the expected payload.
pub(crate) fn bad_fragment() -> Error {
    Error::new(
        ErrorKind::Format,
        "YOLO writer got a fragment without label files",
    )
}

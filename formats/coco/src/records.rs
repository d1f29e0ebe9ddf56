//! What the encoder hands the writer: images and annotations of a batch, pre-rendered where
//! possible, with the ids left for the writer to fill in (they depend on everything before).

use std::ops::Range;

/// An annotation's category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cat {
    /// Known when the batch was encoded.
    Id(i64),
    /// A label missing from the config (compat): the writer appends it with
    /// `id = len(categories)` on first sight, as Label Studio does.
    Name(String),
}

/// One `images` entry. Ranges index the fragment's bytes.
#[derive(Debug, Clone)]
pub(crate) struct ImageRec {
    /// `width`, rendered JSON.
    pub(crate) width: Range<usize>,
    /// `height`, rendered JSON.
    pub(crate) height: Range<usize>,
    /// Compat: `file_name`, rendered JSON. Clean: the image source (URL) as UTF-8 text, named
    /// by the writer.
    pub(crate) name: Range<usize>,
    /// `COCO_WITH_IMAGES`: the task whose URL `name` is, for the writer's download (`None`
    /// when there is nothing to copy: other formats, or no image URL).
    pub(crate) copy: Option<TaskRef>,
    /// Compat `COCO_WITH_IMAGES`: the image Label Studio downloaded, for the writer to copy.
    pub(crate) ls_copy: Option<LsCopy>,
}

/// An image a compat `COCO_WITH_IMAGES` export copies: `url` (already in the resolver's cache)
/// to the output path `name` (`images/<md5(url)[:8]>__<basename>`).
#[derive(Debug, Clone)]
pub(crate) struct LsCopy {
    pub(crate) url: String,
    pub(crate) name: String,
    pub(crate) task: TaskRef,
}

/// The task an image comes from, for download jobs and their warnings.
#[derive(Debug, Clone)]
pub(crate) struct TaskRef {
    /// 0-based index of the task in the input.
    pub(crate) index: u64,
    /// The task id as written.
    pub(crate) id: Option<String>,
}

/// One annotation, or (compat, `tail: None`) only a category lookup that may append a
/// category, for a label Label Studio looked up and then dropped.
#[derive(Debug, Clone)]
pub(crate) struct AnnRec {
    /// Its category.
    pub(crate) cat: Cat,
    /// The rendered object after `category_id`: `,\n      "segmentation": ...\n    }`.
    pub(crate) tail: Option<Range<usize>>,
}

/// How many images and annotations one item (compat: task × annotation; clean: task) added.
/// All of an item's images share one id (Label Studio's `image_id = len(images)` at its start).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ItemRec {
    pub(crate) images: usize,
    pub(crate) anns: usize,
}

/// A batch's payload.
#[derive(Debug, Default)]
pub(crate) struct Encoded {
    pub(crate) items: Vec<ItemRec>,
    pub(crate) images: Vec<ImageRec>,
    pub(crate) anns: Vec<AnnRec>,
}

/// The error for a fragment that does not carry an [`Encoded`] payload.
pub(crate) fn bad_fragment() -> exportkit_core::Error {
    exportkit_core::Error::new(
        exportkit_core::ErrorKind::Format,
        "COCO writer got a fragment without its payload",
    )
}

/// Replaces the `{` that opens a just-rendered object at `start` by `,`, so the object becomes
/// the tail of one whose first members the writer writes.
pub(crate) fn as_tail(bytes: &mut [u8], start: usize) -> Range<usize> {
    if let Some(b) = bytes.get_mut(start) {
        *b = b',';
    }
    start..bytes.len()
}

/// Renders an object with `members` at the nesting of an `annotations` element and returns it
/// as a tail (see [`as_tail`]).
pub(crate) fn render_tail(
    bytes: &mut Vec<u8>,
    style: exportkit_core::jsonfmt::JsonStyle,
    members: impl FnOnce(&mut exportkit_core::jsonfmt::JsonWriter<'_>),
) -> Range<usize> {
    let start = bytes.len();
    {
        let mut w = exportkit_core::jsonfmt::JsonWriter::with_level(bytes, style, 2);
        w.begin_object();
        members(&mut w);
        w.end_object();
    }
    as_tail(bytes, start)
}

/// Writes a list of floats as a JSON array.
pub(crate) fn f64_array(w: &mut exportkit_core::jsonfmt::JsonWriter<'_>, v: &[f64]) {
    w.begin_array();
    for &x in v {
        w.f64_value(x);
    }
    w.end_array();
}

//! A parsed, filtered task as encoders see it, and its Label Studio "items" (one per kept
//! annotation, `reference: ls-converter.md §3`).

use crate::config::{ControlMatcher, LabelConfig};
use crate::error::{Error, Result};
use crate::model::{self, Annotation, Region, Task};
use crate::options::{ExportOptions, TaskFilter};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// One batch of parsed tasks, as an encoder sees it.
#[derive(Debug)]
pub struct Batch<'b, 'a> {
    /// Tasks kept by the filters, in input order.
    pub tasks: &'b [TaskRecord<'a>],
    /// On the last batch: the input's bytes after the last task (e.g. `]\n`).
    pub trailer: Option<&'b [u8]>,
    /// The export's resource resolver (image sizes from headers, local media).
    pub resolver: &'b crate::resources::Resolver,
}

/// The label config as the item view uses it: `from_name` lookups precomputed. Build one per
/// batch; with no config (or an empty one) every result is kept, typed by its own `type`.
#[derive(Debug)]
pub struct Schema<'c> {
    matcher: Option<ControlMatcher<'c>>,
}

impl<'c> Schema<'c> {
    /// The schema of `config`.
    pub fn new(config: Option<&'c LabelConfig>) -> Self {
        Schema {
            matcher: config.filter(|c| !c.is_empty()).map(LabelConfig::matcher),
        }
    }
}

/// One task after parsing and filtering.
#[derive(Debug)]
pub struct TaskRecord<'a> {
    /// 0-based position in the input.
    pub index: u64,
    /// Byte offset in the input.
    pub offset: u64,
    /// The task's bytes exactly as in the input.
    pub raw: &'a str,
    /// The bytes that preceded the task in the input (`[`, `,`, whitespace, a BOM).
    pub gap: &'a [u8],
    /// The typed view.
    pub task: Task<'a>,
    /// Annotations kept by the annotation filter, parsed on first use (formats that pass
    /// tasks through never pay for it). Inner `None`: no `annotations`/`completions` key.
    annotations: OnceLock<Option<Vec<Annotation<'a>>>>,
    /// When the annotation filter removed some annotations: the raw JSON of those it kept.
    pub kept_raw: Option<Vec<&'a RawValue>>,
}

impl<'a> TaskRecord<'a> {
    /// Parses and filters one raw task. `Ok(None)` when the task filter drops it.
    pub fn parse(
        raw: &'a [u8],
        gap: &'a [u8],
        index: u64,
        offset: u64,
        opts: &ExportOptions,
    ) -> Result<Option<Self>> {
        let raw = std::str::from_utf8(raw).map_err(|e| {
            Error::input("invalid UTF-8 in task", offset + e.valid_up_to() as u64)
                .at_task(index, None)
        })?;
        let task = Task::parse(raw, offset).map_err(|e| e.at_task(index, None))?;
        let id = || task.id_text();
        if task.data.is_none() {
            return Err(Error::input("task has no \"data\" object", offset).at_task(index, id()));
        }
        if let TaskFilter::Ids(ids) = &opts.task_filter {
            let tid = task.id.map(|r| {
                model::as_str(r)
                    .map(Cow::into_owned)
                    .unwrap_or_else(|| r.get().to_owned())
            });
            if !tid.is_some_and(|t| ids.contains(&t)) {
                return Ok(None);
            }
        }
        if let Some(list) = task.annotations_raw().filter(|r| !r.get().starts_with('[')) {
            let at = offset + (list.get().as_ptr() as usize - raw.as_ptr() as usize) as u64;
            return Err(Error::input("\"annotations\" is not a list", at).at_task(index, id()));
        }
        let rec = TaskRecord {
            index,
            offset,
            raw,
            gap,
            task,
            annotations: OnceLock::new(),
            kept_raw: None,
        };
        let f = opts.annotation_filter;
        let rec = if f.is_active() {
            rec.filter_annotations(|a| {
                f.keeps(
                    model::truthy(a.was_cancelled),
                    model::truthy(a.ground_truth),
                )
            })?
        } else {
            rec
        };
        if opts.task_filter == TaskFilter::Annotated
            && rec.annotations()?.is_none_or(<[_]>::is_empty)
        {
            return Ok(None);
        }
        Ok(Some(rec))
    }

    /// Keeps the annotations `keep` accepts, remembering the raw JSON of the kept ones.
    fn filter_annotations(mut self, keep: impl Fn(&Annotation<'a>) -> bool) -> Result<Self> {
        let Some(list) = self.task.annotations().map_err(|e| self.json_error(&e))? else {
            let _ = self.annotations.set(None);
            return Ok(self);
        };
        let before = list.len();
        let (raws, kept): (Vec<_>, Vec<_>) = list.into_iter().filter(|(_, a)| keep(a)).unzip();
        if kept.len() != before {
            self.kept_raw = Some(raws);
        }
        let _ = self.annotations.set(Some(kept));
        Ok(self)
    }

    fn json_error(&self, e: &serde_json::Error) -> Error {
        model::json_error(self.raw, self.offset, e).at_task(self.index, self.id_text())
    }

    /// The annotations kept by the filter; `None` when the task has no annotation list.
    pub fn annotations(&self) -> Result<Option<&[Annotation<'a>]>> {
        if let Some(a) = self.annotations.get() {
            return Ok(a.as_deref());
        }
        let parsed = self
            .task
            .parse_annotations()
            .map_err(|e| self.json_error(&e))?;
        Ok(self.annotations.get_or_init(|| parsed).as_deref())
    }

    /// The task id as written (for messages).
    pub fn id_text(&self) -> Option<String> {
        self.task.id_text()
    }

    /// An error about this task.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::new(crate::ErrorKind::Input, message).at_task(self.index, self.id_text())
    }

    /// Label Studio's items: one per kept annotation, newest first (see [`items`]).
    pub fn items<'t>(&'t self, schema: &Schema<'t>) -> Result<Vec<Item<'t, 'a>>> {
        items(self, schema)
    }
}

/// The values one control produced in one annotation.
#[derive(Debug)]
pub struct OutputGroup<'t, 'a> {
    /// The result's `from_name`.
    pub from_name: &'t str,
    /// The control tag (`RectangleLabels`, `Choices`, ...), or the result type when the config
    /// is empty, or `chatmessage`.
    pub control_type: &'t str,
    /// The regions, in result order.
    pub regions: Vec<&'t Region<'a>>,
}

/// One task × annotation, as every derived format sees it.
#[derive(Debug)]
pub struct Item<'t, 'a> {
    /// The task.
    pub task: &'t TaskRecord<'a>,
    /// The annotation; `None` for a task without annotations.
    pub annotation: Option<&'t Annotation<'a>>,
    /// Outputs grouped by `from_name`, in order of first appearance.
    pub outputs: Vec<OutputGroup<'t, 'a>>,
}

#[derive(PartialEq, PartialOrd)]
enum SortKey<'x> {
    Null,
    Num(f64),
    Str(Cow<'x, str>),
}

fn sort_key(raw: Option<&RawValue>) -> SortKey<'_> {
    match raw {
        None => SortKey::Null,
        Some(r) => match r.get().as_bytes().first() {
            Some(b'"') => SortKey::Str(model::as_str(r).unwrap_or_default()),
            Some(b'-' | b'0'..=b'9') => SortKey::Num(model::as_f64(r).unwrap_or(0.0)),
            _ => SortKey::Null,
        },
    }
}

/// Label Studio's task → items rule (`annotation_result_from_task`):
/// - no annotation list: no items;
/// - an empty list: one item without annotation;
/// - cancelled/skipped annotations are dropped; if all were, no item;
/// - the rest newest first by `created_at` (stable);
/// - results are grouped by `from_name`, keeping only those whose `from_name` matches a control
///   (or every result when the config is empty or absent, and chat messages).
pub fn items<'t, 'a>(rec: &'t TaskRecord<'a>, schema: &Schema<'t>) -> Result<Vec<Item<'t, 'a>>> {
    let Some(list) = rec.annotations()? else {
        return Ok(Vec::new());
    };
    if list.is_empty() {
        return Ok(vec![Item {
            task: rec,
            annotation: None,
            outputs: Vec::new(),
        }]);
    }
    let mut kept: Vec<&Annotation<'a>> = list
        .iter()
        .filter(|a| !model::truthy(a.was_cancelled) && !model::truthy(a.skipped))
        .collect();
    kept.sort_by(|a, b| {
        sort_key(b.created_at)
            .partial_cmp(&sort_key(a.created_at))
            .unwrap_or(Ordering::Equal)
    });
    Ok(kept
        .into_iter()
        .map(|ann| {
            let mut outputs: Vec<OutputGroup<'t, 'a>> = Vec::new();
            for r in ann.result.iter().flatten() {
                let Some(from) = r.from_name.as_deref() else {
                    continue;
                };
                let control_type: &'t str = match &schema.matcher {
                    Some(m) => match m.control_for(from) {
                        Some(c) => c.tag.as_str(),
                        None if r.kind.as_deref() == Some("chatmessage") => "chatmessage",
                        None => continue,
                    },
                    // Label Studio: `r["type"] or "unknown"`.
                    None => r
                        .kind
                        .as_deref()
                        .filter(|k| !k.is_empty())
                        .unwrap_or("unknown"),
                };
                match outputs.iter_mut().find(|g| g.from_name == from) {
                    Some(g) => g.regions.push(r),
                    None => outputs.push(OutputGroup {
                        from_name: from,
                        control_type,
                        regions: vec![r],
                    }),
                }
            }
            Item {
                task: rec,
                annotation: Some(ann),
                outputs,
            }
        })
        .collect())
}

/// The items `pick` selects from a task's items (as [`items`] returns them, newest first), for
/// formats that write one file per image. A task always keeps one item, so its image is never
/// dropped: without a matching annotation it gets an item with no regions.
pub fn pick_items<'t, 'a>(
    rec: &'t TaskRecord<'a>,
    mut items: Vec<Item<'t, 'a>>,
    pick: crate::options::Pick,
) -> Vec<Item<'t, 'a>> {
    use crate::options::Pick;
    let chosen = match pick {
        Pick::All if !items.is_empty() => return items,
        Pick::All | Pick::Latest => (!items.is_empty()).then(|| items.swap_remove(0)),
        Pick::First => items.pop(),
        Pick::GroundTruth => items
            .into_iter()
            .find(|i| i.annotation.is_some_and(|a| model::truthy(a.ground_truth))),
    };
    vec![chosen.unwrap_or(Item {
        task: rec,
        annotation: None,
        outputs: Vec::new(),
    })]
}

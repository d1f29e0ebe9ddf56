//! exportkit: fast, streaming export and format conversion for labeled data.
//!
//! This facade re-exports [`exportkit_core`] and links every built-in format, so
//! [`Registry::global()`] lists them all. A minimal library use:
//!
//! ```no_run
//! use exportkit::{ExportContext, ExportJob, ExportOptions, Input, Registry, Target};
//!
//! let format = Registry::global().get("json_min")?;
//! let ctx = ExportContext { config: None, options: ExportOptions::default() };
//! let summary = ExportJob::new(format, ctx)
//!     .run(Input::File("tasks.json".into()), Target::from_path("out"))?;
//! println!("{} records", summary.records);
//! # Ok::<(), exportkit::Error>(())
//! ```
#![deny(missing_docs)]

pub use exportkit_core as core;
pub use exportkit_core::*;

// Name every built-in format crate so the linker keeps its `register_format!` entries.
#[cfg(feature = "asr")]
use exportkit_asr as _;
#[cfg(feature = "brush")]
use exportkit_brush as _;
#[cfg(feature = "coco")]
use exportkit_coco as _;
#[cfg(feature = "conll")]
use exportkit_conll as _;
#[cfg(feature = "csv")]
use exportkit_csv as _;
#[cfg(feature = "dwca")]
use exportkit_dwca as _;
#[cfg(feature = "json")]
use exportkit_json as _;
#[cfg(feature = "project")]
use exportkit_project as _;
#[cfg(feature = "voc")]
use exportkit_voc as _;
#[cfg(feature = "yolo")]
use exportkit_yolo as _;

/// Adds every built-in format to `registry`. Use it when life-before-main registration is not
/// available (a static library linked by a non-Rust linker, some WebAssembly hosts) or to
/// build a registry by hand.
pub fn register_builtins(registry: &mut Registry) -> Result<()> {
    #[cfg(feature = "json")]
    {
        registry.register(&exportkit_json::JSON)?;
        registry.register(&exportkit_json::JSON_MIN)?;
    }
    #[cfg(feature = "csv")]
    {
        registry.register(&exportkit_csv::CSV)?;
        registry.register(&exportkit_csv::TSV)?;
    }
    #[cfg(feature = "coco")]
    {
        registry.register(&exportkit_coco::COCO)?;
        registry.register(&exportkit_coco::COCO_WITH_IMAGES)?;
    }
    #[cfg(feature = "yolo")]
    {
        registry.register(&exportkit_yolo::YOLO)?;
        registry.register(&exportkit_yolo::YOLO_OBB)?;
        registry.register(&exportkit_yolo::YOLO_WITH_IMAGES)?;
        registry.register(&exportkit_yolo::YOLO_OBB_WITH_IMAGES)?;
    }
    #[cfg(feature = "voc")]
    registry.register(&exportkit_voc::VOC)?;
    #[cfg(feature = "dwca")]
    {
        registry.register(&exportkit_dwca::DWCA)?;
        registry.register(&exportkit_dwca::OCCURRENCES_SIMPLE_CSV)?;
        registry.register(&exportkit_dwca::OCCURRENCES_API_JSON)?;
    }
    #[cfg(feature = "project")]
    registry.register(&exportkit_project::PROJECT)?;
    #[cfg(feature = "conll")]
    registry.register(&exportkit_conll::CONLL2003)?;
    #[cfg(feature = "asr")]
    registry.register(&exportkit_asr::ASR_MANIFEST)?;
    #[cfg(feature = "brush")]
    {
        registry.register(&exportkit_brush::BRUSH_TO_NUMPY)?;
        registry.register(&exportkit_brush::BRUSH_TO_PNG)?;
        registry.register(&exportkit_brush::BRUSH_TO_COCO)?;
    }
    Ok(())
}

//! Runs one COCO export: `coco_export INPUT CONFIG OUT [clean|compat] [THREADS] [BATCH]`.
//! For manual checks (pycocotools, the Label Studio digest) without building the CLI.

use exportkit_coco::COCO;
use exportkit_core::{Compat, ExportContext, ExportJob, ExportOptions, Input, LabelConfig, Target};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, config, out, rest @ ..] = args.as_slice() else {
        return Err("usage: coco_export INPUT CONFIG OUT [clean|compat] [THREADS] [BATCH]".into());
    };
    let compat = rest.first().is_some_and(|m| m == "compat");
    let threads = rest.get(1).map_or(Ok(0), |t| t.parse())?;
    let batch_size = rest.get(2).map_or(Ok(1000), |t| t.parse())?;
    let config = LabelConfig::parse(&std::fs::read_to_string(config)?)?;
    let options = ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        threads,
        batch_size,
        ..ExportOptions::default()
    };
    let ctx = ExportContext {
        config: Some(Arc::new(config)),
        options,
    };
    let s = ExportJob::new(&COCO, ctx).run(Input::File(input.into()), Target::from_path(out))?;
    eprintln!(
        "{} tasks, {} images, {} warnings, {:?}",
        s.tasks_exported, s.records, s.warning_count, s.elapsed
    );
    for w in s.warnings.iter().take(10) {
        eprintln!("warning: {w}");
    }
    Ok(())
}

//! `exportkit formats [--config CONFIG.xml] [--json]`.

use super::{Failure, load_config};
use exportkit::config::LS_FORMATS;
use exportkit::{Registry, Support};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A Label Studio label config: mark each format enabled or disabled as Label Studio does.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Label Studio's UI title for each `Format` name.
fn ls_title(name: &str) -> &'static str {
    match name {
        "JSON" => "JSON",
        "JSON_MIN" => "JSON-MIN",
        "CSV" => "CSV",
        "TSV" => "TSV",
        "CONLL2003" => "CONLL2003",
        "COCO" => "COCO",
        "COCO_WITH_IMAGES" => "COCO with Images",
        "VOC" => "Pascal VOC XML",
        "YOLO" => "YOLO",
        "YOLO_WITH_IMAGES" => "YOLO with Images",
        "YOLO_OBB" => "YOLOv8 OBB",
        "YOLO_OBB_WITH_IMAGES" => "YOLOv8 OBB with Images",
        "BRUSH_TO_NUMPY" => "Brush labels to NumPy",
        "BRUSH_TO_PNG" => "Brush labels to PNG",
        "ASR_MANIFEST" => "ASR Manifest",
        "BRUSH_TO_COCO" => "Brush labels to COCO",
        "DOCLANG" => "DocLang (.dclx)",
        "CSV_OLD" => "CSV (legacy)",
        _ => "",
    }
}

struct Row {
    name: String,
    title: String,
    description: String,
    available: bool,
    /// `None` without a config.
    supported: Option<Result<(), String>>,
}

fn json_str(s: &str) -> String {
    let mut out = Vec::new();
    exportkit::jsonfmt::write_str(&mut out, s, &exportkit::jsonfmt::JsonStyle::CLEAN_COMPACT);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = args.config.as_deref().map(load_config).transpose()?;
    let ls_supported = config
        .as_ref()
        .map(|c| c.ls_supported_formats().map_err(|e| e.to_string()));
    let registry = Registry::global();
    let mut rows: Vec<Row> = registry
        .iter()
        .map(|f| {
            let info = f.info();
            Row {
                name: info.name.to_owned(),
                title: info.title.to_owned(),
                description: info.description.to_owned(),
                available: true,
                supported: config.as_ref().map(|c| match f.supports(c) {
                    Support::Supported => Ok(()),
                    Support::Unsupported(why) => Err(why),
                }),
            }
        })
        .collect();
    for ls in LS_FORMATS {
        if registry.get(ls).is_err() {
            rows.push(Row {
                name: ls.to_owned(),
                title: ls_title(ls).to_owned(),
                description: "not available in this build".to_owned(),
                available: false,
                supported: ls_supported.as_ref().map(|r| match r {
                    Ok(list) if list.contains(&ls) => Ok(()),
                    Ok(_) => Err(format!(
                        "Label Studio does not offer {ls} for this label config"
                    )),
                    Err(e) => Err(e.clone()),
                }),
            });
        }
    }
    if args.json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                let (supported, reason) = match &r.supported {
                    None => ("null".to_owned(), "null".to_owned()),
                    Some(Ok(())) => ("true".to_owned(), "null".to_owned()),
                    Some(Err(why)) => ("false".to_owned(), json_str(why)),
                };
                format!(
                    "{{\"name\":{},\"title\":{},\"description\":{},\"available\":{},\"supported\":{},\"reason\":{}}}",
                    json_str(&r.name),
                    json_str(&r.title),
                    json_str(&r.description),
                    r.available,
                    supported,
                    reason
                )
            })
            .collect();
        println!("[{}]", items.join(",\n "));
        return Ok(());
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4);
    for r in &rows {
        let status = match (&r.supported, r.available) {
            (None, true) => String::new(),
            (None, false) => String::new(),
            (Some(Ok(())), true) => "enabled   ".to_owned(),
            (Some(Ok(())), false) => "enabled*  ".to_owned(),
            (Some(Err(_)), _) => "disabled  ".to_owned(),
        };
        println!("{:width$}  {status}{}: {}", r.name, r.title, r.description);
    }
    if config.is_some() && rows.iter().any(|r| !r.available) {
        println!("\n* enabled by Label Studio for this config, but not available in this build");
    }
    Ok(())
}

//! `exportkit convert INPUT --format NAME --out OUT [...]`.

use super::progress::Bar;
use super::{Failure, load_config};
use exportkit::resources::ResourceOptions;
use exportkit::{
    AnnotationFilter, Compat, ExportContext, ExportJob, ExportOptions, Input, Pick, Registry,
    Support, Target, TaskFilter,
};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum CompatArg {
    /// Byte-identical to label-studio-sdk 2.1.2's converter.
    LabelStudio,
}

impl From<CompatArg> for exportkit::Compat {
    fn from(c: CompatArg) -> Self {
        match c {
            CompatArg::LabelStudio => exportkit::Compat::LabelStudio,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PickArg {
    /// The newest annotation.
    Latest,
    /// The oldest annotation.
    First,
    /// The newest ground-truth annotation.
    GroundTruth,
    /// All annotations together.
    All,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Label Studio export: a JSON array of tasks, one task object, or NDJSON; `-` for stdin.
    input: String,
    /// Output format (case-insensitive); see `exportkit formats`.
    #[arg(long, short)]
    format: String,
    /// Output directory (laid out like Label Studio's converter output), a `.zip`, or a single
    /// file named with the format's extension (`out.csv`) when the format writes one file.
    #[arg(long, short)]
    out: PathBuf,
    /// The project's label config (XML). Without it every result is kept as is.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Reproduce another converter byte for byte instead of the clean default.
    #[arg(long, value_enum)]
    compat: Option<CompatArg>,
    /// Encoding threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// Tasks per batch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    batch_size: u64,
    /// Keep only tasks with at least one annotation (after --annotations).
    #[arg(long)]
    only_annotated: bool,
    /// Keep only these task ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    task_ids: Vec<String>,
    /// Keep only these annotations: any of usual, ground-truth, skipped (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = ["usual", "ground-truth", "skipped"])]
    annotations: Vec<String>,
    /// Write drafts as `[]` (JSON).
    #[arg(long)]
    no_drafts: bool,
    /// Write predictions as `[]` (JSON).
    #[arg(long)]
    no_predictions: bool,
    /// Leave out the header row (CSV, TSV).
    #[arg(long)]
    no_header: bool,
    /// Which annotation formats with one file per image export (YOLO, VOC, ...).
    #[arg(long, value_enum, default_value_t = PickArg::Latest)]
    annotation: PickArg,
    /// Fail on data warnings (skipped regions, labels missing from the config, ...).
    #[arg(long)]
    strict: bool,
    /// Copy the images tasks point to into the output (VOC; `*_WITH_IMAGES` formats always do).
    #[arg(long)]
    download_resources: bool,
    /// Where `/data/upload/<project>/<file>` URLs are read from (Label Studio's media/upload).
    #[arg(long, value_name = "DIR")]
    upload_dir: Option<PathBuf>,
    /// Where `/data/local-files/?d=<path>` URLs are read from (LOCAL_FILES_DOCUMENT_ROOT).
    #[arg(long, value_name = "DIR")]
    local_files_root: Option<PathBuf>,
    /// A directory absolute file paths in task data may be read from (repeatable).
    #[arg(long, value_name = "DIR")]
    allow_root: Vec<PathBuf>,
    /// The Label Studio instance (e.g. https://ls.example.com): uploads, local files and cloud
    /// URIs are fetched from it with --token, and its host is allowed.
    #[arg(long, value_name = "URL")]
    hostname: Option<String>,
    /// API token for --hostname (sent as `Authorization: Token ...`, only to that host).
    #[arg(long, env = "LABEL_STUDIO_API_KEY", hide_env_values = true)]
    token: Option<String>,
    /// Allow downloads from this host, IP or CIDR even if private or loopback (repeatable).
    #[arg(long, value_name = "HOST|IP|CIDR")]
    allow_host: Vec<String>,
    /// Parallel downloads.
    #[arg(long, default_value_t = 8)]
    downloads: usize,
    /// A format-specific setting (repeatable), e.g. `--set project=bees`; see the README.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    set: Vec<(String, String)>,
    /// DwC-A: a JSON file mapping task data keys to Darwin Core terms.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// DwC-A: a taxonomy CSV (label,kingdom,phylum,class,order,family,genus,specificEpithet,scientificName,taxonRank).
    #[arg(long, value_name = "FILE")]
    taxonomy: Option<PathBuf>,
    /// DwC-A: dataset metadata (JSON: title, creator, contact, abstract, license).
    #[arg(long, value_name = "FILE")]
    metadata: Option<PathBuf>,
    /// PROJECT: optional sections (predictions, drafts, users, provenance; `all`, `none`).
    #[arg(long, value_name = "LIST")]
    include: Option<String>,
    /// PROJECT: refuse a document larger than this many bytes (0 = no limit; default 10 MB).
    #[arg(long, value_name = "BYTES")]
    max_bytes: Option<u64>,
    /// PROJECT: the project title.
    #[arg(long, value_name = "TITLE")]
    project_title: Option<String>,
    /// PROJECT: portable project settings (JSON).
    #[arg(long, value_name = "FILE")]
    project: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let format = Registry::global().get(&args.format)?;
    if args.only_annotated && !args.task_ids.is_empty() {
        return Err(Failure::Usage(
            "--only-annotated and --task-ids cannot be combined".into(),
        ));
    }
    let config = args.config.as_deref().map(load_config).transpose()?;
    if let Some(Support::Unsupported(why)) = config.as_ref().map(|cfg| format.supports(cfg)) {
        return Err(Failure::Export(
            exportkit::Error::new(exportkit::ErrorKind::Unsupported, why)
                .with_format(format.info().name),
        ));
    }
    let options = ExportOptions {
        compat: if args.compat.is_some() {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        threads: args.threads,
        batch_size: args.batch_size as usize,
        task_filter: if args.only_annotated {
            TaskFilter::Annotated
        } else if !args.task_ids.is_empty() {
            TaskFilter::Ids(args.task_ids.iter().map(|s| s.trim().to_owned()).collect())
        } else {
            TaskFilter::All
        },
        annotation_filter: AnnotationFilter {
            usual: args.annotations.iter().any(|a| a == "usual"),
            ground_truth: args.annotations.iter().any(|a| a == "ground-truth"),
            skipped: args.annotations.iter().any(|a| a == "skipped"),
        },
        drafts: !args.no_drafts,
        predictions: !args.no_predictions,
        header: !args.no_header,
        pick: match args.annotation {
            PickArg::Latest => Pick::Latest,
            PickArg::First => Pick::First,
            PickArg::GroundTruth => Pick::GroundTruth,
            PickArg::All => Pick::All,
        },
        strict: args.strict,
        download_resources: args.download_resources,
        format_options: {
            let mut m: std::collections::BTreeMap<String, String> = args.set.into_iter().collect();
            let paths = [
                ("mapping", args.mapping),
                ("taxonomy", args.taxonomy),
                ("metadata", args.metadata),
                ("project_file", args.project),
                ("config_path", args.config.clone()),
            ];
            for (key, path) in paths {
                if let Some(p) = path {
                    m.insert(key.to_owned(), p.to_string_lossy().into_owned());
                }
            }
            let values = [
                ("include", args.include),
                ("max_bytes", args.max_bytes.map(|b| b.to_string())),
                ("project_title", args.project_title),
            ];
            for (key, value) in values {
                if let Some(v) = value {
                    m.insert(key.to_owned(), v);
                }
            }
            m
        },
        resources: ResourceOptions {
            upload_dir: args.upload_dir,
            local_files_root: args.local_files_root,
            allowed_roots: args.allow_root,
            hostname: args.hostname,
            token: args.token,
            allow_hosts: args.allow_host,
            parallel: args.downloads.max(1),
            ..ResourceOptions::default()
        },
    };
    let input = if args.input == "-" {
        Input::Stdin
    } else {
        Input::File(PathBuf::from(&args.input))
    };
    let ctx = ExportContext {
        config: config.map(Arc::new),
        options,
    };
    let mut job = ExportJob::new(format, ctx);
    let bar = (!args.quiet).then(Bar::new).flatten().map(Arc::new);
    if let Some(bar) = &bar {
        job = job.observer(bar.clone());
    }
    let target = Target::for_extension(&args.out, format.info().extension);
    let result = job.run(input, target);
    if let Some(bar) = &bar {
        bar.finish();
    }
    let summary = result?;
    if !args.quiet {
        for w in summary.warnings.iter().take(20) {
            eprintln!("warning: {w}");
        }
        if summary.warning_count > 20 {
            eprintln!("warning: ... and {} more", summary.warning_count - 20);
        }
        eprintln!(
            "{}: {} of {} tasks, {} records -> {} ({} file{}) in {:.2} s{}",
            summary.format,
            summary.tasks_exported,
            summary.tasks_read,
            summary.records,
            summary.output.display(),
            summary.files.len(),
            if summary.files.len() == 1 { "" } else { "s" },
            summary.elapsed.as_secs_f64(),
            match summary.warning_count {
                0 => String::new(),
                n => format!(", {n} warning{}", if n == 1 { "" } else { "s" }),
            }
        );
    }
    Ok(())
}

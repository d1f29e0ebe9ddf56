//! `exportkit import DOC --out DIR`: a portable project document (`--format PROJECT`) →
//! `tasks.json` (Label Studio import), `config.xml`, `project.json` and `import-report.json`.
//! Everything is validated before anything is written; a failed import exits 1 and leaves
//! nothing behind.

use super::Failure;
use exportkit_project::import::{self, ImportOptions, UnknownUsers};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum UnknownUsersArg {
    /// Keep the author's email (the target creates or matches that user).
    Keep,
    /// Drop the author (`completed_by: null`), with a warning.
    Drop,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project document (`project.json` written by `convert --format PROJECT`).
    doc: PathBuf,
    /// Output directory (created; an existing one is merged into).
    #[arg(long, short)]
    out: PathBuf,
    /// Authors missing from the document's `users`: by default the import fails.
    #[arg(long, value_enum)]
    unknown_users: Option<UnknownUsersArg>,
    /// Refuse documents larger than this many bytes (checked before parsing; 0 = no limit).
    #[arg(long, default_value_t = 10_000_000)]
    max_bytes: u64,
    /// Validate and print the report without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let opts = ImportOptions {
        max_bytes: args.max_bytes,
        unknown_users: match args.unknown_users {
            None => UnknownUsers::Error,
            Some(UnknownUsersArg::Keep) => UnknownUsers::Keep,
            Some(UnknownUsersArg::Drop) => UnknownUsers::Drop,
        },
        ..ImportOptions::default()
    };
    let plan = import::plan_file(&args.doc, &opts)?;
    if args.dry_run {
        let report = import::report_json(&plan)?;
        print!("{}", String::from_utf8_lossy(&report));
        return Ok(());
    }
    let files = import::write_dir(&plan, &args.out)?;
    if !args.quiet {
        let r = &plan.report;
        for w in r.warnings.iter().take(20) {
            eprintln!("warning: {w}");
        }
        if r.warnings.len() > 20 {
            eprintln!("warning: ... and {} more", r.warnings.len() - 20);
        }
        eprintln!(
            "import: {} tasks, {} annotations, {} predictions, {} drafts, {} users -> {} ({} files); re-export with --set include={}",
            r.tasks,
            r.annotations,
            r.predictions,
            r.drafts,
            r.users,
            args.out.display(),
            files.len(),
            plan.include
        );
    }
    Ok(())
}

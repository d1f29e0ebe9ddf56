//! `exportkit formats` and `exportkit convert`. Exit codes: 0 success, 1 failed export,
//! 2 bad usage.

mod convert;
mod formats;
#[cfg(feature = "project")]
mod import;
mod progress;
#[cfg(feature = "serve")]
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Fast, streaming export and format conversion for labeled data.
#[derive(Debug, Parser)]
#[command(name = "exportkit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the formats, and with --config which ones can export that project.
    Formats(formats::Args),
    /// Convert a Label Studio export (JSON array, single task or NDJSON) into a format.
    Convert(Box<convert::Args>),
    /// Import a portable project document (`--format PROJECT`) into a Label Studio-importable directory.
    #[cfg(feature = "project")]
    Import(import::Args),
    /// Serve Label Studio's export API (snapshots, conversions, downloads) over a data directory.
    #[cfg(feature = "serve")]
    Serve(Box<serve::Args>),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Formats(a) => formats::run(a),
        Command::Convert(a) => convert::run(*a),
        #[cfg(feature = "project")]
        Command::Import(a) => import::run(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(*a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("exportkit: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Export(e)) => {
            eprintln!("exportkit: {e}");
            ExitCode::from(1)
        }
    }
}

/// Why a command failed.
enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// The export failed: exit 1.
    Export(exportkit::Error),
}

impl From<exportkit::Error> for Failure {
    fn from(e: exportkit::Error) -> Self {
        match e.kind() {
            exportkit::ErrorKind::UnknownFormat | exportkit::ErrorKind::Options => {
                Failure::Usage(e.to_string())
            }
            _ => Failure::Export(e),
        }
    }
}

/// Reads and parses a label config file.
fn load_config(path: &std::path::Path) -> Result<exportkit::LabelConfig, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::Export(exportkit::Error::io(path, e)))?;
    exportkit::LabelConfig::parse_bytes(&bytes).map_err(|e| {
        Failure::Export(exportkit::Error::new(
            exportkit::ErrorKind::Config,
            format!("{}: {e}", path.display()),
        ))
    })
}

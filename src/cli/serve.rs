//! `exportkit serve`: the Label Studio-compatible export API over a data directory.

use super::Failure;
use exportkit::resources::ResourceOptions;
use exportkit_server::{Access, ServerConfig, Users};
use exportkit_service::{DirSource, JsonLinesAudit, Service, ServiceConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Projects: DATA/<id>/tasks.json + config.xml (+ project.json, users.json); `exportkit
    /// import DOC --out DATA/<id>` writes one.
    #[arg(long, value_name = "DIR", default_value = "data")]
    data: PathBuf,
    /// Where snapshot metadata (SQLite) and files live (default: DATA/.exportkit).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// An API token with access to every project (`Authorization: Token <T>`).
    #[arg(long, env = "EXPORTKIT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Users, tokens and roles (TOML: [[user]] email, token or token_sha256, org_admin,
    /// projects = { 1 = "researcher", 2 = "admin" }); see the README.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Export jobs that run at once.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Exports of one project that run at once.
    #[arg(long, default_value_t = 2)]
    per_project: usize,
    /// Encoding threads per job.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Delete snapshots older than this many days (0 keeps them).
    #[arg(long, default_value_t = 14)]
    retention_days: u64,
    /// Fail an export whose file would be larger than this many bytes (0: no limit).
    #[arg(long, default_value_t = 0)]
    max_file_bytes: u64,
    /// Conversions byte-compatible with Label Studio instead of clean.
    #[arg(long, value_enum)]
    compat: Option<super::convert::CompatArg>,
    /// Append audit events (requested/completed/failed/deleted) to this JSON-lines file.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Where `/data/upload/<project>/<file>` URLs are read from.
    #[arg(long, value_name = "DIR")]
    upload_dir: Option<PathBuf>,
    /// Where `/data/local-files/?d=<path>` URLs are read from.
    #[arg(long, value_name = "DIR")]
    local_files_root: Option<PathBuf>,
    /// Allow media downloads from this host, IP or CIDR even if private or loopback (repeatable).
    #[arg(long, value_name = "HOST|IP|CIDR")]
    allow_host: Vec<String>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let mut tokens = match &args.users {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
            Users::from_toml(&text)
                .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?
        }
        None => Users::new(),
    };
    if let Some(t) = args.token {
        if t.len() < 8 {
            return Err(Failure::Usage(
                "--token must be at least 8 characters".into(),
            ));
        }
        tokens.insert(&t, Access::all());
    }
    if tokens.is_empty() {
        return Err(Failure::Usage(
            "give --token (or EXPORTKIT_TOKEN) or --users FILE: the API never runs without authentication".into(),
        ));
    }
    let state = args.state.unwrap_or_else(|| args.data.join(".exportkit"));
    let mut config = ServiceConfig::new(state);
    config.workers = args.workers.max(1);
    config.max_running_per_project = args.per_project.max(1);
    config.threads_per_job = args.threads.max(1);
    config.retention = (args.retention_days > 0)
        .then(|| Duration::from_secs(args.retention_days.saturating_mul(86_400)));
    config.max_file_bytes = args.max_file_bytes;
    if let Some(c) = args.compat {
        config.compat = c.into();
    }
    config.resources = ResourceOptions {
        upload_dir: args.upload_dir,
        local_files_root: args.local_files_root,
        allow_hosts: args.allow_host,
        ..ResourceOptions::default()
    };
    let service_err = |e: exportkit_service::ServiceError| {
        Failure::Usage(format!("cannot start the export service: {e}"))
    };
    let mut builder = Service::builder(config).source(Arc::new(DirSource::new(&args.data)));
    if let Some(path) = &args.audit_log {
        let audit = JsonLinesAudit::open(path)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        builder = builder.audit(Arc::new(audit));
    }
    let service = builder.start().map_err(service_err)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| Failure::Usage(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener
            .local_addr()
            .map_or(args.addr.clone(), |a| a.to_string());
        eprintln!(
            "exportkit: serving the export API on http://{addr} (projects in {})",
            args.data.display()
        );
        exportkit_server::serve(listener, service, ServerConfig::new(tokens))
            .await
            .map_err(|e| Failure::Usage(format!("server error: {e}")))
    })
}

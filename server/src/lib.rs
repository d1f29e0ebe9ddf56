//! exportkit-server: Label Studio's export REST API (`ls-export-api.md` §4, §9) over
//! [`exportkit_service`], so `label-studio-sdk` (and the legacy `Client`) can drive exportkit
//! unchanged.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use exportkit_server::{Access, ServerConfig, Users};
//! use exportkit_service::{DirSource, Service, ServiceConfig};
//! use std::sync::Arc;
//!
//! let service = Service::builder(ServiceConfig::new("state"))
//!     .source(Arc::new(DirSource::new("data")))
//!     .start()
//!     .expect("service");
//! let mut users = Users::new();
//! users.insert("a-long-secret-token", Access::all());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! exportkit_server::serve(listener, service, ServerConfig::new(users)).await
//! # }
//! ```
#![deny(missing_docs)]

mod antenna;
mod auth;
mod drf;
mod envelope;
mod flagsmith;
mod routes;
mod wire;

pub use auth::{Access, Role, Users, token_digest};
pub use envelope::ApiError;

use axum::Router;
use exportkit_service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tower::Layer;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Accepted users and their tokens.
    pub users: Users,
    /// The largest request body accepted (bytes).
    pub max_body: usize,
    /// How long a client may take to send its request body.
    pub body_timeout: Duration,
    /// How long a handler may take to produce a response (downloads stream after it).
    pub handler_timeout: Duration,
    /// How long a client may take to send its request line and headers.
    pub header_timeout: Duration,
    /// Open connections at most; more wait in the listen queue.
    pub max_connections: usize,
    /// The largest Flagsmith-style project export or import document (bytes).
    pub project_max_bytes: u64,
}

impl ServerConfig {
    /// Defaults: 1 MiB bodies, 10 s to send the headers and 30 s the body, 15 min to answer
    /// (easy exports run inside the request, as in Label Studio), 512 connections.
    pub fn new(users: Users) -> Self {
        ServerConfig {
            users,
            max_body: 1 << 20,
            body_timeout: Duration::from_secs(30),
            handler_timeout: Duration::from_secs(900),
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
            project_max_bytes: 10_000_000,
        }
    }
}

/// The API as an axum router (paths without trailing slashes; [`serve`] accepts both).
pub fn router(service: Service, config: ServerConfig) -> Router {
    routes::router(service, config)
}

/// Serves the API on `listener` until ctrl-c, then stops the service. Trailing slashes are
/// accepted on every route. Slow clients are bounded: request headers must arrive within
/// `header_timeout` and fit in 64 KiB, and at most `max_connections` connections are open.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    config: ServerConfig,
) -> std::io::Result<()> {
    let header_timeout = config.header_timeout;
    let permits = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let app = tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash()
        .layer(router(service.clone(), config));
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            _ = &mut stop => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let app = app.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(64 * 1024);
            let svc = TowerToHyperService::new(app);
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
            drop(permit);
        });
    }
    tokio::task::spawn_blocking(move || service.shutdown())
        .await
        .map_err(std::io::Error::other)
}

//! exportkit-server: Label Studio's export REST API (`ls-export-api.md` §4, §9) over
//! [`exportkit_service`], so `label-studio-sdk` (and the legacy `Client`) can drive exportkit
//! unchanged.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use exportkit_server::{Access, ServerConfig, Tokens};
//! use exportkit_service::{DirSource, Service, ServiceConfig};
//! use std::sync::Arc;
//!
//! let service = Service::builder(ServiceConfig::new("state"))
//!     .source(Arc::new(DirSource::new("data")))
//!     .start()
//!     .expect("service");
//! let mut tokens = Tokens::new();
//! tokens.insert("a-long-secret-token", Access::all());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! exportkit_server::serve(listener, service, ServerConfig::new(tokens)).await
//! # }
//! ```
#![deny(missing_docs)]

mod auth;
mod envelope;
mod routes;
mod wire;

pub use auth::{Access, Tokens};
pub use envelope::ApiError;

use axum::Router;
use axum::extract::Request;
use exportkit_service::Service;
use std::time::Duration;
use tower::Layer;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Accepted tokens.
    pub tokens: Tokens,
    /// The largest request body accepted (bytes).
    pub max_body: usize,
    /// How long a client may take to send its request body.
    pub body_timeout: Duration,
    /// How long a handler may take to produce a response (downloads stream after it).
    pub handler_timeout: Duration,
}

impl ServerConfig {
    /// Defaults: 1 MiB bodies, 30 s to send one, 15 min to answer (easy exports run inside the
    /// request, as in Label Studio).
    pub fn new(tokens: Tokens) -> Self {
        ServerConfig {
            tokens,
            max_body: 1 << 20,
            body_timeout: Duration::from_secs(30),
            handler_timeout: Duration::from_secs(900),
        }
    }
}

/// The API as an axum router (paths without trailing slashes; [`serve`] accepts both).
pub fn router(service: Service, config: ServerConfig) -> Router {
    routes::router(service, config)
}

/// Serves the API on `listener` until the process ends or ctrl-c. Trailing slashes are
/// accepted on every route.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    config: ServerConfig,
) -> std::io::Result<()> {
    let app = tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash()
        .layer(router(service.clone(), config));
    let app = axum::ServiceExt::<Request>::into_make_service(app);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    tokio::task::spawn_blocking(move || service.shutdown())
        .await
        .map_err(std::io::Error::other)?;
    result
}

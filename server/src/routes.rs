//! The endpoints.

use crate::ServerConfig;
use crate::auth::Access;
use crate::envelope::ApiError;
use crate::wire::{CreatedOut, SnapshotOut};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use exportkit_service::{Download, EasyExport, ExportRequest, Service, parse_bool_str};
use serde_json::json;
use std::sync::Arc;
use tower::ServiceExt;

#[derive(Clone)]
pub(crate) struct App {
    pub(crate) service: Service,
    pub(crate) config: Arc<ServerConfig>,
}

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn router(service: Service, config: ServerConfig) -> Router {
    let max_body = config.max_body;
    let body_timeout = config.body_timeout;
    let handler_timeout = config.handler_timeout;
    let project_max_bytes = if config.project_max_bytes == 0 {
        u64::MAX
    } else {
        config.project_max_bytes
    };
    let app = App {
        service,
        config: Arc::new(config),
    };
    let api = Router::new()
        .route("/api/projects/{id}", get(project))
        .route("/api/dm/views", get(views))
        .route("/api/projects/{id}/export/formats", get(formats))
        .route("/api/projects/{id}/export", get(easy_export))
        .route("/api/projects/{id}/exports", get(list).post(create))
        .route(
            "/api/projects/{id}/exports/{pk}",
            get(detail).delete(delete),
        )
        .route("/api/projects/{id}/exports/{pk}/download", get(download))
        .route(
            "/api/projects/{id}/exports/{pk}/convert",
            axum::routing::post(convert),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    let drf = Router::new()
        .route(
            "/api/v2/exports",
            get(crate::antenna::list).post(crate::antenna::create),
        )
        .route(
            "/api/v2/exports/{id}",
            get(crate::antenna::detail)
                .put(crate::antenna::update)
                .patch(crate::antenna::update)
                .delete(crate::antenna::delete),
        )
        .route(
            "/api/v2/exports/{id}/download",
            get(crate::antenna::download),
        )
        .route(
            "/api/v1/projects/{id}/project-exports",
            get(crate::flagsmith::list).post(crate::flagsmith::create),
        )
        .route(
            "/api/v1/projects/{id}/project-exports/{eid}",
            get(crate::flagsmith::detail),
        )
        .route(
            "/api/v1/projects/{id}/project-exports/{eid}/download",
            get(crate::flagsmith::download),
        )
        .route(
            "/api/v1/projects/{id}/project-imports",
            axum::routing::post(crate::flagsmith::import).layer(
                axum::extract::DefaultBodyLimit::max(
                    usize::try_from(project_max_bytes)
                        .unwrap_or(usize::MAX)
                        .saturating_add(64 * 1024),
                ),
            ),
        )
        .route("/api/v1/audit", get(crate::flagsmith::audit))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            authenticate_drf,
        ));
    Router::new()
        .route("/api/version", get(version))
        .merge(drf)
        .route("/api/token/refresh", axum::routing::post(refresh))
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            handler_timeout,
        ))
        .with_state(app)
}

/// The caller's access from the `Authorization` header, or why there is none (401).
fn access_of(app: &App, req: &Request) -> Result<Access, &'static str> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or("Authentication credentials were not provided.")?;
    app.config
        .users
        .check(header)
        .cloned()
        .ok_or("Invalid token.")
}

/// Authenticates a Label Studio route (401 in Label Studio's envelope).
async fn authenticate(State(app): State<App>, mut req: Request, next: Next) -> Response {
    match access_of(&app, &req) {
        Ok(access) => {
            req.extensions_mut().insert(access);
            next.run(req).await
        }
        Err(why) => ApiError::new(StatusCode::UNAUTHORIZED, why).into_response(),
    }
}

/// The same check, answered in Django REST framework's shape (Antenna, Flagsmith).
async fn authenticate_drf(State(app): State<App>, mut req: Request, next: Next) -> Response {
    match access_of(&app, &req) {
        Ok(access) => {
            req.extensions_mut().insert(access);
            next.run(req).await
        }
        Err(why) => crate::drf::DrfError::detail(StatusCode::UNAUTHORIZED, why).into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("Not found.")
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method \"{}\" not allowed.", req.method()),
    )
}

/// Runs blocking service work off the async threads; errors in the caller's shape.
pub(crate) async fn blocking_with<T: Send + 'static, E: From<exportkit_service::ServiceError>>(
    f: impl FnOnce() -> exportkit_service::Result<T> + Send + 'static,
) -> Result<T, E> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(E::from),
        Err(e) => Err(E::from(exportkit_service::ServiceError::Io(
            std::io::Error::other(format!("worker failed: {e}")),
        ))),
    }
}

/// [`blocking_with`] with Label Studio's error envelope.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> exportkit_service::Result<T> + Send + 'static,
) -> ApiResult<T> {
    blocking_with(f).await
}

/// The project id, checked against the token's scope (an unseen project is a 404).
fn visible(access: &Access, id: &str) -> ApiResult<u64> {
    id.parse::<u64>()
        .ok()
        .filter(|id| access.sees(*id))
        .ok_or_else(|| ApiError::not_found("Not found."))
}

fn pk(pk: &str) -> ApiResult<u64> {
    pk.parse().map_err(|_| ApiError::not_found("Not found."))
}

/// Query pairs, decoded; a key may repeat (`ids=1&ids=2`).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_get<'q>(q: &'q [(String, String)], key: &str) -> Option<&'q str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn query_bool(q: &[(String, String)], key: &str, default: bool) -> ApiResult<bool> {
    match query_get(q, key) {
        None => Ok(default),
        Some(v) => parse_bool_str(v)
            .ok_or_else(|| ApiError::validation(json!({ key: ["Must be a valid boolean."] }))),
    }
}

async fn version() -> Json<serde_json::Value> {
    Json(json!({
        "release": env!("CARGO_PKG_VERSION"),
        "edition": "Community",
        "backend": "exportkit",
        "label-studio-os-package": {"version": env!("CARGO_PKG_VERSION")},
        "label-studio-converter": {"version": "exportkit"},
    }))
}

/// JWT-style clients (personal access tokens) trade their refresh token for an access token
/// first; a token this server accepts is its own access token.
async fn refresh(State(app): State<App>, body: Bytes) -> ApiResult<Json<serde_json::Value>> {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let token = v
        .get("refresh")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    if token.is_empty() || app.config.users.check_token(token).is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Token is invalid or expired",
        ));
    }
    Ok(Json(json!({ "access": token })))
}

async fn project(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = visible(&access, &id)?;
    let s = app.service.clone();
    let info = blocking(move || s.project(id)).await?;
    Ok(Json(json!({
        "id": info.id,
        "title": info.title,
        "label_config": info.label_config,
    })))
}

/// Data Manager tabs: there are none (the SDK snapshot example lists them).
async fn views() -> Json<serde_json::Value> {
    Json(json!([]))
}

async fn formats(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<exportkit_service::FormatEntry>>> {
    let id = visible(&access, &id)?;
    let s = app.service.clone();
    Ok(Json(blocking(move || s.formats(id)).await?))
}

async fn list(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = visible(&access, &id)?;
    let s = app.service.clone();
    let list = blocking(move || s.list(id)).await?;
    let out: Vec<SnapshotOut<'_>> = list.iter().map(SnapshotOut::from).collect();
    Ok(Json(out).into_response())
}

async fn create(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = visible(&access, &id)?;
    let request = ExportRequest::from_json(&body).map_err(|e| ApiError::validation(e.to_json()))?;
    let s = app.service.clone();
    let user = access.user.clone();
    let snap = blocking(move || s.create(id, request, Some(user))).await?;
    Ok((StatusCode::CREATED, Json(CreatedOut::from(&snap))).into_response())
}

async fn detail(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path((id, pk_)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = visible(&access, &id)?;
    let pk = pk(&pk_)?;
    let s = app.service.clone();
    let snap = blocking(move || s.get(id, pk)).await?;
    Ok(Json(SnapshotOut::from(&snap)).into_response())
}

async fn delete(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path((id, pk_)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = visible(&access, &id)?;
    let pk = pk(&pk_)?;
    let s = app.service.clone();
    blocking(move || s.delete(id, pk)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn convert(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path((id, pk_)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let id = visible(&access, &id)?;
    let pk = pk(&pk_)?;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let Some(export_type) = v
        .get("export_type")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
    else {
        return Err(ApiError::validation(
            json!({"export_type": ["This field is required."]}),
        ));
    };
    let download_resources = match v.get("download_resources") {
        None | Some(serde_json::Value::Null) => false,
        Some(b) => exportkit_service::drf_bool(b).ok_or_else(|| {
            ApiError::validation(json!({"download_resources": ["Must be a valid boolean."]}))
        })?,
    };
    let s = app.service.clone();
    let user = access.user.clone();
    let conv =
        blocking(move || s.convert(id, pk, &export_type, download_resources, Some(&user))).await?;
    Ok(Json(json!({
        "export_type": conv.export_type,
        "converted_format": conv.id,
    })))
}

async fn download(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path((id, pk_)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = visible(&access, &id)?;
    let pk = pk(&pk_)?;
    let q = query_pairs(raw.as_deref());
    let export_type = query_get(&q, "exportType")
        .or_else(|| query_get(&q, "export_type"))
        .map(str::to_owned);
    let s = app.service.clone();
    let dl = blocking(move || s.download(id, pk, export_type.as_deref())).await?;
    send(dl, headers).await
}

async fn easy_export(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = visible(&access, &id)?;
    let q = query_pairs(raw.as_deref());
    let ids: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "ids" || k == "ids[]")
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_owned()))
        .filter(|s| !s.is_empty())
        .collect();
    let opts = EasyExport {
        export_type: query_get(&q, "exportType")
            .or_else(|| query_get(&q, "export_type"))
            .map(str::to_owned),
        download_all_tasks: query_bool(&q, "download_all_tasks", false)?,
        download_resources: query_bool(&q, "download_resources", false)?,
        ids: (!ids.is_empty()).then_some(ids),
    };
    let s = app.service.clone();
    let dl = blocking(move || s.easy_export(id, &opts)).await?;
    send(dl, headers).await
}

/// Sends a download: byte ranges from a local file, a stream otherwise; always with
/// `Content-Disposition: attachment; filename="..."`.
pub(crate) async fn send(dl: Download, headers: HeaderMap) -> ApiResult<Response> {
    let Download {
        file,
        file_name,
        content_type,
        scratch,
    } = dl;
    let mut resp = match &file.local_path {
        Some(path) => {
            let mut req = Request::new(Body::empty());
            for name in [header::RANGE, header::IF_RANGE] {
                if let Some(v) = headers.get(&name) {
                    req.headers_mut().insert(name, v.clone());
                }
            }
            let served = tower_http::services::ServeFile::new(path)
                .oneshot(req)
                .await
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            served.map(Body::new)
        }
        None => {
            let (w, r) = tokio::io::duplex(1 << 16);
            let mut reader = file.reader;
            tokio::task::spawn_blocking(move || {
                let mut bridge = tokio_util::io::SyncIoBridge::new(w);
                let _ = std::io::copy(&mut reader, &mut bridge);
            });
            let mut resp = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(r)));
            if let Ok(v) = HeaderValue::from_str(&file.len.to_string()) {
                resp.headers_mut().insert(header::CONTENT_LENGTH, v);
            }
            resp
        }
    };
    // The open file keeps the bytes of an easy export alive; its directory can go now.
    drop(scratch);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let safe: String = file_name
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

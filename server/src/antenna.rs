//! Antenna's data-export API (`/api/v2/exports/`), over the same service: exports straight to
//! DwC-A or occurrence files, filtered by a collection (capture set), with Antenna's job and
//! progress shapes, plus `status` and `error_message` on the export itself.

use crate::auth::{Access, Role};
use crate::drf::{DrfError, file_size_display};
use crate::routes::{App, query_pairs, send};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use exportkit_core::time::iso_micros;
use exportkit_service::{Dialect, ExportRequest, Snapshot, Status};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, DrfError>;

/// Antenna's format keys and the registry formats behind them.
const FORMATS: [(&str, &str); 3] = [
    ("dwca", "DWCA"),
    ("occurrences_simple_csv", "OCCURRENCES_SIMPLE_CSV"),
    ("occurrences_api_json", "OCCURRENCES_API_JSON"),
];

fn antenna_key(registry_name: &str) -> &str {
    FORMATS
        .iter()
        .find(|(_, n)| *n == registry_name)
        .map_or(registry_name, |(k, _)| k)
}

/// `http://host` of the request, for absolute URLs.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{proto}://{host}")
}

fn job_status(s: Status) -> &'static str {
    match s {
        Status::Created => "CREATED",
        Status::InProgress => "STARTED",
        Status::Completed => "SUCCESS",
        Status::Failed => "FAILURE",
    }
}

/// The export as Antenna's serializer shows it.
pub(crate) fn to_json(s: &Snapshot, base: &str) -> Value {
    let file_url = (s.status == Status::Completed && s.file.is_some())
        .then(|| format!("{base}/api/v2/exports/{}/download", s.id));
    let done = s.progress.as_ref().map_or(
        if s.status == Status::Completed {
            s.counters.task_number
        } else {
            0
        },
        |p| p.done,
    );
    let export_progress = match s.status {
        Status::Completed => 1.0,
        _ => s.progress.as_ref().map_or(0.0, |p| p.percent / 100.0),
    };
    let export_stage_status = match s.status {
        Status::Completed => "SUCCESS",
        Status::Failed => "FAILURE",
        _ if s.progress.as_ref().is_some_and(|p| p.stage == "queued") => "PENDING",
        _ => "STARTED",
    };
    let mut stages = vec![json!({
        "key": "data_export",
        "name": "Exporting data",
        "status": export_stage_status,
        "progress": (export_progress * 100.0_f64).round() / 100.0,
        "params": [
            {"key": "number_of_records_exported", "name": "Number of records exported", "value": done},
            {"key": "total_records_to_export", "name": "Total records to export",
             "value": (s.status == Status::Completed).then_some(s.counters.task_number)},
        ],
    })];
    if s.status == Status::Completed {
        stages.push(json!({
            "key": "uploading_snapshot",
            "name": "Uploading snapshot",
            "status": "SUCCESS",
            "progress": 1.0,
            "params": [{"key": "file_url", "name": "File URL", "value": file_url}],
        }));
    }
    let collection = s.request.extra.get("filters_display").cloned();
    let filters = s.request.extra.get("filters").cloned().unwrap_or(json!({}));
    let user = s.created_by.as_ref().map(|u| {
        let name = format!("{} {}", u.first_name, u.last_name).trim().to_owned();
        json!({"id": u.id, "name": if name.is_empty() { u.email.clone() } else { name }, "email": u.email})
    });
    json!({
        "id": s.id,
        "user": user,
        "project": s.project,
        "format": antenna_key(&s.format),
        "filters": filters,
        "filters_display": collection.unwrap_or(json!({})),
        "job": {
            "id": s.id,
            "name": s.title,
            "project": s.project,
            "progress": {
                "summary": {"status": job_status(s.status), "progress": (export_progress * 100.0_f64).round() / 100.0},
                "stages": stages,
                "errors": s.reason.iter().collect::<Vec<_>>(),
            },
            "result": s.finished_at.map(|_| json!({"status": job_status(s.status), "file_url": file_url})),
        },
        "file_url": file_url,
        "record_count": s.records,
        "file_size": s.file_size,
        "file_size_display": file_size_display(s.file_size),
        "status": match s.status {
            Status::Completed => "SUCCEEDED",
            Status::Failed => "FAILED",
            _ => "PENDING",
        },
        "error_message": s.reason,
        "created_at": iso_micros(s.created_at),
        "updated_at": iso_micros(s.finished_at.unwrap_or(s.created_at)),
    })
}

fn parse_body(body: &Bytes) -> Result<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(DrfError::detail(
            StatusCode::BAD_REQUEST,
            "JSON parse error: expected an object",
        )),
    }
}

/// Validates `format` and `filters` for `project`: the registry name, the task ids and the
/// request's `extra` (filters and their display).
fn plan(
    app: &App,
    project: u64,
    body: &serde_json::Map<String, Value>,
) -> Result<(String, ExportRequest)> {
    let available: Vec<&str> = FORMATS
        .iter()
        .filter(|(_, n)| app.service.has_format(n))
        .map(|(k, _)| *k)
        .collect();
    let key = match body.get("format") {
        Some(Value::String(f)) => f.as_str(),
        None | Some(Value::Null) => {
            return Err(DrfError::field("format", "This field is required."));
        }
        Some(_) => return Err(DrfError::field("format", "Not a valid string.")),
    };
    let Some((_, name)) = FORMATS
        .iter()
        .find(|(k, _)| *k == key && available.contains(k))
    else {
        return Err(DrfError::field(
            "format",
            format!(
                "\"{key}\" is not a valid choice. Supported formats: {}",
                available.join(", ")
            ),
        ));
    };
    let filters = match body.get("filters") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(m)) => Value::Object(m.clone()),
        Some(_) => {
            return Err(DrfError::field(
                "filters",
                "Expected a dictionary of filters.",
            ));
        }
    };
    let mut request = ExportRequest::default();
    let mut display = json!({});
    let collection = filters
        .get("collection_id")
        .or_else(|| filters.get("collection"));
    if let Some(c) = collection.filter(|c| !c.is_null()) {
        let id = c
            .as_u64()
            .or_else(|| c.as_str()?.parse().ok())
            .ok_or_else(|| DrfError::field("filters", "collection_id must be an integer."))?;
        let found = app
            .service
            .source()
            .collection(id)
            .map_err(|e| DrfError::detail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let Some(col) = found else {
            return Err(DrfError::field("filters", "Capture set does not exist."));
        };
        if col.project != project {
            return Err(DrfError::field(
                "filters",
                format!("Capture set {id} does not belong to the selected project."),
            ));
        }
        request.ids = Some(col.id_strings());
        request.title = format!("Export occurrences for capture set {id}");
        display = json!({"collection": {"id": col.id, "name": col.name}});
    } else {
        request.title = "Export occurrences".into();
    }
    request.extra = json!({"filters": filters, "filters_display": display});
    Ok(((*name).to_owned(), request))
}

fn project_of(body: &serde_json::Map<String, Value>) -> Result<u64> {
    match body.get("project") {
        None | Some(Value::Null) => Err(DrfError::field("project", "This field is required.")),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str()?.parse().ok())
            .ok_or_else(|| DrfError::field("project", "Incorrect type. Expected pk value.")),
    }
}

/// The export if the user may see it (404 otherwise, also for other APIs' exports).
async fn visible_export(app: &App, access: &Access, id: &str) -> Result<Snapshot> {
    let id: u64 = id.parse().map_err(|_| DrfError::not_found())?;
    let s = app.service.clone();
    let snap = crate::drf::run(move || s.export(id)).await?;
    if snap.dialect != Dialect::Antenna || !access.sees(snap.project) {
        return Err(DrfError::not_found());
    }
    Ok(snap)
}

pub(crate) async fn create(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let body = parse_body(&body)?;
    let project = project_of(&body)?;
    match access.role(project) {
        // A project the user cannot see does not exist for them.
        None => return Err(DrfError::not_found()),
        Some(r) if r < Role::Researcher => return Err(DrfError::forbidden()),
        Some(_) => {}
    }
    let (format, request) = plan(&app, project, &body)?;
    let s = app.service.clone();
    let user = access.user.clone();
    let snap = crate::drf::run(move || {
        s.create_export(project, Dialect::Antenna, &format, request, Some(user))
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(to_json(&snap, &base_url(&headers))),
    )
        .into_response())
}

pub(crate) async fn list(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    let q = query_pairs(raw.as_deref());
    let get = |k: &str| {
        q.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let Some(project) = get("project_id").or_else(|| get("project")) else {
        return Err(DrfError::field(
            "project_id",
            "This query parameter is required.",
        ));
    };
    let project: u64 = project
        .parse()
        .map_err(|_| DrfError::field("project_id", "A valid integer is required."))?;
    if !access.sees(project) {
        return Err(DrfError::not_found());
    }
    let limit = get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10usize)
        .clamp(1, 100);
    let offset = get("offset").and_then(|v| v.parse().ok()).unwrap_or(0usize);
    let s = app.service.clone();
    let (list, count) =
        crate::drf::run(move || s.list_exports(project, Dialect::Antenna, limit, offset)).await?;
    let base = base_url(&headers);
    let page = |off: usize| {
        format!("{base}/api/v2/exports/?project_id={project}&limit={limit}&offset={off}")
    };
    let next = (((offset + limit) as u64) < count).then(|| page(offset + limit));
    let previous = (offset > 0).then(|| page(offset.saturating_sub(limit)));
    Ok(Json(json!({
        "count": count,
        "next": next,
        "previous": previous,
        "results": list.iter().map(|s| to_json(s, &base)).collect::<Vec<_>>(),
    })))
}

pub(crate) async fn detail(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    let snap = visible_export(&app, &access, &id).await?;
    Ok(Json(to_json(&snap, &base_url(&headers))))
}

pub(crate) async fn update(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let snap = visible_export(&app, &access, &id).await?;
    if access.role(snap.project) != Some(Role::Admin) {
        return Err(DrfError::forbidden());
    }
    let mut body = if body.is_empty() {
        serde_json::Map::new()
    } else {
        parse_body(&body)?
    };
    // A partial update keeps what it does not name.
    body.entry("format")
        .or_insert_with(|| json!(antenna_key(&snap.format)));
    if !body.contains_key("filters") {
        body.insert(
            "filters".into(),
            snap.request
                .extra
                .get("filters")
                .cloned()
                .unwrap_or(json!({})),
        );
    }
    let (format, request) = plan(&app, snap.project, &body)?;
    let s = app.service.clone();
    let user = access.user.clone();
    let snap = crate::drf::run(move || s.rerun(snap.id, &format, request, Some(&user))).await?;
    Ok(Json(to_json(&snap, &base_url(&headers))))
}

pub(crate) async fn delete(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let snap = visible_export(&app, &access, &id).await?;
    if access
        .role(snap.project)
        .is_none_or(|r| r < Role::Researcher)
    {
        return Err(DrfError::forbidden());
    }
    let s = app.service.clone();
    crate::drf::run(move || s.delete(snap.project, snap.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn download(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let snap = visible_export(&app, &access, &id).await?;
    let s = app.service.clone();
    let dl = crate::drf::run(move || s.download(snap.project, snap.id, None)).await?;
    send(dl, headers)
        .await
        .map_err(|_| DrfError::detail(StatusCode::INTERNAL_SERVER_ERROR, "download failed"))
}

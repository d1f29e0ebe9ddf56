//! Flagsmith-style project export and import (`/api/v1/projects/{id}/project-exports/`,
//! `project-imports/`, `/api/v1/audit/`): portable PROJECT documents, statuses `PROCESSING`,
//! `SUCCESS`, `FAILED`, a size limit, a watchdog, and an audit log.

use crate::auth::{Access, Role};
use crate::drf::DrfError;
use crate::routes::{App, query_pairs, send};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use exportkit_core::time::iso_micros;
use exportkit_service::{
    AuditEvent, AuditKind, Dialect, ExportRequest, SerializationOptions, Snapshot, Status, drf_bool,
};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, DrfError>;

const TOGGLES: [(&str, &str); 3] = [
    ("include_predictions", "predictions"),
    ("include_drafts", "drafts"),
    ("include_provenance", "provenance"),
];

fn status(s: Status) -> &'static str {
    match s {
        Status::Completed => "SUCCESS",
        Status::Failed => "FAILED",
        _ => "PROCESSING",
    }
}

fn to_json(s: &Snapshot) -> Value {
    let mut v = json!({
        "id": s.id,
        "project": s.project,
        "status": status(s.status),
        "created_by": s.created_by.as_ref().map(|u| u.email.clone()),
        "created_at": iso_micros(s.created_at),
        "finished_at": s.finished_at.map(iso_micros),
        "failure_reason": s.reason,
        "file_size": s.file_size,
    });
    if let (Value::Object(m), Some(Value::Object(t))) = (&mut v, s.request.extra.get("toggles")) {
        for (k, val) in t {
            m.insert(k.clone(), val.clone());
        }
    }
    v
}

/// The project id, if the user is its admin (404 unseen, 403 seen but not admin).
fn admin_of(access: &Access, id: &str) -> Result<u64> {
    let project: u64 = id.parse().map_err(|_| DrfError::not_found())?;
    match access.role(project) {
        None => Err(DrfError::not_found()),
        Some(Role::Admin) => Ok(project),
        Some(_) => Err(DrfError::forbidden()),
    }
}

async fn export_of(app: &App, project: u64, eid: &str) -> Result<Snapshot> {
    let eid: u64 = eid.parse().map_err(|_| DrfError::not_found())?;
    let s = app.service.clone();
    let snap = crate::drf::run(move || s.export(eid)).await?;
    if snap.dialect != Dialect::Flagsmith || snap.project != project {
        return Err(DrfError::not_found());
    }
    Ok(snap)
}

pub(crate) async fn create(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let project = admin_of(&access, &id)?;
    let body: serde_json::Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice(&body) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(DrfError::detail(
                    StatusCode::BAD_REQUEST,
                    "JSON parse error: expected an object",
                ));
            }
        }
    };
    let mut include = vec!["users"];
    let mut toggles = serde_json::Map::new();
    for (key, section) in TOGGLES {
        let on = match body.get(key) {
            None | Some(Value::Null) => false,
            Some(v) => {
                drf_bool(v).ok_or_else(|| DrfError::field(key, "Must be a valid boolean."))?
            }
        };
        if on {
            include.push(section);
        }
        toggles.insert(key.into(), Value::Bool(on));
    }
    let mut request = ExportRequest {
        title: "Project export".into(),
        // Drafts and predictions as objects, so the document can carry them; authors as
        // they are stored (the PROJECT format maps them to e-mails where it knows them).
        serialization: SerializationOptions {
            drafts: true,
            predictions: true,
            completed_by: false,
        },
        extra: json!({ "toggles": toggles }),
        ..ExportRequest::default()
    };
    request
        .format_options
        .insert("include".into(), include.join(","));
    request
        .format_options
        .insert("max_bytes".into(), app.config.project_max_bytes.to_string());
    let s = app.service.clone();
    let user = access.user.clone();
    let snap = crate::drf::run(move || {
        s.create_export(project, Dialect::Flagsmith, "PROJECT", request, Some(user))
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(to_json(&snap))).into_response())
}

pub(crate) async fn list(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>> {
    let project = admin_of(&access, &id)?;
    let s = app.service.clone();
    let (list, _) =
        crate::drf::run(move || s.list_exports(project, Dialect::Flagsmith, 100, 0)).await?;
    Ok(Json(list.iter().map(to_json).collect()))
}

pub(crate) async fn detail(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path((id, eid)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let project = admin_of(&access, &id)?;
    Ok(Json(to_json(&export_of(&app, project, &eid).await?)))
}

pub(crate) async fn download(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path((id, eid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let project = admin_of(&access, &id)?;
    let snap = export_of(&app, project, &eid).await?;
    if snap.status != Status::Completed {
        return Err(DrfError::detail(
            StatusCode::BAD_REQUEST,
            format!(
                "Unable to download export with status '{}'.",
                status(snap.status)
            ),
        ));
    }
    let s = app.service.clone();
    let dl = crate::drf::run(move || s.download(project, snap.id, None)).await?;
    let name = format!("project_export.{}.json", snap.id);
    let mut resp = send(dl, headers)
        .await
        .map_err(|_| DrfError::detail(StatusCode::INTERNAL_SERVER_ERROR, "download failed"))?;
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename={name}")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// The log line Flagsmith writes for an event.
fn message(e: &AuditEvent) -> Option<(String, &'static str)> {
    let import = e.export_type.as_deref() == Some("PROJECT_IMPORT");
    let kind = if import {
        "PROJECT_IMPORT"
    } else {
        "PROJECT_EXPORT"
    };
    let text = match (import, e.kind) {
        (false, AuditKind::Requested) => "Project export requested".to_owned(),
        (false, AuditKind::Completed) => "Project export completed".to_owned(),
        (false, AuditKind::Failed) => "Project export failed".to_owned(),
        (false, AuditKind::Deleted) => format!("Project export deleted ({})", e.detail),
        (true, AuditKind::Requested) => {
            format!("Project import requested (strategy: {})", e.detail)
        }
        (true, AuditKind::Completed) => format!("Project import completed — {}", e.detail),
        (true, AuditKind::Failed) => "Project import failed".to_owned(),
        (true, AuditKind::Deleted) => return None,
    };
    Some((text, kind))
}

pub(crate) async fn audit(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let q = query_pairs(raw.as_deref());
    let Some(project) = q
        .iter()
        .rev()
        .find(|(k, _)| k == "project")
        .map(|(_, v)| v.clone())
    else {
        return Err(DrfError::field(
            "project",
            "This query parameter is required.",
        ));
    };
    let project = admin_of(&access, &project)?;
    let s = app.service.clone();
    let events = crate::drf::run(move || s.audit_log(project, 1000, 0)).await?;
    let results: Vec<Value> = events
        .iter()
        .filter(|e| e.dialect == Dialect::Flagsmith)
        .filter_map(|e| {
            let (log, kind) = message(e)?;
            Some(json!({
                "created_date": iso_micros(e.at),
                "log": log,
                "author": e.user.map(|id| json!({"id": id})),
                "project": e.project,
                "related_object_type": kind,
                "related_object_id": e.export_id,
                "detail": e.detail,
            }))
        })
        .collect();
    Ok(Json(
        json!({"count": results.len(), "next": null, "previous": null, "results": results}),
    ))
}

/// `POST /api/v1/projects/{id}/project-imports/`: multipart `file` (a PROJECT document) and
/// `strategy` (`SKIP` or `OVERWRITE_DESTRUCTIVE`); organisation admins only.
pub(crate) async fn import(
    State(app): State<App>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response> {
    let project: u64 = id.parse().map_err(|_| DrfError::not_found())?;
    if !access.org_admin {
        return Err(if access.sees(project) {
            DrfError::forbidden()
        } else {
            DrfError::not_found()
        });
    }
    let max = app.config.project_max_bytes;
    let mut file: Option<Vec<u8>> = None;
    let mut strategy: Option<String> = None;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| DrfError::detail(StatusCode::BAD_REQUEST, e.to_string()))?;
        let Some(mut field) = field else { break };
        match field.name() {
            Some("file") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| DrfError::detail(StatusCode::BAD_REQUEST, e.to_string()))?
                {
                    bytes.extend_from_slice(&chunk);
                    // Refused while it arrives, before anything is parsed.
                    if max > 0 && bytes.len() as u64 > max {
                        return Err(DrfError::field(
                            "file",
                            format!("File size is too large (over {max} bytes)."),
                        ));
                    }
                }
                file = Some(bytes);
            }
            Some("strategy") => {
                strategy = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| DrfError::detail(StatusCode::BAD_REQUEST, e.to_string()))?,
                );
            }
            _ => {}
        }
    }
    let Some(file) = file else {
        return Err(DrfError::field("file", "No file was submitted."));
    };
    let strategy_text = strategy.unwrap_or_default();
    let Some(strategy) = exportkit_service::ImportStrategy::parse(&strategy_text) else {
        return Err(DrfError::field(
            "strategy",
            format!(
                "\"{strategy_text}\" is not a valid choice. Choose SKIP or OVERWRITE_DESTRUCTIVE."
            ),
        ));
    };
    let s = app.service.clone();
    let user = access.user.clone();
    let summary =
        crate::drf::run(move || s.import_project(project, &file, strategy, max, Some(&user)))
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "project": project,
            "status": "SUCCESS",
            "strategy": strategy_text,
            "created_by": access.user.email,
            "created_at": iso_micros(exportkit_core::time::now_micros()),
            "result_summary": summary,
        })),
    )
        .into_response())
}

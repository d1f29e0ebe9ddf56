//! The HTTP API on 127.0.0.1: auth, scopes, Label Studio's routes and spellings, errors,
//! downloads with ranges, and limits.
#![allow(clippy::unwrap_used)]

mod support;

use exportkit as _;
use exportkit_server::{Access, Role, ServerConfig, Users};
use exportkit_service::{DirSource, Service, ServiceConfig};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::{call, json};

const TOKEN: &str = "full-access-token";
const SCOPED: &str = "project-two-token";

struct Server {
    base: String,
    _tmp: tempfile::TempDir,
}

fn copy_dataset(name: &str, dest: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/datasets")
        .join(name);
    std::fs::create_dir_all(dest).unwrap();
    for f in ["tasks.json", "config.xml"] {
        std::fs::copy(src.join(f), dest.join(f)).unwrap();
    }
}

fn server() -> Server {
    let tmp = tempfile::tempdir().unwrap();
    copy_dataset("rect_1000", &tmp.path().join("data/1"));
    copy_dataset("choices_200", &tmp.path().join("data/2"));
    let service = Service::builder(ServiceConfig::new(tmp.path().join("state")))
        .source(Arc::new(DirSource::new(tmp.path().join("data"))))
        .start()
        .unwrap();
    let mut tokens = Users::new();
    tokens.insert(TOKEN, Access::all());
    tokens.insert(
        SCOPED,
        Access {
            org_admin: false,
            projects: HashMap::from([(2, Role::Member)]),
            ..Access::all()
        },
    );
    let mut config = ServerConfig::new(tokens);
    config.max_body = 64 * 1024;
    config.header_timeout = Duration::from_millis(500);
    Server {
        base: support::spawn(service, config),
        _tmp: tmp,
    }
}

fn wait_done(s: &Server, project: u64, id: u64) -> serde_json::Value {
    for _ in 0..600 {
        let url = format!("{}/api/projects/{project}/exports/{id}", s.base);
        let (code, r) = call("GET", &url, Some(TOKEN), None, &[]);
        assert_eq!(code, 200);
        let v = json(r);
        let conv_busy = v["converted_formats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "in_progress");
        if (v["status"] == "completed" || v["status"] == "failed") && !conv_busy {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("export {id} did not finish");
}

#[test]
fn auth_scopes_and_error_envelope() {
    let s = server();
    let exports = format!("{}/api/projects/1/exports", s.base);
    let (code, r) = call("GET", &exports, None, None, &[]);
    assert_eq!(code, 401);
    let v = json(r);
    assert_eq!(v["detail"], "Authentication credentials were not provided.");
    assert_eq!(v["status_code"], 401);
    for key in ["id", "version", "exc_info", "validation_errors"] {
        assert!(v.get(key).is_some(), "envelope lacks {key}: {v}");
    }
    let (code, r) = call("GET", &exports, Some("wrong-token-xyz"), None, &[]);
    assert_eq!(
        (code, json(r)["detail"].clone()),
        (401, "Invalid token.".into())
    );
    let bearer = format!("Bearer {TOKEN}");
    let (code, _) = call("GET", &exports, None, None, &[("Authorization", &bearer)]);
    assert_eq!(code, 200, "Bearer works too");
    // A project outside the token's scope does not exist for it.
    let (code, _) = call("GET", &exports, Some(SCOPED), None, &[]);
    assert_eq!(code, 404);
    let other = format!("{}/api/projects/2/exports", s.base);
    let (code, _) = call("GET", &other, Some(SCOPED), None, &[]);
    assert_eq!(code, 200);
    let missing = format!("{}/api/projects/9/exports", s.base);
    let (code, _) = call("GET", &missing, Some(TOKEN), None, &[]);
    assert_eq!(code, 404);
    // Version needs no token; unknown routes and methods get the envelope.
    let (code, r) = call("GET", &format!("{}/api/version/", s.base), None, None, &[]);
    assert_eq!(
        (code, json(r)["edition"].clone()),
        (200, "Community".into())
    );
    let (code, r) = call("PUT", &exports, Some(TOKEN), Some("{}"), &[]);
    assert_eq!(code, 405);
    assert_eq!(json(r)["detail"], "Method \"PUT\" not allowed.");
    let (code, _) = call(
        "GET",
        &format!("{}/api/nothing", s.base),
        Some(TOKEN),
        None,
        &[],
    );
    assert_eq!(code, 404);
}

#[test]
fn snapshot_workflow_over_http() {
    let s = server();
    let b = format!("{}/api/projects/1", s.base);
    let (code, r) = call(
        "GET",
        &format!("{b}/export/formats/"),
        Some(TOKEN),
        None,
        &[],
    );
    assert_eq!(code, 200);
    let formats = json(r);
    assert_eq!(formats[0]["name"], "JSON");
    let yolo = formats
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "YOLO")
        .unwrap();
    assert!(yolo.get("disabled").is_none(), "{yolo}");

    // Validation errors name the field.
    let bad = r#"{"task_filter_options":{"skipped":"maybe"}}"#;
    let (code, r) = call(
        "POST",
        &format!("{b}/exports/"),
        Some(TOKEN),
        Some(bad),
        &[],
    );
    assert_eq!(code, 400);
    assert_eq!(
        json(r)["validation_errors"],
        serde_json::json!({"task_filter_options": {"skipped": ["\"maybe\" is not a valid choice."]}})
    );

    // Create (the collection without its slash), poll, download.
    let body = r#"{"title": "snap"}"#;
    let (code, r) = call(
        "POST",
        &format!("{b}/exports"),
        Some(TOKEN),
        Some(body),
        &[],
    );
    assert_eq!(code, 201);
    let created = json(r);
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["task_filter_options"], serde_json::Value::Null);
    let id = created["id"].as_u64().unwrap();
    let done = wait_done(&s, 1, id);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["counters"]["task_number"], 1000);
    assert_eq!(done["created_by"]["email"], "admin@localhost");
    assert!(done["finished_at"].as_str().unwrap().ends_with('Z'));

    let url = format!("{b}/exports/{id}/download/");
    let (code, r) = call("GET", &url, Some(TOKEN), None, &[]);
    assert_eq!(code, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let cd = r.header("Content-Disposition").unwrap().to_owned();
    assert!(
        cd.starts_with("attachment; filename=\"project-1-at-") && cd.ends_with(".json\""),
        "{cd}"
    );
    let len: u64 = r.header("Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, done["file_size"].as_u64().unwrap());

    // Byte ranges.
    let (code, r) = call("GET", &url, Some(TOKEN), None, &[("Range", "bytes=0-9")]);
    assert_eq!(code, 206);
    assert_eq!(r.into_string().unwrap(), "[{\"id\": 1,");

    // Convert; a repeat is refused with 400 (never 409: the SDK retries 409); download.
    let convert = format!("{b}/exports/{id}/convert");
    let yolo = r#"{"export_type": "YOLO"}"#;
    let (code, r) = call("POST", &convert, Some(TOKEN), Some(yolo), &[]);
    assert_eq!(code, 200);
    let conv = json(r);
    assert_eq!(conv["export_type"], "YOLO");
    assert!(conv["converted_format"].as_u64().is_some());
    let (code, r) = call("POST", &format!("{convert}/"), Some(TOKEN), Some(yolo), &[]);
    assert_eq!(code, 400);
    assert_eq!(json(r)["detail"], "Conversion to YOLO already started");
    let foo = r#"{"export_type": "FOO"}"#;
    let (code, _) = call("POST", &convert, Some(TOKEN), Some(foo), &[]);
    assert_eq!(code, 400);
    let (code, _) = call("POST", &convert, Some(TOKEN), Some("{}"), &[]);
    assert_eq!(code, 400);
    let after = wait_done(&s, 1, id);
    assert_eq!(after["converted_formats"][0]["status"], "completed");
    let url = format!("{b}/exports/{id}/download?exportType=YOLO");
    let (code, r) = call("GET", &url, Some(TOKEN), None, &[]);
    assert_eq!(code, 200);
    assert_eq!(r.header("Content-Type"), Some("application/zip"));
    assert!(r.header("Content-Disposition").unwrap().ends_with(".zip\""));

    // List, delete, gone.
    let (code, r) = call("GET", &format!("{b}/exports/"), Some(TOKEN), None, &[]);
    assert_eq!(code, 200);
    assert_eq!(json(r).as_array().unwrap().len(), 1);
    let one = format!("{b}/exports/{id}");
    let (code, _) = call("DELETE", &one, Some(TOKEN), None, &[]);
    assert_eq!(code, 204);
    let (code, _) = call("GET", &one, Some(TOKEN), None, &[]);
    assert_eq!(code, 404);
}

#[test]
fn easy_export_honours_ids_in_both_spellings() {
    let s = server();
    let b = format!("{}/api/projects/2/export", s.base);
    for query in ["ids[]=1&ids[]=2", "ids=1&ids=2", "ids=1,2"] {
        let url = format!("{b}?download_all_tasks=true&{query}");
        let (code, r) = call("GET", &url, Some(TOKEN), None, &[]);
        assert_eq!(code, 200, "{query}");
        assert!(r.header("Content-Disposition").unwrap().contains(".json"));
        assert_eq!(json(r).as_array().unwrap().len(), 2, "{query}");
    }
    let url = format!("{b}?export_type=CSV&download_all_tasks=yes");
    let (code, r) = call("GET", &url, Some(TOKEN), None, &[]);
    assert_eq!(code, 200);
    assert!(r.header("Content-Type").unwrap().starts_with("text/csv"));
    let url = format!("{b}?download_all_tasks=maybe");
    let (code, _) = call("GET", &url, Some(TOKEN), None, &[]);
    assert_eq!(code, 400);
    let url = format!("{b}?exportType=NOPE");
    let (code, _) = call("GET", &url, Some(TOKEN), None, &[]);
    assert_eq!(code, 400);
}

#[test]
fn request_limits() {
    let s = server();
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(100 * 1024));
    let url = format!("{}/api/projects/1/exports", s.base);
    let (code, _) = call("POST", &url, Some(TOKEN), Some(&big), &[]);
    assert_eq!(code, 413, "bodies over the limit are refused");
    let (code, _) = call("GET", &format!("{url}/1/download"), Some(TOKEN), None, &[]);
    assert_eq!(code, 404);
    let (code, _) = call("GET", &format!("{url}/abc"), Some(TOKEN), None, &[]);
    assert_eq!(code, 404);
}

#[test]
fn slow_clients_are_cut_off_and_refresh_trades_tokens() {
    use std::io::{Read, Write};
    let s = server();
    let addr = s.base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Headers that never end.
    conn.write_all(b"GET /api/version HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the connection stayed open {:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );

    let url = format!("{}/api/token/refresh/", s.base);
    let body = format!("{{\"refresh\": \"{TOKEN}\"}}");
    let (code, r) = call("POST", &url, None, Some(&body), &[]);
    assert_eq!((code, json(r)["access"].clone()), (200, TOKEN.into()));
    let (code, _) = call(
        "POST",
        &url,
        None,
        Some(r#"{"refresh": "nope-nope-nope"}"#),
        &[],
    );
    assert_eq!(code, 401);
}

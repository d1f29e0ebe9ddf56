//! The Antenna and Flagsmith dialects on the same server: full flows, the permission matrix,
//! the 400 messages, each API's error shape, and the audit log.
#![allow(clippy::unwrap_used)]

mod support;

use exportkit as _;
use exportkit_server::{ServerConfig, Users};
use exportkit_service::{DirSource, Service, ServiceConfig};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::json;

const ADMIN: &str = "token-project-admin";
const RESEARCHER: &str = "token-researcher";
const MEMBER: &str = "token-member";
const OUTSIDER: &str = "token-outsider";
const ROOT: &str = "token-org-admin";

struct Server {
    base: String,
    _tmp: tempfile::TempDir,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(repo().join(from), to).unwrap();
}

fn server(project_max_bytes: u64) -> Server {
    let tmp = tempfile::tempdir().unwrap();
    let p1 = tmp.path().join("data/1");
    copy(
        "fixtures/dwca/datasets/camtrap/tasks.json",
        &p1.join("tasks.json"),
    );
    copy(
        "fixtures/dwca/datasets/camtrap/config.xml",
        &p1.join("config.xml"),
    );
    copy("fixtures/dwca/options/taxonomy.csv", &p1.join("taxa.csv"));
    copy("fixtures/serve/antenna/dwca.toml", &p1.join("dwca.toml"));
    copy(
        "fixtures/serve/antenna/collections.json",
        &p1.join("collections.json"),
    );
    std::fs::write(p1.join("project.json"), r#"{"title": "Moth Watch 2024"}"#).unwrap();
    let p2 = tmp.path().join("data/2");
    copy(
        "fixtures/datasets/choices_200/tasks.json",
        &p2.join("tasks.json"),
    );
    copy(
        "fixtures/datasets/choices_200/config.xml",
        &p2.join("config.xml"),
    );
    std::fs::write(
        p2.join("collections.json"),
        r#"[{"id": 7, "name": "other", "task_ids": [1]}]"#,
    )
    .unwrap();
    let service = Service::builder(ServiceConfig::new(tmp.path().join("state")))
        .source(Arc::new(DirSource::new(tmp.path().join("data"))))
        .start()
        .unwrap();
    let users = std::fs::read_to_string(repo().join("fixtures/serve/antenna/users.toml")).unwrap();
    let mut config = ServerConfig::new(Users::from_toml(&users).unwrap());
    config.project_max_bytes = project_max_bytes;
    Server {
        base: support::spawn(service, config),
        _tmp: tmp,
    }
}

fn call(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, ureq::Response) {
    support::call(method, url, token, body, &[])
}

fn poll(url: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let (code, r) = call("GET", url, Some(token), None);
        assert_eq!(code, 200, "{url}");
        let v = json(r);
        if done(&v) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{url} never finished");
}

/// GBIF's rules through `../shared/tools/check_dwca.py` (`scripts/check-dwca.sh`), when
/// `../shared` is beside the repository.
fn check_dwca(zip: &[u8]) {
    if !repo().join("../shared/tools/check_dwca.py").exists() {
        eprintln!("skipped: ../shared not found (check_dwca.py)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("antenna.zip");
    std::fs::write(&path, zip).unwrap();
    let out = std::process::Command::new("bash")
        .arg(repo().join("scripts/check-dwca.sh"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_dwca.py refused the filtered archive:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn antenna_exports_with_collections_and_roles() {
    let s = server(10_000_000);
    let url = format!("{}/api/v2/exports/", s.base);
    let body = r#"{"project": 1, "format": "dwca", "filters": {"collection_id": 5}}"#;

    // Who may create: researchers and admins; members are refused; outsiders do not see it.
    let (code, r) = call("POST", &url, Some(MEMBER), Some(body));
    assert_eq!(
        (code, json(r)["detail"].clone()),
        (
            403,
            "You do not have permission to perform this action.".into()
        )
    );
    let (code, r) = call("POST", &url, Some(OUTSIDER), Some(body));
    assert_eq!(
        (code, json(r)["detail"].clone()),
        (404, "Not found.".into())
    );
    let (code, r) = call("POST", &url, None, Some(body));
    assert_eq!(code, 401);
    let v = json(r);
    assert_eq!(v["detail"], "Authentication credentials were not provided.");
    assert!(
        v.get("status_code").is_none(),
        "Antenna errors are DRF-shaped: {v}"
    );

    // The 400 messages.
    let bad = r#"{"project": 1, "format": "xlsx"}"#;
    let (code, r) = call("POST", &url, Some(RESEARCHER), Some(bad));
    assert_eq!(code, 400);
    let msg = json(r)["format"][0].as_str().unwrap().to_owned();
    assert!(
        msg.starts_with("\"xlsx\" is not a valid choice. Supported formats: dwca"),
        "{msg}"
    );
    let missing = r#"{"project": 1, "format": "dwca", "filters": {"collection": 99}}"#;
    let (code, r) = call("POST", &url, Some(RESEARCHER), Some(missing));
    assert_eq!(
        (code, json(r)["filters"][0].clone()),
        (400, "Capture set does not exist.".into())
    );
    let foreign = r#"{"project": 1, "format": "dwca", "filters": {"collection_id": 7}}"#;
    let (code, r) = call("POST", &url, Some(RESEARCHER), Some(foreign));
    assert_eq!(code, 400);
    assert!(
        json(r)["filters"][0]
            .as_str()
            .unwrap()
            .ends_with("does not belong to the selected project.")
    );

    // Create, poll until the file exists, download it.
    let (code, r) = call("POST", &url, Some(RESEARCHER), Some(body));
    assert_eq!(code, 201);
    let created = json(r);
    assert_eq!(created["format"], "dwca");
    assert_eq!(created["filters"]["collection_id"], 5);
    assert_eq!(
        created["filters_display"]["collection"]["name"],
        "Night of 2024-06-01"
    );
    assert_eq!(
        created["job"]["name"],
        "Export occurrences for capture set 5"
    );
    assert_eq!(created["user"]["email"], "researcher@example.org");
    let id = created["id"].as_u64().unwrap();
    let one = format!("{url}{id}/");
    let done = poll(&one, MEMBER, |v| {
        !v["file_url"].is_null() || v["status"] == "FAILED"
    });
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(done["error_message"].is_null());
    assert!(done["record_count"].as_u64().unwrap() > 0, "{done}");
    let stages = done["job"]["progress"]["stages"].as_array().unwrap();
    assert_eq!(stages[0]["name"], "Exporting data");
    assert_eq!(stages[1]["name"], "Uploading snapshot");
    assert_eq!(stages[1]["params"][0]["name"], "File URL");
    assert_eq!(done["job"]["progress"]["summary"]["status"], "SUCCESS");
    let file_url = done["file_url"].as_str().unwrap().to_owned();
    assert!(file_url.starts_with(&s.base), "{file_url}");
    let (code, r) = call("GET", &file_url, Some(RESEARCHER), None);
    assert_eq!(code, 200);
    assert_eq!(
        r.header("Content-Disposition").unwrap(),
        format!("attachment; filename=\"moth-watch-2024_export-{id}.zip\"")
    );
    let mut zip = Vec::new();
    r.into_reader().read_to_end(&mut zip).unwrap();
    assert_eq!(zip.len() as u64, done["file_size"].as_u64().unwrap());
    assert!(
        done["file_size_display"].as_str().unwrap().ends_with("KB")
            || done["file_size"].as_u64().unwrap() < 1024
    );
    check_dwca(&zip);
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "occurrence.txt") && names.iter().any(|n| n == "meta.xml"),
        "{names:?}"
    );
    let (code, _) = call("GET", &file_url, Some(OUTSIDER), None);
    assert_eq!(code, 404);

    // The occurrence formats, through the same flow.
    let csv_body =
        r#"{"project": 1, "format": "occurrences_simple_csv", "filters": {"collection_id": 5}}"#;
    let (code, r) = call("POST", &url, Some(RESEARCHER), Some(csv_body));
    assert_eq!(code, 201);
    let csv_id = json(r)["id"].as_u64().unwrap();
    let csv_done = poll(&format!("{url}{csv_id}/"), RESEARCHER, |v| {
        !v["file_url"].is_null() || v["status"] == "FAILED"
    });
    assert_eq!(csv_done["status"], "SUCCEEDED", "{csv_done}");
    let (code, r) = call(
        "GET",
        csv_done["file_url"].as_str().unwrap(),
        Some(RESEARCHER),
        None,
    );
    assert_eq!(code, 200);
    let text = r.into_string().unwrap();
    assert!(text.starts_with("id,event_id,event_name,"), "{text}");
    assert_eq!(
        text.lines().count() as u64 - 1,
        csv_done["record_count"].as_u64().unwrap(),
        "record_count is the rows in the file"
    );
    let (code, _) = call("DELETE", &format!("{url}{csv_id}/"), Some(ADMIN), None);
    assert_eq!(code, 204);

    // The list is scoped by project and paginated like Antenna.
    let (code, r) = call(
        "POST",
        &url,
        Some(ADMIN),
        Some(r#"{"project": 1, "format": "dwca"}"#),
    );
    assert_eq!(code, 201);
    let second = json(r)["id"].as_u64().unwrap();
    let (code, r) = call(
        "GET",
        &format!("{url}?project_id=1&limit=1"),
        Some(MEMBER),
        None,
    );
    assert_eq!(code, 200);
    let page = json(r);
    assert_eq!(page["count"], 2);
    assert_eq!(page["results"][0]["id"], second, "newest first");
    assert!(page["next"].as_str().unwrap().contains("offset=1"));
    assert!(page["previous"].is_null());
    let (code, _) = call("GET", &format!("{url}?project_id=1"), Some(OUTSIDER), None);
    assert_eq!(code, 404);

    // Update: admins only; it runs the export again with the new settings.
    let patch = r#"{"filters": {"collection_id": 6}}"#;
    let (code, _) = call("PATCH", &one, Some(RESEARCHER), Some(patch));
    assert_eq!(code, 403);
    poll(&format!("{url}{second}/"), ADMIN, |v| {
        !v["file_url"].is_null() || v["status"] == "FAILED"
    });
    let (code, r) = call("PATCH", &one, Some(ADMIN), Some(patch));
    assert_eq!(code, 200);
    assert_eq!(
        json(r)["filters_display"]["collection"]["name"],
        "Everything"
    );
    let again = poll(&one, ADMIN, |v| {
        !v["file_url"].is_null() || v["status"] == "FAILED"
    });
    assert_eq!(again["status"], "SUCCEEDED");
    assert!(again["record_count"].as_u64() >= done["record_count"].as_u64());

    // Delete: researchers and admins; the file goes with it.
    let (code, _) = call("DELETE", &one, Some(MEMBER), None);
    assert_eq!(code, 403);
    let (code, _) = call("DELETE", &one, Some(RESEARCHER), None);
    assert_eq!(code, 204);
    let (code, _) = call("GET", &one, Some(ADMIN), None);
    assert_eq!(code, 404);
    let (code, _) = call("GET", &file_url, Some(ADMIN), None);
    assert_eq!(code, 404);
}

#[test]
fn flagsmith_project_exports_and_audit() {
    let s = server(10_000_000);
    let url = format!("{}/api/v1/projects/1/project-exports/", s.base);
    for (token, want) in [(RESEARCHER, 403), (MEMBER, 403), (OUTSIDER, 404)] {
        let (code, _) = call("POST", &url, Some(token), Some("{}"));
        assert_eq!(code, want, "{token}");
    }
    let (code, r) = call(
        "POST",
        &url,
        Some(ADMIN),
        Some(r#"{"include_predictions": true}"#),
    );
    assert_eq!(code, 202);
    let created = json(r);
    assert_eq!(created["status"], "PROCESSING");
    assert_eq!(created["include_predictions"], true);
    assert_eq!(created["include_drafts"], false);
    let id = created["id"].as_u64().unwrap();
    let one = format!("{url}{id}/");
    let done = poll(&one, ROOT, |v| v["status"] != "PROCESSING");
    assert_eq!(done["status"], "SUCCESS", "{done}");
    let (code, r) = call("GET", &format!("{one}download/"), Some(ADMIN), None);
    assert_eq!(code, 200);
    assert_eq!(
        r.header("Content-Disposition").unwrap(),
        format!("attachment; filename=project_export.{id}.json")
    );
    let doc = json(r);
    assert!(doc["project"]["label_config"].as_str().is_some(), "{doc}");
    assert_eq!(doc["tasks"].as_array().unwrap().len(), 6);
    let (code, r) = call("GET", &url, Some(ADMIN), None);
    assert_eq!(code, 200);
    let list = json(r);
    assert_eq!(list[0]["id"], id);
    assert!(
        list[0].get("tasks").is_none(),
        "the list leaves out the document"
    );

    let audit = format!("{}/api/v1/audit/?project=1", s.base);
    let (code, _) = call("GET", &audit, Some(MEMBER), None);
    assert_eq!(code, 403);
    let (code, r) = call("GET", &audit, Some(ADMIN), None);
    assert_eq!(code, 200);
    let logs: Vec<String> = json(r)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["log"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        logs,
        ["Project export completed", "Project export requested"]
    );
}

#[test]
fn flagsmith_size_limit_fails_cleanly() {
    let s = server(500);
    let url = format!("{}/api/v1/projects/1/project-exports/", s.base);
    let (code, r) = call("POST", &url, Some(ROOT), Some("{}"));
    assert_eq!(code, 202);
    let id = json(r)["id"].as_u64().unwrap();
    let done = poll(&format!("{url}{id}/"), ROOT, |v| {
        v["status"] != "PROCESSING"
    });
    assert_eq!(done["status"], "FAILED");
    assert!(
        done["failure_reason"].as_str().unwrap().contains("500"),
        "{done}"
    );
    let (code, r) = call("GET", &format!("{url}{id}/download/"), Some(ROOT), None);
    assert_eq!(code, 400);
    assert_eq!(
        json(r)["detail"],
        "Unable to download export with status 'FAILED'."
    );
    let audit = format!("{}/api/v1/audit/?project=1", s.base);
    let (_, r) = call("GET", &audit, Some(ROOT), None);
    assert_eq!(json(r)["results"][0]["log"], "Project export failed");
}

#[test]
fn label_studio_endpoints_follow_roles_too() {
    let s = server(10_000_000);
    let url = format!("{}/api/projects/1/exports", s.base);
    let (code, _) = call("POST", &url, Some(MEMBER), Some("{}"));
    assert_eq!(code, 201, "any role may use the Label Studio endpoints");
    let (code, _) = call("GET", &url, Some(OUTSIDER), None);
    assert_eq!(code, 404);
    // Dialects do not see each other's exports.
    let (_, r) = call("GET", &url, Some(MEMBER), None);
    let ls = json(r);
    let (code, _) = call(
        "GET",
        &format!("{}/api/v2/exports/{}/", s.base, ls[0]["id"]),
        Some(ROOT),
        None,
    );
    assert_eq!(code, 404);
}

fn multipart(url: &str, token: &str, file: &[u8], strategy: &str) -> (u16, Value) {
    let boundary = "exportkit-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"strategy\"\r\n\r\n{strategy}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.json\"\r\nContent-Type: application/json\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = ureq::post(url)
        .set("Authorization", &format!("Token {token}"))
        .set(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .send_bytes(&body);
    let r = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{url}: {e}"),
    };
    (r.status(), json(r))
}

#[test]
fn flagsmith_import_round_trip() {
    let s = server(10_000_000);
    // Export project 1 as a PROJECT document.
    let exports = format!("{}/api/v1/projects/1/project-exports/", s.base);
    let (code, r) = call("POST", &exports, Some(ROOT), Some("{}"));
    assert_eq!(code, 202);
    let id = json(r)["id"].as_u64().unwrap();
    poll(&format!("{exports}{id}/"), ROOT, |v| {
        v["status"] != "PROCESSING"
    });
    let (code, r) = call("GET", &format!("{exports}{id}/download/"), Some(ROOT), None);
    assert_eq!(code, 200);
    let mut doc = Vec::new();
    r.into_reader().read_to_end(&mut doc).unwrap();

    // Only organisation admins import; a project admin is refused, an outsider sees nothing.
    let into3 = format!("{}/api/v1/projects/3/project-imports/", s.base);
    let into1 = format!("{}/api/v1/projects/1/project-imports/", s.base);
    assert_eq!(multipart(&into1, ADMIN, &doc, "SKIP").0, 403);
    assert_eq!(multipart(&into3, ADMIN, &doc, "SKIP").0, 404);
    let (code, v) = multipart(&into3, ROOT, &doc, "MERGE");
    assert_eq!(code, 400);
    assert!(
        v["strategy"][0]
            .as_str()
            .unwrap()
            .contains("not a valid choice"),
        "{v}"
    );
    let (code, v) = multipart(&into3, ROOT, b"{\"format\": \"nope\"}", "SKIP");
    assert_eq!(code, 400, "{v}");
    assert!(!v["detail"].as_str().unwrap().is_empty());

    // Into a new project 3, then again with Skip: nothing duplicated.
    let (code, v) = multipart(&into3, ROOT, &doc, "OVERWRITE_DESTRUCTIVE");
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["result_summary"]["tasks_created"], 6);
    let (code, v) = multipart(&into3, ROOT, &doc, "SKIP");
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["result_summary"]["tasks_created"], 0);
    assert_eq!(v["result_summary"]["tasks_skipped"], 6);

    // The imported project exports through every API.
    let ls = format!("{}/api/projects/3/exports", s.base);
    let (code, r) = call("POST", &ls, Some(ROOT), Some("{}"));
    assert_eq!(code, 201);
    let sid = json(r)["id"].as_u64().unwrap();
    let done = poll(&format!("{ls}/{sid}"), ROOT, |v| {
        v["status"] != "in_progress"
    });
    assert_eq!(done["counters"]["task_number"], 6);
    let (code, r) = call(
        "POST",
        &format!("{}/api/v1/projects/3/project-exports/", s.base),
        Some(ROOT),
        Some("{}"),
    );
    assert_eq!(code, 202);
    let back = json(r)["id"].as_u64().unwrap();
    let back_url = format!("{}/api/v1/projects/3/project-exports/{back}/", s.base);
    assert_eq!(
        poll(&back_url, ROOT, |v| v["status"] != "PROCESSING")["status"],
        "SUCCESS"
    );

    let (_, r) = call(
        "GET",
        &format!("{}/api/v1/audit/?project=3", s.base),
        Some(ROOT),
        None,
    );
    let logs: Vec<String> = json(r)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["log"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        logs.contains(&"Project import requested (strategy: Overwrite Destructive)".to_owned()),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.starts_with("Project import completed — created 6 tasks")),
        "{logs:?}"
    );
    assert!(
        logs.contains(&"Project import failed".to_owned()),
        "{logs:?}"
    );
}

/// Antenna's permission matrix, cell by cell: create and delete for researchers and admins,
/// update for admins, reading for every role; non-members see nothing (404).
#[test]
fn antenna_permission_matrix() {
    let s = server(10_000_000);
    let url = format!("{}/api/v2/exports/", s.base);
    let body = r#"{"project": 1, "format": "occurrences_simple_csv"}"#;
    // token, create, read, update, delete
    let matrix = [
        (ROOT, 201, 200, 200, 204),
        (ADMIN, 201, 200, 200, 204),
        (RESEARCHER, 201, 200, 403, 204),
        (MEMBER, 403, 200, 403, 403),
        (OUTSIDER, 404, 404, 404, 404),
    ];
    for (token, create, read, update, delete) in matrix {
        let (code, _) = call("POST", &url, Some(token), Some(body));
        assert_eq!(code, create, "create as {token}");
        // An export made by the org admin, for the other cells.
        let (_, r) = call("POST", &url, Some(ROOT), Some(body));
        let id = json(r)["id"].as_u64().unwrap();
        let one = format!("{url}{id}/");
        poll(&one, ROOT, |v| {
            !v["file_url"].is_null() || v["status"] == "FAILED"
        });
        assert_eq!(
            call("GET", &one, Some(token), None).0,
            read,
            "read as {token}"
        );
        let list = format!("{url}?project_id=1");
        assert_eq!(
            call("GET", &list, Some(token), None).0,
            read,
            "list as {token}"
        );
        let patch = r#"{"format": "occurrences_api_json"}"#;
        assert_eq!(
            call("PATCH", &one, Some(token), Some(patch)).0,
            update,
            "update as {token}"
        );
        poll(&one, ROOT, |v| {
            !v["file_url"].is_null() || v["status"] == "FAILED"
        });
        assert_eq!(
            call("DELETE", &one, Some(token), None).0,
            delete,
            "delete as {token}"
        );
    }
    assert_eq!(call("GET", &url, None, None).0, 401);
    assert_eq!(call("GET", &url, Some("not-a-user-token"), None).0, 401);
}

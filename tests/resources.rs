//! Images through the CLI: downloads from a server on 127.0.0.1 started here, the access
//! policy (`--allow-host`), confined upload directories, and failures reported per task.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

/// A minimal valid PNG of `w`×`h` (header is enough for sizes; IDAT holds one empty row each).
fn png(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0, 0, 0, 0]); // CRC is not checked by header readers
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Serves `a.png` on 127.0.0.1 (404 for anything else) for `requests` requests.
fn serve(requests: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = if req.starts_with("GET /a.png ") {
                ("200 OK", png(640, 480))
            } else {
                ("404 Not Found", b"nope".to_vec())
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    port
}

const CONFIG: &str = r#"<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image"><Label value="Cat"/></RectangleLabels></View>"#;

fn task(id: u32, url: &str) -> String {
    format!(
        r#"{{"id": {id}, "data": {{"image": "{url}"}}, "annotations": [{{"id": {id}, "result": [{{"from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 640, "original_height": 480, "value": {{"x": 10, "y": 10, "width": 20, "height": 20, "rectanglelabels": ["Cat"]}}}}]}}]}}"#
    )
}

struct Run {
    code: i32,
    stderr: String,
    out: std::path::PathBuf,
    _tmp: tempfile::TempDir,
}

fn convert(tasks: &[String], format: &str, extra: &[&str]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("tasks.json");
    std::fs::write(&input, format!("[{}]", tasks.join(","))).unwrap();
    let config = tmp.path().join("config.xml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_exportkit"))
        .args([
            "convert",
            input.to_str().unwrap(),
            "-f",
            format,
            "-o",
            out.to_str().unwrap(),
            "-c",
            config.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out,
        _tmp: tmp,
    }
}

#[test]
fn images_download_from_an_allowed_host_and_failures_are_reported_per_task() {
    let port = serve(2);
    let r = convert(
        &[
            task(1, &format!("http://127.0.0.1:{port}/a.png")),
            task(2, &format!("http://127.0.0.1:{port}/gone.png")),
        ],
        "YOLO_WITH_IMAGES",
        &["--allow-host", "127.0.0.1"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let images: Vec<_> = std::fs::read_dir(r.out.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(
        std::fs::read(r.out.join("images").join(&images[0])).unwrap(),
        png(640, 480)
    );
    assert!(
        r.stderr.contains("task #1 (id 2)") && r.stderr.contains("404"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_dir(r.out.join("labels")).unwrap().count(),
        2,
        "both label files kept"
    );
}

#[test]
fn loopback_is_refused_without_allow_host_and_strict_fails() {
    let url = "http://127.0.0.1:9/a.png".to_string();
    let r = convert(&[task(7, &url)], "YOLO_WITH_IMAGES", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("task #0 (id 7)") && r.stderr.contains("refused"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--allow-host"), "{}", r.stderr);
    let strict = convert(&[task(7, &url)], "YOLO_WITH_IMAGES", &["--strict"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(!strict.out.exists());
}

#[test]
fn uploads_are_confined_to_the_upload_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let uploads = tmp.path().join("upload");
    std::fs::create_dir_all(uploads.join("1")).unwrap();
    std::fs::write(uploads.join("1/a.png"), png(32, 16)).unwrap();
    std::fs::write(tmp.path().join("secret.png"), png(1, 1)).unwrap();
    let r = convert(
        &[
            task(1, "/data/upload/1/a.png"),
            task(2, "/data/upload/1/../secret.png"),
            task(3, "/data/upload/1/%2e%2e/secret.png"),
        ],
        "YOLO_WITH_IMAGES",
        &["--upload-dir", uploads.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let images: Vec<_> = std::fs::read_dir(r.out.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        images.len(),
        1,
        "only the confined upload is copied: {images:?}"
    );
    assert!(
        r.stderr.contains("(id 2)") && r.stderr.contains("(id 3)"),
        "{}",
        r.stderr
    );
}

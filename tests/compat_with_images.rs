//! `--compat label-studio` for the `*_WITH_IMAGES` formats against label-studio-sdk 2.1.2's
//! own output (`fixtures/{coco,yolo}/expected/compat_with_images/<FORMAT>/`, written by
//! `scripts/regen-compat-with-images.sh` with the images served on 127.0.0.1:38517).
//!
//! The test serves `fixtures/coco/inputs/compat_with_images/files/` on a port chosen here,
//! rewrites the input's `127.0.0.1:38517` to it, and maps the output back before comparing
//! byte for byte: the port in raw URLs, and each URL's `md5(url)[:8]` prefix in file names and
//! contents (Label Studio names downloads after the md5 of the URL, port included). The
//! `info` year and date are pinned to 1970 on both sides.

use exportkit::resources::ResourceOptions;
use exportkit::{
    Compat, ErrorKind, ExportContext, ExportJob, ExportOptions, ExporterFactory, Input,
    LabelConfig, Target,
};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const GOLDEN_HOST: &str = "127.0.0.1:38517";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn input_dir() -> PathBuf {
    root().join("fixtures/coco/inputs/compat_with_images")
}

/// Serves `files` (`/path` → bytes, query ignored) on 127.0.0.1 until dropped.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(files: HashMap<String, Vec<u8>>) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(120) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = conn.set_nonblocking(false);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                let target = text.split_whitespace().nth(1).unwrap_or("");
                let path = target.split('?').next().unwrap_or("");
                let (status, body) = match files.get(path) {
                    Some(b) => ("200 OK", b.clone()),
                    None => ("404 Not Found", b"no such file".to_vec()),
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes());
                let _ = conn.write_all(&body);
            }
        });
        Server { port, stop }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let e = e.expect("entry");
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.path().is_dir() {
            walk(&e.path(), &format!("{name}/"), out);
        } else {
            out.insert(name, std::fs::read(e.path()).expect("read"));
        }
    }
}

fn replace_all(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (from, to) = (from.as_bytes(), to.as_bytes());
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// `"year": N` → 1970 and `"date_created": "..."` → the epoch, line by line.
fn pin_info(data: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            let comma = if t.ends_with(',') { "," } else { "" };
            if t.starts_with("\"year\": ") {
                format!("{indent}\"year\": 1970{comma}")
            } else if t.starts_with("\"date_created\": ") {
                format!("{indent}\"date_created\": \"1970-01-01 00:00:00\"{comma}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    lines.join("\n").into_bytes()
}

/// The URLs of the golden input that point at the test server.
fn golden_urls(tasks: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut rest = tasks;
    let start = format!("http://{GOLDEN_HOST}");
    while let Some(i) = rest.find(&start) {
        let tail = &rest[i..];
        let end = tail.find('"').unwrap_or(tail.len());
        urls.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    urls.sort();
    urls.dedup();
    urls
}

fn md5_8(s: &str) -> String {
    exportkit::names::md5_hex(s.as_bytes())[..8].to_owned()
}

fn compat_options(resources: ResourceOptions) -> ExportOptions {
    ExportOptions {
        compat: Compat::LabelStudio,
        threads: 2,
        batch_size: 3,
        resources,
        ..ExportOptions::default()
    }
}

/// Runs `format` on the fixture against a fresh server; the output tree mapped back to the
/// golden port (names and contents), `info` pinned.
fn run(format: &'static dyn ExporterFactory) -> BTreeMap<String, Vec<u8>> {
    let dir = input_dir();
    let mut files = BTreeMap::new();
    walk(&dir.join("files"), "/", &mut files);
    let server = Server::start(files.into_iter().collect());
    let host = format!("127.0.0.1:{}", server.port);
    let tasks = std::fs::read_to_string(dir.join("tasks.json")).expect("tasks");
    let mapping: Vec<(String, String)> = golden_urls(&tasks)
        .iter()
        .map(|u| (md5_8(&u.replace(GOLDEN_HOST, &host)), md5_8(u)))
        .collect();
    let input = tasks.replace(GOLDEN_HOST, &host);
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    let ctx = ExportContext {
        config: Some(Arc::new(LabelConfig::parse(&xml).expect("config"))),
        options: compat_options(ResourceOptions {
            allow_hosts: vec!["127.0.0.1".into()],
            ..ResourceOptions::default()
        }),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    ExportJob::new(format, ctx)
        .run(Input::Bytes(input.into_bytes()), Target::from_path(&out))
        .expect("export");
    let mut got = BTreeMap::new();
    walk(&out, "", &mut got);
    got.into_iter()
        .map(|(mut name, mut data)| {
            for (now, golden) in &mapping {
                name = name.replace(now.as_str(), golden);
                if name.ends_with(".json") || name.ends_with(".txt") && name.starts_with("labels/")
                {
                    data = replace_all(&data, now, golden);
                }
            }
            if name.ends_with(".json") {
                data = pin_info(&replace_all(&data, &host, GOLDEN_HOST));
            }
            (name, data)
        })
        .collect()
}

fn golden(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut want = BTreeMap::new();
    walk(dir, "", &mut want);
    want
}

fn assert_same(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(got), names(want), "{what}: file names");
    for (name, data) in want {
        assert!(
            got[name] == *data,
            "{what}: {name} differs\n--- got\n{}\n--- want\n{}",
            String::from_utf8_lossy(&got[name]),
            String::from_utf8_lossy(data)
        );
    }
}

fn refused_with_a_hostname(format: &'static dyn ExporterFactory) {
    let ctx = ExportContext {
        config: Some(Arc::new(
            LabelConfig::parse(
                &std::fs::read_to_string(input_dir().join("config.xml")).expect("config"),
            )
            .expect("config"),
        )),
        options: compat_options(ResourceOptions {
            hostname: Some("http://127.0.0.1:9".into()),
            ..ResourceOptions::default()
        }),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = ExportJob::new(format, ctx)
        .run(
            Input::Bytes(b"[]".to_vec()),
            Target::from_path(tmp.path().join("o")),
        )
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(err.to_string().contains("hostname"), "{err}");
}

fn format(name: &str) -> &'static dyn ExporterFactory {
    exportkit::Registry::global().get(name).expect("registered")
}

#[test]
fn with_images_formats_match_label_studio() {
    for (crate_dir, name) in [
        ("coco", "COCO_WITH_IMAGES"),
        ("yolo", "YOLO_WITH_IMAGES"),
        ("yolo", "YOLO_OBB_WITH_IMAGES"),
    ] {
        let want = golden(
            &root()
                .join("fixtures")
                .join(crate_dir)
                .join("expected/compat_with_images")
                .join(name),
        );
        let got = run(format(name));
        assert_same(&got, &want, name);
    }
}

#[test]
fn with_images_compat_is_refused_with_a_hostname() {
    for name in [
        "COCO_WITH_IMAGES",
        "YOLO_WITH_IMAGES",
        "YOLO_OBB_WITH_IMAGES",
    ] {
        refused_with_a_hostname(format(name));
    }
}

//! Clean VOC with images: copies into `images/` (`--download-resources`), sizes and depths
//! from image headers, warnings for images that cannot be had. The images are made here and
//! served from an upload directory and over HTTP by a loopback server the test starts.

use exportkit_core::resources::ResourceOptions;
use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig, Target,
};
use exportkit_voc::VOC;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

const CONFIG: &str = r#"<View><Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Cat"/></RectangleLabels></View>"#;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A complete, decodable PNG of `w × h` black pixels of colour type `colour` (0 grey, 2 RGB,
/// 3 palette, 4 grey + alpha, 6 RGBA), 8 bits per sample.
fn png(w: u32, h: u32, colour: u8) -> Vec<u8> {
    let samples = match colour {
        0 | 3 => 1,
        4 => 2,
        2 => 3,
        _ => 4,
    };
    let mut raw = Vec::new();
    for _ in 0..h {
        raw.push(0); // filter: none
        raw.extend(std::iter::repeat_n(0u8, (w * samples) as usize));
    }
    // zlib, one stored block, then Adler-32.
    let len = raw.len() as u16;
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&(!len).to_le_bytes());
    z.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    if colour == 3 {
        chunk(&mut out, b"PLTE", &[0, 0, 0]);
    }
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG's header (SOI, APP0, SOF0 with `components`, EOI): enough for sizes and depths.
fn jpeg(w: u16, h: u16, components: u8) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xC0, 0x00, 8 + 3 * components, 8]);
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&w.to_be_bytes());
    b.push(components);
    for i in 0..components {
        b.extend_from_slice(&[i + 1, 0x11, 0]);
    }
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

fn region(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 200, "original_height": 100,
           "value": {{"x": 10, "y": 10, "width": 20, "height": 30, "rectanglelabels": ["Cat"]}}}}"#
    )
}

/// A task; `annotations`: `None` no key, `Some(None)` an empty list, `Some(Some(id))` one
/// annotation with one box.
fn task(id: u32, image: &str, annotations: Option<Option<&str>>) -> String {
    let anns = match annotations {
        None => String::new(),
        Some(None) => r#", "annotations": []"#.to_owned(),
        Some(Some(r)) => format!(
            r#", "annotations": [{{"id": 1, "result": [{}]}}]"#,
            region(r)
        ),
    };
    format!(r#"{{"id": {id}, "data": {{"image": "{image}"}}{anns}}}"#)
}

type Tree = BTreeMap<String, Vec<u8>>;

fn tree(dir: &Path) -> Tree {
    fn walk(base: &Path, dir: &Path, out: &mut Tree) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("prefix").to_string_lossy();
                out.insert(rel.replace('\\', "/"), std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = Tree::new();
    walk(dir, dir, &mut out);
    out
}

fn export(tasks: &[String], options: ExportOptions) -> (Tree, ExportSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let input = Input::Bytes(format!("[{}]", tasks.join(",\n")).into_bytes());
    let config = Some(Arc::new(LabelConfig::parse(CONFIG).expect("config")));
    let summary = ExportJob::new(&VOC, ExportContext { config, options })
        .run(input, Target::from_path(&out))
        .expect("export");
    assert!(out.join("images").is_dir(), "images/ is always created");
    (tree(&out), summary)
}

fn text(files: &Tree, name: &str) -> String {
    let bytes = files
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", files.keys()));
    String::from_utf8(bytes.clone()).expect("utf-8")
}

/// The value of the first `<tag>` in `doc`.
fn field<'d>(doc: &'d str, tag: &str) -> &'d str {
    let open = format!("<{tag}>");
    let i = doc.find(&open).expect("tag") + open.len();
    &doc[i..i + doc[i..].find('<').expect("end")]
}

fn options(resources: ResourceOptions, download: bool) -> ExportOptions {
    ExportOptions {
        download_resources: download,
        resources,
        ..ExportOptions::default()
    }
}

/// Every annotation file's `<filename>` is a file in `images/`, except those in `missing`.
fn assert_images_referenced(files: &Tree, missing: &[&str]) {
    let mut referenced = Vec::new();
    for (name, bytes) in files {
        if name.starts_with("Annotations/") {
            let doc = String::from_utf8_lossy(bytes);
            let file = field(&doc, "filename").to_owned();
            assert_eq!(field(&doc, "folder"), "images");
            if !missing.contains(&file.as_str()) {
                assert!(files.contains_key(&format!("images/{file}")), "{file}");
            }
            referenced.push(format!("images/{file}"));
        }
    }
    for name in files.keys().filter(|n| n.starts_with("images/")) {
        assert!(
            referenced.contains(name),
            "{name} is referenced by no annotation"
        );
    }
}

struct Uploads {
    _dir: tempfile::TempDir,
    resources: ResourceOptions,
    sources: BTreeMap<&'static str, Vec<u8>>,
}

fn uploads() -> Uploads {
    let dir = tempfile::tempdir().expect("tempdir");
    let sources: BTreeMap<&'static str, Vec<u8>> = [
        ("1/a.png", png(64, 48, 6)),
        ("1/gray.png", png(10, 7, 0)),
        ("1/photo.jpg", jpeg(30, 20, 1)),
        ("2/a.png", png(5, 4, 2)),
        ("1/pal.png", png(8, 8, 3)),
        ("1/la.png", png(3, 2, 4)),
    ]
    .into_iter()
    .collect();
    for (name, bytes) in &sources {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    let resources = ResourceOptions {
        upload_dir: Some(dir.path().to_path_buf()),
        ..ResourceOptions::default()
    };
    Uploads {
        _dir: dir,
        resources,
        sources,
    }
}

fn upload_tasks() -> Vec<String> {
    vec![
        task(1, "/data/upload/1/a.png", Some(Some("r1"))),
        task(2, "/data/upload/1/gray.png", None),
        task(3, "/data/upload/1/photo.jpg", Some(None)),
        task(4, "/data/upload/2/a.png", None),
        task(5, "/data/upload/1/missing.png", None),
        task(6, "/data/upload/1/gone.png", Some(Some("r6"))),
        task(7, "/data/upload/1/a.png", Some(Some("r7"))),
        task(8, "/data/upload/1/pal.png", None),
        task(9, "/data/upload/1/la.png", None),
    ]
}

#[test]
fn uploads_are_copied_once_under_their_filenames_and_measured() {
    let up = uploads();
    let (files, summary) = export(&upload_tasks(), options(up.resources.clone(), true));

    // Sizes from regions win; the header gives the depth (RGBA 4).
    let a = text(&files, "Annotations/a.xml");
    assert_eq!(
        (
            field(&a, "filename"),
            field(&a, "width"),
            field(&a, "depth")
        ),
        ("a.png", "200", "4")
    );
    assert!(a.contains("<object>"));
    // Tasks without annotations get their file, sized from the header, with no objects.
    for (xml, file, w, h, depth) in [
        ("gray", "gray.png", "10", "7", "1"),
        ("photo", "photo.jpg", "30", "20", "1"),
        ("pal", "pal.png", "8", "8", "3"),
        ("la", "la.png", "3", "2", "2"),
    ] {
        let doc = text(&files, &format!("Annotations/{xml}.xml"));
        assert_eq!(field(&doc, "filename"), file);
        assert_eq!(
            (
                field(&doc, "width"),
                field(&doc, "height"),
                field(&doc, "depth")
            ),
            (w, h, depth),
            "{doc}"
        );
        assert!(!doc.contains("<object>"), "{doc}");
    }
    // The second a.png (another upload folder) gets a distinct name, and that file.
    let other = files
        .iter()
        .find(|(n, b)| {
            n.starts_with("Annotations/") && String::from_utf8_lossy(b).contains("/2/a.png")
        })
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .expect("task 4");
    let other_name = field(&other, "filename").to_owned();
    assert!(other_name.starts_with("a-") && other_name.ends_with(".png"));
    assert_eq!((field(&other, "width"), field(&other, "depth")), ("5", "3"));
    // The same URL twice: one image, two annotation files naming it.
    assert_eq!(
        field(&text(&files, "Annotations/a-2.xml"), "filename"),
        "a.png"
    );

    // The copies are the source files.
    for (name, src) in [
        ("a.png", "1/a.png"),
        ("gray.png", "1/gray.png"),
        ("photo.jpg", "1/photo.jpg"),
        (other_name.as_str(), "2/a.png"),
        ("pal.png", "1/pal.png"),
        ("la.png", "1/la.png"),
    ] {
        assert_eq!(
            files.get(&format!("images/{name}")),
            up.sources.get(src),
            "{name}"
        );
    }
    assert_eq!(files.keys().filter(|k| k.starts_with("images/")).count(), 6);
    assert_images_referenced(&files, &["gone.png"]);

    // A missing image without a size: no file, a warning; with a size: the file stays and
    // the failed copy is a warning. Both name the task.
    assert!(!files.keys().any(|k| k.contains("missing")));
    let gone = text(&files, "Annotations/gone.xml");
    assert_eq!((field(&gone, "width"), field(&gone, "depth")), ("200", "3"));
    let w: Vec<(Option<&str>, &str)> = summary
        .warnings
        .iter()
        .map(|w| (w.task_id.as_deref(), w.message.as_str()))
        .collect();
    assert_eq!(summary.warning_count, 2, "{w:?}");
    assert_eq!(w[0].0, Some("5"));
    assert!(
        w[0].1.contains("image size unknown") && w[0].1.contains("not found"),
        "{w:?}"
    );
    assert_eq!(w[1].0, Some("6"));
    assert!(
        w[1].1
            .starts_with("image /data/upload/1/gone.png: not found"),
        "{w:?}"
    );
}

#[test]
fn output_is_the_same_for_any_thread_count_and_batch_size() {
    let up = uploads();
    let tasks = upload_tasks();
    let base = export(&tasks, options(up.resources.clone(), true));
    for (threads, batch_size) in [(1, 1), (3, 1), (3, 2), (1, 1000), (3, 1000)] {
        let o = ExportOptions {
            threads,
            batch_size,
            ..options(up.resources.clone(), true)
        };
        let got = export(&tasks, o);
        assert_eq!(got.0, base.0, "threads={threads} batch={batch_size}");
        let msgs = |s: &ExportSummary| -> Vec<String> {
            s.warnings.iter().map(|w| w.to_string()).collect()
        };
        assert_eq!(msgs(&got.1), msgs(&base.1));
    }
}

#[test]
fn local_files_are_measured_without_download_resources_but_not_copied() {
    let up = uploads();
    let (files, summary) = export(&upload_tasks(), options(up.resources.clone(), false));
    assert!(!files.keys().any(|k| k.starts_with("images/")));
    let gray = text(&files, "Annotations/gray.xml");
    assert_eq!((field(&gray, "width"), field(&gray, "depth")), ("10", "1"));
    assert_eq!(field(&text(&files, "Annotations/a.xml"), "depth"), "4");
    // Only the missing image without a size warns (nothing is copied, so nothing fails).
    assert_eq!(summary.warning_count, 1, "{:?}", summary.warnings);
    assert_eq!(summary.warnings[0].task_id.as_deref(), Some("5"));

    // Without an upload directory nothing is read: today's output (no size, no file).
    let (files, summary) = export(&upload_tasks(), options(ResourceOptions::default(), false));
    assert!(!files.contains_key("Annotations/gray.xml"));
    assert_eq!(field(&text(&files, "Annotations/a.xml"), "depth"), "3");
    assert_eq!(summary.warning_count, 6, "{:?}", summary.warnings);
}

#[test]
fn compat_output_ignores_images() {
    let up = uploads();
    let compat = |resources, download| ExportOptions {
        compat: Compat::LabelStudio,
        ..options(resources, download)
    };
    let plain = export(&upload_tasks(), compat(ResourceOptions::default(), false));
    let with = export(&upload_tasks(), compat(up.resources.clone(), true));
    assert_eq!(plain.0, with.0);
    assert!(!with.0.keys().any(|k| k.starts_with("images/")));
    assert_eq!(field(&text(&with.0, "Annotations/a.xml"), "depth"), "3");
}

/// Serves `files` (path with query → bytes) on 127.0.0.1, 404 otherwise; records each path.
fn serve(files: BTreeMap<String, Vec<u8>>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let path = line.split(' ').nth(1).unwrap_or("").to_owned();
            log.lock().expect("log").push(path.clone());
            let (status, body) = match files.get(&path) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", b"no".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
    });
    (port, seen)
}

#[test]
fn http_images_are_downloaded_once_and_refusals_are_warnings() {
    let files: BTreeMap<String, Vec<u8>> = [
        ("/img/p.png".to_owned(), png(16, 9, 2)),
        ("/img/q.jpg?sig=secret".to_owned(), jpeg(40, 30, 3)),
    ]
    .into_iter()
    .collect();
    let (port, seen) = serve(files.clone());
    let base = format!("http://127.0.0.1:{port}");
    let tasks = [
        task(1, &format!("{base}/img/p.png"), None),
        task(2, &format!("{base}/img/p.png"), Some(Some("r2"))),
        task(3, &format!("{base}/img/q.jpg?sig=secret"), Some(None)),
        task(4, &format!("{base}/img/nope.png"), Some(Some("r4"))),
        task(5, "http://10.1.2.3/x.png", Some(Some("r5"))),
        task(6, "http://10.1.2.4/y.png", None),
    ];
    let resources = ResourceOptions {
        allow_hosts: vec!["127.0.0.1".into()],
        retries: 0,
        ..ResourceOptions::default()
    };
    for threads in [1, 3] {
        seen.lock().expect("log").clear();
        let o = ExportOptions {
            threads,
            ..options(resources.clone(), true)
        };
        let (out, summary) = export(&tasks, o);
        let p = text(&out, "Annotations/p.xml");
        assert_eq!(
            (field(&p, "width"), field(&p, "height"), field(&p, "depth")),
            ("16", "9", "3")
        );
        assert_eq!(
            field(&text(&out, "Annotations/p-2.xml"), "filename"),
            "p.png"
        );
        let q = text(&out, "Annotations/q.xml");
        assert_eq!((field(&q, "filename"), field(&q, "width")), ("q.jpg", "40"));
        assert_eq!(out.get("images/p.png"), files.get("/img/p.png"));
        assert_eq!(out.get("images/q.jpg"), files.get("/img/q.jpg?sig=secret"));
        assert_images_referenced(&out, &["nope.png", "x.png"]);
        assert!(out.contains_key("Annotations/nope.xml") && out.contains_key("Annotations/x.xml"));
        assert!(!out.contains_key("Annotations/y.xml"));

        // Each URL was asked for once, though the encoder reads it and the writer copies it.
        let mut asked = seen.lock().expect("log").clone();
        asked.sort();
        assert_eq!(
            asked,
            ["/img/nope.png", "/img/p.png", "/img/q.jpg?sig=secret"]
        );

        let w: Vec<(Option<&str>, &str)> = summary
            .warnings
            .iter()
            .map(|w| (w.task_id.as_deref(), w.message.as_str()))
            .collect();
        assert_eq!(w.len(), 3, "{w:?}");
        let find = |id: &str| w.iter().find(|(t, _)| *t == Some(id)).map(|(_, m)| *m);
        let nope = find("4").expect("404 warning");
        assert!(
            nope.starts_with(&format!("image {base}/img/nope.png: HTTP 404")),
            "{nope}"
        );
        let refused = find("5").expect("refused warning");
        assert!(
            refused.starts_with("image http://10.1.2.3/x.png: refused: "),
            "{refused}"
        );
        let no_size = find("6").expect("no size");
        assert!(no_size.contains("image size unknown") && no_size.contains("refused: "));
        assert!(!w.iter().any(|(_, m)| m.contains("secret")));
    }
}

#[test]
fn files_that_are_not_images_are_copied_with_a_warning() {
    let up = uploads();
    let upload_dir = up.resources.upload_dir.clone().expect("upload dir");
    std::fs::write(upload_dir.join("1/text.png"), b"not an image").expect("write");
    std::fs::write(upload_dir.join("1/empty.png"), b"").expect("write");
    let tasks = [
        task(1, "/data/upload/1/text.png", Some(Some("r1"))),
        task(2, "/data/upload/1/empty.png", None),
    ];
    let (files, summary) = export(&tasks, options(up.resources.clone(), true));
    let doc = text(&files, "Annotations/text.xml");
    assert_eq!((field(&doc, "width"), field(&doc, "depth")), ("200", "3"));
    assert_eq!(
        files.get("images/text.png").map(Vec::as_slice),
        Some(&b"not an image"[..])
    );
    assert!(!files.contains_key("Annotations/empty.xml"));
    assert!(!files.contains_key("images/empty.png"));
    let w: Vec<&str> = summary
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("VOC: image /data/upload/1/text.png: unsupported: ")
            && w[0].ends_with("; <depth> 3 written"),
        "{w:?}"
    );
    assert!(
        w[1].contains("image size unknown") && w[1].contains("unsupported: "),
        "{w:?}"
    );
}

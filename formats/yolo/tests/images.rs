//! `YOLO_WITH_IMAGES` / `YOLO_OBB_WITH_IMAGES`: images copied beside the labels (from an upload
//! dir and over HTTP from a server on 127.0.0.1), image sizes from headers for rotated boxes,
//! failures as warnings, a valid Ultralytics dataset. No network beyond 127.0.0.0/8.

mod common;

use common::*;
use exportkit_core::names::stable_hash;
use exportkit_core::resources::ResourceOptions;
use exportkit_core::{
    ErrorKind, ExportContext, ExportJob, ExportOptions, ExporterFactory, Input, Target,
};
use exportkit_yolo::{YOLO, YOLO_OBB, YOLO_OBB_WITH_IMAGES, YOLO_WITH_IMAGES, YoloFormat};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

const CONFIG: &str = r#"<View><Image name="image" value="$image"/>
<RectangleLabels name="label" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels></View>"#;

/// Image extensions Ultralytics reads (`ultralytics.data.utils.IMG_FORMATS`).
const IMG_FORMATS: [&str; 11] = [
    "bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic",
];

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// PNG signature, IHDR (`w`×`h`, 8-bit greyscale) and IEND, with valid CRCs.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// One task; `rect` is a region's JSON, or none for a task without annotations.
fn task(id: u32, url: &str, rect: Option<&str>) -> String {
    let anns = match rect {
        Some(r) => format!(
            r#"[{{"id": {id}, "result": [{r}], "was_cancelled": false, "created_at": "2024-01-01T00:00:00Z"}}]"#
        ),
        None => "[]".into(),
    };
    format!(r#"{{"id": {id}, "data": {{"image": "{url}"}}, "annotations": {anns}}}"#)
}

/// A 90° box with no image size in the region: 10,20 50×30 (%).
const ROTATED: &str = r#"{"from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {"x": 10, "y": 20, "width": 50, "height": 30, "rotation": 90, "rectanglelabels": ["Dog"]}}"#;
/// An upright box with the image size in the region.
const SIZED: &str = r#"{"from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 50, "original_height": 50, "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "rectanglelabels": ["Cat"]}}"#;

/// A 200×100 image with [`ROTATED`]: hull (-10..20, 20..120) px clipped to the image.
const ROTATED_YOLO: &str = "1 0.05 0.6 0.1 0.8\n";
/// The same box's corners, normalised and clamped.
const ROTATED_OBB: &str = "1 0.1 0.2 0.1 1 0 1 0 0.2\n";

struct Fixture {
    _dir: tempfile::TempDir,
    upload: std::path::PathBuf,
    input: std::path::PathBuf,
}

/// An upload dir and a tasks file (`tasks` as JSON objects).
fn fixture(files: &[(&str, Vec<u8>)], tasks: &[String]) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let upload = dir.path().join("upload");
    for (name, bytes) in files {
        let p = upload.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    std::fs::create_dir_all(&upload).expect("mkdir");
    let input = dir.path().join("tasks.json");
    std::fs::write(&input, format!("[{}]", tasks.join(",\n"))).expect("write");
    Fixture {
        _dir: dir,
        upload,
        input,
    }
}

fn with_resources(resources: ResourceOptions) -> ExportOptions {
    ExportOptions {
        resources: ResourceOptions {
            retries: 0,
            ..resources
        },
        ..opts(false)
    }
}

fn uploads(fx: &Fixture) -> ExportOptions {
    with_resources(ResourceOptions {
        upload_dir: Some(fx.upload.clone()),
        ..ResourceOptions::default()
    })
}

/// Runs an export; the tree and the warnings as `(task id, message)`.
fn export(
    format: &'static YoloFormat,
    input: &Path,
    config: &str,
    options: ExportOptions,
) -> (Tree, Vec<(Option<String>, String)>) {
    let (tree, summary) = run(
        format,
        Input::File(input.to_path_buf()),
        common::config(config),
        options,
    );
    let warnings = summary
        .warnings
        .into_iter()
        .map(|w| (w.task_id, w.message))
        .collect();
    (tree, warnings)
}

fn text(t: &Tree, name: &str) -> String {
    String::from_utf8(
        t.get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone(),
    )
    .expect("utf-8")
}

/// `nc` and `names` of `data.yaml` (names written as JSON-compatible quoted strings).
fn parse_yaml(y: &str) -> (usize, BTreeMap<usize, String>) {
    let mut nc = None;
    let mut names = BTreeMap::new();
    for line in y.lines() {
        if let Some(v) = line.strip_prefix("nc: ") {
            nc = Some(v.parse().expect("nc"));
        } else if let Some(v) = line.strip_prefix("  ") {
            let (i, n) = v.split_once(": ").expect("i: name");
            let n: String = serde_json::from_str(n).expect("quoted name");
            names.insert(i.parse().expect("index"), n);
        }
    }
    (nc.expect("nc"), names)
}

/// What Ultralytics needs to load the tree as a dataset (`path: .`, `train: images`): every
/// image under `images/` has an extension it reads, and the label file
/// `labels/<stem>.txt` (its `img2label_paths`), and every label file has exactly one image;
/// `data.yaml` names every class index `0..nc`, `classes.txt` agrees, class ids are `< nc`.
/// `missing`: label stems whose image failed (and was warned about).
fn assert_ultralytics_dataset(t: &Tree, missing: &[&str]) {
    let yaml = text(t, "data.yaml");
    assert!(
        yaml.contains("\npath: .\ntrain: images\nval: images\n"),
        "{yaml}"
    );
    let (nc, names) = parse_yaml(&yaml);
    assert_eq!(
        names.keys().copied().collect::<Vec<_>>(),
        (0..nc).collect::<Vec<_>>()
    );
    assert_eq!(
        text(t, "classes.txt").lines().collect::<Vec<_>>(),
        names.values().map(String::as_str).collect::<Vec<_>>()
    );
    let mut images: HashMap<String, String> = HashMap::new();
    for name in t.keys().filter_map(|k| k.strip_prefix("images/")) {
        let (stem, ext) = name
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("{name}: no extension"));
        assert!(
            IMG_FORMATS.contains(&ext.to_lowercase().as_str()),
            "images/{name}: Ultralytics does not read .{ext}"
        );
        let label = format!("labels/{stem}.txt");
        assert!(t.contains_key(&label), "images/{name} has no {label}");
        assert!(
            images.insert(stem.to_owned(), name.to_owned()).is_none(),
            "two images for {label}"
        );
    }
    let mut labels = 0;
    for (k, v) in t.iter().filter(|(k, _)| k.starts_with("labels/")) {
        labels += 1;
        let stem = k
            .strip_prefix("labels/")
            .and_then(|s| s.strip_suffix(".txt"))
            .expect("labels/<stem>.txt");
        assert_eq!(
            images.contains_key(stem),
            !missing.contains(&stem),
            "image of {k}"
        );
        for line in std::str::from_utf8(v).expect("utf-8").lines() {
            let cls: usize = line.split(' ').next().expect("class").parse().expect("int");
            assert!(cls < nc, "{k}: class {cls} >= nc {nc}");
        }
    }
    assert_eq!(images.len() + missing.len(), labels);
}

fn small_fixture() -> Fixture {
    let jpg = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9".to_vec();
    fixture(
        &[
            ("1/a.png", png(200, 100)),
            ("2/a.png", png(50, 50)),
            ("1/c.JPG", jpg),
            ("1/noext", png(10, 10)),
        ],
        &[
            task(11, "/data/upload/1/a.png", Some(ROTATED)),
            task(12, "/data/upload/2/a.png", Some(SIZED)),
            task(13, "/data/upload/1/c.JPG", None),
            task(14, "/data/upload/1/noext", Some(SIZED)),
            task(15, "/data/upload/1/a.png", Some(ROTATED)),
            task(16, "/data/upload/1/missing.png", Some(SIZED)),
        ],
    )
}

#[test]
fn images_land_beside_their_labels_under_the_same_stem() {
    let fx = small_fixture();
    for (format, plain, rotated) in [
        (&YOLO_WITH_IMAGES, &YOLO, ROTATED_YOLO),
        (&YOLO_OBB_WITH_IMAGES, &YOLO_OBB, ROTATED_OBB),
    ] {
        let (t, warnings) = export(format, &fx.input, CONFIG, uploads(&fx));
        // Task 12: another `a.png`; task 15: the same URL as task 11, its own stem.
        let (a2, a3) = (
            hashed("a", "/data/upload/2/a.png"),
            hashed("a", "/data/upload/1/a.png"),
        );
        let (a2, a3) = (a2.as_str(), a3.as_str());
        let images: BTreeSet<&str> = t.keys().filter_map(|k| k.strip_prefix("images/")).collect();
        let want: BTreeSet<String> = [
            "a.png".to_owned(),
            format!("{a2}.png"),
            format!("{a3}.png"),
            "c.JPG".into(),
            "noext.png".into(),
        ]
        .into();
        assert_eq!(
            images,
            want.iter().map(String::as_str).collect::<BTreeSet<_>>()
        );
        let read = |p: &str| std::fs::read(fx.upload.join(p)).expect("source");
        assert_eq!(t["images/a.png"], read("1/a.png"));
        assert_eq!(t[&format!("images/{a3}.png")], read("1/a.png"));
        assert_eq!(t[&format!("images/{a2}.png")], read("2/a.png"));
        assert_eq!(t["images/c.JPG"], read("1/c.JPG"));
        assert_eq!(t["images/noext.png"], read("1/noext"));
        // The rotated box got its size (200×100) from the PNG header.
        assert_eq!(text(&t, "labels/a.txt"), rotated);
        assert_eq!(text(&t, &format!("labels/{a3}.txt")), rotated);
        // The task without annotations keeps an empty label file and its image.
        assert_eq!(text(&t, "labels/c.txt"), "");
        // The missing image: one warning with its task id; its label file stays.
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].0.as_deref(), Some("16"));
        assert!(
            warnings[0]
                .1
                .starts_with("image /data/upload/1/missing.png: not found: 1/missing.png"),
            "{warnings:?}"
        );
        assert!(!text(&t, "labels/missing.txt").is_empty());
        assert_ultralytics_dataset(&t, &["missing"]);
        // Labels, classes and data.yaml are the plain format's, given the same sizes.
        let (p, _) = export(plain, &fx.input, CONFIG, uploads(&fx));
        let strip = |t: &Tree| -> Tree {
            t.iter()
                .filter(|(k, _)| !k.starts_with("images/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        assert_same_tree(&strip(&t), &p, format.info_name());
    }
}

#[test]
fn an_image_of_a_type_ultralytics_does_not_read_is_kept_and_warned_about() {
    let fx = fixture(
        &[("1/doc.pdf", b"%PDF-1.7".to_vec()), ("1/x", png(3, 3))],
        &[
            task(1, "/data/upload/1/doc.pdf", Some(SIZED)),
            task(2, "/data/upload/1/x", None),
        ],
    );
    let (t, w) = export(&YOLO_WITH_IMAGES, &fx.input, CONFIG, uploads(&fx));
    assert_eq!(t["images/doc.pdf"], b"%PDF-1.7");
    assert_eq!(t["images/x.png"], png(3, 3));
    assert_eq!(
        w,
        [(
            Some("1".to_owned()),
            "image /data/upload/1/doc.pdf: saved as images/doc.pdf, a type Ultralytics does not read"
                .to_owned()
        )]
    );
    assert_eq!(text(&t, "labels/doc.txt"), "0 0.2 0.2 0.2 0.2\n");
}

trait Name {
    fn info_name(&self) -> &'static str;
}

impl Name for YoloFormat {
    fn info_name(&self) -> &'static str {
        self.info().name
    }
}

/// The stem a clean export gives a second image named `<stem>.*`: `<stem>-<hash of URL>`.
fn hashed(stem: &str, url: &str) -> String {
    format!("{stem}-{:08x}", stable_hash(url) as u32)
}

#[test]
fn output_is_identical_for_one_and_three_threads() {
    let fx = small_fixture();
    for format in [&YOLO_WITH_IMAGES, &YOLO_OBB_WITH_IMAGES] {
        let mut first = None;
        for (threads, batch_size) in [(1, 1000), (3, 1), (3, 2)] {
            let o = ExportOptions {
                threads,
                batch_size,
                ..uploads(&fx)
            };
            let got = export(format, &fx.input, CONFIG, o);
            match &first {
                None => first = Some(got),
                Some(f) => {
                    assert_same_tree(&got.0, &f.0, "threads");
                    assert_eq!(got.1, f.1);
                }
            }
        }
    }
}

#[test]
fn header_sizes_only_where_reading_the_image_is_allowed() {
    let fx = small_fixture();
    let skipped = "rotated box without original_width/original_height; box skipped";
    // Plain YOLO_OBB with an upload dir: the image is a local file, its header is read.
    let (t, _) = export(&YOLO_OBB, &fx.input, CONFIG, uploads(&fx));
    assert_eq!(text(&t, "labels/a.txt"), ROTATED_OBB);
    // Without one the upload cannot be located (no hostname): no size, the box is skipped.
    let (t, w) = export(&YOLO_OBB, &fx.input, CONFIG, opts(false));
    assert_eq!(text(&t, "labels/a.txt"), "");
    assert!(w.contains(&(Some("11".into()), skipped.into())), "{w:?}");
    // ... and the WITH_IMAGES format says why.
    let (t, w) = export(&YOLO_OBB_WITH_IMAGES, &fx.input, CONFIG, opts(false));
    assert_eq!(text(&t, "labels/a.txt"), "");
    assert!(
        w.iter().any(|(id, m)| id.as_deref() == Some("11")
            && m.starts_with("image size from its header: unsupported")),
        "{w:?}"
    );
    assert!(t.keys().all(|k| !k.starts_with("images/")));
}

/// A loopback HTTP/1.1 server answering `GET` from `files`; counts requests per path.
struct Server {
    port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

fn serve(files: HashMap<String, Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let counts = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            let target = request.split(' ').nth(1).unwrap_or("").to_owned();
            *counts
                .lock()
                .expect("lock")
                .entry(target.clone())
                .or_insert(0) += 1;
            let path = target.split('?').next().unwrap_or("");
            let (status, body) = match files.get(path) {
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
    Server { port, hits }
}

#[test]
fn images_over_http_from_an_allowed_host_only() {
    let server = serve(HashMap::from([
        ("/img/h.png".to_owned(), png(200, 100)),
        ("/img/z".to_owned(), png(7, 7)),
    ]));
    let base = format!("http://127.0.0.1:{}", server.port);
    let refused = format!("http://127.0.0.2:{}/img/h.png", server.port);
    let fx = fixture(
        &[],
        &[
            task(1, &format!("{base}/img/h.png"), Some(ROTATED)),
            task(2, &format!("{base}/img/gone.png?sig=SECRET"), Some(SIZED)),
            task(3, &refused, Some(SIZED)),
            task(4, &format!("{base}/img/h.png?v=2#x"), None),
            task(5, &format!("{base}/img/z"), None),
            task(6, &format!("{base}/img/h.png"), Some(ROTATED)),
        ],
    );
    let options = with_resources(ResourceOptions {
        allow_hosts: vec!["127.0.0.1".into()],
        ..ResourceOptions::default()
    });
    let (t, w) = export(&YOLO_OBB_WITH_IMAGES, &fx.input, CONFIG, options);
    let h1 = format!("{base}/img/h.png");
    let (h3, h4) = (hashed("h", &refused), hashed("h", &format!("{h1}?v=2#x")));
    let h6 = hashed("h", &h1);
    assert_eq!(
        text(&t, "labels/h.txt"),
        ROTATED_OBB,
        "size from the header"
    );
    assert_eq!(text(&t, &format!("labels/{h6}.txt")), ROTATED_OBB);
    for stem in ["h", &h4, &h6] {
        assert_eq!(t[&format!("images/{stem}.png")], png(200, 100), "{stem}");
    }
    assert_eq!(t["images/z.png"], png(7, 7), "named by its content");
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].0.as_deref(), Some("2"));
    assert!(
        w[0].1
            .starts_with(&format!("image {base}/img/gone.png?…: HTTP 404"))
            && !w[0].1.contains("SECRET"),
        "{w:?}"
    );
    assert_eq!(w[1].0.as_deref(), Some("3"));
    assert!(
        w[1].1.starts_with(&format!("image {refused}: refused: ")),
        "{w:?}"
    );
    assert_ultralytics_dataset(&t, &["gone", &h3]);
    let hits = server.hits.lock().expect("lock").clone();
    let want: HashMap<String, usize> = [
        "/img/h.png",
        "/img/h.png?v=2",
        "/img/gone.png?sig=SECRET",
        "/img/z",
    ]
    .map(|p| (p.to_owned(), 1))
    .into();
    assert_eq!(hits, want, "one request per distinct URL");
}

#[test]
fn plain_formats_read_remote_images_only_with_download_resources() {
    let server = serve(HashMap::from([("/img/h.png".to_owned(), png(200, 100))]));
    let url = format!("http://127.0.0.1:{}/img/h.png", server.port);
    let fx = fixture(&[], &[task(1, &url, Some(ROTATED))]);
    let base = with_resources(ResourceOptions {
        allow_hosts: vec!["127.0.0.1".into()],
        ..ResourceOptions::default()
    });
    let (t, _) = export(&YOLO, &fx.input, CONFIG, base.clone());
    assert_eq!(text(&t, "labels/h.txt"), "");
    assert!(server.hits.lock().expect("lock").is_empty(), "nothing read");
    let o = ExportOptions {
        download_resources: true,
        ..base
    };
    let (t, w) = export(&YOLO, &fx.input, CONFIG, o);
    assert_eq!(text(&t, "labels/h.txt"), ROTATED_YOLO);
    assert!(w.is_empty(), "{w:?}");
    assert!(
        t.keys().all(|k| !k.starts_with("images/")),
        "plain YOLO copies no images"
    );
}

#[test]
fn with_images_formats_keep_the_shared_datasets_labels() {
    for ds in ["mixed_200", "rect_rot_100", "keypoint_100"] {
        let (input, config) = dataset(&root().join("fixtures/datasets").join(ds));
        let tasks: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(&input).expect("read")).expect("json");
        let dir = tempfile::tempdir().expect("tempdir");
        for (i, t) in tasks.iter().enumerate() {
            let url = t["data"]["image"].as_str().expect("image url");
            let rel = url.strip_prefix("/data/upload/").expect("an upload");
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, format!("\u{ff}\u{d8}image {i}")).expect("write");
        }
        let o = with_resources(ResourceOptions {
            upload_dir: Some(dir.path().to_path_buf()),
            ..ResourceOptions::default()
        });
        for (format, plain, golden) in [
            (&YOLO_WITH_IMAGES, &YOLO, "yolo"),
            (&YOLO_OBB_WITH_IMAGES, &YOLO_OBB, "yolo_obb"),
        ] {
            let (t, s) = run(
                format,
                Input::File(input.clone()),
                config.clone(),
                o.clone(),
            );
            assert_ultralytics_dataset(&t, &[]);
            assert_eq!(
                t.keys().filter(|k| k.starts_with("images/")).count(),
                tasks.len()
            );
            let (p, ps) = run(plain, Input::File(input.clone()), config.clone(), o.clone());
            assert_eq!(
                s.warnings.len(),
                ps.warnings.len(),
                "{ds}: no image warnings"
            );
            let labels: Tree = t
                .into_iter()
                .filter(|(k, _)| !k.starts_with("images/"))
                .collect();
            assert_same_tree(&labels, &p, ds);
            let want = tree(
                &root()
                    .join("fixtures")
                    .join(golden)
                    .join("expected/clean")
                    .join(ds),
            );
            assert_same_tree(&labels, &want, &format!("{golden} clean golden {ds}"));
        }
    }
}

#[test]
fn compat_mode_is_refused_with_a_hostname() {
    let fx = small_fixture();
    for format in [&YOLO_WITH_IMAGES, &YOLO_OBB_WITH_IMAGES] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = ExportJob::new(
            format,
            ExportContext {
                config: Some(common::config(CONFIG)),
                options: ExportOptions {
                    resources: ResourceOptions {
                        hostname: Some("http://127.0.0.1:9".into()),
                        ..Default::default()
                    },
                    ..opts(true)
                },
            },
        )
        .run(
            Input::File(fx.input.clone()),
            Target::from_path(tmp.path().join("o")),
        )
        .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(
            err.message(),
            format!(
                "{} --compat label-studio reproduces Label Studio without a hostname only; drop --hostname or --compat",
                format.info_name()
            )
        );
        assert!(!tmp.path().join("o").exists());
    }
}

#[test]
fn formats_are_registered_with_label_studio_names() {
    let reg = exportkit_core::Registry::global();
    for (name, title) in [
        ("YOLO_WITH_IMAGES", "YOLO with Images"),
        ("YOLO_OBB_WITH_IMAGES", "YOLOv8 OBB with Images"),
    ] {
        let f = reg.get(name).expect("registered");
        assert_eq!(f.info().title, title);
        assert_eq!(f.info().ls_name, Some(name));
    }
}

//! `COCO_WITH_IMAGES` and image sizes from headers: images copied under the names the
//! annotations use, failures as warnings, sizes from headers for tasks without sized regions,
//! the same output for any thread count. Images come from an upload directory or from a server
//! on 127.0.0.1 started here.

mod support;

use exportkit_coco::{COCO, COCO_WITH_IMAGES};
use exportkit_core::resources::ResourceOptions;
use exportkit_core::{
    Compat, ErrorKind, ExportContext, ExportJob, ExportOptions, ExportSummary, ExporterFactory,
    Input, LabelConfig, Registry, Target,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use support::{Server, png};

const CONFIG: &str = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
</View>"#;

fn rect(sized: Option<(u32, u32)>, label: &str) -> String {
    let size = sized.map_or(String::new(), |(w, h)| {
        format!(r#""original_width": {w}, "original_height": {h}, "#)
    });
    format!(
        r#"{{{size}"from_name": "label", "to_name": "image", "type": "rectanglelabels", "value": {{"x": 10, "y": 20, "width": 50, "height": 25, "rotation": 0, "rectanglelabels": ["{label}"]}}}}"#
    )
}

/// Tasks as `(image URL, regions)`, ids from 1.
fn tasks(list: &[(&str, Vec<String>)]) -> Vec<u8> {
    let items: Vec<String> = list
        .iter()
        .enumerate()
        .map(|(i, (url, regions))| {
            let anns = if regions.is_empty() {
                String::new()
            } else {
                format!(r#"{{"id": {}, "result": [{}]}}"#, i + 1, regions.join(", "))
            };
            format!(
                r#"{{"id": {}, "data": {{"image": "{url}"}}, "annotations": [{anns}]}}"#,
                i + 1
            )
        })
        .collect();
    format!("[{}]", items.join(",\n")).into_bytes()
}

/// An upload directory: `1/a.png` 640×480, `1/b.png` 320×200, `2/a.png` 64×32.
fn uploads() -> (tempfile::TempDir, BTreeMap<&'static str, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = BTreeMap::from([
        ("1/a.png", png(640, 480, "one-a")),
        ("1/b.png", png(320, 200, "one-b")),
        ("2/a.png", png(64, 32, "two-a")),
    ]);
    for (name, bytes) in &files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    (dir, files)
}

fn options(threads: usize, batch_size: usize, resources: ResourceOptions) -> ExportOptions {
    ExportOptions {
        threads,
        batch_size,
        resources,
        ..ExportOptions::default()
    }
}

fn upload_options(dir: &Path) -> ResourceOptions {
    ResourceOptions {
        upload_dir: Some(dir.to_path_buf()),
        ..ResourceOptions::default()
    }
}

struct Export {
    json: Value,
    raw: Vec<u8>,
    /// Every file of the output but result.json, by relative path.
    files: BTreeMap<String, Vec<u8>>,
    summary: ExportSummary,
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let e = e.expect("entry");
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.path().is_dir() {
            walk(&e.path(), &format!("{name}/"), out);
        } else if name != "result.json" {
            out.insert(name, std::fs::read(e.path()).expect("read"));
        }
    }
}

fn export(
    format: &'static dyn ExporterFactory,
    input: Vec<u8>,
    opts: ExportOptions,
) -> exportkit_core::Result<Export> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let ctx = ExportContext {
        config: Some(Arc::new(LabelConfig::parse(CONFIG).expect("config"))),
        options: opts,
    };
    let summary = ExportJob::new(format, ctx).run(Input::Bytes(input), Target::from_path(&out))?;
    let raw = std::fs::read(out.join("result.json")).expect("result.json");
    let mut files = BTreeMap::new();
    walk(&out, "", &mut files);
    assert!(out.join("images").is_dir());
    Ok(Export {
        json: serde_json::from_slice(&raw).expect("json"),
        raw,
        files,
        summary,
    })
}

fn images(e: &Export) -> &Vec<Value> {
    e.json["images"].as_array().expect("images")
}

fn warnings(e: &Export) -> Vec<String> {
    e.summary.warnings.iter().map(ToString::to_string).collect()
}

/// Tasks over the upload directory: sized regions, no regions, the same basename from another
/// project, a missing file, a repeated URL, sized regions that disagree with the header.
fn upload_tasks() -> Vec<u8> {
    tasks(&[
        ("/data/upload/1/a.png", vec![rect(Some((640, 480)), "Cat")]),
        ("/data/upload/1/b.png", vec![]),
        ("/data/upload/2/a.png", vec![rect(None, "Dog")]),
        ("/data/upload/1/missing.png", vec![rect(None, "Cat")]),
        ("/data/upload/1/a.png", vec![]),
        ("/data/upload/1/b.png", vec![rect(Some((1000, 800)), "Dog")]),
    ])
}

#[test]
fn images_land_under_the_names_the_annotations_use() {
    let (dir, sources) = uploads();
    let e = export(
        &COCO_WITH_IMAGES,
        upload_tasks(),
        options(2, 2, upload_options(dir.path())),
    )
    .expect("export");
    let imgs = images(&e);
    let names: Vec<&str> = imgs
        .iter()
        .map(|i| i["file_name"].as_str().expect("file_name"))
        .collect();
    assert_eq!(names[0], "images/a.png");
    assert_eq!(names[1], "images/b.png");
    assert!(names[2].starts_with("images/a-") && names[2].ends_with(".png"));
    assert_eq!(names[3], "images/missing.png");
    assert_eq!(
        (names[4], names[5]),
        (names[0], names[1]),
        "same URL, same file"
    );
    // Every referenced file is there with the source's bytes, and nothing else is.
    let want: BTreeMap<String, Vec<u8>> = [
        (names[0], "1/a.png"),
        (names[1], "1/b.png"),
        (names[2], "2/a.png"),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_owned(), sources[s].clone()))
    .collect();
    assert_eq!(e.files, want);
    // Sizes: regions win, else the header, else null.
    let size = |i: usize| (imgs[i]["width"].clone(), imgs[i]["height"].clone());
    assert_eq!(size(0), (640.into(), 480.into()));
    assert_eq!(size(1), (320.into(), 200.into()));
    assert_eq!(size(2), (64.into(), 32.into()));
    assert_eq!(size(3), (Value::Null, Value::Null));
    assert_eq!(size(4), (640.into(), 480.into()));
    assert_eq!(size(5), (1000.into(), 800.into()));
    // The box of task 3 is placed on the header's size: 10%, 20%, 50%, 25% of 64×32.
    let anns = e.json["annotations"].as_array().expect("annotations");
    let on = |img: u64| anns.iter().find(|a| a["image_id"] == img).expect("ann");
    assert_eq!(on(2)["bbox"], serde_json::json!([6.4, 6.4, 32.0, 8.0]));
    assert_eq!(
        anns.len(),
        3,
        "the missing image's box has no size: skipped"
    );
    // The missing image: warnings with the task id; the rest intact.
    let w = warnings(&e);
    assert!(
        w.iter()
            .any(|m| m.starts_with("task #3 (id 4): image /data/upload/1/missing.png: not found")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.starts_with("task #3 (id 4): image size unknown") && m.contains("not found")),
        "{w:?}"
    );
    assert_eq!(e.summary.records, 6);
}

#[test]
fn output_is_identical_for_any_thread_count_and_batch_size() {
    let (dir, _) = uploads();
    let run = |threads, batch| {
        export(
            &COCO_WITH_IMAGES,
            upload_tasks(),
            options(threads, batch, upload_options(dir.path())),
        )
        .expect("export")
    };
    let base = run(1, 1000);
    for (threads, batch) in [(3, 1), (3, 1000), (2, 4)] {
        let other = run(threads, batch);
        assert!(base.raw == other.raw, "threads {threads} batch {batch}");
        assert_eq!(base.files, other.files, "threads {threads} batch {batch}");
        assert_eq!(warnings(&base), warnings(&other));
    }
}

#[test]
fn result_json_is_the_clean_coco_output() {
    let (dir, _) = uploads();
    let opts = || options(0, 1000, upload_options(dir.path()));
    let plain = export(&COCO, upload_tasks(), opts()).expect("coco");
    let with = export(&COCO_WITH_IMAGES, upload_tasks(), opts()).expect("with images");
    // Local uploads may always be measured, so plain COCO reads the same headers.
    assert!(plain.raw == with.raw);
    assert!(plain.files.is_empty(), "plain COCO copies nothing");
    // On a shared dataset whose URLs cannot be reached, the JSON is the reviewed clean golden.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let data = root.join("datasets/edge_60");
    let ctx = ExportContext {
        config: Some(Arc::new(
            LabelConfig::parse(&std::fs::read_to_string(data.join("config.xml")).expect("xml"))
                .expect("config"),
        )),
        options: ExportOptions::default(),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let summary = ExportJob::new(&COCO_WITH_IMAGES, ctx)
        .run(
            Input::File(data.join("tasks.json")),
            Target::from_path(&out),
        )
        .expect("export");
    let got = std::fs::read(out.join("result.json")).expect("result.json");
    let want = std::fs::read(root.join("coco/expected/clean/edge_60/result.json")).expect("golden");
    assert!(
        got == want,
        "edge_60: COCO_WITH_IMAGES result.json differs from clean COCO"
    );
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.message.starts_with("image ") && w.message.contains("unsupported")),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn images_over_http_are_fetched_once_and_refused_hosts_are_warnings() {
    let server = Server::start(HashMap::from([
        ("/img/c.png".to_owned(), png(300, 150, "http-c")),
        ("/img/d.png".to_owned(), png(30, 15, "http-d")),
    ]));
    let c = server.url("/img/c.png");
    let refused = format!("http://127.0.0.2:{}/img/c.png", server.addr.port());
    let gone = server.url("/img/gone.png?sig=secret");
    let input = tasks(&[
        (c.as_str(), vec![rect(None, "Cat")]),
        (c.as_str(), vec![]),
        (refused.as_str(), vec![]),
        (gone.as_str(), vec![]),
        (
            server.url("/img/d.png").as_str(),
            vec![rect(Some((30, 15)), "Dog")],
        ),
    ]);
    let resources = ResourceOptions {
        allow_hosts: vec!["127.0.0.1".into()],
        retries: 0,
        ..ResourceOptions::default()
    };
    let e = export(&COCO_WITH_IMAGES, input, options(3, 1, resources)).expect("export");
    let imgs = images(&e);
    assert_eq!(imgs[0]["file_name"], "images/c.png");
    assert_eq!(
        (imgs[0]["width"].clone(), imgs[0]["height"].clone()),
        (300.into(), 150.into())
    );
    assert_eq!(imgs[1]["file_name"], "images/c.png");
    assert!(
        imgs[2]["file_name"]
            .as_str()
            .expect("name")
            .starts_with("images/c-")
    );
    assert_eq!(imgs[2]["width"], Value::Null);
    assert_eq!(imgs[3]["file_name"], "images/gone.png");
    assert_eq!(imgs[4]["file_name"], "images/d.png");
    assert_eq!(
        (imgs[4]["width"].clone(), imgs[4]["height"].clone()),
        (30.into(), 15.into())
    );
    let want = BTreeMap::from([
        ("images/c.png".to_owned(), png(300, 150, "http-c")),
        ("images/d.png".to_owned(), png(30, 15, "http-d")),
    ]);
    assert_eq!(e.files, want);
    // c.png once (its header and its copy share the download), gone.png once, d.png once.
    assert_eq!(server.hits(), 3);
    let w = warnings(&e);
    let port = server.addr.port();
    assert!(
        w.iter().any(|m| m.starts_with(&format!(
            "task #2 (id 3): image http://127.0.0.2:{port}/img/c.png: refused: "
        ))),
        "{w:?}"
    );
    assert!(
        w.iter().any(|m| m.starts_with(&format!(
            "task #3 (id 4): image http://127.0.0.1:{port}/img/gone.png?…: HTTP 404"
        ))),
        "{w:?}"
    );
    assert!(w.iter().all(|m| !m.contains("secret")), "{w:?}");
    assert_eq!(e.json["annotations"].as_array().map(Vec::len), Some(2));
}

#[test]
fn plain_coco_reads_remote_headers_only_with_download_resources() {
    let server = Server::start(HashMap::from([(
        "/img/c.png".to_owned(),
        png(300, 150, "http-c"),
    )]));
    let input = || tasks(&[(server.url("/img/c.png").as_str(), vec![rect(None, "Cat")])]);
    let resources = || ResourceOptions {
        allow_hosts: vec!["127.0.0.1".into()],
        retries: 0,
        ..ResourceOptions::default()
    };
    let e = export(&COCO, input(), options(0, 1000, resources())).expect("export");
    assert_eq!(images(&e)[0]["width"], Value::Null);
    assert_eq!(
        server.hits(),
        0,
        "nothing read without --download-resources"
    );
    let w = warnings(&e);
    assert!(
        w.iter().any(|m| m.ends_with(
            "image size unknown (no region has original_width/original_height): width and height are null"
        )),
        "{w:?}"
    );
    let e = export(
        &COCO,
        input(),
        ExportOptions {
            download_resources: true,
            ..options(0, 1000, resources())
        },
    )
    .expect("export");
    assert_eq!(
        (
            images(&e)[0]["width"].clone(),
            images(&e)[0]["height"].clone()
        ),
        (300.into(), 150.into())
    );
    assert_eq!(
        e.json["annotations"][0]["bbox"],
        serde_json::json!([30.0, 30.0, 150.0, 37.5])
    );
    assert!(e.files.is_empty(), "plain COCO copies nothing");
    assert!(e.summary.warnings.is_empty(), "{:?}", e.summary.warnings);
}

#[test]
fn plain_coco_without_a_way_to_read_keeps_null_sizes() {
    // No upload directory: the upload URL cannot be read, so nothing changes from before.
    let input = tasks(&[("/data/upload/1/a.png", vec![])]);
    let e = export(&COCO, input, options(0, 1000, ResourceOptions::default())).expect("export");
    assert_eq!(images(&e)[0]["width"], Value::Null);
    assert_eq!(e.summary.warning_count, 1);
}

#[test]
fn a_bad_image_header_is_a_warning() {
    let (dir, _) = uploads();
    std::fs::write(dir.path().join("1/bad.png"), b"not an image").expect("write");
    let input = tasks(&[("/data/upload/1/bad.png", vec![rect(None, "Cat")])]);
    let e = export(
        &COCO_WITH_IMAGES,
        input,
        options(0, 1000, upload_options(dir.path())),
    )
    .expect("export");
    assert_eq!(images(&e)[0]["width"], Value::Null);
    assert_eq!(e.files.len(), 1, "the file is still copied");
    let w = warnings(&e);
    assert!(
        w.iter()
            .any(|m| m.contains("image header could not be read")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|m| m.contains("the image size is unknown")),
        "{w:?}"
    );
}

#[test]
fn zip_output_holds_the_images() {
    let (dir, _) = uploads();
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip = tmp.path().join("out.zip");
    let ctx = ExportContext {
        config: Some(Arc::new(LabelConfig::parse(CONFIG).expect("config"))),
        options: options(0, 1000, upload_options(dir.path())),
    };
    ExportJob::new(&COCO_WITH_IMAGES, ctx)
        .run(Input::Bytes(upload_tasks()), Target::from_path(&zip))
        .expect("export");
    let bytes = std::fs::read(&zip).expect("zip");
    // The stored (deflated) entry names are in the central directory as plain text.
    let has = |name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(has("images/a.png") && has("images/b.png") && has("result.json"));
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("dir").count(),
        1,
        "no staging left"
    );
}

#[test]
fn compat_mode_is_refused_with_a_hostname() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("o");
    let ctx = ExportContext {
        config: Some(Arc::new(LabelConfig::parse(CONFIG).expect("config"))),
        options: ExportOptions {
            compat: Compat::LabelStudio,
            resources: ResourceOptions {
                hostname: Some("http://127.0.0.1:9".into()),
                ..ResourceOptions::default()
            },
            ..ExportOptions::default()
        },
    };
    let e = ExportJob::new(&COCO_WITH_IMAGES, ctx)
        .run(Input::Bytes(b"[]".to_vec()), Target::from_path(&out))
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(
        e.to_string().contains(
            "COCO_WITH_IMAGES --compat label-studio reproduces Label Studio without a hostname only; drop --hostname or --compat"
        ),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn registered_with_label_studio_names() {
    let f = Registry::global()
        .get("coco_with_images")
        .expect("registered");
    let info = f.info();
    assert_eq!(
        (info.name, info.title, info.ls_name, info.extension),
        (
            "COCO_WITH_IMAGES",
            "COCO with Images",
            Some("COCO_WITH_IMAGES"),
            "json"
        )
    );
    let config = LabelConfig::parse(CONFIG).expect("config");
    assert_eq!(f.supports(&config), exportkit_core::Support::Supported);
    assert_eq!(COCO.info().name, "COCO");
}

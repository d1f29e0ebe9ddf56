use exportkit::{ErrorKind, Registry};

/// Every built-in format, sorted: a crate dropped from the link fails here.
const BUILTINS: &[&str] = &[
    "ASR_MANIFEST",
    "BRUSH_TO_COCO",
    "BRUSH_TO_NUMPY",
    "BRUSH_TO_PNG",
    "COCO",
    "COCO_WITH_IMAGES",
    "CONLL2003",
    "CSV",
    "DWCA",
    "JSON",
    "JSON_MIN",
    "OCCURRENCES_API_JSON",
    "OCCURRENCES_SIMPLE_CSV",
    "PROJECT",
    "TSV",
    "VOC",
    "YOLO",
    "YOLO_OBB",
    "YOLO_OBB_WITH_IMAGES",
    "YOLO_WITH_IMAGES",
];

#[test]
fn global_registry_lists_builtins_and_linked_plugins_sorted() {
    let names: Vec<_> = Registry::global().names().collect();
    let mut want = BUILTINS.to_vec();
    want.push("NDJSON");
    want.sort();
    assert_eq!(names, want);
    assert!(Registry::global().duplicates().is_empty());
}

#[test]
fn register_builtins_builds_the_same_set_by_hand() {
    let mut r = Registry::new();
    exportkit::register_builtins(&mut r).expect("no duplicates");
    assert_eq!(r.names().collect::<Vec<_>>(), BUILTINS);
    let dup = r.register(&exportkit_json_alias::JSON).unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::DuplicateFormat);
    assert_eq!(
        r.get("json").unwrap_err().kind(),
        ErrorKind::DuplicateFormat
    );
}

#[test]
fn lookups_are_case_insensitive_and_unknown_names_list_the_known_ones() {
    let r = Registry::global();
    assert_eq!(r.get("json_min").expect("found").info().name, "JSON_MIN");
    let e = r.get("coco2").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownFormat);
    assert_eq!(
        e.to_string(),
        "unknown format 'coco2'; known formats: ASR_MANIFEST, BRUSH_TO_COCO, BRUSH_TO_NUMPY, BRUSH_TO_PNG, COCO, COCO_WITH_IMAGES, CONLL2003, CSV, DWCA, JSON, JSON_MIN, NDJSON, OCCURRENCES_API_JSON, OCCURRENCES_SIMPLE_CSV, PROJECT, TSV, VOC, YOLO, YOLO_OBB, YOLO_OBB_WITH_IMAGES, YOLO_WITH_IMAGES"
    );
}

#[test]
fn a_third_party_plugin_runs_through_the_pipeline() {
    let (input, _) = crate::util::dataset("unicode_edge");
    let out = crate::util::export(
        exportkit::Input::File(input),
        "ndjson",
        None,
        crate::util::opts(false),
    );
    let text = String::from_utf8(out["result.jsonl"].clone()).expect("utf8");
    assert_eq!(text.lines().count(), 15);
    assert!(
        text.starts_with("{\"id\":1,\"data\":{\"image\":\"/data/upload/1/кошка 猫 😀.jpg\","),
        "{text}"
    );
}

mod exportkit_json_alias {
    pub static JSON: Fake = Fake;
    pub struct Fake;
    static INFO: exportkit::FormatInfo = exportkit::FormatInfo {
        name: "json",
        title: "",
        description: "",
        extension: "",
        ls_name: None,
    };
    impl exportkit::ExporterFactory for Fake {
        fn info(&self) -> &exportkit::FormatInfo {
            &INFO
        }
        fn build(&self, _: &exportkit::ExportContext) -> exportkit::Result<exportkit::Exporter> {
            Err(exportkit::Error::new(
                exportkit::ErrorKind::Unsupported,
                "fake",
            ))
        }
    }
}

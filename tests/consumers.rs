//! Real consumers load exportkit's output: pycocotools reads the clean COCO files. Runs when
//! `EXPORTKIT_TEST_PYTHON` names a Python with pycocotools (scripts/test.sh sets it up from
//! requirements-test.txt); otherwise it says it skipped.

use crate::util::*;
use exportkit::Input;
use std::process::Command;

#[test]
fn pycocotools_loads_clean_coco_output() {
    let Some(py) = std::env::var_os("EXPORTKIT_TEST_PYTHON") else {
        eprintln!("skipped: EXPORTKIT_TEST_PYTHON not set (scripts/test.sh sets it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for ds in [
        "rect_1000",
        "polygon_200",
        "keypoint_100",
        "mixed_200",
        "rect_rot_100",
        "edge_60",
    ] {
        let (input, config) = dataset(ds);
        let out = export(Input::File(input), "COCO", Some(config), opts(false));
        let path = tmp.path().join(format!("{ds}.json"));
        std::fs::write(&path, &out["result.json"]).unwrap();
        files.push(path);
    }
    let o = Command::new(py)
        .arg(root().join("fixtures/coco/check_pycocotools.py"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

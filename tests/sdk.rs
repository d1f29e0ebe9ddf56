//! The real `label-studio-sdk` 2.1.2 client drives `exportkit serve`: the SDK's snapshot
//! workflow (create, poll, download, list, convert, poll, download, easy export, delete), the
//! legacy client, and a restart after a kill mid-export (`scripts/sdk-check.sh`, whose Python
//! side is `tests/sdk/snapshot_workflow.py`). `EXPORTKIT_TEST_PYTHON` names a Python with the
//! SDK (scripts/test.sh installs it from requirements-test.txt).

use std::path::Path;
use std::process::Command;

#[test]
fn label_studio_sdk_drives_the_server() {
    let Some(py) = std::env::var_os("EXPORTKIT_TEST_PYTHON") else {
        eprintln!("skipped: EXPORTKIT_TEST_PYTHON not set (scripts/test.sh sets it)");
        return;
    };
    let has_sdk = Command::new(&py)
        .args(["-c", "import label_studio_sdk"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_sdk {
        eprintln!("skipped: label-studio-sdk is not installed in EXPORTKIT_TEST_PYTHON");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("scripts/sdk-check.sh"))
        .env("EXPORTKIT", env!("CARGO_BIN_EXE_exportkit"))
        .env("EXPORTKIT_TEST_PYTHON", &py)
        .env("RESTART_COPIES", "10")
        .current_dir(root)
        .output()
        .expect("run scripts/sdk-check.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "sdk-check failed:\n{text}");
    assert!(text.contains("sdk-check: OK"), "{text}");
}

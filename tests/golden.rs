//! `fixtures/<format>/expected/compat/<dataset>/` was written by label-studio-sdk 2.1.2's
//! converter (scripts/regen-fixtures.sh); `expected/clean/<dataset>/` is exportkit's reviewed
//! clean output (regenerate with `EXPORTKIT_BLESS=1 cargo test golden`).

use crate::util::*;
use exportkit::Input;

fn check(compat: bool) {
    let mode = if compat { "compat" } else { "clean" };
    for ds in DATASETS {
        let (input, config) = dataset(ds);
        for fmt in FORMATS {
            let got = export(
                Input::File(input.clone()),
                fmt,
                Some(config.clone()),
                opts(compat),
            );
            let dir = root()
                .join("fixtures")
                .join(fmt.to_lowercase())
                .join("expected")
                .join(mode)
                .join(ds);
            if !compat && std::env::var_os("EXPORTKIT_BLESS").is_some() {
                let _ = std::fs::remove_dir_all(&dir);
                for (name, bytes) in &got {
                    let p = dir.join(name);
                    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                    std::fs::write(p, bytes).expect("write");
                }
            }
            assert_same_tree(&got, &tree(&dir), &format!("{fmt} {mode} {ds}"));
        }
    }
}

#[test]
fn compat_output_is_byte_identical_to_label_studio() {
    check(true);
}

#[test]
fn clean_output_matches_reviewed_golden_files() {
    check(false);
}

/// The rect_1000 digests of ls-converter.md §9.1, checked here on the committed fixtures so a
/// regenerated fixture that drifted from the reference is caught.
#[test]
fn reference_fixture_is_the_documented_dataset() {
    let (input, _) = dataset("rect_1000");
    let bytes = std::fs::read(input).expect("read");
    assert_eq!(bytes.len(), 2_055_563);
    assert!(bytes.starts_with(b"[{\"id\": 1, \"annotations\": [{\"id\": 1, \"completed_by\": "));
}

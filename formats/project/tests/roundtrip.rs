//! Golden documents and the export → import → export round trip on the fixture datasets.
#![allow(clippy::unwrap_used)]

mod util;

use exportkit_project::import::{self, ImportOptions, UnknownUsers};
use util::*;

fn golden(name: &str, include: &str) -> Vec<u8> {
    let ds = fixtures().join("datasets").join(name);
    let mut o = base_opts();
    o.insert("include".into(), include.into());
    o.insert(
        "config_path".into(),
        ds.join("config.xml").display().to_string(),
    );
    o.insert("project_title".into(), format!("Fixture {name}"));
    let doc = export(&ds.join("tasks.json"), o);
    let path = fixtures().join("expected").join(name).join("project.json");
    if std::env::var_os("EXPORTKIT_REGEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let want = std::fs::read(&path).unwrap_or_default();
    assert!(
        doc == want,
        "{name}: output differs from {} (EXPORTKIT_REGEN=1 to update after review)",
        path.display()
    );
    doc
}

#[test]
fn golden_refs_and_round_trip() {
    let doc = golden("refs", "predictions,drafts,users");
    assert_eq!(reexport(&doc, base_opts()), doc);
}

#[test]
fn golden_mixed_and_round_trip() {
    let doc = golden("mixed_8", "predictions,users");
    assert_eq!(reexport(&doc, base_opts()), doc);
}

#[test]
fn sections_off_are_absent_and_provenance_is_opt_in() {
    let ds = fixtures().join("datasets/refs");
    let mut o = base_opts();
    o.insert("include".into(), "none".into());
    let s = String::from_utf8(export(&ds.join("tasks.json"), o.clone())).unwrap();
    for key in [
        "\"predictions\"",
        "\"drafts\"",
        "\"users\"",
        "\"provenance\"",
    ] {
        assert!(!s.contains(key), "{key} present:\n{s}");
    }
    assert!(
        !s.contains("9001") && !s.contains("\"id\": 101"),
        "source ids leaked"
    );
    o.insert("include".into(), "provenance".into());
    let s = String::from_utf8(export(&ds.join("tasks.json"), o)).unwrap();
    assert!(s.contains("\"provenance\"") && s.contains("\"9001\""));
    // Empty but exported: `[]`.
    let mut o = base_opts();
    o.insert("include".into(), "predictions,drafts".into());
    let s = String::from_utf8(export(&ds.join("tasks.json"), o)).unwrap();
    assert!(s.contains("\"drafts\": []") && s.contains("\"predictions\": []"));
}

#[test]
fn references_are_remapped_consistently() {
    let doc = golden("refs", "predictions,drafts,users");
    let plan = import::plan(
        &doc,
        &ImportOptions {
            id_base: 500,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    let t = &plan.tasks[0];
    assert_eq!(t.new_id, 500);
    let ids: Vec<u64> = t.annotations.iter().map(|a| a.new_id).collect();
    assert_eq!(ids, [500, 501, 502]);
    assert_eq!(t.annotations[0].parent_prediction, Some(500));
    assert_eq!(t.annotations[1].parent_annotation, Some(500));
    assert_eq!(
        t.annotations[0].completed_by.as_deref(),
        Some("ann@example.org")
    );
    assert_eq!(
        t.annotations[2].completed_by, None,
        "an id without email is an unknown author"
    );
    let drafts = t.drafts.as_ref().unwrap();
    assert_eq!(drafts[0].annotation, Some(501));
    assert_eq!(drafts[1].annotation, None, "dangling source id became null");
    assert_eq!(
        plan.users,
        ["ann@example.org", "bob@example.org", "carol@example.org"]
    );
    assert!(
        plan.idempotency_key
            .starts_with("00000000-0000-4000-a000-000000000000:")
    );
}

#[test]
fn unknown_authors_fail_unless_told() {
    let doc = golden("refs", "predictions,drafts,users");
    let s = String::from_utf8(doc).unwrap();
    let bad = s.replacen(
        "\"email\": \"bob@example.org\"",
        "\"email\": \"zed@example.org\"",
        1,
    );
    let e = import::plan(bad.as_bytes(), &ImportOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("bob@example.org is not in users"),
        "{e}"
    );
    let keep = ImportOptions {
        unknown_users: UnknownUsers::Keep,
        ..ImportOptions::default()
    };
    let p = import::plan(bad.as_bytes(), &keep).unwrap();
    assert_eq!(
        p.tasks[0].annotations[1].completed_by.as_deref(),
        Some("bob@example.org")
    );
    let drop = ImportOptions {
        unknown_users: UnknownUsers::Drop,
        ..ImportOptions::default()
    };
    let p = import::plan(bad.as_bytes(), &drop).unwrap();
    assert_eq!(p.tasks[0].annotations[1].completed_by, None);
    assert!(p.report.warnings.iter().any(|w| w.contains("dropped")));
}

#[test]
fn max_bytes_fails_without_leaving_a_file() {
    let ds = fixtures().join("datasets/mixed_8");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut o = base_opts();
    o.insert("max_bytes".into(), "1000".into());
    let ctx = exportkit_core::ExportContext {
        config: None,
        options: exportkit_core::ExportOptions {
            format_options: o,
            ..Default::default()
        },
    };
    let e = exportkit_core::ExportJob::new(&exportkit_project::PROJECT, ctx)
        .run(
            exportkit_core::Input::File(ds.join("tasks.json")),
            exportkit_core::Target::Dir(out.clone()),
        )
        .unwrap_err();
    assert!(e.to_string().contains("over 1000 bytes"), "{e}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // Import: refused before parsing.
    let e = import::plan(
        b"{not json at all",
        &ImportOptions {
            max_bytes: 4,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("over the 4 byte limit"), "{e}");
}

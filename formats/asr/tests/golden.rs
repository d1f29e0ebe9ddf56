//! `fixtures/asr/expected/compat/<dataset>/` was written by label-studio-sdk 2.1.2's converter
//! (scripts/regen-asr.sh): `manifest.json`, and `audio.md5` listing the copied audio files;
//! `expected/clean/<dataset>/` is the reviewed clean output (regenerate with
//! `EXPORTKIT_BLESS=1 cargo test -p exportkit-asr --test golden`). The WAV files are built
//! here from `fixtures/asr/datasets/<dataset>/audio.txt` into a temporary upload directory
//! (`EXPORTKIT_ASR_WRITE_AUDIO=DIR` writes them to DIR for the regeneration script).

use exportkit_asr::ASR_MANIFEST;
use exportkit_core::names::md5_hex;
use exportkit_core::resources::ResourceOptions;
use exportkit_core::{
    Compat, ExportContext, ExportJob, ExportOptions, ExportSummary, Input, LabelConfig, Pick,
    Target,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dataset_dir(name: &str) -> PathBuf {
    root().join("fixtures/asr/datasets").join(name)
}

/// A WAV file: `tag` (1 PCM, 3 float), channels, rate, bits, frames, and flags: `junk` (an odd
/// LIST chunk before `fmt `), `oddjunk` (one between `fmt ` and `data`), `trunc` (half the
/// samples missing), `riff0` (RIFF size 0), `text` (not a WAV at all).
fn wav(tag: u16, ch: u16, rate: u32, bits: u16, frames: u32, flags: &str) -> Vec<u8> {
    if flags == "text" {
        return b"not a wav\n".to_vec();
    }
    let align = ch * bits.div_ceil(8);
    let size = frames * u32::from(align);
    let mut body = b"WAVE".to_vec();
    if flags == "junk" {
        body.extend_from_slice(b"LIST\x03\0\0\0abc\0");
    }
    body.extend_from_slice(b"fmt \x10\0\0\0");
    for v in [tag, ch] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend_from_slice(&rate.to_le_bytes());
    body.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
    body.extend_from_slice(&align.to_le_bytes());
    body.extend_from_slice(&bits.to_le_bytes());
    if flags == "oddjunk" {
        body.extend_from_slice(b"junk\x01\0\0\0z\0");
    }
    body.extend_from_slice(b"data");
    body.extend_from_slice(&size.to_le_bytes());
    let keep = if flags == "trunc" { size / 2 } else { size };
    body.extend((0..keep).map(|i| (i % 251) as u8));
    let riff = if flags == "riff0" {
        0
    } else {
        body.len() as u32
    };
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&riff.to_le_bytes());
    out.extend(body);
    out
}

/// Builds the upload directory of `dataset` in `dir`.
fn write_audio(dataset: &str, dir: &Path) {
    let spec = std::fs::read_to_string(dataset_dir(dataset).join("audio.txt")).expect("audio.txt");
    for line in spec
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        // The path may hold one space ("c d.wav"): the six numbers and flags are the last 7 fields.
        let fields: Vec<&str> = line.split_whitespace().collect();
        let n = fields.len();
        let path = fields[..n - 6].join(" ");
        let num = |i: usize| fields[n - 6 + i].parse::<u32>().expect("number");
        let bytes = wav(
            num(0) as u16,
            num(1) as u16,
            num(2),
            num(3) as u16,
            num(4),
            fields[n - 1],
        );
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write wav");
    }
}

fn opts(compat: bool, upload: &Path) -> ExportOptions {
    ExportOptions {
        compat: if compat {
            Compat::LabelStudio
        } else {
            Compat::Clean
        },
        resources: ResourceOptions {
            upload_dir: Some(upload.to_path_buf()),
            ..ResourceOptions::default()
        },
        ..ExportOptions::default()
    }
}

struct Run {
    manifest: String,
    /// `md5  name` of each file in `audio/`, sorted by name.
    audio: String,
    summary: ExportSummary,
}

fn run(dataset: &str, options: impl FnOnce(&Path) -> ExportOptions) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let upload = tmp.path().join("upload");
    write_audio(dataset, &upload);
    let dir = dataset_dir(dataset);
    let xml = std::fs::read_to_string(dir.join("config.xml")).expect("config");
    let config = Arc::new(LabelConfig::parse(&xml).expect("valid config"));
    let out = tmp.path().join("out");
    let summary = ExportJob::new(
        &ASR_MANIFEST,
        ExportContext {
            config: Some(config),
            options: options(&upload),
        },
    )
    .run(Input::File(dir.join("tasks.json")), Target::from_path(&out))
    .expect("export");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(out.join("audio")).expect("audio/") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        files.insert(name, md5_hex(&std::fs::read(&p).expect("read")));
    }
    let audio = files.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    Run {
        manifest,
        audio,
        summary,
    }
}

fn check(compat: bool) {
    let mode = if compat { "compat" } else { "clean" };
    let ds = "asr_edge";
    let got = run(ds, |u| opts(compat, u));
    let dir = root().join("fixtures/asr/expected").join(mode).join(ds);
    if !compat && std::env::var_os("EXPORTKIT_BLESS").is_some() {
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("manifest.json"), &got.manifest).expect("write");
        std::fs::write(dir.join("audio.md5"), &got.audio).expect("write");
    }
    let want = std::fs::read_to_string(dir.join("manifest.json")).expect("golden");
    assert_eq!(got.manifest, want, "ASR {mode} {ds}: manifest.json");
    let want = std::fs::read_to_string(dir.join("audio.md5")).expect("golden");
    assert_eq!(got.audio, want, "ASR {mode} {ds}: audio/");
}

#[test]
fn write_fixture_audio() {
    if let Some(dir) = std::env::var_os("EXPORTKIT_ASR_WRITE_AUDIO") {
        write_audio("asr_edge", Path::new(&dir));
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

#[test]
fn output_is_the_same_for_any_thread_count_and_batch_size() {
    for compat in [true, false] {
        let base = run("asr_edge", |u| opts(compat, u));
        for (threads, batch_size) in [(1, 1), (3, 1), (3, 4)] {
            let got = run("asr_edge", |u| ExportOptions {
                threads,
                batch_size,
                ..opts(compat, u)
            });
            assert_eq!(got.manifest, base.manifest, "compat={compat} t={threads}");
            assert_eq!(got.audio, base.audio, "compat={compat} t={threads}");
        }
    }
}

#[test]
fn clean_mode_warns_instead_of_leaking_transcripts() {
    let got = run("asr_edge", |u| opts(false, u));
    let msgs: Vec<String> = got.summary.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("(id 8)") && m.contains("no transcript")),
        "{msgs:#?}"
    );
    assert!(
        !got.manifest
            .contains("\"hello world\", \"annotator\": \"6\"")
    );
    let all = run("asr_edge", |u| ExportOptions {
        pick: Pick::All,
        ..opts(false, u)
    });
    assert!(all.manifest.contains("older text") && all.manifest.contains("newer text"));
}

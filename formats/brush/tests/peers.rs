//! Our RLE encoder's output decodes to the same values with Label Studio's own Python decoder
//! (`label_studio_sdk.converter.brush.decode_rle`). Runs only where the peers venv exists
//! (`PEERS_PY`, else `~/.cache/exportkit-peers/bin/python`); prints "skipped" otherwise.

use exportkit_core::names::md5_hex;
use exportkit_core::rle::{decode, encode, encode_mask};
use std::path::PathBuf;
use std::process::Command;

fn python() -> Option<PathBuf> {
    let py = std::env::var_os("PEERS_PY")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/exportkit-peers/bin/python"))
        })?;
    let ok = Command::new(&py)
        .args(["-c", "import label_studio_sdk.converter.brush"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

/// Deterministic pseudo-random bytes.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn label_studio_decodes_our_rle() {
    let Some(py) = python() else {
        eprintln!("skipped: peers venv not found");
        return;
    };
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![7],
        vec![0; 200_000],
        noise(5000, 1),
        noise(3000, 2).iter().map(|b| b & 0xc0).collect(),
    ];
    let mut mixed = vec![255u8; 70_000];
    mixed.extend(noise(300, 3));
    mixed.extend([1u8; 17]);
    mixed.extend([2u8; 9]);
    mixed.extend([3u8; 2]);
    cases.push(mixed);
    let mask: Vec<u8> = noise(64 * 48, 4).iter().map(|b| b & 0x80).collect();
    let mut rles: Vec<Vec<u8>> = cases.iter().map(|c| encode(c)).collect();
    rles.push(encode_mask(&mask));
    let mut want: Vec<String> = cases.iter().map(|c| md5_hex(c)).collect();
    want.push(md5_hex(
        &mask.iter().flat_map(|&v| [v; 4]).collect::<Vec<u8>>(),
    ));
    for (r, w) in rles.iter().zip(&want) {
        assert_eq!(&md5_hex(&decode(r, None).expect("decodes")), w);
    }
    let json: Vec<String> = rles
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("rles.json");
    std::fs::write(&path, format!("[{}]", json.join(","))).expect("write");
    let script = "import sys, json, hashlib\n\
        from label_studio_sdk.converter.brush import decode_rle\n\
        for r in json.load(open(sys.argv[1])):\n\
        \x20   print(hashlib.md5(decode_rle(r).tobytes()).hexdigest())\n";
    let out = Command::new(py)
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, want);
}

/// Masks with blobs, holes, islands in holes, thin lines and noise.
fn masks() -> Vec<(usize, usize, Vec<u8>)> {
    let mut out = Vec::new();
    for seed in 1..60u64 {
        let (w, h) = (5 + (seed as usize * 7) % 40, 4 + (seed as usize * 11) % 30);
        let bits = noise(w * h, seed * 77);
        let density = (seed % 4) as u8;
        let m: Vec<u8> = bits
            .iter()
            .map(|&b| if b % 4 <= density { 255 } else { 0 })
            .collect();
        out.push((w, h, m));
    }
    // A ring with an island, and a 1-pixel ring with an island.
    for t in [1usize, 3] {
        let (w, h) = (20usize, 20usize);
        let mut m = vec![0u8; w * h];
        for y in 2..18 {
            for x in 2..18 {
                let ring = x < 2 + t || x >= 18 - t || y < 2 + t || y >= 18 - t;
                let island = (8..12).contains(&x) && (8..12).contains(&y);
                if ring || island {
                    m[y * w + x] = 1;
                }
            }
        }
        out.push((w, h, m));
    }
    out
}

#[test]
fn contours_match_opencv() {
    let Some(py) = python() else {
        eprintln!("skipped: peers venv not found");
        return;
    };
    let cases = masks();
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("masks.json");
    let json: Vec<String> = cases
        .iter()
        .map(|(w, h, m)| {
            let px: Vec<String> = m.iter().map(u8::to_string).collect();
            format!("[{w},{h},[{}]]", px.join(","))
        })
        .collect();
    std::fs::write(&path, format!("[{}]", json.join(","))).expect("write");
    let script = "import sys, json, cv2, numpy as np\n\
        for w, h, px in json.load(open(sys.argv[1])):\n\
        \x20   m = np.array(px, dtype=np.uint8).reshape(h, w)\n\
        \x20   cs, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)\n\
        \x20   print(json.dumps([[[[int(p[0][0]), int(p[0][1])] for p in c], int(cv2.contourArea(c)), list(cv2.boundingRect(c))] for c in cs]))\n";
    let out = Command::new(py)
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), cases.len());
    for ((w, h, m), want) in cases.iter().zip(text.lines()) {
        let got = exportkit_brush::external_contours(m, *w, *h);
        type Shape = (Vec<[i32; 2]>, i64, [i32; 4]);
        let got: Vec<Shape> = got
            .iter()
            .map(|c| {
                (
                    c.iter().map(|&(x, y)| [x, y]).collect(),
                    exportkit_brush::contour_area(c) as i64,
                    exportkit_brush::bounding_rect(c),
                )
            })
            .collect();
        let want: Vec<Shape> = serde_json::from_str(want).expect("json");
        assert_eq!(got, want, "{w}x{h}");
    }
}

//! Decoding speed of `exportkit_core::rle`:
//! `cargo run --release -p exportkit-brush --example rle_bench`.
//!
//! Encodes a 1920×1080 RGBA mask with ragged edges (blobs whose borders change every row, and
//! some noisy literal stretches), then times `decode` and `decode_json` on it. With a path
//! argument, also times `decode_json` on that file (a JSON list of RLE bytes).

use exportkit_core::rle::{alpha, decode, decode_json, encode};
use std::time::Instant;

fn main() {
    if let Some(path) = std::env::args().nth(1) {
        let json = std::fs::read_to_string(&path).expect("read");
        let t = Instant::now();
        let iters = 50;
        let mut n = 0;
        for _ in 0..iters {
            n = decode_json(&json, None).expect("decodes").len();
        }
        let dt = t.elapsed().as_secs_f64() / f64::from(iters);
        let bytes = exportkit_core::rle::parse_json_bytes(&json)
            .expect("json")
            .len();
        println!(
            "{path}: {bytes} RLE bytes -> {n} values in {:.3} ms ({:.0} MB/s of RLE, JSON parse included)",
            dt * 1e3,
            bytes as f64 / dt / 1e6
        );
    }
    let (w, h) = (1920usize, 1080usize);
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut rgba = vec![0u8; w * h * 4];
    for y in 0..h {
        let mut col = 0;
        while col < w {
            let gap = 1 + (rnd() % 40) as usize;
            let run = 1 + (rnd() % 60) as usize;
            col += gap;
            for c in col..(col + run).min(w) {
                let v = if rnd() % 16 == 0 {
                    (rnd() & 0xff) as u8
                } else {
                    255
                };
                rgba[(y * w + c) * 4..(y * w + c) * 4 + 4].copy_from_slice(&[0, 255, 0, v]);
            }
            col += run;
        }
    }
    let rle = encode(&rgba);
    let json = format!(
        "[{}]",
        rle.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
    );
    let iters = 20;
    let t = Instant::now();
    let mut check = 0usize;
    for _ in 0..iters {
        let out = decode(&rle, Some(rgba.len())).expect("decodes");
        check += out.len();
    }
    let dt = t.elapsed().as_secs_f64() / f64::from(iters);
    let t = Instant::now();
    for _ in 0..iters {
        let out = decode_json(&json, Some(rgba.len())).expect("decodes");
        check += alpha(&out).len();
    }
    let dj = t.elapsed().as_secs_f64() / f64::from(iters);
    println!(
        "rle {} bytes ({} JSON bytes) -> {} values; decode {:.3} ms = {:.0} MB/s of RLE ({:.0} M values/s); \
         JSON parse + decode + alpha {:.3} ms ({:.0} MB/s of JSON) [{check}]",
        rle.len(),
        json.len(),
        rgba.len(),
        dt * 1e3,
        rle.len() as f64 / dt / 1e6,
        rgba.len() as f64 / dt / 1e6,
        dj * 1e3,
        json.len() as f64 / dj / 1e6,
    );
}

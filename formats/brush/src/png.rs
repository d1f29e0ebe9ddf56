//! 8-bit greyscale PNG files (what PIL writes for a mode `L` image; the zlib stream differs,
//! the pixels do not).

use flate2::Crc;
use flate2::write::ZlibEncoder;
use std::io::Write;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// zlib level of the pixel data: 3 is 2-4 times as fast as PIL's 6 on masks, for files
/// 5-40% larger (the pixels are the same).
const LEVEL: u32 = 3;

/// A greyscale PNG of `width` × `height` pixels (`pixels` row-major, one byte each). Rows use
/// filter 0 (masks compress well without filtering). `raw` is a buffer for the rows before
/// compression (reused from image to image).
pub fn grey_png(
    width: u32,
    height: u32,
    pixels: &[u8],
    raw: &mut Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    raw.clear();
    raw.reserve(pixels.len() + height as usize);
    let w = width as usize;
    if w > 0 {
        for row in pixels.chunks(w) {
            raw.push(0);
            raw.extend_from_slice(row);
        }
    } else {
        raw.resize(height as usize, 0);
    }
    let mut z = ZlibEncoder::new(
        Vec::with_capacity(raw.len() / 64 + 64),
        flate2::Compression::new(LEVEL),
    );
    z.write_all(raw)?;
    let idat = z.finish()?;
    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = [0u8; 13];
    ihdr[0..4].copy_from_slice(&width.to_be_bytes());
    ihdr[4..8].copy_from_slice(&height.to_be_bytes());
    ihdr[8] = 8;
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// Decodes a PNG this module wrote (filter 0 rows only): `(width, height, pixels)`. For tests.
pub fn read_grey_png(png: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    use std::io::Read;
    let mut pos = 8;
    let (mut w, mut h, mut idat) = (0u32, 0u32, Vec::new());
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png.get(pos..pos + 4)?.try_into().ok()?) as usize;
        let kind = png.get(pos + 4..pos + 8)?;
        let data = png.get(pos + 8..pos + 8 + len)?;
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?);
                h = u32::from_be_bytes(data.get(4..8)?.try_into().ok()?);
                if data.get(8..10)? != [8, 0] {
                    return None;
                }
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .ok()?;
    let mut px = Vec::with_capacity(w as usize * h as usize);
    for row in raw.chunks(w as usize + 1) {
        if row.first() != Some(&0) {
            return None;
        }
        px.extend_from_slice(&row[1..]);
    }
    Some((w, h, px))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let px: Vec<u8> = (0..7 * 5).map(|i| (i * 7) as u8).collect();
        let png = grey_png(7, 5, &px, &mut Vec::new()).unwrap();
        assert_eq!(read_grey_png(&png), Some((7, 5, px)));
    }
}

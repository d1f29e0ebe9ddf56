//! The channel count of an image (VOC `<depth>`) from its PNG or JPEG header; nothing is
//! decoded. `imagesize` gives sizes only, so this reads the few bytes that say it.

use std::io::{Read, Seek, SeekFrom};

/// The PNG file signature.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// JPEG marker segments read before giving up (a SOF comes after a few APPn/DQT/DHT).
const MAX_SEGMENTS: usize = 256;

/// The channels of the image `r` holds: PNG grey 1, grey + alpha 2, RGB and palette 3,
/// RGBA 4; JPEG its component count (1, 3 or 4). `None` for other formats or a broken header.
pub(crate) fn channels<R: Read + Seek>(r: &mut R) -> Option<u32> {
    let mut sig = [0u8; 8];
    r.read_exact(&mut sig[..2]).ok()?;
    if sig[..2] == [0xFF, 0xD8] {
        return jpeg(r);
    }
    r.read_exact(&mut sig[2..]).ok()?;
    if sig == PNG_SIGNATURE {
        return png(r);
    }
    None
}

/// After the signature: the IHDR chunk (length, `IHDR`, width, height, bit depth, colour type).
fn png<R: Read>(r: &mut R) -> Option<u32> {
    let mut ihdr = [0u8; 18];
    r.read_exact(&mut ihdr).ok()?;
    if ihdr.get(4..8)? != b"IHDR" {
        return None;
    }
    match ihdr.get(17)? {
        0 => Some(1),
        2 | 3 => Some(3),
        4 => Some(2),
        6 => Some(4),
        _ => None,
    }
}

fn byte<R: Read>(r: &mut R) -> Option<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).ok()?;
    Some(b[0])
}

/// After SOI: marker segments up to the first SOF (start of frame), whose component count is
/// the channel count.
fn jpeg<R: Read + Seek>(r: &mut R) -> Option<u32> {
    for _ in 0..MAX_SEGMENTS {
        if byte(r)? != 0xFF {
            return None;
        }
        let mut marker = byte(r)?;
        while marker == 0xFF {
            marker = byte(r)?; // fill bytes
        }
        match marker {
            // Markers without a length: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            // End of image or start of scan before any frame header: broken.
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = u16::from_be_bytes([byte(r)?, byte(r)?]);
        if len < 2 {
            return None;
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            // Precision (1), height (2), width (2), components (1).
            let mut head = [0u8; 6];
            r.read_exact(&mut head).ok()?;
            return match head[5] {
                n @ 1..=4 => Some(u32::from(n)),
                _ => None,
            };
        }
        r.seek(SeekFrom::Current(i64::from(len) - 2)).ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn png_header(colour: u8) -> Vec<u8> {
        let mut b = PNG_SIGNATURE.to_vec();
        b.extend_from_slice(&13u32.to_be_bytes());
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&7u32.to_be_bytes());
        b.extend_from_slice(&5u32.to_be_bytes());
        b.extend_from_slice(&[8, colour, 0, 0, 0]);
        b
    }

    fn jpeg_header(components: u8, sof: u8) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        // APP0 (JFIF), a fill byte, DHT: skipped by length.
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend_from_slice(&[0xFF, 0xFF, 0xC4, 0x00, 0x03, 0x00]);
        b.extend_from_slice(&[
            0xFF,
            sof,
            0x00,
            8 + 3 * components,
            8,
            0,
            5,
            0,
            7,
            components,
        ]);
        for i in 0..components {
            b.extend_from_slice(&[i + 1, 0x11, 0]);
        }
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    fn of(bytes: Vec<u8>) -> Option<u32> {
        channels(&mut Cursor::new(bytes))
    }

    #[test]
    fn png_colour_types() {
        for (colour, want) in [
            (0, Some(1)),
            (2, Some(3)),
            (3, Some(3)),
            (4, Some(2)),
            (6, Some(4)),
        ] {
            assert_eq!(of(png_header(colour)), want, "colour type {colour}");
        }
        assert_eq!(of(png_header(5)), None);
        let mut truncated = png_header(2);
        truncated.truncate(20);
        assert_eq!(of(truncated), None);
    }

    #[test]
    fn jpeg_components_after_other_segments() {
        assert_eq!(of(jpeg_header(3, 0xC0)), Some(3));
        assert_eq!(of(jpeg_header(1, 0xC2)), Some(1), "progressive");
        assert_eq!(of(jpeg_header(4, 0xC1)), Some(4), "CMYK");
        assert_eq!(of(jpeg_header(0, 0xC0)), None);
        let mut no_frame = jpeg_header(3, 0xC0);
        no_frame.truncate(24);
        assert_eq!(of(no_frame), None);
    }

    #[test]
    fn other_bytes_have_no_channel_count() {
        assert_eq!(of(b"GIF89a\x01\0\x01\0".to_vec()), None);
        assert_eq!(of(Vec::new()), None);
        assert_eq!(of(vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(of(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 1]), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_an_answer_without_panicking(
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            jpeg in proptest::bool::ANY,
        ) {
            let mut b = if jpeg { vec![0xFF, 0xD8] } else { PNG_SIGNATURE.to_vec() };
            b.extend(tail);
            let got = of(b);
            proptest::prop_assert!(got.is_none_or(|n| (1..=4).contains(&n)));
        }
    }
}

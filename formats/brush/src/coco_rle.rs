//! COCO's run-length encoding of binary masks, as pycocotools' `mask.encode` writes it:
//! column-major (Fortran order) runs that start with a run of zeros (possibly empty), in the
//! compressed string form of `rleToString` (maskApi.c): each count, minus the count two
//! before it from the fourth on, in 5-bit groups, least significant first, `0x20` marking
//! "more groups follow", each group plus 48 as one ASCII character.

/// A mask's COCO RLE with its pixel count and tight bounding box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskRle {
    /// Run lengths, column-major, starting with a zero run.
    pub counts: Vec<u32>,
    /// The number of pixels inside.
    pub area: u64,
    /// `[x, y, w, h]` of the pixels inside (all zero for an empty mask).
    pub bbox: [u32; 4],
}

/// Runs, area and bounding box of `mask` (`width` × `height`, row-major, non-zero = inside).
pub fn encode(mask: &[u8], width: usize, height: usize) -> MaskRle {
    let mut counts = Vec::new();
    let (mut area, mut run, mut cur) = (0u64, 0u32, false);
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for x in 0..width {
        for y in 0..height {
            let inside = mask.get(y * width + x).is_some_and(|&v| v != 0);
            if inside != cur {
                counts.push(run);
                run = 0;
                cur = inside;
            }
            run += 1;
            if inside {
                area += 1;
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    counts.push(run);
    let bbox = if area == 0 {
        [0; 4]
    } else {
        [
            x0 as u32,
            y0 as u32,
            (x1 - x0 + 1) as u32,
            (y1 - y0 + 1) as u32,
        ]
    };
    MaskRle { counts, area, bbox }
}

/// pycocotools' `rleToString`: the compressed `counts` string.
pub fn to_string(counts: &[u32]) -> String {
    let mut s = String::with_capacity(counts.len() * 2);
    for (i, &c) in counts.iter().enumerate() {
        let mut x = i64::from(c);
        if i > 2 {
            x -= i64::from(counts[i - 2]);
        }
        loop {
            let mut c = (x & 0x1f) as u8;
            x >>= 5;
            let more = if c & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                c |= 0x20;
            }
            s.push(char::from(c + 48));
            if !more {
                break;
            }
        }
    }
    s
}

/// pycocotools' `rleFrString`: the counts of a compressed string (`None` when malformed).
pub fn from_string(s: &str) -> Option<Vec<u32>> {
    let b = s.as_bytes();
    let mut counts: Vec<u32> = Vec::new();
    let mut p = 0;
    while p < b.len() {
        let (mut x, mut k) = (0i64, 0u32);
        loop {
            let c = i64::from(b.get(p)?.checked_sub(48)?);
            if k >= 60 {
                return None;
            }
            x |= (c & 0x1f) << (5 * k);
            let more = c & 0x20 != 0;
            p += 1;
            k += 1;
            if !more {
                if c & 0x10 != 0 {
                    x |= -1i64 << (5 * k);
                }
                break;
            }
        }
        let m = counts.len();
        if m > 2 {
            x += i64::from(counts[m - 2]);
        }
        counts.push(u32::try_from(x).ok()?);
    }
    Some(counts)
}

/// The row-major mask (0/1) of column-major `counts` for a `width` × `height` image
/// (`None` when the counts do not add up to its size).
pub fn decode(counts: &[u32], width: usize, height: usize) -> Option<Vec<u8>> {
    let mut mask = vec![0u8; width * height];
    let mut i = 0usize;
    for (k, &c) in counts.iter().enumerate() {
        let end = i.checked_add(c as usize)?;
        if end > mask.len() {
            return None;
        }
        if k % 2 == 1 {
            for j in i..end {
                let (x, y) = (j / height.max(1), j % height.max(1));
                mask[y * width + x] = 1;
            }
        }
        i = end;
    }
    (i == mask.len()).then_some(mask)
}

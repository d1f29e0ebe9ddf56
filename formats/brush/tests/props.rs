//! Properties of the contour tracer and of the mask files on random input.

use exportkit_brush::{bounding_rect, external_contours};
use proptest::prelude::*;

proptest! {
    #[test]
    fn contours_stay_on_the_mask(w in 0usize..24, h in 0usize..24, seed in any::<u64>(), density in 1u64..8) {
        let mut x = seed | 1;
        let mask: Vec<u8> = (0..w * h)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x % 8 < density { 255 } else { 0 }
            })
            .collect();
        let contours = external_contours(&mask, w, h);
        let mut covered = vec![false; w * h];
        for c in &contours {
            prop_assert!(!c.is_empty());
            for &(px, py) in c {
                prop_assert!(px >= 0 && py >= 0 && (px as usize) < w && (py as usize) < h);
                prop_assert!(mask[py as usize * w + px as usize] != 0);
            }
            let [bx, by, bw, bh] = bounding_rect(c);
            for yy in by..by + bh {
                for xx in bx..bx + bw {
                    covered[yy as usize * w + xx as usize] = true;
                }
            }
        }
        // Every foreground pixel lies in some outer contour's box.
        for (i, &v) in mask.iter().enumerate() {
            prop_assert!(v == 0 || covered[i], "pixel {i} outside every contour");
        }
    }
}

proptest! {
    /// COCO RLE: the compressed string decodes back to the mask, with its area and box.
    #[test]
    fn coco_rle_round_trips(w in 1usize..40, h in 1usize..40, seed in any::<u64>(), density in 0u64..9) {
        let mut x = seed | 1;
        let mask: Vec<u8> = (0..w * h)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x % 8 < density { 255 } else { 0 }
            })
            .collect();
        let enc = exportkit_brush::coco_rle::encode(&mask, w, h);
        let s = exportkit_brush::coco_rle::to_string(&enc.counts);
        let counts = exportkit_brush::coco_rle::from_string(&s);
        prop_assert_eq!(counts.as_deref(), Some(&enc.counts[..]));
        let back = exportkit_brush::coco_rle::decode(&enc.counts, w, h);
        let bin: Vec<u8> = mask.iter().map(|&v| u8::from(v != 0)).collect();
        prop_assert_eq!(back.as_deref(), Some(&bin[..]));
        prop_assert_eq!(enc.area, bin.iter().map(|&v| u64::from(v)).sum::<u64>());
        let [bx, by, bw, bh] = enc.bbox.map(|v| v as usize);
        for (i, &v) in bin.iter().enumerate() {
            let (px, py) = (i % w, i / w);
            prop_assert!(v == 0 || (px >= bx && px < bx + bw && py >= by && py < by + bh));
        }
    }
}

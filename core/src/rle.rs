//! Label Studio's brush RLE (the `rle` list of a `brushlabels` result): the `rle-pack` bit
//! format of thi.ng/umbrella, decoded and encoded without per-bit strings.
//!
//! Layout, most significant bit first: a 32-bit value count, 5 bits of word size − 1, four
//! 4-bit run-length sizes − 1, then runs until `count` values are out. A run is a flag bit, a
//! 2-bit index into the run-length sizes and a length − 1 of that many bits; flag 1 repeats one
//! `word size`-bit value, flag 0 is followed by that many literal values. The bytes after the
//! last run are padding. Label Studio's brush masks are RGBA (4 values per pixel, word size 8);
//! exporters keep the alpha channel. `reference: ls-converter.md §6.8`.

use std::fmt;

/// Why an RLE could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RleError {
    /// The `rle` JSON is not a list of integers 0..=255.
    Json(String),
    /// The input ended inside the header or a run (`needed` more bits at bit `at`).
    Truncated {
        /// Bit position where the read started.
        at: u64,
        /// Bits the read needed.
        needed: u32,
    },
    /// The header's word size is over 8 bits (values would not fit a byte).
    WordSize(u32),
    /// A run ends past the value count of the header.
    Overflow {
        /// Where the run starts.
        start: u64,
        /// Where it would end (exclusive).
        end: u64,
        /// The header's value count.
        count: u64,
    },
    /// The header's value count is not the expected one (width × height × 4).
    Length {
        /// The header's count.
        count: u64,
        /// What the caller expected.
        expected: u64,
    },
    /// The header's value count cannot come from an input this short.
    Implausible {
        /// The header's count.
        count: u64,
        /// The input's length in bytes.
        bytes: u64,
    },
}

impl fmt::Display for RleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RleError::Json(m) => write!(f, "rle is not a list of bytes: {m}"),
            RleError::Truncated { at, needed } => {
                write!(f, "rle truncated: {needed} more bits needed at bit {at}")
            }
            RleError::WordSize(w) => write!(f, "rle word size {w} is not supported (1..=8)"),
            RleError::Overflow { start, end, count } => write!(
                f,
                "rle run {start}..{end} overflows the {count} values of its header"
            ),
            RleError::Length { count, expected } => write!(
                f,
                "rle holds {count} values but the mask needs {expected} (width × height × 4)"
            ),
            RleError::Implausible { count, bytes } => {
                write!(f, "rle header claims {count} values in only {bytes} bytes")
            }
        }
    }
}

impl std::error::Error for RleError {}

/// The fixed header of an RLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Number of values.
    pub count: u32,
    /// Bits per value (1..=32 in the format; only 1..=8 decode here).
    pub word_size: u32,
    /// The four run-length field widths, 1..=16 bits each.
    pub run_sizes: [u32; 4],
}

/// An MSB-first bit reader over bytes; `buf` holds `avail` bits left-aligned, and the bits
/// after them are either zero or the stream's next bits (so refills may OR over them).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u64,
    avail: u32,
    consumed: u64,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            buf: 0,
            avail: 0,
            consumed: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            self.buf |= u64::from_be_bytes(w) >> self.avail;
            let take = (63 - self.avail) / 8;
            self.pos += take as usize;
            self.avail += take * 8;
        } else {
            while self.avail <= 56 {
                let Some(&b) = self.data.get(self.pos) else {
                    break;
                };
                self.buf |= u64::from(b) << (56 - self.avail);
                self.pos += 1;
                self.avail += 8;
            }
        }
    }

    /// Reads `n` (1..=32) bits.
    #[inline]
    fn read(&mut self, n: u32) -> Result<u32, RleError> {
        if self.avail < n {
            self.refill();
            if self.avail < n {
                return Err(RleError::Truncated {
                    at: self.consumed,
                    needed: n,
                });
            }
        }
        let v = (self.buf >> (64 - n)) as u32;
        self.buf <<= n;
        self.avail -= n;
        self.consumed += u64::from(n);
        Ok(v)
    }

    fn bits_left(&self) -> u64 {
        (self.data.len() as u64 * 8).saturating_sub(self.consumed)
    }
}

fn read_header(bits: &mut Bits<'_>) -> Result<Header, RleError> {
    let count = bits.read(32)?;
    let word_size = bits.read(5)? + 1;
    let mut run_sizes = [0u32; 4];
    for s in &mut run_sizes {
        *s = bits.read(4)? + 1;
    }
    Ok(Header {
        count,
        word_size,
        run_sizes,
    })
}

/// Reads the header of `rle`.
pub fn header(rle: &[u8]) -> Result<Header, RleError> {
    read_header(&mut Bits::new(rle))
}

/// Where the decoder puts values: runs of one value, and literal values, at value indices.
trait Sink {
    /// `len` copies of `v` from value index `start`.
    fn fill(&mut self, start: usize, len: usize, v: u8);
    /// The literal value `v` at value index `at`.
    fn literal(&mut self, at: usize, v: u8);
    /// Whether to stop decoding (the sink gave up; not an error).
    fn full(&self) -> bool {
        false
    }
}

/// Every value.
impl Sink for Vec<u8> {
    #[inline]
    fn fill(&mut self, start: usize, len: usize, v: u8) {
        self.resize(start + len, v);
    }
    #[inline]
    fn literal(&mut self, _at: usize, v: u8) {
        self.push(v);
    }
}

/// The values at indices 3, 7, 11, ... (the alpha channel of RGBA).
struct Alpha<'a>(&'a mut Vec<u8>);

impl Sink for Alpha<'_> {
    #[inline]
    fn fill(&mut self, start: usize, len: usize, v: u8) {
        // Alpha indices below `i`: i / 4.
        let n = (start + len) / 4 - start / 4;
        let new_len = self.0.len() + n;
        self.0.resize(new_len, v);
    }
    #[inline]
    fn literal(&mut self, at: usize, v: u8) {
        if at & 3 == 3 {
            self.0.push(v);
        }
    }
}

/// The alpha channel as `(value, count)` runs, up to `max` runs.
struct AlphaRuns<'a> {
    runs: &'a mut Vec<(u8, u32)>,
    max: usize,
}

impl AlphaRuns<'_> {
    #[inline]
    fn push(&mut self, v: u8, n: usize) {
        if n == 0 {
            return;
        }
        // At most 2^30 alpha values (the count is 32 bits): the counts fit.
        let n = n as u32;
        match self.runs.last_mut() {
            Some((last, count)) if *last == v => *count += n,
            _ => self.runs.push((v, n)),
        }
    }
}

impl Sink for AlphaRuns<'_> {
    #[inline]
    fn fill(&mut self, start: usize, len: usize, v: u8) {
        self.push(v, (start + len) / 4 - start / 4);
    }
    #[inline]
    fn literal(&mut self, at: usize, v: u8) {
        if at & 3 == 3 {
            self.push(v, 1);
        }
    }
    fn full(&self) -> bool {
        self.runs.len() > self.max
    }
}

/// Checks the header of `rle` and decodes its runs into `sink`; returns the value count.
/// `reserve` gets the count once it is known to be plausible.
fn decode_with<S: Sink>(
    rle: &[u8],
    expected_len: Option<usize>,
    sink: &mut S,
    reserve: impl FnOnce(&mut S, usize),
) -> Result<(), RleError> {
    let mut bits = Bits::new(rle);
    let h = read_header(&mut bits)?;
    let count = u64::from(h.count);
    if let Some(e) = expected_len
        && e as u64 != count
    {
        return Err(RleError::Length {
            count,
            expected: e as u64,
        });
    }
    if !(1..=8).contains(&h.word_size) {
        return Err(RleError::WordSize(h.word_size));
    }
    // Each run costs at least 4 bits plus one value and yields at most 2^16 values.
    let min_run_bits = 4 + u64::from(h.word_size);
    let max_values = (bits.bits_left() / min_run_bits + 1).saturating_mul(1 << 16);
    if count > max_values {
        return Err(RleError::Implausible {
            count,
            bytes: rle.len() as u64,
        });
    }
    let n = h.count as usize;
    reserve(sink, n);
    let ws = h.word_size;
    let mut pos = 0;
    while pos < n {
        let flag = bits.read(1)?;
        let size = h.run_sizes[bits.read(2)? as usize];
        let len = bits.read(size)? as usize + 1;
        let end = pos + len;
        if end > n {
            return Err(RleError::Overflow {
                start: pos as u64,
                end: end as u64,
                count,
            });
        }
        if flag == 1 {
            let v = bits.read(ws)?;
            sink.fill(pos, len, v as u8);
        } else {
            for at in pos..end {
                sink.literal(at, bits.read(ws)? as u8);
            }
        }
        pos = end;
        if sink.full() {
            break;
        }
    }
    Ok(())
}

/// Decodes `rle` into its values. With `expected_len`, a header count that differs is an
/// error before anything is allocated (Label Studio's reshape would fail). Never panics: a
/// truncated input, a run past the count or a word size over 8 bits are errors.
pub fn decode(rle: &[u8], expected_len: Option<usize>) -> Result<Vec<u8>, RleError> {
    let mut out = Vec::new();
    decode_into(rle, expected_len, &mut out)?;
    Ok(out)
}

/// [`decode`] into `out` (cleared first; on error it holds a part of the values).
pub fn decode_into(
    rle: &[u8],
    expected_len: Option<usize>,
    out: &mut Vec<u8>,
) -> Result<(), RleError> {
    out.clear();
    decode_with(rle, expected_len, out, |o, n| o.reserve(n))
}

/// The alpha channel of the RGBA values `rle` holds, into `out` (cleared first): what
/// `alpha(&decode(rle, expected_len)?)` returns, without the RGBA values in between. The
/// errors are [`decode`]'s.
pub fn decode_alpha_into(
    rle: &[u8],
    expected_len: Option<usize>,
    out: &mut Vec<u8>,
) -> Result<(), RleError> {
    out.clear();
    decode_with(rle, expected_len, &mut Alpha(out), |a, n| {
        a.0.reserve(n / 4)
    })
}

/// The alpha channel of the RGBA values `rle` holds as `(value, count)` runs into `runs`
/// (cleared first), adjacent runs of one value merged, without any per-pixel work. `Ok(false)`
/// when it would take more than `max_runs` runs: `runs` then holds a part of them (decode with
/// [`decode_alpha_into`] instead). The errors are [`decode`]'s.
pub fn decode_alpha_runs(
    rle: &[u8],
    expected_len: Option<usize>,
    runs: &mut Vec<(u8, u32)>,
    max_runs: usize,
) -> Result<bool, RleError> {
    runs.clear();
    let mut sink = AlphaRuns {
        runs,
        max: max_runs,
    };
    decode_with(rle, expected_len, &mut sink, |_, _| {})?;
    Ok(!sink.full())
}

/// Decodes an RLE given as its JSON text (`[0, 0, 81, ...]`, as in a result's `value.rle`).
pub fn decode_json(json: &str, expected_len: Option<usize>) -> Result<Vec<u8>, RleError> {
    decode(&parse_json_bytes(json)?, expected_len)
}

/// Parses a JSON list of integers 0..=255 (whitespace allowed) into bytes.
pub fn parse_json_bytes(json: &str) -> Result<Vec<u8>, RleError> {
    let mut out = Vec::new();
    parse_json_bytes_into(json, &mut out)?;
    Ok(out)
}

/// [`parse_json_bytes`] into `out` (cleared first).
pub fn parse_json_bytes_into(json: &str, out: &mut Vec<u8>) -> Result<(), RleError> {
    out.clear();
    let s = json.as_bytes();
    let err = |at: usize, what: &str| RleError::Json(format!("{what} at byte {at}"));
    let skip_ws = |mut i: usize| {
        while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if s.get(i) != Some(&b'[') {
        return Err(err(i, "expected '['"));
    }
    i = skip_ws(i + 1);
    out.reserve(s.len() / 3);
    if s.get(i) == Some(&b']') {
        return finish(s, skip_ws(i + 1));
    }
    loop {
        let start = i;
        let mut v: u32 = 0;
        while let Some(d @ b'0'..=b'9') = s.get(i) {
            v = v * 10 + u32::from(d - b'0');
            if v > 255 {
                return Err(err(start, "value over 255"));
            }
            i += 1;
        }
        if i == start {
            return Err(err(i, "expected an integer 0..=255"));
        }
        if i - start > 1 && s[start] == b'0' {
            return Err(err(start, "leading zero"));
        }
        out.push(v as u8);
        i = skip_ws(i);
        match s.get(i) {
            Some(b',') => i = skip_ws(i + 1),
            Some(b']') => return finish(s, skip_ws(i + 1)),
            _ => return Err(err(i, "expected ',' or ']'")),
        }
    }
}

fn finish(s: &[u8], i: usize) -> Result<(), RleError> {
    if i == s.len() {
        Ok(())
    } else {
        Err(RleError::Json(format!("trailing characters at byte {i}")))
    }
}

/// An MSB-first bit writer.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn new() -> Self {
        BitWriter {
            out: Vec::new(),
            acc: 0,
            n: 0,
        }
    }

    /// Writes the low `bits` (≤ 32) bits of `v`.
    #[inline]
    fn put(&mut self, v: u32, bits: u32) {
        let mask = if bits == 32 {
            u64::from(u32::MAX)
        } else {
            (1u64 << bits) - 1
        };
        self.acc = (self.acc << bits) | (u64::from(v) & mask);
        self.n += bits;
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
        }
        self.out
    }
}

/// The run-length field widths the encoder writes (Label Studio's `encode_rle` uses the same).
const RUN_SIZES: [u32; 4] = [3, 4, 8, 16];

fn run_header(w: &mut BitWriter, flag: u32, len: usize) {
    let l = (len - 1) as u32;
    let idx = RUN_SIZES
        .iter()
        .position(|&b| u64::from(l) < (1u64 << b))
        .unwrap_or(3);
    w.put(flag, 1);
    w.put(idx as u32, 2);
    w.put(l, RUN_SIZES[idx]);
}

/// Encodes bytes as rle-pack with 8-bit words and run sizes 3, 4, 8, 16 bits (what Label
/// Studio's own decoders read). Repeats of 2 or more become fill runs, the rest literal runs.
/// At most `u32::MAX` values.
pub fn encode(values: &[u8]) -> Vec<u8> {
    const MAX_RUN: usize = 1 << 16;
    let mut w = BitWriter::new();
    w.put(values.len() as u32, 32);
    w.put(7, 5);
    for s in RUN_SIZES {
        w.put(s - 1, 4);
    }
    let mut lit_start = 0;
    let mut i = 0;
    let flush_literals = |w: &mut BitWriter, lits: &[u8]| {
        for chunk in lits.chunks(MAX_RUN) {
            run_header(w, 0, chunk.len());
            for &v in chunk {
                w.put(u32::from(v), 8);
            }
        }
    };
    while i < values.len() {
        let v = values[i];
        let mut j = i + 1;
        while j < values.len() && values[j] == v {
            j += 1;
        }
        if j - i >= 2 {
            flush_literals(&mut w, &values[lit_start..i]);
            let mut left = j - i;
            while left > 0 {
                let len = left.min(MAX_RUN);
                run_header(&mut w, 1, len);
                w.put(u32::from(v), 8);
                left -= len;
            }
            lit_start = j;
        }
        i = j;
    }
    flush_literals(&mut w, &values[lit_start..]);
    w.finish()
}

/// Encodes a greyscale mask (one byte per pixel) the way Label Studio's `mask2rle` does: each
/// pixel becomes 4 equal RGBA values.
pub fn encode_mask(mask: &[u8]) -> Vec<u8> {
    let rgba: Vec<u8> = mask.iter().flat_map(|&v| [v; 4]).collect();
    encode(&rgba)
}

/// The alpha channel (every 4th value from index 3) of decoded RGBA values.
pub fn alpha(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4).map(|p| p[3]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // From gen_tasks.py --mode brush --seed 3 (a 96×54 mask), decoded by label-studio-sdk 2.1.2.
    const SMALL: &str =
        "[0, 0, 81, 0, 57, 27, 255, 3, 147, 0, 211, 255, 251, 124, 3, 79, 255, 244, 180, 176, 0]";

    #[test]
    fn decodes_a_label_studio_rle() {
        let v = decode_json(SMALL, Some(96 * 54 * 4)).unwrap();
        assert_eq!(v.len(), 96 * 54 * 4);
        let h = header(&parse_json_bytes(SMALL).unwrap()).unwrap();
        assert_eq!(h.word_size, 8);
        assert_eq!(h.count, 20736);
    }

    #[test]
    fn length_mismatch_is_an_error() {
        assert!(matches!(
            decode_json(SMALL, Some(10)),
            Err(RleError::Length { .. })
        ));
    }

    #[test]
    fn corrupt_inputs_are_errors() {
        assert!(matches!(decode(&[], None), Err(RleError::Truncated { .. })));
        // count 4, word size 8, sizes 1: a fill run of 2^1 values then truncated.
        let mut w = BitWriter::new();
        w.put(4, 32);
        w.put(7, 5);
        for _ in 0..4 {
            w.put(0, 4);
        }
        w.put(1, 1);
        w.put(0, 2);
        w.put(1, 1);
        let b = w.finish();
        assert!(matches!(decode(&b, None), Err(RleError::Truncated { .. })));
        // A fill run that passes the count.
        let mut enc = encode(&[7; 10]);
        enc[3] = 5; // count 5
        assert!(matches!(decode(&enc, None), Err(RleError::Overflow { .. })));
        // Word size 16.
        let mut w = BitWriter::new();
        w.put(1, 32);
        w.put(15, 5);
        w.put(0, 16);
        assert!(matches!(
            decode(&w.finish(), None),
            Err(RleError::WordSize(16))
        ));
        // A huge count in a tiny input.
        assert!(matches!(
            decode(&[255, 255, 255, 255, 56, 0, 0, 0], None),
            Err(RleError::Implausible { .. })
        ));
    }

    #[test]
    fn json_lists_are_checked() {
        assert_eq!(parse_json_bytes(" [ 1 ,2,\n255 ] ").unwrap(), [1, 2, 255]);
        assert_eq!(parse_json_bytes("[]").unwrap(), Vec::<u8>::new());
        for bad in [
            "", "[", "[256]", "[1,]", "[-1]", "[1.0]", "[01]", "[1] x", "{}",
        ] {
            assert!(parse_json_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_runs_and_literals_round_trip() {
        let mut v = vec![0u8; 200_000];
        v.extend((0..70_000u32).map(|i| (i % 251) as u8));
        v.extend([9u8; 3]);
        assert_eq!(decode(&encode(&v), Some(v.len())).unwrap(), v);
        assert_eq!(decode(&encode(&[]), Some(0)).unwrap(), Vec::<u8>::new());
    }

    /// `(value, count)` runs expanded.
    fn expand(runs: &[(u8, u32)]) -> Vec<u8> {
        runs.iter()
            .flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
            .collect()
    }

    #[test]
    fn alpha_decoders_agree_on_a_label_studio_rle() {
        let rle = parse_json_bytes(SMALL).unwrap();
        let want = alpha(&decode(&rle, None).unwrap());
        let mut got = vec![1, 2, 3];
        decode_alpha_into(&rle, Some(96 * 54 * 4), &mut got).unwrap();
        assert_eq!(got, want);
        let mut runs = Vec::new();
        assert!(decode_alpha_runs(&rle, None, &mut runs, usize::MAX).unwrap());
        assert_eq!(expand(&runs), want);
        assert!(runs.windows(2).all(|w| w[0].0 != w[1].0));
        assert!(!decode_alpha_runs(&rle, None, &mut runs, 1).unwrap());
    }

    proptest! {
        /// The alpha decoders return what `alpha(decode(..))` does, errors included, on valid
        /// RLEs of any alignment and on arbitrary bytes.
        #[test]
        fn alpha_decoders_match_decode(
            runs in prop::collection::vec((0u8..4, 1usize..40), 0..60),
            junk in prop::collection::vec(any::<u8>(), 0..120),
            cut in 0usize..200,
            max_runs in 0usize..30,
        ) {
            let v: Vec<u8> = runs.iter().flat_map(|&(b, n)| std::iter::repeat_n(b, n)).collect();
            let mut enc = encode(&v);
            let cut = enc.len().saturating_sub(cut % 8);
            let mut inputs = vec![enc.clone(), junk];
            enc.truncate(cut);
            inputs.push(enc);
            for rle in &inputs {
                for expected in [None, Some(v.len())] {
                    let want = decode(rle, expected).map(|d| alpha(&d));
                    let mut got = Vec::new();
                    let r = decode_alpha_into(rle, expected, &mut got).map(|()| got);
                    prop_assert_eq!(&r, &want);
                    let mut runs = Vec::new();
                    match (decode_alpha_runs(rle, expected, &mut runs, max_runs), &want) {
                        (Ok(true), Ok(w)) => {
                            prop_assert!(runs.len() <= max_runs);
                            prop_assert_eq!(&expand(&runs), w);
                        }
                        (Ok(false), _) => prop_assert!(runs.len() > max_runs),
                        (Err(e), Err(w)) => prop_assert_eq!(&e, w),
                        (got, want) => prop_assert!(false, "{got:?} vs {want:?}"),
                    }
                }
            }
        }

        #[test]
        fn encode_decode_round_trip(runs in prop::collection::vec((any::<u8>(), 1usize..300), 0..60)) {
            let v: Vec<u8> = runs.iter().flat_map(|&(b, n)| std::iter::repeat_n(b, n)).collect();
            prop_assert_eq!(decode(&encode(&v), Some(v.len())).unwrap(), v.clone());
            let mask: Vec<u8> = v.iter().map(|&b| b & 0x80).collect();
            let dec = decode(&encode_mask(&mask), Some(mask.len() * 4)).unwrap();
            prop_assert_eq!(alpha(&dec), mask);
        }

        #[test]
        fn decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes, None);
            let _ = decode(&bytes, Some(64));
        }

        #[test]
        fn decoder_never_panics_on_plausible_headers(
            count in 0u32..5000, ws in 0u32..10, body in prop::collection::vec(any::<u8>(), 0..300)
        ) {
            let mut w = BitWriter::new();
            w.put(count, 32);
            w.put(ws, 5);
            w.put(0x2a7f, 16);
            let mut b = w.finish();
            b.extend(body);
            let _ = decode(&b, None);
        }

        #[test]
        fn json_parser_never_panics(s in ".{0,40}") {
            let _ = parse_json_bytes(&s);
        }
    }
}

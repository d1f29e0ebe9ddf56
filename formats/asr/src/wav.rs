//! A small RIFF/WAVE header reader: the duration in seconds, reading only the chunk headers.
//!
//! [`Strictness::Python`] follows CPython 3.11's `wave` module (what Label Studio uses): the
//! chunks are read inside the RIFF size, padded to even sizes, `fmt ` must be PCM (format 1)
//! and come before `data`, and the frame count is `data size // (channels * bytes per sample)`
//! even when the file is shorter. [`Strictness::Lenient`] also reads IEEE-float (3) and
//! `WAVE_FORMAT_EXTENSIBLE` files, ignores a wrong RIFF size (streamed files write 0 or
//! `0xFFFFFFFF`), and counts only the sample bytes the file really holds.

use std::io::{Read, Seek, SeekFrom};

/// Which reader to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// CPython's `wave`.
    Python,
    /// Tolerant of common writer mistakes.
    Lenient,
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WavInfo {
    /// Sample frames.
    pub(crate) frames: u64,
    /// Frames per second (not 0).
    pub(crate) rate: u32,
}

impl WavInfo {
    /// `frames / rate`, as Python computes `nframes / float(rate)`.
    pub(crate) fn seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.rate)
    }
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads up to `buf.len()` bytes; returns how many were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

struct Fmt {
    channels: u16,
    rate: u32,
    block_align: u16,
    bits: u16,
}

/// Parses a `fmt ` chunk body (at most its first 40 bytes).
fn parse_fmt(body: &[u8], strict: Strictness) -> Result<Fmt, String> {
    if body.len() < 14 {
        return Err("the fmt chunk is too short".into());
    }
    let mut tag = u16le(body, 0);
    let channels = u16le(body, 2);
    let rate = u32le(body, 4);
    let block_align = u16le(body, 12);
    if strict == Strictness::Lenient && tag == 0xFFFE && body.len() >= 26 {
        // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real format tag.
        tag = u16le(body, 24);
    }
    let ok = match strict {
        Strictness::Python => tag == 1,
        Strictness::Lenient => matches!(tag, 1 | 3),
    };
    if !ok {
        return Err(format!("unsupported WAVE format {tag} (not PCM)"));
    }
    if body.len() < 16 {
        return Err("the fmt chunk is too short".into());
    }
    let bits = u16le(body, 14);
    if bits.div_ceil(8) == 0 {
        return Err("bad sample width".into());
    }
    if channels == 0 {
        return Err("bad number of channels".into());
    }
    Ok(Fmt {
        channels,
        rate,
        block_align,
        bits,
    })
}

/// The WAVE header of `r` (positioned at the start of the file).
pub(crate) fn read_info<R: Read + Seek>(r: &mut R, strict: Strictness) -> Result<WavInfo, String> {
    let io = |e: std::io::Error| format!("cannot read the audio file: {e}");
    let file_len = r.seek(SeekFrom::End(0)).map_err(io)?;
    r.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut head = [0u8; 12];
    let n = read_full(r, &mut head).map_err(io)?;
    if n < 8 || &head[0..4] != b"RIFF" {
        return Err("not a WAV file (no RIFF header)".into());
    }
    if n < 12 || &head[8..12] != b"WAVE" {
        return Err("not a WAV file (RIFF but not WAVE)".into());
    }
    // Bytes of the RIFF body after "WAVE" that chunks may use.
    let riff_size = u64::from(u32le(&head, 4));
    let limit = match strict {
        Strictness::Python => riff_size.saturating_sub(4).min(file_len.saturating_sub(12)),
        Strictness::Lenient => file_len.saturating_sub(12),
    };
    let mut pos: u64 = 0; // offset within the body
    let mut fmt: Option<Fmt> = None;
    loop {
        if limit.saturating_sub(pos) < 8 {
            break;
        }
        r.seek(SeekFrom::Start(12 + pos)).map_err(io)?;
        let mut ch = [0u8; 8];
        if read_full(r, &mut ch).map_err(io)? < 8 {
            break;
        }
        let size = u64::from(u32le(&ch, 4));
        let body_at = pos + 8;
        if &ch[0..4] == b"fmt " {
            let avail = size.min(limit - body_at).min(40) as usize;
            let mut body = vec![0u8; avail];
            let got = read_full(r, &mut body).map_err(io)?;
            body.truncate(got);
            fmt = Some(parse_fmt(&body, strict)?);
        } else if &ch[0..4] == b"data" {
            let Some(f) = fmt else {
                return Err("data chunk before fmt chunk".into());
            };
            let frame = match strict {
                Strictness::Python => u64::from(f.channels) * u64::from(f.bits.div_ceil(8)),
                Strictness::Lenient if f.block_align > 0 => u64::from(f.block_align),
                Strictness::Lenient => u64::from(f.channels) * u64::from(f.bits.div_ceil(8)),
            };
            let bytes = match strict {
                Strictness::Python => size,
                Strictness::Lenient => size.min(file_len.saturating_sub(12 + body_at)),
            };
            if f.rate == 0 {
                return Err("the sample rate is 0".into());
            }
            return Ok(WavInfo {
                frames: bytes / frame,
                rate: f.rate,
            });
        }
        let next = body_at + size + (size & 1);
        if strict == Strictness::Python && next > limit {
            return Err("a chunk runs past the end of the RIFF chunk".into());
        }
        pos = next;
    }
    Err("fmt chunk and/or data chunk missing".into())
}

#[cfg(test)]
mod tests {
    use super::{Strictness, read_info};
    use std::io::Cursor;

    fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: usize, junk: bool) -> Vec<u8> {
        let mut body = b"WAVE".to_vec();
        if junk {
            body.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        }
        let align = channels * bits.div_ceil(8);
        body.extend_from_slice(b"fmt \x10\0\0\0");
        body.extend_from_slice(&tag.to_le_bytes());
        body.extend_from_slice(&channels.to_le_bytes());
        body.extend_from_slice(&rate.to_le_bytes());
        body.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        body.extend_from_slice(&align.to_le_bytes());
        body.extend_from_slice(&bits.to_le_bytes());
        body.extend_from_slice(b"data");
        body.extend_from_slice(&(data as u32).to_le_bytes());
        body.extend(std::iter::repeat_n(0u8, data));
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    fn secs(b: &[u8], s: Strictness) -> Result<f64, String> {
        read_info(&mut Cursor::new(b), s).map(|i| i.seconds())
    }

    #[test]
    fn reads_pcm_durations() {
        let w = wav(1, 2, 8000, 16, 8000 * 4 / 2, true);
        assert_eq!(secs(&w, Strictness::Python), Ok(0.5));
        assert_eq!(secs(&w, Strictness::Lenient), Ok(0.5));
        let float = wav(3, 1, 100, 32, 400, false);
        assert!(secs(&float, Strictness::Python).is_err());
        assert_eq!(secs(&float, Strictness::Lenient), Ok(1.0));
    }

    #[test]
    fn truncated_files_differ_by_mode() {
        let mut w = wav(1, 1, 10, 8, 100, false);
        w.truncate(w.len() - 50);
        assert_eq!(secs(&w, Strictness::Python), Ok(10.0));
        assert_eq!(secs(&w, Strictness::Lenient), Ok(5.0));
        assert!(secs(b"hello", Strictness::Lenient).is_err());
        assert!(secs(b"", Strictness::Python).is_err());
        let zero = wav(1, 1, 0, 8, 10, false);
        assert!(secs(&zero, Strictness::Python).is_err());
    }
}

//! Streaming input: a chunked reader that splits a Label Studio export into raw task slices.
//!
//! Accepts a JSON array of tasks, a single task object, or NDJSON (whitespace-separated task
//! objects), with or without a UTF-8 BOM. The splitter never parses tasks: it finds element
//! boundaries (string- and escape-aware) and copies each task's bytes into a batch buffer, so
//! memory stays flat whatever the input size. Tasks are parsed later, per batch, in parallel.

use crate::error::{Error, Result};
use std::io::Read;

/// How deep brackets may nest inside one task before the input is refused.
pub const MAX_DEPTH: u32 = 10_000;
/// The largest task accepted, so that a never-closing task cannot exhaust memory.
pub const MAX_TASK_BYTES: usize = 256 << 20;
const CHUNK: usize = 1 << 20;

/// Where the export comes from.
pub enum Input {
    /// A file on disk.
    File(std::path::PathBuf),
    /// Standard input.
    Stdin,
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// Any reader (a database cursor, a storage object), and its size when known.
    Reader(Box<dyn Read + Send>, Option<u64>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::File(p) => f.debug_tuple("File").field(p).finish(),
            Input::Stdin => f.write_str("Stdin"),
            Input::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Input::Reader(_, len) => f.debug_tuple("Reader").field(len).finish(),
        }
    }
}

impl Input {
    /// Opens the input as a reader, and its size when known (for progress).
    pub fn open(self) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
        match self {
            Input::File(path) => {
                let f = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
                let len = f.metadata().ok().map(|m| m.len());
                Ok((Box::new(f), len))
            }
            Input::Stdin => Ok((Box::new(std::io::stdin()), None)),
            Input::Bytes(b) => {
                let len = b.len() as u64;
                Ok((Box::new(std::io::Cursor::new(b)), Some(len)))
            }
            Input::Reader(r, len) => Ok((r, len)),
        }
    }
}

/// A batch of raw task slices, in input order.
#[derive(Debug, Default)]
pub struct RawBatch {
    /// Position of the batch in the stream (0, 1, 2, ...).
    pub seq: u64,
    /// Index (0-based, in input order) of the first task of the batch.
    pub first_index: u64,
    /// The tasks' bytes, back to back.
    pub buf: Vec<u8>,
    /// `(start, end)` of each task in `buf`.
    pub spans: Vec<(usize, usize)>,
    /// Byte offset of each task in the input.
    pub offsets: Vec<u64>,
    /// Start in `buf` of the bytes that preceded each task in the input (`[`, `,`, whitespace,
    /// a BOM): task `i`'s gap is `buf[gaps[i]..spans[i].0]`. Lets JSON reproduce the input exactly.
    pub gaps: Vec<usize>,
    /// On the last batch: the bytes after the last task (`]`, whitespace). The last batch may
    /// hold no task.
    pub trailer: Option<Vec<u8>>,
}

impl RawBatch {
    /// Number of tasks in the batch.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Empties the batch, keeping its allocations for reuse.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
        self.offsets.clear();
        self.gaps.clear();
        self.trailer = None;
    }

    /// Whether the batch holds no task.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The raw bytes of task `i` of the batch.
    pub fn task(&self, i: usize) -> &[u8] {
        let (s, e) = self.spans[i];
        &self.buf[s..e]
    }

    /// The bytes that preceded task `i` in the input.
    pub fn gap(&self, i: usize) -> &[u8] {
        &self.buf[self.gaps[i]..self.spans[i].0]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first non-whitespace byte.
    Start,
    /// Array: after `[` or `,`, an element must follow (`]` allowed right after `[`).
    ArrayValue { first: bool },
    /// Array: after an element, `,` or `]` must follow.
    ArrayNext,
    /// Array closed: only whitespace may follow.
    ArrayDone,
    /// A sequence of objects (single task or NDJSON): between elements.
    Seq,
    /// Inside an element.
    Element,
}

/// Splits a reader into [`RawBatch`]es of up to `batch_size` tasks.
#[derive(Debug)]
pub struct Splitter<R> {
    reader: R,
    buf: Vec<u8>,
    /// Input offset of `buf[0]`.
    base: u64,
    /// Scan position in `buf` (may pass `buf.len()` by one after a trailing backslash).
    pos: usize,
    state: State,
    in_array: bool,
    depth: u32,
    in_string: bool,
    elem_start: usize,
    /// Start of the bytes between the previous element (or the input start) and the next.
    gap_start: usize,
    eof: bool,
    finished: bool,
    batch_size: usize,
    next_index: u64,
    next_seq: u64,
    batch: RawBatch,
    recycle: Option<crossbeam_channel::Receiver<RawBatch>>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

impl<R: Read> Splitter<R> {
    /// A splitter over `reader` emitting batches of `batch_size` tasks (at least 1).
    pub fn new(reader: R, batch_size: usize) -> Self {
        Splitter {
            reader,
            buf: Vec::with_capacity(CHUNK),
            base: 0,
            pos: 0,
            state: State::Start,
            in_array: false,
            depth: 0,
            in_string: false,
            elem_start: 0,
            gap_start: 0,
            eof: false,
            finished: false,
            batch_size: batch_size.max(1),
            next_index: 0,
            next_seq: 0,
            batch: RawBatch::default(),
            recycle: None,
        }
    }

    /// Takes spent batches back from `rx` and reuses their buffers, so a long export does not
    /// allocate (and fragment memory with) a fresh buffer per batch.
    pub fn recycle_from(mut self, rx: crossbeam_channel::Receiver<RawBatch>) -> Self {
        self.recycle = Some(rx);
        self
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    fn err(&self, msg: impl Into<String>, at: usize) -> Error {
        Error::input(msg, self.base + at as u64)
    }

    /// Drops consumed bytes and reads the next chunk. Returns false at end of input.
    fn refill(&mut self) -> Result<bool> {
        let keep = self.gap_start;
        if keep > 0 {
            self.buf.drain(..keep);
            self.base += keep as u64;
            self.pos -= keep;
            self.elem_start = self.elem_start.saturating_sub(keep);
            self.gap_start = 0;
        }
        // `read_to_end` fills spare capacity without zeroing it first.
        self.buf.reserve(CHUNK);
        let n = (&mut self.reader)
            .take(CHUNK as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| Error::new(crate::ErrorKind::Io, format!("reading input: {e}")))?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    fn take_batch(&mut self) -> RawBatch {
        let mut next = match self.recycle.as_ref().and_then(|r| r.try_recv().ok()) {
            Some(mut spent) => {
                spent.clear();
                spent
            }
            None => RawBatch::default(),
        };
        next.first_index = self.next_index;
        let mut b = std::mem::replace(&mut self.batch, next);
        b.seq = self.next_seq;
        self.next_seq += 1;
        b
    }

    fn push_element(&mut self, end: usize) {
        let gap = self.batch.buf.len();
        self.batch
            .buf
            .extend_from_slice(&self.buf[self.gap_start..end]);
        let start = gap + (self.elem_start - self.gap_start);
        self.batch.gaps.push(gap);
        self.batch.spans.push((start, self.batch.buf.len()));
        self.batch.offsets.push(self.base + self.elem_start as u64);
        self.gap_start = end;
        self.next_index += 1;
    }

    /// Scans inside an element; returns the end (exclusive) when the element closes.
    fn scan_element(&mut self) -> Result<Option<usize>> {
        let buf = &self.buf;
        let n = buf.len();
        let mut i = self.pos;
        while i < n {
            if self.in_string {
                match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                    Some(k) => {
                        i += k;
                        if buf[i] == b'\\' {
                            i += 2;
                        } else {
                            self.in_string = false;
                            i += 1;
                        }
                    }
                    None => i = n,
                }
                continue;
            }
            match buf[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        self.pos = i;
                        return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels"), i));
                    }
                }
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.pos = i + 1;
                        return Ok(Some(i + 1));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if n - self.elem_start > MAX_TASK_BYTES {
            return Err(self.err(
                format!("a task larger than {} MiB", MAX_TASK_BYTES >> 20),
                self.elem_start,
            ));
        }
        self.pos = i;
        Ok(None)
    }

    /// The next batch, `None` at the end of the input.
    pub fn next_batch(&mut self) -> Result<Option<RawBatch>> {
        if self.finished {
            return Ok(None);
        }
        loop {
            if self.batch.len() >= self.batch_size {
                return Ok(Some(self.take_batch()));
            }
            if self.state == State::Element {
                if let Some(end) = self.scan_element()? {
                    self.push_element(end);
                    self.state = if self.in_array {
                        State::ArrayNext
                    } else {
                        State::Seq
                    };
                    continue;
                }
            } else if self.pos < self.buf.len() {
                let i = self.pos;
                let b = self.buf[i];
                self.pos += 1;
                if is_ws(b) {
                    continue;
                }
                match (self.state, b) {
                    (State::Start, 0xEF) if self.base + i as u64 == 0 => {
                        // A UTF-8 BOM: accepted (Label Studio's converter silently exports nothing).
                        if self.buf.len() < 3 && !self.eof {
                            self.pos = i;
                            if !self.refill()? {
                                return Err(
                                    self.err("unexpected end of input in a byte-order mark", i)
                                );
                            }
                            continue;
                        }
                        if self.buf.get(i..i + 3) != Some(&[0xEF, 0xBB, 0xBF][..]) {
                            return Err(self.err("expected a JSON array, a task object or NDJSON, found invalid UTF-8", i));
                        }
                        self.pos = i + 3;
                    }
                    (State::Start, b'[') => {
                        self.in_array = true;
                        self.state = State::ArrayValue { first: true };
                    }
                    (State::Start | State::Seq | State::ArrayValue { .. }, b'{') => {
                        self.elem_start = i;
                        self.depth = 1;
                        self.in_string = false;
                        self.state = State::Element;
                    }
                    (State::ArrayValue { first: true }, b']') | (State::ArrayNext, b']') => {
                        self.state = State::ArrayDone;
                    }
                    (State::ArrayNext, b',') => self.state = State::ArrayValue { first: false },
                    (State::Start, b) => {
                        return Err(self.err(
                            format!(
                                "expected a JSON array, a task object or NDJSON, found {}",
                                describe(b)
                            ),
                            i,
                        ));
                    }
                    (State::ArrayValue { .. } | State::Seq, b) => {
                        return Err(self.err(
                            format!(
                                "task #{}: expected a task object, found {}",
                                self.next_index,
                                describe(b)
                            ),
                            i,
                        ));
                    }
                    (State::ArrayNext, b) => {
                        return Err(self.err(
                            format!("expected ',' or ']' after a task, found {}", describe(b)),
                            i,
                        ));
                    }
                    (State::ArrayDone, b) => {
                        return Err(self.err(
                            format!("unexpected {} after the end of the array", describe(b)),
                            i,
                        ));
                    }
                    (State::Element, _) => unreachable!("handled above"),
                }
                continue;
            }
            // Need more bytes.
            if !self.eof && self.refill()? {
                continue;
            }
            let at = self.buf.len();
            match self.state {
                State::Element => {
                    return Err(Error::input(
                        format!(
                            "unexpected end of input inside task #{} (truncated JSON)",
                            self.next_index
                        ),
                        self.base + self.elem_start as u64,
                    ));
                }
                State::Start => {
                    return Err(self.err(
                        "empty input: expected a JSON array, a task object or NDJSON",
                        at,
                    ));
                }
                State::ArrayValue { .. } | State::ArrayNext => {
                    return Err(self.err("unexpected end of input: the array of tasks is not closed (truncated JSON)", at));
                }
                State::ArrayDone | State::Seq => {}
            }
            self.finished = true;
            let trailer = self.buf[self.gap_start..].to_vec();
            let mut last = self.take_batch();
            last.trailer = Some(trailer);
            return Ok(Some(last));
        }
    }
}

impl<R: Read> Iterator for Splitter<R> {
    type Item = Result<RawBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_batch() {
            Ok(b) => b.map(Ok),
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], batch: usize) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for b in Splitter::new(input, batch) {
            let b = b?;
            for i in 0..b.len() {
                out.push(String::from_utf8_lossy(b.task(i)).into_owned());
            }
        }
        Ok(out)
    }

    #[test]
    fn array_object_and_ndjson() {
        let want = vec![
            r#"{"id":1,"s":"a]}\"{"}"#.to_string(),
            r#"{"id":2,"x":[{}]}"#.to_string(),
        ];
        assert_eq!(
            split(br#" [ {"id":1,"s":"a]}\"{"} , {"id":2,"x":[{}]} ] "#, 1).unwrap(),
            want
        );
        assert_eq!(
            split(b"{\"id\":1,\"s\":\"a]}\\\"{\"}\n{\"id\":2,\"x\":[{}]}\n", 7).unwrap(),
            want
        );
        assert_eq!(
            split(b"\xEF\xBB\xBF{\"id\":1}", 7).unwrap(),
            vec!["{\"id\":1}"]
        );
        assert_eq!(split(b"[]", 7).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn offsets_and_batches() {
        let input = br#"[{"a":1},{"a":2},{"a":3}]"#;
        let batches: Vec<_> = Splitter::new(&input[..], 2).collect::<Result<_>>().unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].offsets, vec![1, 9]);
        assert_eq!((batches[1].seq, batches[1].first_index), (1, 2));
        assert_eq!(batches[1].offsets, vec![17]);
    }

    #[test]
    fn errors_name_the_position() {
        let e = |s: &[u8]| split(s, 10).unwrap_err().to_string();
        assert_eq!(
            e(b"[{\"a\":1},"),
            "at byte 9: unexpected end of input: the array of tasks is not closed (truncated JSON)"
        );
        assert_eq!(
            e(b"[{\"a\":1}, {\"a\":"),
            "at byte 10: unexpected end of input inside task #1 (truncated JSON)"
        );
        assert_eq!(
            e(b"  42"),
            "at byte 2: expected a JSON array, a task object or NDJSON, found '4'"
        );
        assert_eq!(
            e(b"[{}, 3]"),
            "at byte 5: task #1: expected a task object, found '3'"
        );
        assert_eq!(
            e(b"[{}] x"),
            "at byte 5: unexpected 'x' after the end of the array"
        );
        assert_eq!(
            e(b""),
            "at byte 0: empty input: expected a JSON array, a task object or NDJSON"
        );
        let deep = format!("[{{\"a\":{}", "[".repeat(20_000));
        assert!(e(deep.as_bytes()).contains("nesting deeper than 10000 levels"));
    }

    #[test]
    fn gaps_and_trailer_rebuild_the_input() {
        let input = b"\xEF\xBB\xBF [ {\"a\":1},\n  {\"a\":2} ]\n";
        let mut rebuilt = Vec::new();
        for b in Splitter::new(&input[..], 1) {
            let b = b.unwrap();
            for i in 0..b.len() {
                rebuilt.extend_from_slice(b.gap(i));
                rebuilt.extend_from_slice(b.task(i));
            }
            if let Some(t) = &b.trailer {
                rebuilt.extend_from_slice(t);
            }
        }
        assert_eq!(rebuilt, input);
    }

    #[test]
    fn elements_across_chunk_boundaries() {
        // A task bigger than a chunk, with an escape right at a boundary.
        let mut s = String::from("[{\"k\":\"");
        while s.len() < CHUNK - 1 {
            s.push('x');
        }
        s.push_str("\\\"\"},{\"b\":2}]");
        let got = split(s.as_bytes(), 10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], "{\"b\":2}");
    }
}

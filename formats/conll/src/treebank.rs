//! NLTK's `TreebankWordTokenizer().span_tokenize` (nltk 3.10) as Label Studio runs it: with the
//! `PUNCTUATION` list label-studio-sdk monkey-patches onto the class (which also splits `/`).
//!
//! NLTK applies a chain of regex substitutions to the text, splits the result on white space
//! and aligns the tokens with the text. Here each substitution is one hand-written pass over a
//! byte buffer, in NLTK's order, finding matches the way the regex engine does (leftmost first,
//! non-overlapping, alternatives in order), with Python's semantics: `$` also matches before a
//! final `\n`, `\s` and `str.split()` also treat `\x1c`..`\x1f` as white space, `\d` is any
//! Unicode decimal digit, `\b` uses Python's word characters (letters, numbers and `_`) and
//! `(?i)` folds `ſ` with `s`. A pass whose characters the text does not contain is skipped, and
//! the two buffers are reused from task to task ([`Scratch`]). Offsets are in characters
//! (Python string indices) and in bytes. The regex version this replaced is kept as the tests'
//! oracle (`treebank_oracle.rs`).

use memchr::{memchr, memchr2, memmem};
use regex::Regex;

/// Python's `str.isspace`.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Classes of ASCII bytes, one bit each (a byte may have several).
type Class = u16;
/// White space for Python (`\t`..`\r`, `\x1c`..`\x1f`, space).
const SPACE: Class = 1;
/// `[;@#$/%&]` (label-studio-sdk's punctuation).
const SYMBOLS: Class = 1 << 1;
/// `[?!]`.
const QUESTION: Class = 1 << 2;
/// NLTK's `PARENS_BRACKETS`.
const BRACKETS: Class = 1 << 3;
/// What may follow a final period: `[\])}>"']`.
const CLOSERS: Class = 1 << 4;
const DOUBLE_QUOTE: Class = 1 << 5;
const QUOTE: Class = 1 << 6;
const BACKTICK: Class = 1 << 7;
const COLON_COMMA: Class = 1 << 8;
const PERIOD: Class = 1 << 9;
const DASH: Class = 1 << 10;

const fn class_table() -> [Class; 256] {
    const CLASSES: [(Class, &[u8]); 11] = [
        (SPACE, b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "),
        (SYMBOLS, b";@#$/%&"),
        (QUESTION, b"?!"),
        (BRACKETS, b"[](){}<>"),
        (CLOSERS, b"])}>\"'"),
        (DOUBLE_QUOTE, b"\""),
        (QUOTE, b"'"),
        (BACKTICK, b"`"),
        (COLON_COMMA, b":,"),
        (PERIOD, b"."),
        (DASH, b"-"),
    ];
    let mut t = [0; 256];
    let mut c = 0;
    while c < CLASSES.len() {
        let (class, bytes) = CLASSES[c];
        let mut i = 0;
        while i < bytes.len() {
            t[bytes[i] as usize] |= class;
            i += 1;
        }
        c += 1;
    }
    t
}

static CLASS: [Class; 256] = class_table();

fn is(class: Class, b: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

/// The character starting at byte `i` and its length in bytes.
fn char_at(s: &[u8], i: usize) -> Option<(char, usize)> {
    let b = *s.get(i)?;
    if b < 0x80 {
        return Some((char::from(b), 1));
    }
    let len = match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    let c = std::str::from_utf8(s.get(i..i + len)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, len))
}

/// The character ending at byte `end` and its first byte.
fn char_before(s: &[u8], end: usize) -> Option<(char, usize)> {
    let last = *s.get(end.checked_sub(1)?)?;
    if last < 0x80 {
        return Some((char::from(last), end - 1));
    }
    let mut start = end - 1;
    while start > 0 && end - start < 4 && s[start] & 0xC0 == 0x80 {
        start -= 1;
    }
    let c = std::str::from_utf8(s.get(start..end)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, start))
}

/// Whether the character at byte `i` is Python white space, and its length in bytes.
fn space_at(s: &[u8], i: usize) -> (bool, usize) {
    match s.get(i) {
        Some(&b) if b < 0x80 => (is(SPACE, b), 1),
        _ => char_at(s, i).map_or((false, 1), |(c, n)| (is_py_space(c), n)),
    }
}

/// The first byte from `i` that does not start a white space character.
fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while i < s.len() {
        let (space, n) = space_at(s, i);
        if !space {
            break;
        }
        i += n;
    }
    i
}

/// One pass's output: `src` copied into `dst` with replacements.
struct Edit<'s, 'd> {
    src: &'s [u8],
    dst: &'d mut Vec<u8>,
    copied: usize,
    changed: bool,
}

impl<'s, 'd> Edit<'s, 'd> {
    fn new(src: &'s [u8], dst: &'d mut Vec<u8>) -> Self {
        dst.clear();
        Edit {
            src,
            dst,
            copied: 0,
            changed: false,
        }
    }

    /// Replaces `src[at..resume]` with the concatenation of `parts`.
    fn replace(&mut self, at: usize, resume: usize, parts: &[&[u8]]) {
        self.dst.extend_from_slice(&self.src[self.copied..at]);
        for p in parts {
            self.dst.extend_from_slice(p);
        }
        self.copied = resume;
        self.changed = true;
    }

    /// Whether anything was replaced (`dst` then holds the whole new text).
    fn finish(self) -> bool {
        if self.changed {
            self.dst.extend_from_slice(&self.src[self.copied..]);
        }
        self.changed
    }
}

/// `re.sub(lit, rep)` for a literal: non-overlapping occurrences, left to right.
fn literal(s: &[u8], d: &mut Vec<u8>, lit: &[u8], rep: &[u8]) -> bool {
    let mut e = Edit::new(s, d);
    let mut i = 0;
    while let Some(k) = memchr(lit[0], &s[i..]) {
        let at = i + k;
        if s[at..].starts_with(lit) {
            e.replace(at, at + lit.len(), &[rep]);
            i = at + lit.len();
        } else {
            i = at + 1;
        }
    }
    e.finish()
}

/// `re.sub("[set]", r" \g<0> ")`.
fn surround(s: &[u8], d: &mut Vec<u8>, set: Class) -> bool {
    let mut e = Edit::new(s, d);
    for (i, &b) in s.iter().enumerate() {
        if is(set, b) {
            e.replace(i, i + 1, &[b" ", &[b], b" "]);
        }
    }
    e.finish()
}

/// `^"` → ` `` `.
fn start_quote(s: &[u8], d: &mut Vec<u8>) -> bool {
    if s.first() != Some(&b'"') {
        return false;
    }
    d.clear();
    d.extend_from_slice(b"``");
    d.extend_from_slice(&s[1..]);
    true
}

/// `([ (\[{<])("|'{2})` → `\1 `` `.
fn open_quotes(s: &[u8], d: &mut Vec<u8>) -> bool {
    let mut e = Edit::new(s, d);
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if matches!(c, b' ' | b'(' | b'[' | b'{' | b'<') {
            let end = match s.get(i + 1) {
                Some(b'"') => Some(i + 2),
                Some(b'\'') if s.get(i + 2) == Some(&b'\'') => Some(i + 3),
                _ => None,
            };
            if let Some(end) = end {
                e.replace(i, end, &[&[c], b" `` "]);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    e.finish()
}

/// `([:,])$` (Python's `$`: at the end or before a final `\n`) → ` \1 `.
fn final_colon_comma(s: &[u8], d: &mut Vec<u8>) -> bool {
    let n = s.len();
    let (at, newline) = match s {
        [.., b':' | b','] => (n - 1, false),
        [.., b':' | b',', b'\n'] => (n - 2, true),
        _ => return false,
    };
    d.clear();
    d.extend_from_slice(&s[..at]);
    d.extend_from_slice(&[b' ', s[at], b' ']);
    if newline {
        d.push(b'\n');
    }
    true
}

/// `([^\.])(\.)([\]\)}>"\']*)\s*$` → `\1 \2\3 `: a final period, after closing brackets and
/// quotes and before trailing white space (which goes).
fn final_period(s: &[u8], d: &mut Vec<u8>) -> bool {
    let mut end = s.len();
    while let Some((c, start)) = char_before(s, end) {
        if !is_py_space(c) {
            break;
        }
        end = start;
    }
    let mut close = end;
    while close > 0 && is(CLOSERS, s[close - 1]) {
        close -= 1;
    }
    // The period, and a character before it that is not one (a multi-byte character's last
    // byte is never `.`).
    if close < 2 || s[close - 1] != b'.' || s[close - 2] == b'.' {
        return false;
    }
    d.clear();
    d.extend_from_slice(&s[..close - 1]);
    d.extend_from_slice(b" .");
    d.extend_from_slice(&s[close..end]);
    d.push(b' ');
    true
}

/// `([^'])' ` → `\1 ' `.
fn apostrophe_space(s: &[u8], d: &mut Vec<u8>) -> bool {
    let mut e = Edit::new(s, d);
    let mut last = 0;
    let mut i = 0;
    while let Some(k) = memchr(b'\'', &s[i..]) {
        let j = i + k;
        // The character before must lie after the previous match (`j > last`) and not be `'`
        // (a multi-byte character's last byte never is).
        if j > last && s[j - 1] != b'\'' && s.get(j + 1) == Some(&b' ') {
            e.replace(j, j + 2, &[b" ' "]);
            last = j + 2;
            i = j + 2;
        } else {
            i = j + 1;
        }
    }
    e.finish()
}

/// `([^' ])('[sS]|'[mM]|'[dD]|') ` → `\1 \2 `.
fn ending_clitics(s: &[u8], d: &mut Vec<u8>) -> bool {
    let mut e = Edit::new(s, d);
    let mut last = 0;
    let mut i = 0;
    while let Some(k) = memchr(b'\'', &s[i..]) {
        let j = i + k;
        i = j + 1;
        if j <= last || matches!(s[j - 1], b'\'' | b' ') {
            continue;
        }
        let len = match (s.get(j + 1), s.get(j + 2)) {
            (Some(b's' | b'S' | b'm' | b'M' | b'd' | b'D'), Some(b' ')) => 2,
            (Some(b' '), _) => 1,
            _ => continue,
        };
        e.replace(j, j + len + 1, &[b" ", &s[j..j + len], b" "]);
        last = j + len + 1;
        i = last;
    }
    e.finish()
}

/// `([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ` → `\1 \2 `.
fn ending_contractions(s: &[u8], d: &mut Vec<u8>) -> bool {
    const ENDINGS: [&[u8; 4]; 8] = [
        b"'ll ", b"'LL ", b"'re ", b"'RE ", b"'ve ", b"'VE ", b"n't ", b"N'T ",
    ];
    let mut e = Edit::new(s, d);
    let mut last = 0;
    let mut j = 1;
    while j + 4 <= s.len() {
        let hit = j > last
            && matches!(s[j], b'\'' | b'n' | b'N')
            && !matches!(s[j - 1], b'\'' | b' ')
            && ENDINGS.iter().any(|x| s[j..].starts_with(&x[..]));
        if hit {
            e.replace(j, j + 4, &[b" ", &s[j..j + 3], b" "]);
            last = j + 4;
            j = last;
        } else {
            j += 1;
        }
    }
    e.finish()
}

/// What must follow a contraction: Python's `\b`, or `(?=\s)`.
#[derive(Clone, Copy)]
enum After {
    Boundary,
    Space,
}

/// NLTK's `CONTRACTIONS2` (`(?i)\b(a)(b)\b` → ` \1 \2 `) and `CONTRACTIONS3`
/// (`(?i) ('t)(is)\b`, the space included in the match), in order.
struct Contraction {
    /// A space the match starts with (`CONTRACTIONS3`); else it needs a `\b` before.
    lead_space: bool,
    a: &'static [u8],
    b: &'static [u8],
    after: After,
}

const fn k(a: &'static [u8], b: &'static [u8]) -> Contraction {
    Contraction {
        lead_space: false,
        a,
        b,
        after: After::Boundary,
    }
}

const CONTRACTIONS: [Contraction; 10] = [
    k(b"can", b"not"),
    k(b"d", b"'ye"),
    k(b"gim", b"me"),
    k(b"gon", b"na"),
    k(b"got", b"ta"),
    k(b"lem", b"me"),
    k(b"more", b"'n"),
    Contraction {
        after: After::Space,
        ..k(b"wan", b"na")
    },
    Contraction {
        lead_space: true,
        ..k(b"'t", b"is")
    },
    Contraction {
        lead_space: true,
        ..k(b"'t", b"was")
    },
];

/// The end of `pat` (lowercase ASCII) matched case-insensitively at byte `i`, as the `regex`
/// crate's `(?i)` does: ASCII case, and `ſ` (U+017F) for `s` (no other character folds to a
/// letter of these patterns; `folds_like_the_regex_crate` checks it).
fn match_ci(s: &[u8], mut i: usize, pat: &[u8]) -> Option<usize> {
    for &x in pat {
        let c = *s.get(i)?;
        if c == x || c == x.to_ascii_uppercase() {
            i += 1;
        } else if x == b's' && s.get(i..i + 2) == Some("ſ".as_bytes()) {
            i += 2;
        } else {
            return None;
        }
    }
    Some(i)
}

impl Contraction {
    /// `(end of a, end of b)` where the pattern's text occurs at byte `p` (boundaries aside).
    fn at(&self, s: &[u8], p: usize) -> Option<(usize, usize)> {
        let start = if self.lead_space {
            (s.get(p) == Some(&b' ')).then_some(p + 1)?
        } else {
            p
        };
        let a = match_ci(s, start, self.a)?;
        Some((a, match_ci(s, a, self.b)?))
    }

    /// The first byte a match starts with (its case pair aside).
    fn first(&self) -> u8 {
        if self.lead_space { b' ' } else { self.a[0] }
    }
}

/// Whether `s` has `nn`, `mm` or `tt` in any case: the contractions without `'` have one
/// (`cannot`, `gimme`, `gonna`, `gotta`, `lemme`, `wanna`).
fn doubled_nmt(s: &[u8]) -> bool {
    s.windows(2).any(|w| {
        let a = w[0] | 0x20;
        a == w[1] | 0x20 && matches!(a, b'n' | b'm' | b't')
    })
}

/// Whether some contraction's text occurs in `s` (boundaries aside): when none does, no
/// contraction pass can change anything.
fn any_contraction(s: &[u8]) -> bool {
    s.iter().enumerate().any(|(p, &b)| {
        let b = if b.is_ascii_uppercase() { b | 0x20 } else { b };
        matches!(b, b'c' | b'd' | b'g' | b'l' | b'm' | b'w' | b' ')
            && CONTRACTIONS
                .iter()
                .any(|k| k.first() == b && k.at(s, p).is_some())
    })
}

/// A token: `(start, end)` in bytes and in characters of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte range.
    pub(crate) bytes: (usize, usize),
    /// Character range (Python string indices).
    pub(crate) chars: (usize, usize),
}

/// Buffers reused from one text to the next.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    cur: Vec<u8>,
    next: Vec<u8>,
}

impl Scratch {
    /// Runs one pass over `cur`; its output becomes `cur` when it changed something.
    fn run(&mut self, pass: impl FnOnce(&[u8], &mut Vec<u8>) -> bool) {
        if pass(&self.cur, &mut self.next) {
            std::mem::swap(&mut self.cur, &mut self.next);
        }
    }
}

/// The next match of ``` ``|''|" ``` in `s` from `*q`.
fn next_quote(s: &[u8], q: &mut usize) -> Option<(usize, usize)> {
    while let Some(k) = memchr::memchr3(b'`', b'\'', b'"', s.get(*q..)?) {
        let i = *q + k;
        let len = match s[i] {
            b'"' => 1,
            c if s.get(i + 1) == Some(&c) => 2,
            _ => {
                *q = i + 1;
                continue;
            }
        };
        *q = i + len;
        return Some((i, i + len));
    }
    None
}

/// The tokenizer (build once per export; [`Scratch`] per thread).
pub(crate) struct Treebank {
    word: Regex,
    digit: Regex,
}

impl std::fmt::Debug for Treebank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Treebank { .. }")
    }
}

impl Treebank {
    pub(crate) fn new() -> Self {
        // Constant patterns, checked by the tests.
        #[allow(clippy::expect_used)]
        let re = |p: &str| Regex::new(p).expect("constant regex");
        Treebank {
            word: re(r"\A[\p{L}\p{N}_]\z"),
            digit: re(r"\A\d\z"),
        }
    }

    /// Python's `\w` for one character (`None`: the text's edge).
    fn is_word(&self, c: Option<char>) -> bool {
        match c {
            None => false,
            Some(c) if c.is_ascii() => c.is_ascii_alphanumeric() || c == '_',
            Some(c) => self.word.is_match(c.encode_utf8(&mut [0; 4])),
        }
    }

    /// Python's `\d` for one character.
    fn is_digit(&self, c: char) -> bool {
        if c.is_ascii() {
            c.is_ascii_digit()
        } else {
            self.digit.is_match(c.encode_utf8(&mut [0; 4]))
        }
    }

    /// `([:,])([^\d])` → ` \1 \2`.
    fn colon_comma(&self, s: &[u8], d: &mut Vec<u8>) -> bool {
        let mut e = Edit::new(s, d);
        let mut i = 0;
        while let Some(k) = memchr2(b':', b',', &s[i..]) {
            let at = i + k;
            match char_at(s, at + 1) {
                Some((c, n)) if !self.is_digit(c) => {
                    e.replace(
                        at,
                        at + 1 + n,
                        &[b" ", &s[at..at + 1], b" ", &s[at + 1..][..n]],
                    );
                    i = at + 1 + n;
                }
                _ => i = at + 1,
            }
        }
        e.finish()
    }

    /// One contraction pattern, `re.sub` with Python's `\b` (or `(?=\s)`).
    fn contraction(&self, k: &Contraction, s: &[u8], d: &mut Vec<u8>) -> bool {
        let mut e = Edit::new(s, d);
        let first = k.first();
        let mut pos = 0;
        while let Some(off) = memchr2(first, first.to_ascii_uppercase(), &s[pos..]) {
            let p = pos + off;
            pos = p + 1;
            let Some((a, b)) = k.at(s, p) else {
                continue;
            };
            // The match starts with a word character unless it starts with the space.
            let ok_before = k.lead_space || !self.is_word(char_before(s, p).map(|c| c.0));
            let next = char_at(s, b).map(|c| c.0);
            let ok_after = match k.after {
                After::Boundary => !self.is_word(next),
                After::Space => next.is_some_and(is_py_space),
            };
            if ok_before && ok_after {
                let a_start = p + usize::from(k.lead_space);
                e.replace(p, b, &[b" ", &s[a_start..a], b" ", &s[a..b], b" "]);
                pos = b;
            }
        }
        e.finish()
    }

    /// `TreebankWordTokenizer.tokenize` up to the split: the text with tokens separated by
    /// white space (quotes rewritten), left in `w.cur`.
    fn rewrite(&self, text: &str, w: &mut Scratch) {
        let s = text.as_bytes();
        let present = s.iter().fold(0, |m, &b| m | CLASS[usize::from(b)]);
        let has = |set: Class| present & set != 0;
        let (dq, sq) = (has(DOUBLE_QUOTE), has(QUOTE));
        w.cur.clear();
        w.cur.extend_from_slice(s);
        // STARTING_QUOTES
        if dq {
            w.run(start_quote);
        }
        if dq || has(BACKTICK) {
            w.run(|s, d| literal(s, d, b"``", b" `` "));
        }
        if dq || sq {
            w.run(open_quotes);
        }
        // PUNCTUATION (label_studio_sdk.converter.utils)
        if has(COLON_COMMA) {
            w.run(|s, d| self.colon_comma(s, d));
            w.run(final_colon_comma);
        }
        if has(PERIOD) {
            w.run(|s, d| literal(s, d, b"...", b" ... "));
        }
        if has(SYMBOLS) {
            w.run(|s, d| surround(s, d, SYMBOLS));
        }
        if has(PERIOD) {
            w.run(final_period);
        }
        if has(QUESTION) {
            w.run(|s, d| surround(s, d, QUESTION));
        }
        if sq {
            w.run(apostrophe_space);
        }
        // PARENS_BRACKETS, DOUBLE_DASHES
        if has(BRACKETS) {
            w.run(|s, d| surround(s, d, BRACKETS));
        }
        if has(DASH) {
            w.run(|s, d| literal(s, d, b"--", b" -- "));
        }
        w.next.clear();
        w.next.push(b' ');
        w.next.extend_from_slice(&w.cur);
        w.next.push(b' ');
        std::mem::swap(&mut w.cur, &mut w.next);
        // ENDING_QUOTES (`"` has become `''` by the second one)
        if sq {
            w.run(|s, d| literal(s, d, b"''", b" '' "));
        }
        if dq {
            w.run(|s, d| literal(s, d, b"\"", b" '' "));
        }
        if sq || dq {
            w.run(ending_clitics);
            w.run(ending_contractions);
        }
        // CONTRACTIONS2, CONTRACTIONS3
        if (sq || dq || doubled_nmt(s)) && any_contraction(&w.cur) {
            for k in &CONTRACTIONS {
                w.run(|s, d| self.contraction(k, s, d));
            }
        }
    }

    /// `span_tokenize` into `out`: each token's offsets, or `false` where NLTK raises (a token
    /// it cannot align).
    pub(crate) fn span_tokenize(&self, text: &str, w: &mut Scratch, out: &mut Vec<Token>) -> bool {
        out.clear();
        self.rewrite(text, w);
        let t: &[u8] = &w.cur;
        let src = text.as_bytes();
        // Tokens `"`, `` and '' are put back as the quotes of the text, in order.
        let quotes = memchr(b'"', src).is_some() || memmem::find(src, b"''").is_some();
        let mut q = 0;
        let ascii = text.is_ascii();
        let mut point = 0;
        let (mut byte_at, mut chars_at) = (0usize, 0usize);
        let mut to_chars = |b: usize| {
            if ascii {
                return b;
            }
            chars_at += src[byte_at..b]
                .iter()
                .filter(|&&x| x & 0xC0 != 0x80)
                .count();
            byte_at = b;
            chars_at
        };
        let mut i = 0;
        loop {
            let start = skip_spaces(t, i);
            if start == t.len() {
                break;
            }
            i = start + 1;
            while let Some(&b) = t.get(i) {
                if b < 0x80 {
                    if is(SPACE, b) {
                        break;
                    }
                    i += 1;
                } else {
                    let (space, n) = space_at(t, i);
                    if space {
                        break;
                    }
                    i += n;
                }
            }
            let mut tok = &t[start..i];
            if quotes && matches!(tok, b"\"" | b"``" | b"''") {
                let Some((qs, qe)) = next_quote(src, &mut q) else {
                    return false;
                };
                tok = &src[qs..qe];
            }
            // align_tokens: the first occurrence from `point`, usually right after white space.
            let at = skip_spaces(src, point);
            let found = if src[at..].starts_with(tok) {
                at
            } else {
                match memmem::find(&src[point..], tok) {
                    Some(k) => point + k,
                    None => return false,
                }
            };
            point = found + tok.len();
            let chars = (to_chars(found), to_chars(point));
            out.push(Token {
                bytes: (found, point),
                chars,
            });
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{Scratch, Treebank};
    use crate::treebank_oracle;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static TB: LazyLock<Treebank> = LazyLock::new(Treebank::new);
    static ORACLE: LazyLock<treebank_oracle::Treebank> =
        LazyLock::new(treebank_oracle::Treebank::new);

    fn spans(tb: &Treebank, text: &str) -> Option<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        tb.span_tokenize(text, &mut Scratch::default(), &mut out)
            .then(|| out.iter().map(|t| t.chars).collect())
    }

    fn toks(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        spans(&Treebank::new(), text)
            .expect("aligned")
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    #[test]
    fn follows_nltk_with_label_studio_punctuation() {
        assert_eq!(
            toks(
                "Good muffins cost $3.88\nin New (York).  Please (buy) me\ntwo of them.\n(Thanks)."
            ),
            [
                "Good", "muffins", "cost", "$", "3.88", "in", "New", "(", "York", ")", ".",
                "Please", "(", "buy", ")", "me", "two", "of", "them.", "(", "Thanks", ")", "."
            ]
        );
        assert_eq!(
            toks("a/b, c:d 3,5 end,\n"),
            ["a", "/", "b", ",", "c", ":", "d", "3,5", "end", ","]
        );
        assert_eq!(
            toks("I cannot, he can't."),
            ["I", "can", "not", ",", "he", "ca", "n't", "."]
        );
    }

    /// `fixtures/conll/tokenizer/nltk_spans.json`: random texts tokenized by NLTK itself
    /// (`gen_nltk_spans.py`, run by scripts/regen-conll.sh); the oracle is held to it too.
    #[test]
    fn matches_nltk_on_random_texts() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/conll/tokenizer/nltk_spans.json"
        );
        let data: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
        let tb = Treebank::new();
        let oracle = treebank_oracle::Treebank::new();
        let mut n = 0;
        for case in data.as_array().expect("list") {
            let text = case["text"].as_str().expect("text");
            let want: Option<Vec<(usize, usize)>> = case["spans"].as_array().map(|l| {
                l.iter()
                    .map(|p| {
                        (
                            p[0].as_u64().expect("start") as usize,
                            p[1].as_u64().expect("end") as usize,
                        )
                    })
                    .collect()
            });
            assert_eq!(spans(&tb, text), want, "text {text:?}");
            assert_eq!(oracle.span_tokenize(text), want, "oracle, text {text:?}");
            n += 1;
        }
        assert!(n > 1000);
    }

    /// Byte offsets agree with character offsets and hold the tokens.
    #[test]
    fn byte_and_char_offsets_agree() {
        let text = "«Ça», l'été — can't… \u{3000}d'ye 'tis ſo “x”.";
        let mut out = Vec::new();
        assert!(Treebank::new().span_tokenize(text, &mut Scratch::default(), &mut out));
        let at: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for t in &out {
            assert_eq!((at[t.chars.0], at[t.chars.1]), t.bytes);
        }
    }

    /// The case folding `match_ci` assumes: no non-ASCII character but `ſ` matches a letter of
    /// the contraction patterns under the `regex` crate's `(?i)`.
    #[test]
    fn folds_like_the_regex_crate() {
        let re = regex::Regex::new("(?i)^[cantodyegimlrws]$").expect("regex");
        let folded: Vec<char> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| re.is_match(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(folded, ['ſ']);
    }

    /// Pieces random texts are made of: what each substitution looks for, and its neighbours.
    const PIECES: &[&str] = &[
        " ", " ", " ", "  ", "\n", "\t", "\u{1c}", "\u{a0}", "\u{3000}", "\u{85}", "a", "b", "x",
        "The", "word", "é", "ß", "東京", "٣", "Ⅻ", "²", "_", "3", "42", "3.5", "1,000", ".", ".",
        "..", "...", "....", ",", ",", ":", ";", "@", "#", "$", "/", "%", "&", "?", "!", "'", "'",
        "''", "'''", "\"", "\"", "`", "``", "(", ")", "[", "]", "{", "}", "<", ">", "-", "--",
        "---", "'s", "'S", "'m", "'d", "'D", "'ll", "'LL", "'re", "'ve", "'VE", "n't", "N'T",
        "can't", "won't", "cannot", "CanNot", "d'ye", "gimme", "gonna", "GOTTA", "lemme", "more'n",
        "wanna", "'tis", "'twas", "'TIS", "'tiſ", "'twaſ", "wanna ", "Kelvin", "’", "“", "”", "«",
        "»", "…", "—", "👍", "e\u{301}", "\u{200d}", "\u{345}", "Ⓐ", "\u{93f}", "ª", "½",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The scanner against the regex implementation it replaced, on texts built from the
        /// pieces above.
        #[test]
        fn same_as_the_regex_oracle(pieces in prop::collection::vec(0..PIECES.len(), 0..40)) {
            let text: String = pieces.iter().map(|&i| PIECES[i]).collect();
            prop_assert_eq!(spans(&TB, &text), ORACLE.span_tokenize(&text), "text {:?}", text);
        }

        /// The same on dense mixes of the characters the substitutions look at.
        #[test]
        fn same_as_the_regex_oracle_on_dense_punctuation(
            text in "[acdgilnostwT' \"`.,:;!?/()<\\[{}\\]\n\u{a0}\u{1c}\u{345}ſ٣-]{0,30}"
        ) {
            prop_assert_eq!(spans(&TB, &text), ORACLE.span_tokenize(&text), "text {:?}", text);
        }

        /// The same on arbitrary strings (any Unicode), and with a buffer reused across texts.
        #[test]
        fn same_as_the_regex_oracle_on_any_string(texts in prop::collection::vec(".{0,60}", 1..4)) {
            let mut w = Scratch::default();
            let mut out = Vec::new();
            for text in &texts {
                let got = TB
                    .span_tokenize(text, &mut w, &mut out)
                    .then(|| out.iter().map(|t| t.chars).collect::<Vec<_>>());
                prop_assert_eq!(got, ORACLE.span_tokenize(text), "text {:?}", text);
            }
        }
    }
}

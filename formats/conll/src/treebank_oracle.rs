//! The regex implementation of NLTK's Treebank tokenizer that `treebank.rs` replaced, kept for
//! the tests as the oracle the hand-written scanner is compared with (the same regex
//! substitutions in the same order as NLTK, with Python's semantics where they differ from the
//! `regex` crate's; see `treebank.rs`).

use crate::treebank::is_py_space;
use regex::Regex;

/// A substitution `pattern` → `replacement` (`regex` crate syntax).
struct Sub(Regex, &'static str);

impl Sub {
    fn apply(&self, text: String) -> String {
        match self.0.replace_all(&text, self.1) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(s) => s,
        }
    }
}

/// What must surround a contraction match for Python's `\b` / `(?=\s)`.
#[derive(Clone, Copy)]
enum After {
    Boundary,
    Space,
}

/// A contraction: `(a)(b)` → ` a b `, with a `\b` before when `boundary_before`.
struct Contraction {
    re: Regex,
    boundary_before: bool,
    after: After,
}

/// The compiled tokenizer (build once per export).
pub(crate) struct Treebank {
    before: Vec<Sub>,
    ending: Vec<Sub>,
    contractions: Vec<Contraction>,
    word: Regex,
    quotes: Regex,
}

impl std::fmt::Debug for Treebank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Treebank { .. }")
    }
}

fn re(p: &str) -> Regex {
    // The patterns are constants of this module, checked by the tests.
    #[allow(clippy::expect_used)]
    Regex::new(p).expect("constant regex")
}

const WS: &str = r"[\s\x1C-\x1F]";

impl Treebank {
    pub(crate) fn new() -> Self {
        let sub = |p: &str, r: &'static str| Sub(re(p), r);
        let before = vec![
            // STARTING_QUOTES
            sub(r#"^""#, "``"),
            sub(r"(``)", " ${1} "),
            sub(r#"([ (\[{<])("|'{2})"#, "${1} `` "),
            // PUNCTUATION (label_studio_sdk.converter.utils)
            sub(r"([:,])([^\d])", " ${1} ${2}"),
            sub(r"([:,])(\n?)\z", " ${1} ${2}"),
            sub(r"\.\.\.", " ... "),
            sub(r"[;@#$/%&]", " ${0} "),
            sub(
                &format!(r#"([^.])(\.)([\])}}>"']*){WS}*\z"#),
                "${1} ${2}${3} ",
            ),
            sub(r"[?!]", " ${0} "),
            sub(r"([^'])' ", "${1} ' "),
            // PARENS_BRACKETS, DOUBLE_DASHES
            sub(r"[\]\[(){}<>]", " ${0} "),
            sub(r"--", " -- "),
        ];
        let ending = vec![
            sub(r"''", " '' "),
            sub(r#"""#, " '' "),
            sub(r"([^' ])('[sS]|'[mM]|'[dD]|') ", "${1} ${2} "),
            sub(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "${1} ${2} "),
        ];
        let c = |p: &str, boundary_before: bool, after: After| Contraction {
            re: re(&format!("(?i){p}")),
            boundary_before,
            after,
        };
        let contractions = vec![
            c("(can)(not)", true, After::Boundary),
            c("(d)('ye)", true, After::Boundary),
            c("(gim)(me)", true, After::Boundary),
            c("(gon)(na)", true, After::Boundary),
            c("(got)(ta)", true, After::Boundary),
            c("(lem)(me)", true, After::Boundary),
            c("(more)('n)", true, After::Boundary),
            c("(wan)(na)", true, After::Space),
            c(" ('t)(is)", false, After::Boundary),
            c(" ('t)(was)", false, After::Boundary),
        ];
        Treebank {
            before,
            ending,
            contractions,
            word: re(r"\A[\p{L}\p{N}_]\z"),
            quotes: re(r#"``|''|""#),
        }
    }

    fn is_word(&self, c: Option<char>) -> bool {
        let mut buf = [0u8; 4];
        c.is_some_and(|c| self.word.is_match(c.encode_utf8(&mut buf)))
    }

    /// Python `re.sub(pattern, r" \1 \2 ", text)` for a contraction with `\b` / `(?=\s)`.
    fn contraction(&self, k: &Contraction, text: String) -> String {
        let mut out = String::new();
        let mut copied = 0;
        let mut pos = 0;
        while pos <= text.len() {
            let Some(caps) = k.re.captures_at(&text, pos) else {
                break;
            };
            let (Some(m), Some(a), Some(b)) = (caps.get(0), caps.get(1), caps.get(2)) else {
                break;
            };
            let first = text[m.start()..].chars().next();
            let last = text[..m.end()].chars().next_back();
            let prev = text[..m.start()].chars().next_back();
            let next = text[m.end()..].chars().next();
            let ok_before = !k.boundary_before || self.is_word(prev) != self.is_word(first);
            let ok_after = match k.after {
                After::Boundary => self.is_word(last) != self.is_word(next),
                After::Space => next.is_some_and(is_py_space),
            };
            if ok_before && ok_after {
                out.push_str(&text[copied..m.start()]);
                out.push(' ');
                out.push_str(a.as_str());
                out.push(' ');
                out.push_str(b.as_str());
                out.push(' ');
                copied = m.end();
                pos = m.end();
            } else {
                pos = m.start() + first.map_or(1, char::len_utf8);
            }
        }
        if copied == 0 {
            return text;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// `TreebankWordTokenizer.tokenize`: the tokens, some quotes rewritten.
    fn tokenize(&self, text: &str) -> Vec<String> {
        let mut t = text.to_owned();
        for s in &self.before {
            t = s.apply(t);
        }
        let mut t = format!(" {t} ");
        for s in &self.ending {
            t = s.apply(t);
        }
        for k in &self.contractions {
            t = self.contraction(k, t);
        }
        t.split(is_py_space)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// `span_tokenize`: `(start, end)` character offsets of each token, or `None` where NLTK
    /// raises (a token it cannot align).
    pub(crate) fn span_tokenize(&self, text: &str) -> Option<Vec<(usize, usize)>> {
        let mut tokens = self.tokenize(text);
        if text.contains('"') || text.contains("''") {
            let mut matched = self.quotes.find_iter(text).map(|m| m.as_str());
            for tok in &mut tokens {
                if matches!(tok.as_str(), "\"" | "``" | "''") {
                    *tok = matched.next()?.to_owned();
                }
            }
        }
        // align_tokens, in bytes, then converted to characters.
        let mut spans = Vec::with_capacity(tokens.len());
        let mut point = 0;
        let (mut byte_at, mut char_at) = (0usize, 0usize);
        let mut to_chars = |b: usize| {
            char_at += text[byte_at..b].chars().count();
            byte_at = b;
            char_at
        };
        for tok in &tokens {
            let start = point + text.get(point..)?.find(tok.as_str())?;
            point = start + tok.len();
            let s = to_chars(start);
            let e = to_chars(point);
            spans.push((s, e));
        }
        Some(spans)
    }
}

//! The clean tokenizer: white space separates, words stay whole, punctuation stands alone.
//!
//! Rules, over characters (offsets are character indices, like Label Studio's span offsets):
//! - Unicode white space (Python's `str.isspace`) separates tokens and is never part of one;
//! - a word is a run of letters, digits, combining marks and `_`; an apostrophe (`'`, `’`),
//!   hyphen, period or comma between two such characters stays inside the word (`don't`,
//!   `e-mail`, `3.14`, `1,000`, `U.S`);
//! - Han ideographs, Hiragana and Katakana are one token per character (no spaces to split on);
//! - any other character (punctuation, symbols, emoji) is a token of its own, a run of the same
//!   character staying together (`...`, `--`, `!!`);
//! - combining marks, zero-width joiners and variation selectors stay with the token before.

use crate::treebank::is_py_space;
use regex::Regex;

/// The compiled character classes.
pub(crate) struct Words {
    mark: Regex,
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Words { .. }")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Space,
    Word,
    /// Joins two word characters.
    Joiner,
    /// One token per character.
    Ideograph,
    /// Attaches to the token before.
    Attach,
    Other,
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

impl Words {
    pub(crate) fn new() -> Self {
        #[allow(clippy::expect_used)]
        let mark = Regex::new(r"\A\p{M}\z").expect("constant regex");
        Words { mark }
    }

    fn class(&self, c: char) -> Class {
        if is_py_space(c) {
            Class::Space
        } else if is_ideograph(c) {
            Class::Ideograph
        } else if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if matches!(c, '\'' | '\u{2019}' | '-' | '.' | ',') {
            Class::Joiner
        } else if matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}')
            || (!c.is_ascii() && self.mark.is_match(c.encode_utf8(&mut [0; 4])))
        {
            Class::Attach
        } else {
            Class::Other
        }
    }

    /// The tokens of `text` as `(start, end)` character ranges.
    pub(crate) fn tokens(&self, text: &str) -> Vec<(usize, usize)> {
        let chars: Vec<(char, Class)> = text.chars().map(|c| (c, self.class(c))).collect();
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let (c, class) = chars[i];
            let start = i;
            i += 1;
            match class {
                Class::Space => continue,
                Class::Attach => {
                    if let Some(last) = out.last_mut().filter(|t| t.1 == start) {
                        last.1 = i;
                        continue;
                    }
                }
                Class::Word => {
                    while let Some(&(_, k)) = chars.get(i) {
                        let joins = k == Class::Joiner
                            && chars.get(i + 1).is_some_and(|n| n.1 == Class::Word);
                        if k == Class::Word || k == Class::Attach {
                            i += 1;
                        } else if joins {
                            i += 2;
                        } else {
                            break;
                        }
                    }
                }
                Class::Ideograph => {}
                Class::Joiner | Class::Other => {
                    while chars.get(i).is_some_and(|n| n.0 == c) {
                        i += 1;
                    }
                }
            }
            // Marks after an ideograph or a symbol stay with it.
            while chars.get(i).is_some_and(|n| n.1 == Class::Attach) {
                i += 1;
            }
            out.push((start, i));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Words;

    fn toks(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        Words::new()
            .tokens(text)
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    #[test]
    fn splits_words_punctuation_and_cjk() {
        assert_eq!(
            toks("Don't stop, e-mail me at 3.14... (U.S.)!"),
            [
                "Don't", "stop", ",", "e-mail", "me", "at", "3.14", "...", "(", "U.S", ".", ")",
                "!"
            ]
        );
        assert_eq!(toks("東京に行く"), ["東", "京", "に", "行", "く"]);
        assert_eq!(toks("  a\u{3000}b\u{1c}c\n"), ["a", "b", "c"]);
        assert_eq!(
            toks("cafe\u{301} 👍\u{1F3FD}"),
            ["cafe\u{301}", "👍", "\u{1F3FD}"]
        );
        assert_eq!(toks("\u{301}x"), ["\u{301}", "x"]);
        assert!(toks("").is_empty());
    }
}

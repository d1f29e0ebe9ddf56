//! Just enough of Python's `re.match` to match Repeater name patterns like LS does.
//!
//! LS turns a control name such as `label_{{idx}}` into the regex `label_.*` and calls
//! `re.compile(pattern).match(from_name)`: anchored at the start, not at the end. Control names
//! are untrusted, so the pattern may hold any regex syntax. This module supports literals, `.`,
//! classes, groups, alternation, greedy/lazy quantifiers and anchors; it reports `None` for
//! patterns Python rejects and for features it does not implement (look-around,
//! back-references, possessive quantifiers, `\b`, `\N{..}`, inline flags). Matching is a Thompson-NFA
//! simulation: time O(pattern × text), no backtracking.

/// Python's `str.replace(from, to)` (an empty `from` inserts `to` around every character).
pub(crate) fn py_replace(s: &str, from: &str, to: &str) -> String {
    if !from.is_empty() {
        return s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len() + to.len() * (s.len() + 1));
    out.push_str(to);
    for c in s.chars() {
        out.push(c);
        out.push_str(to);
    }
    out
}

/// Whether Python's `re.match(pattern, text)` finds a match; `None` when the pattern is invalid
/// in Python or uses an unsupported feature.
#[cfg(test)]
pub(crate) fn prefix_match(pattern: &str, text: &str) -> Option<bool> {
    Some(Regex::new(pattern)?.is_prefix_match(text))
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Regex {
    prog: Vec<Inst>,
}

impl Regex {
    /// `None` when Python rejects the pattern or it needs an unsupported feature.
    pub(crate) fn new(pattern: &str) -> Option<Self> {
        let node = Parser::new(pattern).parse().ok()?;
        Some(Regex {
            prog: compile(&node)?,
        })
    }

    /// Python's `bool(re.match(pattern, text))`.
    pub(crate) fn is_prefix_match(&self, text: &str) -> bool {
        run(&self.prog, text)
    }
}

const MAX_GROUP_DEPTH: usize = 64;
const MAX_INSTS: usize = 20_000;
const MAX_REPEAT: u32 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Perl {
    Digit,
    Word,
    Space,
}

impl Perl {
    fn matches(self, c: char) -> bool {
        match self {
            Perl::Digit => c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric()),
            Perl::Word => c.is_alphanumeric() || c == '_',
            Perl::Space => c.is_whitespace() || ('\x1c'..='\x1f').contains(&c),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Range(char, char),
    Perl(Perl, bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    items: Vec<ClassItem>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let hit = self.items.iter().any(|it| match *it {
            ClassItem::Range(lo, hi) => lo <= c && c <= hi,
            ClassItem::Perl(p, neg) => p.matches(c) != neg,
        });
        hit != self.negated
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Start,
    /// `$`: end, or before a final newline.
    EndLine,
    /// `\Z`: end only.
    End,
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

/// Why a pattern is not usable: Python rejects it, or it needs a feature not implemented here.
#[derive(Debug)]
enum Bad {
    Invalid,
    Unsupported,
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    _src: &'a str,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            chars: src.chars().collect(),
            pos: 0,
            depth: 0,
            _src: src,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn parse(mut self) -> Result<Node, Bad> {
        let node = self.alternation()?;
        if self.pos < self.chars.len() {
            // only an unbalanced ')' stops the top level early
            return Err(Bad::Invalid);
        }
        Ok(node)
    }

    fn alternation(&mut self) -> Result<Node, Bad> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, Bad> {
        let mut items: Vec<Node> = Vec::new();
        // whether the last item may take a quantifier (false after an anchor or a quantifier)
        let mut repeatable = false;
        let mut last_was_repeat = false;
        while let Some(c) = self.peek() {
            match c {
                '|' | ')' => break,
                '*' | '+' | '?' | '{' => {
                    let save = self.pos;
                    let Some((min, max)) = self.quantifier() else {
                        // a '{' that is not a quantifier is a literal
                        self.pos = save + 1;
                        items.push(Node::Char('{'));
                        repeatable = true;
                        last_was_repeat = false;
                        continue;
                    };
                    if last_was_repeat {
                        return Err(Bad::Invalid); // "multiple repeat"
                    }
                    if !repeatable {
                        return Err(Bad::Invalid); // "nothing to repeat"
                    }
                    match self.peek() {
                        Some('?') => self.pos += 1, // lazy: same match/no-match answer
                        Some('+') => return Err(Bad::Unsupported), // possessive
                        _ => {}
                    }
                    let atom = items.pop().ok_or(Bad::Invalid)?;
                    items.push(Node::Repeat(Box::new(atom), min, max));
                    last_was_repeat = true;
                    continue;
                }
                _ => {}
            }
            let (node, can_repeat) = self.atom()?;
            items.push(node);
            repeatable = can_repeat;
            last_was_repeat = false;
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    /// Parses `*`, `+`, `?` or a valid `{m,n}`; `None` (position unspecified) for a literal `{`.
    fn quantifier(&mut self) -> Option<(u32, Option<u32>)> {
        match self.next()? {
            '*' => Some((0, None)),
            '+' => Some((1, None)),
            '?' => Some((0, Some(1))),
            _ => {
                if self.peek() == Some('}') {
                    return None;
                }
                let lo = self.digits();
                let hi = if self.peek() == Some(',') {
                    self.pos += 1;
                    self.digits()
                } else {
                    lo.clone()
                };
                if self.next() != Some('}') {
                    return None;
                }
                let parse = |s: &str| s.parse::<u32>().ok().filter(|n| *n <= MAX_REPEAT);
                let min = if lo.is_empty() {
                    0
                } else {
                    // too large: treat as unsupported by making it fail later
                    parse(&lo).unwrap_or(u32::MAX)
                };
                let max = if hi.is_empty() {
                    None
                } else {
                    Some(parse(&hi).unwrap_or(u32::MAX))
                };
                Some((min, max))
            }
        }
    }

    fn digits(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            s.push(c);
            self.pos += 1;
        }
        s
    }

    /// One atom and whether a quantifier may follow it.
    fn atom(&mut self) -> Result<(Node, bool), Bad> {
        let c = self.next().ok_or(Bad::Invalid)?;
        Ok(match c {
            '.' => (Node::Any, true),
            '^' => (Node::Start, false),
            '$' => (Node::EndLine, false),
            '[' => (Node::Class(self.class()?), true),
            '(' => (self.group()?, true),
            '\\' => self.escape()?,
            c => (Node::Char(c), true),
        })
    }

    fn group(&mut self) -> Result<Node, Bad> {
        if self.peek() == Some('?') {
            match (self.peek_at(1), self.peek_at(2)) {
                (Some(':'), _) => self.pos += 2,
                (Some('P'), Some('<')) => {
                    self.pos += 3;
                    let mut name = String::new();
                    loop {
                        match self.next() {
                            Some('>') => break,
                            Some(c) if c.is_alphanumeric() || c == '_' => name.push(c),
                            _ => return Err(Bad::Invalid),
                        }
                    }
                    if name.is_empty() || name.starts_with(|c: char| c.is_numeric()) {
                        return Err(Bad::Invalid);
                    }
                }
                _ => return Err(Bad::Unsupported),
            }
        }
        self.depth += 1;
        if self.depth > MAX_GROUP_DEPTH {
            return Err(Bad::Unsupported);
        }
        let inner = self.alternation()?;
        self.depth -= 1;
        if self.next() != Some(')') {
            return Err(Bad::Invalid); // "missing ), unterminated subpattern"
        }
        Ok(inner)
    }

    /// After a backslash, outside a class.
    fn escape(&mut self) -> Result<(Node, bool), Bad> {
        let c = self.next().ok_or(Bad::Invalid)?;
        let class = |p: Perl, neg: bool| {
            Node::Class(Class {
                negated: false,
                items: vec![ClassItem::Perl(p, neg)],
            })
        };
        Ok(match c {
            'A' => (Node::Start, false),
            'Z' => (Node::End, false),
            'b' | 'B' => return Err(Bad::Unsupported),
            'd' => (class(Perl::Digit, false), true),
            'D' => (class(Perl::Digit, true), true),
            'w' => (class(Perl::Word, false), true),
            'W' => (class(Perl::Word, true), true),
            's' => (class(Perl::Space, false), true),
            'S' => (class(Perl::Space, true), true),
            '1'..='9' => return Err(Bad::Unsupported), // back-reference
            _ => (Node::Char(self.char_escape(c)?), true),
        })
    }

    /// A single-character escape (after the backslash and `c`), shared with classes.
    fn char_escape(&mut self, c: char) -> Result<char, Bad> {
        Ok(match c {
            'a' => '\x07',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            '0' => {
                let mut code = 0u32;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            code = code * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(code).ok_or(Bad::Invalid)?
            }
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'U' => self.hex(8)?,
            'N' => return Err(Bad::Unsupported),
            c if c.is_ascii_alphanumeric() => return Err(Bad::Invalid), // "bad escape"
            c => c,
        })
    }

    fn hex(&mut self, n: usize) -> Result<char, Bad> {
        let mut code = 0u32;
        for _ in 0..n {
            let d = self
                .next()
                .and_then(|d| d.to_digit(16))
                .ok_or(Bad::Invalid)?;
            code = code.checked_mul(16).ok_or(Bad::Invalid)? + d;
        }
        char::from_u32(code).ok_or(Bad::Invalid)
    }

    /// After `[`.
    fn class(&mut self) -> Result<Class, Bad> {
        let mut class = Class {
            negated: false,
            items: Vec::new(),
        };
        if self.peek() == Some('^') {
            self.pos += 1;
            class.negated = true;
        }
        let mut first = true;
        loop {
            let c = self.next().ok_or(Bad::Invalid)?; // "unterminated character set"
            if c == ']' && !first {
                return Ok(class);
            }
            first = false;
            let lo = match c {
                '\\' => {
                    let e = self.next().ok_or(Bad::Invalid)?;
                    let perl = match e {
                        'd' => Some((Perl::Digit, false)),
                        'D' => Some((Perl::Digit, true)),
                        'w' => Some((Perl::Word, false)),
                        'W' => Some((Perl::Word, true)),
                        's' => Some((Perl::Space, false)),
                        'S' => Some((Perl::Space, true)),
                        _ => None,
                    };
                    if let Some((p, neg)) = perl {
                        class.items.push(ClassItem::Perl(p, neg));
                        continue;
                    }
                    match e {
                        'b' => '\x08',
                        '1'..='9' => return Err(Bad::Invalid),
                        _ => self.char_escape(e)?,
                    }
                }
                c => c,
            };
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                self.pos += 1;
                let hi = match self.next().ok_or(Bad::Invalid)? {
                    '\\' => {
                        let e = self.next().ok_or(Bad::Invalid)?;
                        if matches!(e, 'd' | 'D' | 'w' | 'W' | 's' | 'S') {
                            return Err(Bad::Invalid); // "bad character range"
                        }
                        if e == 'b' {
                            '\x08'
                        } else {
                            self.char_escape(e)?
                        }
                    }
                    h => h,
                };
                if hi < lo {
                    return Err(Bad::Invalid);
                }
                class.items.push(ClassItem::Range(lo, hi));
            } else {
                class.items.push(ClassItem::Range(lo, lo));
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    Any,
    Class(Class),
    Start,
    EndLine,
    End,
    Split(usize, usize),
    Jmp(usize),
    Match,
}

fn compile(node: &Node) -> Option<Vec<Inst>> {
    let mut prog = Vec::new();
    emit(node, &mut prog)?;
    prog.push(Inst::Match);
    Some(prog)
}

/// Appends `node`; `None` when the program would grow past [`MAX_INSTS`].
/// Recursion depth is bounded by the parser's group depth limit.
fn emit(node: &Node, prog: &mut Vec<Inst>) -> Option<()> {
    if prog.len() > MAX_INSTS {
        return None;
    }
    match node {
        Node::Empty => {}
        Node::Char(c) => prog.push(Inst::Char(*c)),
        Node::Any => prog.push(Inst::Any),
        Node::Class(c) => prog.push(Inst::Class(c.clone())),
        Node::Start => prog.push(Inst::Start),
        Node::EndLine => prog.push(Inst::EndLine),
        Node::End => prog.push(Inst::End),
        Node::Concat(items) => {
            for it in items {
                emit(it, prog)?;
            }
        }
        Node::Alt(branches) => {
            let mut jumps = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                if i + 1 < branches.len() {
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    emit(b, prog)?;
                    jumps.push(prog.len());
                    prog.push(Inst::Jmp(0));
                    let next = prog.len();
                    prog[split] = Inst::Split(split + 1, next);
                } else {
                    emit(b, prog)?;
                }
            }
            let end = prog.len();
            for j in jumps {
                prog[j] = Inst::Jmp(end);
            }
        }
        Node::Repeat(inner, min, max) => {
            if *min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
                return None;
            }
            if max.is_some_and(|m| m < *min) {
                return None; // Python: "min repeat greater than max repeat"
            }
            for _ in 0..*min {
                emit(inner, prog)?;
            }
            match max {
                None => {
                    // L: split(L+1, out); inner; jmp L
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    emit(inner, prog)?;
                    prog.push(Inst::Jmp(split));
                    let out = prog.len();
                    prog[split] = Inst::Split(split + 1, out);
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(prog.len());
                        prog.push(Inst::Split(0, 0));
                        emit(inner, prog)?;
                    }
                    let out = prog.len();
                    for s in splits {
                        prog[s] = Inst::Split(s + 1, out);
                    }
                }
            }
        }
    }
    if prog.len() > MAX_INSTS {
        return None;
    }
    Some(())
}

/// Thompson simulation; true as soon as `Match` is reachable (a prefix matched).
fn run(prog: &[Inst], text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut current: Vec<usize> = Vec::new();
    let mut next: Vec<usize> = Vec::new();
    let mut seen = vec![usize::MAX; prog.len()];
    let mut stack: Vec<usize> = Vec::new();

    for pos in 0..=n {
        // epsilon closure of `current` (or of the start state at pos 0)
        let seeds: Vec<usize> = if pos == 0 {
            vec![0]
        } else {
            std::mem::take(&mut current)
        };
        next.clear();
        stack.clear();
        stack.extend(seeds.iter().rev());
        let mut runnable: Vec<usize> = Vec::new();
        while let Some(pc) = stack.pop() {
            if seen.get(pc) == Some(&pos) {
                continue;
            }
            if let Some(s) = seen.get_mut(pc) {
                *s = pos;
            }
            match prog.get(pc) {
                Some(Inst::Match) => return true,
                Some(Inst::Jmp(t)) => stack.push(*t),
                Some(Inst::Split(a, b)) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Some(Inst::Start) if pos == 0 => stack.push(pc + 1),
                Some(Inst::End) if pos == n => stack.push(pc + 1),
                Some(Inst::EndLine)
                    if pos == n || (pos + 1 == n && chars.get(pos) == Some(&'\n')) =>
                {
                    stack.push(pc + 1)
                }
                Some(Inst::Char(_) | Inst::Any | Inst::Class(_)) => runnable.push(pc),
                _ => {}
            }
        }
        let Some(&c) = chars.get(pos) else {
            break;
        };
        for pc in runnable {
            let ok = match prog.get(pc) {
                Some(Inst::Char(x)) => *x == c,
                Some(Inst::Any) => c != '\n',
                Some(Inst::Class(cl)) => cl.matches(c),
                _ => false,
            };
            if ok {
                next.push(pc + 1);
            }
        }
        if next.is_empty() {
            return false;
        }
        std::mem::swap(&mut current, &mut next);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_like_python() {
        assert_eq!(py_replace("a{{idx}}b", "{{idx}}", ".*"), "a.*b");
        assert_eq!(py_replace("ab", "", "-"), "-a-b-");
        assert_eq!(py_replace("", "", "-"), "-");
    }

    #[test]
    fn matches_like_python_re_match() {
        let cases: &[(&str, &str, Option<bool>)] = &[
            ("label_.*", "label_0", Some(true)),
            ("label_.*", "label_", Some(true)),
            ("label_.*", "labe", Some(false)),
            ("label", "label_extra", Some(true)), // anchored at the start only
            ("a.c", "abc", Some(true)),
            ("a.c", "a\nc", Some(false)),
            ("x{2}", "xx", Some(true)),
            ("x{2}", "x", Some(false)),
            ("{{idx}}", "{{idx}}", Some(true)), // literal braces
            ("a{,2}b", "aab", Some(true)),
            ("a{,2}b$", "aaab", Some(false)),
            ("(ab|cd)+e", "cdabe", Some(true)),
            ("[a-c]+_[^0-9]", "abc_x", Some(true)),
            ("[a-c]+_[^0-9]", "abc_1", Some(false)),
            ("\\d+\\.x", "12.x", Some(true)),
            ("a$", "a\n", Some(true)),
            ("a\\Z", "a\n", Some(false)),
            ("^a", "a", Some(true)),
            ("(?:a)*?b", "aab", Some(true)),
            ("(?P<n>a)", "a", Some(true)),
            ("(a", "a", None),
            ("a)", "a", None),
            ("*a", "a", None),
            ("a**", "a", None),
            ("[a", "a", None),
            ("\\q", "q", None),
            ("(?=a)", "a", None),
            ("(a)\\1", "aa", None),
            ("(a*)*b", &"a".repeat(1000), Some(false)),
        ];
        for (p, t, want) in cases {
            assert_eq!(prefix_match(p, t), *want, "pattern {p:?} text {t:?}");
        }
    }

    #[test]
    fn bounded_on_hostile_patterns() {
        assert_eq!(prefix_match(&"(".repeat(10_000), "x"), None);
        assert_eq!(prefix_match("a{1000}{0}", "a"), None);
        assert_eq!(prefix_match("(a{1000}){1000}", "a"), None);
        let p = ".*".repeat(1000);
        assert_eq!(prefix_match(&p, &"x".repeat(1000)), Some(true));
    }
}

//! API tokens: who the caller is and which projects they may see.

use exportkit_service::User;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// What one token may do.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Access {
    /// The token's user (`created_by` of the snapshots it makes).
    #[serde(default = "default_user")]
    pub user: User,
    /// The projects it may see; `None` means all of them.
    #[serde(default)]
    pub projects: Option<HashSet<u64>>,
}

fn default_user() -> User {
    User {
        id: 1,
        email: "admin@localhost".into(),
        ..User::default()
    }
}

impl Access {
    /// Full access as user 1.
    pub fn all() -> Self {
        Access {
            user: default_user(),
            projects: None,
        }
    }

    /// Whether the token may see `project`.
    pub fn sees(&self, project: u64) -> bool {
        self.projects.as_ref().is_none_or(|p| p.contains(&project))
    }
}

/// The tokens the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens(HashMap<String, Access>);

#[derive(Deserialize)]
struct Entry {
    token: String,
    #[serde(flatten)]
    access: Access,
}

impl Tokens {
    /// No tokens: every request is refused with 401.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `token` with `access`.
    pub fn insert(&mut self, token: impl Into<String>, access: Access) {
        self.0.insert(token.into(), access);
    }

    /// Reads a tokens file: a JSON list of
    /// `{"token": "...", "user": {"id": 2, "email": "..."}, "projects": [1, 2]}`
    /// (`projects` absent: all projects; `user` absent: user 1).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let list: Vec<Entry> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut t = Tokens::new();
        for e in list {
            if e.token.len() < 8 {
                return Err(format!(
                    "token for user {} is shorter than 8 characters",
                    e.access.user.id
                ));
            }
            t.insert(e.token, e.access);
        }
        Ok(t)
    }

    /// Whether there is no token at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The access of an `Authorization` header value (`Token <t>` or `Bearer <t>`).
    pub fn check(&self, header: &str) -> Option<&Access> {
        let (scheme, token) = header.trim().split_once(' ')?;
        if !(scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")) {
            return None;
        }
        let token = token.trim();
        // Compare every token in full so timing says nothing about which prefix matched.
        let mut found = None;
        for (t, a) in &self.0 {
            if constant_eq(t.as_bytes(), token.as_bytes()) {
                found = Some(a);
            }
        }
        found
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_scopes() {
        let t = Tokens::from_json(
            r#"[{"token":"secret-one","projects":[1]},{"token":"secret-two","user":{"id":7,"email":"b@x"}}]"#,
        )
        .unwrap();
        assert!(t.check("Token secret-one").unwrap().sees(1));
        assert!(!t.check("Token secret-one").unwrap().sees(2));
        assert_eq!(t.check("Bearer secret-two").unwrap().user.id, 7);
        assert!(t.check("Token nope").is_none());
        assert!(t.check("Basic secret-one").is_none());
        assert!(t.check("secret-one").is_none());
        assert!(Tokens::from_json(r#"[{"token":"short"}]"#).is_err());
    }
}

//! Users, their tokens and roles (`--users USERS.toml`, or one `--token`).
//!
//! ```toml
//! [[user]]
//! email = "ana@example.org"
//! token = "plain-token"        # or: token_sha256 = "<hex>"
//! org_admin = false
//! projects = { 1 = "researcher", 2 = "admin" }
//! ```
//!
//! Tokens are kept as SHA-256 digests, compared in constant time against every user, and never
//! logged.

use exportkit_service::User;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A user's role in a project, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May see the project and use Label Studio's export endpoints.
    Member,
    /// May also create and delete Antenna exports.
    Researcher,
    /// May do everything in the project (Antenna updates, Flagsmith project exports).
    Admin,
}

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The user (the `created_by` of what they make).
    pub user: User,
    /// Organisation admin: every project, as admin, and project imports.
    pub org_admin: bool,
    /// Roles by project id.
    pub projects: HashMap<u64, Role>,
}

impl Access {
    /// An organisation admin (user 1, `admin@localhost`): what `--token` gives.
    pub fn all() -> Self {
        Access {
            user: User {
                id: 1,
                email: "admin@localhost".into(),
                ..User::default()
            },
            org_admin: true,
            projects: HashMap::new(),
        }
    }

    /// The user's role in `project` (`Admin` for organisation admins), `None` when they may
    /// not see it.
    pub fn role(&self, project: u64) -> Option<Role> {
        if self.org_admin {
            Some(Role::Admin)
        } else {
            self.projects.get(&project).copied()
        }
    }

    /// Whether the user may see `project`.
    pub fn sees(&self, project: u64) -> bool {
        self.role(project).is_some()
    }
}

/// The users the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Users(Vec<([u8; 32], Access)>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    user: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    id: Option<u64>,
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    token_sha256: Option<String>,
    #[serde(default)]
    org_admin: bool,
    #[serde(default)]
    projects: HashMap<String, Role>,
}

/// SHA-256 of a token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Users {
    /// No users: every request is refused with 401.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user with a plain token.
    pub fn insert(&mut self, token: &str, access: Access) {
        self.0.push((token_digest(token), access));
    }

    /// Reads a users file (the TOML shape above). User ids default to the position in the
    /// file (1, 2, ...).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut users = Users::new();
        for (i, e) in file.user.into_iter().enumerate() {
            let who = e.email.clone();
            let digest = match (&e.token, &e.token_sha256) {
                (Some(t), None) if t.len() >= 8 => token_digest(t),
                (Some(_), None) => return Err(format!("{who}: token shorter than 8 characters")),
                (None, Some(h)) => parse_hex32(h)
                    .ok_or_else(|| format!("{who}: token_sha256 is not 64 hex digits"))?,
                _ => return Err(format!("{who}: give exactly one of token and token_sha256")),
            };
            let mut projects = HashMap::new();
            for (k, role) in e.projects {
                let id = k
                    .parse::<u64>()
                    .map_err(|_| format!("{who}: project id {k:?} is not a number"))?;
                projects.insert(id, role);
            }
            let access = Access {
                user: User {
                    id: e.id.unwrap_or(i as u64 + 1),
                    email: e.email,
                    first_name: e.first_name,
                    last_name: e.last_name,
                    avatar: None,
                },
                org_admin: e.org_admin,
                projects,
            };
            if users.0.iter().any(|(d, _)| *d == digest) {
                return Err(format!("{who}: token already used by another user"));
            }
            users.0.push((digest, access));
        }
        Ok(users)
    }

    /// Whether there is no user at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The user of an `Authorization` header value (`Token <t>` or `Bearer <t>`).
    pub fn check(&self, header: &str) -> Option<&Access> {
        let (scheme, token) = header.trim().split_once(' ')?;
        if !(scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")) {
            return None;
        }
        self.check_token(token.trim())
    }

    /// The user of a bare token.
    pub fn check_token(&self, token: &str) -> Option<&Access> {
        let digest = token_digest(token);
        // Compare against every user in full, so timing says nothing about which one matched.
        let mut found = None;
        for (d, a) in &self.0 {
            if constant_eq(d, &digest) {
                found = Some(a);
            }
        }
        found
    }
}

fn constant_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[user]]
email = "ana@example.org"
token = "ana-token-123"
projects = { 1 = "researcher", 2 = "admin" }

[[user]]
email = "boss@example.org"
token_sha256 = "HASH"
org_admin = true
"#;

    fn users() -> Users {
        let hash: String = token_digest("boss-token-456")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Users::from_toml(&FILE.replace("HASH", &hash)).unwrap()
    }

    #[test]
    fn roles_and_schemes() {
        let u = users();
        let ana = u.check("Token ana-token-123").unwrap();
        assert_eq!(ana.user.id, 1);
        assert_eq!(ana.role(1), Some(Role::Researcher));
        assert_eq!(ana.role(2), Some(Role::Admin));
        assert_eq!(ana.role(3), None);
        let boss = u.check("Bearer boss-token-456").unwrap();
        assert!(boss.org_admin && boss.sees(99));
        assert_eq!(boss.user.email, "boss@example.org");
        assert!(u.check("Token nope-nope-nope").is_none());
        assert!(u.check("Basic ana-token-123").is_none());
        assert!(u.check("ana-token-123").is_none());
        assert!(Role::Member < Role::Researcher && Role::Researcher < Role::Admin);
    }

    #[test]
    fn bad_files_are_refused() {
        for (text, why) in [
            (
                "[[user]]\nemail = \"a\"\ntoken = \"short\"",
                "shorter than 8",
            ),
            ("[[user]]\nemail = \"a\"", "exactly one of"),
            ("[[user]]\nemail = \"a\"\ntoken_sha256 = \"xyz\"", "64 hex"),
            (
                "[[user]]\nemail = \"a\"\ntoken = \"long-enough\"\nprojects = { x = \"admin\" }",
                "not a number",
            ),
            (
                "[[user]]\nemail = \"a\"\ntoken = \"long-enough\"\nprojects = { 1 = \"owner\" }",
                "unknown variant",
            ),
            (
                "[[user]]\nemail = \"a\"\ntoken = \"long-enough\"\n[[user]]\nemail = \"b\"\ntoken = \"long-enough\"",
                "already used",
            ),
        ] {
            let e = Users::from_toml(text).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }
}

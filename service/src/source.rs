//! Where projects and their tasks come from: a trait the host implements, and a reference
//! implementation over a data directory.

use crate::model::User;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What the service needs to know about a project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectInfo {
    /// Project id.
    pub id: u64,
    /// Title (used in default snapshot titles).
    pub title: String,
    /// The Label Studio label config (XML); empty when unknown.
    pub label_config: String,
    /// Users, for `completed_by` expansion.
    pub users: Vec<User>,
}

/// The project's tasks, as a Label Studio JSON export (array, single task or NDJSON).
pub type TaskStream = Box<dyn Read + Send>;

/// The host's projects and tasks. A database-backed host streams its tasks in Label Studio's
/// export JSON; the service applies every filter itself, so a host may return all tasks (it
/// may also narrow them to `ids` when given, as an optimisation).
pub trait TaskSource: Send + Sync {
    /// The project, or `None` when it does not exist.
    fn project(&self, id: u64) -> std::io::Result<Option<ProjectInfo>>;

    /// The project's tasks, in a stable order (Label Studio: ascending id).
    fn tasks(&self, id: u64, ids: Option<&[String]>) -> std::io::Result<TaskStream>;

    /// The size in bytes of what [`TaskSource::tasks`] returns, when known (for progress).
    fn size_hint(&self, _id: u64) -> Option<u64> {
        None
    }
}

/// Projects in a directory: `DATA/<id>/tasks.json` (or `tasks.jsonl`/`tasks.ndjson`),
/// `DATA/<id>/config.xml`, and optionally `DATA/<id>/project.json` (`{"title": ...}`) and
/// `DATA/<id>/users.json` (a list of users). `exportkit import DOC --out DATA/<id>` writes
/// this layout.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// Projects under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirSource { root: root.into() }
    }

    fn dir(&self, id: u64) -> PathBuf {
        self.root.join(id.to_string())
    }

    fn tasks_path(dir: &Path) -> Option<PathBuf> {
        ["tasks.json", "tasks.jsonl", "tasks.ndjson"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
    }

    /// The ids of the projects in the directory, ascending.
    pub fn project_ids(&self) -> std::io::Result<Vec<u64>> {
        let mut ids: Vec<u64> = std::fs::read_dir(&self.root)?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|id: &u64| Self::tasks_path(&self.dir(*id)).is_some())
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }
}

fn read_optional(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn bad(path: &Path, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

impl TaskSource for DirSource {
    fn project(&self, id: u64) -> std::io::Result<Option<ProjectInfo>> {
        let dir = self.dir(id);
        if Self::tasks_path(&dir).is_none() {
            return Ok(None);
        }
        let label_config = read_optional(&dir.join("config.xml"))?.unwrap_or_default();
        let mut title = format!("Project {id}");
        let meta = dir.join("project.json");
        if let Some(text) = read_optional(&meta)? {
            #[derive(serde::Deserialize)]
            struct Meta {
                #[serde(default)]
                title: Option<String>,
            }
            let m: Meta = serde_json::from_str(&text).map_err(|e| bad(&meta, e))?;
            if let Some(t) = m.title.filter(|t| !t.is_empty()) {
                title = t;
            }
        }
        let users_path = dir.join("users.json");
        let users = match read_optional(&users_path)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| bad(&users_path, e))?,
            None => Vec::new(),
        };
        Ok(Some(ProjectInfo {
            id,
            title,
            label_config,
            users,
        }))
    }

    fn tasks(&self, id: u64, _ids: Option<&[String]>) -> std::io::Result<TaskStream> {
        let dir = self.dir(id);
        let path = Self::tasks_path(&dir).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no tasks.json", dir.display()),
            )
        })?;
        Ok(Box::new(std::fs::File::open(path)?))
    }

    fn size_hint(&self, id: u64) -> Option<u64> {
        Self::tasks_path(&self.dir(id)).and_then(|p| std::fs::metadata(p).ok().map(|m| m.len()))
    }
}

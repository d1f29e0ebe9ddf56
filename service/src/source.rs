//! Where projects and their tasks come from: a trait the host implements, and a reference
//! implementation over a data directory.

use crate::model::User;
use std::collections::BTreeMap;
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
    /// Format settings for exports of this project (e.g. `taxonomy` = a CSV path); a key
    /// `FORMAT.key` applies to that format only (`DWCA.project`).
    pub format_options: BTreeMap<String, String>,
    /// Format settings given as file contents (e.g. DWCA `mapping` = JSON text); the service
    /// writes each to a scratch file and passes its path under the same key.
    pub format_files: BTreeMap<String, String>,
}

/// A named set of tasks (Antenna's capture set, `collection_id`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
pub struct Collection {
    /// Collection id (unique across projects).
    pub id: u64,
    /// Display name.
    pub name: String,
    /// The project it belongs to (filled by the source).
    #[serde(default)]
    pub project: u64,
    /// Its tasks' ids, as written in the task data (`12`).
    #[serde(default)]
    pub task_ids: Vec<serde_json::Value>,
}

impl Collection {
    /// The task ids as the id filter compares them.
    pub fn id_strings(&self) -> Vec<String> {
        self.task_ids
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }
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

    /// A collection by id, in any project (`None`: no such collection).
    fn collection(&self, _id: u64) -> std::io::Result<Option<Collection>> {
        Ok(None)
    }

    /// The first free task id of the project (imports number new tasks from it).
    fn next_task_id(&self, _id: u64) -> std::io::Result<u64> {
        Ok(1)
    }

    /// Imports a validated project (`dir` holds Label Studio's `tasks.json`, `config.xml` and
    /// `project.json`) into project `id`, creating it if needed.
    fn import(
        &self,
        _id: u64,
        _dir: &Path,
        _strategy: crate::ImportStrategy,
    ) -> std::io::Result<crate::ImportSummary> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this task source does not import projects",
        ))
    }
}

/// Projects in a directory: `DATA/<id>/tasks.json` (or `tasks.jsonl`/`tasks.ndjson`),
/// `DATA/<id>/config.xml`, and optionally `DATA/<id>/project.json` (`{"title": ...}`),
/// `DATA/<id>/users.json` (a list of users), `DATA/<id>/collections.json` (`[{"id", "name",
/// "task_ids"}]`), `DATA/<id>/taxa.csv` (the DWCA taxonomy) and `DATA/<id>/dwca.toml`
/// (`[mapping]` and `[metadata]` tables: the DWCA mapping and dataset metadata).
/// `exportkit import DOC --out DATA/<id>` writes this layout.
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

/// Writes `bytes` beside `path`, then renames it into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("import-partial");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
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
        let mut format_options = BTreeMap::new();
        let mut format_files = BTreeMap::new();
        // Keys `FORMAT.key` apply to that format only.
        for f in ["DWCA", "OCCURRENCES_SIMPLE_CSV", "OCCURRENCES_API_JSON"] {
            format_options.insert(format!("{f}.project"), format!("project-{id}"));
        }
        if meta.is_file() {
            format_options.insert(
                "PROJECT.project_file".to_owned(),
                meta.display().to_string(),
            );
        }
        let taxa = dir.join("taxa.csv");
        if taxa.is_file() {
            format_options.insert("taxonomy".to_owned(), taxa.display().to_string());
        }
        let dwca = dir.join("dwca.toml");
        if let Some(text) = read_optional(&dwca)? {
            let table: toml::Table = toml::from_str(&text).map_err(|e| bad(&dwca, e))?;
            for key in ["mapping", "metadata"] {
                if let Some(v) = table.get(key) {
                    let json = serde_json::to_string(v).map_err(|e| bad(&dwca, e))?;
                    format_files.insert(key.to_owned(), json);
                }
            }
        }
        Ok(Some(ProjectInfo {
            id,
            title,
            label_config,
            users,
            format_options,
            format_files,
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

    fn next_task_id(&self, id: u64) -> std::io::Result<u64> {
        let path = self.dir(id).join("tasks.json");
        let Some(text) = read_optional(&path)? else {
            return Ok(1);
        };
        #[derive(serde::Deserialize)]
        struct Id {
            #[serde(default)]
            id: Option<serde_json::Value>,
        }
        let tasks: Vec<Id> = serde_json::from_str(&text).map_err(|e| bad(&path, e))?;
        Ok(tasks
            .iter()
            .filter_map(|t| t.id.as_ref()?.as_u64())
            .max()
            .map_or(1, |m| m + 1))
    }

    fn import(
        &self,
        id: u64,
        dir: &Path,
        strategy: crate::ImportStrategy,
    ) -> std::io::Result<crate::ImportSummary> {
        use serde_json::value::RawValue;
        let pdir = self.dir(id);
        std::fs::create_dir_all(&pdir)?;
        let existing = Self::tasks_path(&pdir);
        if existing
            .as_ref()
            .is_some_and(|p| p.file_name().is_some_and(|n| n != "tasks.json"))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{}: imports need tasks.json, not NDJSON", pdir.display()),
            ));
        }
        let new_path = dir.join("tasks.json");
        let new_text = std::fs::read_to_string(&new_path)?;
        let new: Vec<Box<RawValue>> =
            serde_json::from_str(&new_text).map_err(|e| bad(&new_path, e))?;
        let old_path = pdir.join("tasks.json");
        let old_text = read_optional(&old_path)?.unwrap_or_else(|| "[]".into());
        let old: Vec<Box<RawValue>> =
            serde_json::from_str(&old_text).map_err(|e| bad(&old_path, e))?;
        /// The task's data, canonical (sorted keys): what "the same task" means for Skip.
        fn data_key(task: &RawValue) -> String {
            #[derive(serde::Deserialize)]
            struct Data {
                #[serde(default)]
                data: serde_json::Value,
            }
            serde_json::from_str::<Data>(task.get())
                .map(|d| d.data.to_string())
                .unwrap_or_default()
        }
        fn annotations(task: &RawValue) -> u64 {
            #[derive(serde::Deserialize)]
            struct Anns<'a> {
                #[serde(default, borrow)]
                annotations: Vec<&'a RawValue>,
            }
            serde_json::from_str::<Anns<'_>>(task.get()).map_or(0, |a| a.annotations.len() as u64)
        }
        let mut summary = crate::ImportSummary::default();
        let overwrite = strategy == crate::ImportStrategy::OverwriteDestructive;
        let mut out: Vec<&RawValue> = Vec::new();
        if overwrite {
            summary.tasks_deleted = old.len() as u64;
        } else {
            out.extend(old.iter().map(AsRef::as_ref));
        }
        let known: std::collections::HashSet<String> = if overwrite {
            Default::default()
        } else {
            old.iter().map(|t| data_key(t)).collect()
        };
        for t in &new {
            if known.contains(&data_key(t)) {
                summary.tasks_skipped += 1;
                continue;
            }
            summary.tasks_created += 1;
            summary.annotations_created += annotations(t);
            out.push(t);
        }
        let mut text = String::from("[");
        for (i, t) in out.iter().enumerate() {
            text.push_str(if i == 0 { "\n" } else { ",\n" });
            text.push_str(t.get());
        }
        text.push_str(if out.is_empty() { "]\n" } else { "\n]\n" });
        write_atomic(&old_path, text.as_bytes())?;
        for name in ["config.xml", "project.json"] {
            let dest = pdir.join(name);
            if overwrite || !dest.exists() {
                write_atomic(&dest, &std::fs::read(dir.join(name))?)?;
                if name == "config.xml" {
                    summary.label_config_updated = true;
                }
            }
        }
        Ok(summary)
    }

    fn collection(&self, id: u64) -> std::io::Result<Option<Collection>> {
        for project in self.project_ids()? {
            let path = self.dir(project).join("collections.json");
            let Some(text) = read_optional(&path)? else {
                continue;
            };
            let list: Vec<Collection> = serde_json::from_str(&text).map_err(|e| bad(&path, e))?;
            if let Some(mut c) = list.into_iter().find(|c| c.id == id) {
                c.project = project;
                return Ok(Some(c));
            }
        }
        Ok(None)
    }
}

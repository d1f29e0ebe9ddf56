//! Where an export writes: named parts under a temporary directory that becomes OUT (or is
//! zipped into OUT) only when the export succeeds, so nothing complete-looking is left on failure.

use crate::error::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

const BUF: usize = 1 << 20;

/// The final shape of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A directory laid out like Label Studio's converter output. An existing directory is
    /// merged into (same names are replaced).
    Dir(PathBuf),
    /// The same tree in a zip archive.
    Zip(PathBuf),
    /// A single file: the export must produce exactly one file, which becomes this path.
    File(PathBuf),
}

impl Target {
    /// `Zip` for a path ending in `.zip`, `Dir` otherwise.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let p = path.into();
        if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            Target::Zip(p)
        } else {
            Target::Dir(p)
        }
    }

    /// `File` when the path ends in `.<extension>` (a format's main file, e.g. `out.csv`),
    /// otherwise as [`Target::from_path`].
    pub fn for_extension(path: impl Into<PathBuf>, extension: &str) -> Self {
        let p = path.into();
        // A `.zip` is always the zipped tree, even for formats whose natural output is a zip.
        let is_file = !extension.is_empty()
            && !extension.eq_ignore_ascii_case("zip")
            && p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case(extension));
        if is_file {
            Target::File(p)
        } else {
            Target::from_path(p)
        }
    }

    /// The path of the output.
    pub fn path(&self) -> &Path {
        match self {
            Target::Dir(p) | Target::Zip(p) | Target::File(p) => p,
        }
    }
}

/// An export's output under construction.
#[derive(Debug)]
pub struct Output {
    target: Target,
    staging: tempfile::TempDir,
    open: BTreeMap<String, BufWriter<File>>,
    resolver: Option<std::sync::Arc<crate::resources::Resolver>>,
    warnings: Vec<crate::exporter::Warning>,
    stats: BTreeMap<&'static str, u64>,
    /// Directories already created under the staging directory (one `mkdir` each, not one
    /// per file written into them).
    made_dirs: std::collections::HashSet<PathBuf>,
}

/// Checks that `name` is a relative path of plain components (no `..`, no root, no prefix).
fn check_name(name: &str) -> Result<()> {
    let p = Path::new(name);
    let ok = !name.is_empty()
        && !name.contains('\0')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Format,
            format!("refusing output name {name:?}"),
        ))
    }
}

impl Output {
    /// Starts an output for `target`; parts are staged in a temporary directory beside it.
    pub fn new(target: Target) -> Result<Self> {
        let path = target.path();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{stem}.partial-"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(Output {
            target,
            staging,
            open: BTreeMap::new(),
            resolver: None,
            warnings: Vec::new(),
            stats: BTreeMap::new(),
            made_dirs: std::collections::HashSet::new(),
        })
    }

    /// Gives the export's resource resolver to the writer (the pipeline does this).
    pub fn set_resolver(&mut self, resolver: std::sync::Arc<crate::resources::Resolver>) {
        self.resolver = Some(resolver);
    }

    /// The export's resource resolver, for writers that copy or download media.
    pub fn resolver(&self) -> Option<&std::sync::Arc<crate::resources::Resolver>> {
        self.resolver.as_ref()
    }

    /// Records a data warning from the writer side (a failed download, ...).
    pub fn warn(&mut self, warning: crate::exporter::Warning) {
        self.warnings.push(warning);
    }

    /// Adds `n` to the format-specific count `key` (reported in the export summary's `stats`).
    pub fn add_stat(&mut self, key: &'static str, n: u64) {
        *self.stats.entry(key).or_default() += n;
    }

    /// Takes the counts recorded with [`Output::add_stat`].
    pub fn take_stats(&mut self) -> BTreeMap<&'static str, u64> {
        std::mem::take(&mut self.stats)
    }

    /// Takes the warnings recorded so far.
    pub fn take_warnings(&mut self) -> Vec<crate::exporter::Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// The staging path of part `name` (parent directories created), for files written by
    /// other threads, such as downloads.
    pub fn path_for(&self, name: &str) -> Result<PathBuf> {
        check_name(name)?;
        let path = self.staging.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(path)
    }

    /// The target this output becomes.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// A buffered writer for part `name` (a relative path like `result.json` or `labels/a.txt`),
    /// created on first use.
    pub fn part(&mut self, name: &str) -> Result<&mut BufWriter<File>> {
        if !self.open.contains_key(name) {
            check_name(name)?;
            let path = self.staging.path().join(name);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            self.open
                .insert(name.to_owned(), BufWriter::with_capacity(BUF, f));
        }
        self.open
            .get_mut(name)
            .ok_or_else(|| Error::new(ErrorKind::Io, "part vanished"))
    }

    /// Writes a whole small part at once (one file per image, ...).
    pub fn write_file(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        let path = self.staging.path().join(name);
        if let Some(dir) = path.parent()
            && !self.made_dirs.contains(dir)
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            self.made_dirs.insert(dir.to_path_buf());
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))
    }

    /// Creates an (possibly empty) directory in the output.
    pub fn dir(&mut self, name: &str) -> Result<()> {
        check_name(name)?;
        let path = self.staging.path().join(name);
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))
    }

    /// A temporary spill file (deleted when dropped), for parts written out of order.
    pub fn spill(&self) -> Result<File> {
        tempfile::tempfile_in(self.staging.path()).map_err(|e| Error::io(self.staging.path(), e))
    }

    /// Flushes and closes part `name` if open.
    pub fn close(&mut self, name: &str) -> Result<()> {
        if let Some(mut w) = self.open.remove(name) {
            w.flush()
                .map_err(|e| Error::io(&self.staging.path().join(name), e))?;
        }
        Ok(())
    }

    /// Flushes every part and moves the output into place. Returns the names of the files
    /// written, sorted.
    pub fn commit(mut self) -> Result<Vec<String>> {
        for (name, mut w) in std::mem::take(&mut self.open) {
            w.flush()
                .map_err(|e| Error::io(&self.staging.path().join(&name), e))?;
        }
        let mut files = Vec::new();
        walk(self.staging.path(), "", &mut files)?;
        files.sort();
        match &self.target {
            Target::Dir(out) => move_into(self.staging.path(), out)?,
            Target::File(out) => match files.as_slice() {
                [(name, false)] => {
                    let from = self.staging.path().join(name);
                    std::fs::rename(&from, out).map_err(|e| Error::io(out, e))?;
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::Options,
                        format!(
                            "{}: this export writes {} entries, not one file; give a directory or a .zip",
                            out.display(),
                            files.len()
                        ),
                    ));
                }
            },
            Target::Zip(out) => {
                let tmp = self.staging.path().join(".archive.zip.partial");
                zip_dir(self.staging.path(), &tmp, &files)?;
                std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
            }
        }
        Ok(files.into_iter().map(|(n, _)| n).collect())
    }
}

/// Lists files (and empty directories, with `is_dir`) under `dir`.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, bool)>) -> Result<()> {
    let mut empty = true;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        empty = false;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let ft = entry.file_type().map_err(|e| Error::io(&entry.path(), e))?;
        if ft.is_dir() {
            walk(&entry.path(), &format!("{name}/"), out)?;
        } else {
            out.push((name, false));
        }
    }
    if empty && !prefix.is_empty() {
        out.push((prefix.to_owned(), true));
    }
    Ok(())
}

fn move_into(from: &Path, to: &Path) -> Result<()> {
    if !to.exists() {
        return std::fs::rename(from, to).map_err(|e| Error::io(to, e));
    }
    if !to.is_dir() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("{}: exists and is not a directory", to.display()),
        ));
    }
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() && dest.is_dir() {
            move_into(&entry.path(), &dest)?;
        } else {
            std::fs::rename(entry.path(), &dest).map_err(|e| Error::io(&dest, e))?;
        }
    }
    Ok(())
}

/// Zips the tree under `root` into `dest` (written in place; entries sorted, deflated, fixed
/// timestamps). Returns the entry names.
pub fn zip_tree(root: &Path, dest: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    walk(root, "", &mut files)?;
    files.sort();
    zip_dir(root, dest, &files)?;
    Ok(files.into_iter().map(|(n, _)| n).collect())
}

fn zip_dir(root: &Path, dest: &Path, entries: &[(String, bool)]) -> Result<()> {
    let f = File::create(dest).map_err(|e| Error::io(dest, e))?;
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(BUF, f));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let zerr =
        |e: zip::result::ZipError| Error::new(ErrorKind::Io, format!("{}: {e}", dest.display()));
    for (name, is_dir) in entries {
        if *is_dir {
            zip.add_directory(name.as_str(), opts).map_err(zerr)?;
            continue;
        }
        zip.start_file(name.as_str(), opts).map_err(zerr)?;
        let path = root.join(name);
        let mut src = File::open(&path).map_err(|e| Error::io(&path, e))?;
        std::io::copy(&mut src, &mut zip).map_err(|e| Error::io(&path, e))?;
    }
    let mut w = zip.finish().map_err(zerr)?;
    w.flush().map_err(|e| Error::io(dest, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn nothing_appears_until_commit_and_failed_outputs_vanish() {
        let tmp = tempfile::tempdir().unwrap();
        let out_path = tmp.path().join("out");
        let mut out = Output::new(Target::from_path(&out_path)).unwrap();
        out.part("result.json").unwrap().write_all(b"[]").unwrap();
        out.dir("images").unwrap();
        assert!(!out_path.exists());
        drop(out); // an export that failed
        assert!(!out_path.exists());
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "staging dir removed"
        );

        let mut out = Output::new(Target::from_path(&out_path)).unwrap();
        out.part("result.json").unwrap().write_all(b"[]").unwrap();
        out.write_file("labels/a.txt", b"0 1 2").unwrap();
        assert_eq!(out.commit().unwrap(), vec!["labels/a.txt", "result.json"]);
        assert_eq!(std::fs::read(out_path.join("result.json")).unwrap(), b"[]");
    }

    #[test]
    fn zip_target_holds_the_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let zpath = tmp.path().join("x.zip");
        let mut out = Output::new(Target::from_path(&zpath)).unwrap();
        out.part("result.csv").unwrap().write_all(b"a,b\n").unwrap();
        out.dir("images").unwrap();
        out.commit().unwrap();
        let mut z = zip::ZipArchive::new(File::open(&zpath).unwrap()).unwrap();
        let mut s = String::new();
        z.by_name("result.csv")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "a,b\n");
        assert!(z.by_name("images/").is_ok());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn file_target_takes_the_single_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("export.csv");
        let mut out = Output::new(Target::for_extension(&path, "csv")).unwrap();
        out.part("result.csv").unwrap().write_all(b"a\n").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a\n");

        let mut out =
            Output::new(Target::for_extension(tmp.path().join("two.csv"), "csv")).unwrap();
        out.write_file("a", b"").unwrap();
        out.write_file("b", b"").unwrap();
        assert!(
            out.commit()
                .unwrap_err()
                .to_string()
                .contains("writes 2 entries, not one file")
        );
        assert!(!tmp.path().join("two.csv").exists());
    }

    #[test]
    fn refuses_names_that_leave_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = Output::new(Target::from_path(tmp.path().join("o"))).unwrap();
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a\0b"] {
            assert!(out.write_file(bad, b"").is_err(), "{bad}");
        }
    }
}

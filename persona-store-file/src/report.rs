//! What opening a data directory found: every file it could not take as it is.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use persona_core::attributes::ValidationReport;
use persona_core::{Kind, Namespace, Version};
use serde::Serialize;

/// Everything [`FileStore::open`](crate::FileStore::open) noticed while scanning the data
/// directory, so that nothing is skipped silently.
///
/// Problems name files (relative to the root), ids, field paths and rule codes, never the values of
/// personal fields, so the report can be logged as it is. The report describes the directory as it
/// was when the store was opened; later writes do not change it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadReport {
    problems: Vec<Problem>,
    loaded: BTreeMap<Namespace, BTreeMap<Kind, usize>>,
}

/// One file or record that could not be taken as it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The namespace whose folders hold the file.
    pub namespace: Namespace,
    /// The file, relative to the store root.
    pub path: PathBuf,
    /// The record's kind, when the file is in a kind folder.
    pub kind: Option<Kind>,
    /// The record's id (from the file name), when there is one.
    pub id: Option<String>,
    /// What is wrong and what the store did about it.
    pub issue: Issue,
}

/// Why a file is in the [`LoadReport`], and how the store treats it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Issue {
    /// The file could not be read. It is not indexed; writes to its id fail with
    /// [`Error::Corrupt`](persona_core::Error::Corrupt) until it is fixed.
    Unreadable {
        /// The I/O error's kind.
        error: String,
    },
    /// The file is not a JSON document of its kind. It stays on disk untouched (read it with
    /// [`FileStore::raw`](crate::FileStore::raw)), is not indexed, and writes to its id fail with
    /// [`Error::Corrupt`](persona_core::Error::Corrupt) until it is fixed or removed.
    Unparseable {
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
        /// `syntax`, `data` (valid JSON of the wrong shape) or `eof` (truncated).
        category: &'static str,
    },
    /// A file in a kind folder whose name is not `<id>.json` with a valid id. Not indexed.
    BadFileName,
    /// The document's `id` differs from its file name. Not indexed; writes to the file name's id
    /// fail with [`Error::Corrupt`](persona_core::Error::Corrupt).
    IdMismatch {
        /// The id inside the document.
        found: String,
    },
    /// The record breaks its own rules (caps, vocabularies, …). It is readable and queryable as
    /// it is; writes must produce a valid record.
    Invalid {
        /// Every violation (paths, codes and rule messages; no values).
        violations: ValidationReport,
    },
    /// An identity whose persona is missing or soft-deleted. It is readable and queryable; an
    /// update must name an existing persona.
    MissingPersona {
        /// The persona id it names.
        persona_id: String,
    },
    /// The file was changed outside the SDK after its last SDK write (for example by fr0g-ai-aip,
    /// which drops the `version` field). The file's content is served; its version continues from
    /// the one in the history so versions never repeat.
    ChangedOutside {
        /// The last version the SDK wrote.
        logged: Version,
        /// The version in the file.
        found: Version,
    },
    /// The history says the record is live but its file is gone (removed outside the SDK). The
    /// record is treated as soft-deleted: hidden, restorable, its id still taken.
    MissingFile {
        /// The last version the SDK wrote.
        logged: Version,
    },
    /// A file that is neither a record nor the SDK's own (not `*.json`, or a folder). Ignored.
    Ignored,
    /// A temporary file left by an interrupted write. Its batch never committed; it was removed.
    StrayTempFile,
    /// The end of the history log was a batch cut short by a crash (never acknowledged); it was
    /// cut off.
    TornLog {
        /// How many bytes were discarded.
        discarded: u64,
    },
    /// A batch committed to the log but interrupted before all its files were in place was
    /// completed.
    Recovered {
        /// The batch number in the namespace's log.
        batch: u64,
    },
}

impl Issue {
    /// A short snake_case name for the issue.
    pub fn name(&self) -> &'static str {
        match self {
            Issue::Unreadable { .. } => "unreadable",
            Issue::Unparseable { .. } => "unparseable",
            Issue::BadFileName => "bad_file_name",
            Issue::IdMismatch { .. } => "id_mismatch",
            Issue::Invalid { .. } => "invalid",
            Issue::MissingPersona { .. } => "missing_persona",
            Issue::ChangedOutside { .. } => "changed_outside",
            Issue::MissingFile { .. } => "missing_file",
            Issue::Ignored => "ignored",
            Issue::StrayTempFile => "stray_temp_file",
            Issue::TornLog { .. } => "torn_log",
            Issue::Recovered { .. } => "recovered",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        match &self.issue {
            Issue::Unreadable { error } => write!(f, "unreadable ({error})"),
            Issue::Unparseable {
                line,
                column,
                category,
            } => write!(
                f,
                "not a valid document ({category} error at {line}:{column})"
            ),
            Issue::BadFileName => f.write_str("file name is not <id>.json"),
            Issue::IdMismatch { found } => write!(f, "document id {found} differs from file name"),
            Issue::Invalid { violations } => {
                f.write_str("invalid:")?;
                for v in violations.iter() {
                    write!(f, " {} ({});", v.path, v.code)?;
                }
                Ok(())
            }
            Issue::MissingPersona { persona_id } => {
                write!(f, "persona {persona_id} does not exist")
            }
            Issue::ChangedOutside { logged, found } => write!(
                f,
                "changed outside the SDK (history at version {logged}, file at {found})"
            ),
            Issue::MissingFile { logged } => {
                write!(
                    f,
                    "file missing (history at version {logged}); treated as deleted"
                )
            }
            Issue::Ignored => f.write_str("not a record file; ignored"),
            Issue::StrayTempFile => f.write_str("temporary file of an interrupted write; removed"),
            Issue::TornLog { discarded } => {
                write!(
                    f,
                    "unfinished batch at the end of the log; {discarded} bytes cut"
                )
            }
            Issue::Recovered { batch } => write!(f, "interrupted batch {batch} completed"),
        }
    }
}

impl LoadReport {
    pub(crate) fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    pub(crate) fn set_loaded(&mut self, namespace: &Namespace, kind: Kind, count: usize) {
        self.loaded
            .entry(namespace.clone())
            .or_default()
            .insert(kind, count);
    }

    /// Every problem, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// True when nothing was found wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Problems whose [`Issue::name`] is `name`.
    pub fn with_issue<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems.iter().filter(move |p| p.issue.name() == name)
    }

    /// How many records of `kind` were indexed in `namespace` (live and soft-deleted; invalid
    /// but parseable records included).
    pub fn loaded(&self, namespace: &Namespace, kind: Kind) -> usize {
        self.loaded
            .get(namespace)
            .and_then(|kinds| kinds.get(&kind))
            .copied()
            .unwrap_or(0)
    }

    /// The namespaces found.
    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.loaded.keys()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (namespace, kinds) in &self.loaded {
            write!(f, "{namespace}:")?;
            for (kind, count) in kinds {
                write!(f, " {count} {kind}")?;
            }
            writeln!(f)?;
        }
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

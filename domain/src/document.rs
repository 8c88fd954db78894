//! A job's Automerge document and its typed view.
//!
//! Every edit goes hydrate → change the typed [`Job`] → reconcile → commit, so the code that
//! changes jobs never walks Automerge maps by hand, and each edit is exactly one change.

use automerge::{
    ActorId, AutoCommit, Change, ChangeHash, LoadOptions, TextEncoding, transaction::CommitOptions,
};
use autosurgeon::{hydrate, reconcile};

use crate::changed_only::ChangedOnly;
use crate::job::{Job, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("not a valid job document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("document does not match the job schema: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    #[error("could not write the job into its document: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    #[error("the edit changed nothing")]
    Empty,
    #[error("document schema version {0} is newer than this software ({SCHEMA_VERSION})")]
    TooNew(u64),
}

/// How text indices are counted in this process's view of a document. autosurgeon's
/// `Text::update` splices at UTF-8 byte offsets (`String` semantics), so the document must
/// count the same way, or any edit of text holding non-ASCII characters (every Chinese
/// diagnosis) fails with an invalid index. The encoding is a local view, not stored in the
/// document: replicas that count differently still exchange the same changes.
const TEXT_ENCODING: TextEncoding = TextEncoding::Utf8CodeUnit;

/// One job document.
#[derive(Debug)]
pub struct JobDoc {
    doc: AutoCommit,
}

impl JobDoc {
    /// Creates the document of a new job as one change made by `actor`.
    pub fn create(job: &Job, actor: ActorId, at_ms: i64) -> Result<(JobDoc, Change), DocError> {
        let mut doc = AutoCommit::new_with_encoding(TEXT_ENCODING).with_actor(actor);
        let mut job = job.clone();
        job.schema_version = SCHEMA_VERSION;
        reconcile(&mut doc, &job)?;
        let mut this = JobDoc { doc };
        let change = this.commit("create", at_ms);
        let change = change.ok_or(DocError::Empty)?;
        Ok((this, change))
    }

    /// Loads a document saved with [`JobDoc::save`] or assembled from changes.
    pub fn load(bytes: &[u8]) -> Result<JobDoc, DocError> {
        Ok(JobDoc {
            doc: AutoCommit::load_with_options(
                bytes,
                LoadOptions::new().text_encoding(TEXT_ENCODING),
            )?,
        })
    }

    /// An empty document, for receiving a job whole through the repair path.
    pub fn empty() -> JobDoc {
        JobDoc {
            doc: AutoCommit::new_with_encoding(TEXT_ENCODING),
        }
    }

    pub fn from_automerge(doc: AutoCommit) -> JobDoc {
        JobDoc { doc }
    }

    pub fn set_actor(&mut self, actor: ActorId) {
        self.doc.set_actor(actor);
    }

    /// The typed view of the current state.
    pub fn job(&self) -> Result<Job, DocError> {
        let job: Job = hydrate(&self.doc)?;
        if job.schema_version > SCHEMA_VERSION {
            return Err(DocError::TooNew(job.schema_version));
        }
        Ok(job)
    }

    /// Applies `edit` to the typed view and records the difference as one change.
    ///
    /// Returns `None` when the edit changed nothing.
    pub fn edit(
        &mut self,
        what: &str,
        at_ms: i64,
        edit: impl FnOnce(&mut Job),
    ) -> Result<Option<Change>, DocError> {
        let mut job = self.job()?;
        edit(&mut job);
        if let Err(e) = reconcile(&mut ChangedOnly(&mut self.doc), &job) {
            self.doc.rollback();
            return Err(e.into());
        }
        Ok(self.commit(what, at_ms))
    }

    fn commit(&mut self, what: &str, at_ms: i64) -> Option<Change> {
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(what.to_string())
                .with_time(at_ms / 1000),
        )?;
        self.doc.get_last_local_change()
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Changes made after `heads` (all changes when `heads` is empty).
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<Change> {
        self.doc.get_changes(heads)
    }

    /// Applies changes received from elsewhere. Changes already present are ignored, and
    /// changes whose dependencies are missing wait inside the document until they arrive.
    pub fn apply_changes(&mut self, changes: Vec<Change>) -> Result<(), DocError> {
        self.doc.apply_changes(changes)?;
        Ok(())
    }

    /// Merges a whole saved document into this one.
    pub fn merge_saved(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        self.doc.load_incremental(bytes)?;
        Ok(())
    }

    /// Hashes that changes held in this document depend on but that it lacks.
    pub fn missing_deps(&mut self) -> Vec<ChangeHash> {
        self.doc.get_missing_deps(&[])
    }

    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

impl Clone for JobDoc {
    fn clone(&self) -> Self {
        JobDoc {
            doc: self.doc.clone(),
        }
    }
}

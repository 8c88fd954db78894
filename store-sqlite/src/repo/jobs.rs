//! [`onsite_store::repo::Jobs`] on SQLite.

use onsite_domain::{Customer, JobDoc, Product};
use onsite_store::StoreError;
use onsite_store::repo::jobs::{
    HistoryEntry, JobDetail, JobListFilter, JobState, JobSummary, Jobs, Quarantined,
    RegisteredProduct, ReviewFilter, ReviewRow, StoredDoc,
};
use rusqlite::{OptionalExtension, params};

use crate::backend::{SqliteUnit, db_err, to_store};
use crate::reference::registry;
use crate::reports::review;
use crate::storage::{self, SqliteError};

impl Jobs for SqliteUnit<'_> {
    fn job_doc(&mut self, doc_id: &str) -> Result<Option<StoredDoc>, StoreError> {
        match storage::load_doc(self.conn(), doc_id) {
            Ok(doc) => Ok(doc.map(|d| StoredDoc::Loaded(Box::new(d)))),
            Err(SqliteError::Corrupt(_, e)) => Ok(Some(StoredDoc::Unusable(e))),
            Err(e) => Err(to_store(e)),
        }
    }

    fn quarantined(&mut self, doc_id: &str) -> Result<Option<Quarantined>, StoreError> {
        storage::quarantined(self.conn(), doc_id).map_err(db_err)
    }

    fn quarantined_jobs(&mut self) -> Result<Vec<Quarantined>, StoreError> {
        storage::quarantined_jobs(self.conn()).map_err(db_err)
    }

    fn job_state(&mut self, doc_id: &str) -> Result<Option<JobState>, StoreError> {
        self.conn()
            .query_row(
                "SELECT status, review_state, assignee FROM jobs WHERE doc_id = ?1",
                [doc_id],
                |r| {
                    Ok(JobState {
                        status: r.get(0)?,
                        review_state: r.get(1)?,
                        assignee: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(db_err)
    }

    fn job_list(&mut self, f: &JobListFilter) -> Result<Vec<JobSummary>, StoreError> {
        // Filters are bound parameters: a NULL parameter disables its filter.
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT doc_id, status, review_state, assignee, customer_name, product_model,
                        complaint, reported_at
                   FROM jobs
                  WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR review_state = ?2)
                    AND (?3 IS NULL OR assignee = ?3)
                  ORDER BY reported_at DESC, doc_id LIMIT ?4 OFFSET ?5",
            )
            .map_err(db_err)?;
        stmt.query_map(
            params![f.status, f.review_state, f.assignee, f.limit, f.offset],
            |r| {
                Ok(JobSummary {
                    id: r.get(0)?,
                    status: r.get(1)?,
                    review_state: r.get(2)?,
                    assignee: r.get(3)?,
                    customer_name: r.get(4)?,
                    product_model: r.get(5)?,
                    complaint: r.get(6)?,
                    reported_at: r.get(7)?,
                })
            },
        )
        .and_then(|rows| rows.collect())
        .map_err(db_err)
    }

    fn review_list(&mut self, f: &ReviewFilter) -> Result<(Vec<ReviewRow>, u64), StoreError> {
        review::list(self.conn(), f).map_err(db_err)
    }

    fn review_detail(&mut self, doc_id: &str) -> Result<Option<JobDetail>, StoreError> {
        review::detail(self.conn(), doc_id).map_err(db_err)
    }

    fn job_history(&mut self, doc: &mut JobDoc) -> Result<Vec<HistoryEntry>, StoreError> {
        review::history(self.conn(), doc).map_err(db_err)
    }

    fn registry_customer(&mut self, id: &str) -> Result<Option<Customer>, StoreError> {
        Ok(registry::customer_by_id(self.conn(), id)
            .map_err(db_err)?
            .map(|c| Customer {
                id: c.id,
                name: c.name,
                phone: c.phone,
                address: c.address,
                tier: c.tier,
                region: c.region,
                site_distance: c.site_distance,
            }))
    }

    fn registry_product(&mut self, id: &str) -> Result<Option<RegisteredProduct>, StoreError> {
        Ok(registry::product_by_id(self.conn(), id)
            .map_err(db_err)?
            .map(|p| RegisteredProduct {
                customer_id: p.customer_id,
                product: Product {
                    id: p.id,
                    model: p.model,
                    serial: p.serial,
                    purchase_date: p.purchase_date,
                },
            }))
    }
}

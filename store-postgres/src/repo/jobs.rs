//! [`onsite_store::repo::Jobs`] on PostgreSQL: the stored documents and quarantine, the
//! job and review lists and a job's detail from the query tables, the edit history from
//! the document's own change metadata joined with the feed (who uploaded each change).

use onsite_domain::evidence::{Flags, creation_reference, time_flags};
use onsite_domain::forms::{Level, satisfaction};
use onsite_domain::{Customer, JobDoc, Product};
use onsite_store::StoreError;
use onsite_store::repo::jobs::{
    AnswerEntry, Clocks, DetailCustomer, DetailProduct, FormEntry, HistoryEntry, JobDetail,
    JobListFilter, JobState, JobSummary, Jobs, PartEntry, Quarantined, RegisteredProduct,
    ReviewEntry, ReviewFilter, ReviewRow, StoredDoc, TimelineEvent,
};
use onsite_store::report::pct;
use postgres::Row;

use crate::unit::{PgUnit, pg_err};

/// The review list's filters, `$1`…`$9`; a NULL parameter disables its filter. The casts
/// give each parameter its type where it is only compared with NULL.
const REVIEW_WHERE: &str = "
    WHERE ($1::TEXT IS NULL OR j.status = $1) AND ($2::TEXT IS NULL OR j.review_state = $2)
      AND ($3::TEXT IS NULL OR j.assignee = $3)
      AND ($4::BIGINT IS NULL OR j.reported_at >= $4) AND ($5::BIGINT IS NULL OR j.reported_at < $5)
      AND ($6::BOOLEAN IS NULL OR j.complaint = $6) AND ($7::BOOLEAN IS NULL OR j.dap = $7)
      AND ($8::TEXT IS NULL OR j.feedback_category = $8)
      AND ($9::TEXT IS NULL OR j.customer_tier = $9)";

fn quarantined_row(r: &Row) -> Quarantined {
    Quarantined {
        doc_id: r.get(0),
        reason: r.get(1),
        at: r.get(2),
    }
}

fn names(flags: Flags) -> Vec<String> {
    flags.names().into_iter().map(str::to_string).collect()
}

impl Jobs for PgUnit<'_, '_> {
    fn job_doc(&mut self, doc_id: &str) -> Result<Option<StoredDoc>, StoreError> {
        let bytes: Option<Vec<u8>> = self
            .tx()
            .query_opt("SELECT data FROM documents WHERE doc_id = $1", &[&doc_id])
            .map_err(pg_err)?
            .map(|r| r.get(0));
        Ok(bytes.map(|b| match JobDoc::load(&b) {
            Ok(doc) => StoredDoc::Loaded(Box::new(doc)),
            Err(e) => StoredDoc::Unusable(e.to_string()),
        }))
    }

    fn quarantined(&mut self, doc_id: &str) -> Result<Option<Quarantined>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                "SELECT doc_id, reason, at FROM quarantine WHERE doc_id = $1",
                &[&doc_id],
            )
            .map_err(pg_err)?
            .as_ref()
            .map(quarantined_row))
    }

    fn quarantined_jobs(&mut self) -> Result<Vec<Quarantined>, StoreError> {
        Ok(self
            .tx()
            .query(
                "SELECT doc_id, reason, at FROM quarantine ORDER BY at DESC, doc_id",
                &[],
            )
            .map_err(pg_err)?
            .iter()
            .map(quarantined_row)
            .collect())
    }

    fn job_state(&mut self, doc_id: &str) -> Result<Option<JobState>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                "SELECT status, review_state, assignee FROM jobs WHERE doc_id = $1",
                &[&doc_id],
            )
            .map_err(pg_err)?
            .map(|r| JobState {
                status: r.get(0),
                review_state: r.get(1),
                assignee: r.get(2),
            }))
    }

    fn job_list(&mut self, f: &JobListFilter) -> Result<Vec<JobSummary>, StoreError> {
        let (limit, offset) = (i64::from(f.limit), i64::from(f.offset));
        Ok(self
            .tx()
            .query(
                "SELECT doc_id, status, review_state, assignee, customer_name, product_model,
                        complaint, reported_at
                   FROM jobs
                  WHERE ($1::TEXT IS NULL OR status = $1)
                    AND ($2::TEXT IS NULL OR review_state = $2)
                    AND ($3::TEXT IS NULL OR assignee = $3)
                  ORDER BY reported_at DESC, doc_id LIMIT $4 OFFSET $5",
                &[&f.status, &f.review_state, &f.assignee, &limit, &offset],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| JobSummary {
                id: r.get(0),
                status: r.get(1),
                review_state: r.get(2),
                assignee: r.get(3),
                customer_name: r.get(4),
                product_model: r.get(5),
                complaint: r.get(6),
                reported_at: r.get(7),
            })
            .collect())
    }

    fn review_list(&mut self, f: &ReviewFilter) -> Result<(Vec<ReviewRow>, u64), StoreError> {
        let from = f.period.map(|p| p.start_ms());
        let to = f.period.map(|p| p.end_ms());
        let (limit, offset) = (i64::from(f.limit), i64::from(f.offset));
        let tx = self.tx();
        let total: i64 = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM jobs j {REVIEW_WHERE}"),
                &[
                    &f.status,
                    &f.review_state,
                    &f.technician,
                    &from,
                    &to,
                    &f.complaint,
                    &f.dap,
                    &f.feedback_category,
                    &f.customer_tier,
                ],
            )
            .map_err(pg_err)?
            .get(0);
        let rows = tx
            .query(
                &format!(
                    "SELECT j.doc_id, j.status, j.review_state, j.assignee, u.display_name,
                            j.customer_name, j.customer_tier, j.customer_region, j.product_model,
                            j.complaint, j.dap, j.feedback_category, j.reported_at, j.completed_at,
                            j.forms_count, j.parts_count
                       FROM jobs j LEFT JOIN users u ON u.id = j.assignee
                       {REVIEW_WHERE}
                      ORDER BY j.reported_at DESC, j.doc_id LIMIT $10 OFFSET $11"
                ),
                &[
                    &f.status,
                    &f.review_state,
                    &f.technician,
                    &from,
                    &to,
                    &f.complaint,
                    &f.dap,
                    &f.feedback_category,
                    &f.customer_tier,
                    &limit,
                    &offset,
                ],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| ReviewRow {
                id: r.get(0),
                status: r.get(1),
                review_state: r.get(2),
                assignee: r.get(3),
                assignee_name: r.get(4),
                customer_name: r.get(5),
                customer_tier: r.get(6),
                customer_region: r.get(7),
                product_model: r.get(8),
                complaint: r.get(9),
                dap: r.get(10),
                feedback_category: r.get(11),
                reported_at: r.get(12),
                completed_at: r.get(13),
                forms: r.get(14),
                parts_lines: r.get(15),
            })
            .collect();
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    fn review_detail(&mut self, doc_id: &str) -> Result<Option<JobDetail>, StoreError> {
        let tx = self.tx();
        let Some(mut job) = tx
            .query_opt(
                "SELECT j.status, j.review_state, j.assignee, u.display_name, j.origin,
                        j.complaint, j.dap, j.customer_id, j.customer_name, j.customer_phone,
                        j.customer_tier, j.customer_region, j.site_distance, j.product_model,
                        j.product_serial, j.purchase_date, j.reported_at, j.completed_at,
                        j.feedback_category, j.responsible_department, j.labour_minutes,
                        j.response_ms, j.arrival_ms, j.diagnosis_ms, j.handling_ms,
                        j.created_at, j.time_flags
                   FROM jobs j LEFT JOIN users u ON u.id = j.assignee WHERE j.doc_id = $1",
                &[&doc_id],
            )
            .map_err(pg_err)?
            .map(|r| JobDetail {
                id: doc_id.to_string(),
                status: r.get(0),
                review_state: r.get(1),
                assignee: r.get(2),
                assignee_name: r.get(3),
                origin: r.get(4),
                complaint: r.get(5),
                dap: r.get(6),
                customer: DetailCustomer {
                    id: r.get(7),
                    name: r.get(8),
                    phone: r.get(9),
                    tier: r.get(10),
                    region: r.get(11),
                    site_distance: r.get(12),
                },
                product: DetailProduct {
                    model: r.get(13),
                    serial: r.get(14),
                    purchase_date: r.get(15),
                },
                reported_at: r.get(16),
                completed_at: r.get(17),
                feedback_category: r.get(18),
                responsible_department: r.get(19),
                labour_minutes: r.get(20),
                clocks_ms: Clocks {
                    response: r.get(21),
                    arrival: r.get(22),
                    diagnosis: r.get(23),
                    handling: r.get(24),
                },
                created_at: r.get(25),
                time_flags: names(Flags::from_bits(r.get(26))),
                timeline: Vec::new(),
                reviews: Vec::new(),
                forms: Vec::new(),
                parts: Vec::new(),
            })
        else {
            return Ok(None);
        };
        // What an event's device time is compared with (onsite_domain::evidence).
        let begins = creation_reference(&job.origin, job.reported_at, job.created_at);
        job.timeline = tx
            .query(
                "SELECT e.event_id, e.kind, e.at, e.by_user, u.display_name,
                        e.received_at, e.device_offset_ms
                   FROM job_events e LEFT JOIN users u ON u.id = e.by_user
                  WHERE e.doc_id = $1
                  -- Events of one instant (reported and assigned at creation) in lifecycle
                  -- order.
                  ORDER BY e.at, CASE e.kind WHEN 'reported' THEN 0 WHEN 'assigned' THEN 1
                      WHEN 'accepted' THEN 2 WHEN 'en_route' THEN 3 WHEN 'on_site' THEN 4
                      WHEN 'diagnosed' THEN 5 WHEN 'repaired' THEN 6 WHEN 'completed' THEN 7
                      ELSE 8 END, e.event_id",
                &[&doc_id],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| {
                let at = r.get(2);
                let received_at = r.get(5);
                let device_offset_ms = r.get(6);
                TimelineEvent {
                    id: r.get(0),
                    kind: r.get(1),
                    at,
                    by: r.get(3),
                    by_name: r.get(4),
                    received_at,
                    device_offset_ms,
                    flags: names(time_flags(at, received_at, begins, device_offset_ms)),
                }
            })
            .collect();
        job.reviews = tx
            .query(
                "SELECT review_id, decision, comment, at, by_user FROM job_reviews
                  WHERE doc_id = $1 ORDER BY at, review_id",
                &[&doc_id],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| ReviewEntry {
                id: r.get(0),
                decision: r.get(1),
                comment: r.get(2),
                at: r.get(3),
                by: r.get(4),
            })
            .collect();
        let forms = tx
            .query(
                "SELECT form_id, template_id, template_version, respondent, submitted_at,
                        by_user, suggestion
                   FROM job_forms WHERE doc_id = $1 ORDER BY form_id",
                &[&doc_id],
            )
            .map_err(pg_err)?;
        let answers = tx
            .prepare(
                "SELECT item_id, points, comment FROM form_answers
                  WHERE doc_id = $1 AND form_id = $2 ORDER BY item_id",
            )
            .map_err(pg_err)?;
        for r in &forms {
            let form_id: String = r.get(0);
            let answers: Vec<AnswerEntry> = tx
                .query(&answers, &[&doc_id, &form_id])
                .map_err(pg_err)?
                .iter()
                .map(|a| AnswerEntry {
                    item: a.get(0),
                    points: a.get(1),
                    comment: a.get(2),
                })
                .collect();
            // Points that are no level of the scale are shown but not counted.
            let sat = satisfaction(answers.iter().filter_map(|a| Level::from_points(a.points)));
            job.forms.push(FormEntry {
                id: form_id,
                template_id: r.get(1),
                template_version: r.get(2),
                respondent: r.get(3),
                submitted_at: r.get(4),
                by: r.get(5),
                suggestion: r.get(6),
                answers,
                degree_pct: sat.map(|s| pct(s.degree_pct)),
                rate_pct: sat.map(|s| pct(s.rate_pct)),
            });
        }
        job.parts = tx
            .query(
                "SELECT line_id, sku, name, quantity, unit_price_cents, billable, at, by_user
                   FROM job_parts WHERE doc_id = $1 ORDER BY at, line_id",
                &[&doc_id],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| PartEntry {
                id: r.get(0),
                sku: r.get(1),
                name: r.get(2),
                quantity: r.get(3),
                unit_price_cents: r.get(4),
                billable: r.get(5),
                at: r.get(6),
                by: r.get(7),
            })
            .collect();
        Ok(Some(job))
    }

    fn job_history(&mut self, doc: &mut JobDoc) -> Result<Vec<HistoryEntry>, StoreError> {
        let tx = self.tx();
        let who = tx
            .prepare(
                "SELECT f.user_id, u.display_name, f.origin_device FROM feed f
                   LEFT JOIN users u ON u.id = f.user_id WHERE f.hash = $1",
            )
            .map_err(pg_err)?;
        let mut out = Vec::new();
        for change in doc.changes_since(&[]) {
            let hash = change.hash();
            let uploader = tx.query_opt(&who, &[&hash.0.as_slice()]).map_err(pg_err)?;
            let (user_id, user_name, device_id) = match uploader {
                Some(r) => (r.get(0), r.get(1), Some(r.get(2))),
                None => (None, None, None),
            };
            out.push(HistoryEntry {
                hash: hash.to_string(),
                actor: change.actor_id().to_hex_string(),
                seq: change.seq(),
                // Automerge records whole seconds.
                at: change.timestamp() * 1000,
                what: change.message().map(str::to_string),
                user_id,
                user_name,
                device_id,
            });
        }
        Ok(out)
    }

    fn registry_customer(&mut self, id: &str) -> Result<Option<Customer>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                "SELECT id, name, phone, address, tier, region, site_distance
                   FROM customers WHERE id = $1",
                &[&id],
            )
            .map_err(pg_err)?
            .map(|r| Customer {
                id: r.get(0),
                name: r.get(1),
                phone: r.get(2),
                address: r.get(3),
                tier: r.get(4),
                region: r.get(5),
                site_distance: r.get(6),
            }))
    }

    fn registry_product(&mut self, id: &str) -> Result<Option<RegisteredProduct>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                "SELECT id, customer_id, model, serial, purchase_date FROM products WHERE id = $1",
                &[&id],
            )
            .map_err(pg_err)?
            .map(|r| RegisteredProduct {
                customer_id: r.get(1),
                product: Product {
                    id: r.get(0),
                    model: r.get(2),
                    serial: r.get(3),
                    purchase_date: r.get(4),
                },
            }))
    }
}

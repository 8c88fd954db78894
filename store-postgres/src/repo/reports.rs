//! [`onsite_store::repo::Reports`] on PostgreSQL: the queries of store-sqlite's `reports`
//! modules, giving the same rows for the same data.
//!
//! Text keys are ordered `COLLATE "C"` (byte order, as SQLite compares), whatever the
//! database's collation; months are cut in UTC from whole seconds, as SQLite's
//! `strftime(…, ms / 1000, 'unixepoch')`; sums are cast back to `BIGINT` and averages
//! computed as `SUM / COUNT` in double precision, which is how SQLite averages integers.

use onsite_domain::survey::Round;
use onsite_store::repo::Reports;
use onsite_store::report::callback::{self, CallbackCandidate};
use onsite_store::report::corrective::{self as co, CorrectiveAction, VERIFICATION_REQUIRED};
use onsite_store::report::parts::{Batch, Consumption, NewBatch, Remaining};
use onsite_store::report::routine::{
    DUPLICATE_RESPONSE, Response, SURVEY_EXISTS, SubjectTotals, Survey, SurveyTotals,
};
use onsite_store::report::satisfaction::{self as sat, Sums, Totals};
use onsite_store::report::service_levels::{self as sla, FlagCounts, Levels, LevelsQuery, Met};
use onsite_store::report::{Period, truncate};
use onsite_store::{RepoError, StoreError};
use postgres::types::ToSql;
use postgres::{Row, Transaction};

use crate::unit::{PgUnit, pg_err};

/// A count as the read models hold it (never negative).
fn count(r: &Row, at: usize) -> u64 {
    u64::try_from(r.get::<_, i64>(at)).unwrap_or(0)
}

/// `answered, points, satisfied` from three columns starting at `at`.
fn sums(r: &Row, at: usize) -> Sums {
    Sums {
        answered: count(r, at),
        points: r.get(at + 1),
        satisfied: count(r, at + 2),
    }
}

/// The local calendar month (`YYYY-MM`) of a millisecond timestamp column, as a `CASE`
/// over the ends of the period's months in its time zone: exact in any zone, daylight
/// saving included. The SQL holds only numbers and labels made by `Period::month_ends`.
fn month_of(col: &str, period: &Period) -> String {
    let months = period.month_ends();
    let mut sql = String::from("CASE");
    for (label, end) in &months {
        sql.push_str(&format!(" WHEN {col} < {end} THEN '{label}'"));
    }
    let last = months.last().map_or("", |(label, _)| label.as_str());
    sql.push_str(&format!(" ELSE '{last}' END"));
    sql
}

/// The SQL of each satisfaction group, fixed here, never built from input.
fn satisfaction_key(group: sat::Group, period: &Period) -> String {
    match group {
        sat::Group::All => "''::TEXT".into(),
        sat::Group::Technician => "COALESCE(j.assignee, '')".into(),
        sat::Group::CustomerTier => "j.customer_tier".into(),
        sat::Group::ProductModel => "j.product_model".into(),
        sat::Group::Region => "j.customer_region".into(),
        sat::Group::Month => month_of("f.submitted_at", period),
    }
}

/// The forms that count, with their jobs.
const FORMS: &str = "
    FROM job_forms f
    JOIN jobs j ON j.doc_id = f.doc_id
   WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= $1 AND f.submitted_at < $2
     AND f.respondent IN ('self', 'survey', 'callback') AND f.answered > 0
     AND ($3::TEXT IS NULL OR j.assignee = $3) AND ($4::TEXT IS NULL OR j.customer_tier = $4)
     AND ($5::TEXT IS NULL OR j.product_model = $5) AND ($6::TEXT IS NULL OR j.customer_region = $6)";

/// The answers of the forms that count.
const ANSWERS: &str = "
    FROM form_answers a
    JOIN job_forms f ON f.doc_id = a.doc_id AND f.form_id = a.form_id
    JOIN jobs j ON j.doc_id = a.doc_id
   WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= $1 AND f.submitted_at < $2
     AND f.respondent IN ('self', 'survey', 'callback')
     AND ($3::TEXT IS NULL OR j.assignee = $3) AND ($4::TEXT IS NULL OR j.customer_tier = $4)
     AND ($5::TEXT IS NULL OR j.product_model = $5) AND ($6::TEXT IS NULL OR j.customer_region = $6)";

const CORRECTIVE: &str = "
    SELECT c.id, c.doc_id, c.form_id, c.item_id, c.points, c.owner, c.department, c.due_date,
           c.status, c.verification, c.created_at, c.updated_at, j.assignee, j.customer_name,
           j.product_model
      FROM corrective_actions c JOIN jobs j ON j.doc_id = c.doc_id";

fn corrective_row(r: &Row) -> CorrectiveAction {
    let item: String = r.get(3);
    let labels = onsite_domain::forms::item_labels(&item);
    let points: i64 = r.get(4);
    CorrectiveAction {
        id: r.get(0),
        job_id: r.get(1),
        form_id: r.get(2),
        item_label_zh: labels.map(|l| l.label_zh.to_string()),
        item_label_en: labels.map(|l| l.label_en.to_string()),
        item,
        points,
        level_zh: onsite_domain::forms::Level::from_points(points)
            .map(|l| l.label_zh().to_string()),
        owner: r.get(5),
        department: r.get(6),
        due_date: r.get(7),
        status: r.get(8),
        verification: r.get(9),
        created_at: r.get(10),
        updated_at: r.get(11),
        technician: r.get(12),
        customer_name: r.get(13),
        product_model: r.get(14),
    }
}

const SURVEY: &str = "SELECT id, tier, round, template_id, template_version, title, created_at,
                             created_by FROM routine_surveys";

fn survey_row(r: &Row) -> Result<Survey, StoreError> {
    let round: String = r.get(2);
    // Only parsed rounds are ever stored: one that does not parse is a corrupt row.
    let round = Round::parse(&round)
        .map_err(|e| StoreError::Database(format!("routine survey round: {e}")))?;
    Ok(Survey {
        id: r.get(0),
        tier: r.get(1),
        round,
        template_id: r.get(3),
        template_version: r.get(4),
        title: r.get(5),
        created_at: r.get(6),
        created_by: r.get(7),
    })
}

fn select(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    tx.query(sql, params).map_err(pg_err)
}

fn corrective_action(
    tx: &mut Transaction<'_>,
    id: i64,
) -> Result<Option<CorrectiveAction>, StoreError> {
    Ok(tx
        .query_opt(&format!("{CORRECTIVE} WHERE c.id = $1"), &[&id])
        .map_err(pg_err)?
        .map(|r| corrective_row(&r)))
}

impl Reports for PgUnit<'_, '_> {
    fn satisfaction_totals(
        &mut self,
        period: &Period,
        group: sat::Group,
        filter: &sat::Filter,
    ) -> Result<Vec<(String, Totals)>, StoreError> {
        let sql = format!(
            "SELECT k, is_self, n, points, satisfied FROM (
                SELECT {key} AS k, f.respondent = 'self' AS is_self,
                       SUM(f.answered)::BIGINT AS n, SUM(f.points)::BIGINT AS points,
                       SUM(f.satisfied)::BIGINT AS satisfied
                {FORMS}
                GROUP BY 1, 2) g
             ORDER BY k COLLATE \"C\", is_self",
            key = satisfaction_key(group, period)
        );
        let rows = select(
            self.tx(),
            &sql,
            &[
                &period.start_ms(),
                &period.end_ms(),
                &filter.technician,
                &filter.customer_tier,
                &filter.product_model,
                &filter.region,
            ],
        )?;
        let mut out: Vec<(String, Totals)> = Vec::new();
        for r in &rows {
            let key = r.get::<_, Option<String>>(0).unwrap_or_default();
            let is_self: bool = r.get(1);
            let s = sums(r, 2);
            if out.last().is_none_or(|(k, _)| *k != key) {
                out.push((key, Totals::default()));
            }
            if let Some((_, t)) = out.last_mut() {
                if is_self {
                    t.self_assessment = s;
                } else {
                    t.survey = s;
                }
            }
        }
        Ok(out)
    }

    fn satisfaction_items(
        &mut self,
        period: &Period,
        filter: &sat::Filter,
    ) -> Result<Vec<(String, Sums)>, StoreError> {
        let sql = format!(
            "SELECT a.item_id, COUNT(*), SUM(a.points)::BIGINT,
                    COUNT(*) FILTER (WHERE a.points >= 6)
             {ANSWERS}
             GROUP BY a.item_id
             ORDER BY SUM(a.points)::DOUBLE PRECISION / COUNT(*), a.item_id COLLATE \"C\""
        );
        let rows = select(
            self.tx(),
            &sql,
            &[
                &period.start_ms(),
                &period.end_ms(),
                &filter.technician,
                &filter.customer_tier,
                &filter.product_model,
                &filter.region,
            ],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), sums(r, 1))).collect())
    }

    fn service_levels(
        &mut self,
        q: &LevelsQuery,
        group: sla::Group,
    ) -> Result<Vec<(String, Levels)>, StoreError> {
        let key = match group {
            sla::Group::All => "''::TEXT".to_string(),
            sla::Group::Technician => "COALESCE(assignee, '')".to_string(),
            sla::Group::Month => month_of("reported_at", &q.period),
        };
        let sql = format!(
            "SELECT ({key}) COLLATE \"C\" AS k, COUNT(*),
                    COUNT(response_ms), COUNT(*) FILTER (WHERE response_ms <= $5),
                    COUNT(arrival_ms),
                    COUNT(*) FILTER (WHERE arrival_ms <= CASE site_distance WHEN 'far' THEN $7::BIGINT ELSE $6::BIGINT END),
                    COUNT(diagnosis_ms), COUNT(*) FILTER (WHERE diagnosis_ms <= $8),
                    COUNT(handling_ms), COUNT(*) FILTER (WHERE handling_ms <= $9),
                    SUM(handling_ms)::DOUBLE PRECISION / NULLIF(COUNT(handling_ms), 0),
                    COUNT(*) FILTER (WHERE (time_flags & 1) <> 0),
                    COUNT(*) FILTER (WHERE (time_flags & 2) <> 0),
                    COUNT(*) FILTER (WHERE (time_flags & 4) <> 0),
                    COUNT(*) FILTER (WHERE time_flags <> 0)
               FROM jobs
              WHERE reported_at >= $1 AND reported_at < $2 AND status <> 'cancelled'
                AND ($3::TEXT IS NULL OR assignee = $3) AND ($4::BOOLEAN IS NULL OR complaint = $4)
              GROUP BY 1 ORDER BY 1"
        );
        let t = &q.targets;
        let rows = select(
            self.tx(),
            &sql,
            &[
                &q.period.start_ms(),
                &q.period.end_ms(),
                &q.technician,
                &q.complaint,
                &t.response_ms,
                &t.arrival_near_ms,
                &t.arrival_far_ms,
                &t.diagnosis_ms,
                &t.handling_avg_ms,
            ],
        )?;
        let met = |r: &Row, at: usize| Met {
            measured: count(r, at),
            met: count(r, at + 1),
        };
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get::<_, Option<String>>(0).unwrap_or_default(),
                    Levels {
                        jobs: count(r, 1),
                        response: met(r, 2),
                        arrival: met(r, 4),
                        diagnosis: met(r, 6),
                        handling: met(r, 8),
                        handling_avg_ms: r.get(10),
                        time_flags: FlagCounts {
                            future: count(r, 11),
                            before_creation: count(r, 12),
                            clock_off: count(r, 13),
                            jobs: count(r, 14),
                        },
                    },
                )
            })
            .collect())
    }

    fn parts_consumption(
        &mut self,
        period: &Period,
        product_model: Option<&str>,
        sku: Option<&str>,
    ) -> Result<Vec<Consumption>, StoreError> {
        let rows = select(
            self.tx(),
            "SELECT p.sku, MAX(p.name COLLATE \"C\"), j.product_model, COUNT(*),
                    SUM(p.quantity)::BIGINT,
                    SUM(CASE WHEN p.billable THEN p.quantity ELSE 0 END)::BIGINT,
                    SUM(CASE WHEN p.billable THEN 0 ELSE p.quantity END)::BIGINT,
                    SUM(p.quantity * p.unit_price_cents)::BIGINT
               FROM job_parts p JOIN jobs j ON j.doc_id = p.doc_id
              WHERE p.at >= $1 AND p.at < $2
                AND ($3::TEXT IS NULL OR j.product_model = $3) AND ($4::TEXT IS NULL OR p.sku = $4)
              GROUP BY p.sku, j.product_model
              ORDER BY p.sku COLLATE \"C\", j.product_model COLLATE \"C\"",
            &[&period.start_ms(), &period.end_ms(), &product_model, &sku],
        )?;
        Ok(rows
            .iter()
            .map(|r| Consumption {
                sku: r.get(0),
                name: r.get(1),
                product_model: r.get(2),
                lines: count(r, 3),
                quantity: r.get(4),
                billable_quantity: r.get(5),
                warranty_quantity: r.get(6),
                cost_cents: r.get(7),
            })
            .collect())
    }

    fn parts_remaining(
        &mut self,
        period: &Period,
        product_model: Option<&str>,
        sku: Option<&str>,
    ) -> Result<Vec<Remaining>, StoreError> {
        let rows = select(self.tx(),
            "SELECT b.product_model, b.sku, b.bought,
                    COALESCE((SELECT SUM(p.quantity) FROM job_parts p JOIN jobs j ON j.doc_id = p.doc_id
                               WHERE p.sku = b.sku AND j.product_model = b.product_model
                                 AND p.at < $2), 0)::BIGINT
               FROM (SELECT product_model, sku, SUM(quantity)::BIGINT AS bought FROM parts_batches
                      WHERE bought_on COLLATE \"C\" <= $1
                        AND ($3::TEXT IS NULL OR product_model = $3) AND ($4::TEXT IS NULL OR sku = $4)
                      GROUP BY product_model, sku) b
              ORDER BY b.product_model COLLATE \"C\", b.sku COLLATE \"C\"",
            &[
                &period.to.format("%Y-%m-%d").to_string(),
                &period.end_ms(),
                &product_model,
                &sku,
            ],
        )?;
        Ok(rows
            .iter()
            .map(|r| Remaining {
                product_model: r.get(0),
                sku: r.get(1),
                bought: r.get(2),
                used: r.get(3),
            })
            .collect())
    }

    fn add_parts_batch(&mut self, b: &NewBatch) -> Result<Batch, StoreError> {
        let id: i64 = self
            .tx()
            .query_one(
                "INSERT INTO parts_batches (sku, product_model, quantity, bought_on, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &b.sku,
                    &b.product_model,
                    &b.quantity,
                    &b.bought_on,
                    &b.created_at,
                ],
            )
            .map_err(pg_err)?
            .get(0);
        Ok(Batch {
            id,
            sku: b.sku.clone(),
            product_model: b.product_model.clone(),
            quantity: b.quantity,
            bought_on: b.bought_on.clone(),
        })
    }

    fn corrective_actions(
        &mut self,
        f: &co::Filter,
    ) -> Result<(Vec<CorrectiveAction>, u64), StoreError> {
        let where_ = "
         WHERE ($1::TEXT IS NULL OR c.status = $1) AND ($2::TEXT IS NULL OR c.department = $2)
           AND ($3::TEXT IS NULL OR c.doc_id = $3)
           AND ($4::TEXT IS NULL OR (c.due_date COLLATE \"C\" < $4 AND c.status <> 'verified'))
           AND ($5::BIGINT IS NULL OR c.created_at >= $5) AND ($6::BIGINT IS NULL OR c.created_at < $6)";
        let from = f.period.map(|p| p.start_ms());
        let to = f.period.map(|p| p.end_ms());
        let total: i64 = self
            .tx()
            .query_one(
                &format!("SELECT COUNT(*) FROM corrective_actions c {where_}"),
                &[&f.status, &f.department, &f.job, &f.overdue_on, &from, &to],
            )
            .map_err(pg_err)?
            .get(0);
        let rows = select(
            self.tx(),
            &format!(
                "{CORRECTIVE} {where_} ORDER BY c.due_date COLLATE \"C\", c.id LIMIT $7 OFFSET $8"
            ),
            &[
                &f.status,
                &f.department,
                &f.job,
                &f.overdue_on,
                &from,
                &to,
                &i64::from(f.limit),
                &i64::from(f.offset),
            ],
        )?;
        Ok((
            rows.iter().map(corrective_row).collect(),
            u64::try_from(total).unwrap_or(0),
        ))
    }

    fn update_corrective_action(
        &mut self,
        id: i64,
        u: &co::Update,
        now_ms: i64,
    ) -> Result<Option<CorrectiveAction>, RepoError> {
        let Some(current) = corrective_action(self.tx(), id)? else {
            return Ok(None);
        };
        let status = u.status.clone().unwrap_or(current.status);
        let verification = u.verification.clone().unwrap_or(current.verification);
        if status == "verified" && verification.trim().is_empty() {
            return Err(RepoError::refused(
                VERIFICATION_REQUIRED,
                "an action is verified only with a description of the verification",
            ));
        }
        self.tx()
            .execute(
                "UPDATE corrective_actions SET owner = COALESCE($2, owner),
                     department = COALESCE($3, department), due_date = COALESCE($4, due_date),
                     status = $5, verification = $6, updated_at = $7
                 WHERE id = $1",
                &[
                    &id,
                    &u.owner,
                    &u.department,
                    &u.due_date,
                    &status,
                    &verification,
                    &now_ms,
                ],
            )
            .map_err(pg_err)?;
        Ok(corrective_action(self.tx(), id)?)
    }

    fn callback_sample(
        &mut self,
        month: &Period,
        size: usize,
    ) -> Result<Vec<CallbackCandidate>, StoreError> {
        // A customer is their id when the job has one, else name and phone. The candidates
        // come in a total order (one row per customer), so the seeded draw picks the same
        // customers as on any other backend.
        let rows = select(self.tx(),
            "SELECT customer, doc_id, customer_name, customer_phone, customer_tier, product_model,
                    completed_at, assignee,
                    EXISTS (SELECT 1 FROM job_forms f WHERE f.doc_id = c.doc_id
                             AND f.respondent = 'callback' AND f.submitted_at IS NOT NULL)
               FROM (SELECT CASE customer_id WHEN '' THEN customer_name || '|' || customer_phone
                            ELSE customer_id END AS customer,
                            doc_id, customer_name, customer_phone, customer_tier, product_model,
                            completed_at, assignee,
                            ROW_NUMBER() OVER (
                                PARTITION BY CASE customer_id WHEN '' THEN customer_name || '|' || customer_phone
                                             ELSE customer_id END
                                ORDER BY completed_at DESC, doc_id COLLATE \"C\") AS n
                       FROM jobs
                      WHERE status = 'completed' AND completed_at >= $1 AND completed_at < $2) c
              WHERE n = 1
              ORDER BY customer COLLATE \"C\"",
            &[&month.start_ms(), &month.end_ms()],
        )?;
        let candidates: Vec<CallbackCandidate> = rows
            .iter()
            .map(|r| CallbackCandidate {
                customer: r.get(0),
                job_id: r.get(1),
                customer_name: r.get(2),
                customer_phone: r.get(3),
                customer_tier: r.get(4),
                product_model: r.get(5),
                completed_at: r.get(6),
                technician: r.get(7),
                called: r.get(8),
            })
            .collect();
        Ok(callback::draw(month, &candidates, size))
    }

    fn routine_survey(&mut self, id: &str) -> Result<Option<Survey>, StoreError> {
        self.tx()
            .query_opt(&format!("{SURVEY} WHERE id = $1"), &[&id])
            .map_err(pg_err)?
            .map(|r| survey_row(&r))
            .transpose()
    }

    fn routine_survey_of(
        &mut self,
        tier: &str,
        round: &Round,
    ) -> Result<Option<Survey>, StoreError> {
        self.tx()
            .query_opt(
                &format!("{SURVEY} WHERE tier = $1 AND round = $2"),
                &[&tier, &round.to_string()],
            )
            .map_err(pg_err)?
            .map(|r| survey_row(&r))
            .transpose()
    }

    fn create_routine_survey(&mut self, s: &Survey) -> Result<(), RepoError> {
        if let Some(existing) = self.routine_survey_of(&s.tier, &s.round)? {
            return Err(RepoError::refused(
                SURVEY_EXISTS,
                format!(
                    "this tier already has a survey for that round: {}",
                    existing.id
                ),
            ));
        }
        self.tx()
            .execute(
                "INSERT INTO routine_surveys (id, tier, round, template_id, template_version,
                                              title, created_at, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &s.id,
                    &s.tier,
                    &s.round.to_string(),
                    &s.template_id,
                    &s.template_version,
                    &s.title,
                    &s.created_at,
                    &s.created_by,
                ],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn routine_surveys(&mut self, tier: Option<&str>) -> Result<Vec<SurveyTotals>, StoreError> {
        let rows = select(
            self.tx(),
            "SELECT s.id, s.tier, s.round, s.template_id, s.template_version, s.title,
                    s.created_at, s.created_by, COUNT(DISTINCT r.id), COUNT(a.item_id),
                    COALESCE(SUM(a.points), 0)::BIGINT, COUNT(*) FILTER (WHERE a.points >= 6)
               FROM routine_surveys s
               LEFT JOIN routine_responses r ON r.survey_id = s.id AND r.subject = ''
               LEFT JOIN routine_answers a ON a.response_id = r.id
              WHERE ($1::TEXT IS NULL OR s.tier = $1)
              GROUP BY s.id
              ORDER BY s.round COLLATE \"C\" DESC, s.tier COLLATE \"C\"",
            &[&tier],
        )?;
        rows.iter()
            .map(|r| {
                Ok(SurveyTotals {
                    survey: survey_row(r)?,
                    ours: SubjectTotals {
                        forms: count(r, 8),
                        sums: sums(r, 9),
                    },
                })
            })
            .collect()
    }

    fn routine_subjects(
        &mut self,
        survey_id: &str,
    ) -> Result<Vec<(String, SubjectTotals)>, StoreError> {
        let rows = select(
            self.tx(),
            "SELECT r.subject, COUNT(DISTINCT r.id), COUNT(a.item_id),
                    COALESCE(SUM(a.points), 0)::BIGINT, COUNT(*) FILTER (WHERE a.points >= 6)
               FROM routine_responses r LEFT JOIN routine_answers a ON a.response_id = r.id
              WHERE r.survey_id = $1
              GROUP BY r.subject ORDER BY r.subject COLLATE \"C\"",
            &[&survey_id],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    SubjectTotals {
                        forms: count(r, 1),
                        sums: sums(r, 2),
                    },
                )
            })
            .collect())
    }

    fn routine_items(&mut self, survey_id: &str) -> Result<Vec<(String, Sums)>, StoreError> {
        let rows = select(
            self.tx(),
            "SELECT a.item_id, COUNT(*), SUM(a.points)::BIGINT,
                    COUNT(*) FILTER (WHERE a.points >= 6)
               FROM routine_answers a JOIN routine_responses r ON r.id = a.response_id
              WHERE r.survey_id = $1 AND r.subject = ''
              GROUP BY a.item_id
              ORDER BY SUM(a.points)::DOUBLE PRECISION / COUNT(*), a.item_id COLLATE \"C\"",
            &[&survey_id],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), sums(r, 1))).collect())
    }

    fn record_routine_response(&mut self, response: &Response) -> Result<(), RepoError> {
        if self.routine_survey(&response.survey_id)?.is_none() {
            return Err(RepoError::refused(
                "not_found",
                format!("no routine survey {:?}", truncate(&response.survey_id)),
            ));
        }
        let subject = response.competitor.as_deref().unwrap_or("");
        // A savepoint: a form whose answers the database refuses leaves nothing behind, and
        // the unit's transaction stays usable.
        let mut tx = self.tx().transaction().map_err(pg_err)?;
        let taken: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM routine_responses
                                 WHERE survey_id = $1 AND subject = $2 AND customer = $3)",
                &[&response.survey_id, &subject, &response.customer],
            )
            .map_err(pg_err)?
            .get(0);
        if taken {
            return Err(RepoError::refused(
                DUPLICATE_RESPONSE,
                "this customer already returned a form about that subject in this round",
            ));
        }
        tx.execute(
            "INSERT INTO routine_responses (id, survey_id, customer, subject, respondent,
                                            suggestion, recorded_at, by_user)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &response.id,
                &response.survey_id,
                &response.customer,
                &subject,
                &response.respondent,
                &response.suggestion,
                &response.recorded_at,
                &response.by_user,
            ],
        )
        .map_err(pg_err)?;
        let insert = tx
            .prepare(
                "INSERT INTO routine_answers (response_id, item_id, points, comment)
                 VALUES ($1, $2, $3, $4)",
            )
            .map_err(pg_err)?;
        for (item, (points, comment)) in &response.answers {
            tx.execute(&insert, &[&response.id, item, points, comment])
                .map_err(pg_err)?;
        }
        tx.commit().map_err(pg_err)?;
        Ok(())
    }
}

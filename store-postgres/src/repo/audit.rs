//! [`onsite_store::repo::Audit`] on PostgreSQL.

use onsite_store::StoreError;
use onsite_store::repo::audit::{Audit, AuditAction, AuditEntry, AuditEvent, AuditQuery};

use crate::unit::{PgUnit, pg_err};

impl Audit for PgUnit<'_, '_> {
    fn record_audit(&mut self, event: &AuditEvent, at_ms: i64) -> Result<(), StoreError> {
        self.tx()
            .execute(
                "INSERT INTO audit_log (at, action, actor_id, actor, target_id, device_id, address, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &at_ms,
                    &event.action.as_str(),
                    &event.actor_id,
                    &event.actor,
                    &event.target_id,
                    &event.device_id,
                    &event.address,
                    &event.detail.to_string(),
                ],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn audit_log(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::from(query.limit);
        let rows = self
            .tx()
            .query(
                "SELECT seq, at, action, actor_id, actor, target_id, device_id, address, detail
                   FROM audit_log
                  WHERE seq > $1
                    AND ($2::TEXT IS NULL OR actor_id = $2 OR target_id = $2)
                    AND ($3::TEXT IS NULL OR action = $3)
                  ORDER BY seq
                  LIMIT $4",
                &[
                    &query.after,
                    &query.account_id,
                    &query.action.map(AuditAction::as_str),
                    &limit,
                ],
            )
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                let action: String = r.get(2);
                let detail: String = r.get(8);
                Ok(AuditEntry {
                    seq,
                    at: r.get(1),
                    action: AuditAction::parse(&action).ok_or_else(|| {
                        StoreError::Database(format!(
                            "audit entry {seq}: unknown action {action:?}"
                        ))
                    })?,
                    actor_id: r.get(3),
                    actor: r.get(4),
                    target_id: r.get(5),
                    device_id: r.get(6),
                    address: r.get(7),
                    detail: serde_json::from_str(&detail).map_err(|e| {
                        StoreError::Database(format!("audit entry {seq}: detail is not JSON: {e}"))
                    })?,
                })
            })
            .collect()
    }
}

//! [`onsite_store::repo::Audit`] on SQLite.

use onsite_store::StoreError;
use onsite_store::repo::audit::{Audit, AuditAction, AuditEntry, AuditEvent, AuditQuery};
use rusqlite::params;

use crate::backend::{SqliteUnit, db_err};

impl Audit for SqliteUnit<'_> {
    fn record_audit(&mut self, event: &AuditEvent, at_ms: i64) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO audit_log (at, action, actor_id, actor, target_id, device_id, address, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut insert| {
                insert.execute(params![
                    at_ms,
                    event.action.as_str(),
                    event.actor_id,
                    event.actor,
                    event.target_id,
                    event.device_id,
                    event.address,
                    event.detail.to_string(),
                ])
            })
            .map_err(db_err)?;
        Ok(())
    }

    fn audit_log(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut select = self
            .conn()
            .prepare_cached(
                "SELECT seq, at, action, actor_id, actor, target_id, device_id, address, detail
                   FROM audit_log
                  WHERE seq > ?1
                    AND (?2 IS NULL OR actor_id = ?2 OR target_id = ?2)
                    AND (?3 IS NULL OR action = ?3)
                  ORDER BY seq
                  LIMIT ?4",
            )
            .map_err(db_err)?;
        let rows = select
            .query_map(
                params![
                    query.after,
                    query.account_id,
                    query.action.map(AuditAction::as_str),
                    query.limit
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                },
            )
            .map_err(db_err)?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, at, action, actor_id, actor, target_id, device_id, address, detail) =
                row.map_err(db_err)?;
            entries.push(AuditEntry {
                seq,
                at,
                action: AuditAction::parse(&action).ok_or_else(|| {
                    StoreError::Database(format!("audit entry {seq}: unknown action {action:?}"))
                })?,
                actor_id,
                actor,
                target_id,
                device_id,
                address,
                detail: serde_json::from_str(&detail).map_err(|e| {
                    StoreError::Database(format!("audit entry {seq}: detail is not JSON: {e}"))
                })?,
            });
        }
        Ok(entries)
    }
}

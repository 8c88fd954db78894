//! Versioned satisfaction form templates. The built-in csat-onsite v1 is code; the back
//! office publishes further versions, or new templates, as rows that are never updated,
//! so an answered form's template id and version always mean the same items.

use onsite_domain::{FormItem, FormTemplate};
use onsite_store::RepoError;
use rusqlite::{Connection, OptionalExtension, params};

use super::seq;
use crate::backend::db_err;

const COLUMNS: &str =
    "template_id, version, title_zh, title_en, items, suggestion_zh, suggestion_en";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FormTemplate> {
    let items: String = r.get(4)?;
    let items: Vec<FormItem> = serde_json::from_str(&items).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(FormTemplate {
        id: r.get(0)?,
        version: r.get(1)?,
        title_zh: r.get(2)?,
        title_en: r.get(3)?,
        items,
        suggestion_zh: r.get(5)?,
        suggestion_en: r.get(6)?,
    })
}

/// One version of a template, the built-in one included.
pub fn get(conn: &Connection, id: &str, version: i64) -> rusqlite::Result<Option<FormTemplate>> {
    if FormTemplate::is_builtin(id, version) {
        return Ok(Some(FormTemplate::builtin()));
    }
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM form_templates WHERE template_id = ?1 AND version = ?2"
    ))?
    .query_row(params![id, version], row)
    .optional()
}

/// Publishes `draft` as the next version of its template (1 for a new template, 2 for the
/// first published csat-onsite, whose v1 is built in). Returns it with its version.
pub fn publish(
    conn: &mut Connection,
    draft: &FormTemplate,
    by: &str,
    now: i64,
) -> Result<FormTemplate, RepoError> {
    draft
        .validate()
        .map_err(|m| RepoError::refused("bad_template", m))?;
    let items = serde_json::to_string(&draft.items)
        .map_err(|e| RepoError::refused("bad_template", e.to_string()))?;
    let tx = conn.savepoint().map_err(db_err)?;
    let latest: Option<i64> = tx
        .query_row(
            "SELECT MAX(version) FROM form_templates WHERE template_id = ?1",
            [&draft.id],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    let builtin = FormTemplate::builtin();
    let floor = if draft.id == builtin.id {
        builtin.version
    } else {
        0
    };
    let version = latest.unwrap_or(0).max(floor) + 1;
    let at = seq::bump(&tx).map_err(db_err)?;
    tx.execute(
        "INSERT INTO form_templates (template_id, version, title_zh, title_en, items,
             suggestion_zh, suggestion_en, published_at, published_by, ref_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            draft.id,
            version,
            draft.title_zh,
            draft.title_en,
            items,
            draft.suggestion_zh,
            draft.suggestion_en,
            now,
            by,
            at
        ],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(FormTemplate {
        version,
        ..draft.clone()
    })
}

/// Every version of every template (or of one), the built-in first, then by id and
/// version.
pub fn list(conn: &Connection, id: Option<&str>) -> rusqlite::Result<Vec<FormTemplate>> {
    let builtin = FormTemplate::builtin();
    let mut out = Vec::new();
    if id.is_none_or(|id| id == builtin.id) {
        out.push(builtin);
    }
    let stored: Vec<FormTemplate> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM form_templates WHERE ?1 IS NULL OR template_id = ?1
              ORDER BY template_id, version"
        ))?
        .query_map([id], row)?
        .collect::<Result<_, _>>()?;
    out.extend(stored);
    Ok(out)
}

/// Versions published after reference sequence `after`, up to `head`.
pub fn changed_since(
    conn: &Connection,
    after: i64,
    head: i64,
) -> rusqlite::Result<Vec<FormTemplate>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM form_templates WHERE ref_seq > ?1 AND ref_seq <= ?2
          ORDER BY template_id, version"
    ))?
    .query_map(params![after, head], row)?
    .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn versions_are_assigned_and_never_rewritten() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let mut draft = FormTemplate::builtin();
        draft.items.truncate(3);
        draft.version = 77; // the publisher's choice is ignored
        let v2 = publish(&mut conn, &draft, "office", 1).unwrap();
        assert_eq!(v2.version, 2, "csat-onsite v1 is built in");
        let v3 = publish(&mut conn, &draft, "office", 2).unwrap();
        assert_eq!(v3.version, 3);
        let mut other = draft.clone();
        other.id = "callback".into();
        assert_eq!(publish(&mut conn, &other, "office", 3).unwrap().version, 1);
        assert_eq!(
            get(&conn, "csat-onsite", 1).unwrap().unwrap().items.len(),
            11
        );
        assert_eq!(
            get(&conn, "csat-onsite", 2).unwrap().unwrap().items.len(),
            3
        );
        assert_eq!(get(&conn, "csat-onsite", 9).unwrap(), None);
        let versions: Vec<(String, i64)> = list(&conn, None)
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.version))
            .collect();
        assert_eq!(
            versions,
            [
                ("csat-onsite".into(), 1),
                ("callback".into(), 1),
                ("csat-onsite".into(), 2),
                ("csat-onsite".into(), 3)
            ]
        );
        assert_eq!(changed_since(&conn, 0, 2).unwrap().len(), 2);
        let mut bad = draft;
        bad.items.clear();
        assert!(matches!(
            publish(&mut conn, &bad, "office", 4),
            Err(RepoError::Refused(onsite_store::Refused {
                code: "bad_template",
                ..
            }))
        ));
        assert_eq!(list(&conn, Some("csat-onsite")).unwrap().len(), 3);
    }
}

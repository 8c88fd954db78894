//! [`onsite_store::repo::Reference`] on PostgreSQL.
//!
//! The same queries as the embedded database, with two differences that keep the results
//! identical: text is ordered `COLLATE "C"` (SQLite compares bytes, whatever the
//! database's locale says), and searches fold ASCII letters on both sides, because
//! SQLite's `LIKE` ignores the case of ASCII letters only (PostgreSQL's `LIKE` ignores
//! none, `ILIKE` every script's).

use onsite_domain::{CatalogItem, FormItem, FormTemplate};
use onsite_store::repo::reference::{
    Balance, CatalogFilter, CatalogPatch, CustomerFilter, CustomerRecord, Page, ProductFilter,
    ProductRecord, Reference, Restock, RestockLine, StockFilter, like_pattern,
};
use onsite_store::{RepoError, StoreError};
use postgres::Row;

use crate::reference::bump;
use crate::unit::{PgUnit, pg_err};

const CUSTOMER: &str =
    "id, name, phone, address, tier, region, site_distance, created_at, updated_at";
const PRODUCT: &str = "id, customer_id, model, serial, purchase_date, created_at, updated_at";
const PART: &str = "sku, name, unit_price_cents, billable, active";
const TEMPLATE: &str =
    "template_id, version, title_zh, title_en, items, suggestion_zh, suggestion_en";

/// `column`, its ASCII capitals made small: compared `LIKE` with a [`search`] pattern.
fn folded(column: &str) -> String {
    format!("translate({column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')")
}

/// The pattern of a search text, ASCII-folded like the [`folded`] column it is matched with.
fn search(text: Option<&str>) -> Option<String> {
    text.map(|t| like_pattern(t).to_ascii_lowercase())
}

fn customer(r: &Row) -> CustomerRecord {
    CustomerRecord {
        id: r.get(0),
        name: r.get(1),
        phone: r.get(2),
        address: r.get(3),
        tier: r.get(4),
        region: r.get(5),
        site_distance: r.get(6),
        created_at: r.get(7),
        updated_at: r.get(8),
    }
}

fn product(r: &Row) -> ProductRecord {
    ProductRecord {
        id: r.get(0),
        customer_id: r.get(1),
        model: r.get(2),
        serial: r.get(3),
        purchase_date: r.get(4),
        created_at: r.get(5),
        updated_at: r.get(6),
    }
}

fn part(r: &Row) -> CatalogItem {
    CatalogItem {
        sku: r.get(0),
        name: r.get(1),
        unit_price_cents: r.get(2),
        billable: r.get(3),
        active: r.get(4),
    }
}

fn template(r: &Row) -> Result<FormTemplate, StoreError> {
    let id: String = r.get(0);
    let version: i64 = r.get(1);
    let items: String = r.get(4);
    let items: Vec<FormItem> = serde_json::from_str(&items)
        .map_err(|e| StoreError::Corrupt(format!("template {id} v{version}"), e.to_string()))?;
    Ok(FormTemplate {
        id,
        version,
        title_zh: r.get(2),
        title_en: r.get(3),
        items,
        suggestion_zh: r.get(5),
        suggestion_en: r.get(6),
    })
}

fn unknown_customer() -> RepoError {
    RepoError::refused("unknown_customer", "no customer has that customer_id")
}

impl PgUnit<'_, '_> {
    fn customer_exists(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx()
            .query_opt("SELECT 1 FROM customers WHERE id = $1", &[&id])
            .map_err(pg_err)?
            .is_some())
    }
}

impl Reference for PgUnit<'_, '_> {
    fn customer(&mut self, id: &str) -> Result<Option<CustomerRecord>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                &format!("SELECT {CUSTOMER} FROM customers WHERE id = $1"),
                &[&id],
            )
            .map_err(pg_err)?
            .as_ref()
            .map(customer))
    }

    fn product(&mut self, id: &str) -> Result<Option<ProductRecord>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                &format!("SELECT {PRODUCT} FROM products WHERE id = $1"),
                &[&id],
            )
            .map_err(pg_err)?
            .as_ref()
            .map(product))
    }

    fn create_customer(
        &mut self,
        c: &CustomerRecord,
        now: i64,
    ) -> Result<CustomerRecord, RepoError> {
        if self.customer_exists(&c.id)? {
            return Err(RepoError::refused(
                "id_taken",
                "a customer with that id exists",
            ));
        }
        self.tx()
            .execute(
                "INSERT INTO customers (id, name, phone, address, tier, region, site_distance,
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                &[
                    &c.id,
                    &c.name,
                    &c.phone,
                    &c.address,
                    &c.tier,
                    &c.region,
                    &c.site_distance,
                    &now,
                ],
            )
            .map_err(pg_err)?;
        Ok(CustomerRecord {
            created_at: now,
            updated_at: now,
            ..c.clone()
        })
    }

    fn update_customer(&mut self, c: &CustomerRecord) -> Result<(), StoreError> {
        self.tx()
            .execute(
                "UPDATE customers SET name = $2, phone = $3, address = $4, tier = $5,
                     region = $6, site_distance = $7, updated_at = $8 WHERE id = $1",
                &[
                    &c.id,
                    &c.name,
                    &c.phone,
                    &c.address,
                    &c.tier,
                    &c.region,
                    &c.site_distance,
                    &c.updated_at,
                ],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn create_product(&mut self, p: &ProductRecord, now: i64) -> Result<ProductRecord, RepoError> {
        if !self.customer_exists(&p.customer_id)? {
            return Err(unknown_customer());
        }
        let taken = self
            .tx()
            .query_opt("SELECT 1 FROM products WHERE id = $1", &[&p.id])
            .map_err(pg_err)?
            .is_some();
        if taken {
            return Err(RepoError::refused(
                "id_taken",
                "a product with that id exists",
            ));
        }
        self.tx()
            .execute(
                "INSERT INTO products (id, customer_id, model, serial, purchase_date,
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                &[
                    &p.id,
                    &p.customer_id,
                    &p.model,
                    &p.serial,
                    &p.purchase_date,
                    &now,
                ],
            )
            .map_err(pg_err)?;
        Ok(ProductRecord {
            created_at: now,
            updated_at: now,
            ..p.clone()
        })
    }

    fn update_product(&mut self, p: &ProductRecord) -> Result<(), RepoError> {
        if !self.customer_exists(&p.customer_id)? {
            return Err(unknown_customer());
        }
        self.tx()
            .execute(
                "UPDATE products SET customer_id = $2, model = $3, serial = $4,
                     purchase_date = $5, updated_at = $6 WHERE id = $1",
                &[
                    &p.id,
                    &p.customer_id,
                    &p.model,
                    &p.serial,
                    &p.purchase_date,
                    &p.updated_at,
                ],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn customers(&mut self, f: &CustomerFilter) -> Result<Page<CustomerRecord>, StoreError> {
        let pattern = search(f.text.as_deref());
        let filter = format!(
            "($1::TEXT IS NULL OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\')
             AND ($2::TEXT IS NULL OR tier = $2) AND ($3::TEXT IS NULL OR region = $3)",
            folded("name"),
            folded("phone"),
        );
        let tx = self.tx();
        let total: i64 = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM customers WHERE {filter}"),
                &[&pattern, &f.tier, &f.region],
            )
            .map_err(pg_err)?
            .get(0);
        let rows = tx
            .query(
                &format!(
                    "SELECT {CUSTOMER} FROM customers WHERE {filter}
                      ORDER BY name COLLATE \"C\", id COLLATE \"C\" LIMIT $4 OFFSET $5"
                ),
                &[
                    &pattern,
                    &f.tier,
                    &f.region,
                    &i64::from(f.limit),
                    &i64::from(f.offset),
                ],
            )
            .map_err(pg_err)?
            .iter()
            .map(customer)
            .collect();
        Ok(Page { rows, total })
    }

    fn products(&mut self, f: &ProductFilter) -> Result<Page<ProductRecord>, StoreError> {
        let pattern = search(f.serial.as_deref());
        let filter = format!(
            "($1::TEXT IS NULL OR customer_id = $1) AND ($2::TEXT IS NULL OR model = $2)
             AND ($3::TEXT IS NULL OR {} LIKE $3 ESCAPE '\\')",
            folded("serial"),
        );
        let tx = self.tx();
        let total: i64 = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM products WHERE {filter}"),
                &[&f.customer_id, &f.model, &pattern],
            )
            .map_err(pg_err)?
            .get(0);
        let rows = tx
            .query(
                &format!(
                    "SELECT {PRODUCT} FROM products WHERE {filter}
                      ORDER BY model COLLATE \"C\", serial COLLATE \"C\", id COLLATE \"C\"
                      LIMIT $4 OFFSET $5"
                ),
                &[
                    &f.customer_id,
                    &f.model,
                    &pattern,
                    &i64::from(f.limit),
                    &i64::from(f.offset),
                ],
            )
            .map_err(pg_err)?
            .iter()
            .map(product)
            .collect();
        Ok(Page { rows, total })
    }

    fn catalog_item(&mut self, sku: &str) -> Result<Option<CatalogItem>, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                &format!("SELECT {PART} FROM parts_catalog WHERE sku = $1"),
                &[&sku],
            )
            .map_err(pg_err)?
            .as_ref()
            .map(part))
    }

    fn create_catalog_item(&mut self, new: &CatalogItem, now: i64) -> Result<(), RepoError> {
        if self.catalog_item(&new.sku)?.is_some() {
            return Err(RepoError::refused(
                "sku_taken",
                format!("part {} is in the catalog already", new.sku),
            ));
        }
        let tx = self.tx();
        let at = bump(tx).map_err(StoreError::from)?;
        tx.execute(
            "INSERT INTO parts_catalog (sku, name, unit_price_cents, billable, active, ref_seq,
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            &[
                &new.sku,
                &new.name,
                &new.unit_price_cents,
                &new.billable,
                &new.active,
                &at,
                &now,
            ],
        )
        .map_err(pg_err)?;
        Ok(())
    }

    fn update_catalog_item(
        &mut self,
        sku: &str,
        patch: &CatalogPatch,
        now: i64,
    ) -> Result<Option<CatalogItem>, StoreError> {
        let Some(old) = self.catalog_item(sku)? else {
            return Ok(None);
        };
        let new = CatalogItem {
            sku: old.sku.clone(),
            name: patch.name.clone().unwrap_or_else(|| old.name.clone()),
            unit_price_cents: patch.unit_price_cents.unwrap_or(old.unit_price_cents),
            billable: patch.billable.unwrap_or(old.billable),
            active: patch.active.unwrap_or(old.active),
        };
        // An unchanged part keeps its sequence number, so devices are not sent it again.
        if new != old {
            let tx = self.tx();
            let at = bump(tx)?;
            tx.execute(
                "UPDATE parts_catalog SET name = $2, unit_price_cents = $3, billable = $4,
                     active = $5, ref_seq = $6, updated_at = $7 WHERE sku = $1",
                &[
                    &sku,
                    &new.name,
                    &new.unit_price_cents,
                    &new.billable,
                    &new.active,
                    &at,
                    &now,
                ],
            )
            .map_err(pg_err)?;
        }
        Ok(Some(new))
    }

    fn catalog(&mut self, f: &CatalogFilter) -> Result<Page<CatalogItem>, StoreError> {
        let pattern = search(f.text.as_deref());
        let filter = format!(
            "($1::BOOLEAN IS NULL OR active = $1)
             AND ($2::TEXT IS NULL OR {} LIKE $2 ESCAPE '\\' OR {} LIKE $2 ESCAPE '\\')",
            folded("sku"),
            folded("name"),
        );
        let tx = self.tx();
        let total: i64 = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM parts_catalog WHERE {filter}"),
                &[&f.active, &pattern],
            )
            .map_err(pg_err)?
            .get(0);
        let rows = tx
            .query(
                &format!(
                    "SELECT {PART} FROM parts_catalog WHERE {filter}
                      ORDER BY sku COLLATE \"C\" LIMIT $3 OFFSET $4"
                ),
                &[
                    &f.active,
                    &pattern,
                    &i64::from(f.limit),
                    &i64::from(f.offset),
                ],
            )
            .map_err(pg_err)?
            .iter()
            .map(part)
            .collect();
        Ok(Page { rows, total })
    }

    fn template(&mut self, id: &str, version: i64) -> Result<Option<FormTemplate>, StoreError> {
        if FormTemplate::is_builtin(id, version) {
            return Ok(Some(FormTemplate::builtin()));
        }
        self.tx()
            .query_opt(
                &format!(
                    "SELECT {TEMPLATE} FROM form_templates WHERE template_id = $1 AND version = $2"
                ),
                &[&id, &version],
            )
            .map_err(pg_err)?
            .as_ref()
            .map(template)
            .transpose()
    }

    fn publish_template(
        &mut self,
        draft: &FormTemplate,
        by: &str,
        now: i64,
    ) -> Result<FormTemplate, RepoError> {
        draft
            .validate()
            .map_err(|m| RepoError::refused("bad_template", m))?;
        let items = serde_json::to_string(&draft.items)
            .map_err(|e| RepoError::refused("bad_template", e.to_string()))?;
        let tx = self.tx();
        let latest: Option<i64> = tx
            .query_one(
                "SELECT MAX(version) FROM form_templates WHERE template_id = $1",
                &[&draft.id],
            )
            .map_err(pg_err)?
            .get(0);
        let builtin = FormTemplate::builtin();
        // The built-in template's first published version follows the one in code.
        let floor = if draft.id == builtin.id {
            builtin.version
        } else {
            0
        };
        let version = latest.unwrap_or(0).max(floor) + 1;
        let at = bump(tx).map_err(StoreError::from)?;
        tx.execute(
            "INSERT INTO form_templates (template_id, version, title_zh, title_en, items,
                 suggestion_zh, suggestion_en, published_at, published_by, ref_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &draft.id,
                &version,
                &draft.title_zh,
                &draft.title_en,
                &items,
                &draft.suggestion_zh,
                &draft.suggestion_en,
                &now,
                &by,
                &at,
            ],
        )
        .map_err(pg_err)?;
        Ok(FormTemplate {
            version,
            ..draft.clone()
        })
    }

    fn templates(&mut self, id: Option<&str>) -> Result<Vec<FormTemplate>, StoreError> {
        let builtin = FormTemplate::builtin();
        let mut out = Vec::new();
        if id.is_none_or(|id| id == builtin.id) {
            out.push(builtin);
        }
        for r in self
            .tx()
            .query(
                &format!(
                    "SELECT {TEMPLATE} FROM form_templates
                      WHERE $1::TEXT IS NULL OR template_id = $1
                      ORDER BY template_id COLLATE \"C\", version"
                ),
                &[&id],
            )
            .map_err(pg_err)?
        {
            out.push(template(&r)?);
        }
        Ok(out)
    }

    fn restock(
        &mut self,
        technician: &str,
        lines: &[RestockLine],
        note: &str,
        by: &str,
        at: i64,
    ) -> Result<Vec<i64>, RepoError> {
        // Every line is checked before any is written: the unit's transaction goes on after
        // a refusal, so a refused restock must leave nothing behind.
        for line in lines {
            if line.quantity <= 0 {
                return Err(RepoError::refused(
                    "bad_quantity",
                    "a restock quantity must be positive",
                ));
            }
            match self.catalog_item(&line.sku)? {
                Some(item) if item.active => {}
                Some(_) => {
                    return Err(RepoError::refused(
                        "inactive_sku",
                        format!("part {} is no longer active in the catalog", line.sku),
                    ));
                }
                None => {
                    return Err(RepoError::refused(
                        "unknown_sku",
                        format!("no part {} in the catalog", line.sku),
                    ));
                }
            }
        }
        let tx = self.tx();
        let ref_seq = bump(tx).map_err(StoreError::from)?;
        let mut ids = Vec::with_capacity(lines.len());
        for line in lines {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO van_stock_ledger (user_id, sku, quantity, note, by_user, at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[&technician, &line.sku, &line.quantity, &note, &by, &at],
                )
                .map_err(pg_err)?
                .get(0);
            ids.push(id);
            tx.execute(
                "INSERT INTO van_stock_marks (user_id, sku, ref_seq) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, sku) DO UPDATE SET ref_seq = excluded.ref_seq",
                &[&technician, &line.sku, &ref_seq],
            )
            .map_err(pg_err)?;
        }
        Ok(ids)
    }

    fn stock_balances(&mut self, filter: &StockFilter) -> Result<Vec<Balance>, StoreError> {
        let rows = self
            .tx()
            .query(
                "WITH restocked AS (
                     SELECT user_id, sku, SUM(quantity)::BIGINT AS q FROM van_stock_ledger
                      WHERE ($1::TEXT IS NULL OR user_id = $1) AND ($2::TEXT IS NULL OR sku = $2)
                      GROUP BY user_id, sku),
                 used AS (
                     SELECT by_user AS user_id, sku, SUM(quantity)::BIGINT AS q FROM job_parts
                      WHERE ($1::TEXT IS NULL OR by_user = $1) AND ($2::TEXT IS NULL OR sku = $2)
                      GROUP BY by_user, sku),
                 pairs AS (SELECT user_id, sku FROM restocked UNION SELECT user_id, sku FROM used),
                 balances AS (
                     SELECT u.id, u.display_name, p.sku, COALESCE(c.name, '') AS name,
                            COALESCE(r.q, 0) AS restocked, COALESCE(x.q, 0) AS used,
                            COALESCE(r.q, 0) - COALESCE(x.q, 0) AS balance
                       FROM pairs p
                       JOIN users u ON u.id = p.user_id AND u.role = 'technician'
                       LEFT JOIN restocked r ON r.user_id = p.user_id AND r.sku = p.sku
                       LEFT JOIN used x ON x.user_id = p.user_id AND x.sku = p.sku
                       LEFT JOIN parts_catalog c ON c.sku = p.sku)
                 SELECT id, display_name, sku, name, restocked, used, balance FROM balances
                  WHERE $3::BOOLEAN IS NULL OR (balance < 0) = $3
                  ORDER BY display_name COLLATE \"C\", id COLLATE \"C\", sku COLLATE \"C\"",
                &[&filter.technician, &filter.sku, &filter.negative],
            )
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| {
                let balance: i64 = r.get(6);
                Balance {
                    technician_id: r.get(0),
                    technician_name: r.get(1),
                    sku: r.get(2),
                    name: r.get(3),
                    restocked: r.get(4),
                    used: r.get(5),
                    balance,
                    negative: balance < 0,
                }
            })
            .collect())
    }

    fn restocks(&mut self, technician: &str, limit: u32) -> Result<Vec<Restock>, StoreError> {
        Ok(self
            .tx()
            .query(
                "SELECT id, sku, quantity, note, by_user, at FROM van_stock_ledger
                  WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
                &[&technician, &i64::from(limit)],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| Restock {
                id: r.get(0),
                sku: r.get(1),
                quantity: r.get(2),
                note: r.get(3),
                by: r.get(4),
                at: r.get(5),
            })
            .collect())
    }
}

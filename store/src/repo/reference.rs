//! The customer and product registries, the parts catalog, form templates and van stock.
//!
//! Devices hold the catalog, the templates and their own van stock read-only and receive
//! them in the sync exchange; a backend stamps every write of those so that the sync's
//! reference read finds it. Customers and products are not synced: a job copies its
//! customer and product into its own document when it is created.

use onsite_domain::{CatalogItem, FormTemplate};

use crate::error::{RepoError, StoreError};
use crate::report::{Cell, Table};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CustomerRecord {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub address: String,
    /// `key` or `general` (or the company's own tiers: `diamond`, `gold`, …).
    pub tier: String,
    pub region: String,
    /// `near` or `far`: which arrival target applies.
    pub site_distance: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProductRecord {
    pub id: String,
    pub customer_id: String,
    pub model: String,
    pub serial: String,
    /// `YYYY-MM-DD`, when known; DAP is derived from it.
    pub purchase_date: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One page of a list, and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Matched anywhere in the name or the phone number.
    pub text: Option<String>,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub customer_id: Option<String>,
    pub model: Option<String>,
    /// Matched anywhere in the serial number.
    pub serial: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    pub active: Option<bool>,
    /// Matched anywhere in the SKU or the name.
    pub text: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// What an update of a catalog part may change; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct CatalogPatch {
    pub name: Option<String>,
    pub unit_price_cents: Option<i64>,
    pub billable: Option<bool>,
    pub active: Option<bool>,
}

/// One line of a restock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestockLine {
    pub sku: String,
    pub quantity: i64,
}

/// A technician's stock of one part, with how it came about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub technician_id: String,
    pub technician_name: String,
    pub sku: String,
    /// The catalog's name of the part; empty for a SKU outside the catalog (a parts line
    /// recorded with a free SKU still counts).
    pub name: String,
    pub restocked: i64,
    pub used: i64,
    pub balance: i64,
    pub negative: bool,
}

/// Which balances to list.
#[derive(Debug, Clone, Default)]
pub struct StockFilter {
    pub technician: Option<String>,
    pub sku: Option<String>,
    /// `Some(true)`: only negative balances; `Some(false)`: only the others.
    pub negative: Option<bool>,
}

/// One restock as the back office sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Restock {
    pub id: i64,
    pub sku: String,
    pub quantity: i64,
    pub note: String,
    /// Account id of the back-office user who recorded it.
    pub by: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

/// The customer and product registries, the parts catalog, form templates and van stock.
///
/// Refusals carry the API's codes: `id_taken`, `sku_taken` (409), `unknown_customer`,
/// `bad_template`, `bad_quantity`, `unknown_sku`, `inactive_sku` (422).
pub trait Reference {
    /// The customer with this id, if there is one.
    fn customer(&mut self, id: &str) -> Result<Option<CustomerRecord>, StoreError>;

    /// The product with this id, if there is one.
    fn product(&mut self, id: &str) -> Result<Option<ProductRecord>, StoreError>;

    /// Adds a customer, stamped `now`; refused `id_taken`.
    fn create_customer(
        &mut self,
        customer: &CustomerRecord,
        now: i64,
    ) -> Result<CustomerRecord, RepoError>;

    /// Writes every field of an existing customer but `id` and `created_at`.
    fn update_customer(&mut self, customer: &CustomerRecord) -> Result<(), StoreError>;

    /// Adds a product of a registered customer, stamped `now`; refused `unknown_customer`
    /// or `id_taken`.
    fn create_product(
        &mut self,
        product: &ProductRecord,
        now: i64,
    ) -> Result<ProductRecord, RepoError>;

    /// Writes every field of an existing product but `id` and `created_at`; refused
    /// `unknown_customer` when it moves to an unknown customer.
    fn update_product(&mut self, product: &ProductRecord) -> Result<(), RepoError>;

    /// A page of customers by name.
    fn customers(&mut self, filter: &CustomerFilter) -> Result<Page<CustomerRecord>, StoreError>;

    /// A page of products by model and serial.
    fn products(&mut self, filter: &ProductFilter) -> Result<Page<ProductRecord>, StoreError>;

    /// The catalog part with this SKU, if there is one.
    fn catalog_item(&mut self, sku: &str) -> Result<Option<CatalogItem>, StoreError>;

    /// Adds a part to the catalog (devices receive it); refused `sku_taken`.
    fn create_catalog_item(&mut self, item: &CatalogItem, now: i64) -> Result<(), RepoError>;

    /// Changes a part; `None` for an unknown SKU. A patch that changes nothing writes
    /// nothing, so devices are not sent the part again.
    fn update_catalog_item(
        &mut self,
        sku: &str,
        patch: &CatalogPatch,
        now: i64,
    ) -> Result<Option<CatalogItem>, StoreError>;

    /// A page of the catalog by SKU.
    fn catalog(&mut self, filter: &CatalogFilter) -> Result<Page<CatalogItem>, StoreError>;

    /// One version of a template, the built-in one included.
    fn template(&mut self, id: &str, version: i64) -> Result<Option<FormTemplate>, StoreError>;

    /// Publishes `draft` as the next version of its template (its own version is ignored)
    /// and returns it with the version given; refused `bad_template`.
    fn publish_template(
        &mut self,
        draft: &FormTemplate,
        by: &str,
        now: i64,
    ) -> Result<FormTemplate, RepoError>;

    /// Every version of every template (or of one), the built-in first, then by id and
    /// version.
    fn templates(&mut self, id: Option<&str>) -> Result<Vec<FormTemplate>, StoreError>;

    /// Records a restock of `technician`'s van, all lines or none, and returns the ids of
    /// its ledger rows; refused `bad_quantity`, `unknown_sku` or `inactive_sku`.
    fn restock(
        &mut self,
        technician: &str,
        lines: &[RestockLine],
        note: &str,
        by: &str,
        at: i64,
    ) -> Result<Vec<i64>, RepoError>;

    /// Balances of technicians, by technician name, then SKU.
    fn stock_balances(&mut self, filter: &StockFilter) -> Result<Vec<Balance>, StoreError>;

    /// The latest `limit` restocks of a technician, newest first.
    fn restocks(&mut self, technician: &str, limit: u32) -> Result<Vec<Restock>, StoreError>;
}

/// A search text as a `LIKE` pattern found anywhere: `%` and `_` are literal, not
/// wildcards (use with `ESCAPE '\'`). Every backend searches the same way.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|c| c.to_string()).collect()
}

/// The customer list as an export: Chinese labels first, as in every other list.
pub fn customers_table(rows: &[CustomerRecord]) -> Table {
    Table {
        title: "客户 customers".into(),
        columns: columns(&[
            "客户编号 id",
            "客户名称 name",
            "电话 phone",
            "地址 address",
            "客户等级 tier",
            "区域 region",
            "距离 site distance",
        ]),
        rows: rows
            .iter()
            .map(|c| {
                [
                    &c.id,
                    &c.name,
                    &c.phone,
                    &c.address,
                    &c.tier,
                    &c.region,
                    &c.site_distance,
                ]
                .into_iter()
                .map(|v| Cell::Text(v.clone()))
                .collect()
            })
            .collect(),
    }
}

pub fn products_table(rows: &[ProductRecord]) -> Table {
    Table {
        title: "产品 products".into(),
        columns: columns(&[
            "产品编号 id",
            "客户编号 customer id",
            "型号 model",
            "序列号 serial",
            "购买日期 purchase date",
        ]),
        rows: rows
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.id.clone()),
                    Cell::Text(p.customer_id.clone()),
                    Cell::Text(p.model.clone()),
                    Cell::Text(p.serial.clone()),
                    Cell::from(p.purchase_date.clone()),
                ]
            })
            .collect(),
    }
}

pub fn catalog_table(items: &[CatalogItem]) -> Table {
    Table {
        title: "配件目录 parts catalog".into(),
        columns: columns(&[
            "配件编号 SKU",
            "配件名称 part",
            "单价(分) unit price cents",
            "收费 billable",
            "在用 active",
        ]),
        rows: items
            .iter()
            .map(|i| {
                vec![
                    Cell::Text(i.sku.clone()),
                    Cell::Text(i.name.clone()),
                    Cell::Int(i.unit_price_cents),
                    Cell::Text(
                        if i.billable {
                            "收费 billable"
                        } else {
                            "保修 warranty"
                        }
                        .into(),
                    ),
                    Cell::Text(if i.active { "是 yes" } else { "否 no" }.into()),
                ]
            })
            .collect(),
    }
}

pub fn stock_table(rows: &[Balance]) -> Table {
    Table {
        title: "车载库存 van stock".into(),
        columns: columns(&[
            "技术员 technician",
            "配件编号 SKU",
            "配件名称 part",
            "补货 restocked",
            "已用 used",
            "库存 balance",
            "负库存 negative",
        ]),
        rows: rows
            .iter()
            .map(|b| {
                vec![
                    Cell::Text(b.technician_name.clone()),
                    Cell::Text(b.sku.clone()),
                    Cell::Text(b.name.clone()),
                    Cell::Int(b.restocked),
                    Cell::Int(b.used),
                    Cell::Int(b.balance),
                    Cell::Text(if b.negative { "是 yes" } else { "否 no" }.into()),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_the_wildcards_and_the_escape() {
        assert_eq!(super::like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(super::like_pattern(""), "%%");
        assert_eq!(super::like_pattern("继电器"), "%继电器%");
    }
}

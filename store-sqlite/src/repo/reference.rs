//! [`onsite_store::repo::Reference`] on SQLite.

use onsite_domain::{CatalogItem, FormTemplate};
use onsite_store::repo::reference::{
    Balance, CatalogFilter, CatalogPatch, CustomerFilter, CustomerRecord, Page, ProductFilter,
    ProductRecord, Reference, Restock, RestockLine, StockFilter,
};
use onsite_store::{RepoError, StoreError};

use crate::backend::{SqliteUnit, db_err};
use crate::reference::{catalog, registry, stock, templates};

impl Reference for SqliteUnit<'_> {
    fn customer(&mut self, id: &str) -> Result<Option<CustomerRecord>, StoreError> {
        registry::customer_by_id(self.conn(), id).map_err(db_err)
    }

    fn product(&mut self, id: &str) -> Result<Option<ProductRecord>, StoreError> {
        registry::product_by_id(self.conn(), id).map_err(db_err)
    }

    fn create_customer(
        &mut self,
        customer: &CustomerRecord,
        now: i64,
    ) -> Result<CustomerRecord, RepoError> {
        registry::create_customer(self.conn(), customer, now)
    }

    fn update_customer(&mut self, customer: &CustomerRecord) -> Result<(), StoreError> {
        registry::update_customer(self.conn(), customer).map_err(db_err)
    }

    fn create_product(
        &mut self,
        product: &ProductRecord,
        now: i64,
    ) -> Result<ProductRecord, RepoError> {
        registry::create_product(self.conn(), product, now)
    }

    fn update_product(&mut self, product: &ProductRecord) -> Result<(), RepoError> {
        registry::update_product(self.conn(), product)
    }

    fn customers(&mut self, filter: &CustomerFilter) -> Result<Page<CustomerRecord>, StoreError> {
        registry::customers(self.conn(), filter).map_err(db_err)
    }

    fn products(&mut self, filter: &ProductFilter) -> Result<Page<ProductRecord>, StoreError> {
        registry::products(self.conn(), filter).map_err(db_err)
    }

    fn catalog_item(&mut self, sku: &str) -> Result<Option<CatalogItem>, StoreError> {
        catalog::get(self.conn(), sku).map_err(db_err)
    }

    fn create_catalog_item(&mut self, item: &CatalogItem, now: i64) -> Result<(), RepoError> {
        catalog::create(self.conn(), item, now)
    }

    fn update_catalog_item(
        &mut self,
        sku: &str,
        patch: &CatalogPatch,
        now: i64,
    ) -> Result<Option<CatalogItem>, StoreError> {
        catalog::update(self.conn(), sku, patch, now).map_err(db_err)
    }

    fn catalog(&mut self, filter: &CatalogFilter) -> Result<Page<CatalogItem>, StoreError> {
        catalog::list(self.conn(), filter).map_err(db_err)
    }

    fn template(&mut self, id: &str, version: i64) -> Result<Option<FormTemplate>, StoreError> {
        templates::get(self.conn(), id, version).map_err(db_err)
    }

    fn publish_template(
        &mut self,
        draft: &FormTemplate,
        by: &str,
        now: i64,
    ) -> Result<FormTemplate, RepoError> {
        templates::publish(self.conn(), draft, by, now)
    }

    fn templates(&mut self, id: Option<&str>) -> Result<Vec<FormTemplate>, StoreError> {
        templates::list(self.conn(), id).map_err(db_err)
    }

    fn restock(
        &mut self,
        technician: &str,
        lines: &[RestockLine],
        note: &str,
        by: &str,
        at: i64,
    ) -> Result<Vec<i64>, RepoError> {
        stock::restock(self.conn(), technician, lines, note, by, at)
    }

    fn stock_balances(&mut self, filter: &StockFilter) -> Result<Vec<Balance>, StoreError> {
        stock::balances(self.conn(), filter).map_err(db_err)
    }

    fn restocks(&mut self, technician: &str, limit: u32) -> Result<Vec<Restock>, StoreError> {
        stock::restocks(self.conn(), technician, limit).map_err(db_err)
    }
}

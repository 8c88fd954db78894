//! The reference repository's contract, as tests over one unit of work: generic functions that
//! each backend runs on its own unit type with [`crate::unit_conformance_tests!`].
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use automerge::ActorId;
use onsite_domain::{CatalogItem, FormItem, FormTemplate, PartLine, Role, StockLevel};
use onsite_sync::server::{Peer, ReferenceRead, ServerStore};

use super::{T, created, doc_id, edited, office, technician};
use crate::repo::accounts::{Accounts, NewAccount};
use crate::repo::reference::{
    Balance, CatalogFilter, CatalogPatch, CustomerFilter, CustomerRecord, ProductFilter,
    ProductRecord, Reference, Restock, RestockLine, StockFilter,
};
use crate::{RepoError, StoreError};

fn customer(id: &str, name: &str, phone: &str, tier: &str, region: &str) -> CustomerRecord {
    CustomerRecord {
        id: id.into(),
        name: name.into(),
        phone: phone.into(),
        address: format!("address of {id}"),
        tier: tier.into(),
        region: region.into(),
        site_distance: "near".into(),
        created_at: 0,
        updated_at: 0,
    }
}

fn product(id: &str, customer_id: &str, model: &str, serial: &str) -> ProductRecord {
    ProductRecord {
        id: id.into(),
        customer_id: customer_id.into(),
        model: model.into(),
        serial: serial.into(),
        purchase_date: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn part(sku: &str, name: &str, unit_price_cents: i64, billable: bool, active: bool) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: name.into(),
        unit_price_cents,
        billable,
        active,
    }
}

fn line(sku: &str, quantity: i64) -> RestockLine {
    RestockLine {
        sku: sku.into(),
        quantity,
    }
}

fn level(sku: &str, balance: i64) -> StockLevel {
    StockLevel {
        sku: sku.into(),
        balance,
    }
}

/// The refusal's code, or a panic naming what came instead.
fn refusal<T: std::fmt::Debug>(outcome: Result<T, RepoError>) -> &'static str {
    match outcome {
        Err(RepoError::Refused(r)) => r.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn ids<T>(rows: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    rows.iter().map(|r| id(r).to_string()).collect()
}

fn customer_ids<U: Reference + ?Sized>(unit: &mut U, filter: CustomerFilter) -> (Vec<String>, i64) {
    let page = unit.customers(&filter).unwrap();
    (ids(&page.rows, |c| &c.id), page.total)
}

fn product_ids<U: Reference + ?Sized>(unit: &mut U, filter: ProductFilter) -> (Vec<String>, i64) {
    let page = unit.products(&filter).unwrap();
    (ids(&page.rows, |p| &p.id), page.total)
}

fn skus<U: Reference + ?Sized>(unit: &mut U, filter: CatalogFilter) -> (Vec<String>, i64) {
    let page = unit.catalog(&filter).unwrap();
    (ids(&page.rows, |i| &i.sku), page.total)
}

fn reference_read<U: ServerStore<Error = StoreError> + ?Sized>(
    unit: &mut U,
    peer: &Peer,
    after: u64,
) -> ReferenceRead {
    unit.read_reference(peer, after).unwrap()
}

fn head<U: ServerStore<Error = StoreError> + ?Sized>(unit: &mut U) -> u64 {
    reference_read(unit, &office(), 0).head
}

mod catalog;
mod registries;
mod stock;

pub use catalog::*;
pub use registries::*;
pub use stock::*;

/// The tests of this file, for [`crate::unit_conformance_tests!`].
///
#[macro_export]
#[doc(hidden)]
macro_rules! reference_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; reference;
            customers_are_created_once_found_by_id_and_updated,
            products_belong_to_registered_customers,
            customers_are_listed_by_name_filtered_and_paged,
            products_are_listed_by_model_and_serial_filtered_and_paged,
            catalog_parts_are_created_once_and_listed_by_sku,
            catalog_writes_reach_devices_through_the_reference_read,
            templates_are_versioned_after_the_builtin_and_reach_devices,
            a_bad_restock_line_refuses_the_whole_restock,
            restocks_are_listed_newest_first_per_technician,
            van_stock_reaches_the_technician_as_restocks_minus_their_parts_lines,
            stock_balances_are_listed_by_technician_and_part_and_filtered,
        );
    };
}

//! Realistic job content for the benchmark (docs/benchmarks.md scenario 1).

use onsite_client::{Client, NewJob, PartInput};
use onsite_domain::forms::DEFAULT_TEMPLATE_ITEMS;
use onsite_domain::{Customer, Product};

const FAULT: &str = "Customer reports the outdoor unit starts, runs for about ten minutes and then \
stops with error E4; the indoor fan keeps running. Started after the storm last week. \
Unit is on the third-floor balcony, access by stairs only.";

/// A technician's day of finished jobs, each with 8 events, 3 parts lines, one answered
/// csat-onsite form and 2 notes. Returns the job ids.
pub fn create_day(client: &Client, count: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        ids.push(create_job(client, i)?);
        if (i + 1) % 500 == 0 {
            eprintln!("  {} / {count}", i + 1);
        }
    }
    Ok(ids)
}

fn create_job(client: &Client, i: usize) -> anyhow::Result<String> {
    let id = client.create_job(NewJob {
        customer: Customer {
            id: format!("C{i:06}"),
            name: format!("张伟 {i}"),
            phone: format!("+86 138 {:04} {:04}", i / 10_000, i % 10_000),
            address: format!(
                "上海市浦东新区世纪大道 {} 号 {} 室",
                100 + i % 900,
                1 + i % 40
            ),
            tier: if i.is_multiple_of(5) {
                "key"
            } else {
                "general"
            }
            .into(),
            region: "east".into(),
            site_distance: if i.is_multiple_of(3) { "far" } else { "near" }.into(),
        },
        product: Product {
            id: String::new(),
            model: format!("AC-{}", 9000 + i % 7),
            serial: format!("SN{:010}", 7_000_000 + i),
            purchase_date: Some("2026-10-02".into()),
        },
        fault: FAULT.into(),
        complaint: i.is_multiple_of(17),
    })?;
    client.start_travel(&id)?;
    client.arrive(&id)?;
    client.diagnose(&id, "Capacitor of the outdoor fan motor failed; replaced.")?;
    for (n, (sku, name, cents)) in [
        ("CAP-35", "Run capacitor 35µF", 4_500),
        ("FUSE-3A", "Fuse 3 A", 300),
        ("GAS-R32", "R32 refill 500 g", 12_000),
    ]
    .into_iter()
    .enumerate()
    {
        client.record_part(
            &id,
            PartInput {
                sku: sku.into(),
                name: name.into(),
                quantity: 1 + n as i64 % 2,
                unit_price_cents: Some(cents),
                billable: Some(n == 2),
                serials_removed: vec![],
                serials_installed: vec![],
            },
        )?;
    }
    client.repair(
        &id,
        "Replaced capacitor and fuse, refilled refrigerant, tested 30 minutes.",
    )?;
    let form = client.start_form(&id, "survey")?;
    for (n, item) in DEFAULT_TEMPLATE_ITEMS.iter().enumerate() {
        let points = [10, 8, 10, 6, 8][(n + i) % 5];
        client.answer_item(&id, &form, item.id, points, "")?;
    }
    client.submit_form(&id, &form, "")?;
    client.add_note(&id, "Customer asked for a maintenance contract offer.")?;
    client.add_note(&id, "Old capacitor kept for the quality department.")?;
    client.complete(&id)?;
    Ok(id)
}

/// A status change (an event) and a note, offline.
pub fn sparse_edit(client: &Client, id: &str) -> anyhow::Result<()> {
    client.add_note(id, "Customer called back: unit running fine.")?;
    client.complete(id)?;
    Ok(())
}

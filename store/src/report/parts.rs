//! Parts (配件): consumption per part and product model in a period, and the remaining
//! coefficient (剩余系数 = stock left / stock bought) per model and part.

use super::{Cell, Dates, Table, pct};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Consumption {
    pub sku: String,
    pub name: String,
    pub product_model: String,
    pub lines: u64,
    pub quantity: i64,
    pub billable_quantity: i64,
    pub warranty_quantity: i64,
    pub cost_cents: i64,
}

/// Bought and used of one model and part, as of the end of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remaining {
    pub product_model: String,
    pub sku: String,
    pub bought: i64,
    pub used: i64,
}

impl Remaining {
    /// Below zero when more was used than bought: shown, never clamped.
    pub fn coefficient(&self) -> Option<f64> {
        (self.bought > 0).then(|| (self.bought - self.used) as f64 / self.bought as f64)
    }
}

/// [`Remaining`] as the API answers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RemainingFigures {
    pub product_model: String,
    pub sku: String,
    pub bought: i64,
    pub used: i64,
    pub left: i64,
    pub remaining_coefficient: Option<f64>,
}

impl From<&Remaining> for RemainingFigures {
    fn from(r: &Remaining) -> RemainingFigures {
        RemainingFigures {
            product_model: r.product_model.clone(),
            sku: r.sku.clone(),
            bought: r.bought,
            used: r.used,
            left: r.bought - r.used,
            remaining_coefficient: r.coefficient().map(|c| pct(c * 100.0) / 100.0),
        }
    }
}

/// `GET /v1/reports/parts`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PartsReport {
    pub period: Dates,
    pub consumption: Vec<Consumption>,
    pub remaining: Vec<RemainingFigures>,
    /// The rows behind `remaining`: the export is computed from them, unrounded.
    #[serde(skip)]
    pub remaining_rows: Vec<Remaining>,
}

impl PartsReport {
    pub fn new(period: Dates, consumption: Vec<Consumption>, remaining: Vec<Remaining>) -> Self {
        PartsReport {
            period,
            consumption,
            remaining: remaining.iter().map(RemainingFigures::from).collect(),
            remaining_rows: remaining,
        }
    }

    pub fn consumption_table(&self) -> Table {
        consumption_table(&self.consumption)
    }

    pub fn remaining_table(&self) -> Table {
        remaining_table(&self.remaining_rows)
    }
}

/// A batch of parts bought, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    pub sku: String,
    pub product_model: String,
    pub quantity: i64,
    /// `2026-11-30`.
    pub bought_on: String,
    pub created_at: i64,
}

/// A recorded batch, as `POST /v1/parts/batches` answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Batch {
    pub id: i64,
    pub sku: String,
    pub product_model: String,
    pub quantity: i64,
    pub bought_on: String,
}

pub fn consumption_table(rows: &[Consumption]) -> Table {
    Table {
        title: "配件消耗 parts consumption".into(),
        columns: [
            "配件编号 SKU",
            "配件名称 part",
            "产品型号 product model",
            "记录数 lines",
            "数量 quantity",
            "收费数量 billable",
            "保修数量 warranty",
            "金额(分) cost cents",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(c.sku.clone()),
                    Cell::Text(c.name.clone()),
                    Cell::Text(c.product_model.clone()),
                    Cell::Int(c.lines as i64),
                    Cell::Int(c.quantity),
                    Cell::Int(c.billable_quantity),
                    Cell::Int(c.warranty_quantity),
                    Cell::Int(c.cost_cents),
                ]
            })
            .collect(),
    }
}

pub fn remaining_table(rows: &[Remaining]) -> Table {
    Table {
        title: "剩余系数 remaining coefficient".into(),
        columns: [
            "产品型号 product model",
            "配件编号 SKU",
            "采购数量 bought",
            "使用数量 used",
            "剩余数量 left",
            "剩余系数 remaining coefficient",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.product_model.clone()),
                    Cell::Text(r.sku.clone()),
                    Cell::Int(r.bought),
                    Cell::Int(r.used),
                    Cell::Int(r.bought - r.used),
                    r.coefficient().map_or(Cell::Empty, |c| {
                        Cell::Num((c * 10_000.0).round() / 10_000.0)
                    }),
                ]
            })
            .collect(),
    }
}

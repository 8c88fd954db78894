//! Callback survey (回访): a reproducible random sample of a month's customers.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::{Cell, Period, Table};

fn seed(month: &Period) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"onsite callback sample ");
    h.update(month.from.format("%Y-%m").to_string().as_bytes());
    h.finalize().into()
}

/// Up to `size` of `candidates` (a month's, in customer order), drawn with a ChaCha
/// generator seeded from the month: every backend draws the same customers from the same
/// candidates, and asking twice gives the same sample.
pub fn draw(
    month: &Period,
    candidates: &[CallbackCandidate],
    size: usize,
) -> Vec<CallbackCandidate> {
    let mut rng = ChaCha8Rng::from_seed(seed(month));
    let n = size.min(candidates.len());
    let mut picked = rand::seq::index::sample(&mut rng, candidates.len(), n).into_vec();
    // The call list reads in customer order, whatever order the draw produced.
    picked.sort_unstable();
    picked
        .into_iter()
        .filter_map(|i| candidates.get(i).cloned())
        .collect()
}

/// A customer to call, with the job to call about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CallbackCandidate {
    /// The customer's id, or name and phone when the job has no id.
    pub customer: String,
    pub job_id: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_tier: String,
    pub product_model: String,
    pub completed_at: Option<i64>,
    pub technician: Option<String>,
    /// A callback survey was already recorded on the job.
    pub called: bool,
}

/// `GET /v1/surveys/callback-sample`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CallbackSample {
    /// `2026-11`.
    pub month: String,
    pub size: usize,
    pub sample: Vec<CallbackCandidate>,
}

impl CallbackSample {
    pub fn table(&self) -> Table {
        table(&self.sample)
    }
}

pub fn table(rows: &[CallbackCandidate]) -> Table {
    Table {
        title: "回访样本 callback sample".into(),
        columns: [
            "工单号 job",
            "客户 customer",
            "电话 phone",
            "客户等级 tier",
            "产品型号 model",
            "已回访 called",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.job_id.clone()),
                    Cell::Text(r.customer_name.clone()),
                    Cell::Text(r.customer_phone.clone()),
                    Cell::Text(r.customer_tier.clone()),
                    Cell::Text(r.product_model.clone()),
                    Cell::from(if r.called { "是 yes" } else { "否 no" }),
                ]
            })
            .collect(),
    }
}

//! Corrective actions (纠正措施): opened for every dissatisfied answer, listed and worked by
//! the back office.

use super::{Cell, Period, Table};

pub const STATUSES: [&str; 4] = ["open", "in_progress", "done", "verified"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Option<String>,
    pub department: Option<String>,
    pub job: Option<String>,
    /// Only the ones past their due date and not yet verified, as of this day.
    pub overdue_on: Option<String>,
    /// On the day the action was opened (the form's submission).
    pub period: Option<Period>,
    pub limit: u32,
    pub offset: u32,
}

/// One action, with what the list shows of its job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CorrectiveAction {
    pub id: i64,
    pub job_id: String,
    pub form_id: String,
    pub item: String,
    pub item_label_zh: Option<String>,
    pub item_label_en: Option<String>,
    pub points: i64,
    pub level_zh: Option<String>,
    pub owner: String,
    pub department: String,
    pub due_date: String,
    pub status: String,
    pub verification: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub technician: Option<String>,
    pub customer_name: String,
    pub product_model: String,
}

/// `GET /v1/corrective-actions`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CorrectiveList {
    pub corrective_actions: Vec<CorrectiveAction>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

/// A validated change to one action; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub owner: Option<String>,
    pub department: Option<String>,
    pub due_date: Option<String>,
    pub status: Option<String>,
    pub verification: Option<String>,
}

/// Why an update is refused: verified without a description of the verification.
pub const VERIFICATION_REQUIRED: &str = "verification_required";

impl CorrectiveList {
    pub fn table(&self) -> Table {
        table(&self.corrective_actions)
    }
}

pub fn table(rows: &[CorrectiveAction]) -> Table {
    Table {
        title: "纠正措施 corrective actions".into(),
        columns: [
            "编号 id",
            "工单号 job",
            "客户 customer",
            "产品型号 model",
            "项目 item",
            "评价 answer",
            "负责人 owner",
            "部门 department",
            "完成期限 due date",
            "状态 status",
            "验证 verification",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Int(r.id),
                    Cell::Text(r.job_id.clone()),
                    Cell::Text(r.customer_name.clone()),
                    Cell::Text(r.product_model.clone()),
                    Cell::Text(r.item_label_zh.clone().unwrap_or_else(|| r.item.clone())),
                    Cell::Text(r.level_zh.clone().unwrap_or_default()),
                    Cell::Text(r.owner.clone()),
                    Cell::Text(r.department.clone()),
                    Cell::Text(r.due_date.clone()),
                    Cell::Text(r.status.clone()),
                    Cell::Text(r.verification.clone()),
                ]
            })
            .collect(),
    }
}

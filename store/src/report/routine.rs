//! Routine surveys (定期满意度调查): rounds per customer tier, the forms customers return,
//! and the round's report with the validity and comparison rules of
//! `onsite_domain::survey`.

use std::collections::BTreeMap;

use onsite_domain::survey::{
    MIN_COMPETITOR_FORMS, MIN_VALID_FORMS, Round, is_comparable, is_valid,
};

use super::satisfaction::{ItemFigures, SideFigures, Sums};
use super::{Cell, Table, pct};
use crate::error::StoreError;
use crate::repo::Reports;

/// A round as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub id: String,
    pub tier: String,
    pub round: Round,
    pub template_id: String,
    pub template_version: i64,
    pub title: String,
    pub created_at: i64,
    pub created_by: String,
}

/// First and last month of a round, `2026-07` to `2026-09`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Months {
    pub from: String,
    pub to: String,
}

/// A round as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SurveyInfo {
    pub id: String,
    pub tier: String,
    /// `2026-Q3` or `2026-H2`.
    pub round: String,
    pub months: Months,
    pub template_id: String,
    pub template_version: i64,
    pub title: String,
    pub created_at: i64,
    pub created_by: String,
}

impl From<&Survey> for SurveyInfo {
    fn from(s: &Survey) -> SurveyInfo {
        let (first, last) = s.round.months();
        SurveyInfo {
            id: s.id.clone(),
            tier: s.tier.clone(),
            round: s.round.to_string(),
            months: Months {
                from: format!("{}-{first:02}", s.round.year),
                to: format!("{}-{last:02}", s.round.year),
            },
            template_id: s.template_id.clone(),
            template_version: s.template_version,
            title: s.title.clone(),
            created_at: s.created_at,
            created_by: s.created_by.clone(),
        }
    }
}

/// A returned form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub id: String,
    pub survey_id: String,
    pub customer: String,
    /// `None`: about us; else the competitor the form is about.
    pub competitor: Option<String>,
    pub respondent: String,
    /// Item id → (points, comment).
    pub answers: BTreeMap<String, (i64, String)>,
    pub suggestion: String,
    pub recorded_at: i64,
    pub by_user: String,
}

/// Why recording a returned form is refused.
pub const DUPLICATE_RESPONSE: &str = "duplicate_response";
/// Why opening a round is refused: the tier has one for that round.
pub const SURVEY_EXISTS: &str = "survey_exists";

/// Forms and answer sums of one subject of a round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubjectTotals {
    pub forms: u64,
    pub sums: Sums,
}

/// One round of the list, with our returned forms and their sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyTotals {
    pub survey: Survey,
    pub ours: SubjectTotals,
}

/// A round in the list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SurveySummary {
    #[serde(flatten)]
    pub survey: SurveyInfo,
    pub returned_forms: u64,
    pub valid: bool,
    pub ours: SideFigures,
}

impl From<&SurveyTotals> for SurveySummary {
    fn from(t: &SurveyTotals) -> SurveySummary {
        SurveySummary {
            survey: (&t.survey).into(),
            returned_forms: t.ours.forms,
            valid: is_valid(t.ours.forms),
            ours: t.ours.sums.into(),
        }
    }
}

/// `GET /v1/surveys/routine`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SurveyList {
    pub surveys: Vec<SurveySummary>,
}

/// Our figures against one competitor's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CompetitorFigures {
    pub competitor: String,
    pub forms: u64,
    pub comparable: bool,
    pub degree_pct: Option<f64>,
    pub rate_pct: Option<f64>,
    /// Ours minus theirs, in percentage points.
    pub degree_gap_pts: Option<f64>,
    pub rate_gap_pts: Option<f64>,
    /// Why the competitor is not compared, when it is not.
    pub note: Option<String>,
}

/// Points gained since the tier's previous round.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoundChange {
    pub degree_pts: f64,
    pub rate_pts: f64,
}

/// The tier's previous round.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PreviousRound {
    pub id: String,
    pub round: String,
    pub returned_forms: u64,
    pub valid: bool,
    pub ours: SideFigures,
    pub change: Option<RoundChange>,
}

/// `GET /v1/surveys/routine/{id}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoutineReport {
    pub survey: SurveyInfo,
    pub returned_forms: u64,
    pub min_forms: u64,
    pub valid: bool,
    pub validity: String,
    pub ours: SideFigures,
    pub items: Vec<ItemFigures>,
    pub competitors: Vec<CompetitorFigures>,
    pub previous: Option<PreviousRound>,
}

impl RoutineReport {
    /// The report of a round: returned forms, validity, our figures and items, the
    /// comparison with each competitor that has enough forms, and with the tier's previous
    /// round.
    pub fn build(
        unit: &mut (impl Reports + ?Sized),
        survey: &Survey,
    ) -> Result<RoutineReport, StoreError> {
        let subjects = unit.routine_subjects(&survey.id)?;
        let ours = subjects
            .iter()
            .find(|(s, _)| s.is_empty())
            .map(|(_, t)| *t)
            .unwrap_or_default();
        let valid = is_valid(ours.forms);
        let our_figures = ours.sums.satisfaction();
        let competitors = subjects
            .iter()
            .filter(|(s, _)| !s.is_empty())
            .map(|(name, t)| {
                let comparable = is_comparable(t.forms);
                let figures = t.sums.satisfaction().filter(|_| comparable);
                CompetitorFigures {
                    competitor: name.clone(),
                    forms: t.forms,
                    comparable,
                    degree_pct: figures.map(|f| pct(f.degree_pct)),
                    rate_pct: figures.map(|f| pct(f.rate_pct)),
                    degree_gap_pts: figures
                        .zip(our_figures)
                        .map(|(f, o)| pct(o.degree_pct - f.degree_pct)),
                    rate_gap_pts: figures
                        .zip(our_figures)
                        .map(|(f, o)| pct(o.rate_pct - f.rate_pct)),
                    note: (!comparable).then(|| {
                        format!(
                            "{} of the {MIN_COMPETITOR_FORMS} forms a comparison needs",
                            t.forms
                        )
                    }),
                }
            })
            .collect();
        let items = unit
            .routine_items(&survey.id)?
            .into_iter()
            .map(|(item, s)| ItemFigures::new(&item, s))
            .collect();
        let previous = match unit.routine_survey_of(&survey.tier, &survey.round.previous())? {
            Some(p) => {
                let theirs = unit
                    .routine_subjects(&p.id)?
                    .into_iter()
                    .find(|(s, _)| s.is_empty())
                    .map(|(_, t)| t)
                    .unwrap_or_default();
                let change = our_figures
                    .zip(theirs.sums.satisfaction())
                    .map(|(now, then)| RoundChange {
                        degree_pts: pct(now.degree_pct - then.degree_pct),
                        rate_pts: pct(now.rate_pct - then.rate_pct),
                    });
                Some(PreviousRound {
                    id: p.id.clone(),
                    round: p.round.to_string(),
                    returned_forms: theirs.forms,
                    valid: is_valid(theirs.forms),
                    ours: theirs.sums.into(),
                    change,
                })
            }
            None => None,
        };
        Ok(RoutineReport {
            survey: survey.into(),
            returned_forms: ours.forms,
            min_forms: MIN_VALID_FORMS,
            valid,
            validity: if valid {
                "valid: enough returned forms".to_string()
            } else {
                format!(
                    "not valid: {} of the {MIN_VALID_FORMS} returned forms a routine survey needs",
                    ours.forms
                )
            },
            ours: ours.sums.into(),
            items,
            competitors,
            previous,
        })
    }

    /// The report as a sheet: ours, then each competitor, then our items.
    pub fn table(&self) -> Table {
        let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Num);
        let mut rows = vec![vec![
            Cell::Text("本公司 us".into()),
            Cell::Int(self.returned_forms as i64),
            num(self.ours.degree_pct),
            num(self.ours.rate_pct),
            Cell::Text(self.validity.clone()),
        ]];
        for c in &self.competitors {
            rows.push(vec![
                Cell::Text(format!("竞争对手 {}", c.competitor)),
                Cell::Int(c.forms as i64),
                num(c.degree_pct),
                num(c.rate_pct),
                Cell::Text(
                    c.note
                        .clone()
                        .unwrap_or_else(|| "可比 comparable".to_string()),
                ),
            ]);
        }
        for i in &self.items {
            rows.push(vec![
                Cell::Text(format!(
                    "项目 {} {}",
                    i.label_zh.as_deref().unwrap_or_default(),
                    i.item
                )),
                Cell::Int(i.answered as i64),
                num(i.degree_pct),
                num(i.rate_pct),
                Cell::Empty,
            ]);
        }
        Table {
            title: "定期调查报告 routine survey".into(),
            columns: [
                "对象 subject",
                "问卷/回答 forms/answers",
                "满意度 degree %",
                "满意率 rate %",
                "说明 note",
            ]
            .iter()
            .map(|c| c.to_string())
            .collect(),
            rows,
        }
    }
}

impl SurveyList {
    /// The list as a sheet.
    pub fn table(&self) -> Table {
        let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Num);
        Table {
            title: "定期调查 routine surveys".into(),
            columns: [
                "轮次 round",
                "客户等级 tier",
                "标题 title",
                "回收问卷 returned forms",
                "有效 valid",
                "满意度 degree %",
                "满意率 rate %",
            ]
            .iter()
            .map(|c| c.to_string())
            .collect(),
            rows: self
                .surveys
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.survey.round.clone()),
                        Cell::Text(r.survey.tier.clone()),
                        Cell::Text(r.survey.title.clone()),
                        Cell::Int(r.returned_forms as i64),
                        Cell::Text(if r.valid { "是 yes" } else { "否 no" }.into()),
                        num(r.ours.degree_pct),
                        num(r.ours.rate_pct),
                    ]
                })
                .collect(),
        }
    }
}

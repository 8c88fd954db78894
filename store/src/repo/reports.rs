//! The read models of the reports: satisfaction, service levels, parts, corrective actions,
//! callbacks, routine surveys.
//!
//! A backend counts and sums; the reports themselves are computed from those sums in
//! [`crate::report`], the same for every backend.

use onsite_domain::survey::Round;

use crate::error::{RepoError, StoreError};
use crate::report::Period;
use crate::report::callback::CallbackCandidate;
use crate::report::corrective::{self, CorrectiveAction};
use crate::report::parts::{Batch, Consumption, NewBatch, Remaining};
use crate::report::routine::{Response, SubjectTotals, Survey, SurveyTotals};
use crate::report::satisfaction::{self, Sums, Totals};
use crate::report::service_levels::{self, Levels, LevelsQuery};

/// The read models of the reports, and the few writes of the back office that feed them.
pub trait Reports {
    /// Satisfaction totals per group key, in key order (one row keyed `""` for
    /// [`satisfaction::Group::All`], none when nothing was answered).
    fn satisfaction_totals(
        &mut self,
        period: &Period,
        group: satisfaction::Group,
        filter: &satisfaction::Filter,
    ) -> Result<Vec<(String, Totals)>, StoreError>;

    /// Per template item, both sides together, lowest degree first.
    fn satisfaction_items(
        &mut self,
        period: &Period,
        filter: &satisfaction::Filter,
    ) -> Result<Vec<(String, Sums)>, StoreError>;

    /// Service levels per group key (by `group`, not `query.group`), in key order.
    fn service_levels(
        &mut self,
        query: &LevelsQuery,
        group: service_levels::Group,
    ) -> Result<Vec<(String, Levels)>, StoreError>;

    /// Parts used in `period`, per part and product model.
    fn parts_consumption(
        &mut self,
        period: &Period,
        product_model: Option<&str>,
        sku: Option<&str>,
    ) -> Result<Vec<Consumption>, StoreError>;

    /// Bought and used per model and part that has a batch, as of the end of `period`.
    fn parts_remaining(
        &mut self,
        period: &Period,
        product_model: Option<&str>,
        sku: Option<&str>,
    ) -> Result<Vec<Remaining>, StoreError>;

    /// Records a batch of parts bought.
    fn add_parts_batch(&mut self, batch: &NewBatch) -> Result<Batch, StoreError>;

    /// One page of corrective actions and how many match in all.
    fn corrective_actions(
        &mut self,
        filter: &corrective::Filter,
    ) -> Result<(Vec<CorrectiveAction>, u64), StoreError>;

    /// Applies a change to a corrective action and answers it as it now is; `Ok(None)`
    /// when there is no such action. Refused ([`corrective::VERIFICATION_REQUIRED`]) when
    /// it would be verified without a description of the verification.
    fn update_corrective_action(
        &mut self,
        id: i64,
        update: &corrective::Update,
        now_ms: i64,
    ) -> Result<Option<CorrectiveAction>, RepoError>;

    /// Up to `size` customers of `month` to call, drawn reproducibly from the month.
    fn callback_sample(
        &mut self,
        month: &Period,
        size: usize,
    ) -> Result<Vec<CallbackCandidate>, StoreError>;

    /// The routine survey with this id.
    fn routine_survey(&mut self, id: &str) -> Result<Option<Survey>, StoreError>;

    /// The routine survey of a tier for a round.
    fn routine_survey_of(
        &mut self,
        tier: &str,
        round: &Round,
    ) -> Result<Option<Survey>, StoreError>;

    /// Opens a round; refused ([`crate::report::routine::SURVEY_EXISTS`]) when the tier
    /// already has one for that round.
    fn create_routine_survey(&mut self, survey: &Survey) -> Result<(), RepoError>;

    /// Every round (of `tier`, when given), newest first, with our returned forms.
    fn routine_surveys(&mut self, tier: Option<&str>) -> Result<Vec<SurveyTotals>, StoreError>;

    /// Forms and sums per subject of a round (`""` = us), in subject order.
    fn routine_subjects(
        &mut self,
        survey_id: &str,
    ) -> Result<Vec<(String, SubjectTotals)>, StoreError>;

    /// Our items of a round, lowest degree first.
    fn routine_items(&mut self, survey_id: &str) -> Result<Vec<(String, Sums)>, StoreError>;

    /// Stores a returned form and its answers; refused with `not_found` when the survey
    /// does not exist, or [`crate::report::routine::DUPLICATE_RESPONSE`] when the customer
    /// already returned one about the same subject in the round.
    fn record_routine_response(&mut self, response: &Response) -> Result<(), RepoError>;
}

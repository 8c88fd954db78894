//! [`onsite_store::repo::Reports`] on SQLite.

use onsite_domain::survey::Round;
use onsite_store::repo::Reports;
use onsite_store::report::Period;
use onsite_store::report::callback::CallbackCandidate;
use onsite_store::report::corrective::{self as co, CorrectiveAction, VERIFICATION_REQUIRED};
use onsite_store::report::parts::{Batch, Consumption, NewBatch, Remaining};
use onsite_store::report::routine::{
    DUPLICATE_RESPONSE, Response, SURVEY_EXISTS, SubjectTotals, Survey, SurveyTotals,
};
use onsite_store::report::satisfaction::{self as sat, Sums, Totals};
use onsite_store::report::service_levels::{self as sla, Levels, LevelsQuery};
use onsite_store::{RepoError, StoreError};

use crate::backend::{SqliteUnit, db_err};
use crate::reports::corrective::UpdateError;
use crate::reports::routine::{CreateError, RecordError};
use crate::reports::{callback, corrective, parts, routine, satisfaction, service_levels};

impl Reports for SqliteUnit<'_> {
    fn satisfaction_totals(
        &mut self,
        period: &Period,
        group: sat::Group,
        filter: &sat::Filter,
    ) -> Result<Vec<(String, Totals)>, StoreError> {
        satisfaction::by_group(self.conn(), period, group, filter).map_err(db_err)
    }

    fn satisfaction_items(
        &mut self,
        period: &Period,
        filter: &sat::Filter,
    ) -> Result<Vec<(String, Sums)>, StoreError> {
        satisfaction::by_item(self.conn(), period, filter).map_err(db_err)
    }

    fn service_levels(
        &mut self,
        q: &LevelsQuery,
        group: sla::Group,
    ) -> Result<Vec<(String, Levels)>, StoreError> {
        service_levels::by_group(
            self.conn(),
            &q.period,
            group,
            q.technician.as_deref(),
            q.complaint,
            &q.targets,
        )
        .map_err(db_err)
    }

    fn parts_consumption(
        &mut self,
        period: &Period,
        product_model: Option<&str>,
        sku: Option<&str>,
    ) -> Result<Vec<Consumption>, StoreError> {
        parts::consumption(self.conn(), period, product_model, sku).map_err(db_err)
    }

    fn parts_remaining(
        &mut self,
        period: &Period,
        product_model: Option<&str>,
        sku: Option<&str>,
    ) -> Result<Vec<Remaining>, StoreError> {
        parts::remaining(self.conn(), period, product_model, sku).map_err(db_err)
    }

    fn add_parts_batch(&mut self, batch: &NewBatch) -> Result<Batch, StoreError> {
        parts::add_batch(self.conn(), batch).map_err(db_err)
    }

    fn corrective_actions(
        &mut self,
        filter: &co::Filter,
    ) -> Result<(Vec<CorrectiveAction>, u64), StoreError> {
        corrective::list(self.conn(), filter).map_err(db_err)
    }

    fn update_corrective_action(
        &mut self,
        id: i64,
        update: &co::Update,
        now_ms: i64,
    ) -> Result<Option<CorrectiveAction>, RepoError> {
        corrective::update(self.conn(), id, update, now_ms).map_err(|e| match e {
            UpdateError::Refused(m) => RepoError::refused(VERIFICATION_REQUIRED, m),
            UpdateError::Sqlite(e) => db_err(e).into(),
        })
    }

    fn callback_sample(
        &mut self,
        month: &Period,
        size: usize,
    ) -> Result<Vec<CallbackCandidate>, StoreError> {
        callback::sample(self.conn(), month, size).map_err(db_err)
    }

    fn routine_survey(&mut self, id: &str) -> Result<Option<Survey>, StoreError> {
        routine::get(self.conn(), id).map_err(db_err)
    }

    fn routine_survey_of(
        &mut self,
        tier: &str,
        round: &Round,
    ) -> Result<Option<Survey>, StoreError> {
        routine::find(self.conn(), tier, round).map_err(db_err)
    }

    fn create_routine_survey(&mut self, survey: &Survey) -> Result<(), RepoError> {
        routine::create(self.conn(), survey).map_err(|e| match e {
            CreateError::Exists(id) => RepoError::refused(
                SURVEY_EXISTS,
                format!("this tier already has a survey for that round: {id}"),
            ),
            CreateError::Db(e) => db_err(e).into(),
        })
    }

    fn routine_surveys(&mut self, tier: Option<&str>) -> Result<Vec<SurveyTotals>, StoreError> {
        routine::list(self.conn(), tier).map_err(db_err)
    }

    fn routine_subjects(
        &mut self,
        survey_id: &str,
    ) -> Result<Vec<(String, SubjectTotals)>, StoreError> {
        routine::by_subject(self.conn(), survey_id).map_err(db_err)
    }

    fn routine_items(&mut self, survey_id: &str) -> Result<Vec<(String, Sums)>, StoreError> {
        routine::our_items(self.conn(), survey_id).map_err(db_err)
    }

    fn record_routine_response(&mut self, response: &Response) -> Result<(), RepoError> {
        if routine::get(self.conn(), &response.survey_id)
            .map_err(db_err)?
            .is_none()
        {
            return Err(RepoError::refused(
                "not_found",
                format!(
                    "no routine survey {:?}",
                    onsite_store::report::truncate(&response.survey_id)
                ),
            ));
        }
        routine::record(self.conn(), response).map_err(|e| match e {
            RecordError::Duplicate => RepoError::refused(
                DUPLICATE_RESPONSE,
                "this customer already returned a form about that subject in this round",
            ),
            RecordError::Db(e) => db_err(e).into(),
        })
    }
}

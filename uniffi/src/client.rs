//! [`OnsiteClient`]: the client core's [`Client`], method for method.
//!
//! Local operations and reads are plain functions (short SQLite work: call them off the
//! UI thread); sign-in, sync and starting background sync are async (Kotlin `suspend`,
//! Swift `async`, Python `async def`) and run on a tokio runtime inside the library.

use std::sync::Arc;
use std::time::Duration;

use onsite_client::{
    Client, Conflict, JobFilter, JobSummary, NewJob, PartInput, Session, StockLine, SyncStatus,
    TransferStats,
};
use onsite_domain::{CatalogItem, FormTemplate};

use crate::error::OnsiteError;
use crate::listeners::{Jobs, JobsListener, ListenerHandle, SyncState, SyncStateListener};
use crate::types::{JobDetail, SyncReport};

type Result<T> = std::result::Result<T, OnsiteError>;

/// The device side of Onsite, opened on a data directory. Thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct OnsiteClient {
    client: Client,
}

#[uniffi::export(async_runtime = "tokio")]
impl OnsiteClient {
    /// Opens (or creates) the store in `data_dir`. Works offline.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>> {
        Ok(Arc::new(OnsiteClient {
            client: Client::open(data_dir)?,
        }))
    }

    /// [`OnsiteClient::open`], checking server certificates against the authorities in
    /// `trusted_roots_pem` (PEM; a company's own CA) beside the usual ones. `bundled_roots`:
    /// the roots compiled into the library instead of the platform's verifier (always so on
    /// Android).
    #[uniffi::constructor]
    pub fn open_with_trust(
        data_dir: String,
        trusted_roots_pem: Option<String>,
        bundled_roots: bool,
    ) -> Result<Arc<Self>> {
        let extra_roots = match trusted_roots_pem {
            Some(pem) => onsite_client::Trust::parse_roots(&pem)?,
            None => Vec::new(),
        };
        let trust = onsite_client::Trust {
            extra_roots,
            bundled_roots,
        };
        Ok(Arc::new(OnsiteClient {
            client: Client::open_with_trust(data_dir, trust)?,
        }))
    }

    /// This device's id, made on first open.
    pub fn device_id(&self) -> String {
        self.client.device_id().to_string()
    }

    /// Signs in to the server at `server_url` (`https://…`) and keeps the session.
    pub async fn sign_in(
        &self,
        server_url: String,
        username: String,
        password: String,
    ) -> Result<Session> {
        Ok(self
            .client
            .sign_in(&server_url, &username, &password)
            .await?)
    }

    /// Forgets the session and its tokens; jobs and unsynced changes stay.
    pub fn sign_out(&self) -> Result<()> {
        Ok(self.client.sign_out()?)
    }

    /// The signed-in account, if any.
    pub fn session(&self) -> Result<Option<Session>> {
        Ok(self.client.session()?)
    }

    /// Opens a job on site, assigned to and accepted by the signed-in technician.
    /// Returns its id.
    pub fn create_job(&self, job: NewJob) -> Result<String> {
        Ok(self.client.create_job(job)?)
    }

    pub fn accept(&self, job_id: String) -> Result<()> {
        Ok(self.client.accept(&job_id)?)
    }

    /// On the way to the customer.
    pub fn start_travel(&self, job_id: String) -> Result<()> {
        Ok(self.client.start_travel(&job_id)?)
    }

    /// Arrived on site.
    pub fn arrive(&self, job_id: String) -> Result<()> {
        Ok(self.client.arrive(&job_id)?)
    }

    /// Records the diagnosis (replacing the previous text).
    pub fn diagnose(&self, job_id: String, text: String) -> Result<()> {
        Ok(self.client.diagnose(&job_id, &text)?)
    }

    /// Records the resolution (replacing the previous text).
    pub fn repair(&self, job_id: String, text: String) -> Result<()> {
        Ok(self.client.repair(&job_id, &text)?)
    }

    /// Completes the job (or resubmits it after the back office returned it).
    pub fn complete(&self, job_id: String) -> Result<()> {
        Ok(self.client.complete(&job_id)?)
    }

    /// Adds a note; returns its id.
    pub fn add_note(&self, job_id: String, text: String) -> Result<String> {
        Ok(self.client.add_note(&job_id, &text)?)
    }

    /// Records a parts usage line; returns its id. For a part of the catalog, the SKU and
    /// quantity are enough.
    pub fn record_part(&self, job_id: String, part: PartInput) -> Result<String> {
        Ok(self.client.record_part(&job_id, part)?)
    }

    /// Starts a satisfaction form answered by `survey` (the customer) or `self`, on the
    /// newest csat-onsite version on the device. Returns the form id.
    pub fn start_form(&self, job_id: String, respondent: String) -> Result<String> {
        Ok(self.client.start_form(&job_id, &respondent)?)
    }

    /// Starts a form on a given template: `version`, or its newest on the device.
    pub fn start_form_from_template(
        &self,
        job_id: String,
        respondent: String,
        template_id: String,
        version: Option<i64>,
    ) -> Result<String> {
        Ok(self
            .client
            .start_form_from_template(&job_id, &respondent, &template_id, version)?)
    }

    /// Answers one item of a form: `points` on the scale 10, 8, 6, 4, 2.
    pub fn answer_item(
        &self,
        job_id: String,
        form_id: String,
        item_id: String,
        points: i64,
        comment: String,
    ) -> Result<()> {
        Ok(self
            .client
            .answer_item(&job_id, &form_id, &item_id, points, &comment)?)
    }

    /// Submits a form with the customer's suggestion; its answers are then final.
    pub fn submit_form(&self, job_id: String, form_id: String, suggestion: String) -> Result<()> {
        Ok(self.client.submit_form(&job_id, &form_id, &suggestion)?)
    }

    /// Jobs on the device, most recently reported first.
    pub fn list_jobs(&self, filter: JobFilter) -> Result<Vec<JobSummary>> {
        Ok(self.client.list_jobs(&filter)?)
    }

    /// One job, whole.
    pub fn get_job(&self, job_id: String) -> Result<JobDetail> {
        Ok(self.client.get_job(&job_id)?.into())
    }

    /// The parts catalog as last synced, by SKU.
    pub fn parts_catalog(&self) -> Result<Vec<CatalogItem>> {
        Ok(self.client.parts_catalog()?)
    }

    /// Every form template version on the device, the built-in csat-onsite v1 first.
    pub fn form_templates(&self) -> Result<Vec<FormTemplate>> {
        Ok(self.client.form_templates()?)
    }

    /// One template version (`NotFound` if the device does not hold it).
    pub fn form_template(&self, template_id: String, version: i64) -> Result<FormTemplate> {
        Ok(self.client.form_template(&template_id, version)?)
    }

    /// The technician's van stock: the server's count less uses not yet synced.
    pub fn van_stock(&self) -> Result<Vec<StockLine>> {
        Ok(self.client.van_stock()?)
    }

    /// Local changes the server has not acknowledged yet.
    pub fn pending_changes(&self) -> Result<u64> {
        Ok(self.client.pending_changes()?)
    }

    /// Local changes the server refused, oldest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        Ok(self.client.conflicts()?)
    }

    /// Uploads the outbox and brings the device up to date.
    pub async fn sync(&self) -> Result<SyncReport> {
        Ok(self.client.sync().await?.into())
    }

    /// Turns background sync on: a sync at once, then every `interval_seconds` (at least
    /// 1), and soon after each local change. Returns once it is started.
    pub async fn start_background_sync(&self, interval_seconds: u32) -> Result<()> {
        let interval = Duration::from_secs(interval_seconds.into());
        Ok(self.client.start_background_sync(interval)?)
    }

    /// Turns background sync off.
    pub fn stop_background_sync(&self) {
        self.client.stop_background_sync();
    }

    /// Where syncing stands now.
    pub fn sync_status(&self) -> SyncStatus {
        self.client.sync_status()
    }

    /// Requests and bytes exchanged with the server since the client was opened.
    pub fn transfer_stats(&self) -> TransferStats {
        self.client.transfer_stats()
    }

    /// Hears which jobs change, until the handle is cancelled or freed.
    pub fn subscribe_jobs(&self, listener: Box<dyn JobsListener>) -> Arc<ListenerHandle> {
        ListenerHandle::new(self.client.subscribe(Arc::new(Jobs(listener))))
    }

    /// Hears every change of the sync status, until the handle is cancelled or freed.
    pub fn subscribe_sync_state(
        &self,
        listener: Box<dyn SyncStateListener>,
    ) -> Arc<ListenerHandle> {
        ListenerHandle::new(
            self.client
                .subscribe_sync_state(Arc::new(SyncState(listener))),
        )
    }
}

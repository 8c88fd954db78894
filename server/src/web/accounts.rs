//! Accounts (admin only): the list, creating one, an account's page with its devices
//! (browsers among them) and their last use; change the role, disable or enable, reset the
//! password, revoke a device with or without a remote wipe — the admin API's functions.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use onsite_domain::Role;
use onsite_store::repo::accounts::Account;

use super::review::{Choice, choices};
use super::{Chrome, WebError, WebForm, WebUser, html};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::admin;

const ROLES: [&str; 3] = ["technician", "back_office", "admin"];

pub(crate) struct AccountRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
}

fn row(user: &WebUser, a: Account) -> AccountRow {
    AccountRow {
        role: user.lang.label("role", a.role.as_str()),
        id: a.id,
        username: a.username,
        display_name: a.display_name,
        disabled: a.disabled,
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct List {
    page: Chrome,
    accounts: Vec<AccountRow>,
    roles: Vec<Choice>,
}

fn done(user: &WebUser) -> Option<&'static str> {
    match user.here.split_once('?').map(|(_, q)| q) {
        Some("done=saved") => Some("account_saved"),
        Some("done=revoked") => Some("device_revoked"),
        _ => None,
    }
}

pub async fn list(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    let accounts = state.backend.read(|unit| unit.accounts()).await?;
    html(&List {
        page: user.chrome(done(&user)),
        accounts: accounts.into_iter().map(|a| row(&user, a)).collect(),
        roles: choices(user.lang, "role", &ROLES, Some("technician")),
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct CreateForm {
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    password: String,
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<CreateForm>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    let f = form;
    let display = f.display_name.trim().to_string();
    let account = admin::create_account(
        &state,
        user.auth(),
        admin::CreateUser {
            username: f.username.trim().to_string(),
            display_name: (!display.is_empty()).then_some(display),
            role: f.role,
            password: f.password,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/accounts/{}?done=saved", account.id)).into_response())
}

pub(crate) struct DeviceRow {
    pub id: String,
    pub browser: bool,
    pub first_seen: String,
    pub last_seen: String,
    pub revoked: String,
    pub wipe: bool,
    pub sessions: i64,
}

#[derive(Template)]
#[template(path = "account.html")]
struct Detail {
    page: Chrome,
    account: AccountRow,
    roles: Vec<Choice>,
    devices: Vec<DeviceRow>,
}

pub async fn detail(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    let (account, devices) = state
        .backend
        .read(move |unit| {
            let account = unit
                .account(&id)?
                .ok_or_else(|| ApiError::not_found("no account with that id"))?;
            let devices = unit.devices(&account.id)?;
            Ok::<_, ApiError>((account, devices))
        })
        .await?;
    let seconds = |s: i64| super::when(&state, s.saturating_mul(1000));
    html(&Detail {
        page: user.chrome(done(&user)),
        roles: choices(user.lang, "role", &ROLES, Some(account.role.as_str())),
        account: row(&user, account),
        devices: devices
            .into_iter()
            .map(|d| DeviceRow {
                browser: d.device_id.starts_with("web-"),
                first_seen: seconds(d.first_seen),
                last_seen: seconds(d.last_seen),
                revoked: d.revoked_at.map(seconds).unwrap_or_default(),
                wipe: d.wipe,
                sessions: d.active_sessions,
                id: d.device_id,
            })
            .collect(),
    })
}

fn saved(id: &str) -> Response {
    Redirect::to(&format!("/accounts/{id}?done=saved")).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn role(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<RoleForm>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    let f = form;
    let change = admin::UpdateUser {
        display_name: None,
        role: Some(f.role),
    };
    admin::update_account(&state, user.auth(), id.clone(), change).await?;
    Ok(saved(&id))
}

pub async fn disable(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    admin::set_disabled(state, user.auth(), id.clone(), true).await?;
    Ok(saved(&id))
}

pub async fn enable(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    admin::set_disabled(state, user.auth(), id.clone(), false).await?;
    Ok(saved(&id))
}

#[derive(Debug, serde::Deserialize)]
pub struct PasswordForm {
    password: String,
}

pub async fn password(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<PasswordForm>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    let f = form;
    admin::reset(&state, user.auth(), id.clone(), f.password).await?;
    Ok(saved(&id))
}

#[derive(Debug, serde::Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    wipe: Option<String>,
}

pub async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, device)): Path<(String, String)>,
    WebForm(form): WebForm<RevokeForm>,
) -> Result<Response, WebError> {
    user.require(Role::Admin)?;
    let f = form;
    admin::revoke(&state, user.auth(), id.clone(), device, f.wipe.is_some()).await?;
    Ok(Redirect::to(&format!("/accounts/{id}?done=revoked")).into_response())
}

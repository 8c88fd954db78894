//! The web back office, served at `/` beside the JSON API: server-rendered pages
//! (askama templates, checked when the server compiles), one stylesheet and one small
//! script embedded in the binary. See docs/backoffice.md.
//!
//! Every page area is a module; handlers parse the form or query, call the same functions
//! and repositories the JSON routes call, and render. Sessions, CSRF and the security
//! headers are in `session`; the words of the pages in `text`.

mod accounts;
mod callback;
mod corrective;
mod dispatch;
mod live;
mod parts;
mod reports;
mod review;
pub(crate) mod session;
mod surveys;
pub(crate) mod text;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use onsite_domain::Role;

use crate::app::AppState;
use crate::error::ApiError;
pub(crate) use session::WebUser;
pub(crate) use text::Lang;

/// Largest form a page posts.
const FORM_LIMIT: usize = 64 * 1024;

/// The Content-Security-Policy of every page: scripts, styles and connections from this
/// server only, no inline script or style, no frames, forms posted only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The routes of the back office. Pages behind a session go through
/// `session::guard` (the session, its renewal and the CSRF check); all of them get the
/// security headers.
pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/", get(home))
        .route("/logout", post(session::logout))
        .route("/review", get(review::queue))
        .route("/jobs/{id}", get(review::job))
        .route("/jobs/{id}/review", post(review::decide))
        .route("/jobs/{id}/assign", post(dispatch::assign))
        .route("/jobs/{id}/cancel", post(dispatch::cancel))
        .route("/board", get(dispatch::board))
        .route(
            "/dispatch/new",
            get(dispatch::new_job).post(dispatch::create),
        )
        .route("/reports/satisfaction", get(reports::satisfaction))
        .route(
            "/reports/satisfaction/export",
            get(reports::satisfaction_export),
        )
        .route("/reports/service-levels", get(reports::service_levels))
        .route(
            "/reports/service-levels/export",
            get(reports::service_levels_export),
        )
        .route("/reports/parts", get(parts::page))
        .route("/reports/parts/export", get(parts::export))
        .route("/callback", get(callback::worklist))
        .route("/callback/{id}", get(callback::form).post(callback::record))
        .route("/surveys", get(surveys::list))
        .route("/surveys/{id}", get(surveys::report))
        .route("/corrective", get(corrective::list))
        .route("/corrective/{id}", post(corrective::update))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{id}", get(accounts::detail))
        .route("/accounts/{id}/role", post(accounts::role))
        .route("/accounts/{id}/disable", post(accounts::disable))
        .route("/accounts/{id}/enable", post(accounts::enable))
        .route("/accounts/{id}/password", post(accounts::password))
        .route(
            "/accounts/{id}/devices/{device}/revoke",
            post(accounts::revoke),
        )
        .route("/live", get(live::live))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::guard,
        ));
    Router::new()
        .route("/login", get(session::login_page).post(session::login))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .merge(signed_in)
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(axum::middleware::from_fn(security_headers))
}

/// The headers every answer of the back office carries.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> Response {
    asset(include_str!("assets/app.css"), "text/css; charset=utf-8")
}

async fn js() -> Response {
    asset(
        include_str!("assets/app.js"),
        "text/javascript; charset=utf-8",
    )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Where a signed-in user starts: the board for the back office, accounts for admins.
async fn home(user: WebUser) -> Redirect {
    match user.role {
        Role::Admin => Redirect::to("/accounts"),
        _ => Redirect::to("/board"),
    }
}

/// What every page shows around its content: the language, who is signed in, the menu,
/// and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub lang: Lang,
    pub username: String,
    pub office: bool,
    pub admin: bool,
    pub csrf: String,
    /// The page's path and query without `lang`, for the language switch.
    pub here: String,
    /// A notice to show at the top (after a redirect), already in the page's language.
    pub notice: Option<String>,
}

impl Chrome {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The link that shows this page in the other language.
    pub fn switch_href(&self) -> String {
        let other = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        let sep = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={other}", self.here)
    }
}

/// Renders a template as an HTML page.
pub(crate) fn html(template: &impl Template) -> Result<Response, WebError> {
    let body = template.render().map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

/// An error answered as a page (in both languages: it may come before the session is
/// known).
#[derive(Debug)]
pub struct WebError(pub ApiError);

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError(e)
    }
}

impl From<onsite_store::StoreError> for WebError {
    fn from(e: onsite_store::StoreError) -> Self {
        WebError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading_zh: &'static str,
    heading_en: &'static str,
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let e = self.0;
        let (heading_zh, heading_en) = match e.status {
            StatusCode::BAD_REQUEST => ("输入有误", "Bad input"),
            StatusCode::UNAUTHORIZED => ("请重新登录", "Please sign in again"),
            StatusCode::FORBIDDEN => ("无权访问", "Not allowed"),
            StatusCode::NOT_FOUND => ("找不到", "Not found"),
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                ("无法执行", "Cannot be done")
            }
            StatusCode::TOO_MANY_REQUESTS => ("尝试次数过多", "Too many attempts"),
            _ => ("服务器错误", "Server error"),
        };
        let page = ErrorPage {
            status: e.status.as_u16(),
            heading_zh,
            heading_en,
            code: e.code,
            message: &e.message,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("{} {}", e.status.as_u16(), e.code));
        let mut response = (
            e.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response();
        if let Some(after) = e.retry_after
            && let Ok(v) = HeaderValue::from_str(&after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// A form a page posted (URL-encoded), refused with an error page when it does not parse.
pub(crate) struct WebForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for WebForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(t)| WebForm(t))
            .map_err(bad_form)
    }
}

/// The query of a page that needs `role`: the caller checked, `lang` (the language switch,
/// already applied) taken out.
pub(crate) fn page_params(
    user: &WebUser,
    role: Role,
    p: Result<crate::routes::params::Params, ApiError>,
) -> Result<crate::routes::params::Params, WebError> {
    user.require(role)?;
    let mut p = p?;
    p.take("lang");
    Ok(p)
}

/// A form or query the page sent that does not parse.
pub(crate) fn bad_form(e: impl std::fmt::Display) -> WebError {
    WebError(ApiError::bad_request(format!("bad form: {e}")))
}

/// Shows a date and time of the company's zone, to the minute.
pub(crate) fn when(state: &AppState, ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&state.config.timezone)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Percent with one decimal, or a dash.
pub(crate) fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1} %"))
}

/// A duration in hours and minutes, or a dash.
pub(crate) fn duration(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "—".into(),
        |ms| {
            let minutes = ms / 60_000;
            format!("{} h {:02} min", minutes / 60, minutes % 60)
        },
    )
}

//! Browser sessions: sign-in, the session cookie, its renewal, CSRF, sign-out.
//!
//! A browser that signs in becomes a device of its account (`web-` and 12 random hex
//! digits), recorded like a phone's, so the administrator sees it with its last use and
//! can revoke it. The session cookie holds a token signed like the API's access tokens,
//! bound to that device, with a random CSRF token inside; it is checked on every request
//! against the account and the device (a disabled account, a changed password or a revoked
//! device end it at once), and renewed while it is used. Every request that is not GET
//! carries the CSRF token (a hidden field, or `X-CSRF-Token`) and must come from this
//! origin. See docs/backoffice.md.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use onsite_domain::Role;

use super::text::{LANG_COOKIE, Lang};
use super::{Chrome, FORM_LIMIT, WebError, html};
use crate::app::AppState;
use crate::auth::{Claims, caller, sign, verify};
use crate::client_address::client_address;
use crate::error::ApiError;

/// The session cookie over plain HTTP, and over TLS (where the `__Host-` prefix makes the
/// browser insist on Secure, Path=/ and no Domain).
const SESSION: &str = "onsite_session";
const SESSION_TLS: &str = "__Host-onsite_session";
/// The cookie of the sign-in form's CSRF token (before there is a session).
const LOGIN: &str = "onsite_login";
/// A session ends after this long unused.
pub const IDLE_SECS: i64 = 8 * 3600;
/// A session used after this long is renewed (and its device's last use recorded).
pub const RENEW_AFTER_SECS: i64 = 5 * 60;

/// The signed-in user of a back-office page.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub device_id: String,
    pub csrf: String,
    pub lang: Lang,
    /// The path and query of the page, without `lang`.
    pub here: String,
}

impl WebUser {
    /// The same caller as the JSON API's, for the functions both share.
    pub fn auth(&self) -> crate::auth::AuthUser {
        crate::auth::AuthUser {
            user_id: self.user_id.clone(),
            username: self.username.clone(),
            role: self.role,
            device_id: self.device_id.clone(),
            expires_at: i64::MAX,
        }
    }

    /// Refuses a page this role does not see.
    pub fn require(&self, role: Role) -> Result<(), WebError> {
        if self.role == role {
            Ok(())
        } else {
            Err(WebError(ApiError::forbidden(match role {
                Role::Admin => "账户管理仅限管理员 — only administrators manage accounts",
                _ => "此页面仅供售后服务部 — this page is for the back office",
            })))
        }
    }

    pub fn chrome(&self, notice: Option<&str>) -> Chrome {
        Chrome {
            lang: self.lang,
            username: self.username.clone(),
            office: self.role == Role::BackOffice,
            admin: self.role == Role::Admin,
            csrf: self.csrf.clone(),
            here: self.here.clone(),
            notice: notice.map(|key| self.lang.t(key).to_string()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<WebUser>()
            .cloned()
            .ok_or_else(|| WebError(ApiError::internal("a page outside the session guard")))
    }
}

/// A cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether the browser reached us over TLS: the server is told so, or a trusted proxy
/// says so.
fn secure(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    state.config.behind_tls
        || peer.is_some_and(|p| {
            state.config.trusted_proxies.contains(&p.ip())
                && headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
        })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure over TLS.
fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("onsite_invalid=; Max-Age=0"))
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    set_cookie(
        if secure { SESSION_TLS } else { SESSION },
        value,
        "/",
        max_age,
        secure,
    )
}

fn random_hex(bytes: usize) -> String {
    let mut v = vec![0u8; bytes];
    rand::fill(&mut v[..]);
    hex::encode(v)
}

/// Compares two secrets in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn peer_of(parts_ext: &axum::http::Extensions) -> Option<SocketAddr> {
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}

/// The request's path and query without `lang`.
fn here(uri: &axum::http::Uri) -> String {
    let query: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .collect();
    if query.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), query.join("&"))
    }
}

/// The language cookie to set when the request chose one by `?lang=`.
fn lang_cookie(lang: Lang, chosen: bool, secure: bool) -> Option<HeaderValue> {
    chosen.then(|| set_cookie(LANG_COOKIE, lang.code(), "/", 365 * 86400, secure))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    csrf: String,
    here: String,
    error: Option<&'static str>,
}

impl LoginPage {
    fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
    fn switch_href(&self) -> String {
        let other = if self.lang == Lang::Zh { "en" } else { "zh" };
        format!("{}?lang={other}", self.here)
    }
}

/// The sign-in form, with a fresh CSRF token in a cookie and in the form.
fn login_form(
    state: &AppState,
    request_secure: bool,
    lang: (Lang, bool),
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, WebError> {
    let csrf = random_hex(16);
    let page = LoginPage {
        lang: lang.0,
        csrf: csrf.clone(),
        here: "/login".into(),
        error,
    };
    let _ = state;
    let mut response = html(&page)?;
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(LOGIN, &csrf, "/login", 3600, request_secure),
    );
    if let Some(c) = lang_cookie(lang.0, lang.1, request_secure) {
        headers.append(header::SET_COOKIE, c);
    }
    Ok(response)
}

pub async fn login_page(State(state): State<AppState>, request: Request) -> Response {
    let secure = secure(&state, peer_of(request.extensions()), request.headers());
    let lang = Lang::of(request.uri().query(), request.headers());
    let notice = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| match kv {
            "ended=1" => Some("session_ended"),
            "out=1" => Some("signed_out"),
            _ => None,
        });
    login_form(&state, secure, lang, StatusCode::OK, notice).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

/// Signs in: the same check as the JSON API's sign-in (limits, password, a revoked
/// device), on a new browser device; technicians are refused with a page that says why.
pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let peer = peer_of(request.extensions());
    let headers = request.headers().clone();
    let secure = secure(&state, peer, &headers);
    let lang = Lang::of(None, &headers);
    match sign_in(&state, peer, &headers, secure, request).await {
        Ok(response) => response,
        Err(Refusal::Form(status, error)) => {
            login_form(&state, secure, lang, status, Some(error)).into_response()
        }
        Err(Refusal::Page(e)) => e.into_response(),
    }
}

enum Refusal {
    /// Show the form again with this message.
    Form(StatusCode, &'static str),
    Page(WebError),
}

impl From<WebError> for Refusal {
    fn from(e: WebError) -> Self {
        Refusal::Page(e)
    }
}

async fn sign_in(
    state: &AppState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    secure: bool,
    request: Request,
) -> Result<Response, Refusal> {
    check_origin(headers)?;
    let axum::Form(form) = axum::Form::<LoginForm>::from_request(request, &())
        .await
        .map_err(super::bad_form)?;
    let expected = cookie(headers, LOGIN).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return Err(csrf_refused().into());
    }
    let ip = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| {
        client_address(p.ip(), headers, &state.config.trusted_proxies)
    });
    let device = format!("web-{}", random_hex(6));
    let (account, _) = crate::routes::auth::sign_in(
        state,
        ip,
        form.username,
        form.password,
        &device,
        false,
        &[Role::BackOffice, Role::Admin],
    )
    .await
    .map_err(|e| match e.code {
        "invalid_credentials" => Refusal::Form(StatusCode::UNAUTHORIZED, "signin_failed"),
        "role_not_allowed" => Refusal::Form(StatusCode::FORBIDDEN, "technician_refused"),
        _ => Refusal::Page(WebError(e)),
    })?;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: account.id.clone(),
        dev: device,
        ver: account.token_version,
        iat: now,
        exp: now + IDLE_SECS,
        csrf: Some(random_hex(16)),
    };
    let token = sign(&state.keys, &claims).map_err(WebError)?;
    let mut response = Redirect::to("/").into_response();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        session_cookie(&token, IDLE_SECS, secure),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN, "", "/login", 0, secure),
    );
    Ok(response)
}

fn csrf_refused() -> WebError {
    WebError(ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf",
        "表单已过期或来源不明，请刷新页面重试 — the form is stale or did not come from this site; reload the page and try again",
    ))
}

/// A request that changes something comes from this origin, when the browser says where
/// it comes from (every current browser does on POST).
fn check_origin(headers: &HeaderMap) -> Result<(), WebError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h);
    match (origin_host, host) {
        (Some(o), Some(h)) if o == h => Ok(()),
        _ => Err(csrf_refused()),
    }
}

/// Signs out: the browser's device is revoked, so the cookie is worth nothing even if it
/// was copied.
pub async fn logout(State(state): State<AppState>, user: WebUser, request: Request) -> Response {
    let secure = secure(&state, peer_of(request.extensions()), request.headers());
    let (id, device) = (user.user_id.clone(), user.device_id.clone());
    if let Err(e) = state
        .backend
        .write(move |unit| unit.revoke_device(&id, &device, false))
        .await
    {
        return WebError::from(e).into_response();
    }
    let mut response = Redirect::to("/login?out=1").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie("", 0, secure));
    response
}

/// What the guard found: the page goes on, or is answered here.
enum Admitted {
    Go(Request, Vec<HeaderValue>),
    Answer(Response),
}

/// The session guard of every signed-in page: the session (else the sign-in page), the
/// role (technicians are refused), the CSRF token and origin of every request that is not
/// GET, the renewal of a session in use.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match admit(&state, request).await {
        Ok(Admitted::Go(request, cookies)) => {
            let mut response = next.run(request).await;
            for c in cookies {
                response.headers_mut().append(header::SET_COOKIE, c);
            }
            response
        }
        Ok(Admitted::Answer(response)) => response,
        Err(e) => e.into_response(),
    }
}

async fn admit(state: &AppState, request: Request) -> Result<Admitted, WebError> {
    let peer = peer_of(request.extensions());
    let secure = secure(state, peer, request.headers());
    let (lang, chosen) = Lang::of(request.uri().query(), request.headers());
    let reading = matches!(*request.method(), Method::GET | Method::HEAD);
    let token =
        cookie(request.headers(), SESSION_TLS).or_else(|| cookie(request.headers(), SESSION));
    let signed_out = |ended: bool| {
        let mut response = if reading {
            Redirect::to(if ended { "/login?ended=1" } else { "/login" }).into_response()
        } else {
            WebError(ApiError::unauthorized("请先登录 — sign in first")).into_response()
        };
        if ended {
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie("", 0, secure));
        }
        Ok(Admitted::Answer(response))
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return signed_out(false);
    };
    let Some((claims, csrf)) = verify(&state.keys, &token)
        .ok()
        .and_then(|c| c.csrf.clone().map(|csrf| (c, csrf)))
    else {
        return signed_out(true);
    };
    let (user, device) = match caller(state, &claims).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => return signed_out(true),
        Err(e) => return Err(WebError(e)),
    };
    if device.revoked {
        return signed_out(true);
    }
    if user.role == Role::Technician {
        return Err(WebError(ApiError::forbidden(
            "维修技术员请使用手机应用 — technicians work in the phone app",
        )));
    }
    let request = if reading {
        request
    } else {
        check_origin(request.headers())?;
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| WebError(ApiError::bad_request("the form is too large")))?;
        let sent = match parts.headers.get("x-csrf-token") {
            Some(v) => v.to_str().ok().map(str::to_string),
            None => form_field(&bytes, "csrf"),
        };
        if !sent.is_some_and(|s| same(&s, &csrf)) {
            return Err(csrf_refused());
        }
        Request::from_parts(parts, axum::body::Body::from(bytes))
    };
    let mut cookies = Vec::new();
    let now = chrono::Utc::now().timestamp();
    if now - claims.iat >= RENEW_AFTER_SECS {
        let (id, dev) = (user.user_id.clone(), user.device_id.clone());
        state
            .backend
            .write(move |unit| unit.touch_device(&id, &dev))
            .await?;
        let renewed = Claims {
            iat: now,
            exp: now + IDLE_SECS,
            ..claims
        };
        cookies.push(session_cookie(
            &sign(&state.keys, &renewed).map_err(WebError)?,
            IDLE_SECS,
            secure,
        ));
    }
    cookies.extend(lang_cookie(lang, chosen, secure));
    let mut request = request;
    let web = WebUser {
        user_id: user.user_id,
        username: user.username,
        role: user.role,
        device_id: user.device_id,
        csrf,
        lang,
        here: here(request.uri()),
    };
    request.extensions_mut().insert(web);
    Ok(Admitted::Go(request, cookies))
}

/// One field of a URL-encoded form.
fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    let axum::extract::Query(pairs) = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{}", std::str::from_utf8(bytes).ok()?)
            .parse()
            .ok()?,
    )
    .ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; onsite_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn a_csrf_field_is_found_in_a_form() {
        assert_eq!(
            form_field(b"decision=approved&csrf=ab%2Bc&comment=", "csrf").as_deref(),
            Some("ab+c")
        );
        assert_eq!(form_field(b"decision=approved", "csrf"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn the_language_switch_keeps_the_page() {
        let uri: axum::http::Uri = "/review?review_state=pending&lang=en".parse().unwrap();
        assert_eq!(here(&uri), "/review?review_state=pending");
    }
}

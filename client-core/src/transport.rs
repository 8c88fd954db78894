//! HTTP to the Onsite server: sign-in and token refresh (JSON), sync (binary frames).
//!
//! Every request and the bytes of every body, up and down, are counted
//! ([`TransferStats`]), for the benchmark and for apps that show data use.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use onsite_sync::wire::{self, CONTENT_TYPE, Response};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE as CONTENT_TYPE_HEADER};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::error::{Error, Result};
use crate::tls::Trust;

/// Requests and body bytes exchanged with the server since the client was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferStats {
    pub requests: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

/// What the server answers to a sign-in or a refresh. No `Debug`: it holds tokens.
#[derive(Deserialize)]
pub(crate) struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    pub user_id: String,
    #[serde(default)]
    pub username: Option<String>,
    pub role: String,
    /// Seconds the access token lives.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

impl Tokens {
    /// When the access token expires, on the device clock.
    pub fn access_expires_at(&self) -> Option<i64> {
        self.expires_in
            .map(|secs| crate::clock::now_ms().saturating_add(secs.saturating_mul(1000)))
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
}

/// The HTTP side of a client. The HTTP client itself is built on first use, so opening a
/// store offline never touches TLS configuration.
#[derive(Debug, Default)]
pub(crate) struct Transport {
    http: OnceCell<reqwest::Client>,
    counters: Arc<Counters>,
    trust: Trust,
    tls: std::sync::OnceLock<Arc<rustls::ClientConfig>>,
}

pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Long enough for a 2 MiB upload over a poor mobile link.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means a provider is already installed (by the app, or another library),
        // which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Checks and normalises a server URL: `http` or `https`, no credentials, no query;
/// returned without a trailing slash.
pub(crate) fn normalize_base_url(url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|_| Error::invalid("the server address is not a valid URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "the server address must start with https:// (or http://)",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid(
            "the server address must not contain a user name or password",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::invalid(
            "the server address must not have a query or fragment",
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

impl Transport {
    pub fn new(trust: Trust) -> Transport {
        Transport {
            trust,
            ..Transport::default()
        }
    }

    /// The TLS configuration of HTTPS and of the live-notice socket, made once.
    pub fn tls(&self) -> Result<Arc<rustls::ClientConfig>> {
        if let Some(config) = self.tls.get() {
            return Ok(config.clone());
        }
        let config = Arc::new(self.trust.client_config()?);
        Ok(self.tls.get_or_init(|| config).clone())
    }

    pub fn stats(&self) -> TransferStats {
        TransferStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            bytes_up: self.counters.bytes_up.load(Ordering::Relaxed),
            bytes_down: self.counters.bytes_down.load(Ordering::Relaxed),
        }
    }

    async fn http(&self) -> Result<&reqwest::Client> {
        self.http
            .get_or_try_init(|| async {
                let tls = Arc::unwrap_or_clone(self.tls()?);
                reqwest::Client::builder()
                    .use_preconfigured_tls(tls)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .timeout(REQUEST_TIMEOUT)
                    .build()
                    .map_err(|e| Error::Internal(format!("cannot set up HTTPS: {e}")))
            })
            .await
    }

    /// Sends one request and reads the whole answer, counting both.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        body_len: usize,
    ) -> Result<(StatusCode, Option<String>, Vec<u8>)> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes_up
            .fetch_add(body_len as u64, Ordering::Relaxed);
        let response = request.send().await.map_err(Error::Network)?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(Error::Network)?;
        self.counters
            .bytes_down
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        Ok((status, content_type, body.to_vec()))
    }

    /// Posts JSON for tokens. `unauthorized_ends_session`: whether a 401 means "sign in
    /// again" (a refused refresh) rather than a plain error (wrong password at sign-in).
    async fn post_json(
        &self,
        url: String,
        body: serde_json::Value,
        unauthorized_ends_session: bool,
    ) -> Result<Tokens> {
        let body = serde_json::to_vec(&body)
            .map_err(|e| Error::Internal(format!("cannot encode a request: {e}")))?;
        let len = body.len();
        let request = self
            .http()
            .await?
            .post(url)
            .header(CONTENT_TYPE_HEADER, "application/json")
            .body(body);
        let (status, content_type, body) = self.exchange(request, len).await?;
        if !status.is_success() {
            return Err(error_answer(
                status,
                content_type.as_deref(),
                &body,
                unauthorized_ends_session,
            ));
        }
        serde_json::from_slice(&body)
            .map_err(|e| Error::bad_response(format!("unreadable sign-in answer: {e}")))
    }

    /// `POST /v1/auth/login`.
    pub async fn login(
        &self,
        base: &str,
        username: &str,
        password: &str,
        device_id: &str,
    ) -> Result<Tokens> {
        let body = serde_json::json!({
            "username": username,
            "password": password,
            "device_id": device_id,
        });
        self.post_json(format!("{base}/v1/auth/login"), body, false)
            .await
    }

    /// `POST /v1/auth/refresh`: a new access token (and a new refresh token) for an old
    /// refresh token. A 401 means the sign-in is over.
    pub async fn refresh(&self, base: &str, refresh_token: &str) -> Result<Tokens> {
        let body = serde_json::json!({ "refresh_token": refresh_token });
        self.post_json(format!("{base}/v1/auth/refresh"), body, true)
            .await
    }

    /// `POST /v1/sync` with one frame; the answer's frame.
    pub async fn sync(&self, base: &str, access_token: &str, frame: &[u8]) -> Result<Response> {
        let request = self
            .http()
            .await?
            .post(format!("{base}/v1/sync"))
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .header(CONTENT_TYPE_HEADER, CONTENT_TYPE)
            .body(frame.to_vec());
        // A sync is idempotent (a repeated upload is recognised by its change hashes), so
        // one that fails before any answer, typically on a pooled connection the server
        // closed when it restarted, is sent once more on a fresh connection.
        let retry = request.try_clone();
        let (status, content_type, body) = match self.exchange(request, frame.len()).await {
            Err(Error::Network(e)) if !e.is_timeout() => match retry {
                Some(retry) => self.exchange(retry, frame.len()).await?,
                None => return Err(Error::Network(e)),
            },
            other => other?,
        };
        if status == StatusCode::OK {
            return wire::decode(&body)
                .map_err(|e| Error::bad_response(format!("unreadable sync answer: {e}")));
        }
        Err(error_answer(status, content_type.as_deref(), &body, true))
    }
}

/// The server's answer to a device an administrator revoked for a wipe, once it has taken
/// the device's last upload.
const DEVICE_WIPED: &str = "device_wiped";

/// The error an unsuccessful answer stands for: the server's error, read from a sync
/// frame or a JSON error body; or, for a 401, "erase this device" (`device_wiped`) or,
/// where that ends the session, "sign in".
fn error_answer(
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
    unauthorized_ends_session: bool,
) -> Error {
    let (code, message) = if content_type == Some(CONTENT_TYPE)
        && let Ok(Response::Error(e)) = wire::decode::<Response>(body)
    {
        (e.code, e.message)
    } else if let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) {
        (error.code, error.message)
    } else {
        (
            format!("http_{}", status.as_u16()),
            status
                .canonical_reason()
                .unwrap_or("unexpected answer")
                .to_string(),
        )
    };
    if status == StatusCode::UNAUTHORIZED && code == DEVICE_WIPED {
        return Error::DeviceWiped(message);
    }
    if unauthorized_ends_session && status == StatusCode::UNAUTHORIZED {
        return Error::SignInNeeded(format!("{code}: {message}"));
    }
    Error::Server { code, message }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use onsite_sync::wire::ErrorReply;

    use super::*;

    #[test]
    fn server_urls_are_checked_and_normalised() {
        assert_eq!(
            normalize_base_url(" https://onsite.example.com/ ").unwrap(),
            "https://onsite.example.com"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080/api/").unwrap(),
            "http://127.0.0.1:8080/api"
        );
        for bad in [
            "onsite.example.com",
            "ftp://x",
            "https://u:p@x.com",
            "https://x.com/?a=1",
        ] {
            assert_eq!(
                normalize_base_url(bad).unwrap_err().kind(),
                crate::ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn error_answers_keep_the_servers_code() {
        let frame = wire::encode(&Response::Error(ErrorReply {
            code: "malformed_message".into(),
            message: "bad".into(),
        }));
        let e = error_answer(StatusCode::BAD_REQUEST, Some(CONTENT_TYPE), &frame, true);
        assert!(matches!(e, Error::Server { ref code, .. } if code == "malformed_message"));
        let json = br#"{"error":{"code":"rate_limited","message":"slow down"}}"#;
        let e = error_answer(
            StatusCode::TOO_MANY_REQUESTS,
            Some("application/json"),
            json,
            true,
        );
        assert!(matches!(e, Error::Server { ref code, .. } if code == "rate_limited"));
        let e = error_answer(StatusCode::BAD_GATEWAY, Some("text/html"), b"<html>", true);
        assert!(matches!(e, Error::Server { ref code, .. } if code == "http_502"));
        let e = error_answer(
            StatusCode::UNAUTHORIZED,
            Some("application/json"),
            json,
            true,
        );
        assert_eq!(e.kind(), crate::ErrorKind::SignInNeeded);
        let e = error_answer(
            StatusCode::UNAUTHORIZED,
            Some("application/json"),
            json,
            false,
        );
        assert!(
            matches!(e, Error::Server { .. }),
            "a wrong password is not a lost session"
        );
        let wiped = wire::encode(&Response::Error(ErrorReply {
            code: "device_wiped".into(),
            message: "erase".into(),
        }));
        for ends_session in [true, false] {
            let e = error_answer(
                StatusCode::UNAUTHORIZED,
                Some(CONTENT_TYPE),
                &wiped,
                ends_session,
            );
            assert_eq!(e.kind(), crate::ErrorKind::DeviceWiped);
        }
        let e = error_answer(StatusCode::BAD_REQUEST, Some(CONTENT_TYPE), &wiped, true);
        assert!(
            matches!(e, Error::Server { .. }),
            "only a 401 revokes the device"
        );
    }
}

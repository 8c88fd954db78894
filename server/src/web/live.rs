//! `GET /live`: the live notices of `GET /v1/sync/live` for a signed-in page (the session
//! cookie instead of a bearer token). The page's script refreshes its live region when it
//! hears `changed`.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use onsite_domain::Role;

use super::session::RENEW_AFTER_SECS;
use super::{WebError, WebUser};
use crate::app::AppState;
use crate::error::ApiError;

pub async fn live(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    // A WebSocket is not bound by the same-origin rules of a page: only this origin's pages
    // may open one.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h);
    if origin.is_none() || origin != host {
        return Err(WebError(ApiError::forbidden(
            "a live socket of another origin",
        )));
    }
    let mut caller = user.auth();
    // The socket ends after this long, and the page connects again through the session
    // guard: a revoked browser stops hearing within that time.
    caller.expires_at = chrono::Utc::now().timestamp() + RENEW_AFTER_SECS;
    let notices = state.backend.live().subscribe();
    let stopping = state.stopping.subscribe();
    Ok(upgrade
        .max_message_size(4 * 1024)
        .on_upgrade(move |socket| crate::routes::live::serve(socket, notices, stopping, caller))
        .into_response())
}

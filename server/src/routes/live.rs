//! `GET /v1/sync/live`: a WebSocket on which the server says "sync now" whenever a commit
//! concerns the caller (see [`crate::live`]). Text messages only: `ready` once subscribed
//! (so a device that was disconnected syncs to catch up), then `changed`. The server ends
//! the connection when the access token expires (close code 4001): the device refreshes
//! its token by syncing and connects again, so a disabled account or revoked device stops
//! hearing within one token lifetime, and at once at its next request.

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use onsite_domain::Role;
use onsite_store::{Listener, Notice};
use tokio::sync::broadcast::error::RecvError;

use crate::app::AppState;
use crate::auth::{AuthUser, revoked_error};
use crate::error::ApiError;

/// Close code of an expired access token (the 4000–4999 range is the application's).
const TOKEN_EXPIRED: u16 = 4001;
/// Close code of a server that is shutting down (RFC 6455's "service restart"): the
/// device connects again, to this server once it is back or to another.
const RESTARTING: u16 = 1012;

#[utoipa::path(
    get,
    path = "/v1/sync/live",
    tag = "sync",
    summary = "WebSocket of live notices: `ready`, then `changed` when a sync would bring something",
    responses(
        (status = 101, description = "switched to the WebSocket protocol; text messages are JSON notices"),
        (status = 400, description = "not a WebSocket upgrade request"),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "administrators do not sync", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn live(
    State(state): State<AppState>,
    super::sync::SyncCaller(user, device): super::sync::SyncCaller,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if device.revoked {
        return Err(revoked_error(device));
    }
    if user.role == Role::Admin {
        return Err(ApiError::forbidden(
            "administrators manage accounts and do not sync jobs",
        ));
    }
    // Subscribed before the upgrade, so nothing committed after this answer is missed.
    let notices = state.backend.live().subscribe();
    let stopping = state.stopping.subscribe();
    Ok(upgrade
        .max_message_size(4 * 1024)
        .on_upgrade(move |socket| serve(socket, notices, stopping, user))
        .into_response())
}

pub(crate) async fn serve(
    mut socket: WebSocket,
    mut notices: tokio::sync::broadcast::Receiver<Notice>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    user: AuthUser,
) {
    let _counted = crate::metrics::LiveConnection::open();
    let listener = Listener {
        user_id: user.user_id.clone(),
        device_id: user.device_id.clone(),
        sees_all: user.role == Role::BackOffice,
    };
    let left = u64::try_from(user.expires_at - chrono::Utc::now().timestamp()).unwrap_or(0);
    let expiry = tokio::time::sleep(std::time::Duration::from_secs(left));
    tokio::pin!(expiry);
    if socket.send(Message::text("ready")).await.is_err() {
        return;
    }
    loop {
        let tell = tokio::select! {
            notice = notices.recv() => match notice {
                Ok(n) => n.concerns(&listener),
                // Fell behind: one "changed" stands for whatever was missed.
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                // Pings are answered by the WebSocket layer; anything else is ignored.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => false,
            },
            () = &mut expiry => {
                close(&mut socket, TOKEN_EXPIRED, "access token expired").await;
                return;
            }
            () = stopped(&mut stopping) => {
                close(&mut socket, RESTARTING, "the server is shutting down; connect again").await;
                return;
            }
        };
        if tell && socket.send(Message::text("changed")).await.is_err() {
            return;
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// Resolves once the server begins to shut down (or is gone: the sender lives as long as
/// the server).
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        let stop = *stopping.borrow_and_update();
        if stop || stopping.changed().await.is_err() {
            return;
        }
    }
}

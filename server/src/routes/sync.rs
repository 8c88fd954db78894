//! `POST /v1/sync`: binary frames in, binary frames out.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onsite_sync::server::{HandleError, Peer, handle};
use onsite_sync::wire::{self, CONTENT_TYPE, ErrorReply, Request};

use crate::app::AppState;
use crate::auth::{AuthUser, authenticate, revoked_error};
use crate::error::ApiError;
use onsite_store::StoreError;
use onsite_store::repo::accounts::DeviceState;

fn frame(status: StatusCode, response: &wire::Response) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        wire::encode(response),
    )
        .into_response()
}

fn error_frame(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    frame(
        status,
        &wire::Response::Error(ErrorReply {
            code: code.to_string(),
            message: message.into(),
        }),
    )
}

fn wiped() -> Response {
    error_frame(
        StatusCode::UNAUTHORIZED,
        "device_wiped",
        "this device was revoked by an administrator: erase its data",
    )
}

enum Failure {
    Handle(HandleError<StoreError>),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// The caller of the sync endpoint. A device revoked with a wipe may still upload once:
/// what the server accepts is kept, then the device is told to erase its data.
pub struct SyncCaller(pub(super) AuthUser, pub(super) DeviceState);

impl axum::extract::FromRequestParts<AppState> for SyncCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let refused = |e: ApiError| {
            // Refused before its (possibly large) body was read, the connection cannot
            // carry another request: say so, or the client's pool reuses a dead
            // connection for its token refresh.
            let mut response = e.into_response();
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            response
        };
        let (user, device) = authenticate(parts, state).await.map_err(refused)?;
        if device.revoked && !device.wipe {
            return Err(refused(revoked_error(device)));
        }
        Ok(SyncCaller(user, device))
    }
}

// `content_type` takes a literal: `openapi::tests` checks it against `wire::CONTENT_TYPE`.
#[utoipa::path(
    post,
    path = "/v1/sync",
    tag = "sync",
    summary = "The sync protocol: one CBOR request frame in, one response frame out (docs/protocol.md)",
    request_body(content = Vec<u8>, content_type = "application/vnd.onsite.sync", description = "a CBOR request frame"),
    responses(
        (status = 200, description = "a CBOR response frame", content((Vec<u8> = "application/vnd.onsite.sync"))),
        (status = 400, description = "a frame that cannot be read: a CBOR error frame", content((Vec<u8> = "application/vnd.onsite.sync"))),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed (JSON); device_wiped after a revoked device's last upload (a CBOR error frame)", content((crate::error::ErrorBody = "application/json"), (Vec<u8> = "application/vnd.onsite.sync"))),
        (status = 403, description = "a change the write policy refuses (forbidden, read_only): a CBOR error frame", content((Vec<u8> = "application/vnd.onsite.sync"))),
        (status = 413, description = "payload_too_large: the body is larger than the server accepts (JSON)", body = crate::error::ErrorBody),
        (status = 415, description = "not sent as application/vnd.onsite.sync: a CBOR error frame", content((Vec<u8> = "application/vnd.onsite.sync"))),
        (status = 500, description = "the server could not complete the request: a CBOR error frame", content((Vec<u8> = "application/vnd.onsite.sync")))
    ),
    security(("bearer" = []))
)]
pub async fn sync(
    State(state): State<AppState>,
    SyncCaller(user, device): SyncCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        // Refused by the HTTP layer, as a missing token is: in JSON, not as a frame.
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the sync request is larger than the server accepts (--max-sync-body-mb)",
            )
            .into_response();
        }
        Err(e) => {
            return error_frame(StatusCode::BAD_REQUEST, "malformed_message", e.body_text());
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type != Some(CONTENT_TYPE) {
        return error_frame(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send sync messages as {CONTENT_TYPE}"),
        );
    }
    let mut request: Request = match wire::decode(&body) {
        Ok(r) => r,
        Err(e) => return error_frame(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
    };
    let wiping = device.revoked;
    if wiping {
        // Last contact of a revoked device: take its uploads, give it nothing.
        request = match request {
            Request::Sync(mut s) => {
                s.pull = None;
                Request::Sync(s)
            }
            _ => return wiped(),
        };
    }
    crate::metrics::sync_request(
        body.len(),
        match &request {
            Request::Sync(s) => s.push.len(),
            Request::RepairDoc(_) => 1,
            Request::Scope => 0,
        },
    );
    let peer = Peer {
        user_id: user.user_id,
        role: user.role,
        device_id: user.device_id,
    };
    // Requests that only read run beside the writer; the rest are serialised through it.
    let read_only = match &request {
        Request::Scope => true,
        Request::Sync(s) => s.push.is_empty(),
        Request::RepairDoc(_) => false,
    };
    let work = move |unit: &mut dyn onsite_store::Unit| -> Result<wire::Response, Failure> {
        handle(unit, &peer, request).map_err(Failure::Handle)
    };
    let result = if read_only {
        state.backend.read(work).await
    } else {
        state.backend.write(work).await
    };
    match result {
        Ok(_) if wiping => wiped(),
        Ok(response) => {
            if let wire::Response::Sync(sync) = &response {
                for refused in &sync.refused {
                    crate::metrics::sync_refused(&refused.code);
                }
                if let Some(wire::PullReply::Page(wire::Page {
                    cursor: Some(cursor),
                    ..
                })) = &sync.pull
                {
                    crate::metrics::feed_head(cursor.seq);
                }
            }
            frame(StatusCode::OK, &response)
        }
        Err(Failure::Handle(e)) => {
            let status = match &e {
                HandleError::BadRequest(_) => StatusCode::BAD_REQUEST,
                HandleError::Forbidden(_) | HandleError::ReadOnly(_) => StatusCode::FORBIDDEN,
                HandleError::Store(inner) => {
                    tracing::error!(error = %inner, "sync storage failure");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            frame(status, &wire::Response::Error(e.reply()))
        }
        Err(Failure::Store(e)) => {
            tracing::error!(error = %e, "sync database failure");
            error_frame(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server could not complete the request",
            )
        }
    }
}

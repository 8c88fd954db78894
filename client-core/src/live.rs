//! The live-notice connection of background sync: a WebSocket to `/v1/sync/live` on which
//! the server says "sync now" (`ready` when subscribed, `changed` after a commit that
//! concerns this device). Notices carry no data; the sync exchange does the work, so a
//! dropped connection only means the next sync comes at the interval instead of at once.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{StatusCode, header::AUTHORIZATION};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, connect_async_tls_with_config};

use crate::client::WeakClient;
use crate::retry::Retry;
use crate::transport::CONNECT_TIMEOUT;

/// A silent link (a phone that lost its network without a word) is found by pinging.
const PING_EVERY: Duration = Duration::from_secs(25);
/// Reconnecting after a failure waits about 1 s, 2 s, 4 s, … up to this (with jitter).
const MAX_RETRY: Duration = Duration::from_secs(60);

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The access token was refused or expired: a sync refreshes it.
    Unauthorized,
    /// The server went away, or never answered.
    Gone,
}

/// `http(s)://host/...` → `ws(s)://host/.../v1/sync/live`.
fn live_url(base: &str) -> Option<String> {
    let rest = base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))?;
    Some(format!("{rest}/v1/sync/live"))
}

/// Holds the connection while background sync runs: every notice wakes `remote` (the
/// background loop then syncs). Ends when the client is dropped.
pub(crate) async fn run(client: WeakClient, remote: Arc<Notify>) {
    let mut retry = Retry::new(MAX_RETRY);
    loop {
        let Some(c) = client.upgrade() else {
            return;
        };
        let target = c.live_target().await;
        let tls = c.tls();
        drop(c);
        let end = match (target, tls) {
            // Signed out: nothing to listen for until a sign-in; look again later.
            (None, _) => End::Gone,
            (Some((base, token)), Ok(tls)) => listen(&base, &token, tls, &remote, &mut retry).await,
            (Some(_), Err(e)) => {
                tracing::warn!(error = %e, "no TLS configuration for live notices");
                End::Gone
            }
        };
        if end == End::Unauthorized {
            // A sync refreshes the access token (or reports that a sign-in is needed).
            remote.notify_one();
        }
        tokio::time::sleep(retry.after_failure()).await;
    }
}

/// One connection, until it ends. `retry` starts over once the server accepted it.
async fn listen(
    base: &str,
    token: &str,
    tls: Arc<rustls::ClientConfig>,
    remote: &Notify,
    retry: &mut Retry,
) -> End {
    let Some(url) = live_url(base) else {
        return End::Gone;
    };
    let secure = url.starts_with("wss://");
    let Ok(mut request) = url.into_client_request() else {
        return End::Gone;
    };
    let Ok(auth) = format!("Bearer {token}").parse() else {
        return End::Unauthorized;
    };
    request.headers_mut().insert(AUTHORIZATION, auth);
    let connector = secure.then(|| Connector::Rustls(tls));
    let connecting = connect_async_tls_with_config(request, None, false, connector);
    let mut socket = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok((socket, _))) => socket,
        Ok(Err(tungstenite::Error::Http(answer)))
            if answer.status() == StatusCode::UNAUTHORIZED =>
        {
            return End::Unauthorized;
        }
        Ok(Err(_)) | Err(_) => return End::Gone,
    };
    retry.reset();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut heard_since_ping = true;
    loop {
        tokio::select! {
            message = socket.next() => {
                heard_since_ping = true;
                match message {
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => remote.notify_one(),
                    Some(Ok(Message::Close(frame))) => {
                        // 4001: the access token expired; a sync refreshes it.
                        let expired = frame.is_some_and(|f| u16::from(f.code) == 4001);
                        return if expired { End::Unauthorized } else { End::Gone };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return End::Gone,
                }
            }
            _ = ping.tick() => {
                if !heard_since_ping {
                    return End::Gone;
                }
                heard_since_ping = false;
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return End::Gone;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_urls_follow_the_server_address() {
        assert_eq!(
            live_url("https://onsite.example.com/api").as_deref(),
            Some("wss://onsite.example.com/api/v1/sync/live")
        );
        assert_eq!(
            live_url("http://127.0.0.1:8080").as_deref(),
            Some("ws://127.0.0.1:8080/v1/sync/live")
        );
        assert_eq!(live_url("ftp://x"), None);
    }
}

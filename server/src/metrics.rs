//! Prometheus metrics, served as text at `GET /metrics`.
//!
//! The `metrics` facade records; the Prometheus exporter's recorder keeps the values and
//! renders them. The recorder is global to the process (as every `metrics` recorder is), so
//! servers started in one process (tests) share it.
//!
//! What is recorded:
//! - `onsite_http_requests_total{method, route, status}` and
//!   `onsite_http_request_duration_seconds{method, route}`: every request, by the route's
//!   pattern (`/v1/jobs/{id}`, never the id), `unmatched` for unknown paths;
//! - `onsite_sync_requests_total`, `onsite_sync_request_bytes_total`,
//!   `onsite_sync_documents_pushed_total`, `onsite_sync_refused_total{code}`: the sync
//!   endpoint's traffic and the write policy's refusals by code;
//! - `onsite_feed_head`: the newest feed number a sync answered with;
//! - `onsite_live_connections`: open live-notice sockets;
//! - `onsite_db_connections{state}`: the database connections the server holds, `open`
//!   (busy or idle) and `idle`, read at each scrape.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's recorder, installed on first use.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| tracing::warn!(error = %e, "metrics are off: no recorder"))
                .ok()
        })
        .as_ref()
}

/// Installs the recorder, and keeps its histograms drained while the server runs (as the
/// exporter asks of whoever does not use its own listener).
pub fn start() {
    if let Some(handle) = handle() {
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(10));
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    summary = "Prometheus metrics (text exposition format)",
    responses(
        (status = 200, description = "the metrics", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8")
    )
)]
pub(crate) async fn render(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> Response {
    let connections = state.backend.connections();
    metrics::gauge!("onsite_db_connections", "state" => "open").set(f64::from(connections.open));
    metrics::gauge!("onsite_db_connections", "state" => "idle").set(f64::from(connections.idle));
    let text = handle().map(PrometheusHandle::render).unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Middleware: counts and times every request by its route's pattern.
pub async fn track(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("onsite_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("onsite_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One sync request of `bytes`, pushing `documents`, answered at feed number `head`.
pub fn sync_request(bytes: usize, documents: usize) {
    metrics::counter!("onsite_sync_requests_total").increment(1);
    metrics::counter!("onsite_sync_request_bytes_total").increment(bytes as u64);
    metrics::counter!("onsite_sync_documents_pushed_total").increment(documents as u64);
}

pub fn sync_refused(code: &str) {
    metrics::counter!("onsite_sync_refused_total", "code" => code.to_string()).increment(1);
}

pub fn feed_head(head: u64) {
    metrics::gauge!("onsite_feed_head").set(head as f64);
}

/// An open live socket, counted while it lives.
#[derive(Debug)]
pub struct LiveConnection(());

impl LiveConnection {
    pub fn open() -> LiveConnection {
        metrics::gauge!("onsite_live_connections").increment(1.0);
        LiveConnection(())
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        metrics::gauge!("onsite_live_connections").decrement(1.0);
    }
}

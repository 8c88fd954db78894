//! A small in-process stand-in for the Onsite server: the real sans-IO sync handler over
//! an in-memory store, behind the HTTP contract the client speaks (login, refresh, sync),
//! with switches to expire tokens and to go away. The real server's own tests live in
//! the workspace's `tests/` crate; this one exists to test the client's HTTP side alone.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use automerge::ActorId;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use onsite_domain::{Decision, Event, EventKind, Job, JobDoc, ReviewDecision, Role};
use onsite_sync::memory::MemoryServerStore;
use onsite_sync::server::{Peer, handle};
use onsite_sync::wire::{self, CONTENT_TYPE, DocChanges, ErrorReply, Request, SyncRequest};
use serde_bytes::ByteBuf;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct horse";

#[derive(Default)]
struct State_ {
    store: Mutex<MemoryServerStore>,
    accounts: Mutex<HashMap<String, (String, Role)>>,
    access: Mutex<HashMap<String, Peer>>,
    refresh: Mutex<HashMap<String, Peer>>,
    next_token: AtomicU64,
    pub refreshes: AtomicU64,
}

type Shared = Arc<State_>;

pub struct FakeServer {
    pub addr: SocketAddr,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn frame(status: StatusCode, response: &wire::Response) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        wire::encode(response),
    )
        .into_response()
}

fn issue(state: &State_, peer: Peer) -> Value {
    let n = state.next_token.fetch_add(1, Ordering::Relaxed);
    let (access, refresh) = (format!("access-{n}"), format!("refresh-{n}"));
    state
        .access
        .lock()
        .unwrap()
        .insert(access.clone(), peer.clone());
    state
        .refresh
        .lock()
        .unwrap()
        .insert(refresh.clone(), peer.clone());
    json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": 900,
        "user_id": peer.user_id,
        "role": peer.role.as_str(),
    })
}

async fn login(State(state): State<Shared>, Json(body): Json<Value>) -> Response {
    let (Some(username), Some(password), Some(device)) = (
        body["username"].as_str(),
        body["password"].as_str(),
        body["device_id"].as_str(),
    ) else {
        return json_error(StatusCode::BAD_REQUEST, "bad_request", "missing fields");
    };
    let account = state.accounts.lock().unwrap().get(username).cloned();
    match account {
        Some((user_id, role)) if password == PASSWORD => {
            let peer = Peer {
                user_id,
                role,
                device_id: device.to_string(),
            };
            Json(issue(&state, peer)).into_response()
        }
        _ => json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        ),
    }
}

async fn refresh(State(state): State<Shared>, Json(body): Json<Value>) -> Response {
    let token = body["refresh_token"].as_str().unwrap_or_default();
    let peer = state.refresh.lock().unwrap().remove(token);
    match peer {
        Some(peer) => {
            state.refreshes.fetch_add(1, Ordering::Relaxed);
            Json(issue(&state, peer)).into_response()
        }
        None => json_error(StatusCode::UNAUTHORIZED, "invalid_refresh", "sign in again"),
    }
}

async fn sync(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Some(peer) = state.access.lock().unwrap().get(token).cloned() else {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "expired or unknown token",
        );
    };
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some(CONTENT_TYPE)
    {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "frames only",
        );
    }
    let request: Request = match wire::decode(&body) {
        Ok(r) => r,
        Err(e) => {
            let reply = ErrorReply {
                code: e.code().into(),
                message: e.to_string(),
            };
            return frame(StatusCode::BAD_REQUEST, &wire::Response::Error(reply));
        }
    };
    let result = handle(&mut *state.store.lock().unwrap(), &peer, request);
    match result {
        Ok(response) => frame(StatusCode::OK, &response),
        Err(e) => frame(StatusCode::BAD_REQUEST, &wire::Response::Error(e.reply())),
    }
}

impl FakeServer {
    pub async fn start() -> FakeServer {
        let state: Shared = Arc::new(State_ {
            store: Mutex::new(MemoryServerStore::new("epoch-1")),
            ..State_::default()
        });
        let router = Router::new()
            .route("/v1/auth/login", post(login))
            .route("/v1/auth/refresh", post(refresh))
            .route("/v1/sync", post(sync))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        FakeServer {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates an account; returns its user id.
    pub fn add_user(&self, username: &str, role: Role) -> String {
        let user_id = format!("user-{username}");
        self.state
            .accounts
            .lock()
            .unwrap()
            .insert(username.to_string(), (user_id.clone(), role));
        user_id
    }

    /// Every access token stops working (refresh tokens still do).
    pub fn expire_access_tokens(&self) {
        self.state.access.lock().unwrap().clear();
    }

    /// Every token stops working: a sign-in is needed.
    pub fn revoke_all(&self) {
        self.expire_access_tokens();
        self.state.refresh.lock().unwrap().clear();
    }

    pub fn refreshes(&self) -> u64 {
        self.state.refreshes.load(Ordering::Relaxed)
    }

    /// Stops accepting connections and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn office() -> Peer {
        Peer {
            user_id: "office".into(),
            role: Role::BackOffice,
            device_id: "office-pc".into(),
        }
    }

    fn push(&self, doc: &str, changes: Vec<automerge::Change>) {
        let request = Request::Sync(SyncRequest {
            push: vec![DocChanges {
                doc: doc.to_string(),
                changes: changes
                    .iter()
                    .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                    .collect(),
                whole: None,
            }],
            pull: None,
            reference: None,
            clock: None,
        });
        let response = handle(
            &mut *self.state.store.lock().unwrap(),
            &Self::office(),
            request,
        )
        .unwrap();
        let wire::Response::Sync(reply) = response else {
            panic!("unexpected answer")
        };
        assert!(reply.refused.is_empty(), "{:?}", reply.refused);
    }

    /// The back office creates a job assigned to `assignee`; returns its id.
    pub fn create_job(&self, assignee: &str, customer: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let mut job = Job {
            id: id.clone(),
            origin: "hotline".into(),
            reported_at: 1_000,
            assignee: Some(assignee.into()),
            ..Job::default()
        };
        job.customer.name = customer.into();
        for (i, kind) in [EventKind::Reported, EventKind::Assigned]
            .into_iter()
            .enumerate()
        {
            job.events.push(Event {
                id: format!("{id}-{i}"),
                kind,
                at: 1_000,
                by: "office".into(),
            });
        }
        let (_, change) = JobDoc::create(&job, ActorId::random(), 1_000).unwrap();
        self.push(&id, vec![change]);
        id
    }

    /// The back office approves a job.
    pub fn approve(&self, id: &str) {
        let bytes = self
            .state
            .store
            .lock()
            .unwrap()
            .doc_bytes(id)
            .unwrap()
            .clone();
        let mut doc = JobDoc::load(&bytes).unwrap();
        doc.set_actor(ActorId::random());
        let change = doc
            .edit("approve", 4_000_000_000_000, |job| {
                job.reviews.push(ReviewDecision {
                    id: uuid::Uuid::new_v4().to_string(),
                    decision: Decision::Approved,
                    comment: String::new(),
                    at: 4_000_000_000_000,
                    by: "office".into(),
                })
            })
            .unwrap()
            .unwrap();
        self.push(id, vec![change]);
    }

    /// The job as the server holds it.
    pub fn job(&self, id: &str) -> Job {
        let bytes = self
            .state
            .store
            .lock()
            .unwrap()
            .doc_bytes(id)
            .unwrap()
            .clone();
        JobDoc::load(&bytes).unwrap().job().unwrap()
    }
}

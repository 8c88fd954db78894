//! The back-office JSON API as tests call it: the answer's status checked where it is
//! part of the test, a panic with the path and body where the call itself fails.

use reqwest::Method;
use serde_json::Value;

use crate::TestServer;

/// Calls the JSON API; the status and the JSON body.
pub async fn call(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    match server.call(method, path, token, body).await {
        Ok(answer) => answer,
        Err(e) => panic!("{path}: {e}"),
    }
}

/// A call that must answer `status`; returns the body.
pub async fn expect(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (got, answer) = call(server, token, method, path, body).await;
    assert_eq!(got, status, "{path}: {answer}");
    answer
}

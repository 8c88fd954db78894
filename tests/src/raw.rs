//! A hostile app: speaks the sync protocol directly and builds changes with Automerge by
//! hand, bypassing every check the client core makes.

use anyhow::{anyhow, bail};
use onsite_domain::JobDoc;
use onsite_sync::wire::{
    self, CONTENT_TYPE, DocChanges, Page, PullReply, PullRequest, Request, Response, SyncRequest,
    SyncResponse,
};
use serde_bytes::ByteBuf;

#[derive(Debug, Clone)]
pub struct RawDevice {
    pub url: String,
    pub token: String,
    http: reqwest::Client,
}

impl RawDevice {
    pub fn new(url: &str, token: &str) -> RawDevice {
        RawDevice {
            url: url.to_string(),
            token: token.to_string(),
            http: crate::http(),
        }
    }

    /// Sends one request; returns the HTTP status and the decoded answer.
    pub async fn send(&self, request: &Request) -> anyhow::Result<(u16, Response)> {
        let resp = self
            .http
            .post(format!("{}/v1/sync", self.url))
            .bearer_auth(&self.token)
            .header("content-type", CONTENT_TYPE)
            .body(wire::encode(request))
            .send()
            .await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        if let Ok(response) = wire::decode(&body) {
            return Ok((status, response));
        }
        // Errors raised before the body is read (authentication) are JSON.
        let json: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| anyhow!("status {status}: body is neither a frame nor JSON: {e}"))?;
        let text = |k: &str| json["error"][k].as_str().unwrap_or_default().to_string();
        Ok((
            status,
            Response::Error(wire::ErrorReply {
                code: text("code"),
                message: text("message"),
            }),
        ))
    }

    /// The first page the server sends this device from an empty cursor, with its status.
    pub async fn first_page(&self) -> anyhow::Result<(u16, Page)> {
        let request = Request::Sync(SyncRequest {
            push: vec![],
            pull: Some(PullRequest {
                cursor: None,
                max_items: 2_000,
                reference: None,
            }),
            reference: None,
            clock: None,
        });
        let (status, response) = self.send(&request).await?;
        let Response::Sync(SyncResponse {
            pull: Some(PullReply::Page(page)),
            ..
        }) = response
        else {
            bail!("status {status}: unexpected answer {response:?}");
        };
        Ok((status, page))
    }

    /// Every job the server sends this device from an empty cursor, whole.
    pub async fn pull_all(&self) -> anyhow::Result<Vec<(String, JobDoc)>> {
        let (_, page) = self.first_page().await?;
        page.docs
            .into_iter()
            .map(|d| Ok((d.doc, JobDoc::load(&d.data)?)))
            .collect()
    }

    /// Uploads changes to one document.
    pub async fn push(&self, doc: &str, changes: Vec<Vec<u8>>) -> anyhow::Result<(u16, Response)> {
        self.send(&Request::Sync(SyncRequest {
            push: vec![DocChanges {
                doc: doc.to_string(),
                changes: changes.into_iter().map(ByteBuf::from).collect(),
                whole: None,
            }],
            pull: None,
            reference: None,
            clock: None,
        }))
        .await
    }
}

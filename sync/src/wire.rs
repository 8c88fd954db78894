//! The sync wire format: versioned binary messages shared by devices and server.
//!
//! A message is a frame: the 4 magic bytes `ONSY`, the protocol version as a big-endian
//! `u16`, then one CBOR value (RFC 8949) holding a [`Request`] or [`Response`]. Byte strings
//! (Automerge changes and documents) are CBOR byte strings, never arrays of numbers.
//! docs/protocol.md describes every message for implementers in other languages.

use onsite_domain::{CatalogItem, FormTemplate, StockLevel};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

pub const MAGIC: [u8; 4] = *b"ONSY";
pub const PROTOCOL_VERSION: u16 = 1;
/// The HTTP media type of a frame.
pub const CONTENT_TYPE: &str = "application/vnd.onsite.sync";

/// Where a device is in the server's feed: the server's epoch and the last sequence applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub epoch: String,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Upload changes, then read the next page of the feed. Either part may be empty.
    Sync(SyncRequest),
    /// One round of Automerge's own sync protocol for one document (the repair path).
    RepairDoc(RepairDoc),
    /// The documents in the sender's scope and the feed head, to start a full repair.
    Scope,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub push: Vec<DocChanges>,
    pub pull: Option<PullRequest>,
    /// Never sent by a device: reference data is the server's and flows down only. It is
    /// named here so that a request carrying it is refused (`read_only`) rather than
    /// silently stripped of it.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceDelta>,
    /// The device clock when the request was made, ms since the Unix epoch. The server
    /// compares it with its own to judge the device times of the pushed changes (see
    /// `onsite_domain::evidence`); left out by software before it existed, and then the
    /// device's offset is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<i64>,
}

/// Automerge changes of one document, each in its binary form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocChanges {
    pub doc: String,
    pub changes: Vec<ByteBuf>,
    /// The whole document (`Automerge::save()`), sent in place of its changes when none of
    /// them has reached the server yet: a job created on the device uploads in its compact
    /// columnar form, which is a fraction of the size of its changes one by one. The server
    /// takes every change the document holds, plus any in `changes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole: Option<ByteBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    /// `None` for a device that has never synced.
    pub cursor: Option<Cursor>,
    /// The most feed items the device wants in one page.
    pub max_items: u32,
    /// The device's reference cursor: the last reference sequence it applied, 0 before
    /// the first. `None` (the field left out) from software that keeps no reference data:
    /// such a device is sent none, so older clients keep working unchanged.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairDoc {
    pub doc: String,
    /// An encoded `automerge::sync::Message`.
    pub message: ByteBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Sync(SyncResponse),
    RepairDoc(RepairReply),
    Scope(ScopeReply),
    Error(ErrorReply),
}

/// The outcome of a [`SyncRequest`]. Every pushed document not named in `refused` or
/// `needs_repair` was durably committed before this response was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub refused: Vec<Refused>,
    pub needs_repair: Vec<String>,
    pub pull: Option<PullReply>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub doc: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullReply {
    Page(Page),
    /// The cursor belongs to another epoch or lies beyond the feed: repair every document
    /// in scope, then continue from `cursor`.
    Reset {
        cursor: Cursor,
    },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Page {
    pub cursor: Option<Cursor>,
    /// More items wait after this page.
    pub more: bool,
    /// Whole documents that entered the device's scope.
    pub docs: Vec<DocSnapshot>,
    /// Changes to documents the device already holds, in feed order.
    pub changes: Vec<DocChange>,
    /// Documents that left the device's scope.
    pub left: Vec<String>,
    /// Reference data changed after the request's reference cursor; left out when nothing
    /// changed, so an idle device pays nothing for it.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceDelta>,
}

/// Reference data a device keeps read-only: what changed after its reference cursor.
///
/// Every entry is a whole, absolute record (a catalog item, a template version, the
/// balance of one part in the technician's van), so applying a delta twice, or an older
/// one after a newer, converges on the same state once the latest is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReferenceDelta {
    /// The reference cursor to store with this delta.
    pub seq: u64,
    /// `true`: this is everything the device may hold; replace what it has (first sync,
    /// or a cursor the server does not know, after a restore).
    #[serde(default, skip_serializing_if = "is_false")]
    pub full: bool,
    /// Catalog items created or changed (never deleted: an old part is made inactive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub catalog: Vec<CatalogItem>,
    /// Template versions published (a published version never changes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<FormTemplate>,
    /// The technician's van stock of each part whose balance changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stock: Vec<StockLevel>,
}

impl ReferenceDelta {
    /// Nothing to apply beyond the cursor itself.
    pub fn is_empty(&self) -> bool {
        !self.full && self.catalog.is_empty() && self.templates.is_empty() && self.stock.is_empty()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSnapshot {
    pub doc: String,
    /// The output of `Automerge::save()`.
    pub data: ByteBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocChange {
    pub doc: String,
    pub change: ByteBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairReply {
    pub doc: String,
    /// The server's next sync message, if it has something to say.
    pub message: Option<ByteBuf>,
    pub refused: Option<Refused>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeReply {
    pub cursor: Cursor,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub code: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("not an Onsite sync message (bad magic bytes)")]
    BadMagic,
    #[error("message truncated")]
    Truncated,
    #[error("unsupported protocol version {0}; this server speaks {PROTOCOL_VERSION}")]
    Version(u16),
    #[error("malformed message body: {0}")]
    Body(String),
}

impl FrameError {
    /// A stable machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::BadMagic | FrameError::Truncated | FrameError::Body(_) => {
                "malformed_message"
            }
            FrameError::Version(_) => "unsupported_version",
        }
    }
}

/// Encodes a message as a frame.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    // Writing CBOR into a Vec cannot fail for these plain data types.
    if let Err(e) = ciborium::into_writer(message, &mut out) {
        unreachable!("CBOR encoding into memory failed: {e}");
    }
    out
}

/// Decodes a frame, checking magic bytes and version before the body.
pub fn decode<T: for<'de> Deserialize<'de>>(frame: &[u8]) -> Result<T, FrameError> {
    if frame.len() < 6 {
        return Err(if frame.len() >= 4 && frame[..4] != MAGIC {
            FrameError::BadMagic
        } else {
            FrameError::Truncated
        });
    }
    if frame[..4] != MAGIC {
        return Err(FrameError::BadMagic);
    }
    let version = u16::from_be_bytes([frame[4], frame[5]]);
    if version != PROTOCOL_VERSION {
        return Err(FrameError::Version(version));
    }
    ciborium::from_reader(&frame[6..]).map_err(|e| FrameError::Body(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_garbage() {
        let req = Request::Sync(SyncRequest {
            push: vec![DocChanges {
                doc: "d".into(),
                changes: vec![ByteBuf::from(vec![1, 2, 3])],
                whole: None,
            }],
            pull: Some(PullRequest {
                cursor: None,
                max_items: 10,
                reference: Some(3),
            }),
            reference: None,
            clock: Some(1_794_823_200_000),
        });
        let frame = encode(&req);
        assert_eq!(decode::<Request>(&frame).unwrap(), req);
        assert_eq!(
            decode::<Request>(&frame[..frame.len() - 3])
                .unwrap_err()
                .code(),
            "malformed_message"
        );
        let mut v2 = frame.clone();
        v2[5] = 2;
        assert_eq!(decode::<Request>(&v2).unwrap_err(), FrameError::Version(2));
        assert_eq!(
            decode::<Request>(b"GET / HTTP/1.1").unwrap_err(),
            FrameError::BadMagic
        );
        assert_eq!(decode::<Request>(b"ON").unwrap_err(), FrameError::Truncated);
    }

    /// A sync request as software before the device clock encoded it.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct OldSync {
        push: Vec<DocChanges>,
        pull: Option<PullRequest>,
    }

    #[test]
    fn the_device_clock_is_optional_both_ways() {
        let old = OldSync {
            push: Vec::new(),
            pull: None,
        };
        let new: SyncRequest = decode(&encode(&old)).unwrap();
        assert_eq!(new.clock, None, "an old client sends no clock");
        assert_eq!(encode(&new), encode(&old), "nothing added when unknown");
        let with = SyncRequest {
            clock: Some(1_794_823_200_000),
            ..new
        };
        let back: SyncRequest = decode(&encode(&with)).unwrap();
        assert_eq!(back.clock, Some(1_794_823_200_000));
        let old_back: OldSync = decode(&encode(&with)).unwrap();
        assert_eq!(old_back, old, "an old server ignores the clock");
    }

    /// The request and page as software before reference data encoded them.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct OldPull {
        cursor: Option<Cursor>,
        max_items: u32,
    }

    #[test]
    fn reference_fields_are_optional_both_ways() {
        let old = OldPull {
            cursor: None,
            max_items: 5,
        };
        let new: PullRequest = decode(&encode(&old)).unwrap();
        assert_eq!(
            new.reference, None,
            "an old client asks for no reference data"
        );
        let plain = PullRequest {
            cursor: None,
            max_items: 5,
            reference: None,
        };
        assert_eq!(encode(&plain), encode(&old), "nothing added when unused");
        let with = PullRequest {
            reference: Some(300),
            ..plain
        };
        // The cost of a reference cursor in every pull: a 3-letter key and the number.
        assert_eq!(encode(&with).len() - encode(&old).len(), 4 + 3);
        let old_back: OldPull = decode(&encode(&with)).unwrap();
        assert_eq!(old_back, old, "an old server ignores the cursor");
        assert_eq!(
            encode(&Page::default()).len(),
            encode(&Page {
                reference: None,
                ..Page::default()
            })
            .len()
        );
        let delta = ReferenceDelta {
            seq: 9,
            stock: vec![StockLevel {
                sku: "RLY-12".into(),
                balance: -2,
            }],
            ..ReferenceDelta::default()
        };
        assert!(!delta.is_empty());
        let page = Page {
            reference: Some(delta.clone()),
            ..Page::default()
        };
        let back: Page = decode(&encode(&page)).unwrap();
        assert_eq!(back.reference, Some(delta));
    }
}

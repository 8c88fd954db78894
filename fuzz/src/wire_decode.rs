//! Arbitrary bytes as a sync frame, decoded both as a request (what the server reads) and
//! as a response (what a device reads).
//!
//! Decoding must never panic. What decodes must survive a round trip: encoding it and
//! decoding that again gives an equal value, and encoding is deterministic.

use onsite_sync::wire::{self, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn run(data: &[u8]) {
    round_trip::<Request>(data);
    round_trip::<Response>(data);
}

fn round_trip<T>(data: &[u8])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let Ok(value) = wire::decode::<T>(data) else {
        return;
    };
    let frame = wire::encode(&value);
    let again: T = match wire::decode(&frame) {
        Ok(again) => again,
        Err(e) => panic!("a decoded message does not decode after encoding: {e}\n{value:?}"),
    };
    assert_eq!(again, value, "a decoded message changes in a round trip");
    assert_eq!(wire::encode(&again), frame, "encoding is not deterministic");
}

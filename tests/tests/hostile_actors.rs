#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A hostile technician app against the change headers: a first op counter far beyond the
//! document's (ops that would outrank every later edit, or overflow 32-bit counters), a
//! sequence number that skips ahead or repeats, and Automerge actors that belong to another
//! device (the back office's API, a colleague, another phone of the same account).

use std::num::NonZeroU64;
use std::str::FromStr;

use automerge::ActorId;
use onsite_domain::JobDoc;
use onsite_tests::hostile::{Craft, Scene, now_ms, tamper};
use onsite_tests::raw::RawDevice;

/// The first op counter of the forgeries: the op lands on 2^32 − 1, so the next honest op
/// anyone makes would need 2^32.
const NEAR_2_32: u64 = (1 << 32) - 1;

fn start_op(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).unwrap()
}

fn header(change: &[u8]) -> (String, u64, u64) {
    let c = automerge::Change::try_from(change).unwrap();
    (c.actor_id().to_hex_string(), c.seq(), c.start_op().get())
}

// --- Op counters.

#[tokio::test]
async fn a_change_encoded_again_unaltered_is_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "labour_minutes", 45_i64);
    let honest = c.change();
    let same = tamper(&honest, |_| {});
    assert_eq!(header(&same), header(&honest));
    let doc = s.expect_accepted(same).await;
    assert_eq!(doc["labour_minutes"], 45, "{doc}");
}

#[tokio::test]
async fn an_op_counter_near_2_32_is_refused_and_the_job_stays_usable() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let max_op = c.max_op();
    c.put("", "labour_minutes", 45_i64);
    let honest = c.change();
    let forged = tamper(&honest, |ch| ch.start_op = start_op(NEAR_2_32));
    assert_eq!(header(&forged).2, NEAR_2_32);
    assert!(
        max_op < 1_000,
        "the document's counters are small: {max_op}"
    );
    s.expect_refused(forged, &["op_counter"]).await;

    // The back office edits the job through the API, and signs in again.
    let cancel = onsite_tests::office::expect(
        &s.server,
        &s.office,
        reqwest::Method::POST,
        &format!("/v1/jobs/{}/cancel", s.job),
        None,
        200,
    )
    .await;
    assert_eq!(cancel["status"], "cancelled", "{cancel}");
    s.server.login("office", "office-laptop").await.unwrap();
    // A second phone of the technician, from a fresh cursor, loads the job.
    let token = s.server.login("wang", "wang-second-phone").await.unwrap();
    let second = RawDevice::new(&s.server.url(), &token);
    let docs = second.pull_all().await.unwrap();
    let (_, doc) = docs
        .iter()
        .find(|(id, _)| *id == s.job)
        .expect("the second phone is sent the job");
    let saved = doc.clone().save();
    let job = JobDoc::load(&saved).unwrap().job().unwrap();
    assert_eq!(job.labour_minutes, 0, "the forgery is not in the job");
    assert_eq!(onsite_domain::derive_status(&job).as_str(), "cancelled");
}

#[tokio::test]
async fn an_op_counter_of_2_40_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", now_ms(), &s.wang);
    let forged = tamper(&c.change(), |ch| {
        // One op per field plus the map: move every counter of the change together.
        let shift = (1 << 40) - ch.start_op.get();
        ch.start_op = start_op(1 << 40);
        shift_own_ops(ch, shift);
    });
    // Automerge's encoding has no room for such a counter: the bytes do not decode.
    s.expect_undecodable(forged).await;
}

/// Moves the change's references to its own ops (the new event map) by `shift`.
fn shift_own_ops(ch: &mut automerge::ExpandedChange, shift: u64) {
    use automerge::legacy::{ElementId, Key, ObjectId, OpId};
    let actor = ch.actor_id.clone();
    let first = ch.start_op.get() - shift;
    let own = |id: &OpId| id.actor() == &actor && id.counter() >= first;
    for op in &mut ch.operations {
        if let ObjectId::Id(id) = &op.obj
            && own(id)
        {
            op.obj = ObjectId::Id(OpId::new(id.counter() + shift, &actor));
        }
        if let Key::Seq(ElementId::Id(id)) = &op.key
            && own(id)
        {
            op.key = Key::Seq(ElementId::Id(OpId::new(id.counter() + shift, &actor)));
        }
    }
}

#[tokio::test]
async fn rewriting_the_assignee_with_a_huge_op_counter_is_refused() {
    // The same value, but an op that outranks every later reassignment by the back office.
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let same = c.rewrite_same("", "assignee");
    let forged = tamper(&same, |ch| ch.start_op = start_op(NEAR_2_32));
    s.expect_refused(forged, &["reassign", "op_counter"]).await;
}

// --- Sequence numbers.

#[tokio::test]
async fn consecutive_changes_of_one_actor_are_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", now_ms(), &s.wang);
    let first = c.change();
    c.append_event("EnRoute", now_ms(), &s.wang);
    let second = c.change();
    assert_eq!((header(&first).1, header(&second).1), (1, 2));
    let doc = s.expect_accepted_from(&s.device, vec![first, second]).await;
    assert_eq!(doc["events"][3]["kind"], "EnRoute", "{doc}");
    // And a third, in a later upload.
    c.put("", "labour_minutes", 20_i64);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["labour_minutes"], 20, "{doc}");
}

#[tokio::test]
async fn a_first_change_numbered_5_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", now_ms(), &s.wang);
    let forged = tamper(&c.change(), |ch| ch.seq = 5);
    assert_eq!(header(&forged).1, 5);
    s.expect_refused(forged, &["seq_number"]).await;
}

#[tokio::test]
async fn a_change_that_skips_a_sequence_number_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    c.append_event("OnSite", now_ms(), &s.wang);
    let forged = tamper(&c.change(), |ch| ch.seq = 3);
    s.expect_refused(forged, &["seq_number"]).await;
}

#[tokio::test]
async fn a_second_change_with_a_used_sequence_number_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    // Another branch of the same actor from the same state: seq 1 again, other content.
    let mut fork = Craft { doc: c.doc.clone() };
    c.append_event("Accepted", now_ms(), &s.wang);
    let first = c.change();
    s.expect_accepted(first.clone()).await;
    fork.put("", "labour_minutes", 5_i64);
    let forged = fork.change();
    assert_eq!(header(&forged).0, header(&first).0, "the same actor");
    assert_eq!(header(&forged).1, 1, "the same sequence number");
    s.expect_refused(forged, &["seq_number", "malformed_change"])
        .await;
}

// --- Actors belong to the device that first used them.

#[tokio::test]
async fn the_back_offices_actor_cannot_be_taken() {
    let s = Scene::start().await;
    let history = s.snapshot(&s.job).await.history;
    let office_actor = history[0]["actor"].as_str().unwrap().to_string();
    let office_seq = history[0]["seq"].as_u64().unwrap();
    assert_eq!(history[0]["device_id"], "@api", "{history:?}");
    let mut c = s.pull().await;
    c.doc.set_actor(ActorId::from_str(&office_actor).unwrap());
    c.append_event("Accepted", now_ms(), &s.wang);
    let change = c.change();
    assert_eq!(header(&change).0, office_actor);
    assert_eq!(header(&change).1, office_seq + 1, "the actor's next number");
    s.expect_refused(change, &["actor_taken"]).await;
    // still_serves edited the job through the API: with its own actor and next number.
    let history = s.snapshot(&s.job).await.history;
    let last = history.last().unwrap();
    assert_eq!(last["actor"], office_actor.as_str(), "{last}");
    assert_eq!(last["seq"], office_seq + 1, "{last}");
    assert_eq!(last["device_id"], "@api", "{last}");
    // And once more, after that.
    let body = onsite_tests::office::expect(
        &s.server,
        &s.office,
        reqwest::Method::POST,
        &format!("/v1/jobs/{}/cancel", s.job),
        None,
        200,
    )
    .await;
    assert_eq!(body["status"], "cancelled", "{body}");
}

#[tokio::test]
async fn a_colleagues_actor_cannot_be_taken() {
    let s = Scene::start().await;
    let theirs = s.another_job(&s.li).await;
    let li = RawDevice::new(
        &s.server.url(),
        &s.server.login("li", "li-phone").await.unwrap(),
    );
    let mut c = s.pull_from(&li, &theirs).await;
    let li_actor = c.doc.get_actor().clone();
    c.append_event("Accepted", now_ms(), &s.li);
    s.expect_accepted_on(&li, &theirs, vec![c.change()]).await;

    let mut c = s.pull().await;
    c.doc.set_actor(li_actor);
    c.append_event("Accepted", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["actor_taken"]).await;
}

#[tokio::test]
async fn another_phones_actor_cannot_be_taken() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let phone_actor = c.doc.get_actor().clone();
    c.append_event("Accepted", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;

    let tablet = RawDevice::new(
        &s.server.url(),
        &s.server.login("wang", "wang-tablet").await.unwrap(),
    );
    let mut c = s.pull_from(&tablet, &s.job).await;
    c.doc.set_actor(phone_actor);
    c.add_note("from the tablet", now_ms(), &s.wang);
    let change = c.change();
    assert_eq!(header(&change).1, 2, "the phone actor's next number");
    s.expect_refused_from(&tablet, &s.job, vec![change], &["actor_taken"])
        .await;
}

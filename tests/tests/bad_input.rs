#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Bad input to the sync endpoint gets a clear error status and changes nothing.

use automerge::{ActorId, AutoCommit, ObjType, ROOT, transaction::Transactable};
use onsite_domain::{Job, JobDoc, Role};
use onsite_sync::wire::{
    self, CONTENT_TYPE, DocChanges, PullRequest, Request, Response, SyncRequest,
};
use onsite_tests::TestServer;
use serde_bytes::ByteBuf;

async fn post_sync(
    server: &TestServer,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let mut req = onsite_tests::http()
        .post(format!("{}/v1/sync", server.url()))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

/// (what, token, content type, body, expected status, expected error code)
type Case<'a> = (&'a str, Option<&'a str>, &'a str, Vec<u8>, u16, &'a str);

fn error_code(body: &[u8]) -> String {
    match wire::decode::<Response>(body) {
        Ok(Response::Error(e)) => e.code,
        other => {
            let json: serde_json::Value = serde_json::from_slice(body)
                .unwrap_or_else(|_| panic!("neither a frame nor JSON: {other:?}"));
            json["error"]["code"].as_str().unwrap().to_string()
        }
    }
}

fn push(doc: &str, changes: Vec<Vec<u8>>) -> Vec<u8> {
    wire::encode(&Request::Sync(SyncRequest {
        push: vec![DocChanges {
            doc: doc.into(),
            changes: changes.into_iter().map(ByteBuf::from).collect(),
            whole: None,
        }],
        pull: Some(PullRequest {
            cursor: None,
            max_items: 100,
            reference: None,
        }),
        reference: None,
        clock: None,
    }))
}

#[tokio::test]
async fn malformed_messages_and_tokens_are_refused_and_change_nothing() {
    let server = TestServer::start().await.unwrap();
    let tech = server.create_user("tech", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let token = server.login("tech", "phone-1").await.unwrap();
    server
        .create_job(&office, "Existing", Some(&tech))
        .await
        .unwrap();
    let before = server.dump().unwrap();

    // A valid new job, to reuse in broken envelopes.
    let doc_id = uuid::Uuid::new_v4().to_string();
    let job = Job {
        id: doc_id.clone(),
        assignee: Some(tech.clone()),
        ..Job::default()
    };
    let (_, change) = JobDoc::create(&job, ActorId::random(), 0).unwrap();
    let good = push(&doc_id, vec![change.raw_bytes().to_vec()]);

    let cases: Vec<Case> = vec![
        (
            "truncated frame",
            Some(&token),
            CONTENT_TYPE,
            good[..good.len() / 2].to_vec(),
            400,
            "malformed_message",
        ),
        (
            "garbage",
            Some(&token),
            CONTENT_TYPE,
            b"\x00\x01garbage that is not cbor".to_vec(),
            400,
            "malformed_message",
        ),
        (
            "wrong version",
            Some(&token),
            CONTENT_TYPE,
            {
                let mut f = good.clone();
                f[5] = 99;
                f
            },
            400,
            "unsupported_version",
        ),
        (
            "wrong media type",
            Some(&token),
            "application/json",
            good.clone(),
            415,
            "unsupported_media_type",
        ),
        (
            "no token",
            None,
            CONTENT_TYPE,
            good.clone(),
            401,
            "unauthorized",
        ),
        (
            "forged token",
            Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"),
            CONTENT_TYPE,
            good.clone(),
            401,
            "unauthorized",
        ),
        (
            "bad change bytes",
            Some(&token),
            CONTENT_TYPE,
            push(&doc_id, vec![b"not an automerge change".to_vec()]),
            400,
            "bad_request",
        ),
        (
            "doc id not a uuid",
            Some(&token),
            CONTENT_TYPE,
            push("../../etc/passwd", vec![change.raw_bytes().to_vec()]),
            400,
            "bad_request",
        ),
        (
            "oversized body",
            Some(&token),
            CONTENT_TYPE,
            vec![0u8; 33 * 1024 * 1024],
            413,
            "",
        ),
    ];
    for (name, token, content_type, body, status, code) in cases {
        let (got, resp) = post_sync(&server, token, content_type, body).await;
        assert_eq!(got, status, "{name}: status");
        if !code.is_empty() {
            assert_eq!(error_code(&resp), code, "{name}: error code");
        }
        assert_eq!(
            server.dump().unwrap(),
            before,
            "{name}: the database changed"
        );
    }
}

#[tokio::test]
async fn changes_that_do_not_make_a_job_are_refused_per_document() {
    let server = TestServer::start().await.unwrap();
    let tech = server.create_user("tech", Role::Technician).unwrap();
    let other = server.create_user("other", Role::Technician).unwrap();
    let token = server.login("tech", "phone-1").await.unwrap();
    let before = server.dump().unwrap();

    // A well-formed Automerge change whose document is not a job.
    let mut doc = AutoCommit::new();
    doc.put_object(ROOT, "something", ObjType::Map).unwrap();
    doc.commit();
    let not_a_job = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    // A job assigned to someone else, created by this technician.
    let id = uuid::Uuid::new_v4().to_string();
    let job = Job {
        id: id.clone(),
        assignee: Some(other.clone()),
        ..Job::default()
    };
    let (_, foreign) = JobDoc::create(&job, ActorId::random(), 0).unwrap();

    for (doc_id, change, code) in [
        (uuid::Uuid::new_v4().to_string(), not_a_job, "schema"),
        (id, foreign.raw_bytes().to_vec(), "not_assigned"),
    ] {
        let (status, body) = post_sync(
            &server,
            Some(&token),
            CONTENT_TYPE,
            push(&doc_id, vec![change]),
        )
        .await;
        assert_eq!(status, 200);
        let Response::Sync(resp) = wire::decode::<Response>(&body).unwrap() else {
            panic!("not a sync response")
        };
        assert_eq!(resp.refused.len(), 1, "{code}");
        // A key the job schema does not have is named as such by the op check.
        let got = resp.refused[0].code.as_str();
        assert!(
            got == code || (code == "schema" && got == "unknown_field"),
            "{got} for {code}"
        );
        assert_eq!(resp.refused[0].doc, doc_id);
    }
    assert_eq!(server.dump().unwrap(), before);
    let _ = tech;
}

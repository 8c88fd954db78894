#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A hostile technician app against the job's items: notes, parts lines and attachments
//! are added in one's own name; a note is edited only by its author and never deleted; a
//! parts line, once recorded, is never changed or deleted by a technician (it is van stock
//! used); an attachment is never edited or deleted. Quantities and prices are in range.

use automerge::ObjType;
use onsite_tests::hostile::{Line, SKU, Scene, now_ms};
use reqwest::Method;

// --- Notes.

#[tokio::test]
async fn an_own_note_is_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let note = c.add_note("压缩机过热，需更换继电器", now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(
        doc["notes"][&note]["text"], "压缩机过热，需更换继电器",
        "{doc}"
    );
    assert_eq!(doc["notes"][&note]["by"], s.wang.as_str());
}

#[tokio::test]
async fn a_note_in_another_technicians_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_note("li was here", now_ms(), &s.li);
    s.expect_refused(c.change(), &["impersonation"]).await;
}

#[tokio::test]
async fn a_note_in_the_back_offices_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_note("approved by phone", now_ms(), &s.office_id);
    s.expect_refused(c.change(), &["impersonation"]).await;
}

/// A note the back office adds by sync, honestly.
async fn office_note(s: &Scene) -> String {
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    let note = c.add_note("customer asks for a call first", now_ms(), &s.office_id);
    let doc = s.expect_accepted_from(&office, vec![c.change()]).await;
    assert_eq!(doc["notes"][&note]["by"], s.office_id.as_str(), "{doc}");
    note
}

#[tokio::test]
async fn editing_the_back_offices_note_is_refused() {
    let s = Scene::start().await;
    let note = office_note(&s).await;
    let mut c = s.pull().await;
    c.splice(&format!("notes/{note}/text"), 0, 0, "no need: ");
    s.expect_refused(c.change(), &["note", "impersonation"])
        .await;
}

#[tokio::test]
async fn taking_over_the_back_offices_note_is_refused() {
    let s = Scene::start().await;
    let note = office_note(&s).await;
    let mut c = s.pull().await;
    c.put(&format!("notes/{note}"), "by", s.wang.as_str());
    s.expect_refused(c.change(), &["note", "impersonation"])
        .await;
}

#[tokio::test]
async fn deleting_the_back_offices_note_is_refused() {
    let s = Scene::start().await;
    let note = office_note(&s).await;
    let mut c = s.pull().await;
    c.delete("notes", &note);
    s.expect_refused(c.change(), &["note"]).await;
}

#[tokio::test]
async fn deleting_an_own_note_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let note = c.add_note("first impression", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    c.delete("notes", &note);
    s.expect_refused(c.change(), &["note"]).await;
}

// --- Parts lines.

#[tokio::test]
async fn an_own_parts_line_is_accepted_and_counted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let line = c.add_part(&Line {
        quantity: 2,
        ..Line::honest(&s.wang)
    });
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["parts"][&line]["quantity"], 2, "{doc}");
    assert_eq!(doc["parts"][&line]["sku"], SKU);
    let stock = onsite_tests::office::expect(
        &s.server,
        &s.office,
        Method::GET,
        &format!("/v1/van-stock/{}", s.wang),
        None,
        200,
    )
    .await;
    let used: i64 = stock["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["sku"] == SKU)
        .map(|l| l["used"].as_i64().unwrap())
        .sum();
    assert_eq!(used, 2, "the line is taken out of the van stock: {stock}");
}

#[tokio::test]
async fn a_parts_line_in_another_technicians_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&Line::honest(&s.li));
    s.expect_refused(c.change(), &["impersonation"]).await;
}

#[tokio::test]
async fn a_parts_line_in_the_back_offices_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&Line::honest(&s.office_id));
    s.expect_refused(c.change(), &["impersonation"]).await;
}

/// A parts line of `wang`'s, recorded honestly.
async fn own_line(s: &Scene) -> String {
    let mut c = s.pull().await;
    let line = c.add_part(&Line::honest(&s.wang));
    s.expect_accepted(c.change()).await;
    line
}

#[tokio::test]
async fn changing_the_quantity_of_an_own_line_is_refused() {
    let s = Scene::start().await;
    let line = own_line(&s).await;
    let mut c = s.pull().await;
    c.put(&format!("parts/{line}"), "quantity", 5_i64);
    s.expect_refused(c.change(), &["parts_line"]).await;
}

#[tokio::test]
async fn making_an_own_line_warranty_is_refused() {
    let s = Scene::start().await;
    let line = own_line(&s).await;
    let mut c = s.pull().await;
    c.put(&format!("parts/{line}"), "billable", false);
    s.expect_refused(c.change(), &["parts_line"]).await;
}

#[tokio::test]
async fn adding_a_serial_to_an_own_line_is_refused() {
    let s = Scene::start().await;
    let line = own_line(&s).await;
    let mut c = s.pull().await;
    let serials = c.obj(&format!("parts/{line}/serials_installed"));
    automerge::transaction::Transactable::insert(&mut c.doc, &serials, 0, "RLY-0001").unwrap();
    s.expect_refused(c.change(), &["parts_line"]).await;
}

#[tokio::test]
async fn deleting_an_own_line_is_refused() {
    let s = Scene::start().await;
    let line = own_line(&s).await;
    let mut c = s.pull().await;
    c.delete("parts", &line);
    s.expect_refused(c.change(), &["parts_line"]).await;
}

#[tokio::test]
async fn deleting_a_line_the_back_office_recorded_is_refused() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    let line = c.add_part(&Line::honest(&s.wang));
    s.expect_accepted_from(&office, vec![c.change()]).await;
    let mut c = s.pull().await;
    c.delete("parts", &line);
    s.expect_refused(c.change(), &["parts_line"]).await;
}

#[tokio::test]
async fn replacing_an_own_line_with_a_copy_is_refused() {
    let s = Scene::start().await;
    let line = own_line(&s).await;
    let mut c = s.pull().await;
    c.replace_with_copy("parts", &line);
    s.expect_refused(c.change(), &["parts_line", "object_replaced"])
        .await;
}

#[tokio::test]
async fn a_quantity_of_zero_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&Line {
        quantity: 0,
        ..Line::honest(&s.wang)
    });
    s.expect_refused(c.change(), &["bad_quantity"]).await;
}

#[tokio::test]
async fn a_quantity_of_a_billion_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&Line {
        quantity: 1_000_000_000,
        ..Line::honest(&s.wang)
    });
    s.expect_refused(c.change(), &["bad_value"]).await;
}

#[tokio::test]
async fn a_negative_unit_price_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&Line {
        unit_price_cents: -1_200,
        ..Line::honest(&s.wang)
    });
    s.expect_refused(c.change(), &["bad_value"]).await;
}

#[tokio::test]
async fn a_parts_line_dated_after_2100_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&Line {
        at: 4_102_444_800_001,
        ..Line::honest(&s.wang)
    });
    s.expect_refused(c.change(), &["bad_value"]).await;
}

// --- Attachments.

#[tokio::test]
async fn an_own_attachment_is_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let a = c.add_attachment(now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["attachments"][&a]["kind"], "photo", "{doc}");
    assert_eq!(doc["attachments"][&a]["by"], s.wang.as_str());
}

#[tokio::test]
async fn an_attachment_in_another_technicians_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_attachment(now_ms(), &s.li);
    s.expect_refused(c.change(), &["impersonation"]).await;
}

/// An attachment of `wang`'s, recorded honestly.
async fn own_attachment(s: &Scene) -> String {
    let mut c = s.pull().await;
    let a = c.add_attachment(now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    a
}

#[tokio::test]
async fn editing_an_attachment_is_refused() {
    let s = Scene::start().await;
    let a = own_attachment(&s).await;
    let mut c = s.pull().await;
    c.put(
        &format!("attachments/{a}"),
        "sha256",
        "0".repeat(64).as_str(),
    );
    s.expect_refused(c.change(), &["attachment"]).await;
}

#[tokio::test]
async fn deleting_an_attachment_is_refused() {
    let s = Scene::start().await;
    let a = own_attachment(&s).await;
    let mut c = s.pull().await;
    c.delete("attachments", &a);
    s.expect_refused(c.change(), &["attachment"]).await;
}

#[tokio::test]
async fn replacing_an_attachment_with_a_copy_is_refused() {
    let s = Scene::start().await;
    let a = own_attachment(&s).await;
    let mut c = s.pull().await;
    c.replace_with_copy("attachments", &a);
    s.expect_refused(c.change(), &["attachment", "object_replaced"])
        .await;
}

#[tokio::test]
async fn replacing_all_notes_with_an_empty_map_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_note("keep me", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    c.put_object("", "notes", ObjType::Map);
    s.expect_refused(c.change(), &["note", "object_replaced"])
        .await;
}

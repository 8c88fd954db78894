#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Free text in Chinese (what technicians type) can be written, rewritten and reloaded.

use onsite_domain::{Job, JobDoc};

#[test]
fn chinese_text_is_edited_and_survives_save_and_load() {
    let job = Job {
        id: "j".into(),
        ..Job::default()
    };
    let (mut doc, _) = JobDoc::create(&job, automerge::ActorId::random(), 1).unwrap();
    doc.edit("diagnosed", 2, |j| j.diagnosis.update("压缩机继电器损坏"))
        .unwrap()
        .unwrap();
    doc.edit("diagnosed", 3, |j| {
        j.diagnosis.update("压缩机继电器损坏 relay ✓")
    })
    .unwrap()
    .unwrap();
    let mut loaded = JobDoc::load(&doc.save()).unwrap();
    loaded
        .edit("repaired", 4, |j| j.resolution.update("更换继电器"))
        .unwrap()
        .unwrap();
    loaded
        .edit("diagnosed", 5, |j| j.diagnosis.update("继电器损坏 relay ✓"))
        .unwrap()
        .unwrap();
    let after = loaded.job().unwrap();
    assert_eq!(after.diagnosis.as_str(), "继电器损坏 relay ✓");
    assert_eq!(after.resolution.as_str(), "更换继电器");
    // The changes merge into a replica that never saw them.
    let mut other = JobDoc::load(&doc.save()).unwrap();
    other
        .apply_changes(loaded.changes_since(&doc.heads()))
        .unwrap();
    assert_eq!(other.job().unwrap(), after);
}

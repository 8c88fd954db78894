//! A technician's phone for the browser tests (tests/browser/): a real client core on a
//! store directory, driven one command at a time, each printing one line of JSON.
//!
//! ```text
//! onsite-device STORE sign-in URL USERNAME PASSWORD
//! onsite-device STORE sync
//! onsite-device STORE complete JOB POINTS...   # works the job through, a survey of POINTS
//! onsite-device STORE resubmit JOB NOTE        # after a return: a note, completed again
//! onsite-device STORE show JOB                 # its status, review state and last comment
//! ```

use anyhow::{Context, bail};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (store, command) = match args.as_slice() {
        [store, command, ..] => (store, command.as_str()),
        _ => bail!("usage: onsite-device STORE sign-in|sync|complete|resubmit|show ..."),
    };
    let rest = &args[2..];
    let runtime = tokio::runtime::Runtime::new()?;
    let client = onsite_client::Client::open(std::path::Path::new(store))?;
    let answer = match (command, rest) {
        ("sign-in", [url, username, password]) => {
            runtime.block_on(client.sign_in(url, username, password))?;
            json!({"signed_in": username})
        }
        ("sync", []) => {
            runtime.block_on(client.sync())?;
            json!({"synced": true})
        }
        ("complete", [job, points @ ..]) => {
            client.accept(job)?;
            client.start_travel(job)?;
            client.arrive(job)?;
            client.diagnose(job, "压缩机继电器损坏")?;
            client.repair(job, "更换继电器")?;
            let form = client.start_form(job, "survey")?;
            let items = onsite_domain::forms::DEFAULT_TEMPLATE_ITEMS;
            for (item, p) in items.iter().zip(points) {
                let p: i64 = p.parse().context("points are 10, 8, 6, 4 or 2")?;
                client.answer_item(job, &form, item.id, p, "")?;
            }
            client.submit_form(job, &form, "师傅很专业")?;
            client.complete(job)?;
            runtime.block_on(client.sync())?;
            json!({"completed": job})
        }
        ("resubmit", [job, note]) => {
            runtime.block_on(client.sync())?;
            client.add_note(job, note)?;
            client.complete(job)?;
            runtime.block_on(client.sync())?;
            json!({"resubmitted": job})
        }
        ("show", [job]) => {
            let view = client.get_job(job)?;
            json!({
                "status": format!("{:?}", view.status),
                "review_state": format!("{:?}", view.review_state),
                "comment": view.job.reviews.last().map(|r| r.comment.clone()),
            })
        }
        _ => bail!("unknown command or arguments: {command} {rest:?}"),
    };
    println!("{answer}");
    Ok(())
}

//! Live notices: after every commit to the feed, the online devices it concerns hear
//! "something new is there" over a WebSocket (`GET /v1/sync/live`) and sync. The notice
//! carries nothing else: what changed still travels by the sync exchange, so a lost or
//! late notice costs latency, never data, and a device that is not told simply syncs at
//! its next interval.

use tokio::sync::broadcast;

/// How many notices a slow connection may fall behind before it is told "something new"
/// once for all of them (a lagged receiver loses notices, not correctness).
const BACKLOG: usize = 1024;

/// One commit to the feed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    /// Technicians whose scope holds a written job, before or after the write (a job that
    /// left a technician's scope concerns them too).
    pub technicians: Vec<String>,
    /// Reference data every device holds (the parts catalog, form templates) changed.
    pub everyone: bool,
    /// Who wrote it: their own device has it already.
    pub origin_user: String,
    pub origin_device: String,
}

/// Who listens on a connection.
#[derive(Debug, Clone)]
pub struct Listener {
    pub user_id: String,
    pub device_id: String,
    /// Back office sees every job; a technician only theirs.
    pub sees_all: bool,
}

impl Notice {
    pub fn concerns(&self, l: &Listener) -> bool {
        let own = self.origin_user == l.user_id && self.origin_device == l.device_id;
        !own && (l.sees_all || self.everyone || self.technicians.contains(&l.user_id))
    }

    /// A write of reference data by a user's device (through the API, so no device has it
    /// yet): for `technician`'s devices (their van stock), or for every device.
    pub fn reference(user_id: &str, device_id: &str, technician: Option<String>) -> Notice {
        Notice {
            everyone: technician.is_none(),
            technicians: technician.into_iter().collect(),
            origin_user: user_id.to_string(),
            origin_device: device_id.to_string(),
        }
    }
}

/// The server's channel of notices; cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    tx: broadcast::Sender<Notice>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Live {
    /// Tells every connection; nobody listening is fine.
    pub fn publish(&self, notice: Notice) {
        let _ = self.tx.send(notice);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(user: &str, device: &str, sees_all: bool) -> Listener {
        Listener {
            user_id: user.into(),
            device_id: device.into(),
            sees_all,
        }
    }

    #[test]
    fn a_notice_concerns_the_technicians_of_the_job_and_the_back_office_but_not_its_origin() {
        let n = Notice {
            technicians: vec!["wang".into()],
            everyone: false,
            origin_user: "wang".into(),
            origin_device: "phone".into(),
        };
        assert!(!n.concerns(&listener("wang", "phone", false)));
        assert!(n.concerns(&listener("wang", "tablet", false)));
        assert!(!n.concerns(&listener("li", "phone-2", false)));
        assert!(n.concerns(&listener("office", "pc", true)));
        let catalog = Notice {
            technicians: vec![],
            everyone: true,
            origin_user: "office".into(),
            origin_device: "pc".into(),
        };
        assert!(catalog.concerns(&listener("li", "phone-2", false)));
        assert!(!catalog.concerns(&listener("office", "pc", true)));
    }
}

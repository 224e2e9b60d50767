//! The control socket's glue: a request from the socket becomes an `Event::Control` with an
//! id, and the answer `update` decides goes back to the client waiting for it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;

use crate::audit::AuditLog;
use crate::auth::AuthBackend;
use crate::control::protocol::ControlAnswer;
use crate::control::server::ControlRequest;
use crate::kiosk::state::{ControlId, Event};
use crate::kiosk::status::StatusReport;

/// How long `status` waits for the backend to answer its probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How many audit records `status` shows.
const RECENT_EVENTS: usize = 5;

/// The clients waiting for an answer, by request id. Dropping one tells its client the kiosk
/// is stopping.
#[derive(Default)]
pub struct ControlReplies {
    waiting: HashMap<ControlId, oneshot::Sender<ControlAnswer>>,
    last: u64,
}

impl ControlReplies {
    /// Takes a request from the socket: its event for `update`.
    pub fn take(&mut self, ControlRequest { request, reply }: ControlRequest) -> Event {
        self.last += 1;
        let id = ControlId(self.last);
        self.waiting.insert(id, reply);
        Event::Control(id, request)
    }

    pub fn answer(&mut self, id: ControlId, answer: ControlAnswer) {
        if let Some(reply) = self.waiting.remove(&id) {
            let _ = reply.send(answer);
        }
    }

    /// Answers a status request once the backend probe is done (off the loop: it may take
    /// up to `PROBE_TIMEOUT`).
    pub fn answer_status<B: AuthBackend + Clone>(
        &mut self,
        id: ControlId,
        report: StatusReport,
        backend: &B,
        audit: &AuditLog,
    ) {
        let Some(reply) = self.waiting.remove(&id) else { return };
        let backend = backend.clone();
        let recent_events = audit.tail(RECENT_EVENTS);
        let wall_now = SystemTime::now();
        tokio::spawn(async move {
            let reachable = tokio::time::timeout(PROBE_TIMEOUT, backend.healthy()).await.unwrap_or(false);
            let _ = reply.send(ControlAnswer::Status(report.answer(wall_now, reachable, recent_events)));
        });
    }
}

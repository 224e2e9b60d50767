//! Carrying out what `update` asked for. Nothing here decides anything: each effect is done
//! as asked, and what comes of it returns to `update` as an event.

use std::time::Duration;

use super::display::KioskDisplay;
use super::{Hosted, Kiosk};
use crate::auth::revoke::revoke;
use crate::auth::{AuthBackend, AuthError};
use crate::kiosk::session_paint::SessionPainter;
use crate::kiosk::state::{Answer, Effect, Event, Reply, RequestId, RevokeReason};
use crate::kiosk::{status, view};
use crate::session::teardown::{TeardownOutcome, end_session};
use crate::session::{keys, mouse};

/// No backend request is waited for longer than this, whatever the backend's own timeouts:
/// the kiosk doesn't stop before every request is answered.
const REQUEST_BOUND: Duration = Duration::from_secs(30);

/// One audit record as a line for the manager's "Recent events".
fn describe_event(record: &serde_json::Value) -> String {
    let time = record["time"].as_str().unwrap_or("").get(11..19).unwrap_or("");
    let event = record["event"].as_str().unwrap_or("?");
    let mut details: Vec<String> = record
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !matches!(key.as_str(), "time" | "event"))
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| {
            format!("{key}={}", value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()))
        })
        .collect();
    details.truncate(6);
    format!("{time} {event} {}", details.join(" "))
}

impl<B: AuthBackend + Clone, D: KioskDisplay> Kiosk<B, D> {
    /// Runs a backend request off the loop; its answer comes back as `Event::Reply` with its
    /// id — `unanswered` when the backend says nothing within `REQUEST_BOUND`.
    fn request<F>(&self, id: RequestId, unanswered: fn(AuthError) -> Answer, work: F)
    where
        F: Future<Output = Answer> + Send + 'static,
    {
        let events = self.events.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(REQUEST_BOUND, work).await.unwrap_or_else(|_| {
                tracing::warn!(request = id.0, "the backend didn't answer within {} s", REQUEST_BOUND.as_secs());
                unanswered(AuthError::Unreachable)
            });
            let _ = events.send(Event::Reply(Reply { id, answer }));
        });
    }

    pub(super) fn execute(&mut self, effect: Effect) -> std::io::Result<()> {
        match effect {
            Effect::SendCode { id, phone, language } => {
                let backend = self.backend.clone();
                let start = async move { Answer::CodeSent(backend.start_in(&phone, language.tag()).await) };
                self.request(id, code_sent, start);
            }
            Effect::Resend { id, challenge_id, channel } => {
                let backend = self.backend.clone();
                let resend = async move { Answer::CodeSent(backend.resend_by(&challenge_id, channel).await) };
                self.request(id, code_sent, resend);
            }
            Effect::Verify { id, challenge_id, code } => {
                let backend = self.backend.clone();
                let verified = |err| Answer::Verified(Err(err));
                self.request(id, verified, async move { Answer::Verified(backend.verify(&challenge_id, &code).await) });
            }
            Effect::SignInWithPass { id, phone, pass } => {
                let backend = self.backend.clone();
                let checked = |err| Answer::PassChecked(Err(err));
                let ask = async move { Answer::PassChecked(backend.sign_in_with_pass(&phone, &pass).await) };
                self.request(id, checked, ask);
            }
            Effect::IssuePass { id, manager, worker } => {
                let backend = self.backend.clone();
                let issued = |err| Answer::PassIssued(Err(err));
                let ask = async move { Answer::PassIssued(backend.issue_pass(&manager, &worker).await) };
                self.request(id, issued, ask);
            }
            Effect::Recheck { id } => {
                // Asked only in a session: its tokens are the hosted session's.
                match &self.hosted {
                    Some(hosted) => {
                        let (backend, tokens) = (self.backend.clone(), hosted.session.tokens.clone());
                        let unanswered = |err| Answer::StillValid(Err(err));
                        let ask = async move { Answer::StillValid(backend.still_valid(&tokens).await) };
                        self.request(id, unanswered, ask);
                    }
                    // No session to ask about: every request gets its answer all the same.
                    None => {
                        let answer = Answer::StillValid(Ok(crate::auth::TokenState::Unknown));
                        let _ = self.events.send(Event::Reply(Reply { id, answer }));
                    }
                }
            }
            Effect::Revoke(tokens, why) => {
                let (backend, audit) = (self.backend.clone(), self.audit.clone());
                let timeout = self.teardown.limits.revoke_timeout;
                let event = match why {
                    RevokeReason::GrantDiscarded(_) => "grant_discarded",
                    _ => "token_revoked",
                };
                self.revokes.spawn(async move {
                    revoke(&backend, &tokens, timeout, &audit, event, why).await;
                });
            }
            Effect::PersistLock(message) => {
                if let Err(err) = status::save_lock(&self.config.state_dir(), message.as_deref()) {
                    tracing::error!(%err, "can't save the out-of-service state");
                }
            }
            Effect::LoadEvents => {
                let lines = self.audit.tail(200).iter().rev().map(describe_event).collect();
                let _ = self.events.send(Event::EventsLoaded(lines));
            }
            Effect::StartSession(grant) => self.start_session(grant),
            Effect::ForwardKey(key) => {
                if let Some(hosted) = &mut self.hosted {
                    let bytes = keys::key_bytes(&key, hosted.emulator.screen().application_cursor());
                    if let Err(err) = hosted.session.input.write(&bytes) {
                        tracing::warn!("{err}");
                    }
                }
            }
            Effect::ForwardMouse(event) => {
                if let Some(hosted) = &mut self.hosted {
                    let screen = hosted.emulator.screen();
                    let asked = (screen.mouse_protocol_mode(), screen.mouse_protocol_encoding());
                    if let Some(bytes) = mouse::mouse_bytes(&event, asked.0, asked.1)
                        && let Err(err) = hosted.session.input.write(&bytes)
                    {
                        tracing::warn!("{err}");
                    }
                }
            }
            Effect::Teardown(reason) => {
                let events = self.events.clone();
                match self.hosted.take() {
                    Some(hosted) => {
                        let backend = self.backend.clone();
                        let context = self.teardown.clone();
                        self.teardown_task = Some(tokio::spawn(async move {
                            let outcome = end_session(hosted.session, &backend, reason, &context).await;
                            let _ = events.send(Event::TeardownDone(outcome));
                        }));
                    }
                    None => {
                        let _ = events.send(Event::TeardownDone(TeardownOutcome::nothing(reason)));
                    }
                }
            }
            Effect::ClearScreen if !self.terminal_open => {}
            Effect::ClearScreen => {
                self.display.wipe()?;
                self.mouse = vt100::MouseProtocolMode::None;
            }
            Effect::Audit { event, detail } => self.audit.record(event, detail),
            Effect::Answer(id, answer) => self.control.answer(id, answer),
            Effect::AnswerStatus(id, report) => self.control.answer_status(id, report, &self.backend, &self.audit),
            // Argon2 takes tens of milliseconds on purpose: never on the loop's thread.
            Effect::SealPin(entry) => {
                let events = self.events.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = events.send(Event::PinSealed(crate::pin::seal(&entry)));
                });
            }
            Effect::CheckPin { hash, entry } => {
                let events = self.events.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = events.send(Event::PinChecked(hash.matches(&entry)));
                });
            }
            Effect::CheckFaults => {
                // The audit log's health comes back through its watch; the state dir's here.
                self.audit.retry();
                self.check_state_dir();
            }
        }
        Ok(())
    }

    /// Tries the state dir; tells `update` if that changed what the kiosk can't write.
    fn check_state_dir(&mut self) {
        let problem = self.teardown.state_file.check_writable().err().map(|err| err.to_string());
        self.state_dir_problem(problem);
    }

    fn state_dir_problem(&mut self, problem: Option<String>) {
        if problem != self.faults.state_dir {
            self.faults.state_dir = problem;
            let _ = self.events.send(Event::Faults(self.faults.clone()));
        }
    }

    fn start_session(&mut self, grant: crate::auth::Grant) {
        let area = view::session_area(self.display.area());
        match self.launcher.start(&grant, area.width, area.height) {
            Ok((session, output)) => {
                let record = &session.record;
                if let Err(err) = self.teardown.state_file.save(record) {
                    tracing::error!(%err, "can't write the session state file; crash recovery won't find this session");
                    // This session runs on; no other opens until the record can be kept.
                    let dir = self.config.state_dir();
                    self.state_dir_problem(Some(format!("{}: {err}", dir.display())));
                }
                self.audit.record(
                    "session_start",
                    serde_json::json!({
                        "user": record.user_id,
                        "uid": record.uid,
                        "dir_on_tmpfs": record.dir_on_tmpfs,
                        "sandbox": record.sandbox,
                    }),
                );
                self.hosted = Some(Hosted {
                    session,
                    emulator: vt100::Parser::new(area.height.max(1), area.width.max(1), 0),
                    painter: SessionPainter::default(),
                    output,
                    output_open: true,
                    exit_seen: false,
                });
                let _ = self.events.send(Event::SessionStarted);
            }
            Err(err) => {
                let _ = self.events.send(Event::SessionFailed { error: err.to_string(), tokens: grant.tokens });
            }
        }
    }
}

fn code_sent(err: AuthError) -> Answer {
    Answer::CodeSent(Err(err))
}

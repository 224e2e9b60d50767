//! What privacyIDEA's answers mean: a challenge, an `ACCEPT` and who it names, or a refusal in
//! privacyIDEA 3.14's own words, and what each is for the kiosk. Pure functions over JSON,
//! tested against answers of a real privacyIDEA 3.14.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Map, Value};

use super::limits;
use crate::auth::{AuthError, SignedInUser, jwt};
use crate::phone::PhoneNumber;

/// A privacyIDEA answer that passed the checks configured (signature, nonce).
#[derive(Debug)]
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// What an answer says, in the terms this adapter acts on.
#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    Challenge {
        transaction: String,
        lifetime: Option<Duration>,
    },
    Accept(Map<String, Value>),
    Reject(Refusal),
    /// ERR904: the user (the number) is not in the realm.
    UnknownUser,
    /// An error worded "Authentication failed." whatever it was: `hide_specific_error_message`
    /// (an unknown user then reads so too).
    Hidden,
    Error {
        code: i64,
        status: u16,
    },
}

/// Why privacyIDEA said `REJECT` (its `detail.message`; asked for in English).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Refusal {
    /// "Response did not match the challenge." — a wrong code, or one past its lifetime.
    NoMatch,
    /// "wrong otp pin" — no such open challenge (used, expired and cleaned up, cancelled); at
    /// a start: privacyIDEA wants a PIN.
    NotOpen,
    /// "Failcounter exceeded" — the token is locked after too many wrong codes.
    Locked,
    /// "Only N failed authentications per H:MM:SS allowed." — `auth_max_fail`.
    TooManyFailures(Duration),
    /// "Authentication failed." — conditional access turned the request away (the send cap).
    Denied,
    /// "The PIN was correct, but the SMS could not be sent!"
    SmsNotSent,
    /// The user has no token (no just-in-time enrolment), or nothing was triggered.
    NoToken,
    Other(String),
}

impl Refusal {
    fn of(message: &str) -> Refusal {
        match message.trim() {
            "Response did not match the challenge." => Refusal::NoMatch,
            "wrong otp pin" => Refusal::NotOpen,
            "Failcounter exceeded" => Refusal::Locked,
            "Authentication failed." => Refusal::Denied,
            "" | "The user has no tokens assigned" => Refusal::NoToken,
            m if m.contains("SMS could not be sent") => Refusal::SmsNotSent,
            m => match max_fail_window(m) {
                Some(window) => Refusal::TooManyFailures(window),
                None => Refusal::Other(m.to_string()),
            },
        }
    }
}

/// The window of "Only 8 failed authentications per 0:10:00 allowed." (Python's timedelta:
/// `H:MM:SS`, after `N day(s), ` for a day or more).
fn max_fail_window(message: &str) -> Option<Duration> {
    let rest = message.strip_prefix("Only ")?;
    let (_, rest) = rest.split_once(" failed authentications per ")?;
    let delta = rest.strip_suffix(" allowed.")?;
    let (days, clock) = match delta.split_once(", ") {
        Some((days, clock)) => (days.split_whitespace().next()?.parse::<u64>().ok()?, clock),
        None => (0, delta),
    };
    let mut parts = clock.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let seconds = s.split('.').next()?.parse::<u64>().ok()?;
    Some(Duration::from_secs(days * 86400 + h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60 + seconds))
}

/// A refusal of a start, for the kiosk.
pub(super) fn start_refused(refusal: Refusal, phone: &PhoneNumber) -> AuthError {
    match refusal {
        Refusal::Locked => AuthError::RateLimited { retry_after: limits::FAIL_CLEAR },
        Refusal::TooManyFailures(window) => AuthError::RateLimited { retry_after: window },
        // Conditional access's generic wording: on a start, the send cap (the only policy of
        // the recommended set-up that denies). Another policy written to deny would read the same.
        Refusal::Denied => AuthError::RateLimited { retry_after: limits::SEND_WINDOW },
        Refusal::SmsNotSent => AuthError::Unreachable,
        Refusal::NoMatch | Refusal::NotOpen => AuthError::Protocol(
            "privacyIDEA wants a PIN before it sends a code: set the otppin=none policy for the realm, \
             or backend.service_token"
                .into(),
        ),
        Refusal::NoToken => AuthError::Protocol("privacyIDEA sent no code".into()),
        Refusal::Other(message) => AuthError::Protocol(format!("privacyIDEA refused: {}", scrub(&message, phone))),
    }
}

/// A refusal of a code, for the kiosk; `expired`: the challenge's lifetime is over.
pub(super) fn code_refused(refusal: Refusal, expired: bool) -> AuthError {
    match refusal {
        // privacyIDEA says the same for a wrong code and an expired one; the kiosk knows when
        // the challenge expires.
        Refusal::NoMatch | Refusal::NotOpen if expired => AuthError::Expired,
        Refusal::Locked => AuthError::TooManyAttempts,
        Refusal::TooManyFailures(window) => AuthError::RateLimited { retry_after: window },
        Refusal::Denied => AuthError::RateLimited { retry_after: limits::SEND_WINDOW },
        Refusal::NoMatch | Refusal::NotOpen | Refusal::NoToken | Refusal::SmsNotSent | Refusal::Other(_) => {
            AuthError::CodeRejected
        }
    }
}

/// privacyIDEA's messages may name the user (the number): never pass one on whole.
pub(super) fn scrub(message: &str, phone: &PhoneNumber) -> String {
    let e164 = phone.e164();
    let masked = phone.masked();
    let text = message.replace(e164, &masked).replace(&e164[1..], &masked);
    text.chars().take(160).collect()
}

pub(super) fn outcome(answer: &Answer) -> Outcome {
    let body = &answer.body;
    let result = &body["result"];
    let detail = &body["detail"];
    if result["status"] == false {
        let code = result["error"]["code"].as_i64().unwrap_or_default();
        return match (code, result["error"]["message"].as_str()) {
            (904, _) => Outcome::UnknownUser,
            (_, Some("Authentication failed.")) => Outcome::Hidden,
            (code, _) => Outcome::Error { code, status: answer.status.as_u16() },
        };
    }
    let message = || detail["message"].as_str().unwrap_or_default();
    match result["authentication"].as_str() {
        Some("CHALLENGE") => {
            let transaction = detail["transaction_id"]
                .as_str()
                .or_else(|| detail["transaction_ids"].get(0).and_then(Value::as_str))
                .filter(|t| !t.is_empty());
            match transaction {
                Some(transaction) => {
                    let valid_until = detail["attributes"]["valid_until"]
                        .as_str()
                        .or_else(|| detail["multi_challenge"][0]["attributes"]["valid_until"].as_str());
                    let lifetime = valid_until.zip(body["time"].as_f64()).and_then(|(v, t)| lifetime(v, t));
                    Outcome::Challenge { transaction: transaction.to_string(), lifetime }
                }
                None => Outcome::Reject(Refusal::of(message())),
            }
        }
        Some("ACCEPT") => Outcome::Accept(detail.as_object().cloned().unwrap_or_default()),
        Some("REJECT") => Outcome::Reject(Refusal::of(message())),
        _ => Outcome::Error { code: 0, status: answer.status.as_u16() },
    }
}

/// A challenge's lifetime from `valid_until` (the server's local time, no zone) and the
/// answer's `time` (seconds since the epoch). Their difference is the lifetime plus the
/// server's UTC offset, and every zone's offset is a whole number of quarter hours: so the
/// lifetime is the difference modulo 15 minutes — right for lifetimes up to 15 minutes
/// (privacyIDEA's default is 5, the kiosk's rule at most 10); a longer one reads shorter.
pub(super) fn lifetime(valid_until: &str, server_time: f64) -> Option<Duration> {
    const QUARTER_HOUR: f64 = 900.0;
    let (date, clock) = valid_until.trim().split_once(' ')?;
    let mut ymd = date.split('-').map(str::parse::<i64>);
    let (y, m, d) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let mut hms = clock.split(':');
    let (h, min) = (hms.next()?.parse::<i64>().ok()?, hms.next()?.parse::<i64>().ok()?);
    let s = hms.next()?.parse::<f64>().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || !(0.0..61.0).contains(&s) {
        return None;
    }
    let local = (days_from_civil(y, m, d) * 86400 + h * 3600 + min * 60) as f64 + s;
    let seconds = (local - server_time).rem_euclid(QUARTER_HOUR).round();
    Some(Duration::from_secs(if seconds < 1.0 { QUARTER_HOUR as u64 } else { seconds as u64 }))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Who signed in, from an `ACCEPT`'s `detail` (`add_user_in_response`).
pub(super) fn signed_in_user(
    detail: &Map<String, Value>,
    phone: &PhoneNumber,
    realm: &str,
    roles_attribute: &str,
) -> Result<SignedInUser, AuthError> {
    let Some(user) = detail.get("user").and_then(Value::as_object) else {
        return Err(AuthError::Protocol(
            "privacyIDEA's ACCEPT names no user: set the add_user_in_response policy for the realm".into(),
        ));
    };
    // The resolver maps the login name to the number: an answer about anyone else is not ours.
    if user.get("username").and_then(Value::as_str) != Some(phone.e164()) {
        return Err(AuthError::Untrusted("the answer is about another user".into()));
    }
    if let Some(answered) = detail.get("user-realm").and_then(Value::as_str)
        && !answered.eq_ignore_ascii_case(realm)
    {
        return Err(AuthError::Untrusted(format!("the answer is about realm {answered:?}, not {realm:?}")));
    }
    let id = match user.get("userid") {
        Some(Value::String(id)) => id.trim().to_string(),
        Some(Value::Number(id)) => id.to_string(),
        _ => String::new(),
    };
    if id.is_empty() {
        // The login name is the phone number: it must not become the id the audit log keeps.
        return Err(AuthError::Protocol("privacyIDEA's user has no userid: map one in the resolver".into()));
    }
    let names: Map<String, Value> = [("given_name", user.get("givenname")), ("family_name", user.get("surname"))]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?.clone())))
        .collect();
    Ok(SignedInUser {
        id,
        display_name: jwt::display_name(&names, &phone.masked()),
        roles: jwt::roles(user, roles_attribute),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+1 206 555 0101", "US").unwrap()
    }

    fn answer(status: u16, body: Value) -> Answer {
        Answer { status: StatusCode::from_u16(status).unwrap(), body }
    }

    fn reject(message: &str) -> Answer {
        answer(
            200,
            json!({ "detail": { "message": message }, "result": { "authentication": "REJECT", "status": true, "value": false } }),
        )
    }

    #[test]
    fn every_refusal_privacyidea_words_is_read() {
        let cases = [
            ("Response did not match the challenge.", Refusal::NoMatch),
            ("wrong otp pin", Refusal::NotOpen),
            ("Failcounter exceeded", Refusal::Locked),
            ("Only 8 failed authentications per 0:10:00 allowed.", Refusal::TooManyFailures(Duration::from_secs(600))),
            (
                "Only 3 failed authentications per 1 day, 2:00:30 allowed.",
                Refusal::TooManyFailures(Duration::from_secs(93630)),
            ),
            ("Authentication failed.", Refusal::Denied),
            ("The PIN was correct, but the SMS could not be sent!", Refusal::SmsNotSent),
            ("The user has no tokens assigned", Refusal::NoToken),
            ("", Refusal::NoToken),
            ("Something new", Refusal::Other("Something new".into())),
        ];
        for (message, expected) in cases {
            assert_eq!(outcome(&reject(message)), Outcome::Reject(expected), "{message}");
        }
    }

    #[test]
    fn refusals_of_a_start_map_to_what_the_kiosk_says() {
        let phone = phone();
        let rate = |secs| AuthError::RateLimited { retry_after: Duration::from_secs(secs) };
        assert_eq!(start_refused(Refusal::Locked, &phone), rate(600));
        assert_eq!(start_refused(Refusal::TooManyFailures(Duration::from_secs(60)), &phone), rate(60));
        assert_eq!(start_refused(Refusal::Denied, &phone), rate(300));
        assert_eq!(start_refused(Refusal::SmsNotSent, &phone), AuthError::Unreachable);
        let AuthError::Protocol(pin) = start_refused(Refusal::NotOpen, &phone) else { panic!() };
        assert!(pin.contains("otppin=none"), "{pin}");
        // privacyIDEA's own words can name the user: the number never reaches the audit log.
        let named = start_refused(Refusal::Other("User <+12065550101@kiosk> is 12065550101".into()), &phone);
        assert_eq!(
            named,
            AuthError::Protocol("privacyIDEA refused: User <+1 ••• ••• 0101@kiosk> is +1 ••• ••• 0101".into())
        );
    }

    #[test]
    fn refusals_of_a_code_map_to_what_the_kiosk_says() {
        assert_eq!(code_refused(Refusal::NoMatch, false), AuthError::CodeRejected);
        assert_eq!(code_refused(Refusal::NoMatch, true), AuthError::Expired);
        assert_eq!(code_refused(Refusal::NotOpen, false), AuthError::CodeRejected);
        assert_eq!(code_refused(Refusal::NotOpen, true), AuthError::Expired);
        assert_eq!(code_refused(Refusal::Locked, false), AuthError::TooManyAttempts);
        assert_eq!(
            code_refused(Refusal::TooManyFailures(Duration::from_secs(600)), false),
            AuthError::RateLimited { retry_after: Duration::from_secs(600) }
        );
        assert_eq!(code_refused(Refusal::Denied, false), AuthError::RateLimited { retry_after: limits::SEND_WINDOW });
        assert_eq!(code_refused(Refusal::Other("x".into()), false), AuthError::CodeRejected);
    }

    /// A start's answer from a real privacyIDEA 3.14 (server time UTC), shortened.
    fn real_challenge() -> Value {
        json!({
            "detail": {
                "attributes": { "state": null, "valid_until": "2026-12-01 23:03:49.931852" },
                "message": "Enter the 6-digit code we sent by SMS",
                "multi_challenge": [{ "attributes": { "state": null, "valid_until": "2026-12-01 23:03:49.931852" },
                                      "serial": "PISM0006510A", "transaction_id": "09218230164546433718", "type": "sms" }],
                "serial": "PISM0006510A",
                "transaction_id": "09218230164546433718",
                "transaction_ids": ["09218230164546433718"],
                "type": "sms"
            },
            "id": 2, "jsonrpc": "2.0",
            "result": { "authentication": "CHALLENGE", "status": true, "value": false },
            "time": 1796166109.936412,
            "version": "privacyIDEA 3.14", "versionnumber": "3.14"
        })
    }

    #[test]
    fn a_challenge_gives_its_transaction_and_lifetime() {
        assert_eq!(
            outcome(&answer(200, real_challenge())),
            Outcome::Challenge { transaction: "09218230164546433718".into(), lifetime: Some(Duration::from_secs(120)) }
        );
        // A gateway that failed: a challenge without a transaction.
        let mut failed = real_challenge();
        failed["detail"] =
            json!({ "message": "The PIN was correct, but the SMS could not be sent!", "transaction_ids": [] });
        assert_eq!(outcome(&answer(200, failed)), Outcome::Reject(Refusal::SmsNotSent));
        let unknown = json!({ "detail": null, "result": { "error": { "code": 904, "message": "ERR904: User <x@kiosk> does not exist." }, "status": false } });
        assert_eq!(outcome(&answer(400, unknown)), Outcome::UnknownUser);
        let token = json!({ "result": { "error": { "code": 4033, "message": "Missing Authorization header." }, "status": false } });
        assert_eq!(outcome(&answer(401, token)), Outcome::Error { code: 4033, status: 401 });
        // hide_specific_error_message + hide_auth_error_status, for an unknown user.
        let hidden = json!({ "detail": { "message": "Authentication failed." },
                             "result": { "error": { "code": 403, "message": "Authentication failed." }, "status": false } });
        assert_eq!(outcome(&answer(401, hidden)), Outcome::Hidden);
    }

    #[test]
    fn lifetimes_are_read_in_any_zone_up_to_a_quarter_hour() {
        let now = 1_796_166_109.936_412; // 2026-12-01 23:01:49.936412 UTC
        let at = |offset_seconds: i64, secs: i64| {
            let local = (now as i64) + offset_seconds + secs;
            let (days, rest) = (local.div_euclid(86400), local.rem_euclid(86400));
            let (y, m, d) = civil_from_days(days);
            format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.936000", rest / 3600, rest % 3600 / 60, rest % 60)
        };
        for offset in [0, 3600, -5 * 3600, 5 * 3600 + 1800, 5 * 3600 + 2700, -(3 * 3600 + 1800), 14 * 3600] {
            for secs in [30, 120, 300, 600, 900] {
                assert_eq!(lifetime(&at(offset, secs), now), Some(Duration::from_secs(secs as u64)), "{offset} {secs}");
            }
        }
        assert_eq!(lifetime("2026-12-01 23:03:49", now), Some(Duration::from_secs(119)));
        assert_eq!(lifetime("soon", now), None);
        assert_eq!(lifetime("2026-13-01 23:03:49", now), None);
    }

    /// The inverse of `days_from_civil`, for the test's dates.
    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    fn accept_detail(user: Value) -> Map<String, Value> {
        json!({ "message": "Found matching challenge", "user": user, "user-realm": "kiosk" })
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn the_user_comes_from_the_accept() {
        let detail = accept_detail(json!({
            "givenname": "Zoë", "surname": "Ålvarez", "id": 20, "userid": "20",
            "username": "+12065550101", "role": "cashier, kiosk-manager"
        }));
        let user = signed_in_user(&detail, &phone(), "kiosk", "role").unwrap();
        assert_eq!(
            user,
            SignedInUser {
                id: "20".into(),
                display_name: "Zoë Ålvarez".into(),
                roles: vec!["cashier".into(), "kiosk-manager".into()]
            }
        );
        let no_name = accept_detail(json!({ "userid": 7, "username": "+12065550101" }));
        let user = signed_in_user(&no_name, &phone(), "KIOSK", "role").unwrap();
        assert_eq!((user.id.as_str(), user.display_name.as_str(), user.roles.len()), ("7", "+1 ••• ••• 0101", 0));
    }

    #[test]
    fn an_accept_about_someone_else_or_without_a_user_is_refused() {
        let other = accept_detail(json!({ "userid": "1", "username": "+12065550199" }));
        assert!(matches!(signed_in_user(&other, &phone(), "kiosk", "role"), Err(AuthError::Untrusted(_))));
        let mut elsewhere = accept_detail(json!({ "userid": "1", "username": "+12065550101" }));
        elsewhere.insert("user-realm".into(), json!("admins"));
        assert!(matches!(signed_in_user(&elsewhere, &phone(), "kiosk", "role"), Err(AuthError::Untrusted(_))));
        let no_id = accept_detail(json!({ "username": "+12065550101" }));
        assert!(matches!(signed_in_user(&no_id, &phone(), "kiosk", "role"), Err(AuthError::Protocol(_))));
        let mut bare = accept_detail(json!(null));
        bare.remove("user");
        let Err(AuthError::Protocol(why)) = signed_in_user(&bare, &phone(), "kiosk", "role") else { panic!() };
        assert!(why.contains("add_user_in_response"), "{why}");
    }

    #[test]
    fn an_accept_of_an_empty_code_never_signs_in() {
        let passthru = answer(
            200,
            json!({ "detail": { "message": "user has no token, accepted due to 'pass'" },
                                            "result": { "authentication": "ACCEPT", "status": true, "value": true } }),
        );
        assert!(matches!(outcome(&passthru), Outcome::Accept(_)));
    }
}

//! The adapter in-process against the fake pool: the protocol's details the kiosk's screens
//! don't show (which `Session` answers, the `SECRET_HASH`es, the decoy call for an unknown
//! number, every exception's meaning, which sign-out call is made).

use std::time::Duration;

use serde_json::Value;
use shiftkey::auth::cognito::CognitoBackend;
use shiftkey::auth::{AuthBackend, AuthError, Severity, SignedOut, Tokens};
use shiftkey::config::{BackendConfig, BackendKind, SecretSource};
use shiftkey::phone::PhoneNumber;
use shiftkey::secret::{AccessToken, OtpCode, RefreshToken};

use crate::fake::{self, ALEX, CLIENT, Fake, IdToken, JORDAN, NOBODY, POOL, SAM};

const SECRET: &str = "app-client-secret-for-tests";

/// A change to a good config that check() must find.
type Change = Box<dyn Fn(&mut BackendConfig)>;

/// A backend for `fake`; with the client secret in a file when the fake's client has one.
fn backend(fake: &Fake, dir: &tempfile::TempDir) -> CognitoBackend {
    let client_secret = fake.with(|s| s.client_secret.clone()).map(|secret| {
        let path = dir.path().join("client-secret");
        std::fs::write(&path, format!("{secret}\n")).unwrap();
        SecretSource { file: Some(path), env: None }
    });
    let config = BackendConfig {
        kind: BackendKind::Cognito,
        url: fake.url().into(),
        client_id: Some(CLIENT.into()),
        user_pool_id: Some(POOL.into()),
        client_secret,
        timeout: shiftkey::config::HumanDuration(Duration::from_secs(5)),
        ..Default::default()
    };
    CognitoBackend::new(&config).expect("a good config builds")
}

fn phone(e164: &str) -> PhoneNumber {
    PhoneNumber::parse_international(e164).unwrap()
}

fn code(text: &str) -> OtpCode {
    OtpCode::new(text)
}

#[tokio::test]
async fn a_code_signs_in_with_who_and_groups_from_the_id_token_and_secret_hashes_made_right() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);

    let challenge = cognito.start(&phone(JORDAN)).await.unwrap();
    assert_eq!(challenge.code_length, 8, "Cognito's codes are 8 digits");
    assert_eq!(challenge.expires_in, Duration::from_secs(180), "AuthSessionValidity's default");
    assert_eq!(challenge.resend_after, Duration::from_secs(30));
    let grant = cognito.verify(&challenge.id, &code(&fake.code_for(JORDAN))).await.unwrap();
    let jordan = fake.with(|s| s.user(JORDAN));
    assert_eq!(grant.user.id, jordan.sub);
    assert_eq!(grant.user.display_name, "Jordan Lee");
    assert_eq!(grant.user.roles, ["store-042", "kiosk-manager"]);
    assert_eq!(grant.expires_in, Duration::from_secs(3600));
    let issued = fake.with(|s| s.issued.last().cloned().unwrap());
    assert_eq!(grant.tokens.access.expose(), issued.access, "the session gets Cognito's access token");
    assert_eq!(grant.tokens.refresh.as_ref().map(RefreshToken::expose), Some(issued.refresh.as_str()));
    let debug = format!("{grant:?}");
    assert!(!debug.contains(&issued.access) && !debug.contains(&issued.refresh), "{debug}");

    // The start's hash is over the number as typed; the answer's over the internal user name
    // Cognito gave back (the number is an alias).
    let initiate = fake.with(|s| s.calls_of("InitiateAuth")).pop().unwrap();
    assert_eq!(initiate["AuthFlow"], "USER_AUTH");
    assert_eq!(initiate["AuthParameters"]["USERNAME"], JORDAN);
    assert_eq!(initiate["AuthParameters"]["PREFERRED_CHALLENGE"], "SMS_OTP");
    assert_eq!(initiate["AuthParameters"]["SECRET_HASH"], fake::secret_hash(SECRET, JORDAN));
    let respond = fake.with(|s| s.calls_of("RespondToAuthChallenge")).pop().unwrap();
    assert_eq!(respond["ChallengeName"], "SMS_OTP");
    assert_eq!(respond["ChallengeResponses"]["USERNAME"], jordan.username.as_str());
    assert_eq!(respond["ChallengeResponses"]["SECRET_HASH"], fake::secret_hash(SECRET, &jordan.username));
    assert_eq!(fake.with(|s| s.secret_hashes_checked), 2);

    // A name from given + family; no groups, no roles; a spent challenge is gone.
    let challenge = cognito.start(&phone(SAM)).await.unwrap();
    let grant = cognito.verify(&challenge.id, &code(&fake.code_for(SAM))).await.unwrap();
    assert_eq!(
        (grant.user.display_name.as_str(), grant.user.roles.as_slice()),
        ("Sam Okafor", &["store-042".to_string()][..])
    );
    assert_eq!(cognito.verify(&challenge.id, &code("12345678")).await.unwrap_err(), AuthError::Expired);
}

#[tokio::test]
async fn without_a_client_secret_no_secret_hash_is_sent() {
    let fake = Fake::start(None);
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);
    let challenge = cognito.start(&phone(ALEX)).await.unwrap();
    let grant = cognito.verify(&challenge.id, &code(&fake.code_for(ALEX))).await.unwrap();
    assert_eq!(grant.user.display_name, "Alex Rivera");
    assert!(grant.user.roles.is_empty());
    for (_, body) in fake.with(|s| s.calls.clone()) {
        assert!(!body.to_string().contains("SECRET_HASH"), "{body}");
    }
}

#[tokio::test]
async fn a_wrong_code_is_rejected_and_the_session_given_with_it_answers_the_next_try() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);
    for new_session_on_mismatch in [true, false] {
        fake.with(|s| s.new_session_on_mismatch = new_session_on_mismatch);
        let challenge = cognito.start(&phone(ALEX)).await.unwrap();
        assert_eq!(cognito.verify(&challenge.id, &code("00000000")).await.unwrap_err(), AuthError::CodeRejected);
        assert_eq!(cognito.verify(&challenge.id, &code("00000001")).await.unwrap_err(), AuthError::CodeRejected);
        let grant = cognito.verify(&challenge.id, &code(&fake.code_for(ALEX))).await;
        assert!(grant.is_ok(), "new session on mismatch: {new_session_on_mismatch}: {grant:?}");
        let sessions: Vec<Value> = fake
            .with(|s| s.calls_of("RespondToAuthChallenge"))
            .iter()
            .rev()
            .take(3)
            .map(|b| b["Session"].clone())
            .collect();
        let all_same = sessions.windows(2).all(|w| w[0] == w[1]);
        assert_eq!(all_same, !new_session_on_mismatch, "{sessions:?}");
    }
}

#[tokio::test]
async fn a_pool_that_ignores_the_preferred_challenge_is_answered_with_select_challenge() {
    let fake = Fake::start(Some(SECRET));
    fake.with(|s| s.ignore_preferred_challenge = true);
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);
    let challenge = cognito.start(&phone(ALEX)).await.unwrap();
    let select = fake.with(|s| s.calls_of("RespondToAuthChallenge")).pop().unwrap();
    assert_eq!(select["ChallengeName"], "SELECT_CHALLENGE");
    assert_eq!(select["ChallengeResponses"]["ANSWER"], "SMS_OTP");
    assert!(cognito.verify(&challenge.id, &code(&fake.code_for(ALEX))).await.is_ok());
}

#[tokio::test]
async fn an_unknown_number_gets_a_challenge_like_any_other_and_fails_like_a_wrong_code() {
    for hide_unknown_users in [false, true] {
        let fake = Fake::start(Some(SECRET));
        fake.with(|s| s.hide_unknown_users = hide_unknown_users);
        let dir = tempfile::tempdir().unwrap();
        let cognito = backend(&fake, &dir);
        let known = cognito.start(&phone(ALEX)).await.unwrap();
        let unknown = cognito.start(&phone(NOBODY)).await.unwrap();
        assert_eq!(
            (unknown.code_length, unknown.expires_in, unknown.resend_after),
            (known.code_length, known.expires_in, known.resend_after)
        );
        assert_eq!(unknown.id.len(), known.id.len());
        let calls = fake.with(|s| s.calls_of("RespondToAuthChallenge").len());
        assert_eq!(cognito.verify(&unknown.id, &code("12345678")).await.unwrap_err(), AuthError::CodeRejected);
        assert_eq!(cognito.verify(&unknown.id, &code("87654321")).await.unwrap_err(), AuthError::CodeRejected);
        assert_eq!(
            fake.with(|s| s.calls_of("RespondToAuthChallenge").len()),
            calls + 2,
            "each try at an unknown number's code is a call to Cognito too, as for a known one"
        );
        let resent = cognito.resend(&unknown.id).await.unwrap();
        assert_ne!(resent.id, unknown.id);
        assert_eq!(cognito.verify(&resent.id, &code("12345678")).await.unwrap_err(), AuthError::CodeRejected);
        assert!(fake.with(|s| s.codes_for(NOBODY)).is_empty(), "nothing was texted");
        assert_eq!(fake.with(|s| s.calls_of("InitiateAuth").len()), 3, "a resend is a new InitiateAuth");
        // The unknown number's tries are rate-limited as a known one's are.
        fake.with(|s| s.fail_next("RespondToAuthChallenge", "TooManyRequestsException", "Rate exceeded"));
        assert!(matches!(cognito.verify(&resent.id, &code("12345678")).await, Err(AuthError::RateLimited { .. })));
    }
}

#[tokio::test]
async fn exceptions_become_what_the_kiosk_shows() {
    let fake = Fake::start(None);
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);
    let thirty = Duration::from_secs(30);
    let start_cases = [
        ("TooManyRequestsException", "Rate exceeded", AuthError::RateLimited { retry_after: thirty }),
        (
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time.",
            AuthError::RateLimited { retry_after: thirty },
        ),
        (
            "ForbiddenException",
            "Request not allowed due to WAF block.",
            AuthError::StoreRateLimited { retry_after: Duration::from_secs(300) },
        ),
        (
            "InvalidParameterException",
            "Invalid phone number provided.",
            AuthError::InvalidPhone("Invalid phone number provided.".into()),
        ),
        ("InternalErrorException", "boom", AuthError::Unreachable),
    ];
    for (name, message, expected) in start_cases {
        fake.with(|s| s.fail_next("InitiateAuth", name, message));
        assert_eq!(cognito.start(&phone(ALEX)).await.unwrap_err(), expected, "{name}");
    }
    let verify_cases = [
        ("ExpiredCodeException", "Invalid code provided, please request a code again.", AuthError::Expired),
        ("NotAuthorizedException", "Invalid session for the user, session is expired.", AuthError::Expired),
        ("TooManyFailedAttemptsException", "Too many failed attempts.", AuthError::TooManyAttempts),
        ("TooManyRequestsException", "Rate exceeded", AuthError::RateLimited { retry_after: thirty }),
    ];
    for (name, message, expected) in verify_cases {
        let challenge = cognito.start(&phone(ALEX)).await.unwrap();
        fake.with(|s| s.fail_next("RespondToAuthChallenge", name, message));
        assert_eq!(cognito.verify(&challenge.id, &code(&fake.code_for(ALEX))).await.unwrap_err(), expected, "{name}");
    }
    // The fake's own expiry, as Cognito says it.
    let challenge = cognito.start(&phone(ALEX)).await.unwrap();
    fake.with(|s| s.expire_sessions = true);
    assert_eq!(cognito.verify(&challenge.id, &code(&fake.code_for(ALEX))).await.unwrap_err(), AuthError::Expired);
    fake.with(|s| s.expire_sessions = false);
    // Nothing listening.
    let gone = {
        let other = Fake::start(None);
        let cognito = backend(&other, &dir);
        drop(other);
        cognito
    };
    assert_eq!(gone.start(&phone(ALEX)).await.unwrap_err(), AuthError::Unreachable);
}

#[tokio::test]
async fn an_id_token_that_fails_its_checks_is_refused_and_its_refresh_token_revoked() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);
    for trouble in [IdToken::Forged, IdToken::WrongAudience, IdToken::AccessTokenUse] {
        fake.with(|s| s.id_token = trouble);
        let challenge = cognito.start(&phone(JORDAN)).await.unwrap();
        let err = cognito.verify(&challenge.id, &code(&fake.code_for(JORDAN))).await.unwrap_err();
        assert!(matches!(err, AuthError::Untrusted(_)), "{trouble:?}: {err:?}");
        let issued = fake.with(|s| s.issued.last().cloned().unwrap());
        assert!(issued.revoked, "{trouble:?}: the refused sign-in's refresh token was revoked");
    }
}

#[tokio::test]
async fn sign_out_revokes_the_refresh_token_else_signs_out_globally() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let cognito = backend(&fake, &dir);
    let sign_in = || async {
        let challenge = cognito.start(&phone(ALEX)).await.unwrap();
        cognito.verify(&challenge.id, &code(&fake.code_for(ALEX))).await.unwrap()
    };

    let grant = sign_in().await;
    assert_eq!(cognito.sign_out(&grant.tokens).await, Ok(SignedOut::Revoked));
    let revocation = fake.with(|s| s.revoked.last().cloned().unwrap());
    assert_eq!(revocation.token, grant.tokens.refresh.as_ref().unwrap().expose());
    assert_eq!(revocation.client_secret.as_deref(), Some(SECRET), "RevokeToken carries the client's secret");

    // Crash recovery has the access token only.
    let grant = sign_in().await;
    let access_only = Tokens::access_only(AccessToken::new(grant.tokens.access.expose()));
    assert_eq!(cognito.sign_out(&access_only).await, Ok(SignedOut::Revoked));
    assert_eq!(fake.with(|s| s.global_sign_outs.len()), 1);
    assert_eq!(cognito.sign_out(&access_only).await, Ok(SignedOut::Revoked), "already ended is ended");

    // A client with revocation off.
    fake.with(|s| s.revocation_disabled = true);
    let grant = sign_in().await;
    assert_eq!(cognito.sign_out(&grant.tokens).await, Ok(SignedOut::Revoked));
    assert_eq!(fake.with(|s| s.global_sign_outs.len()), 2);
}

#[tokio::test]
async fn check_finds_the_set_up_good_and_names_each_mistake_without_texting_anyone() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let problems = backend(&fake, &dir).check().await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].severity, Severity::Note);
    assert!(problems[0].what.contains("manager.roles") && problems[0].what.contains("cognito:groups"), "{problems:?}");
    let probe = fake.with(|s| s.calls_of("InitiateAuth")).pop().unwrap();
    assert!(probe["AuthParameters"].get("PREFERRED_CHALLENGE").is_none(), "{probe}");

    let secret = dir.path().join("wrong-secret");
    std::fs::write(&secret, "not-the-secret").unwrap();
    let cases: [(Change, &str); 4] = [
        (Box::new(|c| c.client_id = Some("no_such_client".into())), "backend.client_id"),
        (Box::new(|c| c.user_pool_id = Some("eu-west-1_Other".into())), "backend.user_pool_id"),
        (
            Box::new(move |c| c.client_secret = Some(SecretSource { file: Some(secret.clone()), env: None })),
            "backend.client_secret",
        ),
        (Box::new(|c| c.client_secret = None), "backend.client_secret"),
    ];
    for (change, key) in cases {
        let mut config = BackendConfig {
            kind: BackendKind::Cognito,
            url: fake.url().into(),
            client_id: Some(CLIENT.into()),
            user_pool_id: Some(POOL.into()),
            ..Default::default()
        };
        let path = dir.path().join("client-secret");
        std::fs::write(&path, SECRET).unwrap();
        config.client_secret = Some(SecretSource { file: Some(path), env: None });
        change(&mut config);
        let problems = CognitoBackend::new(&config).unwrap().check().await;
        let errors: Vec<_> = problems.iter().filter(|p| p.severity == Severity::Error).collect();
        assert_eq!(errors.len(), 1, "{key}: {problems:?}");
        assert!(errors[0].to_string().contains(key), "{key}: {}", errors[0]);
    }
    fake.with(|s| s.user_auth_disabled = true);
    let problems = backend(&fake, &dir).check().await;
    assert!(
        problems.iter().any(|p| p.severity == Severity::Error && p.fix.contains("ALLOW_USER_AUTH")),
        "{problems:?}"
    );
    assert!(
        matches!(backend(&fake, &dir).start(&phone(ALEX)).await, Err(AuthError::Protocol(m)) if m.contains("ALLOW_USER_AUTH"))
    );
    fake.with(|s| s.user_auth_disabled = false);
    fake.with(|s| s.bad_jwks = true);
    let problems = backend(&fake, &dir).check().await;
    assert!(
        problems.iter().any(|p| p.severity == Severity::Error && p.what.contains("can't fetch the signing keys")),
        "{problems:?}"
    );
    assert!(fake.with(|s| s.sms.is_empty()), "check-config texted no one");
}

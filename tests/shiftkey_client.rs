//! The kiosk's client of the reference backend (`auth::shiftkey`) against a real
//! `shiftkey serve`: every answer the server gives arrives as the typed value the kiosk acts on.

mod common;

use std::time::Duration;

use common::Backend;
use shiftkey::auth::shiftkey::ShiftkeyBackend;
use shiftkey::auth::{AuthBackend, AuthError};
use shiftkey::phone::PhoneNumber;
use shiftkey::secret::OtpCode;

const JORDAN: &str = "+12065550109";

fn client(backend: &Backend) -> ShiftkeyBackend {
    ShiftkeyBackend::new(&backend.url).unwrap()
}

fn wrong(code: &str) -> OtpCode {
    OtpCode::new(format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000))
}

#[tokio::test]
async fn a_sign_in_through_the_client_yields_the_user_and_a_token_the_server_honours() {
    let backend = Backend::start();
    let client = client(&backend);
    assert!(client.healthy().await);
    let challenge = client.start(&PhoneNumber::parse_international(JORDAN).unwrap()).await.unwrap();
    assert_eq!((challenge.code_length, challenge.expires_in), (6, Duration::from_secs(300)));
    let code = OtpCode::new(backend.code_for(JORDAN));
    let grant = client.verify(&challenge.id, &code).await.unwrap();
    assert_eq!(grant.user.id, "jordan");
    assert_eq!(grant.user.display_name, "Jordan Lee");
    assert_eq!(grant.user.roles, vec!["kiosk-manager".to_string()]);
    assert_eq!(grant.expires_in, Duration::from_secs(12 * 3600));
    let me = reqwest::Client::new()
        .get(format!("{}/v1/me", backend.url))
        .bearer_auth(grant.tokens.access.expose())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(me.as_u16(), 200, "the token the client decoded is the one the server issued");
    assert_eq!(client.sign_out(&grant.tokens).await.unwrap(), shiftkey::auth::SignedOut::Revoked);
    client.sign_out(&grant.tokens).await.expect("sign-out is idempotent");
}

#[tokio::test]
async fn refusals_arrive_as_the_auth_errors_the_kiosk_acts_on() {
    let backend = Backend::start();
    let client = client(&backend);
    let challenge = client.start(&PhoneNumber::parse_international(JORDAN).unwrap()).await.unwrap();
    let code = backend.code_for(JORDAN);

    let err = client.resend(&challenge.id).await.unwrap_err();
    let AuthError::RateLimited { retry_after } = err else { panic!("resend inside the cooldown: {err:?}") };
    assert!((1..=30).contains(&retry_after.as_secs()), "{retry_after:?}");

    assert_eq!(
        client.verify(&challenge.id, &wrong(&code)).await.unwrap_err(),
        AuthError::InvalidCode { attempts_left: 4 }
    );
    for _ in 0..3 {
        client.verify(&challenge.id, &wrong(&code)).await.unwrap_err();
    }
    assert_eq!(client.verify(&challenge.id, &wrong(&code)).await.unwrap_err(), AuthError::TooManyAttempts);
    assert_eq!(client.verify("no-such-challenge", &OtpCode::new(code)).await.unwrap_err(), AuthError::Expired);
}

#[tokio::test]
async fn a_backend_nobody_answers_is_unreachable() {
    let client = ShiftkeyBackend::new("http://127.0.0.1:9").unwrap();
    assert!(!client.healthy().await);
    let phone = PhoneNumber::parse_international(JORDAN).unwrap();
    assert_eq!(client.start(&phone).await.unwrap_err(), AuthError::Unreachable);
}

#[test]
fn a_url_that_does_not_parse_is_refused_naming_the_key() {
    let err = ShiftkeyBackend::new("not a url").err().expect("refused");
    assert!(err.to_string().starts_with("backend.url \"not a url\": "), "{err}");
}

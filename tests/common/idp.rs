//! What the fakes of hosted identity providers share: a signing key and its JWKS (test-only
//! keys, made for these tests and nothing else), a second key for forged tokens, and a way to
//! serve a fake on a free loopback port for as long as a test needs it.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use tokio::sync::oneshot;

/// The key the fakes sign ID tokens with; its public half is in `idp-jwks.json` as `test-key-1`.
const SIGNING_KEY: &str = include_str!("../fixtures/idp-signing-key.pem");
/// Another key: a token it signs claims `test-key-1` but fails the signature check.
const IMPOSTOR_KEY: &str = include_str!("../fixtures/idp-impostor-key.pem");
const JWKS: &str = include_str!("../fixtures/idp-jwks.json");
pub const KEY_ID: &str = "test-key-1";

/// The fakes' published keys, as a JWKS document.
pub fn jwks() -> Value {
    serde_json::from_str(JWKS).expect("the test JWKS is JSON")
}

fn sign_with(claims: &Value, pem: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KEY_ID.into());
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the test key is a PEM RSA key");
    jsonwebtoken::encode(&header, claims, &key).expect("the test claims encode")
}

/// A token signed with the published key.
pub fn sign(claims: &Value) -> String {
    sign_with(claims, SIGNING_KEY)
}

/// A token that claims the published key's id but is signed with another key.
pub fn forge(claims: &Value) -> String {
    sign_with(claims, IMPOSTOR_KEY)
}

/// Seconds since the epoch, `offset` from now.
pub fn epoch(offset: i64) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    now as i64 + offset
}

/// A fake served on `127.0.0.1:0` on a thread of its own (so a test's own runtime, or none,
/// doesn't matter); stopped when dropped.
pub struct FakeServer {
    pub url: String,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    pub fn start(app: axum::Router) -> Self {
        let (ready, bound) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime for the fake");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
                ready.send(listener.local_addr().expect("bound")).expect("the test waits");
                let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
                serve.await.expect("the fake serves");
            });
        });
        let addr = bound.recv().expect("the fake started");
        FakeServer { url: format!("http://{addr}"), addr, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

//! A man in the middle between the kiosk and privacyIDEA: forwards every request, records
//! which paths were asked, and — told to — makes every `ACCEPT` a manager's (its signature left
//! as privacyIDEA made it) or strips every answer's signature.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::common::idp::FakeServer;

/// What the proxy does to privacyIDEA's answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    Nothing,
    /// An `ACCEPT`'s `"role": "cashier"` becomes `"role": "kiosk-manager"`.
    Promote,
    /// Every answer loses its `signature`.
    Unsign,
}

#[derive(Clone)]
struct Shared {
    target: String,
    tamper: Tamper,
    client: reqwest::Client,
    paths: Arc<Mutex<Vec<String>>>,
    tampered: Arc<AtomicUsize>,
}

pub struct Proxy {
    pub url: String,
    shared: Shared,
    _server: FakeServer,
}

impl Proxy {
    /// Forwards to `target`, doing `tamper` to the answers.
    pub fn start(target: &str, tamper: Tamper) -> Self {
        let shared = Shared {
            target: target.trim_end_matches('/').to_string(),
            tamper,
            client: reqwest::Client::new(),
            paths: Arc::default(),
            tampered: Arc::default(),
        };
        let server = FakeServer::start(axum::Router::new().fallback(forward).with_state(shared.clone()));
        Proxy { url: server.url.clone(), shared, _server: server }
    }

    /// The paths asked for, in order.
    pub fn paths(&self) -> Vec<String> {
        self.shared.paths.lock().unwrap().clone()
    }

    /// How many answers it changed.
    pub fn tampered(&self) -> usize {
        self.shared.tampered.load(Ordering::SeqCst)
    }
}

async fn forward(State(shared): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    shared.paths.lock().unwrap().push(uri.path().to_string());
    let url = format!("{}{}", shared.target, uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let mut request = shared.client.request(method, url).body(body);
    for name in ["content-type", "authorization", "accept-language"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let Ok(answer) = request.send().await else { return StatusCode::BAD_GATEWAY.into_response() };
    let status = answer.status().as_u16();
    let content_type = answer.headers().get("content-type").cloned();
    let mut text = answer.text().await.unwrap_or_default();
    match shared.tamper {
        Tamper::Promote if text.contains("\"authentication\": \"ACCEPT\"") => {
            text = text.replace("\"role\": \"cashier\"", "\"role\": \"kiosk-manager\"");
            shared.tampered.fetch_add(1, Ordering::SeqCst);
        }
        Tamper::Unsign => {
            if let Ok(serde_json::Value::Object(mut answer)) = serde_json::from_str(&text) {
                answer.remove("signature");
                text = serde_json::Value::Object(answer).to_string();
                shared.tampered.fetch_add(1, Ordering::SeqCst);
            }
        }
        _ => {}
    }
    let mut response = (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), text).into_response();
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}

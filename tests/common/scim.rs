//! A real `shiftkey serve` with a SCIM token, and a client for its `/scim/v2` endpoints.

use reqwest::StatusCode;
use serde_json::Value;

use super::{AdminDb, Backend, admin};

/// Creates a SCIM token named `name` in the database; returns the token (printed once).
pub fn create_token<D: AdminDb + ?Sized>(db: &D, name: &str) -> String {
    let (ok, out, err) = admin(db, &["--json", "scim", "token", "create", "--name", name]);
    assert!(ok, "scim token create failed: {err}");
    let answer: Value = serde_json::from_str(&out).expect("scim token create --json prints JSON");
    answer["token"].as_str().expect("the token is in the answer").to_string()
}

/// `serve` on the seeded directory (alex, jordan; policy on for all) with a SCIM token.
pub struct ScimServer {
    pub backend: Backend,
    pub token: String,
    /// `http://127.0.0.1:PORT/scim/v2`
    pub base: String,
    client: reqwest::Client,
}

/// One answer: status, the `Content-Type`, and the body (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl ScimServer {
    pub fn start() -> Self {
        Self::start_on(super::Engine::Sqlite)
    }

    /// A server on `engine` with the seeded directory and an "entra" token.
    pub fn start_on(engine: super::Engine) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = super::seeded(engine, dir.path());
        let token = create_token(&db, "entra");
        let backend = Backend::start_with_db(dir, db);
        let base = format!("{}/scim/v2", backend.url);
        ScimServer { backend, token, base, client: reqwest::Client::new() }
    }

    /// The SCIM id of the user with this userName.
    pub async fn id_of(&self, user_name: &str) -> String {
        let found = self.call("GET", &format!("/Users?filter=userName eq \"{user_name}\""), None).await;
        found.body["Resources"][0]["id"].as_str().unwrap_or_else(|| panic!("{user_name}: {}", found.body)).to_string()
    }

    /// Sends `method path` with `body` (raw JSON text, sent as `application/scim+json`, as
    /// Entra does) and the server's token.
    pub async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Answer {
        self.call_as(method, path, body, Some(&self.token)).await
    }

    pub async fn call_as(&self, method: &str, path: &str, body: Option<&str>, token: Option<&str>) -> Answer {
        let mut request = self.client.request(method.parse().expect("an HTTP method"), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the SCIM request is answered");
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let text = response.text().await.expect("a readable body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("a JSON body") };
        Answer { status, content_type, body }
    }

    /// The audit records SCIM wrote.
    pub fn audit(&self) -> Vec<Value> {
        let path = self.backend.db.audit();
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r["event"] == "scim")
            .collect()
    }
}

impl Answer {
    /// Asserts a SCIM error body with this status and `scimType`; returns its detail.
    pub fn error(&self, status: u16, scim_type: Option<&str>) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{}", self.body);
        assert_eq!(self.body["status"], status.to_string(), "status is a string: {}", self.body);
        match scim_type {
            Some(kind) => assert_eq!(self.body["scimType"], kind, "{}", self.body),
            None => assert!(self.body.get("scimType").is_none(), "{}", self.body),
        }
        self.body["detail"].as_str().expect("a detail").to_string()
    }
}

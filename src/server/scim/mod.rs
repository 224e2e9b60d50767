//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`: how Entra ID's provisioning service (or Okta)
//! keeps the directory in sync — users, their numbers, groups, leavers.
//!
//! Handlers translate between SCIM bodies (`body`) and the store; every error is a
//! [`ScimError`], answered as a SCIM error body. Every change is audited like an admin
//! command, with the SCIM token's name as the actor and numbers masked. Nothing here logs a
//! number or a token. Never: depend on the kiosk.

mod attrs;
pub mod body;
mod discovery;
mod filter;
mod group;
mod patch;
mod user;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Map, Value, json};

use self::body::{ERROR_SCHEMA, ErrorBody};
use super::signin::SignInService;
use super::store::StoreError;
use crate::audit::AuditLog;

/// SCIM request bodies above this size get 413: a group PATCH of Entra's batches of members
/// is a few KiB, a whole user about one.
pub const SCIM_BODY_LIMIT: usize = 256 * 1024;
/// Results per page when the client doesn't say, and the most it may ask for.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

/// What the SCIM handlers share: the sign-in service (for its store and clock) and the audit log.
pub struct ScimState {
    pub service: Arc<SignInService>,
    pub audit: AuditLog,
}

pub type State = axum::extract::State<Arc<ScimState>>;

pub fn router(service: Arc<SignInService>) -> Router {
    let audit = service.audit_log();
    let state = Arc::new(ScimState { service, audit });
    Router::new()
        .route("/ServiceProviderConfig", get(discovery::service_provider_config))
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/Users", get(user::list).post(user::create))
        .route("/Users/{id}", get(user::read).put(user::replace).patch(user::modify).delete(user::delete))
        .route("/Groups", get(group::list).post(group::create))
        .route("/Groups/{id}", get(group::read).put(group::replace).patch(group::modify).delete(group::delete))
        .route("/.search", post(not_implemented))
        .route("/Users/.search", post(not_implemented))
        .route("/Groups/.search", post(not_implemented))
        .route("/Bulk", post(not_implemented))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(SCIM_BODY_LIMIT))
        .with_state(state)
}

/// Every error answer of the SCIM endpoints, with its status and `scimType` (RFC 7644 §3.12).
#[derive(Debug, thiserror::Error)]
pub enum ScimError {
    #[error("send Authorization: Bearer <token> with a token from `shiftkey admin scim token create`")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidFilter(String),
    #[error("{0}")]
    InvalidValue(String),
    #[error("{0}")]
    InvalidSyntax(String),
    #[error("{0}")]
    InvalidPath(String),
    #[error("{0}")]
    NoTarget(String),
    #[error("{0}")]
    Mutability(String),
    #[error("{0}")]
    Uniqueness(String),
    #[error("request body is over {SCIM_BODY_LIMIT} bytes")]
    TooLarge,
    #[error("wrong method for this SCIM endpoint")]
    MethodNotAllowed,
    #[error("not supported by shiftkey (ServiceProviderConfig says what is)")]
    NotImplemented,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ScimError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UserExists(name) => ScimError::Uniqueness(format!("userName {name:?} is already taken")),
            StoreError::GroupExists(name) => {
                ScimError::Uniqueness(format!("a group named {name:?} already exists (names are unique)"))
            }
            // The store's message names the rule, never the user holding the number.
            err @ StoreError::PhoneTaken => ScimError::Uniqueness(err.to_string()),
            StoreError::NoSuchMember(id) => ScimError::InvalidValue(format!("members: no user with id {id:?}")),
            other => ScimError::Store(other),
        }
    }
}

impl ScimError {
    fn status_and_type(&self) -> (StatusCode, Option<&'static str>) {
        match self {
            ScimError::Unauthorized => (StatusCode::UNAUTHORIZED, None),
            ScimError::NotFound(_) => (StatusCode::NOT_FOUND, None),
            ScimError::InvalidFilter(_) => (StatusCode::BAD_REQUEST, Some("invalidFilter")),
            ScimError::InvalidValue(_) => (StatusCode::BAD_REQUEST, Some("invalidValue")),
            ScimError::InvalidSyntax(_) => (StatusCode::BAD_REQUEST, Some("invalidSyntax")),
            ScimError::InvalidPath(_) => (StatusCode::BAD_REQUEST, Some("invalidPath")),
            ScimError::NoTarget(_) => (StatusCode::BAD_REQUEST, Some("noTarget")),
            ScimError::Mutability(_) => (StatusCode::BAD_REQUEST, Some("mutability")),
            ScimError::Uniqueness(_) => (StatusCode::CONFLICT, Some("uniqueness")),
            ScimError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
            ScimError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, None),
            ScimError::NotImplemented => (StatusCode::NOT_IMPLEMENTED, None),
            ScimError::Store(StoreError::Unavailable(_)) => (StatusCode::SERVICE_UNAVAILABLE, None),
            ScimError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let (status, scim_type) = self.status_and_type();
        let detail = match &self {
            ScimError::Store(err @ StoreError::Unavailable(_)) => {
                tracing::warn!(%err, "database unavailable in SCIM");
                "the directory can't reach its database; retry shortly".to_string()
            }
            // The cause stays in the server's log; the client learns only that it wasn't them.
            ScimError::Store(err) => {
                tracing::error!(%err, "store failure in SCIM");
                "the directory had an internal error".to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody { schemas: [ERROR_SCHEMA], status: status.as_u16().to_string(), scim_type, detail };
        let mut response = scim_json(status, &body);
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(super::api::UNAVAILABLE_RETRY_AFTER));
        }
        response
    }
}

/// A SCIM answer: `application/scim+json` (RFC 7644 §3.1).
pub fn scim_json(status: StatusCode, body: &impl Serialize) -> Response {
    let text = serde_json::to_vec(body).expect("SCIM bodies serialize");
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/scim+json"))], text).into_response()
}

/// A page of resources, each as the client asked to see it.
pub fn list_answer(total: usize, page: &Page, mut resources: Vec<Value>, selection: &Selection) -> Response {
    for resource in &mut resources {
        selection.apply(resource);
    }
    scim_json(StatusCode::OK, &body::ListResponse::new(total, page.start_index, resources))
}

/// A resource as the client asked to see it (`attributes`, `excludedAttributes`), with its
/// `Location` when one is given.
pub fn respond(status: StatusCode, mut resource: Value, selection: &Selection, location: Option<&str>) -> Response {
    selection.apply(&mut resource);
    let mut response = scim_json(status, &resource);
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The SCIM client, by the name of the token it presented; or a 401 before the handler runs.
pub struct ScimClient(pub String);

impl FromRequestParts<Arc<ScimState>> for ScimClient {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<ScimState>) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("bearer ")).map(|_| &v[7..]))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ScimError::Unauthorized)?;
        let hash = super::otp::token_hash(presented);
        let name = state.service.store().connection().await?.scim_token_name(&hash).await?;
        name.map(ScimClient).ok_or(ScimError::Unauthorized)
    }
}

/// The base of resource locations: `http(s)://HOST/scim/v2`, from the request's `Host` (and
/// `X-Forwarded-Proto` from a TLS proxy in front).
pub struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let host = header("host").or_else(|| parts.uri.authority().map(|a| a.as_str())).unwrap_or("localhost");
        let scheme = match header("x-forwarded-proto") {
            Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        Ok(BaseUrl(format!("{scheme}://{host}/scim/v2")))
    }
}

/// A request body as a JSON object; 413 over the limit, `invalidSyntax` if it isn't one.
/// Any JSON content type is accepted (`application/scim+json` is the RFC's).
pub struct ScimBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection: BytesRejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ScimError::TooLarge
            } else {
                ScimError::InvalidSyntax(rejection.body_text())
            }
        })?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(object)) => Ok(ScimBody(object)),
            Ok(_) => Err(ScimError::InvalidSyntax("the body must be a JSON object".into())),
            Err(err) => Err(ScimError::InvalidSyntax(format!("the body is not valid JSON: {err}"))),
        }
    }
}

/// Reads a typed body from a JSON value; the parser's reason becomes `invalidSyntax`, or
/// `invalidValue` when a value has the wrong type.
pub fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ScimError> {
    serde_json::from_value(value).map_err(|err| match err.classify() {
        // A name the body shouldn't have, or one it must have: the structure is wrong.
        serde_json::error::Category::Data
            if err.to_string().contains("unknown field") || err.to_string().contains("missing field") =>
        {
            ScimError::InvalidSyntax(err.to_string())
        }
        _ => ScimError::InvalidValue(err.to_string()),
    })
}

impl ScimState {
    /// Audits one SCIM change like an admin command: who (the token's name), what, on which
    /// resource, and whether it worked (an error's text with any number masked).
    pub fn audit<T>(&self, client: &ScimClient, command: &str, target: &str, result: &Result<T, ScimError>) {
        let target = super::admin::mask_numbers(target);
        match result {
            Ok(_) => {
                tracing::info!(client = %client.0, command, target = %target, "scim");
                self.audit
                    .record("scim", json!({ "actor": client.0, "command": command, "target": target, "ok": true }));
            }
            Err(err) => {
                let error = super::admin::mask_numbers(&err.to_string());
                tracing::info!(client = %client.0, command, target = %target, error = %error, "scim refused");
                self.audit.record(
                    "scim",
                    json!({ "actor": client.0, "command": command, "target": target, "ok": false, "error": error }),
                );
            }
        }
    }
}

/// Paging and attribute selection of a list request, checked.
pub struct Page {
    pub start_index: usize,
    pub count: usize,
}

impl Page {
    pub fn from_query(start_index: Option<&str>, count: Option<&str>) -> Result<Page, ScimError> {
        let number = |name: &str, text: &str| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| ScimError::InvalidValue(format!("{name} {text:?} is not an integer")))
        };
        // RFC 7644 §3.4.2.4: below 1 is read as 1; a negative count as 0.
        let start_index = start_index.map(|t| number("startIndex", t)).transpose()?.unwrap_or(1).max(1) as usize;
        let count =
            count.map(|t| number("count", t)).transpose()?.unwrap_or(DEFAULT_PAGE as i64).clamp(0, MAX_PAGE as i64)
                as usize;
        Ok(Page { start_index, count })
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) applied to a resource. `id` and
/// `schemas` are always returned.
pub struct Selection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl Selection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>, schema: &str) -> Selection {
        let list = |text: Option<&str>| -> Vec<String> {
            text.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let prefix = format!("{schema}:");
                    match s.get(..prefix.len()) {
                        Some(p) if p.eq_ignore_ascii_case(&prefix) => s[prefix.len()..].to_string(),
                        _ => s.to_string(),
                    }
                })
                .collect()
        };
        Selection { attributes: list(attributes), excluded: list(excluded) }
    }

    /// Whether the attribute (top-level name) is left out.
    pub fn excludes(&self, name: &str) -> bool {
        self.excluded.iter().any(|e| e.eq_ignore_ascii_case(name))
            || (!self.attributes.is_empty()
                && !self
                    .attributes
                    .iter()
                    .any(|a| a.split('.').next().is_some_and(|top| top.eq_ignore_ascii_case(name))))
    }

    pub fn apply(&self, resource: &mut Value) {
        let Value::Object(object) = resource else { return };
        let always = |key: &str| key == "id" || key == "schemas";
        if !self.attributes.is_empty() {
            object.retain(|key, value| {
                if always(key) {
                    return true;
                }
                let wanted: Vec<&str> = self
                    .attributes
                    .iter()
                    .filter_map(|a| {
                        let (top, sub) = a.split_once('.').map_or((a.as_str(), None), |(t, s)| (t, Some(s)));
                        top.eq_ignore_ascii_case(key).then_some(sub.unwrap_or(""))
                    })
                    .collect();
                if wanted.is_empty() {
                    return false;
                }
                if !wanted.contains(&"")
                    && let Value::Object(inner) = value
                {
                    inner.retain(|sub, _| wanted.iter().any(|w| w.eq_ignore_ascii_case(sub)));
                }
                true
            });
        }
        for excluded in &self.excluded {
            match excluded.split_once('.') {
                None => {
                    let key = object.keys().find(|k| k.eq_ignore_ascii_case(excluded) && !always(k)).cloned();
                    if let Some(key) = key {
                        object.remove(&key);
                    }
                }
                Some((top, sub)) => {
                    if let Some(Value::Object(inner)) =
                        object.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(top)).map(|(_, v)| v)
                    {
                        let key = inner.keys().find(|k| k.eq_ignore_ascii_case(sub)).cloned();
                        if let Some(key) = key {
                            inner.remove(&key);
                        }
                    }
                }
            }
        }
    }
}

/// `meta` of a resource (RFC 7643 §3.1).
pub fn meta(resource_type: &str, created_ms: i64, modified_ms: i64, location: &str) -> Value {
    let time = |ms: i64| {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
        humantime::format_rfc3339_millis(at).to_string()
    };
    json!({
        "resourceType": resource_type,
        "created": time(created_ms),
        "lastModified": time(modified_ms),
        "location": location,
    })
}

async fn not_found() -> ScimError {
    ScimError::NotFound("no such SCIM endpoint: see /scim/v2/ResourceTypes".into())
}

async fn method_not_allowed() -> ScimError {
    ScimError::MethodNotAllowed
}

async fn not_implemented(_client: ScimClient) -> ScimError {
    ScimError::NotImplemented
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_reads_the_rfc_defaults_and_bounds() {
        let page = Page::from_query(None, None).unwrap();
        assert_eq!((page.start_index, page.count), (1, DEFAULT_PAGE));
        let page = Page::from_query(Some("0"), Some("-5")).unwrap();
        assert_eq!((page.start_index, page.count), (1, 0));
        assert_eq!(Page::from_query(None, Some("100000")).unwrap().count, MAX_PAGE);
        assert!(matches!(Page::from_query(Some("x"), None), Err(ScimError::InvalidValue(_))));
    }

    #[test]
    fn attributes_keep_and_excluded_attributes_drop_but_id_stays() {
        let resource = json!({ "id": "1", "schemas": [], "userName": "a", "name": { "givenName": "A", "familyName": "B" }, "members": [] });
        let mut only = resource.clone();
        Selection::new(Some("name.givenName"), None, body::USER_SCHEMA).apply(&mut only);
        assert_eq!(only, json!({ "id": "1", "schemas": [], "name": { "givenName": "A" } }));
        let mut without = resource;
        Selection::new(None, Some("members,ID"), body::GROUP_SCHEMA).apply(&mut without);
        assert!(without.get("members").is_none() && without.get("id").is_some());
        assert!(Selection::new(None, Some("members"), body::GROUP_SCHEMA).excludes("members"));
    }
}

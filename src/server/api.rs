//! The HTTP API of the reference backend (see DESIGN.md and `/v1/openapi.json`).
//!
//! Handlers only translate between JSON and [`SignInService`]; every error is a JSON object
//! with an `error` code and a `message` for people.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::signin::{SignInError, SignInService};
use crate::secret::{AccessToken, OtpCode};

/// Request bodies above this size get 413.
pub const BODY_LIMIT: usize = 16 * 1024;
const OPENAPI: &str = include_str!("../../assets/openapi.json");

pub fn router(service: Arc<SignInService>) -> Router {
    Router::new()
        .route("/v1/sign-in/start", post(start))
        .route("/v1/sign-in/resend", post(resend))
        .route("/v1/sign-in/verify", post(verify))
        .route("/v1/sign-out", post(sign_out))
        .route("/v1/me", get(me))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(service)
}

/// An error answer: status plus a JSON body.
pub struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: json!({ "error": error, "message": message.into() }), retry_after: None }
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.body[key] = value.into();
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        let message = err.to_string();
        match err {
            SignInError::InvalidPhone(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_phone", message),
            SignInError::InvalidCode { attempts_left } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_code", message).with("attempts_left", attempts_left)
            }
            SignInError::Expired => ApiError::new(StatusCode::BAD_REQUEST, "expired", message),
            SignInError::TooManyAttempts => ApiError::new(StatusCode::BAD_REQUEST, "too_many_attempts", message),
            SignInError::RateLimited { retry_after } => {
                let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
                    .with("retry_after", retry_after);
                e.retry_after = Some(retry_after);
                e
            }
            SignInError::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message),
            SignInError::Store(err) => {
                tracing::error!(%err, "store failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the sign-in service had an internal error",
                )
            }
        }
    }
}

/// `Json` whose rejections are our JSON errors (400 with the parser's reason, or 413).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("request body is over {BODY_LIMIT} bytes"),
        );
    }
    let reason = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with Content-Type: application/json".to_string()
        }
        other => other.body_text(),
    };
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", reason)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResendBody {
    challenge_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    challenge_id: String,
    code: OtpCode,
}

/// The client address the caps count against: the peer, or the first `X-Forwarded-For` hop
/// when the config says a proxy of ours is in front.
fn client_of(service: &SignInService, peer: SocketAddr, headers: &HeaderMap) -> String {
    if service.trusts_forwarded_for()
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return first.to_string();
    }
    peer.ip().to_string()
}

async fn start(
    State(service): State<Arc<SignInService>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StartBody>,
) -> Result<Response, ApiError> {
    let info = service.start(&body.phone, &client_of(&service, peer, &headers))?;
    Ok((StatusCode::ACCEPTED, Json(info)).into_response())
}

async fn resend(
    State(service): State<Arc<SignInService>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ResendBody>,
) -> Result<Response, ApiError> {
    let info = service.resend(&body.challenge_id, &client_of(&service, peer, &headers))?;
    Ok((StatusCode::ACCEPTED, Json(info)).into_response())
}

async fn verify(
    State(service): State<Arc<SignInService>>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Response, ApiError> {
    let session = service.verify(&body.challenge_id, &body.code)?;
    let body = json!({
        "access_token": session.token.expose(),
        "token_type": "Bearer",
        "expires_in": session.expires_in,
        "user": user_json(&session.user),
    });
    Ok((StatusCode::OK, Json(body)).into_response())
}

fn user_json(user: &super::store::User) -> Value {
    json!({ "id": user.username, "display_name": user.display_name, "roles": user.roles })
}

fn bearer(headers: &HeaderMap) -> Result<AccessToken, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| AccessToken::new(t.trim()))
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <token>"))
}

async fn sign_out(State(service): State<Arc<SignInService>>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    service.sign_out(&bearer(&headers)?)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(service): State<Arc<SignInService>>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let user = service.me(&bearer(&headers)?)?;
    Ok(Json(user_json(&user)))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "wrong method for this endpoint; see /v1/openapi.json",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see /v1/openapi.json")
}

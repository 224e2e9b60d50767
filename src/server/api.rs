//! The HTTP API of the reference backend (ARCHITECTURE.md; the contract is `/v1/openapi.json`).
//!
//! Handlers only translate between the bodies of [`crate::api_types`] and [`SignInService`];
//! every error is an [`ApiError`], answered as an [`ErrorBody`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

use super::signin::{IssuedToken, SignInError, SignInService};
use super::store::User;
use crate::api_types::{
    Challenge, ErrorBody, ErrorCode, Grant, Health, HealthStatus, IssuePassRequest, IssuedPass, PassRequest,
    ResendRequest, StartRequest, TokenType, User as UserBody, VerifyRequest,
};
use crate::secret::AccessToken;

/// What a 503 asks a caller to wait, in seconds, while the database is away.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 1;

/// Request bodies above this size get 413.
pub const BODY_LIMIT: usize = 16 * 1024;
const OPENAPI: &str = include_str!("../../assets/openapi.json");

pub fn router(service: Arc<SignInService>) -> Router {
    Router::new()
        .route("/v1/sign-in/start", post(start))
        .route("/v1/sign-in/resend", post(resend))
        .route("/v1/sign-in/verify", post(verify))
        .route("/v1/sign-in/pass", post(sign_in_with_pass))
        .route("/v1/passes", post(issue_pass))
        .route("/v1/sign-out", post(sign_out))
        .route("/v1/me", get(me))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Arc::clone(&service))
        // Provisioning from Entra ID or Okta: its own errors, body limit and tokens (README).
        .nest("/scim/v2", super::scim::router(service))
}

/// Every error answer of the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error("send Authorization: Bearer <token>")]
    NoBearer,
    /// The body isn't the JSON the endpoint takes; the parser's reason.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("request body is over {BODY_LIMIT} bytes")]
    TooLarge,
    #[error("wrong method for this endpoint; see /v1/openapi.json")]
    MethodNotAllowed,
    #[error("no such endpoint; see /v1/openapi.json")]
    NotFound,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::SignIn(err) => match err {
                SignInError::InvalidPhone(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidPhone),
                SignInError::InvalidLocale(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
                SignInError::InvalidCode { .. } => (StatusCode::BAD_REQUEST, ErrorCode::InvalidCode),
                SignInError::Expired => (StatusCode::BAD_REQUEST, ErrorCode::Expired),
                SignInError::TooManyAttempts => (StatusCode::BAD_REQUEST, ErrorCode::TooManyAttempts),
                SignInError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
                SignInError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
                SignInError::InvalidPass => (StatusCode::BAD_REQUEST, ErrorCode::InvalidPass),
                SignInError::NotManager => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
                SignInError::NoSuchWorker => (StatusCode::NOT_FOUND, ErrorCode::NoSuchUser),
                SignInError::Store(err) if err.is_unavailable() => {
                    (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
                }
                SignInError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            },
            ApiError::NoBearer => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            ApiError::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.status_and_code();
        let message = match &self {
            ApiError::SignIn(SignInError::Store(err)) if err.is_unavailable() => {
                tracing::warn!(%err, "database unavailable");
                "the sign-in service can't reach its database; retry shortly".to_string()
            }
            // The cause stays in the server's log; callers learn only that it wasn't them.
            ApiError::SignIn(SignInError::Store(err)) => {
                tracing::error!(%err, "store failure");
                "the sign-in service had an internal error".to_string()
            }
            other => other.to_string(),
        };
        let (attempts_left, retry_after) = match self {
            ApiError::SignIn(SignInError::InvalidCode { attempts_left }) => (Some(attempts_left), None),
            ApiError::SignIn(SignInError::RateLimited { retry_after }) => (None, Some(retry_after)),
            ApiError::SignIn(SignInError::Store(err)) if err.is_unavailable() => (None, Some(UNAVAILABLE_RETRY_AFTER)),
            _ => (None, None),
        };
        let mut response = (status, Json(ErrorBody { attempts_left, error, message, retry_after })).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
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
        return ApiError::TooLarge;
    }
    ApiError::InvalidRequest(match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with Content-Type: application/json".to_string()
        }
        other => other.body_text(),
    })
}

/// The token of `Authorization: Bearer <token>`, or a 401 before the handler runs.
pub struct Bearer(pub AccessToken);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Bearer(AccessToken::new(t.trim())))
            .ok_or(ApiError::NoBearer)
    }
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
    ApiJson(body): ApiJson<StartRequest>,
) -> Result<(StatusCode, Json<Challenge>), ApiError> {
    let challenge = service.start_in(&body.phone, body.locale.as_deref(), &client_of(&service, peer, &headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(challenge)))
}

async fn resend(
    State(service): State<Arc<SignInService>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ResendRequest>,
) -> Result<(StatusCode, Json<Challenge>), ApiError> {
    let client = client_of(&service, peer, &headers);
    let challenge = service.resend_by(&body.challenge_id, body.channel, &client).await?;
    Ok((StatusCode::ACCEPTED, Json(challenge)))
}

async fn verify(
    State(service): State<Arc<SignInService>>,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<Grant>, ApiError> {
    Ok(Json(grant(service.verify(&body.challenge_id, &body.code).await?)))
}

/// A pass instead of a code: the same grant as verify.
async fn sign_in_with_pass(
    State(service): State<Arc<SignInService>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PassRequest>,
) -> Result<Json<Grant>, ApiError> {
    let client = client_of(&service, peer, &headers);
    Ok(Json(grant(service.sign_in_with_pass(&body.phone, &body.pass, &client).await?)))
}

fn grant(issued: IssuedToken) -> Grant {
    Grant {
        access_token: issued.token,
        expires_in: issued.expires_in,
        token_type: TokenType::Bearer,
        user: user_body(issued.user),
    }
}

/// A kiosk manager issues a one-time pass for a worker's number.
async fn issue_pass(
    State(service): State<Arc<SignInService>>,
    Bearer(token): Bearer,
    ApiJson(body): ApiJson<IssuePassRequest>,
) -> Result<(StatusCode, Json<IssuedPass>), ApiError> {
    let (worker, issued) = service.issue_pass(&token, &body.phone).await?;
    let expires_in = ((issued.expires_at - service.now()).max(0) as u64).div_ceil(1000);
    Ok((
        StatusCode::CREATED,
        Json(IssuedPass {
            expires_at: super::pass::rfc3339(issued.expires_at),
            expires_in,
            one_time: issued.one_time,
            pass: issued.pass,
            user: user_body(worker),
        }),
    ))
}

/// A directory user as the API shows it: the username is the id.
fn user_body(user: User) -> UserBody {
    UserBody { display_name: user.display_name, id: user.username, roles: user.roles }
}

async fn sign_out(State(service): State<Arc<SignInService>>, Bearer(token): Bearer) -> Result<StatusCode, ApiError> {
    service.sign_out(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(service): State<Arc<SignInService>>, Bearer(token): Bearer) -> Result<Json<UserBody>, ApiError> {
    Ok(Json(user_body(service.me(&token).await?)))
}

async fn healthz() -> Json<Health> {
    Json(Health { status: HealthStatus::Ok })
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

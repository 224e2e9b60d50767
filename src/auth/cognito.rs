//! The adapter for AWS Cognito user pools: passwordless SMS sign-in through the choice-based
//! `USER_AUTH` flow (`InitiateAuth` → `SMS_OTP` challenge → `RespondToAuthChallenge`), who signed
//! in and their groups from the verified ID token, sign-out by `RevokeToken`.
//!
//! Plain JSON 1.1 over HTTPS, no AWS SDK and no SigV4: these operations take no AWS credentials.
//! Never logs or returns a code, a token, a `Session` or a full phone number.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::Sha256;

use super::jwt::{self, IdTokenVerifier};
use super::{AuthBackend, AuthError, BuildError, Challenge, Grant, Problem, SignedInUser, SignedOut, Tokens, http};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode, RefreshToken};

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// Cognito's sign-in codes (SMS and email) are 8 digits, fixed (aws-amplify/amplify-js#14428).
const CODE_LENGTH: usize = 8;
/// A `Session` must be answered within the app client's `AuthSessionValidity`: 3 min by default.
const SESSION_LIFETIME: Duration = Duration::from_secs(180);
/// Cognito has no resend: a new code is a new `InitiateAuth`, and each is an SMS paid for.
const RESEND_AFTER: Duration = Duration::from_secs(30);
/// `TooManyRequestsException` comes without `Retry-After`.
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(30);
/// A WAF rate-based rule counts requests per address over 5 minutes.
const WAF_WAIT: Duration = Duration::from_secs(300);
/// Sign-ins in progress kept at once; the oldest go first.
const MAX_PENDING: usize = 64;
/// The roles claim of Cognito's ID tokens: the user's groups in the pool.
const GROUPS_CLAIM: &str = "cognito:groups";
/// `check()` asks for this user to see whether the app client exists. Country code 0 doesn't
/// exist, so no user can have it; and with no `PREFERRED_CHALLENGE` nothing is ever sent.
const PROBE_USERNAME: &str = "+000";

#[derive(Clone)]
pub struct CognitoBackend {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// `https://cognito-idp.REGION.amazonaws.com`, no trailing `/`.
    base: String,
    client_id: String,
    client_secret: Option<SecretString>,
    user_pool_id: String,
    code_length: usize,
    verifier: IdTokenVerifier,
    pending: Mutex<HashMap<String, Pending>>,
}

/// A sign-in between its code being sent and checked.
#[derive(Clone)]
struct Pending {
    phone: PhoneNumber,
    /// `None`: a number Cognito doesn't know; its codes fail like wrong ones.
    session: Option<SecretString>,
    /// The name Cognito gave back for the user (`ChallengeParameters.USERNAME`, the internal one
    /// when the number is an alias): the answer's `USERNAME` and `SECRET_HASH` must use it.
    username: String,
    started: Instant,
}

impl CognitoBackend {
    pub fn new(config: &BackendConfig) -> Result<Self, BuildError> {
        let client_id = config.client_id.clone().unwrap_or_default();
        if client_id.is_empty()
            || client_id.len() > 128
            || !client_id.chars().all(|c| c.is_alphanumeric() || "_+".contains(c))
        {
            return Err(BuildError::Invalid(format!(
                "backend.client_id {client_id:?} is not a Cognito app client id (letters, digits, _ and +)"
            )));
        }
        let user_pool_id = config.user_pool_id.clone().unwrap_or_default();
        let Some((pool_region, _)) = split_pool_id(&user_pool_id) else {
            return Err(BuildError::Invalid(format!(
                "backend.user_pool_id {user_pool_id:?} is not a user pool id (REGION_ID, like \"eu-west-1_AbCdEf123\")"
            )));
        };
        let url = reqwest::Url::parse(&config.url)
            .map_err(|e| BuildError::Invalid(format!("backend.url {:?}: {e}", config.url)))?;
        if let Some(url_region) = url.host_str().and_then(endpoint_region)
            && url_region != pool_region
        {
            return Err(BuildError::Invalid(format!(
                "backend.user_pool_id {user_pool_id:?} is in {pool_region}, but backend.url is {url_region}'s endpoint: \
                 use https://cognito-idp.{pool_region}.amazonaws.com"
            )));
        }
        let client_secret = match &config.client_secret {
            Some(source) => Some(source.read("backend.client_secret")?),
            None => None,
        };
        let client = http::client(config)?;
        let base = config.url.trim_end_matches('/').to_string();
        let issuer = format!("{base}/{user_pool_id}");
        let verifier = IdTokenVerifier::new(
            client.clone(),
            format!("{issuer}/.well-known/jwks.json"),
            issuer,
            vec![client_id.clone()],
        );
        // `code_length` defaults to 6 for every kind; Cognito's are 8 unless set otherwise.
        let code_length =
            if config.code_length == BackendConfig::default().code_length { CODE_LENGTH } else { config.code_length };
        Ok(CognitoBackend {
            inner: Arc::new(Inner {
                client,
                base,
                client_id,
                client_secret,
                user_pool_id,
                code_length,
                verifier,
                pending: Mutex::default(),
            }),
        })
    }
}

/// `eu-west-1_AbCdEf123` → (`eu-west-1`, `AbCdEf123`), if it has Cognito's shape.
fn split_pool_id(id: &str) -> Option<(&str, &str)> {
    let (region, rest) = id.split_once('_')?;
    let region_ok = !region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let rest_ok = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric());
    (region_ok && rest_ok && id.len() <= 55).then_some((region, rest))
}

/// The region of a `cognito-idp.REGION.amazonaws.com` host (or `.amazonaws.com.cn`).
fn endpoint_region(host: &str) -> Option<&str> {
    let rest = host.strip_prefix("cognito-idp.")?;
    let region = rest.strip_suffix(".amazonaws.com").or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    (!region.contains('.')).then_some(region)
}

/// `SECRET_HASH`: Base64(HMAC-SHA256(key = client secret, message = username + client id)).
fn secret_hash(secret: &SecretString, username: &str, client_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn random_text(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

// ---- the wire ----

/// A secret from an answer (`Session`, the ID token): zeroized on drop, never printed.
struct Secret(SecretString);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Secret(text.into()))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateAuth<'a> {
    auth_flow: &'static str,
    client_id: &'a str,
    auth_parameters: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RespondToAuthChallenge<'a> {
    challenge_name: &'static str,
    client_id: &'a str,
    session: &'a str,
    challenge_responses: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RevokeToken<'a> {
    token: &'a str,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GlobalSignOut<'a> {
    access_token: &'a str,
}

/// `InitiateAuth`'s and `RespondToAuthChallenge`'s answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthAnswer {
    challenge_name: Option<String>,
    session: Option<Secret>,
    #[serde(default)]
    challenge_parameters: HashMap<String, String>,
    #[serde(default)]
    available_challenges: Vec<String>,
    authentication_result: Option<AuthResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthResult {
    access_token: AccessToken,
    id_token: Secret,
    refresh_token: Option<RefreshToken>,
    expires_in: Option<u64>,
}

/// An exception Cognito answered with.
#[derive(Debug)]
struct Fault {
    /// `CodeMismatchException`: `__type` without its `namespace#` prefix.
    name: String,
    message: String,
    /// A new `Session` in the error's body: the next try must use it.
    session: Option<SecretString>,
}

impl Fault {
    fn is(&self, name: &str) -> bool {
        self.name == name
    }

    fn says(&self, text: &str) -> bool {
        self.message.to_ascii_lowercase().contains(&text.to_ascii_lowercase())
    }
}

#[derive(Deserialize)]
struct FaultBody {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(default, alias = "Message")]
    message: String,
    #[serde(rename = "Session")]
    session: Option<Secret>,
}

impl FaultBody {
    fn into_fault(self, header: Option<&str>) -> Fault {
        // `__type` may carry a namespace (`com.amazonaws...#CodeMismatchException`); the header
        // form a suffix after `:`.
        let kind = if self.kind.is_empty() { header.unwrap_or_default() } else { &self.kind };
        let name = kind.rsplit('#').next().unwrap_or_default().split(':').next().unwrap_or_default().to_string();
        Fault { name, message: self.message, session: self.session.map(|s| s.0) }
    }
}

/// An answer, or an exception named by Cognito; transport trouble is already an `AuthError`.
type Answer<T> = Result<Result<T, Fault>, AuthError>;

impl Inner {
    async fn call<T: DeserializeOwned>(&self, operation: &str, body: &impl Serialize) -> Answer<T> {
        // Serialized here so the copy holding a code or token is zeroized.
        let body = zeroize::Zeroizing::new(serde_json::to_vec(body).expect("request bodies serialize"));
        let response = self
            .client
            .post(format!("{}/", self.base))
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("X-Amz-Target", format!("{TARGET_PREFIX}{operation}"))
            .body(body.to_vec())
            .send()
            .await
            .map_err(http::unreachable)?;
        let status = response.status();
        if status.is_server_error() {
            tracing::warn!(operation, %status, "Cognito answered with a server error");
            return Err(AuthError::Unreachable);
        }
        let header = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = zeroize::Zeroizing::new(response.bytes().await.map_err(http::unreachable)?.to_vec());
        if status.is_success() {
            return serde_json::from_slice::<T>(&bytes).map(Ok).map_err(|e| {
                AuthError::Protocol(format!("{operation} answered {status} with an unreadable body: {e}"))
            });
        }
        match serde_json::from_slice::<FaultBody>(&bytes) {
            Ok(fault) if !fault.kind.is_empty() || header.is_some() => Ok(Err(fault.into_fault(header.as_deref()))),
            _ if status == StatusCode::TOO_MANY_REQUESTS => {
                Ok(Err(Fault { name: "TooManyRequestsException".into(), message: String::new(), session: None }))
            }
            _ => Err(AuthError::Protocol(format!("{operation} answered {status} without an exception name"))),
        }
    }

    fn with_secret_hash<'a>(&self, params: &mut BTreeMap<&'static str, &'a str>, hash: &'a Option<String>) {
        if let Some(hash) = hash {
            params.insert("SECRET_HASH", hash);
        }
    }

    fn hash_for(&self, username: &str) -> Option<String> {
        self.client_secret.as_ref().map(|secret| secret_hash(secret, username, &self.client_id))
    }

    async fn initiate(&self, username: &str, preferred: Option<&'static str>) -> Answer<AuthAnswer> {
        let hash = self.hash_for(username);
        let mut auth_parameters = BTreeMap::from([("USERNAME", username)]);
        if let Some(preferred) = preferred {
            auth_parameters.insert("PREFERRED_CHALLENGE", preferred);
        }
        self.with_secret_hash(&mut auth_parameters, &hash);
        let request = InitiateAuth { auth_flow: "USER_AUTH", client_id: &self.client_id, auth_parameters };
        self.call("InitiateAuth", &request).await
    }

    async fn respond(
        &self,
        challenge_name: &'static str,
        session: &str,
        username: &str,
        answer: (&'static str, &str),
    ) -> Answer<AuthAnswer> {
        let hash = self.hash_for(username);
        let mut challenge_responses = BTreeMap::from([("USERNAME", username), answer]);
        self.with_secret_hash(&mut challenge_responses, &hash);
        let request =
            RespondToAuthChallenge { challenge_name, client_id: &self.client_id, session, challenge_responses };
        self.call("RespondToAuthChallenge", &request).await
    }

    /// Asks Cognito for a code for `phone`: a pending sign-in, for a known number or not.
    async fn begin(&self, phone: &PhoneNumber) -> Result<Pending, AuthError> {
        let started = Instant::now();
        let nobody = |why: &str| {
            tracing::debug!(phone = %phone.masked(), why, "no code for this number; answering as for one");
            Pending { phone: phone.clone(), session: None, username: phone.e164().to_string(), started }
        };
        let answer = match self.initiate(phone.e164(), Some("SMS_OTP")).await? {
            Ok(answer) => answer,
            Err(fault) => return start_fault(&fault).map(|()| nobody(&fault.name)),
        };
        let username = answer.challenge_parameters.get("USERNAME").cloned().unwrap_or_else(|| phone.e164().into());
        let answer = match answer.challenge_name.as_deref() {
            Some("SMS_OTP") => answer,
            // PREFERRED_CHALLENGE not honoured: choose SMS_OTP from what's offered.
            Some("SELECT_CHALLENGE") | None if answer.authentication_result.is_none() => {
                if !answer.available_challenges.iter().any(|c| c == "SMS_OTP") {
                    tracing::warn!(
                        offered = ?answer.available_challenges,
                        "Cognito offers no SMS_OTP for this user: allow SMS_OTP as a first factor and give them a verified phone_number"
                    );
                    return Ok(nobody("no SMS_OTP offered"));
                }
                let session = answer.session.ok_or_else(|| missing("InitiateAuth", "Session"))?;
                match self
                    .respond("SELECT_CHALLENGE", session.0.expose_secret(), &username, ("ANSWER", "SMS_OTP"))
                    .await?
                {
                    Ok(answer) if answer.challenge_name.as_deref() == Some("SMS_OTP") => answer,
                    Ok(answer) => return Err(unexpected_challenge(answer.challenge_name.as_deref())),
                    Err(fault) => return start_fault(&fault).map(|()| nobody(&fault.name)),
                }
            }
            other => return Err(unexpected_challenge(other)),
        };
        let session = answer.session.ok_or_else(|| missing("InitiateAuth", "Session"))?;
        let username = answer.challenge_parameters.get("USERNAME").cloned().unwrap_or(username);
        Ok(Pending { phone: phone.clone(), session: Some(session.0), username, started })
    }

    /// Keeps `pending` under a new id; returns the kiosk's view of it.
    fn remember(&self, pending: Pending) -> Challenge {
        let id = random_text(18);
        let mut map = self.pending.lock().expect("the pending map is never poisoned");
        map.retain(|_, p| p.started.elapsed() < SESSION_LIFETIME);
        while map.len() >= MAX_PENDING {
            let oldest = map.iter().min_by_key(|(_, p)| p.started).map(|(id, _)| id.clone());
            map.remove(&oldest.expect("the map is not empty"));
        }
        map.insert(id.clone(), pending);
        Challenge { id, code_length: self.code_length, expires_in: SESSION_LIFETIME, resend_after: RESEND_AFTER }
    }

    fn pending(&self, id: &str) -> Option<Pending> {
        let mut map = self.pending.lock().expect("the pending map is never poisoned");
        match map.get(id) {
            Some(p) if p.started.elapsed() < SESSION_LIFETIME => Some(p.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    fn forget(&self, id: &str) {
        self.pending.lock().expect("the pending map is never poisoned").remove(id);
    }

    /// A new `Session` Cognito gave with a wrong code replaces the old one.
    fn renew(&self, id: &str, session: SecretString) {
        if let Some(p) = self.pending.lock().expect("the pending map is never poisoned").get_mut(id) {
            p.session = Some(session);
        }
    }

    /// The grant in `result`, if its ID token holds; else the refresh token is revoked at once.
    async fn grant(&self, result: AuthResult, phone: &PhoneNumber) -> Result<Grant, AuthError> {
        let user = match self.user(&result.id_token, phone).await {
            Ok(user) => user,
            Err(err) => {
                if let Some(refresh) = &result.refresh_token {
                    let _ = self.revoke(refresh).await;
                }
                return Err(err);
            }
        };
        Ok(Grant {
            tokens: Tokens { access: result.access_token, refresh: result.refresh_token },
            expires_in: Duration::from_secs(result.expires_in.unwrap_or(3600)),
            user,
        })
    }

    /// Who signed in, from the ID token once its signature, issuer, audience, expiry and use hold.
    async fn user(&self, id_token: &Secret, phone: &PhoneNumber) -> Result<SignedInUser, AuthError> {
        let claims = self.verifier.verify(id_token.0.expose_secret()).await?;
        if claims.get("token_use").and_then(|v| v.as_str()) != Some("id") {
            return Err(AuthError::Untrusted("the ID token's token_use is not \"id\"".into()));
        }
        Ok(SignedInUser {
            id: claims.get("sub").and_then(|v| v.as_str()).unwrap_or_default().to_string(),
            display_name: jwt::display_name(&claims, &phone.masked()),
            roles: jwt::roles(&claims, GROUPS_CLAIM),
        })
    }

    async fn revoke(&self, refresh: &RefreshToken) -> Answer<serde_json::Value> {
        let secret = self.client_secret.as_ref().map(|s| s.expose_secret());
        let request = RevokeToken { token: refresh.expose(), client_id: &self.client_id, client_secret: secret };
        self.call("RevokeToken", &request).await
    }

    async fn global_sign_out(&self, access: &AccessToken) -> Result<SignedOut, AuthError> {
        match self.call::<serde_json::Value>("GlobalSignOut", &GlobalSignOut { access_token: access.expose() }).await? {
            Ok(_) => Ok(SignedOut::Revoked),
            // Someone (an admin, another sign-out) ended it already.
            Err(fault) if fault.is("NotAuthorizedException") && fault.says("revoked") => Ok(SignedOut::Revoked),
            Err(fault) => Err(common_fault(&fault).unwrap_or_else(|| protocol("GlobalSignOut", &fault))),
        }
    }

    fn discovery_url(&self) -> String {
        format!("{}/{}/.well-known/openid-configuration", self.base, self.user_pool_id)
    }
}

// ---- what Cognito's exceptions mean here ----

fn missing(operation: &str, field: &str) -> AuthError {
    AuthError::Protocol(format!("{operation} answered without {field}"))
}

fn unexpected_challenge(name: Option<&str>) -> AuthError {
    AuthError::Protocol(format!(
        "Cognito asked for {} instead of SMS_OTP: allow SMS_OTP as a first factor and don't require MFA",
        name.unwrap_or("no challenge")
    ))
}

fn protocol(operation: &str, fault: &Fault) -> AuthError {
    AuthError::Protocol(format!("{operation}: {}: {}", fault.name, fault.message))
}

/// The app client (or the pool's plan) doesn't take the `USER_AUTH` flow.
fn flow_not_allowed(fault: &Fault) -> bool {
    fault.says("USER_AUTH")
        || fault.says("auth method not supported")
        || (fault.says("flow") && (fault.says("not enabled") || fault.says("not supported")))
}

/// What an exception means whatever the operation: limits and set-up mistakes.
fn common_fault(fault: &Fault) -> Option<AuthError> {
    Some(match fault.name.as_str() {
        "TooManyRequestsException" | "LimitExceededException" => {
            AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT }
        }
        // The pool's AWS WAF web ACL: its rate-based rules count per address, and all of a
        // store's kiosks share one.
        "ForbiddenException" => AuthError::StoreRateLimited { retry_after: WAF_WAIT },
        "ResourceNotFoundException" => AuthError::Protocol(format!(
            "no such app client: check backend.client_id and the region in backend.url ({})",
            fault.message
        )),
        "NotAuthorizedException" if fault.says("client") && fault.says("does not exist") => AuthError::Protocol(
            format!("no such app client: check backend.client_id and the region in backend.url ({})", fault.message),
        ),
        "NotAuthorizedException" if fault.says("secret") => AuthError::Protocol(format!(
            "the app client's secret doesn't match: check backend.client_secret ({})",
            fault.message
        )),
        _ if flow_not_allowed(fault) => {
            AuthError::Protocol(format!("the app client doesn't allow ALLOW_USER_AUTH: {}", fault.message))
        }
        "InternalErrorException" => AuthError::Unreachable,
        _ => return None,
    })
}

/// An exception from `InitiateAuth` (or choosing SMS_OTP): `Ok(())` when it means "no code for
/// this number", which must look like any other number's sign-in.
fn start_fault(fault: &Fault) -> Result<(), AuthError> {
    if let Some(err) = common_fault(fault) {
        return Err(err);
    }
    match fault.name.as_str() {
        // A pool that hides whether users exist answers NotAuthorized for unknown ones.
        "UserNotFoundException"
        | "UserNotConfirmedException"
        | "NotAuthorizedException"
        | "PasswordResetRequiredException" => Ok(()),
        "InvalidParameterException" if fault.says("phone") => Err(AuthError::InvalidPhone(fault.message.clone())),
        _ => Err(protocol("InitiateAuth", fault)),
    }
}

/// An exception from `RespondToAuthChallenge` with a code.
fn verify_fault(fault: &Fault) -> AuthError {
    if fault.is("NotAuthorizedException") && fault.says("session") {
        return AuthError::Expired;
    }
    if let Some(err) = common_fault(fault) {
        return err;
    }
    match fault.name.as_str() {
        // Cognito doesn't say how many tries are left.
        "CodeMismatchException" | "UserNotFoundException" | "NotAuthorizedException" => AuthError::CodeRejected,
        "ExpiredCodeException" => AuthError::Expired,
        "TooManyFailedAttemptsException" => AuthError::TooManyAttempts,
        _ => protocol("RespondToAuthChallenge", fault),
    }
}

impl AuthBackend for CognitoBackend {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        let pending = self.inner.begin(phone).await?;
        Ok(self.inner.remember(pending))
    }

    /// Cognito has no resend: a new `InitiateAuth` sends a new code under a new `Session`.
    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        let phone = {
            let map = self.inner.pending.lock().expect("the pending map is never poisoned");
            map.get(challenge_id).map(|p| p.phone.clone()).ok_or(AuthError::Expired)?
        };
        let pending = self.inner.begin(&phone).await?;
        self.inner.forget(challenge_id);
        Ok(self.inner.remember(pending))
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let inner = &self.inner;
        let pending = inner.pending(challenge_id).ok_or(AuthError::Expired)?;
        let Some(session) = &pending.session else {
            // The same call as for a known number, so the answer takes as long; its session is
            // made up, so it can only fail.
            let decoy = random_text(600);
            return match inner.respond("SMS_OTP", &decoy, &pending.username, ("SMS_OTP_CODE", code.expose())).await? {
                Err(fault) => match common_fault(&fault) {
                    Some(err @ (AuthError::RateLimited { .. } | AuthError::StoreRateLimited { .. })) => Err(err),
                    _ => Err(AuthError::CodeRejected),
                },
                Ok(_) => Err(AuthError::CodeRejected),
            };
        };
        let answer = inner
            .respond("SMS_OTP", session.expose_secret(), &pending.username, ("SMS_OTP_CODE", code.expose()))
            .await?;
        match answer {
            Ok(AuthAnswer { authentication_result: Some(result), .. }) => {
                inner.forget(challenge_id);
                inner.grant(result, &pending.phone).await
            }
            Ok(answer) => {
                inner.forget(challenge_id);
                Err(unexpected_challenge(answer.challenge_name.as_deref()))
            }
            Err(fault) => {
                let err = verify_fault(&fault);
                match (&err, fault.session) {
                    // A new Session with the refusal is the one the next try must answer.
                    (AuthError::CodeRejected, Some(session)) => inner.renew(challenge_id, session),
                    (
                        AuthError::CodeRejected | AuthError::RateLimited { .. } | AuthError::StoreRateLimited { .. },
                        _,
                    ) => {}
                    _ => inner.forget(challenge_id),
                }
                Err(err)
            }
        }
    }

    /// `RevokeToken` ends the refresh token and every access token it issued; without a refresh
    /// token (crash recovery), or on a client that can't revoke, `GlobalSignOut` ends all of the
    /// user's tokens with the access token.
    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        let inner = &self.inner;
        if let Some(refresh) = &tokens.refresh {
            match inner.revoke(refresh).await? {
                Ok(_) => return Ok(SignedOut::Revoked),
                Err(fault) if fault.is("UnsupportedOperationException") => {
                    tracing::warn!("the app client has token revocation off: signing out with GlobalSignOut instead");
                }
                Err(fault) => return Err(common_fault(&fault).unwrap_or_else(|| protocol("RevokeToken", &fault))),
            }
        }
        inner.global_sign_out(&tokens.access).await
    }

    async fn healthy(&self) -> bool {
        matches!(self.inner.client.get(self.inner.discovery_url()).send().await, Ok(r) if r.status().is_success())
    }

    async fn check(&self) -> Vec<Problem> {
        let inner = &self.inner;
        let mut problems = Vec::new();
        if let Some(problem) = check_discovery(inner).await {
            // Nothing else answers either.
            return vec![problem];
        }
        match inner.verifier.fetch_keys().await {
            Ok(0) => problems.push(Problem::error(
                format!("the user pool's signing keys at {} are an empty set", inner.verifier.jwks_url()),
                "check backend.user_pool_id; Cognito always publishes its pool's keys there",
            )),
            Ok(_) => {}
            Err(err) => problems.push(Problem::error(
                err.to_string(),
                "check backend.url and backend.user_pool_id: ID tokens can't be checked without these keys",
            )),
        }
        if let Some(problem) = check_client(inner).await {
            problems.push(problem);
        }
        problems.push(Problem::note(
            format!(
                "store managers are the members of the user pool's groups named in manager.roles (from the ID token's \
                 {GROUPS_CLAIM}); check-config can't list the pool's groups without AWS credentials"
            ),
            "create the group (e.g. kiosk-manager) in the user pool and add the store managers to it; without it \
             no one is a manager",
        ));
        problems
    }
}

/// The pool's discovery document is there and names the issuer the ID tokens must carry.
async fn check_discovery(inner: &Inner) -> Option<Problem> {
    let url = inner.discovery_url();
    let issuer = format!("{}/{}", inner.base, inner.user_pool_id);
    let response = match inner.client.get(&url).send().await {
        Ok(response) => response,
        Err(err) => {
            return Some(Problem::error(
                format!("can't reach Cognito at {}: {err}", inner.base),
                "check backend.url (https://cognito-idp.REGION.amazonaws.com) and the network",
            ));
        }
    };
    let status = response.status();
    if !status.is_success() {
        return Some(Problem::error(
            format!("no user pool {:?} at {} (HTTP {status} for {url})", inner.user_pool_id, inner.base),
            "check backend.user_pool_id (Cognito console → User pools) and that backend.url is its region's endpoint",
        ));
    }
    let document = response.json::<serde_json::Value>().await.unwrap_or_default();
    let found = http::text(&document, "issuer");
    (found != issuer).then(|| {
        Problem::error(
            format!("the user pool's discovery document at {url} names issuer {found:?}, not {issuer:?}"),
            "set backend.url to https://cognito-idp.REGION.amazonaws.com exactly (no path, no trailing parts)",
        )
    })
}

/// Whether the app client exists and takes the flow and secret configured, without sending an SMS:
/// an `InitiateAuth` with no `PREFERRED_CHALLENGE` (so Cognito only lists the choices) for a user
/// no pool can have. Cognito checks the client, its flows and the `SECRET_HASH` before the user.
async fn check_client(inner: &Inner) -> Option<Problem> {
    let fault = match inner.initiate(PROBE_USERNAME, None).await {
        Ok(Ok(_)) => return None,
        Ok(Err(fault)) => fault,
        Err(err) => {
            return Some(Problem::error(
                format!("Cognito didn't answer InitiateAuth: {err}"),
                "check backend.url and the network",
            ));
        }
    };
    let client = &inner.client_id;
    let problem = match fault.name.as_str() {
        "ResourceNotFoundException" => Problem::error(
            format!("there is no app client {client:?} at {} ({})", inner.base, fault.message),
            "set backend.client_id to the app client's id (Cognito console → the user pool → App clients), \
             in the region backend.url names",
        ),
        "NotAuthorizedException" if fault.says("client") && fault.says("does not exist") => Problem::error(
            format!("there is no app client {client:?} at {} ({})", inner.base, fault.message),
            "set backend.client_id to the app client's id (Cognito console → the user pool → App clients)",
        ),
        "NotAuthorizedException" if fault.says("secret") => Problem::error(
            format!("app client {client:?} refused the SECRET_HASH: {}", fault.message),
            if inner.client_secret.is_some() {
                "set backend.client_secret to the app client's secret (or use a client without one)"
            } else {
                "the app client has a secret: set backend.client_secret = { file = \"PATH\" } or { env = \"VARIABLE\" }"
            },
        ),
        _ if flow_not_allowed(&fault) => Problem::error(
            format!("app client {client:?} doesn't allow the USER_AUTH flow: {}", fault.message),
            "add ALLOW_USER_AUTH to the app client's authentication flows, and SMS_OTP to the pool's sign-in \
             options (AllowedFirstAuthFactors; Essentials or Plus plan)",
        ),
        "TooManyRequestsException" | "LimitExceededException" | "ForbiddenException" => Problem::error(
            format!("Cognito refused the check for now: {}: {}", fault.name, fault.message),
            "run check-config again in a few minutes",
        ),
        // The client exists: the made-up user is unknown, or not a valid phone number.
        _ => return None,
    };
    Some(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(name: &str, message: &str) -> Fault {
        Fault { name: name.into(), message: message.into(), session: None }
    }

    fn body_fault(json: &str) -> Fault {
        serde_json::from_str::<FaultBody>(json).unwrap().into_fault(None)
    }

    #[test]
    fn exception_names_are_read_without_their_namespace() {
        let f = body_fault(
            r#"{"__type":"com.amazonaws.cognito.identity.idp.model#CodeMismatchException","message":"Invalid code"}"#,
        );
        assert_eq!((f.name.as_str(), f.message.as_str()), ("CodeMismatchException", "Invalid code"));
        let f = body_fault(r#"{"__type":"ExpiredCodeException","Message":"expired"}"#);
        assert_eq!((f.name.as_str(), f.message.as_str()), ("ExpiredCodeException", "expired"));
        let f = serde_json::from_str::<FaultBody>(r#"{"message":"x"}"#)
            .unwrap()
            .into_fault(Some("TooManyRequestsException:http://internal.amazon.com/coral/"));
        assert_eq!(f.name, "TooManyRequestsException");
        let f = body_fault(r#"{"__type":"CodeMismatchException","message":"m","Session":"next"}"#);
        assert_eq!(f.session.unwrap().expose_secret(), "next");
    }

    #[test]
    fn codes_map_to_what_the_kiosk_shows() {
        let cases = [
            (fault("CodeMismatchException", "Invalid code received for user"), AuthError::CodeRejected),
            (fault("ExpiredCodeException", "Invalid code provided, please request a code again."), AuthError::Expired),
            (fault("NotAuthorizedException", "Invalid session for the user, session is expired."), AuthError::Expired),
            (fault("NotAuthorizedException", "Incorrect username or password."), AuthError::CodeRejected),
            (fault("UserNotFoundException", "User does not exist."), AuthError::CodeRejected),
            (fault("TooManyFailedAttemptsException", "Too many failed attempts."), AuthError::TooManyAttempts),
            (
                fault("TooManyRequestsException", "Rate exceeded"),
                AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT },
            ),
            (
                fault("LimitExceededException", "Attempt limit exceeded"),
                AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT },
            ),
            (
                fault("ForbiddenException", "Request not allowed due to WAF block."),
                AuthError::StoreRateLimited { retry_after: WAF_WAIT },
            ),
            (fault("InternalErrorException", "x"), AuthError::Unreachable),
        ];
        for (fault, expected) in cases {
            assert_eq!(verify_fault(&fault), expected, "{fault:?}");
        }
        assert!(matches!(verify_fault(&fault("AliasExistsException", "x")), AuthError::Protocol(_)));
    }

    #[test]
    fn an_unknown_number_at_start_is_not_an_error() {
        for name in ["UserNotFoundException", "UserNotConfirmedException", "NotAuthorizedException"] {
            assert_eq!(start_fault(&fault(name, "User does not exist.")), Ok(()), "{name}");
        }
        assert_eq!(
            start_fault(&fault("InvalidParameterException", "Invalid phone number provided.")),
            Err(AuthError::InvalidPhone("Invalid phone number provided.".into()))
        );
        assert_eq!(
            start_fault(&fault("TooManyRequestsException", "")),
            Err(AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT })
        );
    }

    #[test]
    fn set_up_mistakes_name_the_key_to_fix() {
        let cases = [
            fault("ResourceNotFoundException", "User pool client 123 does not exist."),
            fault("NotAuthorizedException", "User pool client 123 does not exist."),
            fault("NotAuthorizedException", "Unable to verify secret hash for client 123"),
            fault("InvalidParameterException", "USER_AUTH flow not enabled for this client"),
        ];
        for (fault, key) in
            cases.iter().zip(["backend.client_id", "backend.client_id", "backend.client_secret", "ALLOW_USER_AUTH"])
        {
            let Err(AuthError::Protocol(message)) = start_fault(fault) else { panic!("{fault:?}") };
            assert!(message.contains(key), "{message}");
        }
    }

    #[test]
    fn secret_hash_is_base64_hmac_sha256_of_username_and_client_id() {
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"s3cret",
        //   b"+12065550100" b"kioskclient", hashlib.sha256).digest()).decode())'
        let secret = SecretString::from("s3cret");
        assert_eq!(secret_hash(&secret, "+12065550100", "kioskclient"), "9J9PIu+9HdzhIWRZmokhRo2R0BC9+L9XjomTicvDYsA=");
    }

    #[test]
    fn pool_ids_and_endpoints_are_read_for_their_region() {
        assert_eq!(split_pool_id("eu-west-1_AbCdEf123"), Some(("eu-west-1", "AbCdEf123")));
        assert_eq!(split_pool_id("eu-west-1"), None);
        assert_eq!(split_pool_id("eu-west-1_../x"), None);
        assert_eq!(endpoint_region("cognito-idp.eu-west-1.amazonaws.com"), Some("eu-west-1"));
        assert_eq!(endpoint_region("127.0.0.1"), None);
    }

    fn config(url: &str, pool: &str, client: &str) -> BackendConfig {
        BackendConfig {
            kind: crate::config::BackendKind::Cognito,
            url: url.into(),
            client_id: Some(client.into()),
            user_pool_id: Some(pool.into()),
            ..Default::default()
        }
    }

    #[test]
    fn what_cant_work_is_refused_with_the_key_named() {
        let refused = |c: BackendConfig| match CognitoBackend::new(&c) {
            Err(BuildError::Invalid(message)) => message,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("built"),
        };
        let message = refused(config("https://cognito-idp.us-east-1.amazonaws.com", "eu-west-1_abc", "client1"));
        assert!(message.contains("https://cognito-idp.eu-west-1.amazonaws.com"), "{message}");
        assert!(
            refused(config("https://cognito-idp.eu-west-1.amazonaws.com", "abc", "c1"))
                .starts_with("backend.user_pool_id")
        );
        assert!(
            refused(config("https://cognito-idp.eu-west-1.amazonaws.com", "eu-west-1_a", "c 1"))
                .starts_with("backend.client_id")
        );
        let built =
            CognitoBackend::new(&config("https://cognito-idp.eu-west-1.amazonaws.com/", "eu-west-1_a", "c1")).unwrap();
        assert_eq!(built.inner.base, "https://cognito-idp.eu-west-1.amazonaws.com");
        assert_eq!(built.inner.code_length, CODE_LENGTH);
        assert_eq!(
            built.inner.verifier.jwks_url(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_a/.well-known/jwks.json"
        );
    }
}

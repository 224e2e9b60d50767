//! The adapter for AWS Cognito user pools: passwordless SMS sign-in through the choice-based
//! `USER_AUTH` flow (`InitiateAuth` → `SMS_OTP` challenge → `RespondToAuthChallenge`), who signed
//! in and their groups from the verified ID token, sign-out by `RevokeToken`.
//!
//! Plain JSON 1.1 over HTTPS, no AWS SDK and no SigV4: these operations take no AWS credentials.
//! Never logs or returns a code, a token, a `Session` or a full phone number. Here the flows;
//! `wire` the calls and bodies, `faults` what Cognito's exceptions mean, `check` check-config.

mod check;
mod faults;
mod wire;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::jwt::{self, IdTokenVerifier};
use super::{AuthBackend, AuthError, BuildError, Challenge, Grant, Problem, SignedInUser, SignedOut, Tokens, http};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode, RefreshToken};
use faults::{common_fault, missing, protocol, start_fault, unexpected_challenge, verify_fault};
use wire::{
    Answer, AuthAnswer, AuthResult, GlobalSignOut, InitiateAuth, RespondToAuthChallenge, RevokeToken, Secret,
    random_text, secret_hash,
};

/// Cognito's sign-in codes (SMS and email) are 8 digits, fixed (aws-amplify/amplify-js#14428).
const CODE_LENGTH: usize = 8;
/// A `Session` must be answered within the app client's `AuthSessionValidity`: 3 min by default.
const SESSION_LIFETIME: Duration = Duration::from_secs(180);
/// Cognito has no resend: a new code is a new `InitiateAuth`, and each is an SMS paid for.
const RESEND_AFTER: Duration = Duration::from_secs(30);
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
        // Cognito's codes are 8 digits unless config says otherwise.
        let code_length = config.code_length_or(CODE_LENGTH);
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

impl Inner {
    async fn call<T: DeserializeOwned>(&self, operation: &str, body: &impl Serialize) -> Answer<T> {
        wire::call(&self.client, &self.base, operation, body).await
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
            Err(fault) => {
                let fault = fault.scrubbed(phone, None);
                return start_fault(&fault).map(|()| nobody(&fault.name));
            }
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
                    Err(fault) => {
                        let fault = fault.scrubbed(phone, None);
                        return start_fault(&fault).map(|()| nobody(&fault.name));
                    }
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
                let fault = fault.scrubbed(&pending.phone, Some(code));
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
        check::problems(&self.inner).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

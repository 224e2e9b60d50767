//! Checking a provider's ID tokens: the signature against its published keys (JWKS, fetched over
//! HTTPS and cached), the issuer, the audience and the expiry. Identity and roles are only ever
//! read from a token that passed. `jsonwebtoken` does the cryptography.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};

use super::AuthError;

/// Keys are fetched again after this long (providers rotate with notice).
const KEYS_MAX_AGE: Duration = Duration::from_secs(600);
/// A token signed with a key we don't have makes us fetch again, but not more often than this.
const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// The asymmetric algorithms providers sign ID tokens with. Never `none`, never HMAC: a shared
/// secret would let anyone holding it mint identities.
const ALGORITHMS: [Algorithm; 6] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::ES256, Algorithm::ES384, Algorithm::PS256];

/// Why a token was not believed.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("can't fetch the signing keys from {url}: {reason}")]
    Keys { url: String, reason: String },
    #[error("the token is not a JWT: {0}")]
    Malformed(jsonwebtoken::errors::Error),
    #[error("the token is signed with {0:?}, which is not accepted")]
    Algorithm(Algorithm),
    #[error("no published key has id {0:?}")]
    UnknownKey(String),
    #[error("the token failed verification: {0}")]
    Invalid(jsonwebtoken::errors::Error),
}

impl From<JwtError> for AuthError {
    fn from(err: JwtError) -> Self {
        match err {
            JwtError::Keys { .. } => AuthError::Unreachable,
            other => AuthError::Untrusted(other.to_string()),
        }
    }
}

struct CachedKeys {
    keys: JwkSet,
    fetched: Instant,
}

/// Verifies one provider's ID tokens.
pub struct IdTokenVerifier {
    client: reqwest::Client,
    jwks_url: String,
    issuer: String,
    audience: Vec<String>,
    cached: Mutex<Option<CachedKeys>>,
}

impl std::fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenVerifier").field("jwks_url", &self.jwks_url).field("issuer", &self.issuer).finish()
    }
}

impl IdTokenVerifier {
    pub fn new(client: reqwest::Client, jwks_url: String, issuer: String, audience: Vec<String>) -> Self {
        IdTokenVerifier { client, jwks_url, issuer, audience, cached: Mutex::new(None) }
    }

    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }

    /// Fetches the keys now; how many there are (for `check-config`).
    pub async fn fetch_keys(&self) -> Result<usize, JwtError> {
        let keys = self.download().await?;
        let count = keys.keys.len();
        *self.cached.lock().expect("the key cache is never poisoned") =
            Some(CachedKeys { keys, fetched: Instant::now() });
        Ok(count)
    }

    async fn download(&self) -> Result<JwkSet, JwtError> {
        let failed = |reason: String| JwtError::Keys { url: self.jwks_url.clone(), reason };
        let response = self.client.get(&self.jwks_url).send().await.map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        response.json::<JwkSet>().await.map_err(|e| failed(format!("not a JWKS: {e}")))
    }

    /// The key with id `kid`, from the cache or fetched.
    async fn key(&self, kid: &str) -> Result<DecodingKey, JwtError> {
        let (cached, fresh_enough) = {
            let cache = self.cached.lock().expect("the key cache is never poisoned");
            match cache.as_ref() {
                Some(cached) => (
                    (cached.fetched.elapsed() < KEYS_MAX_AGE).then(|| cached.keys.find(kid).cloned()).flatten(),
                    cached.fetched.elapsed() < REFETCH_AFTER,
                ),
                None => (None, false),
            }
        };
        let jwk = match cached {
            Some(jwk) => jwk,
            None if fresh_enough => return Err(JwtError::UnknownKey(kid.into())),
            None => {
                self.fetch_keys().await?;
                let cache = self.cached.lock().expect("the key cache is never poisoned");
                let found = cache.as_ref().and_then(|c| c.keys.find(kid).cloned());
                found.ok_or_else(|| JwtError::UnknownKey(kid.into()))?
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(JwtError::Invalid)
    }

    /// The claims of `token`, if its signature, issuer, audience and expiry hold.
    pub async fn verify(&self, token: &str) -> Result<Map<String, Value>, JwtError> {
        let header = decode_header(token).map_err(JwtError::Malformed)?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(JwtError::Algorithm(header.alg));
        }
        let key = self.key(header.kid.as_deref().unwrap_or_default()).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&self.audience);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        decode::<Map<String, Value>>(token, &key, &validation).map(|data| data.claims).map_err(JwtError::Invalid)
    }
}

/// The roles in `claims[claim]`: a list of strings, or one comma-separated string. A claim name
/// is taken whole (Auth0's are URLs, dots and all).
pub fn roles(claims: &Map<String, Value>, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(text)) => {
            text.split(',').map(str::trim).filter(|role| !role.is_empty()).map(str::to_string).collect()
        }
        _ => Vec::new(),
    }
}

/// A display name from standard OIDC claims: `name`, else given + family, else `fallback`.
pub fn display_name(claims: &Map<String, Value>, fallback: &str) -> String {
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    if let Some(name) = text("name") {
        return name.to_string();
    }
    match (text("given_name"), text("family_name")) {
        (Some(given), Some(family)) => format!("{given} {family}"),
        (Some(one), None) | (None, Some(one)) => one.to_string(),
        (None, None) => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn roles_are_a_list_or_a_comma_separated_string() {
        let c = claims(json!({ "https://contoso.example/roles": ["kiosk-manager", 7], "role": "a, b,,c", "n": 1 }));
        assert_eq!(roles(&c, "https://contoso.example/roles"), ["kiosk-manager"]);
        assert_eq!(roles(&c, "role"), ["a", "b", "c"]);
        assert!(roles(&c, "n").is_empty());
        assert!(roles(&c, "missing").is_empty());
    }

    #[test]
    fn display_names_fall_back_in_order() {
        assert_eq!(display_name(&claims(json!({ "name": " Alex Rivera " })), "x"), "Alex Rivera");
        assert_eq!(display_name(&claims(json!({ "given_name": "Alex", "family_name": "Rivera" })), "x"), "Alex Rivera");
        assert_eq!(display_name(&claims(json!({ "name": "" })), "+1 ••• ••• 0100"), "+1 ••• ••• 0100");
    }

    #[tokio::test]
    async fn unsigned_and_hmac_tokens_are_refused_before_any_key_is_fetched() {
        let verifier = IdTokenVerifier::new(
            reqwest::Client::new(),
            "http://127.0.0.1:9/jwks.json".into(),
            "https://issuer.example/".into(),
            vec!["kiosk".into()],
        );
        // {"alg":"HS256","typ":"JWT"} . {"sub":"x"} . signature
        let hmac = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2ln";
        assert!(matches!(verifier.verify(hmac).await, Err(JwtError::Algorithm(Algorithm::HS256))));
        assert!(matches!(verifier.verify("not-a-jwt").await, Err(JwtError::Malformed(_))));
    }
}

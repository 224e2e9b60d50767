//! What every provider adapter shares about HTTP: one client built from `[backend]` (timeout,
//! extra CA, no cookie store, no `Origin` header), and reading the answers that mean the same
//! thing everywhere (unreachable, `Retry-After`).

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::AuthError;
use crate::config::BackendConfig;

/// Why the HTTP client for a provider can't be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("backend.ca_file: can't read {path}: {source}")]
    ReadCa { path: std::path::PathBuf, source: std::io::Error },
    #[error("backend.ca_file: {path} holds no PEM certificate: {source}")]
    BadCa { path: std::path::PathBuf, source: reqwest::Error },
    #[error("can't set up HTTPS: {0}")]
    Tls(reqwest::Error),
}

/// A client for the provider: the configured timeout on every request, the extra CA trusted
/// beside the system's, and no cookies (Kratos refuses API flows that carry any).
pub fn client(config: &BackendConfig) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout.0)
        .connect_timeout(config.timeout.0)
        .user_agent(concat!("shiftkey-kiosk/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|source| ClientError::ReadCa { path: path.clone(), source })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|source| ClientError::BadCa { path: path.clone(), source })?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(ClientError::Tls)
}

/// A transport failure: the provider couldn't be reached (or didn't answer in time).
pub fn unreachable(err: reqwest::Error) -> AuthError {
    tracing::warn!(timeout = err.is_timeout(), connect = err.is_connect(), "the identity provider didn't answer");
    AuthError::Unreachable
}

/// `Retry-After` in seconds (the only form providers send), else `fallback`.
pub fn retry_after(headers: &HeaderMap, fallback: Duration) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(fallback)
}

/// A string from a JSON answer, for messages (never a secret's field).
pub fn text<'a>(body: &'a serde_json::Value, key: &str) -> &'a str {
    body.get(key).and_then(serde_json::Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_or_falls_back() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, Duration::from_secs(60)), Duration::from_secs(60));
        headers.insert(reqwest::header::RETRY_AFTER, "42".parse().unwrap());
        assert_eq!(retry_after(&headers, Duration::from_secs(60)), Duration::from_secs(42));
        headers.insert(reqwest::header::RETRY_AFTER, "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers, Duration::from_secs(60)), Duration::from_secs(60));
    }

    #[test]
    fn a_missing_ca_file_says_which_key() {
        let config = BackendConfig { ca_file: Some("/nonexistent/ca.pem".into()), ..Default::default() };
        let err = client(&config).unwrap_err();
        assert!(err.to_string().starts_with("backend.ca_file: can't read /nonexistent/ca.pem"), "{err}");
    }
}

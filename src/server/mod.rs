//! The reference backend (`shiftkey serve`): an auth server with the Entra SMS sign-in model.
//!
//! Nothing in here depends on the kiosk.

pub mod admin;
pub mod api;
pub mod batch;
pub mod clock;
pub mod directory;
pub mod otp;
pub mod pass;
pub mod scim;
pub mod signin;
pub mod sms;
pub mod sms_queue;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::audit::AuditLog;
use crate::config::ServerConfig;
use clock::Clock;
use otp::OtpKey;
use signin::SignInService;
use sms::Gateway;
use store::Store;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("can't open database {path}: {source}")]
    Database { path: String, source: store::StoreError },
    #[error(transparent)]
    Password(#[from] crate::config::SecretError),
    #[error("can't read or create the code key {path}: {source}")]
    Key { path: String, source: std::io::Error },
    #[error("can't listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    SmsTemplate(#[from] crate::config::TemplateError),
}

/// A backend ready to accept connections.
pub struct Server {
    listener: TcpListener,
    service: Arc<SignInService>,
    /// How often old records are deleted (`prune_interval`).
    prune_interval: std::time::Duration,
}

impl Server {
    /// Opens the store and key named by `config`, and binds its listen address.
    pub async fn bind(config: ServerConfig, clock: Arc<dyn Clock>, gateway: Gateway) -> Result<Self, ServeError> {
        let database = |source| ServeError::Database { path: config.db.to_string(), source };
        let password = config.db_password.as_ref().map(|p| p.read("db_password")).transpose()?;
        let store = Store::open(&config.db, password.as_ref()).await.map_err(database)?;
        if let Some(path) = config.db.sqlite_path() {
            store.checkpoint_in_background(path).await.map_err(database)?;
        }
        let key_path = config.key_file();
        let key = OtpKey::load_or_create(&key_path)
            .map_err(|source| ServeError::Key { path: key_path.display().to_string(), source })?;
        Self::bind_with(store, key, config, clock, gateway).await
    }

    /// Binds a server over an already opened store (the demo's in-memory one).
    pub async fn bind_with(
        store: Store,
        key: OtpKey,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
        gateway: Gateway,
    ) -> Result<Self, ServeError> {
        let addr = config.listen;
        let listener = TcpListener::bind(addr).await.map_err(|source| ServeError::Listen { addr, source })?;
        if !config.limits.enabled {
            tracing::warn!("rate limits are OFF (limits.enabled = false): only for benchmarks");
        }
        let sender = sms_queue::Sender {
            store: store.clone(),
            gateway,
            audit: AuditLog::new(config.audit_path()),
            seal: sms_queue::SmsSeal::new(&key),
            replica: config.replica.clone().unwrap_or_else(sms_queue::default_replica_name),
            claim_for: config.sms_claim_timeout.0,
        };
        let prune_interval = config.prune_interval.0;
        let outbox = sms_queue::spawn(sender);
        let service = SignInService::new(store, key, clock, config, outbox)?;
        Ok(Server { listener, service: Arc::new(service), prune_interval })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = Arc::clone(&self.service);
        let pruner = tokio::spawn(async move {
            // The first one a period after start, not at once: a restart changes nothing.
            let first = tokio::time::Instant::now() + self.prune_interval;
            let mut every = tokio::time::interval_at(first, self.prune_interval);
            loop {
                every.tick().await;
                if let Err(err) = service.prune().await {
                    tracing::warn!(%err, "can't prune old sign-in records");
                }
            }
        });
        let app = api::router(self.service).into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await;
        pruner.abort();
        result
    }
}

//! `--demo`: the kiosk against an in-process reference backend loaded with the demo directory,
//! whose text messages appear on an on-screen phone.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::ServerConfig;
use crate::server::clock::SystemClock;
use crate::server::otp::OtpKey;
use crate::server::sms::{DeliveredSms, Gateway};
use crate::server::store::Store;
use crate::server::{Server, directory};

/// A running demo backend.
pub struct DemoBackend {
    pub url: String,
    pub sms: mpsc::UnboundedReceiver<DeliveredSms>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo directory is broken: {0}")]
    Directory(#[from] directory::DirectoryError),
    #[error(transparent)]
    Store(#[from] crate::server::store::StoreError),
    #[error(transparent)]
    Serve(#[from] crate::server::ServeError),
}

/// Starts the demo backend on a free loopback port; it lives as long as the runtime.
pub async fn start_backend() -> Result<DemoBackend, DemoError> {
    let store = Store::in_memory()?;
    directory::load(&store, directory::DEMO_DIRECTORY).await?;
    let config =
        ServerConfig { listen: "127.0.0.1:0".parse().expect("a literal socket address"), ..ServerConfig::default() };
    let (sms_sender, sms) = mpsc::unbounded_channel();
    let server =
        Server::bind_with(store, OtpKey::random(), config, Arc::new(SystemClock), Gateway::Channel(sms_sender)).await?;
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.run(std::future::pending()));
    Ok(DemoBackend { url, sms })
}

/// The banner the demo shows: who the session runs as, and where codes go.
pub fn banner(launcher: &crate::session::Launcher) -> crate::kiosk::state::DemoBanner {
    crate::kiosk::state::DemoBanner { user: launcher.user.describe(), sandbox: launcher.sandbox.name().to_string() }
}

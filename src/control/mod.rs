//! The manager control socket: a line-JSON protocol, the kiosk's server side (authorised by
//! peer credentials), and the CLI's client side.

pub mod client;
pub mod describe;
pub mod protocol;
pub mod server;

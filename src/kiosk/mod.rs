//! The kiosk: a full-screen sign-in TUI that hosts the worker's session.
//!
//! `state` holds all the kiosk knows and `update` changes it — the pure core, which makes every
//! decision; `view` draws it, `session_paint` writes the session's rows straight to the
//! terminal, `frame` puts one frame together; `app` is the event loop that carries out the
//! effects. Nothing here knows which identity provider is behind `auth`.

pub mod app;
#[doc(hidden)]
pub mod fixtures;
pub mod frame;
mod input;
mod key_parser;
pub mod pacer;
pub mod session_paint;
mod sgr_mouse;
pub mod state;
pub mod status;
pub mod update;
pub mod view;
pub mod ways;

//! The kiosk: a full-screen sign-in TUI that hosts the worker's session.
//!
//! `state` + `update` are the pure core, `view` draws, `session_paint` writes the session's
//! rows straight to the terminal, `app` is the event loop that runs effects. Nothing here knows which identity provider is behind `auth`.

pub mod app;
#[doc(hidden)]
pub mod fixtures;
pub mod frame;
mod input;
mod key_parser;
pub mod manager;
mod manager_view;
pub mod pacer;
pub mod session_paint;
pub mod signin;
pub mod state;
pub mod status;
pub mod update;
pub mod view;

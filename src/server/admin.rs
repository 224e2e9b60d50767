//! `shiftkey admin`: manage the reference backend's directory straight in its database.
//!
//! Every command prints a short human answer, or JSON with `--json`, and fails with a
//! message that says what to do next.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::store::{PHONE_KIND_MOBILE, Policy, Store, StoreError};
use crate::phone::{PhoneError, PhoneNumber};

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The backend's SQLite database (created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The SMS authentication method policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Users of the directory.
    #[command(subcommand)]
    User(UserCommand),
    /// Phone numbers assigned to users.
    #[command(subcommand)]
    Phone(PhoneCommand),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    Show,
    Set {
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        use_for_sign_in: Option<bool>,
        /// Who the policy targets: `all`.
        #[arg(long, value_parser = ["all"])]
        target: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    Add {
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    List,
    Show {
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PhoneCommand {
    Set { username: String, number: String },
}

/// Why an admin command failed; the message is for the operator.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} — enter it with + and country code, e.g. \"+1 206 555 0100\"")]
    Phone(PhoneError),
    #[error("{0}")]
    Usage(String),
}

/// Runs one admin command and returns what to print.
pub fn run(args: &AdminArgs) -> Result<String, AdminError> {
    let store = Store::open(&args.db)?;
    let json = args.json;
    match &args.command {
        AdminCommand::Policy(PolicyCommand::Show) => Ok(show_policy(&store.policy()?, json)),
        AdminCommand::Policy(PolicyCommand::Set { enabled, use_for_sign_in, target }) => {
            if enabled.is_none() && use_for_sign_in.is_none() && target.is_none() {
                return Err(AdminError::Usage(
                    "nothing to change: give --enabled, --use-for-sign-in or --target".into(),
                ));
            }
            let mut policy = store.policy()?;
            policy.enabled = enabled.unwrap_or(policy.enabled);
            policy.use_for_sign_in = use_for_sign_in.unwrap_or(policy.use_for_sign_in);
            policy.target_all = target.is_some() || policy.target_all;
            store.set_policy(&policy)?;
            Ok(show_policy(&policy, json))
        }
        AdminCommand::User(UserCommand::Add { username, display_name, roles }) => {
            if username.trim().is_empty() || username.chars().any(char::is_whitespace) {
                return Err(AdminError::Usage(format!("username {username:?} must be one word without spaces")));
            }
            if display_name.trim().is_empty() {
                return Err(AdminError::Usage("--display-name must not be empty".into()));
            }
            let user = store.add_user(username, display_name.trim(), roles)?;
            Ok(if json {
                json!(user).to_string()
            } else {
                format!("added user {} ({})", user.username, user.display_name)
            })
        }
        AdminCommand::User(UserCommand::List) => {
            let users = store.users()?;
            if json {
                return Ok(json!(users).to_string());
            }
            Ok(users
                .iter()
                .map(|u| {
                    let state = if u.enabled { "enabled" } else { "disabled" };
                    format!("{}\t{}\t{state}\t{}", u.username, u.display_name, u.roles.join(","))
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCommand::User(UserCommand::Show { username }) => {
            let user = store.user(username)?;
            let phones = store.phones(username)?;
            if json {
                let phones: Vec<_> =
                    phones.iter().map(|(kind, number)| json!({"type": kind, "number": number})).collect();
                return Ok(json!({ "user": user, "phones": phones }).to_string());
            }
            let mut lines = vec![
                format!("username:     {}", user.username),
                format!("display name: {}", user.display_name),
                format!("enabled:      {}", if user.enabled { "yes" } else { "no" }),
                format!("roles:        {}", user.roles.join(", ")),
            ];
            lines.extend(phones.iter().map(|(kind, number)| format!("phone ({kind}): {number}")));
            Ok(lines.join("\n"))
        }
        AdminCommand::Phone(PhoneCommand::Set { username, number }) => {
            let phone = PhoneNumber::parse_international(number)
                .and_then(PhoneNumber::require_mobile)
                .map_err(AdminError::Phone)?;
            store.set_phone(username, PHONE_KIND_MOBILE, phone.e164())?;
            Ok(if json {
                json!({"username": username, "type": PHONE_KIND_MOBILE, "number": phone.e164()}).to_string()
            } else {
                format!("{username}: mobile phone set to {}", phone.e164())
            })
        }
    }
}

fn show_policy(policy: &Policy, json: bool) -> String {
    if json {
        return json!({
            "enabled": policy.enabled,
            "use_for_sign_in": policy.use_for_sign_in,
            "target": if policy.target_all { "all" } else { "groups" },
        })
        .to_string();
    }
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    format!(
        "SMS sign-in policy\n  enabled:         {}\n  use for sign-in: {}\n  target:          all users",
        yes_no(policy.enabled),
        yes_no(policy.use_for_sign_in)
    )
}

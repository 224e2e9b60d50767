//! `shiftkey admin`: manage the reference backend's directory straight in its database, in
//! the steps of the Entra SMS sign-in article: the policy, groups, users, their numbers.
//!
//! Every command prints a short human answer, or JSON with `--json`; fails with a message that
//! says what to do next; and is audited (numbers masked) in the database's audit log.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{Value, json};

use super::clock::{Clock, SystemClock};
use super::otp::{self, OtpKey};
use super::pass;
use super::store::{
    Db, MAX_GROUP_NAME_CHARS, NotEnabled, PhoneKind, Policy, SignInCheck, Store, StoreError, User, valid_group_name,
};
use crate::audit::AuditLog;
use crate::config::Database;
use crate::phone::{self, PhoneError, PhoneNumber};

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The backend's database: a SQLite file (created if missing) or a postgres:// URL (the
    /// password from PGPASSWORD or ~/.pgpass).
    #[arg(long)]
    pub db: Database,
    /// Where the command is audited; default the SQLite file's path + ".audit.jsonl" (with
    /// PostgreSQL there is no file to put it beside: give the path serve's audit_log names).
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
    /// The code key passes are hashed with (`tap create`): the file serve's `key_file` names;
    /// default the SQLite file's path + ".key" (created if missing, as serve does).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
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
    /// Groups the policy can target.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Users of the directory.
    #[command(subcommand)]
    User(UserCommand),
    /// Phone numbers assigned to users.
    #[command(subcommand)]
    Phone(PhoneCommand),
    /// A user's signed-in sessions (tokens).
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Temporary access passes: a way in when the text doesn't come.
    #[command(subcommand)]
    Tap(TapCommand),
    /// Provisioning from Entra ID or Okta (SCIM 2.0 at /scim/v2).
    #[command(subcommand)]
    Scim(ScimCommand),
}

#[derive(Debug, Subcommand)]
pub enum ScimCommand {
    /// The bearer tokens a provisioning service presents.
    #[command(subcommand)]
    Token(ScimTokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TapCommand {
    /// Issue a pass for a user, replacing any they had; it is printed once, and only its keyed
    /// hash is stored.
    Create {
        username: String,
        /// How long it works: 10m to 24h.
        #[arg(long, default_value = "1h", value_parser = parse_lifetime)]
        lifetime: std::time::Duration,
        /// It works once (the default).
        #[arg(long, conflicts_with = "multi_use")]
        one_time: bool,
        /// It works any number of times until it expires.
        #[arg(long)]
        multi_use: bool,
    },
    /// Whether a user has a live pass, and until when (never the pass).
    Show { username: String },
    /// End a user's pass.
    Revoke { username: String },
}

fn parse_lifetime(text: &str) -> Result<std::time::Duration, String> {
    let lifetime = humantime::parse_duration(text.trim())
        .map_err(|err| format!("{err}; write it like \"30m\", \"1h\" or \"8h\""))?;
    pass::check_lifetime(lifetime).map_err(|err| err.to_string())
}

#[derive(Debug, Subcommand)]
pub enum ScimTokenCommand {
    /// Create a token; it is printed once, and only its hash is stored.
    Create {
        /// What the token is for ("entra", "okta"); the actor in the audit log.
        #[arg(long)]
        name: Option<String>,
    },
    List,
    /// End a token: the provisioning service using it gets 401 from then on.
    Revoke {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    Show,
    Set {
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        use_for_sign_in: Option<bool>,
        /// Target all users.
        #[arg(long, value_parser = ["all"], conflicts_with = "target_group")]
        target: Option<String>,
        /// Target these groups only (repeat for several).
        #[arg(long = "target-group")]
        target_group: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add a group; its name is a display name ("Contoso SMS Users": quote it).
    Add {
        group: String,
    },
    List,
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
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    /// Delete a user; their tokens end at once.
    Delete {
        username: String,
    },
    AddToGroup {
        username: String,
        group: String,
    },
    RemoveFromGroup {
        username: String,
        group: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PhoneCommand {
    Set {
        username: String,
        number: String,
        #[arg(long = "type", default_value = "mobile")]
        kind: PhoneKind,
    },
    Remove {
        username: String,
        #[arg(long = "type", default_value = "mobile")]
        kind: PhoneKind,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// End all of a user's tokens.
    Revoke { username: String },
}

/// Why an admin command failed; the message is for the operator and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("--audit-log PATH is needed with a PostgreSQL --db: there is no database file to put the log beside")]
    NoAuditLog,
    #[error(transparent)]
    Phone(#[from] DirectoryNumberError),
    #[error("nothing to change: give --enabled, --use-for-sign-in, --target all or --target-group GROUP")]
    NothingToChange,
    #[error("{what} {name:?} must be one word of at most 64 characters, without spaces")]
    BadName { what: &'static str, name: String },
    #[error(
        "group {0:?} must be a name of at most {MAX_GROUP_NAME_CHARS} characters, not empty, not padded with spaces"
    )]
    BadGroupName(String),
    #[error("--display-name must not be empty")]
    EmptyDisplayName,
    #[error("no group named {0:?}; create it first with `group add {hint}`", hint = shell_word(.0))]
    NoGroupToTarget(String),
    #[error("--key-file PATH is needed with a PostgreSQL --db: give the key_file serve's config names")]
    NoKeyFile,
    #[error("can't read or create the code key {path}: {source}")]
    Key { path: String, source: std::io::Error },
    #[error("{username} can't sign in by SMS, so a pass wouldn't let them in either:\n{reasons}")]
    CantSignIn { username: String, reasons: String },
}

const EXAMPLE_NUMBER: &str = "\"+1 206 555 0100\"";

fn number_hint() -> String {
    format!("enter it with + and the country code, e.g. {EXAMPLE_NUMBER}")
}

/// A number the directory won't take.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryNumberError {
    #[error("{input:?} has no country code: {}", number_hint())]
    NoCountryCode { input: String },
    #[error("{input:?} is well formed but not a valid number: {why}. Check it, and {}", number_hint())]
    NotValid { input: String, why: String },
    #[error("{0}; use a mobile number")]
    NotMobile(#[source] PhoneError),
    #[error("{input:?}: {source}; {}", number_hint())]
    Unreadable { input: String, source: PhoneError },
}

/// Validates a number for the directory: + and country code, valid in its plan, able to
/// receive codes. The message explains and shows a valid example.
pub(crate) fn directory_number(input: &str) -> Result<PhoneNumber, DirectoryNumberError> {
    use DirectoryNumberError as E;
    if !input.trim_start().starts_with('+') {
        return Err(E::NoCountryCode { input: input.into() });
    }
    match PhoneNumber::parse_international(input) {
        Ok(number) => number.require_mobile().map_err(E::NotMobile),
        Err(PhoneError::Invalid(region)) => {
            let why = phone::invalid_reason(input)
                .unwrap_or_else(|| format!("it isn't valid in {}", phone::region_name(&region)));
            Err(E::NotValid { input: input.into(), why })
        }
        Err(source) => Err(E::Unreadable { input: input.into(), source }),
    }
}

/// A name as it must be typed in a shell: quoted when it holds anything but letters, digits
/// and `-_.@+`.
fn shell_word(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c)) {
        return name.to_string();
    }
    format!("'{}'", name.replace('\'', "'\\''"))
}

fn check_name(what: &'static str, name: &str) -> Result<(), AdminError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) || name.len() > 64 {
        return Err(AdminError::BadName { what, name: name.into() });
    }
    Ok(())
}

/// The answer of one command: text for people, JSON for scripts.
struct Answer {
    text: String,
    json: Value,
}

impl Answer {
    fn new(text: impl Into<String>, json: &impl Serialize) -> Self {
        // Through `Value`, so keys print sorted: the order `--json` has always had.
        Answer { text: text.into(), json: serde_json::to_value(json).expect("admin answers serialize") }
    }
}

// What `--json` prints, beside the store's `User` and `SignInCheck`.

#[derive(Serialize)]
struct PolicyJson<'a> {
    enabled: bool,
    use_for_sign_in: bool,
    target: Target,
    target_groups: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Target {
    All,
    Groups,
}

#[derive(Serialize)]
struct GroupJson<'a> {
    group: &'a str,
}

#[derive(Serialize)]
struct GroupCountJson<'a> {
    name: &'a str,
    members: u32,
}

#[derive(Serialize)]
struct MembershipJson<'a> {
    username: &'a str,
    group: &'a str,
    /// Only from remove-from-group: whether the user was in the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<bool>,
}

#[derive(Serialize)]
struct PhoneJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(rename = "type")]
    kind: PhoneKind,
    /// Absent from phone remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<&'a str>,
}

#[derive(Serialize)]
struct ScimTokenJson<'a> {
    name: &'a str,
    /// Only from create: the one time it is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
}

/// `tap create`, `tap show` and `tap revoke`.
#[derive(Serialize, Default)]
struct TapJson<'a> {
    username: &'a str,
    /// Only from create: the one time it is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pass: Option<&'a str>,
    live: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    one_time: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_by: Option<&'a str>,
    /// Only from revoke: whether there was a live pass to end.
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked: Option<bool>,
}

#[derive(Serialize)]
struct RevokedJson<'a> {
    username: &'a str,
    revoked: usize,
}

#[derive(Serialize)]
struct UserShowJson<'a> {
    user: &'a User,
    phones: Vec<PhoneJson<'a>>,
    sms_sign_in: &'a SignInCheck,
}

/// Runs one admin command, audits it, and returns what to print.
pub async fn run(args: &AdminArgs) -> Result<String, AdminError> {
    let audit_path = match (&args.audit_log, args.db.sqlite_path()) {
        (Some(path), _) => path.clone(),
        (None, Some(db)) => audit_path(db),
        (None, None) => return Err(AdminError::NoAuditLog),
    };
    let audit = AuditLog::new(audit_path);
    let actor = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| nix::unistd::getuid().to_string());
    let context = Context {
        key_file: args.key_file.clone().or_else(|| args.db.sqlite_path().map(|db| suffixed(db, ".key"))),
        actor: actor.clone(),
    };
    let result = async {
        let store = Store::open(&args.db, None).await?;
        // One transaction: a command that fails halfway changes nothing.
        let mut db = store.transaction().await?;
        let answer = execute(&mut db, &args.command, &context).await?;
        db.commit().await?;
        Ok::<_, AdminError>(answer)
    }
    .await;
    let (command, target) = describe(&args.command);
    match &result {
        Ok(_) => audit.record("admin", json!({ "actor": actor, "command": command, "target": target, "ok": true })),
        Err(err) => audit.record(
            "admin",
            json!({ "actor": actor, "command": command, "target": target, "ok": false, "error": mask_numbers(&err.to_string()) }),
        ),
    }
    let answer = result?;
    Ok(if args.json { answer.json.to_string() } else { answer.text })
}

/// The audit log of a database: the same place `serve` uses by default.
pub fn audit_path(db: &std::path::Path) -> PathBuf {
    suffixed(db, ".audit.jsonl")
}

fn suffixed(db: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// What a command may need beyond the database: the code key's file, and who runs it.
struct Context {
    key_file: Option<PathBuf>,
    actor: String,
}

/// Masks anything that looks like a phone number in a message (for the audit log).
pub(crate) fn mask_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 7 {
            out.push_str("[number]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (!run.is_empty() && " -()".contains(c)) || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn describe(command: &AdminCommand) -> (&'static str, Value) {
    match command {
        AdminCommand::Policy(PolicyCommand::Show) => ("policy show", Value::Null),
        AdminCommand::Policy(PolicyCommand::Set { enabled, use_for_sign_in, target, target_group }) => (
            "policy set",
            json!({ "enabled": enabled, "use_for_sign_in": use_for_sign_in, "target": target, "target_groups": target_group }),
        ),
        AdminCommand::Group(GroupCommand::Add { group }) => ("group add", json!(group)),
        AdminCommand::Group(GroupCommand::List) => ("group list", Value::Null),
        AdminCommand::User(UserCommand::Add { username, .. }) => ("user add", json!(username)),
        AdminCommand::User(UserCommand::List) => ("user list", Value::Null),
        AdminCommand::User(UserCommand::Show { username }) => ("user show", json!(username)),
        AdminCommand::User(UserCommand::Disable { username }) => ("user disable", json!(username)),
        AdminCommand::User(UserCommand::Enable { username }) => ("user enable", json!(username)),
        AdminCommand::User(UserCommand::Delete { username }) => ("user delete", json!(username)),
        AdminCommand::User(UserCommand::AddToGroup { username, group }) => {
            ("user add-to-group", json!([username, group]))
        }
        AdminCommand::User(UserCommand::RemoveFromGroup { username, group }) => {
            ("user remove-from-group", json!([username, group]))
        }
        AdminCommand::Phone(PhoneCommand::Set { username, kind, .. }) => ("phone set", json!([username, kind])),
        AdminCommand::Phone(PhoneCommand::Remove { username, kind }) => ("phone remove", json!([username, kind])),
        AdminCommand::Sessions(SessionsCommand::Revoke { username }) => ("sessions revoke", json!(username)),
        // The pass itself is never audited.
        AdminCommand::Tap(TapCommand::Create { username, lifetime, multi_use, .. }) => {
            ("tap create", json!({ "username": username, "lifetime_s": lifetime.as_secs(), "one_time": !multi_use }))
        }
        AdminCommand::Tap(TapCommand::Show { username }) => ("tap show", json!(username)),
        AdminCommand::Tap(TapCommand::Revoke { username }) => ("tap revoke", json!(username)),
        // The token itself is never audited: only its name.
        AdminCommand::Scim(ScimCommand::Token(ScimTokenCommand::Create { name })) => ("scim token create", json!(name)),
        AdminCommand::Scim(ScimCommand::Token(ScimTokenCommand::List)) => ("scim token list", Value::Null),
        AdminCommand::Scim(ScimCommand::Token(ScimTokenCommand::Revoke { name })) => ("scim token revoke", json!(name)),
    }
}

async fn execute(store: &mut Db, command: &AdminCommand, context: &Context) -> Result<Answer, AdminError> {
    let now = SystemClock.now_ms();
    match command {
        AdminCommand::Policy(PolicyCommand::Show) => Ok(policy_answer(&store.policy().await?)),
        AdminCommand::Policy(PolicyCommand::Set { enabled, use_for_sign_in, target, target_group }) => {
            if enabled.is_none() && use_for_sign_in.is_none() && target.is_none() && target_group.is_empty() {
                return Err(AdminError::NothingToChange);
            }
            let mut policy = store.policy().await?;
            policy.enabled = enabled.unwrap_or(policy.enabled);
            policy.use_for_sign_in = use_for_sign_in.unwrap_or(policy.use_for_sign_in);
            if target.is_some() {
                policy.target_all = true;
                policy.target_groups.clear();
            } else if !target_group.is_empty() {
                policy.target_all = false;
                policy.target_groups = target_group.clone();
            }
            store.set_policy(&policy).await.map_err(|err| match err {
                StoreError::NoSuchGroup(group) => AdminError::NoGroupToTarget(group),
                other => other.into(),
            })?;
            Ok(policy_answer(&store.policy().await?))
        }
        AdminCommand::Group(GroupCommand::Add { group }) => {
            if !valid_group_name(group) {
                return Err(AdminError::BadGroupName(group.clone()));
            }
            store.add_group(group).await?;
            Ok(Answer::new(format!("added group {group}"), &GroupJson { group }))
        }
        AdminCommand::Group(GroupCommand::List) => {
            let groups = store.groups().await?;
            let text = if groups.is_empty() {
                "no groups yet; add one with `group add GROUP`".to_string()
            } else {
                groups.iter().map(|(name, members)| format!("{name}\t{members} members")).collect::<Vec<_>>().join("\n")
            };
            let json: Vec<_> =
                groups.iter().map(|(name, members)| GroupCountJson { name, members: *members }).collect();
            Ok(Answer::new(text, &json))
        }
        AdminCommand::User(UserCommand::Add { username, display_name, roles }) => {
            check_name("username", username)?;
            for role in roles {
                check_name("role", role)?;
            }
            if display_name.trim().is_empty() {
                return Err(AdminError::EmptyDisplayName);
            }
            let user = store.add_user(username, display_name.trim(), roles).await?;
            Ok(Answer::new(format!("added user {} ({})", user.username, user.display_name), &user))
        }
        AdminCommand::User(UserCommand::List) => {
            let users = store.users().await?;
            let text = users
                .iter()
                .map(|u| {
                    let state = if u.enabled { "enabled" } else { "disabled" };
                    format!(
                        "{}\t{}\t{state}\t{}\t{}",
                        u.username,
                        u.display_name,
                        u.roles.join(","),
                        u.groups.join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(text, &users))
        }
        AdminCommand::User(UserCommand::Show { username }) => {
            let user = store.user(username).await?;
            let phones = store.phones(username).await?;
            let policy = store.policy().await?;
            let check = store.sign_in_check(&user, &policy).await?;
            Ok(user_answer(&user, &phones, &check))
        }
        AdminCommand::User(UserCommand::Disable { username }) => {
            let user = store.set_enabled(username, false, now).await?;
            Ok(Answer::new(format!("disabled {} and ended their sessions", user.username), &user))
        }
        AdminCommand::User(UserCommand::Enable { username }) => {
            let user = store.set_enabled(username, true, now).await?;
            Ok(Answer::new(format!("enabled {}", user.username), &user))
        }
        AdminCommand::User(UserCommand::Delete { username }) => {
            let user = store.delete_user(username).await?;
            Ok(Answer::new(format!("deleted {} and ended their sessions", user.username), &user))
        }
        AdminCommand::User(UserCommand::AddToGroup { username, group }) => {
            store.add_to_group(username, group).await?;
            let json = MembershipJson { username, group, removed: None };
            Ok(Answer::new(format!("{username} is in {group}"), &json))
        }
        AdminCommand::User(UserCommand::RemoveFromGroup { username, group }) => {
            let was = store.remove_from_group(username, group).await?;
            let text = if was {
                format!("{username} left {group}")
            } else {
                format!("{username} was not in {group}; nothing changed")
            };
            Ok(Answer::new(text, &MembershipJson { username, group, removed: Some(was) }))
        }
        AdminCommand::Phone(PhoneCommand::Set { username, number, kind }) => {
            let phone = directory_number(number)?;
            store.set_phone(username, *kind, phone.e164()).await?;
            Ok(Answer::new(
                format!("{username}: {kind} phone set to {}", phone.e164()),
                &PhoneJson { username: Some(username), kind: *kind, number: Some(phone.e164()) },
            ))
        }
        AdminCommand::Phone(PhoneCommand::Remove { username, kind }) => {
            store.remove_phone(username, *kind).await?;
            let json = PhoneJson { username: Some(username), kind: *kind, number: None };
            Ok(Answer::new(format!("{username}: {kind} phone removed"), &json))
        }
        AdminCommand::Sessions(SessionsCommand::Revoke { username }) => {
            let user = store.user(username).await?;
            let ended = store.revoke_user_tokens(user.rowid, now).await?;
            Ok(Answer::new(
                format!("ended {ended} session(s) of {username}"),
                &RevokedJson { username, revoked: ended },
            ))
        }
        AdminCommand::Scim(ScimCommand::Token(command)) => scim_token(store, command, now).await,
        AdminCommand::Tap(command) => tap(store, command, context, now).await,
    }
}

/// Temporary access passes: only for users SMS sign-in lets in (a pass goes with their number).
async fn tap(store: &mut Db, command: &TapCommand, context: &Context, now: i64) -> Result<Answer, AdminError> {
    match command {
        TapCommand::Create { username, lifetime, multi_use, .. } => {
            let user = store.user(username).await?;
            let policy = store.policy().await?;
            let check = store.sign_in_check(&user, &policy).await?;
            if !check.enabled {
                let reasons = check
                    .reasons
                    .iter()
                    .map(|reason| format!("  - {reason} (fix: shiftkey admin --db DB {})", fix_for(*reason, username)));
                return Err(AdminError::CantSignIn {
                    username: username.clone(),
                    reasons: reasons.collect::<Vec<_>>().join("\n"),
                });
            }
            let path = context.key_file.as_ref().ok_or(AdminError::NoKeyFile)?;
            let key = OtpKey::load_or_create(path)
                .map_err(|source| AdminError::Key { path: path.display().to_string(), source })?;
            let issued_by = format!("admin {}", context.actor);
            let issued = pass::issue(store, &key, &user, *lifetime, !multi_use, &issued_by, now).await?;
            let expires = pass::rfc3339(issued.expires_at);
            let kind = if issued.one_time { "one-time" } else { "multi-use" };
            let text = format!(
                "pass for {username} ({kind}, until {expires}). It is shown only this once: give it to them now.\n{}",
                issued.pass.expose()
            );
            let json = TapJson {
                username,
                pass: Some(issued.pass.expose()),
                live: true,
                expires_at: Some(expires),
                one_time: Some(issued.one_time),
                uses: None,
                issued_by: Some(&issued_by),
                revoked: None,
            };
            Ok(Answer::new(text, &json))
        }
        TapCommand::Show { username } => {
            let user = store.user(username).await?;
            let stored = store.pass_of(user.rowid).await?.filter(|stored| stored.is_live(now));
            let Some(stored) = stored else {
                let json = TapJson { username, live: false, ..TapJson::default() };
                return Ok(Answer::new(format!("{username} has no live pass"), &json));
            };
            let expires = pass::rfc3339(stored.expires_at);
            let kind = if stored.one_time { "one-time" } else { "multi-use" };
            let text = format!(
                "{username} has a live {kind} pass until {expires}, issued by {}, used {} time(s)",
                stored.issued_by, stored.uses
            );
            let json = TapJson {
                username,
                live: true,
                expires_at: Some(expires),
                one_time: Some(stored.one_time),
                uses: Some(stored.uses),
                issued_by: Some(&stored.issued_by),
                ..TapJson::default()
            };
            Ok(Answer::new(text, &json))
        }
        TapCommand::Revoke { username } => {
            let user = store.user(username).await?;
            let had = store.pass_of(user.rowid).await?.is_some_and(|stored| stored.is_live(now));
            store.delete_pass(user.rowid).await?;
            let text = if had {
                format!("revoked {username}'s pass")
            } else {
                format!("{username} had no live pass; nothing changed")
            };
            Ok(Answer::new(text, &TapJson { username, revoked: Some(had), ..TapJson::default() }))
        }
    }
}

/// SCIM tokens: 256 random bits, shown once, stored as SHA-256 like access tokens.
async fn scim_token(store: &mut Db, command: &ScimTokenCommand, now: i64) -> Result<Answer, AdminError> {
    match command {
        ScimTokenCommand::Create { name } => {
            let name = match name {
                Some(name) => {
                    check_name("token name", name)?;
                    name.clone()
                }
                None => {
                    let taken: Vec<String> = store.scim_tokens().await?.into_iter().map(|(n, _)| n).collect();
                    (1..)
                        .map(|i| if i == 1 { "scim".to_string() } else { format!("scim-{i}") })
                        .find(|n| !taken.contains(n))
                        .expect("some name is free")
                }
            };
            let token = otp::new_token();
            store.scim_token_create(&name, &otp::token_hash(token.expose()), now).await?;
            let text = format!(
                "created SCIM token {name:?}. It is shown only this once: paste it as the Secret Token now.\n{}",
                token.expose()
            );
            Ok(Answer::new(text, &ScimTokenJson { name: &name, token: Some(token.expose()), created: None }))
        }
        ScimTokenCommand::List => {
            let tokens = store.scim_tokens().await?;
            let created = |ms: i64| {
                let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
                humantime::format_rfc3339_seconds(at).to_string()
            };
            let text = if tokens.is_empty() {
                "no SCIM tokens yet; create one with `scim token create --name NAME`".to_string()
            } else {
                tokens
                    .iter()
                    .map(|(name, at)| format!("{name}\tcreated {}", created(*at)))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let json: Vec<_> = tokens
                .iter()
                .map(|(name, at)| ScimTokenJson { name, token: None, created: Some(created(*at)) })
                .collect();
            Ok(Answer::new(text, &json))
        }
        ScimTokenCommand::Revoke { name } => {
            store.scim_token_revoke(name).await?;
            Ok(Answer::new(format!("revoked SCIM token {name:?}"), &ScimTokenJson { name, token: None, created: None }))
        }
    }
}

fn policy_answer(policy: &Policy) -> Answer {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let target = if policy.target_all {
        "all users".to_string()
    } else {
        format!("groups: {}", policy.target_groups.join(", "))
    };
    let text = format!(
        "SMS sign-in policy\n  enabled:         {}\n  use for sign-in: {}\n  target:          {target}",
        yes_no(policy.enabled),
        yes_no(policy.use_for_sign_in)
    );
    let json = PolicyJson {
        enabled: policy.enabled,
        use_for_sign_in: policy.use_for_sign_in,
        target: if policy.target_all { Target::All } else { Target::Groups },
        target_groups: &policy.target_groups,
    };
    Answer::new(text, &json)
}

/// What to run to clear each reason.
fn fix_for(reason: NotEnabled, username: &str) -> String {
    match reason {
        NotEnabled::PolicyDisabled => "policy set --enabled true".into(),
        NotEnabled::NotForSignIn => "policy set --use-for-sign-in true".into(),
        NotEnabled::NotTargeted => {
            format!("user add-to-group {username} GROUP (a targeted group), or policy set --target all")
        }
        NotEnabled::NoMobile => format!("phone set {username} {EXAMPLE_NUMBER} --type mobile"),
        NotEnabled::UserDisabled => format!("user enable {username}"),
    }
}

fn user_answer(user: &User, phones: &[(PhoneKind, String)], check: &SignInCheck) -> Answer {
    let mut lines = vec![
        format!("username:       {}", user.username),
        format!("display name:   {}", user.display_name),
        format!("enabled:        {}", if user.enabled { "yes" } else { "no" }),
        format!("roles:          {}", user.roles.join(", ")),
        format!("groups:         {}", user.groups.join(", ")),
    ];
    lines.extend(phones.iter().map(|(kind, number)| format!("phone ({kind}): {number}")));
    if check.enabled {
        lines.push("SMS sign-in:    ✓ enabled".into());
    } else {
        lines.push("SMS sign-in:    ✗ not enabled, because:".into());
        for reason in &check.reasons {
            lines.push(format!("  - {reason} (fix: shiftkey admin --db DB {})", fix_for(*reason, &user.username)));
        }
    }
    let phones = phones.iter().map(|(kind, number)| PhoneJson { username: None, kind: *kind, number: Some(number) });
    Answer::new(lines.join("\n"), &UserShowJson { user, phones: phones.collect(), sms_sign_in: check })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_quote_a_group_name_a_shell_would_split() {
        assert_eq!(shell_word("tills"), "tills");
        assert_eq!(shell_word("Contoso SMS Users"), "'Contoso SMS Users'");
        assert_eq!(shell_word("Bob's crew"), "'Bob'\\''s crew'");
        let err = AdminError::NoGroupToTarget("Contoso SMS Users".into()).to_string();
        assert!(err.contains("`group add 'Contoso SMS Users'`"), "{err}");
    }

    #[test]
    fn numbers_are_masked_in_audited_errors() {
        assert_eq!(mask_numbers("\"+1 206 555 0100\" is taken"), "\"[number]\" is taken");
        assert_eq!(mask_numbers("5 tries"), "5 tries");
    }

    #[test]
    fn entra_example_is_refused_saying_why() {
        let err = directory_number("+1 4251234567").unwrap_err().to_string();
        assert!(err.contains("a US exchange can't start with 1"), "{err}");
        assert!(err.contains(EXAMPLE_NUMBER), "{err}");
    }

    #[test]
    fn non_mobile_kinds_are_refused() {
        let err = directory_number("+1 800 555 0199").unwrap_err().to_string();
        assert!(err.contains("toll-free"), "{err}");
        let err = directory_number("+44 909 8790000").unwrap_err().to_string();
        assert!(err.contains("premium-rate") || err.contains("not a valid"), "{err}");
    }
}

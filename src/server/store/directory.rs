//! The directory: the SMS sign-in policy, groups, users and their phone numbers, and the
//! answer to "may this user sign in by SMS, and if not, why not".

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::Serialize;

use super::sql::{Arg, args};
use super::{Db, Policy, StoreError, User};

/// The kinds of phone a user can have (Entra: Mobile, Alternate mobile, Office → Other).
/// Only the Mobile phone signs in by SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhoneKind {
    Mobile,
    AlternateMobile,
    Other,
}

impl PhoneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::AlternateMobile => "alternate-mobile",
            PhoneKind::Other => "other",
        }
    }
}

impl fmt::Display for PhoneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown phone type {0:?}: use mobile, alternate-mobile or other")]
pub struct UnknownPhoneKind(String);

impl FromStr for PhoneKind {
    type Err = UnknownPhoneKind;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "mobile" => Ok(PhoneKind::Mobile),
            "alternate-mobile" => Ok(PhoneKind::AlternateMobile),
            "other" => Ok(PhoneKind::Other),
            other => Err(UnknownPhoneKind(other.into())),
        }
    }
}

/// Why a user can or can't sign in by SMS, in the order of Entra's troubleshooting list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignInCheck {
    pub enabled: bool,
    pub reasons: Vec<NotEnabled>,
}

/// One reason a user can't sign in by SMS; serialised as its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotEnabled {
    #[error("the SMS sign-in policy is disabled")]
    PolicyDisabled,
    #[error("\"use for sign-in\" is off in the SMS policy")]
    NotForSignIn,
    #[error("the user is not targeted by the SMS policy")]
    NotTargeted,
    #[error("the user has no mobile number")]
    NoMobile,
    #[error("the user is disabled")]
    UserDisabled,
}

impl Serialize for NotEnabled {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The longest group name: Entra's own limit for a group's display name.
pub const MAX_GROUP_NAME_CHARS: usize = 256;

/// Whether a group name can be used: a display name ("Contoso SMS Users"), not empty, not
/// padded, without control characters.
pub fn valid_group_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.trim() == name
        && name.chars().count() <= MAX_GROUP_NAME_CHARS
        && !name.chars().any(char::is_control)
}

/// The columns of a user of the table `users` and their groups, read in one statement (one round
/// trip on PostgreSQL, where a sign-in reads a user three times): those of [`UserRow`], then the
/// group names in order, joined by newlines (no group name holds one), NULL for none; both
/// engines know `string_agg` with `ORDER BY` (SQLite since 3.44). The groups are not a JOIN:
/// SQLite (built with STAT4) re-plans that form on every run, which cost a tenth of the
/// server's time under load; this form keeps its plan.
pub(super) const USER_COLUMNS: &str = "users.id, users.username, users.display_name, users.enabled, users.roles,
    (SELECT string_agg(name, '\n' ORDER BY name) FROM groups
     WHERE id IN (SELECT group_id FROM user_groups WHERE user_id = users.id))";

/// The policy's columns (`policy p`): enabled, use_for_sign_in, target_all, and the targeted
/// groups' names as [`USER_COLUMNS`] gives a user's.
const POLICY_COLUMNS: &str = "p.enabled, p.use_for_sign_in, p.target_all,
    (SELECT string_agg(name, '\n' ORDER BY name) FROM groups WHERE id IN (SELECT group_id FROM policy_groups))";

fn policy_of(enabled: bool, use_for_sign_in: bool, target_all: bool, targets: Option<String>) -> Policy {
    Policy { enabled, use_for_sign_in, target_all, target_groups: split_names(targets) }
}

/// A user's row: id, username, display_name, enabled, roles (JSON).
pub(super) type UserRow = (i64, String, String, bool, String);

/// A row of [`USER_COLUMNS`].
pub(super) type UserWithGroupsRow = (i64, String, String, bool, String, Option<String>);

pub(super) fn user_of((rowid, username, display_name, enabled, roles): UserRow) -> User {
    User {
        rowid,
        username,
        display_name,
        enabled,
        roles: serde_json::from_str(&roles).unwrap_or_default(),
        groups: Vec::new(),
    }
}

/// Names joined by newlines (`string_agg`'s answer) as a list; NULL is none.
fn split_names(joined: Option<String>) -> Vec<String> {
    joined.map_or_else(Vec::new, |joined| joined.split('\n').map(String::from).collect())
}

pub(super) fn user_with_groups((rowid, username, display_name, enabled, roles, groups): UserWithGroupsRow) -> User {
    User { groups: split_names(groups), ..user_of((rowid, username, display_name, enabled, roles)) }
}

/// `SELECT` [`USER_COLUMNS`] `FROM users WHERE {condition}`.
pub(super) fn select_user_where(condition: &str) -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}")
}

impl Db {
    /// The policy, in one statement: its row, with the targeted groups' names joined in one
    /// column ([`POLICY_COLUMNS`]).
    pub async fn policy(&mut self) -> Result<Policy, StoreError> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {POLICY_COLUMNS} FROM policy p WHERE p.id = 1"));
        let (enabled, use_for_sign_in, target_all, targets) = self.query_one(&SQL, &[]).await?;
        Ok(policy_of(enabled, use_for_sign_in, target_all, targets))
    }

    /// Replaces the policy; targeted groups must exist. Run it in a transaction.
    pub async fn set_policy(&mut self, policy: &Policy) -> Result<(), StoreError> {
        self.execute(
            "UPDATE policy SET enabled = ?1, use_for_sign_in = ?2, target_all = ?3 WHERE id = 1",
            args![policy.enabled, policy.use_for_sign_in, policy.target_all],
        )
        .await?;
        self.execute("DELETE FROM policy_groups", &[]).await?;
        for group in &policy.target_groups {
            let inserted =
                self.execute("INSERT INTO policy_groups SELECT id FROM groups WHERE name = ?1", args![group]).await?;
            if inserted == 0 {
                return Err(StoreError::NoSuchGroup(group.clone()));
            }
        }
        Ok(())
    }

    /// Adds a group; names are display names ("Contoso SMS Users"), unique whatever their case.
    pub async fn add_group(&mut self, name: &str) -> Result<(), StoreError> {
        self.insert_group(name, None, super::now_ms()).await?;
        Ok(())
    }

    /// Inserts a group with a new SCIM id; returns its row id.
    pub(super) async fn insert_group(
        &mut self,
        name: &str,
        external_id: Option<&str>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let taken: Option<(i64,)> =
            self.query_opt("SELECT id FROM groups WHERE name = ?1 COLLATE NOCASE", args![name]).await?;
        if taken.is_some() {
            return Err(StoreError::GroupExists(name.into()));
        }
        let (rowid,) = self
            .query_one(
                "INSERT INTO groups (name, scim_id, external_id, created_at, modified_at)
                 VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
                args![name, &super::new_scim_id(), external_id, now],
            )
            .await?;
        Ok(rowid)
    }

    /// Groups with their member counts.
    pub async fn groups(&mut self) -> Result<Vec<(String, u32)>, StoreError> {
        let rows: Vec<(String, i64)> = self
            .query_all(
                "SELECT g.name, COUNT(ug.user_id) FROM groups g LEFT JOIN user_groups ug ON ug.group_id = g.id
                 GROUP BY g.id ORDER BY g.name",
                &[],
            )
            .await?;
        Ok(rows.into_iter().map(|(name, members)| (name, u32::try_from(members).unwrap_or(u32::MAX))).collect())
    }

    async fn group_id(&mut self, name: &str) -> Result<i64, StoreError> {
        let id: Option<(i64,)> =
            self.query_opt("SELECT id FROM groups WHERE name = ?1 COLLATE NOCASE", args![name]).await?;
        id.map(|(id,)| id).ok_or_else(|| StoreError::NoSuchGroup(name.into()))
    }

    pub async fn add_to_group(&mut self, username: &str, group: &str) -> Result<(), StoreError> {
        let user = self.user(username).await?;
        let group_id = self.group_id(group).await?;
        self.execute(
            "INSERT INTO user_groups (user_id, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            args![user.rowid, group_id],
        )
        .await?;
        Ok(())
    }

    /// Returns whether the user was a member.
    pub async fn remove_from_group(&mut self, username: &str, group: &str) -> Result<bool, StoreError> {
        let user = self.user(username).await?;
        let group_id = self.group_id(group).await?;
        let removed = self
            .execute("DELETE FROM user_groups WHERE user_id = ?1 AND group_id = ?2", args![user.rowid, group_id])
            .await?;
        Ok(removed > 0)
    }

    pub async fn add_user(&mut self, username: &str, display_name: &str, roles: &[String]) -> Result<User, StoreError> {
        let roles_json = serde_json::to_string(roles).expect("a list of strings serializes");
        let taken: Option<(i64,)> =
            self.query_opt("SELECT id FROM users WHERE username = ?1 COLLATE NOCASE", args![username]).await?;
        if taken.is_some() {
            return Err(StoreError::UserExists(username.into()));
        }
        self.execute(
            "INSERT INTO users (username, display_name, roles, scim_id, created_at, modified_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            args![username, display_name, &roles_json, &super::new_scim_id(), super::now_ms()],
        )
        .await?;
        self.user(username).await
    }

    /// Deletes a user: their tokens end with them (a signed-in kiosk's `GET /v1/me` answers
    /// 401), and their numbers and memberships go too. Run it in a transaction.
    pub async fn delete_user(&mut self, username: &str) -> Result<User, StoreError> {
        let user = self.user(username).await?;
        self.delete_user_rowid(user.rowid).await?;
        Ok(user)
    }

    pub(super) async fn delete_user_rowid(&mut self, rowid: i64) -> Result<(), StoreError> {
        self.detach_challenges(rowid).await?;
        self.execute("DELETE FROM tokens WHERE user_id = ?1", args![rowid]).await?;
        self.execute("DELETE FROM users WHERE id = ?1", args![rowid]).await?;
        Ok(())
    }

    /// The user a query for (id, username, display_name, enabled, roles) finds, with their groups.
    /// The user a `WHERE` condition on `users` finds, with their groups (one statement).
    pub(super) async fn user_where(&mut self, condition: &str, args: &[Arg<'_>]) -> Result<Option<User>, StoreError> {
        self.user_where_sql(&select_user_where(condition), args).await
    }

    /// The user a statement ending in [`select_user_where`] finds, with their groups.
    pub(super) async fn user_where_sql(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<User>, StoreError> {
        Ok(self.query_opt(sql, args).await?.map(user_with_groups))
    }

    pub async fn user(&mut self, username: &str) -> Result<User, StoreError> {
        self.user_where("username = ?1", args![username]).await?.ok_or_else(|| StoreError::NoSuchUser(username.into()))
    }

    pub(super) async fn user_by_rowid(&mut self, rowid: i64) -> Result<Option<User>, StoreError> {
        self.user_where("id = ?1", args![rowid]).await
    }

    pub async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let names: Vec<(String,)> = self.query_all("SELECT username FROM users ORDER BY username", &[]).await?;
        let mut users = Vec::with_capacity(names.len());
        for (name,) in names {
            users.push(self.user(&name).await?);
        }
        Ok(users)
    }

    /// Enables or disables a user. Disabling also ends all their sign-ins ([`Db::end_sign_ins`]).
    pub async fn set_enabled(&mut self, username: &str, enabled: bool, now: i64) -> Result<User, StoreError> {
        let user = self.user(username).await?;
        self.execute("UPDATE users SET enabled = ?2 WHERE id = ?1", args![user.rowid, enabled]).await?;
        if !enabled {
            self.end_sign_ins(user.rowid, now).await?;
        }
        self.user(username).await
    }

    /// Ends everything of a user's that signs in: their challenges become no one's (a code
    /// already texted to them matches nothing, as a deleted user's), then their tokens are
    /// revoked. In that order: a verify of one of their codes holding its challenge's lock
    /// commits first, and the token it made is revoked with the rest.
    pub(super) async fn end_sign_ins(&mut self, rowid: i64, now: i64) -> Result<(), StoreError> {
        self.detach_challenges(rowid).await?;
        self.revoke_user_tokens(rowid, now).await?;
        Ok(())
    }

    async fn detach_challenges(&mut self, rowid: i64) -> Result<(), StoreError> {
        self.execute("UPDATE challenges SET user_id = NULL WHERE user_id = ?1", args![rowid]).await?;
        Ok(())
    }

    /// Assigns a number of the given kind to a user, replacing their previous one of that kind.
    pub async fn set_phone(&mut self, username: &str, kind: PhoneKind, e164: &str) -> Result<(), StoreError> {
        let user = self.user(username).await?;
        let owner: Option<(i64, String)> =
            self.query_opt("SELECT user_id, kind FROM phones WHERE e164 = ?1", args![e164]).await?;
        match owner {
            Some((owner, _)) if owner != user.rowid => return Err(StoreError::PhoneTaken),
            // The same user moving the number to another kind: free its old slot first.
            Some((_, old_kind)) if old_kind != kind.as_str() => {
                self.execute("DELETE FROM phones WHERE e164 = ?1", args![e164]).await?;
            }
            _ => {}
        }
        self.execute(
            "INSERT INTO phones (user_id, kind, e164) VALUES (?1, ?2, ?3)
             ON CONFLICT(user_id, kind) DO UPDATE SET e164 = excluded.e164, scim_type = NULL, as_sent = NULL,
                 is_primary = NULL, display = NULL",
            args![user.rowid, kind.as_str(), e164],
        )
        .await?;
        Ok(())
    }

    pub async fn remove_phone(&mut self, username: &str, kind: PhoneKind) -> Result<(), StoreError> {
        let user = self.user(username).await?;
        let removed = self
            .execute("DELETE FROM phones WHERE user_id = ?1 AND kind = ?2", args![user.rowid, kind.as_str()])
            .await?;
        if removed == 0 {
            return Err(StoreError::NoSuchPhone { username: username.into(), kind });
        }
        Ok(())
    }

    /// The user's numbers as (kind, E.164).
    pub async fn phones(&mut self, username: &str) -> Result<Vec<(PhoneKind, String)>, StoreError> {
        let user = self.user(username).await?;
        let rows: Vec<(String, String)> =
            self.query_all("SELECT kind, e164 FROM phones WHERE user_id = ?1 ORDER BY kind", args![user.rowid]).await?;
        Ok(rows.into_iter().filter_map(|(kind, e164)| Some((kind.parse().ok()?, e164))).collect())
    }

    /// The Mobile number of a user, by row id.
    pub async fn mobile_of(&mut self, user_rowid: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = self
            .query_opt(
                "SELECT e164 FROM phones WHERE user_id = ?1 AND kind = ?2",
                args![user_rowid, PhoneKind::Mobile.as_str()],
            )
            .await?;
        Ok(row.map(|(e164,)| e164))
    }

    /// Whether `user` may sign in by SMS, and every reason why not.
    pub async fn sign_in_check(&mut self, user: &User, policy: &Policy) -> Result<SignInCheck, StoreError> {
        let has_mobile = self.mobile_of(user.rowid).await?.is_some();
        Ok(sign_in_check(user, policy, has_mobile))
    }

    /// The user who may sign in by SMS with this number, if any, with their groups: one
    /// statement ([`sms_signer`]'s rule), the same whether or not the number is known, so the
    /// answer's timing says little about it.
    pub async fn sms_sign_in_user(&mut self, e164: &str) -> Result<Option<User>, StoreError> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| select_user_where(&format!("users.id = ({})", sms_signer("?1"))));
        let row: Option<UserWithGroupsRow> = self.query_opt(&SQL, args![e164]).await?;
        Ok(row.map(user_with_groups))
    }
}

/// `SELECT` the id of who may sign in by SMS with the number in placeholder `number`: the user
/// whose mobile it is, if they are enabled and the policy is on, for sign-in, and targets
/// everyone or one of their groups. [`sign_in_check`] explains the same rule reason by reason
/// (`tests/store.rs` checks that the two agree); this is the one that decides, in the database,
/// so a start finds its user in the statement that opens its challenge.
pub(super) fn sms_signer(number: &str) -> String {
    format!(
        "SELECT users.id FROM policy p
         JOIN users ON users.id = (SELECT user_id FROM phones WHERE e164 = {number} AND kind = '{mobile}')
         WHERE p.id = 1 AND p.enabled AND p.use_for_sign_in AND users.enabled
           AND (p.target_all OR EXISTS (SELECT 1 FROM user_groups JOIN policy_groups USING (group_id)
                                        WHERE user_groups.user_id = users.id))",
        mobile = PhoneKind::Mobile.as_str()
    )
}

/// Whether `user` may sign in by SMS under `policy`, and every reason why not.
fn sign_in_check(user: &User, policy: &Policy, has_mobile: bool) -> SignInCheck {
    let mut reasons = Vec::new();
    if !policy.enabled {
        reasons.push(NotEnabled::PolicyDisabled);
    }
    if !policy.use_for_sign_in {
        reasons.push(NotEnabled::NotForSignIn);
    }
    if !policy.target_all && !user.groups.iter().any(|g| policy.target_groups.contains(g)) {
        reasons.push(NotEnabled::NotTargeted);
    }
    if !has_mobile {
        reasons.push(NotEnabled::NoMobile);
    }
    if !user.enabled {
        reasons.push(NotEnabled::UserDisabled);
    }
    SignInCheck { enabled: reasons.is_empty(), reasons }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::*;

    #[tokio::test]
    async fn looking_up_users_keeps_every_query_plan() {
        let store = Store::in_memory().unwrap();
        let mut db = store.connection().await.unwrap();
        db.add_user("a", "A", &[]).await.unwrap();
        for group in ["crew", "bakery"] {
            db.add_group(group).await.unwrap();
            db.add_to_group("a", group).await.unwrap();
        }
        let rowid = db.user("a").await.unwrap().rowid;
        let counts = |db: &Db| {
            let statement = db.sqlite().unwrap().prepare_cached(&select_user_where("id = ?1")).unwrap();
            use rusqlite::StatementStatus::{RePrepare, Run};
            (statement.get_status(Run), statement.get_status(RePrepare))
        };
        let (runs_before, replans_before) = counts(&db);
        for _ in 0..5 {
            assert_eq!(db.user_by_rowid(rowid).await.unwrap().unwrap().groups, ["bakery", "crew"]);
        }
        let (runs, replans) = counts(&db);
        assert_eq!(runs - runs_before, 5);
        assert_eq!(replans - replans_before, 0, "re-planned on every run");
    }
}

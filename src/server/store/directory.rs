//! The directory: the SMS sign-in policy, groups, users and their phone numbers, and the
//! answer to "may this user sign in by SMS, and if not, why not".

use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Policy, Store, StoreError, User};

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

/// A user's groups. Not written as a JOIN: SQLite (built with STAT4) re-plans that form on
/// every run, which cost a tenth of the server's time under load; this form keeps its plan.
const USER_GROUPS: &str =
    "SELECT name FROM groups WHERE id IN (SELECT group_id FROM user_groups WHERE user_id = ?1) ORDER BY name";

impl Store {
    pub fn policy(&self) -> Result<Policy, StoreError> {
        let (enabled, use_for_sign_in, target_all) =
            self.query_row("SELECT enabled, use_for_sign_in, target_all FROM policy WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT g.name FROM policy_groups p JOIN groups g ON g.id = p.group_id ORDER BY g.name")?;
        let target_groups = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(Policy { enabled, use_for_sign_in, target_all, target_groups })
    }

    /// Replaces the policy; targeted groups must exist.
    pub fn set_policy(&mut self, policy: &Policy) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached("UPDATE policy SET enabled = ?1, use_for_sign_in = ?2, target_all = ?3 WHERE id = 1")?
            .execute(params![policy.enabled, policy.use_for_sign_in, policy.target_all])?;
        tx.prepare_cached("DELETE FROM policy_groups")?.execute([])?;
        for group in &policy.target_groups {
            let inserted = tx
                .prepare_cached("INSERT INTO policy_groups SELECT id FROM groups WHERE name = ?1")?
                .execute([group])?;
            if inserted == 0 {
                return Err(StoreError::NoSuchGroup(group.clone()));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds a group; names are display names ("Contoso SMS Users"), unique whatever their case.
    pub fn add_group(&self, name: &str) -> Result<(), StoreError> {
        self.insert_group(name, None, super::now_ms())?;
        Ok(())
    }

    /// Inserts a group with a new SCIM id; returns its row id.
    pub(super) fn insert_group(&self, name: &str, external_id: Option<&str>, now: i64) -> Result<i64, StoreError> {
        let taken: Option<i64> =
            self.query_row("SELECT id FROM groups WHERE name = ?1 COLLATE NOCASE", [name], |r| r.get(0)).optional()?;
        if taken.is_some() {
            return Err(StoreError::GroupExists(name.into()));
        }
        Ok(self.query_row(
            "INSERT INTO groups (name, scim_id, external_id, created_at, modified_at)
             VALUES (?1, lower(hex(randomblob(16))), ?2, ?3, ?3) RETURNING id",
            params![name, external_id, now],
            |r| r.get(0),
        )?)
    }

    /// Groups with their member counts.
    pub fn groups(&self) -> Result<Vec<(String, u32)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT g.name, COUNT(ug.user_id) FROM groups g LEFT JOIN user_groups ug ON ug.group_id = g.id
             GROUP BY g.id ORDER BY g.name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn group_id(&self, name: &str) -> Result<i64, StoreError> {
        self.query_row("SELECT id FROM groups WHERE name = ?1 COLLATE NOCASE", [name], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NoSuchGroup(name.into()))
    }

    pub fn add_to_group(&self, username: &str, group: &str) -> Result<(), StoreError> {
        let user = self.user(username)?;
        let group_id = self.group_id(group)?;
        self.execute(
            "INSERT INTO user_groups (user_id, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![user.rowid, group_id],
        )?;
        Ok(())
    }

    /// Returns whether the user was a member.
    pub fn remove_from_group(&self, username: &str, group: &str) -> Result<bool, StoreError> {
        let user = self.user(username)?;
        let group_id = self.group_id(group)?;
        let removed = self
            .execute("DELETE FROM user_groups WHERE user_id = ?1 AND group_id = ?2", params![user.rowid, group_id])?;
        Ok(removed > 0)
    }

    pub fn add_user(&self, username: &str, display_name: &str, roles: &[String]) -> Result<User, StoreError> {
        let roles_json = serde_json::to_string(roles).expect("a list of strings serializes");
        let taken: Option<i64> = self
            .query_row("SELECT id FROM users WHERE username = ?1 COLLATE NOCASE", [username], |r| r.get(0))
            .optional()?;
        if taken.is_some() {
            return Err(StoreError::UserExists(username.into()));
        }
        self.execute(
            "INSERT INTO users (username, display_name, roles, scim_id, created_at, modified_at)
             VALUES (?1, ?2, ?3, lower(hex(randomblob(16))), ?4, ?4)",
            params![username, display_name, roles_json, super::now_ms()],
        )?;
        self.user(username)
    }

    /// Deletes a user: their tokens end with them (a signed-in kiosk's `GET /v1/me` answers
    /// 401), and their numbers and memberships go too.
    pub fn delete_user(&self, username: &str) -> Result<User, StoreError> {
        let user = self.user(username)?;
        self.delete_user_rowid(user.rowid)?;
        Ok(user)
    }

    pub(super) fn delete_user_rowid(&self, rowid: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM tokens WHERE user_id = ?1", [rowid])?;
        self.execute("UPDATE challenges SET user_id = NULL WHERE user_id = ?1", [rowid])?;
        self.execute("DELETE FROM users WHERE id = ?1", [rowid])?;
        Ok(())
    }

    fn user_where(&self, condition: &str, value: &dyn rusqlite::ToSql) -> Result<Option<User>, StoreError> {
        let row = self
            .query_row(
                &format!("SELECT id, username, display_name, enabled, roles FROM users WHERE {condition}"),
                [value],
                |r| {
                    let roles: String = r.get(4)?;
                    Ok(User {
                        rowid: r.get(0)?,
                        username: r.get(1)?,
                        display_name: r.get(2)?,
                        enabled: r.get(3)?,
                        roles: serde_json::from_str(&roles).unwrap_or_default(),
                        groups: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut user) = row else { return Ok(None) };
        let mut stmt = self.conn.prepare_cached(USER_GROUPS)?;
        user.groups = stmt.query_map([user.rowid], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(Some(user))
    }

    pub fn user(&self, username: &str) -> Result<User, StoreError> {
        self.user_where("username = ?1", &username)?.ok_or_else(|| StoreError::NoSuchUser(username.into()))
    }

    pub(super) fn user_by_rowid(&self, rowid: i64) -> Result<Option<User>, StoreError> {
        self.user_where("id = ?1", &rowid)
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT username FROM users ORDER BY username")?;
        let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        names.iter().map(|name| self.user(name)).collect()
    }

    /// Enables or disables a user. Disabling also ends all their tokens.
    pub fn set_enabled(&self, username: &str, enabled: bool, now: i64) -> Result<User, StoreError> {
        let user = self.user(username)?;
        self.execute("UPDATE users SET enabled = ?2 WHERE id = ?1", params![user.rowid, enabled])?;
        if !enabled {
            self.revoke_user_tokens(user.rowid, now)?;
        }
        self.user(username)
    }

    /// Assigns a number of the given kind to a user, replacing their previous one of that kind.
    pub fn set_phone(&self, username: &str, kind: PhoneKind, e164: &str) -> Result<(), StoreError> {
        let user = self.user(username)?;
        let owner: Option<(i64, String)> = self
            .query_row("SELECT user_id, kind FROM phones WHERE e164 = ?1", [e164], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match owner {
            Some((owner, _)) if owner != user.rowid => return Err(StoreError::PhoneTaken),
            // The same user moving the number to another kind: free its old slot first.
            Some((_, old_kind)) if old_kind != kind.as_str() => {
                self.execute("DELETE FROM phones WHERE e164 = ?1", [e164])?;
            }
            _ => {}
        }
        self.execute(
            "INSERT INTO phones (user_id, kind, e164) VALUES (?1, ?2, ?3)
             ON CONFLICT(user_id, kind) DO UPDATE SET e164 = excluded.e164, scim_type = NULL, as_sent = NULL,
                 is_primary = NULL, display = NULL",
            params![user.rowid, kind.as_str(), e164],
        )?;
        Ok(())
    }

    pub fn remove_phone(&self, username: &str, kind: PhoneKind) -> Result<(), StoreError> {
        let user = self.user(username)?;
        let removed =
            self.execute("DELETE FROM phones WHERE user_id = ?1 AND kind = ?2", params![user.rowid, kind.as_str()])?;
        if removed == 0 {
            return Err(StoreError::NoSuchPhone { username: username.into(), kind });
        }
        Ok(())
    }

    /// The user's numbers as (kind, E.164).
    pub fn phones(&self, username: &str) -> Result<Vec<(PhoneKind, String)>, StoreError> {
        let user = self.user(username)?;
        let mut stmt = self.conn.prepare("SELECT kind, e164 FROM phones WHERE user_id = ?1 ORDER BY kind")?;
        let rows = stmt.query_map([user.rowid], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        let rows: Vec<(String, String)> = rows.collect::<Result<_, _>>()?;
        Ok(rows.into_iter().filter_map(|(kind, e164)| Some((kind.parse().ok()?, e164))).collect())
    }

    /// The Mobile number of a user, by row id.
    pub fn mobile_of(&self, user_rowid: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .query_row(
                "SELECT e164 FROM phones WHERE user_id = ?1 AND kind = ?2",
                params![user_rowid, PhoneKind::Mobile.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether `user` may sign in by SMS, and every reason why not.
    pub fn sign_in_check(&self, user: &User, policy: &Policy) -> Result<SignInCheck, StoreError> {
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
        if self.mobile_of(user.rowid)?.is_none() {
            reasons.push(NotEnabled::NoMobile);
        }
        if !user.enabled {
            reasons.push(NotEnabled::UserDisabled);
        }
        Ok(SignInCheck { enabled: reasons.is_empty(), reasons })
    }

    /// The user who may sign in by SMS with this number, if any. The same queries run whether
    /// or not the number is known, so the answer's timing says little about it.
    pub fn sms_sign_in_user(&self, e164: &str) -> Result<Option<User>, StoreError> {
        let policy = self.policy()?;
        let rowid: Option<i64> = self
            .query_row(
                "SELECT user_id FROM phones WHERE e164 = ?1 AND kind = ?2",
                params![e164, PhoneKind::Mobile.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        let user = self.user_by_rowid(rowid.unwrap_or(-1))?;
        let Some(user) = user else { return Ok(None) };
        Ok(self.sign_in_check(&user, &policy)?.enabled.then_some(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looking_up_users_keeps_every_query_plan() {
        let store = Store::in_memory().unwrap();
        store.add_user("a", "A", &[]).unwrap();
        store.add_group("crew").unwrap();
        store.add_to_group("a", "crew").unwrap();
        let rowid = store.user("a").unwrap().rowid;
        let counts = || {
            let statement = store.conn.prepare_cached(USER_GROUPS).unwrap();
            use rusqlite::StatementStatus::{RePrepare, Run};
            (statement.get_status(Run), statement.get_status(RePrepare))
        };
        let (runs_before, replans_before) = counts();
        for _ in 0..5 {
            assert_eq!(store.user_by_rowid(rowid).unwrap().unwrap().groups, ["crew"]);
        }
        let (runs, replans) = counts();
        assert_eq!(runs - runs_before, 5);
        assert_eq!(replans - replans_before, 0, "re-planned on every run");
    }

    fn policy_on() -> Policy {
        Policy { enabled: true, use_for_sign_in: true, target_all: true, target_groups: vec![] }
    }

    #[test]
    fn a_number_belongs_to_one_user_across_kinds() {
        let store = Store::in_memory().unwrap();
        store.add_user("a", "A", &[]).unwrap();
        store.add_user("b", "B", &[]).unwrap();
        store.set_phone("a", PhoneKind::Mobile, "+12065550100").unwrap();
        assert!(matches!(store.set_phone("b", PhoneKind::Mobile, "+12065550100"), Err(StoreError::PhoneTaken)));
        assert!(matches!(store.set_phone("b", PhoneKind::Other, "+12065550100"), Err(StoreError::PhoneTaken)));
        store.set_phone("a", PhoneKind::AlternateMobile, "+12065550100").unwrap();
        assert_eq!(store.phones("a").unwrap(), vec![(PhoneKind::AlternateMobile, "+12065550100".to_string())]);
    }

    #[test]
    fn only_the_mobile_phone_signs_in() {
        let mut store = Store::in_memory().unwrap();
        store.set_policy(&policy_on()).unwrap();
        store.add_user("a", "A", &[]).unwrap();
        store.set_phone("a", PhoneKind::AlternateMobile, "+12065550100").unwrap();
        assert!(store.sms_sign_in_user("+12065550100").unwrap().is_none());
        store.set_phone("a", PhoneKind::Mobile, "+12065550100").unwrap();
        assert_eq!(store.sms_sign_in_user("+12065550100").unwrap().unwrap().username, "a");
    }

    #[test]
    fn reasons_come_in_the_troubleshooting_order() {
        let mut store = Store::in_memory().unwrap();
        store.add_group("tills").unwrap();
        let user = store.add_user("a", "A", &[]).unwrap();
        store.set_enabled("a", false, 0).unwrap();
        let user = store.user(&user.username).unwrap();
        let policy =
            Policy { enabled: false, use_for_sign_in: false, target_all: false, target_groups: vec!["tills".into()] };
        store.set_policy(&policy).unwrap();
        let check = store.sign_in_check(&user, &store.policy().unwrap()).unwrap();
        assert_eq!(
            check.reasons,
            vec![
                NotEnabled::PolicyDisabled,
                NotEnabled::NotForSignIn,
                NotEnabled::NotTargeted,
                NotEnabled::NoMobile,
                NotEnabled::UserDisabled
            ]
        );
        store.add_to_group("a", "tills").unwrap();
        store.set_phone("a", PhoneKind::Mobile, "+12065550100").unwrap();
        store.set_enabled("a", true, 0).unwrap();
        store.set_policy(&Policy { enabled: true, use_for_sign_in: true, ..policy }).unwrap();
        let check = store.sign_in_check(&store.user("a").unwrap(), &store.policy().unwrap()).unwrap();
        assert!(check.enabled, "{check:?}");
    }

    #[test]
    fn duplicate_username_and_group_are_refused() {
        let store = Store::in_memory().unwrap();
        store.add_user("a", "A", &[]).unwrap();
        assert!(matches!(store.add_user("a", "A2", &[]), Err(StoreError::UserExists(_))));
        store.add_group("g").unwrap();
        assert!(matches!(store.add_group("g"), Err(StoreError::GroupExists(_))));
        assert!(matches!(store.add_to_group("a", "nope"), Err(StoreError::NoSuchGroup(_))));
    }
}

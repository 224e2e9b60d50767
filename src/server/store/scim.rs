//! The directory as SCIM sees it: users and groups by their SCIM ids, what an identity
//! provider sent beyond the directory's own columns (kept as sent, so it reads back the same),
//! group members in batches, and the tokens a provisioning service presents (hashed).
//!
//! Validation is the caller's (`server::scim`); here only uniqueness, which needs the table.

use rusqlite::{OptionalExtension, params, params_from_iter};
use serde_json::Value;

use super::{PhoneKind, Store, StoreError, User};

/// A phone number as stored, with what SCIM sent for it (absent for numbers set by `admin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimPhone {
    pub kind: PhoneKind,
    pub e164: String,
    pub scim_type: Option<String>,
    pub as_sent: Option<String>,
    pub primary: Option<bool>,
    pub display: Option<String>,
}

/// A number to store for a user: validated, in E.164, with its SCIM form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhone {
    pub kind: PhoneKind,
    pub e164: String,
    pub scim_type: String,
    pub as_sent: String,
    pub primary: Option<bool>,
    pub display: Option<String>,
}

/// A user with everything a SCIM representation needs.
#[derive(Debug, Clone)]
pub struct ScimUserRow {
    pub user: User,
    pub scim_id: String,
    pub external_id: Option<String>,
    /// What SCIM sent beyond the columns (`displayName`, `name`, `emails`, `roles`, whether
    /// `active` was asserted); `None` for a user only `admin` ever wrote.
    pub doc: Option<Value>,
    pub created_at: i64,
    pub modified_at: i64,
    pub phones: Vec<ScimPhone>,
    /// (SCIM id, name) of each group the user is in.
    pub groups: Vec<(String, String)>,
}

/// A user as SCIM writes it: the directory's columns and the document beside them.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub username: String,
    pub display_name: String,
    pub enabled: bool,
    pub roles: Vec<String>,
    pub external_id: Option<String>,
    pub work_email: Option<String>,
    pub doc: Value,
    pub phones: Vec<NewPhone>,
}

/// A group with what a SCIM representation needs; `members` (user SCIM ids) only when asked.
#[derive(Debug, Clone)]
pub struct ScimGroupRow {
    pub rowid: i64,
    pub scim_id: String,
    pub name: String,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub modified_at: i64,
    pub members: Option<Vec<String>>,
}

/// A group as SCIM writes it; `members: None` leaves the members as they are.
#[derive(Debug, Clone)]
pub struct GroupRecord {
    pub name: String,
    pub external_id: Option<String>,
    pub members: Option<Vec<String>>,
}

/// One equality a SCIM filter can ask for (all of a filter's terms must hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserTerm {
    Id(String),
    /// `userName` for users, `displayName` for groups: compared without case.
    Name(String),
    ExternalId(String),
    /// `emails[type eq "work"].value`, compared without case.
    WorkEmail(String),
}

impl UserTerm {
    fn condition(&self, name_column: &str) -> (String, &str) {
        match self {
            UserTerm::Id(v) => ("scim_id = ?".into(), v),
            UserTerm::Name(v) => (format!("{name_column} = ? COLLATE NOCASE"), v),
            UserTerm::ExternalId(v) => ("external_id = ?".into(), v),
            UserTerm::WorkEmail(v) => ("work_email = ? COLLATE NOCASE".into(), v),
        }
    }
}

fn where_clause<'a>(terms: &'a [UserTerm], name_column: &str) -> (String, Vec<&'a str>) {
    if terms.is_empty() {
        return (String::new(), Vec::new());
    }
    let (conditions, values): (Vec<String>, Vec<&str>) = terms.iter().map(|t| t.condition(name_column)).unzip();
    (format!("WHERE {}", conditions.join(" AND ")), values)
}

impl Store {
    /// The row id of the user with this SCIM id.
    pub fn scim_user_rowid(&self, scim_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.query_row("SELECT id FROM users WHERE scim_id = ?1", [scim_id], |r| r.get(0)).optional()?)
    }

    pub fn scim_user(&self, rowid: i64) -> Result<Option<ScimUserRow>, StoreError> {
        let row = self
            .query_row(
                "SELECT id, username, display_name, enabled, roles, scim_id, external_id, scim_doc, created_at,
                        modified_at
                 FROM users WHERE id = ?1",
                [rowid],
                |r| {
                    let roles: String = r.get(4)?;
                    let doc: Option<String> = r.get(7)?;
                    Ok(ScimUserRow {
                        user: User {
                            rowid: r.get(0)?,
                            username: r.get(1)?,
                            display_name: r.get(2)?,
                            enabled: r.get(3)?,
                            roles: serde_json::from_str(&roles).unwrap_or_default(),
                            groups: Vec::new(),
                        },
                        scim_id: r.get(5)?,
                        external_id: r.get(6)?,
                        doc: doc.and_then(|d| serde_json::from_str(&d).ok()),
                        created_at: r.get(8)?,
                        modified_at: r.get(9)?,
                        phones: Vec::new(),
                        groups: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut row) = row else { return Ok(None) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, e164, scim_type, as_sent, is_primary, display FROM phones WHERE user_id = ?1 ORDER BY kind",
        )?;
        let phones = stmt.query_map([rowid], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        for phone in phones {
            let (kind, e164, scim_type, as_sent, primary, display) = phone?;
            if let Ok(kind) = kind.parse() {
                row.phones.push(ScimPhone { kind, e164, scim_type, as_sent, primary, display });
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT scim_id, name FROM groups WHERE id IN (SELECT group_id FROM user_groups WHERE user_id = ?1)
             ORDER BY name",
        )?;
        row.groups = stmt.query_map([rowid], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        row.user.groups = row.groups.iter().map(|(_, name)| name.clone()).collect();
        Ok(Some(row))
    }

    /// Users matching every term: how many in all, and the page from `offset` (in a stable order).
    pub fn scim_users(
        &self,
        terms: &[UserTerm],
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<ScimUserRow>), StoreError> {
        let (condition, values) = where_clause(terms, "username");
        let total: i64 =
            self.query_row(&format!("SELECT COUNT(*) FROM users {condition}"), params_from_iter(values.iter()), |r| {
                r.get(0)
            })?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT id FROM users {condition} ORDER BY id LIMIT {limit} OFFSET {offset}"))?;
        let rowids: Vec<i64> =
            stmt.query_map(params_from_iter(values.iter()), |r| r.get(0))?.collect::<Result<_, _>>()?;
        let rows = rowids.into_iter().filter_map(|id| self.scim_user(id).transpose()).collect::<Result<_, _>>()?;
        Ok((total as usize, rows))
    }

    fn username_taken(&self, username: &str, except: i64) -> Result<bool, StoreError> {
        let owner: Option<i64> = self
            .query_row(
                "SELECT id FROM users WHERE username = ?1 COLLATE NOCASE AND id != ?2",
                params![username, except],
                |r| r.get(0),
            )
            .optional()?;
        Ok(owner.is_some())
    }

    /// Creates a user from SCIM; returns the row id. Run it in a transaction: a refused
    /// number leaves nothing behind.
    pub fn scim_create_user(&self, record: &UserRecord, now: i64) -> Result<i64, StoreError> {
        if self.username_taken(&record.username, -1)? {
            return Err(StoreError::UserExists(record.username.clone()));
        }
        let rowid: i64 = self.query_row(
            "INSERT INTO users (username, display_name, enabled, roles, scim_id, external_id, work_email, scim_doc,
                                created_at, modified_at)
             VALUES (?1, ?2, ?3, ?4, lower(hex(randomblob(16))), ?5, ?6, ?7, ?8, ?8) RETURNING id",
            params![
                record.username,
                record.display_name,
                record.enabled,
                serde_json::to_string(&record.roles).expect("strings serialize"),
                record.external_id,
                record.work_email,
                record.doc.to_string(),
                now
            ],
            |r| r.get(0),
        )?;
        self.scim_insert_phones(rowid, &record.phones)?;
        Ok(rowid)
    }

    /// Replaces a user's SCIM-managed state. Disabling ends their tokens at once.
    pub fn scim_replace_user(&self, rowid: i64, record: &UserRecord, now: i64) -> Result<(), StoreError> {
        if self.username_taken(&record.username, rowid)? {
            return Err(StoreError::UserExists(record.username.clone()));
        }
        self.execute(
            "UPDATE users SET username = ?2, display_name = ?3, enabled = ?4, roles = ?5, external_id = ?6,
                              work_email = ?7, scim_doc = ?8, modified_at = ?9
             WHERE id = ?1",
            params![
                rowid,
                record.username,
                record.display_name,
                record.enabled,
                serde_json::to_string(&record.roles).expect("strings serialize"),
                record.external_id,
                record.work_email,
                record.doc.to_string(),
                now
            ],
        )?;
        if !record.enabled {
            self.revoke_user_tokens(rowid, now)?;
        }
        self.execute("DELETE FROM phones WHERE user_id = ?1", [rowid])?;
        self.scim_insert_phones(rowid, &record.phones)
    }

    fn scim_insert_phones(&self, rowid: i64, phones: &[NewPhone]) -> Result<(), StoreError> {
        for phone in phones {
            let owner: Option<i64> =
                self.query_row("SELECT user_id FROM phones WHERE e164 = ?1", [&phone.e164], |r| r.get(0)).optional()?;
            if owner.is_some() {
                return Err(StoreError::PhoneTaken);
            }
            self.execute(
                "INSERT INTO phones (user_id, kind, e164, scim_type, as_sent, is_primary, display)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    rowid,
                    phone.kind.as_str(),
                    phone.e164,
                    phone.scim_type,
                    phone.as_sent,
                    phone.primary,
                    phone.display
                ],
            )?;
        }
        Ok(())
    }

    /// Deletes a user by row id; their tokens end with them.
    pub fn scim_delete_user(&self, rowid: i64) -> Result<(), StoreError> {
        self.delete_user_rowid(rowid)
    }

    pub fn scim_group_rowid(&self, scim_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.query_row("SELECT id FROM groups WHERE scim_id = ?1", [scim_id], |r| r.get(0)).optional()?)
    }

    pub fn scim_group(&self, rowid: i64, with_members: bool) -> Result<Option<ScimGroupRow>, StoreError> {
        let row = self
            .query_row(
                "SELECT id, scim_id, name, external_id, created_at, modified_at FROM groups WHERE id = ?1",
                [rowid],
                |r| {
                    Ok(ScimGroupRow {
                        rowid: r.get(0)?,
                        scim_id: r.get(1)?,
                        name: r.get(2)?,
                        external_id: r.get(3)?,
                        created_at: r.get(4)?,
                        modified_at: r.get(5)?,
                        members: None,
                    })
                },
            )
            .optional()?;
        let Some(mut row) = row else { return Ok(None) };
        if with_members {
            let mut stmt = self.conn.prepare_cached(
                "SELECT scim_id FROM users WHERE id IN (SELECT user_id FROM user_groups WHERE group_id = ?1) ORDER BY id",
            )?;
            row.members = Some(stmt.query_map([rowid], |r| r.get(0))?.collect::<Result<_, _>>()?);
        }
        Ok(Some(row))
    }

    pub fn scim_groups(
        &self,
        terms: &[UserTerm],
        offset: usize,
        limit: usize,
        with_members: bool,
    ) -> Result<(usize, Vec<ScimGroupRow>), StoreError> {
        let (condition, values) = where_clause(terms, "name");
        let total: i64 = self.query_row(
            &format!("SELECT COUNT(*) FROM groups {condition}"),
            params_from_iter(values.iter()),
            |r| r.get(0),
        )?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT id FROM groups {condition} ORDER BY id LIMIT {limit} OFFSET {offset}"))?;
        let rowids: Vec<i64> =
            stmt.query_map(params_from_iter(values.iter()), |r| r.get(0))?.collect::<Result<_, _>>()?;
        let rows = rowids
            .into_iter()
            .filter_map(|id| self.scim_group(id, with_members).transpose())
            .collect::<Result<_, _>>()?;
        Ok((total as usize, rows))
    }

    pub fn scim_create_group(&self, record: &GroupRecord, now: i64) -> Result<i64, StoreError> {
        let rowid = self.insert_group(&record.name, record.external_id.as_deref(), now)?;
        if let Some(members) = &record.members {
            self.scim_add_members(rowid, members, now)?;
        }
        Ok(rowid)
    }

    pub fn scim_replace_group(&self, rowid: i64, record: &GroupRecord, now: i64) -> Result<(), StoreError> {
        let taken: Option<i64> = self
            .query_row(
                "SELECT id FROM groups WHERE name = ?1 COLLATE NOCASE AND id != ?2",
                params![record.name, rowid],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(StoreError::GroupExists(record.name.clone()));
        }
        self.execute(
            "UPDATE groups SET name = ?2, external_id = ?3, modified_at = ?4 WHERE id = ?1",
            params![rowid, record.name, record.external_id, now],
        )?;
        if let Some(members) = &record.members {
            self.execute("DELETE FROM user_groups WHERE group_id = ?1", [rowid])?;
            self.scim_add_members(rowid, members, now)?;
        }
        Ok(())
    }

    /// Adds users (by SCIM id) to a group; an unknown id refuses the whole batch.
    pub fn scim_add_members(&self, group: i64, members: &[String], now: i64) -> Result<(), StoreError> {
        for member in members {
            let user = self.scim_user_rowid(member)?.ok_or_else(|| StoreError::NoSuchMember(member.clone()))?;
            self.execute(
                "INSERT INTO user_groups (user_id, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![user, group],
            )?;
        }
        self.touch_group(group, now)
    }

    /// Removes users (by SCIM id) from a group; ids that aren't members are no error.
    pub fn scim_remove_members(&self, group: i64, members: &[String], now: i64) -> Result<(), StoreError> {
        for member in members {
            self.execute(
                "DELETE FROM user_groups WHERE group_id = ?1 AND user_id = (SELECT id FROM users WHERE scim_id = ?2)",
                params![group, member],
            )?;
        }
        self.touch_group(group, now)
    }

    pub fn scim_clear_members(&self, group: i64, now: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM user_groups WHERE group_id = ?1", [group])?;
        self.touch_group(group, now)
    }

    fn touch_group(&self, group: i64, now: i64) -> Result<(), StoreError> {
        self.execute("UPDATE groups SET modified_at = ?2 WHERE id = ?1", params![group, now])?;
        Ok(())
    }

    pub fn scim_delete_group(&self, rowid: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM groups WHERE id = ?1", [rowid])?;
        Ok(())
    }

    /// Stores a new SCIM token's hash under a name.
    pub fn scim_token_create(&self, name: &str, hash: &[u8], now: i64) -> Result<(), StoreError> {
        let inserted = self.execute(
            "INSERT INTO scim_tokens (name, hash, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
            params![name, hash, now],
        )?;
        if inserted == 0 {
            return Err(StoreError::TokenExists(name.into()));
        }
        Ok(())
    }

    /// The SCIM tokens as (name, created at), oldest first.
    pub fn scim_tokens(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT name, created_at FROM scim_tokens ORDER BY created_at, name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn scim_token_revoke(&self, name: &str) -> Result<(), StoreError> {
        if self.execute("DELETE FROM scim_tokens WHERE name = ?1", [name])? == 0 {
            return Err(StoreError::NoSuchToken(name.into()));
        }
        Ok(())
    }

    /// The name of the SCIM token with this hash, if it exists.
    pub fn scim_token_name(&self, hash: &[u8]) -> Result<Option<String>, StoreError> {
        Ok(self.query_row("SELECT name FROM scim_tokens WHERE hash = ?1", [hash], |r| r.get(0)).optional()?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(username: &str, phones: Vec<NewPhone>) -> UserRecord {
        UserRecord {
            username: username.into(),
            display_name: username.into(),
            enabled: true,
            roles: vec![],
            external_id: None,
            work_email: None,
            doc: json!({}),
            phones,
        }
    }

    fn mobile(e164: &str) -> NewPhone {
        NewPhone {
            kind: PhoneKind::Mobile,
            e164: e164.into(),
            scim_type: "mobile".into(),
            as_sent: e164.into(),
            primary: None,
            display: None,
        }
    }

    #[test]
    fn user_names_are_unique_whatever_their_case() {
        let store = Store::in_memory().unwrap();
        store.scim_create_user(&record("Alex@Contoso.com", vec![]), 1).unwrap();
        let again = store.scim_create_user(&record("alex@contoso.com", vec![]), 1);
        assert!(matches!(again, Err(StoreError::UserExists(_))));
        let (total, rows) = store.scim_users(&[UserTerm::Name("ALEX@CONTOSO.COM".into())], 0, 10).unwrap();
        assert_eq!((total, rows[0].user.username.as_str()), (1, "Alex@Contoso.com"));
    }

    #[test]
    fn a_number_held_by_another_user_is_refused_and_a_deleted_user_frees_it() {
        let store = Store::in_memory().unwrap();
        let a = store.scim_create_user(&record("a", vec![mobile("+12065550100")]), 1).unwrap();
        let b = record("b", vec![mobile("+12065550100")]);
        assert!(matches!(store.atomically(|s| s.scim_create_user(&b, 1)), Err(StoreError::PhoneTaken)));
        assert_eq!(store.scim_users(&[], 0, 10).unwrap().0, 1, "the refused user left nothing behind");
        store.scim_delete_user(a).unwrap();
        store.scim_create_user(&b, 1).unwrap();
    }

    #[test]
    fn members_are_added_and_removed_by_scim_id() {
        let store = Store::in_memory().unwrap();
        let a = store.scim_create_user(&record("a", vec![]), 1).unwrap();
        let a_id = store.scim_user(a).unwrap().unwrap().scim_id;
        let group = GroupRecord { name: "Contoso SMS Users".into(), external_id: None, members: None };
        let g = store.scim_create_group(&group, 1).unwrap();
        store.scim_add_members(g, std::slice::from_ref(&a_id), 2).unwrap();
        assert_eq!(store.user("a").unwrap().groups, ["Contoso SMS Users"]);
        assert!(matches!(store.scim_add_members(g, &["nope".into()], 2), Err(StoreError::NoSuchMember(_))));
        store.scim_remove_members(g, &[a_id], 3).unwrap();
        assert_eq!(store.scim_group(g, true).unwrap().unwrap().members, Some(vec![]));
    }

    #[test]
    fn tokens_are_found_by_hash_and_revoked_by_name() {
        let store = Store::in_memory().unwrap();
        store.scim_token_create("entra", b"hash", 1).unwrap();
        assert!(matches!(store.scim_token_create("entra", b"other", 1), Err(StoreError::TokenExists(_))));
        assert_eq!(store.scim_token_name(b"hash").unwrap().as_deref(), Some("entra"));
        store.scim_token_revoke("entra").unwrap();
        assert_eq!(store.scim_token_name(b"hash").unwrap(), None);
        assert!(matches!(store.scim_token_revoke("entra"), Err(StoreError::NoSuchToken(_))));
    }
}

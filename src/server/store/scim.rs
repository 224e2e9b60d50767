//! The directory as SCIM sees it: users and groups by their SCIM ids, what an identity
//! provider sent beyond the directory's own columns (kept as sent, so it reads back the same),
//! group members in batches, and the tokens a provisioning service presents (hashed).
//!
//! Validation is the caller's (`server::scim`); here only uniqueness, which needs the table.

use serde_json::Value;

use super::directory::user_of;
use super::sql::{Arg, args};
use super::{Db, PhoneKind, StoreError, User};

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
    /// The term as a condition on parameter `?n`, and the parameter's value.
    fn condition(&self, name_column: &str, n: usize) -> (String, &str) {
        match self {
            UserTerm::Id(v) => (format!("scim_id = ?{n}"), v),
            UserTerm::Name(v) => (format!("{name_column} = ?{n} COLLATE NOCASE"), v),
            UserTerm::ExternalId(v) => (format!("external_id = ?{n}"), v),
            UserTerm::WorkEmail(v) => (format!("work_email = ?{n} COLLATE NOCASE"), v),
        }
    }
}

fn where_clause<'a>(terms: &'a [UserTerm], name_column: &str) -> (String, Vec<Arg<'a>>) {
    if terms.is_empty() {
        return (String::new(), Vec::new());
    }
    let (conditions, values): (Vec<String>, Vec<Arg>) =
        terms.iter().enumerate().map(|(i, t)| t.condition(name_column, i + 1)).map(|(c, v)| (c, Arg::from(v))).unzip();
    (format!("WHERE {}", conditions.join(" AND ")), values)
}

type ScimUserColumns = (i64, String, String, bool, String, String, Option<String>, Option<String>, i64, i64);
type PhoneColumns = (String, String, Option<String>, Option<String>, Option<bool>, Option<String>);
type GroupColumns = (i64, String, String, Option<String>, i64, i64);

impl Db {
    /// The row id of the user with this SCIM id.
    pub async fn scim_user_rowid(&mut self, scim_id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = self.query_opt("SELECT id FROM users WHERE scim_id = ?1", args![scim_id]).await?;
        Ok(row.map(|(id,)| id))
    }

    pub async fn scim_user(&mut self, rowid: i64) -> Result<Option<ScimUserRow>, StoreError> {
        let row: Option<ScimUserColumns> = self
            .query_opt(
                "SELECT id, username, display_name, enabled, roles, scim_id, external_id, scim_doc, created_at,
                        modified_at
                 FROM users WHERE id = ?1",
                args![rowid],
            )
            .await?;
        let Some((rowid, username, display_name, enabled, roles, scim_id, external_id, doc, created_at, modified_at)) =
            row
        else {
            return Ok(None);
        };
        let mut row = ScimUserRow {
            user: user_of((rowid, username, display_name, enabled, roles)),
            scim_id,
            external_id,
            doc: doc.and_then(|d| serde_json::from_str(&d).ok()),
            created_at,
            modified_at,
            phones: Vec::new(),
            groups: Vec::new(),
        };
        let phones: Vec<PhoneColumns> = self
            .query_all(
                "SELECT kind, e164, scim_type, as_sent, is_primary, display FROM phones WHERE user_id = ?1 ORDER BY kind",
                args![rowid],
            )
            .await?;
        for (kind, e164, scim_type, as_sent, primary, display) in phones {
            if let Ok(kind) = kind.parse() {
                row.phones.push(ScimPhone { kind, e164, scim_type, as_sent, primary, display });
            }
        }
        row.groups = self
            .query_all(
                "SELECT scim_id, name FROM groups WHERE id IN (SELECT group_id FROM user_groups WHERE user_id = ?1)
                 ORDER BY name",
                args![rowid],
            )
            .await?;
        row.user.groups = row.groups.iter().map(|(_, name)| name.clone()).collect();
        Ok(Some(row))
    }

    /// Users matching every term: how many in all, and the page from `offset` (in a stable order).
    pub async fn scim_users(
        &mut self,
        terms: &[UserTerm],
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<ScimUserRow>), StoreError> {
        let (condition, values) = where_clause(terms, "username");
        let (total,): (i64,) = self.query_one(&format!("SELECT COUNT(*) FROM users {condition}"), &values).await?;
        let rowids: Vec<(i64,)> = self
            .query_all(&format!("SELECT id FROM users {condition} ORDER BY id LIMIT {limit} OFFSET {offset}"), &values)
            .await?;
        let mut rows = Vec::with_capacity(rowids.len());
        for (id,) in rowids {
            rows.extend(self.scim_user(id).await?);
        }
        Ok((total as usize, rows))
    }

    async fn username_taken(&mut self, username: &str, except: i64) -> Result<bool, StoreError> {
        let owner: Option<(i64,)> = self
            .query_opt("SELECT id FROM users WHERE username = ?1 COLLATE NOCASE AND id != ?2", args![username, except])
            .await?;
        Ok(owner.is_some())
    }

    /// Creates a user from SCIM; returns the row id. Run it in a transaction: a refused
    /// number leaves nothing behind.
    pub async fn scim_create_user(&mut self, record: &UserRecord, now: i64) -> Result<i64, StoreError> {
        if self.username_taken(&record.username, -1).await? {
            return Err(StoreError::UserExists(record.username.clone()));
        }
        let (rowid,): (i64,) = self
            .query_one(
                "INSERT INTO users (username, display_name, enabled, roles, scim_id, external_id, work_email, scim_doc,
                                    created_at, modified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) RETURNING id",
                args![
                    &record.username,
                    &record.display_name,
                    record.enabled,
                    &serde_json::to_string(&record.roles).expect("strings serialize"),
                    &super::new_scim_id(),
                    &record.external_id,
                    &record.work_email,
                    &record.doc.to_string(),
                    now
                ],
            )
            .await?;
        self.scim_insert_phones(rowid, &record.phones).await?;
        Ok(rowid)
    }

    /// Replaces a user's SCIM-managed state. Disabling ends their tokens at once.
    pub async fn scim_replace_user(&mut self, rowid: i64, record: &UserRecord, now: i64) -> Result<(), StoreError> {
        if self.username_taken(&record.username, rowid).await? {
            return Err(StoreError::UserExists(record.username.clone()));
        }
        self.execute(
            "UPDATE users SET username = ?2, display_name = ?3, enabled = ?4, roles = ?5, external_id = ?6,
                              work_email = ?7, scim_doc = ?8, modified_at = ?9
             WHERE id = ?1",
            args![
                rowid,
                &record.username,
                &record.display_name,
                record.enabled,
                &serde_json::to_string(&record.roles).expect("strings serialize"),
                &record.external_id,
                &record.work_email,
                &record.doc.to_string(),
                now
            ],
        )
        .await?;
        if !record.enabled {
            self.end_sign_ins(rowid, now).await?;
        }
        self.execute("DELETE FROM phones WHERE user_id = ?1", args![rowid]).await?;
        self.scim_insert_phones(rowid, &record.phones).await
    }

    async fn scim_insert_phones(&mut self, rowid: i64, phones: &[NewPhone]) -> Result<(), StoreError> {
        for phone in phones {
            let owner: Option<(i64,)> =
                self.query_opt("SELECT user_id FROM phones WHERE e164 = ?1", args![&phone.e164]).await?;
            if owner.is_some() {
                return Err(StoreError::PhoneTaken);
            }
            self.execute(
                "INSERT INTO phones (user_id, kind, e164, scim_type, as_sent, is_primary, display)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![
                    rowid,
                    phone.kind.as_str(),
                    &phone.e164,
                    &phone.scim_type,
                    &phone.as_sent,
                    phone.primary,
                    &phone.display
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Deletes a user by row id; their tokens end with them.
    pub async fn scim_delete_user(&mut self, rowid: i64) -> Result<(), StoreError> {
        self.delete_user_rowid(rowid).await
    }

    pub async fn scim_group_rowid(&mut self, scim_id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = self.query_opt("SELECT id FROM groups WHERE scim_id = ?1", args![scim_id]).await?;
        Ok(row.map(|(id,)| id))
    }

    pub async fn scim_group(&mut self, rowid: i64, with_members: bool) -> Result<Option<ScimGroupRow>, StoreError> {
        let row: Option<GroupColumns> = self
            .query_opt(
                "SELECT id, scim_id, name, external_id, created_at, modified_at FROM groups WHERE id = ?1",
                args![rowid],
            )
            .await?;
        let Some((rowid, scim_id, name, external_id, created_at, modified_at)) = row else { return Ok(None) };
        let mut row = ScimGroupRow { rowid, scim_id, name, external_id, created_at, modified_at, members: None };
        if with_members {
            let members: Vec<(String,)> = self
                .query_all(
                    "SELECT scim_id FROM users WHERE id IN (SELECT user_id FROM user_groups WHERE group_id = ?1)
                     ORDER BY id",
                    args![rowid],
                )
                .await?;
            row.members = Some(members.into_iter().map(|(id,)| id).collect());
        }
        Ok(Some(row))
    }

    pub async fn scim_groups(
        &mut self,
        terms: &[UserTerm],
        offset: usize,
        limit: usize,
        with_members: bool,
    ) -> Result<(usize, Vec<ScimGroupRow>), StoreError> {
        let (condition, values) = where_clause(terms, "name");
        let (total,): (i64,) = self.query_one(&format!("SELECT COUNT(*) FROM groups {condition}"), &values).await?;
        let rowids: Vec<(i64,)> = self
            .query_all(&format!("SELECT id FROM groups {condition} ORDER BY id LIMIT {limit} OFFSET {offset}"), &values)
            .await?;
        let mut rows = Vec::with_capacity(rowids.len());
        for (id,) in rowids {
            rows.extend(self.scim_group(id, with_members).await?);
        }
        Ok((total as usize, rows))
    }

    pub async fn scim_create_group(&mut self, record: &GroupRecord, now: i64) -> Result<i64, StoreError> {
        let rowid = self.insert_group(&record.name, record.external_id.as_deref(), now).await?;
        if let Some(members) = &record.members {
            self.scim_add_members(rowid, members, now).await?;
        }
        Ok(rowid)
    }

    pub async fn scim_replace_group(&mut self, rowid: i64, record: &GroupRecord, now: i64) -> Result<(), StoreError> {
        let taken: Option<(i64,)> = self
            .query_opt("SELECT id FROM groups WHERE name = ?1 COLLATE NOCASE AND id != ?2", args![&record.name, rowid])
            .await?;
        if taken.is_some() {
            return Err(StoreError::GroupExists(record.name.clone()));
        }
        self.execute(
            "UPDATE groups SET name = ?2, external_id = ?3, modified_at = ?4 WHERE id = ?1",
            args![rowid, &record.name, &record.external_id, now],
        )
        .await?;
        if let Some(members) = &record.members {
            self.execute("DELETE FROM user_groups WHERE group_id = ?1", args![rowid]).await?;
            self.scim_add_members(rowid, members, now).await?;
        }
        Ok(())
    }

    /// Adds users (by SCIM id) to a group; an unknown id refuses the whole batch.
    pub async fn scim_add_members(&mut self, group: i64, members: &[String], now: i64) -> Result<(), StoreError> {
        for member in members {
            let user = self.scim_user_rowid(member).await?.ok_or_else(|| StoreError::NoSuchMember(member.clone()))?;
            self.execute(
                "INSERT INTO user_groups (user_id, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                args![user, group],
            )
            .await?;
        }
        self.touch_group(group, now).await
    }

    /// Removes users (by SCIM id) from a group; ids that aren't members are no error.
    pub async fn scim_remove_members(&mut self, group: i64, members: &[String], now: i64) -> Result<(), StoreError> {
        for member in members {
            self.execute(
                "DELETE FROM user_groups WHERE group_id = ?1 AND user_id = (SELECT id FROM users WHERE scim_id = ?2)",
                args![group, member],
            )
            .await?;
        }
        self.touch_group(group, now).await
    }

    pub async fn scim_clear_members(&mut self, group: i64, now: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM user_groups WHERE group_id = ?1", args![group]).await?;
        self.touch_group(group, now).await
    }

    async fn touch_group(&mut self, group: i64, now: i64) -> Result<(), StoreError> {
        self.execute("UPDATE groups SET modified_at = ?2 WHERE id = ?1", args![group, now]).await?;
        Ok(())
    }

    pub async fn scim_delete_group(&mut self, rowid: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM groups WHERE id = ?1", args![rowid]).await?;
        Ok(())
    }

    /// Stores a new SCIM token's hash under a name.
    pub async fn scim_token_create(&mut self, name: &str, hash: &[u8], now: i64) -> Result<(), StoreError> {
        let inserted = self
            .execute(
                "INSERT INTO scim_tokens (name, hash, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
                args![name, hash, now],
            )
            .await?;
        if inserted == 0 {
            return Err(StoreError::TokenExists(name.into()));
        }
        Ok(())
    }

    /// The SCIM tokens as (name, created at), oldest first.
    pub async fn scim_tokens(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        self.query_all("SELECT name, created_at FROM scim_tokens ORDER BY created_at, name", &[]).await
    }

    pub async fn scim_token_revoke(&mut self, name: &str) -> Result<(), StoreError> {
        if self.execute("DELETE FROM scim_tokens WHERE name = ?1", args![name]).await? == 0 {
            return Err(StoreError::NoSuchToken(name.into()));
        }
        Ok(())
    }

    /// The name of the SCIM token with this hash, if it exists.
    pub async fn scim_token_name(&mut self, hash: &[u8]) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            self.query_opt("SELECT name FROM scim_tokens WHERE hash = ?1", args![hash]).await?;
        Ok(row.map(|(name,)| name))
    }
}

//! Loading a directory (policy, users, numbers) from TOML: the demo's people.

use serde::Deserialize;

use super::store::{PhoneKind, Policy, Store, StoreError};
use crate::phone::PhoneNumber;

/// The demo directory shipped in `assets/`.
pub const DEMO_DIRECTORY: &str = include_str!("../../assets/demo-directory.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Directory {
    policy: DirectoryPolicy,
    #[serde(default)]
    user: Vec<DirectoryUser>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryPolicy {
    enabled: bool,
    use_for_sign_in: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryUser {
    pub username: String,
    pub display_name: String,
    pub mobile: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("directory file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("user {user}: {reason}")]
    BadPhone { user: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The users of a directory file, without loading them anywhere.
pub fn users(text: &str) -> Result<Vec<DirectoryUser>, DirectoryError> {
    Ok(toml::from_str::<Directory>(text)?.user)
}

/// Loads a directory file into a store, all of it or (on an error) nothing.
pub async fn load(store: &Store, text: &str) -> Result<(), DirectoryError> {
    let directory: Directory = toml::from_str(text)?;
    let mut db = store.transaction().await?;
    db.set_policy(&Policy {
        enabled: directory.policy.enabled,
        use_for_sign_in: directory.policy.use_for_sign_in,
        target_all: true,
        target_groups: Vec::new(),
    })
    .await?;
    for user in &directory.user {
        let phone = PhoneNumber::parse_international(&user.mobile)
            .map_err(|e| DirectoryError::BadPhone { user: user.username.clone(), reason: e.to_string() })?;
        db.add_user(&user.username, &user.display_name, &user.roles).await?;
        db.set_phone(&user.username, PhoneKind::Mobile, phone.e164()).await?;
    }
    Ok(db.commit().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn demo_directory_has_two_workers_and_one_manager() {
        let store = Store::in_memory().unwrap();
        load(&store, DEMO_DIRECTORY).await.unwrap();
        let mut db = store.connection().await.unwrap();
        let users = db.users().await.unwrap();
        assert_eq!(users.len(), 3);
        let managers: Vec<_> = users.iter().filter(|u| u.roles.iter().any(|r| r == "kiosk-manager")).collect();
        assert_eq!(managers.len(), 1);
        for user in &users {
            let phones = db.phones(&user.username).await.unwrap();
            assert!(phones[0].1.starts_with("+120655501"), "{phones:?}");
            assert!(db.sms_sign_in_user(&phones[0].1).await.unwrap().is_some());
        }
    }
}

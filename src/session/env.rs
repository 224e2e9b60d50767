//! The session's environment, built from an allow-list: nothing else of the kiosk's leaks in.

use std::ffi::OsString;
use std::path::Path;

/// Variables copied from the kiosk's own environment when set.
fn inherited(name: &str) -> bool {
    name == "TERM" || name == "LANG" || name == "LANGUAGE" || name.starts_with("LC_")
}

/// What the session is told about itself.
pub struct SessionIdentity<'a> {
    pub dir: &'a Path,
    pub token_file: &'a Path,
    pub user_id: &'a str,
    pub user_name: &'a str,
    pub path: &'a str,
}

/// The complete environment of a session.
pub fn session_env(
    identity: &SessionIdentity<'_>,
    kiosk_env: impl Iterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = kiosk_env.filter(|(k, _)| k.to_str().is_some_and(inherited)).collect();
    if !env.iter().any(|(k, _)| k == "TERM") {
        env.push(("TERM".into(), "xterm-256color".into()));
    }
    let dir = identity.dir.as_os_str().to_owned();
    env.extend([
        ("PATH".into(), identity.path.into()),
        ("HOME".into(), dir.clone()),
        ("TMPDIR".into(), dir.clone()),
        ("SHIFTKEY_SESSION_DIR".into(), dir),
        ("SHIFTKEY_TOKEN_FILE".into(), identity.token_file.as_os_str().to_owned()),
        ("SHIFTKEY_USER_ID".into(), identity.user_id.into()),
        ("SHIFTKEY_USER_NAME".into(), identity.user_name.into()),
    ]);
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_variables_pass() {
        let kiosk = vec![
            ("TERM".into(), "screen".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "x".into()),
            ("PATH".into(), "/evil".into()),
            ("HOME".into(), "/root".into()),
        ];
        let identity = SessionIdentity {
            dir: Path::new("/run/s"),
            token_file: Path::new("/run/s/t"),
            user_id: "alex",
            user_name: "Alex",
            path: "/usr/bin:/bin",
        };
        let env = session_env(&identity, kiosk.into_iter());
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.to_str().unwrap().to_string());
        assert_eq!(get("TERM").as_deref(), Some("screen"));
        assert_eq!(get("LC_ALL").as_deref(), Some("C.UTF-8"));
        assert_eq!(get("AWS_SECRET_ACCESS_KEY"), None);
        assert_eq!(get("PATH").as_deref(), Some("/usr/bin:/bin"));
        assert_eq!(get("HOME").as_deref(), Some("/run/s"));
        assert_eq!(get("SHIFTKEY_TOKEN_FILE").as_deref(), Some("/run/s/t"));
        assert_eq!(env.iter().filter(|(n, _)| n == "HOME").count(), 1);
    }
}

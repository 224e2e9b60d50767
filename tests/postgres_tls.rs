//! Connecting to PostgreSQL as a deployment does: over TCP with a password, TLS as the URL's
//! `sslmode` says (libpq's meanings), and `admin --db URL` with the password from PGPASSWORD.
//! A cluster of the test's own, with a certificate made here by a CA made here.

mod common;

use std::path::Path;
use std::process::Command;

use common::postgres::Cluster;
use common::{BIN, needs};
use secrecy::SecretString;
use shiftkey::config::Database;
use shiftkey::server::store::{Store, StoreError};

const PASSWORD: &str = "correct horse battery staple";

/// A CA and a certificate it signed for localhost and 127.0.0.1, as PEM files in `dir`.
fn certificates(dir: &Path, name: &str) {
    let run = |args: &[&str]| {
        let output = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    let (ca, ca_key) = (format!("{name}-ca.pem"), format!("{name}-ca.key"));
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test CA",
        "-keyout",
        &ca_key,
        "-out",
        &ca,
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName = DNS:localhost, IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
}

#[tokio::test]
async fn tls_and_passwords_are_honoured_as_libpq_does() {
    if !needs::requires(&[needs::POSTGRES, needs::Need::Tool { program: "openssl", package: "openssl" }]) {
        return;
    }
    let cluster = Cluster::start(false);
    // The server's certificate and key, owned by whoever runs the cluster (it wants 0600).
    certificates(&cluster.dir, "good");
    let other = tempfile::tempdir().unwrap();
    certificates(other.path(), "other");
    let owner = std::fs::metadata(cluster.dir.join("data")).map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap();
    for file in ["server.key", "server.pem"] {
        let path = cluster.dir.join(file);
        nix::unistd::chown(&path, Some(nix::unistd::Uid::from_raw(owner)), None).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    let dir = cluster.dir.display();
    for setting in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{dir}/server.pem'"),
        format!("ALTER SYSTEM SET ssl_key_file = '{dir}/server.key'"),
        "ALTER SYSTEM SET ssl = on".into(),
        format!("ALTER ROLE postgres PASSWORD '{PASSWORD}'"),
    ] {
        cluster.psql("postgres", &setting);
    }
    cluster.psql("postgres", "SELECT pg_reload_conf()");
    let name = common::postgres::database_of(&cluster.new_database()).to_string();
    let tcp = |query: &str| format!("postgres://postgres@127.0.0.1:{}/{name}?{query}", cluster.port);
    let password = SecretString::from(PASSWORD);
    let open = |query: String, password: Option<SecretString>| async move {
        Store::open(&query.parse::<Database>().unwrap(), password.as_ref()).await.map(|_| ())
    };
    let good_ca = cluster.dir.join("good-ca.pem").display().to_string();
    let other_ca = other.path().join("other-ca.pem").display().to_string();

    open(tcp(&format!("sslmode=verify-full&sslrootcert={good_ca}")), Some(password.clone()))
        .await
        .expect("verify-full against the right CA, with db_password");
    let tls: String = cluster.psql(
        "postgres",
        "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.application_name = 'shiftkey serve'",
    );
    assert_eq!(tls.trim(), "t", "the store's connections are TLS");
    let refused = open(tcp(&format!("sslmode=verify-full&sslrootcert={other_ca}")), Some(password.clone())).await;
    assert!(refused.is_err(), "a certificate from another CA is refused under verify-full");
    let refused = open(tcp("sslmode=disable"), Some(SecretString::from("wrong"))).await;
    match refused {
        Err(StoreError::Postgres(err)) => assert!(err.to_string().contains("password"), "{err}"),
        other => panic!("a wrong password is a clear error, not {other:?}"),
    }
    open(tcp("sslmode=require"), Some(password.clone())).await.expect("require: TLS without checking the certificate");

    // admin --db takes the same URL; the password from PGPASSWORD (never in argv).
    let audit = other.path().join("admin.audit.jsonl");
    let admin = |with_password: bool| {
        let mut command = Command::new(BIN);
        command
            .args(["admin", "--db", &tcp(&format!("sslmode=verify-full&sslrootcert={good_ca}")), "--audit-log"])
            .arg(&audit)
            .args(["user", "list"])
            .env_remove("PGPASSWORD");
        if with_password {
            command.env("PGPASSWORD", PASSWORD);
        }
        command.output().unwrap()
    };
    assert!(admin(true).status.success(), "{}", String::from_utf8_lossy(&admin(true).stderr));
    let without = admin(false);
    assert!(!without.status.success());
    assert!(
        String::from_utf8_lossy(&without.stderr).contains("password"),
        "{}",
        String::from_utf8_lossy(&without.stderr)
    );
}

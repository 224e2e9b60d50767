//! A real privacyIDEA 3.14 for the tests, set up as `/work/shared/reference/privacyidea/lab.sh`
//! sets it up: the venv `scripts/test` installs (`target/privacyidea-venv`), a temp dir with
//! its config, keys, SQLite databases and a user store, gunicorn on a loopback port, and an
//! SMS gateway that is a route of this test process (so tests read the codes from it).
//!
//! Where it differs from lab.sh: an admin token from `pi-manage api createtoken` instead of an
//! admin account (it is the service token too), no explicit SMS token enrolment (the just-in-time
//! event covers `/validate/triggerchallenge` as well; registration tokens, the passes, are
//! enrolled by the tests that use them), the send cap's threshold 4, the
//! `auth_max_fail` window 12 minutes, and a second realm (`kiosk-hidden`) that hides its errors.
//!
//! One server per test binary, started by the first test that asks (about 10-20 s). It dies
//! with the tests: gunicorn leads its own process group, killed with SIGKILL at exit, and gets
//! SIGINT from the kernel (`PR_SET_PDEATHSIG`) if the tests die without exiting. Without the
//! venv a test skips (fails under CI=true) through `common::needs`.

use std::collections::HashSet;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::idp::FakeServer;
use crate::common::needs::{self, Need};

/// Where `scripts/test` installs privacyIDEA: `<target dir>/privacyidea-venv`.
pub fn venv() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target/tmp has a parent").join("privacyidea-venv")
}

static PI_MANAGE: LazyLock<String> = LazyLock::new(|| venv().join("bin/pi-manage").display().to_string());

/// A user of the lab's user store: the login name is the number.
pub struct Worker {
    pub id: u32,
    /// As typed at the kiosk (default region US).
    pub typed: &'static str,
    pub e164: &'static str,
    pub given: &'static str,
    pub surname: &'static str,
    pub role: &'static str,
}

impl Worker {
    pub fn name(&self) -> String {
        format!("{} {}", self.given, self.surname)
    }
}

macro_rules! workers {
    ($($name:ident = $id:literal, $last:literal, $given:literal, $surname:literal, $role:literal;)*) => {
        $(pub const $name: Worker = Worker {
            id: $id,
            typed: concat!("206555", $last),
            e164: concat!("+1206555", $last),
            given: $given,
            surname: $surname,
            role: $role,
        };)*
        pub const WORKERS: &[Worker] = &[$($name),*];
    };
}

// One worker per test: privacyIDEA's limits (send cap, fail counter) are per user.
workers! {
    ALEX = 1, "0101", "Alex", "Rivera-Núñez", "cashier";
    SAM = 2, "0102", "Sam", "Okafor", "cashier";
    CHLOE = 3, "0103", "Chloe", "Diallo", "cashier";
    BINH = 4, "0104", "Binh", "Nguyen", "cashier";
    DANA = 5, "0105", "Dana", "Kim", "cashier";
    ELI = 6, "0106", "Eli", "Cohen", "cashier";
    FARAH = 7, "0107", "Farah", "Haddad", "cashier";
    JORDAN = 9, "0109", "Jordan", "Lee", "cashier, kiosk-manager";
    GUS = 10, "0110", "Gus", "Petrov", "cashier";
    HANA = 11, "0111", "Hana", "Sato", "cashier";
    IVAN = 12, "0112", "Ivan", "Horvat", "cashier";
    JIN = 13, "0113", "Jin", "Park", "cashier";
    KAI = 14, "0114", "Kai", "Lund", "cashier";
    LENA = 15, "0115", "Lena", "Berg", "cashier";
    MO = 16, "0116", "Mo", "Farouk", "cashier";
}

/// A number no user store has.
pub const NOBODY_TYPED: &str = "2065550166";
pub const NOBODY: &str = "+12065550166";

/// One text the gateway was given.
#[derive(Debug, Clone)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

#[derive(Clone, Default)]
struct Gateway {
    sent: Arc<Mutex<Vec<Sms>>>,
    /// Numbers it refuses to text (a gateway that is down for them).
    refused: Arc<Mutex<HashSet<String>>>,
}

/// How long the set-up took.
#[derive(Debug, Clone, Copy)]
struct Timings {
    /// The four `pi-manage` calls (run side by side): keys, tables, an admin token.
    init: Duration,
    /// gunicorn started to `/healthz/` answering 200.
    serve: Duration,
    /// The REST calls that configure it (resolver, realm, gateway, policies, event).
    configure: Duration,
    total: Duration,
}

pub struct Lab {
    pub url: String,
    /// The server's public audit key (`PI_AUDIT_KEY_PUBLIC`).
    pub public_key: PathBuf,
    /// An RSA public key that is not the server's.
    pub other_key: PathBuf,
    /// A file holding a service token (`pi-manage api createtoken -r admin`).
    pub service_token: PathBuf,
    admin_token: String,
    gateway: Gateway,
    _gateway_server: FakeServer,
    /// Held for reading while a test asks for a code, and for writing by the one test that
    /// shortens the code lifetime (`sms.providerTimeout` is global): no other test's code
    /// gets the short lifetime.
    pub lifetime: tokio::sync::RwLock<()>,
}

/// gunicorn's process group, for the exit handler.
static GUNICORN_GROUP: AtomicI32 = AtomicI32::new(0);
static LAB_DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn stop_at_exit() {
    let group = GUNICORN_GROUP.load(Ordering::SeqCst);
    if group > 0 {
        // SAFETY: signals a process group this process made; nothing else is touched.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
    if let Some(dir) = LAB_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The lab, started on first use; None when the venv is missing (the test is then skipped,
/// or fails under CI=true).
pub fn lab() -> Option<&'static Lab> {
    let need = Need::Tool {
        program: PI_MANAGE.as_str(),
        package: "python3-venv; then scripts/test installs privacyidea==3.14 into target/privacyidea-venv",
    };
    if !needs::requires(&[need]) {
        return None;
    }
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    // On a thread of its own: the set-up runs its own runtime, and the test's may be current.
    let lab =
        LAB.get_or_init(|| std::thread::spawn(Lab::start).join().unwrap_or_else(|_| Err("set-up panicked".into())));
    match lab {
        Ok(lab) => Some(lab),
        Err(why) => panic!("the privacyIDEA lab didn't start: {why}"),
    }
}

fn run(command: &mut Command, what: &str) -> Result<Child, String> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("{what}: {e}"))
}

fn finish(child: Child, what: &str) -> Result<String, String> {
    let output = child.wait_with_output().map_err(|e| format!("{what}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{what}: {}: {}", output.status, String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn random_hex(bytes: usize) -> String {
    use rand::Rng;
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

impl Lab {
    fn start() -> Result<Lab, String> {
        let began = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("shiftkey-privacyidea-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?
            .keep();
        LAB_DIR.set(dir.clone()).expect("one lab per test binary");
        // SAFETY: registers a plain function to run at exit.
        unsafe { libc::atexit(stop_at_exit) };
        for sub in ["etc", "data", "log"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("{sub}: {e}"))?;
        }
        let gateway = Gateway::default();
        let gateway_server =
            FakeServer::start(axum::Router::new().route("/send", post(gateway_send)).with_state(gateway.clone()));

        // ---- config, keys, databases, an admin token (pi-manage, side by side) ----
        let config = dir.join("etc/pi.cfg");
        let d = dir.display();
        std::fs::write(
            &config,
            format!(
                "SQLALCHEMY_DATABASE_URI = 'sqlite:///{d}/data/privacyidea.sqlite'\n\
                 SECRET_KEY = '{}'\nPI_PEPPER = '{}'\nPI_ENCFILE = '{d}/etc/enckey'\n\
                 PI_AUDIT_KEY_PRIVATE = '{d}/etc/private.pem'\nPI_AUDIT_KEY_PUBLIC = '{d}/etc/public.pem'\n\
                 PI_AUDIT_SQL_TRUNCATE = True\nPI_LOGFILE = '{d}/log/privacyidea.log'\nPI_LOGLEVEL = 30\n",
                random_hex(32),
                random_hex(24)
            ),
        )
        .map_err(|e| format!("pi.cfg: {e}"))?;
        std::fs::write(
            dir.join("pi_wsgi.py"),
            format!(
                "from privacyidea.app import create_app\n\
                 application = create_app(config_name=\"production\", config_file=\"{}\", silent=True)\n",
                config.display()
            ),
        )
        .map_err(|e| format!("pi_wsgi.py: {e}"))?;
        write_user_store(&dir.join("data/users.sqlite"))?;
        let init = Instant::now();
        let pi_manage = |args: &[&str]| {
            let mut command = Command::new(PI_MANAGE.as_str());
            command.args(args).env("PRIVACYIDEA_CONFIGFILE", &config).current_dir(&dir);
            run(&mut command, &format!("pi-manage {}", args.join(" ")))
        };
        // A key pair that is not the server's (no database: it runs beside the rest).
        let other_key = dir.join("etc/other-public.pem");
        let mut other = Command::new(venv().join("bin/python"));
        other.arg("-c").arg(format!(
            "from cryptography.hazmat.primitives.asymmetric import rsa\n\
             from cryptography.hazmat.primitives import serialization as s\n\
             k = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()\n\
             open('{}', 'wb').write(k.public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))\n",
            other_key.display()
        ));
        let other = run(&mut other, "a second RSA key")?;
        // Every pi-manage, once the tables exist, registers this node at start: privacyIDEA's
        // create_app merges a `nodename` row, a SELECT then an INSERT. Two first registrations
        // side by side both insert (UNIQUE constraint failed: nodename.id, seen under load). So
        // the tables alone (it finds no table, registers nothing), then create_enckey alone (the
        // first registration), and only then the rest side by side: they update the row.
        finish(pi_manage(&["setup", "create_tables"])?, "pi-manage setup create_tables")?;
        // A token's nonce comes from the key file's "HSM": after create_enckey.
        finish(pi_manage(&["setup", "create_enckey"])?, "pi-manage setup create_enckey")?;
        let audit_keys = pi_manage(&["setup", "create_audit_keys"])?;
        let token = pi_manage(&["api", "createtoken", "-r", "admin", "-u", "kiosk-svc"])?;
        finish(audit_keys, "pi-manage setup create_audit_keys")?;
        finish(other, "a second RSA key")?;
        let token = finish(token, "pi-manage api createtoken")?;
        let admin_token = token
            .lines()
            .find_map(|line| line.strip_prefix("Auth-Token:"))
            .map(|t| t.trim().to_string())
            .ok_or_else(|| format!("no Auth-Token in: {token}"))?;
        let service_token = dir.join("etc/service-token");
        std::fs::write(&service_token, &admin_token).map_err(|e| format!("service token: {e}"))?;
        let init = init.elapsed();

        // ---- serve ----
        let serve = Instant::now();
        let url = serve_on_a_free_port(&dir)?;
        let serve = serve.elapsed();

        // ---- configure, as lab.sh does ----
        let configure = Instant::now();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        runtime.block_on(configure_server(&url, &admin_token, &dir, &gateway_server.url))?;
        let configure = configure.elapsed();

        let timings = Timings { init, serve, configure, total: began.elapsed() };
        // Straight to fd 2, past the harness's capture: the set-up's cost belongs in every log.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "privacyIDEA lab at {url} in {:.1} s (pi-manage {:.1} s, gunicorn to /healthz/ {:.1} s, \
                 configuration {:.1} s)\n",
                timings.total.as_secs_f64(),
                timings.init.as_secs_f64(),
                timings.serve.as_secs_f64(),
                timings.configure.as_secs_f64()
            )
            .as_bytes(),
        );
        Ok(Lab {
            url,
            public_key: dir.join("etc/public.pem"),
            other_key,
            service_token,
            admin_token,
            gateway,
            _gateway_server: gateway_server,
            lifetime: tokio::sync::RwLock::new(()),
        })
    }

    /// Texts sent to `e164` so far.
    pub fn texts_to(&self, e164: &str) -> Vec<Sms> {
        self.gateway.sent.lock().unwrap().iter().filter(|sms| sms.to == e164).cloned().collect()
    }

    /// The codes texted to `e164`, oldest first, once there are at least `count` (up to 10 s).
    pub async fn codes_for(&self, e164: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let codes: Vec<String> = self
                .texts_to(e164)
                .iter()
                .filter_map(|sms| sms.text.split_whitespace().last().map(str::to_string))
                .collect();
            if codes.len() >= count {
                return codes;
            }
            assert!(Instant::now() < deadline, "no {count}th code for {e164}; texts: {:?}", self.texts_to(e164));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The gateway refuses to text `e164` from now on.
    pub fn refuse_texts_to(&self, e164: &str) {
        self.gateway.refused.lock().unwrap().insert(e164.to_string());
    }

    /// `POST /token/init` type=registration for `e164` as the admin, as an admin issues a
    /// worker a temporary access pass: the registration code (privacyIDEA's default, 24
    /// letters and digits).
    pub async fn enroll_registration(&self, e164: &str) -> String {
        let answer = admin_call(&self.url, &self.admin_token, reqwest::Method::POST, "/token/init", |r| {
            r.form(&[("type", "registration"), ("user", e164), ("realm", "kiosk")])
        })
        .await
        .unwrap_or_else(|e| panic!("token/init registration: {e}"));
        assert_eq!(answer["result"]["status"], true, "{answer}");
        answer["detail"]["registrationcode"].as_str().expect("a registration code").to_string()
    }

    /// `POST /system/setConfig` as the admin.
    pub async fn set_config(&self, key: &str, value: &str) {
        let answer = admin_call(&self.url, &self.admin_token, reqwest::Method::POST, "/system/setConfig", |r| {
            r.form(&[(key, value)])
        })
        .await
        .unwrap_or_else(|e| panic!("setConfig {key}: {e}"));
        assert_eq!(answer["result"]["status"], true, "{answer}");
    }
}

/// The gateway route: records the text; a refused number gets a 503.
async fn gateway_send(State(gateway): State<Gateway>, Json(body): Json<Value>) -> (StatusCode, &'static str) {
    let sms = Sms {
        to: body["to"].as_str().unwrap_or_default().to_string(),
        text: body["text"].as_str().unwrap_or_default().to_string(),
    };
    let refused = gateway.refused.lock().unwrap().contains(&sms.to);
    gateway.sent.lock().unwrap().push(sms);
    if refused { (StatusCode::SERVICE_UNAVAILABLE, "FAIL") } else { (StatusCode::OK, "OK: queued") }
}

fn write_user_store(path: &Path) -> Result<(), String> {
    let db = rusqlite::Connection::open(path).map_err(|e| format!("users.sqlite: {e}"))?;
    db.execute_batch(
        "CREATE TABLE workers (id INTEGER PRIMARY KEY, login TEXT UNIQUE NOT NULL, mobile TEXT UNIQUE NOT NULL,
                               givenname TEXT, surname TEXT, email TEXT, role TEXT);",
    )
    .map_err(|e| e.to_string())?;
    for w in WORKERS {
        db.execute(
            "INSERT INTO workers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                w.id,
                w.given.to_lowercase(),
                w.e164,
                w.given,
                w.surname,
                format!("{}@example.test", w.given.to_lowercase()),
                w.role
            ],
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A port nothing listens on now (gunicorn can't take port 0): bound, read, closed.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Starts gunicorn on a free port (another one if that was taken meanwhile); its URL.
fn serve_on_a_free_port(dir: &Path) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..5 {
        let port = free_port();
        let (pid, exited) = spawn_gunicorn(dir, port)?;
        GUNICORN_GROUP.store(pid, Ordering::SeqCst);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(status) = exited.try_recv() {
                last = format!("gunicorn on port {port} exited ({status}): {}", log_tail(dir));
                break;
            }
            if healthz(port) {
                return Ok(url);
            }
            if Instant::now() > deadline {
                return Err(format!("gunicorn didn't answer /healthz/ in 90 s: {}", log_tail(dir)));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Err(last)
}

fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("log/gunicorn.log")).unwrap_or_default();
    text.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// `GET /healthz/` answers 200 (a plain socket: no runtime needed).
fn healthz(port: u16) -> bool {
    use std::io::Write;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /healthz/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.split_whitespace().nth(1) == Some("200")
}

/// Starts gunicorn from a thread that lives as long as gunicorn does: `PR_SET_PDEATHSIG`
/// fires when the *thread* that forked it ends, so not from a test's thread. Returns its pid
/// (= its process group) and a channel that says when it exited.
fn spawn_gunicorn(dir: &Path, port: u16) -> Result<(i32, std::sync::mpsc::Receiver<String>), String> {
    let log = std::fs::File::create(dir.join("log/gunicorn.log")).map_err(|e| format!("gunicorn.log: {e}"))?;
    let mut command = Command::new(venv().join("bin/gunicorn"));
    command
        .args(["--no-control-socket", "--workers", "2", "--graceful-timeout", "2", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--chdir")
        .arg(dir)
        .arg("pi_wsgi:application")
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        // Its own group: one kill reaches its workers too.
        .process_group(0);
    let parent = std::process::id() as i32;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The tests may have died between the fork and the prctl.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    let (started, pid) = std::sync::mpsc::channel();
    let (exited_tx, exited) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("gunicorn-{port}"))
        .spawn(move || match command.spawn() {
            Ok(mut child) => {
                let _ = started.send(Ok(child.id() as i32));
                let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                let _ = exited_tx.send(status);
            }
            Err(e) => {
                let _ = started.send(Err(format!("gunicorn: {e}")));
            }
        })
        .map_err(|e| e.to_string())?;
    let pid = pid.recv().map_err(|e| e.to_string())??;
    Ok((pid, exited))
}

async fn admin_call(
    url: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<Value, String> {
    let request = reqwest::Client::new().request(method, format!("{url}{path}")).header("Authorization", token);
    let response = body(request).send().await.map_err(|e| format!("{path}: {e}"))?;
    response.json::<Value>().await.map_err(|e| format!("{path}: {e}"))
}

/// The configuration of lab.sh, through the REST API.
async fn configure_server(url: &str, token: &str, dir: &Path, gateway: &str) -> Result<(), String> {
    let users = dir.join("data/users.sqlite");
    let steps: Vec<(&str, Value)> = vec![
        // The resolver: the login name is the mobile number (E.164); `role` comes back as an attribute.
        (
            "/resolver/workers_by_phone",
            json!({
                "type": "sqlresolver", "Driver": "sqlite", "Server": "", "Database": users.display().to_string(),
                "Table": "workers", "Limit": "500", "Editable": "0", "Encoding": "utf-8",
                "Map": json!({ "userid": "id", "username": "mobile", "mobile": "mobile", "givenname": "givenname",
                               "surname": "surname", "email": "email", "role": "role" }).to_string()
            }),
        ),
        ("/realm/kiosk", json!({ "resolvers": "workers_by_phone" })),
        ("/defaultrealm/kiosk", json!({})),
        // The same users in a realm that words every refusal alike (for check-config to refuse).
        ("/realm/kiosk-hidden", json!({ "resolvers": "workers_by_phone" })),
        (
            "/policy/kiosk-hidden-auth",
            json!({ "scope": "authentication", "realm": "kiosk-hidden", "active": true,
                    "action": "hide_specific_error_message" }),
        ),
        (
            "/smsgateway",
            json!({
                "name": "labgw", "module": "privacyidea.lib.smsprovider.HttpSMSProvider.HttpSMSProvider",
                "option.URL": format!("{gateway}/send"), "option.HTTP_METHOD": "POST", "option.SEND_DATA_AS_JSON": "yes",
                "option.CHECK_SSL": "yes", "option.RETURN_SUCCESS": "OK", "option.TIMEOUT": "3",
                "option.to": "{phone}", "option.text": "{otp}"
            }),
        ),
        // Codes live 120 s; 5 wrong codes lock a token, for 10 minutes.
        (
            "/system/setConfig",
            json!({ "sms.identifier": "labgw", "sms.providerTimeout": "120", "DefaultMaxFailCount": "5",
                    "failcounter_clear_timeout": "10" }),
        ),
        (
            "/policy/kiosk-auth",
            json!({ "scope": "authentication", "realm": "kiosk", "active": true,
                    "action": "otppin=none, smstext=Your shiftkey code is {otp}, \
                               sms_challenge_text=Enter the 6-digit code we sent by SMS" }),
        ),
        // auth_max_fail's window is 12 minutes here (lab.sh: 10), so the kiosk's wait shows
        // which limit refused: 720 s this one, 600 s the locked token.
        (
            "/policy/kiosk-authz",
            json!({ "scope": "authorization", "realm": "kiosk", "active": true,
                    "action": "add_user_in_response, add_resolver_in_response, auth_max_fail=8/12m" }),
        ),
        (
            "/policy/kiosk-mangle",
            json!({ "scope": "authentication", "realm": "kiosk", "active": true,
                    "action": "mangle=user/^0(1[5-7]\\d+)$/+49\\1/" }),
        ),
        // At most 4 texts per user in 5 minutes: from the 4th on, every request is turned away.
        (
            "/conditionalaccess/policy",
            json!({
                "name": "kiosk-sms-send-limit", "priority": 10, "target": "user", "count_mode": "PER_REQUEST",
                "time_window_seconds": 300, "reset_on_success": false, "enabled": true, "dry_run": false,
                "counter_types_to_track": ["CHALLENGE_TRIGGERED"],
                "stages": [{ "failure_threshold": 4, "actions": [{ "action_type": "DENY" }] }],
                "conditions": [{ "condition_type": "USER_REALM", "operator": "IN", "value": ["kiosk"] }]
            }),
        ),
        // Just-in-time enrolment: a kiosk user without a token gets an SMS token (the number is
        // read from the user store at each send), at /validate/check and /validate/triggerchallenge.
        (
            "/event",
            json!({
                "name": "kiosk-jit-sms", "event": "validate_check,validate_triggerchallenge",
                "handlermodule": "Token", "action": "enroll", "position": "pre", "active": true,
                "conditions": { "realm": "kiosk", "user_token_number": "0" },
                "option.tokentype": "sms", "option.dynamic_phone": "1", "option.user": "1"
            }),
        ),
    ];
    for (path, body) in steps {
        let answer = admin_call(url, token, reqwest::Method::POST, path, |r| r.json(&body)).await?;
        if answer["result"]["status"] != true {
            return Err(format!("{path}: {answer}"));
        }
    }
    Ok(())
}

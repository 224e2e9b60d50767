//! The `shiftkey` command line: parse, load config, dispatch. Nothing else lives here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use shiftkey::audit::AuditLog;
use shiftkey::auth::AuthBackend;
use shiftkey::config::{
    BackendConfig, BackendKind, ConfigError, ConfigFile, ConfigKind, Database, KioskConfig, ServerConfig, SmsConfig,
};
use shiftkey::control::client;
use shiftkey::control::protocol::Request;
use shiftkey::control::server::{Authorizer, ControlServer};
use shiftkey::demo;
use shiftkey::kiosk::app::{self, KioskOptions};
use shiftkey::preflight::{self, ControlAccess, KioskStart};
use shiftkey::server::clock::SystemClock;
use shiftkey::server::sms::Gateway;
use shiftkey::server::{Server, admin};
use shiftkey::session::record::StateFile;
use shiftkey::session::teardown::{TeardownContext, TeardownLimits};
use shiftkey::session::{SignOutReason, recovery};

#[derive(Parser)]
#[command(name = "shiftkey", version, about = "Phone-number sign-in kiosk for shared frontline terminals")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    kiosk: KioskArgs,
}

#[derive(clap::Args, Clone, Default)]
struct KioskArgs {
    /// Kiosk config file (else $SHIFTKEY_CONFIG, the user config dir, /etc/shiftkey/kiosk.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run against a built-in demo backend; codes appear on an on-screen phone.
    #[arg(long)]
    demo: bool,
}

/// A subcommand whose arguments clap builds only when it is the one run. `admin`'s tree of
/// commands is most of the command line, and building it on every kiosk start cost start-up
/// time and memory (BENCHMARKS.md, measures 1 and 3).
struct Deferred<T>(T);

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(command: clap::Command) -> clap::Command {
        command.defer(T::augment_args)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        command.defer(T::augment_args_for_update)
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

/// Which kiosk a control command talks to.
#[derive(clap::Args)]
struct ControlTarget {
    /// The kiosk's control socket (default: the config's, else the runtime dir's).
    #[arg(long)]
    control: Option<PathBuf>,
    /// A kiosk config to take the socket path from.
    #[arg(long)]
    config: Option<PathBuf>,
}

impl ControlTarget {
    fn socket(&self) -> Result<PathBuf, String> {
        if let Some(path) = &self.control {
            return Ok(path.clone());
        }
        match KioskConfig::locate(self.config.as_deref()) {
            Ok(path) => Ok(KioskConfig::load(&path).map_err(|e| e.to_string())?.control_socket()),
            Err(_) if self.config.is_none() => Ok(shiftkey::config::default_control_socket()),
            Err(err) => Err(err.to_string()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the kiosk (the default).
    Kiosk(KioskArgs),
    /// Run the reference auth backend.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// A SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<Database>,
        /// File the outbox SMS gateway appends messages to.
        #[arg(long)]
        sms_outbox: Option<PathBuf>,
    },
    /// Manage the reference backend's directory.
    Admin(Deferred<admin::AdminArgs>),
    /// What the kiosk is doing: state, who is signed in, backend, recent events.
    Status {
        #[command(flatten)]
        target: ControlTarget,
        #[arg(long)]
        json: bool,
    },
    /// End the current session (the full teardown) and print what it did.
    Reset {
        #[command(flatten)]
        target: ControlTarget,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Out of service: end any session, show MESSAGE, refuse sign-in until `unlock`.
    Lock {
        #[command(flatten)]
        target: ControlTarget,
        #[arg(long)]
        message: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Back in service.
    Unlock {
        #[command(flatten)]
        target: ControlTarget,
        #[arg(long)]
        json: bool,
    },
    /// Validate a kiosk or server config and probe the backend.
    CheckConfig {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Status { target, json }) => return control(&target, Request::Status, json),
        Some(Command::Reset { target, reason, json }) => return control(&target, Request::Reset { reason }, json),
        Some(Command::Lock { target, message, json }) => return control(&target, Request::Lock { message }, json),
        Some(Command::Unlock { target, json }) => return control(&target, Request::Unlock, json),
        None => run_kiosk(cli.kiosk),
        Some(Command::Kiosk(args)) => run_kiosk(args),
        Some(Command::Serve { config, listen, db, sms_outbox }) => serve(config, listen, db, sms_outbox),
        Some(Command::Admin(Deferred(args))) => current_thread_runtime().and_then(|runtime| {
            runtime.block_on(admin::run(&args)).map(|out| println!("{out}")).map_err(|e| e.to_string())
        }),
        Some(Command::CheckConfig { config }) => check_config(config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("shiftkey: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Sends one control request; exit 0 done, 1 refused or failed, 2 no kiosk listening.
fn control(target: &ControlTarget, request: Request, json: bool) -> ExitCode {
    let answer =
        target.socket().and_then(|socket| Ok(current_thread_runtime()?.block_on(client::send(&socket, &request))));
    match answer {
        Err(message) => {
            eprintln!("shiftkey: {message}");
            ExitCode::from(1)
        }
        Ok(Err(err)) => {
            eprintln!("shiftkey: {err}");
            ExitCode::from(err.exit_code())
        }
        Ok(Ok((answer, line))) => {
            if json {
                println!("{line}");
            } else if answer.is_ok() {
                println!("{}", shiftkey::control::describe::human(&answer));
            }
            if answer.is_ok() {
                ExitCode::SUCCESS
            } else {
                eprintln!("shiftkey: {}", shiftkey::control::describe::human(&answer));
                ExitCode::from(1)
            }
        }
    }
}

/// A runtime on the calling thread alone: the kiosk and one-shot clients.
fn current_thread_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("can't start: {e}"))
}

/// A runtime with `workers` threads: the server.
fn multi_thread_runtime(workers: usize) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(workers).enable_all().build().map_err(|e| format!("can't start: {e}"))
}

/// Kiosk logs go to the file named by SHIFTKEY_LOG, never to the screen the kiosk draws on.
fn init_kiosk_log() {
    if let Some(path) = std::env::var_os("SHIFTKEY_LOG")
        && let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(path)
    {
        let _ = tracing_subscriber::fmt().with_writer(std::sync::Mutex::new(file)).with_ansi(false).try_init();
    }
}

fn run_kiosk(args: KioskArgs) -> Result<(), String> {
    let mut config = if args.demo && args.config.is_none() {
        KioskConfig { name: "demo-kiosk".into(), ..KioskConfig::default() }
    } else {
        let path = KioskConfig::locate(args.config.as_deref()).map_err(|e| e.to_string())?;
        KioskConfig::load(&path).map_err(|e| e.to_string())?
    };
    init_kiosk_log();
    // The kiosk holds codes and tokens in memory: no core dumps, no ptrace by same-uid processes.
    let _ = nix::sys::prctl::set_dumpable(false);
    // Daemons that double-fork out of a session are re-parented to us, so teardown finds them.
    let _ = nix::sys::prctl::set_child_subreaper(true);
    // One thread is plenty for one screen and one session, and each worker thread more costs
    // the kiosk memory it holds all day (BENCHMARKS.md, measure 3).
    let runtime = current_thread_runtime()?;
    let demo_backend = if args.demo {
        let backend = runtime.block_on(demo::start_backend()).map_err(|e| e.to_string())?;
        config.backend = BackendConfig { kind: BackendKind::Shiftkey, url: backend.url.clone(), ..Default::default() };
        Some(backend)
    } else {
        None
    };
    // The checks check-config makes (the same function): a config it passes starts.
    let KioskStart { config, backend, launcher, control } =
        preflight::prepare(config, args.demo).map_err(|e| e.to_string())?;
    let teardown = TeardownContext {
        limits: TeardownLimits {
            kill_grace: config.session.kill_grace.0,
            revoke_timeout: config.session.revoke_timeout.0,
        },
        audit: AuditLog::new(config.audit_log.clone().unwrap_or_else(AuditLog::default_path)),
        state_file: StateFile::new(&config.state_dir()),
    };
    // A session the last kiosk process didn't end is erased before anyone can sign in.
    if let Some(outcome) = runtime.block_on(recovery::recover(&backend, SignOutReason::Recovered, &teardown)) {
        tracing::warn!(clean = outcome.clean(), "erased the session a previous kiosk left behind");
    }
    let banner = args.demo.then(|| demo::banner(&launcher));
    let control = runtime.block_on(bind_control(&config, control, args.demo))?;
    let options = KioskOptions {
        config,
        launcher,
        teardown: teardown.clone(),
        demo_sms: demo_backend.map(|b| b.sms),
        banner,
        control,
    };
    let run =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(app::run(backend.clone(), options))));
    match run {
        Ok(result) => result.map_err(|e| format!("kiosk stopped: {e}")),
        Err(_) => {
            // The terminal is already restored by the panic hook; the session is still ours to erase.
            current_thread_runtime()?.block_on(recovery::recover(&backend, SignOutReason::KioskCrashed, &teardown));
            Err("the kiosk crashed; its session was erased".into())
        }
    }
}

/// Binds the manager control socket. A real kiosk needs it; the demo goes on without one
/// (another kiosk may own the default path).
async fn bind_control(
    config: &KioskConfig,
    access: Option<ControlAccess>,
    demo: bool,
) -> Result<Option<(ControlServer, Authorizer)>, String> {
    let Some(ControlAccess { authorizer, group }) = access else { return Ok(None) };
    match ControlServer::bind(&config.control_socket(), group).await {
        Ok(server) => Ok(Some((server, authorizer))),
        Err(err) if demo => {
            tracing::warn!(%err, "demo runs without a control socket");
            Ok(None)
        }
        Err(err) => Err(err.to_string()),
    }
}

fn load_server_config(path: Option<PathBuf>) -> Result<ServerConfig, String> {
    match path {
        Some(path) => ServerConfig::load(&path).map_err(|e| e.to_string()),
        None => Ok(ServerConfig::default()),
    }
}

fn serve(
    config: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
    db: Option<Database>,
    sms_outbox: Option<PathBuf>,
) -> Result<(), String> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .try_init();
    let mut config = load_server_config(config)?;
    config.listen = listen.unwrap_or(config.listen);
    config.db = db.unwrap_or(config.db);
    if let Some(path) = sms_outbox {
        config.sms = SmsConfig::Outbox { path: Some(path) };
    }
    // Again with the command line's values: `--db postgres://...` needs the paths a file has.
    config.validate().map_err(|e| e.to_string())?;
    let gateway = Gateway::from_config(&config).map_err(|e| e.to_string())?;
    let outbox = config.outbox_path();
    let runtime = multi_thread_runtime(config.workers)?;
    runtime.block_on(async move {
        let server = Server::bind(config, Arc::new(SystemClock), gateway).await.map_err(|e| e.to_string())?;
        println!("shiftkey serve: listening on http://{}", server.local_addr());
        match outbox {
            Some(path) => println!("shiftkey serve: SMS outbox {}", path.display()),
            None => println!("shiftkey serve: SMS through the configured gateway"),
        }
        server.run(shutdown_signal()).await.map_err(|e| format!("server stopped: {e}"))
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// A kiosk config is checked by the kiosk's own start-up checks (`preflight::prepare`), so
/// what they refuse a start would refuse; then its backend is asked whether it answers.
fn check_config(path: Option<PathBuf>) -> Result<(), String> {
    let path = KioskConfig::locate(path.as_deref()).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&path)
        .map_err(|source| ConfigError::Read { path: path.clone(), source }.to_string())?;
    match ConfigKind::of(&text) {
        ConfigKind::Kiosk => {
            let config = KioskConfig::from_toml(&text, &path).map_err(|e| e.to_string())?;
            let start = preflight::prepare(config, false).map_err(|e| e.to_string())?;
            println!("{}: valid kiosk config", path.display());
            println!("display: {}", start.config.display.summary());
            println!("branding: {}", start.config.branding.summary());
            let (kind, url) = (start.config.backend.kind, &start.config.backend.url);
            let problems = current_thread_runtime()?.block_on(start.backend.check());
            let (errors, notes): (Vec<_>, Vec<_>) =
                problems.iter().partition(|problem| problem.severity == shiftkey::auth::Severity::Error);
            for note in notes {
                println!("note: {note}");
            }
            if let Some(first) = errors.first() {
                for problem in &errors[1..] {
                    eprintln!("shiftkey: {problem}");
                }
                return Err(first.to_string());
            }
            println!("backend {url} ({kind}) answers");
        }
        ConfigKind::Server => {
            ServerConfig::from_toml(&text, &path).map_err(|e| e.to_string())?;
            println!("{}: valid server config", path.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent_with_its_deferred_parts_built() {
        Cli::command().debug_assert();
    }

    #[test]
    fn admin_arguments_parse_though_built_late() {
        let cli = Cli::try_parse_from(["shiftkey", "admin", "--db", "d.sqlite", "user", "list", "--json"]).unwrap();
        let Some(Command::Admin(Deferred(args))) = cli.command else { panic!("not admin") };
        assert_eq!(args.db, Database::Sqlite(PathBuf::from("d.sqlite")));
        assert!(args.json, "--json is global to admin's subcommands");
        let error = Cli::try_parse_from(["shiftkey", "admin", "--db", "d", "user", "frobnicate"]).err().unwrap();
        assert!(error.to_string().contains("frobnicate"), "{error}");
    }
}

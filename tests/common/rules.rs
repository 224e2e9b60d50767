//! The security requirements' rules that must hold across `serve` replicas on one database
//! (issue 18), as checks: `tests/replicas.rs` runs each on an idle pair, the load bench on
//! replicas serving their target rate of sign-ins. A check answers what broke, if anything.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Backend, TestDb};

/// A start's challenge and the code texted for it (by whichever replica sent it).
pub type Started = (Value, String);

/// How a caller starts a sign-in and learns its code: from the outbox files (tests) or the
/// bench's outbox tail.
pub trait Texts {
    fn start(&self, url: &str, e164: &str) -> impl Future<Output = Result<Started, String>>;
}

/// The tests' texts: the code is the one new in the replicas' outbox files after the start.
impl Texts for [Backend] {
    async fn start(&self, url: &str, e164: &str) -> Result<Started, String> {
        let before = super::codes_sent_by(self, e164);
        let (status, body) = Http::default().post(url, "/v1/sign-in/start", json!({ "phone": e164 }), None).await?;
        ensure(status == 202, || format!("start: {status} {body}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut new = super::codes_sent_by(self, e164);
            for old in &before {
                if let Some(at) = new.iter().position(|c| c == old) {
                    new.remove(at);
                }
            }
            if let Some(code) = new.pop() {
                return Ok((body["challenge_id"].clone(), code));
            }
            ensure(Instant::now() < deadline, || format!("no code for {e164} after 10 s"))?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The replicas a check spreads its requests over, the database they share, the texts and the
/// HTTP client.
pub struct Rig<'a, T: ?Sized> {
    pub urls: Vec<String>,
    pub db: &'a TestDb,
    pub texts: &'a T,
    pub http: Http,
}

impl<'a, T: ?Sized> Rig<'a, T> {
    pub fn new(urls: Vec<String>, db: &'a TestDb, texts: &'a T) -> Self {
        Rig { urls, db, texts, http: Http::default() }
    }
}

/// A user of the directory the checks sign in as.
pub struct Person {
    pub username: String,
    pub e164: String,
}

/// The failures a user may make in an hour on the replicas `wrong_codes_stop_at_the_users_cap`
/// runs on (`limits.failures_per_user_per_hour`).
pub const FAILURES_CAP: u64 = 6;

/// `Err(what())` unless `holds`.
pub fn ensure(holds: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(what()) }
}

/// The checks' HTTP client: one connection pool, cloned into each request's task (a client
/// built per request costs more CPU than the request; at load that shows in everyone's latency).
#[derive(Clone, Default)]
pub struct Http(pub reqwest::Client);

impl Http {
    /// POSTs JSON (from `from`, an `X-Forwarded-For` address, when given): status and answer.
    pub async fn post(&self, url: &str, path: &str, body: Value, from: Option<&str>) -> Result<(u16, Value), String> {
        let mut request = self.0.post(format!("{url}{path}")).json(&body);
        if let Some(from) = from {
            request = request.header("x-forwarded-for", from);
        }
        answer(path, request).await
    }

    pub async fn verify(&self, url: &str, challenge: &Value, code: &str) -> Result<(u16, Value), String> {
        self.post(url, "/v1/sign-in/verify", json!({ "challenge_id": challenge, "code": code }), None).await
    }

    pub async fn me(&self, url: &str, token: &str) -> Result<u16, String> {
        Ok(answer("/v1/me", self.0.get(format!("{url}/v1/me")).bearer_auth(token)).await?.0)
    }

    pub async fn sign_out(&self, url: &str, token: &str) -> Result<u16, String> {
        Ok(answer("/v1/sign-out", self.0.post(format!("{url}/v1/sign-out")).bearer_auth(token)).await?.0)
    }
}

/// Sends a request: its status and JSON answer (Null when none).
async fn answer(path: &str, request: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
    let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

/// How many rows of `table` (with a `user_id`) are `username`'s, looked at in the database.
pub fn rows_of(db: &TestDb, table: &str, username: &str) -> u64 {
    let sql =
        format!("SELECT COUNT(*) FROM {table} WHERE user_id = (SELECT id FROM users WHERE username = '{username}')");
    db.query(&sql).trim().parse().unwrap()
}

/// A six-digit guess that isn't `code`: the `i`th after it.
fn wrong(code: &str, i: usize) -> String {
    format!("{:06}", (code.parse::<usize>().unwrap() + 1 + i) % 1_000_000)
}

/// Runs `requests` all at once; their answers in order.
async fn at_once<T>(requests: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>) -> Vec<T>
where
    T: Send + 'static,
{
    let tasks = requests.into_iter().map(tokio::spawn);
    futures_util::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect()
}

/// 50 wrong guesses at one challenge at once, spread over the replicas, count as 5 (the
/// default `max_attempts`): each count of attempts left given once, the rest refused, five
/// failures recorded; and then the right code is refused on every replica.
pub async fn fifty_parallel_wrong_guesses_count_as_five<T: Texts + ?Sized>(
    rig: &Rig<'_, T>,
    who: &Person,
) -> Result<(), String> {
    let (challenge, code) = rig.texts.start(&rig.urls[0], &who.e164).await?;
    let guesses = (0..50).map(|i| {
        let (url, challenge, guess) = (rig.urls[i % rig.urls.len()].clone(), challenge.clone(), wrong(&code, i));
        let http = rig.http.clone();
        async move { http.verify(&url, &challenge, &guess).await }
    });
    let answers = at_once(guesses).await.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut left: Vec<u64> = answers.iter().filter_map(|(_, a)| a["attempts_left"].as_u64()).collect();
    left.sort();
    ensure(left == [1, 2, 3, 4], || format!("each count of attempts left given once: {left:?}"))?;
    let refused = answers.iter().filter(|(_, a)| a["error"] == "too_many_attempts").count();
    ensure(refused == 46, || format!("46 refused as too many attempts, not {refused}: {answers:?}"))?;
    let failures = rows_of(rig.db, "failures", &who.username);
    ensure(failures == 5, || format!("the user's failures hold five, not {failures}"))?;
    for url in &rig.urls {
        let (_, answer) = rig.http.verify(url, &challenge, &code).await?;
        ensure(answer["error"] == "too_many_attempts", || format!("the right code after five wrong ones: {answer}"))?;
    }
    Ok(())
}

/// A user's wrong codes at four challenges at once (five at each), spread over the replicas,
/// stop at the user's cap (`FAILURES_CAP`): that many counted, the rest refused with 429, and
/// the right code waits out the cap too.
pub async fn wrong_codes_stop_at_the_users_cap<T: Texts + ?Sized>(
    rig: &Rig<'_, T>,
    who: &Person,
) -> Result<(), String> {
    let mut challenges = Vec::new();
    for i in 0..4 {
        challenges.push(rig.texts.start(&rig.urls[i % rig.urls.len()], &who.e164).await?);
    }
    let guesses = (0..20).map(|i| {
        let url = rig.urls[i % rig.urls.len()].clone();
        let ((challenge, code), http) = (challenges[i % 4].clone(), rig.http.clone());
        async move { http.verify(&url, &challenge, &wrong(&code, i)).await }
    });
    let answers = at_once(guesses).await.into_iter().collect::<Result<Vec<_>, _>>()?;
    let limited = answers.iter().filter(|(status, _)| *status == 429).count() as u64;
    ensure(limited == 20 - FAILURES_CAP, || format!("{FAILURES_CAP} counted, the rest refused: {answers:?}"))?;
    let failures = rows_of(rig.db, "failures", &who.username);
    ensure(failures == FAILURES_CAP, || format!("the user's failures hold {FAILURES_CAP}, not {failures}"))?;
    let (challenge, code) = &challenges[0];
    let (status, answer) = rig.http.verify(rig.urls.last().unwrap(), challenge, code).await?;
    ensure(status == 429, || format!("the right code waits out the cap too: {status} {answer}"))
}

/// The right code sent twice to every replica at once signs in once, `rounds` times over: one
/// token each.
pub async fn a_right_code_sent_to_every_replica_at_once_signs_in_once<T: Texts + ?Sized>(
    rig: &Rig<'_, T>,
    who: &Person,
    rounds: usize,
) -> Result<(), String> {
    let before = rows_of(rig.db, "tokens", &who.username);
    for round in 0..rounds {
        let (challenge, code) = rig.texts.start(&rig.urls[round % rig.urls.len()], &who.e164).await?;
        let tries = rig.urls.iter().flat_map(|url| [url.clone(), url.clone()]).map(|url| {
            let (challenge, code, http) = (challenge.clone(), code.clone(), rig.http.clone());
            async move { http.verify(&url, &challenge, &code).await }
        });
        let answers = at_once(tries).await.into_iter().collect::<Result<Vec<_>, _>>()?;
        let signed_in = answers.iter().filter(|(status, _)| *status == 200).count();
        ensure(signed_in == 1, || format!("round {round}: signed in {signed_in} times: {answers:?}"))?;
    }
    let tokens = rows_of(rig.db, "tokens", &who.username) - before;
    ensure(tokens == rounds as u64, || format!("one token a sign-in: {tokens} for {rounds}"))
}

/// The caps on sends a number and a client address may have in an hour hold over the replicas
/// (which trust `X-Forwarded-For`): 12 starts at once for `number`, each from an address of its
/// own, pass `per_phone`; 12 at once from `client` to numbers of their own (`+1 206 557 <series>
/// nn`) pass `per_client`.
pub async fn the_send_caps_hold<T: ?Sized>(
    rig: &Rig<'_, T>,
    (number, per_phone): (&str, usize),
    (client, per_client): (&str, usize),
    series: u32,
) -> Result<(), String> {
    let urls = &rig.urls;
    let start = |url: &String, phone: String, from: String| {
        let (url, http) = (url.clone(), rig.http.clone());
        async move { http.post(&url, "/v1/sign-in/start", json!({ "phone": phone }), Some(&from)).await }
    };
    let by_number = (0..12).map(|i| start(&urls[i % urls.len()], number.to_string(), format!("203.0.113.{}", 1 + i)));
    let by_client =
        (0..12).map(|i| start(&urls[i % urls.len()], format!("+1206557{series:02}{i:02}"), client.to_string()));
    for (starts, cap, of) in
        [(at_once(by_number).await, per_phone, "number"), (at_once(by_client).await, per_client, "client")]
    {
        let statuses = starts.into_iter().map(|r| r.map(|(status, _)| status)).collect::<Result<Vec<_>, _>>()?;
        let accepted = statuses.iter().filter(|s| **s == 202).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        ensure((accepted, refused) == (cap, 12 - cap), || format!("per-{of} cap {cap}: {statuses:?}"))?;
    }
    Ok(())
}

/// A token signed out on one replica is dead on every replica (and alive on each before).
pub async fn a_token_signed_out_on_one_replica_is_dead_on_the_others<T: Texts + ?Sized>(
    rig: &Rig<'_, T>,
    who: &Person,
) -> Result<(), String> {
    let token = sign_in(rig, who).await?;
    for url in &rig.urls {
        let status = rig.http.me(url, &token).await?;
        ensure(status == 200, || format!("the new token at {url}: {status}"))?;
    }
    let status = rig.http.sign_out(rig.urls.last().unwrap(), &token).await?;
    ensure(status == 204, || format!("sign-out: {status}"))?;
    for url in &rig.urls {
        let status = rig.http.me(url, &token).await?;
        ensure(status == 401, || format!("signed out on one replica, at {url}: {status}"))?;
    }
    Ok(())
}

/// Signs `who` in, started on the first replica and verified on the last: the token.
pub async fn sign_in<T: Texts + ?Sized>(rig: &Rig<'_, T>, who: &Person) -> Result<String, String> {
    let (challenge, code) = rig.texts.start(&rig.urls[0], &who.e164).await?;
    let (status, grant) = rig.http.verify(rig.urls.last().unwrap(), &challenge, &code).await?;
    ensure(status == 200, || format!("started on one replica, verified on another: {status} {grant}"))?;
    Ok(grant["access_token"].as_str().unwrap_or_default().to_string())
}

//! Challenges (codes as MACs, attempts, sends) and the events behind the abuse caps.

use std::sync::LazyLock;

use super::directory::sms_signer;
use super::sql::{Lock, args};
use super::{Challenge, Claim, Db, StoreError};

/// How many events happened in a window, and when the oldest of them leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u32,
    pub oldest_at: Option<i64>,
}

impl WindowCount {
    pub(super) fn new(count: i64, oldest_at: Option<i64>) -> Self {
        WindowCount { count: u32::try_from(count).unwrap_or(u32::MAX), oldest_at }
    }
}

/// A sign-in's challenge as it opens: whose it is, the store finds from the number.
pub struct Opening<'a> {
    pub id: &'a str,
    /// The number typed, E.164: its user, if the policy lets them sign in, gets the challenge.
    pub e164: &'a str,
    pub code_mac: &'a [u8],
    pub expires_at: i64,
    pub phone_key: &'a [u8],
    pub locale: Option<&'a str>,
    /// Who asked, for the caps' count of sends.
    pub client: &'a str,
    /// The code's text, sealed to be sent, and the same sealed as a decoy: the queue gets the
    /// first if the number has someone to sign in, else the second.
    pub text: &'a [u8],
    pub decoy: &'a [u8],
    /// Who holds the queued text: the replica opening the challenge, which sends it.
    pub claim: Claim<'a>,
    pub now: i64,
}

/// A challenge opened: whose it is (`None`: no one's) and its queued text's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub user_id: Option<i64>,
    pub text_id: i64,
}

/// A new challenge's row (no attempts yet, its first send now) for the user `user_id`, an SQL
/// expression; the other values are `?1` id, `?3` code MAC, `?4` now, `?5` expiry, `?6` phone
/// key, `?7` locale.
fn insert_challenge(user_id: &str) -> String {
    format!(
        "INSERT INTO challenges
             (id, user_id, code_mac, created_at, expires_at, attempts, sends, last_sent_at, used, phone_key, locale)
         VALUES (?1, {user_id}, ?3, ?4, ?5, 0, 1, ?4, FALSE, ?6, ?7)"
    )
}

type ChallengeRow = (String, Option<i64>, Vec<u8>, i64, i64, i64, i64, bool, Vec<u8>, Option<String>);

fn challenge_of(row: ChallengeRow) -> Challenge {
    let (id, user_rowid, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale) = row;
    Challenge {
        id,
        user_rowid,
        code_mac,
        expires_at,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        sends: u32::try_from(sends).unwrap_or(u32::MAX),
        last_sent_at,
        used,
        phone_key,
        locale,
    }
}

impl Db {
    /// Opens a sign-in: finds who may sign in with the number ([`sms_signer`]), stores the
    /// challenge as theirs (no one's if nobody may: a code nobody knows), counts its first send
    /// against the caps and queues its text (the decoy for no one), held by `o.claim`. Returns
    /// whose it is and the text's id. Run it in a transaction, except on PostgreSQL without caps
    /// to count ([`super::Store::transaction_if`]): there it is one statement, a start's only
    /// round trip; on SQLite, where a statement is no round trip, a lookup and three inserts.
    pub async fn open_challenge(&mut self, o: &Opening<'_>) -> Result<Opened, StoreError> {
        if !self.is_postgres() {
            static SIGNER: LazyLock<String> = LazyLock::new(|| sms_signer("?1"));
            let signer = self.query_opt::<(i64,)>(&SIGNER, args![o.e164]).await?.map(|(id,)| id);
            self.record_send(o.phone_key, o.client, o.now).await?;
            static INSERT: LazyLock<String> = LazyLock::new(|| insert_challenge("?2"));
            self.execute(&INSERT, args![o.id, signer, o.code_mac, o.now, o.expires_at, o.phone_key, o.locale]).await?;
            let text_id = self.enqueue_sms(if signer.is_some() { o.text } else { o.decoy }, o.now, o.claim).await?;
            return Ok(Opened { user_id: signer, text_id });
        }
        // Data-modifying `WITH`s run once each whether or not anything reads them; `signer` is
        // read twice from one snapshot.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH signer AS ({signer}),
                      send AS (INSERT INTO sends (at, phone_key, client) VALUES (?4, ?6, ?8)),
                      text AS (INSERT INTO sms_queue (sealed, queued_at, claimed_by, claimed_until)
                               VALUES (CASE WHEN EXISTS (SELECT 1 FROM signer) THEN ?9 ELSE ?10 END, ?4, ?11, ?12)
                               RETURNING id)
                 {insert} RETURNING user_id, (SELECT id FROM text)",
                signer = sms_signer("?2"),
                insert = insert_challenge("(SELECT id FROM signer)")
            )
        });
        let args = args![
            o.id,
            o.e164,
            o.code_mac,
            o.now,
            o.expires_at,
            o.phone_key,
            o.locale,
            o.client,
            o.text,
            o.decoy,
            o.claim.replica,
            o.claim.until
        ];
        let (user_id, text_id): (Option<i64>, i64) = self.query_one(&SQL, args).await?;
        Ok(Opened { user_id, text_id })
    }

    pub async fn challenge(&mut self, id: &str) -> Result<Option<Challenge>, StoreError> {
        self.challenge_where(
            "SELECT id, user_id, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale
             FROM challenges WHERE id = ?1",
            id,
        )
        .await
    }

    /// A challenge, locked until the transaction ends: on PostgreSQL a second replica's resend
    /// of the same challenge waits here until this one has counted its send (and a verify, in
    /// `shiftkey_verify`, until it has counted its attempt).
    pub async fn challenge_for_update(&mut self, id: &str) -> Result<Option<Challenge>, StoreError> {
        self.challenge_where(
            "SELECT id, user_id, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale
             FROM challenges WHERE id = ?1 FOR UPDATE",
            id,
        )
        .await
    }

    async fn challenge_where(&mut self, sql: &str, id: &str) -> Result<Option<Challenge>, StoreError> {
        Ok(self.query_opt::<ChallengeRow>(sql, args![id]).await?.map(challenge_of))
    }

    /// Replaces a challenge's code (a resend): the old code dies, attempts stay.
    pub async fn replace_code(
        &mut self,
        id: &str,
        code_mac: &[u8],
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE challenges SET code_mac = ?2, expires_at = ?3, sends = sends + 1, last_sent_at = ?4 WHERE id = ?1",
            args![id, code_mac, expires_at, now],
        )
        .await?;
        Ok(())
    }

    /// Counts one wrong attempt and returns the new total.
    pub async fn count_attempt(&mut self, id: &str) -> Result<u32, StoreError> {
        let (attempts,): (i64,) = self
            .query_one("UPDATE challenges SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts", args![id])
            .await?;
        Ok(u32::try_from(attempts).unwrap_or(u32::MAX))
    }

    /// Records a wrong code against a user (the hourly cap across challenges).
    pub async fn record_failure(&mut self, user_rowid: i64, now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO failures (user_id, at) VALUES (?1, ?2)", args![user_rowid, now]).await?;
        Ok(())
    }

    /// Wrong codes by a user since `since`.
    pub async fn failures_since(&mut self, user_rowid: i64, since: i64) -> Result<WindowCount, StoreError> {
        let (count, oldest_at): (i64, Option<i64>) = self
            .query_one(
                "SELECT COUNT(*), MIN(at) FROM failures WHERE user_id = ?1 AND at > ?2",
                args![user_rowid, since],
            )
            .await?;
        Ok(WindowCount::new(count, oldest_at))
    }

    /// Takes the turn to count and record code sends (PostgreSQL: replicas starting sign-ins at
    /// once take turns, so no two both see room for the last send; held until the transaction
    /// ends).
    pub async fn lock_send_caps(&mut self) -> Result<(), StoreError> {
        self.lock(Lock::SendCaps).await
    }

    /// Records a code send (real or, for unknown numbers, pretended: caps must not tell them apart).
    pub async fn record_send(&mut self, phone_key: &[u8], client: &str, now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO sends (at, phone_key, client) VALUES (?1, ?2, ?3)", args![now, phone_key, client])
            .await?;
        Ok(())
    }

    /// Sends since `since`: to this number, from this client, and in all. One statement, each
    /// count through its own index: a number's and a client's read only their own sends, and
    /// the server-wide count only the index on time (a single pass with `FILTER` read every
    /// send of the hour for each, about 10× the work once the hour holds thousands).
    pub async fn sends_since(
        &mut self,
        phone_key: &[u8],
        client: &str,
        since: i64,
    ) -> Result<[WindowCount; 3], StoreError> {
        type Counts = (i64, Option<i64>, i64, Option<i64>, i64, Option<i64>);
        let (phone, phone_oldest, from_client, client_oldest, all, oldest): Counts = self
            .query_one(
                "SELECT (SELECT COUNT(*) FROM sends WHERE phone_key = ?2 AND at > ?1),
                        (SELECT MIN(at) FROM sends WHERE phone_key = ?2 AND at > ?1),
                        (SELECT COUNT(*) FROM sends WHERE client = ?3 AND at > ?1),
                        (SELECT MIN(at) FROM sends WHERE client = ?3 AND at > ?1),
                        (SELECT COUNT(*) FROM sends WHERE at > ?1),
                        (SELECT MIN(at) FROM sends WHERE at > ?1)",
                args![since, phone_key, client],
            )
            .await?;
        Ok([
            WindowCount::new(phone, phone_oldest),
            WindowCount::new(from_client, client_oldest),
            WindowCount::new(all, oldest),
        ])
    }

    /// Forgets what no cap or challenge needs any more: events and expired challenges older
    /// than `before`, and used challenges (a used code is refused just as a missing one).
    pub async fn prune(&mut self, before: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM sends WHERE at < ?1", args![before]).await?;
        self.execute("DELETE FROM failures WHERE at < ?1", args![before]).await?;
        self.execute("DELETE FROM challenges WHERE expires_at < ?1 OR used = ?2", args![before, true]).await?;
        Ok(())
    }
}

//! The store's own rules, on both engines: what the directory, the SCIM tables and the migrations
//! promise whatever database is underneath (uniqueness, case, orders, what a refused write
//! leaves behind). The rules that only show over HTTP are in `security_requirements.rs`.

mod common;

use serde_json::json;
use shiftkey::config::Database;
use shiftkey::server::store::{
    Claim, CodeAttempt, Db, GroupRecord, NewPhone, NotEnabled, Opened, Opening, PhoneKind, Policy, Store, StoreError,
    User, UserRecord, UserTerm, Verdict,
};

/// A fresh store of `engine`, and the dir its files live in.
async fn open(engine: common::Engine) -> (tempfile::TempDir, common::TestDb, Store) {
    let dir = tempfile::tempdir().unwrap();
    let db = common::TestDb::new(engine, dir.path());
    let store = Store::open(&db.location.parse::<Database>().unwrap(), None).await.unwrap();
    (dir, db, store)
}

fn policy_on() -> Policy {
    Policy { enabled: true, use_for_sign_in: true, target_all: true, target_groups: vec![] }
}

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

/// The code MAC every test challenge stores: a typed code is "right" when its MAC is this.
const RIGHT: &[u8] = b"right code's mac";

/// When the claim on the texts test challenges queue runs out.
const HELD_UNTIL: i64 = 500;

/// Opens challenge `id` for the number `e164`, expiring at `expires_at`: its user's if the
/// policy lets them sign in, no one's otherwise; its text held by replica "a" until `HELD_UNTIL`.
async fn open_challenge(db: &mut Db, id: &str, e164: &str, expires_at: i64) -> Opened {
    let opening = Opening {
        id,
        e164,
        code_mac: RIGHT,
        expires_at,
        phone_key: id.as_bytes(),
        locale: None,
        client: "client",
        text: b"the text",
        decoy: b"the decoy",
        claim: Claim { replica: "a", until: HELD_UNTIL },
        now: 1,
    };
    db.open_challenge(&opening).await.unwrap()
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

/// A fresh store of `engine` whose policy lets user "a" sign in with +1 206 555 0100, and "a".
async fn open_with_signer(engine: common::Engine) -> (tempfile::TempDir, common::TestDb, Store, User) {
    let (dir, test_db, store) = open(engine).await;
    let mut db = store.connection().await.unwrap();
    db.set_policy(&policy_on()).await.unwrap();
    db.add_user("a", "A", &[]).await.unwrap();
    db.set_phone("a", PhoneKind::Mobile, "+12065550100").await.unwrap();
    let user = db.user("a").await.unwrap();
    drop(db);
    (dir, test_db, store, user)
}

/// Opens a challenge for each of `ids` on the signer's number (`open_with_signer`).
async fn open_signers_challenges(store: &Store, ids: &[&str]) {
    let mut db = store.connection().await.unwrap();
    for id in ids {
        open_challenge(&mut db, id, "+12065550100", 1_000).await;
    }
}

/// A typed code for challenge `id` (`mac`: its MAC) at `now`, against `caps` attempts a
/// challenge and `caps` wrong codes a user; a right one gets the token `token`.
fn code_attempt(
    id: &'static str,
    mac: Option<&'static [u8]>,
    now: i64,
    caps: u32,
    token: &'static [u8],
) -> CodeAttempt<'static> {
    CodeAttempt {
        challenge_id: id,
        code_mac: mac,
        now,
        max_attempts: caps,
        failures_cap: caps,
        failures_since: 0,
        token_hash: token,
        token_expires_at: 5_000,
    }
}

on_both_engines! {
    async fn tokens_are_checked_and_revoked_many_at_once(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        let a = db.add_user("a", "A", &[]).await.unwrap();
        let b = db.add_user("b", "B", &[]).await.unwrap();
        for (user, hash, expires_at) in [(&a, "a1", 100), (&a, "a2", 100), (&b, "b1", 100), (&a, "old", 10)] {
            db.insert_token(user.rowid, hash.as_bytes(), 1, expires_at).await.unwrap();
        }
        db.set_enabled("b", false, 2).await.unwrap();
        let hashes = |names: &[&str]| names.iter().map(|n| n.as_bytes().to_vec()).collect::<Vec<_>>();
        let users = db.token_users(&hashes(&["a1", "nobody's", "b1", "old", "a1"]), 20).await.unwrap();
        let names: Vec<Option<&str>> = users.iter().map(|u| u.as_ref().map(|u| u.username.as_str())).collect();
        assert_eq!(
            names,
            [Some("a"), None, None, None, Some("a")],
            "each in its place: unknown, a disabled user's and an expired token are no one's; named twice, found twice"
        );
        assert_eq!(users[0], db.token_user(b"a1", 20).await.unwrap(), "the same user as one token's check finds");
        db.revoke_tokens(&hashes(&["a1", "nobody's"]), 30).await.unwrap();
        let users = db.token_users(&hashes(&["a1", "a2"]), 31).await.unwrap();
        assert_eq!(users.iter().map(Option::is_some).collect::<Vec<_>>(), [false, true], "only the named token ends");
        // A full statement's worth, and one more.
        let many: Vec<Vec<u8>> = (0..33).map(|i| format!("t{i}").into_bytes()).collect();
        for hash in &many {
            db.insert_token(a.rowid, hash, 40, 100).await.unwrap();
        }
        let found = db.token_users(&many[..32], 41).await.unwrap();
        assert!(found.iter().all(Option::is_some), "32 at once are all found");
        assert!(matches!(db.token_users(&many, 41).await, Err(StoreError::TooManyAtOnce(33))));
        assert!(matches!(db.revoke_tokens(&many, 41).await, Err(StoreError::TooManyAtOnce(33))));
        assert!(matches!(db.revoke_tokens(&[], 41).await, Err(StoreError::TooManyAtOnce(0))));
        assert!(db.token_users(&many[32..], 42).await.unwrap()[0].is_some(), "a refused list revokes nothing");
    }

    async fn a_number_belongs_to_one_user_across_kinds(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        db.add_user("a", "A", &[]).await.unwrap();
        db.add_user("b", "B", &[]).await.unwrap();
        db.set_phone("a", PhoneKind::Mobile, "+12065550100").await.unwrap();
        assert!(matches!(db.set_phone("b", PhoneKind::Mobile, "+12065550100").await, Err(StoreError::PhoneTaken)));
        assert!(matches!(db.set_phone("b", PhoneKind::Other, "+12065550100").await, Err(StoreError::PhoneTaken)));
        db.set_phone("a", PhoneKind::AlternateMobile, "+12065550100").await.unwrap();
        assert_eq!(db.phones("a").await.unwrap(), vec![(PhoneKind::AlternateMobile, "+12065550100".to_string())]);
    }

    async fn only_the_mobile_phone_signs_in(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        db.set_policy(&policy_on()).await.unwrap();
        db.add_user("a", "A", &[]).await.unwrap();
        db.set_phone("a", PhoneKind::AlternateMobile, "+12065550100").await.unwrap();
        assert!(db.sms_sign_in_user("+12065550100").await.unwrap().is_none());
        db.set_phone("a", PhoneKind::Mobile, "+12065550100").await.unwrap();
        assert_eq!(db.sms_sign_in_user("+12065550100").await.unwrap().unwrap().username, "a");
    }

    async fn reasons_come_in_the_troubleshooting_order(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        db.add_group("tills").await.unwrap();
        db.add_user("a", "A", &[]).await.unwrap();
        db.set_enabled("a", false, 0).await.unwrap();
        let user = db.user("a").await.unwrap();
        let policy =
            Policy { enabled: false, use_for_sign_in: false, target_all: false, target_groups: vec!["tills".into()] };
        db.set_policy(&policy).await.unwrap();
        let stored = db.policy().await.unwrap();
        assert_eq!(stored, policy, "the policy reads back as written");
        let check = db.sign_in_check(&user, &stored).await.unwrap();
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
        db.add_to_group("a", "tills").await.unwrap();
        db.set_phone("a", PhoneKind::Mobile, "+12065550100").await.unwrap();
        db.set_enabled("a", true, 0).await.unwrap();
        db.set_policy(&Policy { enabled: true, use_for_sign_in: true, ..policy }).await.unwrap();
        let policy = db.policy().await.unwrap();
        let user = db.user("a").await.unwrap();
        let check = db.sign_in_check(&user, &policy).await.unwrap();
        assert!(check.enabled, "{check:?}");
    }

    async fn a_queued_text_is_its_holders_to_forget_or_hand_back(engine: Engine) {
        // More texts than one statement names (32), so the lists are cut and padded.
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        let a = Claim { replica: "a", until: 100 };
        let mut ids = Vec::new();
        for i in 0..40u8 {
            ids.push(db.enqueue_sms(&[i], 1, a).await.unwrap());
        }
        let b = Claim { replica: "b", until: 200 };
        assert!(db.claim_sms(b, 99, 64).await.unwrap().is_empty(), "a holds them all until 100");
        db.forget_sms("b", &ids).await.unwrap();
        assert_eq!(db.first_claim_end().await.unwrap(), Some(100), "b can't forget a's texts");
        db.release_sms("a", &ids[..35]).await.unwrap();
        let taken = db.claim_sms(b, 99, 64).await.unwrap();
        let taken_ids: Vec<i64> = taken.iter().map(|t| t.id).collect();
        assert_eq!(taken_ids, ids[..35], "the 35 handed back, oldest first, for anyone at once");
        assert!(taken.iter().all(|t| t.claimed_until == 200), "held by b until b's claim runs out");
        assert_eq!(taken[34].sealed, [34u8]);
        db.forget_sms("a", &ids).await.unwrap();
        assert_eq!(db.first_claim_end().await.unwrap(), Some(200), "a forgot its own 5, not b's 35");
        db.forget_sms("b", &taken_ids).await.unwrap();
        assert_eq!(db.first_claim_end().await.unwrap(), None, "the queue is empty");
    }

    async fn a_start_finds_whom_the_sign_in_check_allows_and_queues_their_text(engine: Engine) {
        // Every policy (on or off, for sign-in or not, everyone or none, one or two groups
        // targeted) against every kind of user (enabled or not; in neither, either or both
        // groups): the database's rule that opens challenges and `sign_in_check`'s, which
        // explains it, agree, and only a challenge opened for someone queues the real text.
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        for group in ["tills", "doors"] {
            db.add_group(group).await.unwrap();
        }
        let memberships: [&[&str]; 4] = [&[], &["tills"], &["doors"], &["tills", "doors"]];
        let mut users = Vec::new();
        for (i, (enabled, groups)) in [true, false].into_iter().flat_map(|e| memberships.map(|g| (e, g))).enumerate() {
            let (name, e164) = (format!("u{i}"), format!("+1206555010{i}"));
            db.add_user(&name, &name, &[]).await.unwrap();
            db.set_phone(&name, PhoneKind::Mobile, &e164).await.unwrap();
            for group in groups {
                db.add_to_group(&name, group).await.unwrap();
            }
            db.set_enabled(&name, enabled, 0).await.unwrap();
            users.push((db.user(&name).await.unwrap(), e164));
        }
        let targets: [&[&str]; 3] = [&[], &["tills"], &["tills", "doors"]];
        let (mut allowed, mut refused) = (0, 0);
        for bits in 0..8 {
            for target_groups in targets {
                let policy = Policy {
                    enabled: bits & 1 != 0,
                    use_for_sign_in: bits & 2 != 0,
                    target_all: bits & 4 != 0,
                    target_groups: target_groups.iter().map(|g| g.to_string()).collect(),
                };
                db.set_policy(&policy).await.unwrap();
                for (user, e164) in &users {
                    let rule = db.sign_in_check(user, &policy).await.unwrap().enabled;
                    let found = db.sms_sign_in_user(e164).await.unwrap().map(|u| u.rowid);
                    assert_eq!(found, rule.then_some(user.rowid), "{policy:?} {user:?}");
                    let id = format!("{bits}{}-{}", target_groups.len(), user.username);
                    let opened = open_challenge(&mut db, &id, e164, 1_000).await;
                    assert_eq!(opened.user_id, found, "{policy:?} {user:?}");
                    // The text is the opener's until its claim runs out; then anyone's.
                    let b = Claim { replica: "b", until: i64::MAX };
                    assert!(db.claim_sms(b, HELD_UNTIL - 1, 10).await.unwrap().is_empty(), "held by a");
                    let queued = db.claim_sms(b, HELD_UNTIL, 10).await.unwrap();
                    let sealed: Vec<(i64, &[u8])> = queued.iter().map(|t| (t.id, t.sealed.as_slice())).collect();
                    let expected: &[u8] = if rule { b"the text" } else { b"the decoy" };
                    assert_eq!(sealed, [(opened.text_id, expected)], "{policy:?} {user:?}");
                    db.forget_sms("b", &[opened.text_id]).await.unwrap();
                    if rule { allowed += 1 } else { refused += 1 }
                }
            }
        }
        // Both answers happen, each more than once: enabled, on, for sign-in, and targeted by
        // everyone (3 policies × 4 users) or by a group of theirs (1 × 2 + 1 × 3).
        assert_eq!((allowed, refused), (17, 175));
    }

    async fn codes_checked_together_are_checked_in_turn(engine: Engine) {
        let (_dir, _db, store, user) = open_with_signer(engine).await;
        open_signers_challenges(&store, &["one", "two", "three"]).await;
        let attempt = |id, mac, token| code_attempt(id, Some(mac), 10, 3, token);
        // Each sees what the ones before it wrote: a wrong code, then the right one, then the
        // right one again (used); the second challenge's wrong codes count on the same user.
        let verdicts = store
            .verify_codes(&[
                attempt("one", b"wrong", b"t1"),
                attempt("one", RIGHT, b"t2"),
                attempt("one", RIGHT, b"t3"),
                attempt("two", b"wrong", b"t4"),
                attempt("nobody's", RIGHT, b"t5"),
                attempt("two", b"wrong", b"t6"),
                attempt("three", RIGHT, b"t7"),
            ])
            .await
            .unwrap();
        assert_eq!(
            verdicts,
            [
                Verdict::Wrong { attempts: 1 },
                Verdict::SignedIn(user.clone()),
                Verdict::Expired,
                Verdict::Wrong { attempts: 1 },
                Verdict::Expired,
                Verdict::Wrong { attempts: 2 },
                Verdict::RateLimited { oldest_at: Some(10) },
            ],
            "the user's third wrong code reached the cap (3) before the third challenge's right one"
        );
        let mut db = store.connection().await.unwrap();
        assert_eq!(db.token_user(b"t2", 20).await.unwrap(), Some(user.clone()), "the right code's token is stored");
        assert_eq!(db.token_user(b"t3", 20).await.unwrap(), None, "the used code's is not");
        assert_eq!(db.failures_since(user.rowid, 0).await.unwrap().count, 3);
        drop(db);
        let many: Vec<CodeAttempt<'_>> = (0..33).map(|_| attempt("three", b"wrong", b"t8")).collect();
        assert!(matches!(store.verify_codes(&many).await, Err(StoreError::TooManyAtOnce(33))));
        assert!(matches!(store.verify_codes(&[]).await, Err(StoreError::TooManyAtOnce(0))));
    }

    async fn codes_checked_together_in_opposite_orders_never_deadlock(engine: Engine) {
        let (_dir, _db, store, user) = open_with_signer(engine).await;
        open_signers_challenges(&store, &["c1", "c2", "c3"]).await;
        let attempt = |id| code_attempt(id, Some(b"wrong"), 10, 100_000, b"never");
        // One user's challenges, named in opposite orders by batches running at once: were
        // their locks taken in the order named, two of them would each wait for the other.
        let orders: [[&'static str; 3]; 2] = [["c3", "c1", "c2"], ["c2", "c1", "c3"]];
        let runs = orders.map(|order| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    let attempts: Vec<CodeAttempt<'_>> = order.iter().map(|id| attempt(id)).collect();
                    let verdicts = store.verify_codes(&attempts).await.expect("no batch fails");
                    assert!(verdicts.iter().all(|v| matches!(v, Verdict::Wrong { .. })), "{verdicts:?}");
                }
            })
        });
        // And codes checked alone meanwhile (their own statement: the challenge, then the user).
        let alone = tokio::spawn({
            let store = store.clone();
            async move {
                for id in ["c2", "c3", "c1"].repeat(40) {
                    let verdict = store.verify_code(&attempt(id)).await.expect("no check fails");
                    assert!(matches!(verdict, Verdict::Wrong { .. }), "{verdict:?}");
                }
            }
        });
        for run in runs.into_iter().chain([alone]) {
            run.await.unwrap();
        }
        let mut db = store.connection().await.unwrap();
        assert_eq!(db.failures_since(user.rowid, 0).await.unwrap().count, 360, "every wrong code counted once");
    }

    async fn duplicate_username_and_group_are_refused_whatever_their_case(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        db.add_user("a", "A", &[]).await.unwrap();
        assert!(matches!(db.add_user("a", "A2", &[]).await, Err(StoreError::UserExists(_))));
        assert!(matches!(db.add_user("A", "A2", &[]).await, Err(StoreError::UserExists(_))));
        db.add_group("Tills").await.unwrap();
        assert!(matches!(db.add_group("tills").await, Err(StoreError::GroupExists(_))));
        assert!(matches!(db.add_to_group("a", "nope").await, Err(StoreError::NoSuchGroup(_))));
        db.add_to_group("a", "TILLS").await.unwrap();
        assert_eq!(db.user("a").await.unwrap().groups, ["Tills"], "a group is found whatever the case");
    }

    async fn lists_come_in_the_same_order_on_both_engines(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        // SQLite's BINARY order: upper case before lower case, byte by byte.
        for name in ["bob", "Zed", "alex", "Ada"] {
            db.add_user(name, name, &[]).await.unwrap();
            db.add_group(&format!("{name} crew")).await.unwrap();
        }
        let users: Vec<String> = db.users().await.unwrap().into_iter().map(|u| u.username).collect();
        assert_eq!(users, ["Ada", "Zed", "alex", "bob"]);
        let groups: Vec<String> = db.groups().await.unwrap().into_iter().map(|(g, _)| g).collect();
        assert_eq!(groups, ["Ada crew", "Zed crew", "alex crew", "bob crew"]);
    }

    async fn each_verdict_of_a_typed_code_and_what_it_writes(engine: Engine) {
        let (_dir, _db, store, user) = open_with_signer(engine).await;
        let mut db = store.connection().await.unwrap();
        for (id, e164, expires_at) in
            [("next", "+12065550100", 1_000), ("mine", "+12065550100", 1_000), ("old", "+12065550100", 5)]
        {
            assert_eq!(open_challenge(&mut db, id, e164, expires_at).await.user_id, Some(user.rowid));
        }
        assert_eq!(open_challenge(&mut db, "decoy", "+12065550199", 1_000).await.user_id, None, "a number nobody has");
        // SQLite's one connection: held here, it would keep the verifies waiting.
        drop(db);
        let db = || async { store.connection().await.unwrap() };
        let verify = |id: &'static str, mac: Option<&'static [u8]>, now: i64, token: &'static [u8]| {
            let store = store.clone();
            async move {
                let attempt = code_attempt(id, mac, now, 3, token);
                store.verify_code(&attempt).await.unwrap()
            }
        };
        assert_eq!(verify("nobody's", Some(RIGHT), 10, b"t0").await, Verdict::Expired);
        assert_eq!(verify("old", Some(RIGHT), 10, b"t0").await, Verdict::Expired, "past its expiry");
        assert_eq!(verify("mine", Some(b"wrong"), 10, b"t0").await, Verdict::Wrong { attempts: 1 });
        assert_eq!(verify("mine", None, 11, b"t0").await, Verdict::Wrong { attempts: 2 }, "a malformed code counts");
        assert_eq!(
            verify("decoy", Some(RIGHT), 12, b"t0").await,
            Verdict::Wrong { attempts: 1 },
            "no code is right for a number nobody has"
        );
        let failures = db().await.failures_since(user.rowid, 0).await.unwrap();
        assert_eq!((failures.count, failures.oldest_at), (2, Some(10)), "the decoy's wrong code is no one's failure");
        assert_eq!(db().await.token_user(b"t1", 20).await.unwrap(), None);
        assert_eq!(verify("mine", Some(RIGHT), 20, b"t1").await, Verdict::SignedIn(user.clone()));
        assert_eq!(db().await.token_user(b"t1", 20).await.unwrap(), Some(user.clone()), "the token is stored");
        assert_eq!(verify("mine", Some(RIGHT), 21, b"t2").await, Verdict::Expired, "a code works once");
        assert_eq!(db().await.token_user(b"t2", 21).await.unwrap(), None);
        // A third wrong code reaches the user's cap (3): the next check stops before the code.
        assert_eq!(verify("next", Some(b"wrong"), 30, b"t3").await, Verdict::Wrong { attempts: 1 });
        assert_eq!(verify("next", Some(RIGHT), 31, b"t3").await, Verdict::RateLimited { oldest_at: Some(10) });
        assert_eq!(db().await.token_user(b"t3", 31).await.unwrap(), None, "the cap holds even for the right code");
        assert_eq!(db().await.failures_since(user.rowid, 0).await.unwrap().count, 3, "a refused check writes nothing");
        // The decoy's attempts run out like any challenge's.
        assert_eq!(verify("decoy", None, 40, b"t4").await, Verdict::Wrong { attempts: 2 });
        assert_eq!(verify("decoy", None, 41, b"t4").await, Verdict::Wrong { attempts: 3 });
        assert_eq!(verify("decoy", Some(RIGHT), 42, b"t4").await, Verdict::TooManyAttempts);
    }

    async fn a_transaction_dropped_before_commit_leaves_nothing(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut tx = store.transaction().await.unwrap();
        tx.add_user("a", "A", &[]).await.unwrap();
        drop(tx);
        let mut tx = store.transaction().await.unwrap();
        tx.add_user("b", "B", &[]).await.unwrap();
        tx.commit().await.unwrap();
        let names: Vec<String> = store.connection().await.unwrap().users().await.unwrap().into_iter().map(|u| u.username).collect();
        assert_eq!(names, ["b"]);
    }

    async fn reopening_runs_no_migration_twice(engine: Engine) {
        let (_dir, db, store) = open(engine).await;
        store.connection().await.unwrap().add_user("a", "A", &[]).await.unwrap();
        drop(store);
        let again = Store::open(&db.location.parse::<Database>().unwrap(), None).await.unwrap();
        assert_eq!(again.connection().await.unwrap().user("a").await.unwrap().display_name, "A");
    }

    async fn two_replicas_migrating_at_once_take_turns(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let db = common::TestDb::new(engine, dir.path());
        let location: Database = db.location.parse().unwrap();
        let opens = (0..4).map(|_| {
            let location = location.clone();
            tokio::spawn(async move { Store::open(&location, None).await.map(|_| ()) })
        });
        for opened in futures_util::future::join_all(opens).await {
            opened.unwrap().expect("every replica starts");
        }
    }

    async fn scim_user_names_are_unique_whatever_their_case(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        db.scim_create_user(&record("Alex@Contoso.com", vec![]), 1).await.unwrap();
        let again = db.scim_create_user(&record("alex@contoso.com", vec![]), 1).await;
        assert!(matches!(again, Err(StoreError::UserExists(_))));
        let (total, rows) = db.scim_users(&[UserTerm::Name("ALEX@CONTOSO.COM".into())], 0, 10).await.unwrap();
        assert_eq!((total, rows[0].user.username.as_str()), (1, "Alex@Contoso.com"));
    }

    async fn a_number_held_by_another_user_is_refused_and_a_deleted_user_frees_it(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        let a = db.scim_create_user(&record("a", vec![mobile("+12065550100")]), 1).await.unwrap();
        drop(db);
        let b = record("b", vec![mobile("+12065550100")]);
        let mut tx = store.transaction().await.unwrap();
        assert!(matches!(tx.scim_create_user(&b, 1).await, Err(StoreError::PhoneTaken)));
        drop(tx);
        let mut db = store.connection().await.unwrap();
        assert_eq!(db.scim_users(&[], 0, 10).await.unwrap().0, 1, "the refused user left nothing behind");
        db.scim_delete_user(a).await.unwrap();
        db.scim_create_user(&b, 1).await.unwrap();
    }

    async fn members_are_added_and_removed_by_scim_id(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        let a = db.scim_create_user(&record("a", vec![]), 1).await.unwrap();
        let a_id = db.scim_user(a).await.unwrap().unwrap().scim_id;
        assert_eq!(a_id.len(), 32, "128 bits in hex: {a_id}");
        let group = GroupRecord { name: "Contoso SMS Users".into(), external_id: None, members: None };
        let g = db.scim_create_group(&group, 1).await.unwrap();
        db.scim_add_members(g, std::slice::from_ref(&a_id), 2).await.unwrap();
        assert_eq!(db.user("a").await.unwrap().groups, ["Contoso SMS Users"]);
        assert!(matches!(db.scim_add_members(g, &["nope".into()], 2).await, Err(StoreError::NoSuchMember(_))));
        db.scim_remove_members(g, &[a_id], 3).await.unwrap();
        assert_eq!(db.scim_group(g, true).await.unwrap().unwrap().members, Some(vec![]));
    }

    async fn scim_tokens_are_found_by_hash_and_revoked_by_name(engine: Engine) {
        let (_dir, _db, store) = open(engine).await;
        let mut db = store.connection().await.unwrap();
        db.scim_token_create("entra", b"hash", 1).await.unwrap();
        assert!(matches!(db.scim_token_create("entra", b"other", 1).await, Err(StoreError::TokenExists(_))));
        assert_eq!(db.scim_token_name(b"hash").await.unwrap().as_deref(), Some("entra"));
        db.scim_token_revoke("entra").await.unwrap();
        assert_eq!(db.scim_token_name(b"hash").await.unwrap(), None);
        assert!(matches!(db.scim_token_revoke("entra").await, Err(StoreError::NoSuchToken(_))));
    }
}

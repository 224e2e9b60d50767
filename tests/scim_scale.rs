//! A full initial sync as Entra's provisioning service sends it, over real HTTP to a real
//! `shiftkey serve`: for each user a query by userName then a POST (with a mobile number);
//! for each group a query by displayName, a POST, then PATCHes adding members in batches of
//! up to 100. Ignored by default (a benchmark, not a test): BENCHMARKS.md has the figure and
//! the command. `SCIM_SCALE_USERS` / `SCIM_SCALE_GROUPS` / `SCIM_SCALE_CLIENTS` change the size.

mod common;

use std::time::{Duration, Instant};

use common::scim::ScimServer;
use futures_util::StreamExt;
use serde_json::{Value, json};

const MEMBER_BATCH: usize = 100;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --release --test scim_scale -- --ignored --nocapture"]
async fn a_full_initial_sync_of_ten_thousand_users_and_two_hundred_groups_takes_under_a_minute() {
    let users = setting("SCIM_SCALE_USERS", 10_000);
    let groups = setting("SCIM_SCALE_GROUPS", 200);
    let clients = setting("SCIM_SCALE_CLIENTS", 8);
    let server = ScimServer::start();
    let server = &server;

    let started = Instant::now();
    // Users: query by the matching attribute, then create. Numbers in a real exchange, since
    // the fictional 555-01xx range has only 100; provisioning never texts anyone.
    let ids: Vec<String> = futures_util::stream::iter(0..users)
        .map(|i| async move {
            let user_name = format!("worker{i:05}@contoso.com");
            let query = server.call("GET", &format!("/Users?filter=userName eq \"{user_name}\""), None).await;
            assert_eq!(query.body["totalResults"], 0, "{}", query.body);
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "externalId": format!("{i:08}-0000-4000-8000-000000000000"),
                "userName": user_name,
                "active": true,
                "displayName": format!("Worker {i}"),
                "emails": [{ "primary": true, "type": "work", "value": user_name }],
                "name": { "givenName": "Worker", "familyName": format!("{i}") },
                "phoneNumbers": [{ "type": "mobile", "value": format!("+1 206 234 {i:04}") }],
                "meta": { "resourceType": "User" },
            });
            let created = server.call("POST", "/Users", Some(&body.to_string())).await;
            assert_eq!(created.status.as_u16(), 201, "{}", created.body);
            created.body["id"].as_str().unwrap().to_string()
        })
        .buffered(clients)
        .collect()
        .await;
    let users_done = started.elapsed();

    // Groups: each user in two, so every group gets its members in PATCHes of up to 100.
    let per_group = (users * 2).div_ceil(groups.max(1));
    let ids = &ids;
    futures_util::stream::iter(0..groups)
        .map(|g| async move {
            let name = format!("Contoso Store {g:03} SMS Users");
            let query = format!("/Groups?excludedAttributes=members&filter=displayName eq \"{name}\"");
            assert_eq!(server.call("GET", &query, None).await.body["totalResults"], 0);
            let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
                "externalId": format!("{g:08}-0000-4000-8000-000000000000"), "meta": { "resourceType": "Group" } });
            let created = server.call("POST", "/Groups", Some(&body.to_string())).await;
            assert_eq!(created.status.as_u16(), 201, "{}", created.body);
            let gid = created.body["id"].as_str().unwrap().to_string();
            let members: Vec<&String> = (0..per_group).map(|k| &ids[(g * per_group + k) % ids.len()]).collect();
            for batch in members.chunks(MEMBER_BATCH) {
                let value: Vec<Value> = batch.iter().map(|id| json!({ "$ref": null, "value": id })).collect();
                let patch = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{ "op": "Add", "path": "members", "value": value }] });
                let answer = server.call("PATCH", &format!("/Groups/{gid}"), Some(&patch.to_string())).await;
                assert_eq!(answer.status.as_u16(), 204, "{}", answer.body);
            }
        })
        .buffered(clients)
        .collect::<Vec<()>>()
        .await;
    let total = started.elapsed();

    let all = server.call("GET", "/Users?count=1", None).await;
    assert_eq!(all.body["totalResults"], users + 2, "the seeded alex and jordan too");
    let last = server.call("GET", "/Groups?count=1&startIndex=1", None).await;
    assert_eq!(last.body["Resources"][0]["members"].as_array().unwrap().len(), per_group);
    let requests = users * 2 + groups * (2 + per_group.div_ceil(MEMBER_BATCH));
    eprintln!(
        "SCIM initial sync: {users} users in {:.1} s, then {groups} groups ({per_group} members each, PATCHes of \
         {MEMBER_BATCH}) in {:.1} s; {total:.1?} in all, {requests} requests, {clients} clients, {:.0} requests/s",
        users_done.as_secs_f64(),
        (total - users_done).as_secs_f64(),
        requests as f64 / total.as_secs_f64()
    );
    assert!(total < Duration::from_secs(60), "the sync took {total:?}");
}

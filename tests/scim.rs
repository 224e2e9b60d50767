//! `/scim/v2` over real HTTP: who may call it, what it refuses and how (RFC 7644 §3.12), and
//! what a change does to sign-in: a provisioned mobile signs in, a leaver's tokens end at once.

mod common;

use common::scim::ScimServer;
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn user_body(user_name: &str, extra: Value) -> String {
    let mut body = json!({ "schemas": [USER], "userName": user_name });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    body.to_string()
}

fn patch_body(operations: Value) -> String {
    json!({ "schemas": [PATCH], "Operations": operations }).to_string()
}

async fn me(server: &ScimServer, token: &str) -> u16 {
    let url = format!("{}/v1/me", server.backend.url);
    reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().status().as_u16()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

on_both_engines! {
    async fn without_a_valid_token_every_endpoint_answers_401_with_a_scim_error(engine: Engine) {
        let server = ScimServer::start_on(engine);
        for token in [None, Some("not-a-token"), Some("")] {
            for path in ["/Users", "/Groups", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"] {
                let answer = server.call_as("GET", path, None, token).await;
                answer.error(401, None);
                assert_eq!(answer.content_type, "application/scim+json");
            }
        }
        let answer = server.call_as("POST", "/Users", Some(&user_body("x", json!({}))), Some("nope")).await;
        answer.error(401, None);
        // A revoked token stops working at once.
        let (ok, _, err) = common::admin(&server.backend.db, &["scim", "token", "revoke", "entra"]);
        assert!(ok, "{err}");
        server.call("GET", "/Users", None).await.error(401, None);
    }

    async fn uniqueness_is_a_409_that_names_no_other_user(engine: Engine) {
        let server = ScimServer::start_on(engine);
        // alex exists (seeded by admin); user names are unique whatever their case.
        let again = server.call("POST", "/Users", Some(&user_body("ALEX", json!({})))).await;
        again.error(409, Some("uniqueness"));
        // Alex's mobile for someone else: refused without naming Alex.
        let body = user_body("sam", json!({ "phoneNumbers": [{ "type": "mobile", "value": "+1 206 555 0100" }] }));
        let detail = server.call("POST", "/Users", Some(&body)).await.error(409, Some("uniqueness"));
        assert!(detail.contains("already assigned to another user"), "{detail}");
        assert!(!detail.to_lowercase().contains("alex") && !detail.contains("0100"), "{detail}");
        assert_eq!(
            server.call("GET", "/Users?filter=userName eq \"sam\"", None).await.body["totalResults"],
            0,
            "nothing left"
        );
        // Group names too.
        let group = json!({ "displayName": "Contoso SMS Users" }).to_string();
        assert_eq!(server.call("POST", "/Groups", Some(&group)).await.status.as_u16(), 201);
        let twice = json!({ "displayName": "contoso sms users" }).to_string();
        server.call("POST", "/Groups", Some(&twice)).await.error(409, Some("uniqueness"));
    }

    async fn invalid_numbers_are_400_invalid_value_naming_the_rule(engine: Engine) {
        let server = ScimServer::start_on(engine);
        for (number, rule) in [
            ("+1 4251234567", "a US exchange can't start with 1"),
            ("+1 800 555 0199", "toll-free"),
            ("2065550123", "has no country code"),
        ] {
            let body = user_body("sam", json!({ "phoneNumbers": [{ "type": "mobile", "value": number }] }));
            let detail = server.call("POST", "/Users", Some(&body)).await.error(400, Some("invalidValue"));
            assert!(detail.contains(rule), "{number}: {detail}");
            assert!(detail.contains("phoneNumbers[type eq \"mobile\"]"), "{detail}");
        }
        // The same rule through PATCH.
        let id = server.id_of("alex").await;
        let patch = patch_body(
            json!([{ "op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 4251234567" }]),
        );
        server.call("PATCH", &format!("/Users/{id}"), Some(&patch)).await.error(400, Some("invalidValue"));
        // Refusals are audited with the number masked.
        let audit = server.audit();
        let refused: Vec<&Value> = audit.iter().filter(|r| r["ok"] == false).collect();
        assert!(refused.len() >= 4, "{audit:?}");
        let text = serde_json::to_string(&audit).unwrap();
        assert!(!text.contains("4251234567") && !text.contains("555 0199"), "{text}");
    }

    async fn unsupported_and_malformed_filters_are_400_invalid_filter(engine: Engine) {
        let server = ScimServer::start_on(engine);
        for filter in [
            "title eq \"Clerk\"",
            "userName co \"a\"",
            "userName eq",
            "((userName",
            "userName eq \"a\" or userName eq \"b\"",
        ] {
            let path = format!("/Users?filter={}", urlencode(filter));
            server.call("GET", &path, None).await.error(400, Some("invalidFilter"));
        }
        let path = format!("/Groups?filter={}", urlencode("userName eq \"alex\""));
        server.call("GET", &path, None).await.error(400, Some("invalidFilter"));
        server.call("GET", "/Users?startIndex=first", None).await.error(400, Some("invalidValue"));
    }

    async fn an_oversize_body_is_413(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let body = user_body("big", json!({ "displayName": "x".repeat(300 * 1024) }));
        server.call("POST", "/Users", Some(&body)).await.error(413, None);
    }

    async fn attributes_are_handled_as_the_rfc_says(engine: Engine) {
        let server = ScimServer::start_on(engine);
        // An attribute no schema defines: invalidSyntax. One the core schema defines but shiftkey
        // doesn't keep: accepted, not stored. Read-only ones (id, meta, groups): ignored.
        let unknown = user_body("sam", json!({ "favouriteColour": "red" }));
        let detail = server.call("POST", "/Users", Some(&unknown)).await.error(400, Some("invalidSyntax"));
        assert!(detail.contains("favouriteColour"), "{detail}");
        let body =
            user_body("sam", json!({ "title": "Clerk", "id": "mine", "groups": [{ "value": "g" }], "Locale": "en-US" }));
        let created = server.call("POST", "/Users", Some(&body)).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_string();
        assert_ne!(id, "mine");
        assert!(created.body.get("title").is_none() && created.body.get("groups").is_none());
        // Attribute names are case-insensitive.
        let patch = patch_body(json!([{ "op": "REPLACE", "path": "DisplayName", "value": "Sam O" }]));
        assert_eq!(server.call("PATCH", &format!("/Users/{id}"), Some(&patch)).await.body["displayName"], "Sam O");
        // PATCH: an unknown path is invalidPath; a read-only one is mutability; no path on remove is noTarget.
        let unknown_path = patch_body(json!([{ "op": "add", "path": "favouriteColour", "value": "red" }]));
        server.call("PATCH", &format!("/Users/{id}"), Some(&unknown_path)).await.error(400, Some("invalidPath"));
        let read_only = patch_body(json!([{ "op": "replace", "path": "id", "value": "x" }]));
        server.call("PATCH", &format!("/Users/{id}"), Some(&read_only)).await.error(400, Some("mutability"));
        let no_target = patch_body(json!([{ "op": "remove" }]));
        server.call("PATCH", &format!("/Users/{id}"), Some(&no_target)).await.error(400, Some("noTarget"));
        // Not JSON: invalidSyntax.
        server.call("POST", "/Users", Some("{not json")).await.error(400, Some("invalidSyntax"));
        // Unknown endpoints and methods: SCIM errors too.
        server.call("GET", "/Widgets", None).await.error(404, None);
        server.call("DELETE", "/ServiceProviderConfig", None).await.error(405, None);
        server.call("POST", "/.search", Some("{}")).await.error(501, None);
    }

    async fn a_provisioned_mobile_signs_in_and_deactivation_ends_the_session_at_once(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let body = user_body(
            "sam@contoso.com",
            json!({ "displayName": "Sam Okafor", "active": true,
                    "phoneNumbers": [{ "type": "mobile", "value": "+1 206 555 0150", "primary": true }] }),
        );
        let created = server.call("POST", "/Users", Some(&body)).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.body);
        assert_eq!(created.body["phoneNumbers"][0]["value"], "+1 206 555 0150", "read back as sent");
        let id = created.body["id"].as_str().unwrap().to_string();
        let token = server.backend.sign_in("+12065550150").await;
        assert_eq!(me(&server, &token).await, 200);
        // A code texted before the deactivation, not typed yet.
        let url = &server.backend.url;
        let before = common::outbox_codes(&server.backend.outbox, "+12065550150").len();
        let (_, pending) = common::post_json(url, "/v1/sign-in/start", json!({ "phone": "+12065550150" })).await;
        let pending_code = server.backend.codes_for("+12065550150", before + 1).pop().unwrap();

        let disable = patch_body(json!([{ "op": "Replace", "path": "active", "value": "False" }]));
        let answer = server.call("PATCH", &format!("/Users/{id}"), Some(&disable)).await;
        assert_eq!(answer.body["active"], false);
        assert_eq!(me(&server, &token).await, 401, "a deactivated worker's token ends with the PATCH");
        // Re-enabled, the code they had matches nothing; they sign in again with a new one, and
        // deleting them ends that token too.
        let enable = patch_body(json!([{ "op": "replace", "path": "active", "value": true }]));
        server.call("PATCH", &format!("/Users/{id}"), Some(&enable)).await;
        let verify = json!({ "challenge_id": pending["challenge_id"], "code": pending_code });
        let (status, refused) = common::post_json(url, "/v1/sign-in/verify", verify).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_code")), "{refused}");
        let before = common::outbox_codes(&server.backend.outbox, "+12065550150").len();
        let (_, started) = common::post_json(url, "/v1/sign-in/start", json!({ "phone": "+12065550150" })).await;
        let code = server.backend.codes_for("+12065550150", before + 1).pop().unwrap();
        let (_, grant) =
            common::post_json(url, "/v1/sign-in/verify", json!({ "challenge_id": started["challenge_id"], "code": code }))
                .await;
        let token = grant["access_token"].as_str().unwrap().to_string();
        assert_eq!(grant["user"]["display_name"], "Sam Okafor");
        assert_eq!(me(&server, &token).await, 200);
        assert_eq!(server.call("DELETE", &format!("/Users/{id}"), None).await.status.as_u16(), 204);
        assert_eq!(me(&server, &token).await, 401, "a deleted worker's token ends with the DELETE");
    }

    async fn put_replaces_and_disabling_through_put_revokes_too(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let token = server.backend.sign_in("+12065550100").await;
        let id = server.id_of("alex").await;
        let body = user_body(
            "alex",
            json!({ "active": false, "displayName": "Alex Rivera",
            "phoneNumbers": [{ "type": "mobile", "value": "+12065550100" }] }),
        );
        let replaced = server.call("PUT", &format!("/Users/{id}"), Some(&body)).await;
        assert_eq!((replaced.status.as_u16(), &replaced.body["active"]), (200, &json!(false)), "{}", replaced.body);
        assert_eq!(me(&server, &token).await, 401);
        // A PUT that doesn't mention numbers or roles keeps them; [] clears them.
        let jordan = server.id_of("jordan").await;
        let body = user_body("jordan", json!({ "displayName": "Jordan Lee" }));
        let kept = server.call("PUT", &format!("/Users/{jordan}"), Some(&body)).await.body;
        assert_eq!(kept["phoneNumbers"][0]["value"], "+12065550109", "{kept}");
        assert_eq!(kept["roles"][0]["value"], "kiosk-manager");
        let body = user_body("jordan", json!({ "phoneNumbers": [], "roles": null }));
        let cleared = server.call("PUT", &format!("/Users/{jordan}"), Some(&body)).await.body;
        assert!(cleared.get("phoneNumbers").is_none() && cleared.get("roles").is_none(), "{cleared}");
    }

    async fn groups_by_display_name_drive_the_policys_targeting(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let db = &server.backend.db;
        let group = server.call("POST", "/Groups", Some(&json!({ "displayName": "Contoso SMS Users" }).to_string())).await;
        let gid = group.body["id"].as_str().unwrap().to_string();
        let (ok, _, err) = common::admin(db, &["policy", "set", "--target-group", "Contoso SMS Users"]);
        assert!(ok, "{err}");
        let show = |user: &str| {
            let (_, out, _) = common::admin(db, &["--json", "user", "show", user]);
            serde_json::from_str::<Value>(&out).unwrap()
        };
        assert_eq!(show("alex")["sms_sign_in"]["enabled"], false, "not in the targeted group yet");
        let alex = server.id_of("alex").await;
        let add = patch_body(json!([{ "op": "Add", "path": "members", "value": [{ "value": alex }] }]));
        assert_eq!(server.call("PATCH", &format!("/Groups/{gid}"), Some(&add)).await.status.as_u16(), 204);
        assert_eq!(show("alex")["sms_sign_in"]["enabled"], true);
        assert_eq!(show("alex")["user"]["groups"][0], "Contoso SMS Users");
        // An unknown member refuses the batch.
        let ghost = patch_body(json!([{ "op": "Add", "path": "members", "value": [{ "value": "ghost" }] }]));
        server.call("PATCH", &format!("/Groups/{gid}"), Some(&ghost)).await.error(400, Some("invalidValue"));
    }

    async fn lists_page_with_start_index_and_count(engine: Engine) {
        let server = ScimServer::start_on(engine);
        for i in 0..5 {
            server.call("POST", "/Users", Some(&user_body(&format!("worker{i}"), json!({})))).await;
        }
        let page = server.call("GET", "/Users?startIndex=3&count=2", None).await.body;
        assert_eq!((&page["totalResults"], &page["startIndex"], &page["itemsPerPage"]), (&7.into(), &3.into(), &2.into()));
        let names: Vec<&str> =
            page["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap()).collect();
        assert_eq!(names, ["worker0", "worker1"], "alex and jordan come first, in a stable order");
        let attributes = server.call("GET", "/Users?count=1&attributes=userName", None).await.body;
        let first = attributes["Resources"][0].as_object().unwrap();
        let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["id", "schemas", "userName"]);
    }
}

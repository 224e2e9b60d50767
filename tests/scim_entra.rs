//! The requests Entra ID's provisioning service sends, replayed verbatim against a real
//! `shiftkey serve`, with the answers Microsoft documents ("Tutorial: Develop and plan
//! provisioning for a SCIM endpoint in Microsoft Entra ID", and "Known issues and resolutions
//! with SCIM 2.0 protocol compliance"); then Okta's documented forms ("SCIM 2.0 Protocol
//! Reference"). Bodies are the documents' text; only ids the documents show as placeholders of
//! resources created earlier are replaced by the ids this server gave them.

mod common;

use common::scim::{Answer, ScimServer};
use serde_json::Value;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Entra, "Create User" request.
const CREATE_USER: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}"#;

/// Entra, "Update User [Multi-valued properties]".
const UPDATE_MULTI: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}"#;

/// Entra, "Update User [Single-valued properties]".
const UPDATE_SINGLE: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}"#;

/// Entra, "Disable User".
const DISABLE_USER: &str = r#"{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}"#;

/// Entra, "Create Group".
const CREATE_GROUP: &str = r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}"#;

/// Entra, "Update Group [Non-member attributes]".
const UPDATE_GROUP_NAME: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}"#;

/// Entra, "Update Group [Add Members]"; `f648f8d5ea4e4cd38e9c` is the user created before.
const ADD_MEMBERS: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Add",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}"#;

/// Entra, "Update Group [Remove Members]".
const REMOVE_MEMBERS: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Remove",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}"#;

fn ok(answer: &Answer, status: u16) -> &Value {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    if !answer.body.is_null() {
        assert_eq!(answer.content_type, "application/scim+json");
    }
    &answer.body
}

/// The documented shape of a User answer.
fn assert_user_shape(user: &Value) {
    assert_eq!(user["schemas"][0], USER, "{user}");
    assert!(user["id"].as_str().is_some_and(|id| !id.is_empty()), "{user}");
    assert_eq!(user["meta"]["resourceType"], "User");
    for time in ["created", "lastModified"] {
        assert!(humantime::parse_rfc3339(user["meta"][time].as_str().unwrap()).is_ok(), "{user}");
    }
}

/// "Example 2. Provision a user": nulls for unassigned attributes, enterprise attributes at the
/// top level, and the extension URN misspelt, as the document has them.
const EXAMPLE_PROVISION: &str = r#"{
   "schemas":
   [
     "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
   "externalId":"jyoung",
   "userName":"jyoung@testuser.com",
   "active":true,
   "addresses":null,
   "displayName":"Joy Young",
   "emails": [
     {
       "type":"work",
       "value":"jyoung@Contoso.com",
       "primary":true}],
   "meta": {
     "resourceType":"User"},
    "name":{
     "familyName":"Young",
     "givenName":"Joy"},
   "phoneNumbers":null,
   "preferredLanguage":null,
   "title":null,
   "department":null,
   "manager":null}"#;

/// "Example 5. … update a user": the manager reference (an attribute shiftkey sets aside).
const EXAMPLE_MANAGER: &str = r#"{
    "schemas": 
    [
      "urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":
    [
      {
        "op":"Add",
        "path":"manager",
        "value":
          [
            {
              "$ref":"http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
              "value":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}]}]}"#;

/// Okta, "Create the User" (with the password Okta may push: never stored, never echoed).
const OKTA_CREATE_USER: &str = r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Test",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work"
    }],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": true
}"#;

on_both_engines! {
    async fn entra_user_operations_get_the_documented_answers(engine: Engine) {
        let server = ScimServer::start_on(engine);

        // Create User → 201 Created with the user.
        let created = server.call("POST", "/Users", Some(CREATE_USER)).await;
        let user = ok(&created, 201).clone();
        assert_user_shape(&user);
        assert_eq!(user["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
        assert_eq!(user["userName"], "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee");
        assert_eq!(user["active"], true);
        assert_eq!(user["name"]["formatted"], "givenName familyName");
        assert_eq!(user["name"]["familyName"], "familyName");
        assert_eq!(user["emails"][0]["value"], "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com");
        assert_eq!((&user["emails"][0]["type"], &user["emails"][0]["primary"]), (&"work".into(), &true.into()));
        let id = user["id"].as_str().unwrap().to_string();

        // Get User → 200 with the same user; an unknown id → 404 with an error body.
        let got = server.call("GET", &format!("/Users/{id}"), None).await;
        assert_eq!(ok(&got, 200)["userName"], user["userName"]);
        let missing = server.call("GET", "/Users/5171a35d82074e068ce2", None).await;
        missing.error(404, None);

        // Get User by query → a ListResponse with the one user; zero results → an empty one.
        let found =
            server.call("GET", "/Users?filter=userName eq \"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee\"", None).await;
        let list = ok(&found, 200);
        assert_eq!(list["schemas"][0], LIST);
        assert_eq!((&list["totalResults"], &list["startIndex"], &list["itemsPerPage"]), (&1.into(), &1.into(), &1.into()));
        assert_eq!(list["Resources"][0]["id"], id.as_str());
        let none = server.call("GET", "/Users?filter=userName eq \"non-existent user\"", None).await;
        let list = ok(&none, 200);
        assert_eq!((&list["totalResults"], &list["Resources"]), (&0.into(), &Value::Array(vec![])));
        assert_eq!(list["startIndex"], 1);

        // Update User [Multi-valued properties] → 200 with the new email and family name.
        let updated = server.call("PATCH", &format!("/Users/{id}"), Some(UPDATE_MULTI)).await;
        let user = ok(&updated, 200);
        assert_user_shape(user);
        assert_eq!(user["emails"][0]["value"], "updatedEmail@microsoft.com");
        assert_eq!((&user["emails"][0]["type"], &user["emails"][0]["primary"]), (&"work".into(), &true.into()));
        assert_eq!(user["name"]["familyName"], "updatedFamilyName");
        assert_eq!(user["name"]["givenName"], "givenName");
        let by_email = server
            .call("GET", "/Users?filter=emails[type eq \"work\"].value eq \"updatedemail@microsoft.com\"", None)
            .await;
        assert_eq!(ok(&by_email, 200)["totalResults"], 1, "the work email is a matching attribute");

        // Update User [Single-valued properties] → 200 with the new userName.
        let renamed = server.call("PATCH", &format!("/Users/{id}"), Some(UPDATE_SINGLE)).await;
        assert_eq!(ok(&renamed, 200)["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");

        // Disable User → 200, active false.
        let disabled = server.call("PATCH", &format!("/Users/{id}"), Some(DISABLE_USER)).await;
        let user = ok(&disabled, 200);
        assert_eq!(user["active"], false);
        assert_eq!(user["id"], id.as_str());

        // Delete User → 204 No Content; then it is gone.
        let deleted = server.call("DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(ok(&deleted, 204), &Value::Null);
        server.call("GET", &format!("/Users/{id}"), None).await.error(404, None);
    }

    async fn entra_group_operations_get_the_documented_answers(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let member = server.call("POST", "/Users", Some(CREATE_USER)).await;
        let member_id = ok(&member, 201)["id"].as_str().unwrap().to_string();

        // Create Group → 201 with an empty members list.
        let created = server.call("POST", "/Groups", Some(CREATE_GROUP)).await;
        let group = ok(&created, 201).clone();
        assert_eq!(group["schemas"][0], GROUP);
        assert_eq!(group["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
        assert_eq!(group["displayName"], "displayName");
        assert_eq!(group["members"], Value::Array(vec![]));
        assert_eq!(group["meta"]["resourceType"], "Group");
        let id = group["id"].as_str().unwrap().to_string();

        // Get Group with excludedAttributes=members → no members.
        let got = server.call("GET", &format!("/Groups/{id}?excludedAttributes=members"), None).await;
        let got = ok(&got, 200);
        assert_eq!(got["displayName"], "displayName");
        assert!(got.get("members").is_none(), "{got}");

        // Get Group by displayName → a ListResponse of one, without members.
        let found =
            server.call("GET", "/Groups?excludedAttributes=members&filter=displayName eq \"displayName\"", None).await;
        let list = ok(&found, 200);
        assert_eq!((&list["schemas"][0], &list["totalResults"]), (&LIST.into(), &1.into()));
        assert_eq!(list["Resources"][0]["id"], id.as_str());
        assert!(list["Resources"][0].get("members").is_none());

        // Update Group [Non-member attributes] → 204.
        let renamed = server.call("PATCH", &format!("/Groups/{id}"), Some(UPDATE_GROUP_NAME)).await;
        assert_eq!(ok(&renamed, 204), &Value::Null);
        let got = server.call("GET", &format!("/Groups/{id}"), None).await;
        assert_eq!(ok(&got, 200)["displayName"], "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");

        // Update Group [Add Members] → 204, and the user is a member.
        let add = ADD_MEMBERS.replace("f648f8d5ea4e4cd38e9c", &member_id);
        assert_eq!(ok(&server.call("PATCH", &format!("/Groups/{id}"), Some(&add)).await, 204), &Value::Null);
        let got = server.call("GET", &format!("/Groups/{id}"), None).await;
        assert_eq!(ok(&got, 200)["members"][0]["value"], member_id.as_str());
        let user = server.call("GET", &format!("/Users/{member_id}"), None).await;
        assert_eq!(ok(&user, 200)["groups"][0]["value"], id.as_str(), "the user's groups show it");

        // Update Group [Remove Members] → 204, and the group is empty again.
        let remove = REMOVE_MEMBERS.replace("f648f8d5ea4e4cd38e9c", &member_id);
        assert_eq!(ok(&server.call("PATCH", &format!("/Groups/{id}"), Some(&remove)).await, 204), &Value::Null);
        let got = server.call("GET", &format!("/Groups/{id}"), None).await;
        assert_eq!(ok(&got, 200)["members"], Value::Array(vec![]));

        // Delete Group → 204.
        assert_eq!(ok(&server.call("DELETE", &format!("/Groups/{id}"), None).await, 204), &Value::Null);
        server.call("GET", &format!("/Groups/{id}"), None).await.error(404, None);
    }

    async fn entra_schema_discovery_lists_user_and_group(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let schemas = server.call("GET", "/Schemas", None).await;
        let list = ok(&schemas, 200);
        assert_eq!(list["schemas"][0], LIST);
        let resources = list["Resources"].as_array().unwrap();
        assert_eq!(list["totalResults"], resources.len());
        let schema = |id: &str| resources.iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} in {list}"));
        let user = schema(USER);
        assert_eq!(user["name"], "User");
        assert_eq!(user["meta"]["resourceType"], "Schema");
        let user_name = user["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "userName").unwrap();
        assert_eq!((&user_name["required"], &user_name["uniqueness"]), (&true.into(), &"server".into()));
        assert!(schema(GROUP)["attributes"].as_array().unwrap().iter().any(|a| a["name"] == "displayName"));
    }

    async fn entra_sample_code_requests_work(engine: Engine) {
        let server = ScimServer::start_on(engine);
        // Example 1: the matching query, unquoted as the document writes it; nothing yet.
        let before = server.call("GET", "/Users?filter=externalId eq jyoung", None).await;
        assert_eq!(ok(&before, 200)["totalResults"], 0);
        // Example 2: provision.
        let created = server.call("POST", "/Users", Some(EXAMPLE_PROVISION)).await;
        let user = ok(&created, 201).clone();
        assert_eq!((&user["displayName"], &user["externalId"]), (&"Joy Young".into(), &"jyoung".into()));
        assert!(user.get("title").is_none() && user.get("addresses").is_none());
        let id = user["id"].as_str().unwrap();
        let after = server.call("GET", "/Users?filter=externalId eq jyoung", None).await;
        assert_eq!(ok(&after, 200)["Resources"][0]["id"], id);
        // Example 3: query the current state.
        assert_eq!(ok(&server.call("GET", &format!("/Users/{id}"), None).await, 200)["userName"], "jyoung@testuser.com");
        // Example 5: add a manager → accepted; shiftkey keeps no manager.
        let patched = server.call("PATCH", &format!("/Users/{id}"), Some(EXAMPLE_MANAGER)).await;
        assert!(ok(&patched, 200).get("manager").is_none());
        // Example 6: deprovision.
        assert_eq!(server.call("DELETE", &format!("/Users/{id}"), None).await.status.as_u16(), 204);
    }

    /// The compliance article's PATCH forms, with and without its feature flag.
    async fn entra_patch_forms_with_and_without_the_compliance_flag_work(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let user = server.call("POST", "/Users", Some(CREATE_USER)).await;
        let id = ok(&user, 201)["id"].as_str().unwrap().to_string();
        let patch = |body: &'static str| {
            let server = &server;
            let path = format!("/Users/{id}");
            async move { server.call("PATCH", &path, Some(body)).await }
        };

        // Add a single-valued string attribute (nickName, which shiftkey sets aside), both forms.
        for body in [
            r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
          {
            "op": "Add",
            "path": "nickName",
            "value": "Babs"
          }
        ]
      }"#,
            r#"{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
          {
            "op": "add",
            "path": "nickName",
            "value": "Babs"
          }
        ]
      }"#,
        ] {
            assert_eq!(patch(body).await.status.as_u16(), 200);
        }

        // Replace multiple attributes, without the flag: one operation each, employeeNumber by URN.
        let without = patch(
            r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
            {
                "op": "Replace",
                "path": "displayName",
                "value": "Pvlo"
            },
            {
                "op": "Replace",
                "path": "emails[type eq \"work\"].value",
                "value": "TestBcwqnm@test.microsoft.com"
            },
            {
                "op": "Replace",
                "path": "name.givenName",
                "value": "Gtfd"
            },
            {
                "op": "Replace",
                "path": "name.familyName",
                "value": "Pkqf"
            },
            {
                "op": "Replace",
                "path": "externalId",
                "value": "Eqpj"
            },
            {
                "op": "Replace",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value": "Eqpj"
            }
        ]
      }"#,
        )
        .await;
        let user = ok(&without, 200);
        assert_eq!((&user["displayName"], &user["externalId"]), (&"Pvlo".into(), &"Eqpj".into()));
        assert_eq!((&user["name"]["givenName"], &user["name"]["familyName"]), (&"Gtfd".into(), &"Pkqf".into()));
        assert_eq!(user["emails"][0]["value"], "TestBcwqnm@test.microsoft.com");

        // With the flag: a path-less value whose keys are paths.
        let with = patch(
            r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
            {
                "op": "replace",
                "path": "emails[type eq \"work\"].value",
                "value": "TestMhvaes@test.microsoft.com"
            },
            {
                "op": "replace",
                "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
                }
            }
        ]
      }"#,
        )
        .await;
        let user = ok(&with, 200);
        assert_eq!(user["displayName"], "Bjfe");
        assert_eq!((&user["name"]["givenName"], &user["name"]["familyName"]), (&"Kkom".into(), &"Unua".into()));
        assert_eq!(user["emails"][0]["value"], "TestMhvaes@test.microsoft.com");

        // Disable without the flag: "active" as the string "False".
        let disabled = patch(
            r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
            {
                "op": "Replace",
                "path": "active",
                "value": "False"
            }
        ]
      }"#,
        )
        .await;
        assert_eq!(ok(&disabled, 200)["active"], false);
        // And enable again with the flag's boolean.
        let enabled = patch(
            r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
            {
                "op": "replace",
                "path": "active",
                "value": true
            }
        ]
      }"#,
        )
        .await;
        assert_eq!(ok(&enabled, 200)["active"], true);

        // The mobile number, as the default mapping writes it.
        let mobile = patch(
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 206 555 0150"}]}"#,
        )
        .await;
        assert_eq!(ok(&mobile, 200)["phoneNumbers"], serde_json::json!([{ "type": "mobile", "value": "+1 206 555 0150" }]));
    }

    async fn entra_member_removal_works_with_and_without_the_compliance_flag(engine: Engine) {
        let server = ScimServer::start_on(engine);
        let mut ids = Vec::new();
        for name in ["u1091@contoso.com", "u1092@contoso.com"] {
            let body = format!(r#"{{"schemas":["{USER}"],"userName":"{name}"}}"#);
            ids.push(ok(&server.call("POST", "/Users", Some(&body)).await, 201)["id"].as_str().unwrap().to_string());
        }
        let group = server.call("POST", "/Groups", Some(CREATE_GROUP)).await;
        let group = ok(&group, 201)["id"].as_str().unwrap().to_string();
        let add = format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Add","path":"members","value":[{{"value":"{}"}},{{"value":"{}"}}]}}]}}"#,
            ids[0], ids[1]
        );
        assert_eq!(server.call("PATCH", &format!("/Groups/{group}"), Some(&add)).await.status.as_u16(), 204);

        // Without the flag ("u1091" is the first user's id here).
        let without = r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
            {
                "op": "Remove",
                "path": "members",
                "value": [
                    {
                        "value": "u1091"
                    }
                ]
            }
        ]
      }"#
        .replace("u1091", &ids[0]);
        assert_eq!(server.call("PATCH", &format!("/Groups/{group}"), Some(&without)).await.status.as_u16(), 204);
        // With the flag (the second user's id for the document's).
        let with = r#"{
        "schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"
        ],
        "Operations": [
            {
                "op": "remove",
                "path": "members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"
            }
        ]
      }"#
        .replace("7f4bc1a3-285e-48ae-8202-5accb43efb0e", &ids[1]);
        assert_eq!(server.call("PATCH", &format!("/Groups/{group}"), Some(&with)).await.status.as_u16(), 204);
        let got = server.call("GET", &format!("/Groups/{group}"), None).await;
        assert_eq!(ok(&got, 200)["members"], Value::Array(vec![]));
    }

    async fn okta_documented_requests_work(engine: Engine) {
        let server = ScimServer::start_on(engine);
        // Determine if the User already exists (the query string as Okta encodes it).
        let query = "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100";
        assert_eq!(ok(&server.call("GET", query, None).await, 200)["totalResults"], 0);
        // Create the User → 201; no password comes back.
        let created = server.call("POST", "/Users", Some(OKTA_CREATE_USER)).await;
        let user = ok(&created, 201).clone();
        assert_eq!((&user["displayName"], &user["externalId"]), (&"Test User".into(), &"00ujl29u0le5T6Aj10h7".into()));
        assert!(user.get("password").is_none() && !created.body.to_string().contains("1mz050nq"));
        let id = user["id"].as_str().unwrap().to_string();
        assert_eq!(ok(&server.call("GET", query, None).await, 200)["Resources"][0]["id"], id.as_str());
        // The same user again → 409 with an error body.
        server.call("POST", "/Users", Some(OKTA_CREATE_USER)).await.error(409, Some("uniqueness"));
        // Retrieve Users, page by page.
        let page = server.call("GET", "/Users?startIndex=1&count=100", None).await;
        let page = ok(&page, 200);
        assert_eq!((&page["totalResults"], &page["startIndex"]), (&3.into(), &1.into()), "alex, jordan and the new user");
        assert!(page["itemsPerPage"].is_u64());

        // Update a specific User (PUT).
        let put = r#"{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
        "userName": "test.user@okta.local",
        "name": {
            "givenName": "Another",
            "middleName": "Excited",
            "familyName": "User"
        },
        "emails": [{
            "primary": true,
            "value": "test.user@okta.local",
            "type": "work",
            "display": "test.user@okta.local"
        }],
        "active": true,
        "groups": [],
        "meta": {
            "resourceType": "User"
        }
    }"#
        .replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &id);
        let replaced = server.call("PUT", &format!("/Users/{id}"), Some(&put)).await;
        let user = ok(&replaced, 200);
        assert_eq!(user["name"]["middleName"], "Excited");
        assert_eq!(user["emails"][0]["display"], "test.user@okta.local");
        assert_eq!(user["active"], true);

        // Deactivate (PATCH, a path-less value).
        let deactivate = r#"{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{
            "op": "replace",
            "value": {
                "active": false
            }
        }]
    }"#;
        assert_eq!(ok(&server.call("PATCH", &format!("/Users/{id}"), Some(deactivate)).await, 200)["active"], false);

        // Create Groups.
        let group = server
            .call(
                "POST",
                "/Groups",
                Some(
                    r#"{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Test SCIMv2",
        "members": []
    }"#,
                ),
            )
            .await;
        let group = ok(&group, 201).clone();
        assert_eq!((&group["displayName"], &group["members"]), (&"Test SCIMv2".into(), &Value::Array(vec![])));
        let gid = group["id"].as_str().unwrap().to_string();
        assert_eq!(ok(&server.call("GET", "/Groups?startIndex=1&count=100", None).await, 200)["totalResults"], 1);

        // Update a specific Group name (with the group's own id in the value).
        let rename = r#"{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{
            "op": "replace",
            "value": {
                "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
                "displayName": "Test SCIMv2"
            }
        }]
    }"#
        .replace("abf4dd94-a4c0-4f67-89c9-76b03340cb9b", &gid);
        assert_eq!(server.call("PATCH", &format!("/Groups/{gid}"), Some(&rename)).await.status.as_u16(), 204);

        // Update specific Group membership: remove one (not a member yet: no error), add the user.
        let membership = r#"{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{
              "op": "remove",
              "path": "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"
            },
            {
              "op": "add",
              "path": "members",
              "value": [{
                  "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
                  "display": "test.user@okta.local"
            }]
        }]
    }"#
        .replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &id);
        assert_eq!(server.call("PATCH", &format!("/Groups/{gid}"), Some(&membership)).await.status.as_u16(), 204);
        let got = server.call("GET", &format!("/Groups/{gid}"), None).await;
        assert_eq!(ok(&got, 200)["members"][0]["value"], id.as_str());

        // A full push of the membership with replace.
        let alex = ok(&server.call("GET", "/Users?filter=userName eq \"alex\"", None).await, 200)["Resources"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let replace = r#"{
      "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
      ],
      "Operations": [
        {
          "op": "replace",
          "path": "members",
          "value": [
            {
              "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
              "display": "test.user@okta.local"
            },
            {
              "value": "89bb1940-b905-4575-9e7f-6f887cfb368e",
              "display": "test.user@okta.local"
            }
          ]
        }
      ]
    }"#
        .replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &id)
        .replace("89bb1940-b905-4575-9e7f-6f887cfb368e", &alex);
        assert_eq!(server.call("PATCH", &format!("/Groups/{gid}"), Some(&replace)).await.status.as_u16(), 204);
        let got = server.call("GET", &format!("/Groups/{gid}"), None).await;
        assert_eq!(ok(&got, 200)["members"].as_array().unwrap().len(), 2);

        // Delete a specific Group.
        assert_eq!(server.call("DELETE", &format!("/Groups/{gid}"), None).await.status.as_u16(), 204);
        // Every change was audited under the token's name, without the password.
        let audit = server.audit();
        assert!(audit.len() >= 8 && audit.iter().all(|r| r["actor"] == "entra"), "{audit:?}");
        let text = std::fs::read_to_string(server.backend.db.audit()).unwrap();
        assert!(!text.contains("1mz050nq") && !text.contains(&server.token));
    }
}

//! Discovery (RFC 7644 §4): `ServiceProviderConfig`, `ResourceTypes` and `Schemas`. The
//! schemas are `assets/scim/schemas.json`: the RFC's own definitions, with User cut down to the
//! attributes shiftkey keeps, so a client (and `scim2-tester`) sees exactly what round-trips.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::{GROUP_SCHEMA, ListResponse, USER_SCHEMA};
use super::{BaseUrl, DEFAULT_PAGE, MAX_PAGE, ScimClient, ScimError, scim_json};

const SCHEMAS: &str = include_str!("../../../assets/scim/schemas.json");

fn schemas_list() -> &'static [Value] {
    static PARSED: OnceLock<Vec<Value>> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(SCHEMAS).expect("assets/scim/schemas.json is a list of schemas"))
}

fn with_meta(mut resource: Value, resource_type: &str, location: String) -> Value {
    resource["schemas"] = json!([format!("urn:ietf:params:scim:schemas:core:2.0:{resource_type}")]);
    resource["meta"] = json!({ "resourceType": resource_type, "location": location });
    resource
}

fn schema_resources(base: &str) -> Vec<Value> {
    schemas_list()
        .iter()
        .map(|schema| {
            let id = schema["id"].as_str().unwrap_or_default();
            with_meta(schema.clone(), "Schema", format!("{base}/Schemas/{id}"))
        })
        .collect()
}

fn resource_type_resources(base: &str) -> Vec<Value> {
    [
        ("User", "/Users", USER_SCHEMA, "A worker who signs in at a kiosk"),
        ("Group", "/Groups", GROUP_SCHEMA, "A group the SMS sign-in policy can target"),
    ]
    .into_iter()
    .map(|(id, endpoint, schema, description)| {
        let resource = json!({
            "id": id, "name": id, "endpoint": endpoint, "description": description, "schema": schema,
            "schemaExtensions": [],
        });
        with_meta(resource, "ResourceType", format!("{base}/ResourceTypes/{id}"))
    })
    .collect()
}

pub async fn service_provider_config(_client: ScimClient, BaseUrl(base): BaseUrl) -> Response {
    let config = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_PAGE },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "pagination": { "cursor": false, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": DEFAULT_PAGE, "maxPageSize": MAX_PAGE },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A long-lived token from `shiftkey admin --db DB scim token create`, sent as Authorization: Bearer",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    });
    scim_json(StatusCode::OK, &config)
}

pub async fn resource_types(_client: ScimClient, BaseUrl(base): BaseUrl) -> Response {
    let all = resource_type_resources(&base);
    scim_json(StatusCode::OK, &ListResponse::new(all.len(), 1, all))
}

pub async fn resource_type(
    _client: ScimClient,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    resource_type_resources(&base)
        .into_iter()
        .find(|r| r["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(&id)))
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::NotFound(format!("no resource type {id:?}")))
}

pub async fn schemas(_client: ScimClient, BaseUrl(base): BaseUrl) -> Response {
    let all = schema_resources(&base);
    scim_json(StatusCode::OK, &ListResponse::new(all.len(), 1, all))
}

pub async fn schema(
    _client: ScimClient,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    schema_resources(&base)
        .into_iter()
        .find(|s| s["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(&id)))
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::NotFound(format!("no schema {id:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_user_schema_is_what_shiftkey_keeps() {
        let user = schemas_list().iter().find(|s| s["id"] == USER_SCHEMA).unwrap();
        let names: Vec<&str> =
            user["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["userName", "name", "displayName", "active", "emails", "phoneNumbers", "groups", "roles"]);
        for name in names {
            let kept = matches!(
                super::super::attrs::Resource::User.attr(name),
                super::super::attrs::Attr::Kept(..) | super::super::attrs::Attr::ReadOnly
            );
            assert!(kept, "{name} is published but not kept");
        }
        let ids: Vec<&str> = schemas_list().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 5, "User, Group and the three discovery schemas: {ids:?}");
    }
}

//! The bodies of the SCIM endpoints (RFC 7643, RFC 7644), as typed structs. Requests arrive
//! with attribute names in any letter case (RFC 7643 §2.1); `attrs` turns them into these
//! names before they are read into the structs here.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// `ListResponse` (RFC 7644 §3.4.2).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub schemas: [&'static str; 1],
    pub total_results: usize,
    pub start_index: usize,
    pub items_per_page: usize,
    #[serde(rename = "Resources")]
    pub resources: Vec<Value>,
}

impl ListResponse {
    pub fn new(total_results: usize, start_index: usize, resources: Vec<Value>) -> Self {
        ListResponse { schemas: [LIST_SCHEMA], total_results, start_index, items_per_page: resources.len(), resources }
    }
}

/// An error answer (RFC 7644 §3.12): `status` is a string there.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub schemas: [&'static str; 1],
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

/// `PatchOp` (RFC 7644 §3.5.2). `Operations` also read as `operations`: structural names
/// are matched without case.
#[derive(Debug, Deserialize)]
pub struct PatchRequest {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

#[derive(Debug, Deserialize)]
pub struct PatchOperation {
    /// `add`, `replace` or `remove` in any case (Entra sends `Add`, `Replace`, `Remove`).
    #[serde(alias = "Op", alias = "OP")]
    pub op: String,
    #[serde(default, alias = "Path")]
    pub path: Option<String>,
    #[serde(default, alias = "Value")]
    pub value: Option<Value>,
}

/// A boolean, also as the strings `"True"`/`"False"` in any case (Entra's PATCH sends
/// `"active": "False"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FlexBool(pub bool);

impl<'de> Deserialize<'de> for FlexBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Bool(b) => Ok(FlexBool(b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(FlexBool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(FlexBool(false)),
            other => Err(serde::de::Error::custom(format!("expected true or false, got {other}"))),
        }
    }
}

/// A User as a client writes it (the attributes shiftkey keeps; the rest were set aside).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserIn {
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub name: Option<Name>,
    pub active: Option<FlexBool>,
    #[serde(default)]
    pub emails: Vec<MultiValue>,
    #[serde(default)]
    pub phone_numbers: Vec<MultiValue>,
    #[serde(default)]
    pub roles: Vec<MultiValue>,
}

/// `name` (RFC 7643 §4.1.1), kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Name {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
}

/// One value of `emails`, `phoneNumbers` or `roles` (RFC 7643 §2.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<FlexBool>,
}

/// What shiftkey keeps of a User beside its own columns, stored as JSON (`users.scim_doc`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<MultiValue>,
    /// Whether `active` is asserted: a client that removed it reads no `active` back.
    #[serde(default)]
    pub active_asserted: bool,
}

/// A Group as a client writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupIn {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub members: Option<Vec<MemberIn>>,
}

/// One member of a group: `value` is the user's `id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    pub value: Option<String>,
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub display: Option<String>,
}

/// The query of a list request (RFC 7644 §3.4.2); names as RFC 7644 writes them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
}

/// The query of a request for one resource: only the attribute lists.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceQuery {
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn active_is_read_from_booleans_and_from_strings_in_any_case() {
        for (value, expected) in [(json!(true), true), (json!("False"), false), (json!("TRUE"), true)] {
            let user: UserIn = serde_json::from_value(json!({ "active": value })).unwrap();
            assert_eq!(user.active, Some(FlexBool(expected)));
        }
        assert!(serde_json::from_value::<UserIn>(json!({ "active": "maybe" })).is_err());
    }

    #[test]
    fn patch_operations_are_read_whatever_the_case_of_their_names() {
        let patch: PatchRequest =
            serde_json::from_value(json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] }))
                .unwrap();
        assert_eq!(patch.operations[0].op, "Replace");
        let patch: PatchRequest =
            serde_json::from_value(json!({ "operations": [{ "op": "remove", "path": "x" }] })).unwrap();
        assert!(patch.operations[0].value.is_none());
    }
}

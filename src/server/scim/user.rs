//! `/Users`: a SCIM User mapped onto the directory's user.
//!
//! `userName` → username; `displayName` (else `name.formatted`, else given + family name, else
//! the username) → display name; `active` → enabled (false ends the user's tokens at once);
//! `phoneNumbers` of type `mobile` → the Mobile phone (the one that signs in), `alternateMobile`
//! → Alternate mobile, any other type → Other, each checked exactly as `admin phone set` checks
//! it; `roles[].value` → roles. `name`, `emails` and `roles` are kept as sent, and numbers read
//! back as they were sent (Entra compares what it reads with what it sent).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::attrs::{Resource, canonical_body};
use super::body::{FlexBool, ListQuery, MultiValue, PatchRequest, ResourceQuery, USER_SCHEMA, UserDoc, UserIn};
use super::patch::{self, Op};
use super::{
    BaseUrl, Page, ScimBody, ScimClient, ScimError, Selection, State, filter, list_answer, meta, respond, typed,
};
use crate::server::admin::directory_number;
use crate::server::store::{Db, NewPhone, PhoneKind, ScimUserRow, UserRecord};

/// Usernames from an identity provider are often UPNs: longer than `admin`'s 64, still one word.
const MAX_USERNAME_CHARS: usize = 256;

fn location(base: &str, id: &str) -> String {
    format!("{base}/Users/{id}")
}

fn kind_type(kind: PhoneKind) -> &'static str {
    match kind {
        PhoneKind::Mobile => "mobile",
        PhoneKind::AlternateMobile => "alternateMobile",
        PhoneKind::Other => "other",
    }
}

/// Which phone a SCIM `type` fills.
fn phone_kind(scim_type: &str) -> PhoneKind {
    let normalized: String = scim_type.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    match normalized.to_ascii_lowercase().as_str() {
        "mobile" => PhoneKind::Mobile,
        "alternatemobile" => PhoneKind::AlternateMobile,
        _ => PhoneKind::Other,
    }
}

/// A directory user as a SCIM User.
pub fn resource(row: &ScimUserRow, base: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER_SCHEMA]));
    out.insert("id".into(), json!(row.scim_id));
    if let Some(external) = &row.external_id {
        out.insert("externalId".into(), json!(external));
    }
    out.insert("userName".into(), json!(row.user.username));
    let doc: Option<UserDoc> = row.doc.clone().and_then(|d| serde_json::from_value(d).ok());
    match &doc {
        Some(doc) => {
            if let Some(display) = &doc.display_name {
                out.insert("displayName".into(), json!(display));
            }
            if let Some(name) = &doc.name {
                out.insert("name".into(), json!(name));
            }
            if doc.active_asserted {
                out.insert("active".into(), json!(row.user.enabled));
            }
            if !doc.emails.is_empty() {
                out.insert("emails".into(), json!(doc.emails));
            }
            if !doc.roles.is_empty() {
                out.insert("roles".into(), json!(doc.roles));
            }
        }
        // Written by `admin` only: its own columns.
        None => {
            out.insert("displayName".into(), json!(row.user.display_name));
            out.insert("active".into(), json!(row.user.enabled));
            if !row.user.roles.is_empty() {
                let roles: Vec<Value> = row.user.roles.iter().map(|r| json!({ "value": r })).collect();
                out.insert("roles".into(), json!(roles));
            }
        }
    }
    if !row.phones.is_empty() {
        let phones: Vec<Value> = row
            .phones
            .iter()
            .map(|p| {
                let mut phone = json!({
                    "value": p.as_sent.as_deref().unwrap_or(&p.e164),
                    "type": p.scim_type.as_deref().unwrap_or(kind_type(p.kind)),
                });
                if let Some(primary) = p.primary {
                    phone["primary"] = json!(primary);
                }
                if let Some(display) = &p.display {
                    phone["display"] = json!(display);
                }
                phone
            })
            .collect();
        out.insert("phoneNumbers".into(), json!(phones));
    }
    if !row.groups.is_empty() {
        let groups: Vec<Value> = row
            .groups
            .iter()
            .map(|(id, name)| json!({ "value": id, "$ref": format!("{base}/Groups/{id}"), "display": name, "type": "direct" }))
            .collect();
        out.insert("groups".into(), json!(groups));
    }
    out.insert("meta".into(), meta("User", row.created_at, row.modified_at, &location(base, &row.scim_id)));
    Value::Object(out)
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Checks a written User and turns it into what the store keeps. `enabled_now` is the user's
/// state when `active` isn't given (a new user is enabled).
fn record(input: UserIn, enabled_now: Option<bool>) -> Result<UserRecord, ScimError> {
    let username = input.user_name.as_deref().map(str::trim).unwrap_or_default().to_string();
    if username.is_empty() {
        return Err(ScimError::InvalidValue("userName is required".into()));
    }
    if username.chars().count() > MAX_USERNAME_CHARS || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ScimError::InvalidValue(format!(
            "userName {username:?} must be one word of at most {MAX_USERNAME_CHARS} characters, without spaces"
        )));
    }
    let from_name = input.name.as_ref().and_then(|name| {
        non_empty(name.formatted.as_deref()).map(str::to_string).or_else(|| {
            let parts: Vec<&str> =
                [name.given_name.as_deref(), name.family_name.as_deref()].into_iter().filter_map(non_empty).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    });
    let display_name =
        non_empty(input.display_name.as_deref()).map(str::to_string).or(from_name).unwrap_or_else(|| username.clone());
    // Shown on the kiosk's screen ("Welcome, …"): no control characters, so no terminal escapes.
    if display_name.chars().any(char::is_control) {
        return Err(ScimError::InvalidValue("displayName (or name) must not hold control characters".into()));
    }
    let mut roles = Vec::new();
    for role in &input.roles {
        match non_empty(role.value.as_deref()) {
            Some(value) if value.chars().any(char::is_control) => {
                return Err(ScimError::InvalidValue("roles: a role must not hold control characters".into()));
            }
            Some(value) => roles.push(value.to_string()),
            None => return Err(ScimError::InvalidValue("roles: each role needs a value".into())),
        }
    }
    let work_email = input
        .emails
        .iter()
        .find(|e| e.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("work")))
        .and_then(|e| non_empty(e.value.as_deref()))
        .map(str::to_string);
    let phones = phones(&input.phone_numbers)?;
    let doc = UserDoc {
        display_name: input.display_name.clone(),
        name: input.name.clone(),
        emails: input.emails.clone(),
        roles: input.roles.clone(),
        active_asserted: input.active.is_some() || enabled_now.is_none(),
    };
    Ok(UserRecord {
        username,
        display_name,
        enabled: input.active.map(|FlexBool(b)| b).or(enabled_now).unwrap_or(true),
        roles,
        external_id: input.external_id.clone(),
        work_email,
        doc: serde_json::to_value(doc).expect("the user document serializes"),
        phones,
    })
}

/// The numbers to store: each checked as `admin phone set` checks it, one per kind of phone.
fn phones(given: &[MultiValue]) -> Result<Vec<NewPhone>, ScimError> {
    let mut out: Vec<NewPhone> = Vec::new();
    for phone in given {
        let scim_type = phone.kind.clone().unwrap_or_else(|| "other".into());
        let kind = phone_kind(&scim_type);
        let Some(value) = non_empty(phone.value.as_deref()) else {
            return Err(ScimError::InvalidValue(format!("phoneNumbers[type eq {scim_type:?}]: a value is required")));
        };
        let number = directory_number(value)
            .map_err(|err| ScimError::InvalidValue(format!("phoneNumbers[type eq {scim_type:?}].value: {err}")))?;
        if let Some(same) = out.iter().find(|p| p.kind == kind) {
            return Err(ScimError::InvalidValue(format!(
                "phoneNumbers: {:?} and {scim_type:?} are both kept as the {kind} phone; shiftkey keeps one \
                 mobile, one alternateMobile and one number of any other type",
                same.scim_type
            )));
        }
        out.push(NewPhone {
            kind,
            e164: number.e164().to_string(),
            scim_type,
            as_sent: value.to_string(),
            primary: phone.primary.map(|FlexBool(b)| b),
            display: phone.display.clone(),
        });
    }
    Ok(out)
}

/// A body (or a patched resource) read as a User and checked.
fn record_from(body: Map<String, Value>, enabled_now: Option<bool>) -> Result<UserRecord, ScimError> {
    let canonical = canonical_body(Resource::User, body)?;
    record(typed::<UserIn>(Value::Object(canonical))?, enabled_now)
}

async fn load(db: &mut Db, id: &str) -> Result<ScimUserRow, ScimError> {
    let row = match db.scim_user_rowid(id).await? {
        Some(rowid) => db.scim_user(rowid).await?,
        None => None,
    };
    row.ok_or_else(|| ScimError::NotFound(format!("no User with id {id:?}")))
}

pub async fn list(
    _client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Query(query): Query<ListQuery>,
) -> Result<Response, ScimError> {
    let terms = filter::terms_of(Resource::User, query.filter.as_deref())?;
    let page = Page::from_query(query.start_index.as_deref(), query.count.as_deref())?;
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), USER_SCHEMA);
    let mut db = state.service.store().connection().await?;
    let (total, rows) = db.scim_users(&terms, page.start_index - 1, page.count).await?;
    let resources = rows.iter().map(|row| resource(row, &base)).collect();
    Ok(list_answer(total, &page, resources, &selection))
}

pub async fn read(
    _client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(query): Query<ResourceQuery>,
) -> Result<Response, ScimError> {
    let row = load(&mut state.service.store().connection().await?, &id).await?;
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), USER_SCHEMA);
    Ok(respond(StatusCode::OK, resource(&row, &base), &selection, None))
}

pub async fn create(
    client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Query(query): Query<ResourceQuery>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let user_name = body.iter().find(|(k, _)| k.eq_ignore_ascii_case("userName")).and_then(|(_, v)| v.as_str());
    let target = user_name.unwrap_or_default().to_string();
    let result = async {
        let record = record_from(body, None)?;
        let now = state.service.now();
        let mut db = state.service.store().transaction().await?;
        let rowid = db.scim_create_user(&record, now).await?;
        let row = db.scim_user(rowid).await?.ok_or_else(|| ScimError::NotFound("the new user vanished".into()))?;
        db.commit().await?;
        Ok(row)
    }
    .await;
    state.audit(&client, "create user", &target, &result);
    let row = result?;
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), USER_SCHEMA);
    let location = location(&base, &row.scim_id);
    Ok(respond(StatusCode::CREATED, resource(&row, &base), &selection, Some(&location)))
}

/// Stores a new state of an existing user, from a body read as a whole (PUT, or PATCH's result).
async fn store_replacement(
    state: &super::ScimState,
    id: &str,
    body: impl FnOnce(&ScimUserRow) -> Result<Map<String, Value>, ScimError>,
) -> Result<ScimUserRow, ScimError> {
    let now = state.service.now();
    let mut db = state.service.store().transaction().await?;
    let row = load(&mut db, id).await?;
    let record = record_from(body(&row)?, Some(row.user.enabled))?;
    db.scim_replace_user(row.user.rowid, &record, now).await?;
    if row.user.enabled && !record.enabled {
        tracing::info!(id, "user deactivated; their tokens are revoked");
    }
    let row = load(&mut db, id).await?;
    db.commit().await?;
    Ok(row)
}

/// A PUT that doesn't mention `phoneNumbers` or `roles` keeps them (RFC 7644 §3.5.1 lets an
/// omitted attribute be "not asserted"); `null` or `[]` clears them. An IdP that doesn't map
/// numbers or roles (Okta's PUT sends whole users) then leaves those `admin` set alone.
fn keep_unsent(mut body: Map<String, Value>, current: &Value) -> Map<String, Value> {
    for name in ["phoneNumbers", "roles"] {
        if !body.keys().any(|k| k.eq_ignore_ascii_case(name))
            && let Some(value) = current.get(name)
        {
            body.insert(name.to_string(), value.clone());
        }
    }
    body
}

pub async fn replace(
    client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(query): Query<ResourceQuery>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let result = store_replacement(&state, &id, |row| Ok(keep_unsent(body, &resource(row, &base)))).await;
    state.audit(&client, "replace user", &id, &result);
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), USER_SCHEMA);
    Ok(respond(StatusCode::OK, resource(&result?, &base), &selection, None))
}

pub async fn modify(
    client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(query): Query<ResourceQuery>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let result = async {
        let request = typed::<PatchRequest>(Value::Object(body))?;
        store_replacement(&state, &id, |row| {
            // The resource as it reads now, its kept attributes only, patched.
            let Value::Object(current) = resource(row, &base) else { unreachable!("a resource is an object") };
            let mut doc = canonical_body(Resource::User, current)?;
            for operation in request.operations {
                let op: Op = operation.op.parse()?;
                patch::apply(Resource::User, &mut doc, op, operation.path.as_deref(), operation.value)?;
            }
            Ok(doc)
        })
        .await
    }
    .await;
    state.audit(&client, "modify user", &id, &result);
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), USER_SCHEMA);
    Ok(respond(StatusCode::OK, resource(&result?, &base), &selection, None))
}

pub async fn delete(
    client: ScimClient,
    axum::extract::State(state): State,
    Path(id): Path<String>,
) -> Result<StatusCode, ScimError> {
    let result = async {
        let mut db = state.service.store().transaction().await?;
        let rowid =
            db.scim_user_rowid(&id).await?.ok_or_else(|| ScimError::NotFound(format!("no User with id {id:?}")))?;
        db.scim_delete_user(rowid).await?;
        Ok::<_, ScimError>(db.commit().await?)
    }
    .await;
    state.audit(&client, "delete user", &id, &result);
    result?;
    tracing::info!(id, "user deleted; their tokens are revoked");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(value: Value) -> Result<UserRecord, ScimError> {
        let Value::Object(body) = value else { panic!("object") };
        record_from(body, None)
    }

    #[test]
    fn the_display_name_comes_from_display_name_then_name_then_user_name() {
        assert_eq!(user(json!({ "userName": "a", "displayName": "Alex R" })).unwrap().display_name, "Alex R");
        assert_eq!(
            user(json!({ "userName": "a", "name": { "formatted": "Alex Rivera" } })).unwrap().display_name,
            "Alex Rivera"
        );
        assert_eq!(
            user(json!({ "userName": "a", "name": { "givenName": "Alex", "familyName": "Rivera" } }))
                .unwrap()
                .display_name,
            "Alex Rivera"
        );
        assert_eq!(user(json!({ "userName": "a" })).unwrap().display_name, "a");
    }

    #[test]
    fn numbers_map_by_type_and_are_checked_like_admin_phone_set() {
        let record = user(json!({ "userName": "a", "phoneNumbers": [
            { "type": "mobile", "value": "+1 206 555 0100" },
            { "type": "alternateMobile", "value": "+1 206 555 0101" },
            { "type": "work", "value": "+1 206 555 0102" },
        ] }))
        .unwrap();
        let kinds: Vec<(PhoneKind, &str, &str)> =
            record.phones.iter().map(|p| (p.kind, p.e164.as_str(), p.as_sent.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (PhoneKind::Mobile, "+12065550100", "+1 206 555 0100"),
                (PhoneKind::AlternateMobile, "+12065550101", "+1 206 555 0101"),
                (PhoneKind::Other, "+12065550102", "+1 206 555 0102"),
            ]
        );
        let err = user(json!({ "userName": "a", "phoneNumbers": [{ "type": "mobile", "value": "+1 4251234567" }] }));
        let Err(ScimError::InvalidValue(detail)) = err else { panic!("{err:?}") };
        assert!(detail.contains("a US exchange can't start with 1"), "{detail}");
        let err = user(
            json!({ "userName": "a", "phoneNumbers": [{ "type": "work", "value": "+12065550102" }, { "type": "fax", "value": "+12065550103" }] }),
        );
        assert!(matches!(err, Err(ScimError::InvalidValue(_))), "two Other phones");
    }

    #[test]
    fn user_name_is_required_and_one_word_and_shown_names_hold_no_control_characters() {
        assert!(matches!(
            user(json!({ "userName": "a", "displayName": "Evil\u{1b}[2J" })),
            Err(ScimError::InvalidValue(_))
        ));
        assert!(matches!(user(json!({ "displayName": "x" })), Err(ScimError::InvalidValue(_))));
        assert!(matches!(user(json!({ "userName": "two words" })), Err(ScimError::InvalidValue(_))));
    }
}

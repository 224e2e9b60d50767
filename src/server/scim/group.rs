//! `/Groups`: a SCIM Group is a directory group — the SMS policy's targets. `displayName` is
//! the group's name ("Contoso SMS Users"), `members` its users by SCIM id. Member changes go
//! straight to the store in one transaction per PATCH (Entra sends them in batches); a PATCH
//! answers 204, as Entra asks ("returning a body with a list of all the members isn't advisable").

use std::str::FromStr;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value, json};

use super::attrs::{Resource, canonical_body};
use super::body::{GROUP_SCHEMA, GroupIn, ListQuery, MemberIn, PatchRequest, ResourceQuery};
use super::patch::{self, Op};
use super::{
    BaseUrl, Page, ScimBody, ScimClient, ScimError, Selection, State, filter, list_answer, meta, respond, typed,
};
use crate::server::store::{Db, GroupRecord, MAX_GROUP_NAME_CHARS, ScimGroupRow, valid_group_name};

fn location(base: &str, id: &str) -> String {
    format!("{base}/Groups/{id}")
}

/// A directory group as a SCIM Group (`members` only when they were loaded).
pub fn resource(row: &ScimGroupRow, base: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), json!(row.scim_id));
    if let Some(external) = &row.external_id {
        out.insert("externalId".into(), json!(external));
    }
    out.insert("displayName".into(), json!(row.name));
    if let Some(members) = &row.members {
        let members: Vec<Value> = members
            .iter()
            .map(|id| json!({ "value": id, "$ref": format!("{base}/Users/{id}"), "type": "User" }))
            .collect();
        out.insert("members".into(), json!(members));
    }
    out.insert("meta".into(), meta("Group", row.created_at, row.modified_at, &location(base, &row.scim_id)));
    Value::Object(out)
}

fn check_name(name: Option<&str>) -> Result<String, ScimError> {
    let name = name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(ScimError::InvalidValue("displayName is required".into()));
    }
    if !valid_group_name(name) {
        return Err(ScimError::InvalidValue(format!(
            "displayName {name:?} must be at most {MAX_GROUP_NAME_CHARS} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

/// The user ids of members; a member of another type (a nested group) is refused.
fn member_ids(members: &[MemberIn]) -> Result<Vec<String>, ScimError> {
    members
        .iter()
        .map(|member| {
            if member.kind.as_deref().is_some_and(|k| !k.eq_ignore_ascii_case("User")) {
                return Err(ScimError::InvalidValue("members: only users can be members (no nested groups)".into()));
            }
            member
                .value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| ScimError::InvalidValue("members: each member needs a value (the user's id)".into()))
        })
        .collect()
}

fn record_from(body: Map<String, Value>) -> Result<GroupRecord, ScimError> {
    let input: GroupIn = typed(Value::Object(canonical_body(Resource::Group, body)?))?;
    Ok(GroupRecord {
        name: check_name(input.display_name.as_deref())?,
        external_id: input.external_id,
        members: input.members.as_deref().map(member_ids).transpose()?,
    })
}

async fn load(db: &mut Db, id: &str, with_members: bool) -> Result<ScimGroupRow, ScimError> {
    let row = match db.scim_group_rowid(id).await? {
        Some(rowid) => db.scim_group(rowid, with_members).await?,
        None => None,
    };
    row.ok_or_else(|| ScimError::NotFound(format!("no Group with id {id:?}")))
}

pub async fn list(
    _client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Query(query): Query<ListQuery>,
) -> Result<Response, ScimError> {
    let terms = filter::terms_of(Resource::Group, query.filter.as_deref())?;
    let page = Page::from_query(query.start_index.as_deref(), query.count.as_deref())?;
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), GROUP_SCHEMA);
    let with_members = !selection.excludes("members");
    let mut db = state.service.store().connection().await?;
    let (total, rows) = db.scim_groups(&terms, page.start_index - 1, page.count, with_members).await?;
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
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), GROUP_SCHEMA);
    let row = load(&mut state.service.store().connection().await?, &id, !selection.excludes("members")).await?;
    Ok(respond(StatusCode::OK, resource(&row, &base), &selection, None))
}

pub async fn create(
    client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Query(query): Query<ResourceQuery>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let target = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("displayName"))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
        .to_string();
    let result = async {
        let record = record_from(body)?;
        let now = state.service.now();
        let mut db = state.service.store().transaction().await?;
        let rowid = db.scim_create_group(&record, now).await?;
        let row =
            db.scim_group(rowid, true).await?.ok_or_else(|| ScimError::NotFound("the new group vanished".into()))?;
        db.commit().await?;
        Ok(row)
    }
    .await;
    state.audit(&client, "create group", &target, &result);
    let row = result?;
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), GROUP_SCHEMA);
    let location = location(&base, &row.scim_id);
    Ok(respond(StatusCode::CREATED, resource(&row, &base), &selection, Some(&location)))
}

pub async fn replace(
    client: ScimClient,
    axum::extract::State(state): State,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(query): Query<ResourceQuery>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let result = async {
        let mut record = record_from(body)?;
        // PUT replaces the members too: none given is none kept.
        record.members.get_or_insert_with(Vec::new);
        let now = state.service.now();
        let mut db = state.service.store().transaction().await?;
        let row = load(&mut db, &id, false).await?;
        db.scim_replace_group(row.rowid, &record, now).await?;
        let row = load(&mut db, &id, true).await?;
        db.commit().await?;
        Ok(row)
    }
    .await;
    state.audit(&client, "replace group", &id, &result);
    let selection = Selection::new(query.attributes.as_deref(), query.excluded_attributes.as_deref(), GROUP_SCHEMA);
    Ok(respond(StatusCode::OK, resource(&result?, &base), &selection, None))
}

/// The member ids a `members[...]` filter names: `value eq "id"`, joined by `or`.
fn filtered_members(filter: &ValFilter) -> Result<Vec<String>, ScimError> {
    let terms: Vec<&ValFilter> = match filter {
        ValFilter::Or(items) => items.iter().collect(),
        single => vec![single],
    };
    terms
        .into_iter()
        .map(|term| match term {
            ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(id)))
                if path.name.eq_ignore_ascii_case("value") =>
            {
                Ok(id.clone())
            }
            _ => Err(ScimError::InvalidPath(format!("members[{filter}]: use members[value eq \"id\"]"))),
        })
        .collect()
}

fn members_of(value: Option<Value>) -> Result<Vec<String>, ScimError> {
    let members: Vec<MemberIn> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => typed(Value::Array(items))?,
        Some(object @ Value::Object(_)) => vec![typed(object)?],
        Some(other) => return Err(ScimError::InvalidValue(format!("members: expected a list, not {other}"))),
    };
    member_ids(&members)
}

/// Applies a PATCH to a group: member operations straight to the store, the rest (name,
/// externalId) through the common PATCH code.
async fn patch_group(db: &mut Db, id: &str, request: PatchRequest, now: i64) -> Result<(), ScimError> {
    let row = load(db, id, false).await?;
    let mut doc = Map::new();
    doc.insert("displayName".into(), json!(row.name));
    if let Some(external) = &row.external_id {
        doc.insert("externalId".into(), json!(external));
    }
    let original = doc.clone();
    for operation in request.operations {
        let op: Op = operation.op.parse()?;
        let path = operation.path.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let parsed = path.map(PatchPath::from_str).transpose().ok().flatten();
        let on_members = |attr: &str| attr.eq_ignore_ascii_case("members");
        match (op, parsed, operation.value) {
            (op, Some(PatchPath::Attr(attr)), value) if on_members(&attr.name) && attr.sub_attr.is_none() => {
                let members = members_of(value)?;
                match op {
                    Op::Add => db.scim_add_members(row.rowid, &members, now).await?,
                    // Entra's older form removes with a value list; without one, all go.
                    Op::Remove if members.is_empty() => db.scim_clear_members(row.rowid, now).await?,
                    Op::Remove => db.scim_remove_members(row.rowid, &members, now).await?,
                    Op::Replace => {
                        db.scim_clear_members(row.rowid, now).await?;
                        db.scim_add_members(row.rowid, &members, now).await?;
                    }
                }
            }
            (Op::Remove, Some(PatchPath::Value(vp)), _) if on_members(&vp.attr.name) && vp.sub_attr.is_none() => {
                db.scim_remove_members(row.rowid, &filtered_members(&vp.filter)?, now).await?;
            }
            (op, None, Some(Value::Object(mut values))) if op != Op::Remove => {
                // Okta: {"op": "replace", "value": {"id": …, "displayName": …}}, members possibly too.
                if let Some(key) = values.keys().find(|k| on_members(k)).cloned() {
                    let members = members_of(values.remove(&key))?;
                    if op == Op::Replace {
                        db.scim_clear_members(row.rowid, now).await?;
                    }
                    db.scim_add_members(row.rowid, &members, now).await?;
                }
                patch::apply(Resource::Group, &mut doc, op, None, Some(Value::Object(values)))?;
            }
            (op, _, value) => patch::apply(Resource::Group, &mut doc, op, path, value)?,
        }
    }
    if doc != original {
        let input: GroupIn = typed(Value::Object(doc))?;
        let record = GroupRecord {
            name: check_name(input.display_name.as_deref())?,
            external_id: input.external_id,
            members: None,
        };
        db.scim_replace_group(row.rowid, &record, now).await?;
    }
    Ok(())
}

pub async fn modify(
    client: ScimClient,
    axum::extract::State(state): State,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let result = async {
        let request = typed::<PatchRequest>(Value::Object(body))?;
        let now = state.service.now();
        let mut db = state.service.store().transaction().await?;
        patch_group(&mut db, &id, request, now).await?;
        Ok::<_, ScimError>(db.commit().await?)
    }
    .await;
    state.audit(&client, "modify group", &id, &result);
    result?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn delete(
    client: ScimClient,
    axum::extract::State(state): State,
    Path(id): Path<String>,
) -> Result<StatusCode, ScimError> {
    let result = async {
        let mut db = state.service.store().transaction().await?;
        let row = load(&mut db, &id, false).await?;
        db.scim_delete_group(row.rowid).await?;
        Ok::<_, ScimError>(db.commit().await?)
    }
    .await;
    state.audit(&client, "delete group", &id, &result);
    result?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_filter_names_the_ids_to_remove() {
        let PatchPath::Value(vp) = PatchPath::from_str("members[value eq \"a\" or value eq \"b\"]").unwrap() else {
            panic!("a value path")
        };
        assert_eq!(filtered_members(&vp.filter).unwrap(), ["a", "b"]);
        let PatchPath::Value(vp) = PatchPath::from_str("members[display eq \"a\"]").unwrap() else { panic!() };
        assert!(matches!(filtered_members(&vp.filter), Err(ScimError::InvalidPath(_))));
    }

    #[test]
    fn group_names_are_display_names() {
        assert_eq!(check_name(Some("Contoso SMS Users")).unwrap(), "Contoso SMS Users");
        assert!(matches!(check_name(Some("  ")), Err(ScimError::InvalidValue(_))));
        assert!(matches!(check_name(Some("a\u{7}b")), Err(ScimError::InvalidValue(_))));
    }
}

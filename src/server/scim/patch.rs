//! PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: `add`, `replace` and `remove`, with
//! or without a `path`, on simple, complex and multi-valued attributes, value filters
//! included (`phoneNumbers[type eq "mobile"].value`). The result is then read and checked
//! like a PUT body, so a PATCH can't store what a PUT would refuse.
//!
//! Paths are parsed by `scim_v2` (bounded depth and size). Where the RFC leaves room, the
//! choice is what Entra's provisioning service expects: an `add` or `replace` through a value
//! filter of equalities that matches nothing creates the value (`emails[type eq "work"].value`
//! on a user without a work email adds one).

use std::str::FromStr;

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

use super::ScimError;
use super::attrs::{Attr, Resource, Shape, canonical_value, sub_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

impl FromStr for Op {
    type Err = ScimError;

    /// `op` in any letter case: Entra sends `Add`, `Replace`, `Remove`.
    fn from_str(op: &str) -> Result<Self, ScimError> {
        match op.to_ascii_lowercase().as_str() {
            "add" => Ok(Op::Add),
            "replace" => Ok(Op::Replace),
            "remove" => Ok(Op::Remove),
            _ => Err(ScimError::InvalidSyntax(format!("op {op:?}: use add, replace or remove"))),
        }
    }
}

/// Where an operation lands, once its path is resolved against the resource.
enum Target {
    /// Nothing shiftkey keeps (a set-aside attribute): the operation is a no-op.
    Ignored,
    Attr {
        name: &'static str,
        shape: Shape,
        sub: Option<&'static str>,
    },
    Filtered {
        name: &'static str,
        subs: &'static [&'static str],
        filter: ValFilter,
        sub: Option<&'static str>,
    },
}

fn resolve_attr(resource: Resource, path: &AttrPath, raw: &str) -> Result<Option<(&'static str, Shape)>, ScimError> {
    if let Some(uri) = &path.uri {
        // `urn:…:enterprise:2.0:User:employeeNumber`: the URN ends before the last colon.
        if resource.set_aside_schema(uri) {
            return Ok(None);
        }
        if !uri.eq_ignore_ascii_case(resource.schema()) {
            return Err(ScimError::InvalidPath(format!("{raw:?}: shiftkey supports no such schema")));
        }
    }
    match resource.attr(&path.name) {
        Attr::Kept(name, shape) => Ok(Some((name, shape))),
        Attr::SetAside => Ok(None),
        Attr::ReadOnly => Err(ScimError::Mutability(format!("{raw:?} is read-only"))),
        Attr::Unknown => Err(ScimError::InvalidPath(format!("{raw:?}: {} has no such attribute", resource.noun()))),
    }
}

fn resolve(resource: Resource, raw: &str) -> Result<Target, ScimError> {
    // The enterprise extension as a whole, as a key of a path-less value.
    if resource.set_aside_schema(raw) {
        return Ok(Target::Ignored);
    }
    let path = PatchPath::from_str(raw).map_err(|err| ScimError::InvalidPath(format!("{raw:?}: {err}")))?;
    let (attr, filter, sub) = match path {
        PatchPath::Attr(attr) => {
            let sub = attr.sub_attr.clone();
            (attr, None, sub)
        }
        PatchPath::Value(vp) => (vp.attr, Some(vp.filter), vp.sub_attr),
    };
    let Some((name, shape)) = resolve_attr(resource, &attr, raw)? else { return Ok(Target::Ignored) };
    let subs = match shape {
        Shape::Complex(subs) | Shape::Multi(subs) => subs,
        Shape::Simple => &[][..],
    };
    let sub = match sub {
        None => None,
        Some(sub) => Some(
            sub_name(subs, &sub).ok_or_else(|| ScimError::InvalidPath(format!("{raw:?}: no such sub-attribute")))?,
        ),
    };
    match (filter, shape) {
        (None, _) => Ok(Target::Attr { name, shape, sub }),
        (Some(filter), Shape::Multi(subs)) => Ok(Target::Filtered { name, subs, filter, sub }),
        (Some(_), _) => Err(ScimError::InvalidPath(format!("{raw:?}: {name} is not multi-valued"))),
    }
}

/// Applies one operation to `doc` (the resource's kept attributes, spelled canonically); one
/// refused half-way leaves `doc` as it was.
pub fn apply(
    resource: Resource,
    doc: &mut Map<String, Value>,
    op: Op,
    path: Option<&str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let mut patched = doc.clone();
    apply_to(resource, &mut patched, op, path, value)?;
    *doc = patched;
    Ok(())
}

fn apply_to(
    resource: Resource,
    doc: &mut Map<String, Value>,
    op: Op,
    path: Option<&str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let Some(path) = path.filter(|p| !p.trim().is_empty()) else {
        if op == Op::Remove {
            return Err(ScimError::NoTarget("remove needs a path".into()));
        }
        // No path: the value is an object of attributes (keys may be paths: "name.givenName").
        let Some(Value::Object(values)) = value else {
            return Err(ScimError::InvalidValue("without a path, the value must be an object of attributes".into()));
        };
        for (key, value) in values {
            if matches!(resource.attr(&key), Attr::ReadOnly) {
                continue; // Okta sends the group's own `id` here.
            }
            apply_to(resource, doc, op, Some(&key), Some(value))?;
        }
        return Ok(());
    };
    let value = value.filter(|v| !v.is_null());
    match resolve(resource, path)? {
        Target::Ignored => Ok(()),
        Target::Attr { name, shape, sub } => apply_attr(doc, op, name, shape, sub, value),
        Target::Filtered { name, subs, filter, sub } => apply_filtered(doc, op, name, subs, &filter, sub, value),
    }
}

fn required(value: Option<Value>, what: &str) -> Result<Value, ScimError> {
    value.ok_or_else(|| ScimError::InvalidValue(format!("{what}: the operation needs a value")))
}

fn apply_attr(
    doc: &mut Map<String, Value>,
    op: Op,
    name: &'static str,
    shape: Shape,
    sub: Option<&'static str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    match (shape, sub, op) {
        (_, None, Op::Remove) => {
            doc.remove(name);
            Ok(())
        }
        (Shape::Simple, None, _) => {
            doc.insert(name.into(), required(value, name)?);
            Ok(())
        }
        (Shape::Simple, Some(_), _) => Err(ScimError::InvalidPath(format!("{name} has no sub-attributes"))),
        (Shape::Complex(_), None, _) => {
            // Add and replace both merge (RFC 7644 §3.5.2.1, §3.5.2.3): sub-attributes not
            // given are left as they are.
            let Value::Object(given) = canonical_value(name, shape, required(value, name)?)? else {
                unreachable!("a complex value is an object")
            };
            let entry = doc.entry(name).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(existing) = entry {
                existing.extend(given);
            }
            Ok(())
        }
        (Shape::Complex(_), Some(sub), op) => {
            let entry = doc.entry(name).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(existing) = entry {
                match op {
                    Op::Remove => {
                        existing.remove(sub);
                    }
                    _ => {
                        existing.insert(sub.into(), required(value, name)?);
                    }
                }
                if existing.is_empty() {
                    doc.remove(name);
                }
            }
            Ok(())
        }
        (Shape::Multi(_), None, op) => {
            let Value::Array(given) = canonical_value(name, shape, required(value, name)?)? else {
                unreachable!("a multi-valued value is a list")
            };
            let items = doc.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = items else { unreachable!("multi-valued attributes are lists") };
            if op == Op::Replace {
                items.clear();
            }
            for item in given {
                if item.get("primary").and_then(truthy).unwrap_or(false) {
                    // At most one primary value (RFC 7643 §2.4).
                    for other in items.iter_mut() {
                        if let Value::Object(other) = other {
                            other.remove("primary");
                        }
                    }
                }
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            Ok(())
        }
        (Shape::Multi(_), Some(sub), op) => {
            if let Some(Value::Array(items)) = doc.get_mut(name) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    set_sub(item, op, sub, value.clone(), name)?;
                }
            }
            Ok(())
        }
    }
}

fn set_sub(
    item: &mut Map<String, Value>,
    op: Op,
    sub: &str,
    value: Option<Value>,
    name: &str,
) -> Result<(), ScimError> {
    match op {
        Op::Remove => {
            item.remove(sub);
        }
        _ => {
            item.insert(sub.into(), required(value, name)?);
        }
    }
    Ok(())
}

fn apply_filtered(
    doc: &mut Map<String, Value>,
    op: Op,
    name: &'static str,
    subs: &'static [&'static str],
    filter: &ValFilter,
    sub: Option<&'static str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let items = doc.entry(name).or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(items) = items else { unreachable!("multi-valued attributes are lists") };
    let matching: Vec<usize> =
        (0..items.len()).filter(|&i| items[i].as_object().is_some_and(|item| matches(filter, subs, item))).collect();
    match (op, sub) {
        (Op::Remove, None) => {
            let mut index = 0;
            items.retain(|_| {
                index += 1;
                !matching.contains(&(index - 1))
            });
        }
        (Op::Remove, Some(sub)) => {
            for &i in &matching {
                if let Some(item) = items[i].as_object_mut() {
                    item.remove(sub);
                }
            }
        }
        (_, _) if matching.is_empty() => {
            // Nothing matched: create the value the filter describes, when it is made of
            // equalities (what Entra sends for a user's first work email or mobile number).
            let Some(mut item) = equalities(filter, subs) else {
                return Err(ScimError::NoTarget(format!("{name}[{filter}] matches no value")));
            };
            match (sub, value) {
                (Some(sub), value) => {
                    item.insert(sub.into(), required(value, name)?);
                }
                (None, value) => {
                    let given = canonical_value(name, Shape::Multi(subs), required(value, name)?)?;
                    if let Some(Value::Object(given)) = given.as_array().and_then(|g| g.first()).cloned() {
                        item.extend(given);
                    }
                }
            }
            items.push(Value::Object(item));
        }
        (_, Some(sub)) => {
            for &i in &matching {
                if let Some(item) = items[i].as_object_mut() {
                    set_sub(item, op, sub, value.clone(), name)?;
                }
            }
        }
        (_, None) => {
            let given = canonical_value(name, Shape::Multi(subs), required(value, name)?)?;
            let Some(Value::Object(given)) = given.as_array().and_then(|g| g.first()).cloned() else {
                return Err(ScimError::InvalidValue(format!("{name}: expected an object")));
            };
            for &i in &matching {
                if let Some(item) = items[i].as_object_mut() {
                    item.extend(given.clone());
                }
            }
        }
    }
    if items.is_empty() {
        doc.remove(name);
    }
    Ok(())
}

fn truthy(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The sub-attribute a filter's comparison names, in the item's spelling.
fn field<'a>(subs: &[&str], item: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let canonical = subs.iter().find(|s| s.eq_ignore_ascii_case(name)).copied().unwrap_or(name);
    item.get(canonical).filter(|v| !v.is_null())
}

/// Whether a value of a multi-valued attribute matches a value filter. Strings compare
/// without case: every sub-attribute shiftkey filters on is `caseExact: false`, except
/// `members.value`, whose ids are lowercase hex.
pub fn matches(filter: &ValFilter, subs: &[&str], item: &Map<String, Value>) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Present(path)) => field(subs, item, &path.name).is_some(),
        ValFilter::Attr(AttrExp::Comparison(path, op, expected)) => {
            compare(field(subs, item, &path.name), op, expected)
        }
        ValFilter::Not(inner) => !matches(inner, subs, item),
        ValFilter::And(items) => items.iter().all(|f| matches(f, subs, item)),
        ValFilter::Or(items) => items.iter().any(|f| matches(f, subs, item)),
    }
}

fn compare(actual: Option<&Value>, op: &CompareOp, expected: &CompValue) -> bool {
    let Some(actual) = actual else {
        return matches!((op, expected), (CompareOp::Ne, _))
            || matches!((op, expected), (CompareOp::Eq, CompValue::Null));
    };
    match expected {
        CompValue::Str(expected) => {
            let Some(actual) = actual.as_str() else { return false };
            let (a, e) = (actual.to_lowercase(), expected.to_lowercase());
            match op {
                CompareOp::Eq => a == e,
                CompareOp::Ne => a != e,
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                CompareOp::Gt => a > e,
                CompareOp::Ge => a >= e,
                CompareOp::Lt => a < e,
                CompareOp::Le => a <= e,
            }
        }
        CompValue::True | CompValue::False => {
            let expected = matches!(expected, CompValue::True);
            match (op, truthy(actual)) {
                (CompareOp::Eq, Some(b)) => b == expected,
                (CompareOp::Ne, Some(b)) => b != expected,
                _ => false,
            }
        }
        CompValue::Number(n) => match op {
            CompareOp::Eq => actual.as_f64() == n.as_f64(),
            CompareOp::Ne => actual.as_f64() != n.as_f64(),
            _ => false,
        },
        CompValue::Null => matches!(op, CompareOp::Ne),
    }
}

/// The item a filter of equalities describes (`type eq "work"` → `{"type": "work"}`), or
/// `None` when the filter is anything else.
pub fn equalities(filter: &ValFilter, subs: &'static [&'static str]) -> Option<Map<String, Value>> {
    let terms: Vec<&ValFilter> = match filter {
        ValFilter::And(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut item = Map::new();
    for term in terms {
        let ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) = term else { return None };
        let value = match value {
            CompValue::Str(s) => Value::String(s.clone()),
            CompValue::True => Value::Bool(true),
            CompValue::False => Value::Bool(false),
            _ => return None,
        };
        item.insert(sub_name(subs, &path.name)?.to_string(), value);
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(doc: Value, ops: &[(&str, Option<&str>, Option<Value>)]) -> Result<Value, ScimError> {
        let Value::Object(mut doc) = doc else { panic!("object") };
        for (op, path, value) in ops {
            apply(Resource::User, &mut doc, op.parse()?, *path, value.clone())?;
        }
        Ok(Value::Object(doc))
    }

    #[test]
    fn a_value_filter_path_replaces_the_matching_value_or_creates_it() {
        let doc = json!({ "emails": [{ "type": "work", "value": "old@x" }, { "type": "home", "value": "h@x" }] });
        let out = patched(doc, &[("Replace", Some("emails[type eq \"work\"].value"), Some(json!("new@x")))]).unwrap();
        assert_eq!(out["emails"][0], json!({ "type": "work", "value": "new@x" }));
        assert_eq!(out["emails"][1]["value"], "h@x");
        let out =
            patched(json!({}), &[("Add", Some("phoneNumbers[type eq \"mobile\"].value"), Some(json!("+12065550100")))])
                .unwrap();
        assert_eq!(out["phoneNumbers"], json!([{ "type": "mobile", "value": "+12065550100" }]));
    }

    #[test]
    fn a_value_without_a_path_may_use_dotted_and_prefixed_keys() {
        let value = json!({
            "displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
        });
        let out = patched(json!({ "name": { "formatted": "x" } }), &[("replace", None, Some(value))]).unwrap();
        assert_eq!(
            out,
            json!({ "displayName": "Bjfe", "name": { "formatted": "x", "givenName": "Kkom", "familyName": "Unua" } })
        );
    }

    #[test]
    fn remove_takes_values_by_filter_and_attributes_whole() {
        let doc = json!({ "emails": [{ "type": "work", "value": "w@x" }], "displayName": "D" });
        let out =
            patched(doc, &[("remove", Some("emails[type eq \"work\"]"), None), ("remove", Some("displayName"), None)])
                .unwrap();
        assert_eq!(out, json!({}));
        assert!(matches!(patched(json!({}), &[("remove", None, None)]), Err(ScimError::NoTarget(_))));
    }

    #[test]
    fn bad_paths_ops_and_read_only_targets_are_refused_by_kind() {
        assert!(matches!(
            patched(json!({}), &[("move", Some("displayName"), Some(json!("x")))]),
            Err(ScimError::InvalidSyntax(_))
        ));
        assert!(matches!(
            patched(json!({}), &[("add", Some("shoeSize"), Some(json!(1)))]),
            Err(ScimError::InvalidPath(_))
        ));
        assert!(matches!(
            patched(json!({}), &[("add", Some("emails[type eq"), Some(json!(1)))]),
            Err(ScimError::InvalidPath(_))
        ));
        assert!(matches!(
            patched(json!({}), &[("replace", Some("id"), Some(json!("x")))]),
            Err(ScimError::Mutability(_))
        ));
        // Set-aside attributes are accepted and change nothing.
        assert_eq!(patched(json!({}), &[("Add", Some("nickName"), Some(json!("Babs")))]).unwrap(), json!({}));
    }

    #[test]
    fn multi_valued_add_appends_and_keeps_one_primary() {
        let doc = json!({ "emails": [{ "value": "a@x", "primary": true }] });
        let out = patched(doc, &[("add", Some("emails"), Some(json!([{ "value": "b@x", "primary": true }])))]).unwrap();
        assert_eq!(out["emails"], json!([{ "value": "a@x" }, { "value": "b@x", "primary": true }]));
    }

    mod properties {
        use proptest::prelude::*;
        use serde_json::json;

        use super::*;
        use crate::server::scim::body::USER_SCHEMA;

        fn alex() -> Map<String, Value> {
            let doc = json!({
                "userName": "alex", "displayName": "Alex", "active": true, "name": { "givenName": "Alex" },
                "emails": [{ "type": "work", "value": "alex@x", "primary": true }],
                "phoneNumbers": [{ "type": "mobile", "value": "+12065550100" }],
            });
            let Value::Object(doc) = doc else { unreachable!() };
            doc
        }

        /// Pieces of PATCH paths, right and wrong, glued together.
        fn path_like() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                prop::sample::select(
                    "userName displayName name emails phoneNumbers roles members active id meta groups nickName \
                     manager shoeSize givenName value type primary $ref"
                        .split_whitespace()
                        .collect::<Vec<_>>()
                )
                .prop_map(str::to_string),
                prop::sample::select(vec![
                    ".", "[", "]", " eq ", " ne ", " pr", " and ", " or ", "not ", ":", "\"", "(", ")"
                ])
                .prop_map(str::to_string),
                prop::sample::select(vec![
                    "urn:ietf:params:scim:schemas:core:2.0:User:",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
                    "urn:x:",
                ])
                .prop_map(str::to_string),
                any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
                "[a-zA-Z0-9_$.:-]{1,10}",
            ];
            prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
        }

        /// Paths of the right form to attributes and sub-attributes that may or may not exist.
        fn path_shaped() -> impl Strategy<Value = String> {
            let attr = prop::sample::select(vec![
                "userName",
                "name",
                "emails",
                "phoneNumbers",
                "active",
                "id",
                "meta",
                "nickName",
                "shoeSize",
            ]);
            let sub = prop::sample::select(vec!["givenName", "value", "type", "primary", "display", "nope"]);
            let filter =
                prop::sample::select(vec!["[type eq \"work\"]", "[value pr]", "[type eq \"x\" or primary eq true]"]);
            (attr, prop::option::of(filter), prop::option::of(sub)).prop_map(|(attr, filter, sub)| {
                format!("{attr}{}{}", filter.unwrap_or(""), sub.map(|s| format!(".{s}")).unwrap_or_default())
            })
        }

        fn any_value() -> impl Strategy<Value = Option<Value>> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                ".{0,12}".prop_map(Value::String),
            ];
            let value = leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map("[a-zA-Z.]{1,10}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            });
            prop::option::of(value)
        }

        /// A path to something a user keeps, in any letter case, perhaps with the schema's URN,
        /// and where to find its value in the document afterwards.
        fn kept_path() -> impl Strategy<Value = (String, Vec<String>)> {
            let spelled = |name: &str, upper: bool| if upper { name.to_uppercase() } else { name.to_string() };
            let target = prop_oneof![
                (prop::sample::select(vec!["userName", "externalId", "displayName"]), any::<bool>())
                    .prop_map(move |(attr, upper)| (spelled(attr, upper), vec![attr.to_string()])),
                (prop::sample::select(vec!["givenName", "familyName", "formatted", "honorificPrefix"]), any::<bool>())
                    .prop_map(move |(sub, upper)| {
                        (spelled(&format!("name.{sub}"), upper), vec!["name".to_string(), sub.to_string()])
                    }),
                (prop::sample::select(vec!["emails", "phoneNumbers", "roles"]), any::<String>(), any::<bool>())
                    .prop_map(move |(attr, kind, upper)| {
                        let quoted = serde_json::to_string(&kind).unwrap();
                        let path = format!(
                            "{}[{} eq {quoted}].{}",
                            spelled(attr, upper),
                            spelled("type", upper),
                            spelled("value", upper)
                        );
                        (path, vec![attr.to_string(), kind])
                    }),
            ];
            (target, any::<bool>()).prop_map(|((path, at), urn)| {
                let path = if urn { format!("{USER_SCHEMA}:{path}") } else { path };
                (path, at)
            })
        }

        /// What a document holds at `at`: an attribute, a sub-attribute, or the `value` of the
        /// multi-valued item whose `type` is `at[1]`.
        fn value_at<'a>(doc: &'a Map<String, Value>, at: &[String]) -> Option<&'a Value> {
            let top = doc.get(&at[0])?;
            match (at.len(), top) {
                (1, _) => Some(top),
                (_, Value::Array(items)) => {
                    // Types compare without case, as the filter does.
                    let of_type =
                        |item: &&Value| item["type"].as_str().is_some_and(|t| t.to_lowercase() == at[1].to_lowercase());
                    items.iter().find(of_type)?.get("value")
                }
                (_, _) => top.get(&at[1]),
            }
        }

        proptest! {
            #![proptest_config(crate::proptest_config(256))]

            /// Any operation on any path with any value: applied, or refused with a SCIM error a
            /// client can act on (400 and a scimType), leaving the document as it was.
            #[test]
            fn any_path_is_applied_or_refused_changing_nothing(
                op in prop::sample::select(vec![Op::Add, Op::Replace, Op::Remove]),
                path in prop_oneof![path_shaped(), path_like(), any::<String>()],
                value in any_value(),
                start in prop_oneof![Just(alex()), Just(Map::new())],
            ) {
                let mut doc = start.clone();
                if let Err(err) = apply(Resource::User, &mut doc, op, Some(&path), value) {
                    let (status, scim_type) = err.status_and_type();
                    prop_assert!(status == 400 && scim_type.is_some(), "{path:?}: {err:?}");
                    prop_assert_eq!(&doc, &start, "{:?} was refused ({}) but changed the document", path, err);
                }
            }

            /// A path to what a user keeps: a replace puts the value there, a remove takes it away.
            #[test]
            fn a_kept_attribute_is_replaced_and_removed_through_its_path(
                (path, at) in kept_path(),
                value in any::<String>(),
            ) {
                let mut doc = alex();
                apply(Resource::User, &mut doc, Op::Replace, Some(&path), Some(Value::String(value.clone())))
                    .map_err(|err| TestCaseError::fail(format!("replace {path:?}: {err}")))?;
                prop_assert_eq!(value_at(&doc, &at), Some(&Value::String(value)), "{}", path);
                // A multi-valued attribute's item goes whole: `emails[type eq "x"]`.
                let remove = match path.rsplit_once("].") {
                    Some((filtered, _)) => format!("{filtered}]"),
                    None => path.clone(),
                };
                apply(Resource::User, &mut doc, Op::Remove, Some(&remove), None)
                    .map_err(|err| TestCaseError::fail(format!("remove {remove:?}: {err}")))?;
                prop_assert_eq!(value_at(&doc, &at), None, "{}", remove);
            }
        }
    }
}

//! Attribute names: which ones a resource has, in which spelling (names are matched without
//! case, RFC 7643 §2.1), and what shiftkey does with each.
//!
//! - **kept**: stored and read back (the attributes `/Schemas` publishes);
//! - **set aside**: defined by the core User schema or the enterprise extension but not kept
//!   (`title`, `locale`, `password`, `manager`, …): accepted and ignored, so an identity
//!   provider's default mappings don't fail provisioning;
//! - **read-only** (`id`, `meta`, `groups`, `schemas`): ignored in request bodies (RFC 7644
//!   §3.3), refused as a PATCH target (`mutability`);
//! - **unknown**: anything else, refused (`invalidSyntax` in a body, `invalidPath` in a PATCH).

use serde_json::{Map, Value};

use super::ScimError;
use super::body::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// The shape of a kept attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Simple,
    /// Single-valued complex (`name`).
    Complex(&'static [&'static str]),
    /// Multi-valued complex (`emails`, `phoneNumbers`, `roles`, `members`).
    Multi(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Kept(&'static str, Shape),
    SetAside,
    ReadOnly,
    Unknown,
}

const NAME_SUBS: &[&str] =
    &["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"];
const VALUE_SUBS: &[&str] = &["value", "display", "type", "primary"];
const MEMBER_SUBS: &[&str] = &["value", "$ref", "type", "display"];

/// Which resource a body or path is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    fn kept(self) -> &'static [(&'static str, Shape)] {
        match self {
            Resource::User => &[
                ("userName", Shape::Simple),
                ("externalId", Shape::Simple),
                ("displayName", Shape::Simple),
                ("active", Shape::Simple),
                ("name", Shape::Complex(NAME_SUBS)),
                ("emails", Shape::Multi(VALUE_SUBS)),
                ("phoneNumbers", Shape::Multi(VALUE_SUBS)),
                ("roles", Shape::Multi(VALUE_SUBS)),
            ],
            Resource::Group => {
                &[("displayName", Shape::Simple), ("externalId", Shape::Simple), ("members", Shape::Multi(MEMBER_SUBS))]
            }
        }
    }

    fn set_aside(self) -> &'static [&'static str] {
        match self {
            Resource::User => &[
                "nickName",
                "profileUrl",
                "title",
                "userType",
                "preferredLanguage",
                "locale",
                "timezone",
                "password",
                "ims",
                "photos",
                "addresses",
                "entitlements",
                "x509Certificates",
                // The enterprise extension's attributes, as Entra's first sample sends them.
                "employeeNumber",
                "costCenter",
                "organization",
                "division",
                "department",
                "manager",
            ],
            Resource::Group => &[],
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            Resource::User => USER_SCHEMA,
            Resource::Group => GROUP_SCHEMA,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Resource::User => "User",
            Resource::Group => "Group",
        }
    }

    /// What this resource does with an attribute (a name without a schema prefix).
    pub fn attr(self, name: &str) -> Attr {
        if let Some((canonical, shape)) = self.kept().iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Attr::Kept(canonical, *shape);
        }
        if ["id", "meta", "schemas", "groups"].iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Attr::ReadOnly;
        }
        if self.set_aside().iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Attr::SetAside;
        }
        Attr::Unknown
    }

    /// Whether a schema URN prefix names an extension whose attributes are set aside.
    pub fn set_aside_schema(self, urn: &str) -> bool {
        self == Resource::User && urn.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA)
    }
}

/// The spelling of a sub-attribute among `subs`, matched without case.
pub fn sub_name(subs: &'static [&'static str], name: &str) -> Option<&'static str> {
    subs.iter().copied().find(|s| s.eq_ignore_ascii_case(name))
}

/// A request body with the attributes shiftkey keeps, spelled as the schema spells them;
/// set-aside and read-only ones dropped, unassigned ones (`null`, RFC 7643 §2.5) dropped,
/// an unknown one refused.
pub fn canonical_body(resource: Resource, body: Map<String, Value>) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in body {
        if value.is_null() {
            continue;
        }
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            if resource.set_aside_schema(&key) {
                continue;
            }
            // A core attribute written with its schema's prefix.
            let prefix = format!("{}:", resource.schema());
            match key.get(..prefix.len()) {
                Some(p) if p.eq_ignore_ascii_case(&prefix) => {
                    let name = key[prefix.len()..].to_string();
                    keep(resource, &name, value, &mut out)?;
                    continue;
                }
                _ => {
                    return Err(ScimError::InvalidSyntax(format!(
                        "{key:?}: shiftkey supports no such schema extension on a {}",
                        resource.noun()
                    )));
                }
            }
        }
        keep(resource, &key, value, &mut out)?;
    }
    Ok(out)
}

fn keep(resource: Resource, key: &str, value: Value, out: &mut Map<String, Value>) -> Result<(), ScimError> {
    match resource.attr(key) {
        Attr::Kept(name, shape) => {
            out.insert(name.to_string(), canonical_value(name, shape, value)?);
            Ok(())
        }
        Attr::SetAside | Attr::ReadOnly => Ok(()),
        Attr::Unknown => {
            Err(ScimError::InvalidSyntax(format!("{key:?} is not an attribute of a {} (RFC 7643)", resource.noun())))
        }
    }
}

/// A kept attribute's value with its sub-attributes spelled as the schema spells them.
pub fn canonical_value(name: &str, shape: Shape, value: Value) -> Result<Value, ScimError> {
    match (shape, value) {
        (Shape::Simple, value) => Ok(value),
        (Shape::Complex(subs), Value::Object(object)) => Ok(Value::Object(canonical_object(name, subs, object)?)),
        (Shape::Multi(subs), Value::Array(items)) => items
            .into_iter()
            .filter(|item| !item.is_null())
            .map(|item| match item {
                Value::Object(object) => Ok(Value::Object(canonical_object(name, subs, object)?)),
                other => Err(ScimError::InvalidValue(format!("{name}: each value must be an object, not {other}"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (Shape::Multi(subs), Value::Object(object)) => {
            Ok(Value::Array(vec![Value::Object(canonical_object(name, subs, object)?)]))
        }
        (_, other) => Err(ScimError::InvalidValue(format!("{name}: expected an object or a list, not {other}"))),
    }
}

fn canonical_object(
    name: &str,
    subs: &'static [&'static str],
    object: Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in object {
        if value.is_null() {
            continue;
        }
        let sub = sub_name(subs, &key)
            .ok_or_else(|| ScimError::InvalidSyntax(format!("{name}.{key}: no such sub-attribute")))?;
        out.insert(sub.to_string(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canonical(body: Value) -> Result<Value, ScimError> {
        let Value::Object(body) = body else { panic!("object") };
        canonical_body(Resource::User, body).map(Value::Object)
    }

    #[test]
    fn names_are_matched_without_case_and_written_as_the_schema_does() {
        let out = canonical(json!({ "USERNAME": "a", "Name": { "GIVENNAME": "A" }, "Emails": [{ "Value": "a@b" }] }));
        assert_eq!(
            out.unwrap(),
            json!({ "userName": "a", "name": { "givenName": "A" }, "emails": [{ "value": "a@b" }] })
        );
    }

    #[test]
    fn set_aside_read_only_and_unassigned_attributes_are_dropped() {
        let out = canonical(json!({
            "userName": "a", "title": "Clerk", "id": "x", "meta": {}, "groups": [], "addresses": null,
            "password": "secret", ENTERPRISE_USER_SCHEMA: { "employeeNumber": "1" }, "department": null,
        }));
        assert_eq!(out.unwrap(), json!({ "userName": "a" }));
    }

    #[test]
    fn an_unknown_attribute_or_extension_is_refused() {
        assert!(matches!(canonical(json!({ "favouriteColour": "red" })), Err(ScimError::InvalidSyntax(_))));
        assert!(matches!(
            canonical(json!({ "urn:example:params:scim:schemas:extension:acme:2.0:User": { "x": 1 } })),
            Err(ScimError::InvalidSyntax(_))
        ));
        assert!(matches!(canonical(json!({ "name": { "nickname": "x" } })), Err(ScimError::InvalidSyntax(_))));
    }
}

//! `filter=` on `/Users` and `/Groups` (RFC 7644 §3.4.2.2), parsed by `scim_v2` and turned
//! into the equalities the store answers from its indexes. The subset is what identity
//! providers match on: `eq`, joined by `and`, on `id`, `externalId`, `userName`,
//! `emails[type eq "work"].value` (users) and `displayName` (groups). Anything else is
//! refused with `invalidFilter`, as RFC 7644 §3.12 says for "not supported".

use std::str::FromStr;

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

use super::ScimError;
use super::attrs::Resource;
use crate::server::store::UserTerm;

/// Parses a filter, also in the form `emails[type eq "work"].value eq "x"`, which Entra
/// documents for matching on a work email although RFC 7644's grammar has no sub-attribute
/// after a value filter: it is read as `emails[type eq "work" and value eq "x"]`.
fn parse(raw: &str) -> Result<Filter, ScimError> {
    match Filter::from_str(raw) {
        Ok(filter) => Ok(filter),
        Err(err) => [rewrite_value_path_comparison(raw), quote_bare_value(raw)]
            .into_iter()
            .flatten()
            .find_map(|rewritten| Filter::from_str(&rewritten).ok())
            .ok_or_else(|| ScimError::InvalidFilter(format!("{raw:?}: {err}"))),
    }
}

/// `externalId eq jyoung` → `externalId eq "jyoung"`: the unquoted form of Entra's own
/// matching example. Only a single comparison whose value is one bare word.
fn quote_bare_value(raw: &str) -> Option<String> {
    let mut words = raw.split_whitespace();
    let (attr, op, value) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() || !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let bare = value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c));
    let literal = ["true", "false", "null"].iter().any(|l| l.eq_ignore_ascii_case(value))
        || value.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    (bare && !literal).then(|| format!("{attr} eq \"{value}\""))
}

/// `attr[inner].sub rest` → `attr[inner and sub rest]`, or `None` when `raw` isn't that form.
fn rewrite_value_path_comparison(raw: &str) -> Option<String> {
    let open = raw.find('[')?;
    let mut in_string = false;
    let mut escaped = false;
    let mut close = None;
    for (i, c) in raw.char_indices().skip_while(|(i, _)| *i <= open) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => {
                close = Some(i);
                break;
            }
            _ => {}
        }
    }
    let close = close?;
    let after = raw[close + 1..].strip_prefix('.')?;
    let sub_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    if sub_len == 0 {
        return None;
    }
    let (sub, rest) = after.split_at(sub_len);
    Some(format!("{}[{} and {sub}{rest}]", &raw[..open], &raw[open + 1..close]))
}

fn unsupported(resource: Resource, raw: &str) -> ScimError {
    let what = match resource {
        Resource::User => "id, externalId, userName or emails[type eq \"work\"].value",
        Resource::Group => "id, externalId or displayName",
    };
    ScimError::InvalidFilter(format!("{raw:?}: shiftkey filters {}s by {what} with eq, joined by and", resource.noun()))
}

fn named(path: &AttrPath, resource: Resource, name: &str) -> bool {
    path.uri.as_deref().is_none_or(|uri| uri.eq_ignore_ascii_case(resource.schema()))
        && path.name.eq_ignore_ascii_case(name)
        && path.sub_attr.is_none()
}

/// The equalities a filter asks for, all of which must hold.
/// A list query's terms: none without a filter, or with a blank one.
pub fn terms_of(resource: Resource, raw: Option<&str>) -> Result<Vec<UserTerm>, ScimError> {
    match raw.map(str::trim).filter(|filter| !filter.is_empty()) {
        Some(raw) => terms(resource, raw),
        None => Ok(Vec::new()),
    }
}

pub fn terms(resource: Resource, raw: &str) -> Result<Vec<UserTerm>, ScimError> {
    let filter = parse(raw)?;
    let parts: Vec<&Filter> = match &filter {
        Filter::And(items) => items.iter().collect(),
        single => vec![single],
    };
    parts.into_iter().map(|part| term(resource, part).ok_or_else(|| unsupported(resource, raw))).collect()
}

/// The attribute a resource's name is: `userName`, or a group's `displayName`.
fn name_attribute(resource: Resource) -> &'static str {
    match resource {
        Resource::User => "userName",
        Resource::Group => "displayName",
    }
}

fn term(resource: Resource, filter: &Filter) -> Option<UserTerm> {
    match filter {
        Filter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(value))) => {
            let value = value.clone();
            if named(path, resource, "id") {
                Some(UserTerm::Id(value))
            } else if named(path, resource, "externalId") {
                Some(UserTerm::ExternalId(value))
            } else if named(path, resource, name_attribute(resource)) {
                Some(UserTerm::Name(value))
            } else {
                None
            }
        }
        Filter::ValuePath(vp) if resource == Resource::User && named(&vp.attr, resource, "emails") => {
            let ValFilter::And(items) = vp.filter.as_ref() else { return None };
            let mut work = false;
            let mut email = None;
            for item in items.iter() {
                match item {
                    ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(v)))
                        if path.name.eq_ignore_ascii_case("type") && v.eq_ignore_ascii_case("work") =>
                    {
                        work = true
                    }
                    ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(v)))
                        if path.name.eq_ignore_ascii_case("value") =>
                    {
                        email = Some(v.clone())
                    }
                    _ => return None,
                }
            }
            email.filter(|_| work).map(UserTerm::WorkEmail)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_identity_providers_match_on_are_equalities() {
        assert_eq!(
            terms(Resource::User, "userName eq \"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee\"").unwrap(),
            [UserTerm::Name("Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee".into())]
        );
        assert_eq!(
            terms(Resource::User, "emails[type eq \"work\"].value eq \"user@contoso.com\"").unwrap(),
            [UserTerm::WorkEmail("user@contoso.com".into())]
        );
        assert_eq!(
            terms(Resource::User, "externalId EQ \"x\" and USERNAME eq \"y\"").unwrap(),
            [UserTerm::ExternalId("x".into()), UserTerm::Name("y".into())]
        );
        assert_eq!(
            terms(Resource::Group, "displayName eq \"Contoso SMS Users\"").unwrap(),
            [UserTerm::Name("Contoso SMS Users".into())]
        );
    }

    #[test]
    fn unparsable_and_unsupported_filters_are_invalid_filter() {
        for raw in
            ["userName eq", "userName co \"a\"", "title eq \"x\"", "userName eq \"a\" or userName eq \"b\"", "(("]
        {
            assert!(matches!(terms(Resource::User, raw), Err(ScimError::InvalidFilter(_))), "{raw}");
        }
        assert!(matches!(terms(Resource::Group, "userName eq \"a\""), Err(ScimError::InvalidFilter(_))));
    }

    #[test]
    fn a_sub_attribute_after_a_value_filter_is_read_as_one_more_equality() {
        assert_eq!(
            rewrite_value_path_comparison("emails[type eq \"wo]rk\"].value eq \"a\"").as_deref(),
            Some("emails[type eq \"wo]rk\" and value eq \"a\"]")
        );
        assert_eq!(rewrite_value_path_comparison("userName eq \"a\""), None);
    }

    #[test]
    fn entras_unquoted_matching_example_is_read_as_a_string() {
        assert_eq!(terms(Resource::User, "externalId eq jyoung").unwrap(), [UserTerm::ExternalId("jyoung".into())]);
        assert_eq!(quote_bare_value("active eq true"), None);
        assert_eq!(quote_bare_value("userName eq a and x"), None);
    }
}

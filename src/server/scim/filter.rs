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

/// `attr[inner].sub op value rest` → `attr[inner and sub op value] rest`, or `None` when `raw`
/// isn't that form.
fn rewrite_value_path_comparison(raw: &str) -> Option<String> {
    let mut brackets = brackets(raw);
    let (open, _) = brackets.find(|&(_, c)| c == '[')?;
    let (close, _) = brackets.find(|&(_, c)| c == ']')?;
    let after = raw[close + 1..].strip_prefix('.')?;
    let sub_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    if sub_len == 0 {
        return None;
    }
    let (sub, rest) = after.split_at(sub_len);
    let (comparison, rest) = rest.split_at(comparison_len(rest)?);
    Some(format!("{}[{} and {sub}{comparison}]{rest}", &raw[..open], &raw[open + 1..close]))
}

/// The length of ` op value` at the start of `text`: an operator and, unless it is `pr`, a
/// value (a JSON string, or a word such as `true`).
fn comparison_len(text: &str) -> Option<usize> {
    let word_end = |from: usize| text[from..].find(char::is_whitespace).map_or(text.len(), |len| from + len);
    let skip_space = |from: usize| text.len() - text[from..].trim_start().len();
    let op_start = skip_space(0);
    let op_end = word_end(op_start);
    if op_start == op_end {
        return None;
    }
    if text[op_start..op_end].eq_ignore_ascii_case("pr") {
        return Some(op_end);
    }
    let value_start = skip_space(op_end);
    if text[value_start..].starts_with('"') {
        string_len(&text[value_start..]).map(|len| value_start + len)
    } else {
        Some(word_end(value_start))
    }
}

/// Where `[` and `]` are in a filter, outside its quoted strings.
fn brackets(raw: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut string_ends_at = 0;
    raw.char_indices().filter(move |&(i, c)| {
        if i < string_ends_at {
            return false;
        }
        if c == '"' {
            string_ends_at = i + string_len(&raw[i..]).unwrap_or(raw.len() - i);
        }
        matches!(c, '[' | ']')
    })
}

/// The length of the JSON string `text` starts with, quotes included; `None` when it doesn't end.
fn string_len(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
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
        assert_eq!(
            rewrite_value_path_comparison("emails[type eq \"work\"].value eq \"a \\\" b\" and id eq \"c\"").as_deref(),
            Some("emails[type eq \"work\" and value eq \"a \\\" b\"] and id eq \"c\"")
        );
        assert_eq!(
            rewrite_value_path_comparison("userName eq \"[x].y\" and emails[type eq \"work\"].value pr").as_deref(),
            Some("userName eq \"[x].y\" and emails[type eq \"work\" and value pr]")
        );
        assert_eq!(rewrite_value_path_comparison("userName eq \"a\""), None);
    }

    #[test]
    fn entras_unquoted_matching_example_is_read_as_a_string() {
        assert_eq!(terms(Resource::User, "externalId eq jyoung").unwrap(), [UserTerm::ExternalId("jyoung".into())]);
        assert_eq!(quote_bare_value("active eq true"), None);
        assert_eq!(quote_bare_value("userName eq a and x"), None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Pieces of filters, right and wrong, glued by spaces or nothing.
        fn filter_like() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                prop::sample::select(
                    "userName id externalId displayName emails title members.value meta.lastModified \
                     urn:ietf:params:scim:schemas:core:2.0:User:userName"
                        .split_whitespace()
                        .collect::<Vec<_>>()
                )
                .prop_map(str::to_string),
                prop::sample::select(vec!["eq", "EQ", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"])
                    .prop_map(str::to_string),
                prop::sample::select(vec!["and", "or", "not", "(", ")", "[", "]", ".", "\"", "\\"])
                    .prop_map(str::to_string),
                any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
                prop::sample::select(vec!["true", "false", "null", "12", "-1.5e3", "jyoung", "a@b.c"])
                    .prop_map(str::to_string),
                "[a-zA-Z0-9_$.:-]{1,12}",
            ];
            let glue = prop::sample::select(vec![" ", "", "  ", "\t"]);
            prop::collection::vec((piece, glue), 0..16)
                .prop_map(|pieces| pieces.into_iter().map(|(piece, glue)| piece + glue).collect())
        }

        /// Equalities shiftkey supports, each with the term it is read as.
        fn equality() -> impl Strategy<Value = (String, UserTerm)> {
            let quoted = |v: &String| serde_json::to_string(v).unwrap();
            (0..4usize, any::<String>(), any::<bool>()).prop_map(move |(kind, value, upper)| {
                let (attr, term) = match kind {
                    0 => ("userName", UserTerm::Name(value.clone())),
                    1 => ("externalId", UserTerm::ExternalId(value.clone())),
                    2 => ("id", UserTerm::Id(value.clone())),
                    _ => {
                        let text = format!("emails[type eq \"work\"].value eq {}", quoted(&value));
                        return (text, UserTerm::WorkEmail(value));
                    }
                };
                let attr = if upper { attr.to_uppercase() } else { attr.to_string() };
                (format!("{attr} eq {}", quoted(&value)), term)
            })
        }

        proptest! {
            #![proptest_config(crate::proptest_config(256))]

            /// Any filter, well-formed or not: the terms it asks for, or `invalidFilter` with
            /// a detail that names it; never a panic.
            #[test]
            fn any_filter_gives_terms_or_an_invalid_filter(raw in prop_oneof![filter_like(), any::<String>()]) {
                for resource in [Resource::User, Resource::Group] {
                    match terms(resource, &raw) {
                        Ok(found) => prop_assert!(!found.is_empty() && found.len() <= raw.len()),
                        Err(ScimError::InvalidFilter(detail)) => {
                            prop_assert!(detail.contains(&format!("{raw:?}")), "{detail}");
                        }
                        Err(other) => prop_assert!(false, "{raw:?}: {other:?}"),
                    }
                }
            }

            /// Equalities joined by `and`, in any order, are read back as the same terms with
            /// the same values, whatever the values hold. (At most one in Entra's form for a
            /// work email: two would ask for two work emails that are the same one.)
            #[test]
            fn equalities_read_back_as_the_terms_they_say(
                equalities in prop::collection::vec(equality(), 1..5).prop_filter("one work email at most", |terms| {
                    terms.iter().filter(|(_, term)| matches!(term, UserTerm::WorkEmail(_))).count() <= 1
                }),
            ) {
                let raw = equalities.iter().map(|(text, _)| text.as_str()).collect::<Vec<_>>().join(" and ");
                let expected: Vec<UserTerm> = equalities.into_iter().map(|(_, term)| term).collect();
                prop_assert_eq!(terms(Resource::User, &raw).map_err(|e| e.to_string()), Ok(expected), "{}", raw);
            }
        }

        /// Nesting past the parser's limit is refused, however deep; never a stack overflow.
        #[test]
        fn deep_nesting_is_refused() {
            for depth in [65, 1_000, 100_000] {
                for raw in [
                    format!("{}userName eq \"a\"{}", "(".repeat(depth), ")".repeat(depth)),
                    format!("{}userName pr", "not (".repeat(depth)),
                    format!("emails{}", "[value eq \"a\"".repeat(depth)),
                    "userName eq \"a\" and ".repeat(depth + 1024) + "id eq \"b\"",
                ] {
                    assert!(matches!(terms(Resource::User, &raw), Err(ScimError::InvalidFilter(_))), "depth {depth}");
                }
            }
        }
    }
}

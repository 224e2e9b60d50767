"""A check of our own for schemathesis, loaded by tests/openapi_fuzz.rs (SCHEMATHESIS_HOOKS).

The sign-in operations refuse some well-formed requests with 400, for facts only the server
has: whether a number is valid in its numbering plan, whether a challenge exists and is alive,
whether a code is the one sent. tests/openapi_fuzz.toml lets schemathesis's
positive_data_acceptance accept that 400; this check keeps the rest of what it guarded: a
request the document calls valid is never refused for its form (`invalid_request`), only for
one of those facts.
"""

import schemathesis

# The error codes each operation may answer a well-formed request with (assets/openapi.json).
REFUSED_FOR_FACTS = {
    "POST /v1/sign-in/start": {"invalid_phone"},
    "POST /v1/sign-in/resend": {"expired", "too_many_attempts"},
    "POST /v1/sign-in/verify": {"invalid_code", "expired", "too_many_attempts"},
    "POST /v1/sign-in/pass": {"invalid_phone", "invalid_pass"},
    "POST /v1/passes": {"invalid_phone"},
}


@schemathesis.check
def valid_requests_are_refused_only_for_facts(ctx, response, case):
    allowed = REFUSED_FOR_FACTS.get(case.operation.label)
    meta = case.meta
    if allowed is None or response.status_code != 400 or meta is None:
        return None
    # Coverage probes of the request's shape (no body, a wrong content type) aren't data the
    # document calls valid, whatever their mode says.
    if meta.generation.mode.is_positive and not _shape_probe(case):
        error = response.json().get("error")
        if error not in allowed:
            raise AssertionError(
                f"{case.operation.label} refused a request the document calls valid with "
                f"{error!r}; it may only refuse one for {sorted(allowed)}: {response.text}"
            )
    return None


def _shape_probe(case):
    from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

    return is_unexpected_http_status_case(case)

"""Runs scim2-tester (RFC 7643/7644 compliance checks) against a SCIM server.

Usage: python scim_compliance.py BASE_URL < token
The bearer token comes on stdin (never argv or the environment). Prints one JSON object per
check: status, title, reason, resource_type. tests/scim_compliance.rs starts `shiftkey serve`,
runs this in the venv scripts/test installs, and fails on any ERROR or CRITICAL.

One adaptation, for a rule scim2-tester says it can't discover (filling.py: "there is no way to
guess the existence of such requirements just by looking at the object schema"): phone numbers
must be valid numbers in international form, so the tester is given a distinct valid one
(+1 206 555 01xx, the range reserved for fiction) wherever it would send ten random digits.
"""

import itertools
import json
import sys

import httpx2
import scim2_tester.checkers.patch_add
import scim2_tester.checkers.patch_replace
import scim2_tester.filling
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

_numbers = (f"+1 206 555 01{n:02d}" for n in itertools.cycle(range(10, 100)))
_generate = scim2_tester.filling.generate_random_value


def _is_phone(path):
    """The tester's own test for a phone number value (filling.generate_random_value)."""
    binding = path.resolve()
    model = binding.target_model if binding else path.model
    field_name = binding.target_field_name if binding else None
    return str(path).endswith("phoneNumbers.value") or (
        field_name == "value" and model is not None and "phone" in model.__name__.lower()
    )


def generate_random_value(context, path, mutability=None, required=None):
    value = _generate(context, path=path, mutability=mutability, required=required)
    if value is not None and _is_phone(path):
        return next(_numbers)
    return value


for module in (scim2_tester.filling, scim2_tester.checkers.patch_add, scim2_tester.checkers.patch_replace):
    module.generate_random_value = generate_random_value


def main():
    base_url = sys.argv[1]
    token = sys.stdin.read().strip()
    http = httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    results = check_server(SyncSCIMClient(http))
    for result in results:
        print(
            json.dumps(
                {
                    "status": result.status.name,
                    "title": result.title,
                    "reason": result.reason,
                    "resource_type": result.resource_type,
                }
            )
        )


if __name__ == "__main__":
    main()

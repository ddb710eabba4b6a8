"""The one-off after upgrading a deployment whose profiles hold plain phone numbers (`ph` = "+82…"): seal
them all now rather than at each profile's next write (nudge.adapters.phones). Run it once, with the
operator's credentials and the stack's names, after the deploy:

    PROFILES_TABLE=… EVENTS_TABLE=… PHONE_KEY_ARN=… python -m nudge.adapters.seal_phones STORE_ID …

It needs dynamodb:Query and dynamodb:UpdateItem on the profiles table and kms:GenerateMac on the phone key.
Running it again seals nothing more (it answers 0 per store); profiles written meanwhile are left as their
own write sealed them. Until it has run, the 080 look-up finds a plain number as well as a sealed one."""

import sys

from nudge import config
from nudge.adapters.dynamodb import DynamoProfileRepository, phones_at_rest


def main(argv: list[str]) -> int:
    if not argv or config.phone_key_arn() is None:
        print(__doc__, file=sys.stderr)
        return 2
    tables = config.profiles_table(), config.events_table()
    profiles = DynamoProfileRepository(*tables, phones=phones_at_rest())
    for store_id in argv:
        print(f"{store_id}: {profiles.seal_plain_phones(store_id)} number(s) sealed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

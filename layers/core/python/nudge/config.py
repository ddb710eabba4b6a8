"""Where things are: read from the environment the template gives each function (and the local runtime
gives it too). The names of the variables live here and in template.yaml, nowhere else."""

import os


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"environment variable {name} is not set (template.yaml sets it for each function)"
        )
    return value


def profiles_table() -> str:
    return _required("PROFILES_TABLE")


def events_table() -> str:
    return _required("EVENTS_TABLE")


def stores_table() -> str:
    return _required("STORES_TABLE")


def events_queue_url() -> str:
    return _required("EVENTS_QUEUE_URL")


def store_secrets_path() -> str:
    return _required("STORE_SECRETS_PATH").rstrip("/")


def send_queue_url() -> str:
    return _required("SEND_QUEUE_URL")


def campaign_runs_queue_url() -> str:
    return _required("CAMPAIGN_RUNS_QUEUE_URL")


def campaign_runs_queue_arn() -> str:
    return _required("CAMPAIGN_RUNS_QUEUE_ARN")


def schedule_group() -> str:
    return _required("SCHEDULE_GROUP")


def scheduler_role_arn() -> str:
    return _required("SCHEDULER_ROLE_ARN")


def schedule_dead_letter_arn() -> str:
    return _required("SCHEDULE_DEAD_LETTER_ARN")


def journeys_table() -> str:
    return _required("JOURNEYS_TABLE")


def automation_slots_queue_arn() -> str:
    return _required("AUTOMATION_SLOTS_QUEUE_ARN")


def sends_table() -> str:
    return _required("SENDS_TABLE")


def send_queue_arn() -> str:
    return _required("SEND_QUEUE_ARN")


def gateway_base_url() -> str | None:
    """Set by the local runtime to its gateway emulator; empty in AWS (each store's account decides). The one
    address besides the gateways' own hosts a store's gateway.base_url may name (nudge.stores)."""
    return os.environ.get("GATEWAY_BASE_URL") or None


def tracking_base_url() -> str:
    """The public address of the click redirect (`{base}/r/{token}`)."""
    return os.environ.get("TRACKING_BASE_URL", "")


def phone_key_arn() -> str | None:
    """The KMS HMAC key phone numbers are sealed and hashed with (nudge.adapters.phones): set only for the
    functions whose role may use it. Unset: the function loads profiles without their number."""
    return os.environ.get("PHONE_KEY_ARN") or None


def pseudonym_key_arn() -> str | None:
    """The KMS HMAC key customer pseudonyms are made with (erasure records): set only for the functions whose
    role may use it. Unset: the function neither writes nor checks erasure records."""
    return os.environ.get("PSEUDONYM_KEY_ARN") or None

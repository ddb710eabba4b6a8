"""Store secrets in SSM Parameter Store: {STORE_SECRETS_PATH}/{store_id}/{name}, SecureString."""

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from nudge import config

# Powertools caches each value in the container; a rotated secret is picked up within this many seconds.
SECRET_MAX_AGE_SECONDS = 300


def secret_parameter_name(store_id: str, name: str) -> str:
    return f"{config.store_secrets_path()}/{store_id}/{name}"


class SsmSecretStore:
    def get(self, store_id: str, name: str) -> str | None:
        try:
            value = parameters.get_parameter(
                secret_parameter_name(store_id, name), decrypt=True, max_age=SECRET_MAX_AGE_SECONDS
            )
        except GetParameterError:
            return None
        return str(value) if value else None


def put_secret(store_id: str, name: str, value: str) -> None:
    """Write a store secret (SecureString, replacing an older value); secrets are never read back out."""
    boto3.client("ssm").put_parameter(
        Name=secret_parameter_name(store_id, name), Value=value, Type="SecureString", Overwrite=True
    )

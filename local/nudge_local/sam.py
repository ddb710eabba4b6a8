"""template.yaml as CloudFormation receives it: the SAM transform applied by AWS's own translator.

cfn-lint 1.x checks a SAM template without running every consequence of the transform through its rules: a
circular reference that only exists once SAM has made the API's integrations (a function that names the
API routing to it) passes it and fails the first deploy. So `make lint` translates the template with the
`aws-sam-translator` package, the code the AWS::Serverless transform runs, and lints the CloudFormation it
produces as well.

    python -m nudge_local.sam template.yaml          # translate, then cfn-lint the result
    python -m nudge_local.sam template.yaml --print  # the translated template, as JSON
"""

import argparse
import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

from nudge_local.template import load_yaml

# Where Nudge is deployed by default (samconfig.toml); the ARNs the translator writes name a Region.
DEFAULT_REGION = "ap-northeast-2"
_LOCAL_ARTIFACTS = ("CodeUri", "ContentUri")


class _NoManagedPolicies:
    """Nudge's functions name no AWS managed policy by name (SAM adds its own by ARN), so the translator
    needs no IAM ListPolicies call, which would need an account."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: dict[str, Any] | Path, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy. Local code paths become S3 locations first, as
    `sam package` makes them (the translator accepts nothing else)."""
    from samtranslator.translator.transform import transform

    document = load_yaml(template) if isinstance(template, Path) else copy.deepcopy(template)
    for resource in document.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for key in _LOCAL_ARTIFACTS:
            value = properties.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                properties[key] = f"s3://nudge-artifacts/{value.strip('/') or 'root'}"
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator asks boto3 for the Region
    try:
        return dict(transform(document, {}, _NoManagedPolicies()))
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


def lint(translated: dict[str, Any], region: str = DEFAULT_REGION) -> list[str]:
    """cfn-lint's findings on the translated template, one line each (empty: clean)."""
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    matches = cfn_lint(json.dumps(translated, indent=1), config=ManualArgs(regions=[region]))
    return [f"{m.rule.id} {m.message} (line {m.linenumber} of the translated template)" for m in matches]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nudge_local.sam",
        description="Apply the SAM transform to a template with aws-sam-translator and cfn-lint the result.",
    )
    parser.add_argument("template", type=Path, help="the SAM template, e.g. template.yaml")
    parser.add_argument("--print", action="store_true", help="print the translated template and stop")
    args = parser.parse_args(argv)
    from samtranslator.model.exceptions import InvalidDocumentException

    try:
        translated = translate(args.template)
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"{args.template}: SAM transform: {cause.message}", file=sys.stderr)
        return 1
    if args.print:
        json.dump(translated, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    findings = lint(translated)
    for finding in findings:
        print(f"{args.template} (after the SAM transform): {finding}", file=sys.stderr)
    if not findings:
        resources = len(translated.get("Resources", {}))
        print(f"{args.template}: SAM transform and cfn-lint clean ({resources} CloudFormation resources)")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())

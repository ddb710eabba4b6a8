"""template.yaml as CloudFormation receives it: the SAM transform applied by AWS's own translator.

cfn-lint 1.x checks a SAM template without running every consequence of the transform through its rules: a
circular reference that only exists once SAM has made the API's integrations (a function that names the
API routing to it) passes it and fails the first deploy. So `make lint` translates the template with the
`aws-sam-translator` package, the code the AWS::Serverless transform runs, and lints the CloudFormation it
produces as well.

    python -m nudge_local.runtime.sam template.yaml          # translate, then cfn-lint the result
    python -m nudge_local.runtime.sam template.yaml --print  # the translated template, as JSON
"""

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from nudge_local.runtime.template import REGION, load_yaml  # Seoul, as samconfig.toml deploys


def _s3_placeholders(document: dict[str, Any]) -> None:
    """S3 locations in place of local code paths, as `sam package` puts them: the translator refuses a
    function or layer whose code is not in S3, and where the code lies changes nothing it checks."""
    globals_function = (document.get("Globals") or {}).get("Function") or {}
    if isinstance(globals_function.get("CodeUri"), str):
        globals_function["CodeUri"] = "s3://nudge-artifacts/code"
    for logical_id, resource in (document.get("Resources") or {}).items():
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict):
            continue
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://nudge-artifacts/{logical_id}"


def translate(
    template: dict[str, Any] | Path, region: str = REGION, parameters: dict[str, str] | None = None
) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy. `parameters` (with pseudo parameters such as
    AWS::AccountId) are the values SAM may resolve while translating; none leaves every Ref as it is.
    Raises samtranslator's InvalidDocumentException when SAM refuses the template."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # A fresh copy: the translator changes what it is given.
    document = load_yaml(template) if isinstance(template, Path) else copy.deepcopy(template)
    _s3_placeholders(document)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        return dict(
            translator.translate(
                document,
                parameter_values=dict(parameters or {}),
                # A managed policy named (not by ARN) would be looked up in the account's IAM; Nudge names
                # none, and SAM's own are known to it.
                get_managed_policy_map=lambda: {},
            )
        )
    finally:
        translator.metrics.publish()  # to SAM's offline publisher: nothing leaves the machine


def lint(translated: dict[str, Any], region: str = REGION) -> list[str]:
    """cfn-lint's findings on the translated template, one line each (empty: clean)."""
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    matches = cfn_lint(json.dumps(translated, indent=1), config=ManualArgs(regions=[region]))
    return [f"{m.rule.id} {m.message} (line {m.linenumber} of the translated template)" for m in matches]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nudge_local.runtime.sam",
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

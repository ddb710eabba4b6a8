"""The Cafe24 app's ports (nudge.ingest.cafe24_app): a token vault in memory, and Cafe24's token endpoint as
a script of answers that records what it was asked."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nudge.ingest.cafe24_app import App, OAuthRefused, Tokens


class InMemoryTokenVault:
    def __init__(self) -> None:
        self.tokens: dict[str, Tokens] = {}
        self.writes = 0

    def get(self, store_id: str) -> Tokens | None:
        return self.tokens.get(store_id)

    def put(self, store_id: str, tokens: Tokens) -> None:
        self.tokens[store_id] = tokens
        self.writes += 1


class ScriptedOAuth:
    """Answers each call with the next of `answers` (a dict, or an OAuthRefused to raise)."""

    def __init__(self, *answers: Mapping[str, object] | OAuthRefused) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []  # (grant, mall_id)

    def _next(self, grant: str, mall_id: str) -> Mapping[str, object]:
        self.asked.append((grant, mall_id))
        answer = self.answers.pop(0)
        if isinstance(answer, OAuthRefused):
            raise answer
        return answer

    def exchange_code(self, app: App, mall_id: str, code: str, redirect_uri: str) -> Mapping[str, object]:
        return self._next("authorization_code", mall_id)

    def refresh(self, app: App, mall_id: str, refresh_token: str) -> Mapping[str, object]:
        return self._next("refresh_token", mall_id)


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    from nudge.ingest.cafe24_app import OAuthServer, TokenVault

    _vault: TokenVault = InMemoryTokenVault()
    _oauth: OAuthServer = ScriptedOAuth()

"""A problem found in a message definition: the field it is in, the rule it breaks, in words."""

from dataclasses import dataclass

from compliance.reasons import Reason


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # a path into the definition: "content", "buttons[5]", "cards[1].buttons[0].name"
    code: Reason
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class MessageInvalid(ValueError):
    """Raised by `parse_message` with every problem at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))

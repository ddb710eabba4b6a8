"""Tracking links: every link in a message becomes `{base}/r/{token}`; the click is recorded and answered
with a redirect to the landing URL, carrying UTM parameters and the campaign code, through the store's
login form when the page needs a login (seed 001: a login redirect would otherwise drop the parameters).

Links are rewritten *before* the compliance layer renders the message, so the byte count it checks (SMS or
LMS) is the count of what is sent.
"""

import re
from datetime import datetime
from typing import Annotated, Protocol, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from compliance.links import web_link_problem
from compliance.message import Button, Card, Image, LinkSet, Message
from nudge.sending.records import SendRecord
from nudge.stores import Store

L = TypeVar("L", LinkSet, Button)
URL = re.compile(r"https?://[^\s<>\"')\]]+")


def web_link(url: str) -> str:
    """A pydantic check: a web link by the compliance layer's one rule (compliance.links)."""
    problem = web_link_problem(url)
    if problem is not None:
        raise ValueError(problem)
    return url


WebLink = Annotated[str, Field(max_length=1000), AfterValidator(web_link)]
TOKEN = re.compile(r"^(?P<send>[0-9a-f]{24})(?P<link>[0-9a-z])$")
LINK_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class Tracking(BaseModel):
    """How a campaign's or an automation's links are tracked: where they land and what they carry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    landing_url: WebLink | None = None  # https:// (or http://) and a host: compliance.links
    utm_source: Annotated[str, Field(max_length=100)] = "nudge"
    utm_medium: Annotated[str, Field(max_length=100)] | None = None  # default: the channel
    utm_campaign: Annotated[str, Field(max_length=100)] | None = None  # default: the campaign id
    campaign_code: Annotated[str, Field(max_length=100)] | None = None
    login_required: bool = False  # the landing page needs a login (e.g. the cart): use the return-URL form


def token(send_id: str, index: int) -> str:
    return f"{send_id}{LINK_DIGITS[index]}"


def parse_token(value: str) -> tuple[str, int] | None:
    found = TOKEN.match(value)
    if not found:
        return None
    return found.group("send"), LINK_DIGITS.index(found.group("link"))


def destination(url: str, tracking: Tracking, source_id: str, channel: str, store: Store) -> str:
    """Where a click on `url` lands: UTM parameters and the campaign code added, via the login form if
    the campaign says its landing page needs a login."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(
        {
            "utm_source": tracking.utm_source,
            "utm_medium": tracking.utm_medium or channel,
            "utm_campaign": tracking.utm_campaign or source_id,
        }
    )
    if tracking.campaign_code:
        query["nudge_campaign"] = tracking.campaign_code
    landed = urlunsplit(parts._replace(query=urlencode(query)))
    login = store.login_return_url
    # The form is checked before a store is written (nudge.store_settings); one that got into the table
    # some other way is not used.
    if tracking.login_required and login and web_link_problem(login.replace("{url}", "")) is None:
        return login.replace("{url}", quote(landed, safe=""))
    return landed


def rewrite(
    message: Message,
    send_id: str,
    base_url: str,
    tracking: Tracking,
    source_id: str,
    store: Store,
) -> tuple[Message, tuple[str, ...]]:
    """The message with tracking links, and the destination of each link (indexed by the token's last
    character). AlimTalk is left alone: its text and button links are the approved template's."""
    if message.channel == "alimtalk" or not base_url:
        return message, ()
    destinations: list[str] = []
    seen: dict[str, str] = {}

    def tracked(url: str) -> str:
        if url in seen:
            return seen[url]
        if len(destinations) >= len(LINK_DIGITS):
            return url
        destinations.append(destination(url, tracking, source_id, message.channel, store))
        seen[url] = f"{base_url.rstrip('/')}/r/{token(send_id, len(destinations) - 1)}"
        return seen[url]

    content = URL.sub(lambda m: tracked(m.group(0)), message.content)
    fallback_text = (
        URL.sub(lambda m: tracked(m.group(0)), message.fallback_text) if message.fallback_text else None
    )

    # Web links are tracked wherever a tap leads (buttons, a card's buttons, an item, a coupon, an image, a
    # carousel's "more" link); app links open the app and are left as they are.
    def web(links: L) -> L:
        if not (links.link_mo or links.link_pc):
            return links
        return links.model_copy(
            update={
                "link_mo": tracked(links.link_mo) if links.link_mo else None,
                "link_pc": tracked(links.link_pc) if links.link_pc else None,
            }
        )

    def image(picture: Image | None) -> Image | None:
        if picture is None or not picture.link:
            return picture
        return picture.model_copy(update={"link": tracked(picture.link)})

    def card(item: Card) -> Card:
        coupon = web(item.coupon) if item.coupon is not None else None
        buttons = tuple(web(b) for b in item.buttons)
        return item.model_copy(update={"buttons": buttons, "coupon": coupon, "image": image(item.image)})

    buttons = tuple(web(b) for b in message.buttons)
    update = {
        "content": content,
        "fallback_text": fallback_text,
        "buttons": buttons,
        "image": image(message.image),
        "items": tuple(web(item) for item in message.items),
        "coupon": web(message.coupon) if message.coupon is not None else None,
        "cards": tuple(card(c) for c in message.cards),
        "intro": card(message.intro) if message.intro is not None else None,
        "tail": web(message.tail) if message.tail is not None else None,
    }
    if not destinations:
        return message, ()
    return message.model_copy(update=update), tuple(destinations)


class ClickLedger(Protocol):
    def record_click(self, send_id: str, at: datetime) -> SendRecord | None: ...


def follow(value: str, ledger: ClickLedger, now: datetime) -> str | None:
    """`GET /r/{token}`: record the click, return where it lands (None: not a link Nudge sent)."""
    parsed = parse_token(value)
    if parsed is None:
        return None
    send_id, index = parsed
    record = ledger.record_click(send_id, now)
    if record is None or index >= len(record.links):
        return None
    return record.links[index]

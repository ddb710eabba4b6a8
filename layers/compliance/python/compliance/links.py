"""The links a message carries: one rule for what a phone may be asked to open.

A **web link** (a button's `link_mo` / `link_pc`, a coupon's link, an image or video URL, a campaign's
landing page) is a full address starting with `https://` or `http://`, and nothing else. Kakao documents
both and no other: NHN rejects a send whose "linkMo/linkPc … must include http:// or https://" (error codes
-3006, -3310) and whose image URL or image link does not (-3326, -3327), and an AlimTalk template's button
`url_mobile` / `url_pc` "must include 'http://', 'https://'" (TOAST-DOCS/Alimtalk ko/error-code.md,
ko/alimtalk-console-guide.md). `http://` is therefore accepted where Kakao accepts it; everything else is
refused: `javascript:`, `vbscript:`, `data:`, `file:` …, a relative link (`/event`), a schemeless one
(`//host/x`, `host/x`), a link without a host, one naming credentials before its host
(`https://shop.example@evil.example`) or holding a backslash (parsers disagree about it).

An **app link** (an AL button's `scheme_android` / `scheme_ios`; NHN `schemeAndroid` / `schemeIos`,
Solapi `linkAndroid` / `linkIos`) opens the store's app: any scheme of its own (`myapp://event/1`) is
accepted, a web link is held to the web rule, and the schemes a browser or the phone runs as code, reads
from the device or uses to smuggle another link (`intent:` carries a fallback URL of any scheme) never.

Either kind is refused when it holds whitespace, a control character or an invisible formatting character
anywhere: " javascript:", "java\\tscript:" or a zero-width space before the scheme are how a dangerous
link hides from a check that reads only the start. Schemes are compared without regard to case
("JaVaScRiPt:"). Pure: `web_link_problem` and `app_link_problem` answer why a link is refused, or None.
"""

import re
import unicodedata
from urllib.parse import urlsplit

WEB_SCHEMES = ("https", "http")
# Never, in any link: script (javascript, vbscript, livescript), inline content (data, blob, filesystem,
# view-source, about), the device's own files (file, content, jar) and Android's intent: URLs.
FORBIDDEN_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "livescript",
        "data",
        "blob",
        "filesystem",
        "view-source",
        "about",
        "file",
        "content",
        "jar",
        "intent",
    }
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _hidden(url: str) -> str | None:
    """The first whitespace, control, invisible formatting or unassigned character, named; None if none."""
    for char in url:
        if char.isspace() or unicodedata.category(char)[0] in "CZ":
            return f"{unicodedata.name(char, 'a control character')} (U+{ord(char):04X})"
    return None


def _common_problem(url: str) -> str | None:
    if not url:
        return "is empty"
    hidden = _hidden(url)
    if hidden is not None:
        return f"holds {hidden}: a link cannot hold spaces, control or invisible characters"
    if "\\" in url:
        return "holds a backslash: write the link with '/' only"
    return None


def web_link_problem(url: str) -> str | None:
    """Why `url` may not be a web link a message carries, or None: `https://` (or `http://`) and a host."""
    problem = _common_problem(url)
    if problem is not None:
        return problem
    found = _SCHEME.match(url)
    if found is None:
        if url.startswith("#{"):
            return "must start with https:// itself: a variable cannot be the start of a link"
        return "must be a full address starting with https:// (or http://), not a relative or schemeless link"
    scheme = found.group(1).lower()
    if scheme not in WEB_SCHEMES:
        return f"{scheme}: links are not allowed; a web link starts with https:// (or http://)"
    if found.group(1) != scheme:
        return f"write the scheme in lower case: {scheme}://"
    rest = url[found.end() :]
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a bracket left open, a port that is no number: ValueError
    except ValueError as error:
        return f"is not a valid address: {error}"
    if not rest.startswith("//") or not host:
        return f"has no host: write {scheme}://host/path"
    if "@" in parts.netloc:
        return "names something before '@' in its host (credentials, or a host that is not the real one)"
    return None


def app_link_problem(url: str) -> str | None:
    """Why `url` may not be an app link (an AL button's scheme link), or None: the app's own scheme
    (`myapp://…`) or a web link; never a forbidden scheme."""
    problem = _common_problem(url)
    if problem is not None:
        return problem
    found = _SCHEME.match(url)
    if found is None:
        return "must start with the app's scheme, e.g. myapp://path"
    scheme = found.group(1).lower()
    if scheme in WEB_SCHEMES:
        return web_link_problem(url)
    if scheme in FORBIDDEN_SCHEMES:
        return f"{scheme}: links are never allowed"
    if len(url) == found.end():
        return f"has nothing after {scheme}:"
    return None

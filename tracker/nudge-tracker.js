/*
 * Nudge storefront tracker: visits, page views (path only) and dwell time, posted to
 * POST {NUDGE_API}/collect/{store_id}. About 1 KB minified, no dependencies, no cookies from third parties.
 *
 *   <script>
 *     window.nudgeConfig = { api: "https://xxxx.execute-api.ap-northeast-2.amazonaws.com",
 *                            store: "dogday-mall", key: "pk_live_...",
 *                            member: "<the store's member id, if logged in, else null>",
 *                            memberToken: "<the store's token for that member id, else null>",
 *                            product: "<on a product page: the product's number, e.g. 123, else omit>" };
 *   </script>
 *   <script src="/nudge-tracker.js" async></script>
 *
 * A member id counts only with the token the store's server made for it (docs/webhooks.md, "Who the
 * visitor is": HMAC-SHA256 with the store's tracker-identity-secret, which never reaches the page);
 * without one, or with an expired one, the visit is recorded as this browser's anonymous visitor.
 *
 * A product page declares its product with `product` above or a meta tag the page template writes,
 * <meta name="nudge-product" content="123"> (docs/webhooks.md, "Product pages"); the page view then carries
 * it as `product_id`. An id that is not 1-64 of A-Z a-z 0-9 _ . : - is left out, so the batch still counts.
 *
 * A visit starts when no page was seen for 30 minutes. The batch for a page is sent when the page is
 * hidden (sendBeacon, text/plain: no CORS preflight), so dwell time is known.
 */
(function () {
  var cfg = window.nudgeConfig;
  if (!cfg || !cfg.api || !cfg.store || !cfg.key) return;
  var VISIT_GAP_MS = 30 * 60 * 1000;
  var ls = window.localStorage;

  function id() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function read(name) { try { return ls.getItem("nudge." + name); } catch (e) { return null; } }
  function write(name, value) { try { ls.setItem("nudge." + name, value); } catch (e) { /* private mode */ } }

  var visitor = read("visitor");
  if (!visitor) { visitor = id(); write("visitor", visitor); }
  var now = Date.now();
  var last = parseInt(read("last") || "0", 10);
  var events = [];
  if (now - last > VISIT_GAP_MS) events.push({ id: id(), type: "visit", at: new Date(now).toISOString() });
  write("last", String(now));

  var shownAt = now, visibleMs = 0, sent = false;
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { visibleMs += Date.now() - shownAt; flush(); }
    else { shownAt = Date.now(); }
  });
  window.addEventListener("pagehide", function () { visibleMs += Date.now() - shownAt; flush(); });

  function product() {
    var meta = document.querySelector('meta[name="nudge-product"]');
    var value = String(cfg.product || (meta && meta.getAttribute("content")) || "").trim();
    return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : null;
  }

  function flush() {
    if (sent) return;
    sent = true;
    var view = { id: id(), type: "page_view", path: location.pathname, at: new Date(now).toISOString(),
                 dwell_seconds: Math.min(86400, Math.round(visibleMs / 1000)) };
    var shown = product();
    if (shown) view.product_id = shown;
    events.push(view);
    var body = JSON.stringify({ write_key: cfg.key, visitor_id: visitor, member_id: cfg.member || null,
                                member_token: (cfg.member && cfg.memberToken) || null, events: events });
    var url = cfg.api.replace(/\/$/, "") + "/collect/" + encodeURIComponent(cfg.store);
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: "text/plain" })))) {
      fetch(url, { method: "POST", body: body, headers: { "Content-Type": "text/plain" }, keepalive: true });
    }
  }
})();

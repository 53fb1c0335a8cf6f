/* predictions embed loader: <div class="predictions-embed" data-question="slug"></div>
   + <script async src=".../embed.js">. Opens the forecast in a frame of this service when the
   container nears the viewport; no cookies, nothing from third parties. */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  if (!script || !w.URL) return;
  var base = new URL(script.src).origin;
  var frames = [];

  // Messages from our frames only: their height, and where the browser refuses a frame its own
  // storage (Chromium blocking third-party cookies blocks it too) the embed token of its
  // question, kept here. That token opens only the reader's forecast on that one question.
  var KEY = "predictions-embed:" + base + ":";
  try { w.localStorage.removeItem("predictions-reader:" + base); } catch (x) {} // an old loader's full token
  w.addEventListener("message", function (e) {
    var m = e.data, f = null;
    for (var i = 0; i < frames.length; i++) if (frames[i].contentWindow === e.source) f = frames[i];
    if (e.origin !== base || !f || !m || typeof m.type !== "string") return;
    if (m.type === "predictions:height" && typeof m.height === "number") {
      f.style.height = Math.max(80, Math.min(m.height, 5000)) + "px";
      f.parentNode.style.minHeight = "";
    } else if (typeof m.question !== "string") {
      return;
    } else if (m.type === "predictions:token-get") {
      var t = null;
      try { t = w.localStorage.getItem(KEY + m.question); } catch (x) {}
      e.source.postMessage({ type: "predictions:token", question: m.question, token: t }, base);
    } else if (m.type === "predictions:token-set") {
      try {
        if (typeof m.token === "string") w.localStorage.setItem(KEY + m.question, m.token);
        else w.localStorage.removeItem(KEY + m.question);
      } catch (x) {}
    }
  });

  function pageUrl() {
    var link = d.querySelector('link[rel="canonical"]');
    var u = new URL(link && link.href ? link.href : w.location.href);
    u.search = u.hash = "";
    return u.href;
  }

  function start(box) {
    var slug = box.getAttribute("data-question");
    var css = w.getComputedStyle(box);
    var q = new URLSearchParams({ origin: w.location.origin, theme: box.getAttribute("data-theme") || "auto" });
    var accent = css.getPropertyValue("--predictions-accent").trim();
    var font = css.getPropertyValue("--predictions-font").trim();
    if (accent) q.set("accent", accent);
    if (font) q.set("font", font);
    if (!slug) q.set("url", pageUrl());
    var f = d.createElement("iframe");
    f.src = base + "/embed" + (slug ? "/q/" + encodeURIComponent(slug) : "") + "?" + q;
    f.title = "Reader forecast";
    f.style.cssText = "display:block;width:100%;border:0;height:" + box.style.minHeight;
    frames.push(f);
    box.replaceChildren(f);
  }

  var boxes = d.querySelectorAll(".predictions-embed");
  var seen = w.IntersectionObserver && new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        seen.unobserve(entry.target);
        start(entry.target);
      }
    });
  }, { rootMargin: "400px 0px" });
  for (var i = 0; i < boxes.length; i++) {
    var box = boxes[i];
    if (box.getAttribute("data-started")) continue;
    box.setAttribute("data-started", "1");
    // Reserve the frame's height now, so the article does not jump when it loads.
    box.style.minHeight = (parseInt(box.getAttribute("data-height"), 10) || 520) + "px";
    if (seen) seen.observe(box); else start(box);
  }
})(window, document);

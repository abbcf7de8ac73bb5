// The findings table of the amiaudit HTML report. Everything shown comes from
// the JSON in #amiaudit-data and is attacker-influenced (AMI names and
// descriptions, tags): it reaches the page through textContent and
// attributes only, never innerHTML. The table is rendered one page at a time,
// so that 50,000 findings cost 100 rows of DOM.
(function () {
  "use strict";
  var PAGE = 100;
  var SEVERITIES = ["critical", "high", "medium", "low", "info"];
  var data = JSON.parse(document.getElementById("amiaudit-data").textContent);
  var rules = data.rules || {};
  var all = data.findings || [];
  var hasBaseline = !!document.getElementById("f-change");

  var $ = function (id) { return document.getElementById(id); };
  var body = $("findings-body");
  var state = { sev: SEVERITIES.slice(), rule: "", account: "", region: "", waiver: "", change: "", q: "", page: 0, open: -1 };
  var shown = [];
  var haystacks = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function waived(f) { return !!(f.w && f.w.status === "active"); }
  function title(f) { return f.t || (rules[f.r] && rules[f.r].title) || ""; }
  function remediation(f) { return f.x || (rules[f.r] && rules[f.r].remediation) || ""; }
  function fmt(n) { return n.toLocaleString("en-US"); }

  // Filter options, each with its number of findings in this run.
  function fillSelect(id, key, label) {
    var counts = {};
    all.forEach(function (f) { if (f.c !== "resolved") counts[f[key]] = (counts[f[key]] || 0) + 1; });
    var sel = $(id);
    Object.keys(counts).sort().forEach(function (k) {
      var text = (k || "(none)") + " (" + fmt(counts[k]) + ")";
      if (label && label(k)) text = k + " \u2014 " + label(k) + " (" + fmt(counts[k]) + ")";
      var o = el("option", "", text);
      o.value = k;
      sel.appendChild(o);
    });
  }
  fillSelect("f-rule", "r", function (k) { return rules[k] && rules[k].title; });
  fillSelect("f-account", "ac");
  fillSelect("f-region", "rg");

  function haystack(i) {
    if (!haystacks) haystacks = new Array(all.length);
    if (haystacks[i] === undefined) {
      var f = all[i];
      haystacks[i] = [f.r, title(f), f.m, f.id, f.a, f.ac, f.rg, f.ty, f.s].join("\n").toLowerCase();
    }
    return haystacks[i];
  }

  function matches(f, i) {
    if (state.sev.indexOf(f.s) < 0) return false;
    if (state.rule && f.r !== state.rule) return false;
    if (state.account && f.ac !== state.account) return false;
    if (state.region && f.rg !== state.region) return false;
    if (state.waiver === "open" && waived(f)) return false;
    if (state.waiver === "waived" && !waived(f)) return false;
    if (state.change) { if (f.c !== state.change) return false; }
    else if (f.c === "resolved") return false;
    if (state.q && haystack(i).indexOf(state.q) < 0) return false;
    return true;
  }

  function apply() {
    shown = [];
    for (var i = 0; i < all.length; i++) if (matches(all[i], i)) shown.push(i);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    render();
    writeHash();
  }

  function render() {
    var count = $("shown-count");
    count.textContent = fmt(shown.length);
    count.setAttribute("data-count", String(shown.length));
    var from = state.page * PAGE, to = Math.min(shown.length, from + PAGE);
    $("page-info").textContent = shown.length > PAGE ? "Showing " + fmt(from + 1) + "\u2013" + fmt(to) + "." : "";
    $("page-prev").disabled = state.page === 0;
    $("page-next").disabled = to >= shown.length;
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var i = shown[k];
      frag.appendChild(row(all[i], i));
      if (state.open === i) frag.appendChild(detail(all[i]));
    }
    if (shown.length === 0) {
      var tr = el("tr"), td = el("td", "empty", all.length ? "No finding matches these filters." : "No findings.");
      td.colSpan = 4;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(frag);
  }

  function row(f, i) {
    var tr = el("tr", "row" + (waived(f) ? " is-waived" : "") + (state.open === i ? " open" : ""));
    tr.setAttribute("data-index", String(i));
    tr.setAttribute("data-severity", f.s);
    var sev = el("td");
    var toggle = el("button", "toggle", state.open === i ? "\u25be" : "\u25b8");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", state.open === i ? "true" : "false");
    toggle.setAttribute("aria-label", "Details");
    sev.appendChild(toggle);
    sev.appendChild(el("span", "badge sev-" + f.s, f.s));
    var rule = el("td");
    rule.appendChild(el("span", "rule-id", f.r));
    rule.appendChild(el("span", "rule-title", title(f)));
    var res = el("td");
    res.appendChild(el("span", "res-id", f.id || f.a));
    res.appendChild(el("span", "res-where", [f.ty, f.ac, f.rg].filter(Boolean).join(" \u00b7 ")));
    var msg = el("td", "msg");
    msg.appendChild(el("span", "", f.m));
    if (f.c === "new" || f.c === "resolved") msg.appendChild(el("span", "tag " + f.c, f.c));
    if (waived(f)) msg.appendChild(el("span", "tag waived", "waived"));
    else if (f.w) msg.appendChild(el("span", "tag expired", "waiver " + f.w.status));
    tr.appendChild(sev); tr.appendChild(rule); tr.appendChild(res); tr.appendChild(msg);
    return tr;
  }

  function field(dl, name, value) {
    if (value === undefined || value === null || value === "") return;
    dl.appendChild(el("dt", "", name));
    dl.appendChild(el("dd", "", value));
  }

  function detail(f) {
    var tr = el("tr", "detail"), td = el("td");
    td.colSpan = 4;
    var rule = rules[f.r] || {};
    td.appendChild(el("h3", "", "Resource"));
    var dl = el("dl");
    field(dl, "ARN", f.a);
    field(dl, "Type", f.ty);
    field(dl, "ID", f.id);
    field(dl, "Account", f.ac);
    field(dl, "Region", f.rg);
    if (f.l) { field(dl, "Plan file", f.l.file); field(dl, "Address", f.l.address); }
    td.appendChild(dl);
    if (rule.description) { td.appendChild(el("h3", "", "Rule " + f.r)); td.appendChild(el("p", "rule-description", rule.description)); }
    td.appendChild(el("h3", "", "Evidence"));
    td.appendChild(el("pre", "evidence", JSON.stringify(f.e || {}, null, 2)));
    td.appendChild(el("h3", "", "Remediation"));
    td.appendChild(el("p", "remediation", remediation(f)));
    if (rule.references && rule.references.length) {
      td.appendChild(el("h3", "", "References"));
      var ul = el("ul", "references");
      rule.references.forEach(function (ref) {
        var li = el("li");
        if (/^https:\/\//.test(ref)) {
          var a = el("a", "", ref);
          a.href = ref;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          li.appendChild(a);
        } else li.textContent = ref;
        ul.appendChild(li);
      });
      td.appendChild(ul);
    }
    if (f.w) {
      td.appendChild(el("h3", "", "Waiver (" + f.w.status + ")"));
      var wl = el("dl", "waiver");
      field(wl, "Reason", f.w.reason);
      field(wl, "Approved by", f.w.approved_by);
      field(wl, "Expires", f.w.expires);
      field(wl, "Rule", f.w.rule);
      field(wl, "Resource", f.w.resource);
      td.appendChild(wl);
    }
    tr.appendChild(td);
    return tr;
  }

  // The filters live in the URL fragment, so that a filtered view can be
  // bookmarked or sent; the fragment is read as data, never evaluated.
  function writeHash() {
    var parts = [];
    if (state.sev.length !== SEVERITIES.length) parts.push("sev=" + state.sev.join(","));
    ["rule", "account", "region", "waiver", "change", "q"].forEach(function (k) {
      if (state[k]) parts.push(k + "=" + encodeURIComponent(state[k]));
    });
    if (state.page) parts.push("page=" + (state.page + 1));
    var h = parts.length ? "#" + parts.join("&") : "";
    if (h !== location.hash && !(h === "" && location.hash === "")) {
      history.replaceState(null, "", h || location.pathname + location.search);
    }
  }

  function readHash() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return;
    h.split("&").forEach(function (kv) {
      var at = kv.indexOf("="); if (at < 0) return;
      var k = kv.slice(0, at), v;
      try { v = decodeURIComponent(kv.slice(at + 1)); } catch (e) { return; }
      if (k === "sev") state.sev = v.split(",").filter(function (s) { return SEVERITIES.indexOf(s) >= 0; });
      else if (k === "page") state.page = Math.max(0, (parseInt(v, 10) || 1) - 1);
      else if (k === "q") state.q = v.toLowerCase();
      else if (["rule", "account", "region", "waiver", "change"].indexOf(k) >= 0) state[k] = v;
    });
    syncControls();
  }

  function setSelect(id, v) {
    var sel = $(id); if (!sel) return "";
    sel.value = v;
    return sel.value === v ? v : "";
  }
  function syncControls() {
    document.querySelectorAll("input[name=sev]").forEach(function (c) { c.checked = state.sev.indexOf(c.value) >= 0; });
    state.rule = setSelect("f-rule", state.rule);
    state.account = setSelect("f-account", state.account);
    state.region = setSelect("f-region", state.region);
    state.waiver = setSelect("f-waiver", state.waiver);
    state.change = hasBaseline ? setSelect("f-change", state.change) : "";
    $("f-text").value = state.q;
  }

  function changed() { state.page = 0; state.open = -1; apply(); }

  document.querySelectorAll("input[name=sev]").forEach(function (c) {
    c.addEventListener("change", function () {
      state.sev = Array.prototype.filter.call(document.querySelectorAll("input[name=sev]"), function (x) { return x.checked; })
        .map(function (x) { return x.value; });
      changed();
    });
  });
  [["f-rule", "rule"], ["f-account", "account"], ["f-region", "region"], ["f-waiver", "waiver"], ["f-change", "change"]].forEach(function (p) {
    var sel = $(p[0]); if (!sel) return;
    sel.addEventListener("change", function () { state[p[1]] = sel.value; changed(); });
  });
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  var timer = null;
  $("f-text").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = $("f-text").value.trim().toLowerCase(); changed(); }, 150);
  });
  $("f-reset").addEventListener("click", function () {
    state = { sev: SEVERITIES.slice(), rule: "", account: "", region: "", waiver: "", change: "", q: "", page: 0, open: -1 };
    syncControls(); apply();
  });
  $("page-prev").addEventListener("click", function () { if (state.page > 0) { state.page--; state.open = -1; apply(); } });
  $("page-next").addEventListener("click", function () { state.page++; state.open = -1; apply(); });

  body.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr.row");
    if (!tr || (ev.target.closest("a"))) return;
    var i = parseInt(tr.getAttribute("data-index"), 10);
    state.open = state.open === i ? -1 : i;
    render();
    // The rows were redrawn: keep the keyboard on the row just toggled.
    var again = body.querySelector('tr.row[data-index="' + i + '"] .toggle');
    if (again && ev.target.closest(".toggle")) again.focus();
  });

  // Summary cards and chart bars set one filter.
  document.querySelectorAll(".card[data-severity]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.sev = [b.getAttribute("data-severity")]; state.waiver = "open"; syncControls(); changed();
    });
  });
  document.querySelectorAll(".card[data-waiver]").forEach(function (b) {
    b.addEventListener("click", function () { state.sev = SEVERITIES.slice(); state.waiver = "waived"; syncControls(); changed(); });
  });
  document.querySelectorAll("button[data-change]").forEach(function (b) {
    b.addEventListener("click", function () { state.change = b.getAttribute("data-change"); syncControls(); changed(); });
  });
  document.querySelectorAll("svg .bar[data-key]").forEach(function (g) {
    var pick = function () {
      state[g.getAttribute("data-key")] = g.getAttribute("data-value"); syncControls(); changed();
      $("findings").scrollIntoView({ behavior: "smooth", block: "start" });
    };
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
  });

  readHash();
  apply();
  document.documentElement.setAttribute("data-ready", "true");
})();

/* Enhancements only: every form works without this file (web.md).
   - the live login-name check (GET /api/v1/login-names/{name});
   - the live document check on leaving the document number
     (POST /api/v1/documents/check; registration still checks on submit);
   - the strength meter: the server's own verdict (POST /api/v1/password-strength,
     accounts.passwords.rate_password), so the page and the rule never disagree;
   - the SMS countdown after a code was sent (获取验证码 → 60 s);
   - the captcha refresh without reloading (换一张, POST /api/v1/captchas; a new
     question in words for the text form, ?form=text);
   - only the document types of the chosen identity type;
   - focus on the error summary. */
(function () {
  "use strict";
  var html = document.documentElement;
  // The words come from the page (data-say-* attributes, from the catalogue).
  function say(element, key) {
    return element.getAttribute("data-say-" + key) || "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": html.lang },
      body: JSON.stringify(body),
      credentials: "same-origin"
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function strengthMeter() {
    var input = document.querySelector("[data-strength-input]");
    var meter = document.querySelector("[data-strength-meter]");
    if (!input || !meter) { return; }
    var text = meter.querySelector("[data-strength-text]");
    var login = document.querySelector("[data-login-name-check]");
    var asked = 0;
    var rate = debounce(function () {
      var password = input.value;
      var mine = ++asked;
      if (!password) { meter.hidden = true; meter.removeAttribute("data-level"); return; }
      post("/api/v1/password-strength", { password: password, login_name: login ? login.value || null : null })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (rating) {
          if (!rating || mine !== asked) { return; }
          meter.hidden = false;
          meter.setAttribute("data-level", rating.strength);
          text.textContent = say(meter, rating.strength);
        })
        .catch(function () {});
    }, 250);
    input.addEventListener("input", rate);
  }

  function loginNameCheck() {
    var input = document.querySelector("[data-login-name-check]");
    var status = document.querySelector("[data-login-name-status]");
    if (!input || !status) { return; }
    input.addEventListener("change", function () {
      var name = input.value.trim();
      if (!name) { status.textContent = ""; return; }
      if (!/^[A-Za-z0-9_]{4,32}$/.test(name)) { status.textContent = say(status, "invalid"); return; }
      fetch("/api/v1/login-names/" + encodeURIComponent(name), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer) { status.textContent = say(status, "failed"); return; }
          status.textContent = say(status, answer.available ? "free" : "taken");
        })
        .catch(function () { status.textContent = say(status, "failed"); });
    });
  }

  function smsCountdown() {
    var button = document.querySelector("[data-sms-send][data-cooldown]");
    if (!button) { return; }
    var label = button.textContent;
    var left = parseInt(button.getAttribute("data-cooldown"), 10) || 60;
    button.disabled = true;
    function tick() {
      if (left <= 0) { button.disabled = false; button.textContent = label; return; }
      button.textContent = say(button, "wait").replace("%s", String(left));
      left -= 1;
      setTimeout(tick, 1000);
    }
    tick();
  }

  // A new captcha of the box's form (picture or question) in place; the
  // answer field emptied. Calls failed() when none could be had.
  function newCaptcha(box, failed) {
    var image = box.querySelector("[data-captcha-image]");
    var question = box.querySelector("[data-captcha-question]");
    var id = box.querySelector("[data-captcha-id]");
    var text = box.getAttribute("data-captcha-form") === "text";
    return post("/api/v1/captchas" + (text ? "?form=text" : ""), {})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (captcha) {
        if (text) { question.textContent = captcha.question; } else { image.src = captcha.image; }
        id.value = captcha.captcha_id;
        var answer = box.querySelector("input[name=captcha_answer]");
        if (answer) { answer.value = ""; }
        return answer;
      })
      .catch(failed);
  }

  function captchaRefresh() {
    var buttons = document.querySelectorAll("[data-captcha-refresh]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        newCaptcha(button.closest(".captcha"), function () { button.form.requestSubmit(button); })
          .then(function (answer) { if (answer) { answer.focus(); } });
      });
    });
  }

  // The live document check (POST /api/v1/documents/check) on leaving the
  // document number: without a captcha it answers whether the number is well
  // formed (nothing stored is revealed); with the captcha answered beside it,
  // whether the number is registered, and the spent captcha is replaced.
  function documentVerdict(status, answer) {
    if (answer.status === 200) { return say(status, answer.body.registered ? "registered" : "free"); }
    if (answer.status === 428) { return say(status, "well-formed"); }
    var errors = answer.body.errors || [];
    return (errors[0] && errors[0].message) || answer.body.detail || say(status, "failed");
  }

  function documentCheck() {
    var input = document.querySelector("[data-document-check]");
    var status = document.querySelector("[data-document-status]");
    if (!input || !status) { return; }
    var block = input.closest("[data-identity]");
    input.addEventListener("change", function () {
      var number = input.value.trim();
      if (!number) { status.textContent = ""; return; }
      var query = {
        identity_region: (block.querySelector("input[data-region]:checked") || {}).value,
        doc_type: block.querySelector("[data-doc-type]").value,
        doc_number: number
      };
      var box = input.form.querySelector(".captcha");
      var answer = box && box.querySelector("input[name=captcha_answer]");
      if (answer && answer.value.trim()) {
        query.captcha_id = box.querySelector("[data-captcha-id]").value;
        query.captcha_answer = answer.value.trim();
      }
      post("/api/v1/documents/check", query)
        .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
        .then(function (reply) {
          status.textContent = documentVerdict(status, reply);
          var spent = reply.status === 200 || /^captcha/.test(reply.body.code || "");
          if (query.captcha_id && spent) { newCaptcha(box, function () {}); }
        })
        .catch(function () { status.textContent = say(status, "failed"); });
    });
  }

  function documentTypes() {
    var blocks = document.querySelectorAll("[data-identity]");
    Array.prototype.forEach.call(blocks, function (block) {
      var select = block.querySelector("[data-doc-type]");
      var radios = block.querySelectorAll("input[data-region]");
      if (!select || !radios.length) { return; }
      function show() {
        var region = (block.querySelector("input[data-region]:checked") || {}).value;
        var groups = select.querySelectorAll("optgroup");
        Array.prototype.forEach.call(groups, function (group) {
          var mine = group.getAttribute("data-region") === region;
          group.disabled = !mine;
          group.hidden = !mine;
        });
        var current = select.options[select.selectedIndex];
        if (!current || current.parentNode.disabled) {
          var first = select.querySelector("optgroup:not([disabled]) option");
          if (first) { first.selected = true; }
        }
      }
      Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", show); });
      show();
    });
  }

  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    strengthMeter();
    loginNameCheck();
    smsCountdown();
    captchaRefresh();
    documentCheck();
    documentTypes();
    focusSummary();
  });
})();

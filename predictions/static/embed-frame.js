// The embed frame: forecasts through the JSON API with a bearer token, never a cookie, so it
// works where third-party cookies are blocked. The token is an embed token: it opens only this
// reader's forecast on this question (the API refuses it anywhere else), so it may be kept
// where the host page's scripts can read it when the browser allows the frame no storage.
(function () {
  "use strict";
  var root = document.documentElement;
  var main = document.getElementById("embed");

  // The host's accent colour and font, already checked by the server, as custom properties
  // (CSSOM: the frame's CSP allows no inline style).
  if (root.dataset.accent && CSS.supports("color", root.dataset.accent)) {
    root.style.setProperty("--host-accent", root.dataset.accent);
  }
  if (root.dataset.font) {
    root.style.setProperty("--host-font", root.dataset.font);
  }

  var hostOrigin = main ? main.dataset.hostOrigin : "";
  // The frame's height follows its content; only the host page the server checked hears it.
  if (hostOrigin && window.parent !== window && "ResizeObserver" in window) {
    var last = 0;
    new ResizeObserver(function () {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ type: "predictions:height", height: height }, hostOrigin);
      }
    }).observe(document.documentElement);
  }

  var form = document.getElementById("embed-form");
  if (!main || !form) {
    return;
  }

  // The token lives in the frame's own storage (partitioned under the host site by Firefox,
  // Safari and Chromium when it allows it). Where the browser refuses the frame any storage
  // (Chromium blocking third-party cookies), the loader keeps it in the host page's storage
  // for us, through checked messages; failing both, it lasts as long as the frame.
  var question = main.dataset.question;
  var TOKEN_KEY = "predictions.embed_token:" + question;
  var own = (function () {
    try {
      window.localStorage.getItem(TOKEN_KEY);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();
  var inFrame = hostOrigin && window.parent !== window;
  var store = {
    token: null,
    load: function () {
      if (own) {
        store.token = own.getItem(TOKEN_KEY);
        return Promise.resolve(store.token);
      }
      if (!inFrame) {
        return Promise.resolve(null);
      }
      return new Promise(function (resolve) {
        var timer = setTimeout(function () { resolve(null); }, 2000);
        window.addEventListener("message", function heard(e) {
          var m = e.data;
          if (e.source !== window.parent || e.origin !== hostOrigin || !m ||
              m.type !== "predictions:token" || m.question !== question) {
            return;
          }
          window.removeEventListener("message", heard);
          clearTimeout(timer);
          store.token = typeof m.token === "string" ? m.token : null;
          resolve(store.token);
        });
        window.parent.postMessage({ type: "predictions:token-get", question: question }, hostOrigin);
      });
    },
    set: function (token) {
      store.token = token;
      if (own) {
        if (token) { own.setItem(TOKEN_KEY, token); } else { own.removeItem(TOKEN_KEY); }
      } else if (inFrame) {
        window.parent.postMessage({ type: "predictions:token-set", question: question, token: token }, hostOrigin);
      }
    },
    drop: function () {
      store.set(null);
    },
  };

  var api = main.dataset.api;
  var button = form.querySelector("button[type=submit]");
  var formError = document.getElementById("form-error");

  function call(method, path, body) {
    var headers = { Accept: "application/json" };
    var token = store.token;
    if (token) {
      headers.Authorization = "Bearer " + token;
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(api + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      if (response.status === 401 && token) {
        store.drop(); // an erased reader or a revoked token: start afresh
        return call(method, path, body);
      }
      return response.json().then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element) {
      element.textContent = text || "";
      element.hidden = !text;
    }
  }

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".error"), function (element) {
      element.textContent = "";
      element.hidden = true;
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (element) {
      element.removeAttribute("aria-invalid");
    });
    setText("form-error", "");
  }

  function showErrors(errors) {
    var probabilities = errors.probabilities || {};
    Object.keys(probabilities).forEach(function (key) {
      var messages = Array.isArray(probabilities[key]) ? probabilities[key] : [String(probabilities[key])];
      if (document.getElementById("p-" + key)) {
        setText("p-" + key + "-error", messages.join(" "));
        document.getElementById("p-" + key).setAttribute("aria-invalid", "true");
      } else {
        setText("form-error", messages.join(" "));
      }
    });
    ["comment", "display_name"].forEach(function (name) {
      if (errors[name]) {
        setText(name + "-error", [].concat(errors[name]).join(" "));
        document.getElementById(name).setAttribute("aria-invalid", "true");
      }
    });
  }

  function showResult(mine, crowd) {
    var anyHidden = false;
    Array.prototype.forEach.call(document.querySelectorAll("#result-table tbody tr"), function (row) {
      var key = row.dataset.key;
      row.hidden = !(key in mine);
      if (row.hidden) {
        return;
      }
      row.querySelector(".you").textContent = mine[key] + " %";
      var median = crowd[key];
      anyHidden = anyHidden || median === undefined || median === null;
      row.querySelector(".crowd").textContent = median === undefined || median === null ? "not yet" : median + " %";
    });
    document.getElementById("crowd-note").hidden = !anyHidden;
    document.getElementById("embed-result").hidden = Object.keys(mine).length === 0;
    Object.keys(mine).forEach(function (key) {
      var input = document.getElementById("p-" + key);
      if (input) {
        input.value = mine[key];
      }
    });
    button.textContent = "Update my forecast";
  }

  function showCount(count) {
    if (typeof count === "number") {
      document.getElementById("count").textContent =
        count + (count === 1 ? " reader has forecast" : " readers have forecast");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var probabilities = {};
    var bad = false;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=number]"), function (input) {
      var value = input.value.trim();
      if (value === "") {
        return;
      }
      var number = Number(value);
      if (!/^\d+$/.test(value) || number < 1 || number > 99) {
        setText(input.id + "-error", "Enter a whole number of percent from 1 to 99.");
        input.setAttribute("aria-invalid", "true");
        bad = true;
      } else {
        probabilities[input.name] = number;
      }
    });
    if (bad) {
      return;
    }
    if (Object.keys(probabilities).length === 0) {
      setText("form-error", "Give a probability for at least one scenario.");
      return;
    }
    var body = { probabilities: probabilities };
    var comment = form.elements.comment.value.trim();
    var name = form.elements.display_name.value.trim();
    if (comment) {
      body.comment = comment;
    }
    if (name) {
      body.display_name = name;
    }
    button.disabled = true;
    // ?token=embed: the answer carries this question's embed token, never the reader's own.
    call("POST", "/forecasts?token=embed", body)
      .then(function (answer) {
        if (answer.status === 201) {
          if (answer.data.embed_token && answer.data.embed_token !== store.token) {
            store.set(answer.data.embed_token);
          }
          var mine = {};
          var crowd = {};
          Object.keys(answer.data.comparison).forEach(function (key) {
            mine[key] = answer.data.comparison[key].you;
            crowd[key] = answer.data.comparison[key].crowd_median;
          });
          form.elements.comment.value = "";
          var status = answer.data.comment && answer.data.comment.status;
          setText(
            "comment-status",
            status === "approved" ? "Your comment is published." :
              status ? "Your comment will appear once a moderator has approved it." : ""
          );
          return refresh(mine, crowd);
        }
        if (answer.status === 422 && answer.data.errors) {
          showErrors(answer.data.errors);
        } else {
          setText("form-error", (answer.data && answer.data.message) || "Your forecast could not be saved.");
        }
      })
      .catch(function () {
        setText("form-error", "The forecast service did not answer. Please try again.");
      })
      .then(function () {
        button.disabled = false;
      });
  });

  // The crowd's numbers come from the server, which shows them only to a reader who has
  // forecast on that scenario (and only once enough have): anti-anchoring as on the page.
  function refresh(mine, crowd) {
    return call("GET", "/aggregate").then(function (answer) {
      if (answer.status !== 200) {
        return showResult(mine, crowd);
      }
      showCount(answer.data.forecaster_count);
      (answer.data.scenarios || []).forEach(function (scenario) {
        if (scenario.median !== undefined && scenario.median !== null && scenario.key in mine) {
          crowd[scenario.key] = scenario.median;
        }
      });
      showResult(mine, crowd);
    });
  }

  // A returning reader sees their numbers (theirs only: the inputs are empty for a new one).
  store.load().then(function (token) {
    if (!token) {
      return;
    }
    return call("GET", "/forecasts/mine").then(function (answer) {
      var active = (answer.status === 200 && answer.data.active) || {};
      var mine = {};
      Object.keys(active).forEach(function (key) {
        mine[key] = active[key].probability;
      });
      if (Object.keys(mine).length) {
        return refresh(mine, {});
      }
    });
  }).catch(function () {});
})();

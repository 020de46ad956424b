// Passkeys (WebAuthn): adding one on "Your login" ([data-passkey-register]) and using one at
// the login's code step ([data-passkey-login]). Both start hidden; without JavaScript or a
// browser that has WebAuthn they stay hidden, and the code form works as before.
//
// The server makes every challenge and checks every answer (accounts/passkeys.py); this only
// carries them between it and navigator.credentials, as JSON with the page's CSRF token. The
// words shown to the person come from the page (data-msg-*, translated there) or from the
// server's answer ({"error": ...}).
(function () {
  "use strict";

  function bytesFromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function base64urlFromBytes(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function supported() {
    return Boolean(
      window.PublicKeyCredential &&
        navigator.credentials &&
        typeof navigator.credentials.create === "function" &&
        typeof navigator.credentials.get === "function" &&
        window.fetch
    );
  }

  // A refusal whose words are already the person's (from the page or the server).
  function Shown(message) {
    this.message = message;
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var descriptor = { type: item.type, id: bytesFromBase64url(item.id) };
      if (item.transports && item.transports.length) {
        descriptor.transports = item.transports;
      }
      return descriptor;
    });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: base64urlFromBytes(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: { clientDataJSON: base64urlFromBytes(response.clientDataJSON) },
    };
    if (credential.authenticatorAttachment) {
      json.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      json.response.attestationObject = base64urlFromBytes(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    }
    if (response.authenticatorData) {
      json.response.authenticatorData = base64urlFromBytes(response.authenticatorData);
      json.response.signature = base64urlFromBytes(response.signature);
      if (response.userHandle) {
        json.response.userHandle = base64urlFromBytes(response.userHandle);
      }
    }
    return json;
  }

  // POST JSON; the answer's data, or a Shown refusal. An answer that names a page to go to
  // (done, or the session ended) goes there and never resolves.
  function post(area, url, body) {
    var token = area.querySelector("input[name=csrfmiddlewaretoken]");
    return window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": token ? token.value : "",
        },
        body: JSON.stringify(body || {}),
      })
      .catch(function () {
        throw new Shown(area.dataset.msgFailed);
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            throw new Shown(area.dataset.msgFailed);
          })
          .then(function (data) {
            if (data && data.redirect) {
              window.location.assign(data.redirect);
              return new Promise(function () {});
            }
            if (!response.ok || !data) {
              throw new Shown((data && data.error) || area.dataset.msgFailed);
            }
            return data;
          });
      });
  }

  function ask(area, call) {
    // What the browser says when the person cancels, the key times out or refuses: the
    // page's own words, not the browser's.
    return call().catch(function (error) {
      // InvalidStateError at creation: the key already holds a passkey of this user here.
      if (error && error.name === "InvalidStateError" && area.dataset.msgExists) {
        throw new Shown(area.dataset.msgExists);
      }
      throw new Shown(area.dataset.msgCancelled);
    });
  }

  function errorShow(area, message) {
    var error = area.querySelector("[data-passkey-error]");
    var group = area.querySelector("[data-passkey-group]");
    if (error) {
      error.textContent = message;
      error.hidden = !message;
    }
    if (group) {
      group.classList.toggle("form-error", Boolean(message));
    }
  }

  function run(area, button, steps) {
    button.disabled = true;
    errorShow(area, "");
    steps()
      .catch(function (refusal) {
        errorShow(area, refusal instanceof Shown ? refusal.message : area.dataset.msgFailed);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function registerSetUp(form) {
    var button = form.querySelector("button[type=submit]");
    var name = form.querySelector("input[name=name]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!name.value.trim()) {
        errorShow(form, form.dataset.msgName);
        name.focus();
        return;
      }
      run(form, button, function () {
        return post(form, form.dataset.optionsUrl, {})
          .then(function (options) {
            var publicKey = {
              rp: options.rp,
              user: {
                id: bytesFromBase64url(options.user.id),
                name: options.user.name,
                displayName: options.user.displayName,
              },
              challenge: bytesFromBase64url(options.challenge),
              pubKeyCredParams: options.pubKeyCredParams,
              timeout: options.timeout,
              excludeCredentials: descriptors(options.excludeCredentials),
              authenticatorSelection: options.authenticatorSelection,
              attestation: options.attestation,
            };
            return ask(form, function () {
              return navigator.credentials.create({ publicKey: publicKey });
            });
          })
          .then(function (credential) {
            return post(form, form.dataset.url, {
              name: name.value.trim(),
              credential: credentialJSON(credential),
            });
          });
      });
    });
  }

  function loginSetUp(area) {
    var button = area.querySelector("button");
    button.addEventListener("click", function () {
      run(area, button, function () {
        var next = area.dataset.next || "";
        return post(area, area.dataset.optionsUrl + "?next=" + encodeURIComponent(next), {})
          .then(function (options) {
            var publicKey = {
              challenge: bytesFromBase64url(options.challenge),
              timeout: options.timeout,
              rpId: options.rpId,
              allowCredentials: descriptors(options.allowCredentials),
              userVerification: options.userVerification,
            };
            return ask(area, function () {
              return navigator.credentials.get({ publicKey: publicKey });
            });
          })
          .then(function (credential) {
            return post(area, area.dataset.url, {
              next: next,
              credential: credentialJSON(credential),
            });
          });
      });
    });
  }

  function start() {
    if (!supported()) {
      return;
    }
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
      note.hidden = true;
    });
    document.querySelectorAll("[data-passkey-register]").forEach(function (form) {
      registerSetUp(form);
      form.hidden = false;
    });
    document.querySelectorAll("[data-passkey-login]").forEach(function (area) {
      loginSetUp(area);
      area.hidden = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/*
 * Passkeys in the browser, through @simplewebauthn/browser (served as /vendor/simplewebauthn-browser.js).
 * Every button with data-passkey="register|sign-in" and data-passkey-url runs one ceremony: it asks
 * the server for options (POST <url>/options), lets the browser and authenticator answer, and sends
 * the answer (POST <url>); the server replies with where to go, or with one sentence to show. On
 * the login page, an email field with autocomplete "… webauthn" also offers passkeys as it is
 * filled in (a conditional request). Without WebAuthn the buttons stay hidden.
 */
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;

  function csrfToken() {
    var field = document.querySelector('input[name="_csrf"]');
    return field ? field.value : '';
  }

  function status(message) {
    var box = document.querySelector('[data-passkey-status]');
    if (!box) return;
    box.textContent = message;
    box.className = 'flash flash-error';
    box.hidden = false;
  }

  function post(url, body) {
    body._csrf = csrfToken();
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (data) {
          return data;
        },
        function () {
          return { error: 'Something went wrong (' + response.status + '). Please try again.' };
        },
      );
    });
  }

  function follow(data) {
    if (data.redirect) window.location.assign(data.redirect);
    else status(data.error || 'Something went wrong. Please try again.');
  }

  function run(kind, url, autofill) {
    return post(url + '/options', {}).then(function (options) {
      if (options.error) return autofill ? undefined : follow(options);
      var answer =
        kind === 'register'
          ? webauthn.startRegistration({ optionsJSON: options })
          : webauthn.startAuthentication({ optionsJSON: options, useBrowserAutofill: Boolean(autofill) });
      return answer.then(
        function (response) {
          return post(url, { response: response }).then(follow);
        },
        function (error) {
          // The autofill's request was not asked for by a click (and a button cancels it when it
          // starts its own): whatever becomes of it, nothing to say.
          if (autofill) return;
          status('The passkey was not used' + (error && error.message ? ': ' + error.message : '.'));
        },
      );
    });
  }

  document.querySelectorAll('[data-passkey]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      run(button.getAttribute('data-passkey'), button.getAttribute('data-passkey-url'), false);
    });
  });

  if (document.querySelector('input[autocomplete~="webauthn"]')) {
    webauthn.browserSupportsWebAuthnAutofill().then(function (supported) {
      if (supported) run('sign-in', '/login/passkey', true);
    });
  }
})();

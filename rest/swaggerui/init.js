// init.js starts the API reference page of objectos ({base}/docs). It is a
// file of its own, not an inline script, so the page's Content-Security-Policy
// can allow scripts from 'self' only.
//
// It loads the deployment's OpenAPI document from the sibling URL
// openapi.json with the browser's session (the same-origin cookie). When that
// answers 401 it shows the page's key form, and retries with the pasted key in
// the x-api-key header. Then it renders the document with Swagger UI, and
// authorizes the key for "Try it out" when the document declares an apiKey
// scheme for that header. With a key, requests carry no cookie: the session
// was refused, and a stale session cookie would be judged before the key. The
// key lives in this page only: it is neither stored nor sent anywhere but to
// this API.
"use strict";

(() => {
  const keyHeader = "x-api-key";
  const status = document.getElementById("docs-status");
  const form = document.getElementById("docs-key");
  const input = document.getElementById("docs-key-input");
  const problem = document.getElementById("docs-key-error");

  const say = (text) => {
    status.textContent = text;
    status.hidden = !text;
  };

  // message is the client message of an error envelope (flat or wrapped),
  // or the status line.
  const message = async (res) => {
    try {
      const body = await res.json();
      const err = body && (body.error && body.error.message ? body.error.message : body.error);
      if (typeof err === "string" && err) {
        return err;
      }
    } catch (e) {
      // not JSON: fall back to the status
    }
    return `${res.status} ${res.statusText}`.trim();
  };

  // credentials is the fetch mode of the page's requests: the session
  // cookie to this origin only, or no cookie beside a key.
  const credentials = (key) => (key ? "omit" : "same-origin");

  // load fetches the document; it returns it, or null after a 401.
  const load = async (key) => {
    const headers = { Accept: "application/json" };
    if (key) {
      headers[keyHeader] = key;
    }
    const res = await fetch("openapi.json", { credentials: credentials(key), headers });
    if (res.status === 401) {
      return null;
    }
    if (!res.ok) {
      throw new Error(`The API document could not be loaded: ${await message(res)}`);
    }
    return res.json();
  };

  // keyScheme names the document's apiKey scheme sent in the x-api-key
  // header, or returns "".
  const keyScheme = (doc) => {
    const schemes = (doc.components && doc.components.securitySchemes) || {};
    for (const [name, s] of Object.entries(schemes)) {
      if (s && s.type === "apiKey" && s.in === "header" && String(s.name).toLowerCase() === keyHeader) {
        return name;
      }
    }
    return "";
  };

  const render = (doc, key) => {
    say("");
    form.hidden = true;
    const scheme = key ? keyScheme(doc) : "";
    const ui = SwaggerUIBundle({
      spec: doc,
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: true,
      // the public validator would be an image from another origin
      validatorUrl: null,
      // "Try it out" sends the session cookie to this origin only (fetch's
      // default, stated here so it stays so), or none beside a key
      requestInterceptor: (req) => {
        req.credentials = credentials(key);
        return req;
      },
      onComplete: () => {
        if (scheme) {
          ui.preauthorizeApiKey(scheme, key);
        }
      },
    });
  };

  const start = async (key) => {
    try {
      const doc = await load(key);
      if (doc) {
        render(doc, key);
        return;
      }
      say("");
      form.hidden = false;
      problem.textContent = key ? "The API did not accept this key." : "";
      problem.hidden = !key;
      input.focus();
    } catch (e) {
      say(e instanceof Error ? e.message : String(e));
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (key) {
      say("Loading the API document…");
      start(key);
    }
  });

  start("");
})();

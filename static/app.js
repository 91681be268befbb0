// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// Copy a secret from a readonly field to the clipboard.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    field.select();
    document.execCommand("copy");
  }
  button.textContent = button.dataset.copied || button.textContent;
});

// Passkeys (WebAuthn) need the browser: a button with data-passkey carries the server's options
// (JSON, bytes as base64url) and where to post the authenticator's answer. The answer goes back
// as JSON with the page's CSRF token; the server says where to go next.
const base64url = {
  decode(text) {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  },
  encode(buffer) {
    let text = "";
    for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function withBytes(list) {
  return (list || []).map((c) => ({ ...c, id: base64url.decode(c.id) }));
}

async function passkeyCeremony(button) {
  const options = JSON.parse(button.dataset.passkeyOptions).publicKey;
  options.challenge = base64url.decode(options.challenge);
  let body;
  if (button.dataset.passkey === "register") {
    options.user.id = base64url.decode(options.user.id);
    options.excludeCredentials = withBytes(options.excludeCredentials);
    const credential = await navigator.credentials.create({ publicKey: options });
    body = {
      id: credential.id,
      rawId: base64url.encode(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response: {
        attestationObject: base64url.encode(credential.response.attestationObject),
        clientDataJSON: base64url.encode(credential.response.clientDataJSON),
      },
    };
  } else {
    options.allowCredentials = withBytes(options.allowCredentials);
    const credential = await navigator.credentials.get({ publicKey: options });
    const response = credential.response;
    body = {
      id: credential.id,
      rawId: base64url.encode(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response: {
        authenticatorData: base64url.encode(response.authenticatorData),
        clientDataJSON: base64url.encode(response.clientDataJSON),
        signature: base64url.encode(response.signature),
        userHandle: response.userHandle ? base64url.encode(response.userHandle) : null,
      },
    };
  }
  const answer = await fetch(button.dataset.passkeyFinish, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": button.dataset.csrf },
    body: JSON.stringify(body),
  });
  const outcome = await answer.json();
  if (!answer.ok) throw new Error(outcome.detail || outcome.title);
  window.location.assign(outcome.next);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-passkey]");
  if (!button) return;
  event.preventDefault();
  const status = document.getElementById(button.dataset.passkeyStatus);
  if (!window.PublicKeyCredential) {
    if (status) status.textContent = button.dataset.unsupported;
    return;
  }
  button.disabled = true;
  try {
    await passkeyCeremony(button);
  } catch (error) {
    if (status) status.textContent = error && error.message && error.name === "Error" ? error.message : button.dataset.failed;
    button.disabled = false;
  }
});

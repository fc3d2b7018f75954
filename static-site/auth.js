// Who is signed in. On Azure Static Web Apps the site's /auth.json is rewritten to auth.swa.json (sign-in
// on, which providers) and /.auth/me names the user; every /api/* call needs a signed-in user. Locally
// (devhost) /auth.json says there is no sign-in: the app uses its fixed local user and /.auth/me,
// which does not exist there, is never asked for.

import { el } from "./dom.js";

const LOCAL = { mode: "local", user: null, providers: [] };

async function readJson(url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function providersOf(config) {
  const list = Array.isArray(config.providers) ? config.providers : [];
  return list.filter((p) => p && /^[a-z]+$/.test(p.id || "") && typeof p.label === "string");
}

/** {mode: "local"} or {mode: "swa", user: {name, provider} | null, providers: [{id, label}]}. */
export async function loadSession() {
  const config = await readJson("auth.json");
  if (!config || config.mode !== "swa") return LOCAL;
  const providers = providersOf(config);
  const me = await readJson("/.auth/me");
  const principal = me && me.clientPrincipal && typeof me.clientPrincipal === "object" ? me.clientPrincipal : null;
  const user = principal && principal.userId
    ? { name: String(principal.userDetails || "로그인한 사용자"), provider: String(principal.identityProvider || "") }
    : null;
  return { mode: "swa", user, providers };
}

/** Where to go back after signing in or out: this page, without anything a link could inject. */
function here() {
  return encodeURIComponent(window.location.pathname || "/");
}

export function loginUrl(provider) {
  return `/.auth/login/${encodeURIComponent(provider)}?post_login_redirect_uri=${here()}`;
}

export function logoutUrl() {
  return `/.auth/logout?post_logout_redirect_uri=${here()}`;
}

function loginLinks(providers) {
  return providers.map((p) => el("a", { class: "button button-primary", text: p.label, attrs: { href: loginUrl(p.id) } }));
}

/** The account corner of the top bar: the user's name and sign-out, sign-in buttons, or the local user. */
export function renderAccount(container, session) {
  container.replaceChildren();
  if (session.mode === "local") {
    container.append(el("span", {
      class: "account-name", text: "로컬 사용자",
      attrs: { title: "이 컴퓨터에서 실행 중이라 로그인 없이 로컬 사용자로 저장됩니다." },
    }));
  } else if (session.user) {
    container.append(
      el("span", { class: "account-name", text: session.user.name, attrs: { "data-provider": session.user.provider } }),
      el("a", { class: "button button-quiet button-small", text: "로그아웃", attrs: { href: logoutUrl(), id: "logout" } }),
    );
  }
  container.hidden = false;
}

/** The sign-in panel shown instead of the work area when nobody is signed in. */
export function renderSignIn(panel, session, reason) {
  const buttons = panel.querySelector(".signin-buttons");
  buttons.replaceChildren(...loginLinks(session.providers.length ? session.providers : [{ id: "aad", label: "로그인" }]));
  const note = panel.querySelector(".signin-reason");
  note.textContent = reason || "";
  note.hidden = !reason;
  panel.hidden = false;
}

import { ApiError, get, token } from "./api.js";
import { h } from "./dom.js";
import { comparePage } from "./compare-page.js";
import { runPage } from "./run-page.js";
import { runsPage } from "./runs-page.js";

/**
 * The app: three pages on hash routes — `#/` runs, `#/run/<id>` one run, `#/compare/<id>,<id>…`.
 * A page returns its stop function (polling timers), called when the route changes.
 */

export type Page = (root: HTMLElement, arg: string) => () => void;

const routes: [RegExp, Page][] = [
  [/^#\/run\/([^/?]+)/, runPage],
  [/^#\/compare\/?([^?]*)/, comparePage],
  [/^(#\/?)?(\?.*)?$/, runsPage],
];

let stop: (() => void) | undefined;

function route(): void {
  stop?.();
  stop = undefined;
  const root = document.getElementById("app")!;
  root.replaceChildren();
  for (const [pattern, page] of routes) {
    const m = pattern.exec(location.hash);
    if (m) {
      stop = page(root, decodeURIComponent(m[1] ?? ""));
      return;
    }
  }
  root.append(h("p", {}, "No such page. ", h("a", { href: "#/" }, "All runs")));
}

/** Shows an error in place of a page; a missing/wrong token explains how to get in. */
export function showError(root: HTMLElement, err: unknown): void {
  const message = err instanceof ApiError && err.status === 401
    ? "This page needs the access token: open the URL that `runnable ui` printed (…/?token=…)."
    : err instanceof Error ? err.message : String(err);
  root.replaceChildren(h("p", { class: "error", role: "alert" }, message));
}

async function start(): Promise<void> {
  token();
  window.addEventListener("hashchange", route);
  route();
  try {
    const info = await get<{ location: string }>("/api/info");
    document.getElementById("source")!.textContent = info.location;
  } catch {
    // The page shows the error itself.
  }
}

void start();

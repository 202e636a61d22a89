"use client";

import { useEffect, useRef, useState, useSyncExternalStore } from "react";

declare global {
  interface Window {
    Telegram?: { WebApp?: { initData?: string; ready?: () => void } };
  }
}

type Workspace = { workspaceId: string; workspaceName: string };
type Status =
  | { kind: "working" }
  | { kind: "choose"; workspaces: Workspace[] }
  | { kind: "error"; message: string };

const MESSAGES = {
  expired: "This sign-in has expired or was already used. Close and reopen the app from Telegram.",
  rateLimited: "Too many attempts; wait a minute.",
  generic: "Something went wrong. Try again in a moment.",
};

/** initData from the Telegram SDK if a client injected it, else from the `#tgWebAppData=` launch hash. */
function readInitData(): string | null {
  const fromSdk = window.Telegram?.WebApp?.initData;
  if (fromSdk) return fromSdk;
  return new URLSearchParams(window.location.hash.slice(1)).get("tgWebAppData") || null;
}

const noSubscription = () => () => {};

async function signIn(initData: string, workspaceId?: string): Promise<Status> {
  try {
    const res = await fetch("/api/telegram/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(workspaceId ? { initData, workspaceId } : { initData }),
    });
    const body = (await res.json().catch(() => null)) as
      | { redirect?: unknown; choose?: Workspace[]; error?: { message?: unknown } }
      | null;
    // Only ever follow a path on this site.
    if (res.ok && typeof body?.redirect === "string" && /^\/(?![/\\])/.test(body.redirect)) {
      window.location.replace(body.redirect);
      return { kind: "working" };
    }
    if (res.ok && Array.isArray(body?.choose)) return { kind: "choose", workspaces: body.choose };
    if (res.status === 401) return { kind: "error", message: MESSAGES.expired };
    if (res.status === 403 && typeof body?.error?.message === "string") return { kind: "error", message: body.error.message };
    if (res.status === 429) return { kind: "error", message: MESSAGES.rateLimited };
    return { kind: "error", message: MESSAGES.generic };
  } catch {
    return { kind: "error", message: MESSAGES.generic };
  }
}

export function MiniApp() {
  // undefined while rendering on the server (the hash never reaches it), null when there is no initData.
  const initData = useSyncExternalStore(noSubscription, readInitData, () => undefined);
  const [status, setStatus] = useState<Status>({ kind: "working" });
  // Each initData is accepted once, so a second mount (React strict mode) must not post it again.
  const started = useRef(false);
  const pickerHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    window.Telegram?.WebApp?.ready?.();
    if (!initData || started.current) return;
    started.current = true;
    void signIn(initData).then(setStatus);
  }, [initData]);

  useEffect(() => {
    if (status.kind === "choose") pickerHeading.current?.focus();
  }, [status.kind]);

  function choose(workspaceId: string) {
    if (!initData) return;
    setStatus({ kind: "working" });
    void signIn(initData, workspaceId).then(setStatus);
  }

  if (initData === null) {
    return (
      <Card>
        <p className="text-slate-700">Open this page from the Telegram bot&apos;s menu button.</p>
      </Card>
    );
  }

  return (
    <Card>
      {status.kind === "working" ? (
        <p role="status" aria-live="polite" className="flex items-center gap-3 text-slate-700">
          <span aria-hidden="true" className="size-4 animate-spin rounded-full border-2 border-indigo-200 border-t-indigo-700" />
          Signing you in…
        </p>
      ) : null}

      {status.kind === "error" ? (
        <p role="alert" className="text-slate-800">
          {status.message}
        </p>
      ) : null}

      {status.kind === "choose" ? (
        <div className="flex flex-col gap-4">
          <div>
            <h2 ref={pickerHeading} tabIndex={-1} id="choose-workspace" className="text-lg font-semibold">
              Choose a workspace
            </h2>
            <p className="mt-1 text-slate-600">Your Telegram account belongs to several workspaces.</p>
          </div>
          <ul aria-labelledby="choose-workspace" className="flex flex-col gap-2">
            {status.workspaces.map((w) => (
              <li key={w.workspaceId}>
                <button
                  type="button"
                  onClick={() => choose(w.workspaceId)}
                  className="w-full rounded-lg border border-slate-300 bg-white px-4 py-3 text-left font-medium text-slate-900 hover:border-indigo-400 hover:bg-indigo-50"
                >
                  {w.workspaceName}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Card>
  );
}

function Card({ children }: { children: React.ReactNode }) {
  return <section className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">{children}</section>;
}

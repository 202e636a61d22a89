import type { Metadata } from "next";

export const metadata: Metadata = { title: "Open your settings link" };

// 401 for /settings without a valid session. Deliberately no sign-in form: access starts from chat.
export default function Unauthorized() {
  return (
    <main className="flex min-h-screen items-center justify-center px-6 py-16">
      <div className="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
        <p className="text-xs font-bold tracking-widest text-indigo-700 uppercase">Gatehouse</p>
        <h1 className="mt-4 text-2xl font-bold">Open the settings link from your chat</h1>
        <p className="mt-3 text-slate-700">
          Your settings open from a one-time link that your agent sends you in Telegram or Slack. Ask your agent for
          &ldquo;settings&rdquo; and tap the button it sends.
        </p>
        <p className="mt-3 text-sm text-slate-600">If you were signed in before, your session has ended or was signed out.</p>
      </div>
    </main>
  );
}

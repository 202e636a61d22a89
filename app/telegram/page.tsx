import type { Metadata } from "next";
import { MiniApp } from "./mini-app";
import "./theme.css";

export const metadata: Metadata = { title: "Telegram sign-in" };
// The page is only a shell; initData arrives in the URL hash, which the server never sees.
export const dynamic = "force-dynamic";

export default function TelegramPage() {
  return (
    <div className="tg-app min-h-screen bg-(--tg-bg) text-(--tg-text)">
      <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center gap-6 px-6 py-12">
        <header className="flex flex-col gap-1">
          <p className="text-sm font-semibold tracking-wide text-(--tg-accent) uppercase">Gatehouse</p>
          <h1 className="text-2xl font-bold tracking-tight">Telegram sign-in</h1>
        </header>
        <MiniApp />
      </main>
    </div>
  );
}

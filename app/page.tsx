import Link from "next/link";

const steps = [
  {
    title: "Open your settings from chat",
    body: "Ask your agent for a settings link. It arrives as a button in Telegram or Slack and opens your own settings, once.",
  },
  {
    title: "Operators: set up a workspace",
    body: "Create a workspace and add members with the gatehouse CLI, then issue a service token for your orchestrator.",
    code: "npm run -s gatehouse -- workspace create --name Acme --owner-platform telegram --owner-id 123456",
  },
  {
    title: "Check the deployment",
    body: "Health and readiness endpoints report whether PostgreSQL and Redis answer.",
    links: [
      { href: "/api/health", label: "/api/health" },
      { href: "/api/ready", label: "/api/ready" },
    ],
  },
];

export default function Home() {
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-10 px-6 py-16">
      <header className="flex flex-col gap-3">
        <p className="text-sm font-semibold tracking-wide text-indigo-700 uppercase">Gatehouse</p>
        <h1 className="text-3xl font-bold tracking-tight sm:text-4xl">Auth and credentials for chat-based agents</h1>
        <p className="text-lg text-slate-700">
          Gatehouse proves who a chat user is, keeps their API keys encrypted, and hands each agent job exactly the
          secrets its owner granted — nothing more.
        </p>
      </header>

      <section aria-labelledby="next-steps" className="flex flex-col gap-4">
        <h2 id="next-steps" className="text-xl font-semibold">
          Next steps
        </h2>
        <ol className="flex flex-col gap-4">
          {steps.map((step, i) => (
            <li key={step.title} className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
              <h3 className="font-semibold">
                <span className="mr-2 text-indigo-700">{i + 1}.</span>
                {step.title}
              </h3>
              <p className="mt-1 text-slate-700">{step.body}</p>
              {step.code ? (
                <pre className="mt-3 overflow-x-auto rounded-lg bg-slate-900 p-3 text-sm text-slate-100">
                  <code>{step.code}</code>
                </pre>
              ) : null}
              {step.links ? (
                <p className="mt-3 flex gap-4">
                  {step.links.map((l) => (
                    <a key={l.href} href={l.href} className="font-medium text-indigo-700 underline underline-offset-2 hover:text-indigo-900">
                      {l.label}
                    </a>
                  ))}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
        <p>
          <Link href="/readme" className="font-medium text-indigo-700 underline underline-offset-2 hover:text-indigo-900" prefetch={false}>
            Read the README
          </Link>{" "}
          <span className="text-slate-600">for configuration, production deployment and the API.</span>
        </p>
      </section>
    </main>
  );
}

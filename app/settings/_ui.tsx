export function PageHeading({ title, description }: { title: string; description: string }) {
  return (
    <div className="mb-6">
      <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
      <p className="mt-1 text-slate-600">{description}</p>
    </div>
  );
}

export function Card({ children, className = "" }: { children: React.ReactNode; className?: string }) {
  return <section className={`rounded-xl border border-slate-200 bg-white p-5 shadow-sm ${className}`}>{children}</section>;
}

export function ComingSoon({ what }: { what: string }) {
  return (
    <Card>
      <p className="font-medium">Coming soon</p>
      <p className="mt-1 text-slate-600">{what}</p>
    </Card>
  );
}

export function formatTime(value: Date | number) {
  return new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(value) + " UTC";
}

import { FlaskConicalIcon } from "lucide-react";

export function SimulationBanner() {
  return (
    <div role="region" aria-label="Simulation mode" data-testid="simulation-banner" className="border-b border-warning/40 bg-warning-soft">
      <div className="mx-auto flex max-w-[1600px] items-center gap-2 px-4 py-2 text-sm text-warning">
        <FlaskConicalIcon className="size-4 shrink-0" aria-hidden />
        <p>
          <strong className="font-semibold">Simulation mode.</strong> Actions run against a simulated tenant
          (Contoso): no real endpoint, firewall, account or mailbox is touched.
        </p>
      </div>
    </div>
  );
}

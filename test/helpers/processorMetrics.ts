/** What a running processor's /metrics says, for tests that split a stream between processors. */
import type { RunningProcessor } from '../../services/processor/processor.ts';

/** Telemetry messages this processor has taken from the broker. */
export async function telemetryTaken(p: RunningProcessor): Promise<number> {
  const text = await (await fetch(`${p.metricsUrl}/metrics`)).text();
  return Number(
    /^gadelys_processor_messages_total\{kind="telemetry"\} (\d+)/m.exec(text)?.[1] ?? 0,
  );
}

// History per poll for the overhead comparison (bench/scale.ts --compare): the events that sampled workflows wrote in
// a time window, over the polls they made in it.
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

/** Lower-case event type without its prefix (EVENT_TYPE_TIMER_FIRED → timer_fired). */
function typeName(t: temporal.api.enums.v1.EventType | null | undefined): string {
  return (EventType[t ?? 0] ?? String(t)).replace(/^EVENT_TYPE_/, '').toLowerCase();
}

/**
 * Events of `histories` whose time falls in [from, to), and the polls among them: an ActivityTaskScheduled of
 * fetchAirOpsBatchStatus (a regular activity) or a local activity's marker. Events per poll, and per type.
 */
export function eventsPerPoll(
  histories: { workflowId: string; events: temporal.api.history.v1.IHistoryEvent[] }[],
  from: number,
  to: number,
): { workflows: number; events: number; polls: number; eventsPerPoll: number; byType: Record<string, number> } {
  let events = 0;
  let polls = 0;
  const byType: Record<string, number> = {};
  for (const h of histories) {
    for (const e of h.events) {
      const at = tsToMs(e.eventTime);
      if (at < from || at >= to) continue;
      events++;
      const name = typeName(e.eventType);
      byType[name] = (byType[name] ?? 0) + 1;
      const activity =
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchAirOpsBatchStatus';
      const local =
        e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
        e.markerRecordedEventAttributes?.markerName === 'core_local_activity';
      if (activity || local) polls++;
    }
  }
  const perPoll = Object.fromEntries(
    Object.entries(byType)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, Math.round((v / polls) * 100) / 100]),
  );
  return {
    workflows: histories.length,
    events,
    polls,
    eventsPerPoll: Math.round((events / polls) * 100) / 100,
    byType: perPoll,
  };
}

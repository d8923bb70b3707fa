import { join } from "node:path";
import { Journal } from "../../persist/journal";
import { type Alarm, type CloudWatchJournal, type CloudWatchModel, type MetricRef, seriesKey } from "./model";
import type { DataPoint } from "./rules";

/**
 * What CloudWatch keeps under `<persistDir>/cloudwatch/` (see `persist/journal.ts`): every alarm with its
 * state, reason, history and configuration, and the metric data points the alarms evaluate (so a restart
 * does not turn an alarm's evidence into missing data). Alarms the program declares are reconfigured from
 * it after the restore and keep their state; restored program alarms it no longer declares are dropped at
 * start.
 */

type CloudWatchRecord =
  | { t: "alarm"; alarm: Alarm }
  | { t: "alarm-deleted"; name: string }
  | { t: "point"; ref: MetricRef; point: DataPoint };

interface CloudWatchSnapshot {
  alarms: Alarm[];
  series: Array<{ ref: MetricRef; points: DataPoint[] }>;
}

export interface CloudWatchPersistence {
  /** Drops restored program alarms the program did not declare again (call after provisioning). */
  dropUndeclared(): void;
  close(): void;
}

export function persistCloudWatch(model: CloudWatchModel, persistDir: string): CloudWatchPersistence {
  const { journal, loaded } = Journal.open<CloudWatchRecord>(join(persistDir, "cloudwatch"));
  const snapshot = loaded.state as CloudWatchSnapshot | undefined;
  const putAlarm = (alarm: Alarm): void => {
    model.alarmsByName.set(alarm.name, { ...alarm, tags: alarm.tags ?? {} });
  };
  const putPoint = (ref: MetricRef, point: DataPoint): void => {
    const key = seriesKey(ref);
    let series = model.series.get(key);
    if (!series) {
      series = { ...ref, key, points: [] };
      model.series.set(key, series);
    }
    series.points.push(point);
  };
  for (const alarm of snapshot?.alarms ?? []) putAlarm(alarm);
  for (const { ref, points } of snapshot?.series ?? []) for (const point of points) putPoint(ref, point);
  for (const record of loaded.records) {
    if (record.t === "alarm") putAlarm(record.alarm);
    else if (record.t === "alarm-deleted") model.alarmsByName.delete(record.name);
    else putPoint(record.ref, record.point);
  }
  for (const series of model.series.values()) series.points.sort((a, b) => a.timestamp - b.timestamp);
  const restoredProgramAlarms = [...model.alarmsByName.values()]
    .filter((alarm) => alarm.provisioned)
    .map((alarm) => alarm.name);
  if (model.alarmsByName.size > 0) {
    model.ctx.log.info(`cloudwatch: restored ${model.alarmsByName.size} alarms from ${journal.dir}`);
  }
  const snapshotOf = (): CloudWatchSnapshot => ({
    alarms: [...model.alarmsByName.values()],
    series: [...model.series.values()].map((series) => ({
      ref: { namespace: series.namespace, metricName: series.metricName, dimensions: series.dimensions },
      points: series.points,
    })),
  });
  const compactIfDue = (): void => {
    // Points older than every alarm's window are pruned from memory; compaction drops them from disk.
    if (journal.wantsCompaction) journal.compact(snapshotOf());
  };
  if (loaded.records.length > 0) journal.compact(snapshotOf());
  const hooks: CloudWatchJournal = {
    alarm: (alarm) => {
      journal.append({ t: "alarm", alarm });
      compactIfDue();
    },
    alarmDeleted: (name) => journal.append({ t: "alarm-deleted", name }),
    point: (ref, point) => {
      journal.append({ t: "point", ref, point });
      compactIfDue();
    },
  };
  model.journal = hooks;
  return {
    dropUndeclared: () => {
      for (const name of restoredProgramAlarms) if (!model.putThisRun.has(name)) model.deleteAlarm(name);
    },
    close: () => journal.close(),
  };
}

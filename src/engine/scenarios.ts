/**
 * Scenarios: every problem the doctor knows, reproduced on the reference engine. Each one is a
 * `fixtures/scenarios/<name>/scenario.json` saying how to build the state (contracts, settings,
 * blocks of tracked work relative to a reference "now", which were uploaded, the connection the
 * tracker last saw, server faults, the Helper's mode) and what it claims (cache level, rejections,
 * findings). `buildScenario` plays that story through the real engine: the tracker (simulated
 * time, screenshots from the real Helper process), the journal store, the HTTPS work-diary server
 * and the uploader. Nothing is written by hand into the cache.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeClock, seededRng } from './clock.js';
import type { Rng } from './clock.js';
import {
  enginePaths,
  loadOrCreateDevice,
  saveContracts,
  saveSettings,
  serverSettingsOf,
  storeSettings,
} from './config.js';
import type { EngineSettings } from './config.js';
import { startHelper } from './helper/index.js';
import type { HelperHandle, HelperMode } from './helper/index.js';
import { EngineLog } from './logs.js';
import { DAY_MS, MINUTE_MS, SLOT_MS, weekStartOf } from './protocol.js';
import type { ConnectionState, Faults, WireContract } from './protocol.js';
import { WorkDiaryClient } from './server/client.js';
import { startServer } from './server/index.js';
import type { SeedContract } from './server/index.js';
import { writeJsonAtomic } from './server/atomic.js';
import { isPidAlive } from '../core/pid.js';
import { readLock } from './store/lock.js';
import { openStore } from './store/store.js';
import { Tracker, syntheticInput } from './tracker.js';
import { helperScreenshots, logTrackerEvents, runTracking } from './tracking.js';
import { createUploadSession, uploadNow } from './upload-session.js';
import type { UploadSession } from './upload-session.js';

export const SCENARIO_FILE = 'scenario.json';
/** Written into `<data>/engine/` so the doctor (and a person) can tell a scenario folder from a tracker. */
export const SCENARIO_MARKER = 'scenario.json';

export interface ScenarioContract {
  id: string;
  title: string;
  client?: string;
  type?: 'hourly' | 'fixed';
  /** Days from the reference now to the contract's start date (00:00 UTC of that day); negative = past. */
  startInDays?: number;
  weeklyLimitHours?: number | null;
  manualTimeAllowed?: boolean;
}

/** A stretch of tracking, or (minutes 0) an attempt to start that the tracker may refuse. */
export interface WorkBlock {
  contract: string;
  memo: string;
  /** Start, in minutes before the reference now. */
  startMinutesAgo: number;
  minutes: number;
  /** Uploaded right after the block (the service was reachable), else left in the cache. */
  upload: boolean;
  /** Share of minutes with input (default 0.85). */
  activeShare?: number;
}

/** A second computer of the same freelancer: its own device id, cache and uploader. */
export interface OtherDevice {
  deviceId: string;
  contract: string;
  memo: string;
  startMinutesAgo: number;
  minutes: number;
}

/** At `minutesAgo` the link is up long enough for `batches` upload batch request(s), then drops. */
export interface Reconnect {
  minutesAgo: number;
  batches: number;
}

export interface StatusChange {
  contract: string;
  status: 'active' | 'paused' | 'ended';
  minutesAgo: number;
}

export interface FindingClaim {
  check: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  code?: string;
}

export interface ScenarioClaims {
  cache: {
    pendingSegments: number;
    pendingMinutes: number;
    capacityMinutes: number;
    rejectedCodes: string[];
    status: ConnectionState;
  };
  /** Contract statuses in the tracker's contract list (contracts.json). */
  contracts?: Record<string, 'active' | 'paused' | 'ended'>;
  /** Starting a contract was refused with this reason (in the log). */
  refused?: { contract: string; reason: string }[];
  findings: FindingClaim[];
}

export interface ScenarioSpec {
  name: string;
  title: string;
  /** One line: what problem this reproduces. */
  summary: string;
  /**
   * The simulated moment: absent = now (on its 10-minute boundary); else the most recent `weekday` (1 Monday … 7 Sunday) at
   * `time` UTC, for problems that depend on where in the week they happen (the Monday lock).
   */
  clock?: { weekday: number; time: string };
  settings?: Partial<EngineSettings>;
  contracts: ScenarioContract[];
  statusChanges?: StatusChange[];
  work: WorkBlock[];
  /**
   * This computer's connection while blocks marked `upload: false` run and at the end: `online`;
   * `offline` (the server closes its listener, or has `cachingFaults`, so every upload really
   * fails); `stuck` (the service answers, but this tracker offers only TLS 1.0/1.1, so its own
   * handshakes fail).
   */
  link: 'online' | 'offline' | 'stuck';
  /** The server's faults while an offline link is down (default: `{offline: true}`). */
  cachingFaults?: Faults;
  /** Server faults while the doctor checks this scenario (the tracker's last attempt meets them too). */
  faults?: Faults;
  /** Another computer of the same freelancer tracks and uploads live. */
  otherDevice?: OtherDevice;
  /** This computer's connection comes back for a moment and drops again mid-upload. */
  reconnect?: Reconnect;
  helper?: { mode: HelperMode; enableGpu?: boolean };
  claims: ScenarioClaims;
}

/** `<data>/engine/scenario.json`: how the folder was built, read by the preparer and the cache collector. */
export interface ScenarioMarker {
  name: string;
  builtAt: number;
  referenceNow: number;
  /** referenceNow − builtAt: the engine's simulated clock runs this far from real time. */
  clockOffsetMs: number;
  faults: Faults;
  helper: { mode: HelperMode; enableGpu: boolean };
}

/** fixtures/scenarios, from the sources (src/engine) or the build (dist/engine). */
export function scenariosRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of [path.resolve(here, '..', '..'), path.resolve(here, '..', '..', '..')]) {
    const p = path.join(up, 'fixtures', 'scenarios');
    if (existsSync(p)) return p;
  }
  return path.resolve(here, '..', '..', 'fixtures', 'scenarios');
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

function validate(spec: unknown, where: string): ScenarioSpec {
  const s = spec as Partial<ScenarioSpec> | null;
  const bad = (why: string): never => {
    throw new ScenarioError(`${where}: ${why}`);
  };
  if (!s || typeof s !== 'object') bad('not a JSON object');
  if (typeof s!.name !== 'string' || !/^[a-z0-9-]+$/.test(s!.name)) bad('name must be kebab-case');
  if (typeof s!.title !== 'string' || typeof s!.summary !== 'string') bad('title and summary are required');
  if (!Array.isArray(s!.contracts) || !Array.isArray(s!.work)) bad('contracts[] and work[] are required');
  if (!['online', 'offline', 'stuck'].includes(String(s!.link))) bad('link must be online, offline or stuck');
  const ids = new Set(s!.contracts!.map((c) => c.id));
  for (const w of s!.work!) {
    if (!ids.has(w.contract)) bad(`work on unknown contract "${w.contract}"`);
    if (!(w.startMinutesAgo >= w.minutes) || w.minutes < 0) bad('a work block must end by the reference now');
  }
  if (!s!.claims || typeof s!.claims !== 'object' || !Array.isArray(s!.claims.findings))
    bad('claims.findings[] is required');
  return s as ScenarioSpec;
}

export async function listScenarios(root = scenariosRoot()): Promise<ScenarioSpec[]> {
  let names: string[];
  try {
    names = (await readdir(root)).sort();
  } catch {
    return [];
  }
  const out: ScenarioSpec[] = [];
  for (const n of names) {
    const file = path.join(root, n, SCENARIO_FILE);
    if (!existsSync(file)) continue;
    out.push(await loadScenario(n, root));
  }
  return out;
}

export async function loadScenario(name: string, root = scenariosRoot()): Promise<ScenarioSpec> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new ScenarioError(`"${name}" is not a scenario name`);
  const file = path.join(root, name, SCENARIO_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ScenarioError(`unknown scenario "${name}"`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ScenarioError(`${file} is not valid JSON`);
  }
  const spec = validate(data, file);
  if (spec.name !== name) throw new ScenarioError(`${file}: name "${spec.name}" does not match its folder`);
  return spec;
}

/** The simulated moment of a scenario, given real now (always at or before it: certificates stay valid). */
export function referenceNow(spec: Pick<ScenarioSpec, 'clock'>, realNow: number): number {
  // On a slot boundary, so "N minutes ago" always covers the same number of segments.
  if (!spec.clock) return Math.floor(realNow / SLOT_MS) * SLOT_MS;
  const m = /^(\d{2}):(\d{2})$/.exec(spec.clock.time);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  let t = weekStartOf(realNow) + (spec.clock.weekday - 1) * DAY_MS + minutes * MINUTE_MS;
  if (t > realNow) t -= 7 * DAY_MS;
  return t;
}

export interface BuildOptions {
  /** Real now (ms); the scenario's clock is derived from it. */
  now: number;
  /** Seed for the simulated input and screenshot instants (default: from the name, so builds repeat). */
  seed?: number;
  /** Use the Helper process for screenshots (default true). */
  useHelper?: boolean;
  /** Write engine/scenario.json (default true); the embedded default is a tracker, not a scenario. */
  writeMarker?: boolean;
}

export interface BuiltScenario {
  spec: ScenarioSpec;
  dataDir: string;
  marker: ScenarioMarker;
  refusals: { contract: string; reason: string }[];
}

function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

const utcMidnight = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;

/** The simulated clock starts an hour before the earliest event of the story (at least an hour back). */
function storyClock(spec: ScenarioSpec, ref: number): FakeClock {
  const firstStart = Math.max(
    60,
    ...spec.work.map((w) => w.startMinutesAgo),
    ...(spec.statusChanges ?? []).map((c) => c.minutesAgo),
    spec.otherDevice?.startMinutesAgo ?? 0,
    spec.reconnect?.minutesAgo ?? 0,
  );
  return new FakeClock(ref - firstStart * MINUTE_MS - 60 * MINUTE_MS);
}

/** The scenario's contracts as the server seeds them: all active, started relative to the reference now. */
function seedContractsOf(spec: ScenarioSpec, ref: number, now: number): SeedContract[] {
  return spec.contracts.map((c) => ({
    id: c.id,
    at: now - 30 * DAY_MS,
    title: c.title,
    client: c.client ?? 'Reference client',
    type: c.type ?? 'hourly',
    status: 'active',
    startDate: utcMidnight(ref + (c.startInDays ?? -60) * DAY_MS),
    weeklyLimitHours: c.weeklyLimitHours === undefined ? null : c.weeklyLimitHours,
    manualTimeAllowed: c.manualTimeAllowed ?? true,
  }));
}

type ScenarioServer = Awaited<ReturnType<typeof startServer>>;
type ScenarioStore = Awaited<ReturnType<typeof openStore>>;

/** Everything the story's steps act on, once the server, store and tracker run. */
interface Story {
  spec: ScenarioSpec;
  dataDir: string;
  ref: number;
  clock: FakeClock;
  rng: Rng;
  settings: EngineSettings;
  log: EngineLog;
  server: ScenarioServer;
  /** The scenario's own admin client (contract changes); never the tracker's link. */
  admin: WorkDiaryClient;
  store: ScenarioStore;
  session: UploadSession;
  tracker: Tracker;
  /** This computer cannot upload right now (a block marked `upload: false`, or the end of an offline story). */
  linkDown: boolean;
  /** When this computer last tried to upload (clock ms). */
  lastAttemptAt: number;
  refreshContracts: () => Promise<WireContract[]>;
}

/** How often the story's tracker tries to upload while it tracks (plus once when a block ends). */
const UPLOAD_EVERY_MS = 60 * MINUTE_MS;

/** Server faults that clear every fault a story may set (patches merge). */
const NO_FAULTS: Faults = { offline: false, oldTls: false, maintenance: false };

/**
 * The tracker's link: a client to the story's server. When a `stuck` tracker's link is down it
 * offers only TLS 1.0/1.1 (TLS 1.2 switched off on this computer), so its handshakes really fail
 * while the service itself answers everyone else.
 */
function trackerClient(x: Pick<Story, 'spec' | 'server' | 'linkDown'>): WorkDiaryClient {
  const stuck = x.linkDown && x.spec.link === 'stuck';
  return new WorkDiaryClient({
    url: x.server.url,
    ca: x.server.caPem,
    timeoutMs: 10_000,
    ...(stuck ? { minVersion: 'TLSv1' as const, maxVersion: 'TLSv1.1' as const } : {}),
  });
}

/**
 * Take this computer's link up or down. Down, an offline story's server closes its listener (or
 * keeps the scenario's `cachingFaults`, e.g. old TLS only), so every upload really fails.
 */
async function setLink(x: Story, down: boolean): Promise<void> {
  x.linkDown = down;
  if (x.spec.link === 'stuck') return;
  await x.server.setFaults(
    down ? { ...NO_FAULTS, ...(x.spec.cachingFaults ?? { offline: true }) } : NO_FAULTS,
  );
}

/** What the app does after a sealed segment and when it reconnects: upload what waits, or ask whether the server is there. */
async function attemptUpload(x: Pick<Story, 'store' | 'session' | 'log' | 'server'>): Promise<void> {
  if (x.store.stats().pendingSegments > 0) {
    await uploadNow({ ...x.session, store: x.store, log: x.log }, { url: x.server.url });
    return;
  }
  await x.session.uploader.probe();
  const s = x.store.stats();
  x.log.cacheLevel(s.pendingMinutes, s.capacityMinutes, s.pendingSegments);
  await x.session.status.flush();
}

/** The client changes a contract's status; the tracker refreshes its list. */
async function statusChangeStep(x: Story, c: StatusChange, at: number): Promise<void> {
  await x.admin.adminContract(c.contract, { status: c.status, at });
  x.tracker.setContracts(await x.refreshContracts());
  x.log.info('contracts', `contract ${c.contract} is now ${c.status} (refreshed from the server)`);
}

/**
 * A block of work, tracked as the app tracks it. After a sealed segment it tries to upload, at most
 * hourly in the story (the app tries more often and backs off; a day offline stays a short log and a
 * quick build), and once more when the block ends.
 */
async function workStep(x: Story, w: WorkBlock, at: number): Promise<void> {
  await setLink(x, !w.upload);
  const attempt = async () => {
    x.lastAttemptAt = x.clock.now();
    await attemptUpload(x);
  };
  await runTracking({
    tracker: x.tracker,
    clock: x.clock,
    store: x.store,
    contractId: w.contract,
    memo: w.memo,
    until: at + w.minutes * MINUTE_MS,
    stepMs: SLOT_MS,
    afterSeal: async () => {
      if (x.clock.now() - x.lastAttemptAt >= UPLOAD_EVERY_MS) await attempt();
    },
  });
  // Stopping seals the open slot: the app tries that one too.
  if (x.store.stats().pendingSegments > 0) await attempt();
}

/**
 * Another computer of the same freelancer (its own device id, cache and uploader) tracks and
 * uploads live: the server makes it the live device, so older cached time from this computer is
 * refused DEVICE_CONFLICT when it arrives.
 */
async function otherDeviceStep(x: Story, o: OtherDevice, at: number): Promise<void> {
  // The server must answer the other computer (this one is idle meanwhile, so its link may as well be up).
  await setLink(x, false);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uwd-other-device-'));
  const store = await openStore({
    cacheDir: enginePaths(dir).cacheDir,
    ...storeSettings(x.settings),
    clock: x.clock,
  });
  try {
    const log = new EngineLog(dir, { now: () => x.clock.now() });
    const client = new WorkDiaryClient({ url: x.server.url, ca: x.server.caPem, timeoutMs: 10_000 });
    const session = createUploadSession({ ...uploadSessionArgs(dir, x, o.deviceId, log), store, client });
    const tracker = new Tracker({
      store,
      settings: x.settings,
      clock: x.clock,
      rng: x.rng,
      deviceId: o.deviceId,
      contracts: (await client.contracts()).body.contracts,
      input: syntheticInput(x.rng, 0.85),
      onEvent: logTrackerEvents(log),
    });
    const other = { store, session, log, server: x.server };
    const attempt = () => attemptUpload(other);
    const until = at + o.minutes * MINUTE_MS;
    await runTracking({
      tracker,
      clock: x.clock,
      store,
      contractId: o.contract,
      memo: o.memo,
      until,
      stepMs: SLOT_MS,
      afterSeal: attempt,
    });
    await attempt();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
  x.log.debug('scenario', `another computer (${o.deviceId}) tracked ${o.minutes} min and uploaded it live`);
}

/**
 * This computer's connection comes back for a moment: its uploader gets `batches` batch request(s)
 * through before the connection drops again (every later request is cut off at the socket).
 */
async function reconnectStep(x: Story, r: Reconnect): Promise<void> {
  await setLink(x, false);
  let passed = 0;
  x.server.hooks?.setPlan((req) => {
    if (passed >= r.batches) return 'drop-request';
    if (req.path.startsWith('/v1/diary/segments:batch')) passed++;
    return 'pass';
  });
  try {
    await attemptUpload(x);
  } finally {
    x.server.hooks?.setPlan(undefined);
  }
  await setLink(x, true);
}

/** The story, in time order: status changes by the client, blocks of work, the other computer, a reconnect. */
async function playStory(x: Story): Promise<void> {
  const { spec, ref, clock } = x;
  type Step = { at: number; run: () => Promise<void> };
  const ago = (minutes: number) => ref - minutes * MINUTE_MS;
  const steps: Step[] = [
    ...(spec.statusChanges ?? []).map((c) => ({
      at: ago(c.minutesAgo),
      run: () => statusChangeStep(x, c, ago(c.minutesAgo)),
    })),
    ...spec.work.map((w) => ({
      at: ago(w.startMinutesAgo),
      run: () => workStep(x, w, ago(w.startMinutesAgo)),
    })),
    ...(spec.otherDevice
      ? [spec.otherDevice].map((o) => ({
          at: ago(o.startMinutesAgo),
          run: () => otherDeviceStep(x, o, ago(o.startMinutesAgo)),
        }))
      : []),
    ...(spec.reconnect
      ? [spec.reconnect].map((r) => ({ at: ago(r.minutesAgo), run: () => reconnectStep(x, r) }))
      : []),
  ];
  steps.sort((a, b) => a.at - b.at);
  for (const s of steps) {
    if (s.at > clock.now()) clock.set(s.at);
    await s.run();
  }
}

/**
 * At the reference now: the link as the story left it and the server as the doctor will find it
 * (the scenario's faults); the tracker tries once more, so its status is the answer it really got.
 */
async function finishStory(x: Story): Promise<void> {
  const { spec, ref, clock, store: st } = x;
  clock.set(ref);
  await setLink(x, spec.link !== 'online');
  await x.server.setFaults({ ...NO_FAULTS, ...spec.faults });
  await attemptUpload(x);
  x.session.status.setRejections(
    st.rejected().map((r) => ({
      contractId: r.segment.contractId,
      slot: r.segment.slot,
      code: r.rejection!.code,
      at: r.rejection!.serverTime,
    })),
  );
  await x.session.status.flush();
}

function markerOf(spec: ScenarioSpec, ref: number, builtAt: number): ScenarioMarker {
  return {
    name: spec.name,
    builtAt,
    referenceNow: ref,
    clockOffsetMs: ref - builtAt,
    faults: spec.faults ?? {},
    helper: { mode: spec.helper?.mode ?? 'normal', enableGpu: spec.helper?.enableGpu ?? false },
  };
}

/** What every upload session of a story shares (this computer's and the other computer's). */
function uploadSessionArgs(
  dataDir: string,
  x: Pick<Story, 'settings' | 'clock' | 'rng' | 'server'>,
  deviceId: string,
  log: EngineLog,
) {
  return {
    dataDir,
    serverUrl: x.server.url,
    deviceId,
    settings: x.settings,
    clock: x.clock,
    rng: x.rng,
    log,
    sleep: async () => undefined,
  };
}

/** Start the story's parts: the tracker of this computer on its cache, wired to the server. */
async function openStory(
  base: Pick<Story, 'spec' | 'dataDir' | 'ref' | 'clock' | 'rng' | 'settings' | 'log' | 'server'>,
  store: ScenarioStore,
  deviceId: string,
  helper: HelperHandle | undefined,
  refusals: BuiltScenario['refusals'],
): Promise<Story> {
  const { dataDir, server, log } = base;
  const admin = new WorkDiaryClient({
    url: server.url,
    ca: server.caPem,
    timeoutMs: 10_000,
    adminSecret: server.adminSecret,
  });
  const refreshContracts = async () => {
    const r = await trackerClient({ ...base, linkDown: false }).contracts();
    await saveContracts(dataDir, { fetchedAt: r.body.serverTime, contracts: r.body.contracts });
    return r.body.contracts;
  };
  const x = { ...base, admin, store, linkDown: false, lastAttemptAt: -Infinity, refreshContracts } as Story;
  x.session = createUploadSession({
    ...uploadSessionArgs(dataDir, base, deviceId, log),
    store,
    client: () => trackerClient(x),
  });
  x.tracker = new Tracker({
    store,
    settings: base.settings,
    clock: base.clock,
    rng: base.rng,
    deviceId,
    contracts: await refreshContracts(),
    input: syntheticInput(base.rng, 0.85),
    ...helperScreenshots(helper),
    onEvent: logTrackerEvents(log, (e) => {
      if (e.type === 'refused') refusals.push({ contract: e.contractId, reason: e.reason });
    }),
  });
  return x;
}

/** Play a scenario's story through the real engine into `dataDir` (which must be new or empty). */
export async function buildScenario(
  spec: ScenarioSpec,
  dataDir: string,
  opts: BuildOptions,
): Promise<BuiltScenario> {
  const ref = referenceNow(spec, opts.now);
  const clock = storyClock(spec, ref);
  const rng = seededRng(opts.seed ?? seedOf(spec.name));
  const p = enginePaths(dataDir);
  await mkdir(p.engineDir, { recursive: true });
  const log = new EngineLog(dataDir, { now: () => clock.now() });
  log.appStarted('5.8.0-reference', process.platform, process.arch);

  const settings = await saveSettings(dataDir, spec.settings ?? {});
  const device = await loadOrCreateDevice(dataDir, clock.now(), `device-${spec.name}`);
  const server = await startServer({
    dataDir,
    clock,
    seedContracts: seedContractsOf(spec, ref, clock.now()),
    writeServerJson: false,
    settings: serverSettingsOf(settings),
    // Only for a reconnect that drops mid-upload (the socket is really cut).
    testHooks: spec.reconnect !== undefined,
  });
  let helper: HelperHandle | undefined;
  let store: ScenarioStore | undefined;
  const refusals: BuiltScenario['refusals'] = [];
  try {
    store = await openStore({ cacheDir: p.cacheDir, ...storeSettings(settings), clock });
    if (opts.useHelper !== false) {
      helper = await startHelper({
        dataDir,
        mode: spec.helper?.mode === 'black' ? 'black' : 'normal',
        enableGpu: true,
        maxSeconds: 600,
      });
    }
    const base = { spec, dataDir, ref, clock, rng, settings, log, server };
    const story = await openStory(base, store, device.deviceId, helper, refusals);
    await playStory(story);
    await finishStory(story);
  } finally {
    await helper?.stop();
    await store?.close();
    await server.close();
  }
  const marker = markerOf(spec, ref, opts.now);
  if (opts.writeMarker !== false) await writeJsonAtomic(path.join(p.engineDir, SCENARIO_MARKER), marker);
  return { spec, dataDir, marker, refusals };
}

/** A fresh folder for a scenario under the doctor's home: `<home>/scenarios/<name>-<random>`. */
export async function newScenarioDir(doctorHome: string, name: string): Promise<string> {
  const dir = path.join(doctorHome, 'scenarios', `${name}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A live pid in the folder's cache LOCK, Helper pidfile or server.json: something runs on it now. */
async function scenarioDirInUse(dir: string): Promise<boolean> {
  const p = enginePaths(dir);
  const lock = await readLock(path.join(p.cacheDir, 'LOCK'));
  // A LOCK from another host cannot be checked: treat it as held.
  if (lock && (lock.host !== os.hostname() || isPidAlive(lock.pid))) return true;
  for (const file of [path.join(p.engineDir, 'helper.json'), p.serverFile]) {
    const info = await readFile(file, 'utf8').then(
      (t) => JSON.parse(t) as { pid?: unknown },
      () => undefined,
    );
    if (typeof info?.pid === 'number' && isPidAlive(info.pid)) return true;
  }
  return false;
}

/** When a scenario folder was built: its marker's builtAt, else (being built, or a damaged marker) the folder's mtime. */
async function builtAtOf(dir: string): Promise<number> {
  try {
    const marker = JSON.parse(
      await readFile(path.join(dir, 'engine', SCENARIO_MARKER), 'utf8'),
    ) as ScenarioMarker;
    if (typeof marker.builtAt === 'number') return marker.builtAt;
  } catch {
    // no marker yet, or an unreadable one
  }
  return (await stat(dir).catch(() => undefined))?.mtimeMs ?? 0;
}

/**
 * Scenario folders are throwaway copies: keep the newest `keep` per name so the doctor home does not
 * grow. A folder something still runs on (another doctor run, `engine track`, `engine serve`) is
 * never removed, nor one still being built (no marker yet: its mtime is recent).
 */
export async function pruneScenarioDirs(doctorHome: string, name: string, keep = 3): Promise<void> {
  const root = path.join(doctorHome, 'scenarios');
  const own = new RegExp(`^${name.replace(/[^\w-]/g, '\\$&')}-[0-9a-f]{8}$`);
  const mine: { dir: string; builtAt: number }[] = [];
  for (const n of await readdir(root).catch(() => [] as string[])) {
    if (!own.test(n)) continue;
    const dir = path.join(root, n);
    mine.push({ dir, builtAt: await builtAtOf(dir) });
  }
  mine.sort((a, b) => b.builtAt - a.builtAt);
  for (const old of mine.slice(keep)) {
    if (await scenarioDirInUse(old.dir)) continue;
    await rm(old.dir, { recursive: true, force: true });
  }
}

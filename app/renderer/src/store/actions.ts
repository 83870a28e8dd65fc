// Module-level actions: load a snapshot, then patch from engine events by id.
import type { ContainerDetail, ContainerState, ContainerSummary, EngineEvent } from '../../../shared/ipc.js';
import { bridge, errorText } from '../bridge/index.js';
import { getState, setState, type DetailTab, type StateFilter, type View } from './index.js';

export async function loadHost(): Promise<void> {
  try {
    const [host, endpoints] = await Promise.all([
      bridge.invoke('system/info'),
      bridge.invoke('endpoints/list'),
    ]);
    setState({ host, endpoints, hostError: undefined });
  } catch (err) {
    setState({ hostError: errorText(err) });
  }
}

/** Events that came while a list was on its way (it may predate them): applied again on top of it. */
const listWaiters = new Set<EngineEvent[]>();

export async function loadContainers(): Promise<void> {
  const during: EngineEvent[] = [];
  listWaiters.add(during);
  try {
    const list = await bridge.invoke('containers/list');
    const containers: Record<string, ContainerSummary> = {};
    for (const c of list) containers[c.id] = c;
    setState({ containers, containersLoaded: true, containersError: undefined });
  } catch (err) {
    setState({ containersLoaded: true, containersError: errorText(err) });
  } finally {
    listWaiters.delete(during);
  }
  if (during.length > 0) applyEngineEvents(during);
}

export async function loadImages(): Promise<void> {
  try {
    setState({ images: await bridge.invoke('images/list'), imagesLoaded: true, imagesError: undefined });
  } catch (err) {
    setState({ imagesLoaded: true, imagesError: errorText(err) });
  }
}

export async function loadVolumes(): Promise<void> {
  try {
    setState({ volumes: await bridge.invoke('volumes/list'), volumesLoaded: true, volumesError: undefined });
  } catch (err) {
    setState({ volumesLoaded: true, volumesError: errorText(err) });
  }
}

let volumesTimer: ReturnType<typeof setTimeout> | undefined;
/** Volume lists change with volume events and with containers coming and going (coalesced). */
function volumesSoon(): void {
  if (!getState().volumesLoaded) return;
  volumesTimer ??= setTimeout(() => {
    volumesTimer = undefined;
    void loadVolumes();
  }, 150);
}

const ACTION_STATE: Record<string, ContainerState> = {
  start: 'running',
  unpause: 'running',
  restart: 'running',
  pause: 'paused',
  die: 'exited',
  stop: 'exited',
};

let pendingIds = new Set<string>();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let imagesTimer: ReturnType<typeof setTimeout> | undefined;

/** Fetch fresh summaries for just the containers events touched (coalesced). */
function refreshSoon(id: string): void {
  pendingIds.add(id);
  refreshTimer ??= setTimeout(() => {
    refreshTimer = undefined;
    const ids = [...pendingIds];
    pendingIds = new Set();
    void bridge.invoke('containers/summaries', ids).then(
      (list) => {
        const seen = new Set(list.map((c) => c.id));
        setState((s) => {
          const containers = { ...s.containers };
          for (const c of list) containers[c.id] = c;
          // Gone between the event and the fetch.
          for (const id of ids)
            if (!seen.has(id) && containers[id]?.state === 'removing') delete containers[id];
          return { containers };
        });
      },
      () => {},
    );
  }, 60);
}

export function applyEngineEvents(events: EngineEvent[]): void {
  for (const w of listWaiters) w.push(...events);
  let imagesChanged = false;
  if (
    events.some((e) => e.type === 'volume' || (e.type === 'container' && /^(create|destroy)/.test(e.action)))
  )
    volumesSoon();
  setState((s) => {
    let containers = s.containers;
    let selected = s.selected;
    let detailId = s.detailId;
    for (const e of events) {
      if (e.type === 'image') {
        imagesChanged = true;
        continue;
      }
      if (e.type !== 'container' || !e.id) continue;
      const action = e.action.split(':')[0] ?? e.action;
      if (containers === s.containers) containers = { ...s.containers };
      if (action === 'destroy') {
        delete containers[e.id];
        if (selected[e.id]) {
          selected = { ...selected };
          delete selected[e.id];
        }
        if (detailId === e.id) detailId = undefined;
        imagesChanged = true;
        continue;
      }
      const cur = containers[e.id];
      const st = ACTION_STATE[action];
      if (cur && st) containers[e.id] = { ...cur, state: st };
      if (action === 'create') imagesChanged = true;
      if (
        ['create', 'start', 'die', 'stop', 'pause', 'unpause', 'restart', 'rename', 'update'].includes(action)
      ) {
        refreshSoon(e.id);
      }
    }
    return { containers, selected, detailId };
  });
  if (imagesChanged) {
    imagesTimer ??= setTimeout(() => {
      imagesTimer = undefined;
      void loadImages();
    }, 250);
  }
}

export type ContainerAction = 'start' | 'stop' | 'restart' | 'pause' | 'unpause' | 'remove';

export async function containerAction(ids: string[], action: ContainerAction): Promise<void> {
  setState((s) => {
    const busy = { ...s.busy };
    const rowErrors = { ...s.rowErrors };
    for (const id of ids) {
      busy[id] = action;
      delete rowErrors[id];
    }
    return { busy, rowErrors };
  });
  await Promise.all(
    ids.map(async (id) => {
      try {
        if (action === 'remove') await bridge.invoke('containers/remove', id, true);
        else await bridge.invoke(`containers/${action}`, id);
      } catch (err) {
        setState((s) => ({ rowErrors: { ...s.rowErrors, [id]: errorText(err) } }));
      } finally {
        setState((s) => {
          const busy = { ...s.busy };
          delete busy[id];
          return { busy };
        });
      }
    }),
  );
}

export function clearRowError(id: string): void {
  setState((s) => {
    const rowErrors = { ...s.rowErrors };
    delete rowErrors[id];
    return { rowErrors };
  });
}

export const setView = (view: View): void => setState({ view });
export const setSearch = (search: string): void => setState({ search });
export const setStateFilter = (stateFilter: StateFilter): void => setState({ stateFilter });
// A container's detail already in hand (Run returns it), shown by its view
// before its own inspect comes back.
const detailSeeds = new Map<string, ContainerDetail>();
export const peekDetailSeed = (id: string): ContainerDetail | undefined => detailSeeds.get(id);
export function takeDetailSeed(id: string): ContainerDetail | undefined {
  const d = detailSeeds.get(id);
  detailSeeds.delete(id);
  return d;
}

export function openDetail(id: string, tab: DetailTab = 'overview', seed?: ContainerDetail): void {
  if (seed) detailSeeds.set(id, seed);
  setState({ detailId: id, detailTab: tab, view: 'containers' });
}
export const closeDetail = (): void => setState({ detailId: undefined });
export const setDetailTab = (detailTab: DetailTab): void => setState({ detailTab });
export const openRun = (image = ''): void => setState({ runOpen: true, runImage: image });
export const closeRun = (): void => setState({ runOpen: false });

export function toggleSelected(id: string): void {
  setState((s) => {
    const selected = { ...s.selected };
    if (selected[id]) delete selected[id];
    else selected[id] = true;
    return { selected };
  });
}
export function setSelected(ids: string[]): void {
  const selected: Record<string, true> = {};
  for (const id of ids) selected[id] = true;
  setState({ selected });
}

/** The container list first (the first rows wait on it); images once it is in. */
function loadAll(): void {
  void loadContainers().then(loadImages);
  void loadHost();
}

let started = false;
/** Snapshot + event subscription; call once at startup. */
export function startSync(): () => void {
  if (started) return () => {};
  started = true;
  const offEvents = bridge.on('engine/events', applyEngineEvents);
  // Events may have been missed: reload, showing the current lists until then.
  const offResync = bridge.on('engine/resync', () => {
    void loadContainers();
    void loadImages();
    void loadHost();
    volumesSoon();
  });
  const offEp = bridge.on('endpoint/changed', () => {
    setState({
      containers: {},
      images: [],
      volumes: [],
      volumesLoaded: false,
      selected: {},
      detailId: undefined,
      containersLoaded: false,
    });
    loadAll();
  });
  loadAll();
  return () => {
    started = false;
    offEvents();
    offResync();
    offEp();
  };
}

export function selectedIds(): string[] {
  return Object.keys(getState().selected);
}

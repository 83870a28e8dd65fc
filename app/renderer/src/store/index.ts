// One zustand store built from slices (containers, images, system, ui).
// Actions live at module level (actions.ts) so the bridge's event stream can
// patch the store without hooks.
import { useStore as useZustandStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type {
  ContainerSummary,
  EndpointInfo,
  HostInfo,
  ImageSummary,
  VolumeSummary,
} from '../../../shared/ipc.js';

export type View = 'containers' | 'images' | 'volumes' | 'settings';
export type DetailTab =
  'overview' | 'logs' | 'terminal' | 'stats' | 'resources' | 'processes' | 'changes' | 'hood' | 'inspect';
export type StateFilter = 'all' | 'running' | 'stopped' | 'paused';

export interface ContainersSlice {
  containers: Record<string, ContainerSummary>;
  containersLoaded: boolean;
  containersError: string | undefined;
  /** Per-container action errors, shown on the row. */
  rowErrors: Record<string, string>;
  /** Containers with an action in flight. */
  busy: Record<string, string>;
}

export interface ImagesSlice {
  images: ImageSummary[];
  imagesLoaded: boolean;
  imagesError: string | undefined;
}

export interface VolumesSlice {
  volumes: VolumeSummary[];
  volumesLoaded: boolean;
  volumesError: string | undefined;
}

export interface SystemSlice {
  host: HostInfo | undefined;
  hostError: string | undefined;
  endpoints: EndpointInfo[];
}

export interface UiSlice {
  view: View;
  selected: Record<string, true>;
  detailId: string | undefined;
  detailTab: DetailTab;
  search: string;
  stateFilter: StateFilter;
  runOpen: boolean;
  runImage: string;
}

export type AppState = ContainersSlice & ImagesSlice & VolumesSlice & SystemSlice & UiSlice;

export const initialState: AppState = {
  containers: {},
  containersLoaded: false,
  containersError: undefined,
  rowErrors: {},
  busy: {},
  images: [],
  imagesLoaded: false,
  imagesError: undefined,
  volumes: [],
  volumesLoaded: false,
  volumesError: undefined,
  host: undefined,
  hostError: undefined,
  endpoints: [],
  view: 'containers',
  selected: {},
  detailId: undefined,
  detailTab: 'overview',
  search: '',
  stateFilter: 'all',
  runOpen: false,
  runImage: '',
};

const store = createStore<AppState>()(() => ({ ...initialState }));
// React reads a store's "server snapshot" when rendering on the server
// (ssr.tsx, from a store seeded for that render) and when hydrating (which
// the client never does: it renders with createRoot): the current state.
const api = { ...store, getInitialState: store.getState };

export function useStore<T>(selector: (s: AppState) => T): T {
  return useZustandStore(api, selector);
}
export const getState = store.getState;
export const setState = store.setState;

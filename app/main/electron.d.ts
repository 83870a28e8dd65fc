// Minimal typings for the parts of Electron the app uses. The `electron`
// npm package downloads its binary in a postinstall step, which cannot run
// where CI has no access to Electron's CDN, so it is not a dependency; these
// declarations follow Electron's own d.ts for the same APIs. When Electron
// is added as a dev dependency, delete this file.
declare module 'electron' {
  interface Event {
    preventDefault(): void;
  }
  interface IpcMainEvent extends Event {
    sender: WebContents;
    senderFrame: { url: string } | null;
    ports: MessagePortMain[];
  }
  interface IpcMainInvokeEvent extends Event {
    sender: WebContents;
    senderFrame: { url: string } | null;
  }
  interface MessagePortMain {
    on(event: 'message', listener: (e: { data: unknown }) => void): this;
    on(event: 'close', listener: () => void): this;
    postMessage(message: unknown): void;
    start(): void;
    close(): void;
  }
  interface WebContents {
    id: number;
    send(channel: string, ...args: unknown[]): void;
    postMessage(channel: string, message: unknown, transfer?: MessagePortMain[]): void;
    on(event: 'will-navigate' | 'will-redirect', listener: (e: Event, url: string) => void): this;
    on(event: 'will-attach-webview', listener: (e: Event) => void): this;
    on(
      event: 'did-start-navigation',
      listener: (e: Event, url: string, isInPlace: boolean, isMainFrame: boolean) => void,
    ): this;
    on(event: 'render-process-gone' | 'destroyed', listener: () => void): this;
    once(event: 'destroyed', listener: () => void): this;
    setWindowOpenHandler(handler: (d: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
    isDestroyed(): boolean;
  }
  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    nodeIntegrationInSubFrames?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    spellcheck?: boolean;
    webviewTag?: boolean;
  }
  interface BrowserWindowConstructorOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    show?: boolean;
    title?: string;
    backgroundColor?: string;
    icon?: string;
    webPreferences?: WebPreferences;
  }
  class BrowserWindow {
    constructor(options?: BrowserWindowConstructorOptions);
    webContents: WebContents;
    loadFile(path: string): Promise<void>;
    loadURL(url: string): Promise<void>;
    show(): void;
    focus(): void;
    isMinimized(): boolean;
    restore(): void;
    isDestroyed(): boolean;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'closed', listener: () => void): this;
    static getAllWindows(): BrowserWindow[];
  }
  class MessageChannelMain {
    port1: MessagePortMain;
    port2: MessagePortMain;
  }
  interface OnHeadersReceivedDetails {
    url: string;
    responseHeaders?: Record<string, string[]>;
  }
  interface Session {
    webRequest: {
      onHeadersReceived(
        listener: (
          details: OnHeadersReceivedDetails,
          callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
        ) => void,
      ): void;
    };
    setPermissionRequestHandler(
      handler: (wc: WebContents, permission: string, cb: (ok: boolean) => void) => void,
    ): void;
    setPermissionCheckHandler(handler: (wc: WebContents | null, permission: string) => boolean): void;
  }
  const session: { defaultSession: Session };
  const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'activate' | 'second-instance', listener: () => void): void;
    on(event: 'before-quit' | 'will-quit', listener: (e: Event) => void): void;
    on(event: 'web-contents-created', listener: (e: Event, contents: WebContents) => void): void;
    quit(): void;
    exit(code?: number): void;
    getPath(name: 'userData' | 'temp' | 'home'): string;
    getVersion(): string;
    requestSingleInstanceLock(): boolean;
    isPackaged: boolean;
  };
  const ipcMain: {
    handle(channel: string, listener: (e: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
    removeHandler(channel: string): void;
    on(channel: string, listener: (e: IpcMainEvent, ...args: unknown[]) => void): void;
    removeAllListeners(channel: string): void;
  };
  interface CustomScheme {
    scheme: string;
    privileges?: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean; corsEnabled?: boolean };
  }
  const protocol: {
    registerSchemesAsPrivileged(schemes: CustomScheme[]): void;
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  };
  const shell: { openExternal(url: string): Promise<void> };

  // Preload side.
  interface RendererMessagePort {
    onmessage: ((e: { data: unknown }) => void) | null;
    postMessage(message: unknown): void;
    start(): void;
    close(): void;
  }
  interface IpcRendererEvent {
    ports: RendererMessagePort[];
  }
  const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    send(channel: string, ...args: unknown[]): void;
    on(channel: string, listener: (e: IpcRendererEvent, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (e: IpcRendererEvent, ...args: unknown[]) => void): void;
  };
  const contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
}

// Electron adds this to the main process's `process`.
declare namespace NodeJS {
  interface Process {
    readonly resourcesPath?: string;
  }
}

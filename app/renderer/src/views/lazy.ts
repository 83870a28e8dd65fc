// Views loaded on demand, so the Containers list loads first. Each loader
// can be called early (e.g. when the Run dialog opens) to have the chunk
// ready by the time the view is shown; import() caches the module.
export const loadContainerDetailView = () => import('./ContainerDetailView.js');

export function preloadContainerDetailView(): void {
  void loadContainerDetailView().catch(() => {});
}

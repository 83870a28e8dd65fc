// Images: list with sizes, pull, tag, remove, history, and the Layers view
// (layer stack with diffID/chainID and which images share each layer).
import { useEffect, useState } from 'react';
import type { ImageHistoryItem, ImageLayers, ImageSummary } from '../../../shared/ipc.js';
import { bridge, errorText } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { openRun } from '../store/actions.js';
import { Icon } from '../components/Icon.js';
import { Empty, ErrorNote } from '../components/common.js';
import { ago, bytes, shortId } from '../lib/format.js';
import { PullPanel } from './PullPanel.js';

function LayersPanel({ img }: { img: ImageSummary }) {
  const [tab, setTab] = useState<'layers' | 'history'>('layers');
  const [layers, setLayers] = useState<ImageLayers>();
  const [hist, setHist] = useState<ImageHistoryItem[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setLayers(undefined);
    setHist(undefined);
    setError(undefined);
    bridge.invoke('images/layers', img.id).then(setLayers, (e: unknown) => setError(errorText(e)));
    bridge.invoke('images/history', img.id).then(setHist, () => {});
  }, [img.id]);
  return (
    <div className="side-panel" data-testid="layers-panel">
      <div className="segmented">
        <button className={tab === 'layers' ? 'on' : ''} onClick={() => setTab('layers')}>
          Layers
        </button>
        <button className={tab === 'history' ? 'on' : ''} onClick={() => setTab('history')}>
          History
        </button>
      </div>
      {error && <ErrorNote>{error}</ErrorNote>}
      {tab === 'layers' && layers && (
        <>
          <div className="muted">
            {layers.layers.length} layers, bottom first · used by {layers.containers.length} container
            {layers.containers.length === 1 ? '' : 's'}
          </div>
          <ol className="layer-stack">
            {layers.layers.map((l, i) => (
              <li key={l.chainId} className={l.sharedWith.length ? 'shared' : ''} data-testid="layer">
                <div className="layer-top">
                  <b>#{i}</b>
                  {l.size !== undefined && <span className="pill">{bytes(l.size)}</span>}
                  {l.sharedWith.length > 0 && (
                    <span className="pill on" data-testid="layer-shared">
                      shared with {l.sharedWith.join(', ')}
                    </span>
                  )}
                </div>
                {l.createdBy && <div className="mono small ellipsis">{l.createdBy}</div>}
                <div className="mono small">diffID {shortId(l.diffId)}</div>
                <div className="mono small">chainID {shortId(l.chainId)}</div>
              </li>
            ))}
          </ol>
        </>
      )}
      {tab === 'history' && hist && (
        <table className="table small">
          <tbody>
            {hist.map((h, i) => (
              <tr key={i}>
                <td className="mono ellipsis" title={h.createdBy}>
                  {h.createdBy || h.comment || '—'}
                </td>
                <td>{bytes(h.size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ImageRow({
  img,
  selected,
  onSelect,
}: {
  img: ImageSummary;
  selected: boolean;
  onSelect: () => void;
}) {
  const [error, setError] = useState<string>();
  const [tagging, setTagging] = useState(false);
  const [newTag, setNewTag] = useState('');
  const name = img.tags[0] ?? `<none> ${shortId(img.id)}`;
  const remove = () =>
    bridge
      .invoke('images/remove', img.tags[0] ?? img.id, false)
      .catch((e: unknown) => setError(errorText(e)));
  const tag = () => {
    const [repo, t] = (() => {
      const i = newTag.lastIndexOf(':');
      return i > newTag.lastIndexOf('/') && i > 0
        ? [newTag.slice(0, i), newTag.slice(i + 1)]
        : [newTag, 'latest'];
    })();
    bridge.invoke('images/tag', img.id, repo, t).then(
      () => {
        setTagging(false);
        setNewTag('');
      },
      (e: unknown) => setError(errorText(e)),
    );
  };
  return (
    <div
      className={`row image-row${selected ? ' selected' : ''}`}
      onClick={onSelect}
      data-testid="image-row"
      data-tags={img.tags.join(' ')}
    >
      <Icon name="layers" size={20} />
      <div className="row-main">
        <div className="row-title">{name}</div>
        <div className="row-sub">
          <span className="mono">{shortId(img.id)}</span>
          {img.tags.slice(1).map((t) => (
            <span className="pill" key={t}>
              {t}
            </span>
          ))}
          <span className="muted">{ago(img.created)}</span>
        </div>
        {tagging && (
          <div className="inline-form" onClick={(e) => e.stopPropagation()}>
            <input
              autoFocus
              placeholder="repo:tag"
              value={newTag}
              onChange={(e) => setNewTag(e.target.value)}
            />
            <button className="btn small primary" disabled={!newTag.trim()} onClick={tag}>
              Tag
            </button>
          </div>
        )}
        {error && (
          <div onClick={(e) => e.stopPropagation()}>
            <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>
          </div>
        )}
      </div>
      <div className="row-status">
        <b>{bytes(img.size)}</b>
        {img.sharedSize > 0 && <div className="muted small">{bytes(img.sharedSize)} shared</div>}
      </div>
      <div className="row-actions" onClick={(e) => e.stopPropagation()}>
        <button
          className="icon-btn"
          title="Run"
          aria-label="Run"
          onClick={() => openRun(img.tags[0] ?? img.id)}
        >
          <Icon name="play" />
        </button>
        <button className="icon-btn" title="Tag" aria-label="Tag" onClick={() => setTagging(!tagging)}>
          <Icon name="tag" />
        </button>
        <button className="icon-btn" title="Remove" aria-label="Remove" onClick={() => void remove()}>
          <Icon name="trash" />
        </button>
      </div>
    </div>
  );
}

export function ImagesView() {
  const images = useStore((s) => s.images);
  const loaded = useStore((s) => s.imagesLoaded);
  const error = useStore((s) => s.imagesError);
  const [sel, setSel] = useState<string>();
  const selected = images.find((i) => i.id === sel);
  const total = images.reduce((a, i) => a + i.size, 0);
  return (
    <section className="view">
      <header className="view-head">
        <div>
          <h1>Images</h1>
          <div className="muted">
            {images.length} images · {bytes(total)}
          </div>
        </div>
      </header>
      <PullPanel />
      {error && <ErrorNote>{error}</ErrorNote>}
      <div className="split">
        <div className="list plain" data-testid="image-list">
          {loaded && images.length === 0 && <Empty title="No images">Pull one above.</Empty>}
          {images.map((img) => (
            <ImageRow
              key={img.id}
              img={img}
              selected={img.id === sel}
              onSelect={() => setSel(img.id === sel ? undefined : img.id)}
            />
          ))}
        </div>
        {selected && <LayersPanel img={selected} />}
      </div>
    </section>
  );
}

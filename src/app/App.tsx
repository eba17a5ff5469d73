/** The studio: models on the left, the recipe in the middle, YAML and the run on the right. */
import { lazy, Suspense, useEffect } from 'react';
import { CurveEditor } from '../features/curves/CurveEditor.tsx';
import { HistoryMenu } from '../features/history/HistoryMenu.tsx';
import { ChosenModels } from '../features/model-picker/ChosenModels.tsx';
import { CompatibilityPanel } from '../features/model-picker/CompatibilityPanel.tsx';
import { HubSettings } from '../features/model-picker/HubSettings.tsx';
import { LocalFolderPicker } from '../features/model-picker/LocalFolderPicker.tsx';
import { ModelSearch } from '../features/model-picker/ModelSearch.tsx';
import { MethodPicker } from '../features/recipe/MethodPicker.tsx';
import { ParamControls } from '../features/recipe/ParamControls.tsx';
import { YamlPanel } from '../features/recipe/YamlPanel.tsx';
import { RunPanel } from '../features/run/RunPanel.tsx';
import { SlicesEditor } from '../features/slices/SlicesEditor.tsx';
import { Providers } from './providers.tsx';
import { shareUrl, startUrlSync } from './url-state.ts';

// Below the fold and heavy (d3 views, the evaluation engine): loaded after the studio itself.
const VisualizePanel = lazy(() =>
  import('../features/visualize/VisualizePanel.tsx').then((m) => ({ default: m.VisualizePanel })),
);
const PreviewPanel = lazy(() =>
  import('../features/preview/PreviewPanel.tsx').then((m) => ({ default: m.PreviewPanel })),
);

export function App() {
  useEffect(() => startUrlSync(), []);
  return (
    <Providers>
      <header className="app-header">
        <h1>Merge Studio</h1>
        <p className="tagline">
          Merge language models in your browser: mergekit’s methods and numbers, no server.
        </p>
        <HistoryMenu shareUrl={shareUrl} />
      </header>
      <main className="studio">
        <section className="column models" aria-labelledby="models-title">
          <h2 id="models-title">Models</h2>
          <HubSettings />
          <ModelSearch />
          <LocalFolderPicker />
          <h3>In the merge</h3>
          <ChosenModels />
          <CompatibilityPanel />
        </section>
        <section className="column recipe" aria-labelledby="recipe-title">
          <h2 id="recipe-title">Recipe</h2>
          <MethodPicker />
          <ParamControls />
          <CurveEditor />
          <SlicesEditor />
        </section>
        <section className="column output">
          <YamlPanel />
          <RunPanel />
        </section>
      </main>
      <Suspense fallback={<p className="muted wide-panel">Loading the teaching and preview views…</p>}>
        <VisualizePanel />
        <PreviewPanel />
      </Suspense>
    </Providers>
  );
}

/**
 * The studio: models on the left, the recipe in the middle, YAML and the run on the right. The
 * mode switch shows the mixture-of-experts builder (features/moe), the LoRA extractor
 * (features/lora), the tokenizer transplant (features/tokensurgeon) or the filling of a bigger
 * model from a merged part (features/fill-missing) in the middle and right columns instead;
 * the merge's panels stay mounted, hidden, so nothing of them is lost.
 */
import { lazy, Suspense, useEffect, useId, type ReactNode } from 'react';
import { CurveEditor } from '../features/curves/CurveEditor.tsx';
import { FillForm } from '../features/fill-missing/FillForm.tsx';
import { FillResumeBanner } from '../features/fill-missing/FillResumeBanner.tsx';
import { FillRunPanel } from '../features/fill-missing/FillRunPanel.tsx';
import { HistoryMenu } from '../features/history/HistoryMenu.tsx';
import { StorageMenu } from '../features/storage/StorageMenu.tsx';
import { ChosenModels } from '../features/model-picker/ChosenModels.tsx';
import { CompatibilityPanel } from '../features/model-picker/CompatibilityPanel.tsx';
import { HubSettings } from '../features/model-picker/HubSettings.tsx';
import { LocalFolderPicker } from '../features/model-picker/LocalFolderPicker.tsx';
import { LoraForm } from '../features/lora/LoraForm.tsx';
import { LoraResumeBanner } from '../features/lora/LoraResumeBanner.tsx';
import { LoraRunPanel } from '../features/lora/LoraRunPanel.tsx';
import { ModelSearch } from '../features/model-picker/ModelSearch.tsx';
import { MoeBuildPanel } from '../features/moe/MoeBuildPanel.tsx';
import { MoeForm } from '../features/moe/MoeForm.tsx';
import { MoeResumeBanner } from '../features/moe/MoeResumeBanner.tsx';
import { MoeYamlPanel } from '../features/moe/MoeYamlPanel.tsx';
import { MethodPicker } from '../features/recipe/MethodPicker.tsx';
import { ParamControls } from '../features/recipe/ParamControls.tsx';
import { YamlPanel } from '../features/recipe/YamlPanel.tsx';
import { RunPanel } from '../features/run/RunPanel.tsx';
import { SlicesEditor } from '../features/slices/SlicesEditor.tsx';
import { SurgeryForm } from '../features/tokensurgeon/SurgeryForm.tsx';
import { SurgeryResumeBanner } from '../features/tokensurgeon/SurgeryResumeBanner.tsx';
import { SurgeryRunPanel } from '../features/tokensurgeon/SurgeryRunPanel.tsx';
import { useStudio } from '../stores/store.ts';
import { ModeSwitch } from './ModeSwitch.tsx';
import { Providers } from './providers.tsx';
import {
  fillShareUrl,
  loraShareUrl,
  moeShareUrl,
  shareUrl,
  startUrlSync,
  surgeryShareUrl,
} from './url-state.ts';

const SHARE_LINKS = {
  merge: shareUrl,
  moe: moeShareUrl,
  lora: loraShareUrl,
  tokensurgeon: surgeryShareUrl,
  fill: fillShareUrl,
} as const;

// Below the fold and heavy (d3 views, the evaluation engine): loaded after the studio itself.
const VisualizePanel = lazy(() =>
  import('../features/visualize/VisualizePanel.tsx').then((m) => ({ default: m.VisualizePanel })),
);
const PreviewPanel = lazy(() =>
  import('../features/preview/PreviewPanel.tsx').then((m) => ({ default: m.PreviewPanel })),
);

/** Another tool's two columns, in place of the recipe and the run: its form, then its run. */
function ToolColumns(p: { readonly title: string; readonly form: ReactNode; readonly run: ReactNode }) {
  const id = useId();
  return (
    <>
      <section className="column recipe" aria-labelledby={id}>
        <h2 id={id}>{p.title}</h2>
        {p.form}
      </section>
      <section className="column output">{p.run}</section>
    </>
  );
}

export function App() {
  useEffect(() => startUrlSync(), []);
  const mode = useStudio((s) => s.studioMode);
  const moe = mode === 'moe';
  const merge = mode === 'merge';
  return (
    <Providers>
      <header className="app-header">
        <h1>Merge Studio</h1>
        <p className="tagline">
          Merge language models in your browser: mergekit’s methods and numbers, no server.
        </p>
        <HistoryMenu links={SHARE_LINKS} />
        <StorageMenu />
        <ModeSwitch />
      </header>
      {/* Offered in every mode: a reload opens the tool the page’s link names. */}
      <MoeResumeBanner />
      <LoraResumeBanner />
      <SurgeryResumeBanner />
      <FillResumeBanner />
      <main className="studio">
        <section className="column models" aria-labelledby="models-title">
          <h2 id="models-title">Models</h2>
          <HubSettings />
          <ModelSearch />
          <LocalFolderPicker />
          <h3>{merge ? 'In the merge' : 'Chosen models'}</h3>
          <ChosenModels />
          {/* It compares with the merge's base and speaks of the merge; the other tools' plans check their models. */}
          {merge && <CompatibilityPanel />}
        </section>
        <section className="column recipe" aria-labelledby="recipe-title" hidden={!merge}>
          <h2 id="recipe-title">Recipe</h2>
          <MethodPicker />
          <ParamControls />
          <CurveEditor />
          <SlicesEditor />
        </section>
        <section className="column output" hidden={!merge}>
          <YamlPanel />
          <RunPanel />
        </section>
        {moe && (
          <ToolColumns
            title="Mixture of experts"
            form={<MoeForm />}
            run={
              <>
                <MoeYamlPanel />
                <MoeBuildPanel />
              </>
            }
          />
        )}
        {mode === 'tokensurgeon' && (
          <ToolColumns title="Transplant tokenizer" form={<SurgeryForm />} run={<SurgeryRunPanel />} />
        )}
        {mode === 'lora' && <ToolColumns title="Extract LoRA" form={<LoraForm />} run={<LoraRunPanel />} />}
        {mode === 'fill' && (
          <ToolColumns title="Fill a bigger model" form={<FillForm />} run={<FillRunPanel />} />
        )}
      </main>
      <div hidden={!merge}>
        <Suspense fallback={<p className="muted wide-panel">Loading the teaching and preview views…</p>}>
          <VisualizePanel />
          <PreviewPanel />
        </Suspense>
      </div>
    </Providers>
  );
}

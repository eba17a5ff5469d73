/**
 * Running and resuming a recorded job from the page, the same for each tool (a merge, a MoE
 * build, a LoRA extraction): only the tool's store actions, how its worker job starts, and how
 * a resumed job fills its form differ.
 *
 * A job is recorded in IndexedDB (engine/job-db.ts) once its folder is chosen, holds its Web
 * Lock while it runs (engine/job-lock.ts: other tabs do not offer it for resuming, and a resume
 * clicked in two tabs runs in one), and its record says done, failed or cancelled when it ends.
 * A job interrupted by a closed tab or a crash is resumed into the same target: the engine's
 * own state in the output folder decides what is already done. The token is never recorded: a
 * resumed job gets this tab's only for the hub it was given for (./resume-hub.ts).
 */
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { saveJob, updateJob, type AnyJobRecord } from '../engine/job-db.ts';
import { holdJobLock } from '../engine/job-lock.ts';
import { beginJob, mayWriteAgain } from '../engine/job-start.ts';
import { MergeCancelledError, type MergeHandle } from '../engine/merge-client.ts';
import { resumeHub } from './resume-hub.ts';

/** A tool's run as its store shows it. */
export interface JobView<Request, Result> {
  /**
   * `savedTo`: "the folder “x”" or browser storage; `savedFolder`: the OPFS folder, for
   * downloads; `target` itself, for publishing the result.
   */
  started(request: Request, savedTo: string, savedFolder: string | undefined, target: SaveTarget): void;
  log(line: string): void;
  finished(result: Result): void;
  failed(message: string, cancelled: boolean): void;
  cancelling(): void;
}

export interface RecordedJobs<J extends AnyJobRecord> {
  /** Records the job and runs it (its target was chosen in the user's click). */
  start(job: J): Promise<void>;
  cancel(): void;
  /** Resumes an interrupted job (call from a click: a picked folder may need permission again). */
  resume(job: J): Promise<void>;
}

function describeTarget(t: SaveTarget): string {
  return t.kind === 'directory'
    ? `the folder “${t.handle.name}”`
    : 'browser storage (download the files below)';
}

export function recordedJobs<J extends AnyJobRecord, Result>(tool: {
  /** What the messages call a job: "merge", "build", "extraction". */
  readonly what: string;
  /** The tool's store actions (read when called: the store's state changes). */
  readonly view: () => JobView<J['request'], Result>;
  /** Starts the job in a worker; progress and log lines go to the store. */
  readonly run: (request: J['request'], target: SaveTarget) => MergeHandle<Result>;
  /** Shows a resumed job in its tool (mode, form, output name). */
  readonly show: (request: J['request']) => void;
  /** This tab's hub and token. */
  readonly hub: () => { readonly url: string; readonly token: string };
}): RecordedJobs<J> {
  let current: MergeHandle<Result> | undefined;

  /** Runs the job, whose lock the caller took (`release`: undefined without Web Locks). */
  async function run(
    job: J,
    request: J['request'],
    release: (() => void) | undefined,
    note?: string,
  ): Promise<void> {
    const { target } = job;
    tool.view().started(request, describeTarget(target), target.kind === 'opfs' ? target.folder : undefined, target); // prettier-ignore
    if (note) tool.view().log(note);
    try {
      current = tool.run(request, target);
      tool.view().finished(await current.result);
      await updateJob(job.id, 'done').catch(() => undefined);
    } catch (e) {
      const cancelled = e instanceof MergeCancelledError;
      tool.view().failed((e as Error).message, cancelled);
      await updateJob(job.id, cancelled ? 'cancelled' : 'failed', (e as Error).message).catch(() => undefined); // prettier-ignore
    } finally {
      current = undefined;
      release?.();
    }
  }

  return {
    start: async (job) => run(job, job.request, await beginJob(job)),
    cancel() {
      if (!current) return;
      tool.view().cancelling();
      current.cancel();
    },
    async resume(job) {
      if (!(await mayWriteAgain(job.target))) {
        tool.view().failed('Permission to write to the output folder was not given.', false);
        return;
      }
      // The banner offers only jobs no tab runs, but another tab may have resumed this one since.
      const lock = await holdJobLock(job.id);
      if (lock === 'taken') {
        tool.view().failed(`This ${tool.what} is already running in another tab.`, false);
        return;
      }
      let request: J['request'];
      let note: string | undefined;
      try {
        tool.show(job.request);
        const here = tool.hub();
        const resumed = resumeHub(job.request.sources.hub, here.url, here.token, tool.what);
        note = resumed.note;
        request = {
          ...job.request,
          sources: { ...job.request.sources, ...(resumed.hub && { hub: resumed.hub }) },
        };
        await saveJob({ ...job, status: 'running', updatedAt: Date.now() }).catch(() => undefined);
      } catch (e) {
        lock?.(); // run() below lets go of it from here on; before it, a failure must too
        throw e;
      }
      await run(job, request, lock, note);
    },
  };
}

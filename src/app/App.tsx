/** The studio shell. For now: what the studio is and the methods the engine offers. */
import { METHODS } from '../../workers/methods/registry.ts';

export function App() {
  return (
    <main className="shell">
      <header>
        <h1>Merge Studio</h1>
        <p>
          Merge language models in your browser: mergekit’s methods and numbers, no server, no GPU needed.
        </p>
      </header>
      <section aria-labelledby="methods-title">
        <h2 id="methods-title">Merge methods</h2>
        <ul className="methods">
          {METHODS.map((m) => (
            <li key={m.name}>
              <strong>{m.prettyName}</strong> <code>{m.name}</code>
              <p>{m.description}</p>
              {m.paper && (
                <a href={m.paper.url} target="_blank" rel="noreferrer">
                  {m.paper.title}
                </a>
              )}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}

/**
 * The layering of agent/ (docs/architecture.md), checked by `npm run lint`.
 * A module may import its own folder and the layers below its own, never a
 * layer above nor a sibling in its own layer (unless listed in ALSO_ALLOWED),
 * so dependencies point one way and no folder-level cycle can form.
 */
const LAYERS = [
  // Shared types and constants: imports nothing of ours.
  ['core'],
  ['util', 'errors', 'log', 'version'],
  ['config', 'lifecycle'],
  // tracking and analytics are pure: core's types in, core's scene types out.
  ['metrics', 'queue', 'model-tools', 'tracking', 'analytics'],
  // The three stages meet only through core's ports; the composition root wires them.
  ['capture', 'inference', 'pipeline'],
  ['health', 'mqtt', 'preview', 'http', 'systemd'],
];

/** Sibling imports inside a layer that are part of the design. */
const ALSO_ALLOWED = {
  // The preview mounts its page and WebSocket on the HTTP server.
  preview: ['http'],
};

/** Lower-layer imports that are not: the dispatcher sees metrics only through the callbacks the root gives it. */
const ALSO_FORBIDDEN = {
  pipeline: ['metrics'],
};

/** The composition root (agent.ts, its per-camera wiring, and main.ts, the CLI): may import everything, imported by nobody else in agent/. */
const ROOT = ['agent', 'camera-pipeline', 'main'];

const FILES = new Set(['errors', 'log', 'version', ...ROOT]);

/** agent/<name>/ for a folder, agent/<name>.ts for a single-file module. */
const modulePath = (names) => `^agent/(${names.map((n) => (FILES.has(n) ? `${n}\\.ts$` : `${n}/`)).join('|')})`;

const layerRules = LAYERS.flatMap((layer, index) =>
  layer.map((name) => {
    const below = LAYERS.slice(0, index).flat();
    const allowed = [name, ...below.filter((n) => !(ALSO_FORBIDDEN[name] ?? []).includes(n)), ...(ALSO_ALLOWED[name] ?? [])];
    const forbidden = LAYERS.flat().filter((n) => !allowed.includes(n));
    return {
      name: `layer-${name}`,
      severity: 'error',
      comment: `agent/${name} may import only ${allowed.join(', ')} (docs/architecture.md)`,
      from: { path: modulePath([name]) },
      to: { path: modulePath(forbidden) },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module cycle: one of them has to give way (move the shared part down, or pass it in from the root)',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'root-imported-by-nobody',
      severity: 'error',
      comment: 'agent.ts is the composition root: only main.ts starts it (bench/ and test/ may, from outside agent/)',
      from: { path: '^agent/', pathNot: modulePath(ROOT) },
      to: { path: modulePath(ROOT) },
    },
    {
      name: 'every-module-in-a-layer',
      severity: 'error',
      comment: 'A new folder in agent/ needs its place in LAYERS (.dependency-cruiser.cjs) and docs/architecture.md',
      from: { path: '^agent/', pathNot: modulePath([...LAYERS.flat(), ...ROOT]) },
      to: {},
    },
    {
      name: 'agent-self-contained',
      severity: 'error',
      comment: 'agent/ is what ships to devices: it never imports the benchmark, the tools or the tests',
      from: { path: '^agent/' },
      to: { path: '^(bench|tools|test)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing would slip past every rule above',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type is as much a dependency as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};

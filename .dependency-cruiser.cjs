/**
 * Architecture rules, checked by `npm run lint` (npm run lint:architecture, scripts/check-architecture.mjs). See docs/architecture.md.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'engine-is-a-library',
      comment:
        'The quantum engine (src/quantum) knows circuits, not the application: it imports nothing from the rest of src/, and no Nest, MikroORM, pg or socket.io.',
      severity: 'error',
      from: { path: '^src/quantum/' },
      to: {
        pathNot: ['^src/quantum/', '^node_modules/', '^node:'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'engine-without-frameworks',
      comment: 'The engine runs without Nest, an ORM, a database driver or sockets.',
      severity: 'error',
      from: { path: '^src/quantum/' },
      to: { path: '^node_modules/(@nestjs|@mikro-orm|pg|pg-boss|socket\\.io|express)/' },
    },
    {
      name: 'engine-through-its-index',
      comment: 'The application uses the engine only through src/quantum/index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/quantum/' },
      to: { path: '^src/quantum/', pathNot: '^src/quantum/index\\.ts$' },
    },
    {
      name: 'no-circular-across-folders',
      comment:
        'No import cycle that leaves a folder: modules depend one way (see docs/architecture.md). Entities of one folder may refer to each other.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^src/$1/' },
    },
    {
      name: 'no-orphans',
      comment: 'A source file nobody imports is dead code (entry points, specs and migrations excepted).',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '\\.spec\\.ts$',
          '\\.d\\.ts$',
          '^src/(main|worker)\\.ts$',
          '^src/database/migrations/',
          '^src/quantum/simulator/simulator\\.worker\\.ts$',
          '^src/quantum/simulator/testing/quantum-circuit-oracle\\.ts$',
        ],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};

// Turns jose's ES modules into CommonJS for Jest with TypeScript's transpiler and standard class
// fields. (ts-jest shares one tsconfig per project, and ours keeps legacy field semantics for
// decorators, which would move jose's field initializers in front of super().)
const ts = require('typescript');

module.exports = {
  process(source, filename) {
    const { outputText } = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        useDefineForClassFields: true,
        allowJs: true,
      },
    });
    return { code: outputText };
  },
};

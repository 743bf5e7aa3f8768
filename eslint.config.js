import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'dist-bench/**', 'coverage/**', '.tap/**', 'node_modules/**'] }),
  {
    rules: {
      // TypeBox's idiom names a schema and its Static<> type alike (`const Entry` / `type Entry`).
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]

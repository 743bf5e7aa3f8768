// Answers as text for a terminal: labels in one column, values wrapped beside them.
import { test } from 'tap'
import { classify } from '../../src/engine/classify.js'
import { renderClassification } from '../../src/engine/text.js'
import { bundledCatalog } from '../helper.js'

test('a template capture whose name fills the label column stands on its own line, its value aligned below', async (t) => {
  const catalog = await bundledCatalog()
  const result = classify({
    status: 429,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-01 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second.' } })
  }, catalog)
  t.equal(result.params.api_version, '2024-02-01')
  const lines = renderClassification(result).split('\n')
  const at = lines.findIndex((line) => line.trim() === '{api_version}')
  t.not(at, -1, 'the label alone')
  const labelColumn = lines.find((line) => line.trimStart().startsWith('HTTP status'))?.indexOf('429')
  t.equal(lines[at + 1]?.indexOf('2024-02-01'), labelColumn, 'the value in the value column')
  t.ok(lines.some((line) => /^ {2}\{tier\} {7}OpenAI S0$/.test(line)), 'a shorter label keeps its value beside it')
})

// Shutting down under gateways that pool their connections: a pooled
// connection reused while errcat drains gets a real answer that closes it,
// not a reset.
import { test } from 'tap'
import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from '../helper.js'
import { shutdown } from '../../src/ops/lifecycle.js'

interface Answer { status: number, connection: string | undefined }

function get (agent: Agent, port: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')))
    req.on('error', reject)
    req.end()
  })
}

test('pooled keep-alive connections reused during the drain get their answer and Connection: close, never a reset', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const clients = Array.from({ length: 50 }, () => new Agent({ keepAlive: true, maxSockets: 1 }))
  t.teardown(() => { for (const agent of clients) agent.destroy() })

  const warm = await Promise.all(clients.map((agent) => get(agent, port)))
  t.ok(warm.every((answer) => answer.status === 200 && answer.connection === 'keep-alive'), 'each client holds a pooled connection')

  const draining = shutdown(app)
  t.equal(app.lifecycle.draining, true, 'draining from the first instant')
  // Every client reuses its pooled connection while errcat drains.
  const settled = await Promise.allSettled(clients.map((agent) => get(agent, port)))
  const failures = settled.flatMap((result) => result.status === 'rejected' ? [String((result.reason as NodeJS.ErrnoException).code ?? result.reason)] : [])
  t.same(failures, [], 'no client met a reset or a closed socket')
  t.ok(settled.every((result) => result.status === 'fulfilled' && result.value.status === 200 && result.value.connection === 'close'),
    'each got its answer, with Connection: close')
  await draining
  t.equal(app.server.listening, false, 'then errcat stops listening')
})

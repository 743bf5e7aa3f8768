// Back-pressure per connection: a client that pipelines requests and never
// reads the answers is closed; one that reads gets every answer.
import { test } from 'tap'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { build } from '../helper.js'
import { PIPELINE_LIMIT } from '../../src/ops/pipelining.js'

const HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: errcat\r\n\r\n'

function open (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.on('error', reject)
  })
}

test('a connection that pipelines thousands of requests and reads no answer is closed; others are served', async (t) => {
  const { app, logs } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const flood = await open(port)
  t.teardown(() => { flood.destroy() })
  flood.on('error', () => {})
  const closed = new Promise<void>((resolve) => flood.on('close', () => resolve()))
  flood.pause()
  flood.write(HEALTHZ.repeat(20_000))
  let timer: NodeJS.Timeout | undefined
  const gaveUp = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still open after 30 s'), 30_000) })
  t.equal(await Promise.race([closed.then(() => 'closed'), gaveUp]), 'closed', 'errcat closed the connection')
  clearTimeout(timer)
  t.equal(logs.filter((line) => line.msg === 'closing a connection whose client does not read its answers').length, 1, 'one warning for it')
  const res = await fetch(`http://127.0.0.1:${port}/codes/scope_insufficient`)
  t.equal(res.status, 200, 'another client is answered')
  await res.arrayBuffer()
})

test('a client that pipelines a burst within the bound and reads gets every answer, in order', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const socket = await open(port)
  t.teardown(() => { socket.destroy() })
  const burst = Math.min(PIPELINE_LIMIT, 50)
  let received = ''
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += String(chunk)
      if ((received.match(/HTTP\/1\.1 200 OK/g) ?? []).length === burst) resolve()
    })
  })
  socket.write(HEALTHZ.repeat(burst))
  await answered
  t.equal((received.match(/HTTP\/1\.1 200 OK/g) ?? []).length, burst, `${burst} answers`)
  t.notOk(socket.destroyed, 'the connection stays open')
})

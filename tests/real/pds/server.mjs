// The reference Bluesky PDS for asyncmedia's tests/real, on 127.0.0.1 only.
//
// Run by tests/real/conftest.py with the Node 22 that install.sh put in the cache folder (this
// file is copied there, beside node_modules, so that its imports resolve).  It starts
// @atproto/dev-env's TestNetworkNoAppView (an in-memory PLC directory plus @atproto/pds on
// sqlite), creates one account, prints ONE line of JSON on stdout:
//
//   {"ready": true, "url": "http://127.0.0.1:PORT", "handle", "password", "did", "email",
//    "jwtSecret", "expiredAccessJwt", "versions": {...}}
//
// and stays up until its stdin closes or it gets SIGTERM/SIGINT.  Everything else goes to
// stderr.  Nothing may leave the machine: every listen() is forced onto 127.0.0.1, every name
// lookup other than localhost fails (and is reported on stderr), and the app view, moderation,
// report and CDN URLs point at a closed loopback port.

import dns from 'node:dns'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const LOOPBACK = '127.0.0.1'
// Port 1 (tcpmux) is privileged and unused: connecting to it is refused at once.
const CLOSED = `http://${LOOPBACK}:1`

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(`server.mjs needs Node 22 or newer (the atproto packages do); this is ${process.version}`)
  process.exit(2)
}

// -- nothing leaves 127.0.0.1 ----------------------------------------------------------------

const isLoopbackName = (host) =>
  host === 'localhost' || host === LOOPBACK || host === '::1' || /^127\./.test(host)

const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function listen(...args) {
  const first = args[0]
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.path === undefined) {
      if (first.host !== undefined && !isLoopbackName(first.host)) {
        throw new Error(`refusing to listen on ${first.host}: loopback only`)
      }
      args[0] = { ...first, host: LOOPBACK }
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') {
      if (!isLoopbackName(args[1])) throw new Error(`refusing to listen on ${args[1]}: loopback only`)
      args[1] = LOOPBACK
    } else {
      args.splice(1, 0, LOOPBACK)
    }
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, LOOPBACK)
  }
  return origListen.apply(this, args)
}

dns.setDefaultResultOrder('ipv4first')
const blocked = (hostname) => {
  const err = new Error(`getaddrinfo ENOTFOUND ${hostname} (asyncmedia tests/real: outside names are blocked)`)
  err.code = 'ENOTFOUND'
  err.hostname = hostname
  console.error(`[server.mjs] blocked a name lookup: ${hostname}`)
  return err
}
const origLookup = dns.lookup
dns.lookup = function lookup(hostname, options, callback) {
  if (!isLoopbackName(hostname)) {
    const cb = typeof options === 'function' ? options : callback
    process.nextTick(() => cb(blocked(hostname)))
    return {}
  }
  return origLookup.call(this, hostname, options, callback)
}
const origPromiseLookup = dns.promises.lookup
dns.promises.lookup = async function lookup(hostname, options) {
  if (!isLoopbackName(hostname)) throw blocked(hostname)
  return origPromiseLookup.call(this, hostname, options)
}

// -- the network ------------------------------------------------------------------------------

const modules = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules')
const versionOf = (name) =>
  JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version
const { TestNetworkNoAppView, JWT_SECRET } = await import('@atproto/dev-env')
const { createSecretKeyObject } = await import('@atproto/pds')
const jose = await import('jose')

// The fixture gives a folder of its own (ASYNCMEDIA_PDS_DATA) and removes it; else a temporary
// one, removed on shutdown.
const ownData = !process.env.ASYNCMEDIA_PDS_DATA
const dataRoot = ownData
  ? fs.mkdtempSync(path.join(os.tmpdir(), 'asyncmedia-pds-'))
  : process.env.ASYNCMEDIA_PDS_DATA
fs.mkdirSync(path.join(dataRoot, 'data'), { recursive: true })
const network = await TestNetworkNoAppView.create({
  pds: {
    dataDirectory: path.join(dataRoot, 'data'),
    blobstoreDiskLocation: path.join(dataRoot, 'blobs'),
    bskyAppViewUrl: CLOSED,
    bskyAppViewCdnUrlPattern: `${CLOSED}/%s/%s/%s`,
    modServiceUrl: CLOSED,
    reportServiceUrl: CLOSED,
    reportServiceDid: 'did:example:invalid',
    crawlers: [],
  },
})

let closing = null
const shutdown = (why) => {
  if (closing) return closing
  console.error(`[server.mjs] shutting down (${why})`)
  closing = network
    .close()
    .catch((err) => console.error('[server.mjs] close failed:', err))
    .finally(() => {
      if (ownData) fs.rmSync(dataRoot, { recursive: true, force: true })
      process.exit(0)
    })
  return closing
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
process.stdin.on('end', () => shutdown('stdin closed'))
process.stdin.on('error', () => shutdown('stdin error'))
process.stdin.resume()

const url = `http://${LOOPBACK}:${network.pds.port}`
const handle = 'alice.test'
const password = 'alice-pass-' + Math.random().toString(36).slice(2)
const email = 'alice@example.test'
const created = await fetch(`${url}/xrpc/com.atproto.server.createAccount`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ handle, email, password }),
})
const account = await created.json()
if (!created.ok) {
  console.error('[server.mjs] createAccount failed:', created.status, account)
  await shutdown('createAccount failed')
}

// An access token the PDS itself would have issued two hours ago: same claims and key as
// createAccessToken (@atproto/pds account-manager/helpers/auth.js), exp in the past.
const now = Math.floor(Date.now() / 1000)
const expiredAccessJwt = await new jose.SignJWT({ scope: 'com.atproto.access' })
  .setProtectedHeader({ typ: 'at+jwt', alg: 'HS256' })
  .setAudience(network.pds.ctx.cfg.service.did)
  .setSubject(account.did)
  .setIssuedAt(now - 7200 - 60)
  .setExpirationTime(now - 60)
  .sign(createSecretKeyObject(JWT_SECRET))

process.stdout.write(
  JSON.stringify({
    ready: true,
    url,
    plcUrl: network.plc.url,
    handle: account.handle,
    did: account.did,
    email,
    password,
    jwtSecret: JWT_SECRET,
    serviceDid: network.pds.ctx.cfg.service.did,
    blobUploadLimit: network.pds.ctx.cfg.service.blobUploadLimit,
    expiredAccessJwt,
    versions: {
      node: process.versions.node,
      '@atproto/pds': versionOf('@atproto/pds'),
      '@atproto/dev-env': versionOf('@atproto/dev-env'),
      'better-sqlite3': versionOf('better-sqlite3'),
    },
  }) + '\n',
)

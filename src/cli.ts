#!/usr/bin/env node
// The errcat command (package.json "bin"): src/cli/run.ts with this process's
// streams. A running `errcat serve` keeps the process alive after run returns.
import { run } from './cli/run.js'

process.exitCode = await run(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })

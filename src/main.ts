// The process entry point (`npm start`, the container image).
import { serve } from './ops/serve.js'

await serve()

// The process entry point (`npm start`, the Docker image): see src/serve.ts.
import { serve } from './serve.js'

await serve()

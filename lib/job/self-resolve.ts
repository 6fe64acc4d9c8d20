// A module resolve hook (node:module register), for jobs that import 'mrstream' from where Node
// cannot find the package: a Hadoop task's directory holds only the job file (-files), while
// mrstream is installed globally. The package the job gets then is the running mrstream.
// Registered only for a job whose source names 'mrstream' (job.ts).

interface ResolveResult { url: string, shortCircuit?: boolean }
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>

let self = ''

export function initialize (data: { url: string }): void {
  self = data.url
}

export async function resolve (specifier: string, context: unknown, next: NextResolve): Promise<ResolveResult> {
  if (specifier !== 'mrstream') return next(specifier, context)
  try {
    return await next(specifier, context) // an installation of its own, where the job is, comes first
  } catch {
    return { url: self, shortCircuit: true }
  }
}

// Package diagnose walks the traffic paths of a snapshot layer by layer —
// Ingress → Service → Endpoints → Pod → Container, with exposure, network
// policy, node and DNS beside them — and names the first broken layer of each
// path with the symptom, the cause and its evidence, a fix and a verify
// command.
//
// Checks (package checks) each look at one concern and report Findings; the
// Engine runs them once over the snapshot, then walks every entry point and
// decides, per path, which finding is the root cause and which layers above it
// are only affected.
package diagnose

// Package report turns a diagnosis (*diagnose.Result) into what people and
// machines read: a layered text tree for a terminal, the JSON contract, SARIF
// 2.1.0 for code scanning, Markdown for an incident ticket and one
// self-contained HTML page that draws every traced path.
//
// Every renderer answers the on-call question in the same order: which
// paths are broken and at which layer (with the root cause, its evidence, a
// fix and a verify command), then what else was found, then what is healthy.
// Renderers are pure functions of the Result and Options; they never read
// the cluster, the clock or the environment, so golden files pin them.
//
//	res, _ := diagnose.Engine{Checks: checks.All()}.Run(snap, diagnose.Options{})
//	err := report.Render(os.Stdout, "text", res, report.Options{Color: true})
package report

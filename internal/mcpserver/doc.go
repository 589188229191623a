// Package mcpserver serves hopscope's diagnosis to AI assistants as Model
// Context Protocol tools, built on the official Go SDK
// (github.com/modelcontextprotocol/go-sdk).
//
// The tools are diagnose (every path of a namespace or of the whole input),
// trace (named entry points), explain_check, list_checks, list_labs and
// show_lab. Every one of them only reads (manifests and dumps, the embedded
// catalogs, or a cluster through the LIST requests of pkg/source) and is
// annotated read-only. diagnose and trace answer with the JSON of
// `hopscope diagnose -o json`, after the same output boundary
// (pkg/safetext), and re-read their source on every call, so an assistant
// sees the effect of a fix it just suggested.
//
// Every reply keeps to a budget (about 4,000 tokens by default, estimated as
// bytes/4 of its JSON): a reply says which part of the answer it holds, what
// it left out and why, and how to get the rest (a cursor, or a narrower
// query). An assistant gets the first broken layer with its evidence and fix
// in a few hundred tokens instead of a dump of raw objects.
//
//	srv, err := mcpserver.New(mcpserver.Config{Source: mcpserver.Source{Files: []string{"k8s/"}}})
//	if err != nil { ... }
//	err = srv.Run(ctx, &mcp.StdioTransport{})
package mcpserver

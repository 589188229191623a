// Package logscan turns the end of a container's log into evidence for one
// hop of a traffic path. It reads a bounded tail of a log (never more than
// MaxBytes of a file, whatever its size, and at most MaxLines lines), matches
// each line against a catalogue of networking signatures (a refused
// connection, a name that does not resolve, a TLS handshake that fails, an
// app listening on localhost only, an upstream the ingress controller cannot
// reach) and keeps each distinct failure once: lines that differ only in
// numbers, addresses, hex IDs or UUIDs count as one, quoted with the number
// of its first line and with credentials redacted.
//
//	tail, err := logscan.ReadFileTail(path, logscan.MaxBytes)
//	for _, m := range logscan.Scan(tail.Lines(logscan.MaxLines)) {
//		fmt.Println(m.Quote()) // line 12: dial tcp: lookup orders-db on <ip>:53: no such host
//	}
package logscan

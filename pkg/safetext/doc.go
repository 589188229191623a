// Package safetext is the one boundary between text that a cluster or a
// manifest controls and what hopscope prints. Object names, Event and
// container messages, image names, file names and error messages are written
// by whoever can deploy or open a pull request; the reports that quote them
// are read in terminals, pasted into tickets and uploaded to code scanning.
//
// Sanitize does the two things every quoted string needs, in this order:
//
//   - Redact replaces what looks like a credential (a URL's userinfo
//     password, a token in a query, a password=/token=/secret= pair, an
//     Authorization header, the value of a credential-named variable, a PEM
//     private key) with the marker REDACTED, so a report does not repeat a
//     secret that a connection string or a probe command happened to carry.
//   - Escape shows every character that could act on a terminal or reorder
//     what is read instead of being read (C0 and C1 controls, ESC, CR, BEL,
//     DEL, line and paragraph separators, bidirectional overrides and
//     isolates, other invisible format characters) and every byte that is
//     not valid UTF-8 as a Go-style escape: \x1b, \r, \u202e. The result is
//     valid UTF-8 on one line.
//
// SanitizeLines does the same for commands whose line breaks are their own
// (a here-document fed to kubectl): line feeds stay, each line is escaped.
//
// Ordinary text passes unchanged and without allocation: names, messages,
// letters of any script (é, 日本), emoji and shell-quoted commands that carry
// no credential.
//
//	fmt.Fprintf(w, "message: %s\n", safetext.Sanitize(event.Message))
package safetext

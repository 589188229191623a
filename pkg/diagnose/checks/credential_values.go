package checks

// Fixes for values that hold a credential. Reports redact credentials
// (safetext), so a printed command that set such a value would set the word
// REDACTED in place of the password when pasted; and a command that carried
// the password would put it into tickets and code scanning. Such a value is
// edited instead, with the change to make spelled out without the secret.

import (
	"fmt"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/safetext"
)

// holdsCredential reports whether the output boundary would redact part of
// value: a URL's password, a token in a query, a password= pair.
func holdsCredential(value string) bool {
	return safetext.Redact(value) != value
}

// credentialHostFix is the fix for a host name inside src's value when the
// value holds a credential: kubectl edit of the object, an evidence line
// saying which host to replace with which (no patch can change part of a
// string, and one that set the whole value would repeat the secret), and
// what the cause must add (ConfigMap values are read at start; a bare pod
// cannot be edited in place).
func credentialHostFix(src dnsSource, host, corrected string) (fix, evidence, causeNote string) {
	fix = diagnose.EditCmd(src.Object)
	where := fmt.Sprintf("env %s of container %s", src.Var, src.Container)
	switch {
	case src.configMap:
		where = "key " + src.Var
		causeNote = "; pods read ConfigMap values at start: restart them after the change"
	case src.patchPath == "":
		causeNote = "; " + immutablePodNote
	}
	evidence = fmt.Sprintf("fix: in %s, replace the host %q with %q and keep the rest of the value; it holds a credential, so no command here repeats it", where, host, corrected)
	return fix, evidence, causeNote
}

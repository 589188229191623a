package report

import (
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// safeResult is where the input's text enters every renderer: a copy of res
// in which every string has passed safetext.Sanitize (credentials redacted,
// control and bidirectional characters and invalid UTF-8 escaped), so no
// format can print what a cluster or a manifest smuggled into a name, a
// message or a command. Renderers add their own markup escaping (Markdown,
// HTML) on top.
//
// Lists a JSON consumer iterates (findings, traces, hops, path, evidence)
// are empty rather than nil. Finding keys are rewritten to the keys of the
// sanitized findings, so traces still point at them. The caller's Result is
// not changed.
func safeResult(res *diagnose.Result) *diagnose.Result {
	out := *res
	out.Findings = make([]diagnose.Finding, len(res.Findings))
	out.Traces = make([]diagnose.Trace, len(res.Traces))
	out.Summary = safeSummary(res.Summary)
	keys := make(map[string]string, len(res.Findings))
	for i, f := range res.Findings {
		out.Findings[i] = safeFinding(f)
		keys[f.Key()] = out.Findings[i].Key()
	}
	key := func(k string) string {
		if sk, ok := keys[k]; ok {
			return sk
		}
		return safetext.Sanitize(k)
	}
	for i, t := range res.Traces {
		st := t
		st.Entry = safetext.Sanitize(t.Entry)
		st.Status = diagnose.TraceStatus(safetext.Sanitize(string(t.Status)))
		st.Hops = make([]diagnose.Hop, len(t.Hops))
		st.RootCause = key(t.RootCause)
		for j, h := range t.Hops {
			sh := h
			sh.Layer = diagnose.Layer(safetext.Sanitize(string(h.Layer)))
			sh.Object = safeRef(h.Object)
			sh.Status = diagnose.HopStatus(safetext.Sanitize(string(h.Status)))
			sh.Reason = safetext.Sanitize(h.Reason)
			if h.Findings != nil {
				sh.Findings = make([]string, len(h.Findings))
				for n, k := range h.Findings {
					sh.Findings[n] = key(k)
				}
			}
			st.Hops[j] = sh
		}
		out.Traces[i] = st
	}
	if res.Probes != nil {
		out.Probes = make([]diagnose.Probe, len(res.Probes))
		for i, p := range res.Probes {
			out.Probes[i] = safeProbe(p)
		}
	}
	return &out
}

// Sanitized is res as every renderer sees it (see safeResult), for a
// command that embeds results in a document of its own, such as the JSON
// array `hopscope demo -o json` prints.
func Sanitized(res *diagnose.Result) *diagnose.Result {
	return safeResult(res)
}

// SanitizedFinding is f as every renderer sees it, for a command that
// prints findings itself, such as `hopscope lab check`.
func SanitizedFinding(f diagnose.Finding) diagnose.Finding {
	return safeFinding(f)
}

// SanitizedFindings is SanitizedFinding for each of fs; nil stays nil.
func SanitizedFindings(fs []diagnose.Finding) []diagnose.Finding {
	return eachSanitized(fs, safeFinding)
}

// safeFinding, like safeResult and safeSummary, starts from a copy, so a
// field added to the type later is never dropped from the output; the
// hostile-string test fails until it is sanitized here too.
func safeFinding(f diagnose.Finding) diagnose.Finding {
	out := f
	out.Layer = diagnose.Layer(safetext.Sanitize(string(f.Layer)))
	out.Check = safetext.Sanitize(f.Check)
	out.Severity = diagnose.Severity(safetext.Sanitize(string(f.Severity)))
	out.Object = safeRef(f.Object)
	out.Path = safeTexts(f.Path)
	out.Symptom = safetext.Sanitize(f.Symptom)
	out.Cause = safetext.Sanitize(f.Cause)
	out.Evidence = safeTexts(f.Evidence)
	// Commands keep their line feeds: a fix may feed a here-document to
	// kubectl, and is pasted as printed.
	out.Fix = safetext.SanitizeLines(f.Fix)
	out.Verify = safetext.SanitizeLines(f.Verify)
	out.Container = safetext.Sanitize(f.Container)
	out.Affects = safeRefs(f.Affects)
	out.ExplainedBy = safeRefs(f.ExplainedBy)
	if f.Origin != nil {
		o := *f.Origin
		o.File = safetext.Sanitize(o.File)
		o.APIVersion = safetext.Sanitize(o.APIVersion)
		out.Origin = &o
	}
	return out
}

// safeProbe covers what a probe brought back from the cluster: response
// bodies, dialler errors and termination messages are the most hostile
// text a report quotes.
func safeProbe(p diagnose.Probe) diagnose.Probe {
	out := p
	out.Path = safetext.Sanitize(p.Path)
	out.Static = diagnose.TraceStatus(safetext.Sanitize(string(p.Static)))
	out.Test = diagnose.ProbeTest(safetext.Sanitize(string(p.Test)))
	out.Target = safeRef(p.Target)
	if p.From != nil {
		from := safeRef(*p.From)
		out.From = &from
	}
	out.Address = safetext.Sanitize(p.Address)
	out.Request = safetext.Sanitize(p.Request)
	out.Outcome = diagnose.ProbeOutcome(safetext.Sanitize(string(p.Outcome)))
	out.Detail = safetext.Sanitize(p.Detail)
	out.Expected = safetext.Sanitize(p.Expected)
	out.Agreement = diagnose.ProbeAgreement(safetext.Sanitize(string(p.Agreement)))
	out.Note = safetext.Sanitize(p.Note)
	return out
}

func safeSummary(s diagnose.Summary) diagnose.Summary {
	out := s
	if s.SkippedKinds != nil {
		// Two kinds can sanitize to one name; their counts add up rather
		// than one hiding the other.
		out.SkippedKinds = make(map[string]int, len(s.SkippedKinds))
		for k, n := range s.SkippedKinds {
			out.SkippedKinds[safetext.Sanitize(k)] += n
		}
	}
	if s.NotChecked != nil {
		out.NotChecked = safeTexts(s.NotChecked)
	}
	if s.Duplicates != nil {
		out.Duplicates = safeTexts(s.Duplicates)
	}
	if s.SkippedFiles != nil {
		out.SkippedFiles = safeTexts(s.SkippedFiles)
	}
	return out
}

func safeRef(r snapshot.ObjectRef) snapshot.ObjectRef {
	r.Kind = safetext.Sanitize(r.Kind)
	r.Namespace = safetext.Sanitize(r.Namespace)
	r.Name = safetext.Sanitize(r.Name)
	return r
}

func safeRefs(refs []snapshot.ObjectRef) []snapshot.ObjectRef {
	return eachSanitized(refs, safeRef)
}

// eachSanitized passes every element of list through sanitize; a nil list
// stays nil, so sanitizing never adds a list the input did not have.
func eachSanitized[T any](list []T, sanitize func(T) T) []T {
	if list == nil {
		return nil
	}
	out := make([]T, len(list))
	for i, v := range list {
		out[i] = sanitize(v)
	}
	return out
}

// safeTexts sanitizes a list, never returning nil.
func safeTexts(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = safetext.Sanitize(s)
	}
	return out
}

package report

import "github.com/hopscope/hopscope/pkg/diagnose"

// tone is the colour a sign is drawn in when text is coloured.
type tone int

const (
	toneGrey tone = iota
	toneRed
	toneGreen
	toneYellow
)

// sign is how a hop status, a path verdict or a severity is shown: a
// one-character mark in every format, a tone in coloured text.
type sign struct {
	mark string
	tone tone
}

var statusSigns = map[diagnose.HopStatus]sign{
	diagnose.StatusOK:       {"✔", toneGreen},
	diagnose.StatusBroken:   {"✘", toneRed},
	diagnose.StatusAffected: {"▲", toneYellow},
}

// statusSign is the sign of a hop status; "not checked" is a grey "?".
func statusSign(s diagnose.HopStatus) sign {
	if g, ok := statusSigns[s]; ok {
		return g
	}
	return sign{"?", toneGrey}
}

// verdictSigns holds, per verdict, its sign and its name.
var verdictSigns = [...]struct {
	sign
	name string
}{
	verdictFailing:   {sign{"✘", toneRed}, "broken"},
	verdictDegraded:  {sign{"▲", toneYellow}, "degraded"},
	verdictUnchecked: {sign{"?", toneGrey}, "not fully checked"},
	verdictHealthy:   {sign{"✔", toneGreen}, "healthy"},
}

func (v verdict) sign() sign { return verdictSigns[v].sign }

func (v verdict) String() string { return verdictSigns[v].name }

// severityStyle is how a severity is shown: its sign, and its SARIF level.
type severityStyle struct {
	sign
	level string
}

var severityStyles = map[diagnose.Severity]severityStyle{
	diagnose.SeverityError:   {sign{"✘", toneRed}, "error"},
	diagnose.SeverityWarning: {sign{"▲", toneYellow}, "warning"},
}

// severityOf is the style of a severity: info has no SARIF twin and
// becomes "note".
func severityOf(s diagnose.Severity) severityStyle {
	if st, ok := severityStyles[s]; ok {
		return st
	}
	return severityStyle{sign{"ℹ", toneGrey}, "note"}
}

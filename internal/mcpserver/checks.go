package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
)

// CheckDoc is one check of the registry, as `hopscope checks` lists it.
type CheckDoc struct {
	ID       string            `json:"id"`
	Layer    diagnose.Layer    `json:"layer"`
	Severity diagnose.Severity `json:"severity"`
	// SymptomCheck marks a check that reports a layer which does not serve
	// without saying why when the reason may lie further down.
	SymptomCheck bool   `json:"symptomCheck"`
	Doc          string `json:"doc"`
}

// CheckExplanation is the reply of explain_check.
type CheckExplanation struct {
	CheckDoc
	// Walk is the layer order with this check's layer in brackets: where
	// on a path its findings sit.
	Walk string `json:"walk"`
	// Reading says how to read the check's findings in a diagnosis.
	Reading string `json:"reading"`
	// Skip is how to leave the check out of a diagnosis.
	Skip string `json:"skip"`
}

// ExplainCheckInput are the arguments of explain_check.
type ExplainCheckInput struct {
	ID string `json:"id" jsonschema:"the check ID, as a finding's check field or list_checks names it"`
}

// ListChecksInput are the arguments of list_checks.
type ListChecksInput struct {
	Layer  string `json:"layer,omitempty" jsonschema:"list only the checks of this layer"`
	Cursor string `json:"cursor,omitempty" jsonschema:"page.cursor of the previous reply to the same arguments: returns the next page"`
}

// CheckList is the reply of list_checks.
type CheckList struct {
	Checks []CheckDoc `json:"checks"`
	Page   Page       `json:"page"`
}

func docOf(c *diagnose.Check) CheckDoc {
	return CheckDoc{ID: c.ID, Layer: c.Layer, Severity: c.Severity, SymptomCheck: c.Symptom, Doc: c.Doc}
}

func (t *tools) explainCheck(_ context.Context, _ *mcp.CallToolRequest, in ExplainCheckInput) (*mcp.CallToolResult, *CheckExplanation, error) {
	c := checks.ByID(strings.TrimSpace(in.ID))
	if c == nil {
		return nil, nil, fmt.Errorf("no check %q%s; list_checks lists every check", clip(in.ID, 128), similarChecks(in.ID))
	}
	layers := make([]string, len(diagnose.Layers))
	for i, l := range diagnose.Layers {
		layers[i] = string(l)
		if l == c.Layer {
			layers[i] = "[" + layers[i] + "]"
		}
	}
	reading := fmt.Sprintf("A %s finding of this check names the %s layer as broken, with the evidence that proves it, a kubectl fix and a verify command; every layer above it on the same path is only affected.", c.Severity, c.Layer)
	if c.Symptom {
		reading = fmt.Sprintf("A symptom check: it says the %s layer does not serve, not why. When a deeper layer on the same path is broken, this finding is shown as its consequence and the deeper finding is the root cause.", c.Layer)
	}
	out := &CheckExplanation{
		CheckDoc: docOf(c),
		Walk:     strings.Join(layers, " → "),
		Reading:  reading,
		Skip:     fmt.Sprintf("diagnose {\"skip\":[%q]}, or hopscope diagnose --skip %s", c.ID, c.ID),
	}
	return textResult(out), out, nil
}

// similarChecks names registered checks that share a word with id, for an
// error message.
func similarChecks(id string) string {
	var near []string
	for _, c := range checks.All() {
		for _, w := range strings.FieldsFunc(strings.ToLower(id), func(r rune) bool { return r == '-' || r == '_' || r == ' ' }) {
			if len(w) > 3 && strings.Contains(c.ID, w) {
				near = append(near, c.ID)
				break
			}
		}
		if len(near) == 5 {
			break
		}
	}
	if len(near) == 0 {
		return ""
	}
	return " (close: " + strings.Join(near, ", ") + ")"
}

func (t *tools) listChecks(_ context.Context, _ *mcp.CallToolRequest, in ListChecksInput) (*mcp.CallToolResult, *CheckList, error) {
	pos, err := decodeCursor(in.Cursor, queryKey("list_checks", in.Layer))
	if err != nil {
		return nil, nil, err
	}
	var all []CheckDoc
	for _, c := range checks.All() {
		if in.Layer == "" || string(c.Layer) == in.Layer {
			all = append(all, docOf(c))
		}
	}
	if len(all) == 0 {
		return nil, nil, fmt.Errorf("layer %q has no checks: the layers are %s", clip(in.Layer, 64), strings.Join(layers(), ", "))
	}
	reply := &CheckList{}
	reply.Checks, reply.Page, err = pageOf(t, all, pos, func(items []CheckDoc, p Page) any { return &CheckList{Checks: items, Page: p} })
	if err != nil {
		return nil, nil, err
	}
	return textResult(reply), reply, nil
}

// layers names the layers in walk order.
func layers() []string {
	names := make([]string, len(diagnose.Layers))
	for i, l := range diagnose.Layers {
		names[i] = string(l)
	}
	return names
}

// pageOf fills one page of a listing from pos: as many items as the budget
// holds, with a cursor when more remain. wrap builds the reply around the
// items, so that the page is measured as it is sent.
func pageOf[T any](t *tools, all []T, pos position, wrap func([]T, Page) any) ([]T, Page, error) {
	if pos.Items > len(all) {
		return nil, Page{}, fmt.Errorf("the cursor points past the end of the list: drop the cursor to start over")
	}
	budget := t.budgetBytes()
	page := Page{BudgetTokens: t.cfg.Budget}
	room := budget - sizeOf(wrap([]T{}, page)) - cursorRoom
	items, _, _ := fitList(all[pos.Items:], room, nil)
	if len(items) == 0 && pos.Items < len(all) {
		return nil, Page{}, fmt.Errorf("one list entry does not fit in a budget of %d tokens: start the server with a larger --budget", t.cfg.Budget)
	}
	page.Items = &Window{From: pos.Items, Count: len(items), Total: len(all)}
	if next := pos.Items + len(items); next < len(all) {
		page.Cursor = position{Query: pos.Query, Items: next}.encode()
	}
	if items == nil {
		items = []T{}
	}
	return items, page, nil
}

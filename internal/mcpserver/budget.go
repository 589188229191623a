package mcpserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"unicode/utf8"
)

// DefaultBudget is a reply's default size limit in tokens: room for the
// root causes of a namespace with their evidence and fixes, small enough
// to leave an assistant's context for the conversation.
const DefaultBudget = 4000

// MinBudget is the smallest budget a server accepts: below it the summary
// and the page bounds alone would crowd out the findings.
const MinBudget = 1000

// bytesPerToken is the estimate behind every budget: a token of JSON is
// about four bytes.
const bytesPerToken = 4

// Tokens estimates the tokens of a JSON reply.
func Tokens(reply []byte) int { return tokensIn(len(reply)) }

func tokensIn(bytes int) int { return (bytes + bytesPerToken - 1) / bytesPerToken }

// Window says which items of a long list a reply holds.
type Window struct {
	// From is the index of the first item in this reply.
	From int `json:"from"`
	// Count is how many items this reply holds.
	Count int `json:"count"`
	// Total is how many items the whole answer has.
	Total int `json:"total"`
}

// Page bounds a reply: its scope and budget, which part of the answer it
// holds, what it leaves out and how to get the rest.
type Page struct {
	// Scope is what was read and diagnosed, e.g. "namespace shop of the
	// cluster, read just now".
	Scope string `json:"scope,omitempty"`
	// BudgetTokens is the most this reply may take, estimated as bytes/4 of
	// its JSON.
	BudgetTokens int `json:"budgetTokens"`
	// Findings and Traces say which findings and paths this reply holds.
	Findings *Window `json:"findings,omitempty"`
	Traces   *Window `json:"traces,omitempty"`
	// Items says which list entries a listing reply holds.
	Items *Window `json:"items,omitempty"`
	// Cursor, when set, fetches the next page: call the same tool with the
	// same arguments and this cursor.
	Cursor string `json:"cursor,omitempty"`
	// Omitted names what this reply leaves out and why.
	Omitted []string `json:"omitted,omitempty"`
	// Narrower lists smaller calls that answer the same question in fewer
	// pages, when the answer does not fit in one.
	Narrower []string `json:"narrower,omitempty"`
}

// cursorRoom is the room kept for what is only known once a page is
// filled: the cursor, the window counts and a note on a trimmed item.
const cursorRoom = 600

// position is where a page starts in an answer's findings, traces or
// items; a cursor carries it between calls.
type position struct {
	Query uint64 `json:"q"`
	// Findings and Traces are offsets into a diagnosis; Items into a list.
	Findings int `json:"f,omitempty"`
	Traces   int `json:"t,omitempty"`
	Items    int `json:"i,omitempty"`
}

// queryKey identifies a call by its tool and arguments without the cursor,
// so that a cursor is only accepted by the call that issued it.
func queryKey(tool string, args any) uint64 {
	h := fnv.New64a()
	b, _ := json.Marshal(args)
	h.Write([]byte(tool))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum64()
}

func (p position) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor issued for query; "" is the first page.
func decodeCursor(cursor string, query uint64) (position, error) {
	if cursor == "" {
		return position{Query: query}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var p position
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.Findings < 0 || p.Traces < 0 || p.Items < 0 {
		return position{}, fmt.Errorf("cursor %q is not one this server issued: pass page.cursor of the previous reply unchanged", clip(cursor, 64))
	}
	if p.Query != query {
		return position{}, fmt.Errorf("this cursor belongs to a call with other arguments: repeat the arguments of the call that returned it, or drop the cursor to start over")
	}
	return p, nil
}

// sizeOf is the length of v's JSON, the measure of every budget.
func sizeOf(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		// Replies are plain structs of strings, numbers and lists; one
		// that does not marshal would fail the call anyway.
		return 1 << 30
	}
	return len(b)
}

// clip shortens s to at most n bytes on a rune boundary, saying so.
func clip(s string, n int) string {
	const mark = "… (cut to fit the reply budget)"
	if len(s) <= n {
		return s
	}
	keep := n - len(mark)
	if keep < 0 {
		keep = 0
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + mark
}

// clipList keeps the first k entries of ss, each clipped to n bytes, and
// says how many it dropped. A nil list stays nil.
func clipList(ss []string, n, k int) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, 0, min(len(ss), k)+1)
	for i, s := range ss {
		if i == k {
			out = append(out, fmt.Sprintf("… %d more not shown (cut to fit the reply budget)", len(ss)-k))
			break
		}
		out = append(out, clip(s, n))
	}
	return out
}

// trimSteps are the string lengths and list lengths an oversized item is
// cut to, gentlest first.
var trimSteps = []struct{ chars, entries int }{{2048, 32}, {1024, 16}, {512, 8}, {256, 4}, {128, 2}, {64, 1}}

// fitList takes items from the front of all into a reply until room bytes
// are used, counting a separating comma per item. When even the first item
// is larger than room and trim is set, it is cut down to room by trim;
// trimmed says so. used is the room the items take.
func fitList[T any](all []T, room int, trim func(T, int) (T, bool)) (items []T, used int, trimmed bool) {
	for _, it := range all {
		n := sizeOf(it) + 1
		if used+n > room {
			if len(items) == 0 && trim != nil {
				if cut, ok := trim(it, room-1); ok {
					return []T{cut}, sizeOf(cut) + 1, true
				}
			}
			break
		}
		items = append(items, it)
		used += n
	}
	return items, used, false
}

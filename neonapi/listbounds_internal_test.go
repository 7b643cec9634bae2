package neonapi

import (
	"errors"
	"testing"
)

// checkListBounds bounds every walk through pages (ListProjects,
// ListOrgMembers): the first bound reached is named, with the list's own
// noun and hint, on the list's path.
func TestCheckListBounds(t *testing.T) {
	tests := []struct {
		name                    string
		path, noun, hint        string
		pages, bytesRead, items int
		want                    string // "" for no error
	}{
		{"under every bound", "/projects", "projects", "narrow it with a search", maxListPages - 1, maxListBytes - 1, maxListItems - 1, ""},
		{"items, with a hint", "/projects", "projects", "narrow it with a search", 2, 100, maxListItems,
			"the list goes on past 20000 projects in 2 pages, the most neonkeys reads (narrow it with a search)"},
		{"items, no hint", "/organizations/o/members", "members", "", 3, 100, maxListItems,
			"the list goes on past 20000 members in 3 pages, the most neonkeys reads"},
		{"pages", "/organizations/o/members", "members", "", maxListPages, 100, 10,
			"the list goes on past 100 pages, the most neonkeys reads"},
		{"bytes", "/projects", "projects", "narrow it with a search", 32, maxListBytes, 10,
			"the list goes on past 32 MiB in 32 pages, the most neonkeys reads (narrow it with a search)"},
		{"items named before pages", "/projects", "projects", "", maxListPages, maxListBytes, maxListItems,
			"the list goes on past 20000 projects in 100 pages, the most neonkeys reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkListBounds(tt.path, tt.noun, tt.hint, tt.pages, tt.bytesRead, tt.items)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			var limit *LimitError
			if !errors.As(err, &limit) {
				t.Fatalf("err = %v (%T), want a *LimitError", err, err)
			}
			if limit.Limit != tt.want || limit.Path != tt.path || limit.Method != "GET" {
				t.Errorf("got %s %s %q, want GET %s %q", limit.Method, limit.Path, limit.Limit, tt.path, tt.want)
			}
		})
	}
}

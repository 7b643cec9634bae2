package keys

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/neonkeys/neonkeys/neonapi"
)

// ProjectQuery asks for projects: those of OrgID, or with OrgID empty the
// caller's personal projects and those of every organization it belongs
// to, whose name or id contains Search. Limit (at least 1) bounds the
// answer.
type ProjectQuery struct {
	OrgID  string
	Search string
	Limit  int
}

// ProjectList is the answer to ListProjects.
type ProjectList struct {
	// Projects holds at most Limit projects: personal ones first, then each
	// organization's in the order Neon lists the organizations. Each
	// project's OrgID says where it was found ("" for a personal project).
	Projects []neonapi.Project
	// More: more projects matched than Limit.
	More bool
	// OrgsSearched counts the organizations searched; OrgsLeftOut those
	// beyond maxOrgsSearched, not searched.
	OrgsSearched, OrgsLeftOut int
	// Failed names the places that could not be searched, and why: the
	// rest of the answer still holds.
	Failed []SearchFailure
}

// SearchFailure is a place ListProjects could not search.
type SearchFailure struct {
	OrgID string // "" for the personal projects or the list of organizations
	What  string // "personal projects", "organization org-x", "the list of your organizations"
	Err   error
}

// A search everywhere lists each organization's projects: at most
// projectSearchers of these walks run at once (Neon allows bursts of 40
// requests a second per route, and most accounts have a handful of
// organizations), and at most maxOrgsSearched organizations are searched.
// Each walk stops after Limit+1 projects and within neonapi's bounds on
// pages and bytes, so a search holds at most (maxOrgsSearched+1)*(Limit+1)
// projects.
const (
	projectSearchers = 4
	maxOrgsSearched  = 50
)

// ListProjects lists projects as q asks. Searching everywhere (q.OrgID
// empty) fails only when no place could be searched; otherwise the places
// that failed are in Failed.
func (s *Service) ListProjects(ctx context.Context, q ProjectQuery) (*ProjectList, error) {
	limit := max(q.Limit, 1)
	if q.OrgID != "" {
		projects, err := s.api.ListProjects(ctx, neonapi.ListProjectsOptions{OrgID: q.OrgID, Search: q.Search, MaxItems: limit + 1})
		if err != nil {
			return nil, err
		}
		return cutProjects(&ProjectList{OrgsSearched: 1}, projects, limit), nil
	}
	res := &ProjectList{}
	places := []SearchFailure{{What: "personal projects"}} // a place to search; Err is filled in on failure
	orgs, orgsErr := s.api.GetCurrentUserOrganizations(ctx)
	if orgsErr != nil && ctx.Err() != nil {
		return nil, orgsErr
	}
	if len(orgs) > maxOrgsSearched {
		res.OrgsLeftOut = len(orgs) - maxOrgsSearched
		orgs = orgs[:maxOrgsSearched]
	}
	for _, o := range orgs {
		places = append(places, SearchFailure{OrgID: o.ID, What: "organization " + o.ID})
	}
	found := make([][]neonapi.Project, len(places))
	var g errgroup.Group
	g.SetLimit(projectSearchers)
	for i := range places {
		g.Go(func() error {
			found[i], places[i].Err = s.api.ListProjects(ctx, neonapi.ListProjectsOptions{
				OrgID: places[i].OrgID, Search: q.Search, MaxItems: limit + 1})
			return nil // one place failing does not stop the others
		})
	}
	_ = g.Wait() // every walk returns nil: failures are in places
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []neonapi.Project
	for i, p := range places {
		if p.Err != nil {
			res.Failed = append(res.Failed, p)
			continue
		}
		if p.OrgID != "" {
			res.OrgsSearched++
		}
		all = append(all, found[i]...)
	}
	if len(res.Failed) == len(places) {
		// Nothing searched: a walk's error says most (a bound hit, a 401).
		return nil, firstFailure(res.Failed)
	}
	if orgsErr != nil {
		res.Failed = append(res.Failed, SearchFailure{What: "the list of your organizations", Err: orgsErr})
	}
	return cutProjects(res, dedupe(all), limit), nil
}

// cutProjects keeps the first limit projects in res, noting whether there
// were more.
func cutProjects(res *ProjectList, projects []neonapi.Project, limit int) *ProjectList {
	res.More = len(projects) > limit
	res.Projects = projects[:min(len(projects), limit)]
	return res
}

// dedupe drops repeated projects (an organization key lists its
// organization's projects both without and with its org_id), keeping the
// first of each.
func dedupe(projects []neonapi.Project) []neonapi.Project {
	seen := make(map[string]bool, len(projects))
	out := projects[:0]
	for _, p := range projects {
		if !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
	}
	return out
}

// firstFailure is the error of a search that failed everywhere: the first
// place's, which names what failed.
func firstFailure(failed []SearchFailure) error {
	if len(failed) == 0 {
		return errors.New("no place to search")
	}
	return fmt.Errorf("searching %s: %w", failed[0].What, failed[0].Err)
}

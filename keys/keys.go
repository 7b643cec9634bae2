// Package keys is the core shared by the CLI and the MCP tools: find a key
// and its scope, list with filters, create at a scope and verify the answer,
// revoke, and rotate (create the replacement, then revoke the old key).
package keys

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/neonkeys/neonkeys/neonapi"
)

// Scope kinds of a Neon API key.
const (
	ScopePersonal     = "personal"     // a user's key: everything the user can reach
	ScopeOrganization = "organization" // an org-wide key: admin of every project in the org
	ScopeProject      = "project"      // an org key limited to one project
)

// MaxNameLen is Neon's limit on key names.
const MaxNameLen = 64

// Key is an API key with the organization it belongs to (empty for a
// personal key). Its JSON keeps the API's field names and adds org_id.
type Key struct {
	neonapi.APIKey
	OrgID string `json:"org_id,omitempty"`
}

// Scope returns ScopePersonal, ScopeOrganization or ScopeProject.
func (k Key) Scope() string {
	switch {
	case k.OrgID == "":
		return ScopePersonal
	case k.ProjectID != "":
		return ScopeProject
	default:
		return ScopeOrganization
	}
}

// ScopeText describes the scope for a person: "personal",
// "organization org-x", "project p-1 in organization org-x". It holds no
// parentheses, so a sentence can put it in its own without nesting them.
func (k Key) ScopeText() string { return describeScope(k.OrgID, k.ProjectID) }

// ScopeTextIn is ScopeText for an answer that already named organization
// orgID, so that it is said once: "organization-wide", "project p-1". A
// key of another organization, or of none, is described in full.
func (k Key) ScopeTextIn(orgID string) string {
	switch {
	case orgID == "" || k.OrgID != orgID:
		return k.ScopeText()
	case k.ProjectID != "":
		return "project " + k.ProjectID
	default:
		return "organization-wide"
	}
}

func describeScope(orgID, projectID string) string {
	switch {
	case orgID == "":
		return ScopePersonal
	case projectID != "":
		return fmt.Sprintf("project %s in organization %s", projectID, orgID)
	default:
		return "organization " + orgID
	}
}

// Service runs key operations against one Neon API client.
type Service struct {
	api *neonapi.Client
	now func() time.Time

	withdrawing sync.WaitGroup // revokes of minted keys that must not stay live
	// orgWalkTimeout bounds a search for a key among the caller's
	// organizations as a whole (see searchOrgs).
	orgWalkTimeout time.Duration
}

// New returns a Service. now may be nil (time.Now).
func New(api *neonapi.Client, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{api: api, now: now, orgWalkTimeout: orgWalkTimeout}
}

// ListOptions filter a listing. ProjectID implies the project's organization
// when OrgID is empty. Limit 0 means all.
type ListOptions struct {
	OrgID        string
	ProjectID    string
	NameContains string
	Limit        int
}

// ListResult holds the keys that matched (at most Limit) and how many
// matched in all, so a caller can say "showing 50 of 4,210".
type ListResult struct {
	Keys  []Key
	Total int
	// OrgID is the organization listed ("" for personal keys);
	// OrgFromCredential says it was not asked for but taken from the
	// credential, an organization key (which has no personal keys).
	OrgID             string
	OrgFromCredential bool
}

// List lists personal keys, or an organization's keys when OrgID (or a
// ProjectID) is given, filtered and limited.
func (s *Service) List(ctx context.Context, opts ListOptions) (*ListResult, error) {
	orgID := opts.OrgID
	if opts.ProjectID != "" && orgID == "" {
		project, err := s.api.GetProject(ctx, opts.ProjectID)
		if err != nil {
			return nil, err
		}
		if project.OrgID == "" {
			return nil, &ProjectNotInOrgError{ProjectID: opts.ProjectID}
		}
		orgID = project.OrgID
	}
	raw, orgID, fromCredential, err := s.keysIn(ctx, orgID)
	if err != nil {
		return nil, err
	}
	needle := strings.ToLower(opts.NameContains)
	res := &ListResult{Keys: make([]Key, 0, min(len(raw), max(opts.Limit, 0))), OrgID: orgID, OrgFromCredential: fromCredential}
	if opts.Limit <= 0 {
		res.Keys = make([]Key, 0, len(raw))
	}
	for _, k := range raw {
		if opts.ProjectID != "" && k.ProjectID != opts.ProjectID {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(k.Name), needle) {
			continue
		}
		res.Total++
		if opts.Limit <= 0 || len(res.Keys) < opts.Limit {
			res.Keys = append(res.Keys, Key{APIKey: k, OrgID: orgID})
		}
	}
	return res, nil
}

// find locates key id for Locate, and returns the keys listed beside it.
// With an orgID it looks only in that organization; without, it looks among
// the personal keys, then in every organization of the caller, so "rotate
// 123" works without knowing where 123 lives. Should Neon refuse the
// personal keys to an organization key, it looks in that key's organization.
func (s *Service) find(ctx context.Context, id int64, orgID string) (*Key, []neonapi.APIKey, error) {
	listed, orgID, _, err := s.keysIn(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range listed {
		if k.ID == id {
			return &Key{APIKey: k, OrgID: orgID}, listed, nil
		}
	}
	if orgID != "" {
		return nil, nil, &NotFoundError{ID: id, OrgID: orgID}
	}
	orgs, err := s.api.GetCurrentUserOrganizations(ctx)
	if err != nil {
		// Not fatal: the key may simply not exist. Say where we looked.
		return nil, nil, &NotFoundError{ID: id, SearchedOrgs: false}
	}
	return s.searchOrgs(ctx, id, orgs)
}

// A search for a key among the caller's organizations is bounded, since
// the API decides how many organizations there are: it looks in at most
// maxOrgsSearched of them (the bound ListProjects uses: most accounts belong
// to a handful, so a lookup costs at most 52 requests; past it the caller
// is told to name the organization), projectSearchers at once, and all of
// it within orgWalkTimeout: four times neonapi's default per-request
// timeout, while 50 real key lists at 4 at once take seconds.
const orgWalkTimeout = 2 * time.Minute

// searchOrgs looks for key id among the keys of orgs. An organization
// whose keys Neon refuses (the caller is not an admin there) is skipped.
// When the key is not found, the *NotFoundError counts the organizations
// not searched (beyond the bound, or not reached in time) and says why.
func (s *Service) searchOrgs(ctx context.Context, id int64, orgs []neonapi.Organization) (*Key, []neonapi.APIKey, error) {
	notFound := &NotFoundError{ID: id, SearchedOrgs: true, Orgs: len(orgs)}
	if len(orgs) > maxOrgsSearched {
		notFound.Unsearched = len(orgs) - maxOrgsSearched
		notFound.Why = fmt.Sprintf("you belong to more than %d organizations, and a search looks in the first %d only", maxOrgsSearched, maxOrgsSearched)
		orgs = orgs[:maxOrgsSearched]
	}
	walkCtx, cancel := context.WithTimeout(ctx, s.orgWalkTimeout)
	defer cancel()
	var (
		mu       sync.Mutex
		found    *Key
		listed   []neonapi.APIKey
		searched int
	)
	var g errgroup.Group
	g.SetLimit(projectSearchers)
	for _, org := range orgs {
		g.Go(func() error {
			keys, err := s.api.ListOrgAPIKeys(walkCtx, org.ID)
			mu.Lock()
			defer mu.Unlock()
			if err == nil || walkCtx.Err() == nil {
				searched++ // a refusal counts: the key is not ours to find there
			}
			for _, k := range keys {
				if k.ID == id {
					found, listed = &Key{APIKey: k, OrgID: org.ID}, keys
					cancel() // the other walks can stop
				}
			}
			return nil
		})
	}
	_ = g.Wait() // every walk returns nil: what it found is in found
	switch {
	case found != nil:
		return found, listed, nil
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	case searched < len(orgs):
		notFound.Unsearched += len(orgs) - searched
		notFound.Why = strings.TrimPrefix(notFound.Why+fmt.Sprintf("; the search did not finish within %s", s.orgWalkTimeout), "; ")
	}
	return nil, nil, notFound
}

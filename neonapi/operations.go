package neonapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ListAPIKeys lists the caller's personal API keys (GET /api_keys).
func (c *Client) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var keys []APIKey
	err := c.do(ctx, http.MethodGet, "/api_keys", nil, nil, &keys)
	return keys, err
}

// CreateAPIKey creates a personal API key (POST /api_keys). It is never
// retried once the request may have reached Neon.
func (c *Client) CreateAPIKey(ctx context.Context, keyName string) (*CreatedAPIKey, error) {
	var created CreatedAPIKey
	body := struct {
		KeyName string `json:"key_name"`
	}{keyName}
	if err := c.do(ctx, http.MethodPost, "/api_keys", nil, body, &created); err != nil {
		return nil, err
	}
	return &created, nil // its token was registered with the redactor by do
}

// RevokeAPIKey revokes a personal API key (DELETE /api_keys/{key_id}).
func (c *Client) RevokeAPIKey(ctx context.Context, keyID int64) (*RevokedAPIKey, error) {
	id, err := checkKeyID(keyID)
	if err != nil {
		return nil, err
	}
	var revoked RevokedAPIKey
	if err := c.do(ctx, http.MethodDelete, keyPath(id), nil, nil, &revoked); err != nil {
		return nil, err
	}
	return &revoked, nil
}

// ListOrgAPIKeys lists an organization's API keys
// (GET /organizations/{org_id}/api_keys); project-scoped ones carry ProjectID.
func (c *Client) ListOrgAPIKeys(ctx context.Context, orgID string) ([]APIKey, error) {
	org, err := checkOrgID(orgID)
	if err != nil {
		return nil, err
	}
	var keys []APIKey
	err = c.do(ctx, http.MethodGet, orgPath(org, "/api_keys"), nil, nil, &keys)
	return keys, err
}

// CreateOrgAPIKey creates an organization key, scoped to one project when
// req.ProjectID is set (POST /organizations/{org_id}/api_keys). Never retried
// once the request may have reached Neon.
func (c *Client) CreateOrgAPIKey(ctx context.Context, orgID string, req CreateOrgAPIKeyRequest) (*CreatedAPIKey, error) {
	org, err := checkOrgID(orgID)
	if err != nil {
		return nil, err
	}
	if req.ProjectID != "" {
		if _, err := checkProjectID(req.ProjectID); err != nil {
			return nil, err
		}
	}
	var created CreatedAPIKey
	if err := c.do(ctx, http.MethodPost, orgPath(org, "/api_keys"), nil, req, &created); err != nil {
		return nil, err
	}
	return &created, nil // its token was registered with the redactor by do
}

// RevokeOrgAPIKey revokes an organization key
// (DELETE /organizations/{org_id}/api_keys/{key_id}).
func (c *Client) RevokeOrgAPIKey(ctx context.Context, orgID string, keyID int64) (*RevokedAPIKey, error) {
	org, err := checkOrgID(orgID)
	if err != nil {
		return nil, err
	}
	id, err := checkKeyID(keyID)
	if err != nil {
		return nil, err
	}
	var revoked RevokedAPIKey
	if err := c.do(ctx, http.MethodDelete, orgPath(org, keyPath(id)), nil, nil, &revoked); err != nil {
		return nil, err
	}
	return &revoked, nil
}

// GetProject returns one project (GET /projects/{project_id}); OrgID tells
// whether it belongs to an organization.
func (c *Client) GetProject(ctx context.Context, projectID string) (*Project, error) {
	project, err := checkProjectID(projectID)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Project Project `json:"project"`
	}
	if err := c.do(ctx, http.MethodGet, "/projects/"+string(project), nil, nil, &resp); err != nil {
		return nil, err
	}
	return &resp.Project, nil
}

// ListProjects lists projects (GET /projects), following the cursor until it
// is empty or already followed, a page comes back empty, or opts.MaxItems
// are collected. Past maxListPages pages, maxListBytes of answers or
// maxListItems projects it stops with a *LimitError.
func (c *Client) ListProjects(ctx context.Context, opts ListProjectsOptions) ([]Project, error) {
	if opts.OrgID != "" {
		if _, err := checkOrgID(opts.OrgID); err != nil {
			return nil, err
		}
	}
	pageSize := opts.PageSize
	if pageSize <= 0 || pageSize > 400 {
		pageSize = 100
	}
	var all []Project
	pages, bytesRead := 0, 0
	cursor := ""
	// Every cursor already followed: a server that cycles through cursors
	// (A, B, A, ...) must not keep the walk going forever.
	seen := map[string]bool{}
	for {
		q := url.Values{"limit": {strconv.Itoa(pageSize)}}
		if opts.OrgID != "" {
			q.Set("org_id", opts.OrgID)
		}
		if opts.Search != "" {
			q.Set("search", opts.Search)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Projects   []Project `json:"projects"`
			Pagination *struct {
				Cursor string `json:"cursor"`
			} `json:"pagination"`
		}
		n, err := c.doCounted(ctx, http.MethodGet, "/projects", q, nil, &page)
		if err != nil {
			return nil, err
		}
		pages, bytesRead = pages+1, bytesRead+n
		// Only what is kept is copied, so a page of thousands held for
		// MaxItems projects is left to the collector: a search everywhere
		// keeps 51 of these walks' answers at once (keys/projects.go).
		take := page.Projects
		if opts.MaxItems > 0 {
			take = take[:min(len(take), opts.MaxItems-len(all))]
		}
		all = append(all, take...)
		if opts.MaxItems > 0 && len(all) >= opts.MaxItems {
			return all, nil
		}
		if len(page.Projects) == 0 || page.Pagination == nil || page.Pagination.Cursor == "" || seen[page.Pagination.Cursor] {
			return all, nil
		}
		if err := checkListBounds("/projects", "projects", "narrow it with a search", pages, bytesRead, len(all)); err != nil {
			return nil, err
		}
		cursor = page.Pagination.Cursor
		seen[cursor] = true
	}
}

// A walk through pages stops with a *LimitError after maxListPages pages,
// maxListBytes of answers or maxListItems projects, whichever comes first:
// a server that always has a next page must not keep neonkeys reading (and
// holding) for ever. 100 pages of 100 are 10,000 projects, about 15 MB at
// Neon's ~1.5 KB each; pages of tiny items reach the item bound first.
const (
	maxListPages = 100
	maxListBytes = 32 << 20
)

// checkListBounds refuses to fetch another page of the list at path after
// pages pages, bytesRead bytes and items items, named by noun ("projects");
// hint, when not "", says how to narrow the list.
func checkListBounds(path, noun, hint string, pages, bytesRead, items int) error {
	var limit string
	switch {
	case items >= maxListItems:
		limit = fmt.Sprintf("the list goes on past %d %s in %d pages, the most neonkeys reads", maxListItems, noun, pages)
	case pages >= maxListPages:
		limit = fmt.Sprintf("the list goes on past %d pages, the most neonkeys reads", maxListPages)
	case bytesRead >= maxListBytes:
		limit = fmt.Sprintf("the list goes on past %d MiB in %d pages, the most neonkeys reads", maxListBytes>>20, pages)
	default:
		return nil
	}
	if hint != "" {
		limit += " (" + hint + ")"
	}
	return &LimitError{Method: http.MethodGet, Path: path, Limit: limit}
}

// GetAuthDetails tells who the credential belongs to (GET /auth).
func (c *Client) GetAuthDetails(ctx context.Context) (*AuthDetails, error) {
	var details AuthDetails
	if err := c.do(ctx, http.MethodGet, "/auth", nil, nil, &details); err != nil {
		return nil, err
	}
	return &details, nil
}

// GetCurrentUserOrganizations lists the caller's organizations
// (GET /users/me/organizations); an organization key sees its own only.
func (c *Client) GetCurrentUserOrganizations(ctx context.Context) ([]Organization, error) {
	var resp struct {
		Organizations []Organization `json:"organizations"`
	}
	if err := c.do(ctx, http.MethodGet, "/users/me/organizations", nil, nil, &resp); err != nil {
		return nil, err
	}
	return resp.Organizations, nil
}
